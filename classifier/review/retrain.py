"""Fold the reviewed labels back into training: a new model directory, or fresh predictions.

The labels file already holds every reviewed label (the store writes them there), so retraining is
training on ``annotations/labels.csv`` with the texts of the labelled studies.

:class:`BackgroundRetrainer` runs either job in a child process (``spawn``), one at a time, so the
terminal session and the review page stay responsive; both use it. It reports ``idle``, ``running``,
``done`` or ``failed`` with a one-line message a reviewer can read, and keeps the job's warnings.
"""
from __future__ import annotations

import multiprocessing
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..schema import task_names
from .store import LabelStore
from .texts import load_documents


class RetrainError(Exception):
    """Retraining cannot run (one line)."""


def training_set(labels_path, texts, warn=None):
    """``(documents, labels)``: the labelled studies that have a text, labels indexed by id."""
    frame = LabelStore(labels_path).load()  # every column: the model reads <task>_source too
    labels = frame[frame[list(task_names())].notna().any(axis=1)]
    docs = load_documents(texts, ids=set(labels.index), warn=warn)
    keep = [i for i in labels.index if i in docs]
    if not keep:
        raise RetrainError(f"{labels_path}: no labelled study has a text in {', '.join(map(str, texts))}")
    missing = len(labels) - len(keep)
    if missing and warn:
        warn(f"{missing} labelled studies have no text in the --texts given; trained without them")
    return [docs[i] for i in keep], labels.loc[keep]


def fit_model(documents, labels, params: dict | None = None):
    from ..model import ChartingModel

    return ChartingModel(**(params or {})).fit(documents, labels)


def base_params(model_path=None, warn=None) -> dict:
    """The parameters of the current model (``model_path``, else the shipped one), so a retrained model
    differs only by its labels; ChartingModel defaults when there is none."""
    try:
        from ..model import load_model

        return {k: v for k, v in load_model(model_path).get_params().items() if k != "lexicons"}
    except Exception as exc:  # no model yet, or an unreadable one: defaults, said once
        if warn:
            warn(f"using default model parameters ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
        return {}


def retrain(labels_path, texts, out_dir, params: dict | None = None, warn=None, model_path=None) -> dict:
    """Train on the labels file and write a model directory with its card; return the card."""
    from ..model import save_model

    documents, labels = training_set(labels_path, texts, warn)
    params = dict(base_params(model_path, warn) if params is None else params)
    model = fit_model(documents, labels, params)
    log = LabelStore(labels_path).log()
    try:
        from ..model.card import make_card

        card = make_card(model, labels=labels.reset_index(), documents=documents, label_path=str(labels_path),
                         text_paths=[str(t) for t in texts], name=Path(out_dir).name)
    except ImportError:
        card = {"name": Path(out_dir).name, "n_documents": len(documents), "params": params}
    card["date"] = card.get("date") or datetime.now(timezone.utc).isoformat(timespec="seconds")
    card["trained_by"] = "python -m classifier review retrain"
    card["n_documents"] = len(documents)
    card["review"] = {
        "reviewed_decisions": sum(1 for r in log if r["outcome"] in ("applied", "overwritten", "cleared")),
        "reviewers": sorted({r["reviewer"] for r in log if r["reviewer"]}),
        "labels_reviewed": sum(1 for _, row in labels.iterrows()
                               if any(str(row.get(f"{t}_source", "")) == "reviewed" for t in task_names())),
        "decision_log": str(LabelStore(labels_path).log_path),
    }
    save_model(model, out_dir, card)
    return card


def retrain_predict(labels_path, texts, ids, params: dict | None = None, warn=None) -> dict[str, dict]:
    """Train on the labels file and predict ``ids``: ``{id: prediction dict}`` (runs in a worker process).

    ``params`` None: the current shipped model's parameters."""
    documents, labels = training_set(labels_path, texts, warn)
    model = fit_model(documents, labels, base_params(warn=warn) if params is None else params)
    pool = load_documents(texts, ids=set(ids))
    todo = [pool[i] for i in ids if i in pool]
    preds = model.predict(todo) if todo else []
    out = {}
    for doc, pred in zip(todo, preds):
        pred = dict(pred)
        pred["id"] = doc.id
        out[doc.id] = pred
    return out


# ---- in the background ----------------------------------------------------------------------------
@dataclass
class Status:
    state: str = "idle"        # idle | running | done | failed
    message: str = ""
    started: str = ""
    finished: str = ""
    output: str = ""           # the new model folder, once a model job is done
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def copy(self) -> "Status":
        return Status(**{**asdict(self), "warnings": list(self.warnings)})


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _model_job(labels, texts, out, params=None, warn=None) -> str:
    card = retrain(labels, [Path(t) for t in texts], out, params=params, warn=warn)
    return f"New model written to {out} ({card.get('n_documents', '?')} documents)."


def _child(conn, job, args) -> None:
    """The child process: run ``job(*args, warn=...)`` and send ``(ok, result, message, warnings)``."""
    warnings: list[str] = []
    try:
        conn.send((True, job(*args, warn=warnings.append), "", warnings))
    except Exception as exc:  # any failure becomes one line for the reviewer, never a traceback
        conn.send((False, None, _one_line(exc), warnings))
    finally:
        conn.close()


class BackgroundRetrainer:
    """One retraining at a time, in a child process.

    ``start_model(out)``: write a new model folder (the review page's button; ``on_done(out)`` is called
    when it is written). ``start_predictions(ids)``: refresh the predictions of ``ids`` (the terminal
    session; ``poll()`` hands them over once). ``status()`` says where it stands at any time."""

    def __init__(self, labels, texts, *, params: dict | None = None, on_done=None):
        self.labels = Path(labels)
        self.texts = [Path(t) for t in (texts or [])]
        self.params = params  # None: the current model's parameters
        self.on_done = on_done
        self._status = Status()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._process = None
        self._result = None
        self._unpolled = False

    def unavailable(self) -> str:
        """Why retraining cannot start here ('' when it can)."""
        if not self.texts:
            return ("Retraining needs the studies' texts: start with --texts PATH (the folder of PDF/.txt "
                    "files or the records file the model was trained on).")
        missing = [str(t) for t in self.texts if not t.exists()]
        if missing:
            return f"{missing[0]}: no such file or folder, so there is nothing to retrain on."
        return ""

    @property
    def running(self) -> bool:
        return self.status().state == "running"

    def status(self) -> Status:
        with self._lock:
            return self._status.copy()

    def start_model(self, out) -> Status:
        out = Path(out)
        return self._start("Retraining on the labels file…", _model_job,
                           (str(self.labels), [str(t) for t in self.texts], str(out), self.params), out)

    def start_predictions(self, ids) -> bool:
        """True when a job started (False: one is running already, or it cannot run)."""
        if self.running:
            return False
        return self._start("Retraining on the labels file…", retrain_predict,
                           (str(self.labels), [str(t) for t in self.texts], list(ids), self.params)).state == "running"

    def _start(self, message: str, job, args, out: Path | None = None) -> Status:
        with self._lock:
            if self._status.state == "running":
                return self._status.copy()
            why = self.unavailable()
            if why:
                self._status = Status("failed", why, _now(), _now())
                return self._status.copy()
            self._status = Status("running", message, _now())
            self._result, self._unpolled = None, False
            self._thread = threading.Thread(target=self._run, args=(job, args, out), name="retrain", daemon=True)
            self._thread.start()
            return self._status.copy()

    def _run(self, job, args, out: Path | None) -> None:
        try:
            if out is not None:
                out.parent.mkdir(parents=True, exist_ok=True)
            ctx = multiprocessing.get_context("spawn")
            receive, send = ctx.Pipe(duplex=False)
            self._process = ctx.Process(target=_child, args=(send, job, args), name="retrain", daemon=True)
            self._process.start()
            send.close()
            try:
                ok, result, message, warnings = receive.recv()
            except EOFError:
                self._process.join()
                ok, result, message, warnings = (False, None, "Retraining stopped without a result (exit status "
                                                 f"{self._process.exitcode}).", [])
            self._process.join()
        except OSError as exc:
            ok, result, message, warnings = False, None, f"Retraining could not start: {exc.strerror or exc}", []
        if ok:
            message = result if isinstance(result, str) else f"Model retrained; {len(result)} predictions refreshed."
        else:
            message = message if message.startswith("Retraining") else f"Retraining failed: {message}"
        with self._lock:
            self._status = Status("done" if ok else "failed", message, self._status.started, _now(),
                                  str(out) if ok and out is not None else "", list(warnings)[:20])
            self._result, self._unpolled = (result if ok else None), True
        if ok and out is not None and self.on_done is not None:
            self.on_done(out)

    def poll(self):
        """``(result, error)`` once after a job has finished (error '' on success), else None."""
        with self._lock:
            if not self._unpolled:
                return None
            self._unpolled = False
            failed = self._status.state == "failed"
            return (None, self._status.message) if failed else (self._result, "")

    def wait(self, timeout: float | None = None) -> Status:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def stop(self) -> None:
        """End a job still running (the program is closing)."""
        process = self._process
        if process is not None and process.is_alive():
            process.terminate()
