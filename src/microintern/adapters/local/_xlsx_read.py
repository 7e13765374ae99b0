"""A fast, read-only reader of an .xlsx file's tabs as rows of values (standard library only).

Reading is most of what a run does with the workbook: an idle ``run-due`` reads the Timeline,
a rerun of ``screen`` reads 10,000 applications. openpyxl (even read-only) builds a cell object
per cell in Python and, when imported, imports numpy; this reader walks the sheet XML with
``xml.etree`` and returns what openpyxl's ``load_workbook(read_only=True, data_only=True)``
returns for the same cells, for the cells microintern and a coordinator write: text (shared,
inline, formula results), numbers, booleans and error values.

Anything it does not reproduce exactly raises :class:`Unsupported`, and the caller reads the
file with openpyxl instead: a number shown with a date or time format (openpyxl turns it into a
datetime), an ISO date cell (``t="d"``), a part it cannot find. Being wrong costs a slower read,
never a different value.
"""

from __future__ import annotations

import pyexpat
import re
import zipfile
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree.ElementTree import iterparse

from microintern.adapters.local._xlsx_scan import scan_rows

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_C, _V, _IS, _T, _R, _RPH, _ROW, _SI = (f"{_MAIN}{n}" for n in ("c", "v", "is", "t", "r", "rPh", "row", "si"))

# Built-in number formats that show a number as a number (openpyxl keeps the value a number).
_NUMBER_FORMATS = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 37, 38, 39, 40, 41, 42,
                             43, 44, 48, 49})
# What openpyxl ignores before looking for date letters: quoted text, escapes, [colours] etc.
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.')
_DATE_LETTERS = re.compile(r"[dmhysDMHYS]")
_DIGITS = "0123456789"


class Unsupported(Exception):
    """The file holds something this reader does not reproduce exactly: use openpyxl."""


def _iterparse(stream: Any, events: Sequence[str] = ("end",)) -> Any:
    """The standard library's C parser over ``stream`` (safe here: see :func:`_check_expat`)."""
    return iterparse(stream, events=events)  # noqa: S314 - expat >= 2.4.1, no external entities


def _check_expat() -> None:
    """Refuse to parse with an expat older than 2.4.1 (openpyxl, with defusedxml, reads then).

    A workbook may come from anywhere. The standard library's ElementTree never fetches
    external entities, and expat 2.4.1 and later refuse "billion laughs" and quadratic entity
    blow-ups (Python's XML security notes), so the C parser is safe here and twice as fast as
    defusedxml's wrapper of it, which matters for 10,000 applications.
    """
    major, minor, micro = pyexpat.version_info
    if (major, minor, micro) < (2, 4, 1):
        raise Unsupported(f"expat {major}.{minor}.{micro} predates its entity limits")


def read_rows(path: Path, tabs: Sequence[str]) -> dict[str, list[list[Any]]]:
    """Each named tab present in ``path`` as rows of values from row 1 (a gap is an empty row).

    Tabs the file does not have are left out. Raises :class:`Unsupported` (see the module).
    """
    _check_expat()
    with zipfile.ZipFile(path) as archive:
        parts = _sheet_parts(archive)
        wanted = {tab: parts[tab] for tab in tabs if tab in parts}
        if not wanted:
            return {}
        names = set(archive.namelist())
        strings = _shared_strings(archive) if "xl/sharedStrings.xml" in names else []
        dates = _date_styles(archive) if "xl/styles.xml" in names else frozenset()
        result: dict[str, list[list[Any]]] = {}
        for tab, part in wanted.items():
            if part not in names:
                raise Unsupported(f"no part {part}")
            data = archive.read(part)
            # The sheets microintern writes are scanned without a parser (several times
            # faster); anything else, or anything unexpected, is parsed.
            scanned = scan_rows(data, strings, dates)
            result[tab] = _rows(BytesIO(data), strings, dates) if scanned is None else scanned
        return result


def header_rows(path: Path, tabs: Sequence[str]) -> dict[str, list[Any]]:
    """Row 1 of each named tab present in ``path`` (only that row is parsed)."""
    _check_expat()
    with zipfile.ZipFile(path) as archive:
        parts = _sheet_parts(archive)
        names = set(archive.namelist())
        wanted = {tab: parts[tab] for tab in tabs if tab in parts}
        strings = _shared_strings(archive) if wanted and "xl/sharedStrings.xml" in names else []
        dates = _date_styles(archive) if wanted and "xl/styles.xml" in names else frozenset()
        result: dict[str, list[Any]] = {}
        for tab, part in wanted.items():
            if part not in names:
                raise Unsupported(f"no part {part}")
            with archive.open(part) as stream:
                rows = _rows(stream, strings, dates, limit=1)
            result[tab] = rows[0] if rows else []
        return result


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Tab name → its worksheet part, from the workbook and its relationships."""
    targets: dict[str, str] = {}
    with archive.open("xl/_rels/workbook.xml.rels") as stream:
        for _event, node in _iterparse(stream):
            if node.tag == f"{_PKG_REL}Relationship":
                target = node.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                targets[node.get("Id", "")] = path
    parts: dict[str, str] = {}
    with archive.open("xl/workbook.xml") as stream:
        for _event, node in _iterparse(stream):
            if node.tag == f"{_MAIN}sheet":
                rel = node.get(f"{_REL}id")
                if rel in targets:
                    parts[node.get("name", "")] = targets[rel]
    return parts


def _text(node: Any) -> str:
    """A string item's text as openpyxl reads it: plain and run text, phonetic runs left out."""
    if len(node) == 1 and node[0].tag == _T:  # plain text, nearly every cell
        return node[0].text or ""
    plain = node.find(_T)
    pieces = [plain.text or ""] if plain is not None else []
    pieces += [t.text or "" for run in node.findall(_R) if (t := run.find(_T)) is not None]
    return "".join(pieces)


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    """The shared-string table, in order."""
    strings: list[str] = []
    with archive.open("xl/sharedStrings.xml") as stream:
        for _event, node in _iterparse(stream):
            if node.tag == _SI:
                strings.append(_text(node).replace("x005F_", ""))
                node.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile) -> frozenset[int]:
    """Style ids whose number format may show a date or time (their numbers are not read here)."""
    custom: dict[int, str] = {}
    formats: list[int] = []
    with archive.open("xl/styles.xml") as stream:
        in_xfs = False
        for event, node in _iterparse(stream, events=("start", "end")):
            if node.tag == f"{_MAIN}cellXfs":
                in_xfs = event == "start"
            elif event == "end" and node.tag == f"{_MAIN}numFmt":
                custom[int(node.get("numFmtId", "0"))] = node.get("formatCode", "")
            elif event == "end" and in_xfs and node.tag == f"{_MAIN}xf":
                formats.append(int(node.get("numFmtId", "0")))

    def dated(number_format: int) -> bool:
        if number_format in custom:
            code = _LITERALS.sub("", custom[number_format].split(";")[0])
            return _DATE_LETTERS.search(code) is not None
        return number_format not in _NUMBER_FORMATS

    return frozenset(index for index, number_format in enumerate(formats) if dated(number_format))


def _column(reference: str) -> int:
    """1-based column of a cell reference such as ``AB12``."""
    number = 0
    for letter in reference:
        code = ord(letter) - 64
        if not 1 <= code <= 26:
            break
        number = number * 26 + code
    if number == 0:
        raise Unsupported(f"cell reference {reference!r}")
    return number


def cell_number(text: str) -> int | float:
    """A number as openpyxl casts it."""
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def _rows(stream: Any, strings: list[str], dates: frozenset[int], *, limit: int | None = None
          ) -> list[list[Any]]:
    """One sheet's rows of values (see :func:`read_rows`), up to row ``limit`` if given."""
    rows: list[list[Any]] = []
    number = 0
    columns: dict[str, int] = {}  # a reference's letters → its column, worked out once
    for _event, node in _iterparse(stream):
        if node.tag != _ROW:
            continue
        at = node.get("r")
        number = int(at) if at else number + 1
        if limit is not None and number > limit:
            break
        while len(rows) < number - 1:
            rows.append([])  # a row with no cells
        values: list[Any] = []
        for cell in node.iter(_C):
            reference = cell.get("r")
            if reference:
                letters = reference.rstrip(_DIGITS)
                column = columns.get(letters)
                if column is None:
                    column = columns[letters] = _column(reference)
            else:
                column = len(values) + 1
            if cell.get("t") == "inlineStr":  # nearly every text cell: no function call
                inline = cell.find(_IS)
                value = None if inline is None else _text(inline)
            else:
                value = _value(cell, strings, dates)
            if column == len(values) + 1:
                values.append(value)
            else:
                values.extend([None] * (column - len(values)))
                values[column - 1] = value
        rows.append(values)
        node.clear()
    return rows


def _value(cell: Any, strings: list[str], dates: frozenset[int]) -> Any:
    """One cell's value as openpyxl's read-only, data-only parse gives it."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_IS)
        return None if inline is None else _text(inline)
    value = cell.findtext(_V) or None
    if value is None:
        return None
    if kind == "n":
        style = cell.get("s")
        if style and int(style) in dates:
            raise Unsupported("a number shown as a date or time")
        return cell_number(value)
    if kind == "s":
        return strings[int(value)]
    if kind == "b":
        return bool(int(value))
    if kind in ("str", "e"):
        return value
    raise Unsupported(f"cell type {kind!r}")
