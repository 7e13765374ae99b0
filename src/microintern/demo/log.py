"""The demo's console: a coordinator's log of the program, one simulated day at a time.

Only days on which something happened get lines: a header with the progress through the
timeline and the day relative to the first meeting (``[ 34%] 2027-02-16 Tue (T-4w)``), then one
short line per thing that happened: what the people did, and each step that did something,
named by the command that runs it (:data:`~microintern.domain.timeline.COMMANDS`). A step's
counts of what it *did* (sent, imported, placed...) are always shown; its standing figures
(registered 5, attended yes 4) only when they changed since the step's last line; bookkeeping
(dashboard figures, rows written) never.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from datetime import date

from microintern.domain.dates import day_text
from microintern.domain.timeline import COMMANDS, PROGRAM, Occurrence, t_label
from microintern.steps.context import StepResult

WIDTH = 100
"""Lines are cut to this many characters (a problem's full text is in the sheet)."""
PROBLEMS_SHOWN = 3
"""Problem lines shown per step and day; the rest are counted."""

BOOKKEEPING = frozenset({
    "unchanged", "dashboard figures", "dashboard charts", "dashboard unchanged", "rows written",
    "rows changed", "directory lookups", "meetings read from Meet", "rate-limit waits",
    "skipped (form made by hand)", "unknown participants", "stray cells cleared from rows without an id",
})
"""Counts that say how the tool worked, not what happened: never shown."""

STANDING = frozenset({
    "registered", "returned", "attended", "answered", "attended yes", "attended no", "entries",
    "flagged", "confirmed", "waiting", "missing", "handed in", "late", "below attendance",
    "awarded before", "placed", "not placed", "declined", "waiting for attendance",
    "waiting for students", "waiting for the session to end", "session not over yet",
    "sessions with no meeting over yet", "details waiting for the Meet link",
    "participation not allowed", "no session with an hours target",
})
"""Counts that describe where things stand (the same every day until something changes)."""


def step_name(occurrence: Occurrence) -> str:
    """``thank-partners (cyber-basics)``: the step's command, and its session if it has one."""
    command = COMMANDS[occurrence.step.name]
    return command if occurrence.scope_id == PROGRAM else f"{command} ({occurrence.scope_id})"


def _cut(text: str, width: int = WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class CoordinatorLog:
    """Prints the demo day by day through ``echo``; remembers each step's last figures."""

    def __init__(self, echo: Callable[[str], None], *, first: date, last: date, anchor: date) -> None:
        self.echo = echo
        self.first, self.last, self.anchor = first, last, anchor
        self.figures: dict[str, dict[str, int]] = {}
        self.days_shown = 0

    def progress(self, day: date) -> str:
        """``[ 34%] 2027-02-16 Tue (T-4w)``."""
        span = max((self.last - self.first).days, 1)
        percent = round(100 * (day - self.first).days / span)
        return f"[{percent:3d}%] {day_text(day)} {day:%a} ({t_label(day, self.anchor)})"

    def step_lines(self, ran: Sequence[tuple[Occurrence, StepResult]]) -> list[str]:
        """One line per step that did something (and its first problems), in run order."""
        lines: list[str] = []
        for occurrence, result in ran:
            before = self.figures.get(occurrence.key, {})
            self.figures[occurrence.key] = dict(result.counts)
            shown: list[str] = []
            happened = bool(result.problems)
            for name, n in result.counts.items():
                if name in BOOKKEEPING or not n:
                    continue
                if name in STANDING:
                    if before.get(name) == n:
                        continue
                else:
                    happened = True
                shown.append(f"{name} {n}")
            if not happened and not shown:
                continue
            if result.problems:
                shown.append(f"{len(result.problems)} problem{'s' if len(result.problems) > 1 else ''}")
            # Wrapped, not cut: what a step did is the point of the line.
            lines += textwrap.wrap(f"{step_name(occurrence)}: {', '.join(shown)}", WIDTH - 7,
                                   subsequent_indent="    ")
            for problem in result.problems[:PROBLEMS_SHOWN]:
                lines.append(_cut(f"  ! {problem}", WIDTH - 7))
            if len(result.problems) > PROBLEMS_SHOWN:
                lines.append(f"  ! and {len(result.problems) - PROBLEMS_SHOWN} more (Problems tab)")
        return lines

    def day(self, day: date, lines: Sequence[str]) -> None:
        """Print the day's header and its lines, or nothing on a day where nothing happened."""
        if not lines:
            return
        self.days_shown += 1
        self.echo(self.progress(day))
        for line in lines:
            self.echo("       " + _cut(line, WIDTH - 7))
