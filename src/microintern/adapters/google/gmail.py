"""Gmail: drafts and their sending, the two halves of the exactly-once outbox protocol.

No Gmail call that may have taken effect is repeated blind:

- ``drafts.send`` is never retried here. A lost answer (5xx, dropped connection) is
  :class:`~microintern.errors.DeliveryUnknown`; the same draft may be sent again later (a draft
  goes out at most once), and a draft found gone is looked up among sent mail
  (:meth:`GmailMailer.find_sent`) before anyone calls it sent.
- a letter a stopped run left recorded ``sending`` is looked up among sent mail, then among
  drafts (:meth:`GmailMailer.find_draft`), before a draft is made for it;
- ``drafts.create`` after an unknown outcome first looks for a draft already carrying the
  message's Message-ID and reuses it, so a lost answer never leaves two drafts of one key.
- httplib2's silent second send of a POST after a dropped connection (DESIGN §5) is switched
  off in :mod:`microintern.adapters.google.transport`, so a drop reaches this module as an
  unknown outcome instead of a hidden duplicate create or a 404 to our own resend.

Finding a message by ``rfc822msgid:`` needs ``gmail.readonly`` (``gmail.metadata`` cannot
search), see :mod:`microintern.adapters.google.scopes`. In the normal case none of these
look-ups happens: they cost calls only after an unknown outcome or a gone draft.

REST reference: https://developers.google.com/gmail/api/reference/rest/v1/users.drafts
"""

from __future__ import annotations

import base64
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.mime import build_mime, message_id_for
from microintern.domain.records import OutgoingMessage
from microintern.errors import BackendError, DeliveryUnknown
from microintern.ports import DraftGone


def _unknown_outcome(exc: BackendError) -> bool:
    """A 5xx, a timeout or a dropped connection: the call may or may not have taken effect."""
    return exc.code is None or exc.code >= 500


class GmailMailer:
    """The :class:`~microintern.ports.Mailer` port on the delegated user's Gmail."""

    def __init__(self, service: Any, *, domain: str, retry: Retry | None = None) -> None:
        self._drafts = service.users().drafts()
        self._messages = service.users().messages()
        self._domain = domain
        self._retry = retry or Retry()
        # A refused call (429, rate-limit 403) did nothing, so even a create may be repeated.
        self._refusals = Retry(self._retry.attempts, self._retry.sleep, refusals_only=True)

    def create_draft(self, message: OutgoingMessage) -> str:
        """``users.drafts.create`` with the message as a ``raw`` body; returns the draft id.

        Rate-limit refusals are retried. After an unknown outcome (5xx, timeout, dropped
        connection) the retry waits, then looks the key's Message-ID up among drafts and reuses
        a draft found (deleting any extra copy) instead of creating another.
        """
        raw = base64.urlsafe_b64encode(build_mime(message, domain=self._domain)).decode()
        message_id = message_id_for(message.key, self._domain)
        uncertain = False

        def attempt() -> str:
            nonlocal uncertain
            if uncertain:
                # A failed look-up raises (and is retried as a whole): never create blind.
                existing = self.find_drafts(message_id)
                if existing:
                    self._delete_drafts(existing[1:])
                    return existing[0]
            request = self._drafts.create(userId="me", body={"message": {"raw": raw}})
            try:
                draft = execute(request, "gmail drafts.create", retry=self._refusals)
            except BackendError as exc:
                uncertain = uncertain or _unknown_outcome(exc)
                raise
            return str(draft["id"])

        return self._retry.run(attempt)

    def send_draft(self, draft_id: str) -> str:
        """``users.drafts.send``; never retried here (a lost answer is reconciled, not repeated).

        Raises :class:`DraftGone` on a 404 (sent earlier or deleted: not proof either way) and
        :class:`DeliveryUnknown` on a 5xx, a timeout or a dropped connection.
        """
        request = self._drafts.send(userId="me", body={"id": draft_id})
        try:
            sent = execute(request, "gmail drafts.send", retry=None)
        except BackendError as exc:
            if exc.code == 404:
                raise DraftGone(draft_id) from None
            if _unknown_outcome(exc):
                raise DeliveryUnknown(str(exc), code=exc.code) from None
            raise
        return str(sent["id"])

    def find_sent(self, key: str) -> str | None:
        """``users.messages.list`` for the key's Message-ID among sent mail, trash included.

        ``labelIds=SENT`` leaves out drafts of the same message (a leftover draft is no proof);
        ``includeSpamTrash`` finds a sent letter a person has since moved to the trash.
        """
        request = self._messages.list(
            userId="me", q=f"rfc822msgid:{message_id_for(key, self._domain)}",
            labelIds=["SENT"], includeSpamTrash=True, maxResults=10, fields="messages(id)")
        found = execute(request, "gmail messages.list", retry=self._retry)
        messages = found.get("messages") or []
        return str(messages[0]["id"]) if messages else None

    def find_draft(self, key: str) -> str | None:
        """The key's draft (one ``users.drafts.list``), any extra copy deleted; None when none.

        Asked only for a letter a stopped run left ``sending``: its draft may have been made.
        """
        existing = self.find_drafts(message_id_for(key, self._domain))
        if not existing:
            return None
        self._delete_drafts(existing[1:])
        return existing[0]

    def find_drafts(self, message_id: str) -> list[str]:
        """``users.drafts.list`` ids of the drafts carrying ``message_id``, newest first."""
        request = self._drafts.list(userId="me", q=f"rfc822msgid:{message_id}",
                                    includeSpamTrash=True, maxResults=50, fields="drafts(id)")
        found = execute(request, "gmail drafts.list", retry=self._retry)
        return [str(d["id"]) for d in found.get("drafts") or []]

    def _delete_drafts(self, draft_ids: list[str]) -> None:
        """``users.drafts.delete`` each id; one already gone is fine (deleting twice is harmless)."""
        for draft_id in draft_ids:
            try:
                execute(self._drafts.delete(userId="me", id=draft_id), "gmail drafts.delete",
                        retry=self._retry)
            except BackendError as exc:
                if exc.code != 404:
                    raise
