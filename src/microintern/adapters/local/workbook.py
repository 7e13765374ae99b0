"""The program spreadsheet as one local .xlsx file (the :class:`~microintern.ports.Roster` port).

The coordinator may open, sort and edit this workbook between runs, exactly like the Google
sheet, so the same rules hold: rows are found by their key column at write time, only the cells a
step names are written, and text from applicants is stored as text (``=IMPORTXML(...)`` stays a
string, never a formula).

Every save replaces the file atomically (0600), so a run killed mid-save leaves the previous
workbook intact.

**Batches.** Saving rewrites the whole .xlsx, so a step that writes twenty times must not save
twenty times. Inside ``with workbook.batch():`` writes change the workbook in memory (later reads
of the run see them) and are saved together when the block ends, also when it ends with an
error (what a step wrote before failing is kept, as on Sheets). Blocks nest; each block's end
is a save point. Outside a block every write is saved at once. Three kinds of write are saved
at once even inside a block (:meth:`LocalWorkbook.flush`):

- tabs named in ``save_at_once``. (The run lease, which another machine must see taken,
  renewed or released when it happens, is not even in the workbook: the bootstrap names it in
  ``sidecar_tabs``, kept in ``program.run-lease.json`` beside it, so that taking and releasing
  it does not rewrite the workbook: see :class:`_Sidecar`.)
- everything gathered so far, before any letter leaves: the local mailer is wrapped in
  :class:`SavesBeforeSending`, which saves the workbook before each send. The mail engine's
  exactly-once protocol (:mod:`microintern.domain.outbox`) needs a draft's ``drafted`` row in
  the Outbox *on disk* before that draft is sent: the engine records each chunk of 25 drafts
  and then sends them, so the first send of a chunk saves the chunk's record (one save per
  chunk; later sends of the chunk find nothing new to save). A kill -9 at any moment loses
  only writes made since the last save: records of letters already sent are rebuilt on the
  rerun from ``sent/`` (``sent (found in Sent)``), never sent twice, and no send happens whose
  draft is not recorded on disk;
- nothing else: a crash loses at most the current step's unsaved writes, which the rerun
  redoes (every step is safe to rerun).

Someone else's save is never thrown away: a person editing the file in Excel, or another
process, may replace it between our load and our save. The new file is written to a temporary
file first; just before it replaces the workbook, the workbook's signature (inode, size,
modification and change times) is compared with the one we loaded. If it changed, nothing is
replaced: the file is loaded again and every write not yet saved is redone on it, in order
(rows are found by key at write time, so a sort, an inserted or a deleted row is taken into
account), up to :data:`SAVE_ROUNDS` times, then a clear error. The window left is the rename
itself, after the check (microseconds), and an editor that keeps the file's inode, size and
times unchanged.

**Speed.** Reads parse the sheet XML with the standard library (:mod:`._xlsx_read`, openpyxl
for what it does not reproduce exactly); a run that only reads never imports openpyxl. A write
loads the workbook once per version, parsing only the tabs the writes touch: the others keep
their file XML, written back unchanged (:func:`._xlsx_write.load_partial`), and are parsed
when a later write needs them. A save rewrites only the tabs changed since this process last
saved them: the XML of the others is reused (:class:`._xlsx_write._CachingWriter`).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from microintern.adapters.local._files import atomic_write, atomic_write_bytes
from microintern.adapters.local._xlsx_read import header_rows, read_rows
from microintern.domain.program_sheet import RUN_LEASE
from microintern.domain.records import Cell, ChartSpec, OutgoingMessage, Record
from microintern.domain.sheet_rules import SheetRules
from microintern.errors import BackendError, RowError
from microintern.ports import UpsertResult

if TYPE_CHECKING:  # openpyxl is imported by the first write, never by a run that only reads
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

log = logging.getLogger(__name__)

Signature = tuple[int, int, int, int]
"""What identifies one version of the file: inode, size, modification and change time (ns)."""

SAVE_ROUNDS = 4  # loads and saves of one write when someone else keeps replacing the file

EXCEL_CELL_LIMIT = 32_767
TRUNCATION_MARKER = " …[truncated by microintern]"

# Beyond openpyxl's ILLEGAL_CHARACTERS_RE (C0 controls), XML 1.0 also forbids U+FFFE/U+FFFF;
# openpyxl's pure-Python writer would emit them and produce a file nobody can open again.
_XML_NONCHARACTERS = re.compile("[\ufffe\uffff]")
# openpyxl's ILLEGAL_CHARACTERS_RE (C0 controls but tab, LF and CR), copied so that sanitising
# text does not import openpyxl.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


class _Replaced(Exception):
    """The file changed on disk after we loaded it: saving now would throw that change away."""


_Op = Callable[["Workbook"], tuple[Any, "frozenset[str] | None", bool]]
"""One write: applied to a workbook, it returns its result, the tabs it touched (None: any may
have) and whether it changed anything. Kept until saved, to be redone on another version."""


class LocalWorkbook:
    """A :class:`~microintern.ports.Roster` over one .xlsx file (openpyxl).

    Row 1 of each tab holds the headers (bold, frozen when the tool creates the tab). Values are
    read unformatted: numbers stay numbers, empty cells are None, dates come back as ISO 8601
    text, formula cells the coordinator typed come back as their last computed value.

    ``save_at_once`` names tabs whose writes are saved at once even inside a batch (the run
    lease's tab: see the module docstring).
    """

    def __init__(self, path: Path, *, save_at_once: Iterable[str] = (),
                 sidecar_tabs: Iterable[str] = (RUN_LEASE,)) -> None:
        self.path = Path(path)
        self.save_at_once = frozenset(save_at_once)
        # Tabs kept in a small file of their own beside the workbook (see _Sidecar). The run
        # lease by default: every LocalWorkbook opened on the file must see the same lease.
        self.sidecars = {tab: _Sidecar(_sidecar_path(self.path, tab)) for tab in sidecar_tabs}
        # The workbook as last loaded, with the file's signature at that moment (or after our
        # last save of it): reused while the file is unchanged, reloaded as soon as anyone (the
        # coordinator in Excel, another process) has replaced it.
        self._book: Workbook | None = None
        self._signature: Signature | None = None
        self._generation = 0  # counts loads, so cached reads know which workbook they came from
        # Writes applied to ``_book`` and not saved yet, in order (redone on a reloaded book).
        self._pending: list[_Op] = []
        self._depth = 0  # open batch() blocks
        # Tabs as read_tabs last built them, valid for the workbook or file version in _source.
        self._records: dict[str, list[Record]] = {}
        self._source: tuple[str, object] | None = None
        # The file's last computed values of formula cells, parsed only when one is met.
        self._formulas: dict[str, list[tuple[Any, ...]]] | None = None
        self._xml: dict[str, Any] = {}  # _xlsx_write.SheetXml
        # What later saves reuse whatever the version: parts' compressed bytes and notes (by
        # content), charts' XML (by chart object); see _xlsx_write.SaveCache.
        self._parts: dict[str, Any] = {}
        self._saved: Any = None  # _xlsx_write.SaveCache's charts and notes, after a save
        # Tabs of _book whose cells were not parsed (their file XML is in _xml, saved as is),
        # and the tabs the pending writes touch (None: any).
        self._unbound: frozenset[str] = frozenset()
        self._pending_tabs: set[str] | None = set()  # serialised tabs, valid for this _book only

    def _stat(self) -> Signature | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        # The inode tells an atomic replace (Excel, another run, us) even within the clock's
        # granularity, where two saves can share a modification time and a size.
        return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    def _before_replace(self) -> None:
        """Called after the new file is written and before the change check (a test seam)."""

    def _editable(self, need: frozenset[str] | None = None) -> Workbook:
        """The workbook for writing tabs ``need`` (None: any): the loaded one while the file is unchanged.

        When the file changed on disk (or a write failed half way), it is loaded again and the
        writes not yet saved are redone on it, in order: their rows are found by key again.
        Only the tabs the writes name are parsed; the others keep their XML (see
        :func:`._xlsx_write.load_partial`); a write to one of those loads the whole workbook.
        """
        signature = self._stat()
        if self._book is not None and signature == self._signature:
            wanted = self._unbound if need is None else need & self._unbound
            if wanted:
                # Parse the tabs this write needs from the XML kept for them (the file is
                # unchanged since): cheaper than loading everything again.
                from microintern.adapters.local._xlsx_write import bind_tab

                for title in sorted(wanted):
                    bind_tab(self._book, title, self._xml.pop(title))
                self._unbound = self._unbound - wanted
            return self._book
        if self._book is not None and self._pending and signature != self._signature:
            log.warning("%s was saved by someone else while microintern had writes to save; "
                        "they are redone on their version", self.path.name)
        bind = None if need is None or self._pending_tabs is None else need | self._pending_tabs
        cached: dict[str, Any] = {}
        if signature is None:
            book = _new_book()
        elif bind is None:
            book = self._load()
        else:
            book, cached = self._load_partial(bind)
        self._book, self._signature = book, signature
        self._generation += 1
        self._records, self._source, self._formulas, self._xml = {}, None, None, cached
        self._unbound = frozenset(cached)
        for op in self._pending:
            op(book)
        return book

    # -- batches -------------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Gather the block's writes in memory and save them once, when it ends (see module)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            self.flush()

    def flush(self) -> None:
        """Save every write gathered so far (nothing to do when there is none).

        If someone else saved the file meanwhile, their version is loaded and the writes are
        redone on it, up to :data:`SAVE_ROUNDS` times; then a clear error, nothing of theirs
        overwritten and the gathered writes dropped.
        """
        if not self._pending:
            return
        try:
            for _ in range(SAVE_ROUNDS):
                book = self._editable(frozenset())
                try:
                    self._save(book)
                except _Replaced:
                    log.warning("%s was saved by someone else while microintern wrote to it; "
                                "writing again on their version", self.path.name)
                    self._book = None  # load their version and redo the writes on it
                    continue
                self._pending.clear()
                self._pending_tabs = set()
                return
        except BaseException:
            self._drop()
            raise
        self._drop()
        raise BackendError(
            f"{self.path} kept changing while microintern wrote to it ({SAVE_ROUNDS} saves by "
            "someone else in a row: is it open in Excel with autosave, or is another program "
            "writing it?). Nothing of theirs was overwritten; close it and run the command again")

    def _drop(self) -> None:
        """Forget unsaved writes and the workbook holding them (the file is the truth again)."""
        self._pending.clear()
        self._pending_tabs, self._unbound = set(), frozenset()
        self._book = self._signature = None
        self._records, self._source, self._formulas, self._xml = {}, None, None, {}

    def _write(self, op: _Op, need: Iterable[str] | None) -> Any:
        """Apply ``op`` (which touches tabs ``need``, None: any) to the workbook; save now, or
        at the end of the batch gathering it."""
        need = None if need is None else frozenset(need)
        try:
            result, tabs, changed = op(self._editable(need))
        except BaseException:
            # Half-applied edits must not be saved: reload, and redo only the complete writes.
            self._book = None
            raise
        if not changed:
            return result
        self._pending.append(op)
        if self._pending_tabs is not None:
            self._pending_tabs = None if need is None else self._pending_tabs | need
        if tabs is None:
            self._records, self._xml = {}, {}
        else:
            for tab in tabs:
                self._records.pop(tab, None)
                self._xml.pop(tab, None)
        if self._depth == 0 or tabs is None or tabs & self.save_at_once:
            self.flush()
        return result

    # -- Roster --------------------------------------------------------------------------------

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Create missing tabs and append missing headers at the end of row 1.

        Existing headers, their order and all data stay as they are; the file is only rewritten
        when something was added.
        """
        kept = {tab: headers for tab, headers in layout.items() if tab not in self.sidecars}
        # A workbook needs one tab to exist: a first run before `init` still creates the file
        # (as it did when the lease lived in it), with the sidecar tab's headers only.
        layout = kept if kept or self._pending or self.path.exists() else layout
        if not layout or self._has_tabs(layout):
            return
        self._write(lambda book: self._ensure_tabs(book, layout), layout)

    def _has_tabs(self, layout: Mapping[str, Sequence[str]]) -> bool:
        """Whether the file on disk has every tab and header of ``layout``, read cheaply.

        Every run checks its tabs first; loading the whole workbook for an editable copy only
        to find nothing missing cost an idle run most of its time. With writes gathered or the
        workbook loaded already, the loaded copy answers instead (False: let it check).
        """
        if self._pending or self._book is not None or self._stat() is None:
            return False
        try:
            rows = header_rows(self.path, list(layout))
        except FileNotFoundError:
            return False
        except Exception:  # noqa: BLE001 - Unsupported or damaged: the full load decides
            return False
        for tab, headers in layout.items():
            if tab not in rows:
                return False
            present = _header_positions(rows[tab])
            if any(_clean_header(header) not in present for header in headers):
                return False
        return True

    def _ensure_tabs(self, book: Workbook, layout: Mapping[str, Sequence[str]]
                     ) -> tuple[None, frozenset[str], bool]:
        changed = self._signature is None  # a new file is written even with nothing in it
        touched: set[str] = set()
        for tab, headers in layout.items():
            is_new = tab not in book.sheetnames
            sheet = self._sheet(book, tab)
            if is_new:
                sheet.freeze_panes = "A2"  # keep the headers in view while scrolling
                touched.add(tab)
            present = _headers(sheet)
            for header in headers:
                if _clean_header(header) not in present:
                    present[_clean_header(header)] = _append_header(sheet, present, header)
                    touched.add(tab)
        return None, frozenset(touched), changed or bool(touched)

    def read_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """Read whole tabs as records keyed by header; absent tabs (or file) read empty.

        Fully blank rows are skipped. Columns without a header are ignored. Writes gathered by
        a batch are seen.
        """
        result: dict[str, list[Record]] = {tab: [] for tab in tabs}
        if self.sidecars:
            for tab in tabs:
                if tab in self.sidecars:
                    result[tab] = self.sidecars[tab].read()
            tabs = [tab for tab in tabs if tab not in self.sidecars]
            if not tabs:
                return result
        signature = self._stat()
        book: Workbook | None = None
        if self._pending or (self._book is not None and signature == self._signature):
            book = self._editable(frozenset())
            source: tuple[str, object] = ("book", self._generation)
        elif signature is None:
            return result
        else:
            source = ("file", signature)
        if source != self._source:
            self._records, self._source = {}, source
        missing = [tab for tab in dict.fromkeys(tabs) if tab not in self._records]
        if missing:
            unparsed = [tab for tab in missing if book is None or tab in self._unbound]
            # A tab the loaded workbook left unparsed is as the file holds it (no write to it).
            parsed = self._parse_tabs(unparsed) if unparsed else {}
            if book is not None:
                parsed.update({tab: self._book_records(book, tab)
                               for tab in missing if tab not in self._unbound})
            self._records.update(parsed)
        for tab in tabs:
            result[tab] = [dict(record) for record in self._records[tab]]
        return result

    def _book_records(self, book: Workbook, tab: str) -> list[Record]:
        """``tab`` of the loaded workbook as records (formula cells read as their last value)."""
        if tab not in book.sheetnames:
            return []
        # Straight from the cell map: iter_rows would create an empty cell at every gap.
        by_row: dict[int, dict[int, Any]] = {}
        for (row, column), cell in book[tab]._cells.items():
            by_row.setdefault(row, {})[column] = cell
        header = by_row.pop(1, {})
        width = max(header, default=0)
        columns = _header_positions(
            header[c].value if c in header else None for c in range(1, width + 1))
        records: list[Record] = []
        for row in sorted(by_row):
            cells = by_row[row]
            record: Record = {}
            for name, index in columns.items():
                cell = cells.get(index + 1)
                if cell is None:
                    record[name] = None
                elif cell.data_type == "f":
                    record[name] = _read_value(self._formula_value(tab, row, index))
                else:
                    record[name] = _read_value(cell.value)
            if any(value is not None for value in record.values()):
                records.append(record)
        return records

    def _formula_value(self, tab: str, row: int, index: int) -> Any:
        """A formula cell's last computed value, as the file holds it (Sheets' UNFORMATTED_VALUE)."""
        if self._formulas is None:
            self._formulas = {}
            if self.path.exists():
                book = self._load(read_only=True, data_only=True)
                try:
                    self._formulas = {name: list(book[name].iter_rows(values_only=True))
                                      for name in book.sheetnames}
                finally:
                    book.close()
        grid = self._formulas.get(tab, [])
        values = grid[row - 1] if row - 1 < len(grid) else ()
        return values[index] if index < len(values) else None

    def _parse_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """Parse ``tabs`` from the file (absent tabs parse empty)."""
        result: dict[str, list[Record]] = {tab: [] for tab in tabs}
        try:
            # Several times faster than openpyxl and without importing it (see _xlsx_read);
            # whatever it cannot read exactly as openpyxl would, openpyxl reads below.
            grids = read_rows(self.path, tabs)
        except FileNotFoundError:
            raise
        except Exception:  # noqa: BLE001 - Unsupported, or a damaged file openpyxl will name
            grids = None
        if grids is not None:
            for tab, grid in grids.items():
                result[tab] = _grid_records(grid)
            return result
        # data_only: a formula the coordinator typed reads as its value, as Sheets'
        # UNFORMATTED_VALUE does. read_only streams rows instead of building every cell object.
        book = self._load(read_only=True, data_only=True)
        try:
            for tab in tabs:
                if tab not in book.sheetnames:
                    continue
                rows = book[tab].iter_rows(values_only=True)
                header_row = next(rows, ())
                columns = _header_positions(header_row)
                records = result[tab]
                for values in rows:
                    record = {
                        name: _read_value(values[index] if index < len(values) else None)
                        for name, index in columns.items()
                    }
                    if any(value is not None for value in record.values()):
                        records.append(record)
        finally:
            book.close()
        return result

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Write ``rows`` into ``tab`` by the value of ``key_column``.

        Existing rows are found by key (never by position), so a coordinator's sort between two
        runs does not misplace anything; only the columns each row dict names are written;
        unknown keys go below the last non-blank row; missing headers (and a missing tab) are
        added. If the key appears on several rows, the first one is updated.
        """
        if not rows:
            return UpsertResult(updated=0, appended=0)
        for position, row in enumerate(rows, start=1):
            if _key_text(row.get(key_column)) is None:  # refused before anything is changed
                raise RowError(
                    f"{self.path.name} [{tab}]", f"#{position} of the upsert", key_column,
                    "the key column is empty",
                )
        if tab in self.sidecars:
            return self.sidecars[tab].upsert(key_column, rows)
        rows = [dict(row) for row in rows]  # kept to be redone: the caller may reuse its dicts
        result: UpsertResult = self._write(
            lambda book: self._upsert(book, tab, key_column, rows), {tab})
        return result

    def _upsert(self, book: Workbook, tab: str, key_column: str, rows: Sequence[Record]
                ) -> tuple[UpsertResult, frozenset[str], bool]:
        is_new = tab not in book.sheetnames
        sheet = self._sheet(book, tab)
        if is_new:
            sheet.freeze_panes = "A2"
        headers = _headers(sheet)
        key_header = _clean_header(key_column)
        changed = is_new
        if key_header not in headers:
            headers[key_header] = _append_header(sheet, headers, key_column)
            changed = True
        key_index = headers[key_header]
        row_of_key, last_row = _index_rows(sheet, key_index)

        updated = appended = 0
        for row in rows:
            key = _key_text(row.get(key_column))
            assert key is not None  # checked by upsert
            target = row_of_key.get(key)
            if target is None:
                last_row += 1
                target = row_of_key[key] = last_row
                appended += 1
                changed = True
            else:
                updated += 1
            for column, value in row.items():
                header = _clean_header(column)
                if header not in headers:
                    headers[header] = _append_header(sheet, headers, column)
                    changed = True
                cell = sheet.cell(row=target, column=headers[header])
                before = cell.value
                _write_cell(cell, value, where=(tab, column, key))
                changed = changed or cell.value != before
        # The whole file is rewritten on every save: a write that changes no cell is not one.
        return UpsertResult(updated=updated, appended=appended), frozenset({tab}), changed

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Blank ``columns`` on rows whose key cell is empty; return how many rows."""
        if tab in self.sidecars:
            return 0  # a sidecar holds keyed rows only
        cleared: int = self._write(
            lambda book: self._clear_unkeyed(book, tab, key_column, columns), {tab})
        return cleared

    def _clear_unkeyed(self, book: Workbook, tab: str, key_column: str, columns: Sequence[str]
                       ) -> tuple[int, frozenset[str], bool]:
        if tab not in book.sheetnames:
            return 0, frozenset(), False
        sheet = book[tab]
        headers = _headers(sheet)
        key_index = headers.get(_clean_header(key_column))
        targets = [headers[h] for h in map(_clean_header, columns) if h in headers]
        if key_index is None or not targets:
            return 0, frozenset(), False
        cleared = 0
        for number in range(2, sheet.max_row + 1):
            if _key_text(sheet.cell(number, key_index).value) is not None:
                continue
            cells = [sheet.cell(number, col) for col in targets]
            if any(c.value not in (None, "") for c in cells):
                for c in cells:
                    c.value = None
                cleared += 1
        return cleared, frozenset({tab}), cleared > 0

    def apply_rules(self, rules: SheetRules) -> None:
        """Dropdowns, highlights, notes on tool-owned headers and frozen panes; idempotent.

        Columns are found by header in row 1 now (a column the coordinator moved is re-found on
        the next ``init``); our earlier validations, highlights and notes are recognised and
        replaced, never stacked. Excel has no warning-only protection, so a tool-owned column
        gets a comment on its header instead (see :mod:`.workbook_format`). The file is
        rewritten atomically, and only when something changed; tabs that do not exist yet
        are skipped.
        """
        if not self.path.exists() and not self._pending:
            return
        self._write(lambda book: self._apply_rules(book, rules), None)

    def _apply_rules(self, book: Workbook, rules: SheetRules) -> tuple[None, None, bool]:
        from microintern.adapters.local.workbook_format import (
            dropdowns,
            freeze,
            header_columns,
            header_notes,
            highlights,
        )

        changed = False
        for tab in rules.tabs:
            if tab.tab not in book.sheetnames:
                continue
            sheet = book[tab.tab]
            columns = header_columns(sheet)
            changed |= freeze(sheet, tab, columns)
            changed |= dropdowns(book, sheet, tab, columns)
            changed |= highlights(sheet, tab, columns)
            changed |= header_notes(sheet, tab, columns)
        return None, None, changed  # validations may live on any tab: all are re-serialised

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Column charts on ``tab`` (openpyxl), found again by title; idempotent.

        A chart with a spec's title is replaced where it stands, a missing one is added to the
        right of the data; other charts stay. The file is rewritten atomically, once, and only
        when a chart was drawn; other tabs' cached rows stay valid (see :mod:`.workbook_charts`).
        """
        if not charts or (not self.path.exists() and not self._pending):
            return
        self._write(lambda book: self._ensure_charts(book, tab, charts), {tab})

    def _ensure_charts(self, book: Workbook, tab: str, charts: Sequence[ChartSpec]
                       ) -> tuple[None, frozenset[str], bool]:
        if tab not in book.sheetnames:
            raise BackendError(f"{self.path}: no tab {tab!r} to draw charts on: run `microintern init`")
        sheet = book[tab]
        headers = _headers(sheet)
        keys = {spec.key_column for spec in charts}
        rows_of_key: dict[str, int] = {}
        for key_column in keys:
            if _clean_header(key_column) in headers:
                found, _last = _index_rows(sheet, headers[_clean_header(key_column)])
                rows_of_key.update({k: v for k, v in found.items() if k not in rows_of_key})
        from microintern.adapters.local.workbook_charts import draw_charts

        return None, frozenset({tab}), draw_charts(sheet, charts, headers, rows_of_key,
                                                   self._saved_chart_xml)

    def _saved_chart_xml(self, chart: Any) -> bytes | None:
        """``chart``'s XML as this process last saved it (None: not saved as this object)."""
        known = None if self._saved is None else self._saved.charts.get(id(chart))
        return known[1] if known is not None and known[0] is chart else None

    # -- file handling -------------------------------------------------------------------------

    def _load(self, *, read_only: bool = False, data_only: bool = False) -> Workbook:
        """Open the workbook, turning any parse failure into a clear BackendError."""
        from openpyxl import load_workbook

        try:
            return load_workbook(self.path, read_only=read_only, data_only=data_only)
        except FileNotFoundError:
            raise
        except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and ValueError errors
            raise BackendError(
                f"{self.path} is not a valid .xlsx workbook ({type(exc).__name__}: {exc}); "
                "restore it from a backup or move it away to start a new one"
            ) from exc

    def _load_partial(self, bind: frozenset[str]) -> tuple[Workbook, dict[str, Any]]:
        """The workbook with only ``bind`` tabs parsed, and the others' XML; all if it must."""
        from microintern.adapters.local._xlsx_write import load_partial

        try:
            loaded = load_partial(self.path, bind, self._parts)
        except FileNotFoundError:
            raise
        except Exception:  # noqa: BLE001 - the full load names what is wrong with the file
            loaded = None
        return (self._load(), {}) if loaded is None else loaded

    def _save(self, book: Workbook) -> None:
        """Replace the file atomically with a 0600 copy of ``book``, unless someone else has.

        Raises :class:`_Replaced` (nothing written) when the file is no longer the one ``book``
        was loaded from.
        """
        loaded = self._signature

        def write(handle: BinaryIO) -> None:
            self._saved = _write_xlsx(book, handle, self._xml, self._parts, self._saved)
            self._before_replace()
            # Checked after the slow part (serialising the workbook), just before the rename.
            if self._stat() != loaded:
                raise _Replaced
        try:
            atomic_write(self.path, write)
        except BaseException:
            self._book = None  # the file may not hold what the workbook holds: load it again
            raise
        self._signature = self._stat()

    def _sheet(self, book: Workbook, tab: str) -> Worksheet:
        """Return the tab named ``tab``, creating it when missing (Excel's title rules apply)."""
        if tab in book.sheetnames:
            return book[tab]
        try:
            return book.create_sheet(title=tab)
        except ValueError as exc:  # Excel forbids []:*?/\ and titles over 31 characters
            raise BackendError(f"{self.path}: cannot create tab {tab!r}: {exc}") from exc


def _sidecar_path(workbook: Path, tab: str) -> Path:
    """Where ``tab`` of ``workbook`` is kept: ``program.xlsx`` → ``program.run-lease.json``."""
    slug = re.sub(r"[^a-z0-9]+", "-", tab.lower()).strip("-") or "tab"
    return workbook.with_name(f"{workbook.stem}.{slug}.json")


class _Sidecar:
    """One tab kept as a small JSON file beside the workbook, for rows that must be saved at once.

    The run lease is taken, renewed and released by every run, and another machine must see
    each of these the moment it happens. Kept in the workbook, each would be a save of the
    whole .xlsx (seconds for 10,000 applications; half of the demo's saves). Beside it, in the
    same folder, it is as visible to every machine that opens the workbook (the folder is what
    a shared drive shares), and a write is a few hundred bytes, replaced atomically (0600).
    Rows are found by their key, as in the workbook; a write that changes nothing is not made.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[Record]:
        """The rows as stored (none when the file is absent)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise BackendError(f"{self.path} cannot be read ({type(exc).__name__}: {exc}); move it "
                               "away: it only says which run holds the program") from exc
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BackendError(f"{self.path} is not a microintern lease file; move it away")
        return [{str(k): _read_value(v) for k, v in row.items()} for row in rows
                if isinstance(row, dict)]

    def upsert(self, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Write ``rows`` by key (only the columns each names) and save at once, if anything changed."""
        stored = self.read()
        position = {_key_text(row.get(key_column)): index for index, row in enumerate(stored)}
        before = [dict(row) for row in stored]
        updated = appended = 0
        for row in rows:
            key = _key_text(row.get(key_column))
            clean = {str(k): _read_value(v) for k, v in row.items()}
            if key in position:
                stored[position[key]].update(clean)
                updated += 1
            else:
                position[key] = len(stored)
                stored.append(clean)
                appended += 1
        if stored != before:
            data = json.dumps({"rows": stored}, ensure_ascii=False, indent=1).encode("utf-8")
            atomic_write_bytes(self.path, data)
        return UpsertResult(updated=updated, appended=appended)


class SavesBeforeSending:
    """A :class:`~microintern.ports.Mailer` that saves the workbook before every send.

    The outbox protocol needs each draft's record on disk before the draft is sent; with writes
    gathered in batches, this wrapper is what guarantees it (see the module docstring). Saving
    when nothing is gathered costs nothing. Everything else is the wrapped mailer's.
    """

    def __init__(self, mailer: Any, workbook: LocalWorkbook) -> None:
        self.mailer = mailer
        self.workbook = workbook

    def create_draft(self, message: OutgoingMessage) -> str:
        """Store the draft (nothing leaves)."""
        draft_id: str = self.mailer.create_draft(message)
        return draft_id

    def send_draft(self, draft_id: str) -> str:
        """Save what the workbook gathered (the draft's record among it), then send."""
        self.workbook.flush()
        message_id: str = self.mailer.send_draft(draft_id)
        return message_id

    def find_sent(self, key: str) -> str | None:
        """The wrapped mailer's look-up."""
        found: str | None = self.mailer.find_sent(key)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.mailer, name)


def _write_xlsx(book: Workbook, handle: BinaryIO, sheets: dict[str, Any], parts: dict[str, Any],
                saved: Any) -> Any:
    """Serialise ``book`` into ``handle``, reusing the caches (imports openpyxl's writer now).

    ``saved`` is what the previous save returned (None at first); returns it for the next.
    """
    from microintern.adapters.local._xlsx_write import SaveCache, write_xlsx

    cache = SaveCache(sheets, parts)
    if saved is not None:
        cache.charts, cache.notes = saved.charts, saved.notes
    write_xlsx(book, handle, cache)
    return cache


def _grid_records(grid: Sequence[Sequence[Any]]) -> list[Record]:
    """Rows of values (row 1 the headers) as records; fully blank rows are skipped."""
    if not grid:
        return []
    columns = _header_positions(grid[0])
    records: list[Record] = []
    for values in grid[1:]:
        record = {name: _read_value(values[index] if index < len(values) else None)
                  for name, index in columns.items()}
        if any(value is not None for value in record.values()):
            records.append(record)
    return records


def _new_book() -> Workbook:
    """An empty workbook without openpyxl's default sheet."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    return book


def _clean_header(header: object) -> str:
    """Match headers as trimmed text: a stray space typed by hand must not fork a column."""
    return str(header).strip()


def _header_positions(header_row: Iterable[Any]) -> dict[str, int]:
    """Map each non-empty header to its 0-based column; the first of duplicates wins."""
    positions: dict[str, int] = {}
    for index, value in enumerate(header_row):
        if value is None or _clean_header(value) == "":
            continue
        positions.setdefault(_clean_header(value), index)
    return positions


def _headers(sheet: Worksheet) -> dict[str, int]:
    """Map each header of row 1 to its 1-based column index."""
    row = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    return {name: index + 1 for name, index in _header_positions(row).items()}


def _append_header(sheet: Worksheet, present: Mapping[str, int], header: str) -> int:
    """Write ``header`` after the last used header cell, bold; return its column."""
    from openpyxl.styles import Font

    column = max([*present.values(), _last_used_column(sheet)]) + 1
    cell = sheet.cell(row=1, column=column)
    _store(cell, _clean_header(header))
    cell.font = Font(bold=True)
    return column


def _last_used_column(sheet: Worksheet) -> int:
    """The rightmost column of row 1 holding anything (0 for an empty row)."""
    last = 0
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        if cell.value not in (None, ""):
            last = cell.column
    return last


def _index_rows(sheet: Worksheet, key_column: int) -> tuple[dict[str, int], int]:
    """Find each key's row (first occurrence) and the last row holding any value."""
    row_of_key: dict[str, int] = {}
    last_row = 1
    for cells in sheet.iter_rows(min_row=2):
        if any(cell.value not in (None, "") for cell in cells):
            last_row = cells[0].row
        if key_column <= len(cells):
            key = _key_text(cells[key_column - 1].value)
            if key is not None:
                row_of_key.setdefault(key, cells[0].row)
    return row_of_key, last_row


def _key_text(value: object) -> str | None:
    """A key as comparable text: the coordinator may retype ``123`` as a number or as text."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _read_value(value: object) -> Cell:
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


def _store(cell: Any, value: Cell) -> bool:
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


def _write_cell(cell: Any, value: Cell, *, where: tuple[str, str, str]) -> None:
    """Store one value, logging (without the content, which may be personal) a truncation."""
    if _store(cell, value):
        tab, header, key = where
        log.warning(
            "tab %s, key %s, column %s: text longer than Excel's %d-character cell limit "
            "was truncated",
            tab, key, header, EXCEL_CELL_LIMIT,
        )
