"""The writes of the local workbook, each applied to a loaded openpyxl workbook.

Split from :mod:`.workbook`. Each returns its result, the tabs it touched (None: any may have)
and whether it changed anything; :class:`.LocalWorkbook` keeps the write to redo it on another
version of the file (someone else's save) and saves it at the end of its batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microintern.adapters.local.workbook_cells import (
    append_header,
    clean_header,
    index_rows,
    key_text,
    read_headers,
    write_cell,
)
from microintern.domain.records import ChartSpec, Record
from microintern.errors import BackendError
from microintern.ports import UpsertResult

if TYPE_CHECKING:  # openpyxl is imported by the first write, never by a run that only reads
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from microintern.domain.sheet_rules import SheetRules  # only init applies rules


def sheet_named(book: Workbook, tab: str, path: Path) -> Worksheet:
    """Return the tab named ``tab``, creating it when missing (Excel's title rules apply)."""
    if tab in book.sheetnames:
        return book[tab]
    try:
        return book.create_sheet(title=tab)
    except ValueError as exc:  # Excel forbids []:*?/\ and titles over 31 characters
        raise BackendError(f"{path}: cannot create tab {tab!r}: {exc}") from exc


def ensure_tabs(book: Workbook, layout: Mapping[str, Sequence[str]], path: Path, new_file: bool
                ) -> tuple[None, frozenset[str], bool]:
    """Add missing tabs (frozen header row) and missing headers; a new file counts as a change."""
    changed = new_file  # a new file is written even with nothing in it
    touched: set[str] = set()
    for tab, headers in layout.items():
        is_new = tab not in book.sheetnames
        sheet = sheet_named(book, tab, path)
        if is_new:
            sheet.freeze_panes = "A2"  # keep the headers in view while scrolling
            touched.add(tab)
        present = read_headers(sheet)
        for header in headers:
            if clean_header(header) not in present:
                present[clean_header(header)] = append_header(sheet, present, header)
                touched.add(tab)
    return None, frozenset(touched), changed or bool(touched)


def upsert_rows(book: Workbook, path: Path, tab: str, key_column: str, rows: Sequence[Record]
                ) -> tuple[UpsertResult, frozenset[str], bool]:
    """Write ``rows`` by key into ``tab`` (see :meth:`.LocalWorkbook.upsert`)."""
    is_new = tab not in book.sheetnames
    sheet = sheet_named(book, tab, path)
    if is_new:
        sheet.freeze_panes = "A2"
    headers = read_headers(sheet)
    key_header = clean_header(key_column)
    changed = is_new
    if key_header not in headers:
        headers[key_header] = append_header(sheet, headers, key_column)
        changed = True
    key_index = headers[key_header]
    row_of_key, last_row = index_rows(sheet, key_index)

    updated = appended = 0
    for row in rows:
        key = key_text(row.get(key_column))
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
            header = clean_header(column)
            if header not in headers:
                headers[header] = append_header(sheet, headers, column)
                changed = True
            cell = sheet.cell(row=target, column=headers[header])
            before = cell.value
            write_cell(cell, value, where=(tab, column, key))
            changed = changed or cell.value != before
    # The whole file is rewritten on every save: a write that changes no cell is not one.
    return UpsertResult(updated=updated, appended=appended), frozenset({tab}), changed


def clear_unkeyed(book: Workbook, tab: str, key_column: str, columns: Sequence[str]
                  ) -> tuple[int, frozenset[str], bool]:
    """Blank ``columns`` on rows whose key cell is empty (see :meth:`.LocalWorkbook.clear_unkeyed`)."""
    if tab not in book.sheetnames:
        return 0, frozenset(), False
    sheet = book[tab]
    headers = read_headers(sheet)
    key_index = headers.get(clean_header(key_column))
    targets = [headers[h] for h in map(clean_header, columns) if h in headers]
    if key_index is None or not targets:
        return 0, frozenset(), False
    cleared = 0
    for number in range(2, sheet.max_row + 1):
        if key_text(sheet.cell(number, key_index).value) is not None:
            continue
        cells = [sheet.cell(number, col) for col in targets]
        if any(c.value not in (None, "") for c in cells):
            for c in cells:
                c.value = None
            cleared += 1
    return cleared, frozenset({tab}), cleared > 0


def apply_rules(book: Workbook, rules: SheetRules) -> tuple[None, None, bool]:
    """Freeze, dropdowns, highlights and header notes on every tab of ``rules`` that exists."""
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


def ensure_charts(book: Workbook, path: Path, tab: str, charts: Sequence[ChartSpec],
                  saved_xml: Callable[[Any], bytes | None]) -> tuple[None, frozenset[str], bool]:
    """Draw ``charts`` on ``tab`` (see :meth:`.LocalWorkbook.ensure_charts`)."""
    if tab not in book.sheetnames:
        raise BackendError(f"{path}: no tab {tab!r} to draw charts on: run `microintern init`")
    sheet = book[tab]
    headers = read_headers(sheet)
    keys = {spec.key_column for spec in charts}
    rows_of_key: dict[str, int] = {}
    for key_column in keys:
        if clean_header(key_column) in headers:
            found, _last = index_rows(sheet, headers[clean_header(key_column)])
            rows_of_key.update({k: v for k, v in found.items() if k not in rows_of_key})
    from microintern.adapters.local.workbook_charts import draw_charts

    return None, frozenset({tab}), draw_charts(sheet, charts, headers, rows_of_key,
                                               saved_xml)
