"""Decision letters: acceptance, waitlist or denial, from the coordinator's Decision column.

Proposals from screening never send anything; only a Decision the coordinator chose does. Each
letter's key carries the letter, so a student moved from the waitlist to Accept gets the
acceptance too, and each letter goes out at most once.
"""

from __future__ import annotations

from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key, family_language, parse_submitted, student_language
from microintern.domain.decisions import (
    LETTER_OF,
    Decision,
    UnknownDecision,
    Waiting,
    parse_decision,
    waitlist_positions,
)
from microintern.domain.outbox import message_key
from microintern.domain.records import Record
from microintern.domain.timeline import StepName
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts, applicant_context
from microintern.steps.mailing import Addressed, deliver, guardian_copy, outbox_by_key
from microintern.steps.sheet.applicants import question_columns


def _score(row: Record) -> float | None:
    value = row.get(sheet.SCORE)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def decision_letters(ctx: StepContext, applications: list[Record], result: StepResult) -> list[Addressed]:
    """One letter per decided applicant; undecided rows wait, unreadable ones are reported."""
    config = ctx.config
    questions = question_columns(config)
    shared = ProgramContexts(config)
    decided: list[tuple[Record, Decision]] = []
    for row in applications:
        applicant = str(row.get(sheet.APPLICANT_ID) or "")
        if not applicant:
            continue
        try:
            decision = parse_decision(row.get(sheet.DECISION))
        except UnknownDecision as exc:
            result.problems.append(f"Applications row {applicant}, {sheet.DECISION}: {exc}")
            continue
        if decision is not None:
            decided.append((row, decision))
    places = waitlist_positions([
        Waiting(str(row[sheet.APPLICANT_ID]), _score(row),
                parse_submitted(row.get(sheet.SUBMITTED), config.zone))
        for row, decision in decided if decision is Decision.WAITLIST
    ])
    items: list[Addressed] = []
    for row, decision in decided:
        applicant = str(row[sheet.APPLICANT_ID])
        answers = answers_by_key(row, questions)
        letter = LETTER_OF[decision]
        language = student_language(row, config.program.default_language)
        family = family_language(row, config.program.default_language)
        context = {**shared(language), "applicant": applicant_context(row, questions)}
        if decision is Decision.WAITLIST:
            context["outcome"] = {"waitlist_position": places.get(applicant)}
        # A family that reads another language gets the letter in its own (mailing.split_for_family).
        family_context = {**context, **shared(family)}
        items.append(Addressed(
            key=message_key(config.program.id, letter, applicant),
            step=StepName.DECISIONS.value,
            recipient_id=applicant,
            to=answers.get("student_email", "").strip(),
            letter=letter,
            language=language,
            context=context,
            cc=guardian_copy(ctx, answers.get("guardian_email", "").strip()),
            family_language=family,
            family_context=family_context,
        ))
    return items


def send_decisions(ctx: StepContext) -> StepResult:
    """Send each decided applicant their letter, exactly once per letter."""
    result = StepResult()
    tabs = ctx.ports.roster.read_tabs([sheet.APPLICATIONS, sheet.OUTBOX])
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    items = decision_letters(ctx, tabs[sheet.APPLICATIONS], result)
    deliver(ctx, items, outbox, result)
    return result
