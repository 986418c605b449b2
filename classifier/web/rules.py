"""The rules-only predictions the ``disagreement`` strategy compares with the model's.

A predictions file does not carry them, so they are computed from ``--texts`` (the same texts
``review --strategy disagreement --texts`` uses) with the current model's ``rules_predict``, once,
in a background thread started by the first request that asks for that order. Until they are ready
(or when they cannot be made) the queue says so and uses the ``uncertainty`` order.
"""
from __future__ import annotations

import threading
from pathlib import Path

from ..schema import task_names


class RulesPredictions:
    def __init__(self, texts: list[Path] | None, model: Path | None = None):
        self.texts = [Path(t) for t in (texts or [])]
        self.model = model
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._by_id: dict[str, dict] | None = None
        self.state = "idle"      # idle | running | ready | failed
        self.message = ""
        self.warnings: list[str] = []

    def available(self) -> bool:
        return bool(self.texts)

    def aligned(self, preds: list[dict]) -> list[dict] | None:
        """Rules predictions in the order of ``preds`` once ready (starting the work if needed), else None.

        A study with no text counts as agreeing with the model (as in ``review``)."""
        with self._lock:
            if self._by_id is None:
                if self.state == "idle" and self.texts:
                    self.state, self.message = "running", "computing the rules' predictions from --texts…"
                    ids = {p["id"] for p in preds}
                    self._thread = threading.Thread(target=self._run, args=(ids,), name="rules", daemon=True)
                    self._thread.start()
                return None
            by_id = self._by_id
        return [by_id.get(p["id"], {t: p.get(t) for t in task_names()}) for p in preds]

    def _run(self, ids: set[str]) -> None:
        try:
            from ..model import load_model
            from ..review.texts import load_documents

            docs = load_documents(self.texts, ids=ids, warn=self.warnings.append)
            model = load_model(self.model)
            have = [i for i in sorted(ids) if i in docs]
            rules = model.rules_predict([docs[i] for i in have]) if have else []
            by_id = dict(zip(have, rules))
            with self._lock:
                self._by_id = by_id
                self.state = "ready"
                self.message = (f"rules' predictions ready for {len(by_id)} of {len(ids)} studies"
                                + ("" if len(by_id) == len(ids) else " (the others count as agreeing)"))
        except Exception as exc:  # a bad text folder, a model that will not load: one line on the page
            with self._lock:
                self.state = "failed"
                self.message = f"cannot compute the rules' predictions: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"

    def wait(self, timeout: float | None = None) -> str:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.state
