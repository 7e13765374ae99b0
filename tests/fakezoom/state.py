"""The fake Zoom's state and API (no sockets): token endpoint, meetings, registrants, past meetings.

Every request goes through: route → token → scopes → query parameters → body → fault → hooks →
handler, as the Workspace fake does. Refusals Zoom would make whatever the state (unknown route,
missing scope, unknown parameter or field, bad value) are answered 400/404 with Zoom's envelope
``{"code": ..., "message": ...}`` and listed in ``rejections``; tests assert it stays empty.
"""

from __future__ import annotations

import base64
import fnmatch
import itertools
import json
import re
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fakeworkspace.faults import Fault, Faults
from fakeworkspace.hooks import Hooks

from .schema import REGISTRANT, REQUIRED, Invalid, check_meeting, check_registrant_status, validate

TOKEN_PATH = "/oauth/token"
# Granular scopes (Server-to-Server OAuth); the classic admin scope of each family also passes.
_CLASSIC = {"meeting:write": "meeting:write:admin", "meeting:update": "meeting:write:admin",
            "meeting:delete": "meeting:write:admin", "meeting:read": "meeting:read:admin"}


@dataclass(frozen=True)
class Route:
    """One endpoint: method id, HTTP method, path pattern, granular scope, query parameters."""

    method_id: str
    http_method: str
    pattern: re.Pattern[str]
    scope: str
    params: frozenset[str] = frozenset()


def _route(method_id: str, http: str, path: str, scope: str, params: Iterable[str] = ()) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method_id, http, re.compile(f"^/v2{regex}$"), scope, frozenset(params))


ROUTES = (
    _route("zoom.meetings.create", "POST", "/users/{userId}/meetings", "meeting:write:meeting:admin"),
    _route("zoom.meetings.list", "GET", "/users/{userId}/meetings", "meeting:read:list_meetings:admin",
           ("type", "page_size", "next_page_token", "page_number", "from", "to", "timezone")),
    _route("zoom.meetings.get", "GET", "/meetings/{meetingId}", "meeting:read:meeting:admin",
           ("occurrence_id", "show_previous_occurrences")),
    _route("zoom.meetings.update", "PATCH", "/meetings/{meetingId}", "meeting:update:meeting:admin",
           ("occurrence_id",)),
    _route("zoom.meetings.delete", "DELETE", "/meetings/{meetingId}", "meeting:delete:meeting:admin",
           ("occurrence_id", "schedule_for_reminder", "cancel_meeting_reminder")),
    _route("zoom.registrants.create", "POST", "/meetings/{meetingId}/registrants",
           "meeting:write:registrant:admin", ("occurrence_ids",)),
    _route("zoom.registrants.list", "GET", "/meetings/{meetingId}/registrants",
           "meeting:read:list_registrants:admin",
           ("status", "page_size", "next_page_token", "occurrence_id")),
    _route("zoom.registrants.status", "PUT", "/meetings/{meetingId}/registrants/status",
           "meeting:update:registrant_status:admin", ("occurrence_id",)),
    _route("zoom.past_meetings.instances", "GET", "/past_meetings/{meetingId}/instances",
           "meeting:read:list_past_instances:admin"),
    _route("zoom.past_meetings.participants", "GET", "/past_meetings/{meetingUUID}/participants",
           "meeting:read:list_past_participants:admin", ("page_size", "next_page_token")),
)


@dataclass
class Answer:
    """What to send back; ``drop`` closes the connection without an answer."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method_id: str
    http_method: str
    path: str
    status: int
    query: dict[str, list[str]]
    body: Any
    fault: str | None = None


@dataclass
class App:
    """A Server-to-Server OAuth app of the account."""

    account_id: str
    client_id: str
    client_secret: str
    scopes: frozenset[str]


@dataclass
class Prepared:
    """A request after the checks: an early answer, or a handler to run."""

    method_id: str
    answer: Answer | None = None
    handler: Callable[[], Answer] | None = None
    fault: Fault | None = None
    body: Any = None


class ZoomError(Exception):
    """A refusal with Zoom's envelope."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _wall(value: str, zone: str) -> str:
    """A start as Zoom answers it: UTC with ``Z``."""
    from zoneinfo import ZoneInfo

    if value.endswith("Z"):
        return value
    moment = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZoomState:
    """Accounts, users, meetings and past meetings, with the request pipeline."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lock = threading.RLock()
        self.faults = Faults()
        self.hooks = Hooks()
        self.calls: list[Call] = []
        self.rejections: list[str] = []
        self.errors: list[str] = []
        self.apps: dict[str, App] = {}
        self.tokens: dict[str, frozenset[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}       # email → {"id", "licensed"}
        self.meetings: dict[str, dict[str, Any]] = {}    # id → meeting as Zoom answers it
        self.deleted: list[str] = []
        self.registrants: dict[str, list[dict[str, Any]]] = {}
        self.instances: dict[str, list[dict[str, Any]]] = {}   # meeting id → [{"uuid", "start_time"}]
        self.participants: dict[str, list[dict[str, Any]]] = {}  # uuid → participant records
        self.paid = True
        self._ids = itertools.count(81_234_567_890, 7_919)
        self._created = itertools.count(1)

    # --- seeding ---

    def reset(self) -> None:
        """Empty the fake between tests (one server serves a whole test module)."""
        with self.lock:
            self.faults.clear()
            self.hooks.clear()
            for held in (self.calls, self.rejections, self.errors, self.deleted):
                held.clear()
            # The apps and their tokens stay: a test adds its app again (same ids, same scopes).
            for table in (self.users, self.meetings, self.registrants, self.instances,
                          self.participants):
                table.clear()
            self.paid = True

    def add_app(self, account_id: str, client_id: str, client_secret: str, scopes: Iterable[str]) -> App:
        """Register a Server-to-Server OAuth app and the scopes it was given."""
        app = App(account_id, client_id, client_secret, frozenset(scopes))
        self.apps[client_id] = app
        return app

    def add_user(self, email: str, *, licensed: bool = True) -> None:
        """A user of the account (only licensed users may host or be alternative hosts)."""
        self.users[email.casefold()] = {"id": secrets.token_hex(6), "licensed": licensed}

    def add_past_instance(self, meeting_id: str, start: datetime,
                          records: Iterable[tuple[str | None, str, datetime, datetime]]) -> str:
        """A held meeting: ``records`` are (email or None, name, join, leave); returns its UUID.

        Every other UUID starts with ``/`` and the others hold one inside, so both of Zoom's
        encodings are exercised.
        """
        count = sum(len(v) for v in self.instances.values())
        # Every other UUID starts with "/" (encoded twice); the others hold a "/" inside (once).
        body = base64.b64encode(secrets.token_bytes(12)).decode().replace("/", "x")
        uuid = "/" + body if count % 2 == 0 else body[:6] + "/" + body[6:]
        stamp = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.instances.setdefault(str(meeting_id), []).append({"uuid": uuid, "start_time": stamp})
        self.participants[uuid] = [{
            "id": secrets.token_hex(4), "name": name, "user_email": email or "",
            "join_time": join.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "leave_time": leave.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": int((leave - join).total_seconds()), "status": "in_meeting",
        } for email, name, join, leave in records]
        return uuid

    # --- inspection ---

    def with_marker(self, marker: str) -> list[dict[str, Any]]:
        """The live meetings whose topic ends with ``marker`` (more than one is a duplicate)."""
        with self.lock:
            return [m for m in self.meetings.values() if m["topic"].endswith(marker)]

    def count(self, prefix: str) -> int:
        """Calls whose method id starts with ``prefix`` (``"zoom.meetings.create"``)."""
        with self.lock:
            return sum(1 for c in self.calls if c.method_id.startswith(prefix))

    # --- the pipeline ---

    def prepare(self, http_method: str, raw_path: str, headers: Mapping[str, str], raw: bytes) -> Prepared:
        """Route, authenticate and validate; pick a fault. Early answers are recorded here."""
        split = urllib.parse.urlsplit(raw_path)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        if split.path == TOKEN_PATH:
            prepared = Prepared("zoom.token", handler=lambda: self._token(http_method, query, headers))
            prepared.fault = self.faults.pick("zoom.token")
            return prepared
        prepared = Prepared(f"{http_method} {split.path}")
        try:
            route, params = self._match(http_method, split.path)
            prepared.method_id = route.method_id
            self._authorize(route, headers)
            for name in query:
                if name not in route.params:
                    raise ZoomError(400, 300, f"Invalid query parameter: {name}")
            body = json.loads(raw) if raw else None
            prepared.body = body
            prepared.handler = self._handler(route, params, query, body)
        except ZoomError as error:
            if error.status != 401:
                self.rejections.append(f"{prepared.method_id}: {error.status} {error.message}")
            prepared.answer = Answer(error.status, {"code": error.code, "message": error.message})
            self._record(prepared, http_method, raw_path, query, error.status)
            return prepared
        except ValueError as exc:
            self.rejections.append(f"{prepared.method_id}: invalid JSON ({exc})")
            prepared.answer = Answer(400, {"code": 300, "message": "Invalid request body"})
            self._record(prepared, http_method, raw_path, query, 400)
            return prepared
        prepared.fault = self.faults.pick(prepared.method_id)
        return prepared

    def execute(self, prepared: Prepared, http_method: str, raw_path: str) -> Answer:
        """Run the hooks and the handler under the lock; record the call."""
        assert prepared.handler is not None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(raw_path).query)
        try:
            with self.lock:
                for hook in self.hooks.due(prepared.method_id):
                    hook(self)
                answer = prepared.handler()
        except ZoomError as error:
            answer = Answer(error.status, {"code": error.code, "message": error.message})
            if error.status == 400 and error.code == 300:
                self.rejections.append(f"{prepared.method_id}: {error.message}")
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: a loud 500
            self.errors.append(f"{prepared.method_id}: {type(exc).__name__}: {exc}")
            answer = Answer(500, {"code": 500, "message": "fake Zoom crashed"})
        self._record(prepared, http_method, raw_path, query, answer.status)
        return answer

    def fault_answer(self, prepared: Prepared, http_method: str, raw_path: str) -> Answer:
        """The answer of an error-kind fault (nothing processed)."""
        assert prepared.fault is not None
        status = {"403rate": 429}.get(prepared.fault.kind, int(prepared.fault.kind))
        headers = {"Retry-After": str(prepared.fault.retry_after)} if prepared.fault.retry_after else {}
        answer = Answer(status, {"code": status, "message": "fault injected"}, headers)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(raw_path).query)
        self._record(prepared, http_method, raw_path, query, status)
        return answer

    def _record(self, prepared: Prepared, http_method: str, path: str, query: dict[str, list[str]],
                status: int) -> None:
        with self.lock:
            self.calls.append(Call(prepared.method_id, http_method, path, status, query, prepared.body,
                                   prepared.fault.kind if prepared.fault else None))

    def _match(self, http_method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in ROUTES:
            found = route.pattern.match(path)
            if found and route.http_method == http_method:
                return route, {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
        raise ZoomError(404, 404, f"fake Zoom: no endpoint {http_method} {path}")

    def _authorize(self, route: Route, headers: Mapping[str, str]) -> None:
        header = headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        scopes = self.tokens.get(token)
        if scopes is None:
            raise ZoomError(401, 124, "Invalid access token.")
        family = ":".join(route.scope.split(":")[:2])
        if route.scope not in scopes and _CLASSIC.get(family) not in scopes:
            raise ZoomError(400, 4711, f"Invalid access token, does not contain scopes:[{route.scope}].")

    # --- handlers ---

    def _token(self, http_method: str, query: dict[str, list[str]], headers: Mapping[str, str]) -> Answer:
        if http_method != "POST":
            return Answer(405, {"reason": "Method not allowed", "error": "invalid_request"})
        grant = (query.get("grant_type") or [""])[0]
        account = (query.get("account_id") or [""])[0]
        header = headers.get("Authorization", "")
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            client_id, secret = "", ""
        app = self.apps.get(client_id)
        if grant != "account_credentials":
            return Answer(400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"})
        if app is None or app.client_secret != secret or not header.startswith("Basic "):
            return Answer(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if app.account_id != account:
            return Answer(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = app.scopes
        return Answer(200, {"access_token": token, "token_type": "bearer", "expires_in": 3599,
                            "scope": " ".join(sorted(app.scopes)), "api_url": "https://api.zoom.us"})

    def _handler(self, route: Route, params: dict[str, str], query: dict[str, list[str]],
                 body: Any) -> Callable[[], Answer]:
        """Validate the body now (refused whatever the state); return the state-changing part."""
        kind = route.method_id.removeprefix("zoom.")
        has_body = kind in ("meetings.create", "meetings.update", "registrants.create", "registrants.status")
        if has_body and not isinstance(body, dict):
            raise ZoomError(400, 300, "Request body is required")
        if not has_body and body is not None:
            raise ZoomError(400, 300, "This endpoint takes no request body")
        try:
            if kind in ("meetings.create", "meetings.update"):
                check_meeting(body, creating=kind == "meetings.create")
            elif kind == "registrants.create":
                validate(body, REGISTRANT)
                for key in REQUIRED[kind]:
                    if key not in body:
                        raise Invalid(f"{key}: required")
            elif kind == "registrants.status":
                check_registrant_status(body)
            if "page_size" in query and not 1 <= int(query["page_size"][0]) <= 300:
                raise Invalid("page_size: expected 1 to 300")
        except (Invalid, ValueError) as exc:
            raise ZoomError(400, 300, str(exc)) from None
        handlers: dict[str, Callable[[], Answer]] = {
            "meetings.create": lambda: self._create(params["userId"], body),
            "meetings.list": lambda: self._list(params["userId"], query),
            "meetings.get": lambda: Answer(200, self._meeting(params["meetingId"])),
            "meetings.update": lambda: self._update(params["meetingId"], body),
            "meetings.delete": lambda: self._delete(params["meetingId"]),
            "registrants.create": lambda: self._register(params["meetingId"], body),
            "registrants.list": lambda: self._registrants(params["meetingId"], query),
            "registrants.status": lambda: self._registrant_status(params["meetingId"], body),
            "past_meetings.instances": lambda: self._instances(params["meetingId"]),
            "past_meetings.participants": lambda: self._past_participants(params["meetingUUID"], query),
        }
        return handlers[kind]

    def _host(self, user_id: str) -> dict[str, Any]:
        user = self.users.get(user_id.casefold())
        if user is None:
            raise ZoomError(404, 1001, f"User does not exist: {user_id}.")
        if not user["licensed"]:
            raise ZoomError(400, 1001, "The host is not a licensed user of the account.")
        return user

    def _check_alternative_hosts(self, settings: Mapping[str, Any]) -> None:
        for email in filter(None, str(settings.get("alternative_hosts") or "").split(";")):
            user = self.users.get(email.strip().casefold())
            if user is None or not user["licensed"]:
                raise ZoomError(400, 1114, f"Invalid alternative host: {email.strip()} is not a licensed "
                                "user of this account.")

    def _create(self, user_id: str, body: dict[str, Any]) -> Answer:
        self._host(user_id)
        self._check_alternative_hosts(body.get("settings") or {})
        meeting_id = str(next(self._ids))
        meeting: dict[str, Any] = {
            "id": int(meeting_id), "uuid": base64.b64encode(secrets.token_bytes(12)).decode(),
            "host_email": user_id, "created_at": f"2027-01-01T00:00:{next(self._created) % 60:02d}Z",
            "join_url": f"https://zoom.us/j/{meeting_id}?pwd={secrets.token_urlsafe(12)}",
            "settings": {"waiting_room": False, "join_before_host": True, "auto_recording": "none",
                         "meeting_authentication": False, "alternative_hosts": ""},
            "agenda": "", "duration": 60, "timezone": "UTC", "type": 2,
        }
        self.meetings[meeting_id] = meeting
        self._apply(meeting, body)
        return Answer(201, dict(meeting))

    def _apply(self, meeting: dict[str, Any], body: Mapping[str, Any]) -> None:
        for key, value in body.items():
            if key == "settings":
                meeting["settings"] = {**meeting["settings"], **value}
            else:
                meeting[key] = value
        if "start_time" in meeting and meeting.get("type") in (2, 8):
            start = str(body.get("start_time", meeting["start_time"]))
            meeting["start_time"] = _wall(start, meeting["timezone"])
        if meeting.get("type") == 3:
            meeting.pop("start_time", None)
            meeting.pop("recurrence", None)
        if meeting.get("type") == 2:
            meeting.pop("recurrence", None)

    def _meeting(self, meeting_id: str) -> dict[str, Any]:
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            raise ZoomError(404, 3001, f"Meeting {meeting_id} is not found or has expired.")
        return dict(meeting)

    def _update(self, meeting_id: str, body: dict[str, Any]) -> Answer:
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            raise ZoomError(404, 3001, f"Meeting {meeting_id} is not found or has expired.")
        self._check_alternative_hosts(body.get("settings") or {})
        self._apply(meeting, body)
        return Answer(204)

    def _delete(self, meeting_id: str) -> Answer:
        if self.meetings.pop(meeting_id, None) is None:
            raise ZoomError(404, 3001, f"Meeting {meeting_id} is not found or has expired.")
        self.deleted.append(meeting_id)
        return Answer(204)

    def _list(self, user_id: str, query: dict[str, list[str]]) -> Answer:
        self._host(user_id)
        size = int((query.get("page_size") or ["30"])[0])
        start = int((query.get("next_page_token") or ["0"])[0] or 0)
        mine = [m for m in self.meetings.values() if m["host_email"].casefold() == user_id.casefold()]
        page = mine[start:start + size]
        listed = [{k: m[k] for k in ("id", "uuid", "topic", "type", "created_at", "join_url", "timezone",
                                     "duration", "agenda", "host_email") if k in m} for m in page]
        token = str(start + size) if start + size < len(mine) else ""
        return Answer(200, {"page_size": size, "total_records": len(mine), "next_page_token": token,
                            "meetings": listed})

    def _registration_on(self, meeting_id: str) -> None:
        """Zoom takes registrants only for a meeting with fixed times that asks for registration."""
        meeting = self._meeting(meeting_id)
        if meeting.get("type") not in (2, 8) or meeting["settings"].get("approval_type", 2) == 2:
            raise ZoomError(400, 3038, "Meeting registration is not enabled for this meeting.")

    def _register(self, meeting_id: str, body: dict[str, Any]) -> Answer:
        self._registration_on(meeting_id)
        listed = self.registrants.setdefault(meeting_id, [])
        for registrant in listed:
            if registrant["email"].casefold() == body["email"].casefold():
                # Zoom answers the same registrant (and link) for an email registered already;
                # a cancelled one (a student moved back) is approved again.
                registrant["status"] = "approved"
                return Answer(201, {k: registrant[k] for k in ("id", "registrant_id", "join_url")})
        registrant_id = secrets.token_hex(6)
        registrant = {"id": registrant_id, "registrant_id": registrant_id, "email": body["email"],
                      "first_name": body["first_name"], "last_name": body.get("last_name", ""),
                      "status": "approved",
                      "join_url": f"https://zoom.us/w/{meeting_id}?tk={secrets.token_urlsafe(16)}"}
        listed.append(registrant)
        return Answer(201, {k: registrant[k] for k in ("id", "registrant_id", "join_url")})

    def _registrants(self, meeting_id: str, query: dict[str, list[str]]) -> Answer:
        self._meeting(meeting_id)
        status = (query.get("status") or ["approved"])[0]
        if status not in ("pending", "approved", "denied"):
            raise ZoomError(400, 300, f"status: {status!r} is not pending, approved or denied")
        records = [r for r in self.registrants.get(meeting_id, []) if r["status"] == status]
        size = int((query.get("page_size") or ["30"])[0])
        start = int((query.get("next_page_token") or ["0"])[0] or 0)
        token = str(start + size) if start + size < len(records) else ""
        return Answer(200, {"page_size": size, "total_records": len(records), "next_page_token": token,
                            "registrants": [dict(r) for r in records[start:start + size]]})

    def _registrant_status(self, meeting_id: str, body: dict[str, Any]) -> Answer:
        """Approve, deny or cancel registrants named by email or id; an unknown one is refused."""
        self._meeting(meeting_id)
        listed = self.registrants.get(meeting_id, [])
        chosen = []
        for named in body.get("registrants") or listed:
            found = [r for r in listed
                     if ("email" in named and r["email"].casefold() == named["email"].casefold())
                     or ("id" in named and r["id"] == named["id"])]
            if not found:
                raise ZoomError(404, 3043, "Registrant not found.")
            chosen.extend(found)
        status = {"approve": "approved", "deny": "denied", "cancel": "cancelled"}[body["action"]]
        for registrant in chosen:
            if registrant["status"] != status:
                registrant["status"] = status
                registrant.setdefault("history", []).append(status)  # tests count real changes
        return Answer(204)

    def _instances(self, meeting_id: str) -> Answer:
        if meeting_id not in self.instances and meeting_id not in self.meetings:
            raise ZoomError(404, 3001, "Meeting does not exist.")
        return Answer(200, {"meetings": list(self.instances.get(meeting_id, []))})

    def _past_participants(self, uuid: str, query: dict[str, list[str]]) -> Answer:
        if not self.paid:
            raise ZoomError(400, 200, "Only available for Paid or ZMP account.")
        # The path parameter was decoded once by the router; a UUID with "/" arrives encoded
        # twice, so one more decode gives it back. One encoding only would have split the path.
        # Zoom's rule: a UUID that starts with "/" or holds "//" must be encoded twice (its
        # gateway decodes once more); other UUIDs, once. Here ``uuid`` was decoded once.
        if uuid.startswith("/") or "//" in uuid:
            self.rejections.append("zoom.past_meetings.participants: a UUID starting with '/' or "
                                   "holding '//' encoded once (Zoom needs it encoded twice)")
            raise ZoomError(404, 3001, "Meeting does not exist.")
        decoded = urllib.parse.unquote(uuid)
        records = self.participants.get(decoded)
        if records is None:
            raise ZoomError(404, 3001, "Meeting does not exist.")
        size = int((query.get("page_size") or ["30"])[0])
        start = int((query.get("next_page_token") or ["0"])[0] or 0)
        token = str(start + size) if start + size < len(records) else ""
        return Answer(200, {"page_size": size, "total_records": len(records), "next_page_token": token,
                            "participants": records[start:start + size]})


def glob_count(calls: Iterable[Call], glob: str) -> int:
    """Calls whose method id matches ``glob``."""
    return sum(1 for c in calls if fnmatch.fnmatchcase(c.method_id, glob))
