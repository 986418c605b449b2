"""``python -m classifier agreement``: how far reviewers agree with each other, and the model with them.

    agreement --annotations annotations/labels.csv [--reviewers A B ...] [--predictions PRED.jsonl]
              [--json OUT.json]

Each reviewer's labels come from the decision log beside the labels file (every decision names its
reviewer). Without ``--reviewers``, the reviewers of the blind round beside the labels file are
compared on its studies (``python -m classifier blind``); with no round, every reviewer in the log, on
the studies they all charted. ``--predictions`` adds the model against the agreed labels.

Exit status: 0 done, 1 nothing to compare, 2 bad arguments or unreadable files.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .agreement import measure

LABELS = {"percent_agreement": "agreement", "kappa": "kappa", "ac1": "Gwet's AC1"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m classifier agreement",
                                description="Agreement between reviewers (percent, Cohen's/Fleiss' kappa, "
                                            "Gwet's AC1, 95%% intervals), per task and per label.")
    p.add_argument("--annotations", required=True, metavar="CSV", help="the labels file (its log sits beside it)")
    p.add_argument("--reviewers", nargs="+", metavar="NAME", help="reviewers to compare (default: all in the log)")
    p.add_argument("--predictions", metavar="PRED.jsonl", help="also compare the model with the agreed labels")
    p.add_argument("--json", metavar="OUT.json", help="write the figures as JSON")
    return p


def fmt(est: dict) -> str:
    if est["value"] is None:
        return "n/a"
    if est["ci_low"] is None:
        return f"{est['value']:.2f}"
    return f"{est['value']:.2f} ({est['ci_low']:.2f} to {est['ci_high']:.2f})"


def table(results: dict) -> list[str]:
    lines = [f"{'task':<18}{'label':<16}{'n':>4}  " + "  ".join(f"{LABELS[k]:<22}" for k in LABELS)]
    for task, result in results.items():
        rows = [("(whole task)", result["task"])] + list(result["per_label"].items())
        for label, stats in rows:
            lines.append(f"{task:<18}{label:<16}{stats['n']:>4}  "
                         + "  ".join(f"{fmt(stats[k]):<22}" for k in LABELS))
    return lines


def report(figures: dict) -> str:
    lines = []
    counts = figures["reviewer_counts"]
    who = ", ".join(figures["reviewers"]) or "nobody"
    lines.append(f"Reviewers: {who}. Studies charted: {counts['studies_charted']} "
                 f"({counts['by_two_or_more']} by two or more of them, {counts['by_one_reviewer']} by one).")
    if figures["tasks"]:
        kind = "Fleiss'" if len(figures["reviewers"]) > 2 else "Cohen's"
        lines.append(f"\nReviewer against reviewer ({kind} kappa; 95% intervals: {figures['interval']}):")
        lines += table(figures["tasks"])
    elif len(figures["reviewers"]) >= 2:
        lines.append("\nNo study was charted by all of these reviewers: nothing to compare.")
    model = figures.get("model")
    if model:
        if model["tasks"]:
            lines.append(f"\nModel against the {model['reference']} (Cohen's kappa):")
            lines += table(model["tasks"])
        else:
            lines.append(f"\nThe predictions share no study with the {model['reference']}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    path = Path(args.annotations)
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    predictions = None
    if args.predictions:
        from ..io.predictions import PredictionsError, read_predictions

        try:
            predictions, problems = read_predictions(args.predictions)
        except PredictionsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
    from ..review.store import LabelStoreError

    reviewers, studies = args.reviewers, None
    if not reviewers:
        from ..review.blind import BlindError, load_round
        from ..review.store import LabelStore

        try:
            rnd = load_round(LabelStore(path))
            reviewers, studies = rnd.reviewers, rnd.studies
            print(f"Blind round of {len(rnd.studies)} studies ({', '.join(rnd.reviewers)}).")
        except BlindError:
            pass
    try:
        figures = measure(path, reviewers, predictions, studies=studies)
    except LabelStoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if figures["unknown_reviewers"]:
        print(f"error: no decision in {path.stem}.log.csv by {', '.join(figures['unknown_reviewers'])} "
              f"(reviewers in the log: {', '.join(sorted(set(figures['reviewers']) - set(figures['unknown_reviewers']))) or 'none'})",
              file=sys.stderr)
        return 2
    print(report(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    has = figures["tasks"] or (figures.get("model") or {}).get("tasks")
    return 0 if has else 1
