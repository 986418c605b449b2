"""The batch runner: items in, rows out, in input order, each as soon as it and those before it
are done.

A bounded window of tasks is in flight on the backend (a few per worker), so memory does not grow
with the batch. Before a task is sent, the runner looks its prediction up in the cache: documents
finished by an earlier run (even one that was killed) are neither extracted nor predicted again.

A worker that dies (a crash inside a C library, the out-of-memory killer, or the hard time-limit
watchdog) fails every task it held. Those tasks are then run again one at a time, each alone on a
fresh worker: the ones that succeed get their rows, the one that kills its worker again gets an
error row, and the batch goes on in parallel.
"""
from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterator

from ..locations import default_model_path, missing_model_message
from .cache import DiskCache, code_fingerprint, file_digest, text_digest, tree_fingerprint
from .limits import HARD_TIMEOUT_EXIT, MEMORY_EXIT
from .rows import error_row, ok_row, valid_part
from .worker import FatalError, Task, WorkerSettings, label_chunk

# what decides a cached Document, and (with the model's files) a cached prediction
EXTRACT_CODE = ("extract", "document.py", "data")
# A task holds 64 records, or 4 files (a file counts as this many records). Each model call has a fixed
# cost (scikit-learn's checks, ~35 ms), paid once per task: 4 PDFs a task instead of 2 were 0.2-0.3 s
# faster on the 23 shared PDFs, and 64 records instead of 16 labelled 2,000 records in 6 s instead of 9.
FILE_WEIGHT = 16
MODEL_CODE = ("features", "model", "data", "schema.py")


def ocr_fingerprint(mode: str) -> str:
    """The OCR mode and, when OCR may run, the Tesseract version (see ``extract.ocr.fingerprint``)."""
    if mode == "never":
        return "ocr=never"
    from ..extract.ocr import fingerprint

    return fingerprint(mode)


@dataclass
class Summary:
    total: int = 0
    ok: int = 0
    failed: int = 0
    extracted: int = 0            # files extracted in this run
    document_cache_hits: int = 0  # files whose text came from the cache
    prediction_cache_hits: int = 0
    pages: int = 0
    off_topic: int = 0            # labelled documents that never mention peers (peer_terms == 0)
    worker_restarts: int = 0
    seconds: float = 0.0
    excluded: dict = field(default_factory=dict)   # exclusion_reason -> documents judged not eligible
    eligible: int = 0                              # documents judged eligible
    duplicates: list = field(default_factory=list)   # ids seen more than once
    _seen: set = field(default_factory=set, repr=False)

    def add(self, row: dict, stats: dict) -> None:
        self.total += 1
        if row.get("id") in self._seen:
            if row["id"] not in self.duplicates:
                self.duplicates.append(row["id"])
        else:
            self._seen.add(row.get("id"))
        if row.get("status") == "ok":
            self.ok += 1
            if row.get("peer_terms") == 0:
                self.off_topic += 1
            verdict = str(row.get("eligible", "")).lower()
            if verdict == "true":
                self.eligible += 1
            elif verdict == "false":
                reason = str(row.get("exclusion_reason") or "unspecified")
                self.excluded[reason] = self.excluded.get(reason, 0) + 1
        else:
            self.failed += 1
        self.extracted += bool(stats.get("extracted"))
        self.document_cache_hits += bool(stats.get("document_cache_hit"))
        self.prediction_cache_hits += bool(stats.get("prediction_cache_hit"))
        self.pages += int(stats.get("pages") or 0)


class BatchRunner:
    def __init__(self, settings: WorkerSettings, backend, use_cache: bool = True, window: int | None = None,
                 chunk_size: int = 64):
        """``chunk_size``: records per task; files count as ``FILE_WEIGHT`` records each, since each
        takes far longer than a record (so a task holds 64 records or 4 PDFs by default)."""
        self.settings = settings
        self.backend = backend
        self.cache = DiskCache(settings.cache_dir) if (use_cache and settings.cache_dir) else None
        if self.cache is not None:
            self.cache.sweep()  # leftovers of a run that was killed
        if not use_cache:
            settings.cache_dir = None
        self.chunk_size = max(1, chunk_size)
        # items in flight: enough chunks to keep every worker busy, few enough to keep memory flat
        self.window = window or max(2 * self.chunk_size, 3 * backend.slots * self.chunk_size)
        self.restarts = 0
        self._model_fp = None

    # -- keys ---------------------------------------------------------------------------------------
    def model_fingerprint(self) -> str:
        if self._model_fp is None:
            s = self.settings
            if s.model_loader == "classifier.model:load_model":
                path = s.model_path or default_model_path()
                if not os.path.exists(path):
                    raise FatalError(f"no model at {path} (train one with train.py, or pass --model DIR)"
                                     if s.model_path else missing_model_message(path))
                self._model_fp = tree_fingerprint(path) + code_fingerprint(*MODEL_CODE)
            else:
                self._model_fp = text_digest(s.model_loader, s.model_path)
        return self._model_fp

    def check_model(self) -> None:
        """Load the model on a worker now (it stays loaded there); raise FatalError if it cannot be
        loaded, so that nothing, not even the output files, is touched before that is known."""
        self.model_fingerprint()
        for result in self._submit([]).result():
            if "fatal" in result:
                raise FatalError(result["fatal"])

    def _keys(self, item) -> tuple[str, str]:
        s = self.settings
        if item.record is not None:
            r = item.record
            content = text_digest("record", r.title, r.abstract, r.doi)
            doc_key = ""
        else:
            doc_key = text_digest(file_digest(item.path), s.engine, s.max_pages, ocr_fingerprint(s.ocr),
                                  code_fingerprint(*EXTRACT_CODE))
            content = doc_key
        return doc_key, text_digest(content, self.model_fingerprint(), f"error_rate={s.error_rate}")

    def _prepare(self, index: int, item):
        """A ready ``(row, stats)`` for an item needing no worker, else a Task."""
        if item.error:
            return error_row(item, item.error), {}
        task = Task(index, item)
        if self.cache is None:
            return task
        try:
            task.doc_key, task.pred_key = self._keys(item)
        except OSError as exc:
            name = os.path.basename(item.path)
            return error_row(item, f"{name}: cannot read the file ({exc.strerror or exc})"), {}
        hit = self.cache.get("predictions", task.pred_key)
        if hit and valid_part(hit.get("part")):
            row = ok_row(item, None, hit["part"])
            for key in ("title", "doi", "pages"):
                value = hit.get(key, "")
                row[key] = row.get(key) or (value if isinstance(value, (str, int)) else "")
            # the scanned pages: a list of page numbers, as a fresh row has them ([] for none)
            pages = hit.get("ocr_pages", [])
            ok = isinstance(pages, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in pages)
            row["ocr_pages"] = list(pages) if ok else []
            return row, {"prediction_cache_hit": True, "pages": hit.get("pages") or 0}
        return task

    # -- running ------------------------------------------------------------------------------------
    def _submit(self, tasks: list[Task]):
        return self.backend.executor().submit(label_chunk, tasks, self.settings)

    @staticmethod
    def _unpack(result: dict):
        if "fatal" in result:
            raise FatalError(result["fatal"])
        return result["row"], result["stats"]

    def _isolated(self, task: Task) -> tuple[dict, dict]:
        """Run one task alone; if it kills its worker again, that is its error row."""
        started = time.monotonic()
        hard = self.settings.hard_limit()
        name = os.path.basename(task.item.path) if task.item.path else task.item.source
        try:
            return self._unpack(self._submit([task]).result()[0])
        except FatalError:
            raise
        except Exception as exc:
            elapsed = time.monotonic() - started
            stuck = f"EXIT({HARD_TIMEOUT_EXIT})" in str(exc)  # loky names the exit status of the dead worker
            if f"EXIT({MEMORY_EXIT})" in str(exc):
                message = (f"{name}: over the memory limit of {self.settings.max_memory:g} MB per worker "
                           f"(stopped; raise it with --max-memory)")
            elif stuck or (hard and elapsed >= 0.9 * hard):
                message = (f"{name}: did not finish within the {self.settings.timeout:g} s time limit "
                           f"(stuck inside the PDF library; stopped)")
            elif isinstance(exc, worker_death()):
                message = (f"{name}: the worker reading this file crashed (a damaged file, or not "
                           f"enough memory); the batch went on without it")
            else:
                text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                message = f"{name}: unexpected failure ({type(exc).__name__}: {text})"
            return error_row(task.item, message), {}

    def run(self, items) -> Iterator[tuple[dict, dict]]:
        """Yield ``(row, stats)`` per item, in input order."""
        flight = InFlight(iter(enumerate(items)))
        try:
            self._fill(flight)
            while flight.pending:
                entry = flight.pending[0]
                if entry.ready is None:
                    try:
                        entry.ready = self._unpack(entry.chunk.result_of(entry.task))
                    except FatalError:
                        raise
                    except Exception as exc:
                        if not isinstance(exc, worker_death()):
                            raise
                        self._recover(flight.pending)
                        continue
                flight.pending.popleft()
                if entry.task is not None:
                    flight.in_flight -= 1
                yield entry.ready
                self._fill(flight)
        except KeyboardInterrupt:
            raise  # the caller stops the workers (backend.close(abort=True)); cancelling here races it
        except BaseException:  # FatalError, or the consumer stopped early (GeneratorExit)
            for entry in flight.pending:
                if entry.chunk is not None and entry.chunk.future is not None:
                    entry.chunk.future.cancel()
            raise

    def _fill(self, flight: "InFlight") -> None:
        """Take items until the window is full: ready rows queue up, misses gather into chunks."""
        while not flight.exhausted and flight.in_flight + len(flight.building) < self.window \
                and len(flight.pending) < 4 * self.window:
            try:
                index, item = next(flight.source)
            except StopIteration:
                flight.exhausted = True
                break
            prepared = self._prepare(index, item)
            if isinstance(prepared, Task):
                entry = Entry(task=prepared)
                flight.building.append(entry)
                flight.weight += FILE_WEIGHT if item.path else 1
                if flight.weight >= self.chunk_size:
                    self._send(flight)
            else:
                entry = Entry(ready=prepared)
            flight.pending.append(entry)
        # A part-filled chunk waits for more items while others keep the workers busy; it goes
        # when there are no more items or nothing else is in flight (it may hold the head).
        if flight.building and (flight.exhausted or flight.in_flight == 0):
            self._send(flight)

    def _send(self, flight: "InFlight") -> None:
        chunk = Chunk([e.task for e in flight.building])
        chunk.future = self._submit(chunk.tasks)
        for entry in flight.building:
            entry.chunk = chunk
        flight.in_flight += len(flight.building)
        flight.building = []
        flight.weight = 0

    def _recover(self, pending: deque) -> None:
        """A worker died: re-run, one at a time, every in-flight task that has no result yet."""
        self.restarts += 1
        for entry in pending:
            if entry.ready is not None or entry.chunk is None:
                continue
            chunk = entry.chunk
            future = chunk.future
            if chunk.results is None and future.done() and not future.cancelled() and future.exception() is None:
                chunk.results = {r.get("index"): r for r in future.result()}
            if chunk.results is not None and entry.task.index in chunk.results:
                entry.ready = self._unpack(chunk.results[entry.task.index])
            else:
                entry.ready = self._isolated(entry.task)


@dataclass
class Chunk:
    """Tasks sent to a worker together, and what came back (``index`` -> result) once it did."""
    tasks: list
    future: object = None
    results: dict | None = None

    def result_of(self, task: Task) -> dict:
        """This task's result, waiting for the chunk if need be (a fatal result in it stops the batch)."""
        if self.results is None:
            self.results = {r.get("index"): r for r in self.future.result()}
            for r in self.results.values():
                if "fatal" in r:
                    raise FatalError(r["fatal"])
        return self.results[task.index]


@dataclass
class Entry:
    """One input item in input order: a task on a worker (``task``, ``chunk``), or a ``ready`` row."""
    task: Task | None = None
    chunk: Chunk | None = None
    ready: tuple | None = None


@dataclass
class InFlight:
    """The runner's window: items not yet yielded (``pending``, in input order), misses gathering into the
    next chunk (``building``, with their ``weight``), how many tasks are on workers, and the input left."""
    source: Iterator
    pending: deque = field(default_factory=deque)
    building: list = field(default_factory=list)
    weight: int = 0
    in_flight: int = 0
    exhausted: bool = False


def worker_death():
    from .backends import worker_death_types

    return worker_death_types()
