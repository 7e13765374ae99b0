"""Choosing students: screen, cohorts, and the equity report on the selection."""

from __future__ import annotations

from typing import Any

import click

from microintern.cli.base import (
    Obj,
    echo_result,
    handles_errors,
    locked_step,
    now_option,
)
from microintern.cli.group import cli
from microintern.cli.runs import run_step


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def screen(obj: Obj, now: str | None) -> None:
    """Import new applications, then score, flag and propose a decision for each (run `init` once first)."""
    run_step(obj, "screening", now, prepare=False)


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def cohorts(obj: Obj, now: str | None) -> None:
    """Place accepted students in sessions (optimal for their preferences) and check group sizes."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.cohorts import place_cohorts

    ctx, result = locked_step(obj, now, place_cohorts)
    echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.SESSIONS])[sheet.SESSIONS]
    for session in obj.config.sessions:
        row = next((r for r in rows if r.get(sheet.SESSION_ID) == session.id), {})
        bounds = f"{session.group_size.min}-{session.group_size.max}"
        check = row.get(sheet.SESSION_GROUP_CHECK) or "ok"
        click.echo(f"  {session.id:<24} {row.get(sheet.SESSION_PLACED) or 0:>3} placed ({bounds})  {check}")
    click.echo("each student's placement and its reason: Participants tab")


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def equity(obj: Obj, now: str | None) -> None:
    """Print the equity report (selection rates per group, four-fifths rule) and write the Equity tab.

    It writes, so it takes the run lock; an Equity tab that already shows these figures is not
    written again.
    """
    from microintern.domain.equity import equity_table
    from microintern.steps.equity import equity_report, write_equity_tab

    config = obj.config
    if not config.equity.fields:
        raise click.UsageError("no equity.fields in the config: list the questions to report on")

    def step(ctx: Any) -> tuple[Any, str, int]:
        report, basis = equity_report(ctx)
        return report, basis, write_equity_tab(ctx, report, basis)

    _ctx, (report, basis, changed) = locked_step(obj, now, step)
    click.echo(equity_table(report))
    click.echo(f"\naccepted = {basis}; Equity tab "
               + (f"updated ({changed} rows)" if changed else "already up to date"))
