"""The columns of the predictions CSV (../shared/design.md), in order, and the cell formatting
shared by the writers."""
from __future__ import annotations

import math

from ..schema import tasks


def _prediction_columns() -> tuple[str, ...]:
    """design.md's columns: id, source, status, error, then per charting task (schema order) the label, its
    confidence (single-valued tasks) and its probabilities; then the eligibility columns (``eligible``,
    ``p_eligible``, ``exclusion_reason``: design.md's planned additions, after the columns it promises
    in order); then per task the accept-unread columns."""
    charting = [t for t in tasks().values() if t.stage == "charting"]
    screening = [t for t in tasks().values() if t.stage != "charting"]
    design = tuple(c for task in (*charting, *screening) for c in task.output_columns)
    decisions = tuple(c for task in tasks().values() for c in task.decision_columns)
    return ("id", "source", "status", "error", *design, *decisions)


PREDICTION_COLUMNS = _prediction_columns()
# peer_terms: how often the text mentions peers or lived experience (features/topic.py); 0 = probably
# not a study of peer workers
# ocr_pages: the pages whose text was read by OCR (scanned pages), e.g. "1;2;3"; empty for none
EXTRA_COLUMNS = ("title", "doi", "pages", "ocr_pages", "peer_terms")
# The audit trail of each row: which model (name, version, SHA-256 of its file) under which codebook.
AUDIT_COLUMNS = ("model_name", "model_version", "model_hash", "codebook_version")
CSV_COLUMNS = PREDICTION_COLUMNS + EXTRA_COLUMNS + AUDIT_COLUMNS


def cell_text(value) -> str:
    """One CSV cell: '' for missing, 4 decimals for probabilities, true/false for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return " ".join(str(value).split()) if isinstance(value, str) and "\n" in value else str(value)


KIND_WORDS = {"candidate": "closest, not explicit", "counter": "against"}


def evidence_text(items, limit: int = 32000, notes: str = "") -> str:
    """Evidence sentences as a readable cell: one bullet per sentence, with its section, for a task with
    several values (phases) the values it backs (a sentence backing two values is shown once), and its
    kind when it only comes closest or argues for the runner-up role; a sentence the source cut off ends
    in "\u2026"; ``notes`` (e.g. no explicit language found) last."""
    order: list[str] = []
    where: dict[str, dict] = {}
    for item in items or []:
        text = " ".join(str(item.get("text", "")).split())
        if not text:
            continue
        label = str(item.get("label") or "").replace("_", " ")
        kind = str(item.get("kind") or "support")
        if text not in where:
            order.append(text)
            where[text] = {"section": str(item.get("section") or ""), "labels": [], "kind": kind,
                           "truncated": item.get("truncated") is True}
        if label and kind != "counter" and label not in where[text]["labels"]:
            where[text]["labels"].append(label)
        if kind == "counter":
            where[text]["counter"] = label
    lines = []
    for text in order:
        w = where[text]
        kind = KIND_WORDS.get(w["kind"], "")
        if w["kind"] == "counter" and w.get("counter"):
            kind = f"{kind}: {w['counter']}"
        tag = "; ".join(x for x in (w["section"], ", ".join(w["labels"]), kind,
                                    "cut off in the source" if w["truncated"] else "") if x)
        lines.append(f"\u2022 {text}" + ("\u2026" if w["truncated"] else "") + (f" [{tag}]" if tag else ""))
    if notes:
        lines.append(f"({notes})")
    out = "\n".join(lines)
    return out if len(out) <= limit else out[: limit - 1] + "\u2026"


def label_keywords(row: dict) -> list[str]:
    """The predicted labels as reference-manager keywords, one per value: ``role: peer_support``,
    ``phases: design``, ``phases: delivery``, ``boundary_spanner: true``; an excluded study also gets its
    reason (``eligible: false``, ``exclusion_reason: youth``) so a reference manager can group the
    exclusions by reason (none for an error row)."""
    from ..schema import REASON_COLUMN, tasks

    if row.get("status") != "ok":
        return []
    out = []
    for name, task in tasks().items():
        cell = cell_text(row.get(name)).strip()
        if not cell:
            continue
        values = [v for v in cell.split(";") if v] if task.kind == "multi" else [cell]
        out += [f"{name}: {v}" for v in values]
        reason = cell_text(row.get(REASON_COLUMN)).strip() if task.reasons else ""
        if reason and cell == "false":
            out.append(f"{REASON_COLUMN}: {reason}")
    return out


def label_note(row: dict) -> str:
    """One line for a reference manager's note: what the tool suggested (with the exclusion reason of an
    excluded study), how sure, from which model."""
    from .. import __version__
    from ..schema import REASON_COLUMN, tasks

    tool = f"peer-charting {__version__}"
    model = " ".join(cell_text(row.get(k)) for k in ("model_name", "model_version") if row.get(k))
    if row.get("model_hash"):
        model += f" ({str(row['model_hash'])[:12]})"
    made_by = f"{tool}, model {model}" if model else tool
    if row.get("status") != "ok":
        return f"{made_by}: could not chart this record ({cell_text(row.get('error')) or 'unknown error'})."
    parts = []
    for name, task in tasks().items():
        cell = cell_text(row.get(name)).strip()
        if task.kind == "single":
            conf = row.get(f"{name}_confidence")
            text = f"{name} {cell or 'none'}" + (f" (confidence {float(conf):.2f})" if conf not in (None, "") else "")
        elif task.kind == "binary":
            p = row.get(task.prob_columns[0])
            text = f"{name} {cell or 'unknown'}" + (f" (probability {float(p):.2f})" if p not in (None, "") else "")
            reason = cell_text(row.get(REASON_COLUMN)).strip() if task.reasons else ""
            if reason and cell == "false":
                text += f", exclusion reason {reason}"
        else:
            text = f"{name} {cell.replace(';', ', ') or 'none'}"
        status = row.get(f"{name}_status")
        if status:
            text += f" [{status}]"
        parts.append(text)
    codebook = f"; codebook {row['codebook_version']}" if row.get("codebook_version") else ""
    return (f"{made_by}{codebook}: suggested {'; '.join(parts)}. "
            f"Suggestions for a reviewer to check, not decisions.")
