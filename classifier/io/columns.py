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
CSV_COLUMNS = PREDICTION_COLUMNS + EXTRA_COLUMNS
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


KIND_WORDS = {"candidate": "closest, not explicit", "counter": "against"}


def evidence_where(item: dict) -> str:
    """"abstract", "abstract; design", "abstract; closest, not explicit", "abstract; cut off in the source"."""
    parts = [str(item.get("section") or "")]
    if item.get("label") and item.get("kind") != "counter":
        parts.append(str(item["label"]).replace("_", " "))
    kind = KIND_WORDS.get(str(item.get("kind") or ""))
    if kind:
        parts.append(f"{kind}: {str(item.get('label') or '').replace('_', ' ')}".rstrip(": ")
                     if item.get("kind") == "counter" else kind)
    if item.get("truncated"):
        parts.append("cut off in the source")
    return "; ".join(p for p in parts if p)


def evidence_text(items, limit: int = 32000, notes: str = "") -> str:
    """Evidence sentences as a readable cell: one bullet per sentence, with its section and kind; a
    sentence the source cut off ends in "\u2026"; ``notes`` (e.g. no explicit language found) last."""
    lines = []
    for item in items or []:
        text = " ".join(str(item.get("text", "")).split()) + ("\u2026" if item.get("truncated") else "")
        where = evidence_where(item)
        lines.append(f"\u2022 {text}" + (f" [{where}]" if where else ""))
    if notes:
        lines.append(f"({notes})")
    out = "\n".join(lines)
    return out if len(out) <= limit else out[: limit - 1] + "\u2026"
