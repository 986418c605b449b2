"""``python -m classifier review SUBCOMMAND``: export a queue, import it, resolve conflicts, retrain,
or review in the terminal.

    review export QUEUE.csv|.xlsx --predictions PRED.jsonl [--top N] [--strategy S] [--annotations CSV]
    review import QUEUE.csv|.xlsx --annotations annotations/labels.csv [--reviewer NAME]
    review resolve [ID TASK VALUE|keep] --annotations annotations/labels.csv [--reviewer NAME]
                                                (without ID TASK VALUE: list the conflicts waiting)
    review retrain --annotations annotations/labels.csv --texts PATH ... --out MODEL_DIR
    review session --predictions PRED.jsonl --annotations annotations/labels.csv [--reviewer NAME]
                   [--retrain-every N --texts PATH ...]

The older flag forms (``review --export QUEUE ...``, ``--import``, ``--conflicts``, ``--resolve``,
``--retrain``, and no flag for a session) still work and mean the same.
Exit status: 0 done, 1 refused input (nothing written), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..io.cells import terminal_text
from ..schema import task_names, tasks
from .strategies import DEFAULT_BALANCE, DEFAULT_STRATEGY, STRATEGIES


def err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


COMMANDS = ("export", "import", "resolve", "retrain", "session")


def _add_annotations(p, required_help="the labels file (annotations/labels.csv)"):
    p.add_argument("--annotations", metavar="CSV", help=required_help)


def _add_reviewer(p):
    p.add_argument("--reviewer", help="your name, for the log (default: the queue's reviewer column, "
                                      "else your login name)")


def _add_texts(p, what):
    p.add_argument("--texts", action="extend", nargs="+", metavar="PATH",
                   help=f"texts of the studies: records file or folder of PDFs/.txt (repeatable); {what}")


def _add_order(p):
    p.add_argument("--predictions", metavar="PRED.jsonl", help="predictions written by predict.py --jsonl")
    p.add_argument("--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY,
                   help=f"how to order the queue (default {DEFAULT_STRATEGY})")
    p.add_argument("--seed", type=int, default=0, help="seed for the random strategy (default 0)")
    p.add_argument("--balance", type=float, default=DEFAULT_BALANCE, metavar="B",
                   help=f"uncertainty and margin: weight of rare classes, 0 = plain probabilities (default {DEFAULT_BALANCE})")
    p.add_argument("--model", metavar="PATH", help="current model: its rules for the disagreement strategy "
                                                   "(default: the shipped model)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m classifier review",
                                description="Active-learning review of the model's least certain predictions.")
    sub = p.add_subparsers(dest="command", metavar="|".join(COMMANDS))
    e = sub.add_parser("export", help="write the documents most worth a look to a spreadsheet")
    e.add_argument("queue", metavar="QUEUE", help="the queue to write (.csv opens in Excel; or .xlsx)")
    _add_order(e)
    e.add_argument("--top", type=int, default=50, metavar="N", help="documents in the queue (default 50)")
    _add_annotations(e, "the labels file: studies it labels for every task are left out")
    e.add_argument("--include-labelled", action="store_true",
                   help="also queue studies the labels file already labels for every task")
    _add_texts(e, "for the disagreement strategy")
    i = sub.add_parser("import", help="merge a filled-in queue into the labels file")
    i.add_argument("queue", metavar="QUEUE", help="the filled-in queue (.csv or .xlsx)")
    _add_annotations(i)
    _add_reviewer(i)
    r = sub.add_parser("resolve", help="list the conflicts waiting, or decide one")
    r.add_argument("decision", nargs="*", metavar="ID TASK VALUE|keep",
                   help="write VALUE for the study's task, or 'keep' to keep the file's value")
    _add_annotations(r)
    _add_reviewer(r)
    t = sub.add_parser("retrain", help="train a new model on the labels file")
    _add_annotations(t)
    _add_texts(t, "the studies to train on")
    t.add_argument("--out", metavar="MODEL_DIR", help="where the new model goes")
    t.add_argument("--model", metavar="PATH", help="current model, whose parameters the new one keeps "
                                                   "(default: the shipped model)")
    s_ = sub.add_parser("session", help="review one study at a time in the terminal")
    _add_order(s_)
    _add_annotations(s_)
    _add_reviewer(s_)
    _add_texts(s_, "for --retrain-every and the disagreement strategy")
    s_.add_argument("--retrain-every", type=int, default=0, metavar="N",
                    help="retrain in the background every N decisions (needs --texts)")
    return p


def legacy_parser() -> argparse.ArgumentParser:
    """The older flag forms, kept as aliases of the subcommands."""
    p = argparse.ArgumentParser(prog="python -m classifier review",
                                description="Older flag forms of 'review export|import|resolve|retrain|session'.")
    p.add_argument("--predictions", metavar="PRED.jsonl")
    p.add_argument("--annotations", metavar="CSV")
    p.add_argument("--export", metavar="QUEUE")
    p.add_argument("--top", type=int, default=50, metavar="N")
    p.add_argument("--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--balance", type=float, default=DEFAULT_BALANCE, metavar="B")
    p.add_argument("--include-labelled", action="store_true")
    p.add_argument("--import", dest="import_", metavar="QUEUE")
    p.add_argument("--reviewer")
    p.add_argument("--conflicts", action="store_true")
    p.add_argument("--resolve", nargs=3, metavar=("ID", "TASK", "VALUE"))
    p.add_argument("--retrain", action="store_true")
    p.add_argument("--texts", action="extend", nargs="+", metavar="PATH")
    p.add_argument("--out", metavar="MODEL_DIR")
    p.add_argument("--model", metavar="PATH")
    p.add_argument("--retrain-every", type=int, default=0, metavar="N")
    return p


def parse(argv: list[str]) -> argparse.Namespace | None:
    """Subcommand arguments, from either form (None: bad arguments, already said)."""
    if argv and argv[0] in COMMANDS or any(a in ("-h", "--help") for a in argv[:1]):
        return parser().parse_args(argv)
    args = legacy_parser().parse_args(argv)
    if args.export and args.import_:
        err("use --export or --import, not both")
        return None
    if args.conflicts or args.resolve:
        args.command, args.decision = "resolve", list(args.resolve or [])
    elif args.retrain:
        args.command = "retrain"
    elif args.export:
        args.command, args.queue = "export", args.export
    elif args.import_:
        args.command, args.queue = "import", args.import_
    else:
        args.command = "session"
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        parser().print_help(sys.stderr)
        return 2
    args = parse(argv)
    if args is None:
        return 2
    run = {"export": export, "import": import_, "resolve": resolve, "retrain": retrain, "session": session}
    try:
        return run[args.command](args)
    except _BadArguments:
        return 2
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 1


class _BadArguments(Exception):
    """Said already (``err``); the subcommand ends with exit status 2."""


def _store(args):
    """The label store of ``--annotations`` (a missing option or folder ends the subcommand, status 2)."""
    from .store import LabelStore

    if not args.annotations:
        err("--annotations CSV is required (the labels file, e.g. annotations/labels.csv)")
        raise _BadArguments
    path = Path(args.annotations)
    if not path.parent.is_dir():
        err(f"{path}: folder {path.parent} does not exist")
        raise _BadArguments
    return LabelStore(path)


def _predictions(args):
    """The reviewable predictions of ``--predictions`` (unusable: said, status 2)."""
    from ..io.predictions import PredictionsError, read_reviewable

    if not args.predictions:
        err("--predictions PRED.jsonl is required (written by predict.py --jsonl)")
        raise _BadArguments
    try:
        preds, warnings = read_reviewable(args.predictions)
    except PredictionsError as exc:
        err(str(exc))
        raise _BadArguments from None
    for w in warnings[:20]:
        warn(w)
    if len(warnings) > 20:
        warn(f"... and {len(warnings) - 20} more lines skipped")
    return preds


def _unlabelled(preds, store):
    from ..io.labels import LabelsError

    if store is None:
        return preds
    from .store import reviewed_ids

    try:
        done = reviewed_ids(store.labels_and_problems()[0], store.log())
    except LabelsError as exc:
        err(str(exc))
        return None
    return [p for p in preds if p["id"] not in done]


def _rules(args, preds):
    """Rules-only predictions aligned with ``preds`` (for the disagreement strategy; unusable: said, status 2)."""
    from .texts import TextsError, load_documents

    if not args.texts:
        err("the disagreement strategy compares rules with the model on the texts: pass --texts PATH")
        raise _BadArguments
    try:
        docs = load_documents(args.texts, ids={p["id"] for p in preds}, warn=warn)
    except TextsError as exc:
        err(str(exc))
        raise _BadArguments from None
    from ..model import load_model

    try:
        model = load_model(args.model)
    except Exception as exc:
        err(f"cannot load the model: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        raise _BadArguments from None
    have = [p for p in preds if p["id"] in docs]
    missing = len(preds) - len(have)
    if missing:
        warn(f"{missing} predictions have no text in --texts; the rules count as agreeing for them")
    rules = dict(zip((p["id"] for p in have), model.rules_predict([docs[p["id"]] for p in have])))
    return [rules.get(p["id"], {t: p.get(t) for t in task_names()}) for p in preds]


def export(args) -> int:
    from .queuefile import queue_rows, write_queue
    from .strategies import rank

    out = Path(args.queue)
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
    store = _store(args) if args.annotations else None
    if not args.include_labelled:
        before = len(preds)
        preds = _unlabelled(preds, store)
        if preds is None:
            return 1
        if before - len(preds):
            print(f"{before - len(preds)} studies already reviewed (a decision in the log, or every task "
                  f"labelled) are left out (--include-labelled keeps them)")
    if not preds:
        err("nothing to queue: no usable predictions")
        return 1
    rules = _rules(args, preds) if args.strategy == "disagreement" else None
    ranked = rank(args.strategy, preds, top=args.top, seed=args.seed, rules=rules, balance=args.balance)
    try:
        write_queue(out, queue_rows(preds, ranked, args.strategy))
    except OSError as exc:
        err(f"{out}: cannot write ({exc.strerror or exc})")
        return 1
    print(f"wrote {len(ranked)} documents to {out} (strategy {args.strategy}, most informative first); "
          f"fill in the columns {', '.join(task_names())} (to exclude a study, exclusion_reason is enough), "
          f"reviewer, note, then run "
          f"'python -m classifier review import {out} --annotations annotations/labels.csv'")
    return 0


def import_(args) -> int:
    from .queuefile import QueueError, read_decisions
    from ..io.labels import LabelsError

    store = _store(args)
    try:
        decisions = read_decisions(args.queue, reviewer=args.reviewer)
    except QueueError as exc:
        for message in exc.messages:
            err(message)
        err(f"nothing was written to {store.path}: correct the cells named above and import again")
        return 1
    if not decisions:
        print(f"{args.queue}: no filled-in labels; nothing to import")
        return 0
    try:
        result = store.record(decisions)
    except (LabelsError, ValueError) as exc:
        err(str(exc))
        return 1
    studies = {d.study_id for d in result.applied}
    print(f"imported {len(result.applied)} labels for {len(studies)} studies into {store.path} "
          f"({len(result.unchanged)} already there); log: {store.log_path}")
    if result.conflicts:
        print(f"{len(result.conflicts)} conflicts kept for a decision (the labels file keeps its value):")
        for c in result.conflicts:
            print(f"  {terminal_text(c.describe())}")
        print(f"see them with: python -m classifier review resolve --annotations {store.path}")
    return 0


def resolve(args) -> int:
    from ..io.labels import LabelsError

    store = _store(args)
    if args.decision and len(args.decision) != 3:
        err("resolve takes ID TASK VALUE (or keep), or nothing to list the conflicts waiting")
        return 2
    if args.decision:
        study, task, value = args.decision
        if task not in tasks():
            err(f"unknown task {task!r} (tasks: {', '.join(tasks())})")
            return 2
        who = args.reviewer or getpass.getuser()
        pending = [c for c in store.conflicts() if c.study_id == study and c.task == task]
        try:
            if value.lower() == "keep":
                store.dismiss(study, task, who, note="kept the file's value")
                print(f"{terminal_text(study)} {task}: kept the file's value; {len(pending)} conflicts resolved")
            else:
                result = store.resolve(study, task, value, who)
                print(f"{terminal_text(study)} {task}: set to {tasks()[task].parse(value)!r}"
                      f"{' (unchanged)' if result.unchanged else ''}; {len(pending)} conflicts resolved")
        except (LabelsError, ValueError) as exc:
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
        print(f"  {terminal_text(c.time)}  {terminal_text(c.describe())}")
    print("decide one with: python -m classifier review resolve ID TASK VALUE|keep "
          f"--annotations {store.path}")
    return 0


def retrain(args) -> int:
    from ..model import ModelError
    from .retrain import RetrainError, retrain as run
    from ..io.labels import LabelsError
    from .texts import TextsError

    store = _store(args)
    if not args.texts or not args.out:
        err("retrain needs --texts PATH (the studies' texts) and --out MODEL_DIR")
        return 2
    if not store.path.is_file():
        err(f"{store.path}: no such file")
        return 2
    try:
        card = run(store.path, args.texts, args.out, warn=warn, model_path=args.model)
    except (RetrainError, TextsError, LabelsError, ModelError, ValueError) as exc:
        err(str(exc))
        return 1
    print(f"wrote {args.out}: trained on {card['n_documents']} studies "
          f"({card['review']['reviewed_decisions']} reviewed decisions in the log); "
          f"use it with: python predict.py ... --model {args.out}")
    return 0


def session(args) -> int:
    from .retrain import BackgroundRetrainer
    from .session import Session
    from ..io.labels import LabelsError

    if not args.predictions:
        err("a session needs --predictions PRED.jsonl --annotations CSV (see 'review --help' for export, "
            "import, resolve and retrain)")
        return 2
    store = _store(args)
    preds = _predictions(args)
    if args.retrain_every and not args.texts:
        err("--retrain-every needs --texts PATH (the studies' texts to train on)")
        return 2
    rules = _rules(args, preds) if args.strategy == "disagreement" else None
    reviewer = args.reviewer or getpass.getuser()
    retrainer = BackgroundRetrainer(store.path, args.texts) if args.retrain_every else None
    try:
        return Session(store, preds, reviewer, strategy=args.strategy, seed=args.seed, rules=rules,
                       balance=args.balance,
                       retrainer=retrainer, retrain_every=args.retrain_every).run()
    except LabelsError as exc:
        err(str(exc))
        return 1
