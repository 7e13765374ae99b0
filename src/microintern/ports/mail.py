"""The Mailer port: outgoing mail in two phases (draft, then send), and proof of sending."""

from __future__ import annotations

from typing import Protocol

from microintern.domain.records import OutgoingMessage


class DraftGone(Exception):
    """The draft no longer exists: it was sent, or a person deleted it.

    Not proof of sending: the caller looks the message up with :meth:`Mailer.find_sent`.
    """


class Mailer(Protocol):
    """Outgoing mail in two phases so that a crash never causes a second delivery."""

    def create_draft(self, message: OutgoingMessage) -> str:
        """Store the message as a draft and return the draft id. Nothing is delivered."""
        ...

    def send_draft(self, draft_id: str) -> str:
        """Deliver a stored draft and return the sent message id.

        Raises :class:`DraftGone` when the draft no longer exists (sent earlier, or deleted by
        a person: look it up with :meth:`find_sent`), and
        :class:`~microintern.errors.DeliveryUnknown` when the outcome cannot be known (a 5xx,
        a dropped connection): the same draft may be sent again later, never a new one.
        """
        ...

    def find_sent(self, key: str) -> str | None:
        """The sent message id of the message with ledger key ``key``, or None if none was sent.

        Looks among delivered mail (trashed included) for the key's deterministic Message-ID;
        drafts never count. This is the proof a ledger needs before booking a gone draft sent.
        """
        ...

    def find_draft(self, key: str) -> str | None:
        """The id of a draft carrying the key's Message-ID, or None when there is none.

        Asked for a letter recorded ``sending`` by a run that stopped: its draft may exist
        (made, not yet sent), and is then sent rather than a second one made. Never proof of
        sending: ask :meth:`find_sent` first.
        """
        ...
