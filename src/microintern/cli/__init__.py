"""The command line: a thin Click layer over the steps.

``microintern.cli:main`` is the console script. The group and its global options live in
``group`` and ``global_options``; what commands share (errors to exit codes, ``--now``,
``--session``, running a step under the program's lock) in ``base``; the commands by area in
``program``, ``runs``, ``selection``, ``reports``, ``sessions`` and ``hours``.
"""

from __future__ import annotations

# Importing each command module registers its commands on the group.
from microintern.cli import hours, program, reports, runs, selection, sessions  # noqa: F401
from microintern.cli.base import Obj, handles_errors, parse_now
from microintern.cli.global_options import hoist_global_options
from microintern.cli.group import cli
from microintern.cli.pipe import quiet_on_closed_pipe

__all__ = ["Obj", "cli", "handles_errors", "hoist_global_options", "main", "parse_now",
           "quiet_on_closed_pipe"]


def main() -> None:
    """Entry point of the ``microintern`` command."""
    quiet_on_closed_pipe()
    cli(prog_name="microintern")
