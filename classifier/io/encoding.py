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


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """``(text, encoding)`` for ``raw``; never raises (undecodable bytes become U+FFFD)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
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
