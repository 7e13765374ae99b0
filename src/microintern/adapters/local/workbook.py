"""The program spreadsheet as one local .xlsx file (the :class:`~microintern.ports.Roster` port).

The coordinator may open, sort and edit this workbook between runs, exactly like the Google
sheet, so the same rules hold: rows are found by their key column at write time, only the cells a
step names are written, and text from applicants is stored as text (``=IMPORTXML(...)`` stays a
string, never a formula).

Every call reads the file afresh and every write replaces it atomically (0600), so a run killed
mid-save leaves the previous workbook intact.

Someone else's save is never thrown away: a person editing the file in Excel, or another
process, may replace it between our load and our save. The new file is written to a temporary
file first; just before it replaces the workbook, the workbook's signature (inode, size,
modification and change times) is compared with the one we loaded. If it changed, nothing is
replaced: the file is loaded again and the write is redone on it (rows are found by key at
write time, so a sort, an inserted or a deleted row is taken into account), up to
:data:`SAVE_ROUNDS` times, then a clear error. The window left is the rename itself, after the
check (microseconds), and an editor that keeps the file's inode, size and times unchanged.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from microintern.adapters.local._files import atomic_write
from microintern.adapters.local.workbook_charts import draw_charts
from microintern.adapters.local.workbook_format import (
    dropdowns,
    freeze,
    header_columns,
    header_notes,
    highlights,
)
from microintern.domain.records import Cell, ChartSpec, Record
from microintern.domain.sheet_rules import SheetRules
from microintern.errors import BackendError, RowError
from microintern.ports import UpsertResult

log = logging.getLogger(__name__)

T = TypeVar("T")
Signature = tuple[int, int, int, int]
"""What identifies one version of the file: inode, size, modification and change time (ns)."""

SAVE_ROUNDS = 4  # loads and saves of one write when someone else keeps replacing the file

EXCEL_CELL_LIMIT = 32_767
TRUNCATION_MARKER = " …[truncated by microintern]"

# Beyond openpyxl's ILLEGAL_CHARACTERS_RE (C0 controls), XML 1.0 also forbids U+FFFE/U+FFFF;
# openpyxl's pure-Python writer would emit them and produce a file nobody can open again.
_XML_NONCHARACTERS = re.compile("[\ufffe\uffff]")


class _Replaced(Exception):
    """The file changed on disk after we loaded it: saving now would throw that change away."""


class LocalWorkbook:
    """A :class:`~microintern.ports.Roster` over one .xlsx file (openpyxl).

    Row 1 of each tab holds the headers (bold, frozen when the tool creates the tab). Values are
    read unformatted: numbers stay numbers, empty cells are None, dates come back as ISO 8601
    text, formula cells the coordinator typed come back as their last computed value.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # The last workbook this instance loaded or saved, with the file's (mtime, size) at
        # that moment: reused while the file is unchanged, reloaded as soon as anyone (the
        # coordinator in Excel, another process) has replaced it.
        self._book: Workbook | None = None
        self._signature: Signature | None = None
        # Tabs as read_tabs last parsed them, valid while the file keeps this signature: a run
        # reads the same tabs many times between writes, and parsing the file is the cost.
        self._read: dict[str, list[Record]] = {}
        self._read_signature: Signature | None = None

    def _stat(self) -> Signature | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        # The inode tells an atomic replace (Excel, another run, us) even within the clock's
        # granularity, where two saves can share a modification time and a size.
        return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    def _redo(self, write: Callable[[], T]) -> T:
        """Run ``write`` (load, change, save); again on the new file if someone replaced it."""
        for _ in range(SAVE_ROUNDS):
            try:
                return write()
            except _Replaced:
                log.warning("%s was saved by someone else while microintern wrote to it; "
                            "writing again on their version", self.path.name)
                self._book = self._signature = None
                self._read, self._read_signature = {}, None
        raise BackendError(
            f"{self.path} kept changing while microintern wrote to it ({SAVE_ROUNDS} saves by "
            "someone else in a row: is it open in Excel with autosave, or is another program "
            "writing it?). Nothing of theirs was overwritten; close it and run the command again")

    def _before_replace(self) -> None:
        """Called after the new file is written and before the change check (a test seam)."""

    def _editable(self) -> Workbook:
        """The workbook for writing: the cached one while the file is unchanged."""
        signature = self._stat()
        if signature is None:
            self._book, self._signature = _new_book(), None
        elif self._book is None or signature != self._signature:
            self._book, self._signature = self._load(), signature
        return self._book

    # -- Roster --------------------------------------------------------------------------------

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Create missing tabs and append missing headers at the end of row 1.

        Existing headers, their order and all data stay as they are; the file is only rewritten
        when something was added.
        """
        if not layout:
            return
        self._redo(lambda: self._ensure_tabs(layout))

    def _ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        changed = not self.path.exists()
        book = self._editable()
        for tab, headers in layout.items():
            is_new = tab not in book.sheetnames
            sheet = self._sheet(book, tab)
            if is_new:
                sheet.freeze_panes = "A2"  # keep the headers in view while scrolling
                changed = True
            present = _headers(sheet)
            for header in headers:
                if _clean_header(header) not in present:
                    present[_clean_header(header)] = _append_header(sheet, present, header)
                    changed = True
        if changed:
            self._save(book)

    def read_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """Read whole tabs as records keyed by header; absent tabs (or file) read empty.

        Fully blank rows are skipped. Columns without a header are ignored.
        """
        result: dict[str, list[Record]] = {tab: [] for tab in tabs}
        signature = self._stat()
        if signature is None:
            return result
        if signature != self._read_signature:
            self._read, self._read_signature = {}, signature
        missing = [tab for tab in dict.fromkeys(tabs) if tab not in self._read]
        if missing:
            self._read.update(self._parse_tabs(missing))
        for tab in tabs:
            result[tab] = [dict(record) for record in self._read[tab]]
        return result

    def _parse_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """Parse ``tabs`` from the file (absent tabs parse empty)."""
        result: dict[str, list[Record]] = {tab: [] for tab in tabs}
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
        try:
            return self._redo(lambda: self._upsert(tab, key_column, rows))
        except BaseException:
            # An error half way leaves edits in the cached book that were never saved.
            self._book = self._signature = None
            raise

    def _upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        book = self._editable()
        is_new = tab not in book.sheetnames
        sheet = self._sheet(book, tab)
        if is_new:
            sheet.freeze_panes = "A2"
        headers = _headers(sheet)
        key_header = _clean_header(key_column)
        if key_header not in headers:
            headers[key_header] = _append_header(sheet, headers, key_column)
        key_index = headers[key_header]
        row_of_key, last_row = _index_rows(sheet, key_index)

        updated = appended = 0
        changed = is_new
        for position, row in enumerate(rows, start=1):
            key = _key_text(row.get(key_column))
            if key is None:
                raise RowError(
                    f"{self.path.name} [{tab}]", f"#{position} of the upsert", key_column,
                    "the key column is empty",
                )
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
                before = sheet.cell(row=target, column=headers[header]).value
                _write_cell(sheet, target, headers[header], value, where=(tab, column, key))
                changed = changed or sheet.cell(row=target, column=headers[header]).value != before
        # The whole file is rewritten on every save (the demo's main cost): a write that changes
        # no cell leaves the file alone.
        if changed:
            self._save(book, changed=tab)
        return UpsertResult(updated=updated, appended=appended)

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Blank ``columns`` on rows whose key cell is empty; return how many rows."""
        return self._redo(lambda: self._clear_unkeyed(tab, key_column, columns))

    def _clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        book = self._editable()
        if tab not in book.sheetnames:
            return 0
        sheet = book[tab]
        headers = _headers(sheet)
        key_index = headers.get(_clean_header(key_column))
        targets = [headers[h] for h in map(_clean_header, columns) if h in headers]
        if key_index is None or not targets:
            return 0
        cleared = 0
        for number in range(2, sheet.max_row + 1):
            if _key_text(sheet.cell(number, key_index).value) is not None:
                continue
            cells = [sheet.cell(number, col) for col in targets]
            if any(c.value not in (None, "") for c in cells):
                for c in cells:
                    c.value = None
                cleared += 1
        if cleared:
            self._save(book, changed=tab)
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
        if not self.path.exists():
            return
        try:
            self._redo(lambda: self._apply_rules(rules))
        except BaseException:
            self._book = self._signature = None  # unsaved edits must not linger in the cache
            raise

    def _apply_rules(self, rules: SheetRules) -> None:
        book = self._editable()
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
        if changed:
            self._save(book)

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Column charts on ``tab`` (openpyxl), found again by title; idempotent.

        A chart with a spec's title is replaced where it stands, a missing one is added to the
        right of the data; other charts stay. The file is rewritten atomically, once, and only
        when a chart was drawn; other tabs' cached rows stay valid (see :mod:`.workbook_charts`).
        """
        if not charts or not self.path.exists():
            return
        try:
            self._redo(lambda: self._ensure_charts(tab, charts))
        except BaseException:
            self._book = self._signature = None  # unsaved edits must not linger in the cache
            raise

    def _ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        book = self._editable()
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
        if draw_charts(sheet, charts, headers, rows_of_key):
            self._save(book, changed=tab)

    # -- file handling -------------------------------------------------------------------------

    def _load(self, *, read_only: bool = False, data_only: bool = False) -> Workbook:
        """Open the workbook, turning any parse failure into a clear BackendError."""
        try:
            return load_workbook(self.path, read_only=read_only, data_only=data_only)
        except FileNotFoundError:
            raise
        except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and ValueError errors
            raise BackendError(
                f"{self.path} is not a valid .xlsx workbook ({type(exc).__name__}: {exc}); "
                "restore it from a backup or move it away to start a new one"
            ) from exc

    def _save(self, book: Workbook, *, changed: str | None = None) -> None:
        """Replace the file atomically with a 0600 copy of ``book``, unless someone else has.

        Raises :class:`_Replaced` (nothing written) when the file is no longer the one ``book``
        was loaded from.

        ``changed`` names the only tab this save changed (None: any may have): the other tabs'
        parsed rows stay valid when they were parsed from the file ``book`` was loaded from.
        """
        keep = changed is not None and self._read_signature is not None and \
            self._read_signature == self._signature
        loaded = self._signature

        def write(handle: BinaryIO) -> None:
            book.save(handle)
            self._before_replace()
            # Checked after the slow part (serialising the workbook), just before the rename.
            if self._stat() != loaded:
                raise _Replaced
        try:
            atomic_write(self.path, write)
        except BaseException:
            self._book = self._signature = None  # the file may not hold what the cache holds
            self._read, self._read_signature = {}, None
            raise
        self._book, self._signature = book, self._stat()
        if keep:
            self._read.pop(str(changed), None)
            self._read_signature = self._signature
        else:
            self._read, self._read_signature = {}, None

    def _sheet(self, book: Workbook, tab: str) -> Worksheet:
        """Return the tab named ``tab``, creating it when missing (Excel's title rules apply)."""
        if tab in book.sheetnames:
            return book[tab]
        try:
            return book.create_sheet(title=tab)
        except ValueError as exc:  # Excel forbids []:*?/\ and titles over 31 characters
            raise BackendError(f"{self.path}: cannot create tab {tab!r}: {exc}") from exc


def _new_book() -> Workbook:
    """An empty workbook without openpyxl's default sheet."""
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


def _write_cell(
    sheet: Worksheet, row: int, column: int, value: Cell, *, where: tuple[str, str, str]
) -> None:
    """Store one value, logging (without the content, which may be personal) a truncation."""
    if _store(sheet.cell(row=row, column=column), value):
        tab, header, key = where
        log.warning(
            "tab %s, key %s, column %s: text longer than Excel's %d-character cell limit "
            "was truncated",
            tab, key, header, EXCEL_CELL_LIMIT,
        )
