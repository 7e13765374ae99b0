"""Cells of the program spreadsheet as the Sheets API reads and writes them: pure helpers.

A1 notation (:func:`quote`, :func:`column_letter`, :func:`ranges`), one read of a tab by key
(:class:`TabRead`), rows as records (:func:`records`) and the comparison of a value read back
with the value written (:func:`same`, :func:`norm`). No calls here: see
:mod:`microintern.adapters.google.sheets`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microintern.domain.records import Cell, Record

Stamps = dict[tuple[int, str], tuple[Cell, str | None]]
"""Cells written: (row number, header) → (value written, key of the row it was meant for)."""


def quote(tab: str) -> str:
    """A tab name quoted for A1 notation (``'` doubled inside)."""
    return "'" + tab.replace("'", "''") + "'"


def column_letter(index: int) -> str:
    """The A1 column letters of a zero-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def runs(columns: Sequence[int]) -> list[list[int]]:
    """Split sorted column indexes into runs of neighbours (one A1 range per run)."""
    found: list[list[int]] = []
    for col in sorted(columns):
        if found and found[-1][-1] == col - 1:
            found[-1].append(col)
        else:
            found.append([col])
    return found


def records(values: list[list[Any]]) -> list[Record]:
    """A tab's values (header row first) as records; fully blank rows are left out."""
    if not values:
        return []
    header = [str(h).strip() if h is not None else "" for h in values[0]]
    found: list[Record] = []
    for row in values[1:]:
        if all(v in ("", None) for v in row):
            continue
        record: Record = {}
        for i, name in enumerate(header):
            if name:
                value = row[i] if i < len(row) else None
                record[name] = None if value == "" else value
        found.append(record)
    return found


class TabRead:
    """One read of a tab: header positions, and each key's first row."""

    def __init__(self, values: list[list[Any]], key_column: str) -> None:
        self.values = values
        self.header = [str(h) for h in (values[0] if values else [])]
        # The last of twin headers, as :func:`records` reads them.
        self.position = {name: index for index, name in enumerate(self.header)}
        self.key_index = self.position.get(key_column)
        self.where: dict[str, int] = {}  # key → first row number holding it
        for number in range(2, len(values) + 1):
            key = self.key_at(number)
            if key is not None:
                self.where.setdefault(key, number)

    def key_at(self, number: int) -> str | None:
        """The key on row ``number`` (1-based), None on a row without one."""
        if self.key_index is None or number > len(self.values):
            return None
        row = self.values[number - 1]
        if self.key_index >= len(row) or row[self.key_index] in ("", None):
            return None
        return str(row[self.key_index])

    def get(self, number: int, name: str) -> Any:
        """The value at row ``number`` under header ``name`` ("" when blank or absent)."""
        column = self.position.get(name)
        if column is None or number > len(self.values):
            return ""
        row = self.values[number - 1]
        value = row[column] if column < len(row) else ""
        return "" if value is None else value

    def row_of(self, key: str, names: Sequence[str]) -> dict[str, Any]:
        """The values under ``names`` on ``key``'s row, as this read saw them."""
        return {name: self.get(self.where[key], name) for name in names}


def same(current: Any, wanted: Any) -> bool:
    """Whether a read-back value is what was written (RAW, read unformatted)."""
    current = "" if current is None else current
    wanted = "" if wanted is None else wanted
    if isinstance(current, str) and isinstance(wanted, str):
        # Sheets keeps one kind of line end.
        return current.replace("\r\n", "\n") == wanted.replace("\r\n", "\n")
    if isinstance(current, bool) or isinstance(wanted, bool):
        return current is wanted
    if isinstance(current, int | float) and isinstance(wanted, int | float):
        return float(current) == float(wanted)
    return bool(current == wanted)


def norm(value: Any) -> tuple[str, Any]:
    """A hashable form of a cell value in which :func:`same` values are equal."""
    if value is None or value == "":
        return ("s", "")
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    return ("s", str(value).replace("\r\n", "\n"))


def line(header: Sequence[str], position: Mapping[str, int], key_column: str, key: str,
         cells: Mapping[str, Cell]) -> list[Cell]:
    """A whole new row for ``values.append``, in header order."""
    found: list[Cell] = [""] * len(header)
    found[position[key_column]] = key
    for name, value in cells.items():
        found[position[name]] = value
    return found


def ranges(tab: str, position: Mapping[str, int],
           cells: Mapping[tuple[int, str], tuple[Cell, str | None]]) -> list[dict[str, Any]]:
    """``values.batchUpdate`` data for ``cells``: one A1 range per run of neighbouring columns."""
    by_row: dict[int, dict[int, Cell]] = {}
    for (number, name), (value, _key) in cells.items():
        if name in position:
            by_row.setdefault(number, {})[position[name]] = value
    data: list[dict[str, Any]] = []
    for number, row in sorted(by_row.items()):
        for run in runs(list(row)):
            a1 = (f"{quote(tab)}!{column_letter(run[0])}{number}:"
                  f"{column_letter(run[-1])}{number}")
            data.append({"range": a1, "values": [[row[c] for c in run]]})
    return data


def blank_tool_cells(values: list[list[Any]], tab: str, key_column: str,
                     columns: Sequence[str]) -> tuple[list[dict[str, Any]], int]:
    """Clearing writes for ``columns`` on id-less rows that hold something in them, and rows."""
    if not values:
        return [], 0
    header = [str(h) for h in values[0]]
    if key_column not in header:
        return [], 0
    key_index = header.index(key_column)
    targets = [header.index(c) for c in columns if c in header]
    data: list[dict[str, Any]] = []
    rows = 0
    for number, row in enumerate(values[1:], start=2):
        if key_index < len(row) and row[key_index] not in ("", None):
            continue
        filled = [col for col in targets if col < len(row) and row[col] not in ("", None)]
        rows += bool(filled)
        data += [{"range": f"{quote(tab)}!{column_letter(col)}{number}", "values": [[""]]}
                 for col in filled]
    return data, rows


def cell(value: Cell) -> Cell:
    """A value as written: None clears the cell."""
    # None clears a cell; everything else goes in as given (RAW keeps text as text).
    return "" if value is None else value
