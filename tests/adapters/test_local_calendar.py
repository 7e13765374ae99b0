"""IcsCalendar: one .ics per event, right zone across DST, idempotent, SEQUENCE on change."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar as ICalendar
from icalendar import Event

from microintern.adapters.local.calendar import IcsCalendar
from microintern.domain.records import CalendarEvent, EventStatus
from microintern.ports import Calendar

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")

# 2025-03-09 is the US spring-forward day: 02:00 EST jumps to 03:00 EDT.
SESSION = CalendarEvent(
    event_id="mi0session0042",
    summary="Micro-internship: Acme robotics — cohort 1",
    description="Join 5 minutes early.\nBring questions; ask anything, really.",
    start=datetime(2025, 3, 9, 1, 30, tzinfo=NEW_YORK),
    end=datetime(2025, 3, 9, 3, 30, tzinfo=NEW_YORK),
    time_zone="America/New_York",
    attendees=("partner@acme.example.com", "ana@students.example.org"),
    meet_uri="https://meet.google.com/abc-defg-hij",
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def calendar(tmp_path: Path) -> IcsCalendar:
    return IcsCalendar(tmp_path / "calendar", clock=Clock())


def load(path: Path) -> Event:
    parsed = ICalendar.from_ical(path.read_bytes())
    events = parsed.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def path_of(uri: str) -> Path:
    parsed = urlparse(uri)
    assert parsed.scheme == "file"
    return Path(url2pathname(parsed.path))


def test_is_a_calendar(calendar: IcsCalendar) -> None:
    port: Calendar = calendar
    assert port is calendar


def test_writes_a_private_file_and_returns_its_uri(calendar: IcsCalendar) -> None:
    uri = calendar.upsert_event("programs@district.example.org", SESSION)
    path = path_of(uri)
    assert path == (calendar.folder / "programs@district.example.org" / "mi0session0042.ics")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_event_parses_back_with_zone_and_times_across_dst(calendar: IcsCalendar) -> None:
    event = load(path_of(calendar.upsert_event("primary", SESSION)))
    assert str(event["UID"]) == "mi0session0042@microintern"
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTEND"].params["TZID"] == "America/New_York"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    # Compare instants: same-tzinfo datetimes compare and subtract by wall clock in Python.
    assert start.timestamp() == SESSION.start.timestamp()
    assert end.timestamp() == SESSION.end.timestamp()
    assert start.utcoffset() == timedelta(hours=-5)  # EST before the change
    assert end.utcoffset() == timedelta(hours=-4)  # EDT after it
    assert end.timestamp() - start.timestamp() == 3600  # wall clock says 2 h, real time is 1 h
    assert (start.hour, start.minute, end.hour, end.minute) == (1, 30, 3, 30)
    # The file carries the zone's rules so any app computes the same instants.
    parsed = ICalendar.from_ical(path_of(calendar.upsert_event("primary", SESSION)).read_bytes())
    zones = [str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")]
    assert zones == ["America/New_York"]


def test_times_in_another_zone_are_converted_to_the_event_zone(calendar: IcsCalendar) -> None:
    utc_session = replace(
        SESSION,
        event_id="mi0session0043",
        start=datetime(2025, 10, 26, 0, 30, tzinfo=UTC),  # Berlin falls back at 01:00 UTC
        end=datetime(2025, 10, 26, 2, 30, tzinfo=UTC),
        time_zone="Europe/Berlin",
    )
    event = load(path_of(calendar.upsert_event("primary", utc_session)))
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    # 02:30 happens twice that night; iCalendar (RFC 5545 3.3.5) reads it as the first one.
    assert start.timestamp() == utc_session.start.timestamp()
    assert end.timestamp() == utc_session.end.timestamp()
    assert (start.hour, start.utcoffset()) == (2, timedelta(hours=2))
    assert (end.hour, end.utcoffset()) == (3, timedelta(hours=1))


def test_second_occurrence_of_a_repeated_hour_is_written_in_utc(calendar: IcsCalendar) -> None:
    # 01:30 UTC is 02:30 CET, the *second* 02:30 of that night, which TZID=Europe/Berlin cannot
    # express (it means the first one); the file says the instant in UTC instead.
    late = replace(
        SESSION,
        event_id="mi0session0045",
        start=datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
        end=datetime(2025, 10, 26, 3, 0, tzinfo=UTC),
        time_zone="Europe/Berlin",
    )
    event = load(path_of(calendar.upsert_event("primary", late)))
    assert event.decoded("DTSTART").timestamp() == late.start.timestamp()
    assert event.decoded("DTEND").timestamp() == late.end.timestamp()
    assert event["DTEND"].params["TZID"] == "Europe/Berlin"


def test_naive_times_are_wall_clock_in_the_event_zone(calendar: IcsCalendar) -> None:
    naive = replace(
        SESSION,
        event_id="mi0session0044",
        start=datetime(2025, 7, 1, 10, 0),  # naive on purpose
        end=datetime(2025, 7, 1, 11, 0),
        time_zone="Europe/Berlin",
    )
    event = load(path_of(calendar.upsert_event("primary", naive)))
    assert event.decoded("DTSTART") == datetime(2025, 7, 1, 10, 0, tzinfo=BERLIN)


def test_fields_attendees_link_and_alarms(calendar: IcsCalendar) -> None:
    event = load(path_of(calendar.upsert_event("primary", SESSION)))
    assert str(event["SUMMARY"]) == SESSION.summary
    assert str(event["DESCRIPTION"]) == SESSION.description
    assert str(event["URL"]) == SESSION.meet_uri
    assert str(event["LOCATION"]) == SESSION.meet_uri
    assert str(event["STATUS"]) == "CONFIRMED"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == [
        "mailto:partner@acme.example.com",
        "mailto:ana@students.example.org",
    ]
    triggers = sorted(alarm.decoded("TRIGGER") for alarm in event.walk("VALARM"))
    assert triggers == [timedelta(minutes=-1440), timedelta(minutes=-30)]
    assert int(event["SEQUENCE"]) == 0


def test_same_event_twice_changes_nothing(calendar: IcsCalendar) -> None:
    path = path_of(calendar.upsert_event("primary", SESSION))
    before = path.read_bytes(), path.stat().st_ino
    assert calendar.upsert_event("primary", SESSION) == path.as_uri()
    assert (path.read_bytes(), path.stat().st_ino) == before
    assert int(load(path)["SEQUENCE"]) == 0
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_change_bumps_sequence_once(calendar: IcsCalendar) -> None:
    path = path_of(calendar.upsert_event("primary", SESSION))
    moved = replace(SESSION, start=SESSION.start + timedelta(days=1), end=SESSION.end + timedelta(days=1))
    calendar.upsert_event("primary", moved)
    assert int(load(path)["SEQUENCE"]) == 1
    calendar.upsert_event("primary", moved)
    assert int(load(path)["SEQUENCE"]) == 1
    calendar.upsert_event("primary", replace(moved, attendees=moved.attendees[:1]))
    assert int(load(path)["SEQUENCE"]) == 2


def test_cancelled_status(calendar: IcsCalendar) -> None:
    path = path_of(calendar.upsert_event("primary", SESSION))
    calendar.upsert_event("primary", replace(SESSION, status=EventStatus.CANCELLED))
    event = load(path)
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


def test_hostile_text_cannot_add_properties(calendar: IcsCalendar) -> None:
    hostile = replace(
        SESSION,
        summary="Hi\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:evil",
        description="x\rATTENDEE:mailto:evil@example.com\x00\x1b",
        attendees=(),
        meet_uri=None,
        reminder_minutes=(),
    )
    path = path_of(calendar.upsert_event("primary", hostile))
    event = load(path)
    assert "ATTENDEE" not in event
    assert "URL" not in event and not event.walk("VALARM")
    assert str(event["SUMMARY"]) == "Hi\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:evil"
    assert str(event["DESCRIPTION"]) == "x\nATTENDEE:mailto:evil@example.com"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"meet_uri": "https://meet.google.com/x\r\nATTENDEE:mailto:e@x.org"}, "meet_uri"),
        ({"meet_uri": "javascript:alert(1)"}, "meet_uri"),
        ({"attendees": ("a@x.org, b@x.org",)}, r"attendees\[0\]"),
        ({"event_id": "UPPER-case_1"}, "event_id"),
        ({"event_id": "abc"}, "event_id"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_bad_values_are_refused(calendar: IcsCalendar, change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calendar.upsert_event("primary", replace(SESSION, **change))  # type: ignore[arg-type]


def test_calendar_id_cannot_escape_the_folder(calendar: IcsCalendar) -> None:
    with pytest.raises(ValueError, match="calendar id"):
        calendar.upsert_event("../outside", SESSION)


def test_events_are_private_like_on_google(calendar: IcsCalendar) -> None:
    # A calendar shared with the district shows a session as busy, never its title or guests.
    event = load(path_of(calendar.upsert_event("primary", SESSION)))
    assert str(event["CLASS"]) == "PRIVATE"
