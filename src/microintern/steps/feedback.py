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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from microintern.config import ProgramConfig, Session
from microintern.domain import program_sheet as sheet
from microintern.domain.dates import DATE
from microintern.domain.feedback import (
    FEEDBACK_LANGUAGES,
    SESSION_KEY,
    FeedbackAnswer,
    FormReturn,
    SessionAverages,
    attended,
    average_row,
    feedback_row,
    feedback_spec,
    fit_feedback_row,
    latest_per_student,
    parse_feedback,
    session_averages,
)
from microintern.domain.forms import FormSpec, FormState
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.participation import APPLICANT_KEY
from microintern.domain.records import Cell, Record
from microintern.domain.sessions import SessionPlan, text
from microintern.domain.timeline import StepName
from microintern.steps.application_form import read_settings, write_settings
from microintern.steps.applications import Intake, cell_limit, keep_long_answers
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts, session_context
from microintern.steps.mailing import Addressed, deliver, guardian_copy, outbox_by_key
from microintern.steps.participation import Seated, seated_students
from microintern.steps.program_forms import id_setting, link_setting, prefilled_link, read_answers
from microintern.steps.sessions import read_session_plans

REQUEST = "feedback_request"
REMINDER = "feedback_reminder"
TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS, sheet.OUTBOX, sheet.FEEDBACK)
_DAY = DATE


def feedback_languages(config: ProgramConfig) -> list[str]:
    """The languages the program has a feedback form in."""
    return [lang for lang in FEEDBACK_LANGUAGES if lang in config.program.languages] or ["en"]


def finished_sessions(ctx: StepContext, plans: Mapping[str, SessionPlan], session_ids: Sequence[str] | None,
                      result: StepResult) -> list[Session]:
    """The sessions in scope that took place: not cancelled, last meeting over at ``ctx.now``."""
    config = ctx.config
    wanted = [s.id for s in config.sessions] if session_ids is None else list(session_ids)
    found: list[Session] = []
    for session_id in wanted:
        plan = plans.get(session_id)
        if plan is None:
            result.problems.append(f"{session_id[:40]!r} is not a session in the config")
            continue
        if plan.cancelled:
            result.add("skipped (session cancelled)")
            continue
        if ctx.now < plan.meetings()[-1][1]:
            result.add("waiting for the session to end")
            continue
        found.append(config.session(session_id))
    return found


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


def _same(old: Cell, new: Cell) -> bool:
    # Blank cells read back as None, whole numbers may come back as floats.
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    return ("" if old is None else str(old)) == ("" if new is None else str(new))


def _changed(existing: Record | None, row: Record) -> bool:
    return existing is None or any(not _same(existing.get(k), v) for k, v in row.items())


@dataclass
class Collected:
    """The feedback answers of the sessions in scope, as read this run."""

    answers: list[FeedbackAnswer]
    latest: dict[str, FeedbackAnswer]        # applicant id → their latest answer
    averages: dict[str, SessionAverages]     # session id → its averages


def ensure_forms(ctx: StepContext, specs: Mapping[str, FormSpec]) -> dict[str, FormState]:
    """Each language's feedback form, made once and kept in line with the config.

    As :func:`~microintern.steps.program_forms.ensure_form` does for one form, with the
    Settings tab read once for all of them.
    """
    roster = ctx.ports.roster
    settings = read_settings(roster)
    states: dict[str, FormState] = {}
    for language, spec in specs.items():
        labels = (id_setting(spec), link_setting(spec))

        def remember(new_id: str, link: str, labels: tuple[str, str] = labels) -> None:
            # At once, before the questions are added: a crash then never makes a second form.
            write_settings(roster, dict(zip(labels, (new_id, link), strict=True)))
            settings.update(zip(labels, (new_id, link), strict=True))

        state = ctx.ports.surveys.sync_form(settings.get(labels[0]) or None, spec, on_created=remember)
        if (settings.get(labels[0]), settings.get(labels[1])) != (state.form_id, state.responder_uri):
            remember(state.form_id, state.responder_uri)
        states[language] = state
    return states


def form_ids(ctx: StepContext) -> dict[str, str]:
    """The feedback form id per language as remembered; a form never made is left out."""
    config = ctx.config
    settings = read_settings(ctx.ports.roster)
    specs = [(lang, feedback_spec(config, lang)) for lang in feedback_languages(config)]
    return {lang: settings[id_setting(spec)] for lang, spec in specs if settings.get(id_setting(spec))}


def collect_feedback(ctx: StepContext, tabs: Mapping[str, list[Record]], session_ids: Sequence[str],
                     forms: Mapping[str, str], result: StepResult) -> Collected:
    """Read every feedback form; write the Feedback tab and Participants' Feedback for ``session_ids``.

    ``tabs`` must hold the Participants and Feedback tabs as read at the start of the run.
    Writes one upsert per tab, and only rows whose cells changed (a rerun writes nothing).
    """
    config = ctx.config
    scope = set(session_ids)
    placed = {text(r.get(sheet.APPLICANT_ID)): text(r.get(sheet.SESSION_ID))
              for r in tabs[sheet.PARTICIPANTS]
              if text(r.get(sheet.APPLICANT_ID)) and text(r.get(sheet.PLACEMENT)) in sheet.SEATED}
    returns: list[FormReturn] = []
    for language, form_id in forms.items():
        spec = feedback_spec(config, language)
        answers = read_answers(ctx, spec, form_id)
        # Responses the source could not read (a CSV row's bad timestamp) were left out: say so.
        result.problems.extend(f"{problem}; left out until it is fixed"
                               for problem in ctx.ports.surveys.problems)
        for answer in answers:
            applicant = answer.by_key.get(APPLICANT_KEY, "").strip()
            session = placed.get(applicant) or answer.by_key.get(SESSION_KEY, "").strip()
            if not session or session in scope:
                returns.append(FormReturn(answer.response_id, answer.submitted_at, language, answer.by_key))
    parsed = parse_feedback(config, returns, placed)
    result.problems.extend(parsed.problems)
    answers = [a for a in parsed.answers if a.session_id in scope]
    latest = latest_per_student(answers)
    ratings = config.feedback.ratings
    averages = {sid: session_averages(sid, ratings, answers) for sid in session_ids}

    existing = {text(r.get(sheet.FEEDBACK_KEY)): r for r in tabs[sheet.FEEDBACK]
                if text(r.get(sheet.FEEDBACK_KEY))}
    # Each text answer fitted to the backend's cell: one very long answer must not make the
    # Feedback write fail for everyone. The fitted text is what a rerun compares with.
    limit = cell_limit(config)
    fitted = [fit_feedback_row(feedback_row(a, ratings, config.zone), limit) for a in answers]
    rows = [f.record for f in fitted] + [average_row(avg) for avg in averages.values() if avg.responses]
    changed = [row for row in rows if _changed(existing.get(str(row[sheet.FEEDBACK_KEY])), row)]
    written = {str(row[sheet.FEEDBACK_KEY]) for row in changed}
    long = Intake()
    for item in fitted:
        if item.cut and str(item.record[sheet.FEEDBACK_KEY]) in written:
            long.pieces.extend(item.pieces)
            long.cut += len(item.cut)
    # The full text first, so that a marker never names text that is not there.
    keep_long_answers(ctx, long, result)
    if changed:
        ctx.ports.roster.upsert(sheet.FEEDBACK, sheet.FEEDBACK_KEY, changed)

    participants = {text(r.get(sheet.APPLICANT_ID)): r for r in tabs[sheet.PARTICIPANTS]}
    returned: list[Record] = []
    for applicant, answer in latest.items():
        day = answer.submitted_at.astimezone(config.zone).strftime(_DAY)
        if _changed(participants.get(applicant), {sheet.FEEDBACK_RETURNED: day}):
            returned.append({sheet.APPLICANT_ID: applicant, sheet.FEEDBACK_RETURNED: day})
    if returned:
        ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, returned)
    result.add("answered", len(latest))
    return Collected(answers, latest, averages)


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
        language = student.language if student.language in self.links else next(iter(self.links))
        responder_uri, spec = self.links[language]
        link = prefilled_link(responder_uri, spec, {APPLICANT_KEY: student.applicant_id,
                                                    SESSION_KEY: student.session_id})
        context = {**self.program(language), "applicant": dict(student.applicant),
                   "session": self._session(session, language), "links": {"feedback": link}}
        return Addressed(self.key(letter, student), StepName.FEEDBACK.value, student.applicant_id,
                         student.student_email, letter, language, context,
                         cc=guardian_copy(self.ctx, student.guardian_email))


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
