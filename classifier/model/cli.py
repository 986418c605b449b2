"""``python train.py --labels CSV --texts PATH [PATH ...] --out MODEL`` (also ``python -m classifier train``).

Fits a ChartingModel on the labelled studies whose text is found, cross-validates it for the model card
(unless ``--cv-repeats 0``) and writes the model directory. Exit 0 on success, 2 when nothing could run.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python train.py", description="Train a charting model directory.")
    ap.add_argument("--labels", required=True, help="annotations CSV (id, role, phases, boundary_spanner, ...)")
    ap.add_argument("--texts", required=True, nargs="+",
                    help="records files (.jsonl/.csv/.tsv/.xlsx/.ris) and/or directories of <id>.pdf/<id>.txt")
    ap.add_argument("--out", required=True, help="model directory to write (e.g. models/peer-charting)")
    ap.add_argument("--lexicons", help="directory of lexicon *.yml files (default: the packaged ones)")
    ap.add_argument("--no-inferred", action="store_true", help="ignore labels inferred from the review's counts")
    ap.add_argument("--C", type=float, nargs="+", default=None,
                    help="inverse regularisation strengths to choose from, by cross-validated log-loss on the "
                         "training data (default: the model's grid)")
    ap.add_argument("--rule-weight", type=float, default=None, help="weight of the lexicon features (default 1.0)")
    ap.add_argument("--cv-repeats", type=int, default=2, help="repeats of stratified CV for the model card (0: skip)")
    ap.add_argument("--name", default=None, help="model name for the card (default: the directory name)")
    ap.add_argument("--eligibility-only", metavar="MODEL", default=None,
                    help="keep the charting model of MODEL as it is and (re)fit only its eligibility check on the "
                         "labels' eligible/exclusion_reason columns; writes the result to --out")
    return ap


def fit_eligibility(model, documents, labels):
    """Fit the eligibility model on the studies with an ``eligible`` label and hold it as
    ``model.eligibility_`` (its settings for the model card); None when the labels have no eligible
    column or not both values."""
    from .eligibility import EligibilityModel, labels_for

    if "eligible" not in labels.columns:
        return None
    y, reasons = labels_for(documents, labels.reset_index())
    if len({v for v in y if v}) < 2:
        print("note: no eligibility model (the labels need eligible studies and excluded ones)", file=sys.stderr)
        return None
    t0 = time.perf_counter()
    model.eligibility_ = EligibilityModel().fit(documents, y, reasons)
    print(f"eligibility fitted in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return model.eligibility_.describe()


def _eligibility_only(args, documents, labels) -> int:
    import json

    from .persist import CARD_JSON, ModelError, load_model

    try:
        model = load_model(args.eligibility_only)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if fit_eligibility(model, documents, labels) is None:
        print(f"error: {args.labels}: no eligible and excluded studies among the texts; nothing to fit", file=sys.stderr)
        return 2
    src = Path(args.eligibility_only)
    try:
        card = json.loads(((src if src.is_dir() else src.parent) / CARD_JSON).read_text("utf-8"))
    except (OSError, ValueError):
        card = {"name": args.name or Path(args.out).name}
    card["eligibility"] = model.eligibility_.describe()
    card["eligibility"]["labels"] = str(args.labels)
    card["eligibility"]["texts"] = [str(t) for t in args.texts]
    return _save(model, args.out, card)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..features.lexicons import LexiconError, load_lexicons
    from .card import make_card
    from .charting import ChartingModel
    from ..io.labels import LabelsError, labelled_ids, read_labels
    from ..schema import charting_tasks
    from .texts import load_labelled_texts

    try:
        labels = read_labels(args.labels)
        lexicons = [lx.to_dict() for lx in load_lexicons(args.lexicons)] if args.lexicons else None
    except (LabelsError, LexiconError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    loaded = load_labelled_texts(args.texts, labels)
    labelled, n_read = loaded.documents, loaded.n_read
    for p in loaded.problems:
        print(f"warning: {p}", file=sys.stderr)
    loaded.report(lambda line: print(f"warning: {line}", file=sys.stderr))
    if not labelled:
        print(f"error: none of the {n_read} texts has a label in {args.labels} (ids must match)", file=sys.stderr)
        return 2
    if args.eligibility_only:
        return _eligibility_only(args, labelled, labels)
    params = {"lexicons": lexicons, "use_inferred": not args.no_inferred}
    if args.C is not None:
        params["C_grid"] = tuple(args.C)
    if args.rule_weight is not None:
        params["rule_weight"] = args.rule_weight
    charted = labelled_ids(labels, charting_tasks())  # eligibility-only rows (near-misses) teach no role
    print(f"training on {len(labelled)} labelled documents ({n_read} texts read)", file=sys.stderr)
    t0 = time.perf_counter()
    try:
        model = ChartingModel(**params).fit([d for d in labelled if d.id in charted], labels.reset_index())
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"fitted in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    fit_eligibility(model, labelled, labels)
    cv = None
    if args.cv_repeats > 0:
        from ..evaluate.cv import cv_summary

        cv = cv_summary([d for d in labelled if d.id in charted], labels.reset_index(), params, repeats=args.cv_repeats)
    card = make_card(model, labels=labels.reset_index(), documents=labelled, label_path=args.labels,
                     text_paths=args.texts, cv=cv, name=args.name or Path(args.out).name)
    return _save(model, args.out, card)


def _save(model, out, card) -> int:
    """Write the model directory; 0, or 2 with a one-line message when it cannot be written."""
    from .persist import ModelError, save_model

    try:
        save_model(model, out, card)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0
