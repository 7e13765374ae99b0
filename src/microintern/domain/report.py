"""The program report's figures, from the program sheet's rows and the config (no I/O).

One pure function, :func:`build_report`, turns the tabs into a :class:`ProgramReport`: the funnel
from application to badge, attendance and feedback per session, the equity tables (computed by
:mod:`microintern.domain.equity` and passed in), the partner pipeline, assignment submissions and
the partners' feedback turnaround, and confirmed hours against each session's target. Every figure
is a count or a session-level average; students are named only when the caller asks for the
internal per-student table. Empty tabs and blank columns give zeros and "no data yet", never an
error: the report can be run on the first day of the program.

:func:`dashboard_rows` and :func:`dashboard_charts` lay the same figures out for the sheet's
Dashboard tab (Figure / Value rows) and its native charts.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.decisions import Decision, UnknownDecision, parse_decision
from microintern.domain.equity import EquityReport
from microintern.domain.hours import NEVER_COUNTS, Flag, decision_of
from microintern.domain.hours import Decision as HoursDecision
from microintern.domain.partners import CONFIRMED as PARTNER_CONFIRMED
from microintern.domain.partners import DECLINED, PIPELINE, status_of
from microintern.domain.records import Cell, ChartSpec, Record

NO_DATA = "no data yet"
AVERAGE_PREFIX = "average:"

# The tabs the report reads, in one call.
TABS = (sheet.APPLICATIONS, sheet.PARTNERS, sheet.PARTICIPANTS, sheet.FEEDBACK, sheet.ASSIGNMENTS,
        sheet.HOURS)

FUNNEL_STAGES = ("Applied", "Accepted", "Registered", "Release returned", "Attended", "Badged")
# Partner stages the pipeline table counts: a partner counts at every stage it has reached.
PARTNER_STAGES = ("contacted", "confirmed", "session built", "thanked")
# Where a partner can stand now: the pipeline's stages, declined, and anything else typed by hand.
OTHER_STATUS = "other"
PARTNER_STATUSES = (*PIPELINE, DECLINED, OTHER_STATUS)
# A partner is engaged from the moment they confirm a session (confirmed and every later stage).
ENGAGED = PIPELINE[PIPELINE.index(PARTNER_CONFIRMED):]
DUPLICATE = "Duplicate"           # screening's proposal for a superseded duplicate application
CONFIRMED = "confirmed"
REJECTED = "rejected"
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class FunnelStage:
    """One stage of the funnel and how many students reached it."""

    name: str
    count: int


@dataclass(frozen=True)
class SessionAttendance:
    """Students placed in a session, how many attended, and the time they spent in its meetings.

    The Minutes column holds a student's minutes over *all* the session's meetings, so a total
    is not comparable between a one-meeting and a six-meeting session: the report gives minutes
    per meeting, and the share of the scheduled meeting time, averaged over attending students
    whose minutes are known (``timed`` of them).
    """

    session_id: str
    title: str
    placed: int
    attended: int
    meetings: int | None              # None for a session the config no longer lists
    minutes_per_meeting: float | None  # whole minutes: a per-student average over ``timed``
    time_share: float | None          # minutes / (meetings x scheduled minutes), 0..1+
    timed: int                        # attending students with minutes recorded


@dataclass(frozen=True)
class SessionFeedback:
    """A session's feedback: how many answered and each rating's average (1-5).

    Averages are kept to one decimal: a handful of 1-5 answers supports no finer figure (with 3
    answers the mean moves in steps of 0.33). ``responses`` is shown beside them.
    """

    session_id: str
    title: str
    responses: int
    averages: tuple[float | None, ...]  # in the order of ``ProgramReport.ratings``


@dataclass(frozen=True)
class PartnerStage:
    """Partners at a status: where they stand now, or (pipeline table) every stage they reached."""

    stage: str
    count: int


@dataclass(frozen=True)
class AssignmentSubmissions:
    """One assignment of one session: what was handed in, late, missing, and the feedback loop."""

    session_id: str
    session_title: str
    assignment: str
    students: int
    on_time: int
    late: int
    missing: int
    not_due: int                      # not handed in, not due yet (or no due date)
    feedback_sent: int
    awaiting_feedback: int            # handed in, no feedback sent yet
    median_turnaround_days: float | None

    @property
    def handed_in(self) -> int:
        """Work that arrived, on time or late."""
        return self.on_time + self.late


@dataclass(frozen=True)
class SessionHours:
    """Confirmed hours of one session's students against the session's target."""

    session_id: str
    title: str
    target: float | None
    students: int
    confirmed: float                  # total confirmed hours of the session's students
    at_target: int                    # students whose confirmed hours reach the target
    waiting_entries: int              # undecided entries that can still count (as `hours` says)
    rejected_entries: int
    flagged_entries: int

    @property
    def per_student(self) -> float | None:
        """Average confirmed hours per student placed."""
        return self.confirmed / self.students if self.students else None


@dataclass(frozen=True)
class StudentLine:
    """One student, for the internal table only (``--include-names``)."""

    name: str
    session: str
    attended: str
    badge: str
    hours: float | None


@dataclass(frozen=True)
class ProgramReport:
    """Every figure of the program report."""

    program: str
    district: str
    generated: datetime
    funnel: tuple[FunnelStage, ...]
    attendance: tuple[SessionAttendance, ...]
    ratings: tuple[str, ...]
    feedback: tuple[SessionFeedback, ...]
    equity: EquityReport | None
    equity_basis: str
    partners: tuple[PartnerStage, ...]            # partners at each status now (sums to the total)
    partner_total: int
    partners_engaged: int                         # confirmed, session built or thanked
    partner_pipeline: tuple[PartnerStage, ...]    # listed, then every stage reached, then declined
    assignments: tuple[AssignmentSubmissions, ...]
    median_turnaround_days: float | None
    turnaround_count: int
    hours: tuple[SessionHours, ...]
    students: tuple[StudentLine, ...] | None = None   # None unless names were asked for

    @property
    def includes_names(self) -> bool:
        """Whether the report holds the internal per-student table."""
        return self.students is not None


# --- cells ---------------------------------------------------------------------------------------


def _text(value: Cell) -> str:
    return "" if value is None else " ".join(str(value).split())


def _yes(value: Cell) -> bool:
    return _text(value).casefold() in ("yes", "y", "true", "sí", "si")


def _number(value: Cell) -> float | None:
    """A number from a cell: 4, 4.5, "4", "4,5" or "4 - good"; None when there is none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    found = _NUMBER.search(str(value))
    return float(found.group().replace(",", ".")) if found else None


def _when(value: Cell, zone: ZoneInfo) -> datetime | None:
    """A time from a cell (ISO 8601, "YYYY-MM-DD HH:MM", or a date), in the program's zone."""
    text = _text(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text[:10]), time(0))
        except ValueError:
            return None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def one_decimal(value: float | None) -> float | None:
    """``value`` to one decimal, halves rounded up as people expect (4.25 -> 4.3, not 4.2)."""
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _whole(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# --- figures -------------------------------------------------------------------------------------


def _accepted(row: Record) -> bool:
    try:
        return parse_decision(row.get(sheet.DECISION)) is Decision.ACCEPT
    except UnknownDecision:
        return False


def _session_titles(config: ProgramConfig, rows: Sequence[Sequence[Record]]) -> dict[str, str]:
    """Session id → title: the config's sessions in order, then any other id the tabs mention."""
    titles = {s.id: s.title for s in config.sessions}
    for tab in rows:
        for row in tab:
            session = _text(row.get(sheet.SESSION_ID))
            if session and session not in titles:
                titles[session] = session
    return titles


def counts_as_applicant(row: Record) -> bool:
    """An Applications row that is an applicant: it has an id and is not a superseded duplicate
    (screening proposed "Duplicate" and nobody accepted it). The funnel and the equity report
    both count this way, so "applied" is the same number in both."""
    return bool(_text(row.get(sheet.APPLICANT_ID))) and not (
        _text(row.get(sheet.PROPOSED_DECISION)) == DUPLICATE and not _accepted(row))


def _funnel(applications: Sequence[Record], participants: Sequence[Record]) -> tuple[FunnelStage, ...]:
    applied = [r for r in applications if counts_as_applicant(r)]
    counts = (
        len(applied),
        sum(1 for r in applied if _accepted(r)),
        sum(1 for r in participants if _text(r.get(sheet.REGISTERED))),
        sum(1 for r in participants if _text(r.get(sheet.RELEASE_RETURNED))),
        sum(1 for r in participants if _yes(r.get(sheet.ATTENDED))),
        sum(1 for r in participants if _text(r.get(sheet.BADGE))),
    )
    return tuple(FunnelStage(name, n) for name, n in zip(FUNNEL_STAGES, counts, strict=True))


def _attendance(config: ProgramConfig, titles: Mapping[str, str],
                participants: Sequence[Record]) -> tuple[SessionAttendance, ...]:
    sessions = {s.id: s for s in config.sessions}
    result = []
    for session, title in titles.items():
        rows = [r for r in participants if _text(r.get(sheet.SESSION_ID)) == session]
        seated = [r for r in rows if _text(r.get(sheet.PLACEMENT)) in sheet.SEATED]
        attended = [r for r in rows if _yes(r.get(sheet.ATTENDED))]
        minutes = [m for m in (_number(r.get(sheet.MINUTES)) for r in attended) if m is not None]
        if not (seated or attended):
            continue
        known = sessions.get(session)
        meetings = len(known.meeting_starts()) if known is not None else None
        per_meeting = share = None
        if minutes and meetings:
            # Each student's own per-meeting figure, then their mean: every student weighs the same.
            per_meeting = _whole(statistics.fmean(m / meetings for m in minutes))
            scheduled = meetings * known.duration_minutes if known is not None else 0
            share = round(statistics.fmean(m / scheduled for m in minutes), 3) if scheduled else None
        result.append(SessionAttendance(session, title, len(seated), len(attended), meetings,
                                        per_meeting, share, len(minutes)))
    return tuple(result)


def _rating(value: Cell) -> float | None:
    number = _number(value)
    return number if number is not None and 1 <= number <= 5 else None


def _feedback(titles: Mapping[str, str], ratings: Sequence[str],
              rows: Sequence[Record]) -> tuple[SessionFeedback, ...]:
    averages: dict[str, Record] = {}
    answers: dict[str, list[Record]] = {}
    for row in rows:
        key = _text(row.get(sheet.FEEDBACK_KEY))
        if key.startswith(AVERAGE_PREFIX):
            averages[key.removeprefix(AVERAGE_PREFIX).strip()] = row
        elif key:
            answers.setdefault(_text(row.get(sheet.SESSION_ID)), []).append(row)
    result = []
    for session in dict.fromkeys([*titles, *averages, *answers]):
        if not session:
            continue
        title = titles.get(session, session)
        given = answers.get(session, [])
        if session in averages:   # the feedback step's own averages, when it wrote them
            row = averages[session]
            responses = int(_number(row.get(sheet.FEEDBACK_RESPONSES)) or len(given))
            means = tuple(one_decimal(_number(row.get(r))) for r in ratings)
        elif given:
            responses = len(given)
            means = tuple(one_decimal(_mean([v for v in (_rating(g.get(r)) for g in given)
                                             if v is not None]))
                          for r in ratings)
        else:
            continue
        result.append(SessionFeedback(session, title, responses, means))
    return tuple(result)


def _partners_now(rows: Sequence[Record]) -> tuple[PartnerStage, ...]:
    """Partners at each status now: every partner in exactly one column (a hand-typed status is
    "other"). "Other" is listed only when some partner has one."""
    statuses = [status_of(r.get(sheet.PARTNER_STATUS)) for r in rows if _text(r.get(sheet.PARTNER_ID))]
    known = [s if s in PARTNER_STATUSES else OTHER_STATUS for s in statuses]
    return tuple(PartnerStage(s, known.count(s)) for s in PARTNER_STATUSES
                 if s != OTHER_STATUS or OTHER_STATUS in known)


def _partners(rows: Sequence[Record]) -> tuple[tuple[PartnerStage, ...], int]:
    """The pipeline table: listed, then each stage with every partner that reached it, declined."""
    listed = [r for r in rows if _text(r.get(sheet.PARTNER_ID))]
    statuses = [status_of(r.get(sheet.PARTNER_STATUS)) for r in listed]
    stages = []
    for stage in PARTNER_STAGES:
        reached = sum(1 for s in statuses if s in PIPELINE and PIPELINE.index(s) >= PIPELINE.index(stage))
        if stage == PIPELINE[1]:
            reached += statuses.count(DECLINED)   # a partner who declined was contacted first
        stages.append(PartnerStage(stage, reached))
    stages.append(PartnerStage(DECLINED, statuses.count(DECLINED)))
    stages.insert(0, PartnerStage("listed", len(listed)))
    return tuple(stages), len(listed)


def _assignments(config: ProgramConfig, titles: Mapping[str, str], rows: Sequence[Record],
                 now: datetime) -> tuple[tuple[AssignmentSubmissions, ...], float | None, int]:
    zone = config.zone
    names = {a.id: a.title for s in config.sessions for a in config.assignments_of(s)}
    groups: dict[tuple[str, str], list[Record]] = {}
    for row in rows:
        if not _text(row.get(sheet.SUBMISSION_KEY)):
            continue
        assignment = _text(row.get(sheet.ASSIGNMENT))
        groups.setdefault((_text(row.get(sheet.SESSION_ID)), assignment), []).append(row)
    result = []
    every_turnaround: list[float] = []
    for (session, assignment), group in groups.items():
        on_time = late = missing = not_due = sent = awaiting = 0
        turnaround: list[float] = []
        for row in group:
            handed = _when(row.get(sheet.HANDED_IN), zone)
            state = _text(row.get(sheet.LATE)).casefold()
            if handed is not None or (_text(row.get(sheet.HANDED_IN)) and state != "missing"):
                if state == "yes":
                    late += 1
                else:
                    on_time += 1
                feedback_at = _when(row.get(sheet.FEEDBACK_SENT), zone)
                if _text(row.get(sheet.FEEDBACK_SENT)):
                    sent += 1
                    if handed is not None and feedback_at is not None and feedback_at >= handed:
                        turnaround.append((feedback_at - handed).total_seconds() / 86400)
                else:
                    awaiting += 1
                continue
            due = _when(row.get(sheet.DUE), zone)
            if state == "missing" or (due is not None and due.date() < now.astimezone(zone).date()):
                missing += 1
            else:
                not_due += 1
        every_turnaround += turnaround
        result.append(AssignmentSubmissions(
            session, titles.get(session, session), names.get(assignment, assignment), len(group),
            on_time, late, missing, not_due, sent, awaiting, _median(turnaround)))
    order = list(titles)
    result.sort(key=lambda a: (order.index(a.session_id) if a.session_id in order else len(order),
                               a.session_id, a.assignment))
    return tuple(result), _median(every_turnaround), len(every_turnaround)


# How the Flags cell of the Hours tab begins each reason that keeps an entry out of every total
# (microintern.domain.hours writes them; "; " joins them). "possible duplicate of" is SAME_DAY,
# which still counts once confirmed, so it is told apart from "duplicate of".
_NEVER_COUNTS_REASONS = tuple(sorted({
    *(f.value for f in NEVER_COUNTS if f is not Flag.BAD_INPUT), "Date worked:", "Hours:"}))


def never_counts(flags: Cell) -> bool:
    """Whether an Hours row's Flags cell names a reason the entry can never count for.

    The same rule as :attr:`microintern.domain.hours.CheckedEntry.never_counts`, read back from
    the sheet: so the report's confirmed hours and its "waiting" entries are the `hours`
    command's figures, not a second definition.
    """
    text = "" if flags is None else str(flags)
    return any(reason.strip().startswith(_NEVER_COUNTS_REASONS) for reason in text.split("; "))


def _decision(row: Record) -> HoursDecision:
    """The Confirmation cell read as the hours step reads it: anything else is still waiting."""
    return decision_of(row.get(sheet.CONFIRMATION)) or HoursDecision.PENDING


def _confirmed_hours(rows: Sequence[Record]) -> dict[str, float]:
    """Confirmed hours per applicant id, from the Hours tab (entries that can count only)."""
    totals: dict[str, float] = {}
    for row in rows:
        if _decision(row) is not HoursDecision.CONFIRMED or never_counts(row.get(sheet.HOURS_FLAGS)):
            continue
        applicant = _text(row.get(sheet.APPLICANT_ID))
        hours = _number(row.get(sheet.HOURS_LOGGED))
        if applicant and hours is not None:
            totals[applicant] = totals.get(applicant, 0.0) + hours
    return totals


def _student_hours(row: Record, logged: Mapping[str, float]) -> float | None:
    applicant = _text(row.get(sheet.APPLICANT_ID))
    if applicant in logged:
        return round(logged[applicant], 2)
    return _number(row.get(sheet.CONFIRMED_HOURS))


def _hours(config: ProgramConfig, titles: Mapping[str, str], participants: Sequence[Record],
           rows: Sequence[Record]) -> tuple[SessionHours, ...]:
    targets = {s.id: s.hours_target for s in config.sessions}
    logged = _confirmed_hours(rows)
    entries: dict[str, list[Record]] = {}
    for row in rows:
        if _text(row.get(sheet.ENTRY_KEY)):
            entries.setdefault(_text(row.get(sheet.SESSION_ID)), []).append(row)
    result = []
    for session, title in titles.items():
        target = targets.get(session)
        mine = entries.get(session, [])
        if target is None and not mine:
            continue
        seated = [r for r in participants if _text(r.get(sheet.SESSION_ID)) == session
                  and _text(r.get(sheet.PLACEMENT)) in sheet.SEATED]
        hours = [_student_hours(r, logged) or 0.0 for r in seated]
        states = [_decision(r) for r in mine]
        # Waiting: undecided and able to count, what `hours` prints as "waiting" (an entry that
        # never counts waits for nobody; a typo in Confirmation is no decision: it still waits).
        waiting = sum(1 for r, s in zip(mine, states, strict=True)
                      if s is HoursDecision.PENDING and not never_counts(r.get(sheet.HOURS_FLAGS)))
        result.append(SessionHours(
            session, title, target, len(seated), round(sum(hours), 2),
            sum(1 for h in hours if target is not None and h >= target),
            waiting, states.count(HoursDecision.REJECTED),
            sum(1 for r in mine if _text(r.get(sheet.HOURS_FLAGS)))))
    return tuple(result)


def _students(titles: Mapping[str, str], participants: Sequence[Record],
              logged: Mapping[str, float]) -> tuple[StudentLine, ...]:
    lines = []
    for row in participants:
        if _text(row.get(sheet.PLACEMENT)) not in sheet.SEATED:
            continue
        name = " ".join(p for p in (_text(row.get("First name")), _text(row.get("Last name"))) if p)
        session = _text(row.get(sheet.SESSION_ID))
        lines.append(StudentLine(
            name or _text(row.get(sheet.APPLICANT_ID)), titles.get(session, session),
            _text(row.get(sheet.ATTENDED)) or "-", "yes" if _text(row.get(sheet.BADGE)) else "no",
            _student_hours(row, logged)))
    lines.sort(key=lambda s: (s.session, s.name.casefold()))
    return tuple(lines)


def build_report(config: ProgramConfig, tabs: Mapping[str, Sequence[Record]], *, now: datetime,
                 equity: EquityReport | None = None, equity_basis: str = "",
                 include_names: bool = False) -> ProgramReport:
    """Every figure of the report from the tabs' rows (absent tabs count as empty).

    ``equity`` is the selection-equity report (see :func:`microintern.steps.equity.equity_report`);
    None when the program reports on no demographic question. Students are named only with
    ``include_names`` (the internal per-student table).
    """
    def rows(tab: str) -> Sequence[Record]:
        return tabs.get(tab) or ()

    participants = [r for r in rows(sheet.PARTICIPANTS) if _text(r.get(sheet.APPLICANT_ID))
                    and _text(r.get(sheet.PLACEMENT)) != sheet.WITHDRAWN]
    titles = _session_titles(config, [participants, rows(sheet.FEEDBACK), rows(sheet.ASSIGNMENTS),
                                      rows(sheet.HOURS)])
    pipeline, partner_total = _partners(rows(sheet.PARTNERS))
    partners = _partners_now(rows(sheet.PARTNERS))
    assignments, median, counted = _assignments(config, titles, rows(sheet.ASSIGNMENTS), now)
    return ProgramReport(
        program=config.program.name,
        district=config.program.district,
        generated=now,
        funnel=_funnel(rows(sheet.APPLICATIONS), participants),
        attendance=_attendance(config, titles, participants),
        ratings=tuple(config.feedback.ratings),
        feedback=_feedback(titles, config.feedback.ratings, rows(sheet.FEEDBACK)),
        equity=equity,
        equity_basis=equity_basis,
        partners=partners,
        partner_total=partner_total,
        partners_engaged=sum(p.count for p in partners if p.stage in ENGAGED),
        partner_pipeline=pipeline,
        assignments=assignments,
        median_turnaround_days=median,
        turnaround_count=counted,
        hours=_hours(config, titles, participants, rows(sheet.HOURS)),
        students=(_students(titles, participants, _confirmed_hours(rows(sheet.HOURS)))
                  if include_names else None),
    )


# --- the Dashboard tab ---------------------------------------------------------------------------

FIGURE = sheet.DASHBOARD_COLUMNS[0]
VALUE = sheet.DASHBOARD_COLUMNS[1]
UPDATED = "Report updated"


def _label(titles: Sequence[str], index: int, fallback: str) -> str:
    """A session's title, or its id when two sessions share a title (keys must be unique)."""
    title = titles[index]
    return title if titles.count(title) == 1 else f"{title} ({fallback})"


def _dashboard_figures(report: ProgramReport) -> list[tuple[str, list[tuple[str, Cell]]]]:
    """(chart title, [(figure, value)]) groups, in the Dashboard's order."""
    attendance_titles = [a.title for a in report.attendance]
    feedback_titles = [f.title for f in report.feedback]
    hours_titles = [h.title for h in report.hours]
    first_rating = report.ratings[0] if report.ratings else "rating"
    return [
        ("Funnel", [(f"Funnel: {s.name.lower()}", s.count) for s in report.funnel]),
        ("Students attended per session", [
            (f"Attended: {_label(attendance_titles, i, a.session_id)}", a.attended)
            for i, a in enumerate(report.attendance)]),
        (f"Feedback: {first_rating} (average, 1-5)", [
            (f"Rating: {_label(feedback_titles, i, f.session_id)}",
             f.averages[0] if f.averages and f.averages[0] is not None else 0)
            for i, f in enumerate(report.feedback)]),
        # Where each partner stands now: the columns add up to the partners listed.
        ("Partners engaged", [(f"Partners: {p.stage}", p.count) for p in report.partners]),
        ("Assignments handed in", [
            ("Assignments: on time", sum(a.on_time for a in report.assignments)),
            ("Assignments: late", sum(a.late for a in report.assignments)),
            ("Assignments: missing", sum(a.missing for a in report.assignments)),
            ("Assignments: not due yet", sum(a.not_due for a in report.assignments))]),
        ("Confirmed hours per student", [
            (f"Hours per student: {_label(hours_titles, i, h.session_id)}", one_decimal(h.per_student or 0))
            for i, h in enumerate(report.hours)]),
    ]


def dashboard_rows(report: ProgramReport) -> list[Record]:
    """The Dashboard tab's Figure / Value rows: the charted figures first, then the rest.

    Counts only, never a name: the Dashboard is seen by everyone who opens the sheet.
    """
    rows: list[Record] = [{FIGURE: UPDATED, VALUE: report.generated.strftime("%Y-%m-%d %H:%M")}]
    for _title, figures in _dashboard_figures(report):
        rows += [{FIGURE: figure, VALUE: value} for figure, value in figures]
    turnaround: Cell = NO_DATA if report.median_turnaround_days is None else report.median_turnaround_days
    rows.append({FIGURE: "Partner feedback turnaround (median days)", VALUE: turnaround})
    rows.append({FIGURE: "Feedback responses", VALUE: sum(f.responses for f in report.feedback)})
    rows.append({FIGURE: "Partners: listed", VALUE: report.partner_total})
    rows.append({FIGURE: "Partners: engaged (confirmed or later)", VALUE: report.partners_engaged})
    rows.append({FIGURE: "Hours entries waiting for confirmation",
                 VALUE: sum(h.waiting_entries for h in report.hours)})
    if report.equity is not None:
        flagged = [f"{f.label}: {', '.join(f.flagged)}" for f in report.equity.fields if f.flagged]
        rows.append({FIGURE: "Equity: groups below four fifths", VALUE: "; ".join(flagged) or "none"})
    return rows


def dashboard_charts(report: ProgramReport) -> list[ChartSpec]:
    """One native column chart per group of charted figures that has any figure to show."""
    return [ChartSpec(title=title, key_column=FIGURE, value_column=VALUE,
                      keys=tuple(figure for figure, _value in figures))
            for title, figures in _dashboard_figures(report) if figures]
