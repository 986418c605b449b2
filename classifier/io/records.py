"""Title+abstract records from reference-manager / ASReview exports, one reader module per format.

A file is a records file by its suffix (``READERS``) or, for ``.txt``, by its content: EndNote and Web
of Science save their exports as ``.txt`` holding RIS (``TY  - JOUR``) or Web of Science field tags
(``PT J``, ``TI ...``, ``ER``); such a file is read as records (``sniff_txt``), and each record's
``where`` names the format ("RIS record 3"), so a row's ``source`` says how the file was read.

``read_records(path)`` yields ``Record`` objects in file order. A malformed row is not an exception:
it is a Record with ``error`` set (and a ``where`` such as "row 7"), so a batch reports it in its row
and goes on. A file that cannot be read at all raises ``RecordError`` with a one-line message.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .encoding import fix_surrogates

# suffix -> reader module (each defines ``read(path) -> Iterator[Record]``)
READERS = {
    ".jsonl": "classifier.io.jsonl",
    ".csv": "classifier.io.csv",
    ".tsv": "classifier.io.csv",
    ".tab": "classifier.io.csv",
    ".xlsx": "classifier.io.xlsx",
    ".ris": "classifier.io.ris",
}
RECORD_SUFFIXES = tuple(READERS)

# Column names reference managers and ASReview write, lower-cased, in order of preference.
TITLE_KEYS = ("title", "primary_title", "ti", "t1", "article title", "document title", "document_title")
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

    def __post_init__(self):
        # a lone surrogate ("\ud800" in a JSON string) cannot be written to any output file: it
        # becomes U+FFFD here, so the record is labelled like any other
        for name in ("id", "title", "abstract", "doi", "where", "error"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, fix_surrogates(value))
        self.extra = {k: fix_surrogates(v) if isinstance(v, str) else v for k, v in self.extra.items()}

    def to_document(self):
        from ..document import Document

        return Document.from_record(
            self.id, self.title, self.abstract, source=f"{self.source}#{self.where}" if self.where else self.source,
            doi=self.doi, **{k: v for k, v in self.extra.items() if k in ("year", "journal", "authors", "truncated")},
        )


def _lowered(row: dict) -> dict:
    return {str(k).strip().lower().lstrip("\ufeff"): v for k, v in row.items() if k is not None}


def pick(row: dict, keys: tuple[str, ...], lowered: dict | None = None) -> str:
    """The first non-empty value among ``keys`` in ``row`` (keys compared lower-cased and stripped;
    ``lowered``: ``row`` with its keys so, when the caller has it already)."""
    if lowered is None:
        lowered = _lowered(row)
    for key in keys:
        value = lowered.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value if v)
        if value is not None and str(value).strip() and str(value).strip().lower() != "nan":
            return fix_surrogates(str(value).strip())
    return ""


def make_record(row: dict, source: str, where: str, fallback_id: str) -> Record:
    """Map one raw row to a Record; a row with neither title nor abstract is an error record."""
    low = _lowered(row)
    title, abstract = pick(row, TITLE_KEYS, low), pick(row, ABSTRACT_KEYS, low)
    rid = pick(row, ID_KEYS, low) or fallback_id
    rec = Record(id=rid, title=title, abstract=abstract, doi=pick(row, DOI_KEYS, low), source=source, where=where)
    for key in ("year", "journal", "authors"):
        value = pick(row, (key,), low)
        if value:
            rec.extra[key] = value
    if is_true(pick(row, TRUNCATED_KEYS)):
        rec.extra["truncated"] = True  # the source cut the abstract off: its last sentence is marked
    if not title and not abstract:
        rec.error = f"{Path(source).name} {where}: no title and no abstract"
    return rec


_TAG = re.compile(r"^[A-Z][A-Z0-9]  -( |$)")          # RIS: "TY  - JOUR", "ER  -"
_WOS_TAG = re.compile(r"^([A-Z][A-Z0-9]( |$)|   ?\S)")   # Web of Science: "PT J", "ER", continuation lines


def sniff_txt(path: str | Path, size: int = 16384) -> str | None:
    """``"ris"`` or ``"wos"`` when a ``.txt`` file holds tagged reference records, else None (a text
    to chart as one study). Reads the first ``size`` bytes: the first line must open a record (RIS
    ``TY  -``; Web of Science ``FN``/``PT``) and most of the first 40 lines must be tag lines."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(size)
    except OSError:
        return None
    from .encoding import decode_bytes

    text, _ = decode_bytes(raw)
    lines = [line.rstrip("\r") for line in text.lstrip("\ufeff").split("\n")]
    if len(raw) == size:
        lines = lines[:-1]  # the last line may be cut short
    lines = [line for line in lines if line.strip()][:40]
    if not lines:
        return None
    first = lines[0].lstrip("\ufeff")
    if first.startswith("TY  -"):
        # long fields wrap onto untagged lines in some exports: half the lines tagged is plenty
        return "ris" if sum(1 for line in lines if _TAG.match(line)) >= 0.5 * len(lines) else None
    if first.startswith(("FN ", "PT ")):
        tagged = sum(1 for line in lines if _WOS_TAG.match(line))
        return "wos" if tagged >= 0.9 * len(lines) and any(line[:3] in ("PT ", "TI ") for line in lines) else None
    return None


def is_records_file(path: str | Path) -> bool:
    """True for a records file: by suffix, or a ``.txt`` holding RIS / Web of Science records."""
    path = Path(path)
    suffix = path.suffix.lower()
    return suffix in READERS or (suffix == ".txt" and path.is_file() and sniff_txt(path) is not None)


def read_records(path: str | Path) -> Iterator[Record]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".txt" and path.is_file():
        kind = sniff_txt(path)
        if kind is not None:
            from . import ris

            yield from ris.read(path, kind)
            return
    module = READERS.get(suffix)
    if module is None:
        raise RecordError(f"{path}: not a records file (expected one of {', '.join(RECORD_SUFFIXES)}, "
                          f"or a .txt export holding RIS or Web of Science records)")
    if not path.is_file():
        raise RecordError(f"{path}: no such file")
    yield from importlib.import_module(module).read(path)
