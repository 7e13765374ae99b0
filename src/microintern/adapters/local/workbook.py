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
  it does not rewrite the workbook: see :class:`.workbook_sidecar.Sidecar`.)
- everything gathered so far, before any draft is made: the local mailer is wrapped in
  :class:`~microintern.adapters.saves_before_drafting.SavesBeforeDrafting`, which saves the
  workbook before each draft. The mail engine's exactly-once protocol
  (:mod:`microintern.domain.outbox`) needs each new letter's ``sending`` row in the Outbox *on
  disk* before its draft exists: the engine records a batch's new letters at once, so the first
  draft saves them all, and later drafts save only the sent records the engine handed over
  since (every 25 letters). A kill -9 at any moment loses only writes made since the last
  save: records of letters already sent are rebuilt on the rerun from ``sent/`` (``sent (found
  in Sent)``), never sent twice, and no draft exists whose letter is not on record on disk;
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
saved them: the XML of the others is reused (:class:`._xlsx_write._CachingWriter`). A changed
tab's cells are written by string building, byte for byte as openpyxl writes them
(:mod:`._xlsx_rows`), and a part whose bytes did not change is not compressed again: it is
copied as the last save, or the file itself, stored it (:mod:`._xlsx_zip`).

**Layout.** This module holds the batches, the loading and the saving; the writes themselves
are in :mod:`.workbook_edits`, cells, headers and values in :mod:`.workbook_cells`, the tabs
kept beside the workbook and the save-before-send mailer in :mod:`.workbook_sidecar`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from microintern.adapters.local import workbook_edits as edits
from microintern.adapters.local._files import atomic_write
from microintern.adapters.local._xlsx_read import header_rows, read_rows
from microintern.adapters.local.workbook_cells import (
    EXCEL_CELL_LIMIT,
    TRUNCATION_MARKER,
    clean_header,
    grid_records,
    header_positions,
    key_text,
    new_book,
    read_value,
    sanitize_text,
)
from microintern.adapters.local.workbook_sidecar import Sidecar, sidecar_path
from microintern.domain.program_sheet import RUN_LEASE
from microintern.domain.records import ChartSpec, Record
from microintern.errors import BackendError, RowError
from microintern.ports import UpsertResult

if TYPE_CHECKING:  # openpyxl is imported by the first write, never by a run that only reads
    from openpyxl import Workbook

    from microintern.domain.sheet_rules import SheetRules  # only init applies rules

log = logging.getLogger(__name__)

# Names other modules and tests import from here: the workbook module stays their address.
__all__ = ["EXCEL_CELL_LIMIT", "SAVE_ROUNDS", "TRUNCATION_MARKER", "LocalWorkbook",
           "sanitize_text"]

Signature = tuple[int, int, int, int]
"""What identifies one version of the file: inode, size, modification and change time (ns)."""

SAVE_ROUNDS = 4  # loads and saves of one write when someone else keeps replacing the file



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
        # Tabs kept in a small file of their own beside the workbook (see workbook_sidecar.Sidecar). The run
        # lease by default: every LocalWorkbook opened on the file must see the same lease.
        self.sidecars = {tab: Sidecar(sidecar_path(self.path, tab)) for tab in sidecar_tabs}
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
            book = new_book()
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
        self._write(lambda book: edits.ensure_tabs(book, layout, self.path, self._signature is None),
                    layout)

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
            present = header_positions(rows[tab])
            if any(clean_header(header) not in present for header in headers):
                return False
        return True

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
        columns = header_positions(
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
                    record[name] = read_value(self._formula_value(tab, row, index))
                else:
                    record[name] = read_value(cell.value)
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
                result[tab] = grid_records(grid)
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
                columns = header_positions(header_row)
                records = result[tab]
                for values in rows:
                    record = {
                        name: read_value(values[index] if index < len(values) else None)
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
            if key_text(row.get(key_column)) is None:  # refused before anything is changed
                raise RowError(
                    f"{self.path.name} [{tab}]", f"#{position} of the upsert", key_column,
                    "the key column is empty",
                )
        if tab in self.sidecars:
            return self.sidecars[tab].upsert(key_column, rows)
        rows = [dict(row) for row in rows]  # kept to be redone: the caller may reuse its dicts
        result: UpsertResult = self._write(
            lambda book: edits.upsert_rows(book, self.path, tab, key_column, rows), {tab})
        return result

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Blank ``columns`` on rows whose key cell is empty; return how many rows."""
        if tab in self.sidecars:
            return 0  # a sidecar holds keyed rows only
        cleared: int = self._write(
            lambda book: edits.clear_unkeyed(book, tab, key_column, columns), {tab})
        return cleared

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
        self._write(lambda book: edits.apply_rules(book, rules), None)

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Column charts on ``tab`` (openpyxl), found again by title; idempotent.

        A chart with a spec's title is replaced where it stands, a missing one is added to the
        right of the data; other charts stay. The file is rewritten atomically, once, and only
        when a chart was drawn; other tabs' cached rows stay valid (see :mod:`.workbook_charts`).
        """
        if not charts or (not self.path.exists() and not self._pending):
            return
        self._write(lambda book: edits.ensure_charts(book, self.path, tab, charts,
                                                   self._saved_chart_xml), {tab})

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

def _write_xlsx(book: Workbook, handle: BinaryIO, sheets: dict[str, Any], parts: dict[str, Any],
                saved: Any) -> Any:
    """Serialise ``book`` into ``handle``, reusing the caches (imports openpyxl's writer now).

    ``saved`` is what the previous save returned (None at first); returns it for the next.
    """
    from microintern.adapters.local._xlsx_write import SaveCache, write_xlsx

    cache = SaveCache() if saved is None else saved  # charts, notes, styles, drawings: kept
    cache.sheets, cache.parts = sheets, parts  # these two the workbook resets on a reload
    write_xlsx(book, handle, cache)
    return cache


