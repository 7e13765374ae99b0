"""The command line: a thin Click layer over the steps.

Each command maps microintern's errors to a one-paragraph message and an exit code:
0 success (and "another run is active"), 1 a step or backend failed, 2 bad config or input.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click

from microintern import __version__
from microintern.config import ProgramConfig, load_config
from microintern.errors import MicrointernError, RunLocked

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = "config/program.yaml"
CONFIG_VARIABLE = "MICROINTERN_CONFIG"


def _fail(message: str, code: int) -> None:
    click.echo(f"microintern: {message}", err=True)
    sys.exit(code)


def handles_errors(fn: F) -> F:
    """Turn microintern errors into a clean message and exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RunLocked as exc:
            click.echo(f"microintern: {exc}")
            sys.exit(0)
        except MicrointernError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; rerun the same command to finish safely", 130)
        except click.ClickException:
            raise
        except Exception as exc:
            # A bug or an error nobody mapped yet: a clear line here, the details with -v.
            logging.getLogger("microintern").debug("unexpected error", exc_info=True)
            # Scrubbed like the logs: a Google error quotes its request URL, which may carry a
            # student's name or address in a query, and this line ends up in cron's mail.
            from microintern.log_privacy import redact

            _fail(f"unexpected error: {type(exc).__name__}: {redact(str(exc))} "
                  "(rerun with -vv for details)", 1)

    return wrapper  # type: ignore[return-value]


def parse_now(value: str | None, config: ProgramConfig) -> datetime:
    """``--now``: an ISO time (naive = program time zone), or the real current time."""
    if not value:
        return datetime.now(UTC).astimezone(config.zone)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time", param_hint="--now") from None
    return parsed.replace(tzinfo=config.zone) if parsed.tzinfo is None else parsed


class Obj:
    """What the group passes to its commands."""

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self._config: ProgramConfig | None = None

    @property
    def config(self) -> ProgramConfig:
        """The loaded, validated config."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


now_option = click.option("--now", metavar="ISO",
                          help="Act as if it were this time (naive = program time zone).")

GLOBAL_FLAGS = frozenset({"-v", "--verbose", "--debug-http"})
GLOBAL_WITH_VALUE = frozenset({"--config"})
END_OF_OPTIONS = "--"


def hoist_global_options(args: list[str]) -> list[str]:
    """Move the global options (``--config X``, ``-v``, ``-vv``, ``--debug-http``) to the front.

    So that ``microintern status --config X -v`` means what ``microintern --config X -v status``
    does: people type options after the command. Nothing after ``--`` is touched, and no
    command has an option of the same name.
    """
    front: list[str] = []
    rest: list[str] = []
    words = iter(args)
    for word in words:
        if word == END_OF_OPTIONS:
            rest += [word, *words]
            break
        if word in GLOBAL_FLAGS or (word.startswith("-v") and set(word[1:]) == {"v"}):
            front.append(word)
        elif word in GLOBAL_WITH_VALUE:
            value = next(words, None)
            if value is None:
                rest.append(word)  # left last, so click says the option needs a value
            else:
                front += [word, value]
        elif word.split("=", 1)[0] in GLOBAL_WITH_VALUE:
            front.append(word)
        else:
            rest.append(word)
    return front + rest


class GlobalOptionsCommand(click.Command):
    """A command whose ``--help`` also lists the global options (accepted after it too)."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command's options, then the program's global options."""
        super().format_options(ctx, formatter)
        _format_global_options(ctx, formatter)


class GlobalOptionsGroup(click.Group):
    """The ``microintern`` group: global options may come before or after the command."""

    command_class = GlobalOptionsCommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse with the global options hoisted in front of the command."""
        return super().parse_args(ctx, hoist_global_options(args))


class GlobalOptionsSubgroup(click.Group):
    """A command group under ``microintern`` (``hours``): help lists the global options too."""

    command_class = GlobalOptionsCommand

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The group's options and commands, then the program's global options."""
        super().format_options(ctx, formatter)
        _format_global_options(ctx, formatter)


GlobalOptionsGroup.group_class = GlobalOptionsSubgroup


def _format_global_options(ctx: click.Context, formatter: click.HelpFormatter) -> None:
    root = ctx.find_root()
    rows = [record for param in root.command.get_params(root)
            if param.name in ("config_path", "verbose", "debug_http")
            and (record := param.get_help_record(root)) is not None]
    if rows:
        with formatter.section("Global options (before or after the command)"):
            formatter.write_dl(rows)


@click.group(cls=GlobalOptionsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              default=lambda: os.environ.get(CONFIG_VARIABLE, DEFAULT_CONFIG),
              show_default=f"${CONFIG_VARIABLE} or {DEFAULT_CONFIG}",
              help="The program config file.")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv for debug).")
@click.option("--debug-http", is_flag=True,
              help="Also log Google's client libraries (request URLs; addresses and queries "
                   "are still redacted).")
@click.version_option(__version__, prog_name="microintern")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, verbose: int, debug_http: bool) -> None:
    """Run a district's micro-internship program on Google Workspace (or locally)."""
    from microintern.log_privacy import setup_logging

    # Every record is scrubbed of addresses and query strings, and the request loggers stay
    # quiet unless --debug-http: logs end up in cron's mail and in tickets.
    setup_logging(verbose, debug_http=debug_http)
    ctx.obj = Obj(config_path)


@cli.command("check-config")
@click.pass_obj
@handles_errors
def check_config(obj: Obj) -> None:
    """Validate the config file and every letter's templates, and summarise the program.

    Each letter must exist in each of the program's languages it is written in and render with
    the program's own data; every problem is listed, one per line (exit 2).
    """
    from microintern.bootstrap import letter_renderer
    from microintern.config import meeting_time_notes
    from microintern.errors import TemplateError
    from microintern.steps.template_check import letter_pairs, template_problems

    config = obj.config
    problems = template_problems(config, letter_renderer(config))
    if problems:
        folder = config.resolve(config.templates_folder)
        raise TemplateError("\n".join([f"{folder}: {len(problems)} letter template problem(s)",
                                        *(f"  - {p}" for p in problems)]))
    meetings = sum(len(s.meeting_starts()) for s in config.sessions)
    click.echo(f"{obj.config_path}: OK")
    click.echo(f"  {config.program.name} ({config.program.time_zone}), backend {config.backend}")
    click.echo(f"  {len(config.partners)} partners, {len(config.sessions)} sessions, "
               f"{meetings} meetings, {len(config.application.questions)} questions")
    click.echo(f"  first meeting {config.first_meeting():%Y-%m-%d %H:%M}")
    click.echo(f"  {len(letter_pairs(config))} letter x language pairs "
               f"({', '.join(config.program.languages)}) render with the program's data")
    # A start in the hour that happens twice (DST ends) is valid, but say which one it means.
    for note in meeting_time_notes(config):
        click.echo(f"  note: {note}")


@cli.command()
@click.pass_obj
@handles_errors
def init(obj: Obj) -> None:
    """Create or upgrade the program sheet: tabs, headers, dropdowns, highlights (data untouched)."""
    from microintern.bootstrap import hold_program
    from microintern.steps.setup import format_sheet, initialise

    config = obj.config

    def work(ports: Any, _lease: Any) -> list[str]:
        tabs = initialise(config, ports.roster)
        format_sheet(config, ports.roster)  # dropdowns, highlights, warnings, frozen panes: init only
        return tabs

    tabs = hold_program(config, work)
    click.echo(f"program sheet ready: {', '.join(tabs)} (dropdowns, highlights and warnings applied)")


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
    report = _run_due(obj.config, now)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


def _run_due(config: ProgramConfig, now: str | None) -> Any:
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


def _run_step(obj: Obj, step: str, now: str | None, dry_run: Path | None = None, *,
              prepare: bool = True) -> None:
    from dataclasses import replace

    from microintern.adapters.preview import DryRunRoster, PreviewBadges, PreviewMailer
    from microintern.bootstrap import build_ports, hold_program, lock_path, run_holder, step_context
    from microintern.domain.timeline import step_named
    from microintern.errors import MicrointernError
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
                            mailer=PreviewMailer(dry_run, domain=domain),
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
                logging.getLogger(__name__).warning("the Timeline tab was not updated: %s",
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
_WOULD = {"sent": "would send", "held": "would hold", "re-drafted (draft was deleted)": "would re-draft"}


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
    _run_step(obj, step, now)


@cli.command("form")
@click.pass_obj
@handles_errors
def form(obj: Obj) -> None:
    """Create or update the student application form from the config, and publish it (safe to rerun)."""
    from microintern.bootstrap import hold_program, step_context
    from microintern.config import Backend
    from microintern.steps.application_form import ensure_application_form

    config = obj.config
    state, result = hold_program(config, lambda ports, _lease: ensure_application_form(
        step_context(config, parse_now(None, config), ports=ports)))
    click.echo(f"application form {state.form_id}: {result.summary()}")
    click.echo(f"  link for students: {state.responder_uri}")
    if config.backend is Backend.LOCAL:
        click.echo("  the local backend has no web form; it is described in "
                   f"{config.resolve(config.local.folder) / 'forms' / f'{state.form_id}.form.json'}")
    elif config.google.application_form_id is None:
        click.echo("  remembered in the Settings tab of the program spreadsheet; to be sure, add to "
                   f"the config:\n    google:\n      application_form_id: {state.form_id}")


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def screen(obj: Obj, now: str | None) -> None:
    """Import new applications, then score, flag and propose a decision for each (run `init` once first)."""
    _run_step(obj, "screening", now, prepare=False)


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

    _ctx, (report, basis, changed) = _locked_step(obj, now, step)
    click.echo(equity_table(report))
    click.echo(f"\naccepted = {basis}; Equity tab "
               + (f"updated ({changed} rows)" if changed else "already up to date"))


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("report/report.html"),
              show_default=True, help="The HTML file (or a folder for report.html); the PDF goes beside it.")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also write the PDF.")
@click.option("--include-names", is_flag=True,
              help="Add a per-student table (name, session, attended, badge, hours) marked internal use.")
@click.option("--dashboard", is_flag=True,
              help="Also refresh the Dashboard tab now (takes the run lock; run-due does it daily).")
@now_option
@click.pass_obj
@handles_errors
def report(obj: Obj, out: Path, pdf: bool, include_names: bool, dashboard: bool,
           now: str | None) -> None:
    """Write the program report (HTML and PDF, with charts); reads the sheet, writes only the files.

    The Dashboard tab is refreshed every morning by `run-due`; `--dashboard` refreshes it now.
    """
    from microintern.bootstrap import step_context
    from microintern.report.files import save_report
    from microintern.steps.report import report_step

    if out.is_dir() or out.suffix == "":
        out = out / "report.html"

    def step(ctx: Any) -> Any:
        return report_step(ctx, pdf=pdf, include_names=include_names, dashboard=dashboard)

    if dashboard:
        _ctx, (rendered, result) = _locked_step(obj, now, step)
    else:
        config = obj.config
        rendered, result = step(step_context(config, parse_now(now, config)))
    files = save_report(rendered, out)
    _echo_result(result)
    click.echo(f"report: {files.html}" + (f" and {files.pdf}" if files.pdf else ""))
    if include_names:
        click.echo("  it names students: internal use only, do not forward")


@cli.command("send")
@click.argument("step")
@now_option
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), metavar="DIR",
              help="Write every message of the batch to DIR (.eml + index.html); send and save nothing.")
@click.pass_obj
@handles_errors
def send(obj: Obj, step: str, now: str | None, dry_run: Path | None) -> None:
    """Send the letters of one step now (exactly once per recipient), or preview them."""
    _run_step(obj, step, now, dry_run)


@cli.command("send-test")
@click.option("--to", "to", required=True, metavar="ADDRESS", help="Where the samples go.")
@click.option("--letter", "letters", multiple=True, help="Only these letters (repeatable).")
@click.pass_obj
@handles_errors
def send_test(obj: Obj, to: str, letters: tuple[str, ...]) -> None:
    """Send one sample of every letter, in every language, to ADDRESS (subjects start [TEST])."""
    from microintern.bootstrap import build_ports, letter_renderer
    from microintern.steps.samples import send_samples

    config = obj.config
    sent = send_samples(config, build_ports(config).mailer, letter_renderer(config), to,
                        only=letters, now=parse_now(None, config))
    click.echo(f"sent {len(sent)} sample letter(s) to {to}")


def _locked_step(obj: Obj, now: str | None, step: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Run ``step(ctx)`` holding the program (tabs prepared first); return (ctx, what it returned)."""
    from microintern.bootstrap import hold_program, step_context
    from microintern.steps.setup import initialise

    config = obj.config

    def work(ports: Any, _lease: Any) -> tuple[Any, Any]:
        initialise(config, ports.roster)
        ctx = step_context(config, parse_now(now, config), ports=ports)
        return ctx, step(ctx)

    return hold_program(config, work)


def _echo_result(result: Any) -> None:
    click.echo(result.summary())
    for problem in result.problems:
        click.echo(f"  ! {problem}")


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def cohorts(obj: Obj, now: str | None) -> None:
    """Place accepted students in sessions (optimal for their preferences) and check group sizes."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.cohorts import place_cohorts

    ctx, result = _locked_step(obj, now, place_cohorts)
    _echo_result(result)
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
def sessions(obj: Obj, now: str | None) -> None:
    """Create or update each session's Meet space and Calendar events from the Sessions tab."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.sessions import build_sessions

    ctx, result = _locked_step(obj, now, build_sessions)
    _echo_result(result)
    for row in ctx.ports.roster.read_tabs([sheet.SESSIONS])[sheet.SESSIONS]:
        click.echo(f"  {row.get(sheet.SESSION_ID)}: {row.get(sheet.SESSION_MEET_LINK) or 'no Meet yet'}; "
                   f"recording {row.get(sheet.SESSION_RECORDING) or '-'}")


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def partners(obj: Obj, now: str | None) -> None:
    """Follow up partners, book planning meetings the coordinator set, read industry forms back."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.partners import partner_pipeline

    ctx, result = _locked_step(obj, now, partner_pipeline)
    _echo_result(result)
    for row in ctx.ports.roster.read_tabs([sheet.PARTNERS])[sheet.PARTNERS]:
        click.echo(f"  {row.get(sheet.PARTNER_ID)}: {row.get(sheet.PARTNER_STATUS) or '-'}")


@cli.command()
@now_option
@click.pass_obj
@handles_errors
def returns(obj: Obj, now: str | None) -> None:
    """Send due registration and release-form letters and reminders; list who still owes what."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.participation import collect_release_forms, register_students

    ctx, registered = _locked_step(obj, now, register_students)
    _echo_result(registered)
    ctx, released = _locked_step(obj, now, collect_release_forms)
    _echo_result(released)
    owing = [r for r in ctx.ports.roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
             if r.get(sheet.MISSING) and r.get(sheet.PLACEMENT) in sheet.SEATED]
    click.echo(f"{len(owing)} placed student(s) still owe something:")
    for row in owing:  # applicant ids only: this output may land in cron's mail
        click.echo(f"  {row.get(sheet.APPLICANT_ID)} ({row.get(sheet.SESSION_ID)}): {row.get(sheet.MISSING)}")


def _sessions_option(obj: Obj, session: str | None) -> list[str] | None:
    """``--session``: one configured session id (None: every session)."""
    if session is not None and session not in {s.id for s in obj.config.sessions}:
        raise click.BadParameter(f"{session!r} is not a session in the config", param_hint="--session")
    return None if session is None else [session]


session_option = click.option("--session", metavar="ID", help="Only this session (default: all).")


@cli.command()
@now_option
@session_option
@click.pass_obj
@handles_errors
def feedback(obj: Obj, now: str | None, session: str | None) -> None:
    """Send the feedback form to attendees (one reminder), read answers into the Feedback tab."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.feedback import request_feedback

    sessions = _sessions_option(obj, session)
    ctx, result = _locked_step(obj, now, lambda ctx: request_feedback(ctx, sessions))
    _echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.FEEDBACK])[sheet.FEEDBACK]
    for row in rows:  # the averages only: answers stay in the sheet, not in cron's mail
        key = str(row.get(sheet.FEEDBACK_KEY) or "")
        if key.startswith("average:") and (sessions is None or row.get(sheet.SESSION_ID) in sessions):
            figures = ", ".join(f"{r} {row.get(r)}" for r in obj.config.feedback.ratings
                                if row.get(r) not in (None, ""))
            click.echo(f"  {row.get(sheet.SESSION_ID)}: {row.get(sheet.FEEDBACK_RESPONSES)} answer(s); "
                       f"{figures or 'no ratings'}")


@cli.command()
@now_option
@session_option
@click.pass_obj
@handles_errors
def attendance(obj: Obj, now: str | None, session: str | None) -> None:
    """Read Meet's conference records into Minutes, Meetings attended and Attended (Participants tab)."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.attendance import take_attendance

    sessions = _sessions_option(obj, session)
    ctx, result = _locked_step(obj, now, lambda ctx: take_attendance(ctx, sessions))
    _echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    for config_session in obj.config.sessions:
        if sessions is not None and config_session.id not in sessions:
            continue
        mine = [r for r in rows if r.get(sheet.SESSION_ID) == config_session.id
                and str(r.get(sheet.PLACEMENT) or "") in sheet.SEATED]
        if not mine:
            continue
        said = [str(r.get(sheet.ATTENDED) or "") for r in mine]
        click.echo(f"  {config_session.id}: {said.count('yes')} attended, {said.count('no')} did not, "
                   f"{len(mine) - said.count('yes') - said.count('no')} unknown")
        for row in mine:  # applicant ids only: this output may land in cron's mail
            click.echo(f"    {row.get(sheet.APPLICANT_ID)}: {row.get(sheet.MINUTES) or 0} min, "
                       f"{row.get(sheet.MEETINGS_ATTENDED) or '-'}, {row.get(sheet.ATTENDED) or '?'} "
                       f"({str(row.get(sheet.ATTENDANCE_NOTE) or '').split(';')[0]})")
    click.echo("each student's figures and their source: Participants tab")


@cli.command("thank-partners")
@now_option
@session_option
@click.pass_obj
@handles_errors
def thank_partners_command(obj: Obj, now: str | None, session: str | None) -> None:
    """Thank each session's partner once (attendance, ratings, shared testimonials); mark them thanked."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.appreciation import thank_partners

    sessions = _sessions_option(obj, session)
    ctx, result = _locked_step(obj, now, lambda ctx: thank_partners(ctx, sessions))
    _echo_result(result)
    for row in ctx.ports.roster.read_tabs([sheet.PARTNERS])[sheet.PARTNERS]:
        click.echo(f"  {row.get(sheet.PARTNER_ID)}: {row.get(sheet.PARTNER_STATUS) or '-'}")


@cli.command()
@now_option
@session_option
@click.pass_obj
@handles_errors
def badges(obj: Obj, now: str | None, session: str | None) -> None:
    """Award the badge to students who met the bar (never twice); write the Badge column."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.badges import award_badges

    sessions = _sessions_option(obj, session)
    ctx, result = _locked_step(obj, now, lambda ctx: award_badges(ctx, sessions))
    _echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    held = [r for r in rows
            if r.get(sheet.BADGE) and (sessions is None or r.get(sheet.SESSION_ID) in sessions)]
    click.echo(f"{len(held)} student(s) hold the badge (Badge column of the Participants tab)")
    config = obj.config
    if config.badge.provider == "local":
        folder = config.resolve(config.local.folder) / "badges"
        click.echo(f"  Open Badges files: {folder} (publish it at {config.badge.hosted_url})")


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
    _, (result, book) = _locked_step(obj, now, lambda c: keep_hours_log(c, ids))
    _echo_result(result)
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


@cli.command()
@now_option
@session_option
@click.pass_obj
@handles_errors
def assignments(obj: Obj, now: str | None, session: str | None) -> None:
    """Assignment folders, hand-ins, partner feedback to students, reminders (Assignments tab)."""
    from microintern.domain import program_sheet as sheet
    from microintern.steps.assignments import run_assignments

    sessions = _sessions_option(obj, session)
    ctx, result = _locked_step(obj, now, lambda ctx: run_assignments(ctx, sessions))
    _echo_result(result)
    rows = ctx.ports.roster.read_tabs([sheet.ASSIGNMENTS])[sheet.ASSIGNMENTS]
    for config_session in obj.config.sessions:
        mine = [r for r in rows if r.get(sheet.SESSION_ID) == config_session.id]
        if not mine or (sessions is not None and config_session.id not in sessions):
            continue
        for assignment in obj.config.assignments_of(config_session):
            prefix = f"{config_session.id}:{assignment.id}:"
            of = [r for r in mine if str(r.get(sheet.SUBMISSION_KEY) or "").startswith(prefix)]
            late = sum(1 for r in of if r.get(sheet.LATE) == "yes")
            missing = sum(1 for r in of if r.get(sheet.LATE) == "missing")
            handed = [r for r in of if r.get(sheet.HANDED_IN)]
            waiting = sum(1 for r in handed if not r.get(sheet.PARTNER_FEEDBACK))
            click.echo(f"  {config_session.id} {assignment.id}: {len(handed)} of {len(of)} handed in "
                       f"({late} late), {missing} missing, {waiting} waiting for feedback")
    click.echo("each student's row: Assignments tab")


@cli.command()
@click.pass_obj
@handles_errors
def scheduler(obj: Obj) -> None:
    """Run due steps now and then every day at schedule.run_at (program time), until stopped."""
    from microintern.scheduler import serve

    config = obj.config

    def job() -> None:
        try:
            report = _run_due(config, None)
        except RunLocked as exc:
            click.echo(f"microintern: {exc}")
            return
        click.echo(report.summary())

    click.echo(f"microintern scheduler: daily at {config.schedule.run_at:%H:%M} "
               f"{config.program.time_zone}; Ctrl-C to stop")
    serve(job, run_at=config.schedule.run_at, time_zone=config.program.time_zone)


@cli.command()
@click.pass_obj
@handles_errors
def login(obj: Obj) -> None:
    """Sign in with the installed-app OAuth flow and save the token (mode 0600)."""
    from microintern.adapters.google import auth, scopes

    config = obj.config
    saved = auth.login(config.resolve(config.google.credentials_file),
                       config.resolve(config.google.token_file),
                       scopes=scopes.needed(config.attendance.lookup))
    click.echo(f"signed in; token saved to {saved}")


@cli.command("scopes")
def scopes_command() -> None:
    """List the Google OAuth scopes microintern needs, and why."""
    from microintern.adapters.google.scopes import LOOKUP_SCOPES, SCOPES

    for scope, why in SCOPES.items():
        click.echo(f"{scope}\n    {why}")
    for scope, why in LOOKUP_SCOPES.values():  # only the one attendance.lookup names is asked for
        click.echo(f"{scope}\n    {why}")


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo-output"),
              show_default=True, help="Folder for everything the demo makes (wiped first).")
@click.option("--seed", type=int, default=2027, show_default=True, help="Sample data seed.")
@click.option("--applicants", type=int, default=48, show_default=True)
@handles_errors
def demo(out: Path, seed: int, applicants: int) -> None:
    """Run the whole program timeline on the local backend with sample data, in simulated time."""
    from microintern.demo import run_demo

    run_demo(out, seed=seed, applicants=applicants, echo=click.echo)


class _QuietWhenClosed(io.RawIOBase):
    """stdout's file descriptor, dropping what is written once its reader has gone.

    ``microintern status | head -3`` closes the pipe early; the command still finishes its
    work (a send piped into ``head`` must not stop between a draft and its record) and exits
    as it would have, with no BrokenPipeError.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.gone = False

    def writable(self) -> bool:
        """Always: this is an output stream."""
        return True

    def fileno(self) -> int:
        """The wrapped descriptor (for ``isatty`` and terminal size)."""
        return self._fd

    def isatty(self) -> bool:
        """Whether stdout is a terminal (the progress bar asks)."""
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        """Write to the descriptor; once the reader is gone, report everything as written."""
        if not self.gone:
            try:
                return os.write(self._fd, data)
            except BrokenPipeError:
                self.gone = True
        return len(data)


def quiet_on_closed_pipe() -> None:
    """Make ``sys.stdout`` drop output after its pipe closes instead of raising BrokenPipeError."""
    stream = sys.stdout
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (tests capture it): nothing to protect
    stream.flush()
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_QuietWhenClosed(fd)),
                                  encoding=stream.encoding, errors=stream.errors,
                                  line_buffering=stream.line_buffering)


def main() -> None:
    """Entry point of the ``microintern`` command."""
    quiet_on_closed_pipe()
    cli(prog_name="microintern")
