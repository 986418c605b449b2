"""Measuring extraction against ground truth: heading recall/order, furniture leaks, XML text recall.

Used by ``benchmarks/bench_extract.py`` and the tests; reads the publisher XML at run time (JATS
``body//p`` or BioMed Central ``art`` ``bdy//p``), never stores its text.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from classifier.extract.sections import IMRAD, load_lexicon, normalise_heading

CORE = ("abstract",) + IMRAD + ("references",)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# XML elements whose paragraphs are not running body text (captions, tables, formulas, supplements)
_SKIP = {"fig", "table-wrap", "table-wrap-foot", "caption", "disp-formula", "supplementary-material",
         "tbl", "tblr", "tblc", "table", "suppl", "figure", "inline-formula", "graphic", "media"}


def read_manifest(pdf_dir) -> list[dict]:
    with open(Path(pdf_dir) / "manifest.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def core_headings(manifest_row: dict) -> list[tuple[str, str]]:
    """The manifest's core headings, in order, as (printed, canonical)."""
    lex = load_lexicon()
    out = []
    for h in manifest_row["section_headings"].split(";"):
        h = h.strip()
        canonical = lex.lookup(h)
        if canonical in CORE:
            out.append((h, canonical))
    return out


def all_headings(manifest_row: dict) -> list[tuple[str, str | None]]:
    """Every heading the manifest lists (back matter and unlisted headings included), in order."""
    lex = load_lexicon()
    return [(h.strip(), lex.lookup(h)) for h in manifest_row["section_headings"].split(";") if h.strip()]


def heading_recall(document, expected: list[tuple[str, str]]) -> tuple[int, int, list[str]]:
    """How many expected headings appear among the document's section headings, in order.
    Returns (found, expected, missing). A heading matches on its normalised printed text."""
    got = [normalise_heading(s.heading) for s in document.sections if s.heading]
    pos = 0
    found = 0
    missing = []
    for printed, _ in expected:
        key = normalise_heading(printed)
        try:
            k = got.index(key, pos)
        except ValueError:
            missing.append(printed)
            continue
        found += 1
        pos = k + 1
    return found, len(expected), missing


def words(text: str) -> Counter:
    return Counter(w.lower() for w in _WORD.findall(text))


def xml_body_text(xml_path) -> str:
    """The body paragraphs (and subsection titles) of a JATS or BMC ``art`` XML file."""
    import xml.etree.ElementTree as ET  # never fetches the DTD named in the DOCTYPE

    root = ET.parse(str(xml_path)).getroot()
    body = root.find(".//body")
    if body is None:
        body = root.find(".//bdy")
    if body is None:
        return ""
    parts: list[str] = []

    def walk(el, depth):
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.split("}")[-1]
        if tag in _SKIP:
            return
        if tag in ("p",):
            parts.append(_text(el))
            return
        if tag in ("title", "st") and depth >= 2:
            parts.append(_text(el))
            return
        if tag in ("title", "st"):
            return
        if tag == "sec" and depth == 0:  # back matter filed inside the body (BMC: Abbreviations ...)
            title = el.find("title")
            if title is None:
                title = el.find("st")
            if title is not None and load_lexicon().lookup(_text(title)) in ("other", "references"):
                return
        for child in el:
            walk(child, depth + (1 if tag == "sec" else 0))

    for child in body:
        walk(child, 0)
    return "\n\n".join(p for p in parts if p.strip())


def _text(el) -> str:
    out = []

    def rec(e):
        tag = e.tag.split("}")[-1] if isinstance(e.tag, str) else ""
        if tag in _SKIP:
            if e.tail:
                out.append(e.tail)
            return
        if e.text:
            out.append(e.text)
        for c in e:
            rec(c)
        if e.tail:
            out.append(e.tail)

    if el.text:
        out.append(el.text)
    for c in el:
        rec(c)
    return " ".join("".join(out).split())


def body_text(document) -> str:
    """The document's running body: IMRaD sections plus unlisted headings in the body (not abstract,
    front matter, back matter or references)."""
    lex = load_lexicon()
    parts = []
    for s in document.sections:
        if s.name in IMRAD:
            parts.append(s.text)
        elif s.name == "other" and s.heading and lex.lookup(s.heading) is None:
            parts.append(s.text)
    return "\n\n".join(parts)


def recall_precision(predicted: str, truth: str) -> tuple[float, float]:
    p, t = words(predicted), words(truth)
    common = sum((p & t).values())
    recall = common / max(1, sum(t.values()))
    precision = common / max(1, sum(p.values()))
    return recall, precision


def furniture_lines(pdf_path, band: float = 0.075, min_len: int = 12, min_words: int = 2) -> set[str]:
    """Running headers/footers found independently of the layout code: text lines inside the top and
    bottom ``band`` of each page (pdfium ``get_text_bounded``), digits masked, repeated on at least
    three pages (two for short papers). Lines under ``min_words`` words or ``min_len`` characters
    are not tested (a short header such as "Open Access" also occurs in ordinary sentences), nor
    lines with fewer than ``min_words`` words of letters (figure data such as "1.2 (0.9, 1.6)")."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    counts: Counter = Counter()
    n = len(pdf)
    try:
        for i in range(n):
            page = pdf[i]
            w, h = page.get_size()
            tp = page.get_textpage()
            keys = set()
            for bottom, top in ((h * (1 - band), h), (0, h * band)):
                for line in re.split(r"[\r\n]+", tp.get_text_bounded(0, bottom, w, top)):
                    key = mask(line)
                    if len(key) >= min_len and len(re.findall(r"[^\W\d_]{2,}", key)) >= min_words:
                        keys.add(key)
            counts.update(keys)
            tp.close()
            page.close()
    finally:
        pdf.close()
    need = 2 if n <= 5 else 3
    return {k for k, c in counts.items() if c >= need}


def mask(text: str) -> str:
    return " ".join(re.sub(r"\d+", "#", text.lower()).split())


def leaks(document, furniture: set[str]) -> list[tuple[str, str]]:
    """(section name, furniture line) for every furniture line found inside a section's text."""
    out = []
    for s in document.sections:
        masked = mask(s.text)
        for f in furniture:
            if f in masked:
                out.append((s.name, f))
    return out
