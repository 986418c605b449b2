"""``annotations/labels.csv``: the one reader (format in ``../shared/design.md``).

A plain UTF-8 CSV (a byte-order mark is kept when written back), one row per study: ``id``, one column
per task (``schema.task_names()``), empty where unknown; any other column is kept as text, in order.

The file's *structure* is checked the same way for every caller (no ``id`` column, a column twice, an
id twice, an empty id, more cells than columns: :class:`LabelsError` naming the file and row). What a
task *cell* the schema refuses means depends on the caller, who chooses a policy:

- ``"raise"``: :class:`LabelsError` naming the row and column (``train``, ``evaluate``: a typo must not
  silently become "unknown" in a model);
- ``"keep"``: kept as typed (the label store: a person's cell is never lost or rewritten);
- ``"unknown"``: read as unknown, with one problem line per cell (the review page shows them).

Text a spreadsheet would run as a formula (an id or a note beginning with ``=``) is written with a
protective apostrophe and read back without it (``io.cells``).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..schema import label_fields, parse_field, task_names, tasks
from .cells import csv_cell, read_cell

BAD_CELL_POLICIES = ("raise", "keep", "unknown")


class LabelsError(Exception):
    """A labels file that cannot be used (one line naming the file, and the row and column when one is bad)."""


class LabelTable:
    """The labels file as written: ordered columns, rows as dicts of text, ``index``: id -> row.

    Each row read from the file keeps its raw text, and ``to_text`` writes every row whose cells did not
    change exactly as it was (quoting, line endings, trailing cells): a save changes the lines of the
    studies it changed, and the header only when it adds a column, so three decisions are a three-line
    change and a spreadsheet's own formatting survives. Changed and new rows are written with every
    column, in the file's line ending.
    """

    def __init__(self, columns: list[str], rows: list[dict], bom: bool = False, *, header_raw: str = "",
                 chunks: list | None = None, newline: str = "\n"):
        self.columns = columns
        self.rows = rows
        self.bom = bom
        self.index = {row["id"]: row for row in rows}
        self.given = tuple(columns)  # the columns the file itself has (before the task columns are added)
        self.header_raw = header_raw
        # the file after its header, in order: ("row", raw text, row) or ("blank", raw text, None)
        self.chunks = chunks if chunks is not None else [("row", "", row) for row in rows]
        self.newline = newline
        # task columns the file does not have, added by ``read_table`` so every reader sees every task:
        # written back only once some row has a value in them (a save adds no empty column)
        self.implied: set[str] = set()
        self._original = {row["id"]: dict(row) for row in rows}
        self.touched: set[str] = set()

    @classmethod
    def empty(cls) -> "LabelTable":
        return cls(["id", *task_names()], [])

    def ensure_column(self, name: str) -> None:
        if name not in self.columns:
            self.columns.append(name)
            for row in self.rows:
                row.setdefault(name, "")

    def touch(self, study_id: str) -> None:
        """Write this row out in full at the next save, even if no cell changed."""
        self.touched.add(study_id)

    def row(self, study_id: str) -> dict:
        """The row of ``study_id``, added (empty) when the file has none."""
        row = self.index.get(study_id)
        if row is None:
            row = {c: "" for c in self.columns}
            row["id"] = study_id
            self.rows.append(row)
            self.index[study_id] = row
            self.chunks.append(("row", "", row))
        return row

    def _line(self, cells) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator=self.newline).writerow([csv_cell(c) for c in cells])
        return buf.getvalue()

    def _changed(self, row: dict) -> bool:
        if row["id"] in self.touched:
            return True
        original = self._original.get(row["id"], {})
        return any((row.get(c) or "") != (original.get(c) or "") for c in self.columns)

    def written_columns(self) -> list[str]:
        """The columns ``to_text`` writes: all but the implied task columns no row has a value in."""
        return [c for c in self.columns
                if c not in self.implied or any((row.get(c) or "") for row in self.rows)]

    def to_text(self) -> str:
        columns = self.written_columns()
        keep_header = self.header_raw and tuple(columns) == self.given
        parts = [self.header_raw if keep_header else self._line(columns)]
        for kind, raw, row in self.chunks:
            text = raw if kind == "blank" or (raw and not self._changed(row)) else \
                self._line([row.get(c, "") or "" for c in columns])
            if not parts[-1].endswith(("\n", "\r")):
                parts[-1] += self.newline  # the old last line had no line ending
            parts.append(text)
        return ("\ufeff" if self.bom else "") + "".join(parts)


def _canonical_header(header: list[str]) -> list[str]:
    """Headers stripped; ``ID``, ``Role`` ... (the known columns, any case) as the schema spells them."""
    known = {name.lower(): name for name in ("id", *task_names())}
    return [known.get(h.strip().lower(), h.strip()) for h in header]


def _records(text: str):
    """``(cells, raw text)`` per CSV record, the raw text exactly as in the file (line endings included)."""
    consumed: list[str] = []

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    for cells in csv.reader(lines()):
        raw = "".join(consumed)
        consumed.clear()
        yield cells, raw


def read_table(path: str | Path) -> LabelTable:
    """The labels file's structure (cells as typed). A file that does not exist yet is an empty table."""
    path = Path(path)
    if not path.exists():
        return LabelTable.empty()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LabelsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LabelsError(f"{path}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'") from None
    bom = text.startswith("\ufeff")
    text = text.lstrip("\ufeff")
    if not text.strip():
        return LabelTable.empty()
    newline = "\r\n" if "\r\n" in text[:65536] else "\n"
    records = _records(text)
    try:
        cells, header_raw = next(records)
        header = _canonical_header(cells)
        body = list(records)
    except csv.Error as exc:
        raise LabelsError(f"{path}: not a readable CSV ({exc})") from None
    if "id" not in header:
        raise LabelsError(f"{path}: no 'id' column (columns: {', '.join(header)})")
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise LabelsError(f"{path}: column {dup[0]!r} appears twice")
    rows, seen, chunks = [], set(), []
    for number, (cells, raw_row) in enumerate(body, start=2):
        if not any(c.strip() for c in cells):
            chunks.append(("blank", raw_row, None))
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise LabelsError(f"{path} row {number}: more cells than columns")
        row = {h: (read_cell(cells[i]) if i < len(cells) else "") for i, h in enumerate(header)}
        row["id"] = row["id"].strip()
        if not row["id"]:
            raise LabelsError(f"{path} row {number}: empty id")
        if row["id"] in seen:
            raise LabelsError(f"{path} row {number}: id {row['id']!r} appears twice")
        seen.add(row["id"])
        rows.append(row)
        chunks.append(("row", raw_row, row))
    table = LabelTable(list(header), rows, bom, header_raw=header_raw, chunks=chunks, newline=newline)
    for name in task_names():
        if name not in table.columns:
            table.ensure_column(name)
            table.implied.add(name)
    return table


def parse_cell(task: str, cell, bad: str = "raise") -> str | None:
    """One task cell in canonical form, None when empty; a refused cell follows ``bad`` (ValueError for
    ``"raise"`` and ``"unknown"``, the caller reporting it; the cell as typed for ``"keep"``)."""
    try:
        return parse_field(task, cell)
    except ValueError:
        if bad == "keep":
            return str(cell).strip() or None
        raise


def task_cells(table: LabelTable, bad: str, where: str = "labels file") -> tuple[dict[str, dict], list[str]]:
    """``({id: {task: value or None}}, problems)`` under the ``bad`` policy (see the module docstring)."""
    if bad not in BAD_CELL_POLICIES:
        raise ValueError(f"bad-cell policy {bad!r} (choose from {', '.join(BAD_CELL_POLICIES)})")
    out, problems = {}, []
    for number, row in enumerate(table.rows, start=2):
        cells = {}
        for name in label_fields():
            try:
                cells[name] = parse_cell(name, row.get(name), bad)
            except ValueError as exc:
                if bad == "raise":
                    raise LabelsError(f"{where} row {number} column {name}: {exc}") from None
                cells[name] = None
                problems.append(f"{Path(where).name} row {number} ({row['id']}): {exc}")
        out[row["id"]] = cells
    return out, problems


def labels_frame(table: LabelTable, cells: dict[str, dict]):
    """A DataFrame indexed by ``id``: every column as text, the task columns as ``cells`` says (None = unknown)."""
    import pandas as pd

    ids = [row["id"] for row in table.rows]
    data = {c: pd.Series([row.get(c, "") or "" for row in table.rows], dtype=object) for c in table.columns}
    for name in label_fields():
        data[name] = pd.Series([cells[i].get(name) for i in ids], dtype=object)
    return pd.DataFrame(data, columns=table.columns).set_index("id")


def read_labels(path: str | Path, *, bad: str = "raise"):
    """The labels of an existing file as a DataFrame (``labels_frame``) for training and evaluation.

    Raises LabelsError when the file is missing, has no task column, or (``bad="raise"``) holds a cell
    the schema refuses."""
    path = Path(path)
    if not path.is_file():
        raise LabelsError(f"{path}: no such labels file")
    table = read_table(path)
    if not any(t in table.given for t in task_names()):
        raise LabelsError(f"{path}: no task column (expected some of {', '.join(task_names())})")
    cells, _ = task_cells(table, bad, str(path))
    return labels_frame(table, cells)


def labelled_ids(labels, names=None) -> set[str]:
    """Ids (``read_labels`` index) of the studies labelled for at least one of the tasks ``names``
    (default: every task, eligibility included)."""
    cols = [t for t in (names if names is not None else task_names()) if t in labels.columns]
    return set(labels.index[labels[cols].notna().any(axis=1)])
