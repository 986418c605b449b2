"""Evidence sentences highlighted within their section's text, as escaped pieces.

The page never marks document text as safe: a section is cut into ``Segment`` pieces (plain text
plus the tasks whose evidence covers it) and the template lets Jinja2 escape every piece, wrapping
the covered ones in ``<mark>``. So a PDF whose text holds ``<script>`` shows it as text.

Where the section text comes from, in order:
1. a ``sections`` list in the prediction dict (``[{"name", "heading", "text"}]``), when present;
2. the ``source`` re-read, when it is a readable file: a PDF or ``.txt`` through
   ``classifier.extract.load_document``, or ``records.jsonl#line 3`` through ``classifier.io``;
3. otherwise nothing: the page shows the evidence sentences alone and says why.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from ..schema import task_names

DOCUMENT_SUFFIXES = (".pdf", ".txt")


@dataclass
class Segment:
    text: str
    tasks: tuple[str, ...] = ()


@dataclass
class SectionView:
    name: str
    heading: str
    segments: list[Segment]
    evidence_count: int = 0


@dataclass
class DocumentView:
    sections: list[SectionView] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)   # evidence rows not found in any section text
    origin: str = ""      # where the section text came from, said on the page
    note: str = ""        # why there is no section text, when there is none


def segments(text: str, spans: list[tuple[int, int, str]]) -> list[Segment]:
    """Cut ``text`` at every span boundary; each piece lists the tasks whose spans cover it."""
    cuts = {0, len(text)}
    for start, end, _ in spans:
        cuts.update((start, end))
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    out: list[Segment] = []
    for a, b in zip(points, points[1:]):
        if a == b:
            continue
        covering = tuple(t for t in task_names() if any(s <= a and b <= e and task == t for s, e, task in spans))
        if out and out[-1].tasks == covering:
            out[-1] = Segment(out[-1].text + text[a:b], covering)
        else:
            out.append(Segment(text[a:b], covering))
    return out


def locate(text: str, row: dict) -> tuple[int, int] | None:
    """Where an evidence row sits in its section text: its offsets when they hold, else a search."""
    start, end, sentence = row.get("start"), row.get("end"), row["text"]
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        if text[start:end] == sentence:
            return start, end
    at = text.find(sentence)
    if at >= 0:
        return at, at + len(sentence)
    stripped = sentence.strip()
    at = text.find(stripped) if stripped else -1
    return (at, at + len(stripped)) if at >= 0 else None


def build_view(pred: dict, sections: list[dict] | None, origin: str = "", note: str = "") -> DocumentView:
    """Highlight ``pred``'s evidence in ``sections`` (dicts with name, heading, text)."""
    rows = [(task, row) for task in task_names() for row in pred.get("evidence", {}).get(task, [])]
    if not sections:
        return DocumentView(unplaced=[dict(row, task=task) for task, row in rows], origin=origin, note=note)
    spans_by_section: dict[int, list[tuple[int, int, str]]] = {}
    unplaced = []
    for task, row in rows:
        placed = False
        # the named section first, then any other section holding the sentence
        order = sorted(range(len(sections)), key=lambda i: sections[i].get("name") != row.get("section"))
        for i in order:
            where = locate(sections[i].get("text") or "", row)
            if where:
                spans_by_section.setdefault(i, []).append((where[0], where[1], task))
                placed = True
                break
        if not placed:
            unplaced.append(dict(row, task=task))
    views = []
    title = " ".join(str(pred.get("title") or "").split())
    for i, sec in enumerate(sections):
        text = sec.get("text") or ""
        if not text.strip():
            continue
        if i not in spans_by_section and (sec.get("name") == "title" or " ".join(text.split()) == title):
            continue  # the title is already the page's heading
        spans = spans_by_section.get(i, [])
        views.append(SectionView(str(sec.get("name") or "other"), str(sec.get("heading") or ""),
                                 segments(text, spans), len(spans)))
    return DocumentView(views, unplaced, origin=origin, note=note)


class SectionSource:
    """Finds a prediction's section text (see module docstring), caching re-extracted documents."""

    def __init__(self, base_dir: str | Path | None = None, cache_size: int = 32, timeout: float = 60.0):
        self.base_dir = Path(base_dir) if base_dir else None
        self.cache_size = cache_size
        self.timeout = timeout
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def _resolve(self, source: str) -> Path | None:
        candidates = [Path(source)]
        if self.base_dir is not None and not Path(source).is_absolute():
            candidates.append(self.base_dir / source)
        for path in candidates:
            try:
                if path.is_file():
                    return path
            except OSError:
                continue
        return None

    def sections_for(self, pred: dict) -> tuple[list[dict] | None, str, str]:
        """(sections or None, origin, note)."""
        given = pred.get("sections")
        if isinstance(given, list) and any(isinstance(s, dict) and s.get("text") for s in given):
            return [s for s in given if isinstance(s, dict)], "the predictions file", ""
        source = pred.get("source") or ""
        if not source:
            return None, "", "The predictions file names no source, so only the evidence sentences are shown."
        file_part, _, where = source.partition("#")
        path = self._resolve(file_part)
        if path is None:
            return None, "", f"The source {source} is not a readable file here, so only the evidence sentences are shown."
        try:
            stat = path.stat()
            key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, where, pred["id"])
        except OSError:
            key = None
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        result = self._read(path, where, pred)
        if key is not None:
            with self._lock:
                self._cache[key] = result
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result

    def _read(self, path: Path, where: str, pred: dict) -> tuple[list[dict] | None, str, str]:
        suffix = path.suffix.lower()
        if suffix in DOCUMENT_SUFFIXES and not where:
            try:
                from ..extract import load_document
            except ImportError:
                return None, "", "Text extraction is not available, so only the evidence sentences are shown."
            try:
                doc = load_document(path, sentences=False, timeout=self.timeout)
            except Exception as exc:  # ExtractionError and anything an engine raises: say it, go on
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                return None, "", f"Could not re-read {path.name}: {message}. Only the evidence sentences are shown."
            return [s.to_dict() for s in doc.sections], f"{path.name} (re-extracted)", ""
        try:
            from ..io.records import RECORD_SUFFIXES, read_records
        except ImportError:
            return None, "", "Record files cannot be read here, so only the evidence sentences are shown."
        if suffix not in RECORD_SUFFIXES:
            return None, "", f"{path.name} is neither a document nor a records file, so only the evidence sentences are shown."
        try:
            for rec in read_records(path):
                if (where and rec.where == where) or (not where and rec.id == pred["id"]):
                    if rec.error:
                        break
                    doc = rec.to_document()
                    return [s.to_dict() for s in doc.sections], f"{path.name} {rec.where}".strip(), ""
        except Exception as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return None, "", f"Could not read {path.name}: {message}. Only the evidence sentences are shown."
        return None, "", f"{path.name} holds no record for {pred['id']}, so only the evidence sentences are shown."
