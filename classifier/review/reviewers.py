"""Each reviewer's own charting, read back from the decision log beside the labels file.

The labels file holds one value per study and task (the agreed one); the log
(``labels.log.csv``) holds every decision with its reviewer, including the ones the store kept as
conflicts. A reviewer's label for a study and task is their last decision on it; decisions that
settle a disagreement (``resolve``/``consensus`` sources, dismissed conflicts) are not anyone's
independent charting and are left out.
"""
from __future__ import annotations

from ..schema import tasks

# Log sources that record a settlement, not a reviewer's own judgement.
SETTLEMENT_SOURCES = ("resolve", "consensus")
JUDGEMENT_OUTCOMES = ("applied", "unchanged", "conflict", "overwritten", "cleared")


def reviewer_labels(log_rows: list[dict]) -> dict[str, dict[str, dict[str, str | None]]]:
    """``{reviewer: {task: {study: canonical value or None}}}`` from the store's log rows, oldest first."""
    out: dict[str, dict[str, dict[str, str | None]]] = {}
    known = tasks()
    for row in log_rows:
        reviewer = (row.get("reviewer") or "").strip()
        task = row.get("task", "")
        if not reviewer or task not in known:
            continue
        if (row.get("source") or "").strip().lower() in SETTLEMENT_SOURCES:
            continue
        if row.get("outcome") not in JUDGEMENT_OUTCOMES:
            continue
        try:
            value = known[task].parse(row.get("new"))
        except ValueError:
            continue
        out.setdefault(reviewer, {}).setdefault(task, {})[row.get("study", "")] = value
    return out


def charted_by(labels: dict[str, dict[str, dict[str, str | None]]]) -> dict[str, set[str]]:
    """``{study: {reviewers who charted it (any task)}}``."""
    out: dict[str, set[str]] = {}
    for reviewer, per_task in labels.items():
        for cells in per_task.values():
            for study, value in cells.items():
                if value is not None:
                    out.setdefault(study, set()).add(reviewer)
    return out
