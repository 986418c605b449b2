"""JSON Lines records: one object per line with ``title``, ``abstract`` and optional ``id``, ``doi``.

Read line by line from disk (``encoding.detect_encoding``: UTF-8 with or without a byte-order mark,
UTF-16, a Windows code page), split only at line ends (``\\n``, ``\\r\\n``), never at the U+2028 a JSON
string may hold. A line that is not a JSON object (damaged, nested too deeply to read, an array) is
an error Record naming its line; the lines after it are read as usual.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from .encoding import fix_surrogates, open_text
from .records import Record, RecordError, make_record


def read(path: Path) -> Iterator[Record]:
    with open_text(path) as handle:
        try:
            yield from _lines(path, handle)
        except (OSError, UnicodeError) as exc:
            raise RecordError(f"{path.name}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None


def _lines(path: Path, handle) -> Iterator[Record]:
    for number, line in enumerate(handle, start=1):
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        where = f"line {number}"
        bad = f"{path.stem}_line{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(id=bad, source=str(path), where=where,
                         error=f"{path.name} {where}: not valid JSON ({exc.msg})")
            continue
        except RecursionError:
            yield Record(id=bad, source=str(path), where=where,
                         error=f"{path.name} {where}: JSON nested too deeply to read")
            continue
        except ValueError as exc:  # e.g. a number with more digits than Python converts
            yield Record(id=bad, source=str(path), where=where,
                         error=f"{path.name} {where}: not valid JSON ({str(exc).splitlines()[0]})")
            continue
        if not isinstance(obj, dict):
            yield Record(id=bad, source=str(path), where=where,
                         error=f"{path.name} {where}: expected a JSON object")
            continue
        rec = make_record(obj, str(path), where, bad)
        for key in ("year", "journal", "authors"):
            value = obj.get(key)
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value if v not in (None, ""))
            if value not in (None, "") and not isinstance(value, dict):
                rec.extra[key] = fix_surrogates(value) if isinstance(value, str) else value
        yield rec
