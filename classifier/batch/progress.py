"""Progress on stderr: a tqdm bar (rate, ETA) on a terminal; plain lines every few seconds when
stderr is a file or a pipe (logs stay readable); nothing with ``quiet``."""
from __future__ import annotations

import os
import sys
import time


def _is_terminal(stream) -> bool:
    """A terminal with a width (a pseudo-terminal of width 0 cannot show a bar)."""
    try:
        return stream.isatty() and os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):
        return False


class Progress:
    def __init__(self, total: int, quiet: bool = False, stream=None, interval: float = 10.0):
        self.total = total
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.n = 0
        self.errors = 0
        self.started = time.monotonic()
        self._last = self.started
        self.interval = interval
        self._bar = None
        if not quiet and _is_terminal(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="doc", file=self.stream, dynamic_ncols=True,
                             desc="labelling", smoothing=0.1)

    def update(self, ok: bool = True) -> None:
        self.n += 1
        self.errors += 0 if ok else 1
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(1)
            if self.errors:
                self._bar.set_postfix(errors=self.errors, refresh=False)
            return
        now = time.monotonic()
        if now - self._last >= self.interval or self.n == self.total:
            self._last = now
            self._line(now)

    def _line(self, now: float) -> None:
        from tqdm import tqdm

        meter = tqdm.format_meter(self.n, self.total, now - self.started, unit="doc", ascii=True, ncols=0)
        extra = f", {self.errors} failed" if self.errors else ""
        print(f"labelling: {meter}{extra}", file=self.stream, flush=True)

    def write(self, message: str) -> None:
        if self._bar is not None:
            self._bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
