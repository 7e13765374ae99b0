"""The program spreadsheet over the Sheets API v4 (through gspread's low-level client).

Every method makes a small, fixed number of calls whatever the number of rows: a whole tab is
read with one ``values.batchGet`` and all cell writes of an upsert go in one
``values.batchUpdate`` with ``valueInputOption=RAW`` (an answer such as ``=IMPORTXML(...)``
stays text). Rows are found by their id column at write time, never by position.

**No blind repeats.** Reads and cell-targeted ``values.batchUpdate`` are idempotent and are
retried. ``values.append`` and ``spreadsheets.batchUpdate`` (new tabs, grown grids, rules,
charts) are not: only a refusal (429, rate-limit 403) is retried as is. After an unknown outcome
(5xx, timeout, dropped connection) the spreadsheet is read again and the call is recomputed from
what is there now: rows whose key landed are not appended again, tabs and rules that exist are
not added again. A bounded number of rounds, then a clear error.

**Sorts, inserts and deletes while we write.** Sheets has no row identity an A1 write can
target: an upsert finds rows by key in one read and writes cells by row number, so a sort, an
inserted or a deleted row between that read and the write puts cells on other rows. So after
a write of cells, :meth:`GoogleSheetsRoster.upsert` (and :meth:`~GoogleSheetsRoster.clear_unkeyed`)
read the tab back once. When every row written still holds the key it was written for, that
is all (one extra read). Otherwise, in the columns written: a key of this upsert must hold its
value; a cell holding what we wrote for another row goes back to what the first read showed
for its own key (blank on a row without a key, or with a key the first read did not have); a
key whose row was deleted is appended again. The repair is cell-targeted at the rows found
now and is checked again, up to :data:`REPAIR_ROUNDS` times, then a clear error says the tab
kept changing. Calls per upsert: read, write, read back (plus ``values.append`` for new keys);
with one race: read, write, read back, repair, read back.

The window that remains: an edit of the tab between our write and our read-back that moves a
misplaced cell again (two sorts within a second or so) is not seen, nor a coordinator's value
typed into one of our cells that equals exactly what we wrote there. A read right after an
unknown outcome may also miss a write Google is still applying; the read waits the backoff
first (:meth:`~microintern.adapters.google.transport.Retry.pause`).

REST reference: https://developers.google.com/sheets/api/reference/rest
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
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

log = logging.getLogger(__name__)

T = TypeVar("T")
Request = dict[str, Any]
Stamps = dict[tuple[int, str], tuple[Cell, str | None]]
"""Cells written: (row number, header) → (value written, key of the row it was meant for)."""

READ_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "FORMATTED_STRING",
    "majorDimension": "ROWS",
}
GROW_ROWS = 1000  # rows added at a time when a tab fills up: one call per thousand appends
REPAIR_ROUNDS = 4  # read-backs after a write of cells before giving up on a tab that keeps moving
RECONCILE_ROUNDS = 4  # tries of a call that must not repeat blind, each after a read-back


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


def _unknown_outcome(exc: BackendError) -> bool:
    """A call that may or may not have taken effect: a 5xx, a timeout, a dropped connection.

    A 429 or rate-limit 403 is a refusal (nothing was done); a 4xx is a refusal for good.
    """
    return exc.retryable and exc.code not in (403, 429)


class _Tab:
    """One read of a tab: header positions, and each key's first row."""

    def __init__(self, values: list[list[Any]], key_column: str) -> None:
        self.values = values
        self.header = [str(h) for h in (values[0] if values else [])]
        # The last of twin headers, as _records reads them.
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


def _same(current: Any, wanted: Any) -> bool:
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


def _norm(value: Any) -> tuple[str, Any]:
    """A hashable form of a cell value in which :func:`_same` values are equal."""
    if value is None or value == "":
        return ("s", "")
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    return ("s", str(value).replace("\r\n", "\n"))


class GoogleSheetsRoster:
    """The :class:`~microintern.ports.Roster` port on a Google spreadsheet."""

    def __init__(self, http: gspread.HTTPClient, spreadsheet_id: str, *,
                 retry: Retry | None = None) -> None:
        self._http = http
        self._id = spreadsheet_id
        self._retry = retry or Retry()
        # For calls that must not repeat blind: only refusals are retried as they are.
        self._refusals = Retry(self._retry.attempts, self._retry.sleep, refusals_only=True)
        self._grid: dict[str, dict[str, int]] | None = None  # title -> sheetId, rows, columns

    def _call(self, what: str, fn: Callable[[], T], retry: Retry | None = None) -> T:
        def once() -> T:
            try:
                return fn()
            except APIError as exc:
                response = exc.response
                raise to_backend_error(response.status_code, response.content, what,
                                       response.headers.get("Retry-After")) from None
            except GoogleAuthError as exc:
                raise auth_error(exc, what) from None
            except OSError as exc:  # requests' timeouts and dropped connections among them
                raise BackendError(f"{what}: {type(exc).__name__}", retryable=True) from None

        return (retry or self._retry).run(once)

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
        # Cell-targeted and RAW: writing the same cells twice leaves the same cells, so this
        # one is retried after an unknown outcome (a misplaced write is what upsert repairs).
        if data:
            body = {"valueInputOption": "RAW", "data": data}
            self._call("values.batchUpdate", lambda: self._http.values_batch_update(self._id, body))

    def _batch_update(self, requests: list[Request],
                      replan: Callable[[], list[Request]]) -> dict[str, Any]:
        """One ``spreadsheets.batchUpdate``, never repeated blind.

        After an unknown outcome the batch may have been applied (it is atomic: all or none),
        so ``replan`` reads the spreadsheet again and says what is still needed; that is sent,
        and nothing when nothing is. Returns the last answer ({} when nothing was left).
        """
        problem: BackendError | None = None
        for attempt in range(RECONCILE_ROUNDS):
            if not requests:
                return {}
            body = {"requests": requests}
            try:
                return self._call("spreadsheets.batchUpdate",
                                  lambda body=body: self._http.batch_update(self._id, body),  # type: ignore[misc]
                                  retry=self._refusals)
            except BackendError as exc:
                if not _unknown_outcome(exc):
                    raise
                problem = exc
            log.warning("spreadsheets.batchUpdate: outcome unknown (%s); reading the "
                        "spreadsheet again before anything is sent again", problem)
            self._retry.pause(attempt)
            requests = replan()
        raise BackendError(f"{problem}; still unknown after {RECONCILE_ROUNDS} tries, each after "
                           "reading the spreadsheet again: run the command again later")

    def _append(self, tab: str, key_column: str, lines: Mapping[str, list[Cell]]) -> None:
        """Append whole rows (``INSERT_ROWS``, RAW), each at most once.

        ``values.append`` is not idempotent: after an unknown outcome the tab is read again
        and only the rows whose key is not there yet are appended.
        """
        pending = dict(lines)
        params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
        problem: BackendError | None = None
        for attempt in range(RECONCILE_ROUNDS):
            body = {"values": list(pending.values())}
            try:
                self._call("values.append", lambda body=body: self._http.values_append(  # type: ignore[misc]
                    self._id, f"{quote(tab)}!A1", params=params, body=body), retry=self._refusals)
                return
            except BackendError as exc:
                if not _unknown_outcome(exc):
                    raise
                problem = exc
            log.warning("values.append on tab %s: outcome unknown (%s); reading the tab "
                        "before appending again", tab, problem)
            self._retry.pause(attempt)
            landed = _Tab(self._batch_get([quote(tab)])[0], key_column).where
            pending = {key: line for key, line in pending.items() if key not in landed}
            if not pending:
                return
        raise BackendError(f"{problem}; rows of tab {tab!r} still unknown after "
                           f"{RECONCILE_ROUNDS} tries, each after reading the tab: run the "
                           "command again (rows that landed are not added twice)")

    def _tab_requests(self, layout: Mapping[str, Sequence[str]]) -> list[Request]:
        """``addSheet`` requests for the tabs of ``layout`` the spreadsheet lacks."""
        grid = self._load_grid()
        return [{"addSheet": {"properties": {
            "title": tab,
            "gridProperties": {"rowCount": GROW_ROWS,
                               "columnCount": max(26, len(layout[tab]) + 10),
                               "frozenRowCount": 1},
        }}} for tab in layout if tab not in grid]

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Create missing tabs (header frozen) and append missing headers; data is untouched."""
        requests = self._tab_requests(layout)
        if requests:
            def replan() -> list[Request]:
                self._grid = None  # the lost batch may have added some tabs
                return self._tab_requests(layout)

            reply = self._batch_update(requests, replan)
            grid = self._load_grid()
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

        def plan() -> list[Request]:
            grid = self._load_grid()
            if tab not in grid:
                raise BackendError(f"the spreadsheet has no tab {tab!r}: run `microintern init`")
            size = grid[tab]
            requests: list[Request] = []
            if rows > size["rows"]:
                requests.append({"appendDimension": {
                    "sheetId": size["sheetId"], "dimension": "ROWS",
                    "length": rows - size["rows"] + GROW_ROWS}})
            if columns > size["columns"]:
                requests.append({"appendDimension": {
                    "sheetId": size["sheetId"], "dimension": "COLUMNS",
                    "length": columns - size["columns"] + 10}})
            return requests

        def replan() -> list[Request]:
            self._grid = None  # appendDimension adds again if repeated: measure the grid anew
            return plan()

        requests = plan()
        if requests:
            self._batch_update(requests, replan)
            size = self._load_grid()[tab]
            if rows > size["rows"]:
                size["rows"] = rows + GROW_ROWS
            if columns > size["columns"]:
                size["columns"] = columns + 10

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Update rows found by ``key_column`` cell by cell; append unknown keys as new rows.

        The tab is re-read just before writing so rows the coordinator sorted or inserted
        since the last read are found where they are now. Known rows get one
        ``values.batchUpdate`` of the given cells only; new rows go in one ``values.append``
        (``INSERT_ROWS``: after the table, growing the grid as needed, never over data), never
        repeated blind. After a write of cells the tab is read back once and cells a sort,
        insert or delete put on other rows are repaired (see the module docstring): read,
        write, append, read back, whatever the number of rows, without a race (one more call
        when the grid needs new columns; two more per round of repair).
        """
        if not rows:
            return UpsertResult(0, 0)
        before = _Tab(self._batch_get([quote(tab)])[0], key_column)
        header = list(before.header)
        for row in rows:
            for name in row:
                if name not in header:
                    header.append(name)
        if key_column not in header:
            header.insert(0, key_column)
        position = {name: i for i, name in enumerate(header)}
        data: list[dict[str, Any]] = []
        old_width = len(before.header)
        if len(header) > old_width:
            data.append({"range": f"{quote(tab)}!{column_letter(old_width)}1",
                         "values": [header[old_width:]]})
        intended: dict[str, dict[str, Cell]] = {}
        updated = 0
        for row in rows:
            key = str(row[key_column])
            updated += key in before.where
            intended.setdefault(key, {}).update(
                # Never the key cell of a known row: if the coordinator moved rows since the
                # read, rewriting it would give another applicant's row this id.
                {name: _cell(value) for name, value in row.items() if name != key_column})
        stamps: Stamps = {(before.where[key], name): (value, key)
                          for key, cells in intended.items() if key in before.where
                          for name, value in cells.items()}
        fresh = {key: self._line(header, position, key_column, key, cells)
                 for key, cells in intended.items() if key not in before.where}
        if len(header) > old_width:
            self._grow(tab, columns=len(header))
        self._write(data + _ranges(tab, position, stamps))
        if fresh:
            self._append(tab, key_column, fresh)
        if stamps:
            written = {name for cells in intended.values() for name in cells}
            saw = {key: before.row_of(key, sorted(written)) for key in before.where}
            self._settle(tab, key_column, intended, saw, stamps)
        return UpsertResult(updated, len(fresh))

    @staticmethod
    def _line(header: Sequence[str], position: Mapping[str, int], key_column: str, key: str,
              cells: Mapping[str, Cell]) -> list[Cell]:
        """A whole new row for ``values.append``, in header order."""
        line: list[Cell] = [""] * len(header)
        line[position[key_column]] = key
        for name, value in cells.items():
            line[position[name]] = value
        return line

    def _settle(self, tab: str, key_column: str, intended: Mapping[str, Mapping[str, Cell]],
                saw: Mapping[str, Mapping[str, Any]], stamps: Stamps,
                blank: Sequence[str] = ()) -> None:
        """Read the tab back after a write of cells and repair what landed on other rows.

        ``intended``: the cells each key of this write must hold. ``saw``: the written columns
        of every other key as the read before the write saw them. ``stamps``: the cells just
        written, by row number. ``blank``: columns that must be blank on rows without a key
        (for :meth:`clear_unkeyed`). See the module docstring for the rules and the window.
        """
        written: Stamps = dict(stamps)  # every cell written so far, the latest per cell
        columns = sorted({name for (_, name) in stamps})  # the columns written by cell
        ours: dict[tuple[str, Any], set[str | None]] = {}  # (header, value) → rows meant for
        for (_, name), (value, meant) in stamps.items():
            ours.setdefault((name, _norm(value)), set()).add(meant)
        latest = stamps
        for _ in range(REPAIR_ROUNDS):
            now = _Tab(self._batch_get([quote(tab)])[0], key_column)
            if all(now.key_at(number) == key for (number, _), (_, key) in latest.items()):
                return  # every row written still holds its key: each cell is where it belongs
            repairs: Stamps = {}
            by_row: dict[int, list[tuple[str, Cell, str | None]]] = {}
            for (row, name), (value, meant) in written.items():
                by_row.setdefault(row, []).append((name, value, meant))
            for number in range(2, len(now.values) + 1):
                key = now.key_at(number)
                # The first row of a key of this write holds its cells (later twins are left).
                mine = intended.get(key, {}) if key is not None and \
                    now.where.get(key) == number else {}
                for name, value in mine.items():
                    if not _same(now.get(number, name), value):
                        repairs[number, name] = (value, key)
                own_row = saw.get(key) if key is not None else None
                if own_row is not None:
                    # By value, wherever the row has moved since: a cell that no longer holds
                    # what the first read saw, but what we wrote for another row.
                    for name, own in own_row.items():
                        current = now.get(number, name)
                        if name in mine or _same(current, own):
                            continue
                        if ours.get((name, _norm(current)), set()) - {key}:
                            repairs[number, name] = (own, key)
                # By row number: what we wrote on this row for another one, on a row the first
                # read did not have (no key, or a key typed since).
                for name, value, meant in by_row.get(number, ()):
                    if name in mine or meant == key or (number, name) in repairs or \
                            not _same(now.get(number, name), value):
                        continue
                    own = own_row.get(name, "") if own_row is not None else ""
                    if not _same(value, own):
                        repairs[number, name] = (own, key)
                if own_row is None:
                    # A row the first read did not have (no key, a key this write appended, or
                    # one typed since), wherever a sort has moved it: a cell holding what we
                    # wrote for another row goes back to blank (a new row has only its own).
                    for name in columns:
                        current = now.get(number, name)
                        if name in mine or current in ("", None) or (number, name) in repairs:
                            continue
                        if ours.get((name, _norm(current)), set()) - {key}:
                            repairs[number, name] = ("", key)
                if key is None:
                    for name in blank:
                        if now.get(number, name) not in ("", None):
                            repairs[number, name] = ("", None)
            gone = {key: cells for key, cells in intended.items() if key not in now.where}
            if gone:  # the row was deleted between our read and our write: add it again
                header = list(now.header)
                position = {name: i for i, name in enumerate(header)}
                if key_column in position and all(n in position for c in gone.values() for n in c):
                    self._append(tab, key_column, {
                        key: self._line(header, position, key_column, key, cells)
                        for key, cells in gone.items()})
            if not repairs:
                return
            log.warning("tab %s changed while microintern wrote to it (sorted, or rows inserted "
                        "or deleted): %d cells rewritten on the rows where they belong",
                        tab, len(repairs))
            self._write(_ranges(tab, now.position, repairs))
            written.update(repairs)
            for (_, name), (value, meant) in repairs.items():
                ours.setdefault((name, _norm(value)), set()).add(meant)
            latest = repairs
        raise BackendError(
            f"the {tab!r} tab kept changing (sorted, or rows inserted or deleted) while "
            f"microintern wrote to it: {REPAIR_ROUNDS} read-backs in a row found cells on other "
            "rows, and the last repair could not be checked. Let the tab rest, then run the "
            "command again")

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Blank ``columns`` on id-less rows (one read, and one write only if needed).

        After a write the tab is read back: a sort between the read and the write would have
        blanked cells of rows that have a key, and those are restored (see the module docstring).
        """
        before = _Tab(self._batch_get([quote(tab)])[0], key_column)
        data, rows = _blank_tool_cells(before.values, tab, key_column, columns)
        if data:
            names = [c for c in columns if c in before.position]
            stamps: Stamps = {}
            for number in range(2, len(before.values) + 1):
                if before.key_at(number) is None:
                    stamps.update({(number, name): ("", None) for name in names
                                   if before.get(number, name) not in ("", None)})
            self._write(data)
            saw = {key: before.row_of(key, names) for key in before.where}
            self._settle(tab, key_column, {}, saw, stamps, blank=names)
        return rows

    def _rule_requests(self, rules: SheetRules) -> list[Request]:
        """Read the formatting state (and headers) now; the requests still needed."""
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
        return format_requests(rules, headers, sheet_ids, existing)

    def apply_rules(self, rules: SheetRules) -> None:
        """Dropdowns, highlights, warning-only protections and frozen panes; idempotent.

        One ``spreadsheets.get`` (sheet properties, conditional formats, protected ranges and
        microintern's dropdown record), one ``values.batchGet`` of the header rows, then one
        ``spreadsheets.batchUpdate`` with every missing or moved rule, skipped when there is
        none. Columns are found by header in row 1 now: a column the coordinator moved is
        re-found on the next ``init``. See :mod:`microintern.adapters.google.sheet_format`.
        After an unknown outcome the requests are computed again from a fresh read, so a rule
        that landed is not added twice.
        """
        requests = self._rule_requests(rules)
        if requests:
            self._batch_update(requests, lambda: self._rule_requests(rules))

    def _chart_requests(self, tab: str, charts: Sequence[ChartSpec]) -> list[Request]:
        """Read the tab's charts and cells now; the chart requests still needed."""
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
            return chart_requests(tab, charts, meta)
        except KeyError:
            raise BackendError(f"the spreadsheet has no tab {tab!r}: run `microintern init`") from None

    def batch(self) -> AbstractContextManager[None]:
        """Nothing to gather: every write is already one call of its own, done when it returns."""
        return nullcontext()

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Native column charts on ``tab``, found again by title; idempotent.

        One ``spreadsheets.get`` (the tab's charts and cells), then one
        ``spreadsheets.batchUpdate`` of ``addChart`` for missing charts and ``updateChartSpec``
        for changed ones, skipped when every chart is already as wanted. After an unknown
        outcome the charts are read again, so a chart that landed is not added twice. See
        :mod:`microintern.adapters.google.charts`.
        """
        if not charts:
            return
        requests = self._chart_requests(tab, charts)
        if requests:
            self._batch_update(requests, lambda: self._chart_requests(tab, charts))


def _ranges(tab: str, position: Mapping[str, int],
            cells: Mapping[tuple[int, str], tuple[Cell, str | None]]) -> list[dict[str, Any]]:
    """``values.batchUpdate`` data for ``cells``: one A1 range per run of neighbouring columns."""
    by_row: dict[int, dict[int, Cell]] = {}
    for (number, name), (value, _key) in cells.items():
        if name in position:
            by_row.setdefault(number, {})[position[name]] = value
    data: list[dict[str, Any]] = []
    for number, row in sorted(by_row.items()):
        for run in _runs(list(row)):
            a1 = (f"{quote(tab)}!{column_letter(run[0])}{number}:"
                  f"{column_letter(run[-1])}{number}")
            data.append({"range": a1, "values": [[row[c] for c in run]]})
    return data


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
