"""The sessions step on the Google backend, over real HTTP against the fake Workspace.

The tabs are seeded through the real roster port; assertions are on the fake's state (events,
spaces, members, cells, notifications) and on the calls it received, never on mocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.sessions import RECORDING_UNAVAILABLE, event_id
from microintern.errors import RowError
from microintern.steps.context import StepContext, StepResult
from microintern.steps.sessions import build_sessions
from microintern.steps.setup import initialise
from microintern.steps.sheet.sessions import read_session_plans

PROGRAM = "mvusd-spring-2027"
STUDENT_DOMAIN = "students.mesavalley.example"
FOUR = ("cyber-basics", "health-careers", "site-planning", "data-fellows")


def context(config: ProgramConfig, when: str = "2027-02-20 06:30") -> StepContext:
    now = datetime.fromisoformat(when).replace(tzinfo=config.zone)
    return step_context(config, now)


def student(session_id: str, n: int) -> str:
    return f"S-{session_id}-{n}"


def seed(ctx: StepContext, *, students: int = 4, consent: str = "Yes",
         recording: dict[str, str] | None = None, sessions: Iterable[str] = FOUR,
         partner_status: str = "confirmed") -> None:
    """Applications, Participants and Partners rows, written through the real roster port."""
    config = ctx.config
    roster = ctx.ports.roster
    initialise(config, roster)
    applications, participants = [], []
    for session_id in sessions:
        for n in range(students):
            applicant = student(session_id, n)
            applications.append({sheet.APPLICANT_ID: applicant, "First name": f"Firstname{n}",
                                 "Last name": f"Lastname{session_id[:4]}",
                                 "School email address": f"{session_id}.{n}@{STUDENT_DOMAIN}"})
            participants.append({sheet.APPLICANT_ID: applicant, "First name": f"Firstname{n}",
                                 "Last name": f"Lastname{session_id[:4]}", sheet.SESSION_ID: session_id,
                                 sheet.PLACEMENT: "placed",
                                 sheet.RECORDING_ALLOWED: (recording or {}).get(applicant, "Yes")})
    # A waitlisted student is never invited and never counts for recording.
    participants.append({sheet.APPLICANT_ID: "S-waiting", sheet.SESSION_ID: "cyber-basics",
                         sheet.PLACEMENT: "waitlisted", sheet.RECORDING_ALLOWED: "No"})
    applications.append({sheet.APPLICANT_ID: "S-waiting", "First name": "Waiting",
                         "School email address": f"waiting@{STUDENT_DOMAIN}"})
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, applications)
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, participants)
    roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: p.id, "Organization": p.organization, "Email": p.contact.email,
         sheet.PARTNER_STATUS: partner_status, "Recording consent": consent}
        for p in config.partners])


def edit_session(ctx: StepContext, session_id: str, **cells: Any) -> None:
    """The coordinator edits cells of a Sessions row."""
    ctx.ports.roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, [{sheet.SESSION_ID: session_id, **cells}])


def sessions_tab(fake: FakeWorkspace, tab: str = sheet.SESSIONS, key: str = sheet.SESSION_ID
                 ) -> dict[str, dict[str, Any]]:
    values = fake.sheets.values(SPREADSHEET_ID, tab)
    header = [str(h) for h in values[0]]
    rows = [dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=True)) for row in values[1:]]
    return {str(r[key]): r for r in rows if r.get(key)}


def events(fake: FakeWorkspace) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in fake.calendar.events(PROGRAM_USER)}


def event_of(fake: FakeWorkspace, session_id: str, number: int = 1) -> dict[str, Any]:
    return fake.calendar.event(PROGRAM_USER, event_id(PROGRAM, session_id, number))


def guest_emails(event: dict[str, Any]) -> set[str]:
    return {a["email"] for a in event.get("attendees", [])}


def recording_of(space: dict[str, Any]) -> str | None:
    return space["config"].get("artifactConfig", {}).get("recordingConfig", {}).get(
        "autoRecordingGeneration")


def google_calls(fake: FakeWorkspace) -> dict[str, int]:
    return {name: fake.count(name + ".") for name in ("sheets", "calendar", "meet")}


# --- building, and rebuilding nothing ------------------------------------------------------------


def test_build_once_then_a_rerun_makes_no_calendar_or_meet_call(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx)
    fake.reset_calls()
    result = build_sessions(ctx)
    first = google_calls(fake)
    assert result.counts["spaces created"] == 4
    assert result.counts["events written"] == 1 + 1 + 1 + 6
    assert result.problems == []
    # Per session: spaces.get by meeting code, one patch of its config, two co-hosts.
    assert first["meet"] == 4 * (1 + 1 + 2)
    # Calendar makes each space through the session's first event (inserted without guests),
    # which is then patched with guests and link; the 5 other events are one insert each.
    assert first["calendar"] == 4 + 4 + 5
    assert fake.count("meet.spaces.create") == 0 and len(fake.meet.spaces) == 4

    tab = sessions_tab(fake)
    stored = events(fake)
    assert len(stored) == 9
    for session_id in FOUR:
        row = tab[session_id]
        space = fake.meet.space(row[sheet.SESSION_MEET_SPACE])
        assert row[sheet.SESSION_MEET_LINK] == space["meetingUri"]
        assert space["config"]["accessType"] == "RESTRICTED"
        assert space["config"]["moderation"] == "ON"
        assert space["config"]["attendanceReportGenerationType"] == "GENERATE_REPORT"
        assert row[sheet.SESSION_RECORDING].startswith("on: all 4 release forms")
        assert row[sheet.SESSION_BUILT] == "2027-02-20 06:30"
        first_event = event_of(fake, session_id)
        assert space["meetingUri"] in first_event["description"]
        assert first_event["conferenceData"]["conferenceId"] == space["meetingCode"]
        session = google_program.config.session(session_id)
        assert first_event["summary"] == session.title
        assert guest_emails(first_event) == {
            *(f"{session_id}.{n}@{STUDENT_DOMAIN}" for n in range(4)),
            next(p.contact.email for p in google_program.config.partners if p.id == session.partner),
            session.teacher.email}
    for event in stored.values():
        assert event["guestsCanSeeOtherGuests"] is False
        assert event["reminders"] == {"useDefault": False, "overrides": [
            {"method": "email", "minutes": 1440}, {"method": "popup", "minutes": 30}]}
        assert "Firstname" not in event["description"] and "Lastname" not in event["description"]
        assert "waiting@" not in str(event["attendees"])
        assert "opens the room at" in event["description"]
    assert sessions_tab(fake, sheet.PARTNERS, sheet.PARTNER_ID)["solis-cyber"][sheet.PARTNER_STATUS] == \
        "session built"

    fake.reset_calls()
    again = build_sessions(ctx)
    assert google_calls(fake) == {"sheets": 1, "calendar": 0, "meet": 0}  # one read, no write
    assert again.counts == {"unchanged": 4}
    print(f"\nsessions, 4 sessions / 9 events: first build {first}, rerun {google_calls(fake)}")


def test_cohosts_are_members_with_the_cohost_role(fake: FakeWorkspace,
                                                  google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx, sessions=["cyber-basics"])
    build_sessions(ctx, ["cyber-basics"])
    space = sessions_tab(fake)["cyber-basics"][sheet.SESSION_MEET_SPACE]
    members = fake.meet.members[space].values()
    assert sorted((m["email"], m["role"]) for m in members) == [
        ("luis.carrillo@mesavalley.example", "COHOST"), ("m.ortega@soliscyber.example", "COHOST")]


def test_sessions_without_placed_students_wait(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx, sessions=["cyber-basics"])
    result = build_sessions(ctx)
    assert result.counts["waiting for students"] == 3
    assert {e["summary"] for e in events(fake).values()} == {
        google_program.config.session("cyber-basics").title}
    assert len(fake.meet.spaces) == 1


# --- the coordinator changes the plan ------------------------------------------------------------


def test_reschedule_and_a_new_student_patch_the_same_event(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx)
    build_sessions(ctx)
    edit_session(ctx, "cyber-basics", **{sheet.SESSION_MEETINGS: "2027-03-17 16:00"})
    ctx.ports.roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [{
        sheet.APPLICANT_ID: "S-late", "School email address": f"late@{STUDENT_DOMAIN}"}])
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [{
        sheet.APPLICANT_ID: "S-late", sheet.SESSION_ID: "health-careers", sheet.PLACEMENT: "override",
        sheet.RECORDING_ALLOWED: "Yes"}])
    fake.reset_calls()
    before = len(fake.calendar.notifications)
    result = build_sessions(ctx)
    assert result.counts["events written"] == 2
    assert fake.count("meet.") == 0  # recording stays on: only the Recording note's count moves
    assert sessions_tab(fake)["health-careers"][sheet.SESSION_RECORDING].startswith("on: all 5 release")
    moved = event_of(fake, "cyber-basics")
    assert moved["start"] == {"dateTime": "2027-03-17T16:00:00-07:00", "timeZone": "America/Los_Angeles"}
    # 0: made with its Meet space (no guests), 1: guests and link, 2: the new time.
    assert moved["sequence"] == 2
    assert f"late@{STUDENT_DOMAIN}" in guest_emails(event_of(fake, "health-careers"))
    assert len(events(fake)) == 9  # the same ids, patched: no duplicate
    patched = [n for n in fake.calendar.notifications[before:] if n.method_id == "calendar.events.patch"]
    assert {n.event_id for n in patched} == {event_id(PROGRAM, "cyber-basics", 1),
                                             event_id(PROGRAM, "health-careers", 1)}
    assert all(n.send_updates == "all" for n in patched)


def test_cancelled_session_cancels_its_events_and_builds_no_meet(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx)
    build_sessions(ctx)
    edit_session(ctx, "data-fellows", **{sheet.SESSION_STATUS: "cancelled"})
    fake.reset_calls()
    result = build_sessions(ctx)
    assert result.counts["events cancelled"] == 6
    assert fake.count("meet.") == 0
    cancelled = [event_of(fake, "data-fellows", n) for n in range(1, 7)]
    assert all(e["status"] == "cancelled" for e in cancelled)
    assert all(len(e["attendees"]) == 6 for e in cancelled)  # every guest is told
    notified = [n for n in fake.calendar.notifications if n.event_id == cancelled[0]["id"]]
    assert notified[-1].send_updates == "all"
    assert event_of(fake, "cyber-basics")["status"] == "confirmed"
    fake.reset_calls()
    build_sessions(ctx)
    assert fake.count("calendar.") == 0

    # Called back on: the same events are restored, not duplicated.
    edit_session(ctx, "data-fellows", **{sheet.SESSION_STATUS: "scheduled"})
    build_sessions(ctx)
    assert all(event_of(fake, "data-fellows", n)["status"] == "confirmed" for n in range(1, 7))
    assert len(events(fake)) == 9


def test_meetings_taken_off_the_list_are_cancelled(fake: FakeWorkspace,
                                                   google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx, sessions=["data-fellows"])
    build_sessions(ctx)
    edit_session(ctx, "data-fellows", **{sheet.SESSION_MEETINGS: "; ".join(
        f"2027-04-{d:02d} 16:00" for d in (6, 13, 20, 27))})
    fake.reset_calls()
    result = build_sessions(ctx)
    assert result.counts == {"events cancelled": 2, "waiting for students": 3}
    assert [event_of(fake, "data-fellows", n)["status"] for n in range(1, 7)] == \
        ["confirmed"] * 4 + ["cancelled"] * 2
    assert fake.count("calendar.") == 2


def test_a_bad_meetings_cell_names_the_session_and_field(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx)
    build_sessions(ctx)
    edit_session(ctx, "site-planning", **{sheet.SESSION_MEETINGS: "the 23rd at 3:30"})
    tabs = ctx.ports.roster.read_tabs([sheet.SESSIONS])
    with pytest.raises(RowError, match=r"Sessions, row site-planning, field 'Meetings': expected"):
        read_session_plans(ctx, tabs)


# --- recording -----------------------------------------------------------------------------------


def test_recording_waits_for_every_release_then_turns_on_by_update(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx, sessions=["cyber-basics"], recording={student("cyber-basics", 2): "No"})
    build_sessions(ctx)
    row = sessions_tab(fake)["cyber-basics"]
    space_name = row[sheet.SESSION_MEET_SPACE]
    assert recording_of(fake.meet.space(space_name)) == "OFF"
    assert row[sheet.SESSION_RECORDING] == "off: 1 of 4 release forms do not allow recording"

    # The family sends a new release form allowing it.
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [{
        sheet.APPLICANT_ID: student("cyber-basics", 2), sheet.RECORDING_ALLOWED: "Yes"}])
    fake.reset_calls()
    result = build_sessions(ctx)
    assert result.counts["spaces updated"] == 1
    assert fake.count("meet.spaces.patch") == 1 and fake.count("meet.spaces.create") == 0
    assert fake.count("meet.spaces.members.create") == 0  # both co-hosts are there already
    assert fake.count("calendar.") == 0                   # the events did not change
    assert recording_of(fake.meet.space(space_name)) == "ON"
    row = sessions_tab(fake)["cyber-basics"]
    assert row[sheet.SESSION_MEET_SPACE] == space_name
    assert row[sheet.SESSION_RECORDING].startswith("on: ")
    plans = read_session_plans(ctx, ctx.ports.roster.read_tabs([sheet.SESSIONS]))
    assert plans["cyber-basics"].recording is True


def test_recording_stays_off_without_the_partners_consent(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx, sessions=["cyber-basics"], consent="No")
    build_sessions(ctx)
    row = sessions_tab(fake)["cyber-basics"]
    assert recording_of(fake.meet.space(row[sheet.SESSION_MEET_SPACE])) == "OFF"
    assert row[sheet.SESSION_RECORDING] == "off: the partner has not agreed to recording"


def test_refused_auto_recording_degrades_with_a_note(fake: FakeWorkspace,
                                                     google_program: GoogleProgram) -> None:
    fake.meet.deny("artifactConfig.recordingConfig")
    ctx = context(google_program.config)
    seed(ctx, sessions=["cyber-basics"])
    result = build_sessions(ctx)
    assert result.counts["spaces created"] == 1
    assert result.problems == [f"cyber-basics: {RECORDING_UNAVAILABLE}"]
    row = sessions_tab(fake)["cyber-basics"]
    space = fake.meet.space(row[sheet.SESSION_MEET_SPACE])
    assert recording_of(space) is None and space["config"]["accessType"] == "RESTRICTED"
    assert row[sheet.SESSION_RECORDING] == f"off: {RECORDING_UNAVAILABLE}"
    assert len(fake.meet.spaces) == 1
    fake.reset_calls()
    build_sessions(ctx)
    assert google_calls(fake) == {"sheets": 1, "calendar": 0, "meet": 0}
    assert sessions_tab(fake)["cyber-basics"][sheet.SESSION_RECORDING] == f"off: {RECORDING_UNAVAILABLE}"


def test_a_space_deleted_by_hand_is_replaced(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx, sessions=["cyber-basics"], recording={student("cyber-basics", 0): "No"})
    build_sessions(ctx)
    old = sessions_tab(fake)["cyber-basics"][sheet.SESSION_MEET_SPACE]
    del fake.meet.spaces[old]
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [{
        sheet.APPLICANT_ID: student("cyber-basics", 0), sheet.RECORDING_ALLOWED: "Yes"}])
    result = build_sessions(ctx)
    assert result.counts["spaces created"] == 1
    row = sessions_tab(fake)["cyber-basics"]
    assert row[sheet.SESSION_MEET_SPACE] != old
    assert row[sheet.SESSION_MEET_LINK] in event_of(fake, "cyber-basics")["description"]
    assert any("no longer exists" in p for p in result.problems)


# --- partners ------------------------------------------------------------------------------------


def test_partner_status_moves_on_but_never_back(fake: FakeWorkspace,
                                                google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx, sessions=["cyber-basics", "health-careers"])
    ctx.ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "desert-health", sheet.PARTNER_STATUS: "thanked"}])
    build_sessions(ctx)
    partners = sessions_tab(fake, sheet.PARTNERS, sheet.PARTNER_ID)
    assert partners["solis-cyber"][sheet.PARTNER_STATUS] == "session built"
    assert partners["desert-health"][sheet.PARTNER_STATUS] == "thanked"
    assert partners["ridgeline-build"][sheet.PARTNER_STATUS] == "confirmed"  # nothing built yet


# --- time zones ------------------------------------------------------------------------------------


def other_program(google_program: GoogleProgram, zone: str, weekly: dict[str, Any]) -> ProgramConfig:
    """The fixture's program with another zone and data-fellows meeting ``weekly``."""
    path: Path = google_program.config_file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["program"]["time_zone"] = zone
    data["sessions"][3]["weekly"] = weekly
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_config(path)


def test_weekly_times_hold_across_dst_in_los_angeles(fake: FakeWorkspace,
                                                     google_program: GoogleProgram) -> None:
    config = other_program(google_program, "America/Los_Angeles", {"first": "2027-03-02 16:00", "count": 4})
    ctx = context(config)
    seed(ctx, sessions=["data-fellows"])
    build_sessions(ctx, ["data-fellows"])
    starts = [event_of(fake, "data-fellows", n)["start"] for n in range(1, 5)]
    assert [s["dateTime"] for s in starts] == [
        "2027-03-02T16:00:00-08:00", "2027-03-09T16:00:00-08:00",
        "2027-03-16T16:00:00-07:00", "2027-03-23T16:00:00-07:00"]
    assert {s["timeZone"] for s in starts} == {"America/Los_Angeles"}
    ends = [event_of(fake, "data-fellows", n)["end"]["dateTime"] for n in (2, 3)]
    assert ends == ["2027-03-09T17:30:00-08:00", "2027-03-16T17:30:00-07:00"]


def test_a_program_in_sydney_keeps_its_wall_times(fake: FakeWorkspace,
                                                  google_program: GoogleProgram) -> None:
    config = other_program(google_program, "Australia/Sydney", {"first": "2027-03-30 10:00", "count": 2})
    ctx = context(config)
    seed(ctx, sessions=["data-fellows"])
    build_sessions(ctx, ["data-fellows"])
    starts = [event_of(fake, "data-fellows", n)["start"] for n in (1, 2)]
    assert starts == [{"dateTime": "2027-03-30T10:00:00+11:00", "timeZone": "Australia/Sydney"},
                      {"dateTime": "2027-04-06T10:00:00+10:00", "timeZone": "Australia/Sydney"}]
    assert "opens the room at 9:45 AM" in event_of(fake, "data-fellows", 2)["description"]


def test_unknown_session_ids_are_reported(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config)
    seed(ctx, sessions=["cyber-basics"])
    result: StepResult = build_sessions(ctx, ["cyber-basics", "nope"])
    assert result.problems == ["no session 'nope' in the config"]
    assert result.counts["spaces created"] == 1
