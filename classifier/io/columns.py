"""The columns of the predictions CSV (../shared/design.md), in order, and the cell formatting
shared by the writers."""
from __future__ import annotations

import math

# The columns design.md promises, in that order; then extras useful when sorting a spreadsheet.
PREDICTION_COLUMNS = (
    "id", "source", "status", "error",
    # eligibility first (codebook inclusion criteria); exclusion_reason is empty when eligible
    "eligible", "p_eligible", "exclusion_reason",
    "role", "role_confidence", "p_role_pre_determined", "p_role_peer_support", "p_role_co_creation",
    "phases", "p_phase_commissioning", "p_phase_design", "p_phase_delivery", "p_phase_assessment",
    "boundary_spanner", "p_boundary_spanner",
)
# peer_terms: how often the text mentions peers or lived experience (features/topic.py); 0 = probably
# not a study of peer workers
EXTRA_COLUMNS = ("title", "doi", "pages", "peer_terms")
CSV_COLUMNS = PREDICTION_COLUMNS + EXTRA_COLUMNS
EVIDENCE_TASKS = ("role", "phases", "boundary_spanner", "eligible")


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
