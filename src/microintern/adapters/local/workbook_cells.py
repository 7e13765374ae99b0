"""Cells, headers and values of the local workbook: what every read and write of a tab shares.

Split from :mod:`.workbook`. Headers are matched as trimmed text; keys are compared as text (a
coordinator may retype ``123`` as a number or as text); text is made storable (control
characters, XML non-characters, Excel's cell limit) and stored RAW, never as a formula.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from microintern.domain.records import Cell, Record

if TYPE_CHECKING:  # openpyxl is imported by the first write, never by a run that only reads
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

log = logging.getLogger("microintern.adapters.local.workbook")  # where these warnings always went

EXCEL_CELL_LIMIT = 32_767
TRUNCATION_MARKER = " …[truncated by microintern]"

# Beyond openpyxl's ILLEGAL_CHARACTERS_RE (C0 controls), XML 1.0 also forbids U+FFFE/U+FFFF;
# openpyxl's pure-Python writer would emit them and produce a file nobody can open again.
_XML_NONCHARACTERS = re.compile("[\ufffe\uffff]")
# openpyxl's ILLEGAL_CHARACTERS_RE (C0 controls but tab, LF and CR), copied so that sanitising
# text does not import openpyxl.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_PLAIN = frozenset({str, int, float, bool})  # what read_value returns unchanged (but "")


def grid_records(grid: Sequence[Sequence[Any]]) -> list[Record]:
    """Rows of values (row 1 the headers) as records; fully blank rows are skipped."""
    if not grid:
        return []
    columns = list(header_positions(grid[0]).items())
    width = max((index for _, index in columns), default=-1) + 1
    records: list[Record] = []
    for values in grid[1:]:
        if len(values) < width:
            values = [*values, *([None] * (width - len(values)))]
        record: Record = {name: values[index] for name, index in columns}
        # Text, numbers and booleans are cells already: only "" and the rest need converting
        # (a tenth of the cost of converting every one, for 10,000 applications).
        for name, value in record.items():
            if value is not None and (value == "" or type(value) not in _PLAIN):
                record[name] = read_value(value)
        if any(value is not None for value in record.values()):
            records.append(record)
    return records


def new_book() -> Workbook:
    """An empty workbook without openpyxl's default sheet."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    return book


def clean_header(header: object) -> str:
    """Match headers as trimmed text: a stray space typed by hand must not fork a column."""
    return str(header).strip()


def header_positions(header_row: Iterable[Any]) -> dict[str, int]:
    """Map each non-empty header to its 0-based column; the first of duplicates wins."""
    positions: dict[str, int] = {}
    for index, value in enumerate(header_row):
        if value is None or clean_header(value) == "":
            continue
        positions.setdefault(clean_header(value), index)
    return positions


def read_headers(sheet: Worksheet) -> dict[str, int]:
    """Map each header of row 1 to its 1-based column index."""
    row = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    return {name: index + 1 for name, index in header_positions(row).items()}


def append_header(sheet: Worksheet, present: Mapping[str, int], header: str) -> int:
    """Write ``header`` after the last used header cell, bold; return its column."""
    from openpyxl.styles import Font

    column = max([*present.values(), last_used_column(sheet)]) + 1
    cell = sheet.cell(row=1, column=column)
    store_value(cell, clean_header(header))
    cell.font = Font(bold=True)
    return column


def last_used_column(sheet: Worksheet) -> int:
    """The rightmost column of row 1 holding anything (0 for an empty row)."""
    last = 0
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        if cell.value not in (None, ""):
            last = cell.column
    return last


def index_rows(sheet: Worksheet, key_column: int) -> tuple[dict[str, int], int]:
    """Find each key's row (first occurrence) and the last row holding any value."""
    row_of_key: dict[str, int] = {}
    last_row = 1
    for cells in sheet.iter_rows(min_row=2):
        if any(cell.value not in (None, "") for cell in cells):
            last_row = cells[0].row
        if key_column <= len(cells):
            key = key_text(cells[key_column - 1].value)
            if key is not None:
                row_of_key.setdefault(key, cells[0].row)
    return row_of_key, last_row


def key_text(value: object) -> str | None:
    """A key as comparable text: the coordinator may retype ``123`` as a number or as text."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def read_value(value: object) -> Cell:
    """Convert what openpyxl returns into a :data:`Cell`."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()  # no datetime in Cell: dates travel as ISO 8601 text
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400  # Excel's own unit for durations: days
    return str(value)


def sanitize_text(value: str) -> tuple[str, bool]:
    """Make ``value`` storable in a cell; return it and whether it had to be truncated.

    Control characters openpyxl rejects and XML non-characters are removed, lone surrogates
    become U+FFFD, line ends become ``\n`` (XML would turn a stored CR LF into LF on reload
    anyway), and text over Excel's 32,767-character cell limit is cut with a marker.
    """
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    text = _XML_NONCHARACTERS.sub("", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if len(text) > EXCEL_CELL_LIMIT:
        return text[: EXCEL_CELL_LIMIT - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER, True
    return text, False


def store_value(cell: Any, value: Cell) -> bool:
    """Put ``value`` in ``cell`` RAW; return True when text had to be truncated."""
    truncated = False
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)  # Excel has no NaN/inf; the text keeps what the program meant
    if isinstance(value, str):
        value, truncated = sanitize_text(value)
        cell.value = value
        # openpyxl turns "=..." into a formula and "#N/A" into an error cell: force plain text,
        # and set quotePrefix so Excel/LibreOffice keep it text if the coordinator edits it.
        cell.data_type = "s"
        cell.quotePrefix = value.startswith(("=", "+", "-", "@", "#"))
    else:
        cell.value = value
        if cell.quotePrefix:
            cell.quotePrefix = False
    return truncated


def write_cell(cell: Any, value: Cell, *, where: tuple[str, str, str]) -> None:
    """Store one value, logging (without the content, which may be personal) a truncation."""
    if store_value(cell, value):
        tab, header, key = where
        log.warning(
            "tab %s, key %s, column %s: text longer than Excel's %d-character cell limit "
            "was truncated",
            tab, key, header, EXCEL_CELL_LIMIT,
        )
