"""The Dashboard tab: the report's figures and native charts, kept fresh by the daily run.

Shared by the daily run (:mod:`microintern.steps.runner`) and ``microintern report``
(:mod:`microintern.steps.report`), which both read the figures here and write the tab.

Light on purpose (no chart or PDF libraries): ``run-due`` updates the Dashboard every morning,
while the report's files are written on request by ``microintern report``
(:mod:`microintern.steps.report`). Counts only: the Dashboard never names a student, since
everyone who opens the sheet sees it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import pairwise

from microintern.domain import program_sheet as sheet
from microintern.domain.records import Cell, ChartSpec, Record
from microintern.domain.report import (
    FIGURE,
    TABS,
    UPDATED,
    VALUE,
    ProgramReport,
    build_report,
    dashboard_charts,
    dashboard_rows,
)
from microintern.domain.sheet_rules import SheetRules
from microintern.ports import Roster, UpsertResult
from microintern.steps.context import StepContext, StepResult
from microintern.steps.sheet.equity import equity_report


class _ReadOnce:
    """A roster that answers reads from tabs already read (writes go to the real one)."""

    def __init__(self, real: Roster, tabs: Mapping[str, list[Record]]) -> None:
        self._real = real
        self._tabs = tabs

    def read_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """The tabs read before; any other tab from the real roster."""
        missing = [t for t in tabs if t not in self._tabs]
        found = self._real.read_tabs(missing) if missing else {}
        return {t: [dict(r) for r in self._tabs[t]] if t in self._tabs else found[t] for t in tabs}

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Delegated."""
        self._real.ensure_tabs(layout)

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Delegated."""
        return self._real.upsert(tab, key_column, rows)

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Delegated."""
        return self._real.clear_unkeyed(tab, key_column, columns)

    def apply_rules(self, rules: SheetRules) -> None:
        """Delegated."""
        self._real.apply_rules(rules)

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Delegated."""
        self._real.ensure_charts(tab, charts)


def program_report(ctx: StepContext, *, include_names: bool = False) -> ProgramReport:
    """Every figure of the report, from one read of the tabs it needs."""
    tabs = ctx.ports.roster.read_tabs(list(TABS))
    equity, basis = None, ""
    if ctx.config.equity.fields:
        # The equity report reads the Applications tab: answer it from the read above.
        once = replace(ctx, ports=replace(ctx.ports, roster=_ReadOnce(ctx.ports.roster, tabs)))
        equity, basis = equity_report(once)
    return build_report(ctx.config, tabs, now=ctx.now, equity=equity, equity_basis=basis,
                        include_names=include_names)


def update_dashboard(ctx: StepContext, report: ProgramReport) -> StepResult:
    """One upsert of the Dashboard's figures, then its native charts (no names, ever)."""
    if report.includes_names:
        report = replace(report, students=None)
    result = StepResult()
    rows = dashboard_rows(report)
    # The daily run finds most mornings nothing new: then only the "updated" stamp would change,
    # and the sheet (and its charts) are left as they are.
    # (A sorted tab is rewritten all the same: the charts follow the rows by position.)
    current = ctx.ports.roster.read_tabs([sheet.DASHBOARD])[sheet.DASHBOARD]
    shown = {str(r.get(FIGURE)): r.get(VALUE) for r in current}
    wanted = [str(r[FIGURE]) for r in rows]
    if as_written(wanted, [str(r.get(FIGURE)) for r in current]) and all(
            _same(shown.get(str(r[FIGURE])), r[VALUE]) for r in rows if r[FIGURE] != UPDATED):
        result.add("dashboard unchanged")
        return result
    written = ctx.ports.roster.upsert(sheet.DASHBOARD, FIGURE, rows)
    charts = dashboard_charts(report)
    ctx.ports.roster.ensure_charts(sheet.DASHBOARD, charts)
    result.add("dashboard figures", written.updated + written.appended)
    result.add("dashboard charts", len(charts))
    return result


def as_written(wanted: Sequence[str], shown: Sequence[str]) -> bool:
    """Whether the tab shows every wanted figure in an order our own writes leave, not a sort.

    A figure added by a newer version is appended at the bottom of an existing Dashboard, after
    the figures that were there, so the order our writes leave is the wanted order, or two runs
    of it: the figures that were there, then the ones added. Anything else is a person's sort,
    and the charts (which point at rows by position) are drawn again.
    """
    place = {figure: index for index, figure in enumerate(wanted)}
    order = [place[figure] for figure in shown if figure in place]
    if sorted(order) != list(range(len(wanted))):
        return False  # a figure is missing or shown twice
    descents = sum(1 for before, after in pairwise(order) if after < before)
    return descents <= 1


def _same(shown: Cell, value: Cell) -> bool:
    """A cell as read back equals the value written (blank reads as None, 3 may read as 3.0)."""
    return (shown if shown is not None else "") == (value if value is not None else "")
