"""The program spreadsheet over the Sheets API v4 (through gspread's low-level client).

**A command reads the sheet once.** Inside a :meth:`~GoogleSheetsRoster.batch` block (every
command that writes runs in one, see :func:`microintern.bootstrap.hold_program`) the roster keeps
a snapshot of the tabs it has read: the first read takes every tab asked for in one
``values.batchGet`` (the run lease asks for all of the program's tabs at once), and later reads
of those tabs are answered from the snapshot, with the block's gathered writes laid over it.
Outside a block every read is a fresh ``values.batchGet``, as before.

**Writes are gathered** until a save point: the end of the outermost ``batch()`` block (a nested
block's end, such as a step's in ``run-due``, is not one on Sheets: the next save carries its
writes), :meth:`~GoogleSheetsRoster.flush`, :meth:`~GoogleSheetsRoster.flush_new` (the mailer
calls it before every draft, so a letter's ``sending`` record is in the sheet before its draft
exists), a write to a ``save_at_once`` tab (the run lease: taken, renewed and released with
everything gathered before it), or a write outside any block. A save point makes one
``values.batchUpdate`` with the cells of every tab written (``valueInputOption=RAW``: an answer
such as ``=IMPORTXML(...)`` stays text) and one call for the new rows of every tab (a
``values.append`` for one tab, ``appendCells`` in one ``spreadsheets.batchUpdate`` for
several); the snapshot then shows what was written.
Rows are found by key in the snapshot, never by position. A crash loses at most the writes
since the last save point, which the rerun redoes (every step is safe to rerun; letters sent
since are found in Sent, see :mod:`microintern.steps.mailing`).

**No blind repeats** (see :mod:`microintern.adapters.google.sheet_calls`): reads and
cell-targeted writes are retried; an append or a ``spreadsheets.batchUpdate`` whose outcome is
unknown is recomputed from a fresh read.

**Sorts, inserts and deletes while we write.** Sheets has no row identity an A1 write can
target: cells are written by row number from the snapshot, so a sort, an inserted or a deleted
row since the snapshot was read puts cells on other rows. Every tab written by row number is
read back, all in one ``values.batchGet``, at the command's last save point (and when the run
lease is saved, which is read back anyway), within the run as issue 13 asks: when every row
written still holds the key it was written for, that is all.
Otherwise, in the columns written: a key of this write must hold its value; a cell holding what
we wrote for another row goes back to what the snapshot showed for its own key (blank on a row
without a key, or with a key the snapshot did not have); a key whose row was deleted is appended
again. The repair is cell-targeted at the rows found now and is checked again, up to
:data:`REPAIR_ROUNDS` times, then a clear error says the tab kept changing
(:mod:`microintern.adapters.google.sheet_repair`). Calls of a ``run-due``: the tab list
(``spreadsheets.get``) and the snapshot with the lease, the lease written and read back, one
write and one call of new rows per save point, and one last write read back with the lease's
release; whatever the number of rows, tabs and steps. With a race on a tab: two more (repair, read back).

The window that remains: an edit of the tab between our write and our read-back that moves a
misplaced cell back (two sorts in a run) is not seen, a run killed between a save point and
its check leaves a misplaced cell to the rerun's own writes, and neither is a coordinator's value
typed into one of our cells that equals exactly what we wrote there. Edits made by a person
during a command are seen by the next command (a snapshot is as old as the command). A read
right after an unknown outcome may also miss a write Google is still applying; the read waits
the backoff first (:meth:`~microintern.adapters.google.transport.Retry.pause`).

REST reference: https://developers.google.com/sheets/api/reference/rest
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from microintern.adapters.google.charts import GET_FIELDS as CHART_FIELDS
from microintern.adapters.google.charts import chart_requests
from microintern.adapters.google.sheet_calls import GROW_ROWS, Request, SheetsCalls, Values
from microintern.adapters.google.sheet_format import GET_FIELDS, format_requests, read_existing
from microintern.adapters.google.sheet_repair import REPAIR_ROUNDS, settle
from microintern.adapters.google.sheet_values import (
    Stamps,
    TabRead,
    blank_tool_cells,
    cell,
    column_letter,
    line,
    quote,
    ranges,
    records,
)
from microintern.domain.records import Cell, ChartSpec, Record
from microintern.domain.sheet_rules import SheetRules
from microintern.errors import BackendError
from microintern.ports import UpsertResult

__all__ = ["REPAIR_ROUNDS", "GoogleSheetsRoster", "column_letter", "quote"]


@dataclass
class _Gathered:
    """The cells written to one tab since the last save point, by key (in order of writing)."""

    key_column: str
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)


@dataclass
class _Plan:
    """One tab's part of a save point: what the snapshot showed, and what is written where."""

    tab: str
    gathered: _Gathered
    before: TabRead
    stamps: Stamps
    fresh: dict[str, list[Cell]]


@dataclass
class _Check:
    """A tab's writes by row number not yet read back: what they meant, and what was there."""

    key_column: str
    intended: dict[str, dict[str, Cell]] = field(default_factory=dict)  # key → cells it must hold
    stamps: Stamps = field(default_factory=dict)  # the cells written, by row, the latest per cell
    saw: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → its cells before

    def add(self, plan: _Plan) -> None:
        """Take in one save point's cells of the tab (the first sight of a cell is kept)."""
        names = {name for cells in plan.gathered.cells.values() for name in cells}
        for key, number in plan.before.where.items():
            own = self.saw.setdefault(key, {})
            for name in names:
                own.setdefault(name, plan.before.get(number, name))
        for key, cells in plan.gathered.cells.items():
            self.intended.setdefault(key, {}).update(cells)
        self.stamps.update(plan.stamps)


class GoogleSheetsRoster(SheetsCalls):
    """The :class:`~microintern.ports.Roster` port on a Google spreadsheet."""

    def __init__(self, *args: Any, save_at_once: Iterable[str] = (), **kwargs: Any) -> None:
        """``save_at_once``: tabs whose writes are saved at once, with all that is gathered, and
        read back, appends too (the run lease, whose taking that read confirms)."""
        super().__init__(*args, **kwargs)
        self.save_at_once = frozenset(save_at_once)
        self._depth = 0  # batch() blocks open
        self._seen: dict[str, Values] = {}  # the snapshot: each tab's values as last read
        self._absent: set[str] = set()  # tabs the snapshot found missing
        self._pending: dict[str, _Gathered] = {}  # writes since the last save point
        # Per tab, the gathering (and its size) in which flush_new last found no new key: a
        # gathering only grows until it is saved, so a draft's look is free until the mail engine
        # hands over more rows (every 25 letters), rather than an index of the tab per draft.
        self._none_new: dict[str, tuple[_Gathered, int]] = {}
        self._unverified: dict[str, _Check] = {}  # tabs written by row number, not read back yet
        self._headers: dict[str, list[str]] = {}  # header rows of tabs made in the block, unsaved

    # -- the snapshot --------------------------------------------------------------------------

    def _load(self, tabs: Sequence[str]) -> None:
        """Read ``tabs`` into the snapshot in one ``values.batchGet``."""
        for tab, values in self._read_values(tabs, list_first=len(tabs) > 1).items():
            if values is None:
                self._absent.add(tab)
            else:
                self._absent.discard(tab)
            self._seen[tab] = values or []

    def _view(self, tab: str) -> list[Record]:
        """The snapshot's records of ``tab`` with the writes gathered since laid over them."""
        found = records(self._seen.get(tab, []))
        gathered = self._pending.get(tab)
        if gathered is None:
            return found
        by_key: dict[str, Record] = {}
        for row in found:
            key = row.get(gathered.key_column)
            if key not in (None, ""):
                by_key.setdefault(str(key), row)
        for key, cells in gathered.cells.items():
            row = by_key.get(key)
            if row is None:
                row = by_key[key] = {gathered.key_column: key}
                found.append(row)
            row.update({name: None if value == "" else value for name, value in cells.items()})
        return found

    def read_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """Whole tabs in one ``values.batchGet``; tabs that do not exist read empty.

        Inside a batch block, tabs already read are answered from the snapshot (with the
        block's writes), and only the others are read.
        """
        if not self._depth:
            return {t: records(v or []) for t, v in self._read_values(tabs).items()}
        missing = [t for t in dict.fromkeys(tabs) if t not in self._seen]
        if missing:
            self._load(missing)
        return {t: self._view(t) for t in tabs}

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Gather the block's writes and save them when it ends; reads use the snapshot.

        Blocks nest; the outermost block's end is the save point that also reads back every tab
        written by row number (also when it ends with an error: what a step wrote before
        failing is kept). The snapshot lasts until then.
        """
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            try:
                if not self._depth:
                    self.flush(verify=True)
            finally:
                if not self._depth:
                    self._seen.clear()
                    self._absent.clear()
                    self._unverified.clear()
                    self._headers.clear()

    # -- tabs ----------------------------------------------------------------------------------

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Create missing tabs (header frozen) and append missing headers; data is untouched.

        When the snapshot holds every tab of ``layout`` (the run read them all), their header
        rows are checked there: no call unless a header is missing. Inside a batch block the
        header of a tab made here rides in the next save point's ``values.batchUpdate`` (before
        its appends) instead of a call of its own: the tab is empty and the snapshot shows the
        header at once. A run killed before that save leaves a tab without a header, which the
        next ``ensure_tabs`` finds and writes.
        """
        unread = [t for t in layout if t not in self._seen]
        if self._depth and unread and self._grid is not None and all(t in self._grid for t in unread):
            self._load(unread)  # tabs the run had not read: whole, once (the snapshot's)
        if self._depth and all(t in self._seen and t not in self._absent for t in layout):
            self._add_headers(layout, {t: self._seen[t][0] if self._seen[t] else [] for t in layout})
            return
        requests = self._tab_requests(layout)
        if requests:
            def replan() -> list[Request]:
                self._grid = None  # the lost batch may have added some tabs
                return self._tab_requests(layout)

            reply = self._batch_update(requests, replan)
            grid = self._load_grid()
            for answer in reply.get("replies", []):  # none when a lost answer's batch had landed
                props = answer["addSheet"]["properties"]
                grid_props = props.get("gridProperties", {})
                grid[props["title"]] = {"sheetId": props["sheetId"],
                                        "rows": grid_props.get("rowCount", GROW_ROWS),
                                        "columns": grid_props.get("columnCount", 26)}
                if self._depth:
                    self._seen[props["title"]] = []  # a tab made just now is empty
                    self._absent.discard(props["title"])
                    self._headers[props["title"]] = []  # its header: saved with the next save
        made = {tab for tab in layout if self._depth and tab in self._seen and tab not in self._absent}
        tabs = [tab for tab in layout if tab not in made]
        rows = self._batch_get([f"{quote(tab)}!1:1" for tab in tabs]) if tabs else []
        for tab in tabs:  # the snapshot of a tab widened here is read again when needed
            self._seen.pop(tab, None)
            self._absent.discard(tab)
        current = {tab: found[0] if found else [] for tab, found in zip(tabs, rows, strict=True)}
        self._add_headers(layout, {**current, **{tab: self._seen[tab][0] if self._seen[tab] else []
                                                 for tab in made}})

    def _add_headers(self, layout: Mapping[str, Sequence[str]],
                     current: Mapping[str, Sequence[Any]]) -> None:
        """Write the headers of ``layout`` missing from each tab's ``current`` row 1 (one call).

        A tab made in this batch block whose header is not saved yet gets it gathered instead
        (:attr:`_headers`, written by the next save point).
        """
        data: list[dict[str, Any]] = []
        for tab, headers in layout.items():
            present = [str(h) for h in current[tab]]
            new = [h for h in headers if h not in present]
            if new and tab in self._headers and tab in self._seen:
                self._headers[tab] = [*present, *new]  # a new tab is wide enough: no grow
                self._seen[tab] = [[*present, *new], *self._seen[tab][1:]]
            elif new:
                self._grow(tab, columns=len(present) + len(new))
                data.append({"range": f"{quote(tab)}!{column_letter(len(present))}1",
                             "values": [new]})
                if tab in self._seen:
                    self._seen[tab] = [[*present, *new], *self._seen[tab][1:]]
        self._write(data)

    def _tab_requests(self, layout: Mapping[str, Sequence[str]]) -> list[Request]:
        """``addSheet`` requests for the tabs of ``layout`` the spreadsheet lacks."""
        grid = self._load_grid()
        return [{"addSheet": {"properties": {
            "title": tab,
            "gridProperties": {"rowCount": GROW_ROWS,
                               "columnCount": max(26, len(layout[tab]) + 10),
                               "frozenRowCount": 1},
        }}} for tab in layout if tab not in grid]

    # -- writes --------------------------------------------------------------------------------

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Update rows found by ``key_column`` cell by cell; append unknown keys as new rows.

        The cells are gathered until the next save point (see the module docstring); outside a
        batch block that is now: read, write, append, read back. Known rows get only the given
        cells; new rows go in one ``values.append`` (``INSERT_ROWS``: after the table, never over
        data), never repeated blind. The counts are the snapshot's: keys it holds are updated.
        """
        if not rows:
            return UpsertResult(0, 0)
        with nullcontext() if self._depth else self.batch():  # outside a block: saved now
            if tab not in self._seen:
                self._load([tab])
            known = TabRead(self._seen[tab], key_column).where
            gathered = self._pending.get(tab)
            if gathered is not None and gathered.key_column != key_column:
                self.flush()
                gathered = None
            if gathered is None:
                gathered = self._pending[tab] = _Gathered(key_column)
            updated = 0
            for row in rows:
                key = str(row[key_column])
                updated += key in known
                # Never the key cell of a known row: if the coordinator moved rows since the
                # read, rewriting it would give another applicant's row this id.
                gathered.cells.setdefault(key, {}).update(
                    {name: cell(value) for name, value in row.items() if name != key_column})
            fresh = {str(row[key_column]) for row in rows} - known.keys()
            if tab in self.save_at_once:
                # Saved now, with everything gathered before it (the run's last writes ride
                # with the lease's release); outside a block the block just opened saves it.
                self.flush()
        return UpsertResult(updated, len(fresh))

    def flush_new(self, tab: str) -> None:
        """Save now the rows gathered for ``tab`` whose keys the tab does not have; keep the rest.

        One ``values.append`` takes them all, and needs no read-back (it adds after the table,
        never over a row). A letter's ``sending`` record is such a row, and must be in the sheet
        before its draft is made; the other letters' sent records, written by row number, wait
        for the run's next save.
        """
        gathered = self._pending.get(tab)
        if gathered is None:
            return
        if tab not in self._seen:
            # Which keys are new is unknown (the tab must be read again): save all of it.
            self.flush(only=[tab], verify=True)
            return
        seen_none = self._none_new.get(tab)
        if seen_none is not None and seen_none[0] is gathered and seen_none[1] == len(gathered.cells):
            return  # the same gathering, no key added since the last look found none new
        known = TabRead(self._seen[tab], gathered.key_column).where
        now = {key: cells for key, cells in gathered.cells.items() if key not in known}
        if not now:
            self._none_new[tab] = (gathered, len(gathered.cells))
            return
        later = {key: cells for key, cells in gathered.cells.items() if key not in now}
        self._pending[tab] = _Gathered(gathered.key_column, now)
        self.flush(only=[tab])
        if later:
            self._pending[tab] = _Gathered(gathered.key_column, later)

    def flush(self, *, verify: bool = False, only: Iterable[str] | None = None) -> None:
        """Save the writes gathered so far (a save point); nothing to do when there are none.

        One ``values.batchUpdate`` for every tab, then one call for every tab's new keys
        (:meth:`_append_tabs`). Cells written by row number are read back (one ``values.batchGet`` for every
        such tab since the last check) with ``verify``, at the end of the outermost block, and
        whenever a ``save_at_once`` tab is written; then any tab that moved is repaired.
        ``only``: save the writes of these tabs now, and keep gathering the others.
        """
        wanted = None if only is None else set(only)
        if wanted is None:
            pending, self._pending = self._pending, {}
        else:
            pending = {tab: found for tab, found in self._pending.items() if tab in wanted}
            self._pending = {tab: found for tab, found in self._pending.items() if tab not in wanted}
        headers = {tab: row for tab, row in self._headers.items()
                   if row and (wanted is None or tab in wanted)}
        for tab in headers:
            del self._headers[tab]
        try:
            confirm = self._save(pending, headers) if pending or headers else set()
            if (verify or confirm) and (self._unverified or confirm):
                self._verify(sorted(set(self._unverified) | confirm))
        except BaseException:
            for tab in {*pending, *self._unverified, *headers}:  # unknown: read it again
                self._seen.pop(tab, None)
            self._unverified.clear()
            raise

    def _save(self, pending: Mapping[str, _Gathered],
              headers: Mapping[str, list[str]] | None = None) -> set[str]:
        """Write ``pending``; the snapshot then shows it. Returns the ``save_at_once`` tabs written.

        ``headers``: the header rows of tabs made in the block, written first in the same call.
        """
        missing = [tab for tab in pending if tab not in self._seen]
        if missing:
            self._load(missing)
        data: list[dict[str, Any]] = [{"range": f"{quote(tab)}!A1", "values": [row]}
                                      for tab, row in (headers or {}).items()]
        plans: list[_Plan] = []
        for tab, gathered in pending.items():
            plan = self._plan(tab, gathered)
            header = _header(plan.before, gathered)
            if len(header) > len(plan.before.header):
                self._grow(tab, columns=len(header))
                data.append({"range": f"{quote(tab)}!{column_letter(len(plan.before.header))}1",
                             "values": [header[len(plan.before.header):]]})
            data += ranges(tab, {name: i for i, name in enumerate(header)}, plan.stamps)
            plans.append(plan)
        self._write(data)
        # Every tab's new rows in one call (one values.append when only one tab has any).
        self._append_tabs({plan.tab: (plan.gathered.key_column, plan.fresh)
                           for plan in plans if plan.fresh})
        for plan in plans:
            if plan.stamps:
                check = self._unverified.get(plan.tab)
                if check is not None and check.key_column != plan.gathered.key_column:
                    self._verify([plan.tab])  # another key: check the first writes on their own
                self._unverified.setdefault(plan.tab, _Check(plan.gathered.key_column)).add(plan)
            # Appended rows need no check (``values.append`` adds after the table, never over
            # data): the snapshot shows them at its end, as it shows the cells written.
            self._seen[plan.tab] = _patched(plan)
        return {plan.tab for plan in plans if plan.tab in self.save_at_once}

    def _plan(self, tab: str, gathered: _Gathered) -> _Plan:
        """Where ``gathered``'s cells go in the snapshot's ``tab``: by row, or appended."""
        before = TabRead(self._seen[tab], gathered.key_column)
        header = _header(before, gathered)
        position = {name: i for i, name in enumerate(header)}
        stamps: Stamps = {(before.where[key], name): (value, key)
                          for key, cells in gathered.cells.items() if key in before.where
                          for name, value in cells.items()}
        fresh = {key: line(header, position, gathered.key_column, key, cells)
                 for key, cells in gathered.cells.items() if key not in before.where}
        return _Plan(tab, gathered, before, stamps, fresh)

    def _belief(self, tab: str) -> Values:
        """The snapshot's ``tab`` with the writes gathered since laid in (as they will land)."""
        gathered = self._pending.get(tab)
        return self._seen[tab] if gathered is None else _patched(self._plan(tab, gathered))

    def _verify(self, tabs: Sequence[str]) -> None:
        """Read ``tabs`` back in one call; repair cells a sort put on other rows (see module)."""
        back = self._read_values(tabs)
        for tab in tabs:
            values: Values | None = back[tab] or []
            check = self._unverified.pop(tab, None)
            if check is not None and check.stamps:
                values = self._settle(tab, check, values or [])
            if values is None:
                self._seen.pop(tab, None)
            else:
                self._seen[tab] = values

    def _settle(self, tab: str, check: _Check, first: Values,
                blank: Sequence[str] = ()) -> Values | None:
        """Check ``tab``'s read-back ``first`` against ``check`` (see :func:`.sheet_repair.settle`).

        ``blank``: columns that must be blank on rows without a key (``clear_unkeyed``'s).
        """
        key_column = check.key_column
        return settle(tab, key_column, check.intended, check.saw, check.stamps, first=first,
                      read=lambda: self._read_tab(tab), write=self._write,
                      append=lambda lines: self._append(tab, key_column, lines), blank=blank)

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Blank ``columns`` on id-less rows (no call when there is none, else write, read back).

        Works on the snapshot's tab (or a fresh read). After a write the tab is read back: a
        sort since the read would have blanked cells of rows that have a key, and those are
        restored (see the module docstring).
        """
        values = self._seen[tab] if self._depth and tab in self._seen else None
        if values is None:
            values = self._read_tab(tab)
        elif tab in self._pending or tab in self._unverified:
            self.flush(verify=True)  # clear what the sheet holds, not what we think it holds
            return self.clear_unkeyed(tab, key_column, columns)
        before = TabRead(values, key_column)
        data, rows = blank_tool_cells(before.values, tab, key_column, columns)
        if data:
            names = [c for c in columns if c in before.position]
            check = _Check(key_column)
            for number in range(2, len(before.values) + 1):
                if before.key_at(number) is None:
                    check.stamps.update({(number, name): ("", None) for name in names
                                         if before.get(number, name) not in ("", None)})
            check.saw = {key: before.row_of(key, names) for key in before.where}
            self._write(data)
            settled = self._settle(tab, check, self._read_tab(tab), blank=names)
            if self._depth and settled is not None:
                self._seen[tab] = settled
            else:
                self._seen.pop(tab, None)
        return rows

    # -- rules and charts ----------------------------------------------------------------------

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
        self.flush()
        requests = self._rule_requests(rules)
        if requests:
            self._batch_update(requests, lambda: self._rule_requests(rules))

    def _chart_requests(self, tab: str, charts: Sequence[ChartSpec], *,
                        fresh: bool = False) -> list[Request]:
        """The chart requests still needed, from the tab's charts and cells.

        Inside a batch block with the tab in the snapshot and its charts listed with the grid,
        no call: the snapshot holds the cells, with the writes gathered for the tab laid in
        (the charts name rows, which the next save fills). Otherwise (and with ``fresh``) one
        ``spreadsheets.get``, after saving what is gathered.
        """
        if not fresh and self._depth and tab in self._seen and tab not in self._absent \
                and self._grid is not None and tab in self._grid \
                and self._charts is not None and tab in self._charts:
            return chart_requests(tab, charts, {"sheets": [{
                "properties": {"sheetId": self._grid[tab]["sheetId"], "title": tab},
                "charts": self._charts[tab],
                "data": [{"rowData": [{"values": [{"formattedValue": "" if v is None else str(v)}
                                                  for v in row]} for row in self._belief(tab)]}],
            }]})
        self.flush()  # read from the sheet: it must hold what was gathered
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
            self._charts = None  # the tab's charts change: list them anew when next needed
            self._batch_update(requests, lambda: self._chart_requests(tab, charts, fresh=True))


def _header(before: TabRead, gathered: _Gathered) -> list[str]:
    """The tab's header row once ``gathered`` is written: new columns at the end of row 1."""
    header = list(before.header)
    for cells in gathered.cells.values():
        header += [name for name in cells if name not in header]
    if gathered.key_column not in header:
        header.insert(0, gathered.key_column)
    return header


def _patched(plan: _Plan) -> Values:
    """The snapshot of ``plan``'s tab as it stands once the plan is written."""
    header = _header(plan.before, plan.gathered)
    position = {name: i for i, name in enumerate(header)}
    values = [list(header), *(list(row) for row in plan.before.values[1:])]
    for (number, name), (value, _key) in plan.stamps.items():
        row = values[number - 1]
        row.extend([""] * (position[name] + 1 - len(row)))
        row[position[name]] = value
    return [*values, *plan.fresh.values()]

