"""Cohorts: place accepted students in sessions, optimally, and say why for each one.

Runs daily from the decisions on (and as ``microintern cohorts``). A student placed on an
earlier run keeps their session: letters and invitations may already name it, so only students
not yet placed (a late acceptance, a student whose session was cancelled) are placed around
them. A coordinator's Cohort override always wins. Every placement carries a one-line reason in
the Participants tab, and each session's group size is checked against its bounds in the
Sessions tab, so an undersized group is visible before any invitation goes out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key
from microintern.domain.cohorts import (
    Candidate,
    CohortPlan,
    CohortSeats,
    SessionChoice,
    assign,
    preference_points,
)
from microintern.domain.decisions import Decision, UnknownDecision, parse_decision
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.problems import PROGRAM, Problem
from microintern.domain.records import Cell, Record
from microintern.domain.sessions import session_rows, text
from microintern.steps.context import StepContext, StepResult
from microintern.steps.sheet.applicants import question_columns

PLACED, OVERRIDE, WAITLISTED = sheet.PLACED, sheet.OVERRIDE, sheet.WAITLISTED
WITHDRAWN, DECLINED, SEATED = sheet.WITHDRAWN, sheet.DECLINED, sheet.SEATED


def _score(value: Cell) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0


def _contained(options: Sequence[str], answer: str) -> list[str]:
    # Checkbox answers arrive joined with ", " and an option may itself hold a comma: look for
    # each known option in the answer instead of splitting it.
    folded = answer.casefold()
    return [option for option in options if option and option.casefold() in folded]


def session_choices(config: ProgramConfig) -> list[SessionChoice]:
    """Every configured session as the cohort solver sees it."""
    return [SessionChoice(s.id, s.title, s.industry or "") for s in config.sessions]


def cancelled_sessions(sessions_tab: Sequence[Record]) -> set[str]:
    """Session ids the coordinator marked cancelled in the Sessions tab."""
    return {text(r.get(sheet.SESSION_ID)) for r in sessions_tab
            if text(r.get(sheet.SESSION_STATUS)).casefold() == "cancelled"}


def told_otherwise(config: ProgramConfig, applicant: str, outbox: Mapping[str, Record]) -> str:
    """Why an accepted student is not to be placed yet, from the Outbox ("" when they may be).

    A seat goes with the acceptance letter: a student whose acceptance is held, or whose last
    decision letter was a waitlist or denial letter and whose acceptance has not gone, would
    otherwise be placed (and invited) while still believing they are not in.
    """
    def state(letter: str) -> tuple[str, str]:
        row = outbox.get(message_key(config.program.id, letter, applicant)) or {}
        return text(row.get("State")), text(row.get("Note"))

    acceptance, note = state("acceptance")
    if acceptance in DELIVERED:
        return ""
    if acceptance == "held":
        return "the acceptance letter is held in the Outbox" + (f" ({note})" if note else "")
    if acceptance in ("drafted", "sending"):
        return "the acceptance letter is being sent but not yet confirmed sent"
    for letter in ("waitlist", "denial"):
        if state(letter)[0] in DELIVERED:
            return (f"the acceptance letter has not been sent; the last decision letter the "
                    f"student received was the {letter} letter")
    return ""


def candidates(config: ProgramConfig, applications: Sequence[Record], participants: Mapping[str, Record],
               open_sessions: set[str], result: StepResult,
               outbox: Mapping[str, Record] | None = None) -> tuple[list[Candidate], dict[str, Record]]:
    """The accepted students as candidates, and their application rows by applicant id.

    A student already seated in an open session is fixed there (as an override would be) so
    a rerun never moves anyone; an override the coordinator set wins over that. With the
    ``outbox`` (keyed), a student not yet seated whose acceptance has not reached them
    (:func:`told_otherwise`) waits, named in ``result``, and is left out.
    """
    questions = question_columns(config)
    choices = [c for c in session_choices(config) if c.session_id in open_sessions]
    found: list[Candidate] = []
    rows: dict[str, Record] = {}
    for row in applications:
        applicant = text(row.get(sheet.APPLICANT_ID))
        if not applicant:
            continue
        try:
            decision = parse_decision(row.get(sheet.DECISION))
        except UnknownDecision:
            continue  # reported by the decisions step, which owns that column
        if decision is not Decision.ACCEPT:
            continue
        earlier = participants.get(applicant, {})
        if text(earlier.get(sheet.PLACEMENT)) == DECLINED:
            continue  # the student or family said no: never placed again automatically
        waiting = "" if outbox is None or text(earlier.get(sheet.PLACEMENT)) in SEATED else \
            told_otherwise(config, applicant, outbox)
        if waiting:
            result.problem(Problem(
                applicant, "placement waiting", waiting,
                "fix what holds the acceptance letter (see the decisions step's line), then "
                "`microintern send decisions`; the student is placed on the next run"))
            result.add("waiting for the acceptance letter")
            continue
        answers = answers_by_key(row, questions)
        points = preference_points(
            _contained([c.title for c in choices], answers.get("availability", "")),
            _contained([c.industry for c in choices], answers.get("interests", "")),
            answers.get("pathway", "").strip(),
            choices,
        )
        override = text(row.get(sheet.COHORT_OVERRIDE)) or None
        if override is not None and override not in open_sessions:
            result.problem(Problem(
                applicant, f"{sheet.COHORT_OVERRIDE} ignored",
                f"{override[:40]!r} is not an open session id; the student is placed by preference",
                f"type an open session id in {sheet.COHORT_OVERRIDE} (Applications tab), or clear it"))
            override = None
        seated_in = text(earlier.get(sheet.SESSION_ID))
        if override is None and text(earlier.get(sheet.PLACEMENT)) in SEATED and seated_in in open_sessions:
            override = seated_in
        found.append(Candidate(applicant, points, override, _score(row.get(sheet.SCORE))))
        rows[applicant] = row
    return found, rows


def participant_rows(plan: CohortPlan, applications: Mapping[str, Record],
                     participants: Mapping[str, Record], config: ProgramConfig,
                     waiting: frozenset[str] = frozenset()) -> list[Record]:
    """The Participants rows this plan changes: placements, reasons, names; withdrawals.

    Students in ``waiting`` (accepted, their acceptance not yet out) keep their rows as they are.
    """
    questions = question_columns(config)
    changed: list[Record] = []
    for applicant, placement in plan.placements.items():
        answers = answers_by_key(applications[applicant], questions)
        earlier = participants.get(applicant, {})
        override = text(applications[applicant].get(sheet.COHORT_OVERRIDE))
        kept = placement.session_id is not None and not override and \
            text(earlier.get(sheet.SESSION_ID)) == placement.session_id and \
            text(earlier.get(sheet.PLACEMENT)) in SEATED
        if kept:
            status, reason = text(earlier.get(sheet.PLACEMENT)), text(earlier.get(sheet.PLACEMENT_REASON))
        elif placement.session_id is None:
            status, reason = WAITLISTED, placement.reason
        else:
            status = OVERRIDE if override == placement.session_id else PLACED
            reason = placement.reason
        row: Record = {
            sheet.APPLICANT_ID: applicant,
            "First name": answers.get("first_name", "").strip(),
            "Last name": answers.get("last_name", "").strip(),
            sheet.SESSION_ID: placement.session_id or "",
            sheet.PLACEMENT: status,
            sheet.PLACEMENT_REASON: reason,
        }
        if any(text(earlier.get(k)) != text(v) for k, v in row.items()):
            changed.append(row)
    for applicant, earlier in participants.items():
        ended = text(earlier.get(sheet.PLACEMENT)) in (WITHDRAWN, DECLINED)
        if applicant not in plan.placements and not ended and applicant not in waiting:
            changed.append({sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: "",
                            sheet.PLACEMENT: WITHDRAWN,
                            sheet.PLACEMENT_REASON: "no longer accepted (Decision changed)"})
    return changed


def session_checks(plan: CohortPlan, sessions_tab: Sequence[Record], cancelled: set[str]) -> list[Record]:
    """The Sessions rows whose Placed count or Group check changed."""
    before = {text(r.get(sheet.SESSION_ID)): r for r in sessions_tab}
    rows: list[Record] = []
    for session_id, group in plan.groups.items():
        row: Record = {sheet.SESSION_ID: session_id, sheet.SESSION_PLACED: group.size,
                       sheet.SESSION_GROUP_CHECK: group.problem}
        old = before.get(session_id, {})
        if text(old.get(sheet.SESSION_PLACED)) != str(group.size) or \
                text(old.get(sheet.SESSION_GROUP_CHECK)) != group.problem:
            rows.append(row)
    for session_id in sorted(cancelled):
        old = before.get(session_id, {})
        if text(old.get(sheet.SESSION_GROUP_CHECK)) != "cancelled":
            rows.append({sheet.SESSION_ID: session_id, sheet.SESSION_PLACED: 0,
                         sheet.SESSION_GROUP_CHECK: "cancelled"})
    return rows


def place_cohorts(ctx: StepContext) -> StepResult:
    """Place every accepted student not yet seated; report each session's group size."""
    config = ctx.config
    result = StepResult()
    roster = ctx.ports.roster
    tabs = roster.read_tabs([sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.SESSIONS, sheet.OUTBOX])
    present = {text(r.get(sheet.SESSION_ID)): r for r in tabs[sheet.SESSIONS]
               if text(r.get(sheet.SESSION_ID))}
    seed = session_rows(config, present)
    if seed:  # the coordinator sees every session, with its meetings, from the first placement on
        roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, seed)
    participants = {text(r.get(sheet.APPLICANT_ID)): r for r in tabs[sheet.PARTICIPANTS]
                    if text(r.get(sheet.APPLICANT_ID))}
    cancelled = cancelled_sessions(tabs[sheet.SESSIONS])
    open_sessions = {s.id for s in config.sessions} - cancelled
    outbox = {text(r.get(sheet.OUTBOX_KEY)): r for r in tabs[sheet.OUTBOX] if r.get(sheet.OUTBOX_KEY)}
    found, rows = candidates(config, tabs[sheet.APPLICATIONS], participants, open_sessions, result,
                             outbox)
    waiting = frozenset(p.who for p in result.structured if p.what == "placement waiting")
    seats = [CohortSeats(s.id, s.group_size.min, s.group_size.max)
             for s in config.sessions if s.id in open_sessions]
    plan = assign(found, seats)
    if not plan.optimal:
        result.problem(Problem(PROGRAM, "cohort plan not proven optimal",
                               "the cohort solver stopped at its time limit; every group is within "
                               "its bounds but a better plan may exist",
                               "nothing urgent; check the placements in the Participants tab"))
    changed = participant_rows(plan, rows, participants, config, waiting)
    if changed:
        roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, changed)
    checks = session_checks(plan, tabs[sheet.SESSIONS], cancelled)
    if checks:
        roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, checks)
    result.add("placed", plan.placed)
    waiting = sum(1 for p in plan.placements.values() if p.session_id is None)
    if waiting:
        result.add("not placed", waiting)
    result.add("rows changed", len(changed))
    for group in plan.groups.values():
        if group.problem:
            result.problem(Problem(
                group.session_id, "group size", group.problem,
                "accept more students or set Cohort overrides, change the session's group size "
                "in the config, or cancel the session in the Sessions tab"))
    return result
