"""The extraction pipeline behind ``load_document``: engine -> layout -> sections -> sentences."""
from __future__ import annotations

import time
from pathlib import Path

from ..document import Document
from .errors import ExtractionError

TEXT_SUFFIXES = (".txt", ".text")


def sniff(path: Path) -> str:
    """'pdf', 'text', or raise ExtractionError for what is neither."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except FileNotFoundError:
        raise ExtractionError(path, "file not found") from None
    except IsADirectoryError:
        raise ExtractionError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise ExtractionError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not head.strip():
        raise ExtractionError(path, "empty file")
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if path.suffix.lower() in TEXT_SUFFIXES:
        return "text"
    low = head.lower().lstrip()
    if low.startswith((b"<!doctype html", b"<html")) or b"<html" in low[:512]:
        kind = "looks like HTML, e.g. a web page saved with a .pdf name"
    elif low.startswith(b"<?xml") or low.startswith(b"<"):
        kind = "looks like XML/markup"
    elif low.startswith(b"pk\x03\x04"):
        kind = "looks like a ZIP/Office file"
    else:
        try:
            head.decode("utf-8")
            kind = "looks like plain text"
        except UnicodeDecodeError:
            kind = "unknown binary content"
    if path.suffix.lower() == ".pdf":
        raise ExtractionError(path, f"not a PDF ({kind})")
    raise ExtractionError(path, f"unsupported file type {path.suffix or '(no extension)'} ({kind}); expected .pdf or .txt")


def get_engine(name: str):
    if name == "pdfium":
        from .pdfium import PdfiumEngine

        return PdfiumEngine()
    if name in ("pdfplumber", "plumber"):
        from .plumber import PlumberEngine

        return PlumberEngine()
    raise ValueError(f"unknown extraction engine {name!r}; choose 'pdfium' or 'pdfplumber'")


class Extractor:
    """One configured extraction: ``Extractor(engine=..., max_pages=..., timeout=...).load(path)``."""

    def __init__(self, engine: str = "pdfium", max_pages: int = 500, timeout: float = 120.0,
                 sentences: bool = True, on_page_limit: str = "error"):
        if on_page_limit not in ("error", "truncate"):
            raise ValueError("on_page_limit must be 'error' or 'truncate'")
        self.engine = engine
        self.max_pages = max_pages
        self.timeout = timeout
        self.sentences = sentences
        self.on_page_limit = on_page_limit

    def load(self, path) -> Document:
        path = Path(path)
        kind = sniff(path)
        start = time.monotonic()
        try:
            doc = self._text(path) if kind == "text" else self._pdf(path, start)
            if self.sentences:
                self._check_time(path, start)
                from .sentences import add_sentences

                add_sentences(doc)
        except ExtractionError:
            raise
        except MemoryError:
            raise ExtractionError(path, "too large to extract in the available memory") from None
        except Exception as exc:  # never a traceback for a bad file
            raise ExtractionError(path, f"cannot be extracted ({type(exc).__name__}: {exc})") from None
        return doc

    def _check_time(self, path, start):
        if self.timeout and time.monotonic() - start > self.timeout:
            raise ExtractionError(path, f"took longer than {self.timeout:g} s (time limit)")

    def _text(self, path: Path) -> Document:
        from .sections import text_sections
        from .text import read_text

        text, warnings = read_text(path)
        sections, more = text_sections(text)
        if not sections:
            raise ExtractionError(path, "empty file (only white space)")
        meta = {"engine": "text"}
        if sections[0].name == "title":
            meta["title"] = sections[0].text
        return Document(source=str(path), id=path.stem, pages=0, sections=sections,
                        warnings=warnings + more, meta=meta)

    def _pdf(self, path: Path, start: float) -> Document:
        from .layout import body_size, build_lines, cover_page, mark_non_body, mark_paragraphs, reading_order, remove_furniture
        from .pdfium import open_pdf
        from .sections import SectionBuilder, find_title

        warnings: list[str] = []
        pdf = open_pdf(path)  # validates (encryption, damage) the same way for every engine
        try:
            total = len(pdf)
        finally:
            pdf.close()
        if total == 0:
            raise ExtractionError(path, "PDF has no pages")
        limit = total
        if self.max_pages and total > self.max_pages:
            if self.on_page_limit == "error":
                raise ExtractionError(path, f"has {total} pages, more than the limit of {self.max_pages} (max_pages)")
            limit = self.max_pages
            warnings.append(f"page limit hit: read the first {limit} of {total} pages")
        engine = get_engine(self.engine)
        deadline = start + self.timeout if self.timeout else None
        pages_lines, heights = [], []
        empty_pages = []
        for page in engine.pages(path, max_pages=limit, deadline=deadline, timeout=self.timeout):
            lines = build_lines(page)
            if not lines:
                empty_pages.append(page.number)
            pages_lines.append(lines)
            heights.append(page.height)
        self._check_time(path, start)
        size = body_size(pages_lines)
        pages_lines = [reading_order(lines, size) for lines in pages_lines]
        if len(empty_pages) == len(pages_lines):
            raise ExtractionError(path, "no text layer (image-only scan; run OCR first)")
        if empty_pages:
            shown = ", ".join(map(str, empty_pages[:10])) + (" ..." if len(empty_pages) > 10 else "")
            warnings.append(f"no text layer on page(s) {shown} (images only)")
        from .doi import find_doi

        doi = find_doi([ln.text for lines in pages_lines[:2] for ln in lines],
                       [ln.text for lines in pages_lines[2:][-2:] for ln in lines])
        first_page = 1
        if cover_page(pages_lines):
            pages_lines, heights = pages_lines[1:], heights[1:]
            first_page = 2
            warnings.append("page 1 skipped: a download cover page")
        pages_lines, _ = remove_furniture(pages_lines, heights)
        flat = [ln for lines in pages_lines for ln in lines]
        mark_paragraphs(flat)
        builder = SectionBuilder()
        mark_non_body(flat, builder.body_style(flat)[0])
        title = find_title(flat, first_page)
        sections, more = builder.build(flat, title)
        warnings += more
        meta = {"engine": engine.name}
        if doi:
            meta["doi"] = doi
        for s in sections:
            if s.name == "title":
                meta["title"] = s.text
                break
        return Document(source=str(path), id=path.stem, pages=total, sections=sections, warnings=warnings, meta=meta)
