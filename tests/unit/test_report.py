"""The program report's figures from hand-made rows, and what the rendered files may say."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from microintern.config import ProgramConfig
from microintern.documents.report.charts import render_charts
from microintern.documents.report.html import environment, render_html
from microintern.documents.report.pdf import render_pdf
from microintern.documents.report.sections import HEADINGS, sections
from microintern.domain import program_sheet as sheet
from microintern.domain.equity import DemographicField, Outcome, selection_equity
from microintern.domain.records import Record
from microintern.domain.report import (
    NO_DATA,
    build_report,
    dashboard_charts,
    dashboard_rows,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def config(make_config: Callable[..., ProgramConfig]) -> ProgramConfig:
    return make_config()


def now(config: ProgramConfig) -> datetime:
    return datetime(2027, 5, 20, 9, 0, tzinfo=config.zone)


def participant(applicant: str, session: str, **cells: object) -> Record:
    row: Record = {sheet.APPLICANT_ID: applicant, "First name": f"First{applicant}",
                   "Last name": f"Last{applicant}", sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.PLACED}
    row.update(cells)  # type: ignore[arg-type]
    return row


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_funnel_counts_each_stage(config: ProgramConfig) -> None:
    applications = [
        {sheet.APPLICANT_ID: "A1", sheet.DECISION: "Accept"},
        {sheet.APPLICANT_ID: "A2", sheet.DECISION: "accepted"},
        {sheet.APPLICANT_ID: "A3", sheet.DECISION: "Deny"},
        {sheet.APPLICANT_ID: "A4", sheet.DECISION: "maybe?"},          # not a decision: not accepted
        {sheet.APPLICANT_ID: "A5", sheet.PROPOSED_DECISION: "Duplicate"},  # superseded: not counted
        {sheet.APPLICANT_ID: None, sheet.DECISION: "Accept"},           # no id: not an application
    ]
    participants = [
        participant("A1", "cyber-basics", **{sheet.REGISTERED: "2027-02-20 10:00",
                                             sheet.RELEASE_RETURNED: "2027-02-28 10:00",
                                             sheet.ATTENDED: "yes", sheet.BADGE: "2027-03-20 a1"}),
        participant("A2", "cyber-basics", **{sheet.REGISTERED: "2027-02-21 10:00", sheet.ATTENDED: "no"}),
        participant("A9", "cyber-basics", **{sheet.PLACEMENT: sheet.WITHDRAWN,
                                             sheet.REGISTERED: "2027-02-21 10:00"}),
    ]
    report = build_report(config, {sheet.APPLICATIONS: applications, sheet.PARTICIPANTS: participants},
                          now=now(config))
    assert [(s.name, s.count) for s in report.funnel] == [
        ("Applied", 4), ("Accepted", 2), ("Registered", 2), ("Release returned", 1),
        ("Attended", 1), ("Badged", 1)]


def test_attendance_per_session_counts_placed_attended_and_minutes_per_meeting(config: ProgramConfig) -> None:
    participants = [
        participant("A1", "cyber-basics", **{sheet.ATTENDED: "yes", sheet.MINUTES: 80}),
        participant("A2", "cyber-basics", **{sheet.ATTENDED: "Yes", sheet.MINUTES: "70"}),
        participant("A3", "cyber-basics", **{sheet.ATTENDED: "no", sheet.MINUTES: 5}),
        participant("A4", "cyber-basics", **{sheet.PLACEMENT: sheet.WAITLISTED}),
        participant("A5", "health-careers", **{sheet.ATTENDED: "yes"}),
    ]
    report = build_report(config, {sheet.PARTICIPANTS: participants}, now=now(config))
    by_id = {a.session_id: a for a in report.attendance}
    assert (by_id["cyber-basics"].placed, by_id["cyber-basics"].attended) == (3, 2)
    assert by_id["cyber-basics"].minutes_per_meeting == 75.0  # over students who attended (1 meeting)
    assert by_id["cyber-basics"].time_share == pytest.approx((80 / 90 + 70 / 90) / 2, abs=1e-3)
    assert by_id["cyber-basics"].timed == 2
    assert (by_id["health-careers"].placed, by_id["health-careers"].attended) == (1, 1)
    assert by_id["health-careers"].minutes_per_meeting is None  # no minutes recorded
    assert "site-planning" not in by_id                       # nobody placed yet


def test_feedback_uses_the_average_rows_or_computes_from_responses(config: ProgramConfig) -> None:
    first, second, third = config.feedback.ratings
    rows = [
        {sheet.FEEDBACK_KEY: "average:cyber-basics", sheet.SESSION_ID: "cyber-basics",
         first: 4.5, second: 3.25, third: None, sheet.FEEDBACK_RESPONSES: 4},
        {sheet.FEEDBACK_KEY: "r1", sheet.SESSION_ID: "cyber-basics", first: 1, second: 1, third: 1},
        {sheet.FEEDBACK_KEY: "r2", sheet.SESSION_ID: "health-careers", first: 5, second: "4 - good",
         third: 9},
        {sheet.FEEDBACK_KEY: "r3", sheet.SESSION_ID: "health-careers", first: "4", second: 3, third: None},
    ]
    report = build_report(config, {sheet.FEEDBACK: rows}, now=now(config))
    by_id = {f.session_id: f for f in report.feedback}
    assert by_id["cyber-basics"].responses == 4
    assert by_id["cyber-basics"].averages == (4.5, 3.3, None)    # the step's averages win (1 decimal)
    assert by_id["health-careers"].responses == 2
    assert by_id["health-careers"].averages == (4.5, 3.5, None)  # 9 is not a 1-5 rating


def test_partners_count_every_stage_they_reached(config: ProgramConfig) -> None:
    rows = [{sheet.PARTNER_ID: f"p{i}", sheet.PARTNER_STATUS: status} for i, status in enumerate(
        ["prospect", "contacted", "Confirmed", "session built", "thanked", "declined", None])]
    report = build_report(config, {sheet.PARTNERS: rows}, now=now(config))
    assert {p.stage: p.count for p in report.partner_pipeline} == {
        "listed": 7, "contacted": 5, "confirmed": 3, "session built": 2, "thanked": 1, "declined": 1}
    # Where each stands now: every partner in one column (the blank status is a prospect).
    assert {p.stage: p.count for p in report.partners if p.count} == {
        "prospect": 2, "contacted": 1, "confirmed": 1, "session built": 1, "thanked": 1, "declined": 1}
    assert sum(p.count for p in report.partners) == report.partner_total == 7
    assert report.partners_engaged == 3


def test_submissions_missing_late_and_feedback_turnaround(config: ProgramConfig) -> None:
    def work(student: str, assignment: str, **cells: object) -> Record:
        row: Record = {sheet.SUBMISSION_KEY: f"data-fellows:{assignment}:{student}",
                       sheet.SESSION_ID: "data-fellows", sheet.ASSIGNMENT: assignment,
                       sheet.APPLICANT_ID: student}
        row.update(cells)  # type: ignore[arg-type]
        return row

    rows = [
        work("A1", "data-cleaning", **{sheet.DUE: "2027-04-19", sheet.HANDED_IN: "2027-04-18 20:00",
                                       sheet.LATE: "no", sheet.FEEDBACK_SENT: "2027-04-20 20:00"}),
        work("A2", "data-cleaning", **{sheet.DUE: "2027-04-19", sheet.HANDED_IN: "2027-04-21 08:00",
                                       sheet.LATE: "yes", sheet.FEEDBACK_SENT: "2027-04-25 08:00"}),
        work("A3", "data-cleaning", **{sheet.DUE: "2027-04-19", sheet.HANDED_IN: "2027-04-19 10:00",
                                       sheet.LATE: "no"}),
        work("A4", "data-cleaning", **{sheet.DUE: "2027-04-19"}),                 # due passed: missing
        work("A5", "data-cleaning", **{sheet.DUE: "2027-04-19", sheet.LATE: "missing"}),
        work("A1", "final-project", **{sheet.DUE: "2027-06-01"}),                 # not due yet
    ]
    report = build_report(config, {sheet.ASSIGNMENTS: rows}, now=now(config))
    cleaning, final = report.assignments
    assert cleaning.assignment == "Clean a real data set"          # titled from the config
    assert (cleaning.students, cleaning.on_time, cleaning.late, cleaning.missing, cleaning.not_due) == \
        (5, 2, 1, 2, 0)
    assert (cleaning.handed_in, cleaning.feedback_sent, cleaning.awaiting_feedback) == (3, 2, 1)
    assert cleaning.median_turnaround_days == 3.0                  # 2 days and 4 days
    assert (final.not_due, final.missing, final.median_turnaround_days) == (1, 0, None)
    assert report.median_turnaround_days == 3.0 and report.turnaround_count == 2


def test_hours_confirmed_against_the_target(config: ProgramConfig) -> None:
    participants = [participant("A1", "data-fellows"), participant("A2", "data-fellows"),
                    participant("A3", "data-fellows", **{sheet.CONFIRMED_HOURS: 31})]
    entries = [
        {sheet.ENTRY_KEY: "h1", sheet.SESSION_ID: "data-fellows", sheet.APPLICANT_ID: "A1",
         sheet.HOURS_LOGGED: 20, sheet.CONFIRMATION: "confirmed"},
        {sheet.ENTRY_KEY: "h2", sheet.SESSION_ID: "data-fellows", sheet.APPLICANT_ID: "A1",
         sheet.HOURS_LOGGED: 12.5, sheet.CONFIRMATION: "Confirmed"},
        {sheet.ENTRY_KEY: "h3", sheet.SESSION_ID: "data-fellows", sheet.APPLICANT_ID: "A2",
         sheet.HOURS_LOGGED: 8, sheet.CONFIRMATION: "rejected", sheet.HOURS_FLAGS: "over 12 h a day"},
        {sheet.ENTRY_KEY: "h4", sheet.SESSION_ID: "data-fellows", sheet.APPLICANT_ID: "A2",
         sheet.HOURS_LOGGED: 4},
    ]
    report = build_report(config, {sheet.PARTICIPANTS: participants, sheet.HOURS: entries}, now=now(config))
    (hours,) = report.hours                                        # only the session with a target
    assert (hours.session_id, hours.target, hours.students) == ("data-fellows", 30.0, 3)
    assert hours.confirmed == 63.5                                 # 32.5 logged + 31 from Participants
    assert hours.at_target == 2
    assert (hours.waiting_entries, hours.rejected_entries, hours.flagged_entries) == (1, 1, 1)
    assert hours.per_student == pytest.approx(63.5 / 3)


def test_no_names_by_default_names_with_the_option(config: ProgramConfig) -> None:
    participants = [participant("A1", "data-fellows", **{"First name": "Zebulon", "Last name": "Quixote",
                                                         sheet.ATTENDED: "yes", sheet.BADGE: "x"})]
    tabs = {sheet.PARTICIPANTS: participants}
    env = environment(TEMPLATES)
    plain = build_report(config, tabs, now=now(config))
    charts = render_charts(plain)
    html = render_html(plain, charts, env)
    assert plain.students is None
    assert "Zebulon" not in html and "Quixote" not in html
    assert "Zebulon" not in pdf_text(render_pdf(plain, charts, created_at=now(config)))
    assert all("Zebulon" not in str(row) for row in dashboard_rows(plain))

    named = build_report(config, tabs, now=now(config), include_names=True)
    assert named.students is not None and named.students[0].name == "Zebulon Quixote"
    assert (named.students[0].attended, named.students[0].badge) == ("yes", "yes")
    html = render_html(named, render_charts(named), env)
    assert "Zebulon Quixote" in html and "INTERNAL USE" in html
    text = pdf_text(render_pdf(named, render_charts(named), created_at=now(config)))
    assert "Zebulon Quixote" in text and "INTERNAL USE" in text
    assert all("Zebulon" not in str(row) for row in dashboard_rows(named))


def test_empty_tabs_give_zeros_and_no_data_yet(config: ProgramConfig) -> None:
    report = build_report(config, {}, now=now(config))
    assert [s.count for s in report.funnel] == [0] * 6
    assert report.attendance == () and report.feedback == () and report.assignments == ()
    assert [h.session_id for h in report.hours] == ["data-fellows"]   # the target is known already
    assert report.hours[0].confirmed == 0 and report.median_turnaround_days is None
    charts = render_charts(report)
    html = render_html(report, charts, environment(TEMPLATES))
    assert html.count(NO_DATA) >= 5
    for section_id in HEADINGS:
        if section_id != "students":
            assert f'<section id="{section_id}"' in html
    assert render_pdf(report, charts, created_at=now(config)).startswith(b"%PDF")
    rows = {r["Figure"]: r["Value"] for r in dashboard_rows(report)}
    assert rows["Funnel: applied"] == 0
    assert rows["Partner feedback turnaround (median days)"] == NO_DATA


def test_blank_columns_are_tolerated(config: ProgramConfig) -> None:
    tabs = {tab: [{"Unrelated": "x"}, {}] for tab in (sheet.APPLICATIONS, sheet.PARTICIPANTS,
                                                      sheet.FEEDBACK, sheet.ASSIGNMENTS, sheet.HOURS,
                                                      sheet.PARTNERS)}
    report = build_report(config, tabs, now=now(config))
    assert sum(s.count for s in report.funnel) == 0 and report.partner_total == 0


def test_equity_and_hostile_text_are_escaped(config: ProgramConfig) -> None:
    # 12 applicants each: groups under equity.min_group_size (10) are never flagged.
    outcomes = [Outcome({"school": "<script>alert(1)</script> $x$"}, accepted=i % 2 == 0) for i in range(12)]
    outcomes += [Outcome({"school": "Mesa Valley High School"}, accepted=True) for _ in range(12)]
    equity = selection_equity(outcomes, [DemographicField("school", "School")])
    participants = [participant("A1", "cyber-basics", **{sheet.ATTENDED: "yes"})]
    report = build_report(config, {sheet.PARTICIPANTS: participants}, now=now(config),
                          equity=equity, equity_basis="the coordinator's decisions")
    charts = render_charts(report)
    assert "equity" in charts
    html = render_html(report, charts, environment(TEMPLATES))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "* &lt;script&gt;" in html                                     # flagged below four fifths
    assert render_pdf(report, charts, created_at=now(config)).startswith(b"%PDF")


def test_dashboard_charts_chart_rows_the_dashboard_has(config: ProgramConfig) -> None:
    participants = [participant("A1", "cyber-basics", **{sheet.ATTENDED: "yes"}),
                    participant("A2", "health-careers", **{sheet.ATTENDED: "no"})]
    report = build_report(config, {sheet.PARTICIPANTS: participants}, now=now(config))
    figures = [r["Figure"] for r in dashboard_rows(report)]
    assert len(figures) == len(set(figures))                               # keys are unique
    charts = dashboard_charts(report)
    assert [c.title for c in charts][:2] == ["Funnel", "Students attended per session"]
    for chart in charts:
        assert chart.keys and set(chart.keys) <= set(figures)
    assert "Feedback" not in " ".join(c.title for c in charts)             # nothing to chart yet


def test_sections_are_in_the_report_order(config: ProgramConfig) -> None:
    report = build_report(config, {}, now=now(config), include_names=True)
    assert [s.id for s in sections(report)] == list(HEADINGS)
