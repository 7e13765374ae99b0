"""Saving the local workbook: openpyxl's writer, reusing the XML of unchanged tabs.

Split from :mod:`.workbook` so that a run that only reads (an idle ``run-due``) never imports
openpyxl: this module is imported by the first save.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.comments.comment_sheet import CommentSheet
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.packaging.manifest import Manifest, Override
from openpyxl.packaging.relationship import Relationship, RelationshipList, get_rels_path
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.workbook._writer import WorkbookWriter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import (
    ARC_APP,
    ARC_CORE,
    ARC_ROOT_RELS,
    ARC_STYLE,
    ARC_THEME,
    ARC_WORKBOOK,
    ARC_WORKBOOK_RELS,
)
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
    # Parts built from the whole workbook, by what they depend on: the styles (by workbook and
    # the sizes of its style tables, which openpyxl only appends to), the content types (by
    # the parts written) and each drawing (by its charts and their anchors).
    built: dict[str, tuple[Any, ...]] = field(default_factory=dict)


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
        self.built = cache.built
        self.manifest = _Manifest(cache.built)
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


    def write_data(self) -> None:
        """openpyxl's ``ExcelWriter.write_data`` (3.1), with the styles part reused while the
        workbook's style tables are unchanged."""
        from openpyxl.packaging.extended import ExtendedProperties
        from openpyxl.writer.theme import theme_xml

        if len(self.workbook.custom_doc_props) >= 1:
            super().write_data()  # custom properties: openpyxl's own path, styles built again
            return
        archive = self._archive
        archive.writestr(ARC_APP, tostring(ExtendedProperties().to_tree()))
        archive.writestr(ARC_CORE, tostring(self.workbook.properties.to_tree()))
        archive.writestr(ARC_THEME, self.workbook.loaded_theme or theme_xml)
        self._write_worksheets()
        self._write_chartsheets()
        self._write_images()
        self._write_charts()
        self._write_external_links()
        archive.writestr(ARC_STYLE, self._styles())
        writer = WorkbookWriter(self.workbook)
        archive.writestr(ARC_ROOT_RELS, writer.write_root_rels())
        archive.writestr(ARC_WORKBOOK, writer.write())
        archive.writestr(ARC_WORKBOOK_RELS, writer.write_rels())
        self._merge_vba()
        self.manifest._write(archive, self.workbook)

    def _styles(self) -> bytes:
        """The styles part: built again only when a style table grew or the workbook changed."""
        book = self.workbook
        key = (book, len(book._fonts), len(book._fills), len(book._borders),
               len(book._number_formats), len(book._cell_styles), len(book._alignments),
               len(book._protections), len(book._named_styles), len(book._differential_styles.styles),
               len(book._colors or ()), len(getattr(book._table_styles, "tableStyle", ()) or ()))
        known = self.built.get(ARC_STYLE)
        if known is not None and len(known) == 2 and known[0][0] is book and known[0][1:] == key[1:]:
            data: bytes = known[1]
            return data
        data = tostring(write_stylesheet(book))
        self.built[ARC_STYLE] = (key, data)
        return data

    def _write_drawing(self, drawing: Any) -> None:
        """A tab's drawing: reused while it holds the same charts at the same anchors."""
        if drawing.images:
            super()._write_drawing(drawing)
            return
        self._drawings.append(drawing)
        drawing._id = len(self._drawings)
        for chart in drawing.charts:
            self._charts.append(chart)
            chart._id = len(self._charts)
        key = (drawing._id, *((chart, chart._id, chart.anchor if isinstance(chart.anchor, str)
                               else id(chart.anchor), chart.width, chart.height)
                              for chart in drawing.charts))
        name = f"drawing:{drawing.path}"
        known = self.built.get(name)
        if known is not None and _same_key(known[0], key):
            xml, rels = known[1], known[2]
        else:
            xml, rels = tostring(drawing._write()), tostring(drawing._write_rels())
            self.built[name] = (key, xml, rels)
        self._archive.writestr(drawing.path[1:], xml)
        self._archive.writestr(get_rels_path(drawing.path)[1:], rels)
        self.manifest.append(drawing)

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


def _same_key(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """Whether two drawing keys match: the same chart objects (by identity), ids and anchors."""
    if len(old) != len(new) or old[0] != new[0]:
        return False
    return all(a[0] is b[0] and a[1:] == b[1:] for a, b in zip(old[1:], new[1:], strict=True))


class _Manifest(Manifest):  # type: ignore[misc]
    """The content types part, built again only when the parts written are not the same.

    openpyxl builds an object per part on every save; this keeps (name, type) pairs and the
    last part's bytes, by the pairs and the written names' extensions it depends on.
    """

    # openpyxl's metaclass would give a subclass without fields of its own empty ones.
    __attrs__ = Manifest.__attrs__
    __elements__ = Manifest.__elements__
    __nested__ = Manifest.__nested__

    def __init__(self, built: dict[str, tuple[Any, ...]]) -> None:
        super().__init__()
        self.built = built
        # openpyxl's manifest starts with the styles, theme and document properties.
        self.pairs: list[tuple[str, str]] = [(o.PartName, o.ContentType) for o in self.Override]

    def append(self, obj: Any) -> None:
        """Note a part and its content type."""
        self.pairs.append((obj.path, obj.mime_type))

    def _write(self, archive: Any, workbook: Workbook) -> None:
        self.append(workbook)
        names = archive.namelist()
        key = (tuple(self.pairs), tuple(os.path.splitext(name)[-1] for name in names))
        known = self.built.get(self.path)
        if known is None or known[0] != key or workbook.vba_archive:
            # As openpyxl's Manifest._write, from the pairs noted.
            self.Override = [Override(PartName=path, ContentType=kind) for path, kind in self.pairs]
            self._write_vba(workbook)
            self._register_mimetypes(filenames=names)
            known = (key, tostring(self.to_tree()))
            self.built[self.path] = known
        archive.writestr(self.path, known[1])


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
