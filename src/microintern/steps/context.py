"""What every step is handed: the config, the ports, the letter renderer and the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from microintern.config import ProgramConfig, text_in
from microintern.domain.letters import LetterRenderer
from microintern.domain.problems import Problem, from_text
from microintern.ports import (
    BadgeIssuer,
    Calendar,
    Directory,
    FormSource,
    Mailer,
    MeetRecords,
    MeetRooms,
    Roster,
    SharedFolders,
)
from microintern.ports.video import Broadcasts, VideoMeetings
from microintern.steps.pacing import Pacer


@dataclass(frozen=True)
class Ports:
    """The adapters a run talks to, chosen once by the bootstrap."""

    roster: Roster
    mailer: Mailer
    forms: FormSource  # where applications come from (a form's linked sheet, on request)
    calendar: Calendar
    meet: MeetRooms
    folders: SharedFolders
    # The program's other forms (industry, registration, release, feedback): always built and
    # read by the tool itself, whatever the application source is.
    program_forms: FormSource | None = None
    # After the session: Meet's conference records, the user directory that names their
    # participants, and where badges are awarded. None where the backend has no such thing.
    meet_records: MeetRecords | None = None
    directory: Directory | None = None
    badges: BadgeIssuer | None = None
    # Sessions on Zoom and showcase broadcasts on YouTube Live (issue 18): None when no session
    # of the program uses them.
    zoom: VideoMeetings | None = None
    broadcasts: Broadcasts | None = None

    @property
    def surveys(self) -> FormSource:
        """The source of the program's own forms (the application source when none is set)."""
        return self.program_forms or self.forms


@dataclass(frozen=True)
class StepContext:
    """Everything a step needs; ``now`` is an aware datetime (simulated in the demo)."""

    config: ProgramConfig
    ports: Ports
    letters: LetterRenderer
    now: datetime
    application_form_id: str | None
    pacer: Pacer = field(default_factory=lambda: Pacer(None))
    progress: Callable[[int, int], None] | None = None

    @property
    def sender(self) -> str:
        """The From of every letter: the program's name and address."""
        return f"{self.config.sender.name} <{self.config.sender.address}>"

    def sender_in(self, language: str) -> str:
        """The From of a letter in ``language``: the name as given for it, default as fallback."""
        return f"{text_in(self.config.sender.name, language)} <{self.config.sender.address}>"


@dataclass
class StepResult:
    """What a step did, as counts for the summary line and the Timeline tab.

    ``problems`` holds one line per problem, for printing. Steps that can name who, what, why
    and what to do report a :class:`Problem` with :meth:`problem` (its line lands in
    ``problems`` too); steps that append plain lines still work, and :meth:`named` turns those
    into problems with as much as the line says.
    """

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    structured: list[Problem] = field(default_factory=list)
    # Problems told on an earlier run and still there (a letter still held): kept open in the
    # Problems tab, neither counted nor printed again, so a quiet day's run stays quiet.
    still: list[Problem] = field(default_factory=list)

    def add(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the count called ``name``."""
        self.counts[name] = self.counts.get(name, 0) + n

    def problem(self, problem: Problem) -> None:
        """Report ``problem``: its line in :attr:`problems`, the problem itself kept whole."""
        self.structured.append(problem)
        self.problems.append(problem.line())

    def ongoing(self, problem: Problem) -> None:
        """Keep ``problem``, told on an earlier run, open in the Problems tab without repeating it."""
        self.still.append(problem)

    def named(self) -> list[Problem]:
        """Every problem of this result: the reported ones, then plain lines made problems."""
        lines = {p.line() for p in self.structured}
        return [*self.structured, *(from_text(t) for t in self.problems if t not in lines)]

    def summary(self) -> str:
        """``imported 3, sent 3`` style text, counts in insertion order; held problems last."""
        parts = [f"{name} {n}" for name, n in self.counts.items()]
        if self.problems:
            parts.append(f"{len(self.problems)} problem(s)")
        return ", ".join(parts) or "nothing to do"
