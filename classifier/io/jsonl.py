"""JSON Lines records: one object per line with ``title``, ``abstract`` and optional ``id``, ``doi``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from .records import Record, RecordError, make_record


def read(path: Path) -> Iterator[Record]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path}: cannot read ({exc.strerror or exc})") from None
    text = raw.decode("utf-8-sig", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(id=f"{path.stem}_line{number}", source=str(path), where=where,
                         error=f"{path.name} {where}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield Record(id=f"{path.stem}_line{number}", source=str(path), where=where,
                         error=f"{path.name} {where}: expected a JSON object")
            continue
        rec = make_record(obj, str(path), where, f"{path.stem}_line{number}")
        for key in ("year", "journal", "authors"):
            if obj.get(key) not in (None, ""):
                rec.extra[key] = obj[key]
        yield rec
