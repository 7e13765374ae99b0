"""A tab's ``<sheetData>`` serialised by string building, byte for byte as openpyxl writes it.

openpyxl writes every cell through ElementTree objects and a pure-Python incremental
serialiser: about 20 µs a cell. A save of the demo's workbook writes tens of thousands of cells
(the Outbox after every chunk of letters, the Applications after screening), so that was the
largest part of a save. :func:`sheet_data` writes the same bytes with plain string building,
for the cells microintern and a coordinator write: text (inline), numbers, booleans, error
values and simple formulas, with or without a cell format. Anything else (a date cell, rich
text, an array formula, a hyperlink) makes it return None, and openpyxl writes that tab as it
always has: being unsure costs a slower save, never different bytes.

Byte equality with openpyxl is checked by ``tests/adapters/test_local_xlsx_rows.py``.
"""

from __future__ import annotations

from typing import Any

from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# What openpyxl's writer does with each value type; anything else is left to openpyxl.
_PLAIN = (str, int, float, bool)


def _escape_text(text: str) -> str:
    """ElementTree's escaping of element text (what et_xmlfile writes): & < > only."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attribute(text: str) -> str:
    """ElementTree's escaping of an attribute value (what et_xmlfile writes)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text


def _number(value: int | float) -> str | None:
    """openpyxl's ``safe_string`` of a number ("" for NaN and infinities); None: not a number."""
    try:
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        return "%.16g" % value  # noqa: UP031 - exactly openpyxl's format
    except (OverflowError, TypeError):  # an int too large for a float: openpyxl decides
        return None


def _cell(cell: Any, coordinate: str) -> str | None:
    """One ``<c>`` element as openpyxl writes it, or None when it must write it itself."""
    value = cell._value
    kind = cell.data_type
    if cell.hyperlink is not None or (value is not None and type(value) not in _PLAIN):
        return None
    # has_style and style_id as openpyxl reads them: style_id registers the format in the
    # workbook's table, as openpyxl's writer does.
    style = f' s="{cell.style_id}"' if cell.has_style else ""
    if kind == "s":
        if value is None or value == "":
            return f'<c r="{coordinate}"{style} t="inlineStr" />'
        if type(value) is not str:
            return None
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f'<c r="{coordinate}"{style} t="inlineStr"><is><t{space}>{_escape_text(value)}</t></is></c>'
    if kind == "f":
        if value is None or value == "":
            return f'<c r="{coordinate}"{style} />'
        if type(value) is not str:
            return None
        formula = f"<f>{_escape_text(value[1:])}</f>" if value[1:] else "<f />"
        return f'<c r="{coordinate}"{style}>{formula}<v /></c>'
    if kind not in ("n", "b", "e", "inlineStr"):
        return None  # dates ("d") and anything new: openpyxl's own conversion
    if value is None or value == "":
        # An empty text cell read back from a file keeps openpyxl's "inlineStr" type.
        return f'<c r="{coordinate}"{style} t="{kind}" />'
    if kind == "inlineStr":
        return None
    if type(value) is str:
        text = value
    else:
        number = _number(value)
        if number is None:
            return None
        text = number
    if text == "":
        return f'<c r="{coordinate}"{style} t="{kind}"><v /></c>'
    return f'<c r="{coordinate}"{style} t="{kind}"><v>{_escape_text(text)}</v></c>'


def sheet_data(ws: Worksheet) -> bytes | None:
    """The tab's ``<sheetData>`` element as openpyxl writes it, or None (openpyxl must write it).

    Like openpyxl's writer, it collects the tab's header notes into ``ws._comments`` (in cell
    order), which the rest of the save writes as the comments part.
    """
    rows: dict[int, list[Any]] = {}
    for (row, _column), cell in sorted(ws._cells.items()):
        rows.setdefault(row, []).append(cell)
    dimensions = ws.row_dimensions
    for row in dimensions.keys() - rows.keys():
        rows[row] = []  # a row with a height or format and no cell is written empty
    comments: list[Any] = []
    parts: list[str] = ["<sheetData>"]
    letters: dict[int, str] = {}
    for number in sorted(rows):
        attributes = f'r="{number}"'
        if number in dimensions:
            for key, value in dimensions[number]:
                attributes += f' {key}="{_escape_attribute(value)}"'
        cells = rows[number]
        written: list[str] = []
        for cell in cells:
            if cell._comment is not None:
                comments.append(CommentRecord.from_cell(cell))
            if cell._value is None and not cell.has_style and not cell._comment:
                continue
            column = cell.column
            letter = letters.get(column)
            if letter is None:
                letter = letters[column] = get_column_letter(column)
            xml = _cell(cell, f"{letter}{number}")
            if xml is None:
                return None
            written.append(xml)
        # openpyxl opens and closes each row (and sheetData) as a block: never "<row />".
        parts.append(f"<row {attributes}>{''.join(written)}</row>")
    parts.append("</sheetData>")
    ws._comments.extend(comments)
    return "".join(parts).encode("utf-8")
