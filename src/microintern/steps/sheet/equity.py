"""The equity figures: applicants and acceptances per group, read from the Applications tab.

Shared by the equity step (which writes the Equity tab) and the program report and Dashboard.
"""

from __future__ import annotations

from microintern.config import QuestionKind
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key
from microintern.domain.decisions import Decision, UnknownDecision, parse_decision
from microintern.domain.equity import DemographicField, EquityReport, Outcome, selection_equity
from microintern.domain.records import Record
from microintern.domain.report import counts_as_applicant
from microintern.steps.context import StepContext
from microintern.steps.sheet.applicants import question_columns

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
