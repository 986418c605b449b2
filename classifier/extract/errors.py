"""The one error type extraction raises: a one-line message that names the file."""
from __future__ import annotations

from pathlib import Path


class ExtractionError(Exception):
    """A file that cannot be turned into a Document.

    ``str(error)`` is one line, ``"<file name>: <reason>"``, fit to show a reviewer as is.
    """

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = " ".join(str(reason).split())  # always one line
        super().__init__(f"{Path(self.path).name}: {self.reason}")
