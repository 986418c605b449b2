"""Plain-text input: bytes -> str with the encoding detected as for records files (``classifier.io.encoding``)."""
from __future__ import annotations

from pathlib import Path

from ..io.encoding import decode_bytes
from .errors import ExtractionError
from .normalize import clean_block


def read_text(path) -> tuple[str, list[str]]:
    """The file's text and any warnings (e.g. the encoding it was decoded with)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ExtractionError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise ExtractionError(path, "empty file")
    warnings: list[str] = []
    if data.startswith(b"%PDF-"):
        raise ExtractionError(path, "is a PDF saved with a .txt name; rename it to .pdf")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError(path, "not a text file (binary content)")
    text, encoding = decode_bytes(data)
    if encoding not in ("utf-8", "utf-8-sig", "utf-16"):
        warnings.append(f"not UTF-8: decoded as {encoding}")
    if text.count("\ufffd") > max(10, len(text) // 100):
        raise ExtractionError(path, "not a text file (unknown character encoding)")
    return clean_block(text), warnings
