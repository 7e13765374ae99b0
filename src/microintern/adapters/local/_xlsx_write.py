"""Saving the local workbook: openpyxl's writer, reusing the XML of unchanged tabs.

Split from :mod:`.workbook` so that a run that only reads (an idle ``run-due``) never imports
openpyxl: this module is imported by the first save.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.comments.comment_sheet import CommentSheet
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.packaging.relationship import Relationship, RelationshipList
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.functions import Element, tostring

from microintern.adapters.local._xlsx_rows import sheet_data
from microintern.adapters.local._xlsx_zip import Compressed, PartWriter, TooLarge, stored_parts


@dataclass
class SheetXml:
    """One tab as the last save wrote it: reused while the tab is unchanged."""

    sheet: Worksheet
    shape: tuple[int, int]
    data: bytes
    rels: RelationshipList
    comments: list[Any]
    hyperlinks: list[Any]


@dataclass
class SaveCache:
    """What one workbook's saves reuse: tabs' XML, parts' compressed bytes, charts' XML."""

    sheets: dict[str, SheetXml] = field(default_factory=dict)
    parts: dict[str, Compressed] = field(default_factory=dict)
    # A chart's XML by the chart object's id (the object is kept, so the id stays its own).
    # A chart is redrawn as a new object, never changed in place (see workbook_charts).
    charts: dict[int, tuple[Any, bytes]] = field(default_factory=dict)
    # A tab's notes (comments part and VML drawing) as written, by their number and content.
    notes: dict[tuple[Any, ...], tuple[CommentSheet, list[tuple[str, bytes]]]] = field(
        default_factory=dict)


class _Recorder:
    """An archive stand-in that writes through and keeps what was written."""

    def __init__(self, archive: ZipFile) -> None:
        self.archive = archive
        self.parts: list[tuple[str, bytes]] = []

    def writestr(self, name: str, data: bytes | str) -> None:
        """Write ``data`` as ``name`` into the real archive, and remember it."""
        self.archive.writestr(name, data)
        self.parts.append((name, data.encode("utf-8") if isinstance(data, str) else data))


class _FastWorksheetWriter(WorksheetWriter):  # type: ignore[misc]
    """openpyxl's tab writer with the cells written by :func:`._xlsx_rows.sheet_data`.

    Everything around the cells (views, columns, validations, highlights, notes) is openpyxl's
    own; the rows are written by string building, into the place of an empty placeholder.
    """

    _rows: bytes | None = None

    def write_rows(self) -> None:
        """The tab's rows: built fast, or by openpyxl when :func:`sheet_data` declines."""
        self._rows = sheet_data(self.ws)
        if self._rows is None:
            super().write_rows()
        else:
            # An empty element marks the place; read() puts the rows there. The part before
            # it cannot hold "<sheetData": attribute values escape "<".
            self.xf.send(Element("sheetData"))

    def read(self) -> bytes:
        """The tab's XML, rows included."""
        data: bytes = super().read()
        if self._rows is not None:
            data = data.replace(b"<sheetData />", self._rows, 1)
        return data


def _shape(sheet: Worksheet) -> tuple[int, int]:
    """A cheap second check that a tab was not changed behind the cache's back.

    How many cells the tab holds, and which cell map: O(1), where max_row and max_column
    walk every cell on every save.
    """
    return (len(sheet._cells), id(sheet._cells))


class _CachingWriter(ExcelWriter):
    """openpyxl's writer, reusing the XML of tabs that did not change since the last save.

    Serialising cells is nearly all of a save's cost (openpyxl writes XML in pure Python),
    and most saves change one or two tabs. The reused XML stays valid because, within one
    loaded workbook, openpyxl only ever adds to its shared-string and style tables, so the
    indexes the old XML holds keep their meaning. A tab changed by a write is dropped from the
    cache by :meth:`LocalWorkbook._write`; a tab with tables or pivots is always written.
    """

    def __init__(self, workbook: Workbook, archive: Any, cache: SaveCache) -> None:
        super().__init__(workbook, archive)
        self.cache = cache.sheets
        # What this save writes, kept for the next one (what it no longer writes is forgotten).
        self.known_charts, self.charts = cache.charts, {}
        self.known_notes: dict[tuple[Any, ...], tuple[CommentSheet, list[tuple[str, bytes]]]]
        self.known_notes, self.notes = cache.notes, {}

    def write_worksheet(self, ws: Worksheet) -> None:
        """Write one tab's part: its cached XML, or a fresh serialisation that is then cached."""
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        entry = self.cache.get(ws.title)
        shape = _shape(ws)
        if entry is not None and entry.sheet is ws and entry.shape == shape:
            ws._rels = copy.deepcopy(entry.rels)
            ws._comments = list(entry.comments)
            ws._hyperlinks = list(entry.hyperlinks)
        else:
            writer = _FastWorksheetWriter(ws, out=BytesIO())
            writer.write()
            entry = SheetXml(ws, shape, writer.read(), copy.deepcopy(writer._rels),
                              list(ws._comments), list(ws._hyperlinks))
            ws._rels = writer._rels
            if not ws.tables and not ws._pivots:  # their parts are numbered as they are written
                self.cache[ws.title] = entry
        self._archive.writestr(ws.path[1:], entry.data)
        self.manifest.append(ws)

    def _write_comment(self, ws: Worksheet) -> None:
        """The tab's header notes: reused when the same notes had the same number last save.

        Their VML drawing cost as much to build as the tab's cells, and they rarely change.
        """
        number = len(self._comments) + 1
        key = _notes_key(number, ws._comments)
        if key is None or self.workbook.vba_archive is not None:
            super()._write_comment(ws)
            return
        known = self.known_notes.get(key)
        if known is None:
            recorder, archive = _Recorder(self._archive), self._archive
            self._archive = recorder
            try:
                super()._write_comment(ws)
            finally:
                self._archive = archive
            self.notes[key] = (self._comments[-1], recorder.parts)
            return
        self.notes[key] = known
        sheet, parts = known
        self._comments.append(sheet)
        for name, data in parts:
            self._archive.writestr(name, data)
        self.manifest.append(sheet)
        ws.legacy_drawing = f"xl/drawings/commentsDrawing{number}.vml"
        self.vba_modified.add(ws.legacy_drawing)
        ws._rels.append(Relationship(Id="comments", type=sheet._rel_type, Target=sheet.path))


    def _write_charts(self) -> None:
        """The charts' parts, each chart's XML built once per chart object."""
        if len(self._charts) != len(set(self._charts)):
            super()._write_charts()  # openpyxl names the error
            return
        for chart in self._charts:
            cached = self.known_charts.get(id(chart))
            xml = cached[1] if cached is not None and cached[0] is chart else tostring(chart._write())
            self.charts[id(chart)] = (chart, xml)
            self._archive.writestr(chart.path[1:], xml)
            self.manifest.append(chart)


def _notes_key(number: int, comments: list[Any]) -> tuple[Any, ...] | None:
    """What a tab's notes part depends on: its number and each note; None: do not reuse."""
    key: list[Any] = [number]
    for note in comments:
        text = note.text
        if text is None or text.r or text.rPh or text.phoneticPr is not None or note.commentPr:
            return None  # rich text and note properties: always written afresh
        key.append((note.ref, note.author, note.authorId, note.guid, note.shapeId, text.t,
                    note.width, note.height))
    return tuple(key)


def write_xlsx(book: Workbook, handle: BinaryIO, cache: SaveCache) -> None:
    """Serialise ``book`` into ``handle`` as openpyxl's ``Workbook.save`` does, with ``cache``.

    Parts whose bytes did not change since the last save are not compressed again
    (:class:`._xlsx_zip.PartWriter`); a workbook too large for that is written by zipfile.
    """
    book.properties.modified = datetime.now(UTC).replace(tzinfo=None)
    start = handle.tell()
    writer = _CachingWriter(book, PartWriter(handle, cache.parts), cache)
    try:
        writer.save()
    except TooLarge:
        handle.seek(start)
        handle.truncate()
        cache.parts.clear()
        archive = ZipFile(handle, "w", ZIP_DEFLATED, allowZip64=True)
        writer = _CachingWriter(book, archive, cache)
        writer.save()
    cache.charts, cache.notes = writer.charts, writer.notes


# -- loading only the tabs a write needs -------------------------------------------------------

_SIMPLE_RELS = {
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing",
}


class _Skipped(Exception):
    """Raised inside openpyxl's reader for a tab left unparsed (never escapes load_partial)."""


def load_partial(path: Any, bind: frozenset[str], seed: dict[str, Compressed] | None = None
                 ) -> tuple[Workbook, dict[str, SheetXml]] | None:
    """Load ``path`` for editing with cells only in the tabs ``bind`` names.

    Every other tab keeps the XML it has in the file, written back unchanged by the next save
    (returned as cache entries for :class:`_CachingWriter`), so a write to the Timeline of a
    10,000-application workbook neither parses nor re-serialises the applications. A tab is
    left unparsed only when its XML depends on nothing a save renumbers: no shared strings
    (openpyxl writes text inline), no drawings, hyperlinks or tables (only header notes, whose
    parts are written again from the comments read here), and the file's cell styles must load
    in their order (checked: no duplicates merged). Otherwise None: the caller loads it all.

    ``seed``, if given, receives the kept tabs' parts as the file stores them (compressed), so
    the next save copies them instead of compressing them again (see :class:`PartWriter`).
    """
    from openpyxl.comments.comment_sheet import CommentRecord
    from openpyxl.reader import excel
    from openpyxl.worksheet._reader import WorksheetReader

    kept: dict[str, bytes] = {}
    parts: dict[str, str] = {}  # the kept tab's part name in the file

    class _Reader(WorksheetReader):  # type: ignore[misc]
        def bind_all(self) -> None:
            ws = self.ws
            if ws.title not in bind and all(rel.Type in _SIMPLE_RELS for rel in ws._rels):
                data = self.parser.source.read()
                if b't="s"' not in data and b"t='s'" not in data:
                    kept[ws.title] = data
                    parts[ws.title] = str(getattr(self.parser.source, "name", ""))
                    return
                self.parser.source.seek(0)
            super().bind_all()

    original = excel.WorksheetReader
    excel.WorksheetReader = _Reader  # the CLI is single-threaded; restored below
    try:
        reader = excel.ExcelReader(path, read_only=False, keep_vba=False, data_only=False,
                                   keep_links=True, rich_text=False)
        reader.read()
    finally:
        excel.WorksheetReader = original
    book: Workbook = reader.wb
    if kept and _style_count(path) != len(book._cell_styles):
        return None
    entries: dict[str, SheetXml] = {}
    for title, data in kept.items():
        ws = book[title]
        cells = sorted((c for c in ws._cells.values() if c.comment is not None),
                       key=lambda c: (c.row, c.column))
        entries[title] = SheetXml(ws, _shape(ws), data, RelationshipList(),
                                  [CommentRecord.from_cell(c) for c in cells], [])
    if seed is not None and kept:
        # openpyxl writes the n-th tab as xl/worksheets/sheet<n>.xml, whatever the file named it.
        index = {ws.title: n for n, ws in enumerate(book.worksheets, start=1)}
        seed.update(stored_parts(Path(path), {
            f"xl/worksheets/sheet{index[title]}.xml": (parts[title], data)
            for title, data in kept.items() if parts.get(title)}))
    return book, entries


def _style_count(path: Any) -> int:
    """How many cell formats (cellXfs) the file's styles part holds."""
    import re

    with ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml")
    found = re.search(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", styles, re.S)
    return 0 if found is None else len(re.findall(rb"<(?:\w+:)?xf\b", found.group(0)))


def bind_tab(book: Workbook, title: str, entry: SheetXml) -> None:
    """Parse a tab :func:`load_partial` left unparsed into ``book``, from its kept XML.

    The tab then holds what a full load gives it (cells, validations, formatting, panes,
    sizes); its header notes, read already, are put back on their cells.
    """
    from openpyxl.worksheet._reader import WorksheetReader

    ws = book[title]
    notes = {(c.row, c.column): c.comment for c in ws._cells.values() if c.comment is not None}
    ws._cells.clear()
    # No shared strings: load_partial keeps only tabs whose text is inline.
    WorksheetReader(ws, BytesIO(entry.data), [], False, False).bind_all()
    for (row, column), note in notes.items():
        ws.cell(row=row, column=column).comment = note
