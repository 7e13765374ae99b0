"""The Applications tab: the questions as columns, the students' addresses, and intake.

Intake turns new form responses into Applications rows (one row per student: a resubmission
updates that student's row); the applications step writes them, screening scores them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import normalised_address
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
from microintern.domain.long_answers import fit_answers
from microintern.domain.mime import normalize_addr_spec
from microintern.domain.records import Record
from microintern.domain.sessions import text
from microintern.errors import ConfigError, ConfigProblem
from microintern.steps.context import StepContext
from microintern.steps.sheet.long_answers import Intake, cell_limit
from microintern.steps.sheet.settings import remembered_form_id


def question_columns(config: ProgramConfig) -> list[QuestionColumn]:
    """The application questions as (key, column title) pairs."""
    return [QuestionColumn(q.key, q.title) for q in config.application.questions]


def student_addresses(tabs: Mapping[str, Sequence[Record]],
                      questions: Sequence[QuestionColumn]) -> dict[str, str]:
    """Applicant id -> the student's address in Applications (the verified one, when collected)."""
    addresses: dict[str, str] = {}
    for row in tabs[sheet.APPLICATIONS]:
        applicant = str(row.get(sheet.APPLICANT_ID) or "").strip()
        if applicant:
            addresses[applicant] = answers_by_key(row, questions).get("student_email", "").strip()
    return addresses


def school_addresses(config: ProgramConfig, applications: Sequence[Record]) -> dict[str, str]:
    """Each applicant's school address (``student_email``), by applicant id; unusable ones left out.

    Unlike :func:`student_addresses`, each address is normalised (an address that cannot be one
    is left out): these are matched against calendar guests and meeting participants.
    """
    questions = question_columns(config)
    found: dict[str, str] = {}
    for row in applications:
        applicant = text(row.get(sheet.APPLICANT_ID))
        address = answers_by_key(row, questions).get("student_email", "").strip()
        if not applicant or not address:
            continue
        try:
            found[applicant] = normalize_addr_spec(address, "student_email")
        except ValueError:
            continue
    return found


def _since(rows: list[Record], ctx: StepContext) -> datetime | None:
    times = [parse_submitted(r.get(sheet.SUBMITTED), ctx.config.zone) for r in rows]
    known = [t for t in times if t is not None]
    # One second back: the tab keeps whole seconds; duplicates are dropped by response id.
    return max(known) - timedelta(seconds=1) if known else None


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
            languages=config.program.languages,
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
