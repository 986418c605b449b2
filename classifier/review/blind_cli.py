"""``python -m classifier blind``: blind double charting and its consensus step.

    blind start --annotations CSV --predictions PRED.jsonl --reviewers A B [C ...]
                (--sample N [--seed S] | --ids FILE) [--hide-model] [--export DIR]
    blind status --annotations CSV
    blind consensus --annotations CSV [--predictions PRED.jsonl] [--export SHEET.csv]
    blind consensus --annotations CSV --import SHEET.csv --reviewer NAME

Reviewers chart the round in the web page (``serve ... --blind``) or in their own spreadsheet
(``start --export DIR`` writes one per reviewer; ``review import DIR/NAME.csv`` reads it back).
``consensus`` lists the disagreements side by side (``--export`` as a spreadsheet with ``agreed`` and
``reason`` columns to fill in) and ``--import`` records the agreed labels with their reasons, then
prints the agreement between the reviewers on the round.

Exit status: 0 done, 1 refused input (nothing written), 2 bad arguments or unreadable files.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .blind import (BlindError, disagreements, export_consensus, export_sheets, load_round, read_consensus,
                    record_consensus, start_round)
from .store import LabelStore, LabelStoreError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m classifier blind",
                                description="Blind double charting: reviewers chart the same studies without "
                                            "seeing each other's labels, then settle disagreements together.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start", help="choose the studies and the reviewers of a round")
    s.add_argument("--annotations", required=True, metavar="CSV")
    s.add_argument("--predictions", required=True, metavar="PRED.jsonl")
    s.add_argument("--reviewers", required=True, nargs="+", metavar="NAME")
    s.add_argument("--sample", type=int, metavar="N", help="chart N studies drawn at random")
    s.add_argument("--seed", type=int, default=0, help="seed of the random draw (default 0)")
    s.add_argument("--ids", metavar="FILE", help="chart these studies (one id per line) instead of a sample")
    s.add_argument("--hide-model", action="store_true", help="reviewers do not see the model's labels or evidence")
    s.add_argument("--export", metavar="DIR", help="write one spreadsheet per reviewer into DIR")
    st = sub.add_parser("status", help="how far each reviewer is, and how many disagreements wait")
    st.add_argument("--annotations", required=True, metavar="CSV")
    c = sub.add_parser("consensus", help="list, export or record the agreed labels")
    c.add_argument("--annotations", required=True, metavar="CSV")
    c.add_argument("--predictions", metavar="PRED.jsonl", help="show the model's label and evidence beside the reviewers'")
    c.add_argument("--export", metavar="SHEET.csv", help="write the disagreements as a spreadsheet to fill in")
    c.add_argument("--import", dest="import_", metavar="SHEET.csv", help="record the agreed labels and reasons")
    c.add_argument("--reviewer", help="who records the consensus (for the log); required with --import")
    return p


def _predictions(path: str | None) -> list[dict]:
    if not path:
        return []
    from ..io.predictions import read_predictions

    items, problems = read_predictions(path)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return items


def _start(args, store) -> int:
    predictions = _predictions(args.predictions)
    ids = None
    if args.ids:
        try:
            ids = [line.strip() for line in Path(args.ids).read_text("utf-8-sig").splitlines() if line.strip()]
        except OSError as exc:
            print(f"error: {args.ids}: cannot read ({exc.strerror or exc})", file=sys.stderr)
            return 2
    rnd = start_round(store, predictions, args.reviewers, sample=args.sample, ids=ids, hide_model=args.hide_model,
                      seed=args.seed, predictions_path=str(args.predictions))
    hidden = " without the model's labels" if rnd.hide_model else ""
    print(f"Blind round: {len(rnd.studies)} studies for {', '.join(rnd.reviewers)}{hidden}.")
    if args.export:
        for path in export_sheets(rnd, predictions, Path(args.export)):
            print(f"  {path}  (fill in, then: python -m classifier review import {path} --annotations {store.path})")
    print(f"In the browser: python -m classifier serve --predictions {args.predictions} --annotations {store.path} --blind")
    return 0


def _status(store) -> int:
    rnd = load_round(store)
    items, progress = disagreements(store, rnd)
    print(f"Blind round of {len(rnd.studies)} studies started {rnd.started}.")
    for reviewer, n in progress["charted"].items():
        print(f"  {reviewer}: {n} of {len(rnd.studies)} charted")
    print(f"Charted by every reviewer: {progress['complete']}. Disagreements waiting for consensus: {len(items)}.")
    return 0


def _consensus(args, store) -> int:
    rnd = load_round(store)
    if args.import_:
        if not (args.reviewer or "").strip():
            print("error: --import needs --reviewer NAME (who records the consensus)", file=sys.stderr)
            return 2
        try:
            decisions = read_consensus(Path(args.import_), args.reviewer.strip())
        except ValueError as exc:
            print(f"error: {exc}; nothing was written", file=sys.stderr)
            return 1
        result = record_consensus(store, decisions)
        print(f"Recorded {len(result.applied) + len(result.unchanged)} agreed label(s) with their reasons.")
        from ..evaluate.agreement_cli import report
        from ..evaluate.agreement import measure

        print()
        print(report(measure(store.path, rnd.reviewers, studies=rnd.studies)))
        return 0
    predictions = _predictions(args.predictions or rnd.predictions or None)
    items, progress = disagreements(store, rnd)
    if args.export:
        export_consensus(Path(args.export), items, rnd, predictions)
        print(f"{len(items)} disagreement(s) written to {args.export}: fill in 'agreed' and 'reason', then "
              f"python -m classifier blind consensus --annotations {store.path} --import {args.export} --reviewer NAME")
        return 0
    if not items:
        print(f"No disagreement among the {progress['complete']} studies every reviewer charted.")
        return 0
    for d in items:
        sides = "; ".join(f"{r}: {v or '-'}" for r, v in d.by_reviewer.items())
        print(f"{d.study_id} {d.task}: {sides}; labels file: {d.current or '-'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    store = LabelStore(args.annotations)
    try:
        if args.command == "start":
            return _start(args, store)
        if args.command == "status":
            return _status(store)
        return _consensus(args, store)
    except BlindError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if args.command == "start" else 2
    except (LabelStoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from ..io.predictions import PredictionsError

        if isinstance(exc, PredictionsError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise
