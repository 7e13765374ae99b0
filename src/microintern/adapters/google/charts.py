"""Native Sheets charts on a tab (the Dashboard): ``addChart`` once, ``updateChartSpec`` after.

Pure functions from a ``spreadsheets.get`` answer to the ``spreadsheets.batchUpdate`` requests;
:meth:`GoogleSheetsRoster.ensure_charts <microintern.adapters.google.sheets.GoogleSheetsRoster.ensure_charts>`
makes the two calls. A chart is found again by its title among the tab's charts, so a rerun
updates it (where the coordinator dragged it stays) and never adds a second one; a chart whose
spec is already what we would write is not written at all.

Each bar is one row found by its key now, so the chart follows the rows wherever they are;
neighbouring rows are joined into one source range (``ChartSourceRange.sources`` takes several,
aligned across domain and series).

REST reference: https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/charts
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microintern.domain.records import ChartSpec

GET_FIELDS = ("sheets(properties(sheetId,title),charts(chartId,spec),"
              "data(rowData(values(formattedValue))))")
"""``spreadsheets.get`` fields: the tab's id, its charts, and its cells as text (keys, headers)."""

WIDTH_PIXELS = 560
HEIGHT_PIXELS = 320
ROWS_PER_CHART = 18      # default rows are 21 px high: a chart and a gap
COLUMN_GAP = 1           # empty columns between the figures and the charts
_INK = {"red": 0.114, "green": 0.306, "blue": 0.537}   # #1d4e89, the report's colour


def _grid_rows(sheet: Mapping[str, Any]) -> list[list[str]]:
    """The tab's cells as text, row by row (``data[0].rowData``), from row 1."""
    data = sheet.get("data") or [{}]
    return [[str(v.get("formattedValue", "")) for v in row.get("values", [])]
            for row in data[0].get("rowData", [])]


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive 0-based row indexes as [start, end) runs, in the given order."""
    runs: list[list[int]] = []
    for row in rows:
        if runs and runs[-1][1] == row:
            runs[-1][1] = row + 1
        else:
            runs.append([row, row + 1])
    return [(a, b) for a, b in runs]


def _sources(sheet_id: int, runs: Sequence[tuple[int, int]], column: int) -> dict[str, Any]:
    return {"sourceRange": {"sources": [
        {"sheetId": sheet_id, "startRowIndex": start, "endRowIndex": end,
         "startColumnIndex": column, "endColumnIndex": column + 1} for start, end in runs]}}


def chart_spec(spec: ChartSpec, sheet_id: int, rows: Sequence[list[str]]) -> dict[str, Any] | None:
    """The API's ``ChartSpec`` for ``spec`` over the tab's ``rows``; None when no key is there."""
    header = rows[0] if rows else []
    if spec.key_column not in header or spec.value_column not in header:
        return None
    key_col, value_col = header.index(spec.key_column), header.index(spec.value_column)
    where: dict[str, int] = {}
    for index, row in enumerate(rows[1:], start=1):
        if key_col < len(row) and row[key_col].strip():
            where.setdefault(row[key_col].strip(), index)
    found = [where[key] for key in spec.keys if key in where]
    if not found:
        return None
    runs = _runs(found)
    return {
        "title": spec.title,
        "basicChart": {
            "chartType": "COLUMN",
            "legendPosition": "NO_LEGEND",
            "headerCount": 0,
            "axis": [{"position": "BOTTOM_AXIS"}, {"position": "LEFT_AXIS"}],
            "domains": [{"domain": _sources(sheet_id, runs, key_col)}],
            "series": [{"series": _sources(sheet_id, runs, value_col), "targetAxis": "LEFT_AXIS",
                        "colorStyle": {"rgbColor": _INK}}],
        },
    }


def chart_requests(tab: str, specs: Sequence[ChartSpec], meta: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``addChart`` / ``updateChartSpec`` requests that make ``tab`` show ``specs``.

    ``meta`` is the ``spreadsheets.get`` answer for the tab with :data:`GET_FIELDS`. Charts whose
    stored spec already matches are skipped, so an unchanged dashboard costs no write.
    """
    sheet = next((s for s in meta.get("sheets", []) if s["properties"]["title"] == tab), None)
    if sheet is None:
        raise KeyError(tab)
    sheet_id = int(sheet["properties"].get("sheetId", 0))
    rows = _grid_rows(sheet)
    existing = {str(c.get("spec", {}).get("title", "")): c for c in sheet.get("charts", [])}
    anchor_column = max((len(r) for r in rows), default=0) + COLUMN_GAP
    requests: list[dict[str, Any]] = []
    for position, spec in enumerate(specs):
        wanted = chart_spec(spec, sheet_id, rows)
        if wanted is None:
            continue
        current = existing.get(spec.title)
        if current is None:
            requests.append({"addChart": {"chart": {"spec": wanted, "position": {"overlayPosition": {
                "anchorCell": {"sheetId": sheet_id, "rowIndex": position * ROWS_PER_CHART,
                               "columnIndex": anchor_column},
                "widthPixels": WIDTH_PIXELS, "heightPixels": HEIGHT_PIXELS}}}}})
        elif current.get("spec") != wanted:
            requests.append({"updateChartSpec": {"chartId": current["chartId"], "spec": wanted}})
    return requests
