"""CSV and TSV exports (ASReview, Zotero, EndNote, Rayyan, Excel "Save as CSV").

Encoding sniffed (``encoding.decode_bytes``); delimiter is a tab for ``.tsv`` and, for ``.csv``,
whichever of comma, semicolon or tab the header line uses (European Excel writes semicolons).
Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
Entirely blank rows are skipped; a row with cells but no title and no abstract, or with more cells
than the header, is yielded as an error Record naming its row.
"""
from __future__ import annotations

import csv as _csv
from pathlib import Path
from typing import Iterator

from .encoding import detect_encoding
from .records import ABSTRACT_KEYS, TITLE_KEYS, Record, RecordError, make_record

_csv.field_size_limit(2**31 - 1)


def _delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read(path: Path) -> Iterator[Record]:
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
        encoding = detect_encoding(path)
    except OSError as exc:
        raise RecordError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    # many NUL bytes: a workbook or another binary file; one stray NUL is that row's problem only
    if head.count(b"\x00") > max(4, len(head) // 100) and not encoding.startswith("utf-16"):
        raise RecordError(f"{path.name}: not a text file (binary content)")
    # streamed from disk: a records file of any size is never held in memory whole
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        yield from _rows(path, handle)


class _Lines:
    """The file's lines for ``csv.reader``, remembering those of the row being read (to judge a row
    that runs over several lines) and able to go back to just after a row's first line."""

    def __init__(self, handle):
        self.handle = handle
        self.taken: list[str] = []
        self.replay: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.replay.pop(0) if self.replay else next(self.handle)
        self.taken.append(line)
        return line

    def start_row(self) -> None:
        self.taken = []

    def rewind_after_first(self) -> None:
        """Read again every line of the last row but its first (still ahead of what is unread)."""
        self.replay = self.taken[1:] + self.replay
        self.taken = []


def _broken_quotes(lines: list[str], delimiter: str) -> bool:
    """A row over several lines whose quotes do not pair up (a quote opened and never closed, or
    closed and followed by more text): it swallowed the rows after it."""
    try:
        for _ in _csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except _csv.Error:
        return True
    return False


def _rows(path: Path, handle) -> Iterator[Record]:
    first_line = handle.readline()
    if not first_line.strip() and not handle.read(1):
        raise RecordError(f"{path.name}: the file is empty")
    handle.seek(0)
    delimiter = _delimiter(first_line.lstrip("\ufeff"), path.suffix.lower())
    lines = _Lines(handle)
    reader = _csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except _csv.Error as exc:
        raise RecordError(f"{path.name}: cannot read the header row ({exc})") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    lowered = {h.lower() for h in header}
    if not any(k in lowered for k in TITLE_KEYS + ABSTRACT_KEYS):
        shown = ", ".join(h for h in header if h)[:200] or "none"
        raise RecordError(
            f"{path.name}: no title or abstract column in the header row (found: {shown})"
        )
    number = 1
    while True:
        lines.start_row()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _csv.Error as exc:
            cells, broken = None, str(exc)
        else:
            broken = ""
            if len(lines.taken) > 1 and _broken_quotes(lines.taken, delimiter):
                broken = "a quote (\") in this row is not closed where the cell ends"
        number += 1
        where = f"row {number}"
        if broken:
            # the row ran on over the lines after it: report it, then read those lines as rows
            yield Record(id=f"{path.stem}_row{number}", source=str(path), where=where,
                         error=f"{path.name} {where}: cannot parse ({broken}); the rows after it were read on their own")
            lines.rewind_after_first()
            reader = _csv.reader(lines, delimiter=delimiter)
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            yield Record(id=f"{path.stem}_row{number}", source=str(path), where=where,
                         error=(f"{path.name} {where}: {len(cells)} cells but the header has "
                                f"{len(header)} (an unquoted comma or a stray quote?)"))
            continue
        row = dict(zip(header, cells))
        yield make_record(row, str(path), where, f"{path.stem}_row{number}")
