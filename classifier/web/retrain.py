"""Retraining in the background: one job at a time, in a child process so the page stays quick.

The job calls :func:`classifier.review.retrain.retrain` (train on the labels file with the texts
of the labelled studies, write a model folder with its card) in a separate process started with
``spawn``, and reports ``idle``/``running``/``done``/``failed`` with a one-line message a reviewer
can read. Warnings (studies without a text, unreadable files) are kept and shown.
"""
from __future__ import annotations

import json
import multiprocessing
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path


@dataclass
class Status:
    state: str = "idle"        # idle | running | done | failed
    message: str = ""
    started: str = ""
    finished: str = ""
    output: str = ""           # the new model folder once done
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def copy(self) -> "Status":
        return Status(**{**asdict(self), "warnings": list(self.warnings)})


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_job(labels: str, texts: list[str], out: str, result_path: str) -> None:
    """The child process: retrain, then write ``{"ok", "message", "warnings"}`` to ``result_path``."""
    warnings: list[str] = []
    try:
        from ..review.retrain import retrain

        card = retrain(labels, [Path(t) for t in texts], out, warn=warnings.append)
        result = {"ok": True, "message": f"New model written to {out} ({card.get('n_documents', '?')} documents).",
                  "warnings": warnings}
    except Exception as exc:  # any failure becomes one line on the page, never a traceback
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        result = {"ok": False, "message": f"Retraining failed: {text}", "warnings": warnings}
    Path(result_path).write_text(json.dumps(result), "utf-8")


class Retrainer:
    def __init__(self, labels: Path, texts: list[Path] | None, out: Path, on_done=None):
        self.labels = Path(labels)
        self.texts = [Path(t) for t in (texts or [])]
        self.out = Path(out)
        self.on_done = on_done
        self._status = Status()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._process = None

    @property
    def result_path(self) -> Path:
        return self.out.with_name(self.out.name + ".result.json")

    def unavailable(self) -> str:
        """Why retraining cannot start here ('' when it can)."""
        if not self.texts:
            return ("Retraining needs the studies' texts: start the page with --texts PATH (the folder of "
                    "PDF/.txt files or the records file the model was trained on).")
        missing = [str(t) for t in self.texts if not t.exists()]
        if missing:
            return f"{missing[0]}: no such file or folder, so there is nothing to retrain on."
        return ""

    def status(self) -> Status:
        with self._lock:
            return self._status.copy()

    def start(self) -> Status:
        with self._lock:
            if self._status.state == "running":
                return self._status.copy()
            why = self.unavailable()
            if why:
                self._status = Status("failed", why, _now(), _now())
                return self._status.copy()
            self._status = Status("running", "Retraining on the labels file…", _now())
            self._thread = threading.Thread(target=self._run, name="retrain", daemon=True)
            self._thread.start()
            return self._status.copy()

    def _run(self) -> None:
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.result_path.unlink(missing_ok=True)
            ctx = multiprocessing.get_context("spawn")
            self._process = ctx.Process(target=run_job, name="retrain",
                                        args=(str(self.labels), [str(t) for t in self.texts], str(self.out),
                                              str(self.result_path)), daemon=True)
            self._process.start()
            self._process.join()
            code = self._process.exitcode
            try:
                result = json.loads(self.result_path.read_text("utf-8"))
            except (OSError, ValueError):
                result = {"ok": False, "message": f"Retraining stopped without a result (exit status {code}).",
                          "warnings": []}
        except OSError as exc:
            result = {"ok": False, "message": f"Retraining could not start: {exc.strerror or exc}", "warnings": []}
        with self._lock:
            self._status = Status("done" if result["ok"] else "failed", result["message"], self._status.started,
                                  _now(), str(self.out) if result["ok"] else "", list(result.get("warnings", []))[:20])
        if result["ok"] and self.on_done is not None:
            self.on_done(self.out)

    def wait(self, timeout: float | None = None) -> Status:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def stop(self) -> None:
        process = self._process
        if process is not None and process.is_alive():
            process.terminate()
