"""Atomic file replacement, the one way every writer puts a whole file in place.

The new content goes to a temporary file beside the target, is flushed and fsynced, gets the target's
permissions (an existing file keeps its mode; a new one gets the mode ``open()`` would give it under
the user's umask), and is moved onto the target with ``os.replace``; the directory is then fsynced so
the rename survives a crash. A reader sees the old file or the new one, never half of one, and a
failure at any point removes the temporary file and leaves the old file as it was; the leftovers of
a write that was killed outright are removed by the next write to the same file.

Used by the label store, the review queue, the session state, the model files, the evaluation
outputs, the predictions workbook and the extraction cache.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def fsync_dir(directory: str | os.PathLike) -> None:
    """Make a rename or a new file in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    """The process umask, read without changing it where the system says it (Linux), else by setting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The permissions a new file gets from ``open()``: 0666 less the umask (0644 under the usual 022)."""
    return 0o666 & ~_umask()


@contextmanager
def replacing(path: str | os.PathLike, *, suffix: str = ".tmp"):
    """``with replacing(target) as tmp: write(tmp)``: for libraries that write to a file name (openpyxl).
    On a clean exit ``tmp`` is fsynced and moved onto ``target``; on any error it is removed."""
    path = Path(path)
    sweep_leftovers(path, suffix)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _finish(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def sweep_leftovers(path: str | os.PathLike, suffix: str = ".tmp", older_than: float = 600.0) -> int:
    """Remove the temporary files of earlier writes to ``path`` that were killed before they could
    clean up (``kill -9``, a power cut): those older than ``older_than`` seconds (a write in progress
    takes milliseconds). Returns how many were removed."""
    import glob

    path = Path(path)
    return remove_older(path.parent.glob(f".{glob.escape(path.name)}.*{glob.escape(suffix)}"), older_than)


def remove_older(paths, older_than: float) -> int:
    """Remove those of ``paths`` last modified more than ``older_than`` seconds ago (a file another
    process removes meanwhile is no error). Returns how many were removed."""
    import time

    limit = time.time() - older_than
    removed = 0
    for leftover in paths:
        try:
            if leftover.stat().st_mtime < limit:
                leftover.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def write_atomic(path: str | os.PathLike, data: bytes | str, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` (text is encoded with ``encoding``) in one atomic step."""
    if isinstance(data, str):
        data = data.encode(encoding)
    with replacing(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


def _finish(tmp: str, path: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = new_file_mode()
    try:
        os.chmod(tmp, mode)
    except OSError:
        pass
    os.replace(tmp, path)
    fsync_dir(path.parent)
