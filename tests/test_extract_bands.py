"""Band layout on generated PDFs: a figure or table spanning both columns in the middle of a
two-column page splits it into bands, and the columns are read band by band (above the block:
left then right column; below it: left then right), whatever the block is made of: a picture, a
drawing with labels, a ruled table whose cells cross the gutter, a table without rules, with or
without a caption as wide as the page."""
from __future__ import annotations

import re

import pytest

from classifier.extract import load_document

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
         "uniform", "victor", "whiskey", "xray", "yankee", "zulu"]
SECTIONS = [("1. Introduction", "introduction", 12), ("2. Methods", "methods", 14),
            ("3. Results", "results", 12), ("4. Discussion", "discussion", 10)]
# with 14 lines of methods, "3. Results" opens the lower half of the right column above the block;
# with 20, it is the last line of that column (its text below the block); with 21, the first line
# of the left column below the block
LEFT, RIGHT, COL_W = 57.0, 310.0, 228.0


def _line(name: str, k: int) -> str:
    return f"{name.capitalize()} line {WORDS[k]} tells how peer workers took part."


def _stream(sections):
    for heading, name, n in sections:
        yield "heading", heading
        for k in range(n):
            yield "text", _line(name, k)


def _block(c, kind: str, top: float, bottom: float, page_w: float) -> None:
    """Draw a full-width block between ``top`` and ``bottom`` (PDF y, top > bottom)."""
    from reportlab.lib.utils import ImageReader

    x0, x1 = LEFT, page_w - LEFT
    if kind.startswith("picture"):
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (600, 200), "white")
        draw = ImageDraw.Draw(image)
        for i in range(12):
            draw.rectangle([20 + 48 * i, 180 - 12 * i, 50 + 48 * i, 180], fill=(40, 90, 160))
        c.drawImage(ImageReader(image), x0, bottom + 20, x1 - x0, top - bottom - 30)
        if kind == "picture_caption_wide":
            c.setFont("Helvetica", 8)
            c.drawString(x0, bottom + 6, "Figure 1: Peer workers per team over the twelve months of the study, by site and by role in the team.")
        elif kind == "picture_caption_narrow":
            c.setFont("Helvetica", 8)
            c.drawString(x0, bottom + 6, "Figure 1: Peer workers per team.")
    elif kind == "drawing_labels":
        c.setLineWidth(0.8)
        c.line(x0 + 30, bottom + 20, x1 - 10, bottom + 20)
        c.line(x0 + 30, bottom + 20, x0 + 30, top - 10)
        c.setFont("Helvetica", 7)
        for i in range(10):
            x = x0 + 40 + 44 * i
            c.rect(x, bottom + 20, 20, 12 + 9 * i, fill=1)
            c.drawString(x, bottom + 10, f"M{i + 1}")
        for j in range(4):
            c.drawString(x0 + 5, bottom + 20 + 30 * j, f"{25 * j}%")
    elif kind.startswith("table"):
        ruled = kind == "table_ruled"
        cols = [x0, x0 + 110, x0 + 200, x0 + 290, x0 + 380]
        rows = ["Site", "Coastal", "Inland", "Urban", "Rural", "Northern", "Southern"]
        c.setFont("Helvetica-Bold", 8)
        c.drawString(x0, top - 10, "Table 1: Staff by site.")
        if ruled:
            c.setLineWidth(0.6)
            c.line(x0, top - 16, x1, top - 16)
            c.line(x0, bottom + 4, x1, bottom + 4)
        c.setFont("Helvetica", 8)
        for r, label in enumerate(rows):
            y = top - 28 - 13 * r
            if ruled and r == 1:
                c.line(x0, y + 10, x1, y + 10)
            cells = [label] + (["Peer workers", "Nurses", "Social workers", "Managers"] if r == 0
                               else [str(3 * r + i) for i in range(4)])
            for x, cell in zip(cols, cells):
                c.drawString(x, y, cell)
    else:
        raise ValueError(kind)


def band_pdf(path, kind: str, sections=SECTIONS):
    """Page 1: title, abstract, two columns above a full-width block at mid-page and two below it;
    page 2: the last lines and the references, in two columns."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    w, h = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(LEFT, h - 70, "Peer workers in community teams: a study in two columns")
    c.setFont("Helvetica-Bold", 11)
    c.drawString(LEFT, h - 100, "Abstract")
    c.setFont("Helvetica", 9.5)
    for k in range(3):
        c.drawString(LEFT, h - 116 - 12 * k,
                     f"Abstract line {WORDS[k]} summarises the whole study of peer workers in community teams, page wide.")
    block_top, block_bottom = h - 410, h - 560
    slots = [(LEFT, h - 170, block_top + 14), (RIGHT, h - 170, block_top + 14),
             (LEFT, block_bottom - 20, 60), (RIGHT, block_bottom - 20, 60),
             (LEFT, h - 60, 60), (RIGHT, h - 60, 60)]
    stream = list(_stream(sections))
    slot, y = 0, slots[0][1]
    for what, text in stream:
        need = 22 if what == "heading" else 12
        if y - need < slots[slot][2]:
            slot += 1
            if slot == 4:
                _block(c, kind, block_top, block_bottom, w)
                c.showPage()
            y = slots[slot][1]
        x = slots[slot][0]
        if what == "heading":
            y -= 8
            c.setFont("Helvetica-Bold", 11)
            c.drawString(x, y, text)
            y -= 14
        else:
            c.setFont("Helvetica", 9.5)
            c.drawString(x, y, text)
            y -= 12
    if slot < 4:
        _block(c, kind, block_top, block_bottom, w)
        c.showPage()
        slot, y = 4, slots[4][1]
    c.setFont("Helvetica-Bold", 11)
    c.drawString(slots[slot][0], y - 20, "References")
    c.setFont("Helvetica", 8)
    c.drawString(slots[slot][0], y - 34, "1. Smith J. Peer work in teams. 2019.")
    c.showPage()
    c.save()
    return path


KINDS = ["picture", "picture_caption_narrow", "picture_caption_wide", "drawing_labels", "table_ruled",
         "table_plain"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("methods_lines", [14, 20, 21])
def test_columns_are_read_band_by_band_around_a_full_width_block(tmp_path, kind, methods_lines):
    sections = list(SECTIONS)
    sections[1] = ("2. Methods", "methods", methods_lines)
    doc = load_document(band_pdf(tmp_path / f"{kind}.pdf", kind, sections))
    names = [s.name for s in doc.sections]
    body = [n for n in names if n in ("introduction", "methods", "results", "discussion")]
    assert body == ["introduction", "methods", "results", "discussion"], names
    by = {s.name: s for s in doc.sections}
    for heading, name, n in sections:
        text = by[name].text
        positions = [text.find(_line(name, k)) for k in range(n)]
        assert all(p >= 0 for p in positions), (kind, name, text)
        assert positions == sorted(positions), (kind, name)
        # nothing from another section inside this one
        others = {other for _, other, _ in sections if other != name}
        assert not any(f"{o.capitalize()} line" in text for o in others), (kind, name, text)
    assert names[-1] == "references"
    if kind.startswith("table") or kind == "drawing_labels":
        # the block's cells and labels are not running text
        assert not re.search(r"\bNurses\b|\bM7\b", " ".join(by[n].text for n in body))
