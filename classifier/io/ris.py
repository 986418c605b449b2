"""RIS exports (EndNote, Zotero, Mendeley, PubMed) parsed with rispy.

rispy maps the tags to names: TI -> title, T1 -> primary_title, AB -> abstract,
N2 -> notes_abstract, DO -> doi, ID -> id; ``records.make_record`` picks among them.
Records are numbered in file order ("record 3"). Web of Science plain-text exports (``PT J`` ...
``ER``; rispy's ``WokParser``) are read by the same function with ``kind="wos"``; a ``.txt`` export is
read here when ``records.sniff_txt`` recognises it, and its records say so ("RIS record 3",
"Web of Science record 3").
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .encoding import decode_bytes
from .records import Record, RecordError, make_record


KIND_NAMES = {"ris": "RIS", "wos": "Web of Science"}


def read(path: Path, kind: str = "ris") -> Iterator[Record]:
    import rispy

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    text, _ = decode_bytes(raw)
    if not text.strip():
        raise RecordError(f"{path.name}: the file is empty")
    if kind == "ris" and "TY  -" not in text:
        raise RecordError(f"{path.name}: not a RIS file (no 'TY  -' record start)")
    try:
        if kind == "wos":
            entries = rispy.loads(text.lstrip("\ufeff"), implementation=rispy.WokParser)
        else:
            entries = rispy.loads(text)
    except Exception as exc:  # rispy raises plain IOError/ParseError with multi-line text
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RecordError(f"{path.name}: not a readable RIS file ({first})") from None
    for number, entry in enumerate(entries, start=1):
        where = f"record {number}" if path.suffix.lower() == ".ris" else f"{KIND_NAMES[kind]} record {number}"
        row = dict(entry)
        if kind == "wos":
            row.setdefault("id", entry.get("accession_number") or "")
            row.setdefault("journal", entry.get("publication_name") or "")
        rec = make_record(row, str(path), where, f"{path.stem}_record{number}")
        year = entry.get("year") or entry.get("publication_year")
        if year:
            rec.extra["year"] = str(year).split("/")[0]
        authors = entry.get("authors") or entry.get("first_authors")
        if authors:
            rec.extra["authors"] = "; ".join(authors) if isinstance(authors, list) else str(authors)
        journal = entry.get("secondary_title") or entry.get("journal_name")
        if journal:
            rec.extra["journal"] = journal
        yield rec
