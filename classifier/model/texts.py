"""Training texts: record files (.jsonl/.csv/.tsv/.xlsx/.ris) and directories (or single files) of
PDFs / .txt, all turned into Documents. Bad inputs become one-line messages, never exceptions."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..document import Document
from ..io import RECORD_SUFFIXES, read_records
from ..io.records import RecordError

DOC_SUFFIXES = (".pdf", ".txt")


class TextsError(Exception):
    """A --texts path that cannot be used at all (with ``strict=True``)."""


def _load_file(path: Path) -> Document:
    from ..extract import load_document  # the extraction stage (PDF / txt -> Document)

    doc = load_document(path)
    if not doc.id:
        doc.id = path.stem
    return doc


def load_texts(paths, ids=None, strict: bool = False, why: dict | None = None) -> tuple[list[Document], list[str]]:
    """Documents from every path (first occurrence of an id wins) and the problems met, one line each.

    ``ids``: keep only these studies (a file outside them is not even extracted). ``strict``: a path
    that cannot be used at all (missing, not a text input, an unreadable records file) raises
    TextsError instead of being reported among the problems. ``why``: filled with ``{id: problem}`` for
    the studies whose file or record could not be used.
    """
    why = {} if why is None else why
    docs: list[Document] = []
    problems: list[str] = []
    seen: set[str] = set()
    wanted = set(ids) if ids is not None else None

    def fatal(message: str):
        if strict:
            raise TextsError(message)
        problems.append(message)

    def add(doc: Document, where: str):
        if wanted is not None and doc.id not in wanted:
            return
        if doc.id in seen:
            problems.append(f"{where}: id {doc.id!r} already read from an earlier input; skipped")
            return
        seen.add(doc.id)
        docs.append(doc)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in DOC_SUFFIXES and p.is_file())
            if not files:
                problems.append(f"{path}: no .pdf or .txt files found")
            for f in files:
                if wanted is not None and f.stem not in wanted:
                    continue
                try:
                    add(_load_file(f), str(f))
                except Exception as exc:  # ExtractionError and anything unexpected: one line, go on
                    problems.append(str(exc).splitlines()[0] if str(exc) else f"{f}: {type(exc).__name__}")
                    why.setdefault(f.stem, problems[-1])
        elif path.suffix.lower() in RECORD_SUFFIXES:
            try:
                for rec in read_records(path):
                    if rec.error:
                        problems.append(rec.error)
                        if rec.id:
                            why.setdefault(rec.id, rec.error)
                    else:
                        add(rec.to_document(), f"{path.name} {rec.where}")
            except RecordError as exc:
                fatal(str(exc))
        elif path.suffix.lower() in DOC_SUFFIXES and path.is_file():
            try:
                add(_load_file(path), str(path))
            except Exception as exc:
                problems.append(str(exc).splitlines()[0] if str(exc) else f"{path}: {type(exc).__name__}")
                why.setdefault(path.stem, problems[-1])
        elif not path.exists():
            fatal(f"{path}: no such file or directory")
        else:
            fatal(f"{path}: not a text input (expected a directory, .pdf, .txt or {', '.join(RECORD_SUFFIXES)})")
    return docs, problems


@dataclass
class LabelledTexts:
    """What ``train`` and ``evaluate`` learn from: the texts of the labelled studies, and the rest said."""
    documents: list[Document]          # one per labelled study that has a text, in input order
    n_read: int                        # texts read in all (labelled or not)
    problems: list[str]                # inputs that could not be used, one line each
    without_text: dict[str, str] = field(default_factory=dict)  # labelled id -> why it has no text

    def report(self, say, limit: int = 10) -> None:
        """Say which labelled studies are left out and why (``say``: one line at a time)."""
        if not self.without_text:
            return
        say(f"{len(self.without_text)} labelled studies have no text and are left out:")
        for study, reason in list(self.without_text.items())[:limit]:
            say(f"  {study}: {reason}")
        if len(self.without_text) > limit:
            say(f"  ... and {len(self.without_text) - limit} more (all: the studies in the labels file whose id "
                f"no --texts input holds)")


def load_labelled_texts(paths, labels) -> LabelledTexts:
    """For ``train`` and ``evaluate``: the documents of the studies ``labels`` (``read_labels``) labels
    for at least one task, how many texts were read in all, the problems met, and why each labelled
    study without a text has none."""
    from ..io.labels import labelled_ids

    why: dict[str, str] = {}
    docs, problems = load_texts(paths, why=why)
    wanted = labelled_ids(labels)
    have = {d.id for d in docs}
    without = {i: why.get(i, "no record or file with this id in the --texts inputs")
               for i in labels.index if i in wanted and i not in have}
    return LabelledTexts([d for d in docs if d.id in wanted], len(docs), problems, without)
