"""RIS exports (EndNote, Zotero, Mendeley, PubMed): records cut at their ``TY``/``ER`` lines here, each
parsed with rispy on its own.

rispy maps the tags to names: TI -> title, T1 -> primary_title, AB -> abstract,
N2 -> notes_abstract, DO -> doi, ID -> id; ``records.make_record`` picks among them.
Records are numbered in file order ("record 3"). Parsing each record alone means one damaged record
is one error row (naming its record and line) while the others are read; a last record without its
``ER`` line is read all the same, and tag lines written with one space (``TI - ...``) are understood.
Tag lines outside any record (a record whose ``TY`` line is missing) are an error row too.
Web of Science plain-text exports (``PT J`` ... ``ER``; rispy's ``WokParser``) are read by the same
function with ``kind="wos"``; a ``.txt`` export is read here when ``records.sniff_txt`` recognises it,
and its records say so ("RIS record 3", "Web of Science record 3").
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from .encoding import decode_bytes, open_text
from .records import Record, RecordError, make_record

# "TI  - value", also "TI - value" and "TI  -" (empty value); tags are a capital and a capital or digit
_TAG = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*)|\s*)$")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            yield number, line.lstrip("\ufeff") if number == 1 else line


def _chunks(path: Path) -> Iterator[tuple[int, int, list[str] | None]]:
    """``(first line, last line, canonical lines)`` per record; lines None for stray tag lines
    outside any record."""
    current: list[str] | None = None
    start = last = 0
    stray: list[int] = []
    for number, line in _lines(path):
        match = _TAG.match(line)
        tag = match.group(1) if match else None
        if tag == "TY":
            if current is not None:  # a record without ER, followed by the next one
                yield start, last, current
            if stray:
                yield stray[0], stray[-1], None
                stray = []
            current, start = [], number
        if current is None:
            if tag and tag != "ER":
                stray.append(number)
            continue
        current.append(f"{tag}  - {match.group(2) or ''}" if match else line)
        last = number
        if tag == "ER":
            yield start, number, current
            current = None
    if current is not None:  # the last record has no ER line: read it all the same
        current.append("ER  - ")
        yield start, last, current
    if stray:
        yield stray[0], stray[-1], None


KIND_NAMES = {"ris": "RIS", "wos": "Web of Science"}


def read(path: Path, kind: str = "ris") -> Iterator[Record]:
    import rispy

    if kind == "wos":
        yield from _read_wos(path, rispy)
        return
    number = 0
    for first, last, lines in _chunks(path):
        if lines is None:
            span = f"line {first}" if first == last else f"lines {first}-{last}"
            yield Record(id=f"{path.stem}_line{first}", source=str(path), where=f"line {first}",
                         error=f"{path.name} {span}: tag lines outside any record (its 'TY  -' line is missing)")
            continue
        number += 1
        where = f"record {number}" if path.suffix.lower() == ".ris" else f"{KIND_NAMES[kind]} record {number}"
        try:
            entries = rispy.loads("\n".join(lines) + "\n")
        except Exception as exc:  # rispy raises assorted errors on odd records
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            yield Record(id=f"{path.stem}_record{number}", source=str(path), where=where,
                         error=f"{path.name} {where} (line {first}): cannot parse this record "
                               f"({type(exc).__name__}{': ' + text if text else ''})")
            continue
        if not entries:
            yield Record(id=f"{path.stem}_record{number}", source=str(path), where=where,
                         error=f"{path.name} {where} (line {first}): cannot parse this record")
            continue
        entry = entries[0]
        rec = make_record(dict(entry), str(path), where, f"{path.stem}_record{number}")
        _extras(rec, entry)
        yield rec
    if number == 0:
        blank = all(not line.strip() for _, line in _lines(path))
        raise RecordError(f"{path.name}: the file is empty" if blank
                          else f"{path.name}: not a RIS file (no 'TY  -' record start)")


def _extras(rec: Record, entry: dict) -> None:
    """Year, authors and journal, as the record's extra fields."""
    year = entry.get("year") or entry.get("publication_year")
    if year:
        rec.extra["year"] = str(year).split("/")[0]
    authors = entry.get("authors") or entry.get("first_authors")
    if authors:
        rec.extra["authors"] = "; ".join(authors) if isinstance(authors, list) else str(authors)
    journal = entry.get("secondary_title") or entry.get("journal_name")
    if journal:
        rec.extra["journal"] = journal


def _read_wos(path: Path, rispy) -> Iterator[Record]:
    """A Web of Science plain-text export, parsed whole by rispy's ``WokParser``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    text, _ = decode_bytes(raw)
    if not text.strip():
        raise RecordError(f"{path.name}: the file is empty")
    try:
        entries = rispy.loads(text.lstrip("\ufeff"), implementation=rispy.WokParser)
    except Exception as exc:  # rispy raises plain IOError/ParseError with multi-line text
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RecordError(f"{path.name}: not a readable RIS file ({first})") from None
    for number, entry in enumerate(entries, start=1):
        where = f"{KIND_NAMES['wos']} record {number}"
        row = dict(entry)
        row.setdefault("id", entry.get("accession_number") or "")
        row.setdefault("journal", entry.get("publication_name") or "")
        rec = make_record(row, str(path), where, f"{path.stem}_record{number}")
        _extras(rec, entry)
        yield rec
