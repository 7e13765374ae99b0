"""Meet REST v2: spaces (with members), and attendance from conference records.

Attendance is seeded by tests (``add_conference_record`` -> ``add_participant`` ->
``add_participant_session``) and read through the API as the product does: records
by ``space.name``, participants as ``users/{id}`` (not emails), sessions to sum.
Records disappear 30 days after the meeting ends, like Google's. Edition limits are
simulated with :meth:`MeetStore.deny` (a 403 when a request sets a denied config field).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import paging
from .context import RequestContext
from .errors import ApiError, bad_request, forbidden, not_found
from .fieldmask import apply_mask
from .timefmt import now, parse_rfc3339, rfc3339

if TYPE_CHECKING:
    from .context import Handler

RECORD_RETENTION = timedelta(days=30)
_CLAUSE = re.compile(r'^\s*([a-z_.]+)\s*(>=|<=|!=|=|>|<|IS NOT NULL|IS NULL)\s*(?:"([^"]*)")?\s*$')


def _flatten(value: Any, prefix: str = "") -> list[str]:
    if not isinstance(value, dict):
        return [prefix]
    paths = []
    for key, sub in value.items():
        paths.extend(_flatten(sub, f"{prefix}.{key}" if prefix else key))
    return paths


class MeetStore:
    """Meet spaces and conference records of the fake (``fake.meet``)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._ids = itertools.count(1)
        self.spaces: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.participants: dict[str, dict[str, dict[str, Any]]] = {}
        self.sessions: dict[str, dict[str, dict[str, Any]]] = {}
        self.owners: dict[str, str] = {}
        self.denied: set[str] = set()
        #: The moment records expire against; a test replaces it to move past the 30 days.
        self.clock: Callable[[], datetime] = now

    # --- seeding and inspection --------------------------------------------------------------

    def _token(self, kind: str, length: int = 12) -> str:
        return hashlib.sha256(f"{kind}-{next(self._ids)}".encode()).hexdigest()[:length]

    def deny(self, config_path: str) -> None:
        """Refuse (403) spaces.create/patch setting ``config.<config_path>...``.

        E.g. ``deny("artifactConfig.recordingConfig")`` for an edition without recording.
        """
        self.denied.add(config_path)

    def create_space(self, owner: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create a space owned by ``owner``; returns the ``Space`` resource."""
        digest = self._token("code", 10)
        letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in digest)
        return self.ensure_space(f"{letters[:3]}-{letters[3:7]}-{letters[7:10]}", owner, config)

    def ensure_space(
        self, meeting_code: str, owner: str, config: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The space with this meeting code, created if needed (Calendar's Meet links use it)."""
        with self._lock:
            for space in self.spaces.values():
                if space["meetingCode"] == meeting_code:
                    return space
            name = f"spaces/{self._token('space')}"
            space = {
                "name": name,
                "meetingUri": f"https://meet.google.com/{meeting_code}",
                "meetingCode": meeting_code,
                "config": {"accessType": "TRUSTED", "entryPointAccess": "ALL", **(config or {})},
            }
            self.spaces[name] = space
            self.owners[name] = owner
            return space

    def space(self, name_or_code: str) -> dict[str, Any]:
        """A space by ``spaces/{id}``, ``spaces/{meetingCode}`` or bare meeting code."""
        key = name_or_code.removeprefix("spaces/")
        with self._lock:
            for space in self.spaces.values():
                if space["name"] == f"spaces/{key}" or space["meetingCode"] == key:
                    return space
        raise not_found(f"Space {name_or_code} not found")

    def add_conference_record(
        self,
        space: str,
        start_time: datetime,
        end_time: datetime | None = None,
        record_id: str | None = None,
    ) -> str:
        """A conference held in ``space`` (name or meeting code); returns the record name."""
        with self._lock:
            space_name = self.space(space)["name"]
            name = f"conferenceRecords/{record_id or self._token('record')}"
            record = {"name": name, "startTime": rfc3339(start_time), "space": space_name}
            if end_time is not None:
                record["endTime"] = rfc3339(end_time)
                record["expireTime"] = rfc3339(end_time + RECORD_RETENTION)
            self.records[name] = record
            self.participants[name] = {}
            return name

    def add_participant(
        self,
        record: str,
        display_name: str,
        *,
        user: str | None = None,
        phone: bool = False,
        participant_id: str | None = None,
    ) -> str:
        """A participant: signed in (``user="users/123"``), phone, or anonymous; returns its name."""
        with self._lock:
            if record not in self.records:
                raise KeyError(record)
            name = f"{record}/participants/{participant_id or self._token('participant')}"
            if user is not None:
                kind: dict[str, Any] = {"signedinUser": {"user": user, "displayName": display_name}}
            elif phone:
                kind = {"phoneUser": {"displayName": display_name}}
            else:
                kind = {"anonymousUser": {"displayName": display_name}}
            self.participants[record][name] = {"name": name, **kind}
            self.sessions[name] = {}
            return name

    def add_participant_session(
        self,
        participant: str,
        start_time: datetime,
        end_time: datetime | None = None,
        session_id: str | None = None,
    ) -> str:
        """One join-to-leave span of a participant; returns the session name."""
        with self._lock:
            if participant not in self.sessions:
                raise KeyError(participant)
            name = f"{participant}/participantSessions/{session_id or self._token('session')}"
            session = {"name": name, "startTime": rfc3339(start_time)}
            if end_time is not None:
                session["endTime"] = rfc3339(end_time)
            self.sessions[participant][name] = session
            return name

    # --- views -------------------------------------------------------------------------------

    def live_records(self) -> list[dict[str, Any]]:
        """Records not yet expired (at :attr:`clock`), newest first."""
        moment = self.clock()
        alive = [
            r
            for r in self.records.values()
            if "expireTime" not in r or parse_rfc3339(r["expireTime"]) > moment
        ]
        return sorted(alive, key=lambda r: r["startTime"], reverse=True)

    def participant_json(self, name: str) -> dict[str, Any]:
        """A ``Participant`` with earliest start / latest end computed from its sessions."""
        record = name.split("/participants/")[0]
        out = copy.deepcopy(self.participants[record][name])
        sessions = list(self.sessions[name].values())
        starts = [s["startTime"] for s in sessions] or [self.records[record]["startTime"]]
        out["earliestStartTime"] = min(starts)
        if sessions and all("endTime" in s for s in sessions):
            out["latestEndTime"] = max(s["endTime"] for s in sessions)
        return out


# --- filters -----------------------------------------------------------------------------------


def _compile_filter(text: str | None, fields: set[str]) -> Callable[[dict[str, Any]], bool]:
    """A predicate for Meet's ``filter``: clauses joined by AND."""
    if not text or not text.strip():
        return lambda _: True
    clauses = []
    for part in re.split(r"\s+AND\s+", text.strip()):
        m = _CLAUSE.match(part)
        if not m or m.group(1) not in fields:
            raise bad_request(f"fake workspace does not support filter clause {part!r}")
        field_name, op, value = m.groups()
        if op not in ("IS NULL", "IS NOT NULL") and value is None:
            raise bad_request(f"Invalid filter clause {part!r}: value must be double-quoted")
        clauses.append((field_name, op, value))

    def compare(actual: Any, op: str, value: str | None) -> bool:
        if op == "IS NULL":
            return actual is None
        if op == "IS NOT NULL":
            return actual is not None
        if actual is None or value is None:
            return False
        if op in ("=", "!="):
            return (actual == value) == (op == "=")
        left, right = parse_rfc3339(actual), parse_rfc3339(value)
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]

    return lambda row: all(compare(row.get(f), op, v) for f, op, v in clauses)


def _page_size(ctx: RequestContext, default: int, maximum: int) -> int:
    size = ctx.integer("pageSize", 0)
    return min(size, maximum) if size > 0 else default


# --- handlers ----------------------------------------------------------------------------------


def _require_user(ctx: RequestContext) -> None:
    if ctx.token.service_account:
        raise forbidden("Meet spaces need a user: use domain-wide delegation (a subject).")


def _check_denied(ctx: RequestContext, config: dict[str, Any]) -> None:
    for path in _flatten(config):
        for denied in ctx.fake.meet.denied:
            if path == denied or path.startswith(denied + "."):
                raise ApiError(
                    403,
                    f"The caller does not have permission to set config.{path} "
                    "(not available in this Workspace edition).",
                )


def spaces_create(ctx: RequestContext) -> dict[str, Any]:
    """``spaces.create`` (only ``config`` is taken from the body)."""
    _require_user(ctx)
    config = copy.deepcopy(ctx.json().get("config") or {})
    _check_denied(ctx, config)
    return copy.deepcopy(ctx.fake.meet.create_space(ctx.user, config))


def spaces_get(ctx: RequestContext) -> dict[str, Any]:
    """``spaces.get`` (by ``spaces/{id}`` or ``spaces/{meetingCode}``)."""
    return copy.deepcopy(ctx.fake.meet.space(ctx.path("name")))


def spaces_patch(ctx: RequestContext) -> dict[str, Any]:
    """``spaces.patch`` with ``updateMask`` (absent: every field given)."""
    _require_user(ctx)
    space = ctx.fake.meet.space(ctx.path("name"))
    body = ctx.json()
    mask = ctx.arg("updateMask") or ",".join(f"config.{p}" for p in _flatten(body.get("config") or {}) if p)
    if any(not (p == "config" or p.startswith("config.")) for p in mask.split(",") if p):
        raise bad_request(f"Invalid updateMask {mask!r}: only config fields can be updated")
    _check_denied(ctx, body.get("config") or {})
    apply_mask(space, body, mask)
    return copy.deepcopy(space)


def spaces_end_active_conference(ctx: RequestContext) -> dict[str, Any]:
    """``spaces.endActiveConference``: ends the open record of the space."""
    space = ctx.fake.meet.space(ctx.path("name"))
    for record in ctx.fake.meet.records.values():
        if record["space"] == space["name"] and "endTime" not in record:
            end = now()
            record.update(endTime=rfc3339(end), expireTime=rfc3339(end + RECORD_RETENTION))
            return {}
    raise ApiError(400, "The space has no active conference.", status="FAILED_PRECONDITION")


def members_create(ctx: RequestContext) -> dict[str, Any]:
    """``spaces.members.create`` (``{email, role}``)."""
    _require_user(ctx)
    space = ctx.fake.meet.space(ctx.path("parent"))
    body = ctx.json()
    if not body.get("email"):
        raise bad_request("Invalid member: email is required")
    members = ctx.fake.meet.members.setdefault(space["name"], {})
    if any(m["email"].lower() == body["email"].lower() for m in members.values()):
        raise ApiError(409, f"Member {body['email']} already exists.")
    name = f"{space['name']}/members/{ctx.fake.meet._token('member')}"
    member = {"name": name, "email": body["email"], "role": body.get("role", "ROLE_UNSPECIFIED")}
    members[name] = member
    return copy.deepcopy(member)


def _member(ctx: RequestContext) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    name = ctx.path("name")
    space_name = name.split("/members/")[0]
    members = ctx.fake.meet.members.get(ctx.fake.meet.space(space_name)["name"], {})
    member = members.get(name)
    if member is None:
        raise not_found(f"Member {name} not found")
    return members, member


def members_get(ctx: RequestContext) -> dict[str, Any]:
    """``spaces.members.get``."""
    return copy.deepcopy(_member(ctx)[1])


def members_delete(ctx: RequestContext) -> dict[str, Any]:
    """``spaces.members.delete``."""
    members, member = _member(ctx)
    del members[member["name"]]
    return {}


def members_list(ctx: RequestContext) -> dict[str, Any]:
    """``spaces.members.list``."""
    space = ctx.fake.meet.space(ctx.path("parent"))
    items = [copy.deepcopy(m) for m in ctx.fake.meet.members.get(space["name"], {}).values()]
    return paging.page(items, ctx.arg("pageToken"), _page_size(ctx, 25, 100), "members", space["name"])


def records_list(ctx: RequestContext) -> dict[str, Any]:
    """``conferenceRecords.list`` (filter by space.name, space.meeting_code, start/end time)."""
    meet = ctx.fake.meet
    keep = _compile_filter(ctx.arg("filter"), {"space.name", "space.meeting_code", "start_time", "end_time"})
    rows = []
    for record in meet.live_records():
        code = meet.spaces.get(record["space"], {}).get("meetingCode")
        row = {
            "space.name": record["space"],
            "space.meeting_code": code,
            "start_time": record["startTime"],
            "end_time": record.get("endTime"),
        }
        if keep(row):
            rows.append(copy.deepcopy(record))
    return paging.page(
        rows, ctx.arg("pageToken"), _page_size(ctx, 25, 100), "conferenceRecords", ctx.arg("filter")
    )


def records_get(ctx: RequestContext) -> dict[str, Any]:
    """``conferenceRecords.get``."""
    name = ctx.path("name")
    for record in ctx.fake.meet.live_records():
        if record["name"] == name:
            return copy.deepcopy(record)
    raise not_found(f"Conference record {name} not found")


def participants_list(ctx: RequestContext) -> dict[str, Any]:
    """``conferenceRecords.participants.list`` (filter on earliest_start_time, latest_end_time)."""
    meet = ctx.fake.meet
    parent = ctx.path("parent")
    if parent not in {r["name"] for r in meet.live_records()}:
        raise not_found(f"Conference record {parent} not found")
    keep = _compile_filter(ctx.arg("filter"), {"earliest_start_time", "latest_end_time"})
    rows = []
    for name in meet.participants[parent]:
        participant = meet.participant_json(name)
        row = {
            "earliest_start_time": participant.get("earliestStartTime"),
            "latest_end_time": participant.get("latestEndTime"),
        }
        if keep(row):
            rows.append(participant)
    out = paging.page(
        rows,
        ctx.arg("pageToken"),
        _page_size(ctx, 100, 250),
        "participants",
        [parent, ctx.arg("filter")],
    )
    out["totalSize"] = len(rows)
    return out


def participants_get(ctx: RequestContext) -> dict[str, Any]:
    """``conferenceRecords.participants.get``."""
    name = ctx.path("name")
    record = name.split("/participants/")[0]
    if name not in ctx.fake.meet.participants.get(record, {}):
        raise not_found(f"Participant {name} not found")
    return ctx.fake.meet.participant_json(name)


def sessions_list(ctx: RequestContext) -> dict[str, Any]:
    """``conferenceRecords.participants.participantSessions.list``."""
    parent = ctx.path("parent")
    sessions = ctx.fake.meet.sessions.get(parent)
    if sessions is None:
        raise not_found(f"Participant {parent} not found")
    keep = _compile_filter(ctx.arg("filter"), {"start_time", "end_time"})
    rows = [
        copy.deepcopy(s)
        for s in sorted(sessions.values(), key=lambda s: s["startTime"])
        if keep({"start_time": s["startTime"], "end_time": s.get("endTime")})
    ]
    return paging.page(
        rows,
        ctx.arg("pageToken"),
        _page_size(ctx, 100, 250),
        "participantSessions",
        [parent, ctx.arg("filter")],
    )


HANDLERS: dict[str, Handler] = {
    "meet.spaces.create": spaces_create,
    "meet.spaces.get": spaces_get,
    "meet.spaces.patch": spaces_patch,
    "meet.spaces.endActiveConference": spaces_end_active_conference,
    "meet.spaces.members.create": members_create,
    "meet.spaces.members.get": members_get,
    "meet.spaces.members.delete": members_delete,
    "meet.spaces.members.list": members_list,
    "meet.conferenceRecords.list": records_list,
    "meet.conferenceRecords.get": records_get,
    "meet.conferenceRecords.participants.list": participants_list,
    "meet.conferenceRecords.participants.get": participants_get,
    "meet.conferenceRecords.participants.participantSessions.list": sessions_list,
}
