"""Native charts in the local workbook (openpyxl column charts), the Dashboard's charts.

A chart is known again by its title: drawing a spec whose title a chart of the tab already has
replaces that chart where it stands (a chart the coordinator moved stays there), so a rerun never
stacks a second one. openpyxl reads charts back when it loads a workbook for editing, so charts
survive every later save of the file.

Bars are rows found by key at drawing time; neighbouring rows make one range, scattered rows a
union reference (``('Dashboard'!$B$2:$B$4,'Dashboard'!$B$9)``), which Excel and LibreOffice read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from openpyxl.chart import BarChart
from openpyxl.chart.data_source import AxDataSource, NumDataSource, NumRef, StrRef
from openpyxl.chart.series import Series
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from microintern.domain.records import ChartSpec

ROWS_PER_CHART = 18
WIDTH_CM = 16.0
HEIGHT_CM = 8.0


def chart_title(chart: Any) -> str:
    """The plain text of a chart's title (as set, or as read back from a file)."""
    title = getattr(chart, "title", None)
    if title is None:
        return ""
    if isinstance(title, str):
        return title
    rich = getattr(getattr(title, "tx", None), "rich", None)
    if rich is None:
        return ""
    return "".join(run.t or "" for paragraph in rich.p for run in (paragraph.r or []))


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[list[int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return [(a, b) for a, b in runs]


def _reference(sheet: Worksheet, column: int, runs: Sequence[tuple[int, int]]) -> str:
    letter = get_column_letter(column)
    parts = [f"{quote_sheetname(sheet.title)}!${letter}${a}" + (f":${letter}${b}" if b != a else "")
             for a, b in runs]
    return parts[0] if len(parts) == 1 else "(" + ",".join(parts) + ")"


def column_chart(sheet: Worksheet, spec: ChartSpec, headers: dict[str, int],
                 rows_of_key: dict[str, int]) -> BarChart | None:
    """A column chart of ``spec`` over ``sheet``; None when no key (or column) is there."""
    key_col, value_col = headers.get(spec.key_column), headers.get(spec.value_column)
    found = [rows_of_key[key] for key in spec.keys if key in rows_of_key]
    if key_col is None or value_col is None or not found:
        return None
    runs = _runs(found)
    series = Series()
    series.val = NumDataSource(numRef=NumRef(f=_reference(sheet, value_col, runs)))
    series.cat = AxDataSource(strRef=StrRef(f=_reference(sheet, key_col, runs)))
    series.graphicalProperties.solidFill = "1D4E89"
    chart = BarChart()
    chart.type = "col"
    chart.title = spec.title
    chart.legend = None
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM
    chart.series.append(series)
    return chart


def draw_charts(sheet: Worksheet, specs: Sequence[ChartSpec], headers: dict[str, int],
                rows_of_key: dict[str, int],
                saved_xml: Callable[[Any], bytes | None] = lambda chart: None) -> bool:
    """Add or replace ``specs`` on ``sheet``; return whether any chart was drawn.

    ``saved_xml`` gives a chart's XML as the last save wrote it, if it did (the Dashboard is
    compared every day; serialising the old chart again was half the cost).
    """
    existing = {chart_title(c): c for c in sheet._charts}
    anchor_column = get_column_letter(max(headers.values(), default=0) + 2)
    drawn = False
    for position, spec in enumerate(specs):
        chart = column_chart(sheet, spec, headers, rows_of_key)
        if chart is None:
            continue
        old = existing.get(spec.title)
        if old is not None and _same_chart(old, chart, saved_xml(old)):
            continue
        if old is not None:
            chart.anchor = old.anchor
            # By identity: openpyxl's field-by-field __eq__ can fail to find a chart read back
            # from a file in the list it came from.
            place = next(i for i, c in enumerate(sheet._charts) if c is old)
            sheet._charts[place] = chart
        else:
            sheet.add_chart(chart, f"{anchor_column}{1 + position * ROWS_PER_CHART}")
        existing[spec.title] = chart
        drawn = True
    return drawn


def _same_chart(old: Any, new: Any, old_xml: bytes | None = None) -> bool:
    """Whether two charts serialize alike (then the file need not be rewritten)."""
    try:
        return bool((old_xml or tostring(old._write())) == tostring(new._write()))
    except (TypeError, ValueError, AttributeError):  # read back but not writable as is: redraw
        return False
