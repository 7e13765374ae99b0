"""Session events as .ics files (the :class:`~microintern.ports.Calendar` port).

One file per event: ``<folder>/<calendar_id>/<event_id>.ics``, importable into any calendar app.
Like Calendar's client-chosen event ids, writing the same event twice changes nothing; a real
change rewrites the file with SEQUENCE + 1 so calendar apps that imported it take the update.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Event, vCalAddress
from icalendar import Calendar as ICalendar

from microintern.adapters.local._files import atomic_write_bytes, safe_component
from microintern.domain.mime import clean_header, clean_text, normalize_addr_spec
from microintern.domain.records import CalendarEvent, EventStatus

log = logging.getLogger(__name__)

PRODID = "-//microintern//local calendar//EN"
UID_DOMAIN = "microintern"

# Calendar's own rule for client-chosen ids (base32hex, 5-1024 characters).
_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_LINK = re.compile(r"https?://[^\s\"<>\\]+")
_LONGEST_FILE_STEM = 200


def _system_clock() -> datetime:
    """Now, in UTC, for DTSTAMP."""
    return datetime.now(UTC)


class IcsCalendar:
    """A :class:`~microintern.ports.Calendar` writing one iCalendar file per event.

    ``clock`` stamps DTSTAMP when an event changes (system clock when None).
    """

    def __init__(self, folder: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.folder = Path(folder)
        self.clock = clock or _system_clock

    def upsert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        """Create or update the event's file and return its ``file:`` URI.

        Rewriting an unchanged event leaves the file (and its SEQUENCE) untouched.
        """
        path = self.path_for(calendar_id, event.event_id)
        previous = _read_existing(path)
        if previous is not None:
            old_bytes, old_sequence, old_stamp = previous
            if _render(event, old_sequence, old_stamp) == old_bytes:
                return path.resolve().as_uri()
            sequence = old_sequence + 1
        else:
            sequence = 0
        stamp = self.clock().astimezone(UTC).replace(microsecond=0)
        atomic_write_bytes(path, _render(event, sequence, stamp))
        return path.resolve().as_uri()

    def path_for(self, calendar_id: str, event_id: str) -> Path:
        """The file that holds ``event_id`` of ``calendar_id``."""
        if not _EVENT_ID.fullmatch(event_id):
            raise ValueError(
                f"event_id {event_id!r}: Calendar ids use base32hex (a-v, 0-9), 5-1024 characters"
            )
        stem = event_id
        if len(stem) > _LONGEST_FILE_STEM:  # file systems stop at 255 bytes per name
            stem = "h" + hashlib.sha256(event_id.encode("ascii")).hexdigest()
        return self.folder / safe_component(calendar_id, "calendar id") / f"{stem}.ics"


def _read_existing(path: Path) -> tuple[bytes, int, datetime] | None:
    """The current bytes, SEQUENCE and DTSTAMP of an event file, or None when there is none."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        component = ICalendar.from_ical(data).walk("VEVENT")[0]
        sequence = int(component.get("SEQUENCE", 0))
        stamp = component.decoded("DTSTAMP")
    except (ValueError, IndexError, KeyError, TypeError) as exc:  # hand-edited beyond repair
        log.warning("%s could not be read (%s); rewriting it", path.name, type(exc).__name__)
        return data, 0, datetime(1970, 1, 1, tzinfo=UTC)
    if not isinstance(stamp, datetime):
        stamp = datetime(1970, 1, 1, tzinfo=UTC)
    return data, sequence, stamp


def _text(value: str) -> str:
    """Text for an iCalendar TEXT value: icalendar escapes newlines, we drop other controls."""
    value = clean_text(value).replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Zl", "Zp")
    )


def _render(event: CalendarEvent, sequence: int, stamp: datetime) -> bytes:
    """Serialize ``event`` with the given SEQUENCE and DTSTAMP (deterministic)."""
    try:
        zone = ZoneInfo(event.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"time_zone: unknown IANA time zone {event.time_zone!r}") from exc
    # Naive times are wall-clock times in the event's zone; aware ones are converted so the
    # file carries TZID=<zone> and calendar apps follow that zone's DST rules.
    start = _in_zone(event.start, zone)
    end = _in_zone(event.end, zone)
    if end < start:
        raise ValueError(f"event {event.event_id}: end {end} is before start {start}")

    vevent = Event()
    vevent.add("uid", f"{event.event_id}@{UID_DOMAIN}")
    vevent.add("dtstamp", stamp)
    vevent.add("sequence", sequence)
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    vevent.add("summary", _text(event.summary))
    vevent.add("description", _text(event.description))
    vevent.add("status", "CANCELLED" if event.status is EventStatus.CANCELLED else "CONFIRMED")
    # As on Google Calendar (visibility private): a shared calendar shows only "busy".
    vevent.add("class", "PRIVATE")
    if event.meet_uri:
        link = clean_header(event.meet_uri)
        # URL is not a TEXT value and is written unescaped: only a plain link may go there.
        if not _LINK.fullmatch(link):
            raise ValueError(f"meet_uri: not an http(s) link: {event.meet_uri!r}")
        vevent.add("url", link)
        vevent.add("location", link)
    for index, email in enumerate(event.attendees):
        attendee = vCalAddress(f"mailto:{normalize_addr_spec(email, f'attendees[{index}]')}")
        attendee.params["CUTYPE"] = "INDIVIDUAL"
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        vevent.add("attendee", attendee, encode=False)
    for minutes in event.reminder_minutes:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _text(event.summary) or "Reminder")
        alarm.add("trigger", timedelta(minutes=-minutes))
        vevent.add_component(alarm)

    calendar = ICalendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add_component(vevent)
    # VTIMEZONE for the years the event touches: enough for every DST change in between, and
    # the same every time, which keeps rewriting an unchanged event byte-identical.
    calendar.add_missing_timezones(
        first_date=date(start.year, 1, 1), last_date=date(end.year + 1, 1, 1)
    )
    return calendar.to_ical()


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` expressed in ``zone`` (naive = already wall-clock time there).

    A local time that occurs twice (the hour repeated when DST ends) means its first occurrence
    in iCalendar (RFC 5545 3.3.5); the second occurrence is returned in UTC, which iCalendar can
    state without ambiguity.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    local = moment.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local
