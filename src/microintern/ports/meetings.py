"""The meeting ports: calendar events, Meet spaces, what happened in them, and who took part."""

from __future__ import annotations

from typing import Protocol

from microintern.domain.records import CalendarEvent, Conference, MeetSettings, MeetSpace


class Calendar(Protocol):
    """Session events on the program calendar."""

    def upsert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        """Create or update the event with ``event.event_id``; return a link to it."""
        ...


class MeetRooms(Protocol):
    """Meet spaces for sessions."""

    def create_space(self, settings: MeetSettings) -> MeetSpace:
        """Create a space with the given access, moderation, recording and co-hosts.

        Not idempotent on Google (Meet has no request id and no list): a space whose answer
        was lost cannot be found again. Steps use :meth:`space_for_event` instead.
        """
        ...

    def space_for_event(self, calendar_id: str, event: CalendarEvent,
                        settings: MeetSettings) -> MeetSpace:
        """The space of ``event`` (a meeting's first event), made once and set to ``settings``.

        Safe to repeat, also after an answer was lost: the space belongs to the event's
        client-chosen id, so a repeat finds the same space instead of making another. On
        Google, Calendar makes the event (without guests, nobody is notified) with a Meet
        conference; the caller then writes the full event with :meth:`Calendar.upsert_event`.
        A feature the edition refuses becomes a note, as with :meth:`create_space`.
        """
        ...

    def update_space(self, name: str, settings: MeetSettings) -> MeetSpace:
        """Bring the existing space ``name`` in line with ``settings``.

        The space's config is patched (one call) and co-hosts it lacks are added; co-hosts
        already there are left alone. Raises :class:`~microintern.errors.BackendError` with
        code 404 when the space no longer exists.
        """
        ...


class MeetRecords(Protocol):
    """What happened in a Meet space: its conference records (kept 30 days by Google)."""

    def conferences(self, space: str) -> list[Conference]:
        """Every conference held in ``space`` with its participants and their presences."""
        ...


class Directory(Protocol):
    """Turns a Meet participant's ``users/{id}`` into the person's address."""

    def email_of(self, user: str) -> str | None:
        """The primary address of ``user``, or None when the directory does not know them."""
        ...
