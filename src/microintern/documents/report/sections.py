"""The report's sections as headings, short texts and tables of text: one layout for HTML and PDF.

Both renderers walk the same :func:`sections` list in the same order, so the two files say the
same thing under the same headings. Pure: figures in, strings out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from microintern.domain.equity import NOT_GIVEN
from microintern.domain.report import NO_DATA, ProgramReport, one_decimal

# Stable section ids (HTML anchors, chart names, PDF outline order) and their headings.
HEADINGS: dict[str, str] = {
    "funnel": "From application to badge",
    "attendance": "Attendance per session",
    "feedback": "Student feedback",
    "equity": "Equity of recruitment and selection",
    "partners": "Partners engaged",
    "assignments": "Assignments and partner feedback",
    "hours": "Hours",
    "students": "Students (internal use)",
}
INTERNAL_NOTE = ("INTERNAL USE: this table names students (minors). Do not forward, post or print "
                 "it for anyone outside the program staff.")


@dataclass(frozen=True)
class Table:
    """A table of text: an optional caption, the headers, the rows."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def text_columns(self) -> tuple[bool, ...]:
        """Per column, True when it holds words (set left, as text reads) rather than figures
        (set right, so digits line up): the first column, and any with a cell that is no figure."""
        columns = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(self.headers)
        return tuple(index == 0 or any(cell.strip() and not _FIGURE.fullmatch(cell.strip()) for cell in cells)
                     for index, cells in enumerate(columns))


# A figure as the report prints it: 48, 1,234, 64.7%, 1.00, $16.50, or "-" for none.
_FIGURE = re.compile(r"-|[-+]?\$?\d[\d,]*(\.\d+)?%?")


@dataclass(frozen=True)
class Section:
    """One section: its id, heading, a lead sentence, tables, and whether it has data yet."""

    id: str
    heading: str
    lead: str
    tables: tuple[Table, ...]
    has_data: bool
    internal: bool = False


def number(value: float | int | None, places: int = 1) -> str:
    """A figure for people: ``-`` for none, integers without decimals."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{places}f}"


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage (``-`` when ``whole`` is 0)."""
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def rating(value: float | None) -> str:
    """An average rating to one decimal, always shown with it (4.0, not 4): a few answers
    support no finer figure, and the column reads evenly."""
    shown = one_decimal(value)
    return "-" if shown is None else f"{shown:.1f}"


def _funnel(report: ProgramReport) -> Section:
    applied = report.funnel[0].count if report.funnel else 0
    rows = tuple((s.name, number(s.count), percent(s.count, applied)) for s in report.funnel)
    return Section("funnel", HEADINGS["funnel"],
                   "How many students reached each stage, counted from the Applications and "
                   "Participants tabs.",
                   (Table("", ("Stage", "Students", "Of applicants"), rows),),
                   any(s.count for s in report.funnel))


def _attendance(report: ProgramReport) -> Section:
    rows = tuple((a.title, number(a.meetings), number(a.placed), number(a.attended),
                  percent(a.attended, a.placed), number(a.minutes_per_meeting, 0), _share(a.time_share),
                  number(a.timed)) for a in report.attendance)
    return Section("attendance", HEADINGS["attendance"],
                   "Students placed in each session and how many attended (after the coordinator's "
                   "corrections). Sessions differ in their number of meetings, so time in the "
                   "meetings is given per meeting and as a share of the scheduled meeting time, "
                   "averaged over the attending students whose minutes are known (n).",
                   (Table("", ("Session", "Meetings", "Placed", "Attended", "Rate",
                               "Minutes per meeting", "Of scheduled time", "n"), rows),)
                   if rows else (), bool(rows))


def _feedback(report: ProgramReport) -> Section:
    rows = tuple((f.title, number(f.responses), *(rating(a) for a in f.averages))
                 for f in report.feedback)
    return Section("feedback", HEADINGS["feedback"],
                   "Average ratings from the feedback form, 1 (poor) to 5 (excellent), over n "
                   "responses; to one decimal, since a few answers support no finer figure.",
                   (Table("", ("Session", "Responses (n)", *report.ratings), rows),) if rows else (),
                   bool(rows))


def _equity(report: ProgramReport) -> Section:
    equity = report.equity
    if equity is None:
        return Section("equity", HEADINGS["equity"],
                       "No demographic questions are chosen for this report (equity.fields).", (), False)
    tables = []
    for field in equity.fields:
        rows = tuple((
            ("* " if g.below_four_fifths else "") + g.group, number(g.applicants), number(g.accepted),
            _share(g.selection_rate), "-" if g.ratio is None else f"{g.ratio:.2f}",
            _share(g.applicant_share), _share(g.enrollment_share), g.note,
        ) for g in field.groups)
        tables.append(Table(f"{field.label} ({field.answered} answered)",
                            ("Group", "Applicants", "Accepted", "Selection rate", "Ratio to highest",
                             "Share of applicants", "Share of enrollment", "Note"), rows))
    lead = (f"{equity.accepted} accepted of {equity.applicants} applicants; accepted counts "
            f"{report.equity_basis or 'the decisions'}. * marks a group whose selection rate is "
            f"below {equity.threshold:g} of the highest group's (the four-fifths rule): a prompt "
            f"to look closer, not a finding. A group with fewer than {equity.min_group_size} "
            f"applicants is not flagged (chance alone moves a small group's rate; "
            f"equity.min_group_size), and its note says so; \"{NOT_GIVEN}\" is never the "
            f"reference.")
    return Section("equity", HEADINGS["equity"], lead, tuple(tables), equity.applicants > 0)


def _partners(report: ProgramReport) -> Section:
    now = tuple((p.stage.capitalize(), number(p.count)) for p in report.partners)
    reached = tuple((p.stage.capitalize(), number(p.count)) for p in report.partner_pipeline)
    return Section("partners", HEADINGS["partners"],
                   f"{number(report.partners_engaged)} of {number(report.partner_total)} partners on "
                   "the Partners tab are engaged (confirmed, session built or thanked). The chart and "
                   "the first table show where each partner stands now (each counts once); the "
                   "second counts a partner at every stage it has passed.",
                   (Table("Where partners stand now", ("Status", "Partners"), now),
                    Table("Stages reached", ("Stage", "Partners"), reached)),
                   report.partner_total > 0)


def _assignments(report: ProgramReport) -> Section:
    rows = tuple((a.session_title, a.assignment, number(a.students), number(a.on_time), number(a.late),
                  number(a.missing), number(a.not_due), number(a.feedback_sent),
                  number(a.awaiting_feedback), number(a.median_turnaround_days))
                 for a in report.assignments)
    turnaround = (NO_DATA if report.median_turnaround_days is None else
                  f"{number(report.median_turnaround_days)} days (median of {report.turnaround_count})")
    return Section("assignments", HEADINGS["assignments"],
                   "Work handed in per assignment, and the partners' feedback turnaround (days from "
                   f"hand-in to feedback sent): {turnaround}.",
                   (Table("", ("Session", "Assignment", "Students", "On time", "Late", "Missing",
                               "Not due yet", "Feedback sent", "Awaiting feedback", "Median days"),
                          rows),) if rows else (), bool(rows))


def _hours(report: ProgramReport) -> Section:
    rows = tuple((h.title, number(h.target), number(h.students), number(h.confirmed),
                  number(h.per_student), number(h.at_target), number(h.waiting_entries),
                  number(h.rejected_entries), number(h.flagged_entries)) for h in report.hours)
    return Section("hours", HEADINGS["hours"],
                   "Confirmed hours of each session's students against the session's target. "
                   "Waiting: entries nobody has confirmed or rejected yet that can still count, as "
                   "the hours command counts them (an entry flagged as a duplicate, a future date "
                   "or unreadable never counts, so it waits for nobody).",
                   (Table("", ("Session", "Target", "Students", "Confirmed hours", "Per student",
                               "At target", "Waiting for confirmation", "Rejected", "Flagged"), rows),)
                   if rows else (), bool(rows))


def _students(report: ProgramReport) -> Section:
    students = report.students or ()
    rows = tuple((s.name, s.session, s.attended, s.badge, number(s.hours, 2)) for s in students)
    return Section("students", HEADINGS["students"], INTERNAL_NOTE,
                   (Table("", ("Name", "Session", "Attended", "Badge", "Confirmed hours"), rows),)
                   if rows else (), bool(rows), internal=True)


def sections(report: ProgramReport) -> list[Section]:
    """Every section in the report's order; the per-student table only when names were asked for."""
    found = [_funnel(report), _attendance(report), _feedback(report), _equity(report),
             _partners(report), _assignments(report), _hours(report)]
    if report.includes_names:
        found.append(_students(report))
    return found
