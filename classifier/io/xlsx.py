"""Excel workbooks (.xlsx) read with openpyxl: the first sheet whose header row names a title or
abstract column. Rows are numbered as Excel shows them; blank rows are skipped."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Iterator

from .records import ABSTRACT_KEYS, TITLE_KEYS, Record, RecordError, make_record


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def read(path: Path) -> Iterator[Record]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        reason = "not an Excel .xlsx workbook" if not isinstance(exc, OSError) else f"cannot read ({exc})"
        raise RecordError(f"{path.name}: {reason}") from None
    except Exception as exc:  # openpyxl raises assorted errors on damaged workbooks
        raise RecordError(f"{path.name}: damaged workbook ({type(exc).__name__})") from None
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header, number = None, 0
            for cells in rows:
                number += 1
                if any(c not in (None, "") for c in cells):
                    header = [_cell(c).strip() for c in cells]
                    break
            if header is None:
                continue
            lowered = {h.lower() for h in header}
            if not any(k in lowered for k in TITLE_KEYS + ABSTRACT_KEYS):
                continue
            prefix = f"sheet {sheet.title!r} " if len(workbook.worksheets) > 1 else ""
            for cells in rows:
                number += 1
                values = [_cell(c) for c in cells]
                if not any(v.strip() for v in values):
                    continue
                where = f"{prefix}row {number}"
                row = dict(zip(header, values))
                yield make_record(row, str(path), where, f"{path.stem}_row{number}")
            return
        raise RecordError(f"{path.name}: no sheet has a title or abstract column in its header row")
    finally:
        workbook.close()
