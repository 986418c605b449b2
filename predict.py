#!/usr/bin/env python3
"""Label studies for peer-worker role, service-cycle phases and boundary-spanner language.

    python predict.py INPUT... --out predictions.csv [--jsonl FILE] [--xlsx FILE] [-j N]

See ``python predict.py --help`` and docs/batch.md. This is a thin wrapper over
``classifier.batch.cli.main`` (also ``python -m classifier predict``).
"""
import sys

from classifier.batch.cli import main

if __name__ == "__main__":
    sys.exit(main())
