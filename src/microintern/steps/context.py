"""What every step is handed: the config, the ports, the letter renderer and the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from microintern.config import ProgramConfig
from microintern.domain.letters import LetterRenderer
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


@dataclass
class StepResult:
    """What a step did, as counts for the summary line and the Timeline tab."""

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the count called ``name``."""
        self.counts[name] = self.counts.get(name, 0) + n

    def summary(self) -> str:
        """``imported 3, sent 3`` style text, counts in insertion order; held problems last."""
        parts = [f"{name} {n}" for name, n in self.counts.items()]
        if self.problems:
            parts.append(f"{len(self.problems)} problem(s)")
        return ", ".join(parts) or "nothing to do"
