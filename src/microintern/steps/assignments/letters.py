"""The assignments' letters: given, reminder and feedback to the student, and to the partner
and teacher the hand-ins still waiting for feedback. Each exactly once per Outbox key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from microintern.config import ProgramConfig, Session, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import (
    ASSIGNMENT_KEY,
    STUDENT_KEY,
    Dated,
    Waiting,
    given_due,
    letter_step,
    option_label,
    parse_rating,
    partner_reminder_due,
    reminder_due,
    waiting_for_feedback,
)
from microintern.domain.sessions import SessionPlan, text
from microintern.domain.timeline import StepName
from microintern.errors import RowError
from microintern.steps.assignments.state import Run
from microintern.steps.letter_context import (
    day_in,
    long_day,
    partner_letter_language,
    partner_of,
    session_context,
)
from microintern.steps.mailing import Addressed, guardian_copy
from microintern.steps.program_forms import link_in
from microintern.steps.sheet.outbox import sent_on
from microintern.steps.sheet.participants import Seated

GIVEN = "assignment_given"
REMINDER = "assignment_reminder"
FEEDBACK = "assignment_feedback"
PARTNER_REMINDER = "partner_feedback_reminder"


def assignment_context(config: ProgramConfig, session: Session, plan: SessionPlan, item: Dated,
                       language: str) -> dict[str, object]:
    """The ``assignment`` of a student's assignment letter in ``language``."""
    return {
        "id": item.assignment.id,
        # The config's text in the letter's language (the Assignments tab keeps the default's).
        "title": text_in(item.assignment.title, language),
        "instructions": text_in(item.assignment.instructions, language),
        "due": day_in(item.due, language),
        # The Sessions tab holds the default language's title; a title the coordinator changed
        # there wins, otherwise the config gives the title in the letter's language.
        "session_title": (plan.title if plan.title and plan.title != str(session.title)
                          else text_in(session.title, language)),
        "partner_organization": text_in(partner_of(config, session).organization, language),
        "final_project": item.assignment.final_project,
    }


def student_letters(run: Run, session: Session, plan: SessionPlan, student: Seated, item: Dated,
                     row_key: str, folder_link: str, handed_in: bool) -> None:
    """Queue the student's letters about one assignment: given, reminder, feedback (each once)."""
    config = run.config
    aid = item.assignment.id
    # The student reads their own language, the family its own: a family that reads another
    # gets its own message (mailing.split_for_family), with the hand-in form in its language.
    language, family = student.language, student.family_reads
    base = {reader: {**run.program(reader), "applicant": dict(student.applicant),
                     "assignment": assignment_context(config, session, plan, item, reader)}
            for reader in {language, family}}
    cc = guardian_copy(run.ctx, student.guardian_email)
    step = StepName.ASSIGNMENTS.value

    def letter(name: str, extra: Callable[[str], dict[str, object]]) -> Addressed:
        return Addressed(run.key(letter_step(name, aid), student.applicant_id, session.id), step,
                         student.applicant_id, student.student_email, name, language,
                         {**base[language], **extra(language)}, cc=cc,
                         family_language=family, family_context={**base[family], **extra(family)})

    given_key = run.key(letter_step(GIVEN, aid), student.applicant_id, session.id)
    if folder_link:
        def links(reader: str) -> dict[str, object]:
            return {"links": {"hand_in": link_in(reader, run.specs, run.forms, {
                STUDENT_KEY: student.applicant_id, ASSIGNMENT_KEY: option_label(run.options, aid)}),
                "folder": folder_link}}

        if run.fresh(given_key) and given_due(item, run.today):
            run.items.append(letter(GIVEN, links))
            run.result.add("assignments given")
        reminder_key = run.key(letter_step(REMINDER, aid), student.applicant_id, session.id)
        if run.fresh(reminder_key) and reminder_due(item, run.today, config.assignment.student_reminder_days,
                                                     handed_in, sent_on(run.outbox, given_key)):
            run.items.append(letter(REMINDER, links))
            run.result.add("reminders")

    row = {**run.rows.get(row_key, {}), **run.updates.get(row_key, {})}
    feedback = text(run.rows.get(row_key, {}).get(sheet.PARTNER_FEEDBACK))
    feedback_key = run.key(letter_step(FEEDBACK, aid), student.applicant_id, session.id)
    if not feedback:
        return
    run.feedback_keys[feedback_key] = row_key
    if not run.fresh(feedback_key) or text(row.get(sheet.FEEDBACK_SENT)):
        return
    try:
        rating = parse_rating(run.rows.get(row_key, {}).get(sheet.PARTNER_RATING), row_key)
    except RowError as exc:
        run.result.problems.append(f"{exc}; the feedback waits until it is fixed")
        return
    # The partner's words and rating as written, in either language's letter.
    run.items.append(letter(FEEDBACK, lambda _: {"feedback": {"text": feedback, "rating": rating}}))
    run.result.add("feedback letters")


def waiting_context(waiting: Sequence[Waiting], today: date, language: str = "en") -> list[dict[str, object]]:
    """The ``waiting`` of the partner's feedback reminder: each hand-in and its days without feedback.

    Dates in ``language``; each assignment as the Assignments tab names it (the partner enters
    the feedback there).
    """
    return [{"student": w.student, "assignment": w.assignment, "handed_in": long_day(w.handed_in, language),
             "days": (today - w.handed_in).days} for w in waiting]


def partner_reminder(run: Run, session: Session, plan: SessionPlan, session_folder: str,
                      rows: list[tuple[str, str, str, date | None, str, str]]) -> None:
    """Queue, at most once a day, the hand-ins waiting for feedback to the partner and the teacher."""
    config = run.config
    every = config.assignment.partner_feedback_reminder_days
    waiting: list[Waiting] = waiting_for_feedback(rows, run.today, every)
    partner = partner_of(config, session)
    prefix = f"{config.program.id}/{PARTNER_REMINDER}:"
    # Days before today: today's letters, once begun, are finished by every run of the day.
    sent_days = [
        day for key in run.outbox
        if key.startswith(prefix) and key.endswith(f"/{partner.id}/{session.id}")
        and (day := sent_on(run.outbox, key)) is not None and day < run.today
    ]
    if not partner_reminder_due(waiting, max(sent_days, default=None), run.today, every):
        return
    letter = letter_step(PARTNER_REMINDER, run.today.isoformat())
    folder = run.ctx.ports.folders.link(session_folder)

    def context(language: str) -> dict[str, object]:
        return {
            **run.program(language),
            "session": session_context(config, session, meet_url=plan.meet_link, starts=plan.starts,
                                       language=language),
            "waiting": waiting_context(waiting, run.today, language),
            "links": {"folder": folder},
        }

    # The partner's copy in the language the partner reads (English where it has no such
    # letter); the teacher's in English.
    partner_reads = partner_letter_language(run.ctx.letters, PARTNER_REMINDER, partner,
                                            config.program.default_language)
    for recipient, address, name, language in (
            (partner.id, partner.contact.email, partner.contact.name, partner_reads),
            (f"teacher-{session.id}", session.teacher.email, session.teacher.name, "en")):
        key = run.key(letter, recipient, session.id)
        if run.fresh(key):
            run.items.append(Addressed(key, StepName.ASSIGNMENTS.value, recipient, address, PARTNER_REMINDER,
                                       language, {**context(language), "reviewer": {"name": name}}))
            run.result.add("partner reminders")
