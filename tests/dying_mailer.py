"""A mailer in a run that dies at its first send, for the proof-of-sending tests (both backends)."""

from __future__ import annotations

from microintern.domain.records import OutgoingMessage
from microintern.ports import Mailer


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, no ``except Exception`` catches it."""


class KilledBeforeSending:
    """The real mailer (Gmail or the local outbox) in a run that dies at its first send."""

    def __init__(self, real: Mailer) -> None:
        self.real = real

    def create_draft(self, message: OutgoingMessage) -> str:
        """The real create: every draft is made and recorded."""
        return self.real.create_draft(message)

    def send_draft(self, draft_id: str) -> str:
        """The process dies here."""
        raise Killed

    def find_sent(self, key: str) -> str | None:
        """The real look-up."""
        return self.real.find_sent(key)
