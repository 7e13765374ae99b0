"""Google Calendar: one event per session meeting, with a client-chosen id.

Inserting with our own event id makes a rerun safe: the second insert answers 409 (even after
a delete), and we patch the existing event instead. The same holds when an insert's answer is
lost (a timeout, a 5xx after it was applied, a dropped connection that httplib2 silently
re-sends): the repeat meets the event the lost attempt made, answers 409, and becomes a patch,
so there is never a second event. Events are ``visibility: private``.

REST reference: https://developers.google.com/calendar/api/v3/reference/events
"""

from __future__ import annotations

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


class GoogleCalendar:
    """The :class:`~microintern.ports.Calendar` port on Google Calendar."""

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._events = service.events()
        self._retry = retry or Retry()

    def upsert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        """Insert the event, or patch it when its id exists; guests are notified of changes.

        A cancelled event is cancelled in place (see :meth:`_cancel`).
        """
        if event.status is EventStatus.CANCELLED:
            return self._cancel(calendar_id, event.event_id)
        body = event_to_api(event)
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
