"""Gmail sends that wait for the program sheet: a letter leaves only once its record is saved.

With the Sheets roster gathering writes until a save point
(:mod:`microintern.adapters.google.sheets`), the outbox protocol (a draft's id recorded before
the draft is sent, :mod:`microintern.domain.outbox`) needs a save before each send.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from microintern.adapters.google.sheets import GoogleSheetsRoster
from microintern.domain.records import OutgoingMessage


class SavesBeforeSending:
    """A :class:`~microintern.ports.Mailer` that saves the program sheet's writes before a send.

    The outbox protocol needs each draft's ``drafted`` record in the sheet before the draft is
    sent; with writes gathered until a save point, this wrapper is what guarantees it: the
    ledger's rows that record a draft are saved before it is sent (one ``values.append``, or a
    ``values.batchUpdate`` for a letter drafted again, once per chunk of drafts); the letters'
    sent records follow with the run's next save, or within a minute of sending. Whatever such
    a save writes by row number is read back at once, as the run's last save does. Saving when
    nothing is gathered costs nothing. Everything else is the wrapped mailer's.
    """

    def __init__(self, mailer: Any, roster: GoogleSheetsRoster, ledger: str | None = None,
                 record_column: str = "", every: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """``ledger``: the tab a send needs saved (the Outbox; None: every tab); with
        ``record_column`` (the ledger's Draft ID) only its rows that write that column, and
        the rest of the ledger at least every ``every`` seconds of sending."""
        self.mailer = mailer
        self.roster = roster
        self.ledger = ledger
        self.record_column = record_column
        self.every = every
        self.clock = clock
        self.saved = clock()

    def create_draft(self, message: OutgoingMessage) -> str:
        """Store the draft (nothing leaves)."""
        draft_id: str = self.mailer.create_draft(message)
        return draft_id

    def send_draft(self, draft_id: str) -> str:
        """Save what the roster gathered for the ledger (the draft's record among it), then send.

        Other writes wait for the run's next save, or a minute: a run killed after the send
        redoes them, and finds the letter in the ledger (drafted, then found in Sent).
        """
        now = self.clock()
        if self.ledger is None:
            self.roster.flush()
        elif self.record_column and now - self.saved < self.every:
            self.roster.flush_rows(self.ledger, self.record_column)
        else:
            # The sent records written by row number are read back at once (one read a minute
            # of sending): a sort during the run would otherwise leave a "sent" on another
            # letter's row until the run's last save, or for good if the run is killed first.
            self.roster.flush(only=[self.ledger], verify=True)
            self.saved = now
        message_id: str = self.mailer.send_draft(draft_id)
        return message_id

    def find_sent(self, key: str) -> str | None:
        """The wrapped mailer's look-up."""
        found: str | None = self.mailer.find_sent(key)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.mailer, name)
