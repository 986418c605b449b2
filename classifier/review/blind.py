"""Blind double charting: two or more reviewers chart the same sample of studies without seeing each
other's labels (and, if the round says so, without the model's), then a consensus step settles every
disagreement with a reason.

A **round** is a small JSON file beside the labels file (``labels.blind.json``): the studies, the
reviewers, whether the model is hidden, when it started. Reviewers chart through the usual tools —
the web page started with ``serve --blind``, or a spreadsheet written by ``blind start --export DIR``
and read back by ``review import`` — and every decision goes through the label store, so it is
logged with its reviewer. When reviewers disagree, the store keeps the later proposal as a conflict:
those conflicts, and every other place where the reviewers' own labels (read back from the log) differ
from each other or from the labels file, are the **disagreements** the consensus step lists, side by
side with the model's evidence. The agreed label is written with ``force`` and the reason as its note
(log source ``consensus``), which marks the conflicts resolved.
"""
from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..schema import tasks
from .reviewers import SETTLEMENT_SOURCES, reviewer_labels
from ..atomic import write_atomic
from .store import Decision, LabelStore, now

CONSENSUS_SOURCE = "consensus"


class BlindError(Exception):
    """A round that cannot be started or used (one line)."""


@dataclass
class Round:
    studies: list[str]
    reviewers: list[str]
    hide_model: bool = False
    started: str = ""
    predictions: str = ""

    def to_dict(self) -> dict:
        return {"studies": self.studies, "reviewers": self.reviewers, "hide_model": self.hide_model,
                "started": self.started, "predictions": self.predictions}


def round_path(store: LabelStore) -> Path:
    return store.path.with_name(store.path.stem + ".blind.json")


def load_round(store: LabelStore) -> Round:
    path = round_path(store)
    if not path.is_file():
        raise BlindError(f"{path}: no blind charting round here (start one with: python -m classifier blind start ...)")
    try:
        data = json.loads(path.read_text("utf-8"))
        return Round([str(s) for s in data["studies"]], [str(r) for r in data["reviewers"]],
                     bool(data.get("hide_model")), str(data.get("started", "")), str(data.get("predictions", "")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BlindError(f"{path}: not a readable round file ({type(exc).__name__})") from None


def start_round(store: LabelStore, predictions: list[dict], reviewers: list[str], *, sample: int | None = None,
                ids: list[str] | None = None, hide_model: bool = False, seed: int = 0,
                predictions_path: str = "") -> Round:
    """Choose the studies (``ids``, else a seeded random ``sample`` of the predictions labelled without
    error) and write the round file. Refuses fewer than two reviewers or an unknown id."""
    reviewers = [r.strip() for r in reviewers if r.strip()]
    if len(set(reviewers)) < 2:
        raise BlindError("a blind round needs at least two different reviewers (--reviewers A B)")
    known = {p["id"] for p in predictions}
    if ids:
        missing = [i for i in ids if i not in known]
        if missing:
            raise BlindError(f"{len(missing)} id(s) are not in the predictions, e.g. {missing[0]!r}")
        chosen = list(dict.fromkeys(ids))
    else:
        pool = [p["id"] for p in predictions if p.get("status", "ok") == "ok"]
        if not sample or sample < 1:
            raise BlindError("say how many studies to chart (--sample N) or which (--ids FILE)")
        if sample > len(pool):
            raise BlindError(f"--sample {sample}: only {len(pool)} studies were labelled without error")
        chosen = random.Random(seed).sample(pool, sample)
    rnd = Round(chosen, list(dict.fromkeys(reviewers)), hide_model, now(), predictions_path)
    write_atomic(round_path(store), json.dumps(rnd.to_dict(), indent=1) + "\n")
    return rnd


def masked(pred: dict) -> dict:
    """A prediction with the model's labels, probabilities and evidence removed (hide-model rounds)."""
    out = {k: v for k, v in pred.items()
           if not (k in tasks() or k.startswith("p_") or k.endswith(("_confidence", "_status", "_set")))}
    out.update({name: None for name in tasks()})
    out["evidence"] = {}
    return out


def own_labels(store: LabelStore, reviewer: str, studies: list[str] | None = None) -> dict[str, dict]:
    """``{study: {task: value or None}}``: only what ``reviewer`` decided (what a blind page may show)."""
    mine = reviewer_labels(store.log()).get(reviewer, {})
    wanted = set(studies) if studies is not None else None
    out: dict[str, dict] = {}
    for task, cells in mine.items():
        for study, value in cells.items():
            if wanted is None or study in wanted:
                out.setdefault(study, {t: None for t in tasks()})[task] = value
    return out


def export_sheets(rnd: Round, predictions: list[dict], folder: Path) -> list[Path]:
    """One queue spreadsheet per reviewer (``<reviewer>.csv``): the round's studies, the reviewer's name
    filled in, empty label columns; the model's labels and evidence only when the round shows them.
    Read back with ``review import``."""
    from .queuefile import EVIDENCE_COLUMNS, PREDICTION_COLUMNS, queue_rows, write_queue

    by_id = {p["id"]: p for p in predictions}
    ordered = [by_id[s] for s in rnd.studies if s in by_id]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for reviewer in rnd.reviewers:
        rows = queue_rows(ordered, [(i, 0.0) for i in range(len(ordered))], "blind")
        for row in rows:
            row["priority"] = None
            row["reviewer"] = reviewer
            if rnd.hide_model:
                row.update({c: None for c in (*PREDICTION_COLUMNS, *EVIDENCE_COLUMNS)})
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in reviewer) or "reviewer"
        path = folder / f"{safe}.csv"
        write_queue(path, rows)
        paths.append(path)
    return paths


@dataclass
class Disagreement:
    study_id: str
    task: str
    by_reviewer: dict[str, str | None]   # each reviewer's own label (None: not charted)
    current: str | None                  # the labels file's value now
    conflicts: list = field(default_factory=list)   # pending store conflicts for this study and task


def disagreements(store: LabelStore, rnd: Round) -> tuple[list[Disagreement], dict]:
    """Every study and task of the round that all its reviewers charted and where their labels differ
    from each other, or agree with each other but not with the labels file, or a conflict is pending;
    and progress figures ``{"charted": {reviewer: n studies}, "complete": n studies every reviewer
    charted}``. A study not yet charted by everyone waits (it is not a disagreement yet)."""
    log = store.log()
    mine = reviewer_labels(log)
    # settled: a consensus (or resolve) decision after the last reviewer decision on that study and task
    last_judged: dict[tuple[str, str], int] = {}
    last_settled: dict[tuple[str, str], int] = {}
    for number, row in enumerate(log):
        key = (row.get("study", ""), row.get("task", ""))
        if (row.get("source") or "").strip().lower() in SETTLEMENT_SOURCES:
            last_settled[key] = number
        elif row.get("reviewer") in rnd.reviewers:
            last_judged[key] = number
    labels = store.labels()
    pending: dict[tuple[str, str], list] = {}
    for c in store.conflicts():
        pending.setdefault((c.study_id, c.task), []).append(c)
    out = []
    charted = {r: {s for cells in mine.get(r, {}).values() for s, v in cells.items() if v is not None}
               for r in rnd.reviewers}
    for study in rnd.studies:
        for task in tasks():
            values = {r: mine.get(r, {}).get(task, {}).get(study) for r in rnd.reviewers}
            given = [v for v in values.values() if v is not None]
            if not given or len(given) < len(values):
                continue
            current = (labels.get(study) or {}).get(task)
            differ = len(set(given)) > 1 or current != given[0]
            conflicts = pending.get((study, task), [])
            settled = last_settled.get((study, task), -1) > last_judged.get((study, task), -1)
            if conflicts or (differ and not settled):
                out.append(Disagreement(study, task, values, current, conflicts))
    complete = sum(1 for s in rnd.studies if all(s in charted[r] for r in rnd.reviewers))
    return out, {"charted": {r: len(charted[r] & set(rnd.studies)) for r in rnd.reviewers}, "complete": complete}


CONSENSUS_FIXED = ("id", "task", "title")
CONSENSUS_INPUT = ("agreed", "reason")


def export_consensus(path: Path, items: list[Disagreement], rnd: Round, predictions: list[dict]) -> None:
    """The disagreements as a spreadsheet: one row per study and task, each reviewer's label in its own
    column, the labels file's value, the model's label and evidence, and empty ``agreed`` / ``reason``."""
    from .queuefile import evidence_text

    by_id = {p["id"]: p for p in predictions}
    columns = [*CONSENSUS_FIXED, *rnd.reviewers, "labels_file", "model", "evidence", *CONSENSUS_INPUT]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for d in items:
        pred = by_id.get(d.study_id, {})
        row = {"id": d.study_id, "task": d.task, "title": " ".join(str(pred.get("title") or "").split()),
               "labels_file": d.current or "", "model": pred.get(d.task) or "",
               "evidence": evidence_text(pred, d.task) if pred else "", "agreed": "", "reason": ""}
        row.update({r: (d.by_reviewer.get(r) or "") for r in rnd.reviewers})
        writer.writerow(row)
    write_atomic(Path(path), "\ufeff" + buf.getvalue())


def read_consensus(path: Path, reviewer: str) -> list[Decision]:
    """The filled ``agreed`` cells of a consensus sheet as forced decisions with their reasons. Every
    agreed label needs a reason; one bad row refuses the file (ValueError naming the row)."""
    from .queuefile import read_queue_table as read_sheet

    header, body = read_sheet(Path(path))
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    for needed in ("id", "task", "agreed", "reason"):
        if needed not in names:
            raise ValueError(f"{Path(path).name}: no {needed!r} column (write the sheet with: blind consensus --export)")
    col = {n: names.index(n) for n in ("id", "task", "agreed", "reason")}
    decisions, errors = [], []
    for number, cells in enumerate(body, start=2):
        get = lambda n: str(cells[col[n]]).strip() if col[n] < len(cells) and cells[col[n]] is not None else ""  # noqa: E731
        if not get("agreed"):
            continue
        task = get("task")
        if task not in tasks():
            errors.append(f"row {number}: unknown task {task!r}")
            continue
        try:
            value = tasks()[task].parse(get("agreed"))
        except ValueError as exc:
            errors.append(f"row {number}, column agreed: {exc}")
            continue
        if not get("reason"):
            errors.append(f"row {number}: an agreed label needs its reason (column reason)")
            continue
        decisions.append(Decision(get("id"), task, value, reviewer, CONSENSUS_SOURCE, get("reason"), force=True))
    if errors:
        raise ValueError(f"{Path(path).name} {errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
    return decisions


def record_consensus(store: LabelStore, decisions: list[Decision]):
    """Write the agreed labels (forced, reason as note, source ``consensus``): pending conflicts for
    those studies and tasks are marked resolved by the store."""
    return store.record(decisions)
