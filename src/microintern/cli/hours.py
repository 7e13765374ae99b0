"""The hours log of paid and multi-week sessions, and the payroll export."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click

from microintern.cli.base import (
    Obj,
    echo_result,
    handles_errors,
    locked_step,
    now_option,
    parse_now,
)
from microintern.cli.group import cli
from microintern.config import ProgramConfig


def _hours_session_ids(config: ProgramConfig, session_id: str | None) -> list[str]:
    from microintern.steps.hours import hours_sessions

    ids = [s.id for s in hours_sessions(config)]
    if session_id is None:
        return ids
    if session_id not in ids:
        raise click.BadParameter(f"{session_id!r} has no hours log; sessions with an hours target: "
                                 f"{', '.join(ids) or 'none'}", param_hint="--session")
    return [session_id]


@cli.group(invoke_without_command=True)
@click.option("--session", "session_id", metavar="ID",
              help="Only this session (default: every session with an hours log).")
@now_option
@click.pass_context
@handles_errors
def hours(ctx: click.Context, session_id: str | None, now: str | None) -> None:
    """Read the hours log into the Hours tab, total confirmed hours, mail pending lists.

    `microintern hours export` writes the payroll CSV.
    """
    if ctx.invoked_subcommand is not None:
        return
    from microintern.domain.hours import confirmed_hours, show_hours, weekly_totals
    from microintern.steps.hours import keep_hours_log

    obj: Obj = ctx.obj
    ids = _hours_session_ids(obj.config, session_id)
    _, (result, book) = locked_step(obj, now, lambda c: keep_hours_log(c, ids))
    echo_result(result)
    if book is None:
        return
    confirmed, weekly = confirmed_hours(book.checked), weekly_totals(book.checked)
    for applicant, session in sorted(book.students.items(), key=lambda item: (item[1], item[0])):
        if session not in ids:
            continue
        weeks = ", ".join(f"{week[5:]} {show_hours(h)}" for week, h in weekly.get(applicant, {}).items())
        # Applicant ids only: this output may land in cron's mail.
        click.echo(f"  {applicant} ({session}): {show_hours(confirmed.get(applicant, Decimal(0)))} h "
                   f"confirmed{f' [{weeks}]' if weeks else ''}; {book.checks.get(applicant, '')}")


@hours.command("export")
@click.option("--session", "session_id", metavar="ID",
              help="Only this session (default: every session with an hours log).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=Path("payroll.csv"),
              show_default=True, help="The CSV file to write (mode 0600, replaced atomically).")
@click.pass_obj
@handles_errors
def hours_export(obj: Obj, session_id: str | None, out: Path) -> None:
    """Write the payroll CSV: confirmed, countable hours × rate per student (nothing else counts)."""
    from microintern.adapters.local._files import atomic_write_bytes
    from microintern.bootstrap import step_context
    from microintern.domain.hours import payroll_csv
    from microintern.steps.hours import payroll

    config = obj.config
    ids = _hours_session_ids(config, session_id)
    lines = payroll(step_context(config, parse_now(None, config)), ids)
    atomic_write_bytes(out, payroll_csv(lines).encode("utf-8"))
    total = sum((line.amount for line in lines), Decimal(0))
    click.echo(f"payroll: {len(lines)} line(s), {total:.2f} {config.hours.currency} in all; written to {out}")
