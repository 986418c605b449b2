"""What an engine hands to layout: pages of text spans with boxes and font facts.

Coordinates are PDF points with the origin at the top-left of the page (``top`` < ``bottom``),
the pdfplumber convention, whatever the engine.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_VARIANT = re.compile(r"\+\d+$")
_BOLD = re.compile(r"bold|black|heavy|semibold|demi|\.b$|,b$|-b$|\bbd\b|-bd", re.I)


def font_is_bold(fontname: str, weight: int = 0) -> bool:
    """Bold from the font weight when the PDF states it, else from the font's name."""
    return weight >= 600 or bool(_BOLD.search(fontname or ""))


def base_font(fontname: str) -> str:
    """Font name without the subset prefix (``ABCDEF+Minion-Bold`` -> ``Minion-Bold``)."""
    name = fontname or ""
    if len(name) > 7 and name[6] == "+" and name[:6].isupper():
        name = name[7:]
    return _VARIANT.sub("", name)  # "AdvTT86d47313+20": same font, another encoding


@dataclass(slots=True)
class Span:
    """A run of text on one visual line, in one font."""
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float = 0.0
    font: str = ""
    bold: bool = False
    rotated: bool = False
    space_before: bool = False  # the engine saw white space just before this span
    same_run: bool = False      # the engine read it on one line with the span before (pdfium: same text line)


@dataclass
class Page:
    number: int                 # 1-based
    width: float
    height: float
    spans: list[Span] = field(default_factory=list)  # in the PDF's content order
