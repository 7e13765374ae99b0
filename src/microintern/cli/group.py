"""The ``microintern`` command group: the global options, logging set-up and the config path."""

from __future__ import annotations

import os
from pathlib import Path

import click

from microintern import __version__
from microintern.cli.base import Obj
from microintern.cli.global_options import GlobalOptionsGroup

DEFAULT_CONFIG = "config/program.yaml"
CONFIG_VARIABLE = "MICROINTERN_CONFIG"


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
    from microintern.cli.log_privacy import setup_logging

    # Every record is scrubbed of addresses and query strings, and the request loggers stay
    # quiet unless --debug-http: logs end up in cron's mail and in tickets.
    setup_logging(verbose, debug_http=debug_http)
    ctx.obj = Obj(config_path)
