"""Where the work runs: joblib's loky process pool on this machine, or a Dask cluster.

Both are used through the ``concurrent.futures`` interface (``submit`` -> future), so the runner
has one code path: ``get_reusable_executor`` from joblib's bundled loky for ``--backend loky``, and
``Client(address).get_executor()`` from dask.distributed for ``--backend dask``.
"""
from __future__ import annotations

import os


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


class BackendError(Exception):
    """The backend cannot start (e.g. no scheduler at the address); one line."""


# exceptions meaning "a worker died", not "the task failed"
def worker_death_types() -> tuple:
    from concurrent.futures.process import BrokenProcessPool

    types = [BrokenProcessPool]
    try:
        from joblib.externals.loky.process_executor import TerminatedWorkerError

        types.append(TerminatedWorkerError)
    except ImportError:  # pragma: no cover
        pass
    try:
        from distributed.scheduler import KilledWorker

        types.append(KilledWorker)
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


class LokyBackend:
    name = "loky"

    def __init__(self, n_jobs: int = 1):
        self.n_jobs = max(1, int(n_jobs))

    def executor(self):
        from joblib.externals.loky import get_reusable_executor

        # Reused across calls; a broken pool (a worker died) is replaced by a fresh one. Like joblib's
        # Parallel, give each worker its share of the cores for BLAS/OpenMP threads, so that N
        # workers do not each start a thread per core and fight over them.
        threads = str(max(1, (os.cpu_count() or 1) // self.n_jobs))
        env = {name: threads for name in THREAD_VARIABLES}
        # Idle workers exit after 30 s, also when this process was killed with them still queued.
        self._executor = get_reusable_executor(max_workers=self.n_jobs, timeout=30, env=env)
        return self._executor

    @property
    def slots(self) -> int:
        return self.n_jobs

    def close(self, abort: bool = False) -> None:
        """``abort``: the run was interrupted; stop the workers now rather than let them finish."""
        executor = getattr(self, "_executor", None)
        if not abort and executor is not None:
            # Every result is in: let the idle workers exit now (quick, as they keep the model out of
            # the garbage collector: worker.get_model). Killing them instead can make loky's resource
            # tracker warn about a leaked lock.
            executor.shutdown(wait=True)
            return
        if abort and executor is not None:
            import threading

            # loky's manager thread can trip over the abrupt shutdown (a KeyError while it queues
            # the next task); the user asked to stop, so that is not worth a traceback
            threading.excepthook = lambda args: None
            executor.shutdown(wait=True, kill_workers=True)


class DaskBackend:
    name = "dask"

    def __init__(self, scheduler, n_jobs: int | None = None, connect_timeout: float = 20.0):
        """``scheduler``: an address such as ``tcp://10.0.0.5:8786``, or an existing ``Client``."""
        try:
            from distributed import Client
        except ImportError:
            raise BackendError("--backend dask needs Dask's distributed scheduler, which is not installed: "
                               "pip install 'peer-charting[dask]' (or, in a clone: pip install '.[dask]')") from None

        if hasattr(scheduler, "get_executor"):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
            except Exception as exc:  # OSError, TimeoutError, ValueError on a bad address
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise BackendError(f"cannot reach the Dask scheduler at {scheduler} ({reason})") from None
            self._own = True
        self._executor = self.client.get_executor(pure=False)
        self._n_jobs = n_jobs

    def executor(self):
        return self._executor

    @property
    def slots(self) -> int:
        if self._n_jobs and self._n_jobs > 1:
            return self._n_jobs
        try:
            return max(1, sum(self.client.nthreads().values()))
        except Exception:
            return 1

    def close(self, abort: bool = False) -> None:
        if self._own:
            self.client.close()
