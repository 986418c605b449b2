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
    return {
        name: Task(name, spec["kind"], tuple(str(v) for v in spec["values"]), spec.get("description", ""))
        for name, spec in raw["tasks"].items()
    }


TASK_NAMES = ("role", "phases", "boundary_spanner")


@lru_cache(maxsize=1)
def codebook() -> dict:
    """``{"version": str, "source": str}``: which codebook the tasks and values follow."""
    raw = yaml.safe_load(resources.files("classifier").joinpath("data/schema.yml").read_text("utf-8"))
    book = raw.get("codebook") or {}
    return {"version": str(book.get("version", "")), "source": str(book.get("source", ""))}


def codebook_version() -> str:
    return codebook()["version"]
