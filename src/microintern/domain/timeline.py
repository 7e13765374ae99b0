"""The coordinator's timeline: every step of the toolkit, keyed to a session date ``T``.

A step has a window of program-local days around ``T``. While the window is open the step
may run once a day (every step is idempotent, so a daily rerun only picks up what is new);
after the window closes a step that never ran is overdue, and once it is more than
``catch_up_days`` past its window it is missed: a letter that late (a partner invitation five
months on, a reminder after the session) would do more harm than good, so only a person sends
it, on purpose. All arithmetic is done on local wall-clock dates and only then given the
program's zone, so a window that crosses a DST change still opens at the configured local hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

PROGRAM = "program"
"""The scope id of steps that run once for the whole program rather than per session."""


class Scope(StrEnum):
    """Whether a step runs once per program or once per session."""

    PROGRAM = "program"
    SESSION = "session"


class StepName(StrEnum):
    """The steps of the toolkit's timeline, in order."""

    PARTNER_OUTREACH = "partner_outreach"
    PARTNER_MEETING = "partner_meeting"
    APPLICATION_FORM = "application_form"
    APPLICATIONS = "applications"
    RECRUITMENT = "recruitment"
    SCREENING = "screening"
    DECISIONS = "decisions"
    COHORTS = "cohorts"
    REGISTRATION = "registration"
    RELEASE_FORMS = "release_forms"
    SESSIONS = "sessions"
    SESSION_SUPPORT = "session_support"
    REMINDERS = "reminders"
    RUN_SHEET = "run_sheet"
    ATTENDANCE = "attendance"
    FEEDBACK = "feedback"
    BADGES = "badges"
    APPRECIATION = "appreciation"
    ASSIGNMENTS = "assignments"
    HOURS_LOG = "hours_log"
    DASHBOARD = "dashboard"


@dataclass(frozen=True)
class StepSpec:
    """A step of the timeline: what it is and its window in days relative to ``T``."""

    name: StepName
    label: str
    scope: Scope
    opens_day: int
    closes_day: int
    # Days counted from the session's last meeting instead of its first (``T``): the steps
    # after a session, and those that last as long as a multi-week program.
    opens_after_last: bool = False
    closes_after_last: bool = False


W = 7  # days in a week, to keep the table below close to the toolkit's wording

STEPS: tuple[StepSpec, ...] = (
    StepSpec(StepName.PARTNER_OUTREACH, "Partner outreach", Scope.SESSION, -8 * W, -7 * W - 1),
    StepSpec(StepName.PARTNER_MEETING, "Partner meeting", Scope.SESSION, -7 * W, -3 * W - 1),
    StepSpec(StepName.APPLICATION_FORM, "Application form", Scope.PROGRAM, -7 * W, -6 * W - 1),
    StepSpec(StepName.APPLICATIONS, "Applications received", Scope.PROGRAM, -7 * W, -4 * W - 1),
    StepSpec(StepName.RECRUITMENT, "Student recruitment", Scope.PROGRAM, -6 * W, -5 * W - 1),
    StepSpec(StepName.SCREENING, "Application screening", Scope.PROGRAM, -6 * W, -4 * W - 1),
    StepSpec(StepName.DECISIONS, "Acceptance and denial letters", Scope.PROGRAM, -4 * W, -3 * W - 1),
    StepSpec(StepName.COHORTS, "Cohorts", Scope.PROGRAM, -4 * W, -1),
    StepSpec(StepName.REGISTRATION, "Registration links", Scope.SESSION, -4 * W, -2 * W - 1),
    StepSpec(StepName.RELEASE_FORMS, "Release forms", Scope.SESSION, -3 * W, -1 * W - 1),
    StepSpec(StepName.SESSIONS, "Calendar and Meet", Scope.SESSION, -3 * W, -1),
    StepSpec(StepName.SESSION_SUPPORT, "Partner session support", Scope.SESSION, -3 * W, -2 * W - 1),
    # The reminder (T-1) and the run sheet (day of) come before every meeting of a multi-week
    # session: their windows last to the last meeting, and the step picks the meeting from now.
    StepSpec(StepName.REMINDERS, "Session reminder", Scope.SESSION, -1, -1, closes_after_last=True),
    StepSpec(StepName.RUN_SHEET, "Day-of run sheet", Scope.SESSION, 0, 0, closes_after_last=True),
    # Meet keeps conference records 30 days: attendance reads them from the day after the first
    # meeting until 29 days after the last.
    StepSpec(StepName.ATTENDANCE, "Attendance", Scope.SESSION, 1, 29, closes_after_last=True),
    # Feedback: the request from day 2 after the last meeting (day 4 at the latest if cron was
    # down), one reminder up to feedback.reminder_after_days (at most 5) later, and the answers
    # read in daily until then: the window stays open to day 9.
    StepSpec(StepName.FEEDBACK, "Feedback request", Scope.SESSION, 2, 9, True, True),
    StepSpec(StepName.BADGES, "Badges", Scope.SESSION, 3, 5, True, True),
    StepSpec(StepName.APPRECIATION, "Partner thank-you", Scope.SESSION, 5, 7, True, True),
    # Multi-week programs only (sessions with assignments or an hours target).
    StepSpec(StepName.ASSIGNMENTS, "Assignments", Scope.SESSION, -3, 14, closes_after_last=True),
    StepSpec(StepName.HOURS_LOG, "Hours log", Scope.SESSION, 0, 14, closes_after_last=True),
    # The Dashboard tab's figures and charts, fresh every morning from the first application
    # to two weeks after the program's last meeting.
    StepSpec(StepName.DASHBOARD, "Dashboard", Scope.PROGRAM, -7 * W, 14, closes_after_last=True),
)


COMMANDS: Mapping[StepName, str] = {
    StepName.PARTNER_OUTREACH: "send partner-outreach",
    StepName.PARTNER_MEETING: "partners",
    StepName.APPLICATION_FORM: "form",
    StepName.APPLICATIONS: "run applications",
    StepName.RECRUITMENT: "send recruitment",
    StepName.SCREENING: "screen",
    StepName.DECISIONS: "send decisions",
    StepName.COHORTS: "cohorts",
    StepName.REGISTRATION: "send registration",
    StepName.RELEASE_FORMS: "send release-forms",
    StepName.SESSIONS: "sessions",
    StepName.SESSION_SUPPORT: "send session-support",
    StepName.REMINDERS: "send reminders",
    StepName.RUN_SHEET: "send run-sheet",
    StepName.ATTENDANCE: "attendance",
    StepName.FEEDBACK: "feedback",
    StepName.BADGES: "badges",
    StepName.APPRECIATION: "thank-partners",
    StepName.ASSIGNMENTS: "assignments",
    StepName.HOURS_LOG: "hours",
    StepName.DASHBOARD: "report --dashboard",
}
"""What a coordinator types after ``microintern`` to run each step now, and so how the demo's
log and ``status`` name it: the step's own command where it has one (``appreciation`` is
``thank-partners``), else ``send`` (letters) or ``run`` with the step's name. The one place this
mapping lives."""


def step_named(text: str) -> StepName | None:
    """The step ``text`` names: ``release_forms``, ``release-forms`` or its command (``thank-partners``).

    None when it names no step. ``returns`` and other commands that run several steps name none.
    """
    word = text.strip().lower()
    with_underscores = word.replace("-", "_")
    if with_underscores in StepName._value2member_map_:
        return StepName(with_underscores)
    for name, command in COMMANDS.items():
        if command == word or (command.split()[-1] == word and not word.startswith("-")):
            return name
    return None


def t_label(day: date, anchor: date) -> str:
    """``day`` relative to the program's first meeting ``anchor``: ``T-4w``, ``T-27d``, ``T``, ``T+3d``."""
    days = (day - anchor).days
    if days == 0:
        return "T"
    sign = "-" if days < 0 else "+"
    return f"T{sign}{abs(days) // 7}w" if days % 7 == 0 else f"T{sign}{abs(days)}d"


class StepState(StrEnum):
    """Where a step stands at a given moment."""

    UPCOMING = "upcoming"
    DUE = "due"
    DONE = "done"
    OVERDUE = "overdue"
    # Past its window by more than the catch-up bound: never run unattended, only by hand.
    MISSED = "missed"


@dataclass(frozen=True)
class Occurrence:
    """One step for one scope (the program or a session), with its window as aware instants."""

    step: StepSpec
    scope_id: str
    anchor: date
    opens: datetime
    closes: datetime

    @property
    def key(self) -> str:
        """The stable key of this occurrence in the Timeline tab."""
        return f"{self.step.name.value}:{self.scope_id}"


@dataclass(frozen=True)
class RunRecord:
    """What the Timeline tab remembers of an occurrence's runs."""

    last_run: datetime | None = None
    runs: int = 0
    ok: bool = True
    result: str = ""


def _at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    # A wall time that falls in a spring-forward gap resolves with the pre-change offset,
    # which zoneinfo does by default (fold=0); the instant is then normalised to the zone.
    return datetime.combine(day, clock, tzinfo=zone).astimezone(zone)


def plan(
    session_anchors: Mapping[str, date],
    *,
    zone: ZoneInfo,
    opens_at: time,
    steps: tuple[StepSpec, ...] = STEPS,
    session_ends: Mapping[str, date] | None = None,
    skip: frozenset[tuple[StepName, str]] = frozenset(),
) -> list[Occurrence]:
    """Every step occurrence of a program, ordered by opening time then timeline order.

    ``session_anchors`` maps each session id to its first meeting's local date (``T``); the
    program-wide steps are anchored to the earliest of them. ``session_ends`` gives each
    session's last meeting date (default: its ``T``; the program's is the latest), from which
    steps marked
    ``opens_after_last``/``closes_after_last`` count. ``skip`` holds (step, session id) pairs that
    do not apply. A window opens at ``opens_at`` local time on its first day and closes at the
    end of its last day.
    """
    ends = dict(session_ends or {})
    if ends:
        ends[PROGRAM] = max(ends.values())
    if not session_anchors:
        return []
    program_anchor = min(session_anchors.values())
    order = {spec.name: i for i, spec in enumerate(steps)}
    occurrences: list[Occurrence] = []
    for spec in steps:
        if spec.scope is Scope.PROGRAM:
            scopes: Mapping[str, date] = {PROGRAM: program_anchor}
        else:
            scopes = session_anchors
        for scope_id, anchor in scopes.items():
            if (spec.name, scope_id) in skip:
                continue
            end = ends.get(scope_id, anchor)
            first = (end if spec.opens_after_last else anchor) + timedelta(days=spec.opens_day)
            last = (end if spec.closes_after_last else anchor) + timedelta(days=spec.closes_day)
            occurrences.append(
                Occurrence(
                    step=spec,
                    scope_id=scope_id,
                    anchor=anchor,
                    opens=_at_local(first, opens_at, zone),
                    closes=_at_local(last + timedelta(days=1), time(0), zone),
                )
            )
    occurrences.sort(key=lambda o: (o.opens, order[o.step.name], o.scope_id))
    return occurrences


def days_past(occurrence: Occurrence, now: datetime) -> int:
    """How many program-local days ``now`` is past the last day of the occurrence's window.

    1 on the day after the window's last day, 0 or less while the window is open or upcoming.
    Counted on local calendar dates, so a DST change in between neither adds nor loses a day.
    """
    zone = occurrence.closes.tzinfo
    assert zone is not None
    last_day = occurrence.closes.astimezone(zone).date() - timedelta(days=1)
    return (now.astimezone(zone).date() - last_day).days


def state_of(occurrence: Occurrence, record: RunRecord | None, now: datetime,
             *, catch_up_days: int | None = None) -> StepState:
    """The state of an occurrence at ``now`` given what the Timeline tab remembers.

    An occurrence that never ran after its window closed is overdue for ``catch_up_days``
    days and missed after that (``None``: overdue forever; ``0``: missed at once).
    """
    zone = occurrence.opens.tzinfo
    ran_ok = record is not None and record.ok and record.last_run is not None
    # Compare instants in UTC: Python compares datetimes sharing a tzinfo by wall time,
    # which is an hour off around a DST change.
    instant = now.astimezone(UTC)
    if instant < occurrence.opens.astimezone(UTC):
        return StepState.UPCOMING
    if instant < occurrence.closes.astimezone(UTC):
        assert zone is not None
        if ran_ok and record is not None and record.last_run is not None:
            if record.last_run.astimezone(zone).date() == now.astimezone(zone).date():
                return StepState.DONE
        return StepState.DUE
    if ran_ok:
        return StepState.DONE
    if catch_up_days is not None and days_past(occurrence, now) > catch_up_days:
        return StepState.MISSED
    return StepState.OVERDUE


def should_run(state: StepState, *, catch_up: bool) -> bool:
    """Whether an unattended run (run-due) should execute an occurrence in ``state``.

    Never a missed one: that is for the coordinator to send on purpose (``microintern send``).
    """
    return state is StepState.DUE or (catch_up and state is StepState.OVERDUE)
