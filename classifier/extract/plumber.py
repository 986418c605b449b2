"""The pdfplumber engine: words with their font size and name (``extract_words(extra_attrs=...)``),
grouped into spans of one font on one line. Slower than pdfium; offered for comparison and for
layouts where pdfminer's character attributes serve better."""
from __future__ import annotations

import time

from .errors import ExtractionError
from .spans import Page, Span, base_font, font_is_bold


class PlumberEngine:
    name = "pdfplumber"

    def __init__(self, gap_factor: float = 0.6, x_tolerance: float = 1.5):
        self.gap_factor = gap_factor
        self.x_tolerance = x_tolerance  # pdfplumber's default 3 glues tightly set words together

    def _open(self, path):
        import logging

        import pdfplumber

        logging.getLogger("pdfminer").setLevel(logging.ERROR)  # colour-space chatter is not the user's business

        try:
            return pdfplumber.open(str(path))
        except Exception as exc:  # pdfminer raises many types; all mean "cannot read"
            name = type(exc).__name__.lower()
            if "password" in name or "encrypt" in name:
                raise ExtractionError(path, "encrypted PDF (password-protected); save an unprotected copy first") from None
            raise ExtractionError(path, f"damaged or truncated PDF (cannot be read: {type(exc).__name__})") from None

    def page_count(self, path) -> int:
        with self._open(path) as pdf:
            return len(pdf.pages)

    def pages(self, path, max_pages: int | None = None, deadline: float | None = None, timeout: float = 0.0):
        with self._open(path) as pdf:
            pages = pdf.pages if max_pages is None else pdf.pages[:max_pages]
            for i, page in enumerate(pages):
                if deadline is not None and time.monotonic() > deadline:
                    raise ExtractionError(path, f"took longer than {timeout:g} s (time limit) at page {i + 1}")
                try:
                    yield self._page(page, i + 1)
                except ExtractionError:
                    raise
                except Exception as exc:
                    raise ExtractionError(path, f"damaged PDF: page {i + 1} cannot be read ({type(exc).__name__})") from None
                finally:
                    page.flush_cache()

    def _page(self, page, number: int) -> Page:
        x0p, topp, x1p, bottomp = page.bbox
        out = Page(number, float(page.width), float(page.height))
        words = page.extract_words(use_text_flow=True, keep_blank_chars=False, x_tolerance=self.x_tolerance,
                                   extra_attrs=["size", "fontname"])
        cur = None
        fonts: dict[str, tuple[str, bool]] = {}
        for w in words:
            if w["x1"] < x0p or w["x0"] > x1p or w["bottom"] < topp or w["top"] > bottomp:
                continue  # outside the visible page
            fn = w.get("fontname", "")
            if fn not in fonts:
                b = base_font(fn)
                fonts[fn] = (b, font_is_bold(b))
            font, bold = fonts[fn]
            size = round(float(w.get("size", 0.0)), 1)
            rotated = not w.get("upright", True)
            x0, x1, top, bottom = w["x0"] - x0p, w["x1"] - x0p, w["top"] - topp, w["bottom"] - topp
            if (cur is not None and cur.font == font and cur.size == size and cur.rotated == rotated
                    and abs(cur.top - top) < 0.3 * size and 0 <= x0 - cur.x1 < self.gap_factor * size):
                cur.text += " " + w["text"]
                cur.x1 = max(cur.x1, x1)
                cur.bottom = max(cur.bottom, bottom)
                continue
            cur = Span(w["text"], x0, top, x1, bottom, size, font, bold, rotated, True)
            out.spans.append(cur)
        return out
