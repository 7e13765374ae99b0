"""A tab's rows read by scanning the XML the workbook's own writer produces, without a parser.

Reading 10,000 applications is mostly the XML parser building an element for every cell, text
run and value of a 20 MB sheet. The sheets microintern saves have a fixed, simple shape (the
one :mod:`._xlsx_rows` and openpyxl write): each row ``<row r="N" ...>``, each cell
``<c r="B7" s=".." t="..">`` with its text inline (``<is><t>...</t></is>``) or a ``<v>``.
:func:`scan_rows` reads exactly that shape with one regular expression, and declines (None)
the moment anything else appears, so that the parser reads the sheet instead:

- the tokens must tile ``<sheetData>`` with nothing left between them: a comment, CDATA, a
  rich-text run, a formula or a namespace prefix (as Excel may write) stops the scan;
- no document type or entity declarations, no carriage return or control character (which a
  parser would normalise or refuse), only XML's own five entities and character references;
- the sheet's default namespace is SpreadsheetML's.

The values are those :func:`._xlsx_read._rows` gives for the same cells (checked by
``tests/adapters/test_local_xlsx_read.py`` on every tab of the demo's workbook).
"""

from __future__ import annotations

import re
from typing import Any

_MAIN_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_TOKEN = re.compile(
    r'<row r="(?P<row>\d+)"(?: [A-Za-z]+="[^"<>&]*")*(?P<empty> /)?>'
    r'|(?P<end></row>)'
    r'|<c r="(?P<letters>[A-Z]{1,3})(?P<crow>\d+)"(?: s="(?P<s>\d+)")?(?: t="(?P<t>[A-Za-z]+)")?'
    r'(?: />|>(?:<is><t(?: xml:space="preserve")?>(?P<text>[^<]*)</t></is>'
    r'|<v>(?P<v>[^<]*)</v>|<v />)</c>)')
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# What a parser would change or refuse (control characters but tab and line feed, carriage
# returns, U+FFFE and U+FFFF in UTF-8) or read otherwise (declarations, comments, CDATA: "<!"):
# the scan leaves such a sheet to it. Checked on the bytes: several times faster than a regex.
_CONTROLS = bytes(c for c in range(0x20) if c not in (0x9, 0xA))
_AWKWARD = (b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"<!")


class _Decline(Exception):
    """The sheet is not in the shape scanned here: the parser reads it."""


def _unescape(text: str) -> str:
    """XML's entities and character references in ``text``; any other ``&`` declines."""
    def one(match: re.Match[str]) -> str:
        name, decimal, hexadecimal = match.groups()
        if name:
            return _NAMED[name]
        code = int(decimal) if decimal else int(hexadecimal, 16)
        if code in (0x9, 0xA) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or (
                0x10000 <= code <= 0x10FFFF):
            return chr(code)
        raise _Decline
    done = _ENTITY.sub(one, text)
    if "&" in _ENTITY.sub("", text):
        raise _Decline
    return done


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def scan_rows(xml: bytes, strings: list[str], dates: frozenset[int], *, limit: int | None = None
              ) -> list[list[Any]] | None:
    """The sheet's rows of values (as :func:`._xlsx_read._rows`), or None: let the parser read it.

    Raises :class:`._xlsx_read.Unsupported` where the parser's reading would too (a number shown
    as a date, an unknown cell type).
    """
    from microintern.adapters.local._xlsx_read import Unsupported, cell_number

    if len(xml.translate(None, _CONTROLS)) != len(xml) or any(bad in xml for bad in _AWKWARD):
        return None
    try:
        document = xml.decode("utf-8")
    except UnicodeDecodeError:
        return None
    root_end = document.find(">", document.find("<worksheet"))
    start = document.find("<sheetData>")
    if root_end < 0 or _MAIN_NS not in document[:root_end] or start < 0:
        return None
    position = start + len("<sheetData>")
    end = document.find("</sheetData>", position)
    if end < 0:
        return None
    rows: list[list[Any]] = []
    columns: dict[str, int] = {}
    values: list[Any] | None = None  # the open row's values
    row_text = ""  # the open row's number as written, to check its cells' references cheaply
    try:
        for match in _TOKEN.finditer(document, position, end):
            if match.start() != position:
                raise _Decline  # something else between two tokens
            position = match.end()
            # One call for every group: most of the scan's time is this loop, once per cell.
            row, empty, closing, letters, crow, style, kind, text, raw = match.groups()
            if letters is not None:
                if values is None or (crow != row_text and int(crow) != len(rows)):
                    raise _Decline  # a cell outside its row
                column = columns.get(letters)
                if column is None:
                    column = columns[letters] = _column(letters)
                if kind == "inlineStr":
                    value: Any = None if text is None else (_unescape(text) if "&" in text else text)
                elif text is not None:
                    raise _Decline  # inline text in a cell of another type
                elif not raw:
                    value = None
                elif kind is None or kind == "n":
                    if style and int(style) in dates:
                        raise Unsupported("a number shown as a date or time")
                    value = cell_number(raw)
                elif kind == "s":
                    value = strings[int(raw)]
                elif kind == "b":
                    value = bool(int(raw))
                elif kind in ("str", "e"):
                    value = _unescape(raw) if "&" in raw else raw
                else:
                    raise Unsupported(f"cell type {kind!r}")
                if column == len(values) + 1:
                    values.append(value)
                else:
                    values.extend([None] * (column - len(values)))
                    values[column - 1] = value
            elif closing is not None:
                if values is None:
                    raise _Decline
                values = None
            else:
                if values is not None:
                    raise _Decline  # a row inside a row
                number = int(row)
                if number <= len(rows):
                    raise _Decline  # rows out of order: the parser's reading decides
                if limit is not None and number > limit:
                    return rows
                while len(rows) < number - 1:
                    rows.append([])
                rows.append([])
                row_text = row
                if empty is None:
                    values = rows[-1]
    except _Decline:
        return None
    if position != end or values is not None:
        return None
    return rows
