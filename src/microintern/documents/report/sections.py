"""The report's sections as headings, short texts and tables of text: one layout for HTML and PDF.

Both renderers walk the same :func:`sections` list in the same order, so the two files say the
same thing under the same headings. Pure: figures in, strings out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from microintern.documents.report.text import ReportText, english
from microintern.domain.equity import NOT_GIVEN, GroupResult
from microintern.domain.report import ProgramReport, one_decimal

# Stable section ids (HTML anchors, chart names, PDF outline order); their headings are in each
# language's report text (templates/report.<lang>.yaml, headings.<id>).
HEADINGS: tuple[str, ...] = ("funnel", "attendance", "feedback", "equity", "partners", "assignments",
                             "hours", "students")


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


# A figure as the report prints it: 48, 1,234, 64.7%, 1.00, $16.50, or "-" for none; in Spanish
# 1.234, 64,7 % (a no-break space before the sign) and 1,00.
_FIGURE = re.compile(r"-|[-+]?\$?\d[\d,.\u00a0\u202f]*(\s?%)?")


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
    """A figure for people, in English: ``-`` for none, integers without decimals."""
    return english().number(value, places)


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage, in English (``-`` when ``whole`` is 0)."""
    return english().percent(part, whole)


def rating(value: float | None, text: ReportText | None = None) -> str:
    """An average rating to one decimal, always shown with it (4.0, not 4): a few answers
    support no finer figure, and the column reads evenly. Halves round up (4.25 -> 4.3)."""
    return (text or english()).decimals(one_decimal(value), 1)


def _funnel(report: ProgramReport, t: ReportText) -> Section:
    applied = report.funnel[0].count if report.funnel else 0
    rows = tuple((t.name("stages", s.name), t.number(s.count), t.percent(s.count, applied))
                 for s in report.funnel)
    return Section("funnel", t.say("headings.funnel"), t.say("sections.funnel.lead"),
                   (Table("", t.words_at("sections.funnel.headers"), rows),),
                   any(s.count for s in report.funnel))


def _attendance(report: ProgramReport, t: ReportText) -> Section:
    rows = tuple((a.title, t.number(a.meetings), t.number(a.placed), t.number(a.attended),
                  t.percent(a.attended, a.placed), t.number(a.minutes_per_meeting, 0),
                  t.share(a.time_share), t.number(a.timed)) for a in report.attendance)
    return Section("attendance", t.say("headings.attendance"), t.say("sections.attendance.lead"),
                   (Table("", t.words_at("sections.attendance.headers"), rows),) if rows else (),
                   bool(rows))


def _feedback(report: ProgramReport, t: ReportText) -> Section:
    rows = tuple((f.title, t.number(f.responses), *(rating(a, t) for a in f.averages))
                 for f in report.feedback)
    return Section("feedback", t.say("headings.feedback"), t.say("sections.feedback.lead"),
                   (Table("", (*t.words_at("sections.feedback.headers"), *report.ratings), rows),)
                   if rows else (), bool(rows))


def _note(group: GroupResult, t: ReportText) -> str:
    """The group's note for the coordinator (as :attr:`GroupResult.note` says it, in ``t``'s words)."""
    notes = []
    if group.reference:
        notes.append(t.say("sections.equity.notes.reference"))
    if group.group == NOT_GIVEN:
        notes.append(t.say("sections.equity.notes.never_reference"))
    if group.applicants == 0:
        notes.append(t.say("sections.equity.notes.no_applicants"))
    elif group.small:
        notes.append(t.say("sections.equity.notes.small", min_group_size=t.number(group.min_group_size)))
    return "; ".join(notes)


def _group(name: str, t: ReportText) -> str:
    """A group as the report names it: the answer as given, "(not given)" in ``t``'s words."""
    return t.say("sections.equity.not_given") if name == NOT_GIVEN else name


def _equity(report: ProgramReport, t: ReportText) -> Section:
    equity = report.equity
    heading = t.say("headings.equity")
    if equity is None:
        return Section("equity", heading, t.say("sections.equity.no_fields"), (), False)
    tables = []
    for field in equity.fields:
        rows = tuple((
            ("* " if g.below_four_fifths else "") + _group(g.group, t), t.number(g.applicants),
            t.number(g.accepted), t.share(g.selection_rate), t.decimals(g.ratio, 2),
            t.share(g.applicant_share), t.share(g.enrollment_share), _note(g, t),
        ) for g in field.groups)
        tables.append(Table(t.say("sections.equity.caption", label=field.label,
                                  answered=t.number(field.answered)),
                            t.words_at("sections.equity.headers"), rows))
    basis = (t.name("sections.equity.basis", report.equity_basis) if report.equity_basis
             else t.say("sections.equity.basis_unknown"))
    lead = t.say("sections.equity.lead", accepted=t.number(equity.accepted),
                 applicants=t.number(equity.applicants), basis=basis, threshold=t.plain(equity.threshold),
                 min_group_size=t.number(equity.min_group_size),
                 not_given=t.say("sections.equity.not_given"))
    return Section("equity", heading, lead, tuple(tables), equity.applicants > 0)


def _partners(report: ProgramReport, t: ReportText) -> Section:
    def named(stage: str) -> str:
        return t.name("partner_statuses", stage).capitalize()

    now = tuple((named(p.stage), t.number(p.count)) for p in report.partners)
    reached = tuple((named(p.stage), t.number(p.count)) for p in report.partner_pipeline)
    return Section("partners", t.say("headings.partners"),
                   t.say("sections.partners.lead", engaged=t.number(report.partners_engaged),
                         total=t.number(report.partner_total)),
                   (Table(t.say("sections.partners.now_caption"), t.words_at("sections.partners.now_headers"),
                          now),
                    Table(t.say("sections.partners.reached_caption"),
                          t.words_at("sections.partners.reached_headers"), reached)),
                   report.partner_total > 0)


def _assignments(report: ProgramReport, t: ReportText) -> Section:
    rows = tuple((a.session_title, a.assignment, t.number(a.students), t.number(a.on_time),
                  t.number(a.late), t.number(a.missing), t.number(a.not_due), t.number(a.feedback_sent),
                  t.number(a.awaiting_feedback), t.number(a.median_turnaround_days))
                 for a in report.assignments)
    turnaround = (t.say("no_data") if report.median_turnaround_days is None else
                  t.say("sections.assignments.turnaround", days=t.number(report.median_turnaround_days),
                        count=t.number(report.turnaround_count)))
    return Section("assignments", t.say("headings.assignments"),
                   t.say("sections.assignments.lead", turnaround=turnaround),
                   (Table("", t.words_at("sections.assignments.headers"), rows),) if rows else (),
                   bool(rows))


def _hours(report: ProgramReport, t: ReportText) -> Section:
    rows = tuple((h.title, t.number(h.target), t.number(h.students), t.number(h.confirmed),
                  t.number(h.per_student), t.number(h.at_target), t.number(h.waiting_entries),
                  t.number(h.rejected_entries), t.number(h.flagged_entries)) for h in report.hours)
    return Section("hours", t.say("headings.hours"), t.say("sections.hours.lead"),
                   (Table("", t.words_at("sections.hours.headers"), rows),) if rows else (), bool(rows))


def _answer(cell: str, t: ReportText) -> str:
    """A yes or no from the sheet in ``t``'s words ("Yes" too); any other cell as it stands."""
    word = t.name("answers", cell.casefold())
    return cell if word == cell.casefold() else word


def _students(report: ProgramReport, t: ReportText) -> Section:
    students = report.students or ()
    rows = tuple((s.name, s.session, _answer(s.attended, t), _answer(s.badge, t),
                  t.number(s.hours, 2)) for s in students)
    return Section("students", t.say("headings.students"), t.say("sections.students.lead"),
                   (Table("", t.words_at("sections.students.headers"), rows),) if rows else (),
                   bool(rows), internal=True)


def sections(report: ProgramReport, text: ReportText | None = None) -> list[Section]:
    """Every section in the report's order, in ``text``'s language (English when None); the
    per-student table only when names were asked for."""
    t = text or english()
    found = [_funnel(report, t), _attendance(report, t), _feedback(report, t), _equity(report, t),
             _partners(report, t), _assignments(report, t), _hours(report, t)]
    if report.includes_names:
        found.append(_students(report, t))
    return found
