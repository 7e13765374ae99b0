"""What every command shares: error handling, ``--now``, ``--session``, the loaded config, and
running a step while holding the program.

Each command maps microintern's errors to a one-paragraph message and an exit code:
0 success (and "another run is active"), 1 a step or backend failed, 2 bad config or input.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from microintern.config import ProgramConfig, load_config
from microintern.errors import MicrointernError, RunLocked

F = TypeVar("F", bound=Callable[..., Any])


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
            from microintern.cli.log_privacy import redact

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


session_option = click.option("--session", metavar="ID", help="Only this session (default: all).")


def chosen_sessions(obj: Obj, session: str | None) -> list[str] | None:
    """``--session``: one configured session id (None: every session)."""
    if session is not None and session not in {s.id for s in obj.config.sessions}:
        raise click.BadParameter(f"{session!r} is not a session in the config", param_hint="--session")
    return None if session is None else [session]


def locked_step(obj: Obj, now: str | None, step: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Run ``step(ctx)`` holding the program (tabs prepared first); return (ctx, what it returned)."""
    from microintern.bootstrap import hold_program, step_context
    from microintern.steps.setup import initialise

    config = obj.config

    def work(ports: Any, _lease: Any) -> tuple[Any, Any]:
        initialise(config, ports.roster)
        ctx = step_context(config, parse_now(now, config), ports=ports)
        return ctx, step(ctx)

    return hold_program(config, work)


def echo_result(result: Any) -> None:
    """Print a step's summary line and each of its problems."""
    click.echo(result.summary())
    for problem in result.problems:
        click.echo(f"  ! {problem}")
