"""The equity report: applicants and acceptances per group, from the Applications tab.

The figures are read by :func:`~microintern.steps.sheet.equity.equity_report` (the program
report and the Dashboard use them too); this step writes them to the Equity tab.
"""

from __future__ import annotations

from microintern.domain import program_sheet as sheet
from microintern.domain.equity import EquityReport, equity_rows
from microintern.domain.records import Cell
from microintern.steps.context import StepContext
from microintern.steps.sheet.equity import equity_report

__all__ = ["equity_report", "write_equity_tab"]


def write_equity_tab(ctx: StepContext, report: EquityReport, basis: str) -> int:
    """Write the report to the Equity tab (one row per question and group); return rows written.

    Only rows whose cells differ from what the tab shows are written: an unchanged report makes
    no write at all (the tab is read first, one call).
    """
    rows = [{sheet.EQUITY_KEY: f"{r['Question']} / {r['Group']}", **r, "Counted": basis}
            for r in equity_rows(report)]
    if not rows:
        return 0
    shown = {str(r.get(sheet.EQUITY_KEY)): r
             for r in ctx.ports.roster.read_tabs([sheet.EQUITY])[sheet.EQUITY]}
    changed = [row for row in rows
               if not all(_same(shown.get(str(row[sheet.EQUITY_KEY]), {}).get(k), v)
                          for k, v in row.items())]
    if changed:
        ctx.ports.roster.upsert(sheet.EQUITY, sheet.EQUITY_KEY, changed)
    return len(changed)


def _same(shown: Cell, value: Cell) -> bool:
    """A cell as read back equals the value written (blank reads as None, 3 may read as 3.0)."""
    if isinstance(shown, int | float) and isinstance(value, int | float) and not isinstance(
            shown, bool) and not isinstance(value, bool):
        return float(shown) == float(value)
    return (shown if shown is not None else "") == (value if value is not None else "")
