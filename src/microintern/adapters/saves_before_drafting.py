"""A mailer that saves the program's ledger before every draft is made (both backends).

Both rosters gather writes until a save point (the Sheets roster until the run's last save,
:mod:`microintern.adapters.google.sheets`; the local workbook until its block ends,
:mod:`microintern.adapters.local.workbook`). The outbox protocol
(:mod:`microintern.domain.outbox`) needs each new letter's ``sending`` record saved before its
draft exists, so that no draft is ever made for a letter the ledger does not know. Wrapping the
mailer is what guarantees it: ``save`` runs before each draft. The mail engine records a
batch's new letters at once, so the first draft of a batch saves them all and the later ones
find nothing new to save (a save with nothing gathered costs nothing).

Each backend says what to save: on Sheets only the ledger's new rows (one ``values.append``,
which needs no read-back; the sent records, written by row number, wait for the run's last
save, read back there); on the local backend everything gathered (one workbook save).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from microintern.domain.records import OutgoingMessage
from microintern.ports import Mailer


class SavesBeforeDrafting:
    """A :class:`~microintern.ports.Mailer` that runs ``save`` before each draft is made."""

    def __init__(self, mailer: Mailer, save: Callable[[], None]) -> None:
        self.mailer = mailer
        self.save = save

    def create_draft(self, message: OutgoingMessage) -> str:
        """Save the ledger (the letter's ``sending`` record among what it gathered), then draft."""
        self.save()
        return self.mailer.create_draft(message)

    def send_draft(self, draft_id: str) -> str:
        """Send (the letter's record was saved before its draft was made).

        A run killed with sent records unsaved loses nothing: the rerun finds each letter among
        sent mail by its Message-ID, and books it without sending it again.
        """
        return self.mailer.send_draft(draft_id)

    def find_sent(self, key: str) -> str | None:
        """The wrapped mailer's look-up among sent mail."""
        return self.mailer.find_sent(key)

    def find_draft(self, key: str) -> str | None:
        """The wrapped mailer's look-up among drafts."""
        return self.mailer.find_draft(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.mailer, name)   # the wrapped mailer's own extras (folders, listings)
