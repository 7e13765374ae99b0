"""The Dashboard tab: the report's figures as Figure / Value rows, and its native charts.

Counts only, never a name: the Dashboard is seen by everyone who opens the sheet.
"""

from __future__ import annotations

from collections.abc import Sequence

from microintern.domain import program_sheet as sheet
from microintern.domain.records import Cell, ChartSpec, Record
from microintern.domain.report.figures import one_decimal
from microintern.domain.report.model import NO_DATA, ProgramReport

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
