"""Attendance on the embedded local backend: conference-record files, the users file, the step."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from microintern.adapters.local import LocalDirectory, LocalMeetRecords
from microintern.bootstrap import local_ports, step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Conference, ConferenceParticipant, MeetSettings, Presence
from microintern.errors import BackendError
from microintern.ports import Directory, MeetRecords
from microintern.steps.attendance import take_attendance
from microintern.steps.context import StepContext
from microintern.steps.setup import initialise

ZONE = ZoneInfo("America/Los_Angeles")
START = datetime(2027, 3, 16, 15, 30, tzinfo=ZONE)   # cyber-basics, 90 minutes
DOMAIN = "students.mesavalley.example"


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def person(name: str, user: str | None, *spans: tuple[float, float | None]) -> ConferenceParticipant:
    return ConferenceParticipant(
        name=f"conferenceRecords/c1/participants/{name}", user=user, display_name=name,
        presences=tuple(Presence(at(a), at(b) if b is not None else None) for a, b in spans))


def call(*people: ConferenceParticipant, name: str = "c1", start: float = -10,
         end: float | None = 95) -> Conference:
    return Conference(f"conferenceRecords/{name}", at(start), at(end) if end is not None else None, people)


# --- the adapters --------------------------------------------------------------------------------


def test_records_round_trip_privately_and_idempotently(tmp_path: Path) -> None:
    records: MeetRecords = LocalMeetRecords(tmp_path / "meet")
    assert records.conferences("spaces/abc-defg-hij") == []
    store = LocalMeetRecords(tmp_path / "meet")
    first = call(person("ana", "users/1", (0, 30), (35, None)), person("phone", None, (5, 20)))
    store.record("spaces/abc-defg-hij", [first])
    store.record("spaces/abc-defg-hij", [first, call(name="c0", start=-60, end=-50)])
    found = records.conferences("spaces/abc-defg-hij")
    assert [c.name for c in found] == ["conferenceRecords/c0", "conferenceRecords/c1"]
    assert found[1] == first
    path = store.path("spaces/abc-defg-hij")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "@" not in path.read_text()          # participants by user id, never by address


def test_damaged_or_unsafe_files_are_named(tmp_path: Path) -> None:
    store = LocalMeetRecords(tmp_path)
    store.path("spaces/abc-defg-hij").write_text("{not json", encoding="utf-8")
    with pytest.raises(BackendError, match=r"abc-defg-hij\.conferences\.json is damaged"):
        store.conferences("spaces/abc-defg-hij")
    store.path("spaces/abc-defg-hij").write_text(
        '{"conferences": [{"name": "conferenceRecords/x", "start": "2027-03-16 15:30"}]}', encoding="utf-8")
    with pytest.raises(BackendError, match="has no UTC offset"):
        store.conferences("spaces/abc-defg-hij")
    with pytest.raises(ValueError, match="cannot name a local file"):
        store.conferences("spaces/../../etc")


def test_directory_reads_the_users_file(tmp_path: Path) -> None:
    directory: Directory = LocalDirectory(tmp_path)
    assert directory.email_of("users/1") is None
    LocalDirectory(tmp_path).add({"users/1": "ana@school.example"})
    LocalDirectory(tmp_path).add({"users/1": "ana@school.example"})   # again: nothing changes
    assert directory.email_of("users/1") == "ana@school.example"
    assert directory.email_of("users/bo@school.example") == "bo@school.example"
    assert directory.email_of("users/2") is None
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600


# --- the step ------------------------------------------------------------------------------------


def context(config: ProgramConfig, when: datetime) -> StepContext:
    return step_context(config, when, ports=local_ports(config))


def seed(config: ProgramConfig, students: int = 4) -> str:
    """Placed students of cyber-basics, their space, and the users file."""
    ctx = context(config, START - timedelta(days=20))
    roster = ctx.ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"S-{n}", "School email address": f"s{n}@{DOMAIN}"} for n in range(students)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"S-{n}", sheet.SESSION_ID: "cyber-basics", sheet.PLACEMENT: "placed"}
        for n in range(students)])
    space = ctx.ports.meet.create_space(MeetSettings()).name
    roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, [{sheet.SESSION_ID: "cyber-basics",
                                                      sheet.SESSION_MEET_SPACE: space}])
    folder = config.resolve(config.local.folder) / "meet"
    LocalDirectory(folder).add({f"users/{n}": f"s{n}@{DOMAIN}" for n in range(students)})
    return space


def cells(config: ProgramConfig) -> dict[str, tuple[object, ...]]:
    rows = local_ports(config).roster.read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    return {str(r[sheet.APPLICANT_ID]): (r.get(sheet.MINUTES), r.get(sheet.MEETINGS_ATTENDED),
                                         r.get(sheet.ATTENDED)) for r in rows}


def test_the_step_on_local_records(config_file: Path) -> None:
    config = load_config(config_file)
    space = seed(config)
    LocalMeetRecords(config.resolve(config.local.folder) / "meet").record(space, [call(
        person("s0", "users/0", (0, 90)),
        person("s1", "users/1", (0, 20), (25, 90)),          # dropped, came back
        person("s2", "users/2", (0, 40)),
        person("guest", None, (0, 10)),
        person("teacher", f"users/{config.session('cyber-basics').teacher.email}", (-10, 95)))])
    day_after = START + timedelta(hours=15)
    result = take_attendance(context(config, day_after), ["cyber-basics"])
    assert cells(config) == {"S-0": (90, "1 of 1", "yes"), "S-1": (85, "1 of 1", "yes"),
                             "S-2": (40, "0 of 1", "no"), "S-3": (0, "0 of 1", "no")}
    assert result.counts["unknown participants"] == 2          # the guest and the teacher
    assert result.counts["rows written"] == 4
    assert any("1 participant(s) are not placed students" in p and "guest" not in p
               for p in result.problems)
    again = take_attendance(context(config, day_after + timedelta(days=1)), ["cyber-basics"])
    assert again.counts["rows written"] == 0


def test_no_records_file_is_no_record_yet(config_file: Path) -> None:
    config = load_config(config_file)
    seed(config, students=2)
    result = take_attendance(context(config, START + timedelta(days=1)), ["cyber-basics"])
    assert any("has no Meet conference record yet" in p for p in result.problems)
    assert cells(config)["S-0"] == (None, None, None)
