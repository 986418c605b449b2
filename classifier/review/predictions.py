"""The predictions worth reviewing, from a predictions JSONL file (``predict.py --jsonl``)."""
from __future__ import annotations

from pathlib import Path

from ..io.predictions import PredictionsError, read_predictions as _read_all

__all__ = ["PredictionsError", "read_predictions"]


def read_predictions(path) -> tuple[list[dict], list[str]]:
    """``(predictions, warnings)``: usable dicts in file order, and one message per line skipped.

    Besides the lines the shared reader skips, documents whose ``status`` is ``error`` (nothing to
    review yet) and predictions without probabilities are skipped with a message.
    """
    items, warnings = _read_all(path)
    name = Path(path).name
    out = []
    for obj in items:
        if obj.get("status") == "error":
            warnings.append(f"{name}: {obj['id']} has no prediction ({obj.get('error') or 'error'}); skipped")
        elif not any(k.startswith("p_role_") and obj[k] is not None for k in obj):
            warnings.append(f"{name}: {obj['id']} has no probabilities; skipped")
        else:
            out.append(obj)
    return out, warnings
