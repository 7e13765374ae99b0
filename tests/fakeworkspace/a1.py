"""A1 notation: ``'My Tab'!A1:C10``, ``Tab``, ``Tab!A:A``, ``Tab!A2:Z``, ``Tab!1:3``.

Indexes here are 0-based and half-open, like the Sheets API's ``GridRange``; a bound
of None means "to the edge of the grid".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Za-z]{0,3})(\d{0,7})$")
_SIMPLE_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^[A-Za-z]{1,3}\d+$|^[Rr]\d*[Cc]\d*$")


class A1Error(ValueError):
    """The text is not a range in A1 notation."""


@dataclass(frozen=True)
class Bounds:
    """Rows and columns of a range; None bounds are open."""

    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None


@dataclass(frozen=True)
class A1Range:
    """A parsed range: the sheet part (None if absent) and the cell part (None if absent)."""

    sheet: str | None
    cells: Bounds | None


def column_index(letters: str) -> int:
    """``"A"`` -> 0, ``"AA"`` -> 26."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - ord("A") + 1)
    return index - 1


def column_letters(index: int) -> str:
    """0 -> ``"A"``, 26 -> ``"AA"``."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def quote_title(title: str) -> str:
    """Quote a sheet title for A1 notation when needed (``My Tab`` -> ``'My Tab'``)."""
    if _SIMPLE_TITLE.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _split_sheet(text: str) -> tuple[str | None, str | None]:
    """Split ``sheet!cells``; either part may be absent."""
    if text.startswith("'"):
        i = 1
        title = []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return "".join(title), None
                if rest.startswith("!"):
                    return "".join(title), rest[1:]
                raise A1Error(f"Unable to parse range: {text}")
            title.append(text[i])
            i += 1
        raise A1Error(f"Unable to parse range: {text}")
    if "!" in text:
        sheet, cells = text.split("!", 1)
        return sheet, cells
    return None, text


def _parse_ref(ref: str, text: str) -> tuple[int | None, int | None]:
    """``"B3"`` -> (col 1, row 2); ``"B"`` -> (1, None); ``"3"`` -> (None, 2)."""
    m = _CELL.match(ref.strip().replace("$", ""))
    if not m or not (m.group(1) or m.group(2)):
        raise A1Error(f"Unable to parse range: {text}")
    col = column_index(m.group(1)) if m.group(1) else None
    if m.group(2) and int(m.group(2)) == 0:
        raise A1Error(f"Unable to parse range: {text}")
    row = int(m.group(2)) - 1 if m.group(2) else None
    return col, row


def parse_cells(cells: str, text: str | None = None) -> Bounds:
    """Parse the cell part of a range (``A1``, ``A1:C10``, ``A:A``, ``A2:Z``, ``1:3``)."""
    text = text or cells
    if ":" not in cells:
        col, row = _parse_ref(cells, text)
        if col is None or row is None:
            raise A1Error(f"Unable to parse range: {text}")
        return Bounds(row, row + 1, col, col + 1)
    left, right = cells.split(":", 1)
    c0, r0 = _parse_ref(left, text)
    c1, r1 = _parse_ref(right, text)
    if (c0 is None) != (c1 is None) and r0 is None:
        raise A1Error(f"Unable to parse range: {text}")
    if c0 is not None and c1 is not None and c1 < c0:
        c0, c1 = c1, c0
    if r0 is not None and r1 is not None and r1 < r0:
        r0, r1 = r1, r0
    return Bounds(
        start_row=r0 if r0 is not None else (0 if r1 is not None else None),
        end_row=r1 + 1 if r1 is not None else None,
        start_col=c0 if c0 is not None else (0 if c1 is not None else None),
        end_col=c1 + 1 if c1 is not None else None,
    )


def parse(text: str) -> A1Range:
    """Parse ``text``. With no ``!``, the whole text may be a sheet title or a cell range.

    In that ambiguous case ``sheet`` is the text and ``cells`` the cell parse if it has
    one; the store decides (a sheet with that title wins, as in Google Sheets).
    """
    text = text.strip()
    if not text:
        raise A1Error("Unable to parse range: (empty)")
    sheet, cells = _split_sheet(text)
    if sheet is not None:
        return A1Range(sheet, parse_cells(cells, text) if cells else None)
    assert cells is not None
    try:
        bounds: Bounds | None = parse_cells(cells, text)
    except A1Error:
        bounds = None
    return A1Range(text, bounds)


def format_range(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    """Format 0-based half-open bounds as ``'Title'!A1:C10`` (``Title!B2`` for one cell)."""
    start = f"{column_letters(c0)}{r0 + 1}"
    end = f"{column_letters(c1 - 1)}{r1}"
    cells = start if (r1 - r0, c1 - c0) == (1, 1) else f"{start}:{end}"
    return f"{quote_title(title)}!{cells}"
