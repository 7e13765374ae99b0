"""One run of the assignments step: what it read, what it will write and send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import HandIn, HandInProblem
from microintern.domain.forms import FormSpec, FormState
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.records import Record
from microintern.domain.sessions import text
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import ProgramContexts
from microintern.steps.mailing import Addressed


@dataclass
class Run:
    """One run's state: what was read, what will be written and sent."""

    ctx: StepContext
    result: StepResult
    outbox: dict[str, Record]
    rows: dict[str, Record]
    settings: dict[str, str]
    hand_ins: dict[tuple[str, str], list[HandIn]]
    unusable: dict[tuple[str, str], list[HandInProblem]]
    specs: dict[str, FormSpec]          # language → the hand-in form in it
    forms: dict[str, FormState]
    options: dict[str, str]
    program: ProgramContexts
    updates: dict[str, Record] = field(default_factory=dict)
    new_settings: dict[str, str] = field(default_factory=dict)
    items: list[Addressed] = field(default_factory=list)
    feedback_keys: dict[str, str] = field(default_factory=dict)   # Outbox key → row key

    @property
    def config(self) -> ProgramConfig:
        """The program's config."""
        return self.ctx.config

    @property
    def today(self) -> date:
        """Today in the program's time zone."""
        return self.ctx.now.astimezone(self.config.zone).date()

    def key(self, letter: str, recipient: str, session_id: str) -> str:
        """The Outbox key of one letter."""
        return message_key(self.config.program.id, letter, recipient, session_id)

    def fresh(self, key: str) -> bool:
        """True while the Outbox (as read at the start) does not have the letter delivered."""
        row = self.outbox.get(key)
        return row is None or text(row.get("State")) not in DELIVERED

    def set(self, row_key: str, column: str, value: str) -> None:
        """Change one tool cell of the row ``row_key`` if it differs from what the tab holds."""
        before = self.rows.get(row_key, {})
        if text(before.get(column)) != value or row_key not in self.rows:
            self.updates.setdefault(row_key, {sheet.SUBMISSION_KEY: row_key})[column] = value

