"""Predictions workbook for people: one row per document, labels and confidences first, evidence
sentences in wrapped cells, frozen header, filters on every column.

openpyxl's write-only mode streams rows to a temporary file, so memory stays flat however long the
batch. A workbook is only valid once complete, so it is written beside the target and moved into
place when the batch ends: a killed run never leaves a damaged workbook (the CSV and JSONL hold the
rows finished so far). Every text cell is stored as text, never as a formula.
"""
from __future__ import annotations

from pathlib import Path

from ..atomic import replacing
from .cells import xlsx_cell
from .columns import cell_text, evidence_text
from .stream import StreamWriter


def _layout() -> tuple[tuple[str, str, int], ...]:
    """(column, header, width): who and what first, then per task the label (with its confidence, or
    P(true) for a yes/no task) and the accept-unread status, then the evidence, the remaining
    probabilities, and the bibliographic facts."""
    from ..schema import tasks

    head = [("id", "id", 24), ("title", "title", 50), ("peer_terms", "peer terms", 8), ("status", "status", 8),
            ("error", "error", 40)]
    labels, evidence, probabilities = [], [], []
    for task in tasks().values():
        words = task.name.replace("_", " ")
        labels.append((task.name, words, 24 if task.kind == "multi" else 15))
        if task.kind == "single":
            labels.append((f"{task.name}_confidence", f"{words} confidence", 11))
        elif task.kind == "binary":
            labels.append((task.prob_column("true"), task.prob_column("true").replace("_", " "), 11))
        if task.reasons:   # screening: why a study is excluded
            labels.append(("exclusion_reason", "exclusion reason", 16))
        labels += [(c, c.replace("_", " "), 11) for c in task.decision_columns]
        evidence.append((f"evidence_{task.name}", f"evidence: {words}", 70))
        if task.kind != "binary":
            probabilities += [(c, f"{task.prob_prefix.replace('_', ' ')} {v}", 11)
                              for c, v in zip(task.prob_columns, task.values)]
    tail = [("doi", "doi", 22), ("pages", "pages", 7), ("ocr_pages", "pages read by OCR", 10),
            ("source", "source", 40),
            ("model_name", "model", 16), ("model_version", "model version", 20), ("model_hash", "model hash", 20),
            ("codebook_version", "codebook version", 9)]
    return tuple(head + labels + evidence + probabilities + tail)


LAYOUT = _layout()
COUNTS = ("pages", "peer_terms")  # whole numbers
MAX_CELL = 32767  # Excel's limit on characters in a cell


class XlsxWriter(StreamWriter):
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
        from openpyxl.styles import Alignment, Font

        # text stays text (never a formula); control characters, U+FFFE ... from PDF text dropped
        cell = xlsx_cell(self._ws, value)
        if bold:
            cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=wrap, vertical="top")
        return cell

    def write(self, row: dict) -> None:
        evidence = row.get("evidence") or {}
        cells = []
        for column, _, _ in LAYOUT:
            if column.startswith("evidence_"):
                task = column[len("evidence_"):]
                value = evidence_text(evidence.get(task), MAX_CELL, notes=(row.get("evidence_notes") or {}).get(task, ""))
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
        try:
            with replacing(self.path, suffix=".part") as tmp:
                self._wb.save(tmp)
        finally:
            self._wb = None
