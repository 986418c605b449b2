"""The one error type extraction raises: a one-line message that names the file."""
from __future__ import annotations

from pathlib import Path


class ExtractionError(Exception):
    """A file that cannot be turned into a Document.

    ``str(error)`` is one line, ``"<file name>: <reason>"``, fit to show a reviewer as is.
    ``limit`` says that a limit (time, memory) stopped the work, not damage in the file.
    """

    def __init__(self, path, reason: str, limit: bool = False):
        self.path = str(path)
        # True when a limit stopped the work (time, memory, text size), not something wrong with
        # the file: such an error is never cached, as a rerun with a higher limit may succeed
        self.limit = limit
        self.reason = " ".join(str(reason).split())  # always one line
        super().__init__(f"{Path(self.path).name}: {self.reason}")
