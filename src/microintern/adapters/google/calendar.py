"""Google Calendar: one event per session meeting, with a client-chosen id.

Inserting with our own event id makes a rerun safe: the second insert answers 409 (even after
a delete), and we patch the existing event instead. The same holds when an insert's answer is
lost (a timeout, a 5xx after it was applied, a dropped connection that httplib2 silently
re-sends): the repeat meets the event the lost attempt made, answers 409, and becomes a patch,
so there is never a second event. Events are ``visibility: private``.

Meet links. :meth:`GoogleCalendar.ensure_conference` lets Calendar make a meeting's Meet
space through the meeting's first event (``conferenceData.createRequest``, with a
``requestId`` derived from the event id), so a lost answer never leaves a second space:
the repeat meets the event (409), and the event names its one conference. Calendar makes
conferences asynchronously (``status.statusCode`` ``pending`` → ``success``/``failure``);
a ``requestId`` already used is ignored, so a failed or dead conference is replaced with a
new id, still derived from what it replaces (a lost replace, repeated, is ignored too).

REST reference: https://developers.google.com/calendar/api/v3/reference/events
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.records import CalendarEvent, EventStatus
from microintern.errors import BackendError


def event_to_api(event: CalendarEvent) -> dict[str, Any]:
    """The Calendar API body for an event (camelCase stays in this module)."""
    body: dict[str, Any] = {
        "id": event.event_id,
        "summary": event.summary,
        "description": event.description,
        "start": {"dateTime": event.start.isoformat(), "timeZone": event.time_zone},
        "end": {"dateTime": event.end.isoformat(), "timeZone": event.time_zone},
        "attendees": [{"email": a} for a in event.attendees],
        # Students are minors: nobody sees the other guests' addresses.
        "guestsCanSeeOtherGuests": False,
        "guestsCanInviteOthers": False,
        # Private: someone who can see the program calendar but is no guest sees only "busy",
        # never the session's title, description or guest list.
        "visibility": "private",
        "status": event.status.value,
        "reminders": {"useDefault": False, "overrides": [
            {"method": "email" if m >= 60 else "popup", "minutes": m}
            for m in event.reminder_minutes]},
    }
    if event.meet_uri:
        code = event.meet_uri.rstrip("/").rsplit("/", 1)[-1]
        body["conferenceData"] = {
            "conferenceId": code,
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}},
            "entryPoints": [{"entryPointType": "video", "uri": event.meet_uri}],
        }
    return body


_PENDING_READS = 3  # reads of an event whose conference Calendar is still making


def conference_request_id(event_id: str, replacing: str = "") -> str:
    """The ``createRequest.requestId`` for ``event_id``'s conference (deterministic).

    ``replacing`` names the conference being replaced (a failed request id or a dead meeting
    code), so a replacement gets a new id (Calendar ignores an id already used) that is still
    the same on every repeat of that replacement.
    """
    digest = hashlib.sha256(f"microintern/{event_id}/{replacing}".encode()).hexdigest()
    return f"mi-{digest[:40]}"


def _meeting_code(event: dict[str, Any]) -> str | None:
    """The Meet code of the event's conference, or None when it has none (yet)."""
    data = event.get("conferenceData") or {}
    if (data.get("conferenceSolution") or {}).get("key", {}).get("type", "hangoutsMeet") != "hangoutsMeet":
        return None
    if data.get("conferenceId"):
        return str(data["conferenceId"])
    for entry in data.get("entryPoints") or []:
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            return str(entry["uri"]).rstrip("/").rsplit("/", 1)[-1]
    return None


def _request_status(event: dict[str, Any]) -> str:
    """``pending``, ``success``, ``failure`` or "" for the event's conference create request."""
    create = (event.get("conferenceData") or {}).get("createRequest") or {}
    return str((create.get("status") or {}).get("statusCode", ""))


class GoogleCalendar:
    """The :class:`~microintern.ports.Calendar` port on Google Calendar."""

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._events = service.events()
        self._retry = retry or Retry()
        # Events this adapter made with their conference in this run: upsert_event patches
        # them at once instead of meeting a 409 first (an event, once made, is never gone; a
        # deleted one stays, cancelled, and takes a patch).
        self._known: set[tuple[str, str]] = set()

    def ensure_conference(self, calendar_id: str, event: CalendarEvent, *, dead_code: str = "") -> str:
        """The Meet code of ``event``'s conference, made by Calendar the first time.

        The first call inserts the event without guests or description (nobody is notified;
        :meth:`upsert_event` then writes the whole event) and with a conference create
        request; a repeat, or an event made earlier, answers 409 and is read instead. An event
        without a conference, with a failed one, or whose conference is ``dead_code`` (its
        space is gone) is patched with a new create request. Raises :class:`BackendError`
        while Calendar is still making the conference after a few reads (a rerun finishes).
        https://developers.google.com/calendar/api/guides/create-events#conferencing
        """
        key = (calendar_id, event.event_id)
        holder = event_to_api(replace(event, attendees=(), meet_uri=None))
        holder.pop("description", None)
        holder["conferenceData"] = {"createRequest": {
            "requestId": conference_request_id(event.event_id),
            "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
        try:
            stored = execute(
                self._events.insert(calendarId=calendar_id, body=holder, conferenceDataVersion=1,
                                    sendUpdates="none"),
                "calendar events.insert", retry=self._retry)
        except BackendError as exc:
            if exc.code != 409:
                raise
            stored = self._get(calendar_id, event.event_id)
        self._known.add(key)
        for attempt in range(_PENDING_READS + 1):
            status = _request_status(stored)
            code = _meeting_code(stored)
            if code and code != dead_code and status != "failure":
                return code
            if status == "pending" and attempt < _PENDING_READS:
                self._retry.pause(attempt)
                stored = self._get(calendar_id, event.event_id)
                continue
            if status == "pending":
                break
            # No conference, a failed one, or one whose space is gone: ask for a new one.
            replacing = code or str(((stored.get("conferenceData") or {}).get("createRequest") or {})
                                    .get("requestId", ""))
            stored = execute(
                self._events.patch(calendarId=calendar_id, eventId=event.event_id,
                                   conferenceDataVersion=1, sendUpdates="none",
                                   body={"conferenceData": {
                                       "conferenceId": None, "entryPoints": None,
                                       "conferenceSolution": None,
                                       "createRequest": {
                                           "requestId": conference_request_id(event.event_id, replacing),
                                           "conferenceSolutionKey": {"type": "hangoutsMeet"}}}}),
                "calendar events.patch", retry=self._retry)
            dead_code = ""
        raise BackendError(f"calendar: the Meet link of event {event.event_id} is still being made "
                           "by Calendar; a rerun picks it up", retryable=False)

    def _get(self, calendar_id: str, event_id: str) -> Any:
        return execute(self._events.get(calendarId=calendar_id, eventId=event_id),
                       "calendar events.get", retry=self._retry)

    def upsert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        """Insert the event, or patch it when its id exists; guests are notified of changes.

        A cancelled event is cancelled in place (see :meth:`_cancel`).
        """
        if event.status is EventStatus.CANCELLED:
            return self._cancel(calendar_id, event.event_id)
        body = event_to_api(event)
        key = (calendar_id, event.event_id)
        if key not in self._known:
            try:
                created = execute(
                    self._events.insert(calendarId=calendar_id, body=body, conferenceDataVersion=1,
                                        sendUpdates="all"),
                    "calendar events.insert", retry=self._retry)
                return str(created.get("htmlLink", ""))
            except BackendError as exc:
                if exc.code != 409:
                    raise
        patch = {k: v for k, v in body.items() if k != "id"}
        if event.meet_uri is None:
            # No Meet conference wanted (a session moved to Zoom): a patch keeps what it does not
            # name, so Meet's conference is removed by name (null, with conferenceDataVersion=1).
            patch["conferenceData"] = None
        updated = execute(
            self._events.patch(calendarId=calendar_id, eventId=event.event_id, body=patch,
                               conferenceDataVersion=1, sendUpdates="all"),
            "calendar events.patch", retry=self._retry)
        return str(updated.get("htmlLink", ""))

    def _cancel(self, calendar_id: str, event_id: str) -> str:
        """Set only the status to cancelled, telling every guest; "" when there is no such event.

        Patching the whole event would also replace its guest list with today's: students moved
        out of a cancelled session would get a removal notice instead of the cancellation, and
        nobody should be newly invited to an event that is off. Nothing is written for an event
        that never existed.
        """
        try:
            updated = execute(
                self._events.patch(calendarId=calendar_id, eventId=event_id,
                                   body={"status": EventStatus.CANCELLED.value}, sendUpdates="all"),
                "calendar events.patch", retry=self._retry)
        except BackendError as exc:
            if exc.code in (404, 410):
                return ""
            raise
        return str(updated.get("htmlLink", ""))
