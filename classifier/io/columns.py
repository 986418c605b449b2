"""The columns of the predictions CSV (../shared/design.md), in order, and the cell formatting
shared by the writers."""
from __future__ import annotations

import math

# The columns design.md promises, in that order; then extras useful when sorting a spreadsheet.
PREDICTION_COLUMNS = (
    "id", "source", "status", "error",
    "role", "role_confidence", "p_role_pre_determined", "p_role_peer_support", "p_role_co_creation",
    "phases", "p_phase_commissioning", "p_phase_design", "p_phase_delivery", "p_phase_assessment",
    "boundary_spanner", "p_boundary_spanner",
)
# peer_terms: how often the text mentions peers or lived experience (features/topic.py); 0 = probably
# not a study of peer workers
EXTRA_COLUMNS = ("title", "doi", "pages", "peer_terms")
# The audit trail of each row: which model (name, version, SHA-256 of its file) under which codebook.
AUDIT_COLUMNS = ("model_name", "model_version", "model_hash", "codebook_version")
CSV_COLUMNS = PREDICTION_COLUMNS + EXTRA_COLUMNS + AUDIT_COLUMNS
EVIDENCE_TASKS = ("role", "phases", "boundary_spanner")


def is_probability_column(name: str) -> bool:
    return name.startswith("p_") or name.endswith("_confidence")


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


def evidence_text(items, limit: int = 32000) -> str:
    """Evidence sentences as a readable cell: one bullet per sentence, with its section."""
    lines = []
    for item in items or []:
        text = " ".join(str(item.get("text", "")).split())
        section = item.get("section", "")
        lines.append(f"\u2022 {text}" + (f" [{section}]" if section else ""))
    out = "\n".join(lines)
    return out if len(out) <= limit else out[: limit - 1] + "\u2026"


def label_keywords(row: dict) -> list[str]:
    """The predicted labels as reference-manager keywords, one per value: ``role: peer_support``,
    ``phases: design``, ``phases: delivery``, ``boundary_spanner: true`` (none for an error row)."""
    from ..schema import tasks

    if row.get("status") != "ok":
        return []
    out = []
    for name, task in tasks().items():
        cell = cell_text(row.get(name)).strip()
        if not cell:
            continue
        values = [v for v in cell.split(";") if v] if task.kind == "multi" else [cell]
        out += [f"{name}: {v}" for v in values]
    return out


def label_note(row: dict) -> str:
    """One line for a reference manager's note: what the tool suggested, how sure, from which model."""
    from .. import __version__
    from ..schema import tasks

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
            p = row.get(f"p_{name}")
            text = f"{name} {cell or 'unknown'}" + (f" (probability {float(p):.2f})" if p not in (None, "") else "")
        else:
            text = f"{name} {cell.replace(';', ', ') or 'none'}"
        status = row.get(f"{name}_status")
        if status:
            text += f" [{status}]"
        parts.append(text)
    codebook = f"; codebook {row['codebook_version']}" if row.get("codebook_version") else ""
    return (f"{made_by}{codebook}: suggested {'; '.join(parts)}. "
            f"Suggestions for a reviewer to check, not decisions.")
