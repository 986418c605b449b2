"""Reading ``annotations/labels.csv`` (format in ``../shared/design.md``) with clear errors."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..schema import tasks


class LabelsError(Exception):
    """A labels file that cannot be used (one-line message naming the file, row and column)."""


def read_labels(path) -> pd.DataFrame:
    """Labels indexed by id; task cells canonical (``Task.parse``) or None; other columns kept as text."""
    path = Path(path)
    if not path.is_file():
        raise LabelsError(f"{path}: no such labels file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LabelsError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    cols = {c.strip().lower(): c for c in frame.columns}
    if "id" not in cols:
        raise LabelsError(f"{path}: no 'id' column")
    frame = frame.rename(columns={v: k for k, v in cols.items()})
    T = tasks()
    if not any(t in frame.columns for t in T):
        raise LabelsError(f"{path}: no task column (expected some of {', '.join(T)})")
    for task in T:
        if task not in frame.columns:
            continue
        values = []
        for i, cell in enumerate(frame[task], start=2):
            try:
                values.append(T[task].parse(cell))
            except ValueError as exc:
                raise LabelsError(f"{path} row {i} column {task}: {exc}") from None
        frame[task] = pd.Series(values, index=frame.index, dtype=object)
    if "exclusion_reason" in frame.columns:
        screening = [t for t in T.values() if t.stage == "screening"]
        if screening:
            values = []
            for i, cell in enumerate(frame["exclusion_reason"], start=2):
                try:
                    values.append(screening[0].parse_reason(cell))
                except ValueError as exc:
                    raise LabelsError(f"{path} row {i} column exclusion_reason: {exc}") from None
            frame["exclusion_reason"] = pd.Series(values, index=frame.index, dtype=object)
    frame["id"] = frame["id"].str.strip()
    frame = frame[frame["id"] != ""]
    return frame.drop_duplicates("id", keep="last").set_index("id")


def labelled_ids(labels: pd.DataFrame, task_names=None) -> set[str]:
    """Ids (``read_labels`` index) of the studies labelled for at least one of ``task_names`` (default:
    every task of the schema, eligibility included)."""
    cols = [t for t in (task_names if task_names is not None else tasks()) if t in labels.columns]
    return set(labels.index[labels[cols].notna().any(axis=1)])
