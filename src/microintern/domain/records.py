"""Plain records that cross the port boundary, shared by every backend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

Cell = str | int | float | bool | None
"""One spreadsheet cell as the program reads or writes it (unformatted)."""

Record = dict[str, Cell]
"""One row of a tab, keyed by header."""


@dataclass(frozen=True)
class FormResponse:
    """One submitted form, answers keyed by question title (never by Google's question id)."""

    response_id: str
    submitted_at: datetime
    answers: Mapping[str, str]
    respondent_email: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file attached to an outgoing message."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient, identified by its deterministic ledger key."""

    key: str
    sender: str
    to: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


class EventStatus(StrEnum):
    """Whether a calendar event stands or is called off."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CalendarEvent:
    """One meeting on the program calendar, with a client-chosen deterministic id.

    ``event_id`` uses base32hex characters (``a-v0-9``) so Calendar accepts it and a repeated
    insert answers 409 instead of creating a duplicate.
    """

    event_id: str
    summary: str
    description: str
    start: datetime
    end: datetime
    time_zone: str
    attendees: tuple[str, ...] = ()
    meet_uri: str | None = None
    status: EventStatus = EventStatus.CONFIRMED
    reminder_minutes: tuple[int, ...] = (1440, 30)


@dataclass(frozen=True)
class MeetSettings:
    """What a Meet space for a session must allow and record."""

    restricted: bool = True
    moderation: bool = True
    auto_recording: bool = False
    attendance_report: bool = True
    cohosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeetSpace:
    """A Meet space as created: its resource name and the link people join by."""

    name: str
    meeting_uri: str
    meeting_code: str
    notes: tuple[str, ...] = field(default=())
