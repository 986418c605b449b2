"""Character-level clean-up of extracted text: ligatures, odd Unicode spaces, invisible characters.

Targeted rather than blanket NFKC, so superscripts, micro signs and fractions keep their meaning.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SOFT_HYPHEN = "\u00ad"
PDFIUM_HYPHEN = "\ufffe"  # pdfium's mark for a hyphen at a line end (word continues on the next line)


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x80, 0x3100):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat == "Zs":  # no-break, thin, hair, em ... spaces
            table[cp] = " "
        elif cat == "Cf" and ch not in (SOFT_HYPHEN,):  # zero-width spaces/joiners, bidi marks
            table[cp] = ""
    for cp in range(0x1D400, 0x1D7FF + 1):  # mathematical italic/bold letters and digits (𝑝, 𝑛, 𝜒)
        folded = unicodedata.normalize("NFKC", chr(cp))
        if folded != chr(cp):
            table[cp] = folded
    for cp in range(0xFB00, 0xFB07):  # ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ
        table[cp] = unicodedata.normalize("NFKC", chr(cp))
    for cp in list(range(0x00, 0x20)) + [0x7F]:
        table[cp] = " " if chr(cp) in "\t\n\r\x0b\x0c" else ""
    table[0xFEFF] = ""
    table[0x2028] = " "
    table[0x2029] = " "
    table[0xFFFD] = ""
    return table


_SPACES = re.compile(r" {2,}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """Ligatures expanded, all Unicode spaces to ' ', control/format characters dropped, NFC.

    Keeps pdfium's line-end hyphen mark and the soft hyphen (layout decides about joining).
    """
    if _SURROGATE.search(text):  # UTF-16 pairs pdfium hands over split: rejoin, drop strays
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").replace("\ufffd", "")
    text = unicodedata.normalize("NFC", text.translate(_table()))
    return _SPACES.sub(" ", text)


def clean_block(text: str) -> str:
    """``clean`` for free text (plain-text files): keeps newlines, drops soft hyphens."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [clean(line.replace(SOFT_HYPHEN, "").replace(PDFIUM_HYPHEN, "-")).rstrip() for line in text.split("\n")]
    return "\n".join(lines)
