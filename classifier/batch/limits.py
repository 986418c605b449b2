"""Per-document limits, enforced inside the worker that runs the document.

``time_limit(seconds)`` raises ``DocumentTimeout`` in the running code when the time is up: with
``SIGALRM`` on a process's main thread (joblib/loky workers), otherwise (Dask worker threads) by an
asynchronous exception delivered to the worker thread. Both interrupt Python code; neither can
interrupt a single call stuck inside a C library, so with ``hard_after`` a watchdog thread ends the
whole worker process (``os._exit``) if the document is still running that long after its start. The
runner sees the worker die, re-runs the documents it held one at a time, and reports the one that
hangs again as an error row; the batch goes on with a fresh worker. ``watch_memory`` does the same
for a worker whose memory passes its limit.
"""
from __future__ import annotations

import ctypes
import os
import signal
import threading
from contextlib import contextmanager

HARD_TIMEOUT_EXIT = 86  # exit status of a worker ended by the watchdog
MEMORY_EXIT = 87        # exit status of a worker ended by the memory watchdog


class DocumentTimeout(BaseException):
    """The document ran past its time limit. A BaseException (like KeyboardInterrupt), so that the
    ``except Exception`` with which a library or an engine turns its failures into "damaged file"
    never takes a limit for damage."""


def _on_alarm(signum, frame):
    raise DocumentTimeout()


class _ThreadAlarm:
    """Raise DocumentTimeout in one thread after ``seconds``, unless cancelled first."""

    def __init__(self, seconds: float):
        self._thread_id = threading.get_ident()
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._thread_id), ctypes.py_object(DocumentTimeout))

    def cancel(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


@contextmanager
def time_limit(seconds: float | None, hard_after: float | None = None):
    """Limit the time of the ``with`` block to ``seconds`` (None or <= 0: no limit)."""
    watchdog = None
    if hard_after and hard_after > 0:
        watchdog = threading.Timer(hard_after, os._exit, args=(HARD_TIMEOUT_EXIT,))
        watchdog.daemon = True
        watchdog.start()
    if not seconds or seconds <= 0:
        try:
            yield
        finally:
            if watchdog:
                watchdog.cancel()
        return
    on_main = threading.current_thread() is threading.main_thread()
    timer = None
    if on_main:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    else:
        timer = _ThreadAlarm(seconds)
    try:
        yield
    finally:
        if on_main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        else:
            timer.cancel()
        if watchdog:
            watchdog.cancel()


def resident_bytes() -> int:
    """This process's resident memory (Linux ``/proc``; 0 where that is not available)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


_MEMORY_WATCH = {"limit": 0, "thread": None}


def watch_memory(limit_mb: float, interval: float = 0.05) -> None:
    """End this (worker) process with ``MEMORY_EXIT`` as soon as its resident memory passes
    ``limit_mb`` megabytes. Memory that pdfium takes while it parses a page cannot be refused from
    Python (nor bounded by an address-space rlimit without breaking the libraries' own reservations),
    so it is watched: the runner sees the worker end with this status, re-runs its documents one at a
    time, and reports the one that goes over the limit again in its row. Called once per worker;
    a later call changes the limit."""
    _MEMORY_WATCH["limit"] = float(limit_mb or 0) * 1024 * 1024
    if _MEMORY_WATCH["thread"] is not None or not limit_mb or resident_bytes() == 0:
        return

    def watch():
        import time

        while True:
            limit = _MEMORY_WATCH["limit"]
            if limit and resident_bytes() > limit:
                os._exit(MEMORY_EXIT)
            time.sleep(interval)

    thread = threading.Thread(target=watch, name="memory-watchdog", daemon=True)
    _MEMORY_WATCH["thread"] = thread
    thread.start()
