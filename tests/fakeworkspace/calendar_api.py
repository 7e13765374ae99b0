"""Calendar v3 events: client-chosen ids, Meet links, cancellation, listing.

The properties the project's idempotency rests on are exact: an event id is base32hex
(``a-v0-9``, 5-1024 characters); inserting an existing id is a 409 even after the event
was deleted (deleted events stay, ``status: cancelled``, until patched back); Meet
links are generated only with ``conferenceDataVersion=1`` and a delegated user.
"""

from __future__ import annotations

import copy
import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import paging
from .context import RequestContext
from .errors import ApiError, bad_request, conflict, not_found
from .timefmt import now, parse_rfc3339, rfc3339

if TYPE_CHECKING:
    from .context import Handler

_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_PAGE_DEFAULT = 250
_PAGE_MAX = 2500
_SERVER_FIELDS = ("id", "created", "creator", "organizer", "iCalUID", "kind", "htmlLink")
MEET_ICON = "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"


@dataclass(frozen=True)
class Notification:
    """A write's ``sendUpdates`` setting (None when the request did not set it)."""

    method_id: str
    calendar_id: str
    event_id: str
    send_updates: str | None


class CalendarStore:
    """Calendars of the fake (``fake.calendar``), keyed by calendar id (``primary`` = the user)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._events: dict[str, dict[str, dict[str, Any]]] = {}
        self._counter = 0
        #: One entry per insert/patch/update/delete, for asserting on guest notifications.
        self.notifications: list[Notification] = []

    def events(self, calendar_id: str, *, include_cancelled: bool = True) -> list[dict[str, Any]]:
        """Events of a calendar (copies), cancelled ones included unless asked otherwise."""
        with self._lock:
            found = list(self._events.get(calendar_id, {}).values())
        return [copy.deepcopy(e) for e in found if include_cancelled or e.get("status") != "cancelled"]

    def event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        """One event (a copy); KeyError if absent."""
        with self._lock:
            return copy.deepcopy(self._events[calendar_id][event_id])

    def calendar(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """The live event table of a calendar (for handlers)."""
        return self._events.setdefault(calendar_id, {})

    def new_id(self) -> str:
        """A server-assigned event id (base32hex)."""
        self._counter += 1
        digest = hashlib.sha256(f"event-{self._counter}".encode()).hexdigest()
        return "".join(c if c in "0123456789abcdef" else "a" for c in digest[:26])


# --- times -------------------------------------------------------------------------------------


def _moment(when: dict[str, Any] | None, default_zone: str | None = None) -> datetime | None:
    """An ``EventDateTime`` as an aware datetime (dates at midnight UTC)."""
    if not when:
        return None
    if when.get("date"):
        return datetime.fromisoformat(when["date"]).replace(tzinfo=UTC)
    text = when.get("dateTime")
    if not text:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError:
        zone_name = when.get("timeZone") or default_zone
        if not zone_name:
            raise bad_request(f"Missing time zone definition for start time: {text}") from None
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise bad_request(f"Invalid time zone definition for start time: {zone_name}") from None
        return datetime.fromisoformat(text).replace(tzinfo=zone)


def _check_times(event: dict[str, Any]) -> None:
    start, end = _moment(event.get("start")), _moment(event.get("end"))
    if start is None or end is None:
        raise bad_request("Missing end time." if start else "Missing start time.")
    if end < start:
        raise bad_request("The specified time range is empty.")


# --- conference data ---------------------------------------------------------------------------


def _conference(ctx: RequestContext, event: dict[str, Any], calendar_id: str) -> None:
    """Apply Calendar's conferenceData rules to an event being written."""
    data = event.get("conferenceData")
    if data is None:
        return
    if ctx.integer("conferenceDataVersion", 0) < 1:
        event.pop("conferenceData")  # ignored without conferenceDataVersion=1
        return
    create = data.get("createRequest")
    if not create or data.get("conferenceId"):
        return
    solution = (create.get("conferenceSolutionKey") or {}).get("type")
    if solution != "hangoutsMeet" or ctx.token.service_account:
        raise bad_request("Invalid conference type value.")
    if not create.get("requestId"):
        raise bad_request("Invalid conference create request: requestId is required")
    digest = hashlib.sha256(f"{calendar_id}/{event['id']}/{create['requestId']}".encode()).digest()
    letters = "".join(chr(ord("a") + b % 26) for b in digest[:10])
    code = f"{letters[:3]}-{letters[3:7]}-{letters[7:10]}"
    uri = f"https://meet.google.com/{code}"
    event["conferenceData"] = {
        "createRequest": {
            "requestId": create["requestId"],
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [{"entryPointType": "video", "uri": uri, "label": f"meet.google.com/{code}"}],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
            "iconUri": MEET_ICON,
        },
        "conferenceId": code,
    }
    event["hangoutLink"] = uri
    ctx.fake.meet.ensure_space(code, ctx.user)


# --- handlers ----------------------------------------------------------------------------------


def _calendar_id(ctx: RequestContext) -> str:
    calendar_id = ctx.path("calendarId")
    return ctx.user if calendar_id == "primary" else calendar_id


def _notify(ctx: RequestContext, calendar_id: str, event_id: str) -> None:
    ctx.fake.calendar.notifications.append(
        Notification(ctx.method_id, calendar_id, event_id, ctx.arg("sendUpdates"))
    )


def _finish(event: dict[str, Any]) -> dict[str, Any]:
    event["updated"] = rfc3339(now())
    event["etag"] = f'"{hashlib.sha256(repr(sorted(event.items())).encode()).hexdigest()[:16]}"'
    return copy.deepcopy(event)


def _existing(ctx: RequestContext, calendar_id: str) -> dict[str, Any]:
    event = ctx.fake.calendar.calendar(calendar_id).get(ctx.path("eventId"))
    if event is None:
        raise not_found("Not Found")
    return event


def events_insert(ctx: RequestContext) -> dict[str, Any]:
    """``events.insert`` (client-chosen id: 409 if it exists, cancelled or not)."""
    calendar_id = _calendar_id(ctx)
    events = ctx.fake.calendar.calendar(calendar_id)
    event = copy.deepcopy(ctx.json())
    event_id = event.get("id") or ctx.fake.calendar.new_id()
    if not _EVENT_ID.match(event_id):
        raise bad_request("Invalid resource id value.")
    if event_id in events:
        raise conflict()
    _check_times(event)
    created = rfc3339(now())
    event.update(
        kind="calendar#event",
        id=event_id,
        status=event.get("status") or "confirmed",
        htmlLink=f"https://www.google.com/calendar/event?eid={event_id}",
        created=created,
        creator={"email": ctx.user},
        organizer={"email": calendar_id, "self": calendar_id == ctx.user},
        iCalUID=event.get("iCalUID") or f"{event_id}@google.com",
        sequence=int(event.get("sequence", 0)),
    )
    event.setdefault("reminders", {"useDefault": True})
    event.setdefault("eventType", "default")
    for attendee in event.get("attendees") or []:
        attendee.setdefault("responseStatus", "needsAction")
    _conference(ctx, event, calendar_id)
    events[event_id] = event
    _notify(ctx, calendar_id, event_id)
    return _finish(event)


def events_get(ctx: RequestContext) -> dict[str, Any]:
    """``events.get`` (cancelled events are returned, with ``status: cancelled``)."""
    return copy.deepcopy(_existing(ctx, _calendar_id(ctx)))


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif value is None:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(value)


def events_patch(ctx: RequestContext) -> dict[str, Any]:
    """``events.patch`` (patch semantics: nested objects merge, arrays replace)."""
    calendar_id = _calendar_id(ctx)
    event = _existing(ctx, calendar_id)
    patch = {k: v for k, v in ctx.json().items() if k not in _SERVER_FIELDS}
    draft = copy.deepcopy(event)
    _merge(draft, patch)
    if "conferenceData" in patch and patch["conferenceData"] is None:
        if ctx.integer("conferenceDataVersion", 0) < 1:
            # Without conferenceDataVersion=1 Calendar leaves the conference as it was.
            if "conferenceData" in event:
                draft["conferenceData"] = copy.deepcopy(event["conferenceData"])
        else:
            draft.pop("hangoutLink", None)  # derived from the conference, gone with it
    return _replace(ctx, calendar_id, event, draft, conference="conferenceData" in patch)


def events_update(ctx: RequestContext) -> dict[str, Any]:
    """``events.update`` (full replacement; server fields kept)."""
    calendar_id = _calendar_id(ctx)
    event = _existing(ctx, calendar_id)
    draft = {k: v for k, v in copy.deepcopy(ctx.json()).items() if k not in _SERVER_FIELDS}
    draft.update({k: event[k] for k in _SERVER_FIELDS if k in event})
    draft.setdefault("status", "confirmed")
    return _replace(ctx, calendar_id, event, draft, conference="conferenceData" in draft)


def _replace(ctx: RequestContext, calendar_id: str, event: dict[str, Any], draft: dict[str, Any], *,
             conference: bool) -> dict[str, Any]:
    """Check ``draft``, store it in place of ``event`` with the next sequence, and notify."""
    _check_times(draft)
    if conference:
        _conference(ctx, draft, calendar_id)
    draft["sequence"] = int(event.get("sequence", 0)) + 1
    event.clear()
    event.update(draft)
    _notify(ctx, calendar_id, event["id"])
    return _finish(event)


def events_delete(ctx: RequestContext) -> None:
    """``events.delete``: the event becomes ``cancelled``; deleting it again is a 410."""
    calendar_id = _calendar_id(ctx)
    event = _existing(ctx, calendar_id)
    if event.get("status") == "cancelled":
        raise ApiError(410, "Resource has been deleted", reason="deleted")
    event["status"] = "cancelled"
    _finish(event)
    _notify(ctx, calendar_id, event["id"])


def _list_filter(ctx: RequestContext) -> Any:
    time_min = ctx.arg("timeMin")
    time_max = ctx.arg("timeMax")
    lower = parse_rfc3339(time_min) if time_min else None
    upper = parse_rfc3339(time_max) if time_max else None
    if lower and upper and upper <= lower:
        raise bad_request("The specified time range is empty.")
    show_deleted = ctx.flag("showDeleted")
    text = (ctx.arg("q") or "").lower()
    ical = ctx.arg("iCalUID")
    private = [p.split("=", 1) for p in ctx.args("privateExtendedProperty")]
    shared = [p.split("=", 1) for p in ctx.args("sharedExtendedProperty")]
    updated_min = ctx.arg("updatedMin")
    updated_floor = parse_rfc3339(updated_min) if updated_min else None

    def keep(event: dict[str, Any]) -> bool:
        if event.get("status") == "cancelled" and not (show_deleted or ical):
            return False
        start, end = _moment(event.get("start")), _moment(event.get("end"))
        if lower and end and end <= lower:
            return False
        if upper and start and start >= upper:
            return False
        if ical and event.get("iCalUID") != ical:
            return False
        if updated_floor and parse_rfc3339(event["updated"]) < updated_floor:
            return False
        props = event.get("extendedProperties") or {}
        for scope, wanted in (("private", private), ("shared", shared)):
            for pair in wanted:
                if len(pair) != 2 or (props.get(scope) or {}).get(pair[0]) != pair[1]:
                    return False
        if text:
            haystack = " ".join(
                str(event.get(k, "")) for k in ("summary", "description", "location")
            ) + " ".join(a.get("email", "") for a in event.get("attendees") or [])
            if text not in haystack.lower():
                return False
        return True

    return keep


def events_list(ctx: RequestContext) -> dict[str, Any]:
    """``events.list`` (timeMin/timeMax, showDeleted, q, iCalUID, extended properties)."""
    if ctx.arg("syncToken"):
        raise bad_request("fake workspace does not implement incremental sync (syncToken)")
    order = ctx.arg("orderBy")
    if order == "startTime" and not ctx.flag("singleEvents"):
        raise bad_request("The requested ordering is not available for the particular query.")
    calendar_id = _calendar_id(ctx)
    keep = _list_filter(ctx)
    events = [e for e in ctx.fake.calendar.calendar(calendar_id).values() if keep(e)]
    if order == "startTime":
        events.sort(key=lambda e: _moment(e.get("start")) or datetime.min.replace(tzinfo=UTC))
    elif order == "updated":
        events.sort(key=lambda e: e["updated"])
    size = min(ctx.integer("maxResults", _PAGE_DEFAULT), _PAGE_MAX)
    binding = sorted((k, v) for k, v in ctx.query.items() if k not in ("pageToken", "maxResults"))
    page = paging.page([copy.deepcopy(e) for e in events], ctx.arg("pageToken"), size, "items", binding)
    return {
        "kind": "calendar#events",
        "summary": calendar_id,
        "updated": rfc3339(now()),
        "timeZone": "UTC",
        "accessRole": "owner",
        "defaultReminders": [],
        "items": page.get("items", []),
        **({"nextPageToken": page["nextPageToken"]} if "nextPageToken" in page else {}),
    }


HANDLERS: dict[str, Handler] = {
    "calendar.events.insert": events_insert,
    "calendar.events.get": events_get,
    "calendar.events.patch": events_patch,
    "calendar.events.update": events_update,
    "calendar.events.delete": events_delete,
    "calendar.events.list": events_list,
}
