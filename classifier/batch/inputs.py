"""Turn the INPUT arguments into an ordered stream of work items.

An INPUT is a PDF or ``.txt`` file, a directory (searched recursively for PDF and ``.txt`` files,
sorted by path, hidden files skipped), or a records file (``.csv``, ``.tsv``, ``.tab``, ``.xlsx``,
``.ris``, ``.jsonl``, or a ``.txt`` export holding RIS or Web of Science records, recognised by its
content), which contributes one item per record. Items come out in input order, lazily, so a
records file of 100,000 rows is never held in memory; ``count()`` reads the inputs once to size the
progress bar.

A path that does not exist is a bad argument (``InputError``: nothing runs). Anything else that is
wrong with an input (an unsupported file type, a records file that cannot be read, a malformed row)
becomes an item carrying ``error``, which the batch reports in that document's row.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..io.records import RECORD_SUFFIXES, Record, RecordError, is_records_file, read_records

DOCUMENT_SUFFIXES = (".pdf", ".txt")


class InputError(Exception):
    """An INPUT argument that cannot be used at all (one line)."""


@dataclass
class Item:
    id: str
    source: str                    # the file, or "file.csv#row 7" for a record
    path: str = ""                 # a PDF or .txt file to extract
    record: Record | None = None   # a title+abstract record
    error: str = ""                # non-empty: nothing to label, report this

    @property
    def kind(self) -> str:
        return "error" if self.error else "record" if self.record is not None else "file"


def _walk(directory: Path) -> Iterator[Item]:
    """The documents under ``directory``; a folder that cannot be listed (no permission, gone while
    being read) is an error Item, and so is a directory that holds no document at all."""
    problems: list[OSError] = []
    found = failed = 0
    for root, dirs, files in os.walk(directory, onerror=problems.append):
        while problems:
            failed += 1
            yield _unlistable(problems.pop(0))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in DOCUMENT_SUFFIXES:
                found += 1
                file = Path(root) / name
                yield Item(id=file.stem, source=str(file), path=str(file))
    while problems:
        failed += 1
        yield _unlistable(problems.pop(0))
    if not found and not failed:
        yield Item(id=directory.name or str(directory), source=str(directory),
                   error=f"{directory}: no PDF or .txt files in this directory (records files such as "
                         f".csv or .ris are read when named as INPUTs themselves)")


def _unlistable(exc: OSError) -> Item:
    folder = Path(exc.filename or "")
    return Item(id=folder.name or str(folder), source=str(folder),
                error=f"{folder}: cannot read this folder ({exc.strerror or exc}); the documents in it were not labelled")


def _record_items(path: Path) -> Iterator[Item]:
    try:
        for rec in read_records(path):
            source = f"{path}#{rec.where}" if rec.where else str(path)
            yield Item(id=rec.id, source=source, record=None if rec.error else rec, error=rec.error)
    except RecordError as exc:
        yield Item(id=path.stem, source=str(path), error=str(exc))
    except Exception as exc:  # a reader bug or a damaged file must not cost the other inputs
        yield Item(id=path.stem, source=str(path),
                   error=f"{path.name}: cannot read this records file ({type(exc).__name__}: {exc})".split("\n")[0])


class Plan:
    """The ordered work of one batch: ``iter(plan)`` yields Items, ``plan.count()`` counts them."""

    def __init__(self, inputs):
        self.inputs = [Path(p) for p in inputs]
        if not self.inputs:
            raise InputError("no INPUT given (PDF files, .txt files, directories or records files)")
        for path in self.inputs:
            if not path.exists():
                raise InputError(f"{path}: no such file or directory")

    def __iter__(self) -> Iterator[Item]:
        for path in self.inputs:
            if path.is_dir():
                for item in _walk(path):
                    if item.path and item.path.lower().endswith(".txt") and is_records_file(Path(item.path)):
                        yield from _record_items(Path(item.path))
                    else:
                        yield item
                continue
            suffix = path.suffix.lower()
            if suffix == ".txt" and is_records_file(path):
                yield from _record_items(path)
            elif suffix in DOCUMENT_SUFFIXES:
                yield Item(id=path.stem, source=str(path), path=str(path))
            elif suffix in RECORD_SUFFIXES:
                yield from _record_items(path)
            else:
                expected = ", ".join(DOCUMENT_SUFFIXES + RECORD_SUFFIXES)
                yield Item(id=path.stem, source=str(path),
                           error=f"{path.name}: not a supported input type (expected {expected}, or a directory)")

    def count(self) -> int:
        return sum(1 for _ in self)
