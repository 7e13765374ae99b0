"""Feedback (from T+2d after the session's last meeting): the form, one reminder, answers read in.

Every run, for the sessions in scope whose last meeting is over:

1. the feedback form of each language is made once (and kept in line with the config);
2. the answers so far are read back: one Feedback tab row per response (Key = response id)
   and one ``average:<session>`` row per session (each rating's average over each student's
   latest answer, and how many answers it covers), written with one upsert; the student's
   Participants row gets the day the answer came (Feedback);
3. students who attended (Attended "yes", or the coordinator's Attendance "yes" while Attended
   is blank) and have not answered get the request in their language, with their student id
   and session filled in; ``feedback.reminder_after_days`` later, one reminder to those who
   still have not answered.

Each letter has its own Outbox key, so any number of reruns sends each once. The timeline keeps
the window open to day 9 after the last meeting so the reminder goes out even when the
request went late (see :mod:`microintern.domain.timeline`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from microintern.config import Session
from microintern.domain import program_sheet as sheet
from microintern.domain.dates import DATE
from microintern.domain.feedback import SESSION_KEY, attended, feedback_spec
from microintern.domain.forms import FormSpec
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.participation import APPLICANT_KEY
from microintern.domain.records import Record
from microintern.domain.sessions import SessionPlan, text
from microintern.domain.timeline import StepName
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts, session_context
from microintern.steps.mailing import Addressed, deliver, guardian_copy, outbox_by_key
from microintern.steps.program_forms import ensure_forms, prefilled_link
from microintern.steps.sheet.feedback import collect_feedback, feedback_languages
from microintern.steps.sheet.participants import Seated, seated_students
from microintern.steps.sheet.sessions import finished_sessions, read_session_plans

REQUEST = "feedback_request"
REMINDER = "feedback_reminder"
TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS, sheet.OUTBOX, sheet.FEEDBACK)
_DAY = DATE


def delivered_on(outbox: Mapping[str, Record], key: str, today: date) -> date | None:
    """The program-local day the letter ``key`` was recorded delivered, or None if it was not."""
    row = outbox.get(key)
    if row is None or text(row.get("State")) not in DELIVERED:
        return None
    try:
        return datetime.strptime(text(row.get("Updated"))[:10], _DAY).date()
    except ValueError:
        # Delivered, at a time someone overwrote: never sooner than a reminder's wait from now.
        return today


def feedback_link(responder_uri: str, spec: FormSpec, applicant_id: str, session_id: str) -> str:
    """A student's feedback form link: their id and session filled in (a student in two sessions
    says which one they answer for)."""
    return prefilled_link(responder_uri, spec, {APPLICANT_KEY: applicant_id, SESSION_KEY: session_id})


class _Letters:
    """The request and the reminder for one run."""

    def __init__(self, ctx: StepContext, plans: Mapping[str, SessionPlan], outbox: Mapping[str, Record],
                 links: Mapping[str, tuple[str, FormSpec]]) -> None:
        self.ctx, self.config, self.plans, self.outbox = ctx, ctx.config, plans, outbox
        self.links = links                      # language → (responder uri, spec)
        self.program = ProgramContexts(ctx.config)
        self.today = ctx.now.astimezone(ctx.config.zone).date()
        self._sessions: dict[tuple[str, str], dict[str, Any]] = {}

    def _session(self, session: Session, language: str) -> dict[str, Any]:
        key = (session.id, language)
        if key not in self._sessions:
            self._sessions[key] = session_context(self.config, session, language=language,
                                                  starts=self.plans[session.id].starts)
        return self._sessions[key]

    def key(self, letter: str, student: Seated) -> str:
        return message_key(self.config.program.id, letter, student.applicant_id, student.session_id)

    def due(self, student: Seated, session: Session) -> Addressed | None:
        """The request if not yet delivered, else the one reminder once it falls due, else None."""
        sent = delivered_on(self.outbox, self.key(REQUEST, student), self.today)
        if sent is None:
            letter = REQUEST
        else:
            reminder_due = sent + timedelta(days=self.config.feedback.reminder_after_days)
            reminded = delivered_on(self.outbox, self.key(REMINDER, student), self.today)
            if self.today < reminder_due or reminded is not None:
                return None
            letter = REMINDER
        # The student's language and the family's; each links the feedback form in its own
        # language, or the default language's form where the form has no text in it.
        language, family = student.language, student.family_reads
        contexts: dict[str, dict[str, Any]] = {}
        for reader in {language, family}:
            responder_uri, spec = self.links.get(reader) or next(iter(self.links.values()))
            link = feedback_link(responder_uri, spec, student.applicant_id, student.session_id)
            contexts[reader] = {**self.program(reader), "applicant": dict(student.applicant),
                                "session": self._session(session, reader), "links": {"feedback": link}}
        # A family that reads another language gets its own message (mailing.split_for_family).
        return Addressed(self.key(letter, student), StepName.FEEDBACK.value, student.applicant_id,
                         student.student_email, letter, language, contexts[language],
                         cc=guardian_copy(self.ctx, student.guardian_email),
                         family_language=family, family_context=contexts[family])


def request_feedback(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Make the feedback forms, read answers in, send the request and one reminder to attendees."""
    config = ctx.config
    result = StepResult()
    tabs = ctx.ports.roster.read_tabs(list(TABS))
    plans = read_session_plans(ctx, tabs)
    sessions = finished_sessions(ctx, plans, session_ids, result)
    if not sessions:
        return result
    students = seated_students(config, tabs, [s.id for s in sessions])
    attendees = [s for s in students if attended(s.participant)]
    result.add("attended", len(attendees))
    if not attendees:
        # Attendance comes first (from Meet or the coordinator); nothing to ask yet.
        return result
    specs = {lang: feedback_spec(config, lang) for lang in feedback_languages(config)}
    forms = ensure_forms(ctx, specs)
    collected = collect_feedback(ctx, tabs, [s.id for s in sessions],
                                 {lang: f.form_id for lang, f in forms.items()}, result)
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    letters = _Letters(ctx, plans, outbox,
                       {lang: (forms[lang].responder_uri, specs[lang]) for lang in forms})
    by_id = {s.id: s for s in sessions}
    items: list[Addressed] = []
    for student in attendees:
        if student.applicant_id in collected.latest:
            continue
        item = letters.due(student, by_id[student.session_id])
        if item is not None:
            items.append(item)
    if items:
        deliver(ctx, items, outbox, result)
    return result
