"""Predictions CSV writer: header first, then one row per document, flushed as it is written, so a
run that is killed leaves a valid file holding every row finished so far. Plain UTF-8; text that a
spreadsheet would run as a formula is written as text (``cells.csv_cell``)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .cells import csv_cell
from .columns import CSV_COLUMNS, cell_text
from .stream import StreamWriter


class CsvWriter(StreamWriter):
    def __init__(self, path: str | Path, columns=CSV_COLUMNS):
        self.path = Path(path)
        self.columns = tuple(columns)
        self._file = open(self.path, "w", encoding="utf-8", newline="")
        self._write_line(self.columns)

    def _write_line(self, cells) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(cells)
        self._file.write(buffer.getvalue())  # one write per row: a kill never leaves half a row
        self._file.flush()

    def write(self, row: dict) -> None:
        self._write_line([csv_cell(cell_text(row.get(c))) for c in self.columns])
