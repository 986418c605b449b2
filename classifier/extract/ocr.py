"""The OCR engine: Tesseract on pages rendered by pypdfium2, for pages without a usable text layer.

Only the pages that need it are read this way (``--ocr auto``, the default): a page whose text layer
holds almost no letters (or only unmappable glyphs) and that carries a picture covering a good part
of it is a scanned page. ``--ocr always`` reads every page by OCR (a PDF whose text layer is junk);
``--ocr never`` reads none (image-only pages are then reported, as before).

A page is rendered in grey at ``DPI`` by pdfium (already loaded for text), handed to the
``tesseract`` program on its standard input, and its TSV output (one row per word, with the word's
box and its block/paragraph/line numbers) becomes the same ``Page``/``Span`` model the other engines
produce, so columns, reading order, furniture and headings are worked out by the same layout code.
Tesseract reports no font facts: a line's type size is estimated from its height (lines within 15%
of the page's usual line height get exactly the body size, so headings set larger stand out), and
the font is ``"OCR"``.

Tesseract is an optional dependency (the Debian/Ubuntu packages ``tesseract-ocr`` and
``tesseract-ocr-eng``; Homebrew ``tesseract`` on macOS). Without it, born-digital PDFs read as
before and a scanned page gets a clear message naming the package to install.
"""
from __future__ import annotations

import os
import re
import time
from functools import lru_cache

from . import OCR_MODES
from .errors import ExtractionError
from .spans import Page, Span

DPI = 300                 # Tesseract is trained on text of ~20-30 px x-height: 300 dpi for 9-10 pt type
LANGUAGE = "eng"
# A page is a scan when a picture covers at least a quarter of it and its text layer has fewer than
# 40 letters, or half of it and fewer than 200 (a download stamp printed on every scanned page)
SCAN_RULES = ((0.25, 40), (0.5, 200))
MIN_CONFIDENCE = 30.0     # words Tesseract is less sure of are dropped (speckles read as letters)
FONT = "OCR"
INSTALL_HINT = ("OCR needs Tesseract, which is not installed (Debian/Ubuntu: apt-get install tesseract-ocr "
                "tesseract-ocr-eng; macOS: brew install tesseract)")


_SPECKS = re.compile(r"^[.,'`\u2018\u2019~_]{2,}|[.,'`\u2018\u2019~_]{3,}$")


class OcrUnavailable(Exception):
    """Tesseract (or its English data) cannot be run here; ``str()`` says what to install."""


def check_mode(mode: str) -> str:
    if mode not in OCR_MODES:
        raise ValueError(f"unknown OCR mode {mode!r}; choose one of {', '.join(OCR_MODES)}")
    return mode


@lru_cache(maxsize=1)
def tesseract() -> tuple[str, str] | None:
    """``(program path, version)`` of a working Tesseract with English data, or None."""
    import shutil
    import subprocess

    program = shutil.which(os.environ.get("PEER_CHARTING_TESSERACT", "tesseract"))
    if not program:
        return None
    try:
        out = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=30)
        version = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if LANGUAGE not in (out.stdout + out.stderr).split():
        return None
    first = (version.stdout or version.stderr).strip().splitlines()
    return program, (first[0] if first else "tesseract")


def fingerprint(mode: str) -> str:
    """What decides OCR output, for cache keys: the mode, the resolution and the Tesseract version
    (installing Tesseract later makes earlier "OCR needs Tesseract" results stale)."""
    if mode == "never":
        return "ocr=never"
    found = tesseract()
    return f"ocr={mode};dpi={DPI};lang={LANGUAGE};{found[1] if found else 'no tesseract'}"


# -- which pages -----------------------------------------------------------------------------------
def letters(page: Page, enough: int = 1 << 30) -> int:
    """Letters in the page's text layer (counting stops at ``enough``)."""
    n = 0
    for span in page.spans:
        n += sum(ch.isalpha() for ch in span.text)
        if n >= enough:
            break
    return n


def is_scan(page: Page, pdf_page) -> bool:
    """Too few real letters in the text layer (unmappable glyphs do not count) for the picture on
    the page (``SCAN_RULES``)."""
    n = letters(page)
    if n >= max(most for _, most in SCAN_RULES):
        return False
    share = picture_share(pdf_page)
    return any(share >= least and n < most for least, most in SCAN_RULES)


def picture_share(pdf_page) -> float:
    """Share of the page's area covered by its largest picture (image object)."""
    import pypdfium2.raw as raw

    try:
        width, height = pdf_page.get_size()
        area = max(width * height, 1.0)
        best = 0.0
        for obj in pdf_page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
            left, bottom, right, top = obj.get_bounds()
            best = max(best, (min(right, width) - max(left, 0)) * (min(top, height) - max(bottom, 0)) / area)
        return best
    except Exception:
        return 0.0


# -- reading a page --------------------------------------------------------------------------------
def read_page(path, pdf_page, number: int, deadline: float | None = None, timeout: float = 0.0,
              dpi: int = DPI) -> Page:
    """OCR one pdfium page into a ``Page`` of word spans (PDF points, origin top-left)."""
    import subprocess

    found = tesseract()
    if found is None:
        raise OcrUnavailable(INSTALL_HINT)
    program = found[0]
    scale = dpi / 72.0
    bitmap = pdf_page.render(scale=scale, grayscale=True, may_draw_forms=True)
    from PIL import ImageFilter

    # a 3x3 median filter removes scanner speckle (read as stray dots and quotes, and enough to make
    # Tesseract drop a word) without harming 9-10 pt type at 300 dpi
    image = bitmap.to_pil().filter(ImageFilter.MedianFilter(3))
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PPM")  # uncompressed (a PGM for grey): nothing to encode or decode
    width, height = image.size[0] / scale, image.size[1] / scale
    remaining = None
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ExtractionError(path, f"took longer than {timeout:g} s (time limit) at page {number} (OCR)")
    # one thread per Tesseract: the batch runs one document per worker process, in parallel already
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        done = subprocess.run([program, "stdin", "stdout", "-l", LANGUAGE, "--dpi", str(dpi), "--psm", "3",
                               "-c", "tessedit_do_invert=0", "tsv"],
                              input=buffer.getvalue(), capture_output=True, timeout=remaining, env=env)
    except subprocess.TimeoutExpired:
        raise ExtractionError(path, f"took longer than {timeout:g} s (time limit) at page {number} (OCR)") from None
    except OSError as exc:
        raise OcrUnavailable(f"{INSTALL_HINT}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ExtractionError(path, f"OCR failed on page {number} ({message[-1] if message else 'tesseract error'})")
    import numpy as np

    ink = np.asarray(image) < 128
    return page_from_tsv(done.stdout.decode("utf-8", "replace"), number, width, height, scale, ink)


def page_from_tsv(tsv: str, number: int, width: float, height: float, scale: float, ink=None) -> Page:
    """Tesseract's TSV (level 5 rows are words) -> a ``Page`` of word spans.

    Words of one Tesseract line are marked ``same_run`` so the layout code keeps them on one line;
    each word's size is its line's estimated type size. With ``ink`` (the page image as a boolean
    array, True where dark), a line whose strokes are much thicker than those of the page's prose is
    bold."""
    lines: dict[tuple, list[tuple]] = {}
    order: list[tuple] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        text = cells[11].strip()
        try:
            conf = float(cells[10])
            left, top, w, h = (int(c) for c in cells[6:10])
        except ValueError:
            continue
        if conf < 60:  # specks stuck to a word ("...Results")
            text = _SPECKS.sub("", text)
        if not text or conf < MIN_CONFIDENCE or w <= 0 or h <= 0:
            continue
        key = (cells[2], cells[3], cells[4])  # block, paragraph, line
        if key not in lines:
            lines[key] = []
            order.append(key)
        lines[key].append((text, left / scale, top / scale, (left + w) / scale, (top + h) / scale))
    # a line's type size from its words' boxes, each scaled by the letters it holds (an ascender or
    # capital reaches ~0.72 em above the baseline, a lowercase-only word ~0.5 em; a descender adds
    # ~0.22 em), not from the line's box, which a slightly rotated scan makes taller
    heights = {}
    for key, words in lines.items():
        ems = sorted(_em(text, b - t) for text, _, t, _, b in words)
        heights[key] = ems[len(ems) // 2]
    sizes = _sizes(heights, lines)
    bold = _bold_lines(lines, sizes, ink, scale) if ink is not None else set()
    page = Page(number, width, height)
    for key in order:
        words = lines[key]
        size = sizes[key]
        for k, (text, x0, top, x1, bottom) in enumerate(words):
            page.spans.append(Span(text, x0, top, x1, bottom, size, FONT, key in bold, False,
                                   space_before=k > 0, same_run=k > 0))
    return page


def _bold_lines(lines: dict, sizes: dict, ink, scale: float, ratio: float = 1.3) -> set:
    """Lines set in bold: their mean stroke width (dark pixels per horizontal run of dark pixels),
    relative to their type size, is ``ratio`` times that of the page's prose lines or more (bold
    strokes are about 1.5-1.8 times as thick)."""
    import numpy as np

    rows, cols = ink.shape
    stroke = {}
    for key, words in lines.items():
        dark = runs = 0
        for _, x0, top, x1, bottom in words:
            box = ink[max(0, int(top * scale)):min(rows, int(bottom * scale) + 1),
                      max(0, int(x0 * scale)):min(cols, int(x1 * scale) + 1)]
            if box.size == 0:
                continue
            dark += int(box.sum())
            runs += int(np.count_nonzero(box[:, 1:] & ~box[:, :-1])) + int(box[:, 0].sum())
        if runs and sizes[key] > 0:
            stroke[key] = dark / runs / (sizes[key] * scale)
    prose = [stroke[key] for key in stroke if len(lines[key]) >= 4]
    if len(prose) < 3:
        return set()
    usual = median(prose)
    return {key for key, width in stroke.items() if width >= ratio * usual}


_TALL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789bdfhiklt()[]{}/|!?%&#@$\u00df")
_DEEP = set("gjpqy()[]{}|;,")


def _em(word: str, height: float) -> float:
    """The type size (em) a word of this box height is set in."""
    chars = set(word)
    share = (0.72 if chars & _TALL else 0.5) + (0.22 if chars & _DEEP else 0.0)
    return height / share


def median(values) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _sizes(heights: dict, lines: dict) -> dict:
    """Type sizes per line (points, to the half point). Lines within 12% of the usual size of lines
    of prose (four words or more) get exactly that size, so body text has one size."""
    prose = [h for key, h in heights.items() if len(lines[key]) >= 4]
    usual = median(prose) if prose else (median(heights.values()) if heights else 10.0)
    body = round(usual * 2) / 2
    return {key: body if abs(h - usual) <= 0.12 * usual else round(h * 2) / 2 for key, h in heights.items()}


class PageOcr:
    """The OCR pass of one extraction: decides page by page, reads the pages that need it with the
    PDF opened once, and remembers which pages it read."""

    def __init__(self, path, mode: str = "auto", deadline: float | None = None, timeout: float = 0.0):
        self.path = path
        self.mode = check_mode(mode)
        self.deadline = deadline
        self.timeout = timeout
        self.read: list[int] = []        # page numbers read by OCR
        self.unavailable: str = ""        # why OCR could not run, when a page needed it
        self.missed: list[int] = []      # scanned pages left unread (no Tesseract)
        self._pdf = None

    def wants(self, page: Page) -> bool:
        if self.mode == "never":
            return False
        if self.mode == "always":
            return True
        most = max(m for _, m in SCAN_RULES)
        if letters(page, most) >= most:
            return False  # the common case, decided without loading the page's objects
        pdf_page = self._page(page.number)
        try:
            return is_scan(page, pdf_page)
        finally:
            pdf_page.close()

    def page(self, page: Page) -> Page:
        """``page`` read by OCR when it wants it (else ``page`` itself)."""
        if not self.wants(page):
            return page
        if self.unavailable:
            self.missed.append(page.number)
            return page
        pdf_page = self._page(page.number)
        try:
            out = read_page(self.path, pdf_page, page.number, self.deadline, self.timeout)
        except OcrUnavailable as exc:
            self.unavailable = str(exc)
            self.missed.append(page.number)
            return page
        finally:
            pdf_page.close()
        self.read.append(page.number)
        return out

    def _page(self, number: int):
        if self._pdf is None:
            from .pdfium import open_pdf

            self._pdf = open_pdf(self.path)
        return self._pdf[number - 1]

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None


def harmonise_sizes(lines, tolerance: float = 0.08) -> None:
    """Give the estimated type sizes of OCR'd lines (over all of a document's OCR'd pages) a few
    values: each size within ``tolerance`` of a size carrying more text takes that size, so the body
    has one size and headings of one level have one style, as in a born-digital PDF."""
    from collections import Counter

    weights = Counter()
    for ln in lines:
        weights[ln.size] += len(ln.text)
    centres: list[float] = []
    mapping = {}
    for size, _ in weights.most_common():
        near = [c for c in centres if abs(size - c) <= tolerance * c]
        if near:
            mapping[size] = min(near, key=lambda c: abs(size - c))
        else:
            centres.append(size)
            mapping[size] = size
    for ln in lines:
        ln.size = mapping[ln.size]
        for span in ln.spans:
            span.size = ln.size


def page_list(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7" (for messages)."""
    out, run = [], []
    for n in sorted(numbers):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)
