"""The predictions JSONL that ``predict.py --jsonl`` writes (one prediction dict per line), read back.

One reader for every consumer (``review``, ``serve``): a bad line never costs the others, it is
skipped with a one-line message naming the line; a file that cannot be used at all raises
:class:`PredictionsError`. :func:`reviewable` says which predictions there is anything to review in
(the terminal, the exported queue and the web page's count agree on it); :class:`PredictionSet` is the
file as the review page holds it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..schema import eligibility_task, task_names, tasks
from .encoding import fix_surrogates


class PredictionsError(Exception):
    """A predictions file that cannot be used at all (one line, names the file)."""


def as_number(value) -> float | None:
    """A finite float, or None (missing, text, NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


OFF_TOPIC_NOTE = ("never mentions peers, peer workers or lived experience (peer_terms = 0): probably not "
                  "a study of peer workers")


def off_topic(pred: dict) -> bool:
    """The text never mentions peers (``peer_terms`` is 0; unknown counts are not off topic)."""
    return pred.get("status") == "ok" and pred.get("peer_terms") == 0


def clean_prediction(obj: dict) -> dict:
    """Normalise one prediction dict: canonical label cells, float probabilities, evidence lists."""
    pred = dict(obj)
    pred["id"] = fix_surrogates(str(pred.get("id", "")).strip())
    pred["title"] = fix_surrogates(str(pred.get("title") or ""))
    pred["source"] = fix_surrogates(str(pred.get("source") or ""))
    pred["status"] = str(pred.get("status") or "ok")
    pred["error"] = fix_surrogates(str(pred.get("error") or ""))
    for name, task in tasks().items():
        try:
            pred[name] = task.parse(pred.get(name))
        except ValueError:
            pred[name] = None
    for key, value in list(pred.items()):
        if key.startswith("p_") or key.endswith("_confidence"):
            pred[key] = as_number(value)
    try:  # why the model judged the study not eligible ("" when eligible or not assessed)
        pred["exclusion_reason"] = eligibility_task().parse_reason(pred.get("exclusion_reason")) or ""
    except ValueError:
        pred["exclusion_reason"] = str(pred.get("exclusion_reason") or "")
    terms = as_number(pred.get("peer_terms"))  # mentions of peers (predict.py); None when not given
    pred["peer_terms"] = int(terms) if terms is not None else None
    evidence = pred.get("evidence")
    if not isinstance(evidence, dict):
        evidence = {}
    clean = {}
    for name in task_names():
        rows = evidence.get(name) or []
        good = []
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and str(row.get("text") or "").strip():
                good.append({
                    "text": fix_surrogates(str(row["text"])),
                    "section": fix_surrogates(str(row.get("section") or "")),
                    "start": row.get("start") if isinstance(row.get("start"), int) else None,
                    "end": row.get("end") if isinstance(row.get("end"), int) else None,
                    "score": as_number(row.get("score")),
                    "kind": str(row.get("kind") or "support"),
                    "label": str(row.get("label") or ""),
                    "truncated": row.get("truncated") is True,
                })
        clean[name] = good
    pred["evidence"] = clean
    notes = pred.get("evidence_notes")
    pred["evidence_notes"] = ({str(k): str(v) for k, v in notes.items() if k in task_names() and v}
                              if isinstance(notes, dict) else {})
    return pred


def read_predictions(path: str | Path) -> tuple[list[dict], list[str]]:
    """``(predictions, problems)``: cleaned prediction dicts in file order (first of each id), and one
    message per line skipped. Raises PredictionsError when the file cannot be read or holds none."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PredictionsError(f"{path}: no such file (write one with predict.py --jsonl)") from None
    except IsADirectoryError:
        raise PredictionsError(f"{path}: is a directory, expected a predictions .jsonl file") from None
    except OSError as exc:
        raise PredictionsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    text = raw.decode("utf-8-sig", errors="replace")
    items: list[dict] = []
    problems: list[str] = []
    seen: set[str] = set()
    # lines end at \n only: a title may hold U+2028 (the writer keeps it as is), which splitlines() cuts at
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name} line {number}: not valid JSON ({exc.msg}); skipped")
            continue
        except RecursionError:
            problems.append(f"{path.name} line {number}: JSON nested too deeply to read; skipped")
            continue
        except ValueError as exc:  # e.g. an integer with more digits than Python converts
            problems.append(f"{path.name} line {number}: not valid JSON ({str(exc).splitlines()[0]}); skipped")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{path.name} line {number}: expected a JSON object; skipped")
            continue
        pred = clean_prediction(obj)
        if not pred["id"]:
            problems.append(f"{path.name} line {number}: no id; skipped")
            continue
        if pred["id"] in seen:
            problems.append(f"{path.name} line {number}: id {pred['id']!r} appears again; first one kept")
            continue
        seen.add(pred["id"])
        items.append(pred)
    if not items:
        if problems:
            raise PredictionsError(f"{path}: no usable predictions ({problems[0]})")
        raise PredictionsError(f"{path}: empty (no predictions; write them with predict.py --jsonl)")
    return items, problems


def reviewable(pred: dict) -> bool:
    """A prediction there is something to review in: labelled (``status`` ok) with probabilities."""
    if pred.get("status") == "error":
        return False
    return any(pred.get(c) is not None for task in tasks().values() for c in task.prob_columns)


def read_reviewable(path: str | Path) -> tuple[list[dict], list[str]]:
    """``(predictions, warnings)``: the reviewable dicts in file order, and one message per line skipped
    (by the reader, or because there is nothing to review in it)."""
    items, warnings = read_predictions(path)
    name = Path(path).name
    out = []
    for obj in items:
        if reviewable(obj):
            out.append(obj)
        elif obj.get("status") == "error":
            warnings.append(f"{name}: {obj['id']} has no prediction ({obj.get('error') or 'error'}); skipped")
        else:
            warnings.append(f"{name}: {obj['id']} has no probabilities; skipped")
    return out, warnings


@dataclass
class PredictionSet:
    """Every prediction of a file (those that failed too, to say why), keyed by id, and the lines skipped."""
    path: Path
    items: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id = {p["id"]: p for p in self.items}

    def get(self, study_id: str) -> dict | None:
        return self.by_id.get(study_id)

    def __len__(self) -> int:
        return len(self.items)


def load_predictions(path: str | Path) -> PredictionSet:
    items, problems = read_predictions(path)
    return PredictionSet(Path(path), items, problems)
