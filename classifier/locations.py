"""Where the shipped model lives, for every kind of install (light: no scikit-learn import).

- ``$PEER_CHARTING_MODEL``, when set: that model directory (or ``.skops`` file).
- A clone of the repository (run in place, or installed with ``pip install -e .``): ``models/peer-charting``
  at the top of the repository, the one ``train.py --out models/peer-charting`` writes.
- ``pip install .`` (a wheel, e.g. on Dask worker machines): the same files, copied into the package as
  ``classifier/data/model`` when the wheel is built (``setup.py``).
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPOSITORY_MODEL = PACKAGE.parent / "models" / "peer-charting"
PACKAGED_MODEL = PACKAGE / "data" / "model"
MODEL_FILE = "model.skops"


def shipped_model_path() -> Path:
    """The shipped model: the repository's ``models/peer-charting`` when this package runs from a clone,
    else the copy packaged into the wheel (which may be missing if the wheel was built without it)."""
    if (REPOSITORY_MODEL / MODEL_FILE).is_file():
        return REPOSITORY_MODEL
    return PACKAGED_MODEL


def default_model_path() -> Path:
    """The model used without ``--model``: ``$PEER_CHARTING_MODEL``, else the shipped model."""
    env = os.environ.get("PEER_CHARTING_MODEL")
    return Path(env) if env else shipped_model_path()


def missing_model_message(path: Path) -> str:
    """One line for a model that is not where it should be."""
    if os.environ.get("PEER_CHARTING_MODEL"):
        return f"no model at {path} ($PEER_CHARTING_MODEL names it; train one with train.py, or unset it)"
    return (f"the shipped model is missing (looked in {REPOSITORY_MODEL} and {PACKAGED_MODEL}): install from a "
            f"clone of the repository ('pip install .' there copies it into the package), set "
            f"PEER_CHARTING_MODEL=DIR, or pass --model DIR")
