"""The global options (``--config``, ``-v``, ``--debug-http``), accepted before or after the
command and listed in every command's ``--help``."""

from __future__ import annotations

import click

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
