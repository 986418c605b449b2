"""The label store: ``annotations/labels.csv`` plus its decision log and its pending conflicts.

Every write goes through :meth:`LabelStore.record`, which, under a file lock held beside the labels
file, re-reads the file, merges the decisions, writes a temporary file in the same directory,
fsyncs it and ``os.replace``-s it onto the labels file, then appends one row per decision to the
append-only log (``labels.log.csv``) and fsyncs that. A reader therefore only ever sees the old or
the new file, never half of one, and a decision is *confirmed* once ``record`` has returned.

A decision that would replace an existing, different human label is not applied unless it says
``force=True``: it is returned in ``RecordResult.conflicts`` and kept in ``labels.conflicts.csv``
until someone resolves it (:meth:`LabelStore.resolve`).

The labels file stays a plain UTF-8 CSV a reviewer can open in a spreadsheet: one row per study,
``id`` first, one column per task, empty where unknown; columns this module does not know are kept
as they are, in their order. Text a spreadsheet would run as a formula (a note or id beginning with
``=``) is written with a protective apostrophe and read back without it (``io.cells``).
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from ..atomic import fsync_dir, write_atomic
from ..io.cells import csv_cell, read_cell
from ..io.labels import LabelsError, labels_frame, parse_cell, read_table, task_cells
from ..schema import REASON_COLUMN, charting_task_names, eligibility_task, label_fields, parse_field, tasks

LOG_COLUMNS = ("time", "reviewer", "study", "task", "old", "new", "source", "note", "outcome")
CONFLICT_COLUMNS = ("time", "reviewer", "study", "task", "current", "proposed", "source", "note", "status")
# Columns the store maintains in the labels file (added after the existing ones when missing).
REVIEW_COLUMNS = ("reviewed_by", "reviewed_at")
# Where a reviewer's note on a decision lands in the labels file (besides the log).
NOTES_COLUMN = "notes"
# A per-task provenance cell (``role_source``) or a row-wide one (``label_source``) containing one
# of these words (``review_inferred``) marks a label that no person stated: replacing it is a correction,
# not a conflict.
MACHINE_SOURCES = ("inferred", "model", "predicted", "rules", "machine")
# What the store writes into ``<task>_source`` when a reviewer sets a label (names in ``reviewed_by``).
REVIEWED = "reviewed"

# Outcomes written to the log.
APPLIED, UNCHANGED, OVERWRITTEN, CONFLICT, CLEARED = "applied", "unchanged", "overwritten", "conflict", "cleared"


class LabelStoreError(LabelsError):
    """The labels file cannot be used or written (one-line message naming the file)."""


@dataclass
class Decision:
    study_id: str
    task: str
    value: str | None
    reviewer: str
    source: str
    note: str = ""
    force: bool = False


@dataclass
class Conflict:
    study_id: str
    task: str
    current: str          # the human label in the file, kept
    proposed: str         # the value the decision asked for, not applied
    reviewer: str
    source: str
    note: str = ""
    time: str = ""

    def describe(self) -> str:
        return (f"{self.study_id} {self.task}: file has {self.current!r}, {self.reviewer or 'a reviewer'} "
                f"proposed {self.proposed!r} (kept the file's value; resolve with 'review resolve' or in the web page)")


@dataclass
class RecordResult:
    applied: list[Decision] = field(default_factory=list)     # changed the labels file
    unchanged: list[Decision] = field(default_factory=list)   # the file already said so
    conflicts: list[Conflict] = field(default_factory=list)   # kept the file's value, reported

    @property
    def ok(self) -> bool:
        return not self.conflicts


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# Besides the tasks, a decision may set why a study is not eligible (a column like the tasks).
REASON_FIELD = REASON_COLUMN


def is_decided(row: dict) -> bool:
    """A study needs no more review: excluded (``eligible`` false), or labelled for every charting task."""
    if row.get(eligibility_task().name) == "false":
        return True
    return all(row.get(t) for t in charting_task_names())


def eligibility_decisions(study_id: str, eligible, reason: str | None, reviewer: str, source: str,
                          note: str = "", force: bool = False) -> list[Decision]:
    """A reviewer's screening decision as store decisions: ``eligible`` true/false and its
    ``exclusion_reason`` (cleared when eligible). ValueError for a missing or unknown reason."""
    task = eligibility_task()
    value = task.parse(eligible)
    if value == "false" and not task.parse_reason(reason):
        raise ValueError(f"{study_id}: excluding a study needs a reason ({', '.join(task.reasons)})")
    return [Decision(study_id, task.name, value, reviewer, source, note, force),
            Decision(study_id, REASON_FIELD, reason if value == "false" else None, reviewer, source, note, force)]


def validate(decision: Decision) -> Decision:
    """Return the decision with its value in canonical form; ValueError naming the bad value or task."""
    if decision.task not in label_fields():
        raise ValueError(f"{decision.study_id}: unknown task {decision.task!r} (tasks: {', '.join(tasks())})")
    if not str(decision.study_id or "").strip():
        raise ValueError(f"a decision for {decision.task} has no study id")
    value = parse_field(decision.task, decision.value)  # raises ValueError naming the value
    return Decision(str(decision.study_id).strip(), decision.task, value, str(decision.reviewer or "").strip(),
                    str(decision.source or "").strip(), str(decision.note or ""), bool(decision.force))


def append_rows(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Append CSV rows (header first when the file is new) in one write, then fsync."""
    if not rows:
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    new = not path.exists() or path.stat().st_size == 0
    if new:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(row.get(k)) for k in columns})
    data = buf.getvalue().encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        # A previous writer killed mid-line leaves no newline at the end: start on a fresh line.
        if not new and os.fstat(fd).st_size > 0:
            with open(path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) not in (b"\n", b"\r"):
                    data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        fsync_dir(path.parent)


def reviewed_ids(labels: dict[str, dict], log_rows: list[dict]) -> set[str]:
    """The studies no longer waiting for review, the same for the terminal session and the web page:
    a decision in the log (any reviewer, made any way: queue import, terminal, web; unless the last one
    was undone) or a label for every task in the labels file."""
    last: dict[str, str] = {}
    for row in log_rows:
        if row.get("study"):
            last[row["study"]] = str(row.get("source") or "")
    done = {study for study, source in last.items() if not source.endswith(" undo")}
    done |= {sid for sid, row in labels.items() if is_decided(row)}
    return done


class LabelStore:
    """``annotations/labels.csv`` with its lock, log and conflicts files beside it."""

    def __init__(self, path, lock_timeout: float = 60.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    # files beside the labels file
    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def log_path(self) -> Path:
        return self.path.with_name(self.path.stem + ".log.csv")

    @property
    def journal_path(self) -> Path:
        """The decisions of a write in progress (intent): written first, removed once the labels
        file, the conflicts and the log all hold them; found on start, it is reconciled."""
        return self.path.with_name(self.path.stem + ".pending.json")

    @property
    def conflicts_path(self) -> Path:
        return self.path.with_name(self.path.stem + ".conflicts.csv")

    def lock(self) -> FileLock:
        return FileLock(str(self.lock_path), timeout=self.lock_timeout)

    def _locked(self):
        if not self.path.parent.is_dir():
            raise LabelStoreError(f"{self.path}: folder {self.path.parent} does not exist")
        lock = self.lock()
        try:
            lock.acquire()
        except Timeout:
            raise LabelStoreError(
                f"{self.path}: still locked by another reviewer after {self.lock_timeout:.0f}s "
                f"(lock file {self.lock_path.name}); try again in a moment") from None
        try:
            self._recover()
        except BaseException:
            lock.release()
            raise
        return lock

    def _recover(self) -> None:
        """Under the lock: finish what a writer killed part-way left behind. Temporary files of its
        atomic writes are removed; a journal (its intent) is reconciled: if the labels file holds
        the journal's decisions, their log rows are appended (unless the log has them already),
        otherwise the write never happened and is dropped. Nothing confirmed is ever lost."""
        import glob
        import json

        session = self.path.with_name(self.path.stem + ".session.json")  # the terminal session's state
        for name in (self.path.name, self.log_path.name, self.conflicts_path.name, self.journal_path.name,
                     session.name):
            for orphan in self.path.parent.glob(f".{glob.escape(name)}.*.tmp"):
                try:
                    orphan.unlink()
                except OSError:
                    pass
        if not self.journal_path.exists():
            return
        try:
            intent = json.loads(self.journal_path.read_text("utf-8"))
            rows = [{c: str(r.get(c, "")) for c in LOG_COLUMNS} for r in intent["rows"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            rows = None  # unreadable: it was never complete, so nothing after it was written
        if rows:
            table = read_table(self.path)
            written = all((table.index.get(r["study"]) or {}).get(r["task"], "") == r["new"]
                          for r in rows if r["outcome"] in (APPLIED, OVERWRITTEN, CLEARED))
            if written:
                logged = self._read_csv(self.log_path, LOG_COLUMNS)
                if logged[-len(rows):] != rows:
                    append_rows(self.log_path, LOG_COLUMNS, rows)
        self.journal_path.unlink(missing_ok=True)

    # ---- reading -------------------------------------------------------------------------------
    def load(self, bad: str = "keep"):
        """The labels as a DataFrame: index ``id``, every column as text, task cells None when unknown;
        a cell the schema refuses follows ``bad`` (``io.labels``; by default kept as typed)."""
        table = read_table(self.path)
        return labels_frame(table, task_cells(table, bad, str(self.path))[0])

    def labels(self, bad: str = "keep") -> dict[str, dict[str, str | None]]:
        """``{study_id: {task: canonical value or None}}`` (no pandas needed)."""
        return task_cells(read_table(self.path), bad, str(self.path))[0]

    def labels_and_problems(self) -> tuple[dict[str, dict[str, str | None]], list[str]]:
        """Like ``labels()``, but a cell the schema refuses is read as unknown and reported (one line each)."""
        return task_cells(read_table(self.path), "unknown", str(self.path))

    def log(self) -> list[dict]:
        """Every logged decision, oldest first (a torn last line, if any, is skipped); a write that
        was cut short is reconciled first."""
        if self.journal_path.exists() and self.path.parent.is_dir():
            try:
                self._locked().release()
            except LabelStoreError:
                pass  # another writer holds the lock; it reconciles
        return self._read_csv(self.log_path, LOG_COLUMNS)

    def _read_csv(self, path: Path, columns) -> list[dict]:
        if not path.exists():
            return []
        text = path.read_text("utf-8", errors="replace").lstrip("\ufeff")
        out = []
        for row in csv.DictReader(io.StringIO(text, newline="")):
            if None in row or any(row.get(c) is None for c in columns):
                continue  # torn line
            out.append({c: read_cell(row[c]) for c in columns})
        return out

    def conflicts(self, pending_only: bool = True) -> list[Conflict]:
        """Conflicts kept for a decision (only those still pending, unless told otherwise)."""
        out = []
        for row in self._read_csv(self.conflicts_path, CONFLICT_COLUMNS):
            if pending_only and row["status"] != "pending":
                continue
            out.append(Conflict(row["study"], row["task"], row["current"], row["proposed"], row["reviewer"],
                                row["source"], row["note"], row["time"]))
        return out

    # ---- writing -------------------------------------------------------------------------------
    @staticmethod
    def _is_human(row: dict, task: str) -> bool:
        for key in (f"{task}_source", "label_source"):
            mark = str(row.get(key, "") or "").strip().lower()
            if mark:
                return not any(word in mark for word in MACHINE_SOURCES)
        return True

    def record(self, decisions: list[Decision]) -> RecordResult:
        """Validate every decision (ValueError, nothing written, if one is bad), then merge them.

        Later decisions in the list win over earlier ones for the same study and task.
        """
        checked = [validate(d) for d in decisions]
        result = RecordResult()
        if not checked:
            return result
        lock = self._locked()
        try:
            table = read_table(self.path)
            stamp = now()
            log_rows, conflict_rows, changed = [], [], False
            resolved: set[tuple[str, str]] = set()
            for d in checked:
                existing = table.index.get(d.study_id)
                old = parse_cell(d.task, (existing or {}).get(d.task, ""), "keep")
                new = d.value
                if old == new:
                    outcome = UNCHANGED
                    result.unchanged.append(d)
                    if d.force:  # a forced decision settles the study and task, even when it keeps the value
                        resolved.add((d.study_id, d.task))
                    if d.note and existing is not None:
                        changed |= self._add_note(table, d)
                elif old is not None and not d.force and self._is_human(existing, d.task):
                    outcome = CONFLICT
                    conflict = Conflict(d.study_id, d.task, old, new or "", d.reviewer, d.source, d.note, stamp)
                    result.conflicts.append(conflict)
                    conflict_rows.append(conflict)
                else:
                    for name in REVIEW_COLUMNS:
                        table.ensure_column(name)
                    table.ensure_column(d.task)   # (exclusion_reason, in a file written before it existed)
                    row = table.row(d.study_id)
                    row[d.task] = new or ""
                    prov = f"{d.task}_source"
                    if prov in table.columns:
                        row[prov] = REVIEWED
                    who = [w for w in str(row.get("reviewed_by", "") or "").split(";") if w]
                    if d.reviewer and d.reviewer not in who:
                        who.append(d.reviewer)
                    row["reviewed_by"] = ";".join(who)
                    row["reviewed_at"] = stamp
                    table.touch(d.study_id)
                    if d.note:
                        self._add_note(table, d)
                    changed = True
                    outcome = APPLIED if old is None else (CLEARED if new is None else OVERWRITTEN)
                    result.applied.append(d)
                    if d.force:
                        resolved.add((d.study_id, d.task))
                log_rows.append({"time": stamp, "reviewer": d.reviewer, "study": d.study_id, "task": d.task,
                                 "old": old or "", "new": new or "", "source": d.source, "note": d.note,
                                 "outcome": outcome})
            import json

            # intent first: a kill from here on is reconciled by the next writer (see _recover)
            write_atomic(self.journal_path, json.dumps({"rows": log_rows}, ensure_ascii=False))
            if changed:
                write_atomic(self.path, table.to_text())
            self._update_conflicts(conflict_rows, resolved)
            append_rows(self.log_path, LOG_COLUMNS, log_rows)
            self.journal_path.unlink(missing_ok=True)
        finally:
            lock.release()
        return result

    @staticmethod
    def _add_note(table, d: Decision) -> bool:
        """Put the reviewer's note in the row's ``notes`` column (after what is there; once)."""
        table.ensure_column(NOTES_COLUMN)
        row = table.row(d.study_id)
        text = f"{d.reviewer}: {d.note}" if d.reviewer else d.note
        cell = str(row.get(NOTES_COLUMN, "") or "")
        if text in cell:
            return False
        row[NOTES_COLUMN] = f"{cell} | {text}" if cell.strip() else text
        table.touch(d.study_id)
        return True

    def _update_conflicts(self, new: list[Conflict], resolved: set[tuple[str, str]]) -> None:
        """Add new pending conflicts (no duplicates) and mark resolved ones; atomic rewrite."""
        if not new and not resolved:
            return
        rows = self._read_csv(self.conflicts_path, CONFLICT_COLUMNS)
        if not rows and not new:
            return
        for row in rows:
            if row["status"] == "pending" and (row["study"], row["task"]) in resolved:
                row["status"] = "resolved"
        pending = {(r["study"], r["task"], r["proposed"], r["current"]) for r in rows if r["status"] == "pending"}
        for c in new:
            key = (c.study_id, c.task, c.proposed, c.current)
            if key in pending:
                continue
            pending.add(key)
            rows.append({"time": c.time, "reviewer": c.reviewer, "study": c.study_id, "task": c.task,
                         "current": c.current, "proposed": c.proposed, "source": c.source, "note": c.note,
                         "status": "pending"})
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CONFLICT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: csv_cell(row.get(c)) for c in CONFLICT_COLUMNS})
        write_atomic(self.conflicts_path, buf.getvalue())

    def resolve(self, study_id: str, task: str, value: str | None, reviewer: str, note: str = "",
                source: str = "resolve") -> RecordResult:
        """Decide a pending conflict: write ``value`` (the kept one or the proposed one, or another),
        forcing it over the file's value, and mark the conflict resolved."""
        return self.record([Decision(study_id, task, value, reviewer, source, note, force=True)])

    def dismiss(self, study_id: str, task: str, reviewer: str = "", note: str = "") -> None:
        """Keep the file's value and mark the pending conflicts for this study and task resolved."""
        lock = self._locked()
        try:
            current = (read_table(self.path).index.get(study_id) or {}).get(task, "") or ""
            self._update_conflicts([], {(study_id, task)})
            append_rows(self.log_path, LOG_COLUMNS, [{"time": now(), "reviewer": reviewer, "study": study_id,
                                                      "task": task, "old": current, "new": current,
                                                      "source": "resolve", "note": note, "outcome": "dismissed"}])
        finally:
            lock.release()
