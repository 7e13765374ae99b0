"""Applications received: import new form responses and thank each new applicant once."""

from __future__ import annotations

from datetime import datetime, timedelta

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import (
    QuestionColumn,
    answers_by_key,
    application_record,
    parse_submitted,
)
from microintern.domain.outbox import message_key
from microintern.domain.records import Record
from microintern.domain.timeline import StepName
from microintern.errors import ConfigError, ConfigProblem
from microintern.steps.application_form import remembered_form_id
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts, applicant_context
from microintern.steps.mailing import Addressed, deliver, outbox_by_key

LETTER = "application_received"


def question_columns(config: ProgramConfig) -> list[QuestionColumn]:
    """The application questions as (key, column title) pairs."""
    return [QuestionColumn(q.key, q.title) for q in config.application.questions]


def _since(rows: list[Record], ctx: StepContext) -> datetime | None:
    times = [parse_submitted(r.get(sheet.SUBMITTED), ctx.config.zone) for r in rows]
    known = [t for t in times if t is not None]
    # One second back: the tab keeps whole seconds; duplicates are dropped by response id.
    return max(known) - timedelta(seconds=1) if known else None


def import_responses(ctx: StepContext, applications: list[Record], result: StepResult) -> list[Record]:
    """Add responses not yet in the Applications tab; return the new rows."""
    new_rows = new_responses(ctx, applications)
    if new_rows:
        ctx.ports.roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, new_rows)
    result.add("imported", len(new_rows))
    return new_rows


def new_responses(ctx: StepContext, applications: list[Record]) -> list[Record]:
    """Applications rows for responses not yet in the tab (nothing is written)."""
    config = ctx.config
    # The config's id, else the one `microintern form` remembered in the Settings tab.
    form_id = ctx.application_form_id or remembered_form_id(ctx.ports.roster)
    if not form_id:
        raise ConfigError("config", [ConfigProblem(
            "google.application_form_id",
            "the id of the student application form (or run `microintern form` to create it)", "nothing")])
    known = {str(r.get(sheet.RESPONSE_ID)) for r in applications if r.get(sheet.RESPONSE_ID)}
    responses = ctx.ports.forms.fetch_responses(form_id, _since(applications, ctx))
    questions = question_columns(config)
    new_rows: list[Record] = []
    for response in responses:
        if response.response_id in known:
            continue
        known.add(response.response_id)
        new_rows.append(
            application_record(
                response,
                form_id=form_id,
                questions=questions,
                zone=config.zone,
                default_language=config.program.default_language,
            )
        )
    return new_rows


def acknowledgements(ctx: StepContext, applications: list[Record]) -> list[Addressed]:
    """One "application received" letter per applicant, addressed to the student."""
    config = ctx.config
    questions = question_columns(config)
    shared = ProgramContexts(config)
    items: list[Addressed] = []
    for row in applications:
        applicant = str(row.get(sheet.APPLICANT_ID) or "")
        if not applicant:
            continue
        answers = answers_by_key(row, questions)
        language = str(row.get(sheet.LANGUAGE) or config.program.default_language)
        context = {**shared(language), "applicant": applicant_context(row, questions)}
        items.append(
            Addressed(
                key=message_key(config.program.id, LETTER, applicant),
                step=StepName.APPLICATIONS.value,
                recipient_id=applicant,
                to=answers.get("student_email", "").strip(),
                letter=LETTER,
                language=language,
                context=context,
            )
        )
    return items


def receive_applications(ctx: StepContext) -> StepResult:
    """Import new responses and send each applicant one acknowledgement, exactly once."""
    result = StepResult()
    tabs = ctx.ports.roster.read_tabs([sheet.APPLICATIONS, sheet.OUTBOX])
    applications = tabs[sheet.APPLICATIONS]
    applications = applications + import_responses(ctx, applications, result)
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    deliver(ctx, acknowledgements(ctx, applications), outbox, result)
    return result
