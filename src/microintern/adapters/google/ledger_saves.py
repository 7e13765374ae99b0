"""Gmail drafts that wait for the program sheet: no draft exists whose letter is not on record.

With the Sheets roster gathering writes until a save point
(:mod:`microintern.adapters.google.sheets`), the outbox protocol (each new letter recorded
``sending`` before its draft is made, :mod:`microintern.domain.outbox`) needs a save before the
first draft of a batch.
"""

from __future__ import annotations

from typing import Any

from microintern.adapters.google.sheets import GoogleSheetsRoster
from microintern.domain.records import OutgoingMessage


class SavesBeforeSending:
    """A :class:`~microintern.ports.Mailer` that saves the ledger's new rows before a draft is made.

    The outbox protocol needs each new letter's ``sending`` record in the sheet before its draft
    exists; with writes gathered until a save point, this wrapper is what guarantees it: the
    ledger's new rows are saved before a draft is made (one ``values.append`` for a whole batch,
    whatever its size, since the engine records a batch's new letters at once). The letters'
    sent records follow with the run's next save, read back there (they are written by row
    number), so a batch's Sheets calls depend neither on its size nor on how long it sends.
    Saving when nothing is gathered costs nothing. Everything else is the wrapped mailer's.
    """

    def __init__(self, mailer: Any, roster: GoogleSheetsRoster, ledger: str | None = None) -> None:
        """``ledger``: the tab whose new rows a draft needs saved (the Outbox; None: save every
        tab before each draft)."""
        self.mailer = mailer
        self.roster = roster
        self.ledger = ledger

    def create_draft(self, message: OutgoingMessage) -> str:
        """Save the ledger's new rows (the letter's ``sending`` record among them), then draft."""
        if self.ledger is None:
            self.roster.flush()
        else:
            self.roster.flush_new(self.ledger)
        draft_id: str = self.mailer.create_draft(message)
        return draft_id

    def send_draft(self, draft_id: str) -> str:
        """Send (the letter's record was saved before its draft was made).

        A run killed with sent records unsaved loses nothing: the rerun finds each letter among
        sent mail by its Message-ID, and books it without sending it again.
        """
        message_id: str = self.mailer.send_draft(draft_id)
        return message_id

    def find_draft(self, key: str) -> str | None:
        """The wrapped mailer's look-up among drafts."""
        found: str | None = self.mailer.find_draft(key)
        return found

    def find_sent(self, key: str) -> str | None:
        """The wrapped mailer's look-up."""
        found: str | None = self.mailer.find_sent(key)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.mailer, name)
