"""The fake Badgr's state and its API: token endpoint, assertion list and award (no sockets here).

Modelled on badgr-server (``apps/issuer/api.py``, ``serializers_v2.py``, ``mainsite/pagination.py``)
and django-oauth-toolkit with rotating refresh tokens:

- ``POST /o/token``: ``password`` and ``refresh_token`` grants for the public client. A refresh
  answers a new pair and voids the old refresh token and its access token.
- ``GET /v2/badgeclasses/{id}/assertions``: ``recipient`` (repeatable, plaintext identifiers),
  ``include_revoked``, ``include_expired``, and cursor paging with ``num`` (at most 500) and a
  ``Link: <...>; rel="next"`` header; newest first. No ``num``: everything in one answer.
- ``POST /v2/badgeclasses/{id}/assertions``: Badgr's v2 assertion fields; ``allowDuplicateAwards:
  false`` refuses a second award to the same recipient.

Answers use Badgr's envelope ``{"status": {"success", "description"}, "result": [...]}`` and its
error form (``fieldErrors``, ``validationErrors``). Stricter than Badgr on purpose: unknown body
fields and query parameters are refused (DRF would ignore them), so a typo in the client shows.
Requests Badgr would refuse whatever the state are also listed in ``rejections``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

ALLOWED_SCOPES = frozenset({"rw:issuer", "rw:backpack", "rw:profile", "r:profile", "r:backpack"})
PUBLIC_CLIENT = "public"
MAX_PAGE = 500
ASSERTION_FIELDS = frozenset({"badgeclass", "badgeclassOpenBadgeId", "badgeclassName", "issuer", "recipient",
                              "issuedOn", "narrative", "evidence", "expires", "notify",
                              "allowDuplicateAwards", "extensions"})
RECIPIENT_FIELDS = frozenset({"identity", "type", "hashed"})
RECIPIENT_TYPES = frozenset({"email", "url", "id", "telephone"})
EVIDENCE_FIELDS = frozenset({"url", "narrative"})
LIST_PARAMETERS = frozenset({"num", "cursor", "recipient", "include_revoked", "include_expired"})
DUPLICATE = "A previous award of this badge already exists for this recipient."
_ASSERTIONS = re.compile(r"^/v2/badgeclasses/([A-Za-z0-9_-]+)/assertions$")


@dataclass
class Assertion:
    """One awarded badge (Badgr's BadgeInstance)."""

    entity_id: str
    badgeclass: str
    issuer: str
    recipient_identifier: str
    recipient_type: str
    hashed: bool
    salt: str
    narrative: str | None
    evidence: list[dict[str, str]]
    issued_on: datetime
    created_at: datetime
    created_by: str
    notify: bool
    revoked: bool = False
    expires: datetime | None = None


@dataclass
class Call:
    """One request the fake answered."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    body: Any = None
    fault: str | None = None


@dataclass
class Fault:
    """An injected failure for requests matching ``method`` and a path prefix.

    ``kind``: ``"status"`` answers ``status`` without processing (``after=False``) or after
    processing (``after=True``: the change is made, the client sees an error); ``"drop"``
    processes the request and closes the connection without answering.
    """

    method: str
    path_prefix: str
    kind: str = "status"
    status: int = 500
    after: bool = False
    times: int | None = 1


@dataclass
class Answer:
    """What the server writes back (``drop``: close the connection instead)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def _envelope(result: list[Any], success: bool = True, description: str = "ok",
              **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"status": {"success": success, "description": description}, "result": result}
    body.update(extra)
    return body


def _bad_request(field_errors: Mapping[str, Any] | None = None,
                 validation_errors: list[str] | None = None) -> Answer:
    return Answer(400, _envelope([], False, "bad request", fieldErrors=dict(field_errors or {}),
                                 validationErrors=list(validation_errors or [])))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sha256_identity(identifier: str, salt: str) -> str:
    """Badgr's ``generate_sha256_hashstring``."""
    return "sha256$" + hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()


class BadgrState:
    """Everything the fake knows, behind one lock; ``handle`` answers one request."""

    def __init__(self, base_url: str = "http://127.0.0.1", *, token_lifetime: int = 86400) -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self.token_lifetime = token_lifetime
        self.reset()

    def reset(self) -> None:
        """Forget everything: accounts, badges, tokens, calls, faults."""
        with self.lock:
            self.users: dict[str, str] = {}
            self.issuers: dict[str, dict[str, Any]] = {}
            self.badgeclasses: dict[str, dict[str, Any]] = {}
            self.assertions: list[Assertion] = []
            self.access_tokens: dict[str, tuple[str, frozenset[str], float]] = {}
            self.refresh_tokens: dict[str, tuple[str, frozenset[str], str]] = {}
            self.notifications: list[tuple[str, str]] = []
            self.calls: list[Call] = []
            self.rejections: list[str] = []
            self.faults: list[Fault] = []
            self.hooks: list[list[Any]] = []
            self.password_grants = 0
            self.refresh_grants = 0

    # --- seeding and inspection ---

    def add_user(self, username: str, password: str) -> None:
        """A Badgr account that can sign in with the password grant."""
        with self.lock:
            self.users[username] = password

    def add_issuer(self, entity_id: str, name: str, staff: list[str]) -> None:
        """An issuer whose staff (usernames) may award its badge classes."""
        with self.lock:
            self.issuers[entity_id] = {"name": name, "staff": set(staff)}

    def add_badgeclass(self, entity_id: str, issuer_id: str, name: str) -> None:
        """A badge class of ``issuer_id``."""
        with self.lock:
            self.badgeclasses[entity_id] = {"issuer": issuer_id, "name": name}

    def add_assertion(self, badgeclass: str, identifier: str, *, revoked: bool = False,
                      created_at: datetime | None = None) -> Assertion:
        """An assertion made outside the client (e.g. by hand in Badgr's UI)."""
        with self.lock:
            now = created_at or datetime.now(UTC)
            assertion = Assertion(self._new_id(), badgeclass, self.badgeclasses[badgeclass]["issuer"],
                                  identifier, "email", True, secrets.token_hex(8), None, [], now, now,
                                  "someone", False, revoked)
            self.assertions.append(assertion)
            return assertion

    def assertions_of(self, badgeclass: str) -> list[Assertion]:
        """The class's assertions, oldest first."""
        with self.lock:
            return [a for a in self.assertions if a.badgeclass == badgeclass]

    def expire_access_tokens(self) -> None:
        """Make every access token unknown to the server (as after a server-side revocation)."""
        with self.lock:
            self.access_tokens.clear()

    def fail(self, method: str, path_prefix: str, status: int = 500, *, after: bool = False,
             times: int | None = 1) -> Fault:
        """Answer ``status`` to matching requests (after processing them when ``after``)."""
        fault = Fault(method, path_prefix, "status", status, after, times)
        with self.lock:
            self.faults.append(fault)
        return fault

    def drop(self, method: str, path_prefix: str, *, times: int | None = 1) -> Fault:
        """Process matching requests, then close the connection without answering."""
        fault = Fault(method, path_prefix, "drop", 0, True, times)
        with self.lock:
            self.faults.append(fault)
        return fault

    def after(self, method: str, path_prefix: str, fn: Callable[[BadgrState], None], *,
              times: int | None = 1) -> None:
        """Run ``fn(self)`` after a matching request was processed, before it is answered."""
        with self.lock:
            self.hooks.append([method, path_prefix, fn, times])

    def count(self, method: str = "", path_prefix: str = "") -> int:
        """Requests answered (or dropped) whose method and path match."""
        with self.lock:
            return sum(1 for c in self.calls
                       if (not method or c.method == method) and c.path.startswith(path_prefix))

    # --- serving ---

    def handle(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        """Answer one request (called by the HTTP layer with the lock not held)."""
        split = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        with self.lock:
            fault = self._fault(method, split.path)
            if fault is not None and not fault.after:
                answer = Answer(fault.status, _envelope([], False, "server error"))
            else:
                answer = self._route(method, split.path, query, headers, raw)
                if fault is not None and fault.kind == "drop":
                    answer = Answer(0, drop=True)
                elif fault is not None:
                    answer = Answer(fault.status, _envelope([], False, "server error"))
            body: Any = raw.decode("utf-8", "replace") if raw else None
            self.calls.append(Call(method, split.path, query, answer.status, body,
                                   fault.kind if fault is not None else None))
            for hook in self.hooks:
                if hook[0] == method and split.path.startswith(hook[1]) and hook[3] != 0:
                    if hook[3] is not None:
                        hook[3] -= 1
                    hook[2](self)
            return answer

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and path.startswith(fault.path_prefix) and fault.times != 0:
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def _reject(self, why: str) -> None:
        self.rejections.append(why)

    def _route(self, method: str, path: str, query: dict[str, list[str]], headers: Mapping[str, str],
               raw: bytes) -> Answer:
        if path == "/o/token":
            if method != "POST":
                return Answer(405, {"detail": f'Method "{method}" not allowed.'})
            return self._token(headers, raw)
        match = _ASSERTIONS.match(path)
        if match is None:
            self._reject(f"{method} {path}: no such Badgr endpoint")
            return Answer(404, _envelope([], False, "not found"))
        user, refusal = self._authorized(headers)
        if refusal is not None:
            return refusal
        assert user is not None
        badgeclass = self.badgeclasses.get(match[1])
        if badgeclass is None or user not in self.issuers[badgeclass["issuer"]]["staff"]:
            return Answer(404, _envelope([], False, "not found"))
        if method == "GET":
            return self._list(match[1], path, query)
        if method == "POST":
            if query:
                self._reject(f"POST {path}: unexpected query {sorted(query)}")
                return _bad_request({"query": ["Unexpected query parameters."]})
            return self._award(match[1], user, headers, raw)
        return Answer(405, {"detail": f'Method "{method}" not allowed.'})

    # --- OAuth2 ---

    def _token(self, headers: Mapping[str, str], raw: bytes) -> Answer:
        if not headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            self._reject("POST /o/token: the body must be form-encoded")
            return Answer(400, {"error": "invalid_request"})
        parsed = urllib.parse.parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        form = {k: v[-1] for k, v in parsed.items()}
        if form.get("client_id") != PUBLIC_CLIENT:
            return Answer(401, {"error": "invalid_client"})
        grant = form.get("grant_type")
        if grant == "password":
            allowed = {"grant_type", "client_id", "username", "password", "scope"}
            if set(form) - allowed:
                self._reject(f"POST /o/token: unknown fields {sorted(set(form) - allowed)}")
                return Answer(400, {"error": "invalid_request"})
            username = form.get("username", "")
            if not username or self.users.get(username) != form.get("password"):
                return Answer(400, {"error": "invalid_grant",
                                    "error_description": "Invalid credentials given."})
            scopes = frozenset((form.get("scope") or "rw:profile rw:issuer rw:backpack").split())
            if not scopes <= ALLOWED_SCOPES:
                return Answer(400, {"error": "invalid_scope"})
            self.password_grants += 1
            return self._issue(username, scopes)
        if grant == "refresh_token":
            allowed = {"grant_type", "client_id", "refresh_token", "scope"}
            if set(form) - allowed:
                self._reject(f"POST /o/token: unknown fields {sorted(set(form) - allowed)}")
                return Answer(400, {"error": "invalid_request"})
            held = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if held is None:
                return Answer(400, {"error": "invalid_grant"})
            username, scopes, old_access = held
            self.access_tokens.pop(old_access, None)   # rotation voids the old pair
            self.refresh_grants += 1
            return self._issue(username, scopes)
        return Answer(400, {"error": "unsupported_grant_type"})

    def _issue(self, username: str, scopes: frozenset[str]) -> Answer:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens[access] = (username, scopes, time.time() + self.token_lifetime)
        self.refresh_tokens[refresh] = (username, scopes, access)
        return Answer(200, {"access_token": access, "expires_in": self.token_lifetime, "token_type": "Bearer",
                            "scope": " ".join(sorted(scopes)), "refresh_token": refresh})

    def _authorized(self, headers: Mapping[str, str]) -> tuple[str | None, Answer | None]:
        value = headers.get("Authorization", "")
        if not value.startswith("Bearer "):
            return None, Answer(401, {"detail": "Authentication credentials were not provided."})
        held = self.access_tokens.get(value.removeprefix("Bearer "))
        if held is None or held[2] < time.time():
            return None, Answer(401, {"detail": "Authentication credentials were not provided."})
        username, scopes, _ = held
        if "rw:issuer" not in scopes:
            return None, Answer(403, {"detail": "You do not have permission to perform this action."})
        return username, None

    # --- assertions ---

    def _represent(self, a: Assertion) -> dict[str, Any]:
        recipient: dict[str, Any] = {"identity": a.recipient_identifier, "hashed": a.hashed,
                                     "type": a.recipient_type, "plaintextIdentity": a.recipient_identifier}
        if a.hashed:
            recipient["salt"] = a.salt
            recipient["identity"] = sha256_identity(a.recipient_identifier, a.salt)
        return {
            "entityType": "Assertion",
            "entityId": a.entity_id,
            "openBadgeId": f"{self.base_url}/public/assertions/{a.entity_id}",
            "createdAt": _iso(a.created_at),
            "createdBy": a.created_by,
            "badgeclass": a.badgeclass,
            "badgeclassOpenBadgeId": f"{self.base_url}/public/badges/{a.badgeclass}",
            "issuer": a.issuer,
            "issuerOpenBadgeId": f"{self.base_url}/public/issuers/{a.issuer}",
            "image": f"{self.base_url}/public/assertions/{a.entity_id}/image",
            "recipient": recipient,
            "issuedOn": _iso(a.issued_on),
            "narrative": a.narrative,
            "evidence": [dict(e) for e in a.evidence],
            "revoked": a.revoked,
            "revocationReason": "revoked by hand" if a.revoked else None,
            "acceptance": "Unaccepted",
            "expires": _iso(a.expires) if a.expires else None,
            "extensions": {},
        }

    def _list(self, badgeclass: str, path: str, query: dict[str, list[str]]) -> Answer:
        unknown = set(query) - LIST_PARAMETERS
        if unknown:
            self._reject(f"GET {path}: unknown query parameters {sorted(unknown)}")
            return _bad_request({k: ["Unknown query parameter."] for k in sorted(unknown)})
        items = [a for a in self.assertions if a.badgeclass == badgeclass]
        recipients = query.get("recipient")
        if recipients:
            items = [a for a in items if a.recipient_identifier in recipients]
        if query.get("include_revoked", [""])[-1].lower() not in ("1", "true"):
            items = [a for a in items if not a.revoked]
        if query.get("include_expired", [""])[-1].lower() not in ("1", "true"):
            now = datetime.now(UTC)
            items = [a for a in items if a.expires is None or a.expires >= now]
        items.sort(key=lambda a: (a.created_at, a.entity_id), reverse=True)
        headers: dict[str, str] = {}
        num = query.get("num", [""])[-1]
        if num:
            try:
                size = min(MAX_PAGE, max(1, int(num)))
            except ValueError:
                size = 0
            if size:
                cursor = query.get("cursor", [""])[-1]
                try:
                    start = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode()) if cursor else 0
                except ValueError:
                    return Answer(404, {"detail": "Invalid cursor"})
                page = items[start:start + size]
                if start + size < len(items):
                    following = {k: v for k, v in query.items() if k != "cursor"}
                    token = base64.urlsafe_b64encode(str(start + size).encode()).decode().rstrip("=")
                    following["cursor"] = [token]
                    url = f"{self.base_url}{path}?{urllib.parse.urlencode(following, doseq=True)}"
                    headers["Link"] = f'<{url}>; rel="next"'
                items = page
        return Answer(200, _envelope([self._represent(a) for a in items]), headers)

    def _award(self, badgeclass: str, user: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        path = f"/v2/badgeclasses/{badgeclass}/assertions"
        if not headers.get("Content-Type", "").startswith("application/json"):
            self._reject(f"POST {path}: the body must be JSON")
            return _bad_request(validation_errors=["Unsupported media type."])
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._reject(f"POST {path}: the body is not JSON")
            return _bad_request(validation_errors=["JSON parse error."])
        errors = self._validate(body)
        if errors:
            self._reject(f"POST {path}: {json.dumps(errors, sort_keys=True)}")
            return _bad_request(errors)
        recipient = body["recipient"]
        identifier = str(recipient["identity"])
        allow_duplicates = body.get("allowDuplicateAwards", True)
        if allow_duplicates is False:
            now = datetime.now(UTC)
            if any(a.badgeclass == badgeclass and a.recipient_identifier == identifier and not a.revoked
                   and (a.expires is None or a.expires > now) for a in self.assertions):
                return _bad_request(validation_errors=[DUPLICATE])
        now = datetime.now(UTC)
        issued = body.get("issuedOn")
        issued_on = datetime.fromisoformat(issued.replace("Z", "+00:00")) if issued else now
        assertion = Assertion(
            entity_id=self._new_id(), badgeclass=badgeclass, issuer=self.badgeclasses[badgeclass]["issuer"],
            recipient_identifier=identifier, recipient_type=recipient.get("type", "email"),
            hashed=recipient.get("hashed", True) is not False, salt=secrets.token_hex(16),
            narrative=body.get("narrative"), evidence=[dict(e) for e in body.get("evidence") or []],
            issued_on=issued_on, created_at=now, created_by=user, notify=bool(body.get("notify")))
        self.assertions.append(assertion)
        if assertion.notify and assertion.recipient_type == "email":
            self.notifications.append((identifier, badgeclass))
        return Answer(201, _envelope([self._represent(assertion)]))

    @staticmethod
    def _validate(body: Any) -> dict[str, list[str]]:
        if not isinstance(body, dict):
            return {"non_field_errors": ["Invalid data. Expected a dictionary."]}
        errors: dict[str, list[str]] = {}
        for key in sorted(set(body) - ASSERTION_FIELDS):
            errors[key] = ["Unknown field."]
        recipient = body.get("recipient")
        if not isinstance(recipient, dict):
            errors["recipient"] = ["This field is required."]
        else:
            for key in sorted(set(recipient) - RECIPIENT_FIELDS):
                errors[f"recipient.{key}"] = ["Unknown field."]
            kind = recipient.get("type", "email")
            identity = recipient.get("identity")
            if kind not in RECIPIENT_TYPES:
                errors["recipient.type"] = [f'"{kind}" is not a valid choice.']
            if not isinstance(identity, str) or not identity:
                errors["recipient.identity"] = ["This field is required."]
            elif kind == "email":
                try:
                    validate_email(identity, check_deliverability=False)
                except EmailNotValidError:
                    errors["recipient.identity"] = ["Enter a valid email address."]
            if "hashed" in recipient and not isinstance(recipient["hashed"], bool):
                errors["recipient.hashed"] = ["Must be a valid boolean."]
        evidence = body.get("evidence")
        if evidence is not None:
            if not isinstance(evidence, list):
                errors["evidence"] = [f'Expected a list of items but got type "{type(evidence).__name__}".']
            else:
                for i, item in enumerate(evidence):
                    if not isinstance(item, dict):
                        errors[f"evidence.{i}"] = ["Invalid data. Expected a dictionary."]
                        continue
                    for key in sorted(set(item) - EVIDENCE_FIELDS):
                        errors[f"evidence.{i}.{key}"] = ["Unknown field."]
                    if not (item.get("url") or item.get("narrative")):
                        errors[f"evidence.{i}"] = ["Either url or narrative is required"]
                    url = item.get("url")
                    if url is not None and not (isinstance(url, str) and re.match(r"^https?://[^\s/]+", url)):
                        errors[f"evidence.{i}.url"] = ["Enter a valid URL."]
        narrative = body.get("narrative")
        if narrative is not None and not isinstance(narrative, str):
            errors["narrative"] = ["Not a valid string."]
        for flag in ("notify", "allowDuplicateAwards"):
            if flag in body and not isinstance(body[flag], bool):
                errors[flag] = ["Must be a valid boolean."]
        issued = body.get("issuedOn")
        if issued is not None:
            try:
                when = datetime.fromisoformat(str(issued).replace("Z", "+00:00"))
                if when.tzinfo is None:
                    raise ValueError
            except ValueError:
                errors["issuedOn"] = ["Datetime has wrong format."]
            else:
                if when > datetime.now(UTC) + timedelta(minutes=1):
                    errors["issuedOn"] = ["Only issuedOn dates in the past are acceptable."]
        return errors

    def _new_id(self) -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
