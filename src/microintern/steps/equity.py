"""The equity report: applicants and acceptances per group, from the Applications tab."""

from __future__ import annotations

from microintern.config import QuestionKind
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key
from microintern.domain.decisions import Decision, UnknownDecision, parse_decision
from microintern.domain.equity import (
    DemographicField,
    EquityReport,
    Outcome,
    equity_rows,
    selection_equity,
)
from microintern.domain.records import Cell, Record
from microintern.domain.report import counts_as_applicant
from microintern.steps.applications import question_columns
from microintern.steps.context import StepContext

DECIDED = "the coordinator's decisions"
PROPOSED = "screening's proposals (no decision is made yet)"


def _accepted(row: Record, column: str) -> bool:
    try:
        return parse_decision(row.get(column)) is Decision.ACCEPT
    except UnknownDecision:
        return False


def equity_report(ctx: StepContext) -> tuple[EquityReport, str]:
    """The report over ``equity.fields``, and which decisions it counts as accepted.

    Once any Decision is made the coordinator's decisions count; before that, the proposals.
    """
    config = ctx.config
    # The funnel's applicants: a superseded duplicate is not a second applicant.
    rows = [r for r in ctx.ports.roster.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
            if counts_as_applicant(r)]
    decided = any(r.get(sheet.DECISION) not in (None, "") for r in rows)
    column, basis = (sheet.DECISION, DECIDED) if decided else (sheet.PROPOSED_DECISION, PROPOSED)
    questions = question_columns(config)
    outcomes = [Outcome(answers_by_key(r, questions), _accepted(r, column)) for r in rows]
    by_key = {q.key: q for q in config.application.questions}
    fields = [
        DemographicField(key, by_key[key].title, tuple(by_key[key].options),
                         by_key[key].kind is QuestionKind.CHECKBOXES, config.equity.enrollment.get(key))
        for key in config.equity.fields
    ]
    report = selection_equity(outcomes, fields, threshold=config.equity.threshold,
                              min_group_size=config.equity.min_group_size)
    return report, basis


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
