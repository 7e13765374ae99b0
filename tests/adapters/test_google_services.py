"""Calendar, Meet and Drive adapters and both sign-in paths, against the fake over HTTP."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from adapters.conftest import PROGRAM_USER
from fakeworkspace import FakeWorkspace, write_authorized_user_file

from microintern.adapters.google import scopes
from microintern.adapters.google.auth import (
    service_account_credentials,
    user_credentials_from_token,
)
from microintern.adapters.google.calendar import GoogleCalendar
from microintern.adapters.google.drive import GoogleDriveFolders
from microintern.adapters.google.meet import GoogleMeetRooms
from microintern.adapters.google.transport import GoogleTransport
from microintern.domain.records import CalendarEvent, EventStatus, MeetSettings
from microintern.domain.sessions import ATTENDANCE_UNAVAILABLE, RECORDING_UNAVAILABLE
from microintern.errors import BackendError, ConfigError

LA = ZoneInfo("America/Los_Angeles")


def session_event(**changes: object) -> CalendarEvent:
    start = datetime(2027, 3, 16, 15, 30, tzinfo=LA)
    values: dict[str, object] = {
        "event_id": "mvusd0c0basics0m1",
        "summary": "Defend the Network: a Day in Cybersecurity",
        "description": "Micro-internship with Solis Cyber Defense",
        "start": start, "end": start + timedelta(minutes=90),
        "time_zone": "America/Los_Angeles",
        "attendees": ("a@students.mesavalley.example", "b@students.mesavalley.example",
                      "m.ortega@soliscyber.example"),
        "meet_uri": "https://meet.google.com/abc-defg-hij",
    }
    values.update(changes)
    return CalendarEvent(**values)  # type: ignore[arg-type]


def test_calendar_insert_is_idempotent_and_reschedule_patches(
        fake: FakeWorkspace, transport: GoogleTransport) -> None:
    calendar = GoogleCalendar(transport.service("calendar", "v3"))
    calendar.upsert_event("primary", session_event())
    calendar.upsert_event("primary", session_event())  # rerun: 409, then a patch
    moved = session_event(start=datetime(2027, 3, 17, 15, 30, tzinfo=LA),
                          end=datetime(2027, 3, 17, 17, 0, tzinfo=LA))
    calendar.upsert_event("primary", moved)
    events = fake.calendar.events(PROGRAM_USER)
    assert len(events) == 1
    event = events[0]
    assert event["id"] == "mvusd0c0basics0m1"
    assert event["guestsCanSeeOtherGuests"] is False
    assert event["start"]["dateTime"].startswith("2027-03-17T15:30:00-07:00")
    assert event["start"]["timeZone"] == "America/Los_Angeles"
    assert fake.count("calendar.events.insert") == 3
    assert fake.count("calendar.events.patch") == 2


def test_calendar_cancel(fake: FakeWorkspace, transport: GoogleTransport) -> None:
    calendar = GoogleCalendar(transport.service("calendar", "v3"))
    calendar.upsert_event("primary", session_event())
    calendar.upsert_event("primary", session_event(status=EventStatus.CANCELLED))
    (event,) = fake.calendar.events(PROGRAM_USER)
    assert event["status"] == "cancelled"


def test_meet_space_restricted_with_cohost(fake: FakeWorkspace, transport: GoogleTransport) -> None:
    rooms = GoogleMeetRooms(transport.service("meet", "v2"))
    space = rooms.create_space(MeetSettings(cohosts=("m.ortega@soliscyber.example",)))
    stored = fake.meet.space(space.name)
    assert stored["config"]["accessType"] == "RESTRICTED"
    assert stored["config"]["moderation"] == "ON"
    assert stored["config"]["artifactConfig"]["recordingConfig"]["autoRecordingGeneration"] == "OFF"
    assert space.meeting_uri.startswith("https://meet.google.com/")
    assert fake.count("meet.spaces.members.create") == 1
    assert space.notes == ()


def test_meet_create_waits_out_a_refusal_but_never_repeats_an_unknown_outcome(
        fake: FakeWorkspace, transport: GoogleTransport) -> None:
    from microintern.adapters.google.transport import Retry

    waits: list[float] = []
    rooms = GoogleMeetRooms(transport.service("meet", "v2"), retry=Retry(sleep=waits.append))
    # Meet's 10 creates a minute: a 429 made nothing, so the same create is sent again.
    fake.faults.add("meet.spaces.create", "429", times=2, retry_after=0)
    rooms.create_space(MeetSettings())
    assert len(fake.meet.spaces) == 1 and len(waits) == 2
    # A 500 may have created the space: it is not repeated, the caller learns of it.
    fake.faults.add("meet.spaces.create", "500", times=1)
    with pytest.raises(BackendError):
        rooms.create_space(MeetSettings())
    assert fake.count("meet.spaces.create") == 4


def test_calendar_cancel_changes_only_the_status_and_tells_the_guests(
        fake: FakeWorkspace, transport: GoogleTransport) -> None:
    calendar = GoogleCalendar(transport.service("calendar", "v3"))
    calendar.upsert_event("primary", session_event())
    # The students were moved out of the cancelled session: they must still hear it is off.
    calendar.upsert_event("primary", session_event(attendees=("m.ortega@soliscyber.example",),
                                                   status=EventStatus.CANCELLED))
    (event,) = fake.calendar.events(PROGRAM_USER)
    assert event["status"] == "cancelled"
    assert len(event["attendees"]) == 3
    (patch,) = fake.calls_to("calendar.events.patch")
    assert patch.body == {"status": "cancelled"}
    assert fake.calendar.notifications[-1].send_updates == "all"
    # Cancelling an event that was never written writes nothing.
    assert calendar.upsert_event("primary", session_event(event_id="neverwritten1",
                                                          status=EventStatus.CANCELLED)) == ""
    assert len(fake.calendar.events(PROGRAM_USER)) == 1


def recording_of(space: dict) -> str | None:
    return space["config"].get("artifactConfig", {}).get("recordingConfig", {}).get(
        "autoRecordingGeneration")


def test_meet_update_space_patches_config_and_adds_only_missing_cohosts(
        fake: FakeWorkspace, transport: GoogleTransport) -> None:
    rooms = GoogleMeetRooms(transport.service("meet", "v2"))
    space = rooms.create_space(MeetSettings(cohosts=("m.ortega@soliscyber.example",)))
    fake.reset_calls()
    updated = rooms.update_space(space.name, MeetSettings(
        auto_recording=True, attendance_report=False,
        cohosts=("M.Ortega@soliscyber.example", "luis.carrillo@mesavalley.example")))
    assert (updated.name, updated.meeting_uri, updated.notes) == (space.name, space.meeting_uri, ())
    stored = fake.meet.space(space.name)
    assert recording_of(stored) == "ON"
    assert stored["config"]["attendanceReportGenerationType"] == "DO_NOT_GENERATE"
    assert stored["config"]["accessType"] == "RESTRICTED"
    (patch,) = fake.calls_to("meet.spaces.patch")
    assert set(patch.query["updateMask"][0].split(",")) == {
        "config.accessType", "config.moderation",
        "config.artifactConfig.recordingConfig.autoRecordingGeneration",
        "config.attendanceReportGenerationType"}
    assert fake.count("meet.spaces.members.create") == 1  # the teacher; the partner was there
    members = fake.meet.members[space.name].values()
    assert sorted((m["email"], m["role"]) for m in members) == [
        ("luis.carrillo@mesavalley.example", "COHOST"), ("m.ortega@soliscyber.example", "COHOST")]


def test_meet_update_of_a_gone_space_is_a_404(fake: FakeWorkspace, transport: GoogleTransport) -> None:
    rooms = GoogleMeetRooms(transport.service("meet", "v2"))
    with pytest.raises(BackendError) as caught:
        rooms.update_space("spaces/gone0000", MeetSettings())
    assert caught.value.code == 404


def test_meet_features_the_edition_refuses_become_notes(
        fake: FakeWorkspace, transport: GoogleTransport) -> None:
    fake.meet.deny("artifactConfig.recordingConfig")
    rooms = GoogleMeetRooms(transport.service("meet", "v2"))
    wanted = rooms.create_space(MeetSettings(auto_recording=True))
    assert wanted.notes == (RECORDING_UNAVAILABLE,)
    assert recording_of(fake.meet.space(wanted.name)) is None
    assert fake.meet.space(wanted.name)["config"]["accessType"] == "RESTRICTED"
    # Recording not wanted: nothing to say, and the space is made all the same.
    assert rooms.create_space(MeetSettings(auto_recording=False)).notes == ()
    assert [c.status for c in fake.calls_to("meet.spaces.create")] == [403, 200, 403, 200]

    fake.meet.deny("attendanceReportGenerationType")
    updated = rooms.update_space(wanted.name, MeetSettings(auto_recording=True, moderation=False))
    assert set(updated.notes) == {RECORDING_UNAVAILABLE, ATTENDANCE_UNAVAILABLE}
    assert fake.meet.space(wanted.name)["config"]["moderation"] == "OFF"


def test_drive_folder_is_found_not_duplicated_and_shared_only_as_asked(
        fake: FakeWorkspace, transport: GoogleTransport) -> None:
    drive = GoogleDriveFolders(transport.service("drive", "v3"))
    parent = drive.ensure_folder("Mesa Valley Micro-Internships")
    first = drive.ensure_folder("cyber-basics submissions", parent)
    again = drive.ensure_folder("cyber-basics submissions", parent)
    assert first == again
    drive.share(first, "m.ortega@soliscyber.example", "commenter")
    drive.share(first, "luis.carrillo@mesavalley.example", "writer")
    shared = drive.shared_with(first)
    assert shared["m.ortega@soliscyber.example"] == "commenter"
    assert shared["luis.carrillo@mesavalley.example"] == "writer"
    assert not any(a.endswith("@students.mesavalley.example") for a in shared)
    with pytest.raises(ValueError, match="role"):
        drive.share(first, "x@mesavalley.example", "owner")


def test_a_same_named_folder_someone_else_made_is_never_taken_for_the_programs(
        fake: FakeWorkspace, transport: GoogleTransport) -> None:
    # A student makes a folder with the session folder's name and shares it with the program
    # account: filing classmates' folders into it would show them all to that student.
    name = "Mesa Valley / Data Fellows — submissions"
    planted = fake.drive.add_file(name, "application/vnd.google-apps.folder",
                                  "student@students.mesavalley.example")
    drive = GoogleDriveFolders(transport.service("drive", "v3"))
    made = drive.ensure_folder(name)
    assert made != planted["id"]
    assert drive.ensure_folder(name) == made  # and the program's own is found again


def test_oauth_token_is_refreshed_through_token_uri_and_saved_private(
        tmp_path: Path, fake: FakeWorkspace) -> None:
    token = write_authorized_user_file(tmp_path / "token.json", fake, PROGRAM_USER, scopes.ALL)
    creds = user_credentials_from_token(token, scopes=scopes.ALL)
    assert creds.valid
    assert fake.count("oauth.token") == 1
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    drive = GoogleDriveFolders(GoogleTransport(creds, endpoint=fake.url).service("drive", "v3"))
    assert drive.ensure_folder("signed in by oauth")


def test_revoked_refresh_token_asks_for_login(tmp_path: Path, fake: FakeWorkspace) -> None:
    token = write_authorized_user_file(tmp_path / "token.json", fake, PROGRAM_USER, scopes.ALL)
    saved = json.loads(token.read_text(encoding="utf-8"))
    token.write_text(json.dumps({**saved, "refresh_token": "1//revoked"}), encoding="utf-8")
    with pytest.raises(BackendError, match="run `microintern login`"):
        user_credentials_from_token(token, scopes=scopes.ALL)


def test_missing_or_wrong_credentials_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        service_account_credentials(tmp_path / "absent.json", subject=PROGRAM_USER, scopes=scopes.ALL)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"type": "authorized_user"}', encoding="utf-8")
    with pytest.raises(ConfigError, match="service_account"):
        service_account_credentials(wrong, subject=PROGRAM_USER, scopes=scopes.ALL)
