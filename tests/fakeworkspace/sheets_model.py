"""Spreadsheets as the fake stores them: typed cells on growable grids, plus sheet metadata.

A cell keeps its type: text, number or boolean, and a formula only when a
``USER_ENTERED`` string began with ``=``. Text written ``RAW`` stays text even if it
looks like a formula -- the property formula-injection tests rely on.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from . import a1
from .errors import ApiError, bad_request

Scalar = str | int | float | bool
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26


@dataclass(frozen=True)
class Cell:
    """A stored cell value; ``formula`` is set only for formulas."""

    value: Scalar
    formula: str | None = None

    @property
    def is_formula(self) -> bool:
        """Whether the cell holds a formula."""
        return self.formula is not None


def normal_number(value: float | int) -> float | int:
    """A whole float as an int (Sheets keeps one number type; JSON shows 3, not 3.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def input_cell(value: Any, option: str) -> Cell | None:
    """Convert one written JSON value; None means "leave the cell unchanged".

    Args:
        value: the JSON value (string, number, boolean or null).
        option: ``RAW`` or ``USER_ENTERED``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return Cell(value)
    if isinstance(value, int | float):
        return Cell(normal_number(value))
    if not isinstance(value, str):
        raise bad_request(f"Invalid values: {value!r} is not a string, number or boolean")
    if option == "RAW":
        return Cell(value)
    if value.startswith("=") and len(value) > 1:
        return Cell(value, formula=value)
    if value.startswith("'"):
        return Cell(value[1:])
    if value.strip().upper() in ("TRUE", "FALSE"):
        return Cell(value.strip().upper() == "TRUE")
    if _NUMBER.match(value):
        return Cell(normal_number(float(value)))
    return Cell(value)


def render(cell: Cell | None, option: str) -> Scalar:
    """A cell as ``values.get`` returns it for ``valueRenderOption`` ``option``.

    Formulas are not evaluated: every render option shows the formula text.
    """
    if cell is None:
        return ""
    if cell.formula is not None:
        return cell.formula
    value = cell.value
    if option in ("UNFORMATTED_VALUE", "FORMULA"):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return f"{value:.15g}" if isinstance(value, float) else str(value)
    return value


def extended_value(cell: Cell) -> dict[str, Any]:
    """The cell as a Sheets ``ExtendedValue`` (for grid data)."""
    if cell.formula is not None:
        return {"formulaValue": cell.formula}
    if isinstance(cell.value, bool):
        return {"boolValue": cell.value}
    if isinstance(cell.value, int | float):
        return {"numberValue": cell.value}
    return {"stringValue": cell.value}


@dataclass
class Sheet:
    """One tab: grid properties, cells and the metadata tests inspect."""

    sheet_id: int
    title: str
    index: int = 0
    row_count: int = DEFAULT_ROWS
    column_count: int = DEFAULT_COLUMNS
    frozen_rows: int = 0
    frozen_columns: int = 0
    hidden: bool = False
    extra_properties: dict[str, Any] = field(default_factory=dict)
    rows: list[list[Cell | None]] = field(default_factory=list)
    data_validations: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    #: Embedded charts (``EmbeddedChart``: chartId, spec, position) as added or updated.
    charts: list[dict[str, Any]] = field(default_factory=list)
    #: Formatting-only requests (repeatCell, updateDimensionProperties...), recorded as sent.
    formatting: list[dict[str, Any]] = field(default_factory=list)

    # --- cells -------------------------------------------------------------------------------

    def cell(self, row: int, col: int) -> Cell | None:
        """The cell at 0-based ``(row, col)``, or None if empty."""
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def set_cell(self, row: int, col: int, cell: Cell | None) -> None:
        """Store a cell (None clears it), growing the grid if needed."""
        self.grow(row + 1, col + 1)
        while len(self.rows) <= row:
            self.rows.append([])
        line = self.rows[row]
        if cell is None and col >= len(line):
            return
        while len(line) <= col:
            line.append(None)
        line[col] = cell

    def grow(self, rows: int, columns: int) -> None:
        """Make the grid at least ``rows`` x ``columns``."""
        self.row_count = max(self.row_count, rows)
        self.column_count = max(self.column_count, columns)

    def used_rows(self) -> int:
        """Index after the last row holding any value."""
        for i in range(len(self.rows) - 1, -1, -1):
            if any(c is not None for c in self.rows[i]):
                return i + 1
        return 0

    def insert_rows(self, start: int, count: int) -> None:
        """Insert ``count`` empty rows before row ``start``."""
        if start < len(self.rows):
            self.rows[start:start] = [[] for _ in range(count)]
        self.row_count += count

    def delete_rows(self, start: int, end: int) -> None:
        """Delete rows ``[start, end)``."""
        del self.rows[start:end]
        self.row_count -= end - start

    def insert_columns(self, start: int, count: int) -> None:
        """Insert ``count`` empty columns before column ``start``."""
        for line in self.rows:
            if start < len(line):
                line[start:start] = [None] * count
        self.column_count += count

    def delete_columns(self, start: int, end: int) -> None:
        """Delete columns ``[start, end)``."""
        for line in self.rows:
            del line[start:end]
        self.column_count -= end - start

    def truncate(self) -> None:
        """Drop cells outside the grid (after a resize)."""
        del self.rows[self.row_count :]
        for line in self.rows:
            del line[self.column_count :]

    # --- JSON --------------------------------------------------------------------------------

    def properties_json(self) -> dict[str, Any]:
        """``SheetProperties`` as the API returns them (zero frozen counts omitted)."""
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_columns:
            grid["frozenColumnCount"] = self.frozen_columns
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
            **copy.deepcopy(self.extra_properties),
        }
        if self.hidden:
            props["hidden"] = True
        return props

    def load_properties(self, props: dict[str, Any]) -> None:
        """Apply ``SheetProperties`` JSON (after a field mask was applied to it)."""
        self.title = props.get("title", self.title)
        grid = props.get("gridProperties", {})
        self.row_count = int(grid.get("rowCount", self.row_count))
        self.column_count = int(grid.get("columnCount", self.column_count))
        self.frozen_rows = int(grid.get("frozenRowCount", 0))
        self.frozen_columns = int(grid.get("frozenColumnCount", 0))
        self.hidden = bool(props.get("hidden", False))
        known = {"sheetId", "title", "index", "sheetType", "gridProperties", "hidden"}
        self.extra_properties = {k: v for k, v in props.items() if k not in known}
        if self.frozen_rows > self.row_count or self.frozen_columns > self.column_count:
            raise bad_request("Frozen rows or columns exceed the grid size.")
        self.truncate()

    def clone(self) -> Sheet:
        """A copy safe to modify (cells are immutable, so rows are copied shallowly)."""
        twin = copy.copy(self)
        twin.rows = [list(line) for line in self.rows]
        for name in (
            "extra_properties",
            "data_validations",
            "conditional_formats",
            "protected_ranges",
            "developer_metadata",
            "basic_filter",
            "charts",
            "formatting",
        ):
            setattr(twin, name, copy.deepcopy(getattr(self, name)))
        return twin


@dataclass
class Spreadsheet:
    """A spreadsheet: properties and ordered sheets."""

    spreadsheet_id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    locale: str = "en_US"
    time_zone: str = "America/New_York"
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1

    def sheet_by_title(self, title: str) -> Sheet | None:
        """The sheet with this title (exact, then case-insensitive), if any."""
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        for sheet in self.sheets:
            if sheet.title.lower() == title.lower():
                return sheet
        return None

    def sheet_by_id(self, sheet_id: int) -> Sheet:
        """The sheet with this id; 400 ``No grid with id`` if none."""
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise bad_request(f"Invalid requests: No grid with id: {sheet_id}")

    def reindex(self) -> None:
        """Renumber ``index`` after sheets were added, moved or deleted."""
        for i, sheet in enumerate(self.sheets):
            sheet.index = i

    def new_id(self) -> int:
        """A fresh id for a sheet, protected range or developer metadata entry."""
        taken = {s.sheet_id for s in self.sheets}
        while self.next_id in taken:
            self.next_id += 1
        self.next_id += 1
        return self.next_id - 1

    def resolve(self, text: str) -> tuple[Sheet, a1.Bounds]:
        """Resolve an A1 range to a sheet and bounds (the whole sheet if no cell part).

        Raises:
            ApiError: 400 ``Unable to parse range`` as Google answers.
        """
        try:
            parsed = a1.parse(text)
        except a1.A1Error as exc:
            raise bad_request(str(exc)) from exc
        if parsed.sheet is not None:
            sheet = self.sheet_by_title(parsed.sheet)
            if sheet is not None:
                return sheet, parsed.cells or a1.Bounds()
            if "!" in text or parsed.cells is None:
                raise bad_request(f"Unable to parse range: {text}")
        assert parsed.cells is not None
        return self.sheets[0], parsed.cells

    def clone(self) -> Spreadsheet:
        """A copy to apply an atomic batch of changes to."""
        twin = copy.copy(self)
        twin.sheets = [s.clone() for s in self.sheets]
        twin.developer_metadata = copy.deepcopy(self.developer_metadata)
        return twin

    def adopt(self, twin: Spreadsheet) -> None:
        """Take over the state of a modified clone, keeping object identities."""
        old = {s.sheet_id: s for s in self.sheets}
        sheets = []
        for sheet in twin.sheets:
            kept = old.get(sheet.sheet_id)
            if kept is not None and kept is not sheet:
                kept.__dict__.update(sheet.__dict__)
                sheet = kept
            sheets.append(sheet)
        state = dict(twin.__dict__)
        state["sheets"] = sheets
        self.__dict__.update(state)

    def url(self) -> str:
        """The spreadsheet's browser URL."""
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"


def clamp(sheet: Sheet, bounds: a1.Bounds) -> tuple[int, int, int, int]:
    """Bounds limited to the grid, as (r0, r1, c0, c1)."""
    r0 = bounds.start_row or 0
    c0 = bounds.start_col or 0
    r1 = sheet.row_count if bounds.end_row is None else min(bounds.end_row, sheet.row_count)
    c1 = sheet.column_count if bounds.end_col is None else min(bounds.end_col, sheet.column_count)
    return r0, max(r0, r1), c0, max(c0, c1)


def not_found_spreadsheet(spreadsheet_id: str) -> ApiError:
    """The 404 Sheets answers for an unknown spreadsheet id."""
    return ApiError(404, f"Requested entity was not found. (spreadsheet {spreadsheet_id})")
