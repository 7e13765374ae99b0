"""Applications received: import new form responses and thank each new applicant once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from microintern.config import Backend, ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import in_domain, normalised_address
from microintern.domain.applicants import (
    RESUBMITTED,
    TYPED_EMAIL,
    QuestionColumn,
    answers_by_key,
    application_record,
    identity_keys,
    parse_submitted,
    resubmitted_note,
    submission_count,
)
from microintern.domain.dates import day_text
from microintern.domain.long_answers import (
    EXCEL_CELL_LIMIT,
    GOOGLE_CELL_LIMIT,
    fit_answers,
    utf16_length,
)
from microintern.domain.outbox import DELIVERED, MessageState, message_key
from microintern.domain.records import Record
from microintern.domain.timeline import StepName
from microintern.errors import ConfigError, ConfigProblem
from microintern.steps.application_form import remembered_form_id
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts, applicant_context
from microintern.steps.mailing import Addressed, deliver, held_row, outbox_by_key, valid_address

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


def student_addresses(tabs: Mapping[str, Sequence[Record]],
                      questions: Sequence[QuestionColumn]) -> dict[str, str]:
    """Applicant id -> the student's address in Applications (the verified one, when collected)."""
    addresses: dict[str, str] = {}
    for row in tabs[sheet.APPLICATIONS]:
        applicant = str(row.get(sheet.APPLICANT_ID) or "").strip()
        if applicant:
            addresses[applicant] = answers_by_key(row, questions).get("student_email", "").strip()
    return addresses


def cell_limit(config: ProgramConfig) -> int:
    """The most characters (UTF-16 units) one cell of the program sheet takes on this backend."""
    return GOOGLE_CELL_LIMIT if config.backend is Backend.GOOGLE else EXCEL_CELL_LIMIT


@dataclass
class Intake:
    """New Applications rows, answers fitted to a cell, and the full text of the cut answers.

    A response by a student who already has a row is no new row: it is an entry of ``updates``
    (the applicant id, the latest answers and the :data:`RESUBMITTED` note), written over the
    tool's cells of that row; the coordinator's cells (Decision, Notes) are not among them.
    """

    rows: list[Record] = field(default_factory=list)
    updates: dict[str, Record] = field(default_factory=dict)
    """Resubmissions: applicant id -> the cells to write over that applicant's row."""
    pieces: list[Record] = field(default_factory=list)
    """Long answers rows (keyed ``<applicant id>/<question key>/<part>``)."""
    cut: int = 0
    """How many answers were cut to fit their cell."""
    skipped: list[str] = field(default_factory=list)
    """Responses the form source could not read, by row and field (for StepResult.problems)."""

    def writes(self) -> list[Record]:
        """Every record to upsert into Applications: updates of known rows, then new rows."""
        return [*self.updates.values(), *self.rows]

    def apply(self, rows: list[Record]) -> list[Record]:
        """``rows`` (the tab as read) with the resubmitted answers in place, then the new rows."""
        merged = [{**row, **self.updates.get(str(row.get(sheet.APPLICANT_ID) or ""), {})}
                  for row in rows]
        return merged + self.rows


def import_responses(ctx: StepContext, applications: list[Record], result: StepResult) -> Intake:
    """Add responses not yet in the Applications tab, and merge resubmissions into their rows."""
    intake = new_responses(ctx, applications)
    keep_long_answers(ctx, intake, result)
    if intake.rows or intake.updates:
        ctx.ports.roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, intake.writes())
    result.add("imported", len(intake.rows))
    result.problems.extend(intake.skipped)
    if intake.updates:
        result.add("resubmissions merged into the student's row", len(intake.updates))
    return intake


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
    students = _Students(applications, questions, config)
    added: dict[str, int] = {}  # applicant id -> index in intake.rows, for new rows this run
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
        if config.application.verified_respondents:
            _trust_signed_in_address(record, response.respondent_email, questions)
        earlier = students.find(record)
        if earlier is not None:
            update = students.resubmission(earlier, record)
            if update is None:
                continue  # an older submission read again: its answers were already replaced
            record = update
        fitted = fit_answers(record, questions, limit)
        if earlier is None:
            added[str(fitted.record[sheet.APPLICANT_ID])] = len(intake.rows)
            intake.rows.append(fitted.record)
            students.add(fitted.record)
        elif earlier in added:
            # Both came in this run: the student's one new row holds the latest answers.
            intake.rows[added[earlier]] = {**intake.rows[added[earlier]], **fitted.record}
        else:
            intake.updates[earlier] = fitted.record
        intake.pieces.extend(fitted.pieces)
        intake.cut += len(fitted.cut)
    return intake


def _trust_signed_in_address(record: Record, respondent: str | None,
                             questions: list[QuestionColumn]) -> None:
    """Put the address the form verified in the student email cell; keep a different typed one.

    The signed-in address is the student's own (Google checked it); what they typed may be a
    typo, a guardian's, or a stranger's. Screening flags the difference (``TYPED_EMAIL_DIFFERS``).
    """
    verified = (respondent or "").strip()
    title = next((q.title for q in questions if q.key == "student_email"), None)
    if not verified or title is None:
        return
    typed = str(record.get(title) or "")
    record[title] = verified
    record[TYPED_EMAIL] = typed if normalised_address(typed) != normalised_address(verified) else ""


class _Students:
    """Who already applied: applicant ids by student id and by normalised address."""

    def __init__(self, rows: list[Record], questions: list[QuestionColumn], config: ProgramConfig) -> None:
        self.questions = questions
        self.zone = config.zone
        self.by_key: dict[tuple[str, str], str] = {}
        self.rows: dict[str, Record] = {}
        for row in rows:
            self.add(row)

    def add(self, row: Record) -> None:
        """Know ``row``'s student (the first row of a student keeps the identity)."""
        applicant = str(row.get(sheet.APPLICANT_ID) or "")
        if not applicant:
            return
        self.rows.setdefault(applicant, row)
        for key in identity_keys(answers_by_key(row, self.questions)):
            self.by_key.setdefault(key, applicant)

    def find(self, record: Record) -> str | None:
        """The applicant id of the student who sent ``record`` before, or None (a new student).

        The student id is asked first: it holds even when the student changed their address.
        """
        for key in identity_keys(answers_by_key(record, self.questions)):
            applicant = self.by_key.get(key)
            if applicant is not None:
                return applicant
        return None

    def resubmission(self, applicant: str, record: Record) -> Record | None:
        """The cells a later submission writes over ``applicant``'s row (None for an older one).

        The latest answers win; the applicant id stays, so letters, decisions and keys made for
        it still hold. Compared in whole seconds, as the tab keeps them.
        """
        row = self.rows[applicant]
        before = parse_submitted(row.get(sheet.SUBMITTED), self.zone)
        submitted = str(record.get(sheet.SUBMITTED) or "")
        when = parse_submitted(submitted, self.zone)
        if before is not None and when is not None and when <= before:
            return None
        count = submission_count(row.get(RESUBMITTED)) + 1
        update: Record = {**record, sheet.APPLICANT_ID: applicant,
                          RESUBMITTED: resubmitted_note(count, submitted)}
        # Later responses this run compare with this one; identities it adds link to the row.
        self.rows[applicant] = {**row, **update}
        for key in identity_keys(answers_by_key(record, self.questions)):
            self.by_key.setdefault(key, applicant)
        return update


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


def acknowledgement_ceiling(config: ProgramConfig) -> int:
    """The most "application received" letters one day may send: a share of the daily cap.

    Anyone can submit the public form, so a flood of submissions must not spend the day's
    sending for the letters the program owes (decisions, reminders).
    """
    return max(1, int(config.mail.daily_cap * config.application.ack_daily_share))


def _acknowledged_today(ctx: StepContext, outbox: dict[str, Record]) -> int:
    today = day_text(ctx.now, ctx.config.zone)
    return sum(1 for key, row in outbox.items()
               if f"/{LETTER}/" in key and str(row.get("State") or "") in DELIVERED
               and str(row.get("Updated") or "").startswith(today))


def outside_domain_reason(domain: str) -> str:
    """The Outbox note of an acknowledgement held because its address is not a school one."""
    return (f"not sent: the address is outside {domain}, and the public form must not mail "
            "strangers; check it with the student, fix the student email in Applications, "
            "or send it yourself")


def ceiling_reason(ceiling: int) -> str:
    """The Outbox note of an acknowledgement put off by the daily ceiling."""
    return (f"waiting: {ceiling} acknowledgements a day at most (application.ack_daily_share of "
            "mail.daily_cap); it goes out on the next day's run")


def screen_out(ctx: StepContext, items: list[Addressed], outbox: dict[str, Record],
               result: StepResult) -> list[Addressed]:
    """The acknowledgements that may go out today; the others are held in the Outbox, with why.

    - Where ``program.student_email_domain`` is set, a letter to any other address is held
      (state ``held``, the reason in the Note) and never sent by the tool: otherwise anyone
      could make the district's mailbox write to any address.
    - At most :func:`acknowledgement_ceiling` go out per program day, oldest applicant first;
      the rest wait as ``held`` with the reason, and go out on a later day. Deferred is better
      than held for good: a flood delays real students' letters by a day instead of losing them,
      and nobody has to release them by hand.

    A letter already drafted is always passed on, so its send is confirmed and not repeated.
    """
    domain = ctx.config.program.student_email_domain
    holds: list[Record] = []
    passed: list[Addressed] = []
    waiting: list[Addressed] = []
    for item in items:
        row = outbox.get(item.key)
        state = str(row.get("State") or "") if row else ""
        if state in DELIVERED or (state == MessageState.DRAFTED and row and row.get("Draft ID")):
            passed.append(item)
        elif domain and valid_address(item.to) and not in_domain(item.to, domain):
            # (an address that is not one at all is held by deliver, as not valid)
            reason = outside_domain_reason(domain)
            if not row or state != MessageState.HELD or str(row.get("Note") or "") != reason:
                holds.append(held_row(ctx, item, reason))
                result.problems.append(f"{item.recipient_id}: acknowledgement held (address outside "
                                       "the student email domain)")
        else:
            waiting.append(item)
    ceiling = acknowledgement_ceiling(ctx.config)
    room = max(0, ceiling - _acknowledged_today(ctx, outbox))
    for item in waiting[room:]:
        row = outbox.get(item.key)
        reason = ceiling_reason(ceiling)
        if not row or str(row.get("Note") or "") != reason:
            holds.append(held_row(ctx, item, reason))
    if len(waiting) > room:
        result.add("acknowledgements waiting for tomorrow (daily ceiling)", len(waiting) - room)
    if holds:
        ctx.ports.roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, holds)
    return passed + waiting[:room]


def receive_applications(ctx: StepContext) -> StepResult:
    """Import new responses and send each applicant one acknowledgement, exactly once.

    A student who submits again keeps their one row and gets no second letter.
    """
    result = StepResult()
    tabs = ctx.ports.roster.read_tabs([sheet.APPLICATIONS, sheet.OUTBOX])
    intake = import_responses(ctx, tabs[sheet.APPLICATIONS], result)
    applications = intake.apply(tabs[sheet.APPLICATIONS])
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    items = screen_out(ctx, acknowledgements(ctx, applications), outbox, result)
    deliver(ctx, items, outbox, result)
    return result
