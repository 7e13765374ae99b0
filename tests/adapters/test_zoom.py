"""The Zoom adapter against the fake Zoom over loopback: bodies, lost answers, refusals, reports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fakezoom import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, FakeZoom

from microintern.adapters.zoom import SCOPES, ZoomClient, ZoomCredentials, ZoomMeetings, load_credentials
from microintern.domain.sessions import RECORDING_UNAVAILABLE
from microintern.domain.video import ZoomMeetingPlan, session_marker, tagged_title
from microintern.errors import ConfigError

ZONE = ZoneInfo("America/Denver")
HOST = "internships@mesavalley.example"
TEACHER = "luis.carrillo@mesavalley.example"


@pytest.fixture(scope="module")
def zoom_server() -> Iterator[FakeZoom]:
    with FakeZoom() as zoom:
        yield zoom


@pytest.fixture
def zoom(zoom_server: FakeZoom) -> Iterator[FakeZoom]:
    """The fake, emptied, with the app and the account's licensed users; no refusal at the end."""
    state = zoom_server
    state.reset()
    state.add_app(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, SCOPES)
    state.add_user(HOST)
    state.add_user(TEACHER)
    yield state
    assert state.rejections == [] and state.errors == []


def meetings_on(zoom: FakeZoom) -> ZoomMeetings:
    client = ZoomClient(ZoomCredentials(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET), api_base=zoom.api_base,
                        token_url=zoom.token_url, timeout=5, sleep=lambda _s: zoom_idle())
    return ZoomMeetings(client, HOST)


def zoom_idle() -> None:
    """Backoff waits in tests: nothing to wait for (the fake applies before it drops)."""


def plan(session: str = "cyber-basics", starts: tuple[datetime, ...] | None = None, *,
         recording: bool = False, hosts: tuple[str, ...] = (TEACHER,)) -> ZoomMeetingPlan:
    marker = session_marker("mvusd-spring-2027", session)
    return ZoomMeetingPlan(marker=marker, topic=tagged_title("Cybersecurity basics", marker),
                           agenda="Micro-internship.", duration_minutes=90, time_zone="America/Denver",
                           starts=starts or (datetime(2027, 3, 16, 15, 30, tzinfo=ZONE),),
                           auto_recording=recording, alternative_hosts=hosts)


def test_a_session_meeting_has_the_waiting_room_no_early_join_and_the_teacher_as_alternative_host(
        zoom: FakeZoom) -> None:
    room = meetings_on(zoom).ensure_meeting(plan())
    stored = zoom.meetings[room.meeting_id]
    assert room.join_url == stored["join_url"] and room.notes == ()
    assert stored["type"] == 2 and stored["start_time"] == "2027-03-16T21:30:00Z"
    assert stored["settings"]["waiting_room"] is True
    assert stored["settings"]["join_before_host"] is False
    assert stored["settings"]["alternative_hosts"] == TEACHER
    assert stored["settings"]["auto_recording"] == "none"
    assert stored["topic"].endswith("[mvusd-spring-2027/cyber-basics]")


def test_weekly_meetings_are_one_recurring_meeting_and_an_irregular_series_has_no_fixed_time(
        zoom: FakeZoom) -> None:
    first = datetime(2027, 4, 6, 16, 0, tzinfo=ZONE)  # a Tuesday
    weekly = tuple(first + timedelta(weeks=n) for n in range(6))
    room = meetings_on(zoom).ensure_meeting(plan("data-fellows", weekly, recording=True))
    stored = zoom.meetings[room.meeting_id]
    assert stored["type"] == 8
    assert stored["recurrence"] == {"type": 2, "repeat_interval": 1, "weekly_days": "3", "end_times": 6}
    assert stored["settings"]["auto_recording"] == "cloud"
    irregular = (weekly[0], weekly[1] + timedelta(days=2))
    meetings_on(zoom).update_meeting(room.meeting_id, plan("data-fellows", irregular))
    assert zoom.meetings[room.meeting_id]["type"] == 3
    assert "recurrence" not in zoom.meetings[room.meeting_id]


def test_a_second_ensure_finds_the_meeting_by_its_tag_and_never_creates_again(zoom: FakeZoom) -> None:
    meetings = meetings_on(zoom)
    first = meetings.ensure_meeting(plan())
    again = meetings.ensure_meeting(plan(recording=True))
    assert again.meeting_id == first.meeting_id
    assert zoom.count("zoom.meetings.create") == 1
    assert zoom.meetings[first.meeting_id]["settings"]["auto_recording"] == "cloud"


def test_a_create_whose_answer_was_lost_is_found_by_listing_not_made_twice(zoom: FakeZoom) -> None:
    zoom.faults.add("zoom.meetings.create", "drop_after", times=1)
    room = meetings_on(zoom).ensure_meeting(plan())
    assert len(zoom.with_marker(plan().marker)) == 1
    assert room.meeting_id == str(zoom.with_marker(plan().marker)[0]["id"])
    assert zoom.count("zoom.meetings.create") == 1
    assert zoom.count("zoom.meetings.list") == 2  # before, and after the lost answer


def test_a_create_refused_with_a_500_before_anything_was_made_is_tried_again_once(zoom: FakeZoom) -> None:
    zoom.faults.add("zoom.meetings.create", "500", times=1)
    meetings_on(zoom).ensure_meeting(plan())
    assert len(zoom.with_marker(plan().marker)) == 1
    assert zoom.count("zoom.meetings.create") == 2


def test_an_unlicensed_teacher_is_left_out_and_the_coordinator_told(zoom: FakeZoom) -> None:
    zoom.add_user(TEACHER, licensed=False)
    room = meetings_on(zoom).ensure_meeting(plan())
    assert zoom.meetings[room.meeting_id]["settings"]["alternative_hosts"] == ""
    assert len(room.notes) == 1 and "alternative host" in room.notes[0]
    assert RECORDING_UNAVAILABLE not in room.notes


def test_delete_is_safe_to_repeat(zoom: FakeZoom) -> None:
    meetings = meetings_on(zoom)
    room = meetings.ensure_meeting(plan())
    zoom.faults.add("zoom.meetings.delete", "drop_after", times=1)
    assert meetings.delete_meeting(room.meeting_id) is False  # applied, answer lost, retried: 404
    assert room.meeting_id in zoom.deleted and room.meeting_id not in zoom.meetings
    assert meetings.delete_meeting(room.meeting_id) is False


def test_participants_of_every_held_meeting_with_uuids_encoded_twice(zoom: FakeZoom) -> None:
    meetings = meetings_on(zoom)
    room = meetings.ensure_meeting(plan())
    start = datetime(2027, 3, 16, 15, 25, tzinfo=ZONE)
    zoom.add_past_instance(room.meeting_id, start, [
        ("ana@students.example", "Ana", start, start + timedelta(minutes=40)),
        ("ana@students.example", "Ana", start + timedelta(minutes=45), start + timedelta(minutes=95)),
        (None, "Phone", start, start + timedelta(minutes=10))])
    zoom.add_past_instance(room.meeting_id, start + timedelta(days=7), [
        ("ana@students.example", "Ana", start + timedelta(days=7), start + timedelta(days=7, minutes=5))])
    conferences = meetings.conferences(room.meeting_id)
    assert [len(c.participants) for c in conferences] == [3, 1]
    assert conferences[0].participants[0].user == "ana@students.example"
    assert conferences[0].participants[2].user is None
    assert conferences[0].end == start + timedelta(minutes=95)


def test_every_call_carries_a_token_with_the_scope_its_endpoint_needs(zoom: FakeZoom) -> None:
    zoom.add_app(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, [s for s in SCOPES if "list_meetings" not in s])
    with pytest.raises(Exception, match="4711"):
        meetings_on(zoom).ensure_meeting(plan())
    zoom.rejections.clear()  # the refusal was the point


def test_the_credentials_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "zoom.json"
    path.write_text('{"account_id": "a", "client_id": "c", "client_secret": "s"}', encoding="utf-8")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_credentials(path)
    os.chmod(path, 0o600)
    credentials = load_credentials(path)
    assert credentials.client_secret == "s" and "s'" not in repr(credentials)


def test_ten_percent_lost_answers_on_every_call_leave_one_meeting_per_session(zoom: FakeZoom) -> None:
    for method in ("zoom.meetings.*", "zoom.token"):
        zoom.faults.add(method, "drop_after", rate=0.10, seed=7)
    meetings = meetings_on(zoom)
    sessions = [f"session-{n}" for n in range(30)]
    for _ in range(2):  # a rerun, as cron's next day
        for session in sessions:
            meetings.ensure_meeting(plan(session))
    lost = sum(1 for c in zoom.calls if c.fault == "drop_after")
    assert lost > 5
    assert all(len(zoom.with_marker(plan(s).marker)) == 1 for s in sessions)
    assert len(zoom.meetings) == len(sessions)
