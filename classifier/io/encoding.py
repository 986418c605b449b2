"""Decode the bytes of a records file whose encoding nobody told us.

Reference managers and spreadsheets write UTF-8 (with or without a byte-order mark) or, on Windows,
cp1252. UTF-8 is tried strictly first (it almost never decodes text written in another encoding);
otherwise, when the bytes decode as cp1252 into Latin letters and typographic punctuation (what
Excel and EndNote on Windows write), cp1252 is used; charset-normalizer decides the rest (Cyrillic,
Greek, Asian encodings). On the short texts of a reference export charset-normalizer alone cannot
tell the Latin code pages apart (it answers cp1250, cp775 or cp1125 for Western text), hence the
cp1252 check first.
"""
from __future__ import annotations

import re

_CP1252_PUNCT = set("\u201c\u201d\u2018\u2019\u2013\u2014\u2026\u2022\u20ac\u2122\u00a0\u00b0\u00b1\u00b7\u00a9\u00ae\u00bd\u00bc\u00be\u00b5\u00a7")


def _looks_western(text: str) -> bool:
    """Most non-ASCII characters are Latin letters or typographic punctuation, and accented letters
    are a minority of the letters (as in English, French, German, Spanish... text)."""
    odd = [c for c in text if ord(c) > 127]
    if not odd:
        return True
    good = sum(1 for c in odd if c in _CP1252_PUNCT or 0xA0 <= ord(c) <= 0xBF  # « » ° § ...
               or (c.isalpha() and ord(c) <= 0x17F))
    letters = sum(1 for c in text if c.isalpha())
    accented = sum(1 for c in odd if c.isalpha())
    return good >= 0.9 * len(odd) and accented <= 0.3 * max(letters, 1)


def utf16_without_bom(sample: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``sample`` (the start of a file without a byte-order mark)
    is UTF-16 text, else None. Text in Latin script written as UTF-16 (Windows "Unicode text", some
    EndNote and Excel exports) has a zero byte in every other position; UTF-8 and the 8-bit code
    pages never do."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sum(1 for i in range(0, 2 * pairs, 2) if sample[i] == 0)
    odd = sum(1 for i in range(1, 2 * pairs, 2) if sample[i] == 0)
    if odd >= 0.4 * pairs and even <= 0.05 * pairs:
        return "utf-16-le"
    if even >= 0.4 * pairs and odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def fix_surrogates(text: str) -> str:
    """``text`` with surrogate pairs written as two escapes (JSON's ``"\\ud83d\\ude00"``) joined into
    one character and any lone surrogate (``"\\ud800"``, which no file can hold) replaced by U+FFFD."""
    if not _LONE_SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """``(text, encoding)`` for ``raw``; never raises (undecodable bytes become U+FFFD)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    wide = utf16_without_bom(raw[:4096])
    if wide:
        return raw.decode(wide, errors="replace"), wide
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_western(text):
        return text, "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        return raw.decode("cp1252", errors="replace"), "cp1252"
    return str(best), best.encoding


def detect_encoding(path, chunk_size: int = 1 << 20) -> str:
    """The encoding of the file at ``path``, decided as ``decode_bytes`` does, without holding the
    whole file in memory: UTF-8 is checked chunk by chunk; otherwise the first megabyte (and the
    chunk where UTF-8 failed) is judged."""
    import codecs

    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig"
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        handle.seek(0)
        wide = utf16_without_bom(handle.read(4096))
        if wide:
            return wide
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        first = None
        while True:
            chunk = handle.read(chunk_size)
            first = chunk if first is None else first
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                sample = first if chunk is first else first + b"\n" + chunk
                return decode_bytes(sample)[1]
            if not chunk:
                return "utf-8"


def open_text(path):
    """``path`` opened for reading as text in its detected encoding (undecodable bytes replaced,
    universal newlines); a file that cannot be opened raises ``RecordError`` naming it."""
    from .records import RecordError

    try:
        return open(path, encoding=detect_encoding(path), errors="replace", newline=None)
    except OSError as exc:
        raise RecordError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
