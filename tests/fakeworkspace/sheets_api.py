"""Sheets v4: the store tests seed and inspect (``fake.sheets``) and the spreadsheet handlers.

``spreadsheets.values.*`` handlers live in :mod:`.sheets_values`, ``batchUpdate``
requests in :mod:`.sheets_batch`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
from typing import TYPE_CHECKING, Any

from . import a1
from .context import RequestContext
from .drive_api import SPREADSHEET_MIME
from .errors import bad_request, not_implemented
from .sheets_batch import apply_batch
from .sheets_model import (
    DEFAULT_COLUMNS,
    DEFAULT_ROWS,
    Sheet,
    Spreadsheet,
    clamp,
    extended_value,
    not_found_spreadsheet,
    render,
)
from .sheets_values import HANDLERS as VALUE_HANDLERS
from .sheets_values import read_range, write_range

if TYPE_CHECKING:
    from .context import Handler


class SheetsStore:
    """All spreadsheets of the fake, with helpers to seed and inspect them."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._spreadsheets: dict[str, Spreadsheet] = {}
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        """A spreadsheet id shaped like Google's (44 URL-safe characters)."""
        digest = hashlib.sha256(f"spreadsheet-{next(self._ids)}".encode()).digest()
        return "1" + base64.urlsafe_b64encode(digest).decode()[:43]

    def create(
        self,
        spreadsheet_id: str,
        title: str,
        tabs: dict[str, list[list[Any]]] | None = None,
        *,
        user_entered: bool = False,
    ) -> Spreadsheet:
        """Create a spreadsheet with tabs of values (``{"Applications": [[...], ...]}``).

        Values are stored like a ``RAW`` write (text stays text, ``=1+1`` included)
        unless ``user_entered``. Each tab's grid is at least 1000 x 26.
        """
        tabs = tabs if tabs is not None else {"Sheet1": []}
        spreadsheet = Spreadsheet(spreadsheet_id, title)
        for index, (name, rows) in enumerate(tabs.items()):
            sheet = Sheet(sheet_id=0 if index == 0 else spreadsheet.new_id(), title=name)
            sheet.index = index
            sheet.grow(max(DEFAULT_ROWS, len(rows)), max([DEFAULT_COLUMNS, *map(len, rows)]))
            spreadsheet.sheets.append(sheet)
        with self._lock:
            if spreadsheet_id in self._spreadsheets:
                raise ValueError(f"spreadsheet {spreadsheet_id} already exists")
            self._spreadsheets[spreadsheet_id] = spreadsheet
            option = "USER_ENTERED" if user_entered else "RAW"
            for name, rows in tabs.items():
                if rows:
                    write_range(spreadsheet, a1.quote_title(name), rows, option)
        return spreadsheet

    def get(self, spreadsheet_id: str) -> Spreadsheet:
        """The spreadsheet; raises the API's 404 if unknown."""
        with self._lock:
            spreadsheet = self._spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise not_found_spreadsheet(spreadsheet_id)
        return spreadsheet

    def delete(self, spreadsheet_id: str) -> None:
        """Remove a spreadsheet (its Drive file was deleted)."""
        with self._lock:
            self._spreadsheets.pop(spreadsheet_id, None)

    def exists(self, spreadsheet_id: str) -> bool:
        """Whether a spreadsheet with this id exists."""
        with self._lock:
            return spreadsheet_id in self._spreadsheets

    def replace(self, spreadsheet: Spreadsheet) -> None:
        """Commit a modified clone (see :meth:`Spreadsheet.adopt`)."""
        with self._lock:
            self._spreadsheets[spreadsheet.spreadsheet_id].adopt(spreadsheet)

    def sheet(self, spreadsheet_id: str, tab: str) -> Sheet:
        """A tab, for inspecting metadata (frozen rows, validations, protected ranges...)."""
        sheet = self.get(spreadsheet_id).sheet_by_title(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r} in spreadsheet {spreadsheet_id}")
        return sheet

    def values(self, spreadsheet_id: str, tab: str) -> list[list[Any]]:
        """A tab's values with their types (unformatted), trimmed like the API trims them."""
        with self._lock:
            self.sheet(spreadsheet_id, tab)
            found = read_range(self.get(spreadsheet_id), a1.quote_title(tab), "UNFORMATTED_VALUE")
        return found.get("values", [])

    def write(
        self, spreadsheet_id: str, range_a1: str, rows: list[list[Any]], *, user_entered: bool = False
    ) -> None:
        """Write values as a coordinator would (e.g. from a hook between two API calls)."""
        with self._lock:
            option = "USER_ENTERED" if user_entered else "RAW"
            write_range(self.get(spreadsheet_id), range_a1, rows, option)

    def formulas(self, spreadsheet_id: str, tab: str | None = None) -> list[tuple[str, str]]:
        """Every formula cell as ``(A1 reference, formula)``; tests assert none was written."""
        found = []
        with self._lock:
            spreadsheet = self.get(spreadsheet_id)
            for sheet in spreadsheet.sheets:
                if tab is not None and sheet.title != tab:
                    continue
                for r, line in enumerate(sheet.rows):
                    for c, cell in enumerate(line):
                        if cell is not None and cell.formula is not None:
                            ref = a1.format_range(sheet.title, r, r + 1, c, c + 1)
                            found.append((ref, cell.formula))
        return found


# --- JSON --------------------------------------------------------------------------------------


def _grid_data(sheet: Sheet, bounds: a1.Bounds | None) -> dict[str, Any]:
    r0, r1, c0, c1 = clamp(sheet, bounds or a1.Bounds())
    rows = []
    for r in range(r0, min(r1, len(sheet.rows))):
        line = sheet.rows[r]
        cells = []
        for c in range(c0, min(c1, len(line))):
            cell = line[c]
            if cell is None:
                cells.append({})
                continue
            effective = extended_value(cell)
            cells.append(
                {
                    "userEnteredValue": effective,
                    "effectiveValue": effective,
                    "formattedValue": render(cell, "FORMATTED_VALUE"),
                }
            )
        rows.append({"values": cells} if cells else {})
    while rows and not rows[-1]:
        rows.pop()
    data: dict[str, Any] = {"rowData": rows}
    if r0:
        data["startRow"] = r0
    if c0:
        data["startColumn"] = c0
    return data


def sheet_json(sheet: Sheet, grid: list[a1.Bounds | None] | None) -> dict[str, Any]:
    """A ``Sheet`` resource; ``grid`` lists the ranges whose data to include (None: none)."""
    out: dict[str, Any] = {"properties": sheet.properties_json()}
    if sheet.conditional_formats:
        out["conditionalFormats"] = sheet.conditional_formats
    if sheet.protected_ranges:
        out["protectedRanges"] = sheet.protected_ranges
    if sheet.developer_metadata:
        out["developerMetadata"] = sheet.developer_metadata
    if sheet.basic_filter:
        out["basicFilter"] = sheet.basic_filter
    if sheet.charts:
        out["charts"] = sheet.charts
    if grid is not None:
        out["data"] = [_grid_data(sheet, bounds) for bounds in grid]
    return out


def spreadsheet_json(
    spreadsheet: Spreadsheet, *, ranges: list[str] | None = None, grid_data: bool = False
) -> dict[str, Any]:
    """A ``Spreadsheet`` resource, limited to the sheets of ``ranges`` when given."""
    selected: dict[int, list[a1.Bounds | None]] = {}
    if ranges:
        for text in ranges:
            sheet, bounds = spreadsheet.resolve(text)
            selected.setdefault(sheet.sheet_id, []).append(bounds)
    sheets = []
    for sheet in spreadsheet.sheets:
        if ranges and sheet.sheet_id not in selected:
            continue
        grid = selected.get(sheet.sheet_id, [None]) if grid_data else None
        sheets.append(sheet_json(sheet, grid))
    out: dict[str, Any] = {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "properties": {
            "title": spreadsheet.title,
            "locale": spreadsheet.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": spreadsheet.time_zone,
        },
        "sheets": sheets,
        "spreadsheetUrl": spreadsheet.url(),
    }
    if spreadsheet.developer_metadata:
        out["developerMetadata"] = spreadsheet.developer_metadata
    return out


# --- handlers ----------------------------------------------------------------------------------


def spreadsheets_get(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.get`` (``includeGridData``, ``ranges``)."""
    spreadsheet = ctx.fake.sheets.get(ctx.path("spreadsheetId"))
    return spreadsheet_json(spreadsheet, ranges=ctx.args("ranges"), grid_data=ctx.flag("includeGridData"))


def spreadsheets_create(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.create`` (properties and sheet properties; no initial data)."""
    body = ctx.json()
    for unsupported in ("namedRanges", "developerMetadata", "dataSources"):
        if body.get(unsupported):
            raise not_implemented(f"spreadsheets.create with {unsupported}")
    sheets_in = body.get("sheets") or [{"properties": {"title": "Sheet1"}}]
    if any(s.get("data") for s in sheets_in):
        raise not_implemented("spreadsheets.create with sheets[].data")
    store = ctx.fake.sheets
    props = body.get("properties") or {}
    spreadsheet_id = store.new_id()
    titles = [(s.get("properties") or {}).get("title") or f"Sheet{i + 1}" for i, s in enumerate(sheets_in)]
    if len({t.lower() for t in titles}) != len(titles):
        raise bad_request("Invalid sheets: duplicate sheet titles")
    spreadsheet = store.create(
        spreadsheet_id, props.get("title") or "Untitled spreadsheet", {t: [] for t in titles}
    )
    spreadsheet.locale = props.get("locale", spreadsheet.locale)
    spreadsheet.time_zone = props.get("timeZone", spreadsheet.time_zone)
    for sheet, given in zip(spreadsheet.sheets, sheets_in, strict=True):
        wanted = dict(given.get("properties") or {})
        wanted.pop("index", None)
        if "sheetId" in wanted:
            sheet.sheet_id = int(wanted["sheetId"])
        merged = sheet.properties_json()
        merged.update({k: v for k, v in wanted.items() if k != "gridProperties"})
        merged["gridProperties"].update(wanted.get("gridProperties") or {})
        sheet.load_properties(merged)
    ctx.fake.drive.register(spreadsheet_id, spreadsheet.title, SPREADSHEET_MIME, ctx.user)
    return spreadsheet_json(spreadsheet)


def spreadsheets_batch_update(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.batchUpdate`` (atomic; see :mod:`.sheets_batch` for request kinds)."""
    store = ctx.fake.sheets
    body = ctx.json()
    spreadsheet = store.get(ctx.path("spreadsheetId")).clone()
    replies = apply_batch(spreadsheet, body.get("requests") or [])
    store.replace(spreadsheet)
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        out["updatedSpreadsheet"] = spreadsheet_json(
            store.get(spreadsheet.spreadsheet_id),
            ranges=body.get("responseRanges"),
            grid_data=bool(body.get("responseIncludeGridData")),
        )
    return out


HANDLERS: dict[str, Handler] = {
    "sheets.spreadsheets.get": spreadsheets_get,
    "sheets.spreadsheets.create": spreadsheets_create,
    "sheets.spreadsheets.batchUpdate": spreadsheets_batch_update,
    **VALUE_HANDLERS,
}
