"""Atomic file replacement, the one way every writer puts a whole file in place.

The new content goes to a temporary file beside the target, is flushed and fsynced, gets the target's
permissions (an existing file keeps its mode; a new one gets the mode ``open()`` would give it under
the user's umask), and is moved onto the target with ``os.replace``; the directory is then fsynced so
the rename survives a crash. A reader sees the old file or the new one, never half of one, and a
failure at any point removes the temporary file and leaves the old file as it was.

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
