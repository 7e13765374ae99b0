"""Applications received: import new form responses and thank each new applicant once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from microintern.config import Backend, ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import (
    QuestionColumn,
    answers_by_key,
    application_record,
    parse_submitted,
)
from microintern.domain.long_answers import (
    EXCEL_CELL_LIMIT,
    GOOGLE_CELL_LIMIT,
    fit_answers,
    utf16_length,
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

# Long answers go to the sheet in upserts of at most this many characters, so that no request
# nears Sheets' 10 MB payload limit (4 bytes of UTF-8 per 2 UTF-16 units at worst, plus JSON).
PIECES_PER_WRITE_UNITS = 2_000_000


def question_columns(config: ProgramConfig) -> list[QuestionColumn]:
    """The application questions as (key, column title) pairs."""
    return [QuestionColumn(q.key, q.title) for q in config.application.questions]


def _since(rows: list[Record], ctx: StepContext) -> datetime | None:
    times = [parse_submitted(r.get(sheet.SUBMITTED), ctx.config.zone) for r in rows]
    known = [t for t in times if t is not None]
    # One second back: the tab keeps whole seconds; duplicates are dropped by response id.
    return max(known) - timedelta(seconds=1) if known else None


def cell_limit(config: ProgramConfig) -> int:
    """The most characters (UTF-16 units) one cell of the program sheet takes on this backend."""
    return GOOGLE_CELL_LIMIT if config.backend is Backend.GOOGLE else EXCEL_CELL_LIMIT


@dataclass
class Intake:
    """New Applications rows, answers fitted to a cell, and the full text of the cut answers."""

    rows: list[Record] = field(default_factory=list)
    pieces: list[Record] = field(default_factory=list)
    """Long answers rows (keyed ``<applicant id>/<question key>/<part>``)."""
    cut: int = 0
    """How many answers were cut to fit their cell."""
    skipped: list[str] = field(default_factory=list)
    """Responses the form source could not read, by row and field (for StepResult.problems)."""


def import_responses(ctx: StepContext, applications: list[Record], result: StepResult) -> list[Record]:
    """Add responses not yet in the Applications tab; return the new rows."""
    intake = new_responses(ctx, applications)
    keep_long_answers(ctx, intake, result)
    if intake.rows:
        ctx.ports.roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, intake.rows)
    result.add("imported", len(intake.rows))
    result.problems.extend(intake.skipped)
    return intake.rows


def keep_long_answers(ctx: StepContext, intake: Intake, result: StepResult) -> None:
    """Write the full text of cut answers to the Long answers tab (before the rows naming it).

    Written first so that a cell's marker never names text that is not there; keyed, so a rerun
    after a failed Applications write updates the same rows instead of adding copies.
    """
    if not intake.pieces:
        return
    batch: list[Record] = []
    size = 0
    for piece in intake.pieces:
        units = utf16_length(str(piece[sheet.LONG_ANSWER_TEXT]))
        if batch and size + units > PIECES_PER_WRITE_UNITS:
            ctx.ports.roster.upsert(sheet.LONG_ANSWERS, sheet.LONG_ANSWER_KEY, batch)
            batch, size = [], 0
        batch.append(piece)
        size += units
    ctx.ports.roster.upsert(sheet.LONG_ANSWERS, sheet.LONG_ANSWER_KEY, batch)
    result.add("answers cut to fit a cell (full text in Long answers)", intake.cut)


def new_responses(ctx: StepContext, applications: list[Record]) -> Intake:
    """Applications rows for responses not yet in the tab (nothing is written).

    Every answer is fitted to the backend's cell limit: one very long answer must not make the
    Applications write fail for every applicant.
    """
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
    limit = cell_limit(config)
    intake = Intake()
    # A response that could not be read was left out by the source; the others come in.
    intake.skipped = [f"{problem}; left out until it is fixed" for problem in ctx.ports.forms.problems]
    for response in responses:
        if response.response_id in known:
            continue
        known.add(response.response_id)
        record = application_record(
            response,
            form_id=form_id,
            questions=questions,
            zone=config.zone,
            default_language=config.program.default_language,
        )
        fitted = fit_answers(record, questions, limit)
        intake.rows.append(fitted.record)
        intake.pieces.extend(fitted.pieces)
        intake.cut += len(fitted.cut)
    return intake


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
