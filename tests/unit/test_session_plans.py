"""Session plans: the Meetings cell, the recording rule, event ids, DST, the Calendar column."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from programs import EXAMPLE

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.records import CalendarEvent, EventStatus
from microintern.domain.sessions import (
    NOT_WRITTEN,
    LastBuild,
    event_description,
    event_digest,
    event_id,
    event_token,
    format_meetings,
    is_live,
    meet_settings,
    moves_partner_on,
    parse_meetings,
    parse_status,
    recording_decision,
    session_plan,
    session_rows,
    settings_digest,
)
from microintern.errors import RowError

LA = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")
BASE32HEX = re.compile(r"[a-v0-9]{5,1024}")
ALLOW = "if_every_release_allows"


def example_sessions() -> list[dict[str, Any]]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["sessions"]


def weekly(config_maker: Callable[..., ProgramConfig], first: str, count: int,
           zone: str = "America/Los_Angeles") -> ProgramConfig:
    """The example program with data-fellows meeting weekly from ``first``, in ``zone``."""
    program = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["program"]
    sessions = example_sessions()
    sessions[3]["weekly"] = {"first": first, "count": count}
    return config_maker(program={**program, "time_zone": zone}, sessions=sessions)


def participant(placement: str = "placed", recording: str | None = "Yes") -> dict[str, Any]:
    return {sheet.APPLICANT_ID: "A-X", sheet.PLACEMENT: placement, sheet.RECORDING_ALLOWED: recording}


# --- the Meetings cell -------------------------------------------------------------------------


def test_meetings_cell_round_trip(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    for session in config.sessions:
        cell = format_meetings(session.meeting_starts())
        starts = parse_meetings(cell, config.zone, session.id)
        assert [s.replace(tzinfo=None) for s in starts] == session.meeting_starts()
        assert all(s.tzinfo is config.zone for s in starts)
        assert format_meetings(starts) == cell
    data_fellows = config.session("data-fellows")
    assert format_meetings(data_fellows.meeting_starts()).split("; ")[:2] == [
        "2027-04-06 16:00", "2027-04-13 16:00"]


@pytest.mark.parametrize("cell", [
    "2027-03-16 15:30",
    "2027-03-16 15:30:00",            # a date value Sheets reads back as text
    "2027-03-16T15:30:00",            # a date value from the local workbook
    "3/16/2027 15:30:00",             # a US-locale sheet
    "3/16/2027 3:30:00 PM",
    " 2027-03-16 15:30 ;",
])
def test_meetings_cell_forms_a_sheet_may_hold(cell: str) -> None:
    assert parse_meetings(cell, LA, "cyber-basics") == (datetime(2027, 3, 16, 15, 30, tzinfo=LA),)


def test_meetings_are_sorted_and_may_be_on_lines() -> None:
    starts = parse_meetings("2027-03-23 15:30\n2027-03-16 15:30", LA, "s")
    assert [s.day for s in starts] == [16, 23]


@pytest.mark.parametrize(("cell", "reason"), [
    ("next Tuesday", "expected local times like 2027-03-16 15:30"),
    ("2027-03-16 15:30; 2027-13-01 10:00", "found '2027-13-01 10:00'"),
    ("2027-03-16", "expected local times"),
    ("", "found nothing"),
    (None, "found nothing"),
    ("2027-03-14 02:30", "does not exist in America/Los_Angeles"),   # the hour DST skips
    ("2027-03-16 15:30; 2027-03-16 15:30", "listed twice"),
])
def test_a_bad_meetings_cell_names_session_and_field(cell: str | None, reason: str) -> None:
    with pytest.raises(RowError) as caught:
        parse_meetings(cell, LA, "cyber-basics")
    error = caught.value
    assert (error.where, error.row, error.field) == ("Sessions", "cyber-basics", "Meetings")
    assert reason in str(error)
    assert "cyber-basics" in str(error) and "'Meetings'" in str(error)


def test_status_cell() -> None:
    assert parse_status(None, "s") is False
    assert parse_status(" Scheduled ", "s") is False
    assert parse_status("cancelled", "s") is True
    assert parse_status("Canceled", "s") is True
    with pytest.raises(RowError, match=r"row s, field 'Status': expected blank, 'scheduled' or"):
        parse_status("postponed", "s")


# --- the Sessions tab ---------------------------------------------------------------------------


def test_session_rows_seed_missing_rows_and_blank_cells_only(
        make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    present = {
        # The coordinator moved this one: their cell stays.
        "cyber-basics": {sheet.SESSION_ID: "cyber-basics", "Title": "Edited title",
                         sheet.SESSION_MEETINGS: "2027-03-17 15:30", sheet.SESSION_STATUS: "cancelled",
                         sheet.PARTNER_ID: "solis-cyber", "Teacher": "Luis Carrillo"},
        # Another step added this row with its id only.
        "health-careers": {sheet.SESSION_ID: "health-careers", sheet.SESSION_PLACED: 4},
    }
    rows = {r[sheet.SESSION_ID]: r for r in session_rows(config, present)}
    assert "cyber-basics" not in rows
    assert rows["health-careers"] == {
        sheet.SESSION_ID: "health-careers", "Title": "Behind the Scenes at a Regional Hospital",
        sheet.PARTNER_ID: "desert-health", "Teacher": "Renee Holloway",
        sheet.SESSION_MEETINGS: "2027-03-18 15:30", sheet.SESSION_STATUS: "scheduled"}
    assert rows["data-fellows"][sheet.SESSION_MEETINGS].count("; ") == 5
    assert set(rows) == {"health-careers", "site-planning", "data-fellows"}
    assert session_rows(config, {**present, **rows}) == []


def test_the_sheet_wins_over_the_config(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    row = {sheet.SESSION_ID: "cyber-basics", sheet.SESSION_MEETINGS: "2027-03-17 16:00",
           sheet.SESSION_STATUS: "cancelled", sheet.SESSION_MEET_LINK: "https://meet.google.com/abc-defg-hij",
           sheet.SESSION_MEET_SPACE: "spaces/xyz", sheet.SESSION_RECORDING: "on: all 4 release forms ..."}
    plan = session_plan(config, config.session("cyber-basics"), row)
    assert plan.starts == (datetime(2027, 3, 17, 16, 0, tzinfo=LA),)
    assert plan.cancelled is True
    assert plan.duration == timedelta(minutes=90)
    assert plan.meetings() == [(plan.starts[0], plan.starts[0] + timedelta(minutes=90))]
    assert (plan.meet_space, plan.recording, plan.partner_id) == ("spaces/xyz", True, "solis-cyber")
    off = session_plan(config, config.session("cyber-basics"),
                       {**row, sheet.SESSION_RECORDING: "off: the partner has not agreed to recording"})
    assert off.recording is False and off.recording_note.startswith("off: the partner")


# --- the recording rule -------------------------------------------------------------------------


def test_recording_on_only_when_everyone_allows_it() -> None:
    five = [participant() for _ in range(5)]
    assert recording_decision(ALLOW, "Yes", five) == (
        True, "on: all 5 release forms allow recording and the partner agreed")
    assert recording_decision(ALLOW, " yes ", [participant("override"), participant()])[0] is True


@pytest.mark.parametrize(("video", "consent", "people", "note"), [
    ("never", "Yes", [participant()], "off: recording is turned off for the program"),
    (ALLOW, "No", [participant()], "off: the partner has not agreed to recording"),
    (ALLOW, None, [participant()], "off: the partner has not agreed to recording"),
    (ALLOW, "Yes", [], "off: no student is placed yet"),
    (ALLOW, "Yes", [participant("waitlisted")], "off: no student is placed yet"),
    (ALLOW, "Yes", [participant(), participant(recording="No"), participant(recording="no"),
                    participant(), participant()],
     "off: 2 of 5 release forms do not allow recording"),
    (ALLOW, "Yes", [participant(), participant(recording=None)],
     "off: 1 of 2 release forms do not allow recording (1 not returned yet)"),
])
def test_recording_off_says_why_without_names(video: str, consent: str | None,
                                              people: list[dict[str, Any]], note: str) -> None:
    people = [*people, participant("waitlisted", "No")]  # the waitlist never counts
    assert recording_decision(video, consent, people) == (False, note)


def test_meet_settings_follow_config_and_dedupe_cohosts(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config(video={"recording": ALLOW, "attendance_report": False, "moderation": True})
    settings = meet_settings(config, ("m@x.example", "M@x.example", "t@x.example"), True)
    assert settings.cohosts == ("m@x.example", "t@x.example")
    assert (settings.restricted, settings.moderation, settings.auto_recording,
            settings.attendance_report) == (True, True, True, False)
    assert settings_digest(settings) != settings_digest(meet_settings(config, settings.cohosts, False))


def test_partner_moves_forward_only() -> None:
    assert moves_partner_on(None) and moves_partner_on("prospect") and moves_partner_on("Confirmed")
    assert not moves_partner_on("session built")
    assert not moves_partner_on("thanked") and not moves_partner_on("declined")
    assert not moves_partner_on("on hold (called)")  # a status the tool does not know


# --- events ---------------------------------------------------------------------------------------


def test_event_ids_are_base32hex_stable_and_distinct() -> None:
    ids = {event_id(p, s, n) for p in ("mvusd-spring-2027", "mvusd-fall-2027")
           for s in ("cyber-basics", "data-fellows") for n in range(1, 7)}
    assert len(ids) == 24
    assert all(BASE32HEX.fullmatch(i) for i in ids)
    # Pinned: a changed id would make every existing program's events look new (duplicates).
    assert event_id("mvusd-spring-2027", "cyber-basics", 1) == "7adc6d2f9526b6e681167efb74b96645"


def test_description_has_link_and_join_rule() -> None:
    start = datetime(2027, 3, 16, 15, 30, tzinfo=LA)
    text = event_description(organization="Solis Cyber Defense", number=2, series=True, start=start,
                             meet_link="https://meet.google.com/abc-defg-hij",
                             coordinator="Dana Whitfield (dana@x.example)")
    assert "https://meet.google.com/abc-defg-hij" in text
    assert "(meeting 2)." in text
    assert "opens the room at 3:15 PM (15 minutes" in text
    assert "partner joins at 3:20 PM (10 minutes" in text
    assert "admitted from 3:25 PM (5 minutes" in text


def test_weekly_session_keeps_local_time_across_dst_los_angeles(
        make_config: Callable[..., ProgramConfig]) -> None:
    config = weekly(make_config, "2027-03-02 16:00", 4)
    session = config.session("data-fellows")
    starts = parse_meetings(format_meetings(session.meeting_starts()), config.zone, session.id)
    assert [(s.day, s.hour, s.minute) for s in starts] == [(2, 16, 0), (9, 16, 0), (16, 16, 0), (23, 16, 0)]
    assert [s.utcoffset() for s in starts] == [timedelta(hours=-8)] * 2 + [timedelta(hours=-7)] * 2
    # One week apart on the wall clock, 167 hours apart in absolute time across 2027-03-14.
    assert starts[2].astimezone(UTC) - starts[1].astimezone(UTC) == timedelta(hours=167)
    assert starts[2].isoformat() == "2027-03-16T16:00:00-07:00"


def test_weekly_session_keeps_local_time_across_dst_end_sydney(
        make_config: Callable[..., ProgramConfig]) -> None:
    config = weekly(make_config, "2027-03-30 10:00", 2, zone="Australia/Sydney")
    session = config.session("data-fellows")
    starts = parse_meetings(format_meetings(session.meeting_starts()), config.zone, session.id)
    assert [s.isoformat() for s in starts] == ["2027-03-30T10:00:00+11:00", "2027-04-06T10:00:00+10:00"]
    assert starts[0].tzinfo == SYDNEY


def sample_event(**changes: Any) -> CalendarEvent:
    start = datetime(2027, 3, 16, 15, 30, tzinfo=LA)
    values: dict[str, Any] = {"event_id": event_id("p", "s", 1), "summary": "T", "description": "D",
                              "start": start, "end": start + timedelta(minutes=90),
                              "time_zone": "America/Los_Angeles", "attendees": ("a@x.example",)}
    values.update(changes)
    return CalendarEvent(**values)


def test_event_fingerprint_changes_with_content_only() -> None:
    event = sample_event()
    assert event_digest(event) == event_digest(sample_event())
    assert len(event_digest(event)) == 12
    assert event_digest(event) != event_digest(sample_event(attendees=("a@x.example", "b@x.example")))
    moved = datetime(2027, 3, 17, 15, 30, tzinfo=LA)
    assert event_digest(event) != event_digest(sample_event(start=moved, end=moved + timedelta(hours=1)))
    wall = datetime(2027, 3, 16, 15, 30)
    assert event_token(event, wall) == f"{event_digest(event)}@2027-03-16T15:30"
    assert event_token(sample_event(status=EventStatus.CANCELLED), wall) == "cancelled@2027-03-16T15:30"


def test_calendar_column_round_trip() -> None:
    cell = "meet:0123456789ab 89abcdef0123@2027-03-16T15:30 - cancelled@2027-03-30T15:30"
    last = LastBuild.parse(cell)
    assert last.meet == "0123456789ab"
    assert last.events == ("89abcdef0123@2027-03-16T15:30", NOT_WRITTEN, "cancelled@2027-03-30T15:30")
    assert last.cell() == cell
    assert [is_live(t) for t in last.events] == [True, False, False]
    assert LastBuild.parse("garbage meet:zz 0123@x").events == (NOT_WRITTEN, NOT_WRITTEN)
    assert LastBuild.parse("garbage meet:zz").meet == ""
    assert LastBuild(events=("a1b2c3d4e5f6@2027-01-01T10:00", NOT_WRITTEN)).cell() == \
        "a1b2c3d4e5f6@2027-01-01T10:00"
    assert LastBuild.parse(None) == LastBuild()


def test_single_meeting_description_has_no_number_and_no_link_when_none() -> None:
    start = datetime(2027, 3, 16, 15, 30, tzinfo=LA)
    text = event_description(organization="Solis Cyber Defense", number=1, series=False, start=start,
                             meet_link="", coordinator="Dana Whitfield (dana@x.example)")
    assert text.startswith("Micro-internship with Solis Cyber Defense.\n")
    assert "Join with Google Meet" not in text
