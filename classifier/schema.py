"""The tasks and their values, read from ``data/schema.yml`` (one file shared by every stage).

Every list of tasks, values or probability columns elsewhere is derived from here:
``task_names()``, ``tasks()[name].values``, ``Task.prob_columns``, ``Task.targets``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


REASON_COLUMN = "exclusion_reason"   # why a study is not eligible (a column like the tasks)


@dataclass(frozen=True)
class Task:
    name: str
    kind: str  # "single", "multi" or "binary"
    values: tuple[str, ...]
    description: str = ""
    prob_prefix: str = ""
    stage: str = "charting"   # "screening" for eligibility (decided first), else "charting"
    reasons: tuple[str, ...] = ()   # eligibility: the exclusion reasons (values of `exclusion_reason`)
    reason_text: tuple[tuple[str, str], ...] = ()   # (reason, what it means), for people

    def describe_reason(self, reason: str) -> str:
        return dict(self.reason_text).get(reason, reason)

    def parse_reason(self, cell) -> str | None:
        """Validate an exclusion reason cell: canonical reason, or None when empty."""
        if cell is None:
            return None
        text = str(cell).strip().lower().replace(" ", "_").replace("-", "_")
        if text in ("", "nan"):
            return None
        if text not in self.reasons:
            raise ValueError(f"{cell!r} is not an exclusion reason (allowed: {', '.join(self.reasons)})")
        return text

    @property
    def prob_columns(self) -> tuple[str, ...]:
        """The probability columns of the predictions: one per value (single, multi); P(true) (binary)."""
        if self.kind == "binary":
            return (self.prob_prefix,)
        return tuple(f"{self.prob_prefix}_{v}" for v in self.values)

    def prob_column(self, value: str) -> str:
        """The probability column of one value (binary: only ``"true"`` has one)."""
        if value not in self.values or (self.kind == "binary" and value != "true"):
            raise KeyError(f"{self.name} has no probability column for {value!r}")
        return self.prob_prefix if self.kind == "binary" else f"{self.prob_prefix}_{value}"

    @property
    def targets(self) -> tuple[str, ...]:
        """The per-estimator targets: the task itself (single, binary), or one binary target per value (multi)."""
        if self.kind != "multi":
            return (self.name,)
        stem = self.prob_prefix[2:] if self.prob_prefix.startswith("p_") else self.prob_prefix
        return tuple(f"{stem}_{v}" for v in self.values)

    @property
    def output_columns(self) -> tuple[str, ...]:
        """This task's design columns of the predictions: label, confidence (single), probabilities."""
        reason = (REASON_COLUMN,) if self.reasons else ()   # screening: why a study is excluded
        return (self.name, *((f"{self.name}_confidence",) if self.kind == "single" else ()), *self.prob_columns, *reason)

    @property
    def decision_columns(self) -> tuple[str, ...]:
        """The accept-unread columns: ``<task>_status``, and ``<task>_set`` where a set can hold several values
        (none for screening: eligibility is itself what decides whether the charting labels are read)."""
        if self.stage == "screening":
            return ()
        return (f"{self.name}_status", *((f"{self.name}_set",) if self.kind != "binary" else ()))

    def parse(self, cell) -> str | None:
        """Validate one spreadsheet cell; return its canonical form, or None when empty (unknown).

        Raises ValueError with a message naming the bad value and the allowed ones.
        """
        if cell is None:
            return None
        text = str(cell).strip()
        if text == "" or text.lower() == "nan":
            return None
        if self.kind == "binary":
            low = text.lower()
            if low in ("true", "yes", "1", "explicit"):
                return "true"
            if low in ("false", "no", "0", "implicit", "absent"):
                return "false"
            raise ValueError(f"{text!r} is not a {self.name} value (use true or false)")
        parts = [p.strip().lower().replace(" ", "_").replace("-", "_") for p in text.split(";")]
        parts = [p for p in parts if p]
        bad = [p for p in parts if p not in self.values]
        if bad:
            raise ValueError(
                f"{text!r} is not a {self.name} value (allowed: {', '.join(self.values)})"
            )
        if self.kind == "single":
            if len(parts) != 1:
                raise ValueError(f"{text!r}: {self.name} takes exactly one value")
            return parts[0]
        # multi: canonical order, no duplicates
        return ";".join(v for v in self.values if v in parts)


@lru_cache(maxsize=1)
def tasks() -> dict[str, Task]:
    """The tasks in schema order (read once)."""
    raw = yaml.safe_load(resources.files("classifier").joinpath("data/schema.yml").read_text("utf-8"))
    out = {}
    for name, spec in raw["tasks"].items():
        reasons = spec.get("reasons") or {}
        out[name] = Task(name, spec["kind"], tuple(str(v) for v in spec["values"]), spec.get("description", ""),
                         spec.get("prob_prefix") or f"p_{name}", str(spec.get("stage", "charting")),
                         tuple(str(r) for r in reasons), tuple((str(k), str(v)) for k, v in reasons.items()))
    return out


def charting_tasks() -> dict[str, Task]:
    """The charting tasks (role, phases, boundary_spanner): what the charting model predicts."""
    return {k: t for k, t in tasks().items() if t.stage == "charting"}


def charting_task_names() -> tuple[str, ...]:
    return tuple(charting_tasks())


def eligibility_task() -> Task:
    """The screening task (``eligible``) with its exclusion reasons."""
    for t in tasks().values():
        if t.stage == "screening":
            return t
    raise KeyError("schema.yml has no screening task")


@lru_cache(maxsize=1)
def task_names() -> tuple[str, ...]:
    """The task names in schema order (the label columns of annotations/labels.csv)."""
    return tuple(tasks())


@lru_cache(maxsize=1)
def codebook() -> dict:
    """``{"version": str, "source": str}``: which codebook the tasks and values follow."""
    raw = yaml.safe_load(resources.files("classifier").joinpath("data/schema.yml").read_text("utf-8"))
    book = raw.get("codebook") or {}
    return {"version": str(book.get("version", "")), "source": str(book.get("source", ""))}


def codebook_version() -> str:
    return codebook()["version"]
def label_fields() -> tuple[str, ...]:
    """The columns of annotations/labels.csv read and written like tasks: the tasks, and the exclusion
    reason that goes with ``eligible = false``."""
    return (*task_names(), REASON_COLUMN)


def parse_field(name: str, cell) -> str | None:
    """A task cell (``Task.parse``) or an exclusion reason (``Task.parse_reason``) in canonical form."""
    if name == REASON_COLUMN:
        return eligibility_task().parse_reason(cell)
    return tasks()[name].parse(cell)
