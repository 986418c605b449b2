"""``python -m classifier SUBCOMMAND ...``: extract, predict, train, evaluate, review, blind, agreement,
simulate, serve.

Each subcommand lives in its stage's ``cli`` module and is imported only when called, so
``python -m classifier extract`` never pays for scikit-learn or Flask.
"""
from __future__ import annotations

import importlib
import sys

SUBCOMMANDS = {
    "extract": ("classifier.extract.cli", "Print a document's canonical sections (PDF or .txt)."),
    "predict": ("classifier.batch.cli", "Label documents and record files (same as predict.py)."),
    "train": ("classifier.model.cli", "Train a model directory (same as train.py)."),
    "evaluate": ("classifier.evaluate.cli", "Cross-validated evaluation: metrics.json and report.html."),
    "review": ("classifier.review.cli", "Active-learning review: export/import a queue, or review in the terminal."),
    "blind": ("classifier.review.blind_cli", "Blind double charting: start a round, its status, the consensus step."),
    "agreement": ("classifier.evaluate.agreement_cli", "Agreement between reviewers, and the model against them."),
    "simulate": ("classifier.review.simulate_cli", "Replay active learning on fully labelled data."),
    "serve": ("classifier.web.cli", "The review page in the browser."),
}


def usage() -> str:
    lines = ["usage: python -m classifier SUBCOMMAND [options]", "", "subcommands:"]
    lines += [f"  {name:<10}{help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    lines += ["", "Run 'python -m classifier SUBCOMMAND --help' for a subcommand's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        print(f"error: unknown subcommand {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
