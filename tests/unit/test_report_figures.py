"""Every figure of the program report against a small program computed by hand.

One program (24 applicants, 6 placed in a one-meeting and a six-meeting session, 7 partners, two
assignments, nine hours entries) goes through the real steps on the local backend: the report's
figures (funnel, attendance per session, ratings, equity rates and flags with the minimum group
size, partners, submissions, hours), the Dashboard's rows, the Equity tab, and what the rendered
HTML and PDF say. Each expected number is worked out in the comment beside it. The PDF keeps
every heading on the page of its chart.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from pypdf import PdfReader
from report_rows import fill_roster

from microintern.bootstrap import build_ports, step_context
from microintern.config import ProgramConfig
from microintern.documents.report import pdf as report_pdf
from microintern.documents.report.charts import render_charts
from microintern.documents.report.html import environment, render_html
from microintern.documents.report.pdf import render_pdf
from microintern.documents.report.sections import sections
from microintern.domain import program_sheet as sheet
from microintern.domain.equity import NOT_GIVEN
from microintern.domain.hours import (
    Decision,
    LoggedEntry,
    LogWindow,
    check_entries,
    confirmed_hours,
    hours_row,
)
from microintern.domain.records import Record
from microintern.domain.report import ProgramReport, dashboard_rows
from microintern.steps.context import StepContext
from microintern.steps.equity import equity_report, write_equity_tab
from microintern.steps.setup import initialise
from microintern.steps.sheet.dashboard import program_report

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NOW = (2027, 5, 20, 9, 0)
MESA, CANYON, PALO = "Mesa Valley High School", "Canyon Ridge High School", "Palo Verde Academy"
SMALL = "not flagged: fewer than 10 applicants in the group"


def _stamp(day: str) -> str:
    return f"{day} 10:00"


def applications(config: ProgramConfig) -> list[Record]:
    """24 applicants and a superseded duplicate; A01-A06 accepted.

    School: Mesa A01-A04 + A07-A14 = 12 (4 accepted); Canyon A05 + A15-A23 = 10 (1 accepted);
    Palo Verde A06 + A24 = 2 (1 accepted). Gender: Female A01-A04 + A07-A13 = 11 (4 accepted);
    Male A05, A06 + A14-A21 = 10 (2 accepted); Non-binary A22-A24 = 3 (0 accepted).
    """
    titles = {q.key: q.title for q in config.application.questions}
    rows: list[Record] = []
    for i in range(1, 25):
        school = (MESA if i <= 4 or 7 <= i <= 14 else CANYON if i == 5 or 15 <= i <= 23 else PALO)
        gender = "Female" if i <= 4 or 7 <= i <= 13 else "Male" if i <= 6 or i <= 21 else "Non-binary"
        rows.append({sheet.APPLICANT_ID: f"A{i:02d}", titles["first_name"]: f"First{i}",
                     titles["last_name"]: f"Last{i}", titles["school"]: school,
                     titles["gender"]: gender,
                     sheet.DECISION: "Accept" if i <= 6 else ("Deny" if i % 2 else "Waitlist")})
    rows.append({sheet.APPLICANT_ID: "A25", titles["school"]: MESA, titles["gender"]: "Female",
                 sheet.PROPOSED_DECISION: "Duplicate"})
    return rows


def participants() -> list[Record]:
    """cyber-basics (1 meeting of 90 min): A01-A03; data-fellows (6 meetings of 90 min): A04-A06."""
    def row(applicant: str, session: str, *, release: bool, attended: str | None,
            minutes: int | None, badge: bool) -> Record:
        return {sheet.APPLICANT_ID: applicant, "First name": f"First{applicant}", "Last name": "X",
                sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.PLACED,
                sheet.REGISTERED: _stamp("2027-02-20"),
                sheet.RELEASE_RETURNED: _stamp("2027-02-28") if release else None,
                sheet.ATTENDED: attended, sheet.MINUTES: minutes,
                sheet.BADGE: "2027-05-15 assertion" if badge else None}
    return [
        row("A01", "cyber-basics", release=True, attended="yes", minutes=80, badge=True),
        row("A02", "cyber-basics", release=True, attended="yes", minutes=89, badge=True),
        row("A03", "cyber-basics", release=False, attended=None, minutes=None, badge=False),
        row("A04", "data-fellows", release=True, attended="yes", minutes=520, badge=True),
        row("A05", "data-fellows", release=True, attended="yes", minutes=400, badge=False),
        row("A06", "data-fellows", release=True, attended="no", minutes=None, badge=False),
    ]


def feedback(config: ProgramConfig) -> list[Record]:
    """cyber-basics: 3 answers; data-fellows: 2 answers (ratings in the config's order)."""
    answers = {"cyber-basics": [(5, 4, 3), (4, 4, 4), (4, 5, 4)],
               "data-fellows": [(5, 4, 3), (4, 4, 5)]}
    rows: list[Record] = []
    for session, given in answers.items():
        for n, values in enumerate(given):
            row: Record = {sheet.FEEDBACK_KEY: f"r-{session}-{n}", sheet.SESSION_ID: session}
            row.update(zip(config.feedback.ratings, values, strict=True))
            rows.append(row)
    return rows


def partners(config: ProgramConfig) -> list[Record]:
    """The 4 config partners thanked; a prospect contacted, one declined, one with a typed note."""
    rows: list[Record] = [{sheet.PARTNER_ID: p.id, sheet.PARTNER_STATUS: "thanked"} for p in config.partners]
    rows += [{sheet.PARTNER_ID: "p-contacted", sheet.PARTNER_STATUS: "Contacted"},
             {sheet.PARTNER_ID: "p-declined", sheet.PARTNER_STATUS: "declined"},
             {sheet.PARTNER_ID: "p-note", sheet.PARTNER_STATUS: "call back in May"}]
    return rows


def assignments() -> list[Record]:
    """data-cleaning (due 2027-04-19): A04 on time, A05 late, A06 missing; final-project (due
    2027-06-10, after NOW): A04 not handed in yet, A05 handed in, no feedback yet."""
    def work(assignment: str, student: str, due: str, **cells: object) -> Record:
        row: Record = {sheet.SUBMISSION_KEY: f"data-fellows:{assignment}:{student}",
                       sheet.SESSION_ID: "data-fellows", sheet.ASSIGNMENT: assignment,
                       sheet.APPLICANT_ID: student, sheet.DUE: due}
        row.update(cells)  # type: ignore[arg-type]
        return row
    return [
        work("data-cleaning", "A04", "2027-04-19", **{sheet.HANDED_IN: "2027-04-18 10:00", sheet.LATE: "no",
                                                      sheet.FEEDBACK_SENT: "2027-04-20 10:00"}),   # 2 days
        work("data-cleaning", "A05", "2027-04-19", **{sheet.HANDED_IN: "2027-04-21 10:00", sheet.LATE: "yes",
                                                      sheet.FEEDBACK_SENT: "2027-04-26 10:00"}),   # 5 days
        work("data-cleaning", "A06", "2027-04-19", **{sheet.LATE: "missing"}),
        work("final-project", "A04", "2027-06-10"),
        work("final-project", "A05", "2027-06-10", **{sheet.HANDED_IN: "2027-05-10 10:00", sheet.LATE: "no"}),
    ]


# (key, student, work date, logged on, hours, activity, the confirmer's cell)
ENTRIES = (
    ("e1", "A04", "2027-04-07", "2027-04-08", "10", "research", "confirmed"),
    ("e0", "A04", "2027-04-08", "2027-04-09", "10", "interviews", "confirmed"),
    ("e2", "A04", "2027-04-14", "2027-04-15", "12", "analysis", "confirmed"),
    ("e3", "A04", "2027-04-21", "2027-04-22", "4", "charts", None),           # waiting
    ("e4", "A04", "2027-04-21", "2027-04-22", "4", "charts", None),           # duplicate of e3: never counts
    ("e5", "A04", "2027-04-30", "2027-04-28", "5", "writing", "confirmed"),   # future date: never counts
    ("e6", "A05", "2027-04-07", "2027-04-08", "9", "research", "confirmed"),
    ("e7", "A05", "2027-04-08", "2027-04-09", "2", "reading", "rejected"),
    ("e8", "A05", "2027-04-07", "2027-04-09", "2.5", "notes", None),          # same day: counts; waiting
    ("e9", "A05", "2027-04-15", "2027-04-16", "1", "review", "confimred"),    # a typo: still waiting
)


def hours_rows(config: ProgramConfig) -> tuple[list[Record], list[Any]]:
    """The Hours tab as the hours step writes it (its own checks and cells), with the confirmer's
    decisions; and the checked entries, for the step's own totals."""
    zone = config.zone
    session = next(s for s in config.sessions if s.id == "data-fellows")
    logged = [LoggedEntry(key, student, datetime.fromisoformat(f"{on} 18:00").replace(tzinfo=zone),
                          day, hours, activity)
              for key, student, day, on, hours, activity, _decision in ENTRIES]
    decisions = {key: Decision(cell) if cell in ("confirmed", "rejected") else Decision.PENDING
                 for key, *_rest, cell in ENTRIES}
    checked = check_entries(logged, {"A04": "data-fellows", "A05": "data-fellows", "A06": "data-fellows"},
                            {"data-fellows": LogWindow.of(session)}, decisions,
                            max_per_day=Decimal(str(config.hours.max_hours_per_day)), zone=zone)
    cells = {key: cell for key, *_rest, cell in ENTRIES}
    rows = [{**hours_row(c, "", zone), sheet.CONFIRMATION: cells[c.key]} for c in checked]
    return rows, checked


@pytest.fixture
def config(make_config: Callable[..., ProgramConfig]) -> ProgramConfig:
    return make_config(equity={"fields": ["school", "gender"],
                               "enrollment": {"school": {MESA: 1850, CANYON: 1420, PALO: 610}}})


def context(config: ProgramConfig) -> StepContext:
    """The hand-computed program in a local workbook, through the real steps' ports."""
    ports = build_ports(config)
    initialise(config, ports.roster)
    rows, _checked = hours_rows(config)
    fill_roster(ports.roster, {
        sheet.APPLICATIONS: applications(config), sheet.PARTICIPANTS: participants(),
        sheet.FEEDBACK: feedback(config), sheet.PARTNERS: partners(config),
        sheet.ASSIGNMENTS: assignments(), sheet.HOURS: rows})
    return step_context(config, datetime(*NOW, tzinfo=config.zone), ports=ports)


@pytest.fixture
def report(config: ProgramConfig) -> ProgramReport:
    return program_report(context(config))


def test_funnel(report: ProgramReport) -> None:
    # 24 applied (the duplicate A25 is not counted), A01-A06 accepted and registered, A03 has
    # no release form, A01 A02 A04 A05 attended, A01 A02 A04 badged.
    assert [(s.name, s.count) for s in report.funnel] == [
        ("Applied", 24), ("Accepted", 6), ("Registered", 6), ("Release returned", 5),
        ("Attended", 4), ("Badged", 3)]


def test_attendance_per_session_is_per_meeting(report: ProgramReport) -> None:
    cyber, fellows = report.attendance
    # One 90-minute meeting: 80 and 89 minutes -> 84.5 -> 85 per meeting; (80 + 89) / 180 = 93.9%.
    assert (cyber.session_id, cyber.meetings, cyber.placed, cyber.attended) == ("cyber-basics", 1, 3, 2)
    assert (cyber.minutes_per_meeting, cyber.time_share, cyber.timed) == (85.0, 0.939, 2)
    # Six 90-minute meetings: 520 and 400 minutes in all -> 86.7 and 66.7 per meeting -> 77;
    # (520 + 400) / (2 x 540) = 85.2%. The old "average minutes" said 460 beside 84.5.
    assert (fellows.session_id, fellows.meetings, fellows.placed, fellows.attended) == \
        ("data-fellows", 6, 3, 2)
    assert (fellows.minutes_per_meeting, fellows.time_share, fellows.timed) == (77.0, 0.852, 2)


def test_ratings_to_one_decimal_with_n(report: ProgramReport) -> None:
    by_id = {f.session_id: f for f in report.feedback}
    # (5+4+4)/3 = 4.33 -> 4.3; (4+4+5)/3 = 4.33 -> 4.3; (3+4+4)/3 = 3.67 -> 3.7
    assert (by_id["cyber-basics"].responses, by_id["cyber-basics"].averages) == (3, (4.3, 4.3, 3.7))
    # (5+4)/2 = 4.5; (4+4)/2 = 4.0; (3+5)/2 = 4.0
    assert (by_id["data-fellows"].responses, by_id["data-fellows"].averages) == (2, (4.5, 4.0, 4.0))


def test_equity_rates_and_flags_with_the_minimum_group_size(report: ProgramReport) -> None:
    equity = report.equity
    assert equity is not None
    assert (equity.applicants, equity.accepted, equity.min_group_size) == (24, 6, 10)
    school, gender = equity.fields
    rows = {g.group: g for g in school.groups}
    # Mesa 4/12 = 33.3% (reference: Palo Verde's 1/2 is higher but the group is small);
    # Canyon 1/10 = 10.0%, ratio 0.30: flagged (10 applicants is enough);
    # Palo Verde 1/2 = 50.0%, ratio 1.50: small, not flagged.
    assert school.reference == MESA
    assert (rows[MESA].selection_rate, rows[MESA].ratio) == (pytest.approx(1 / 3), 1.0)
    assert (rows[CANYON].selection_rate, rows[CANYON].ratio) == (pytest.approx(0.1), pytest.approx(0.3))
    assert (rows[PALO].selection_rate, rows[PALO].ratio) == (0.5, pytest.approx(1.5))
    assert rows[PALO].small and rows[PALO].note == SMALL
    assert school.flagged == (CANYON,)
    # Female 4/11 = 36.4% (reference); Male 2/10 = 20.0%, ratio 0.55: flagged;
    # Non-binary 0/3 = 0%, ratio 0: below four fifths, but 3 applicants: not flagged, and says why.
    rows = {g.group: g for g in gender.groups}
    assert gender.reference == "Female" and NOT_GIVEN not in rows
    assert rows["Male"].ratio == pytest.approx(0.55) and rows["Male"].below_four_fifths
    assert rows["Non-binary"].ratio == 0 and not rows["Non-binary"].below_four_fifths
    assert rows["Non-binary"].note == SMALL
    assert gender.flagged == ("Male",)


def test_the_minimum_group_size_comes_from_the_config(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config(equity={"fields": ["gender"], "min_group_size": 3})
    equity, _basis = equity_report(context(config))
    [gender] = equity.fields
    assert gender.flagged == ("Male", "Non-binary")      # 3 applicants is enough now
    assert all("not flagged" not in g.note for g in gender.groups)


def test_equity_tab_shows_percentages(config: ProgramConfig) -> None:
    ctx = context(config)
    equity, basis = equity_report(ctx)
    write_equity_tab(ctx, equity, basis)
    tab = {r[sheet.EQUITY_KEY]: r for r in ctx.ports.roster.read_tabs([sheet.EQUITY])[sheet.EQUITY]}
    canyon = tab[f"School / {CANYON}"]
    assert (canyon["Selection rate"], canyon["Below four fifths"]) == ("10.0%", "yes")
    # 10 of 24 applicants; 1420 of 3880 enrolled
    assert (canyon["Share of applicants"], canyon["Share of enrollment"]) == ("41.7%", "36.6%")
    assert float(str(canyon["Ratio to highest"])) == 0.3
    palo = tab[f"School / {PALO}"]
    assert (palo["Selection rate"], palo["Below four fifths"], palo["Note"]) == ("50.0%", None, SMALL)
    assert tab["Gender (optional) / Non-binary"]["Selection rate"] == "0.0%"


def test_partners_where_each_stands_now(report: ProgramReport) -> None:
    # Each partner in one column: 4 thanked, 1 contacted, 1 declined, 1 with a status typed by hand.
    now = {p.stage: p.count for p in report.partners}
    assert {k: v for k, v in now.items() if v} == {"thanked": 4, "contacted": 1, "declined": 1, "other": 1}
    assert sum(now.values()) == report.partner_total == 7
    assert report.partners_engaged == 4                   # confirmed, session built or thanked
    # Stages reached: contacted = 4 thanked + 1 contacted + 1 declined (the typed note is no stage).
    assert {p.stage: p.count for p in report.partner_pipeline} == {
        "listed": 7, "contacted": 6, "confirmed": 4, "session built": 4, "thanked": 4, "declined": 1}


def test_submissions(report: ProgramReport) -> None:
    cleaning, final = report.assignments
    assert (cleaning.students, cleaning.on_time, cleaning.late, cleaning.missing, cleaning.not_due) == \
        (3, 1, 1, 1, 0)
    assert (cleaning.feedback_sent, cleaning.awaiting_feedback, cleaning.median_turnaround_days) == \
        (2, 0, 3.5)
    assert (final.students, final.on_time, final.late, final.missing, final.not_due) == (2, 1, 0, 0, 1)
    assert (final.feedback_sent, final.awaiting_feedback, final.median_turnaround_days) == (0, 1, None)
    assert (report.median_turnaround_days, report.turnaround_count) == (3.5, 2)   # 2 and 5 days


def test_hours_count_as_the_hours_step_counts(config: ProgramConfig, report: ProgramReport) -> None:
    (hours,) = report.hours
    # Confirmed and able to count: A04 10 + 10 + 12 = 32 (e5's future date never counts), A05 9;
    # A06 none. 41 / 3 students = 13.7 per student; only A04 reaches the target of 30.
    assert (hours.target, hours.students, hours.confirmed, hours.at_target) == (30.0, 3, 41.0, 1)
    assert hours.per_student == pytest.approx(41 / 3)
    # Waiting: e3, e8 (a same-day entry still counts) and e9 (a typo is no decision) = 3; not e4,
    # the duplicate, which waits for nobody. Rejected: e7. Flagged: e4, e5, e8.
    assert (hours.waiting_entries, hours.rejected_entries, hours.flagged_entries) == (3, 1, 3)
    # The hours step's own definitions give the same numbers: one definition, not two.
    _rows, checked = hours_rows(config)
    assert hours.waiting_entries == sum(1 for c in checked if c.pending)
    assert Decimal(str(hours.confirmed)) == sum(confirmed_hours(checked).values())


def test_dashboard_rows(report: ProgramReport) -> None:
    rows = {r["Figure"]: r["Value"] for r in dashboard_rows(report)}
    assert rows["Funnel: applied"] == 24 and rows["Funnel: badged"] == 3
    assert rows["Attended: Defend the Network: a Day in Cybersecurity"] == 2
    assert rows["Rating: Defend the Network: a Day in Cybersecurity"] == 4.3
    assert rows["Rating: Data Fellows: Six Weeks of Real-World Math"] == 4.5
    assert (rows["Partners: thanked"], rows["Partners: contacted"], rows["Partners: other"]) == (4, 1, 1)
    assert (rows["Partners: listed"], rows["Partners: engaged (confirmed or later)"]) == (7, 4)
    assert rows["Hours per student: Data Fellows: Six Weeks of Real-World Math"] == 13.7
    assert rows["Hours entries waiting for confirmation"] == 3
    assert rows["Equity: groups below four fifths"] == f"School: {CANYON}; Gender (optional): Male"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_rendered_files_say_the_same(report: ProgramReport) -> None:
    charts = render_charts(report)
    html = render_html(report, charts, environment(TEMPLATES))
    text = pdf_text(render_pdf(report, charts, created_at=report.generated))
    words = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)      # the text, not the charts' drawing
    for shown in (words, " ".join(text.split())):
        assert "Minutes per meeting" in shown and "Average minutes" not in shown
        assert "93.9%" in shown and "85.2%" in shown                        # of scheduled meeting time
        assert "4.33" not in shown and "3.67" not in shown                  # one decimal, n beside it
        assert "Responses (n)" in shown
        assert "33.3%" in shown and "10.0%" in shown and "50.0%" in shown    # equity rates as percentages
        assert "0.333" not in shown
        assert SMALL in shown
        assert "Waiting for confirmation" in shown and "Pending" not in shown
        assert "4 of 7 partners" in shown
    assert "n=3" in charts["feedback"].svg and "n=2" in charts["feedback"].svg   # n under each session
    assert "(n=3)" in charts["equity"].svg                                       # Non-binary, 3 applicants


def test_every_heading_is_on_the_page_of_its_chart(report: ProgramReport) -> None:
    charts = render_charts(report)
    reader = PdfReader(io.BytesIO(render_pdf(report, charts, created_at=report.generated)))
    charted = [s.id for s in sections(report) if s.id in charts]
    pages = {item.title: reader.get_destination_page_number(item) for item in reader.outline}
    seen = 0
    for section in sections(report):
        page = pages[section.heading]
        if section.id in charts:
            seen += 1
            # Images on the pages up to the heading's: this section's chart is among them, so it
            # is on the heading's page (it is drawn after the heading).
            drawn = sum(len(reader.pages[p].images) for p in range(page + 1))
            assert drawn >= seen, (section.heading, page, drawn, seen)
    assert seen == len(charted)


def test_a_heading_near_the_page_end_moves_to_the_next_page_with_its_chart(report: ProgramReport) -> None:
    charts = render_charts(report)
    section = next(s for s in sections(report) if s.id == "attendance")
    pdf = report_pdf._ReportPDF(format="Letter", unit="mm")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_page()
    # 50 mm left: room for the heading and lead, not for the chart (about 75 mm).
    pdf.set_y(pdf.page_break_trigger - 50)
    report_pdf._section(pdf, section, charts["attendance"])
    assert pdf.page == 2
    reader = PdfReader(io.BytesIO(bytes(pdf.output())))
    assert [reader.get_destination_page_number(i) for i in reader.outline] == [1]   # heading on page 2
    assert len(reader.pages[1].images) == 1 and not reader.pages[0].images
    assert "Attendance per session" not in (reader.pages[0].extract_text() or "")


def test_a_chart_taller_than_a_page_is_scaled_to_fit_under_its_heading(report: ProgramReport) -> None:
    charts = render_charts(report)
    section = next(s for s in sections(report) if s.id == "equity")
    pdf: FPDF = report_pdf._ReportPDF(format=(105, 148), unit="mm")   # A6: far shorter than the chart
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.add_page()
    report_pdf._section(pdf, section, charts["equity"])
    reader = PdfReader(io.BytesIO(bytes(pdf.output())))
    assert reader.get_destination_page_number(reader.outline[0]) == 0
    assert len(reader.pages[0].images) == 1                       # the chart under its heading

