"""Problems named: who, what, why and what to do, one line each, and the Problems tab's rows.

A count ("3 problem(s)") tells the coordinator nothing to act on. Every held letter and every
row a step could not use becomes one :class:`Problem`: *who* is an id (applicant, partner,
session, or ``program``), never a name or an address, so the line is safe in logs and in cron's
mail; *what* is short and stable (it is part of the problem's key, so a rerun that finds the
same problem updates its row instead of adding one); *why* and *to do* may change from run to
run.

The Problems tab keeps one row per problem key: first and last seen, and open until a later
complete run of the same step no longer finds it, when it reads resolved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from microintern.domain.records import Record

PROGRAM = "program"
"""The *who* of a problem about the whole program rather than one person or session."""

OPEN = "open"
RESOLVED = "resolved"

# The tab's columns (the same names as domain/program_sheet.py, which lays the tab out).
KEY = "Key"
STEP = "Step"
WHO = "Who"
WHAT = "What"
WHY = "Why"
TODO = "What to do"
FIRST_SEEN = "First seen"
LAST_SEEN = "Last seen"
STATE = "State"
COLUMNS = (KEY, STEP, WHO, WHAT, WHY, TODO, FIRST_SEEN, LAST_SEEN, STATE)

_MAX_CELL = 500  # a problem line is read at a glance: long texts are cut, never whole essays


@dataclass(frozen=True)
class Problem:
    """One thing the coordinator should know and can act on."""

    who: str
    what: str
    why: str = ""
    todo: str = ""

    def line(self) -> str:
        """The problem as one line: ``who: what — why; to do: todo``."""
        text = f"{self.who}: {self.what}" if self.who else self.what
        if self.why:
            text += f" — {self.why}"
        if self.todo:
            text += f"; to do: {self.todo}"
        return _one_line(text)

    def key(self, step: str) -> str:
        """The stable key of this problem in the Problems tab: the step, who and what."""
        return _one_line(f"{step} | {self.who or '-'} | {self.what}")[:_MAX_CELL]


# A legacy problem line that starts with an id ("A-0042: ...", "session cyber-basics: ...").
_LEADING_ID = re.compile(r"^(?:session )?([A-Za-z0-9][\w.\-]{0,39}): (.+)$", re.DOTALL)
# Or one that names a tab's row ("Applications row A-0042, Decision: ...").
_ROW_ID = re.compile(r"\brow ([A-Za-z0-9][\w.\-]{0,39})[,:]")


def from_text(text: str) -> Problem:
    """A problem from a step's plain text line (steps not yet converted report strings).

    A leading id (``A-0042: ...``) becomes *who*; the rest is *what*.
    """
    match = _LEADING_ID.match(text.strip())
    if match:
        return Problem(match.group(1), _one_line(match.group(2)))
    row = _ROW_ID.search(text)
    return Problem(row.group(1) if row else "", _one_line(text))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return text if len(text) <= _MAX_CELL else text[:_MAX_CELL - 1] + "…"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def problem_rows(before: Sequence[Record], seen: Mapping[str, Sequence[Problem]],
                 stamp: str, partial: Mapping[str, Sequence[Problem]] | None = None) -> list[Record]:
    """The Problems tab's rows that change, given the tab ``before`` and this run's problems.

    ``seen`` maps each step (occurrence key) that ran to completion in this run to the problems
    it found. Each is opened (First seen ``stamp``) or seen again (Last seen ``stamp``, First
    seen kept); an open problem of one of these steps that was not found again is resolved. A
    step that failed goes in ``partial`` instead (its failure, say): it did not look at
    everything, so these are opened or seen again and its other open problems stay open. Only
    rows whose cells change are returned (none when nothing changed), so the caller writes at
    most one upsert.
    """
    known = {_text(r.get(KEY)): r for r in before if r.get(KEY)}
    changed: dict[str, Record] = {}
    complete = set(seen)
    for step, problems in [*seen.items(), *(partial or {}).items()]:
        found: set[str] = set()
        for problem in problems:
            key = problem.key(step)
            found.add(key)
            old = known.get(key, {})
            row: Record = {
                KEY: key, STEP: step, WHO: problem.who, WHAT: _cell(problem.what),
                WHY: _cell(problem.why), TODO: _cell(problem.todo),
                FIRST_SEEN: _text(old.get(FIRST_SEEN)) or stamp, LAST_SEEN: stamp, STATE: OPEN,
            }
            changed[key] = row
        if step not in complete:
            continue
        for key, old in known.items():
            if _text(old.get(STEP)) == step and key not in found and _text(old.get(STATE)) != RESOLVED:
                changed[key] = {**{c: old.get(c) for c in COLUMNS}, STATE: RESOLVED}
    return [row for key, row in changed.items()
            if any(_text(known.get(key, {}).get(c)) != _text(v) for c, v in row.items())]
