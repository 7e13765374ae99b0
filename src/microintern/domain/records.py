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


@dataclass(frozen=True)
class Presence:
    """One stretch a participant spent in a conference (a Meet participant session)."""

    start: datetime
    end: datetime | None  # None while still in the call


@dataclass(frozen=True)
class ConferenceParticipant:
    """Someone who joined a conference: a signed-in user (``users/{id}``) or not."""

    name: str                    # conferenceRecords/{c}/participants/{p}
    user: str | None             # "users/{id}" for signed-in users; None for anonymous/phone
    display_name: str
    presences: tuple[Presence, ...]


@dataclass(frozen=True)
class Conference:
    """One conference held in a Meet space (a conference record)."""

    name: str                    # conferenceRecords/{c}
    start: datetime
    end: datetime | None
    participants: tuple[ConferenceParticipant, ...]


@dataclass(frozen=True)
class BadgeAward:
    """A badge to award one student, with what it recognizes."""

    key: str                     # stable: "<session id>:<applicant id>"
    email: str
    name: str                    # the student's display name (first name, last initial)
    narrative: str
    evidence_url: str | None
    evidence_narrative: str
    issued_on: datetime


@dataclass(frozen=True)
class IssuedBadge:
    """An awarded badge: its assertion id and where the student sees it."""

    assertion_id: str
    url: str
    email: str
    image_path: str | None = None  # local provider: the baked badge image


@dataclass(frozen=True)
class DriveFile:
    """A file in a Drive folder (a student's hand-in)."""

    file_id: str
    name: str
    link: str
    modified: datetime


@dataclass(frozen=True)
class ChartSpec:
    """A native column chart over rows of a tab: one bar per key, labelled by the key.

    Rows are found by ``key_column`` when the chart is drawn (never by position); the bars' values
    come from ``value_column``. A chart is known again by its ``title`` within its tab, so drawing
    the same spec twice updates the chart instead of adding a second one.
    """

    title: str
    key_column: str
    value_column: str
    keys: tuple[str, ...]
