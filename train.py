#!/usr/bin/env python3
"""Train a charting model: python train.py --labels CSV --texts PATH [PATH ...] --out MODEL_DIR"""
import sys

from classifier.model.cli import main

if __name__ == "__main__":
    sys.exit(main())
