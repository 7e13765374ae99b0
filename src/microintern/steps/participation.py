"""Registration (T-4w) and release forms (T-3w): links out, returns in, reminders until returned.

Each placed student gets a registration link with their applicant id filled in; each family
gets the release and consent form in its language, also prefilled. Every run reads the returns
back into the Participants tab (Registered, Release returned, the three permissions, Missing),
so the coordinator sees who still owes what, and sends the next reminder to whoever is late:
every ``reminder_every_days`` after the first letter, at most ``max_reminders`` times. Every
letter has its own key, so a run repeated any number of times sends each one once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import FormSpec
from microintern.domain.outbox import message_key
from microintern.domain.participation import (
    APPLICANT_KEY,
    ATTENDING_KEY,
    ATTENDING_NO,
    NO,
    ReminderPlan,
    Stage,
    missing_items,
    registration_spec,
    release_spec,
    yes_no,
)
from microintern.domain.problems import Problem
from microintern.domain.records import Record
from microintern.domain.sessions import text
from microintern.domain.timeline import StepName
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts, day_in
from microintern.steps.mailing import Addressed, deliver, guardian_copy, outbox_by_key
from microintern.steps.program_forms import (
    Answers,
    ensure_forms,
    languages_with_text,
    latest_by,
    link_in,
    prefilled_link,
    read_answers,
    read_answers_in,
)
from microintern.steps.sheet.outbox import sent_on
from microintern.steps.sheet.participants import Seated, letter_waits, seated_students

SEATED, DECLINED = sheet.SEATED, sheet.DECLINED

_STAMP = "%Y-%m-%d"


def skipped_rows(ctx: StepContext, form: str, result: StepResult) -> None:
    """Name each response the form source just left out (row and field, never its content)."""
    for error in ctx.ports.surveys.problems:
        result.problem(Problem(
            str(getattr(error, "row", "") or "-"), f"{form} response skipped",
            str(getattr(error, "reason", "") or error),
            f"fix that response (field {getattr(error, 'field', '?')!r}) in the form's responses; "
            "the next run reads it"))


def _due(config: ProgramConfig, session_id: str, days_before: int) -> date:
    return config.session(session_id).meeting_starts()[0].date() - timedelta(days=days_before)


def _reminders_sent(outbox: Mapping[str, Record], config: ProgramConfig, letter: str, applicant: str,
                    session: str, limit: int) -> int:
    return sum(1 for n in range(1, limit + 1)
               if sent_on(outbox, message_key(config.program.id, f"{letter}-{n}", applicant, session)))


def _received(answers: Answers, config: ProgramConfig) -> str:
    return answers.submitted_at.astimezone(config.zone).strftime(_STAMP)


class _Letters:
    """Builds a step's letters: the first one, then reminders as they fall due."""

    def __init__(self, ctx: StepContext, outbox: Mapping[str, Record], plan: ReminderPlan) -> None:
        self.ctx, self.outbox, self.plan = ctx, outbox, plan
        self.today = ctx.now.astimezone(ctx.config.zone).date()
        self.program = ProgramContexts(ctx.config)

    def next_letter(self, student: Seated, step: StepName, letter: str, reminder: str, to: str,
                    context: dict[str, Any], due: date, cc: tuple[str, ...] = (), *,
                    language: str | None = None,
                    family_context: dict[str, Any] | None = None) -> Addressed | None:
        """The first letter if not yet delivered, else the reminder due today, else None.

        ``language`` is the reader's (the student's own when None). A Cc'd family that reads
        another language gets its own message (``family_context``: the step's part of the
        context in the family's language; ``context`` when None).
        """
        config = self.ctx.config
        language = language or student.language
        family = student.family_reads
        first_key = message_key(config.program.id, letter, student.applicant_id, student.session_id)
        first_sent = sent_on(self.outbox, first_key)

        def full(reader: str, extra: Mapping[str, Any], dated: dict[str, Any]) -> dict[str, Any]:
            return {**self.program(reader), "applicant": dict(student.applicant), **extra, **dated}

        def addressed(key: str, name: str, dated: Any) -> Addressed:
            return Addressed(key, step.value, student.applicant_id, to, name, language,
                             full(language, context, dated(language)), cc=cc,
                             family_language=family if cc else "",
                             family_context=full(family, family_context or context, dated(family))
                             if cc else None)

        if first_sent is None:
            return addressed(first_key, letter, lambda reader: {"due": day_in(due, reader)})
        sent = _reminders_sent(self.outbox, config, reminder, student.applicant_id, student.session_id,
                               self.plan.limit)
        number = self.plan.due_number(first_sent, self.today, sent)
        if number is None:
            return None
        key = message_key(config.program.id, f"{reminder}-{number}", student.applicant_id,
                          student.session_id)
        return addressed(key, reminder,
                         lambda reader: {"reminder": {"number": number, "due": day_in(due, reader)}})


def _still_missing(letters: _Letters, student: Seated, letter: str, label: str,
                   result: StepResult) -> None:
    """Name a form still missing after the letter and every reminder: mail has done its part."""
    config = letters.ctx.config
    sent = _reminders_sent(letters.outbox, config, f"{letter}_reminder", student.applicant_id,
                           student.session_id, letters.plan.limit)
    if not letters.plan.limit or sent < letters.plan.limit:
        return
    problem = Problem(
        student.applicant_id, f"{label} still missing",
        f"not returned after the first letter and {sent} reminder(s); no more reminders go",
        "contact the student or family directly (phone, counselor); the seat is kept")
    last = sent_on(letters.outbox, message_key(config.program.id, f"{letter}_reminder-{sent}",
                                                student.applicant_id, student.session_id))
    # Told on the day the next reminder would have gone; kept open in the Problems tab after.
    if last is not None and letters.today == last + timedelta(days=letters.plan.every_days):
        result.problem(problem)
    else:
        result.ongoing(problem)


def _changed(before: Record, after: Record) -> bool:
    return any(text(before.get(k)) != text(v) for k, v in after.items())


def _missing(row: Record, update: Record) -> str:
    merged = {**row, **update}
    return missing_items(text(merged.get(sheet.REGISTERED)), text(merged.get(sheet.RELEASE_RETURNED)))


def register_students(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Send registration links, read registrations back, remind students who have not registered."""
    config = ctx.config
    result = StepResult()
    tabs = ctx.ports.roster.read_tabs([sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.OUTBOX])
    # One form per language; a student registers on the one in the language of their letters.
    # A form per language with a registration form file, the default's first: a family reading
    # another language is linked the default's (link_in), no form of English text under its name.
    specs = {language: registration_spec(config, language)
             for language in languages_with_text(config, config.form_texts.languages("registration"))}
    forms = ensure_forms(ctx, specs)
    returns = latest_by(read_answers_in(ctx, specs, forms), APPLICANT_KEY)
    skipped_rows(ctx, "registration form", result)
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    letters = _Letters(ctx, outbox, ReminderPlan(config.registration.reminder_every_days,
                                                 config.registration.max_reminders))
    items: list[Addressed] = []
    updates: list[Record] = []
    students = seated_students(config, tabs, session_ids)
    for student in students:
        returned = returns.get(student.applicant_id)
        update: Record = {sheet.APPLICANT_ID: student.applicant_id}
        if returned is not None:
            update[sheet.REGISTERED] = _received(returned, config)
            if returned.by_key.get(ATTENDING_KEY, "").strip() == ATTENDING_NO:
                update[sheet.PLACEMENT] = DECLINED
                update[sheet.PLACEMENT_REASON] = "the student declined on the registration form"
                result.add("declined")
        elif (waits := letter_waits(config, student, outbox, Stage.REGISTRATION,
                                    "registration link")) is not None:
            result.problem(waits)
            result.add("waiting for an earlier letter")
        else:
            link = link_in(student.language, specs, forms, {APPLICANT_KEY: student.applicant_id})
            family_link = link_in(student.family_reads, specs, forms, {APPLICANT_KEY: student.applicant_id})
            item = letters.next_letter(
                student, StepName.REGISTRATION, "registration", "registration_reminder",
                student.student_email,
                {"links": {"registration": link}},
                _due(config, student.session_id, config.registration.due_days_before),
                cc=guardian_copy(ctx, student.guardian_email),
                family_context={"links": {"registration": family_link}})
            if item is not None:
                items.append(item)
            else:
                _still_missing(letters, student, "registration", "registration", result)
        update[sheet.MISSING] = _missing(student.participant, update)
        if _changed(student.participant, update):
            updates.append(update)
    result.add("registered", sum(1 for s in students if s.applicant_id in returns))
    deliver(ctx, items, outbox, result)
    if updates:
        ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, updates)
    return result


def release_returns(ctx: StepContext, specs: Mapping[str, FormSpec],
                    form_ids: Mapping[str, str], result: StepResult | None = None) -> dict[str, Answers]:
    """The latest release form per applicant id, across every language's form.

    With ``result``, each response a form source left out is named in it.
    """
    merged: list[Answers] = []
    for language, spec in specs.items():
        merged.extend(read_answers(ctx, spec, form_ids[language]))
        if result is not None:
            skipped_rows(ctx, f"release form ({language})", result)
    merged.sort(key=lambda a: a.submitted_at)
    return latest_by(merged, APPLICANT_KEY)


def collect_release_forms(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Send release forms to families, read them back, remind families whose form is missing."""
    config = ctx.config
    result = StepResult()
    tabs = ctx.ports.roster.read_tabs([sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.OUTBOX])
    students = seated_students(config, tabs, session_ids)
    # The default language's form first: a family reading a language without a release form file
    # gets it.
    languages = languages_with_text(config, config.form_texts.languages("release"))
    specs = {lang: release_spec(config, lang) for lang in languages}
    forms = ensure_forms(ctx, specs)  # the Settings tab read once for every language's form
    returns = release_returns(ctx, specs, {lang: f.form_id for lang, f in forms.items()}, result)
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    letters = _Letters(ctx, outbox, ReminderPlan(config.release_form.reminder_every_days,
                                                 config.release_form.max_reminders))
    items: list[Addressed] = []
    updates: list[Record] = []
    for student in students:
        returned = returns.get(student.applicant_id)
        update: Record = {sheet.APPLICANT_ID: student.applicant_id}
        if returned is not None:
            update[sheet.RELEASE_RETURNED] = _received(returned, config)
            update[sheet.PARTICIPATION_ALLOWED] = yes_no(returned.by_key.get("participation", ""))
            update[sheet.RECORDING_ALLOWED] = yes_no(returned.by_key.get("recording", ""))
            update[sheet.MEDIA_ALLOWED] = yes_no(returned.by_key.get("media", ""))
            result.add("returned")
            if update[sheet.PARTICIPATION_ALLOWED] == NO:
                update[sheet.PLACEMENT] = DECLINED
                update[sheet.PLACEMENT_REASON] = "the release form does not allow participation"
                result.add("participation not allowed")
        elif (waits := letter_waits(config, student, outbox, Stage.RELEASE,
                                    "release form")) is not None:
            result.problem(waits)
            result.add("waiting for an earlier letter")
        else:
            # The family's letter: in the family's language, with the form in it.
            language = student.family_reads if student.family_reads in forms else languages[0]
            link = prefilled_link(forms[language].responder_uri, specs[language],
                                  {APPLICANT_KEY: student.applicant_id})
            item = letters.next_letter(
                student, StepName.RELEASE_FORMS, "release_form", "release_form_reminder",
                student.guardian_email,
                {"guardian": {"name": student.guardian_name}, "links": {"release_form": link}},
                _due(config, student.session_id, config.release_form.due_days_before),
                language=student.family_reads)
            if item is not None:
                items.append(item)
            else:
                _still_missing(letters, student, "release_form", "release form", result)
        update[sheet.MISSING] = _missing(student.participant, update)
        if _changed(student.participant, update):
            updates.append(update)
    deliver(ctx, items, outbox, result)
    if updates:
        ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, updates)
    return result
