"""Badges (3 to 5 days after a session's last meeting): the program's badge to students who met the bar.

One run reads the tabs once, decides in the domain who earned the badge
(:mod:`microintern.domain.badges`), asks the issuer which of them hold it already, awards the
rest and writes the Participants tab's Badge column in one upsert. Nobody is awarded twice: the
issuer is the record of what was awarded, so a run killed between an award and the sheet write
finds the award on the rerun and only writes the cell.

With the local provider the student gets the ``badge_notice`` letter (exactly once, through the
Outbox); with Badgr the service sends its own notice, so no letter goes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from microintern.config import Session
from microintern.domain import program_sheet as sheet
from microintern.domain.badges import (
    SessionFacts,
    StudentFacts,
    badge_award,
    badge_cell,
    evidence_link,
    handed_in_final_project,
    session_facts,
    shortfalls,
    student_facts,
)
from microintern.domain.outbox import message_key
from microintern.domain.records import IssuedBadge, Record
from microintern.domain.sessions import SessionPlan, text
from microintern.domain.timeline import StepName
from microintern.errors import BadgeServiceError, BadgeSignInError
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts, badge_context, session_context
from microintern.steps.mailing import Addressed, deliver, guardian_copy, outbox_by_key
from microintern.steps.sheet.participants import Seated, seated_students
from microintern.steps.sheet.sessions import read_session_plans

_TABS = (sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS, sheet.ASSIGNMENTS, sheet.OUTBOX)
LETTER = "badge_notice"


@dataclass(frozen=True)
class _Earner:
    """A student who met the bar, with what the award says."""

    student: Seated
    email: str
    facts: StudentFacts
    session: SessionFacts


def _address(value: str) -> str | None:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _display_name(student: Seated) -> str:
    first = str(student.applicant.get("first_name") or "").strip()
    last = str(student.applicant.get("last_name") or "").strip()
    return f"{first} {last[:1].upper()}." if last else first


def _sessions(ctx: StepContext, plans: dict[str, SessionPlan], session_ids: Sequence[str] | None,
              result: StepResult) -> dict[str, tuple[Session, SessionPlan]]:
    """The sessions to award for: held (last meeting over) and not cancelled."""
    wanted = [s.id for s in ctx.config.sessions] if session_ids is None else list(session_ids)
    chosen: dict[str, tuple[Session, SessionPlan]] = {}
    for session_id in wanted:
        plan = plans.get(session_id)
        if plan is None or plan.cancelled:
            continue
        if ctx.now < plan.meetings()[-1][1]:
            result.add("session not over yet")
            continue
        chosen[session_id] = (ctx.config.session(session_id), plan)
    return chosen


def award_badges(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Award the badge to every seated student of the sessions who met ``badge.requires``."""
    config = ctx.config
    result = StepResult()
    issuer = ctx.ports.badges
    if issuer is None:
        result.add("skipped (no badge provider)")
        return result
    roster = ctx.ports.roster
    tabs = roster.read_tabs(list(_TABS))
    plans = read_session_plans(ctx, tabs)
    sessions = _sessions(ctx, plans, session_ids, result)
    facts = {sid: session_facts(config, session, plan.starts) for sid, (session, plan) in sessions.items()}

    earners: list[_Earner] = []
    for student in seated_students(config, tabs, list(sessions)):
        session = facts[student.session_id]
        record = student_facts(student.participant, handed_in_final_project(
            session, student.applicant_id, tabs[sheet.ASSIGNMENTS]))
        reasons = shortfalls(record, session, config.badge.requires)
        if reasons:
            for reason in reasons:
                result.add(reason)
            if text(student.participant.get(sheet.BADGE)):
                result.problems.append(f"{student.applicant_id}: holds a badge but is now "
                                       f"{', '.join(reasons)}; revoke it by hand if it must go")
            continue
        email = _address(student.student_email)
        if email is None:
            result.add("no usable address")
            result.problems.append(f"{student.applicant_id}: the student's address is not valid; no badge")
            continue
        earners.append(_Earner(student, email, record, session))

    held = issuer.awarded([e.email for e in earners])
    issued: dict[str, IssuedBadge] = {}
    try:
        for earner in earners:
            badge = held.get(earner.email)
            if badge is not None:
                result.add("awarded before")
            elif text(earner.student.participant.get(sheet.BADGE)):
                # The sheet says awarded but the issuer has no record (its folder was lost, or
                # the provider changed): never a second award, the coordinator decides.
                result.add("awarded per sheet, issuer has no record")
                result.problems.append(
                    f"{earner.student.applicant_id}: the Badge column records an award the badge "
                    "provider does not know; not awarded again (clear the cell to award anew)")
                continue
            else:
                student = earner.student
                award = badge_award(
                    key=f"{student.session_id}:{student.applicant_id}", email=earner.email,
                    name=_display_name(student), student=earner.facts, session=earner.session,
                    evidence_url=evidence_link(config.badge.evidence_url, student.session_id),
                    issued_on=ctx.now)
                try:
                    badge = issuer.award(award)
                except BadgeSignInError:
                    raise
                except BadgeServiceError as exc:
                    result.add("award failed")
                    result.problems.append(f"{student.applicant_id}: {str(exc).splitlines()[0]}")
                    continue
                result.add("awarded")
            issued[earner.student.applicant_id] = badge
    finally:
        # Record what was awarded even when a later award stops the run.
        _write_badge_cells(ctx, earners, issued)

    if config.badge.provider == "local":
        _send_notices(ctx, [e for e in earners if e.student.applicant_id in issued], issued, sessions,
                      outbox_by_key(tabs[sheet.OUTBOX]), result)
    return result


def _write_badge_cells(ctx: StepContext, earners: Sequence[_Earner], issued: dict[str, IssuedBadge]) -> None:
    """One upsert of the Badge cells that do not show their assertion yet."""
    today = ctx.now.astimezone(ctx.config.zone).date()
    updates: list[Record] = []
    for earner in earners:
        badge = issued.get(earner.student.applicant_id)
        if badge is None:
            continue
        current = text(earner.student.participant.get(sheet.BADGE))
        if current.endswith(f"assertion {badge.assertion_id}"):
            continue
        updates.append({sheet.APPLICANT_ID: earner.student.applicant_id,
                        sheet.BADGE: badge_cell(today, badge.assertion_id)})
    if updates:
        ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, updates)


def _send_notices(ctx: StepContext, earners: Sequence[_Earner], issued: dict[str, IssuedBadge],
                  sessions: dict[str, tuple[Session, SessionPlan]], outbox: dict[str, Record],
                  result: StepResult) -> None:
    """The badge_notice letter to each awarded student, once per key (local provider only)."""
    config = ctx.config
    program = ProgramContexts(config)
    items: list[Addressed] = []
    for earner in earners:
        student = earner.student
        session, plan = sessions[student.session_id]
        contexts = {
            language: {
                **program(language),
                "applicant": dict(student.applicant),
                "session": session_context(config, session, meet_url=plan.meet_link, language=language,
                                           starts=plan.starts),
                "badge": badge_context(config, language),
                "links": {"badge": issued[student.applicant_id].url},
            }
            for language in {student.language, student.family_reads}
        }
        # A family that reads another language gets its own message (mailing.split_for_family).
        items.append(Addressed(
            message_key(config.program.id, LETTER, student.applicant_id, student.session_id),
            StepName.BADGES.value, student.applicant_id, earner.email, LETTER, student.language,
            contexts[student.language], cc=guardian_copy(ctx, student.guardian_email),
            family_language=student.family_reads, family_context=contexts[student.family_reads]))
    deliver(ctx, items, outbox, result)
