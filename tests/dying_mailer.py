"""Mailers in a run that dies, or whose sends go unanswered (proof-of-sending tests, both backends)."""

from __future__ import annotations

from microintern.domain.records import OutgoingMessage
from microintern.errors import DeliveryUnknown
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

    def find_draft(self, key: str) -> str | None:
        """The real look-up among drafts."""
        return self.real.find_draft(key)


class KilledAtSend(KilledBeforeSending):
    """The real mailer in a run that dies as it is about to make its ``at``-th send."""

    def __init__(self, real: Mailer, at: int) -> None:
        super().__init__(real)
        self.at = at
        self.sends = 0

    def send_draft(self, draft_id: str) -> str:
        """The real send, until the ``at``-th: the process dies there, its draft left waiting."""
        self.sends += 1
        if self.sends >= self.at:
            raise Killed
        return self.real.send_draft(draft_id)


class SendsUnconfirmed(KilledBeforeSending):
    """The real mailer whose first ``count`` sends get no answer and did not happen.

    Each such letter is left ``drafted`` in the Outbox with its draft id, its draft waiting:
    the state a lost answer leaves behind.
    """

    def __init__(self, real: Mailer, count: int) -> None:
        super().__init__(real)
        self.count = count

    def send_draft(self, draft_id: str) -> str:
        """No answer (and no delivery) for the first ``count`` sends; then the real send."""
        if self.count > 0:
            self.count -= 1
            raise DeliveryUnknown("no answer", code=None)
        return self.real.send_draft(draft_id)
