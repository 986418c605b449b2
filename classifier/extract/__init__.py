"""File -> ``Document``: PDFs (pypdfium2 or pdfplumber engine) and plain text, in canonical sections.

    from classifier.extract import load_document, ExtractionError
    doc = load_document("paper.pdf")            # sections + sentences
    doc = load_document("paper.pdf", engine="pdfplumber", sentences=False)

Everything heavy is imported when first used, not at import time.
"""
from __future__ import annotations

from .errors import ExtractionError

__all__ = ["load_document", "ExtractionError", "ENGINES", "OCR_MODES", "split_sentences", "add_sentences", "get_nlp"]

ENGINES = ("pdfium", "pdfplumber")
OCR_MODES = ("auto", "always", "never")  # auto: pages without a usable text layer (classifier/extract/ocr.py)


def load_document(path, *, engine: str = "pdfium", max_pages: int = 500, timeout: float = 120.0,
                  sentences: bool = True, on_page_limit: str = "error", ocr: str = "auto"):
    """Read a PDF or ``.txt`` file into a ``Document`` with canonical sections.

    ``max_pages``: a PDF with more pages raises ``ExtractionError`` (or, with
    ``on_page_limit="truncate"``, is read up to the limit with a warning). ``timeout``: seconds
    before extraction gives up with ``ExtractionError``. Every failure is an ``ExtractionError``
    whose message is one line naming the file. ``ocr``: ``"auto"`` reads scanned pages (no usable
    text layer) with Tesseract when it is installed, ``"always"`` every page, ``"never"`` none; the
    pages read by OCR are in ``doc.ocr_pages`` and named in ``doc.warnings``.
    """
    from .pipeline import Extractor

    return Extractor(engine=engine, max_pages=max_pages, timeout=timeout, sentences=sentences,
                     on_page_limit=on_page_limit, ocr=ocr).load(path)


def __getattr__(name):  # split_sentences & co. without importing spaCy up front
    if name in ("split_sentences", "add_sentences", "get_nlp"):
        from . import sentences

        return getattr(sentences, name)
    raise AttributeError(name)
