"""Gmail v1: drafts, sending, finding sent mail, profile and send-as aliases.

What the project relies on is modelled exactly: sending a draft deletes it, so a
second ``drafts.send`` of the same id is a 404 (at most one delivery per draft);
``rfc822msgid:`` finds a sent message; the ``gmail.metadata`` scope cannot use ``q``.
A ``From`` that is neither the user nor a send-as alias is rewritten to the user's
address, as Gmail does (``SentMessage.from_rewritten`` tells tests).
"""

from __future__ import annotations

import base64
import email
import email.policy
import itertools
import shlex
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from typing import TYPE_CHECKING, Any

from . import paging
from .context import RequestContext
from .errors import ApiError, bad_request, not_found
from .validation import decode_bytes

if TYPE_CHECKING:
    from .context import Handler

_METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"
_PAGE_DEFAULT = 100
_PAGE_MAX = 500


@dataclass
class StoredMessage:
    """A message in a mailbox: sent mail or a draft's message."""

    id: str
    thread_id: str
    user: str
    raw: bytes
    message: EmailMessage
    label_ids: list[str]
    internal_date: datetime
    from_rewritten: bool = False

    @property
    def message_id(self) -> str:
        """The RFC 822 ``Message-ID`` header."""
        return str(self.message.get("Message-ID", ""))


@dataclass
class SentMessage(StoredMessage):
    """A delivered message; ``via`` is ``"draft"`` (drafts.send) or ``"send"`` (messages.send)."""

    via: str = "send"
    draft_id: str | None = None


@dataclass
class Draft:
    """A draft and its current message."""

    id: str
    user: str
    message: StoredMessage
    updated: list[datetime] = field(default_factory=list)


class GmailStore:
    """Mailboxes of the fake (``fake.gmail``)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._ids = itertools.count(1)
        self._sent: list[SentMessage] = []
        self._drafts: dict[str, dict[str, Draft]] = {}
        self._send_as: dict[str, dict[str, dict[str, Any]]] = {}
        self.history_id = 1000

    # --- helpers for tests -------------------------------------------------------------------

    def sent(self, user: str | None = None) -> list[SentMessage]:
        """Delivered messages, oldest first (of ``user`` only, if given)."""
        with self._lock:
            return [m for m in self._sent if user is None or m.user == user]

    def drafts(self, user: str) -> list[Draft]:
        """The user's current (unsent) drafts."""
        with self._lock:
            return list(self._drafts.get(user, {}).values())

    def add_send_as(
        self, user: str, alias_email: str, display_name: str = "", *, verified: bool = True
    ) -> None:
        """Give ``user`` a send-as alias (``verified=False``: pending, so From is rewritten)."""
        with self._lock:
            self._send_as.setdefault(user, {})[alias_email.lower()] = {
                "sendAsEmail": alias_email,
                "displayName": display_name,
                "replyToAddress": "",
                "isPrimary": False,
                "isDefault": False,
                "treatAsAlias": True,
                "verificationStatus": "accepted" if verified else "pending",
            }

    # --- internals ---------------------------------------------------------------------------

    def next_id(self) -> str:
        """A fresh message id (hex, like Gmail's)."""
        return f"{0x18F0000000000000 + next(self._ids):x}"

    def next_draft_id(self) -> str:
        """A fresh draft id (``r`` + digits, like Gmail's)."""
        return f"r{5000000000000000000 + next(self._ids)}"

    def send_as(self, user: str) -> list[dict[str, Any]]:
        """The user's send-as identities, primary first."""
        primary = {
            "sendAsEmail": user,
            "displayName": "",
            "replyToAddress": "",
            "isPrimary": True,
            "isDefault": True,
            "treatAsAlias": False,
            "verificationStatus": "accepted",
        }
        return [primary, *self._send_as.get(user, {}).values()]

    def may_send_as(self, user: str, address: str) -> bool:
        """Whether ``address`` is the user or a verified alias."""
        if address.lower() == user.lower():
            return True
        alias = self._send_as.get(user, {}).get(address.lower())
        return bool(alias and alias["verificationStatus"] == "accepted")

    def mailbox(self, user: str) -> list[StoredMessage]:
        """Sent messages and draft messages of ``user``, newest first."""
        found: list[StoredMessage] = [m for m in self._sent if m.user == user]
        found += [d.message for d in self._drafts.get(user, {}).values()]
        return sorted(found, key=lambda m: (m.internal_date, m.id), reverse=True)

    def find_message(self, user: str, message_id: str) -> StoredMessage:
        """A message of ``user`` by id; 404 if absent."""
        for message in self.mailbox(user):
            if message.id == message_id:
                return message
        raise not_found()

    def user_drafts(self, user: str) -> dict[str, Draft]:
        """The user's drafts by id (mutable)."""
        return self._drafts.setdefault(user, {})


# --- messages ----------------------------------------------------------------------------------


def parse_raw(ctx: RequestContext, raw_b64: str | None) -> tuple[bytes, EmailMessage]:
    """Decode and parse a ``raw`` message (or the upload's media); 400 if unusable."""
    if ctx.media is not None:
        raw = ctx.media
    else:
        if not raw_b64:
            raise bad_request("Invalid value at 'message.raw': a raw RFC 2822 message is required")
        decoded = decode_bytes(raw_b64)
        if decoded is None:
            raise bad_request("Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed")
        raw = decoded
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    if not message.get("From") or not getaddresses([str(message.get("From"))])[0][1]:
        raise bad_request("Invalid From header")
    recipients = [addr for name in ("To", "Cc", "Bcc") for _, addr in getaddresses(message.get_all(name, []))]
    if not message.get("To") or not any(recipients):
        raise bad_request("Invalid To header: recipient address required")
    return raw, message


def _stored(
    ctx: RequestContext, raw: bytes, message: EmailMessage, thread_id: str | None, labels: list[str]
) -> StoredMessage:
    store = ctx.fake.gmail
    rewritten = False
    sender = getaddresses([str(message["From"])])[0][1]
    if not store.may_send_as(ctx.user, sender):
        message.replace_header("From", ctx.user)
        rewritten = True
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain="mail.gmail.com")
    message_id = store.next_id()
    store.history_id += 1
    return StoredMessage(
        id=message_id,
        thread_id=thread_id or message_id,
        user=ctx.user,
        raw=raw,
        message=message,
        label_ids=labels,
        internal_date=datetime.now(UTC),
        from_rewritten=rewritten,
    )


def _deliver(ctx: RequestContext, stored: StoredMessage, via: str, draft_id: str | None) -> dict:
    sent = SentMessage(
        **{**stored.__dict__, "label_ids": ["SENT"]},
        via=via,
        draft_id=draft_id,
    )
    sent.internal_date = datetime.now(UTC)
    ctx.fake.gmail._sent.append(sent)
    return {"id": sent.id, "threadId": sent.thread_id, "labelIds": sent.label_ids}


def message_json(message: StoredMessage, fmt: str = "full") -> dict[str, Any]:
    """A ``Message`` resource in ``format`` minimal, metadata, full or raw."""
    out: dict[str, Any] = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": list(message.label_ids),
    }
    if fmt == "minimal":
        return out
    body = message.message.get_body(("plain", "html"))
    text = body.get_content() if body is not None else ""
    out.update(
        snippet=" ".join(str(text).split())[:200],
        historyId="1",
        internalDate=str(int(message.internal_date.timestamp() * 1000)),
        sizeEstimate=len(message.raw),
    )
    if fmt == "raw":
        out["raw"] = base64.urlsafe_b64encode(message.message.as_bytes()).decode()
        return out
    headers = [{"name": k, "value": str(v)} for k, v in message.message.items()]
    out["payload"] = {
        "partId": "",
        "mimeType": message.message.get_content_type(),
        "filename": "",
        "headers": headers,
        "body": {"size": len(message.raw)},
    }
    return out


def _check_format(ctx: RequestContext, fmt: str) -> None:
    relevant = ctx.token.scopes & ctx.spec.scopes
    if relevant == {_METADATA_SCOPE} and fmt in ("full", "raw"):
        raise ApiError(403, f"Metadata scope doesn't allow format {fmt.upper()}")


def _terms(query: str | None) -> list[str]:
    try:
        return shlex.split(query or "")
    except ValueError as exc:
        raise bad_request(f"Invalid query {query!r}: {exc}") from exc


def _matches(message: StoredMessage, terms: list[str]) -> bool:
    for term in terms:
        key, _, value = term.partition(":")
        value = value.strip("<>\"'").lower()
        header = message.message
        if key == "rfc822msgid":
            if header.get("Message-ID", "").strip().strip("<>").lower() != value:
                return False
        elif key in ("from", "to", "subject", "cc"):
            if value not in str(header.get(key, "")).lower():
                return False
        elif key in ("in", "label", "is"):
            if value.upper() not in message.label_ids:
                return False
        else:
            raise bad_request(f"fake workspace does not support Gmail query term {term!r}")
    return True


def _page(items: list[Any], ctx: RequestContext, key: str) -> dict[str, Any]:
    size = min(ctx.integer("maxResults", _PAGE_DEFAULT), _PAGE_MAX) or _PAGE_DEFAULT
    binding = [ctx.arg("q"), sorted(ctx.args("labelIds"))]
    out = paging.page(items, ctx.arg("pageToken"), size, key, binding)
    out["resultSizeEstimate"] = len(items)
    return out


# --- handlers ----------------------------------------------------------------------------------


def drafts_create(ctx: RequestContext) -> dict[str, Any]:
    """``users.drafts.create``."""
    user = ctx.gmail_user()
    given = ctx.json().get("message") or {}
    raw, message = parse_raw(ctx, given.get("raw"))
    stored = _stored(ctx, raw, message, given.get("threadId"), ["DRAFT"])
    draft = Draft(ctx.fake.gmail.next_draft_id(), user, stored)
    ctx.fake.gmail.user_drafts(user)[draft.id] = draft
    return {"id": draft.id, "message": message_json(stored, "minimal")}


def drafts_update(ctx: RequestContext) -> dict[str, Any]:
    """``users.drafts.update``."""
    user = ctx.gmail_user()
    draft = ctx.fake.gmail.user_drafts(user).get(ctx.path("id"))
    if draft is None:
        raise not_found()
    given = ctx.json().get("message") or {}
    raw, message = parse_raw(ctx, given.get("raw"))
    draft.message = _stored(ctx, raw, message, given.get("threadId"), ["DRAFT"])
    return {"id": draft.id, "message": message_json(draft.message, "minimal")}


def drafts_send(ctx: RequestContext) -> dict[str, Any]:
    """``users.drafts.send``: deliver and delete the draft (a second send is a 404)."""
    user = ctx.gmail_user()
    body = ctx.json()
    drafts = ctx.fake.gmail.user_drafts(user)
    draft = drafts.get(str(body.get("id", "")))
    if draft is None:
        raise not_found()
    given = body.get("message") or {}
    if given.get("raw") or ctx.media is not None:
        raw, message = parse_raw(ctx, given.get("raw"))
        draft.message = _stored(ctx, raw, message, given.get("threadId"), ["DRAFT"])
    del drafts[draft.id]
    return _deliver(ctx, draft.message, "draft", draft.id)


def drafts_get(ctx: RequestContext) -> dict[str, Any]:
    """``users.drafts.get``."""
    user = ctx.gmail_user()
    fmt = ctx.arg("format", "full") or "full"
    _check_format(ctx, fmt)
    draft = ctx.fake.gmail.user_drafts(user).get(ctx.path("id"))
    if draft is None:
        raise not_found()
    return {"id": draft.id, "message": message_json(draft.message, fmt)}


def drafts_list(ctx: RequestContext) -> dict[str, Any]:
    """``users.drafts.list`` (``q`` over the drafts' messages)."""
    user = ctx.gmail_user()
    terms = _terms(ctx.arg("q"))
    drafts = sorted(
        ctx.fake.gmail.user_drafts(user).values(),
        key=lambda d: (d.message.internal_date, d.id),
        reverse=True,
    )
    items = [
        {"id": d.id, "message": {"id": d.message.id, "threadId": d.message.thread_id}}
        for d in drafts
        if _matches(d.message, terms)
    ]
    return _page(items, ctx, "drafts")


def drafts_delete(ctx: RequestContext) -> None:
    """``users.drafts.delete``."""
    user = ctx.gmail_user()
    if ctx.fake.gmail.user_drafts(user).pop(ctx.path("id"), None) is None:
        raise not_found()


def messages_send(ctx: RequestContext) -> dict[str, Any]:
    """``users.messages.send``."""
    ctx.gmail_user()
    body = ctx.json()
    raw, message = parse_raw(ctx, body.get("raw"))
    stored = _stored(ctx, raw, message, body.get("threadId"), ["SENT"])
    return _deliver(ctx, stored, "send", None)


def messages_get(ctx: RequestContext) -> dict[str, Any]:
    """``users.messages.get``."""
    user = ctx.gmail_user()
    fmt = ctx.arg("format", "full") or "full"
    _check_format(ctx, fmt)
    return message_json(ctx.fake.gmail.find_message(user, ctx.path("id")), fmt)


def messages_list(ctx: RequestContext) -> dict[str, Any]:
    """``users.messages.list`` (``q``: rfc822msgid:, from:, to:, subject:, in:/label:)."""
    user = ctx.gmail_user()
    query = ctx.arg("q")
    if query and ctx.token.scopes & ctx.spec.scopes == {_METADATA_SCOPE}:
        raise ApiError(403, "Metadata scope does not support 'q' parameter")
    terms = _terms(query)
    labels = {label.upper() for label in ctx.args("labelIds")}
    items = [
        {"id": m.id, "threadId": m.thread_id}
        for m in ctx.fake.gmail.mailbox(user)
        if _matches(m, terms) and labels <= set(m.label_ids)
    ]
    return _page(items, ctx, "messages")


def get_profile(ctx: RequestContext) -> dict[str, Any]:
    """``users.getProfile``."""
    user = ctx.gmail_user()
    mailbox = ctx.fake.gmail.mailbox(user)
    return {
        "emailAddress": user,
        "messagesTotal": len(mailbox),
        "threadsTotal": len({m.thread_id for m in mailbox}),
        "historyId": str(ctx.fake.gmail.history_id),
    }


def send_as_list(ctx: RequestContext) -> dict[str, Any]:
    """``users.settings.sendAs.list``."""
    return {"sendAs": ctx.fake.gmail.send_as(ctx.gmail_user())}


def send_as_get(ctx: RequestContext) -> dict[str, Any]:
    """``users.settings.sendAs.get``."""
    wanted = ctx.path("sendAsEmail").lower()
    for identity in ctx.fake.gmail.send_as(ctx.gmail_user()):
        if identity["sendAsEmail"].lower() == wanted:
            return identity
    raise not_found()


HANDLERS: dict[str, Handler] = {
    "gmail.users.drafts.create": drafts_create,
    "gmail.users.drafts.update": drafts_update,
    "gmail.users.drafts.send": drafts_send,
    "gmail.users.drafts.get": drafts_get,
    "gmail.users.drafts.list": drafts_list,
    "gmail.users.drafts.delete": drafts_delete,
    "gmail.users.messages.send": messages_send,
    "gmail.users.messages.get": messages_get,
    "gmail.users.messages.list": messages_list,
    "gmail.users.getProfile": get_profile,
    "gmail.users.settings.sendAs.list": send_as_list,
    "gmail.users.settings.sendAs.get": send_as_get,
}
