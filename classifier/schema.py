"""The tasks and their values, read from ``data/schema.yml`` (one file shared by every stage)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Task:
    name: str
    kind: str  # "single", "multi" or "binary"
    values: tuple[str, ...]
    description: str = ""
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
    raw = yaml.safe_load(resources.files("classifier").joinpath("data/schema.yml").read_text("utf-8"))
    out = {}
    for name, spec in raw["tasks"].items():
        reasons = spec.get("reasons") or {}
        out[name] = Task(name, spec["kind"], tuple(str(v) for v in spec["values"]), spec.get("description", ""),
                         str(spec.get("stage", "charting")), tuple(str(r) for r in reasons),
                         tuple((str(k), str(v)) for k, v in reasons.items()))
    return out


def charting_tasks() -> dict[str, Task]:
    """The charting tasks (role, phases, boundary_spanner): what the charting model predicts."""
    return {k: t for k, t in tasks().items() if t.stage == "charting"}


def eligibility_task() -> Task:
    """The screening task (``eligible``) with its exclusion reasons."""
    for t in tasks().values():
        if t.stage == "screening":
            return t
    raise KeyError("schema.yml has no screening task")


TASK_NAMES = ("role", "phases", "boundary_spanner")
