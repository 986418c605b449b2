"""RIS writer: the charting back into a reference manager (Zotero, EndNote, Mendeley, Covidence,
Rayyan). One record per document, in input order, flushed as written: the predicted labels as
keywords (``KW  - role: peer_support``, one per value) and a note (``N1``) saying what the tool
suggested, how sure it was and which model made it; title, authors, year, journal and DOI when the
input record had them, so the reference manager can match the record to the one it holds.
"""
from __future__ import annotations

from pathlib import Path

from .columns import cell_text, label_keywords, label_note
from .stream import StreamWriter


def _clean(value) -> str:
    return " ".join(cell_text(value).split())


def ris_record(row: dict) -> str:
    lines = [("TY", "JOUR"), ("ID", row.get("id"))]
    lines.append(("TI", row.get("title")))
    for author in str(row.get("authors") or "").split(";"):
        lines.append(("AU", author))
    lines += [("PY", row.get("year")), ("T2", row.get("journal")), ("DO", row.get("doi"))]
    lines += [("KW", kw) for kw in label_keywords(row)]
    lines.append(("N1", label_note(row)))
    text = "".join(f"{tag}  - {_clean(value)}\r\n" for tag, value in lines if _clean(value))
    return text + "ER  - \r\n\r\n"


class RisWriter(StreamWriter):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._file = open(self.path, "w", encoding="utf-8", newline="")

    def write(self, row: dict) -> None:
        self._file.write(ris_record(row))  # one write per record: a kill never leaves half a record
        self._file.flush()
