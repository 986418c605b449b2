"""Predictions workbook for people: one row per document, labels and confidences first, evidence
sentences in wrapped cells, frozen header, filters on every column.

openpyxl's write-only mode streams rows to a temporary file, so memory stays flat however long the
batch. A workbook is only valid once complete, so it is written beside the target and moved into
place when the batch ends: a killed run never leaves a damaged workbook (the CSV and JSONL hold the
rows finished so far). Every text cell is stored as text, never as a formula.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .columns import EVIDENCE_TASKS, cell_text, evidence_text

# (column, header, width)
LAYOUT = (
    ("id", "id", 24), ("title", "title", 50), ("peer_terms", "peer terms", 8), ("status", "status", 8),
    ("error", "error", 40),
    ("eligible", "eligible", 9), ("exclusion_reason", "exclusion reason", 16), ("p_eligible", "p eligible", 9),
    ("evidence_eligible", "evidence: eligibility", 70),
    ("role", "role", 15), ("role_confidence", "role confidence", 11),
    ("phases", "phases", 24), ("boundary_spanner", "boundary spanner", 11),
    ("p_boundary_spanner", "p boundary spanner", 11),
    ("evidence_role", "evidence: role", 70), ("evidence_phases", "evidence: phases", 70),
    ("evidence_boundary_spanner", "evidence: boundary spanner", 70),
    ("p_role_pre_determined", "p role pre_determined", 11), ("p_role_peer_support", "p role peer_support", 11),
    ("p_role_co_creation", "p role co_creation", 11),
    ("p_phase_commissioning", "p phase commissioning", 11), ("p_phase_design", "p phase design", 11),
    ("p_phase_delivery", "p phase delivery", 11), ("p_phase_assessment", "p phase assessment", 11),
    ("doi", "doi", 22), ("pages", "pages", 7), ("source", "source", 40),
)
COUNTS = ("pages", "peer_terms")  # whole numbers
MAX_CELL = 32767  # Excel's limit on characters in a cell
# characters XML 1.0 (so an .xlsx cell) cannot hold
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class XlsxWriter:
    def __init__(self, path: str | Path, sheet_title: str = "predictions"):
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        self.path = Path(path)
        self._wb = Workbook(write_only=True)
        self._ws = self._wb.create_sheet(sheet_title)
        self._ws.freeze_panes = "A2"
        for index, (_, _, width) in enumerate(LAYOUT, start=1):
            self._ws.column_dimensions[get_column_letter(index)].width = width
        self._rows = 0
        self._last_col = get_column_letter(len(LAYOUT))
        self._ws.append([self._cell(header, bold=True) for _, header, _ in LAYOUT])

    def _cell(self, value, bold: bool = False, wrap: bool = False):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font

        if isinstance(value, str):
            value = NOT_XML.sub("", value)  # control characters, U+FFFE ... from PDF text
        cell = WriteOnlyCell(self._ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        if bold:
            cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=wrap, vertical="top")
        return cell

    def write(self, row: dict) -> None:
        evidence = row.get("evidence") or {}
        cells = []
        for column, _, _ in LAYOUT:
            if column.startswith("evidence_"):
                value = evidence_text(evidence.get(column[len("evidence_"):]), MAX_CELL)
                cells.append(self._cell(value, wrap=True))
                continue
            value = row.get(column)
            if column.startswith("p_") or column.endswith("_confidence") or column in COUNTS:
                try:
                    value = None if value in (None, "") else float(value) if column not in COUNTS else int(value)
                except (TypeError, ValueError):
                    value = None
                cell = self._cell(value)
                if column not in COUNTS:
                    cell.number_format = "0.00"
                cells.append(cell)
                continue
            text = cell_text(value)[:MAX_CELL]
            cells.append(self._cell(text, wrap=column in ("title", "error", "source")))
        self._ws.append(cells)
        self._rows += 1

    def close(self) -> None:
        if self._wb is None:
            return
        self._ws.auto_filter.ref = f"A1:{self._last_col}{self._rows + 1}"
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
        os.close(fd)
        try:
            self._wb.save(tmp)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
            self._wb = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
