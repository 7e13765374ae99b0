"""The Dashboard tab in the local workbook: Figure / Value rows and openpyxl charts that last."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from report_rows import fill_roster, program_tabs

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.adapters.local.workbook_charts import chart_title
from microintern.bootstrap import build_ports, step_context
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.records import ChartSpec
from microintern.domain.report import dashboard_charts
from microintern.steps.report import program_report, update_dashboard
from microintern.steps.setup import initialise


def prepared(config: ProgramConfig) -> Any:
    ports = build_ports(config)
    initialise(config, ports.roster)
    fill_roster(ports.roster, program_tabs(config))
    return step_context(config, datetime(2027, 6, 1, 9, 0, tzinfo=config.zone), ports=ports)


def workbook_path(config: ProgramConfig) -> Any:
    return config.resolve(config.local.folder) / "program.xlsx"


def test_charts_are_in_the_file_after_save_and_reopen(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    ctx = prepared(config)
    before = ctx.ports.roster.read_tabs([sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.HOURS])
    report = program_report(ctx)
    update_dashboard(ctx, report)

    book = load_workbook(workbook_path(config))
    drawn = book[sheet.DASHBOARD]._charts
    assert [chart_title(c) for c in drawn] == [c.title for c in dashboard_charts(report)]
    funnel = drawn[0]
    values = {row[0]: row[1] for row in book[sheet.DASHBOARD].iter_rows(min_row=2, values_only=True)}
    assert values["Funnel: applied"] == report.funnel[0].count
    reference = funnel.series[0].val.numRef.f
    first, last = (int(part.split("$")[-1]) for part in reference.split("!")[1].split(":"))
    assert [book[sheet.DASHBOARD].cell(r, 1).value for r in range(first, last + 1)] == \
        [f"Funnel: {s.name.lower()}" for s in report.funnel]

    # Other tabs are intact, read through a fresh workbook (as a new run would).
    fresh = LocalWorkbook(workbook_path(config))
    assert fresh.read_tabs([sheet.APPLICATIONS, sheet.PARTICIPANTS, sheet.HOURS]) == before


def test_rerun_replaces_charts_and_later_saves_keep_them(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    ctx = prepared(config)
    report = program_report(ctx)
    update_dashboard(ctx, report)
    update_dashboard(ctx, report)                 # same roster instance: its cached book
    roster = LocalWorkbook(workbook_path(config))
    roster.ensure_charts(sheet.DASHBOARD, dashboard_charts(report))   # a new process
    roster.ensure_charts(sheet.DASHBOARD, [ChartSpec("Coordinator's", "Figure", "Value",
                                                     ("Funnel: applied",))])
    # A later step writes another tab: the charts stay in the file.
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [{sheet.APPLICANT_ID: "A00001", sheet.NOTES: "ok"}])
    titles = [chart_title(c) for c in load_workbook(workbook_path(config))[sheet.DASHBOARD]._charts]
    assert titles == [*(c.title for c in dashboard_charts(report)), "Coordinator's"]
    assert roster.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS][0][sheet.NOTES] == "ok"


def test_read_cache_stays_right_across_a_chart_save(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    ctx = prepared(config)
    roster = ctx.ports.roster
    cached = roster.read_tabs([sheet.PARTICIPANTS])
    update_dashboard(ctx, program_report(ctx))
    assert roster.read_tabs([sheet.PARTICIPANTS]) == cached
    dashboard = roster.read_tabs([sheet.DASHBOARD])[sheet.DASHBOARD]
    assert {r["Figure"] for r in dashboard} >= {"Funnel: applied", "Report updated"}
    roster.upsert(sheet.DASHBOARD, "Figure", [{"Figure": "Funnel: applied", "Value": 999}])
    values = {r["Figure"]: r["Value"] for r in roster.read_tabs([sheet.DASHBOARD])[sheet.DASHBOARD]}
    assert values["Funnel: applied"] == 999
    assert len(load_workbook(workbook_path(config))[sheet.DASHBOARD]._charts) == 6
