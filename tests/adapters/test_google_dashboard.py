"""The Dashboard tab on Google: Figure / Value rows and native charts, over the fake Workspace.

The fake checks every request (addChart, updateChartSpec, spreadsheets.get fields) against the
Sheets discovery document; the assertions are on the spreadsheet's state and on the calls.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from adapters.conftest import SPREADSHEET_ID, GoogleProgram
from fakeworkspace import FakeWorkspace
from report_rows import fill_roster, program_tabs

from microintern.bootstrap import build_ports, step_context
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.records import ChartSpec
from microintern.domain.report import dashboard_charts
from microintern.errors import BackendError
from microintern.steps.report import program_report, update_dashboard
from microintern.steps.setup import initialise


def prepared(fake: FakeWorkspace, config: ProgramConfig) -> Any:
    """A context on a sheet that holds a program after its sessions."""
    ports = build_ports(config)
    initialise(config, ports.roster)
    fill_roster(ports.roster, program_tabs(config))
    fake.reset_calls()
    return step_context(config, datetime(2027, 6, 1, 9, 0, tzinfo=config.zone), ports=ports)


def dashboard(fake: FakeWorkspace) -> dict[str, Any]:
    values = fake.sheets.values(SPREADSHEET_ID, sheet.DASHBOARD)
    return {str(row[0]): row[1] if len(row) > 1 else "" for row in values[1:]}


def charts(fake: FakeWorkspace) -> list[dict[str, Any]]:
    return fake.sheets.sheet(SPREADSHEET_ID, sheet.DASHBOARD).charts


def charted(fake: FakeWorkspace, chart: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) of each bar, read from the cells the chart's source ranges point at."""
    values = fake.sheets.values(SPREADSHEET_ID, sheet.DASHBOARD)
    basic = chart["spec"]["basicChart"]
    cells = []
    for part in (basic["domains"][0]["domain"], basic["series"][0]["series"]):
        column = []
        for grid in part["sourceRange"]["sources"]:
            assert grid["endColumnIndex"] - grid["startColumnIndex"] == 1
            for row in range(grid["startRowIndex"], grid["endRowIndex"]):
                column.append(values[row][grid["startColumnIndex"]])
        cells.append(column)
    return list(zip(cells[0], cells[1], strict=True))


def test_dashboard_rows_and_native_charts(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = google_program.config
    ctx = prepared(fake, config)
    report = program_report(ctx)
    assert fake.count("sheets.") == 1                              # every tab, equity too, in one read
    # The equity report counts applicants as the funnel does (the superseded duplicate is not one).
    assert report.equity is not None and report.equity.applicants == report.funnel[0].count == len(
        program_tabs(config)["Applications"]) - 1
    fake.reset_calls()
    result = update_dashboard(ctx, report)

    figures = dashboard(fake)
    assert figures["Funnel: applied"] == report.funnel[0].count > 0
    assert figures["Funnel: badged"] == report.funnel[-1].count
    assert figures["Partners: thanked"] == 4 + 1                  # the 4 config partners + 1 prospect
    assert figures["Report updated"] == "2027-06-01 09:00"
    names = {str(r["First name"]) for r in program_tabs(config)[sheet.PARTICIPANTS]}
    assert not any(name in str(key) + str(value) for key, value in figures.items() for name in names)

    drawn = charts(fake)
    wanted = dashboard_charts(report)
    assert [c["spec"]["title"] for c in drawn] == [c.title for c in wanted]
    assert result.counts["dashboard charts"] == len(wanted) == 6
    funnel = next(c for c in drawn if c["spec"]["title"] == "Funnel")
    assert charted(fake, funnel) == [(f"Funnel: {s.name.lower()}", s.count) for s in report.funnel]
    assert funnel["spec"]["basicChart"]["chartType"] == "COLUMN"
    anchor = funnel["position"]["overlayPosition"]["anchorCell"]
    assert anchor["sheetId"] == fake.sheets.sheet(SPREADSHEET_ID, sheet.DASHBOARD).sheet_id
    assert anchor["columnIndex"] >= 2                              # beside the figures, not over them
    # A read of what the tab shows, the upsert's read and append; one get and one batchUpdate
    # for every chart.
    assert fake.count("sheets.spreadsheets.values.batchGet") == 2
    assert fake.count("sheets.spreadsheets.get") == 1
    assert fake.count("sheets.spreadsheets.batchUpdate") == 1
    assert fake.count("sheets.") <= 6


def test_rerun_updates_in_place_and_adds_no_second_chart(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = google_program.config
    ctx = prepared(fake, config)
    report = program_report(ctx)
    update_dashboard(ctx, report)
    first = {c["spec"]["title"]: c["chartId"] for c in charts(fake)}

    fake.reset_calls()
    later = replace(ctx, now=ctx.now + timedelta(days=1))
    result = update_dashboard(later, program_report(later))
    assert result.counts == {"dashboard unchanged": 1}
    assert {c["spec"]["title"]: c["chartId"] for c in charts(fake)} == first
    assert fake.count("sheets.") == 2     # nothing new but the day: the two reads, no write
    assert dashboard(fake)["Report updated"] == "2027-06-01 09:00"

    # The coordinator sorts the Dashboard; a new run finds the rows where they are now.
    values = fake.sheets.values(SPREADSHEET_ID, sheet.DASHBOARD)
    body = sorted(values[1:], key=lambda row: str(row[0]), reverse=True)
    fake.sheets.write(SPREADSHEET_ID, f"'{sheet.DASHBOARD}'!A2", body)
    fake.reset_calls()
    update_dashboard(ctx, report)
    assert {c["spec"]["title"]: c["chartId"] for c in charts(fake)} == first
    (batch,) = fake.calls_to("sheets.spreadsheets.batchUpdate")
    assert all("updateChartSpec" in r for r in batch.body["requests"])
    funnel = next(c for c in charts(fake) if c["spec"]["title"] == "Funnel")
    assert charted(fake, funnel) == [(f"Funnel: {s.name.lower()}", s.count) for s in report.funnel]


def test_a_coordinators_chart_is_left_alone_and_unknown_keys_are_skipped(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = google_program.config
    ctx = prepared(fake, config)
    update_dashboard(ctx, program_report(ctx))
    roster = ctx.ports.roster
    roster.ensure_charts(sheet.DASHBOARD, [ChartSpec("My chart", "Figure", "Value", ("Funnel: applied",))])
    roster.ensure_charts(sheet.DASHBOARD, [ChartSpec("Nothing", "Figure", "Value", ("no such figure",))])
    titles = [c["spec"]["title"] for c in charts(fake)]
    assert titles.count("My chart") == 1 and "Nothing" not in titles
    update_dashboard(ctx, program_report(ctx))
    assert [c["spec"]["title"] for c in charts(fake)] == titles
    spreadsheet = fake.sheets.get(SPREADSHEET_ID)
    assert all(not s.charts for s in spreadsheet.sheets if s.title != sheet.DASHBOARD)


def test_charts_on_a_sheet_without_the_tab_say_to_run_init(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    roster = build_ports(google_program.config).roster
    with pytest.raises(BackendError, match="microintern init"):
        roster.ensure_charts(sheet.DASHBOARD, [ChartSpec("Funnel", "Figure", "Value", ("x",))])
    assert not fake.calls_to("sheets.spreadsheets.batchUpdate")
    # Google refuses the range of a tab that does not exist; that refusal is the point here.
    assert fake.rejections == ["sheets.spreadsheets.get: 400 Unable to parse range: 'Dashboard'"]
    fake.rejections.clear()


def test_a_figure_added_by_a_newer_version_is_written_once_then_left_alone(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    """An existing Dashboard gets a new figure at the bottom; later mornings write nothing."""
    from microintern.domain.report import FIGURE, dashboard_rows

    config = google_program.config
    ctx = prepared(fake, config)
    report = program_report(ctx)
    rows = dashboard_rows(report)
    added = next(r for r in rows[3:] if str(r[FIGURE]).startswith("Funnel"))
    assert rows[-1] is not added                           # so appending it changes the order
    older = [r for r in rows if r is not added]           # the Dashboard an older version wrote
    ctx.ports.roster.upsert(sheet.DASHBOARD, FIGURE, older)

    update_dashboard(ctx, report)
    shown = [str(row[0]) for row in fake.sheets.values(SPREADSHEET_ID, sheet.DASHBOARD)[1:]]
    assert shown[-1] == added[FIGURE]                      # appended, as every upsert does
    funnel = next(c for c in charts(fake) if c["spec"]["title"] == "Funnel")
    assert charted(fake, funnel) == [(f"Funnel: {s.name.lower()}", s.count) for s in report.funnel]

    for day in (1, 2, 3):
        fake.reset_calls()
        later = replace(ctx, now=ctx.now + timedelta(days=day))
        assert update_dashboard(later, program_report(later)).counts == {"dashboard unchanged": 1}
        assert fake.count("sheets.spreadsheets.values.batchUpdate") == 0
        assert fake.count("sheets.spreadsheets.values.append") == 0
        assert fake.count("sheets.spreadsheets.batchUpdate") == 0
    assert dashboard(fake)["Report updated"] == "2027-06-01 09:00"


def test_only_our_own_order_counts_as_unchanged() -> None:
    from microintern.steps.sheet.dashboard import as_written

    wanted = ["a", "b", "c", "d", "e"]
    assert as_written(wanted, wanted)
    assert as_written(wanted, ["a", "b", "d", "e", "c"])          # c added by a newer version
    assert as_written(wanted, ["x", "a", "b", "y", "d", "e", "c"])  # other rows don't count
    assert not as_written(wanted, ["e", "d", "c", "b", "a"])      # sorted by a person
    assert not as_written(wanted, ["b", "a", "d", "c", "e"])
    assert not as_written(wanted, ["a", "b", "c", "d"])           # one missing
    assert not as_written(wanted, ["a", "b", "c", "d", "e", "e"])
