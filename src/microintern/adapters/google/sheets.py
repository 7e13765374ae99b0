"""The program spreadsheet over the Sheets API v4 (through gspread's low-level client).

Every method makes a small, fixed number of calls whatever the number of rows: a whole tab is
read with one ``values.batchGet`` and all cell writes of an upsert go in one
``values.batchUpdate`` with ``valueInputOption=RAW`` (an answer such as ``=IMPORTXML(...)``
stays text). Rows are found by their id column at write time, never by position.

REST reference: https://developers.google.com/sheets/api/reference/rest
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import gspread
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError

from microintern.adapters.google.charts import GET_FIELDS as CHART_FIELDS
from microintern.adapters.google.charts import chart_requests
from microintern.adapters.google.sheet_format import GET_FIELDS, format_requests, read_existing
from microintern.adapters.google.transport import Retry, auth_error, to_backend_error
from microintern.domain.records import Cell, ChartSpec, Record
from microintern.domain.sheet_rules import SheetRules
from microintern.errors import BackendError
from microintern.ports import UpsertResult

T = TypeVar("T")

READ_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "FORMATTED_STRING",
    "majorDimension": "ROWS",
}
GROW_ROWS = 1000  # rows added at a time when a tab fills up: one call per thousand appends


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


def _runs(columns: Sequence[int]) -> list[list[int]]:
    """Split sorted column indexes into runs of neighbours (one A1 range per run)."""
    runs: list[list[int]] = []
    for col in sorted(columns):
        if runs and runs[-1][-1] == col - 1:
            runs[-1].append(col)
        else:
            runs.append([col])
    return runs


def _records(values: list[list[Any]]) -> list[Record]:
    if not values:
        return []
    header = [str(h).strip() if h is not None else "" for h in values[0]]
    records: list[Record] = []
    for row in values[1:]:
        if all(v in ("", None) for v in row):
            continue
        record: Record = {}
        for i, name in enumerate(header):
            if name:
                value = row[i] if i < len(row) else None
                record[name] = None if value == "" else value
        records.append(record)
    return records


class GoogleSheetsRoster:
    """The :class:`~microintern.ports.Roster` port on a Google spreadsheet."""

    def __init__(self, http: gspread.HTTPClient, spreadsheet_id: str, *,
                 retry: Retry | None = None) -> None:
        self._http = http
        self._id = spreadsheet_id
        self._retry = retry or Retry()
        self._grid: dict[str, dict[str, int]] | None = None  # title -> sheetId, rows, columns

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        def once() -> T:
            try:
                return fn()
            except APIError as exc:
                response = exc.response
                raise to_backend_error(response.status_code, response.content, what,
                                       response.headers.get("Retry-After")) from None
            except GoogleAuthError as exc:
                raise auth_error(exc, what) from None
            except OSError as exc:
                raise BackendError(f"{what}: {exc}", retryable=True) from None

        return self._retry.run(once)

    def _load_grid(self) -> dict[str, dict[str, int]]:
        if self._grid is None:
            meta = self._call("spreadsheets.get", lambda: self._http.fetch_sheet_metadata(
                self._id, params={"includeGridData": "false",
                                  "fields": "sheets.properties"}))
            self._grid = {}
            for sheet in meta.get("sheets", []):
                props = sheet["properties"]
                grid = props.get("gridProperties", {})
                self._grid[props["title"]] = {
                    "sheetId": props["sheetId"],
                    "rows": grid.get("rowCount", 1000),
                    "columns": grid.get("columnCount", 26),
                }
        return self._grid

    def _batch_get(self, ranges: list[str]) -> list[list[list[Any]]]:
        reply = self._call("values.batchGet", lambda: self._http.values_batch_get(
            self._id, ranges, params=READ_PARAMS))
        return [vr.get("values", []) for vr in reply.get("valueRanges", [])]

    def _write(self, data: list[dict[str, Any]]) -> None:
        if data:
            body = {"valueInputOption": "RAW", "data": data}
            self._call("values.batchUpdate", lambda: self._http.values_batch_update(self._id, body))

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Create missing tabs (header frozen) and append missing headers; data is untouched."""
        grid = self._load_grid()
        missing = [tab for tab in layout if tab not in grid]
        if missing:
            requests = [{"addSheet": {"properties": {
                "title": tab,
                "gridProperties": {"rowCount": GROW_ROWS,
                                   "columnCount": max(26, len(layout[tab]) + 10),
                                   "frozenRowCount": 1},
            }}} for tab in missing]
            reply = self._call("spreadsheets.batchUpdate", lambda: self._http.batch_update(
                self._id, {"requests": requests}))
            for answer in reply.get("replies", []):
                props = answer["addSheet"]["properties"]
                grid_props = props.get("gridProperties", {})
                grid[props["title"]] = {"sheetId": props["sheetId"],
                                        "rows": grid_props.get("rowCount", GROW_ROWS),
                                        "columns": grid_props.get("columnCount", 26)}
        tabs = list(layout)
        headers = self._batch_get([f"{quote(tab)}!1:1" for tab in tabs])
        data: list[dict[str, Any]] = []
        for tab, rows in zip(tabs, headers, strict=True):
            current = [str(h) for h in (rows[0] if rows else [])]
            new = [h for h in layout[tab] if h not in current]
            if new:
                self._grow(tab, columns=len(current) + len(new))
                start = column_letter(len(current))
                data.append({"range": f"{quote(tab)}!{start}1", "values": [new]})
        self._write(data)

    def read_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """Read whole tabs with one ``values.batchGet``; tabs that do not exist read empty."""
        if self._grid is not None:
            present = [t for t in tabs if t in self._grid]
        else:
            try:
                values = self._batch_get([quote(t) for t in tabs])
                return {t: _records(v) for t, v in zip(tabs, values, strict=True)}
            except BackendError as exc:
                if exc.code != 400:
                    raise
                present = [t for t in tabs if t in self._load_grid()]
        values = self._batch_get([quote(t) for t in present]) if present else []
        found = {t: _records(v) for t, v in zip(present, values, strict=True)}
        return {t: found.get(t, []) for t in tabs}

    def _grow(self, tab: str, *, rows: int = 0, columns: int = 0) -> None:
        """Add grid rows/columns when a write would pass the tab's edge (Sheets rejects it)."""
        grid = self._load_grid()
        if tab not in grid:
            raise BackendError(f"the spreadsheet has no tab {tab!r}: run `microintern init`")
        size = grid[tab]
        requests = []
        if rows > size["rows"]:
            extra = rows - size["rows"] + GROW_ROWS
            requests.append({"appendDimension": {"sheetId": size["sheetId"], "dimension": "ROWS",
                                                 "length": extra}})
            size["rows"] += extra
        if columns > size["columns"]:
            extra = columns - size["columns"] + 10
            requests.append({"appendDimension": {"sheetId": size["sheetId"],
                                                 "dimension": "COLUMNS", "length": extra}})
            size["columns"] += extra
        if requests:
            self._call("spreadsheets.batchUpdate", lambda: self._http.batch_update(
                self._id, {"requests": requests}))

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Update rows found by ``key_column`` cell by cell; append unknown keys as new rows.

        The tab is re-read just before writing so rows the coordinator sorted or inserted
        since the last read are found where they are now. Known rows get one
        ``values.batchUpdate`` of the given cells only; new rows go in one ``values.append``
        (``INSERT_ROWS``: after the table, growing the grid as needed, never over data).
        At most three calls, whatever the number of rows.
        """
        if not rows:
            return UpsertResult(0, 0)
        values = self._batch_get([quote(tab)])[0]
        header = [str(h) for h in (values[0] if values else [])]
        for row in rows:
            for name in row:
                if name not in header:
                    header.append(name)
        if key_column not in header:
            header.insert(0, key_column)
        position = {name: i for i, name in enumerate(header)}
        key_index = position[key_column]
        where: dict[str, int] = {}
        for number, existing in enumerate(values[1:], start=2):
            if key_index < len(existing) and existing[key_index] not in ("", None):
                where.setdefault(str(existing[key_index]), number)
        data: list[dict[str, Any]] = []
        old_width = len(values[0]) if values else 0
        if len(header) > old_width:
            data.append({"range": f"{quote(tab)}!{column_letter(old_width)}1",
                         "values": [header[old_width:]]})
        fresh: dict[str, list[Cell]] = {}
        updated = 0
        for row in rows:
            key = str(row[key_column])
            cells = {position[name]: _cell(value) for name, value in row.items()}
            if key in where:
                updated += 1
                number = where[key]
                # Never the key cell of a known row: if the coordinator moved rows since the
                # read, rewriting it would give another applicant's row this id.
                cells.pop(key_index, None)
                for run in _runs(list(cells)):
                    a1 = (f"{quote(tab)}!{column_letter(run[0])}{number}:"
                          f"{column_letter(run[-1])}{number}")
                    data.append({"range": a1, "values": [[cells[c] for c in run]]})
            else:
                line = fresh.setdefault(key, [""] * len(header))
                for column, value in cells.items():
                    line[column] = value
        if len(header) > old_width:
            self._grow(tab, columns=len(header))
        self._write(data)
        if fresh:
            body = {"values": list(fresh.values())}
            params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
            self._call("values.append", lambda: self._http.values_append(
                self._id, f"{quote(tab)}!A1", params=params, body=body))
        return UpsertResult(updated, len(fresh))

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Blank ``columns`` on id-less rows (one read, and one write only if needed)."""
        data, rows = _blank_tool_cells(self._batch_get([quote(tab)])[0], tab, key_column, columns)
        self._write(data)
        return rows

    def apply_rules(self, rules: SheetRules) -> None:
        """Dropdowns, highlights, warning-only protections and frozen panes; idempotent.

        One ``spreadsheets.get`` (sheet properties, conditional formats, protected ranges and
        microintern's dropdown record), one ``values.batchGet`` of the header rows, then one
        ``spreadsheets.batchUpdate`` with every missing or moved rule, skipped when there is
        none. Columns are found by their header in row 1 now: a column the coordinator moved is
        re-found on the next ``init``. See :mod:`microintern.adapters.google.sheet_format`.
        """
        meta = self._call("spreadsheets.get", lambda: self._http.fetch_sheet_metadata(
            self._id, params={"includeGridData": "false", "fields": GET_FIELDS}))
        sheet_ids, existing = read_existing(meta)
        self._grid = {title: {"sheetId": sheet_id, "rows": existing.sheets[sheet_id].rows,
                              "columns": existing.sheets[sheet_id].columns}
                      for title, sheet_id in sheet_ids.items()}
        tabs = [t.tab for t in rules.tabs if t.tab in sheet_ids]
        rows = self._batch_get([f"{quote(tab)}!1:1" for tab in tabs]) if tabs else []
        headers = {tab: [str(h) for h in (values[0] if values else [])]
                   for tab, values in zip(tabs, rows, strict=True)}
        requests = format_requests(rules, headers, sheet_ids, existing)
        if requests:
            self._call("spreadsheets.batchUpdate", lambda: self._http.batch_update(
                self._id, {"requests": requests}))

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Native column charts on ``tab``, found again by title; idempotent.

        One ``spreadsheets.get`` (the tab's charts and cells), then one
        ``spreadsheets.batchUpdate`` of ``addChart`` for missing charts and ``updateChartSpec``
        for changed ones, skipped when every chart is already as wanted. See
        :mod:`microintern.adapters.google.charts`.
        """
        if not charts:
            return
        params = {"includeGridData": "true", "ranges": quote(tab), "fields": CHART_FIELDS}
        try:
            meta = self._call("spreadsheets.get", lambda: self._http.fetch_sheet_metadata(
                self._id, params=params))
        except BackendError as exc:
            if exc.code != 400:
                raise
            # Sheets answers 400 "Unable to parse range" for a tab that does not exist.
            raise BackendError(f"cannot draw charts on tab {tab!r} ({exc}): run `microintern init` "
                               "if the tab is missing") from None
        try:
            requests = chart_requests(tab, charts, meta)
        except KeyError:
            raise BackendError(f"the spreadsheet has no tab {tab!r}: run `microintern init`") from None
        if requests:
            self._call("spreadsheets.batchUpdate", lambda: self._http.batch_update(
                self._id, {"requests": requests}))


def _blank_tool_cells(values: list[list[Any]], tab: str, key_column: str,
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


def _cell(value: Cell) -> Cell:
    # None clears a cell; everything else goes in as given (RAW keeps text as text).
    return "" if value is None else value
