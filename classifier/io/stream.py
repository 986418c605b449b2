"""What the streaming writers share: an open text file, closed once, usable as a context manager."""
from __future__ import annotations


class StreamWriter:
    """Base of the row-at-a-time writers (CSV, JSONL): subclasses open ``self._file`` and write rows."""

    _file = None

    def close(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
