"""Title+abstract records from reference-manager / ASReview exports, one reader module per format.

``read_records(path)`` yields ``Record`` objects in file order. A malformed row is not an exception:
it is a Record with ``error`` set (and a ``where`` such as "row 7"), so a batch reports it in its row
and goes on. A file that cannot be read at all raises ``RecordError`` with a one-line message.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

# suffix -> reader module (each defines ``read(path) -> Iterator[Record]``)
READERS = {
    ".jsonl": "classifier.io.jsonl",
    ".csv": "classifier.io.csv",
    ".tsv": "classifier.io.csv",
    ".xlsx": "classifier.io.xlsx",
    ".ris": "classifier.io.ris",
}
RECORD_SUFFIXES = tuple(READERS)

# Column names reference managers and ASReview write, lower-cased, in order of preference.
TITLE_KEYS = ("title", "primary_title", "ti", "t1", "article title", "document title")
ABSTRACT_KEYS = ("abstract", "notes_abstract", "ab", "abstract note", "abstracts")
ID_KEYS = ("id", "record_id", "key", "study_id")
DOI_KEYS = ("doi", "do")
TRUNCATED_KEYS = ("truncated", "abstract_truncated")


def is_true(value) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "y")


class RecordError(Exception):
    """A records file that cannot be read at all (message is one line and names the file)."""


@dataclass
class Record:
    id: str
    title: str = ""
    abstract: str = ""
    doi: str = ""
    source: str = ""      # the records file
    where: str = ""       # "row 7", "line 3", "record 2"
    error: str = ""       # non-empty: this row could not be used, and why
    extra: dict = field(default_factory=dict)

    def to_document(self):
        from ..document import Document

        return Document.from_record(
            self.id, self.title, self.abstract, source=f"{self.source}#{self.where}" if self.where else self.source,
            doi=self.doi, **{k: v for k, v in self.extra.items() if k in ("year", "journal", "authors", "truncated")},
        )


def pick(row: dict, keys: tuple[str, ...]) -> str:
    """The first non-empty value among ``keys`` in ``row`` (keys compared lower-cased and stripped)."""
    lowered = {str(k).strip().lower().lstrip("\ufeff"): v for k, v in row.items() if k is not None}
    for key in keys:
        value = lowered.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value if v)
        if value is not None and str(value).strip() and str(value).strip().lower() != "nan":
            return str(value).strip()
    return ""


def make_record(row: dict, source: str, where: str, fallback_id: str) -> Record:
    """Map one raw row to a Record; a row with neither title nor abstract is an error record."""
    title, abstract = pick(row, TITLE_KEYS), pick(row, ABSTRACT_KEYS)
    rid = pick(row, ID_KEYS) or fallback_id
    rec = Record(id=rid, title=title, abstract=abstract, doi=pick(row, DOI_KEYS), source=source, where=where)
    for key in ("year", "journal", "authors"):
        value = pick(row, (key,))
        if value:
            rec.extra[key] = value
    if is_true(pick(row, TRUNCATED_KEYS)):
        rec.extra["truncated"] = True  # the source cut the abstract off: its last sentence is marked
    if not title and not abstract:
        rec.error = f"{Path(source).name} {where}: no title and no abstract"
    return rec


def read_records(path: str | Path) -> Iterator[Record]:
    path = Path(path)
    module = READERS.get(path.suffix.lower())
    if module is None:
        raise RecordError(f"{path}: not a records file (expected one of {', '.join(RECORD_SUFFIXES)})")
    if not path.is_file():
        raise RecordError(f"{path}: no such file")
    yield from importlib.import_module(module).read(path)
