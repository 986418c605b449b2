"""RIS exports (EndNote, Zotero, Mendeley, PubMed) parsed with rispy.

rispy maps the tags to names: TI -> title, T1 -> primary_title, AB -> abstract,
N2 -> notes_abstract, DO -> doi, ID -> id; ``records.make_record`` picks among them.
Records are numbered in file order ("record 3").
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .encoding import decode_bytes
from .records import Record, RecordError, make_record


def read(path: Path) -> Iterator[Record]:
    import rispy

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    text, _ = decode_bytes(raw)
    if not text.strip():
        raise RecordError(f"{path.name}: the file is empty")
    if "TY  -" not in text:
        raise RecordError(f"{path.name}: not a RIS file (no 'TY  -' record start)")
    try:
        entries = rispy.loads(text)
    except Exception as exc:  # rispy raises plain IOError/ParseError with multi-line text
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RecordError(f"{path.name}: not a readable RIS file ({first})") from None
    for number, entry in enumerate(entries, start=1):
        where = f"record {number}"
        row = dict(entry)
        rec = make_record(row, str(path), where, f"{path.stem}_record{number}")
        year = entry.get("year") or entry.get("publication_year")
        if year:
            rec.extra["year"] = str(year).split("/")[0]
        if entry.get("authors") or entry.get("first_authors"):
            rec.extra["authors"] = "; ".join(entry.get("authors") or entry.get("first_authors"))
        journal = entry.get("secondary_title") or entry.get("journal_name")
        if journal:
            rec.extra["journal"] = journal
        yield rec
