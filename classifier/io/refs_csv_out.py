"""Reference-list CSV for screening tools that import CSV (Rayyan's columns: key, title, authors,
journal, year, ...; Covidence imports the RIS file): one row per document, in input order, with the
predicted labels in ``keywords`` (``role: peer_support; phases: delivery``), the tool's note in
``notes``, and the label cells themselves for a spreadsheet filter."""
from __future__ import annotations

from pathlib import Path

from ..schema import tasks
from .columns import cell_text, label_keywords, label_note
from .csv_out import CsvWriter

BIBLIOGRAPHIC = ("key", "title", "authors", "journal", "year", "doi", "keywords", "notes")


class RefsCsvWriter(CsvWriter):
    def __init__(self, path: str | Path):
        super().__init__(path, columns=BIBLIOGRAPHIC + tuple(tasks()))

    def write(self, row: dict) -> None:
        ok = row.get("status") == "ok"
        cells = {"key": row.get("id"), "title": row.get("title"), "authors": row.get("authors"),
                 "journal": row.get("journal"), "year": row.get("year"), "doi": row.get("doi"),
                 "keywords": "; ".join(label_keywords(row)), "notes": label_note(row)}
        cells.update({name: row.get(name) if ok else "" for name in tasks()})
        self._write_line([cell_text(cells.get(c)) for c in self.columns])
