"""Reading the CSV files the tool writes, as a spreadsheet would."""
from __future__ import annotations

import csv


def csv_rows(path) -> list[dict]:
    """Every row of a UTF-8 CSV file as a dict keyed by its header."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
