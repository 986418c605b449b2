"""A content-addressed disk cache for extracted Documents and predictions.

Entries are small JSON files under ``$XDG_CACHE_HOME/peer-charting`` (default ``~/.cache``), named
by a SHA-256 key, each written atomically (``classifier.atomic``), so
concurrent workers and killed runs never leave a half-written entry; a damaged entry reads as a miss.

Keys combine the input's content hash with a fingerprint of whatever else decides the result: the
extraction settings and the code and data of ``classifier.extract`` for Documents; additionally the
model's files and the ``features``/``model`` code and data for predictions. Editing the code or retraining
the model therefore invalidates the affected entries by itself.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from ..atomic import remove_older, write_atomic

CACHE_FORMAT = "1"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "peer-charting"


def file_digest(path: str | Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def text_digest(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


@lru_cache(maxsize=None)
def code_fingerprint(*parts: str) -> str:
    """Hash of the source and data files of parts of the ``classifier`` package, named relative to
    it (``"extract"``, ``"document.py"``, ``"data"``): .py, .yml, .yaml and .json files."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for part in parts:
        base = root / part
        files = [base] if base.is_file() else sorted(base.rglob("*")) if base.is_dir() else []
        if not files:
            digest.update(f"{part}:absent".encode())
        for file in files:
            if file.suffix in (".py", ".yml", ".yaml", ".json") and "__pycache__" not in file.parts \
                    and file.is_file():
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=None)
def tree_fingerprint(path: str) -> str:
    """Hash of every file under ``path`` (a model directory), or of the file itself."""
    root = Path(path)
    digest = hashlib.sha256()
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(root) if file != root else file.name).encode())
        digest.update(file_digest(file).encode())
    return digest.hexdigest()[:16]


class DiskCache:
    """``get(kind, key) -> dict | None`` and ``put(kind, key, value)``; kinds are subdirectories."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory else default_cache_dir()

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / kind / key[:2] / f"{key}.json"

    def get(self, kind: str, key: str) -> dict | None:
        try:
            with open(self._path(kind, key), encoding="utf-8") as handle:
                value = json.load(handle)
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def sweep(self, older_than: float = 3600.0) -> int:
        """Remove the temporary files of writes that were killed (``kill -9``, a lost machine) and
        are older than ``older_than`` seconds (a write in progress, even on another machine sharing
        the cache, takes milliseconds). Returns how many were removed."""
        return sum(remove_older((self.directory / kind).glob("*/.*.tmp"), older_than)
                   for kind in ("documents", "predictions") if (self.directory / kind).is_dir())

    def put(self, kind: str, key: str, value: dict) -> bool:
        """Store ``value``; a full disk or a read-only cache only costs the caching (returns False)."""
        path = self._path(kind, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(value, ensure_ascii=False))
        except OSError:
            return False
        return True
