"""Setting the program up: check-config, init, the application form, Google sign-in and scopes,
and the local demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from microintern.cli.base import (
    Obj,
    handles_errors,
    parse_now,
)
from microintern.cli.group import cli


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
    from microintern.errors import ConfigError, TemplateError
    from microintern.steps.template_check import form_notes, letter_pairs, report_notes, template_problems

    config = obj.config
    zoom_problems = _zoom_credential_problems(config)
    problems = template_problems(config, letter_renderer(config))
    if zoom_problems and not problems:
        raise ConfigError(str(obj.config_path), zoom_problems)
    if problems:
        folder = config.resolve(config.templates_folder)
        # The Zoom credentials' problems (if any) first, then the templates', one line each.
        lines = [str(ConfigError(str(obj.config_path), zoom_problems))] if zoom_problems else []
        raise TemplateError("\n".join([*lines, f"{folder}: {len(problems)} letter template problem(s)",
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
    # A family reading a language a form has no text in gets the default language's form.
    for note in form_notes(config):
        click.echo(f"  note: {note}")
    # The report is the coordinator's: a language without its text is refused, not a problem.
    for note in report_notes(config):
        click.echo(f"  note: {note}")


def _zoom_credential_problems(config: Any) -> list[Any]:
    """The Zoom credentials file's problems when a session is on Zoom (read locally, no network call).

    Only the Google backend calls Zoom; the local backend's Zoom links are placeholders.
    """
    from microintern.adapters.zoom.credentials import credential_problems
    from microintern.bootstrap import uses_zoom
    from microintern.config import Backend

    if config.backend is not Backend.GOOGLE or not uses_zoom(config):
        return []
    return credential_problems(config.resolve(config.video.zoom.credentials_file))


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
    """List the Google OAuth scopes microintern needs, and why (then YouTube's and Zoom's)."""
    from microintern.adapters.google.scopes import LOOKUP_SCOPES, SCOPES, YOUTUBE, YOUTUBE_WHY
    from microintern.adapters.zoom.scopes import SCOPES as ZOOM_SCOPES

    for scope, why in SCOPES.items():
        click.echo(f"{scope}\n    {why}")
    for scope, why in LOOKUP_SCOPES.values():  # only the one attendance.lookup names is asked for
        click.echo(f"{scope}\n    {why}")
    click.echo(f"{YOUTUBE}\n    {YOUTUBE_WHY}")  # asked for only by a program with a showcase
    click.echo("\nZoom (video.provider: zoom): the Server-to-Server OAuth app's scopes")
    for scope, why in ZOOM_SCOPES.items():
        click.echo(f"{scope}\n    {why}")


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo-output"),
              show_default=True, help="Folder for everything the demo makes (wiped first).")
@click.option("--seed", type=int, default=2027, show_default=True, help="Sample data seed.")
@click.option("--applicants", type=int, default=48, show_default=True)
@handles_errors
def demo(out: Path, seed: int, applicants: int) -> None:
    """Run the whole program timeline on the local backend with sample data, in simulated time."""
    from microintern.demo.run import run_demo

    run_demo(out, seed=seed, applicants=applicants, echo=click.echo)
