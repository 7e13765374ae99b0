"""Partner appreciation (T+5..7d after the session's last meeting): the thank-you, then "thanked".

For each session in scope that took place, the partner gets one letter (``partner_thanks``,
its own Outbox key, so it goes exactly once) with how the session went:

- attendance: students placed, how many attended, and the share of the session's minutes
  those who attended were there for on average (from the Minutes column, when Meet gave it);
- the feedback form's averages, per rating and overall, read fresh from the forms first so a
  late answer still counts;
- the testimonials whose students answered "yes" to sharing, attributed by first name only
  (what the form promised them). A sentence without that yes never reaches the partner.

While nobody's attendance is known (neither Meet nor the coordinator filled it in) the letter
waits, up to the window's last day; then it goes without the attendance figures rather than
say nobody came. Once the letter is delivered, the partner's row moves to "thanked" (forward
only: a declined partner or a status the coordinator typed is left alone).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from microintern.config import ProgramConfig, Session
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key
from microintern.domain.feedback import (
    AVERAGE_PREFIX,
    SUBMITTED_FORMAT,
    FeedbackAnswer,
    SessionAverages,
    attended,
    rating_titles,
    session_averages,
    shared_testimonials,
)
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.partners import THANKED, advance
from microintern.domain.records import Cell, Record
from microintern.domain.report.figures import one_decimal
from microintern.domain.sessions import SessionPlan, text
from microintern.domain.timeline import STEPS, StepName
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import (
    ProgramContexts,
    partner_context,
    partner_letter_language,
    partner_of,
    session_context,
)
from microintern.steps.mailing import Addressed, deliver, outbox_by_key
from microintern.steps.sheet.applicants import question_columns
from microintern.steps.sheet.feedback import collect_feedback, form_ids
from microintern.steps.sheet.participants import Seated, seated_students
from microintern.steps.sheet.sessions import finished_sessions, read_session_plans

LETTER = "partner_thanks"
TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS, sheet.OUTBOX, sheet.FEEDBACK,
        sheet.PARTNERS)


def _number(value: Cell) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(text(value))
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def minutes_share(attendees: Sequence[Seated], plan: SessionPlan) -> str:
    """The share of the session's minutes attendees were there for, on average ("87%"; "" unknown)."""
    total = plan.duration.total_seconds() / 60 * len(plan.starts)
    if total <= 0:
        return ""
    shares = [min(minutes / total, 1.0) for minutes in
              (_number(s.participant.get(sheet.MINUTES)) for s in attendees) if minutes is not None]
    if not shares:
        return ""
    return f"{round(100 * sum(shares) / len(shares))}%"


def session_stats(students: Sequence[Seated], plan: SessionPlan, averages: SessionAverages,
                  labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``stats`` of the partner's letter: attendance and the feedback's averages.

    ``attended`` is None while nobody's attendance is known (no Attended or Attendance cell
    filled in): the letter then leaves the figure out rather than say nobody came. ``labels``
    names each rating as the letter's language asks it (:func:`rating_labels`); by default as
    the config names it.
    """
    labels = labels or {}
    attendees = [s for s in students if attended(s.participant)]
    known = any(text(s.participant.get(sheet.ATTENDED)) or text(s.participant.get(sheet.ATTENDANCE))
                for s in students)
    overall = averages.overall
    return {
        "invited": len(students),
        "attended": len(attendees) if known else None,
        "minutes_share": minutes_share(attendees, plan),
        "responses": averages.responses,
        # One decimal, halves up, as the program report shows the same averages (4.25 -> 4.3).
        "average_rating": f"{one_decimal(overall):.1f}" if overall is not None else "",
        "ratings": [{"label": labels.get(label, label), "average": f"{one_decimal(value):.1f}"}
                    for label, value in averages.ratings.items() if value is not None],
    }


def rating_labels(config: ProgramConfig, language: str) -> dict[str, str]:
    """Each configured rating as the feedback form in ``language`` asks it (a Spanish letter's labels)."""
    return dict(zip(config.feedback.ratings, rating_titles(config, language), strict=True))


def answers_on_sheet(config: ProgramConfig, rows: Sequence[Record]) -> list[FeedbackAnswer]:
    """The feedback answers as the Feedback tab holds them (one row per response), oldest first.

    What a preview of the thank-you counts without reading the forms: the answers the last run
    read in (a testimonial longer than a cell is its fitted text; the letter quotes a sentence).
    """
    found: list[FeedbackAnswer] = []
    for row in rows:
        key = text(row.get(sheet.FEEDBACK_KEY))
        if not key or key.startswith(AVERAGE_PREFIX):
            continue
        try:
            submitted = datetime.strptime(text(row.get(sheet.SUBMITTED)), SUBMITTED_FORMAT)
        except ValueError:
            continue  # a row someone edited by hand: the step itself reads the form again
        ratings = {rating: int(value) if (value := _number(row.get(rating))) is not None else None
                   for rating in config.feedback.ratings}
        found.append(FeedbackAnswer(
            key, text(row.get(sheet.APPLICANT_ID)), text(row.get(sheet.SESSION_ID)),
            submitted.replace(tzinfo=config.zone), text(row.get(sheet.LANGUAGE)), ratings,
            text(row.get(sheet.FEEDBACK_LEARNED)), text(row.get(sheet.FEEDBACK_IMPROVE)),
            text(row.get(sheet.FEEDBACK_TESTIMONIAL)), text(row.get(sheet.FEEDBACK_SHARE))))
    return sorted(found, key=lambda a: (a.submitted_at, a.response_id))


def last_day(plan: SessionPlan) -> date:
    """The last day of the thank-you's window: until then a letter waits for attendance."""
    closes = next(spec.closes_day for spec in STEPS if spec.name is StepName.APPRECIATION)
    return plan.starts[-1].date() + timedelta(days=closes)


def first_names(config: ProgramConfig, applications: Sequence[Record]) -> dict[str, str]:
    """Each applicant's first name, by applicant id (what a shared testimonial is signed with)."""
    questions = question_columns(config)
    return {text(r.get(sheet.APPLICANT_ID)): answers_by_key(r, questions).get("first_name", "").strip()
            for r in applications if text(r.get(sheet.APPLICANT_ID))}


def thank_partners(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Thank each session's partner once, with attendance, ratings and shareable testimonials."""
    config = ctx.config
    result = StepResult()
    roster = ctx.ports.roster
    tabs = roster.read_tabs(list(TABS))
    plans = read_session_plans(ctx, tabs)
    sessions = finished_sessions(ctx, plans, session_ids, result)
    outbox = outbox_by_key(tabs[sheet.OUTBOX])

    def key(session: Session) -> str:
        return message_key(config.program.id, LETTER, partner_of(config, session).id, session.id)

    def thanked(session: Session) -> bool:
        return text((outbox.get(key(session)) or {}).get("State")) in DELIVERED

    pending = [s for s in sessions if not thanked(s)]
    delivered: set[str] = {key(s) for s in sessions if thanked(s)}
    if pending:
        # Fresh answers, without making a form nobody was sent: an answer that came since the
        # feedback step last ran still counts.
        forms = form_ids(ctx)
        answers: list[FeedbackAnswer] = []
        if forms:
            answers = collect_feedback(ctx, tabs, [s.id for s in pending], forms, result).answers
        names = first_names(config, tabs[sheet.APPLICATIONS])
        students = seated_students(config, tabs, [s.id for s in pending])
        program = ProgramContexts(config)
        items: list[Addressed] = []
        today = ctx.now.astimezone(config.zone).date()
        for session in pending:
            partner = partner_of(config, session)
            plan = plans[session.id]
            mine = [s for s in students if s.session_id == session.id]
            averages = session_averages(session.id, config.feedback.ratings, answers)
            # In the language the partner reads (English where it has no thank-you letter).
            language = partner_letter_language(ctx.letters, LETTER, partner, config.program.default_language)
            stats = session_stats(mine, plan, averages, rating_labels(config, language))
            if stats["attended"] is None:
                if today < last_day(plan):
                    result.add("waiting for attendance")
                    continue
                result.add("attendance not known (left out of the letter)")
            testimonials = shared_testimonials(answers, session.id, names)
            context = {**program(language), "partner": partner_context(partner, language),
                       "session": session_context(config, session, starts=plan.starts, language=language),
                       "stats": stats, "testimonials": testimonials}
            items.append(Addressed(key(session), StepName.APPRECIATION.value, partner.id,
                                   partner.contact.email, LETTER, language, context))
            result.add("testimonials shared", len(testimonials))
        delivered |= deliver(ctx, items, outbox, result)
    _mark_thanked(ctx, tabs[sheet.PARTNERS], [s for s in sessions if key(s) in delivered], result)
    return result


def _mark_thanked(ctx: StepContext, partner_rows: Sequence[Record], sessions: Sequence[Session],
                  result: StepResult) -> None:
    """Move each thanked session's partner to "thanked" (forward only), in one Partners write."""
    rows: Mapping[str, Record] = {text(r.get(sheet.PARTNER_ID)): r for r in partner_rows
                                  if text(r.get(sheet.PARTNER_ID))}
    updates: dict[str, Record] = {}
    for session in sessions:
        partner_id = partner_of(ctx.config, session).id
        row = rows.get(partner_id)
        if row is None:
            result.add("partner row not on the Partners tab")
            continue
        new = advance(row.get(sheet.PARTNER_STATUS), THANKED)
        if new is not None:
            updates[partner_id] = {sheet.PARTNER_ID: partner_id, sheet.PARTNER_STATUS: new}
    if updates:
        ctx.ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, list(updates.values()))
        result.add("moved to thanked", len(updates))
