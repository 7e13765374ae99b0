"""Running steps: status, run-due, run, send (and its dry run), send-test and the scheduler."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from microintern.cli.base import (
    Obj,
    handles_errors,
    now_option,
    parse_now,
)
from microintern.cli.group import cli
from microintern.config import ProgramConfig
from microintern.errors import MicrointernError, RunLocked


@cli.command()
@now_option
@click.option("--all", "show_all", is_flag=True,
              help="List every step of the timeline (done and later ones too), not only open ones.")
@click.pass_obj
@handles_errors
def status(obj: Obj, now: str | None, show_all: bool) -> None:
    """Show what needs attention: due, overdue, missed and failed steps, and what opens soon (reads only).

    One short line per step, named by the command that runs it; `--all` lists every step. It
    writes nothing, takes no lock and may run at any time, even during a send: the Timeline
    tab is written by `run-due`.
    """
    import shutil

    from microintern.bootstrap import step_context
    from microintern.domain.program_sheet import TIMELINE
    from microintern.domain.timeline import t_label
    from microintern.steps.runner import status as timeline_status
    from microintern.steps.runner import status_lines

    config = obj.config
    ctx = step_context(config, parse_now(now, config))
    timeline_before = ctx.ports.roster.read_tabs([TIMELINE])[TIMELINE]
    statuses = timeline_status(ctx, timeline_before)
    # Never wider than a terminal allows (and 100 columns when piped or mailed by cron).
    width = min(max(shutil.get_terminal_size((100, 24)).columns, 80), 120)
    anchor = t_label(ctx.now.astimezone(config.zone).date(), config.first_meeting().date())
    click.echo(f"{config.program.name} — {ctx.now:%Y-%m-%d %H:%M %Z} ({anchor})")
    for line in status_lines(ctx, statuses, show_all=show_all, width=width):
        click.echo(line)


@cli.command("run-due")
@now_option
@click.pass_obj
@handles_errors
def run_due_command(obj: Obj, now: str | None) -> None:
    """Run every due step once (safe to rerun; one run at a time). For cron."""
    report = run_due_now(obj.config, now)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


def run_due_now(config: ProgramConfig, now: str | None) -> Any:
    """Run every due step once, holding the program; the run's report."""
    from microintern.bootstrap import hold_program, step_context
    from microintern.steps.runner import run_due

    progress, close = _progress_bar()

    def work(ports: Any, lease: Any) -> Any:
        try:
            ctx = step_context(config, parse_now(now, config), ports=ports,
                               progress=_renewing(progress, lease))
            return run_due(ctx, lease=lease)
        finally:
            close()

    return hold_program(config, work)


def _renewing(progress: Callable[[int, int], None] | None,
              lease: Any) -> Callable[[int, int], None]:
    """``progress``, also renewing the run's lease during a long batch (a time check per letter)."""

    def update(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)
        lease.renew_if_due()

    return update


def _progress_bar() -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """A progress bar with ETA per batch on a terminal; nothing under cron (one summary line)."""
    if not sys.stdout.isatty():
        return None, lambda: None
    bar: Any = None

    def close() -> None:
        nonlocal bar
        if bar is not None:
            bar.__exit__(None, None, None)
            bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is not None and (bar.length != total or done < bar.pos):
            close()  # a new batch (the next step's letters) starts its own bar
        if bar is None:
            bar = click.progressbar(length=total, label="sending", show_eta=True, show_pos=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    return update, close


def run_step(obj: Obj, step: str, now: str | None, dry_run: Path | None = None, *,
              prepare: bool = True) -> None:
    """Run one automated step now (``run``, ``send``, ``screen``), or preview its letters to ``dry_run``."""
    from dataclasses import replace

    from microintern.adapters.preview import DryRunRoster, PreviewBadges, PreviewMailer
    from microintern.bootstrap import build_ports, hold_program, lock_path, run_holder, step_context
    from microintern.domain.timeline import step_named
    from microintern.steps.runner import AUTOMATED, RunReport, locked, occurrences, record_runs
    from microintern.steps.setup import initialise

    config = obj.config
    names = ", ".join(s.value for s in AUTOMATED)
    # A step's name (release_forms or release-forms) or its own command (thank-partners).
    name = step_named(step)
    if name is None:
        raise click.BadParameter(f"choose one of: {names}", param_hint="STEP")
    if name not in AUTOMATED:
        raise click.BadParameter(f"{step} is not automated yet; automated: {names}",
                                 param_hint="STEP")
    progress, close = _progress_bar()

    def work(ports: Any, lease: Any) -> RunReport:
        if dry_run is not None:
            domain = config.sender.address.rsplit("@", 1)[-1]
            ports = replace(ports, roster=DryRunRoster(ports.roster),
                            mailer=PreviewMailer(dry_run, domain=domain, looks=ports.mailer),
                            badges=PreviewBadges(ports.badges) if ports.badges else None)
        ctx = step_context(config, parse_now(now, config), ports=ports,
                           progress=progress if lease is None else _renewing(progress, lease))
        if prepare:
            initialise(config, ports.roster)  # tabs and headers the step relies on (dry run: none)
        report = RunReport(ran=[], failed=[], now=ctx.now)
        outcomes: list[tuple[Any, Any]] = []   # (occurrence, StepResult, or why it failed)

        def record() -> None:
            # Recorded as run-due records its runs, so that `status` and later runs see that
            # the step ran (a missed one sent on request no longer reads missed). A dry run
            # writes nothing to the program.
            if dry_run is None:
                if lease is not None:
                    lease.renew_if_due()
                record_runs(ctx, outcomes)

        try:
            for occurrence in occurrences(ctx):
                if occurrence.step.name is name:
                    try:
                        result = AUTOMATED[name](ctx, occurrence)
                    except Exception as exc:
                        text = (str(exc) if isinstance(exc, MicrointernError)
                                else f"{type(exc).__name__}: {exc}")
                        outcomes.append((occurrence, (text.splitlines() or [""])[0]))
                        raise
                    outcomes.append((occurrence, result))
                    report.ran.append((occurrence, result))
        except Exception:
            try:
                record()
            except (MicrointernError, OSError) as exc:  # the step's own error is the one to report
                logging.getLogger("microintern.cli").warning("the Timeline tab was not updated: %s",
                                                    type(exc).__name__)
            raise
        finally:
            close()
        record()
        return report

    if dry_run is None:
        report = hold_program(config, work)
    else:
        # A dry run writes nothing to the program: no lease; the OS lock still keeps it from
        # previewing a batch a run on this machine is sending.
        report = locked(lock_path(config), lambda: work(build_ports(config), None),
                        holder=run_holder())
    click.echo(report.summary() if dry_run is None else _dry_run_summary(report))
    for _occurrence, result in report.ran:
        for problem in result.problems:
            click.echo(f"  ! {problem}")
    if dry_run is not None:
        click.echo(f"dry run: nothing was sent or saved; the letters that would go: "
                   f"{dry_run / 'index.html'}")


#: How a dry run words a step's counts: it previewed these letters, it sent none.
_WOULD = {"sent": "would send", "held": "would hold", "re-drafted (draft was deleted)": "would re-draft",
          "sent (found in Sent)": "already sent (found in Sent)"}


def _dry_run_summary(report: Any) -> str:
    """The summary line of ``send --dry-run``: what would be sent (``would send 3``), never "sent"."""
    stamp = report.now.strftime("%Y-%m-%d %H:%M %Z")
    parts = []
    for occurrence, result in report.ran:
        counts = [f"{_WOULD.get(name, name)} {n}" for name, n in result.counts.items()]
        if result.problems:
            counts.append(f"{len(result.problems)} problem(s)")
        parts.append(f"{occurrence.key} ({', '.join(counts) or 'nothing to send'})")
    return f"dry run {stamp}: " + ("; ".join(parts) or "nothing due")


@cli.command("run")
@click.argument("step")
@now_option
@click.pass_obj
@handles_errors
def run_one(obj: Obj, step: str, now: str | None) -> None:
    """Run one step now, whatever its window (e.g. `microintern run applications`)."""
    run_step(obj, step, now)


@cli.command("send")
@click.argument("step")
@now_option
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), metavar="DIR",
              help="Write every message of the batch to DIR (.eml + index.html); send and save nothing.")
@click.pass_obj
@handles_errors
def send(obj: Obj, step: str, now: str | None, dry_run: Path | None) -> None:
    """Send the letters of one step now (exactly once per recipient), or preview them."""
    run_step(obj, step, now, dry_run)


@cli.command("send-test")
@click.option("--to", "to", required=True, metavar="ADDRESS", help="Where the samples go.")
@click.option("--letter", "letters", multiple=True, help="Only these letters (repeatable).")
@click.option("--applicant", "applicant", metavar="ID",
              help="Preview the letters of this applicant's row (default: a fitting row, if any).")
@click.option("--session", "session", metavar="ID",
              help="Preview the letters to this session's partner and staff (default: one of the program's).")
@click.pass_obj
@handles_errors
def send_test(obj: Obj, to: str, letters: tuple[str, ...], applicant: str | None,
              session: str | None) -> None:
    """Send every letter, in every language, as the program would send it, to ADDRESS ([TEST] subjects).

    The letters are the program's own: a real applicant, session and partner from the program
    sheet where it has them, the program's sessions and partners with a placeholder student
    (in [brackets]) otherwise.
    """
    from microintern.bootstrap import build_ports, letter_renderer
    from microintern.steps.samples import send_samples

    config = obj.config
    ports = build_ports(config)
    sent = send_samples(config, ports.mailer, letter_renderer(config), to,
                        only=letters, now=parse_now(None, config), roster=ports.roster,
                        applicant=applicant, session=session, folders=ports.folders)
    click.echo(f"sent {len(sent)} sample letter(s) to {to}")


@cli.command()
@click.pass_obj
@handles_errors
def scheduler(obj: Obj) -> None:
    """Run due steps now and then every day at schedule.run_at (program time), until stopped."""
    from microintern.scheduler import serve

    config = obj.config

    def job() -> None:
        try:
            report = run_due_now(config, None)
        except RunLocked as exc:
            click.echo(f"microintern: {exc}")
            return
        click.echo(report.summary())

    click.echo(f"microintern scheduler: daily at {config.schedule.run_at:%H:%M} "
               f"{config.program.time_zone}; Ctrl-C to stop")
    serve(job, run_at=config.schedule.run_at, time_zone=config.program.time_zone)
