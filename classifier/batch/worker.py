"""What a worker does with one item: document (cache or extraction) -> prediction -> output row.

Runs in a joblib/loky worker process or a Dask worker. The model is loaded once per worker process
(kept in a module-level dict keyed by its path) and never sent with a task: a task carries only
the item, its cache keys and the settings. Every failure becomes an error row with a one-line
reason, except a model that cannot be loaded at all, which is ``fatal`` (nothing can run).
"""
from __future__ import annotations

import importlib
import os
import threading
import time
from dataclasses import dataclass, field

from .cache import DiskCache
from .limits import DocumentTimeout, time_limit, watch_memory
from .rows import error_row, ok_row, prediction_part

_MODELS: dict = {}
_MODEL_LOCK = threading.Lock()
# One document at a time per process. Dask runs tasks in threads of one process, and spaCy does not
# promise a thread-safe pipeline (an earlier ``split_sentences`` switched the shared pipeline's
# lemmatizer off around its call, which gave a concurrent featurisation no lemmas and a wrong label;
# it no longer does, and the lock keeps that class of bug out). CPU-bound Python gains nothing from
# threads anyway (the GIL): on Dask, run one thread per worker process and several processes.
_WORK_LOCK = threading.Lock()
EXTRACTED_COUNTER = "extracted"


@dataclass
class WorkerSettings:
    model_path: str | None = None
    model_loader: str = "classifier.model:load_model"   # "module:function"; tests substitute it
    engine: str = "pdfium"
    ocr: str = "auto"                                    # auto | always | never (scanned pages)
    max_pages: int = 500
    error_rate: float | None = None                      # of 'confident' labels; None: the model's default
    timeout: float = 120.0                               # seconds per document; 0 = none
    cache_dir: str | None = None                         # None: no cache
    hard_kill: bool = True                               # end this worker process if C code hangs
    hard_grace: float = 10.0                             # ... this long after 1.5 x timeout
    max_memory: float = 2048                             # MB of resident memory per worker; 0 = none
    parent_pid: int = field(default_factory=os.getpid)   # the process that must never be ended

    def hard_limit(self) -> float | None:
        """Seconds after which a document still running is stuck beyond recall (watchdog)."""
        return self.timeout * 1.5 + self.hard_grace if self.timeout else None


@dataclass
class Task:
    index: int
    item: object                 # inputs.Item
    doc_key: str = ""
    pred_key: str = ""


class FatalError(Exception):
    """Nothing can run (the model cannot be loaded)."""


def _prepare_process() -> None:
    """Once per worker: load the sentence pipeline outside any document's time limit, and keep
    Python's crash dumps (faulthandler, which loky turns on) off the user's terminal."""
    import faulthandler

    from ..extract.sentences import get_nlp

    if os.getpid() != _PARENT_PID[0]:
        faulthandler.disable()
    get_nlp()


_PARENT_PID = [None]


def get_model(settings: WorkerSettings):
    key = (settings.model_loader, settings.model_path)
    with _MODEL_LOCK:
        if key not in _MODELS:
            _PARENT_PID[0] = settings.parent_pid
            _prepare_process()
            module, _, name = settings.model_loader.partition(":")
            loader = getattr(importlib.import_module(module), name)
            try:
                _MODELS[key] = loader(settings.model_path)
            except Exception as exc:
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise FatalError(f"cannot load the model: {message}") from None
            if os.getpid() != settings.parent_pid:
                watch_memory(settings.max_memory)
                # The model, spaCy and the libraries live as long as the worker: leave them out of the
                # cyclic garbage collector's passes. Its last pass at exit took ~0.5 s, which the
                # runner waited for at the end of every batch.
                import gc

                gc.freeze()
        return _MODELS[key]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _document_from_cache(entry: dict, item):
    """The cached Document, or None when the entry is not one this code writes (hand-edited,
    damaged): then the file is extracted again."""
    from ..document import SECTION_NAMES, Document, Sentence

    try:
        sections = entry["sections"]
        spans_all = entry.get("sentence_spans", [])
        if not (isinstance(sections, list) and sections and isinstance(spans_all, list)
                and all(isinstance(s, dict) and s.get("name") in SECTION_NAMES
                        and isinstance(s.get("text"), str) and isinstance(s.get("heading", ""), str)
                        for s in sections)
                and isinstance(entry.get("meta", {}), dict) and isinstance(entry.get("warnings", []), list)):
            return None
        doc = Document.from_dict(entry, id=item.id)
        doc.id = item.id
        for section, spans in zip(doc.sections, spans_all):
            if not all(isinstance(a, int) and isinstance(b, int) and 0 <= a < b <= len(section.text)
                       for a, b in spans):
                return None
            section.sentences = [Sentence(section.text[a:b], a, b) for a, b in spans]
    except (KeyError, TypeError, ValueError):
        return None
    return doc


def _document_to_cache(doc) -> dict:
    entry = doc.to_dict()
    entry["meta"] = {k: v for k, v in doc.meta.items() if isinstance(v, (str, int, float, bool))}
    entry["sentence_spans"] = [[[s.start, s.end] for s in section.sentences] for section in doc.sections]
    return entry


def _get_document(task: Task, settings: WorkerSettings, cache: DiskCache | None, stats: dict):
    """The item's Document; raises ExtractionError (or DocumentTimeout) when there is none."""
    item = task.item
    if item.record is not None:
        from ..extract.sentences import add_sentences

        return add_sentences(item.record.to_document())
    if cache is not None and task.doc_key:
        entry = cache.get("documents", task.doc_key)
        doc = _document_from_cache(entry, item) if entry is not None and not entry.get("error") else None
        if entry is not None and entry.get("error") and isinstance(entry["error"], str):
            stats["document_cache_hit"] = True
            from ..extract.errors import ExtractionError

            raise ExtractionError(item.path, entry["error"])
        if doc is not None:
            stats["document_cache_hit"] = True
            return doc
    from ..extract import ExtractionError, load_document

    stats[EXTRACTED_COUNTER] = True
    try:
        doc = load_document(item.path, engine=settings.engine, max_pages=settings.max_pages,
                            timeout=settings.timeout or None, ocr=settings.ocr)
    except ExtractionError as exc:
        reason = getattr(exc, "reason", None) or _first_line(exc)
        # the same bytes fail the same way next time, except against a limit (time, memory): a
        # rerun with a higher limit may succeed, so those are never cached
        if cache is not None and task.doc_key and not exc.limit:
            cache.put("documents", task.doc_key, {"error": reason})
        raise
    doc.id = item.id
    if cache is not None and task.doc_key:
        cache.put("documents", task.doc_key, _document_to_cache(doc))
    return doc


def _error_for(exc: BaseException, item, name: str, settings: WorkerSettings) -> dict:
    from ..extract.errors import ExtractionError

    if isinstance(exc, DocumentTimeout):
        return error_row(item, f"{name}: stopped after the {settings.timeout:g} s time limit per document "
                               f"(raise it with --timeout)")
    if isinstance(exc, MemoryError):
        return error_row(item, f"{name}: ran out of memory while reading this document")
    if isinstance(exc, ExtractionError):
        return error_row(item, _first_line(exc))
    return error_row(item, f"{name}: unexpected failure while labelling ({type(exc).__name__}: {_first_line(exc)})")


def _hard_limit(settings: WorkerSettings) -> float | None:
    """Seconds after which the watchdog ends this worker process (never the user's own process)."""
    if settings.hard_kill and os.getpid() != settings.parent_pid:
        return settings.hard_limit()
    return None


def _finish(task: Task, doc, pred: dict, cache: DiskCache | None) -> dict:
    part = prediction_part(pred, doc)
    row = ok_row(task.item, doc, part)
    if cache is not None and task.pred_key and row["status"] == "ok":
        cache.put("predictions", task.pred_key,
                  {"part": part, "title": row["title"], "doi": row["doi"], "pages": row["pages"],
                   "ocr_pages": row["ocr_pages"]})
    return row


def label_chunk(tasks: list[Task], settings: WorkerSettings) -> list[dict]:
    """Label several items: each document extracted under its own limits, then the model run once on
    all of them (much cheaper per document than one call each); if that call fails, each document
    is predicted alone so that only the culprit gets an error row.

    Returns ``[{"index", "row", "stats"}, ...]`` in task order, or ``[{"fatal": message}]``.
    """
    try:
        model = get_model(settings)
    except FatalError as exc:
        return [{"index": tasks[0].index if tasks else -1, "fatal": str(exc)}]
    with _WORK_LOCK:
        try:
            return _label_chunk(tasks, settings, model)
        finally:
            from ..extract.sentences import forget_recent

            forget_recent()  # the chunk's tokens were only needed while it was labelled


def _label_chunk(tasks: list[Task], settings: WorkerSettings, model) -> list[dict]:
    from ..model.eligibility import predict_documents  # charting labels + eligibility

    cache = DiskCache(settings.cache_dir) if settings.cache_dir else None
    hard = _hard_limit(settings)
    # --error-rate only when given: None means the model's own default, and a model whose ``predict``
    # takes no ``error_rate`` (one without accept-unread statuses) still labels
    options = {} if settings.error_rate is None else {"error_rate": settings.error_rate}
    results, ready = [], []
    for task in tasks:
        item = task.item
        stats = {"extracted": False, "document_cache_hit": False, "pages": 0}
        result = {"index": task.index, "row": None, "stats": stats}
        results.append(result)
        name = os.path.basename(item.path) if item.path else item.id
        if item.error:
            result["row"] = error_row(item, item.error)
            continue
        try:
            with time_limit(settings.timeout, hard_after=hard):
                doc = _get_document(task, settings, cache, stats)
            stats["pages"] = doc.pages or 0
            ready.append((task, doc, result, name))
        except BaseException as exc:  # noqa: B036 - DocumentTimeout, MemoryError, anything: one row
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            result["row"] = _error_for(exc, item, name, settings)
    if ready:
        preds = None
        if len(ready) > 1:
            try:
                with time_limit(settings.timeout * len(ready) if settings.timeout else 0,
                                hard_after=hard * len(ready) if hard else None):
                    preds = predict_documents(model, [doc for _, doc, _, _ in ready], **options)
                if len(preds) != len(ready):
                    preds = None
            except Exception:
                preds = None  # find the culprit below, one document at a time
        for i, (task, doc, result, name) in enumerate(ready):
            try:
                if preds is not None:
                    pred = preds[i]
                else:
                    with time_limit(settings.timeout, hard_after=hard):
                        pred = predict_documents(model, [doc], **options)[0]
                result["row"] = _finish(task, doc, pred, cache)
            except BaseException as exc:  # noqa: B036
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                result["row"] = _error_for(exc, task.item, name, settings)
    return results


def label(task: Task, settings: WorkerSettings) -> dict:
    """One item alone (``label_chunk`` of one)."""
    return label_chunk([task], settings)[0]
