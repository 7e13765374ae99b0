"""The report's figures from the program sheet's rows and the config: :func:`build_report`."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.decisions import Decision, UnknownDecision, parse_decision
from microintern.domain.equity import EquityReport
from microintern.domain.hours import NEVER_COUNTS, Flag, decision_of
from microintern.domain.hours import Decision as HoursDecision
from microintern.domain.partners import DECLINED, PIPELINE, status_of
from microintern.domain.records import Cell, Record
from microintern.domain.report.model import (
    AVERAGE_PREFIX,
    DUPLICATE,
    ENGAGED,
    FUNNEL_STAGES,
    OTHER_STATUS,
    PARTNER_STAGES,
    PARTNER_STATUSES,
    AssignmentSubmissions,
    FunnelStage,
    PartnerStage,
    ProgramReport,
    SessionAttendance,
    SessionFeedback,
    SessionHours,
    StudentLine,
)

_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


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
            on_time, late, missing, not_due, sent, awaiting, _median(turnaround), assignment))
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
            _student_hours(row, logged), session))
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
