"""The review queue as a spreadsheet: export (CSV with BOM, or .xlsx) and validated import.

A queue row carries what the model says (``predicted_*`` columns, confidences, evidence sentences
with their section) and empty columns for the reviewer, named as in ``annotations/labels.csv``:
``eligible`` and ``exclusion_reason`` first, then ``role``, ``phases``, ``boundary_spanner``, plus ``reviewer``
and ``note`` (an exclusion reason alone means "exclude, reason X"). Import reads only those
reviewer columns and ``id``; every filled cell is checked against the label schema, and one bad cell
refuses the whole file (nothing is written) with a message naming its row and column.
"""
from __future__ import annotations

import csv
import getpass
import io
from pathlib import Path

from ..atomic import write_atomic
from ..io.cells import csv_cell, read_cell, set_xlsx_cell
from ..io.columns import KIND_WORDS
from ..schema import REASON_COLUMN, eligibility_task, parse_field, task_names, tasks
from ..io.predictions import as_number
from ..schema import task_names, tasks
from .store import Decision
from .strategies import DOUBTFUL_NOTE, doubtful_evidence

# the reviewer's columns, as in annotations/labels.csv; the exclusion reason right after `eligible`
# ("exclude, reason X": a reason alone excludes the study)
REVIEWER_FIELDS = tuple(c for name in task_names()
                        for c in ((name, REASON_COLUMN) if tasks()[name].reasons else (name,)))
REVIEWER_COLUMNS = (*REVIEWER_FIELDS, "reviewer", "note")
EVIDENCE_PER_TASK = 3


class QueueError(Exception):
    """A queue file that cannot be imported; ``messages`` holds one line per problem."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__(self.messages[0] if self.messages else "queue file refused")


def _fmt(x) -> str:
    try:
        return f"{float(x):.2f}"
    except (TypeError, ValueError):
        return ""


def evidence_text(prediction: dict, task: str, limit: int = EVIDENCE_PER_TASK) -> str:
    """Evidence sentences for one task, one per line, each prefixed with its section (and its kind when it
    is only the closest candidate or counter-evidence); the task's note (no explicit language found) last."""
    items = (prediction.get("evidence") or {}).get(task) or []
    lines: list[str] = []
    seen: dict[str, int] = {}
    for item in items:
        if isinstance(item, dict):
            text = " ".join(str(item.get("text", "")).split()) + ("\u2026" if item.get("truncated") else "")
            where = str(item.get("section") or "text")
            kind = KIND_WORDS.get(str(item.get("kind") or ""))
            if kind:
                where += f", {kind}"
            if item.get("truncated"):
                where += ", cut off in the source"
            label = str(item.get("label") or "")
        else:
            text, where, label = " ".join(str(item or "").split()), "text", ""
        if not text:
            continue
        if text in seen:  # the same sentence backing a second phase: name both, show it once
            if label and label not in lines[seen[text]].split("] ", 1)[0]:
                head, rest = lines[seen[text]].split("] ", 1)
                lines[seen[text]] = f"{head}, {label}] {rest}"
            continue
        if len(lines) >= limit and not (isinstance(item, dict) and item.get("kind") == "counter"):
            continue  # (the counter-evidence sentence is always shown)
        seen[text] = len(lines)
        lines.append(f"[{where}{': ' + label if label else ''}] {text}")
    note = (prediction.get("evidence_notes") or {}).get(task)
    if note:
        lines.append(f"({note})")
    return "\n".join(lines)


def predicted_summary(prediction: dict) -> dict:
    """The model's labels (text), confidences (numbers; None when unknown) and probabilities (readable
    text), per task: ``predicted_<task>``; ``<task>_confidence`` (the probability of the label shown) for
    one-of and yes/no tasks; ``<task>_probabilities`` (``value p; ...``) for one-of and any-of tasks."""
    out: dict = {}
    for task in tasks().values():
        label = str(prediction.get(task.name, "") or "")
        out[f"predicted_{task.name}"] = label
        if task.reasons:
            out[f"predicted_{REASON_COLUMN}"] = str(prediction.get(REASON_COLUMN, "") or "")
        if task.kind == "single":
            out[f"{task.name}_confidence"] = as_number(prediction.get(f"{task.name}_confidence"))
        elif task.kind == "binary":
            p_true = as_number(prediction.get(task.prob_column("true")))
            out[f"{task.name}_confidence"] = (None if p_true is None or label not in task.values
                                              else p_true if label == "true" else 1.0 - p_true)
        if task.kind != "binary":
            out[f"{task.name}_probabilities"] = "; ".join(
                f"{v} {_fmt(prediction.get(task.prob_column(v)))}" for v in task.values)
    return out


def _summary_columns() -> tuple[str, ...]:
    return tuple(predicted_summary({}))


PREDICTION_COLUMNS = _summary_columns()
EVIDENCE_COLUMNS = tuple(f"{t}_evidence" for t in task_names())
# peer_terms: 0 = the text never mentions peers (probably not a study of peer workers): check it first
QUEUE_COLUMNS = ("rank", "id", "title", "source", "priority", "peer_terms", *PREDICTION_COLUMNS,
                 *EVIDENCE_COLUMNS, "evidence_check", *REVIEWER_COLUMNS)
NUMBER_COLUMNS = frozenset(c for c in QUEUE_COLUMNS if c in ("rank", "priority", "peer_terms")
                           or c.endswith("_confidence"))


def queue_rows(predictions: list[dict], ranked: list[tuple[int, float]], strategy: str) -> list[dict]:
    """One row per ranked prediction; numbers stay numbers (the writers format them)."""
    rows = []
    for rank, (i, score) in enumerate(ranked, start=1):
        p = predictions[i]
        terms = as_number(p.get("peer_terms"))
        row = {"rank": rank, "id": p["id"], "title": " ".join(str(p.get("title", "") or "").split()),
               "source": str(p.get("source", "") or ""), "priority": round(float(score), 3),
               "peer_terms": int(terms) if terms is not None else None}
        row.update(predicted_summary(p))
        for task in task_names():
            row[f"{task}_evidence"] = evidence_text(p, task)
        row["evidence_check"] = DOUBTFUL_NOTE if doubtful_evidence(p) else ""
        row.update({c: "" for c in REVIEWER_COLUMNS})
        rows.append(row)
    return rows


def _csv_cell(column: str, value) -> str:
    if value is None:
        return ""
    if column in ("priority",):
        return f"{float(value):.3f}"
    if column.endswith("_confidence"):
        return _fmt(value)
    return str(value)


def write_queue(path, rows: list[dict]) -> None:
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path, rows)
        return
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(QUEUE_COLUMNS)
    # text a spreadsheet would run as a formula is written as text (numbers stay numbers)
    writer.writerows([csv_cell(_csv_cell(c, row.get(c))) for c in QUEUE_COLUMNS] for row in rows)
    # UTF-8 with a byte-order mark: Excel then reads accents and dashes correctly.
    write_atomic(path, "\ufeff" + buf.getvalue())


def write_xlsx(path: Path, rows: list[dict]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "queue"
    ws.append(list(QUEUE_COLUMNS))
    for r, row in enumerate(rows, start=2):
        for j, name in enumerate(QUEUE_COLUMNS, start=1):  # text stays text, never a formula
            value = row.get(name)
            set_xlsx_cell(ws.cell(row=r, column=j), value if name in NUMBER_COLUMNS else str(value or ""))
    ws.freeze_panes = "C2"
    widths = {"id": 24, "title": 50, "note": 30, "rank": 6, "peer_terms": 8, "priority": 8}
    wrap = Alignment(wrap_text=True, vertical="top")
    fill = PatternFill("solid", fgColor="FFF2CC")
    for j, name in enumerate(QUEUE_COLUMNS, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = (60 if name.endswith("_evidence") else 32 if name.endswith("_probabilities")
                                              else widths.get(name, 16))
        ws.cell(row=1, column=j).font = Font(bold=True)
        if name in REVIEWER_COLUMNS:
            ws.cell(row=1, column=j).fill = fill
        for r in range(2, len(rows) + 2):
            cell = ws.cell(row=r, column=j)
            cell.alignment = wrap
            if name in NUMBER_COLUMNS and name not in ("rank", "peer_terms"):
                cell.number_format = "0.00" if name.endswith("_confidence") else "0.000"
            elif name not in NUMBER_COLUMNS and cell.value is not None:
                cell.data_type = "s"  # text stays text, never a formula
    # Drop-down lists for the single-valued reviewer columns (typing is still allowed; import checks).
    last = max(len(rows) + 1, 2)
    for task in (*(t.name for t in tasks().values() if t.kind != "multi"), REASON_COLUMN):
        col = get_column_letter(QUEUE_COLUMNS.index(task) + 1)
        values = eligibility_task().reasons if task == REASON_COLUMN else tasks()[task].values
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                            showErrorMessage=True, error=f"Use one of: {', '.join(values)}")
        dv.add(f"{col}2:{col}{last}")
        ws.add_data_validation(dv)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(QUEUE_COLUMNS))}{last}"
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(path, buf.getvalue())


# ---- import ------------------------------------------------------------------------------------------
def read_queue_table(path) -> tuple[list[str], list[list]]:
    """Header and body rows of a CSV/TSV or .xlsx queue file (QueueError if unreadable)."""
    path = Path(path)
    if not path.is_file():
        raise QueueError([f"{path}: no such file"])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raw = path.read_bytes()
    if b"\x00" in raw[:4096] or raw[:4] == b"PK\x03\x04":
        raise QueueError([f"{path.name}: not a CSV text file (save the queue as CSV UTF-8, or keep it .xlsx)"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel's "CSV (Comma delimited)" on Windows
    if not text.strip():
        raise QueueError([f"{path.name}: empty file"])
    first = text.splitlines()[0]
    delimiter = max(",;\t", key=first.count)  # Excel writes ';' in some locales
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise QueueError([f"{path.name}: not a readable CSV ({exc})"]) from None
    return [str(h) for h in rows[0]], [[read_cell(c) for c in r] for r in rows[1:]]


def _read_xlsx(path: Path) -> tuple[list[str], list[list]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise QueueError([f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__})"]) from None
    try:
        ws = wb["queue"] if "queue" in wb.sheetnames else wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        raise QueueError([f"{path.name}: the sheet is empty"])
    header = ["" if h is None else str(h) for h in rows[0]]
    return header, [["" if v is None else v for v in r] for r in rows[1:]]


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).strip()


def read_decisions(path, reviewer: str | None = None, max_messages: int = 20) -> list[Decision]:
    """Every filled reviewer cell of a queue file as a Decision; QueueError if any cell is wrong.

    Rows are numbered as a spreadsheet shows them (the header is row 1).
    """
    path = Path(path)
    header, body = read_queue_table(path)
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    errors = []
    if "id" not in names:
        raise QueueError([f"{path.name}: no 'id' column (is this a queue exported by 'review export'?)"])
    present = [t for t in REVIEWER_FIELDS if t in names]
    if not present:
        raise QueueError([f"{path.name}: no reviewer columns ({', '.join(task_names())}); nothing to import"])
    for dup in sorted({n for n in names if n and names.count(n) > 1 and n in ("id", *REVIEWER_COLUMNS)}):
        errors.append(f"{path.name}: column {dup!r} appears twice")
    col = {n: names.index(n) for n in ("id", *REVIEWER_COLUMNS) if n in names}
    default_reviewer = (reviewer or "").strip()
    decisions: list[Decision] = []
    seen: dict[tuple[str, str], tuple[str | None, int]] = {}
    for number, cells in enumerate(body, start=2):
        get = lambda name: _cell(cells[col[name]]) if name in col and col[name] < len(cells) else ""  # noqa: E731
        study = get("id")
        filled = {t: get(t) for t in present if get(t)}
        if not filled:
            continue
        if not study:
            errors.append(f"{path.name} row {number}, column id: empty, but the row has labels")
            continue
        who = get("reviewer") or default_reviewer
        if not who:
            try:
                who = getpass.getuser()
            except Exception:
                who = "unknown"
        note = get("note")
        screening = eligibility_task().name
        if filled.get(REASON_COLUMN) and screening not in filled:
            filled = {screening: "false", **filled}   # a reason alone means "exclude, reason X"
        for task, cell in filled.items():
            try:
                value = parse_field(task, cell)
                if task == screening and value == "false" and not filled.get(REASON_COLUMN):
                    raise ValueError("excluding a study needs a reason in the exclusion_reason column "
                                     f"({', '.join(eligibility_task().reasons)})")
                if task == screening and value == "true" and filled.get(REASON_COLUMN):
                    raise ValueError("an eligible study has no exclusion reason (clear exclusion_reason, or "
                                     "write false)")
            except ValueError as exc:
                errors.append(f"{path.name} row {number}, column {task}: {exc}")
                continue
            key = (study, task)
            if key in seen:
                if seen[key][0] != value:
                    errors.append(f"{path.name} row {number}, column {task}: {study} already given "
                                  f"{seen[key][0]!r} in row {seen[key][1]}")
                continue  # the same value twice: one decision
            seen[key] = (value, number)
            decisions.append(Decision(study, task, value, who, f"{path.name} row {number}", note))
    if errors:
        more = len(errors) - max_messages
        shown = errors[:max_messages] + ([f"... and {more} more"] if more > 0 else [])
        raise QueueError(shown)
    return decisions
