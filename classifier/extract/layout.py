"""Page layout: spans -> lines -> reading order; page furniture removal; joining lines into text.

Engine-independent: works on ``model.Page``/``Span`` from either engine.

* lines: spans on one visual line (superscripts included) merged left to right;
* columns: vertical gutters found from the x-coverage of *narrow* lines, so a full-width title or
  abstract above two columns does not hide the gutter; narrow side columns (margin notes, metadata
  sidebars) are read after the page's main text;
* reading order: bands separated by lines that span several columns, each band column by column;
* furniture: lines near the top/bottom edge (or rotated in the margin) whose text, digits masked,
  repeats on several pages, and bare page numbers, are dropped; so is a download cover page;
* joining: line-end hyphens joined, paragraphs kept apart.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .spans import Page, Span
from .normalize import PDFIUM_HYPHEN, SOFT_HYPHEN, clean


@dataclass
class Line:
    spans: list[Span]
    page: int
    x0: float = 0.0
    top: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0
    text: str = ""
    size: float = 0.0      # font size of most of the line's characters
    font: str = ""
    bold: bool = False
    rotated: bool = False
    column: int = 0        # index of the column it sits in, -1 when it spans columns
    side: bool = False     # in a narrow side column
    para_start: bool = False
    gap_before: float = 0.0
    kind: str = "body"     # body | table | caption | small (set by mark_non_body)

    def finish(self) -> "Line":
        spans = self.spans
        first = spans[0]
        x0, top, x1, bottom = first.x0, first.top, first.x1, first.bottom
        parts: list[str] = [first.text]
        prev = first
        style = (first.size, first.font, first.bold)
        mixed = False
        rotated = first.rotated
        for s in spans[1:]:
            if s.x0 < x0:
                x0 = s.x0
            if s.x1 > x1:
                x1 = s.x1
            if s.top < top:
                top = s.top
            if s.bottom > bottom:
                bottom = s.bottom
            if s.space_before or s.x0 - prev.x1 > 0.2 * max(s.size, prev.size, 1.0):
                if not parts[-1].endswith((" ", PDFIUM_HYPHEN)):
                    parts.append(" ")
            parts.append(s.text)
            prev = s
            mixed = mixed or (s.size, s.font, s.bold) != style
            rotated = rotated and s.rotated
        self.x0, self.top, self.x1, self.bottom = x0, top, x1, bottom
        self.text = clean("".join(parts)).strip()
        if mixed:  # the style of most of the line's characters
            weights = Counter()
            for s in spans:
                weights[(s.size, s.font, s.bold)] += len(s.text)
            style = weights.most_common(1)[0][0]
        self.size, self.font, self.bold = style
        self.rotated = rotated
        return self

    @property
    def style(self) -> tuple:
        return (round(self.size * 2) / 2, self.font, self.bold)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


# -- lines -----------------------------------------------------------------------------------------
def build_lines(page: Page, merge_gap: float = 0.8) -> list[Line]:
    """Merge the page's spans (content order) into visual lines."""
    lines: list[Line] = []
    cur: list[Span] = []
    cur_box = None  # x1, top, bottom of the line so far (from its full-size spans)
    for s in page.spans:
        if not s.text.strip():
            continue
        if cur and not s.rotated and not cur[-1].rotated:
            x1, top, bottom = cur_box
            h = max(bottom - top, s.bottom - s.top, 1.0)
            overlap = min(bottom, s.bottom) - max(top, s.top)
            # wider gaps inside a line the engine read as one (justified text set word by word)
            limit = max((1.5 if s.same_run else merge_gap) * max(s.size, cur[-1].size), 3.0)
            if (overlap > 0.1 * min(h, max(s.bottom - s.top, 0.5)) and -1.0 * h <= s.x0 - x1 <= limit
                    and s.x0 > cur[0].x0):
                cur.append(s)
                if s.size >= 0.8 * cur[0].size:
                    cur_box = (max(x1, s.x1), min(top, s.top), max(bottom, s.bottom))
                else:
                    cur_box = (max(x1, s.x1), top, bottom)
                continue
        if cur:
            lines.append(Line(cur, page.number).finish())
        cur = [s]
        cur_box = (s.x1, s.top, s.bottom)
    if cur:
        lines.append(Line(cur, page.number).finish())
    return [ln for ln in lines if ln.text]


# -- columns and reading order ---------------------------------------------------------------------
def _gaps(items: list[Line], xmin: float, n: int, tolerance: int, min_gap: float) -> list[tuple[int, int]]:
    """Runs of x (relative to ``xmin``) covered by at most ``tolerance`` of ``items``."""
    diff = [0] * (n + 1)
    for ln in items:
        a = max(0, int(ln.x0 - xmin))
        b = min(n, int(ln.x1 - xmin) + 1)
        diff[a] += 1
        diff[b] -= 1
    cov = 0
    gaps: list[tuple[int, int]] = []
    start = None
    for i in range(n):
        cov += diff[i]
        if cov <= tolerance:
            if start is None:
                start = i
        elif start is not None:
            if start > 0 and i - start >= min_gap:
                gaps.append((start, i))
            start = None
    return gaps


def find_columns(lines: list[Line], min_gap: float = 4.0, narrow: float = 0.55,
                 body_size: float | None = None) -> list[tuple[float, float]]:
    """Column x-ranges of a page, left to right (one range when the page has a single column).

    Two passes: gutters no narrow line crosses (side notes, sidebars), and gutters that column-wide
    lines (a fifth to a half of the text width) almost never cross, so the cells of a full-width table
    that straddle the gutter do not hide it."""
    body = [ln for ln in lines if not ln.rotated]
    if not body:
        return []
    xmin = min(ln.x0 for ln in body)
    xmax = max(ln.x1 for ln in body)
    width = xmax - xmin
    if width <= 0 or len(body) < 6:
        return [(xmin, xmax)]
    thin = [ln for ln in body if ln.x1 - ln.x0 < narrow * width]
    if len(thin) < 6:
        return [(xmin, xmax)]
    n = int(width) + 2
    gaps = _gaps(thin, xmin, n, 1 if len(thin) > 40 else 0, min_gap)
    colwide = [ln for ln in thin if ln.x1 - ln.x0 >= 0.2 * width]
    need = 5
    if body_size:  # running text only: table cells and captions in smaller type may cross the gutter
        prose = [ln for ln in colwide if abs(ln.size - body_size) <= 0.6]
        if len(prose) >= 6:
            colwide, need = prose, 3
    if len(colwide) >= 6:
        for a, b in _gaps(colwide, xmin, n, max(1, len(colwide) // 10), min_gap):
            left = sum(1 for ln in colwide if ln.x1 - xmin <= a + 1)
            right = sum(1 for ln in colwide if ln.x0 - xmin >= b - 1)
            if left >= need and right >= need:
                gaps.append((a, b))
    cuts = []
    for a, b in sorted(gaps):
        left = sum(1 for ln in thin if ln.x1 - xmin <= a + 1)
        right = sum(1 for ln in thin if ln.x0 - xmin >= b - 1)
        if left >= 3 and right >= 3:
            if cuts and a <= cuts[-1][1] - xmin:  # overlapping gaps from the two passes: merge
                lo, hi = cuts[-1]
                cuts[-1] = (max(lo, xmin + a) if lo < xmin + a else lo, min(hi, xmin + b) if hi > xmin + b else hi)
                continue
            cuts.append((xmin + a, xmin + b))
    cols = []
    lo = xmin
    for a, b in cuts:
        cols.append((lo, a))
        lo = b
    cols.append((lo, xmax))
    return cols


def body_size(pages: list[list[Line]]) -> float:
    """The type size carrying most characters in the document."""
    sizes = Counter()
    for lines in pages:
        for ln in lines:
            sizes[round(ln.size * 2) / 2] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def reading_order(lines: list[Line], body_size: float | None = None) -> list[Line]:
    """The page's lines in reading order: bands split by multi-column lines; side columns last."""
    cols = find_columns(lines, body_size=body_size)
    if len(cols) <= 1:
        for ln in lines:
            ln.column = 0
        return sorted(lines, key=lambda ln: (ln.rotated, round(ln.top, 0), ln.x0))
    widest = max(b - a for a, b in cols)
    span = cols[-1][1] - cols[0][0]
    side_cols = {i for i, (a, b) in enumerate(cols)
                 if b - a < 0.45 * widest or (len(cols) == 2 and b - a < 0.3 * span)}
    if body_size:  # an outer column set in small type is a sidebar (metadata, author notes)
        for i in (0, len(cols) - 1):
            a, b = cols[i]
            inside = [ln for ln in lines if ln.x0 >= a - 3 and ln.x1 <= b + 3]
            if len(inside) >= 3 and sum(ln.size < body_size - 0.8 for ln in inside) >= 0.8 * len(inside) \
                    and b - a < 0.6 * widest + 1:
                side_cols.add(i)
    if len(side_cols) == len(cols):
        side_cols = set()
    tol = 3.0
    for ln in lines:
        w = max(ln.x1 - ln.x0, 1.0)
        overlap = [min(ln.x1, b) - max(ln.x0, a) for a, b in cols]
        inside = [i for i, (a, b) in enumerate(cols)
                  if (ln.x0 >= a - tol and ln.x1 <= b + tol) or overlap[i] >= 0.9 * w]
        touched = [i for i in range(len(cols)) if overlap[i] > 5.0 and i not in side_cols]
        if inside:
            ln.column = inside[0]
            ln.side = ln.column in side_cols
        elif len(touched) == 1:
            ln.column = touched[0]  # runs into a gutter or side column but reaches no other main column
            ln.side = False
        else:
            ln.column = -1
            ln.side = False
    main = sorted((ln for ln in lines if not ln.side and not ln.rotated), key=lambda ln: (ln.top, ln.x0))
    out: list[Line] = []
    band: list[Line] = []

    def flush(before_full_width: bool = False):
        tail: list[Line] = []
        if before_full_width and band:
            # a heading at the foot of one column that opens the full-width block below it
            # (JMIR "Acknowledgments"): read it after the columns, just before that block
            lowest = sorted(band, key=lambda ln: ln.top)[-2:]
            for ln in reversed(lowest):
                others = [o for o in band if o.column != ln.column]
                if (others and ln.top > max(o.bottom for o in others) and len(ln.text.split()) <= 8
                        and (ln.bold or (body_size is not None and ln.size > body_size + 0.5))):
                    tail.insert(0, ln)
                else:
                    break
        for c in range(len(cols)):
            out.extend(sorted((ln for ln in band if ln.column == c and ln not in tail), key=lambda ln: (ln.top, ln.x0)))
        out.extend(tail)
        band.clear()

    for ln in main:
        if ln.column == -1:
            flush(before_full_width=True)
            out.append(ln)
        else:
            band.append(ln)
    flush()
    out.extend(sorted((ln for ln in lines if ln.side and not ln.rotated), key=lambda ln: (ln.column, ln.top)))
    out.extend(ln for ln in lines if ln.rotated)
    return out


# -- furniture -------------------------------------------------------------------------------------
_PAGE_NUMBER = re.compile(r"^(page\s*)?[\divxlc]{1,4}(\s*(of|/)\s*\d+)?$", re.I)
_DIGITS = re.compile(r"\d+")


_PAGE_OF = re.compile(r"\b(page\s*)?#\s*(of|/)\s*#\b|^#\s+|\s+#$")


def furniture_key(text: str) -> str:
    """Digits masked, page numbering ("Page 3 of 12", a leading/trailing number) dropped."""
    key = _DIGITS.sub("#", " ".join(text.lower().split()))
    return _PAGE_OF.sub("", key).strip()


def _edge_rows(lines: list[Line], h: float, edge: float) -> dict[int, str]:
    """id(line) -> key of the whole row it sits in, for lines near the top/bottom edge: pieces of a
    header that the PDF draws out of order ("group.bmj.com" before "Downloaded from") join up."""
    band = sorted((ln for ln in lines if not ln.rotated and (ln.top < edge * h or ln.bottom > (1 - edge) * h)),
                  key=lambda ln: (ln.top, ln.x0))
    rows: list[list[Line]] = []
    for ln in band:
        if rows and abs(rows[-1][0].top - ln.top) < 2.0:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    out = {}
    for row in rows:
        key = furniture_key(" ".join(x.text for x in sorted(row, key=lambda x: x.x0)))
        for ln in row:
            out[id(ln)] = key
    return out


def remove_furniture(pages: list[list[Line]], heights: list[float], edge: float = 0.12) -> tuple[list[list[Line]], int]:
    """Drop running headers/footers, page numbers and repeated margin lines. Returns (pages, dropped)."""
    n = len(pages)
    counts: Counter = Counter()
    rows = []
    for lines, h in zip(pages, heights):
        row_keys = _edge_rows(lines, h, edge)
        rows.append(row_keys)
        keys = set(row_keys.values())
        for ln in lines:
            if ln.rotated or ln.top < edge * h or ln.bottom > (1 - edge) * h:
                keys.add(furniture_key(ln.text))
        counts.update(keys)
    need = 2 if n <= 5 else 3
    repeated = {k for k, c in counts.items() if c >= need and k}
    kept_pages = []
    dropped = 0
    for lines, h, row_keys in zip(pages, heights, rows):
        kept = []
        for ln in lines:
            edge_line = ln.rotated or ln.top < edge * h or ln.bottom > (1 - edge) * h
            key = furniture_key(ln.text)
            # a running header reprinted elsewhere on a page (e.g. inside a figure) is furniture too
            anywhere = key in repeated and len(key.split()) >= 4
            if anywhere or (edge_line and (key in repeated or row_keys.get(id(ln)) in repeated
                                           or _PAGE_NUMBER.match(ln.text.strip()))):
                dropped += 1
                continue
            kept.append(ln)
        kept_pages.append(kept)
    return kept_pages, dropped


def _norm_words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def cover_page(pages: list[list[Line]]) -> bool:
    """True when page 1 is a download cover page: its largest line (the title) is printed again
    near the top of page 2 in large type, and page 1 carries little running text of its own."""
    if len(pages) < 3 or not pages[0] or not pages[1]:
        return False
    first, second = pages[0], pages[1]
    big = max(first, key=lambda ln: ln.size)
    title = _norm_words(big.text)
    if len(title) < 15:
        return False
    body_size = Counter(round(ln.size) for p in pages[1:] for ln in p).most_common(1)[0][0]
    for ln in second:
        if ln.size > body_size + 1 and title[:40] in _norm_words(" ".join(
                x.text for x in second if abs(x.size - ln.size) < 0.5)):
            return True
    return False


# -- joining lines into text -----------------------------------------------------------------------
_HYPHEN_END = re.compile(r"[A-Za-z\u00C0-\u024F]-$")


_WORD_BEFORE = re.compile(r"([^\W\d_]+)\W?$")
_WORD_AFTER = re.compile(r"^([^\W\d_]+)")
_HYPHENATED = re.compile(r"\b([^\W\d_]+-[^\W\d_]+)\b")


def hyphenated_words(lines: list[Line]) -> set[str]:
    """Compounds printed with a hyphen inside a line somewhere in the document ("peer-led")."""
    found: set[str] = set()
    for ln in lines:
        if "-" in ln.text:
            found.update(w.lower() for w in _HYPHENATED.findall(ln.text))
    return found


def _real_hyphen(prev: str, text: str, compounds: set[str] | None) -> bool:
    if not compounds:
        return False
    a = _WORD_BEFORE.search(prev[:-1])
    b = _WORD_AFTER.match(text)
    return bool(a and b) and f"{a.group(1)}-{b.group(1)}".lower() in compounds


def join_lines(lines: list[Line], hyphen_marks: bool | None = None, compounds: set[str] | None = None) -> str:
    """Lines to text: paragraphs separated by blank lines, line-end hyphens joined.

    When the engine marks hyphenation (pdfium's U+FFFE; ``hyphen_marks``, else looked for in
    ``lines``), a plain "-" left at a line end is a real hyphen ("dog-" / "human") and stays;
    otherwise "-" before a lowercase letter is taken as hyphenation and removed. Either way a
    compound found hyphenated inside a line elsewhere (``compounds``) keeps its hyphen."""
    marks = hyphen_marks if hyphen_marks is not None else any(ln.text.endswith(PDFIUM_HYPHEN) for ln in lines)
    out: list[str] = []
    for ln in lines:
        text = ln.text
        if not out:
            out.append(text)
            continue
        if ln.para_start:
            out[-1] = _strip_hyphen_mark(out[-1])
            out.append("\n\n" + text)
            continue
        prev = out[-1]
        if prev.endswith(PDFIUM_HYPHEN) or prev.endswith(SOFT_HYPHEN):
            # a compound printed whole elsewhere in the paper keeps its hyphen ("cluster-randomised")
            out[-1] = prev[:-1] + ("-" if _real_hyphen(prev, text, compounds) else "")
            out.append(text)
        elif _HYPHEN_END.search(prev) and text[:1].islower():
            out[-1] = prev if (marks or _real_hyphen(prev, text, compounds)) else prev[:-1]
            out.append(text)
        else:
            out.append(" " + text)
    joined = "".join(out)
    return joined.replace(PDFIUM_HYPHEN, "-").replace(SOFT_HYPHEN, "")


def _strip_hyphen_mark(text: str) -> str:
    return text[:-1] + "-" if text.endswith(PDFIUM_HYPHEN) else text


def mark_paragraphs(lines: list[Line]) -> None:
    """Set ``para_start`` where a vertical gap, a column/page change or an indent starts a paragraph."""
    prev = None
    pitches = Counter()
    for ln in lines:
        if prev is not None and ln.page == prev.page and ln.column == prev.column:
            d = ln.top - prev.top
            if 0 < d < 3 * prev.height + 6:
                pitches[round(d)] += 1
        prev = ln
    pitch = pitches.most_common(1)[0][0] if pitches else 12
    prev = None
    for ln in lines:
        if prev is None:
            ln.para_start = True
        else:
            same_flow = (ln.page == prev.page and ln.top > prev.top - 1
                         and (ln.column == prev.column or -1 in (ln.column, prev.column)))
            d = ln.top - prev.top
            ln.gap_before = d if same_flow else 0.0
            if same_flow:
                big_gap = d > 1.45 * max(pitch, prev.height)
                indent = 0.8 * ln.size < ln.x0 - prev.x0 < 6 * ln.size
                short_end = prev.x1 < ln.x1 - 3 * ln.size and prev.text.endswith((".", "?", "!", ":"))
                style_change = abs(ln.size - prev.size) > 1.0
                ln.para_start = big_gap or indent or short_end or style_change
            else:
                # new column or page: a paragraph starts when the previous line ended short/with a stop
                ln.para_start = prev.text.endswith((".", ":", "?", "!")) and not prev.text.endswith(" al.")
        prev = ln


# -- tables, captions, small print -----------------------------------------------------------------
_CAPTION = re.compile(r"^(?:Supplementary\s+|Additional\s+)?(?:Table|Figure|Fig\.?|Scheme|Chart|Box|Panel)\s*"
                      r"S?\d+[A-Za-z]?(?:\s*[.:|\u2014\u2013-]|\s+\()", re.I)
_CAPTION_LOOSE = re.compile(r"^(?:Table|Figure|Fig\.?)\s*S?\d+[A-Za-z]?\b", re.I)
_ALPHA_WORD = re.compile(r"[^\W\d_]{2,}")
_NUMERIC = re.compile(r"[\d.,;:%()\[\]±<>=+/\u00b7\u2212\u2013-]")


def mark_non_body(lines: list[Line], body_size: float) -> None:
    """Set ``kind`` on lines that are not running text: table cells, figure/table captions and small
    print (table bodies, footnotes). Sections keep them out of the body sections."""
    # table rows: several lines side by side at one height within one column
    by_page: dict[int, list[Line]] = {}
    for ln in lines:
        ln.kind = "body"
        by_page.setdefault(ln.page, []).append(ln)
    for page_lines in by_page.values():
        ordered = sorted(page_lines, key=lambda ln: ln.top)
        for k, a in enumerate(ordered):
            for b in ordered[k + 1:]:
                if b.top > a.bottom:
                    break
                if a.column != b.column or a.side or b.side:
                    continue
                overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
                if overlap > 0.5 * min(a.height, b.height) and (b.x0 > a.x1 or a.x0 > b.x1):
                    a.kind = b.kind = "table"
    in_caption = False
    prev = None
    prev_kind = "body"
    for ln in lines:
        text = ln.text
        if prev is not None and (ln.page != prev.page or ln.column != prev.column):
            in_caption = False  # a caption does not flow into the next column or page
        prev_kind = prev.kind if prev is not None else "body"
        prev = ln
        if ln.para_start or not in_caption:
            in_caption = bool(_CAPTION.match(text)) or (
                bool(_CAPTION_LOOSE.match(text)) and (ln.spans[0].bold or ln.spans[0].font != ln.font))
        if in_caption:
            ln.kind = "caption"
            continue
        if ln.kind == "body":
            digits = len(_NUMERIC.findall(text))
            if ln.size < body_size - 0.8 and len(text) > 1:
                ln.kind = "small"
            elif (body_size + 0.8 < ln.size <= body_size + 1.6 and not ln.bold
                  and not any(s.bold for s in ln.spans) and len(_ALPHA_WORD.findall(text)) >= 2):
                ln.kind = "table"  # plain text a little larger than the body: table or display matter
            elif (len(text) >= 4 and digits > 0.5 * len(text.replace(" ", ""))
                  and (ln.size < body_size - 0.3 or len(_ALPHA_WORD.findall(text)) <= 3)
                  and (ln.para_start or prev_kind != "body")):
                ln.kind = "table"  # a row of figures, not the end of a sentence full of numbers
    _figure_labels(lines)
    _small_prose_back(lines)


def _figure_labels(lines: list[Line], run: int = 4) -> None:
    """Runs of tiny lines (axis ticks, panel letters, flow-chart boxes) are figure matter."""
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _tiny(lines[j]) and lines[j].page == lines[i].page:
            j += 1
        if j - i >= run:
            for ln in lines[i:j]:
                if ln.kind == "body":
                    ln.kind = "table"
        i = max(j, i + 1)


def _tiny(ln: Line) -> bool:
    words = ln.text.split()
    return len(words) <= 3 and not ln.text.endswith((".", ":")) and len(ln.text) <= 25


def _small_prose_back(lines: list[Line]) -> None:
    """Justified paragraphs in small type (boxed key concepts, interview quotes) are running text:
    a run of small lines in one column, most ending at the same right edge, mostly letters."""
    i = 0
    while i < len(lines):
        if lines[i].kind != "small":
            i += 1
            continue
        j = i
        while (j + 1 < len(lines) and lines[j + 1].kind == "small" and lines[j + 1].page == lines[i].page
               and lines[j + 1].column == lines[i].column):
            j += 1
        run = lines[i:j + 1]
        right = max(ln.x1 for ln in run)
        left = min(ln.x0 for ln in run)
        flush = sum(1 for ln in run if right - ln.x1 < 3 and ln.x0 - left < 3 * ln.size)
        chars = "".join(ln.text for ln in run).replace(" ", "")
        letters = sum(map(str.isalpha, chars))
        if flush >= 3 and flush >= 0.6 * len(run) and letters >= 0.75 * max(1, len(chars)):
            for ln in run:
                ln.kind = "body"
        i = j + 1
