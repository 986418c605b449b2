"""``python -m classifier review``: export a queue, import it, review in the terminal, retrain.

    review --predictions PRED.jsonl --export QUEUE.csv|.xlsx --top N [--strategy S] [--annotations CSV]
    review --import QUEUE.csv|.xlsx --annotations annotations/labels.csv [--reviewer NAME]
    review --predictions PRED.jsonl --annotations annotations/labels.csv [--reviewer NAME]
           [--retrain-every N --texts PATH ...]                                  (terminal session)
    review --conflicts --annotations annotations/labels.csv
    review --resolve ID TASK VALUE|keep --annotations annotations/labels.csv [--reviewer NAME]
    review --retrain --annotations annotations/labels.csv --texts PATH ... --out MODEL_DIR

Exit status: 0 done, 1 refused input (nothing written), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..schema import TASK_NAMES, tasks
from .strategies import DEFAULT_BALANCE, DEFAULT_STRATEGY, STRATEGIES


def err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m classifier review",
                                description="Active-learning review of the model's least certain predictions.")
    p.add_argument("--predictions", metavar="PRED.jsonl", help="predictions written by predict.py --jsonl")
    p.add_argument("--annotations", metavar="CSV", help="the labels file (annotations/labels.csv)")
    p.add_argument("--export", metavar="QUEUE", help="write a review queue (.csv opens in Excel; or .xlsx)")
    p.add_argument("--top", type=int, default=50, metavar="N", help="documents in the queue (default 50)")
    p.add_argument("--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY,
                   help=f"how to order the queue (default {DEFAULT_STRATEGY})")
    p.add_argument("--seed", type=int, default=0, help="seed for the random strategy (default 0)")
    p.add_argument("--balance", type=float, default=DEFAULT_BALANCE, metavar="B",
                   help=f"uncertainty and margin: weight of rare classes, 0 = plain probabilities (default {DEFAULT_BALANCE})")
    p.add_argument("--include-labelled", action="store_true",
                   help="also queue studies the labels file already labels for every task")
    p.add_argument("--import", dest="import_", metavar="QUEUE", help="merge a filled-in queue into the labels")
    p.add_argument("--reviewer", help="your name, for the log (default: the queue's reviewer column, "
                                      "else your login name)")
    p.add_argument("--conflicts", action="store_true", help="list conflicts waiting for a decision")
    p.add_argument("--resolve", nargs=3, metavar=("ID", "TASK", "VALUE"),
                   help="decide a conflict: write VALUE, or 'keep' to keep the file's value")
    p.add_argument("--retrain", action="store_true", help="train a new model on the labels file (needs --texts, --out)")
    p.add_argument("--texts", action="extend", nargs="+", metavar="PATH",
                   help="texts of the studies: records file or folder of PDFs/.txt (repeatable); "
                        "for --retrain, --retrain-every and the disagreement strategy")
    p.add_argument("--out", metavar="MODEL_DIR", help="where --retrain writes the new model")
    p.add_argument("--model", metavar="PATH", help="current model: its rules for the disagreement strategy, "
                                                   "its parameters for --retrain (default: the shipped model)")
    p.add_argument("--retrain-every", type=int, default=0, metavar="N",
                   help="in the terminal session, retrain in the background every N decisions (needs --texts)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.conflicts or args.resolve:
            return conflicts(args)
        if args.retrain:
            return retrain(args)
        if args.export and args.import_:
            err("use --export or --import, not both")
            return 2
        if args.export:
            return export(args)
        if args.import_:
            return import_(args)
        return session(args)
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 1


def _store(args):
    from .store import LabelStore

    if not args.annotations:
        err("--annotations CSV is required (the labels file, e.g. annotations/labels.csv)")
        return None
    path = Path(args.annotations)
    if not path.parent.is_dir():
        err(f"{path}: folder {path.parent} does not exist")
        return None
    return LabelStore(path)


def _predictions(args):
    from .predictions import PredictionsError, read_predictions

    if not args.predictions:
        err("--predictions PRED.jsonl is required (written by predict.py --jsonl)")
        return None
    try:
        preds, warnings = read_predictions(args.predictions)
    except PredictionsError as exc:
        err(str(exc))
        return None
    for w in warnings[:20]:
        warn(w)
    if len(warnings) > 20:
        warn(f"... and {len(warnings) - 20} more lines skipped")
    return preds


def _unlabelled(preds, store):
    from .store import LabelStoreError

    if store is None:
        return preds
    try:
        labels = store.labels()
    except LabelStoreError as exc:
        err(str(exc))
        return None
    full = {i for i, lab in labels.items() if all(lab[t] is not None for t in TASK_NAMES)}
    return [p for p in preds if p["id"] not in full]


def _rules(args, preds):
    """Rules-only predictions aligned with ``preds`` (for the disagreement strategy)."""
    from .texts import TextsError, load_documents

    if not args.texts:
        err("the disagreement strategy compares rules with the model on the texts: pass --texts PATH")
        return None
    try:
        docs = load_documents(args.texts, ids={p["id"] for p in preds}, warn=warn)
    except TextsError as exc:
        err(str(exc))
        return None
    from ..model import load_model

    try:
        model = load_model(args.model)
    except Exception as exc:
        err(f"cannot load the model: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        return None
    have = [p for p in preds if p["id"] in docs]
    missing = len(preds) - len(have)
    if missing:
        warn(f"{missing} predictions have no text in --texts; the rules count as agreeing for them")
    rules = dict(zip((p["id"] for p in have), model.rules_predict([docs[p["id"]] for p in have])))
    return [rules.get(p["id"], {t: p.get(t) for t in TASK_NAMES}) for p in preds]


def export(args) -> int:
    from .queuefile import queue_rows, write_queue
    from .strategies import rank

    out = Path(args.export)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        err(f"{out}: the queue must be a .csv or .xlsx file")
        return 2
    if not out.parent.is_dir():
        err(f"{out}: folder {out.parent} does not exist")
        return 2
    if args.top < 1:
        err("--top must be at least 1")
        return 2
    preds = _predictions(args)
    if preds is None:
        return 2
    store = _store(args) if args.annotations else None
    if args.annotations and store is None:
        return 2
    if not args.include_labelled:
        before = len(preds)
        preds = _unlabelled(preds, store)
        if preds is None:
            return 1
        if before - len(preds):
            print(f"{before - len(preds)} studies already labelled for every task are left out "
                  f"(--include-labelled keeps them)")
    if not preds:
        err("nothing to queue: no usable predictions")
        return 1
    rules = None
    if args.strategy == "disagreement":
        rules = _rules(args, preds)
        if rules is None:
            return 2
    ranked = rank(args.strategy, preds, top=args.top, seed=args.seed, rules=rules, balance=args.balance)
    try:
        write_queue(out, queue_rows(preds, ranked, args.strategy))
    except OSError as exc:
        err(f"{out}: cannot write ({exc.strerror or exc})")
        return 1
    print(f"wrote {len(ranked)} documents to {out} (strategy {args.strategy}, most informative first); "
          f"fill in the columns eligible (or only exclusion_reason, to exclude a study), {', '.join(TASK_NAMES)}, "
          f"reviewer, note, then run "
          f"'python -m classifier review --import {out} --annotations annotations/labels.csv'")
    return 0


def import_(args) -> int:
    from .queuefile import QueueError, read_decisions
    from .store import LabelStoreError

    store = _store(args)
    if store is None:
        return 2
    try:
        decisions = read_decisions(args.import_, reviewer=args.reviewer)
    except QueueError as exc:
        for message in exc.messages:
            err(message)
        err(f"nothing was written to {store.path}: correct the cells named above and import again")
        return 1
    if not decisions:
        print(f"{args.import_}: no filled-in labels; nothing to import")
        return 0
    try:
        result = store.record(decisions)
    except (LabelStoreError, ValueError) as exc:
        err(str(exc))
        return 1
    studies = {d.study_id for d in result.applied}
    print(f"imported {len(result.applied)} labels for {len(studies)} studies into {store.path} "
          f"({len(result.unchanged)} already there); log: {store.log_path}")
    if result.conflicts:
        print(f"{len(result.conflicts)} conflicts kept for a decision (the labels file keeps its value):")
        for c in result.conflicts:
            print(f"  {c.describe()}")
        print(f"see them with: python -m classifier review --conflicts --annotations {store.path}")
    return 0


def conflicts(args) -> int:
    from .store import LabelStoreError

    store = _store(args)
    if store is None:
        return 2
    if args.resolve:
        study, task, value = args.resolve
        if task not in tasks():
            err(f"unknown task {task!r} (tasks: {', '.join(tasks())})")
            return 2
        who = args.reviewer or getpass.getuser()
        pending = [c for c in store.conflicts() if c.study_id == study and c.task == task]
        try:
            if value.lower() == "keep":
                store.dismiss(study, task, who, note="kept the file's value")
                print(f"{study} {task}: kept the file's value; {len(pending)} conflicts resolved")
            else:
                result = store.resolve(study, task, value, who)
                print(f"{study} {task}: set to {tasks()[task].parse(value)!r}"
                      f"{' (unchanged)' if result.unchanged else ''}; {len(pending)} conflicts resolved")
        except (LabelStoreError, ValueError) as exc:
            err(str(exc))
            return 1
        return 0
    try:
        pending = store.conflicts()
    except OSError as exc:
        err(f"{store.conflicts_path}: cannot read ({exc})")
        return 1
    if not pending:
        print(f"no conflicts waiting in {store.conflicts_path}")
        return 0
    print(f"{len(pending)} conflicts waiting for a decision:")
    for c in pending:
        print(f"  {c.time}  {c.describe()}")
    print("decide one with: python -m classifier review --resolve ID TASK VALUE|keep "
          f"--annotations {store.path}")
    return 0


def retrain(args) -> int:
    from ..model import ModelError
    from .retrain import RetrainError, retrain as run
    from .store import LabelStoreError
    from .texts import TextsError

    store = _store(args)
    if store is None:
        return 2
    if not args.texts or not args.out:
        err("--retrain needs --texts PATH (the studies' texts) and --out MODEL_DIR")
        return 2
    if not store.path.is_file():
        err(f"{store.path}: no such file")
        return 2
    try:
        card = run(store.path, args.texts, args.out, warn=warn, model_path=args.model)
    except (RetrainError, TextsError, LabelStoreError, ModelError, ValueError) as exc:
        err(str(exc))
        return 1
    print(f"wrote {args.out}: trained on {card['n_documents']} studies "
          f"({card['review']['reviewed_decisions']} reviewed decisions in the log); "
          f"use it with: python predict.py ... --model {args.out}")
    return 0


def session(args) -> int:
    from .session import BackgroundRetrainer, Session
    from .store import LabelStoreError

    if not args.predictions:
        err("give --export QUEUE, --import QUEUE, or --predictions PRED.jsonl --annotations CSV for a "
            "terminal session (see --help)")
        return 2
    store = _store(args)
    if store is None:
        return 2
    preds = _predictions(args)
    if preds is None:
        return 2
    if args.retrain_every and not args.texts:
        err("--retrain-every needs --texts PATH (the studies' texts to train on)")
        return 2
    rules = None
    if args.strategy == "disagreement":
        rules = _rules(args, preds)
        if rules is None:
            return 2
    reviewer = args.reviewer or getpass.getuser()
    retrainer = BackgroundRetrainer(store.path, args.texts) if args.retrain_every else None
    try:
        return Session(store, preds, reviewer, strategy=args.strategy, seed=args.seed, rules=rules,
                       balance=args.balance,
                       retrainer=retrainer, retrain_every=args.retrain_every).run()
    except LabelStoreError as exc:
        err(str(exc))
        return 1
