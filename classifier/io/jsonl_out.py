"""Predictions JSONL writer: one prediction dict (with evidence) per line, flushed per line.

Yes/no labels (the schema's binary tasks, e.g. ``boundary_spanner``) are JSON booleans here
(``true``/``false``, not strings); the CSV keeps the text ``true``/``false``."""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..schema import tasks
from .stream import StreamWriter


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


class JsonlWriter(StreamWriter):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._file = open(self.path, "w", encoding="utf-8", newline="\n")

    def write(self, row: dict) -> None:
        row = dict(row)
        for task in tasks().values():
            if task.kind == "binary" and isinstance(row.get(task.name), str) and row[task.name] in ("true", "false"):
                row[task.name] = row[task.name] == "true"
        self._file.write(json.dumps(_clean(row), ensure_ascii=False) + "\n")
        self._file.flush()
