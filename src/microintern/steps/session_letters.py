"""The letters around a session: support for the partner, details, the reminder, the run sheet.

- session support (T-3w): the session-building guide to the partner at once; session details to
  the partner and to each placed student as soon as the session has its Meet link;
- reminder (T-1d): each placed student, in their family's language;
- run sheet (day of): the teacher and the partner, with the roster (first name, last initial,
  school). It is the only letter that lists students, and it goes to staff only.

A multi-week session gets the reminder and the run sheet before every meeting
(``reminders.every_meeting``): the step picks the meeting from ``ctx.now``, and a later
meeting's Outbox key carries its date, so each goes once per recipient and meeting.

Times, the Meet link and the recording rule come from the Sessions tab as the sessions step
left it, so a meeting the coordinator moved is announced at its new time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microintern.config import ProgramConfig, Session
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.participation import Stage
from microintern.domain.records import Record
from microintern.domain.sessions import SessionPlan, meeting_key, meeting_to_announce
from microintern.domain.timeline import StepName
from microintern.domain.video import broadcast_id
from microintern.errors import BackendError
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import (
    ProgramContexts,
    partner_context,
    partner_letter_language,
    partner_of,
    session_letter_context,
)
from microintern.steps.mailing import Addressed, deliver, guardian_copy, outbox_by_key
from microintern.steps.sheet.applicants import question_columns
from microintern.steps.sheet.participants import Seated, letter_waits, seated_students
from microintern.steps.sheet.sessions import read_session_plans
from microintern.steps.video import student_join_links

_TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS, sheet.OUTBOX)


class _SessionMail:
    """One step's view of the sessions: plans, seated students, the outbox."""

    def __init__(self, ctx: StepContext, session_ids: Sequence[str] | None) -> None:
        self.ctx = ctx
        self.config = ctx.config
        tabs = ctx.ports.roster.read_tabs(list(_TABS))
        self.tabs = tabs
        self.plans = read_session_plans(ctx, tabs)
        self.outbox = outbox_by_key(tabs[sheet.OUTBOX])
        self.program = ProgramContexts(self.config)
        wanted = [s.id for s in self.config.sessions] if session_ids is None else list(session_ids)
        self.sessions = [self.config.session(i) for i in wanted
                         if i in self.plans and not self.plans[i].cancelled]
        students = seated_students(self.config, tabs, [s.id for s in self.sessions])
        self.students: dict[str, list[Seated]] = {}
        for student in students:
            self.students.setdefault(student.session_id, []).append(student)

    def key(self, letter: str, recipient: str, session: Session, meeting: int = 0) -> str:
        """The Outbox key of ``letter`` to ``recipient`` about meeting ``meeting`` of ``session``."""
        part = meeting_key(session.id, self.plans[session.id].starts, meeting) if meeting else session.id
        return message_key(self.config.program.id, letter, recipient, part)

    def meeting_today(self, session: Session, days_before: int) -> int | None:
        """Which meeting of ``session`` a letter sent ``days_before`` days ahead covers now."""
        return meeting_to_announce(self.plans[session.id].starts, self.ctx.now, days_before=days_before,
                                   every_meeting=self.config.reminders.every_meeting)

    def partner_letter(self, step: StepName, letter: str, session: Session,
                       extra: Mapping[str, Any] | None = None) -> Addressed:
        partner = partner_of(self.config, session)
        language = self.partner_language(letter, session)
        context = {**self.program(language), "partner": partner_context(partner, language),
                   "session": session_letter_context(self.config, session, self.plans[session.id], language),
                   **(extra or {})}
        return Addressed(self.key(letter, partner.id, session), step.value, partner.id,
                         partner.contact.email, letter, language, context)

    def partner_language(self, letter: str, session: Session) -> str:
        """The language ``letter`` goes to the partner of ``session`` in (theirs, else English)."""
        return partner_letter_language(self.ctx.letters, letter, partner_of(self.config, session),
                                       self.config.program.default_language)

    def student_letters(self, step: StepName, letter: str, session: Session,
                        result: StepResult, meeting: int = 0) -> list[Addressed]:
        """The letter to each student of ``session`` whose earlier letters have all gone.

        The others wait, each named in ``result``: session details and the reminder assume the
        acceptance, the registration link and the release form reached the student's family.
        """
        items = []
        label = letter.replace("_student", "").replace("_", " ")
        seated = self.students.get(session.id, [])
        # On Zoom each student joins with their own link (a registrant's), in their letter only.
        # Registered now, and only those whose letter still has to go (issue 18).
        due = [s for s in seated if str(self.outbox.get(self.key(letter, s.applicant_id, session, meeting),
                                                        {}).get("State") or "") not in DELIVERED
               and letter_waits(self.config, s, self.outbox, Stage.SESSION, label) is None]
        try:
            own_links = student_join_links(self.ctx, session, self.plans[session.id], due)
        except BackendError as exc:
            result.problems.append(f"{session.id}: the students could not be registered on Zoom ({exc}); "
                           "their letters wait for the next run")
            result.add("waiting for Zoom registration", len(due))
            return []
        for student in seated:
            waits = letter_waits(self.config, student, self.outbox, Stage.SESSION, label)
            if waits is not None:
                result.problem(waits)
                result.add("waiting for an earlier letter")
                continue
            contexts = {language: {**self.program(language), "applicant": dict(student.applicant),
                                   "session": session_letter_context(self.config, session,
                                                                     self.plans[session.id], language,
                                                                     meeting)}
                        for language in {student.language, student.family_reads}}
            own = own_links.get(student.applicant_id)
            if own:  # this student's letter (and their own family's copy) only
                for context in contexts.values():
                    context["session"] = {**context["session"], "meet_url": own, "own_link": True}
            # A family that reads another language gets its own message (mailing.split_for_family).
            items.append(Addressed(self.key(letter, student.applicant_id, session, meeting), step.value,
                                   student.applicant_id, student.student_email, letter, student.language,
                                   contexts[student.language],
                                   cc=guardian_copy(self.ctx, student.guardian_email),
                                   family_language=student.family_reads,
                                   family_context=contexts[student.family_reads]))
        return items

    def send(self, items: list[Addressed], result: StepResult) -> None:
        deliver(self.ctx, items, self.outbox, result)


def support_sessions(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """The partner's session-building guide, then session details once the Meet link exists."""
    result = StepResult()
    mail = _SessionMail(ctx, session_ids)
    items: list[Addressed] = []
    for session in mail.sessions:
        items.append(mail.partner_letter(StepName.SESSION_SUPPORT, "partner_session_guide", session))
        if not mail.plans[session.id].meet_link:
            result.add("details waiting for the Meet link")
            continue
        items.append(mail.partner_letter(StepName.SESSION_SUPPORT, "session_details_partner", session))
        items.extend(mail.student_letters(StepName.SESSION_SUPPORT, "session_details_student", session,
                                          result))
    mail.send(items, result)
    return result


def remind_students(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """The day-before reminder to each placed student, before each meeting of a multi-week session."""
    result = StepResult()
    mail = _SessionMail(ctx, session_ids)
    items: list[Addressed] = []
    for session in mail.sessions:
        meeting = mail.meeting_today(session, days_before=1)
        if meeting is None:
            result.add("no meeting tomorrow")
            continue
        items.extend(mail.student_letters(StepName.REMINDERS, "session_reminder", session, result,
                                          meeting))
    mail.send(items, result)
    return result


def roster_of(config: ProgramConfig, students: Sequence[Seated],
              applications: Sequence[Record]) -> list[dict[str, str]]:
    """The run sheet's roster: first name, last initial and school, sorted by first name."""
    questions = question_columns(config)
    rows = {str(r.get(sheet.APPLICANT_ID) or ""): r for r in applications}
    roster = []
    for student in students:
        answers = answers_by_key(rows[student.applicant_id], questions)
        last = answers.get("last_name", "").strip()
        roster.append({"first_name": answers.get("first_name", "").strip(),
                       "last_initial": last[:1].upper(), "school": answers.get("school", "").strip()})
    return sorted(roster, key=lambda r: (r["first_name"].casefold(), r["last_initial"]))


def stream_of(ctx: StepContext, session: Session, plan: SessionPlan, result: StepResult) -> dict[str, str]:
    """``stream_url`` and ``stream_key`` of the session's broadcast, or nothing (said why)."""
    video = broadcast_id(plan.broadcast_url)
    if video is None or ctx.ports.broadcasts is None:
        return {}
    try:
        found = ctx.ports.broadcasts.stream_key(video)
    except BackendError as exc:
        found = None
        result.problems.append(f"{session.id}: the YouTube stream key could not be read ({exc}); the "
                               "teacher finds it in YouTube Studio")
    return {"stream_url": found[0], "stream_key": found[1]} if found else {}


def send_run_sheets(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """The day-of run sheet to the session's teacher and partner (never to students), each meeting day."""
    result = StepResult()
    mail = _SessionMail(ctx, session_ids)
    config = ctx.config
    items: list[Addressed] = []
    for session in mail.sessions:
        meeting = mail.meeting_today(session, days_before=0)
        if meeting is None:
            result.add("no meeting today")
            continue
        roster = roster_of(config, mail.students.get(session.id, []), mail.tabs[sheet.APPLICATIONS])
        partner = partner_of(config, session)
        # A showcase's stream key: read from YouTube now, in the run sheet to staff only.
        stream = stream_of(ctx, session, mail.plans[session.id], result)
        # The partner's copy in the language the partner reads; the teacher's in English.
        languages = {partner.id: mail.partner_language("run_sheet", session), f"teacher-{session.id}": "en"}
        contexts = {language: {**mail.program(language), "partner": partner_context(partner, language),
                               "roster": roster,
                               "session": {**session_letter_context(config, session, mail.plans[session.id],
                                                                    language, meeting), **stream}}
                    for language in set(languages.values())}
        for recipient_id, address in ((partner.id, partner.contact.email),
                                      (f"teacher-{session.id}", session.teacher.email)):
            language = languages[recipient_id]
            items.append(Addressed(mail.key("run_sheet", recipient_id, session, meeting),
                                   StepName.RUN_SHEET.value,
                                   recipient_id, address, "run_sheet", language, contexts[language]))
    mail.send(items, result)
    return result
