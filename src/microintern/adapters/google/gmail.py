"""Gmail: drafts and their sending, the two halves of the exactly-once outbox protocol.

REST reference: https://developers.google.com/gmail/api/reference/rest/v1/users.drafts
"""

from __future__ import annotations

import base64
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.mime import build_mime
from microintern.domain.records import OutgoingMessage
from microintern.errors import BackendError, DeliveryUnknown
from microintern.ports import DraftGone


class GmailMailer:
    """The :class:`~microintern.ports.Mailer` port on the delegated user's Gmail."""

    def __init__(self, service: Any, *, domain: str, retry: Retry | None = None) -> None:
        self._drafts = service.users().drafts()
        self._domain = domain
        self._retry = retry or Retry()

    def create_draft(self, message: OutgoingMessage) -> str:
        """``users.drafts.create`` with the message as a ``raw`` body; returns the draft id.

        Retried on rate limits and server errors: a repeated create can at worst leave an
        unsent extra draft, never a second delivery.
        """
        raw = base64.urlsafe_b64encode(build_mime(message, domain=self._domain)).decode()
        request = self._drafts.create(userId="me", body={"message": {"raw": raw}})
        draft = execute(request, "gmail drafts.create", retry=self._retry)
        return str(draft["id"])

    def send_draft(self, draft_id: str) -> str:
        """``users.drafts.send``; never retried here (a lost answer is reconciled on rerun)."""
        request = self._drafts.send(userId="me", body={"id": draft_id})
        try:
            sent = execute(request, "gmail drafts.send", retry=None)
        except BackendError as exc:
            if exc.code == 404:
                raise DraftGone(draft_id) from None
            if exc.code is None or exc.code >= 500:
                raise DeliveryUnknown(str(exc), code=exc.code) from None
            raise
        return str(sent["id"])
