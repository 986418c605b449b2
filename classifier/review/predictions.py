"""Read a predictions JSONL file (one prediction dict per line, as ``predict.py --jsonl`` writes)."""
from __future__ import annotations

import json
from pathlib import Path


class PredictionsError(Exception):
    """The predictions file cannot be used at all (one line, names the file)."""


def read_predictions(path) -> tuple[list[dict], list[str]]:
    """``(predictions, warnings)``: usable dicts in file order, and one message per line skipped.

    Lines that are not JSON objects or have no ``id`` are skipped with a warning naming the line;
    documents whose ``status`` is ``error`` are skipped too (there is nothing to review yet).
    """
    path = Path(path)
    if not path.is_file():
        raise PredictionsError(f"{path}: no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PredictionsError(f"{path}: not UTF-8 text; expected the JSONL file predict.py --jsonl writes") from None
    except OSError as exc:
        raise PredictionsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    out, warnings, seen = [], [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            warnings.append(f"{path.name} line {number}: not valid JSON ({exc.msg}); skipped")
            continue
        if not isinstance(obj, dict) or not str(obj.get("id", "")).strip():
            warnings.append(f"{path.name} line {number}: not a prediction (no id); skipped")
            continue
        obj["id"] = str(obj["id"]).strip()
        if str(obj.get("status", "ok")) == "error":
            warnings.append(f"{path.name} line {number}: {obj['id']} has no prediction "
                            f"({obj.get('error') or 'error'}); skipped")
            continue
        if not any(k.startswith("p_role_") for k in obj):
            warnings.append(f"{path.name} line {number}: {obj['id']} has no probabilities; skipped")
            continue
        if obj["id"] in seen:
            warnings.append(f"{path.name} line {number}: {obj['id']} appears again; kept the first")
            continue
        seen.add(obj["id"])
        out.append(obj)
    if not out and not warnings:
        raise PredictionsError(f"{path}: empty; expected one prediction per line (predict.py --jsonl)")
    return out, warnings
