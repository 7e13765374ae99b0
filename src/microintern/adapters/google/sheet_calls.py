"""The calls under the program spreadsheet: one place that talks to the Sheets API.

Reads and cell-targeted ``values.batchUpdate`` are idempotent and are retried.
``values.append`` and ``spreadsheets.batchUpdate`` (new tabs, grown grids, rules, charts) are
not: only a refusal (429, rate-limit 403) is retried as is. After an unknown outcome (5xx,
timeout, dropped connection) the spreadsheet is read again and the call is recomputed from what
is there now: rows whose key landed are not appended again, tabs and rules that exist are not
added again. A bounded number of rounds, then a clear error.

REST reference: https://developers.google.com/sheets/api/reference/rest
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import gspread
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError

from microintern.adapters.google.sheet_values import TabRead, quote
from microintern.adapters.google.transport import Retry, auth_error, to_backend_error
from microintern.domain.records import Cell
from microintern.errors import BackendError

log = logging.getLogger(__name__)

T = TypeVar("T")
Request = dict[str, Any]
Values = list[list[Any]]

READ_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "FORMATTED_STRING",
    "majorDimension": "ROWS",
}
GROW_ROWS = 1000  # rows added at a time when a tab fills up: one call per thousand appends
RECONCILE_ROUNDS = 4  # tries of a call that must not repeat blind, each after a read-back


def unknown_outcome(exc: BackendError) -> bool:
    """A call that may or may not have taken effect: a 5xx, a timeout, a dropped connection.

    A 429 or rate-limit 403 is a refusal (nothing was done); a 4xx is a refusal for good.
    """
    return exc.retryable and exc.code not in (403, 429)


class SheetsCalls:
    """The Sheets calls of one spreadsheet, each retried only where repeating is safe."""

    def __init__(self, http: gspread.HTTPClient, spreadsheet_id: str, *,
                 retry: Retry | None = None) -> None:
        self._http = http
        self._id = spreadsheet_id
        self._retry = retry or Retry()
        # For calls that must not repeat blind: only refusals are retried as they are.
        self._refusals = Retry(self._retry.attempts, self._retry.sleep, refusals_only=True)
        self._grid: dict[str, dict[str, int]] | None = None  # title -> sheetId, rows, columns
        # title -> the tab's charts, as listed with the grid (None: not listed, or changed since)
        self._charts: dict[str, list[dict[str, Any]]] | None = None

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
        """Every tab's id and size (one ``spreadsheets.get``, kept), and its charts."""
        if self._grid is None:
            meta = self._call("spreadsheets.get", lambda: self._http.fetch_sheet_metadata(
                self._id, params={"includeGridData": "false",
                                  "fields": "sheets(properties,charts(chartId,spec))"}))
            self._grid = {}
            self._charts = {}
            for sheet in meta.get("sheets", []):
                props = sheet["properties"]
                self._charts[props["title"]] = sheet.get("charts", [])
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
                if not unknown_outcome(exc):
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
                if not unknown_outcome(exc):
                    raise
                problem = exc
            log.warning("values.append on tab %s: outcome unknown (%s); reading the tab "
                        "before appending again", tab, problem)
            self._retry.pause(attempt)
            landed = TabRead(self._batch_get([quote(tab)])[0], key_column).where
            pending = {key: line for key, line in pending.items() if key not in landed}
            if not pending:
                return
        raise BackendError(f"{problem}; rows of tab {tab!r} still unknown after "
                           f"{RECONCILE_ROUNDS} tries, each after reading the tab: run the "
                           "command again (rows that landed are not added twice)")

    def _append_tabs(self, fresh: Mapping[str, tuple[str, Mapping[str, list[Cell]]]]) -> None:
        """Append whole rows to several tabs in one call, each row at most once.

        ``fresh``: tab → (key column, key → row). One tab is one ``values.append``; several go
        in one ``spreadsheets.batchUpdate`` of ``appendCells`` (after each tab's last row with
        data, rows added as needed: what ``values.append`` with ``INSERT_ROWS`` does to a tab
        that is one table). The batch is atomic; after an unknown outcome the tabs are read
        again (one ``values.batchGet``) and only the rows whose key is not there are sent.
        """
        pending = {tab: (key, dict(rows)) for tab, (key, rows) in fresh.items() if rows}
        if len(pending) < 2:
            for tab, (key, rows) in pending.items():
                self._append(tab, key, rows)
            return
        grid = self._load_grid()
        if any(tab not in grid for tab in pending):
            grid = self._reload_grid()

        def requests() -> list[Request]:
            return [{"appendCells": {"sheetId": grid[tab]["sheetId"], "fields": "userEnteredValue",
                                     "rows": [{"values": [_cell_data(v) for v in row]}
                                              for row in rows.values()]}}
                    for tab, (_key, rows) in pending.items() if rows]

        def replan() -> list[Request]:
            tabs = list(pending)
            for tab, values in zip(tabs, self._batch_get([quote(t) for t in tabs]), strict=True):
                key, rows = pending[tab]
                landed = TabRead(values, key).where
                pending[tab] = (key, {k: row for k, row in rows.items() if k not in landed})
            return requests()

        self._batch_update(requests(), replan)

    def _reload_grid(self) -> dict[str, dict[str, int]]:
        """Every tab's id and size, read again (a tab was added or renamed since)."""
        self._grid = None
        return self._load_grid()

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


    def _read_values(self, tabs: Sequence[str], *, list_first: bool = False
                     ) -> dict[str, Values | None]:
        """Whole tabs in one ``values.batchGet``; None for a tab the spreadsheet lacks.

        Sheets refuses the whole batch (400) when one range names a missing tab: then the
        tabs are listed (``spreadsheets.get``, once per roster) and only those that exist are
        read. ``list_first`` lists them before (a snapshot of every tab, where some may be
        missing on a first run).
        """
        if not tabs:
            return {}
        if self._grid is not None or list_first:
            present = [t for t in tabs if t in self._load_grid()]
        else:
            try:
                return dict(zip(tabs, self._batch_get([quote(t) for t in tabs]), strict=True))
            except BackendError as exc:
                if exc.code != 400:
                    raise
                present = [t for t in tabs if t in self._load_grid()]
        values = self._batch_get([quote(t) for t in present]) if present else []
        found: dict[str, Values] = dict(zip(present, values, strict=True))
        return {t: found.get(t) for t in tabs}

    def _read_tab(self, tab: str) -> Values:
        """One tab's values now (one ``values.batchGet``)."""
        return self._batch_get([quote(tab)])[0]


def _cell_data(value: Cell) -> dict[str, Any]:
    """One cell of ``appendCells`` as ``values.append`` with ``RAW`` writes it: text stays text."""
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}
