"""The default engine: pypdfium2.

Fast path: one ``get_text_range`` call per page, then per *text rectangle* (pdfium's runs of text,
usually one to a few per line) rather than per character: each rectangle's first character is found
by bisection on ``FPDFText_CountRects`` over its line, then its font size (times the text matrix)
and font name are read, the font weight once per font. Only a line pdfium cannot map cleanly falls
back to character boxes.
"""
from __future__ import annotations

import ctypes
import re
import time

from .errors import ExtractionError
from .spans import Page, Span, base_font, font_is_bold

_SEGMENT = re.compile(r"[^\r\n]+")
_LIGATURE_END = re.compile("(?:ff|fi|fl|[\ufb00-\ufb06])$")
_LIGATURE_GAP = re.compile("(?:ff|fi|fl|ffi|ffl|[\ufb00-\ufb06]) (?=[a-z])")


def open_pdf(path, password=None):
    """Open ``path`` with pdfium, turning its failures into one-line ``ExtractionError``s."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path), password=password)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise ExtractionError(path, "encrypted PDF (password-protected); save an unprotected copy first") from None
        if "format" in msg or "data" in msg:
            raise ExtractionError(path, "damaged or truncated PDF (cannot be read)") from None
        raise ExtractionError(path, f"cannot be opened as a PDF ({exc})") from None


class PdfiumEngine:
    """Pages of ``Span``s from pypdfium2."""

    name = "pdfium"

    def page_count(self, path) -> int:
        pdf = open_pdf(path)
        try:
            return len(pdf)
        finally:
            pdf.close()

    def pages(self, path, max_pages: int | None = None, deadline: float | None = None, timeout: float = 0.0):
        """Yield ``Page``s in order (at most ``max_pages``); raise ``ExtractionError`` past ``deadline``."""
        pdf = open_pdf(path)
        try:
            n = len(pdf)
            if max_pages is not None:
                n = min(n, max_pages)
            for i in range(n):
                if deadline is not None and time.monotonic() > deadline:
                    raise ExtractionError(path, f"took longer than {timeout:g} s (time limit) at page {i + 1}")
                try:
                    page = pdf[i]
                except Exception as exc:  # pdfium cannot load a damaged page
                    raise ExtractionError(path, f"damaged PDF: page {i + 1} cannot be read ({exc})") from None
                try:
                    yield self._page(page, i + 1)
                finally:
                    page.close()
        finally:
            pdf.close()

    # -- one page ---------------------------------------------------------------------------
    def _page(self, page, number: int) -> Page:
        import pypdfium2.raw as raw

        # the visible area in the page's own (unrotated) coordinates, which is where pdfium puts the
        # text; the CropBox need not start at 0,0, and /Rotate only changes how the page is shown
        try:
            left, bottom, right, top = page.get_cropbox()
            ox, oy, width, height = left, bottom, right - left, top - bottom
        except Exception:
            width, height = page.get_size()
            ox, oy = 0.0, 0.0
            if page.get_rotation() in (90, 270):
                width, height = height, width
        out = Page(number, width, height)
        textpage = page.get_textpage()
        try:
            tp = textpage.raw
            count = raw.FPDFText_CountChars(tp)
            if count <= 0:
                return out
            text = textpage.get_text_range()
            if len(text) != count:  # characters outside the BMP: read them one by one
                text = "".join(_char(raw.FPDFText_GetUnicode(tp, i)) for i in range(count))
            reader = _SpanReader(raw, tp, text, height + oy, ox, width, height)
            for m in _SEGMENT.finditer(text):
                reader.segment(m.start(), m.end(), out.spans)
        finally:
            textpage.close()
        return out


def _char(code: int) -> str:
    """One character as ``get_text_range`` would give it (pdfium marks a line-end hyphen with 2)."""
    if code == 2:
        return "\ufffe"
    return chr(code) if code else " "


class _SpanReader:
    def __init__(self, raw, tp, text, top_y, ox, width, height):
        self.raw, self.tp, self.text = raw, tp, text
        self.top_y, self.ox, self.width, self.height = top_y, ox, width, height
        self.L, self.T, self.R, self.B = (ctypes.c_double() for _ in range(4))
        self.matrix = raw.FS_MATRIX()
        self.buf = ctypes.create_string_buffer(256)
        self.flags = ctypes.c_int()
        self.flags_ref = ctypes.byref(self.flags)
        self.segment_start = 0
        self.font_cache: dict[bytes, tuple[str, bool]] = {}

    def _font(self, i: int) -> tuple[float, str, bool, bool]:
        """(size, font, bold, rotated) of character ``i``."""
        raw, tp = self.raw, self.tp
        size = raw.FPDFText_GetFontSize(tp, i)
        m = self.matrix
        if raw.FPDFText_GetMatrix(tp, i, m):
            scale = (m.c * m.c + m.d * m.d) ** 0.5
            if scale > 0:
                size *= scale
            rotated = abs(m.b) > 1e-3 * max(abs(m.a), 1e-9) or m.a < 0
        else:
            rotated = False
        n = raw.FPDFText_GetFontInfo(tp, i, self.buf, 256, self.flags_ref)
        name = self.buf.raw[: max(0, n - 1)] if n > 0 else b""
        cached = self.font_cache.get(name)
        if cached is None:  # weight and flags belong to the font: read them once per font
            weight = raw.FPDFText_GetFontWeight(tp, i)
            fname = base_font(name.decode("utf-8", "replace"))
            cached = self.font_cache[name] = (fname, font_is_bold(fname, weight) or bool(self.flags.value & (1 << 18)))
        return round(size, 1), cached[0], cached[1], rotated

    def _rects(self, a: int, b: int) -> list[tuple[float, float, float, float]]:
        raw, tp = self.raw, self.tp
        n = raw.FPDFText_CountRects(tp, a, b - a)
        L, T, R, B = self.L, self.T, self.R, self.B
        out = []
        for r in range(n):
            raw.FPDFText_GetRect(tp, r, L, T, R, B)
            out.append((L.value, T.value, R.value, B.value))
        return out

    def segment(self, a: int, b: int, spans: list[Span]) -> None:
        """Cut text[a:b] (one pdfium line) into spans, one per pdfium rectangle."""
        text = self.text
        while a < b and text[a] == " ":
            a += 1
        if a >= b:
            return
        self.segment_start = a
        rects = self._rects(a, b)
        if not rects:
            return
        if len(rects) == 1:
            self._emit(a, b, rects[0], spans)
            return
        starts = [a] + self._rect_starts(a, b, len(rects))
        if any(x >= y for x, y in zip(starts, starts[1:])) or starts[-1] >= b:
            self._by_chars(a, b, spans)
            return
        starts.append(b)
        for k, rect in enumerate(rects):
            self._emit(starts[k], starts[k + 1], rect, spans)

    def _rect_starts(self, a: int, b: int, n: int) -> list[int]:
        """First character of rectangles 1..n-1 of text[a:b]. The number of rectangles pdfium counts
        for a prefix grows with its length, so each start is found by bisection on
        ``FPDFText_CountRects`` over short ranges (much cheaper than hit-testing positions)."""
        count = self.raw.FPDFText_CountRects
        tp = self.tp
        starts = []
        lo = 1
        for j in range(1, n):
            hi = b - a
            while lo < hi:
                mid = (lo + hi) // 2
                if count(tp, a, mid) > j:
                    hi = mid
                else:
                    lo = mid + 1
            starts.append(a + hi - 1)
            lo = hi
        return starts

    def _emit(self, a: int, b: int, rect, spans: list[Span]) -> None:
        text = self.text[a:b]
        stripped = text.strip()
        if not stripped:
            return
        first = a + (len(text) - len(text.lstrip()))
        space_before = first > 0 and self.text[first - 1] in " \r\n"
        same_run = a > self.segment_start
        left, top, right, bottom = rect
        x0, x1 = left - self.ox, right - self.ox
        t, btm = self.top_y - top, self.top_y - bottom
        if x1 < 0 or x0 > self.width or btm < 0 or t > self.height:  # off the visible page
            return
        size, font, bold, rotated = self._font(first)
        if " " in stripped and _LIGATURE_GAP.search(stripped):
            stripped = self._drop_ligature_spaces(first, stripped, size)
        if (space_before and first >= 3 and _LIGATURE_END.search(self.text, first - 4, first - 1)
                and stripped[:1].islower() and self._tight(first - 2, first, size)):
            space_before = False  # "verifi" + "ed" across two runs
        if size <= 0:
            size = max(btm - t, 1.0)
        spans.append(Span(stripped, x0, t, x1, btm, size, font, bold, rotated, space_before, same_run))

    def _tight(self, i: int, j: int, size: float) -> bool:
        """No real word space between characters ``i`` and ``j``."""
        raw, tp = self.raw, self.tp
        L, R, B, T = self.L, self.R, self.B, self.T
        if not raw.FPDFText_GetCharBox(tp, i, L, R, B, T):
            return False
        right = R.value
        if not raw.FPDFText_GetCharBox(tp, j, L, R, B, T):
            return False
        return L.value - right < 0.15 * max(size, 4.0)

    def _drop_ligature_spaces(self, first: int, text: str, size: float) -> str:
        """Some fonts map a ligature glyph to "fi " (with a space), giving "verifi ed" and
        "eff ective"; drop such a space when no gap separates the letters around it."""
        out = []
        last = 0
        for m in _LIGATURE_GAP.finditer(text):
            k = m.end() - 1  # the space
            if self._tight(first + k - 1, first + k + 1, size):  # a real word space is ~0.25 em
                out.append(text[last:k])
                last = k + 1
        out.append(text[last:])
        return "".join(out)

    def _by_chars(self, a: int, b: int, spans: list[Span]) -> None:
        """Slow path for one line: character boxes, cut where the baseline or direction changes."""
        raw, tp = self.raw, self.tp
        L, R, B, T = self.L, self.R, self.B, self.T
        cur = None  # [start, left, top, right, bottom]
        for i in range(a, b):
            ch = self.text[i]
            if not raw.FPDFText_GetCharBox(tp, i, L, R, B, T) or ch == " ":
                continue
            left, right, bottom, top = L.value, R.value, B.value, T.value
            if cur is not None:
                h = max(cur[2] - cur[4], top - bottom, 1.0)
                same_line = abs((top + bottom) / 2 - (cur[2] + cur[4]) / 2) < 0.5 * h
                if same_line and -0.5 * h < left - cur[3] < 0.9 * h:  # word spaces are ~0.3 em; gutters wider
                    cur[1], cur[2] = min(cur[1], left), max(cur[2], top)
                    cur[3], cur[4] = max(cur[3], right), min(cur[4], bottom)
                    continue
                self._emit(cur[0], i, tuple(cur[1:]), spans)
            cur = [i, left, top, right, bottom]
        if cur is not None:
            self._emit(cur[0], b, tuple(cur[1:]), spans)
