"""Documents for retraining and re-predicting: records files and folders of PDFs / .txt files.

``--texts`` may be given several times; a records file (.jsonl, .csv, .tsv, .xlsx, .ris) gives one
document per record, a folder gives one per ``<id>.pdf`` / ``<id>.txt`` file (searched recursively).
A record or file that cannot be read is reported and skipped; the others are used.
"""
from __future__ import annotations

from pathlib import Path


class TextsError(Exception):
    """A --texts path that cannot be used at all."""


def _load_file(path: Path):
    from ..extract import load_document  # PDFs and .txt files

    return load_document(path)


def load_documents(paths, ids=None, warn=None) -> dict:
    """``{id: Document}`` for every readable record or file under ``paths`` (first occurrence wins).

    ``ids``: only these studies (saves extracting PDFs nobody needs). ``warn``: called with one-line
    messages for what was skipped.
    """
    from ..io import RECORD_SUFFIXES, RecordError, read_records

    wanted = set(ids) if ids is not None else None
    warn = warn or (lambda message: None)
    docs: dict = {}
    for raw in paths or []:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".pdf", ".txt") and p.is_file())
            for f in files:
                if f.stem in docs or (wanted is not None and f.stem not in wanted):
                    continue
                try:
                    doc = _load_file(f)
                except Exception as exc:  # ExtractionError and friends: one line, keep going
                    warn(str(exc).splitlines()[0] if str(exc) else f"{f}: cannot read ({type(exc).__name__})")
                    continue
                doc.id = doc.id or f.stem
                docs[f.stem] = doc
        elif path.suffix.lower() in RECORD_SUFFIXES:
            try:
                for rec in read_records(path):
                    if rec.error:
                        warn(rec.error)
                        continue
                    if rec.id in docs or (wanted is not None and rec.id not in wanted):
                        continue
                    doc = rec.to_document()
                    doc.id = rec.id
                    docs[rec.id] = doc
            except RecordError as exc:
                raise TextsError(str(exc)) from None
        elif path.is_file() and path.suffix.lower() in (".pdf", ".txt"):
            try:
                doc = _load_file(path)
            except Exception as exc:
                warn(str(exc).splitlines()[0] if str(exc) else f"{path}: cannot read")
                continue
            docs.setdefault(path.stem, doc)
        else:
            raise TextsError(f"{path}: not a folder, a PDF/.txt file or a records file "
                             f"({', '.join(RECORD_SUFFIXES)})")
    return docs
