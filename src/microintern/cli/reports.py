"""The program report (HTML and PDF, and the Dashboard tab on request)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("report/report.html"),
              show_default=True, help="The HTML file (or a folder for report.html); the PDF goes beside it.")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also write the PDF.")
@click.option("--include-names", is_flag=True,
              help="Add a per-student table (name, session, attended, badge, hours) marked internal use.")
@click.option("--dashboard", is_flag=True,
              help="Also refresh the Dashboard tab now (takes the run lock; run-due does it daily).")
@click.option("--language", metavar="CODE",
              help="The report's language: any program language with templates/report.<lang>.yaml "
                   "[default: the program's default language].")
@now_option
@click.pass_obj
@handles_errors
def report(obj: Obj, out: Path, pdf: bool, include_names: bool, dashboard: bool,
           language: str | None, now: str | None) -> None:
    """Write the program report (HTML and PDF, with charts); reads the sheet, writes only the files.

    The Dashboard tab is refreshed every morning by `run-due`; `--dashboard` refreshes it now.
    """
    from microintern.bootstrap import step_context
    from microintern.documents.report.files import save_report
    from microintern.steps.report import report_step

    if out.is_dir() or out.suffix == "":
        out = out / "report.html"
    offered = obj.config.program.languages
    if language is not None and language not in offered:
        raise click.BadParameter(f"{language!r} is not a program language ({', '.join(offered)})",
                                 param_hint="--language")

    def step(ctx: Any) -> Any:
        return report_step(ctx, pdf=pdf, include_names=include_names, dashboard=dashboard,
                           language=language)

    if dashboard:
        _ctx, (rendered, result) = locked_step(obj, now, step)
    else:
        config = obj.config
        rendered, result = step(step_context(config, parse_now(now, config)))
    files = save_report(rendered, out)
    echo_result(result)
    click.echo(f"report: {files.html}" + (f" and {files.pdf}" if files.pdf else "")
               + f" ({rendered.language})")
    default = obj.config.program.default_language
    if language is None and rendered.language != default:
        click.echo(f"  in {rendered.language}: there is no report text in {default!r} "
                   f"(templates/report.{default}.yaml)")
    if include_names:
        click.echo("  it names students: internal use only, do not forward")
