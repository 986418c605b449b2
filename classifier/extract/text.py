"""Plain-text input: bytes -> str with the encoding detected (UTF-8 first, then charset-normalizer)."""
from __future__ import annotations

from pathlib import Path

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
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise ExtractionError(path, "not a text file (unknown character encoding)") from None
        text = str(best)
        warnings.append(f"not UTF-8: decoded as {best.encoding}")
    return clean_block(text), warnings
