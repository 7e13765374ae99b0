"""The attendance step on the Google backend, over real HTTP against the fake Workspace.

Conference records are seeded in the fake's Meet store (conference → participants → participant
sessions), users in its directory; the step reads them through googleapiclient exactly as it
would read Google. Assertions are on the cells of the Participants tab and the calls received.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from adapters.conftest import SPREADSHEET_ID, GoogleProgram
from fakeworkspace import FakeWorkspace, write_service_account_file

from microintern.adapters.google import scopes
from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.attendance import RECORDS_GONE
from microintern.steps.attendance import take_attendance
from microintern.steps.context import StepContext
from microintern.steps.setup import initialise
from microintern.steps.sheet.sessions import read_session_plans

ZONE = ZoneInfo("America/Los_Angeles")
STUDENT_DOMAIN = "students.mesavalley.example"
PARTNER = "m.ortega@soliscyber.example"        # solis-cyber, cyber-basics
TEACHER = "luis.carrillo@mesavalley.example"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def context(config: ProgramConfig, fake: FakeWorkspace, when: str) -> StepContext:
    """The step's context at ``when``; the fake's Meet expires records at the same moment."""
    now = local(when)
    fake.meet.clock = lambda: now
    return step_context(config, now)


def email(session_id: str, n: int) -> str:
    return f"{session_id}.{n}@{STUDENT_DOMAIN}"


SESSION_NUMBERS = {"cyber-basics": 1, "health-careers": 2, "site-planning": 3, "data-fellows": 4}


def user_id(session_id: str, n: int) -> str:
    """A numeric Google user id, as Meet gives them."""
    return f"10{SESSION_NUMBERS[session_id]}{n:03d}"


def seed(ctx: StepContext, fake: FakeWorkspace, session_id: str, students: int) -> str:
    """Applications and placed Participants, the students in the directory, a Meet space."""
    roster = ctx.ports.roster
    initialise(ctx.config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"S-{session_id}-{n}", "First name": f"First{n}",
         "School email address": email(session_id, n)} for n in range(students)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"S-{session_id}-{n}", sheet.SESSION_ID: session_id,
         sheet.PLACEMENT: "placed"} for n in range(students)])
    for n in range(students):
        fake.directory.add_user(user_id(session_id, n), email(session_id, n), f"First{n} Student")
    fake.directory.add_user("900", PARTNER, "Marisol Ortega")
    fake.directory.add_user("901", TEACHER, "Luis Carrillo")
    space = fake.meet.create_space("internships@mesavalley.example")["name"]
    roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, [{sheet.SESSION_ID: session_id,
                                                      sheet.SESSION_MEET_SPACE: space}])
    read_session_plans(ctx, roster.read_tabs([sheet.SESSIONS]))  # the config's cells, as sessions did
    return space


def join(fake: FakeWorkspace, record: str, display: str, *spans: tuple[str, str | None],
         user: str | None = None, phone: bool = False) -> None:
    """A participant with one participant session per (start, end) local time."""
    name = fake.meet.add_participant(record, display, user=user, phone=phone)
    for start, end in spans:
        fake.meet.add_participant_session(name, local(start), local(end) if end else None)


def participants(fake: FakeWorkspace) -> dict[str, dict[str, Any]]:
    values = fake.sheets.values(SPREADSHEET_ID, sheet.PARTICIPANTS)
    header = [str(h) for h in values[0]]
    rows = [dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=True)) for row in values[1:]]
    return {str(r[sheet.APPLICANT_ID]): r for r in rows if r.get(sheet.APPLICANT_ID)}


def figures(row: dict[str, Any]) -> tuple[Any, Any, Any]:
    return row[sheet.MINUTES], row[sheet.MEETINGS_ATTENDED], row[sheet.ATTENDED]


def seed_cyber_meeting(fake: FakeWorkspace, space: str) -> None:
    """cyber-basics, 2027-03-16 15:30-17:00: who came, how long, and who else was there."""
    day = "2027-03-16"
    record = fake.meet.add_conference_record(space, local(f"{day} 15:15"), local(f"{day} 17:05"))
    s = "cyber-basics"
    join(fake, record, "First0", (f"{day} 15:28", f"{day} 17:01"), user=f"users/{user_id(s, 0)}")
    # Dropped twice and came back; a phone joined as well, overlapping the laptop.
    join(fake, record, "First1", (f"{day} 15:30", f"{day} 15:50"), (f"{day} 15:55", f"{day} 16:30"),
         (f"{day} 16:35", f"{day} 17:00"), (f"{day} 16:20", f"{day} 16:40"), user=f"users/{user_id(s, 1)}")
    join(fake, record, "First2", (f"{day} 15:30", f"{day} 16:10"), user=f"users/{user_id(s, 2)}")
    # First3 never came.
    join(fake, record, "Marisol Ortega", (f"{day} 15:20", f"{day} 17:02"), user="users/900")
    join(fake, record, "Luis Carrillo", (f"{day} 15:15", f"{day} 17:05"), user="users/901")
    join(fake, record, "Guest 7", (f"{day} 15:40", f"{day} 15:50"))
    join(fake, record, "(555) 010-0199", (f"{day} 15:31", f"{day} 15:45"), phone=True)
    join(fake, record, "Visitor", (f"{day} 15:31", f"{day} 15:45"), user="users/777")  # not in the domain


def calls(fake: FakeWorkspace) -> dict[str, int]:
    return {name: fake.count(name + ".") for name in ("sheets", "meet", "people", "directory")}


# --- one meeting --------------------------------------------------------------------------------


def test_minutes_rejoins_and_unknown_participants(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 4)
    seed_cyber_meeting(fake, space)
    fake.reset_calls()
    result = take_attendance(ctx, ["cyber-basics"])

    rows = participants(fake)
    assert figures(rows["S-cyber-basics-0"]) == (93, "1 of 1", "yes")   # 15:28-17:01
    assert figures(rows["S-cyber-basics-1"]) == (85, "1 of 1", "yes")   # 20 + 15:55-17:00 merged
    assert figures(rows["S-cyber-basics-2"]) == (40, "0 of 1", "no")
    assert figures(rows["S-cyber-basics-3"]) == (0, "0 of 1", "no")
    assert rows["S-cyber-basics-1"][sheet.ATTENDANCE_NOTE] == "Meet; minutes by meeting: 2027-03-16 85"
    assert rows["S-cyber-basics-3"][sheet.ATTENDANCE_NOTE].startswith("not in Meet")

    # Partner, teacher, guest, phone caller, outside account: counted; only strangers named.
    assert result.counts["unknown participants"] == 5
    assert result.counts["attended yes"] == 2 and result.counts["attended no"] == 2
    [problem] = result.problems
    # Counted, never named: not a display name, not a phone number, never an address.
    assert "3 participant(s) are not placed students" in problem
    assert "(1 signed in, 2 not signed in)" in problem
    for named in ("Guest 7", "555", "Visitor", "Ortega", "Carrillo", "@"):
        assert named not in problem

    # 1 records list + 1 participants list + 8 participant sessions lists; 6 signed-in users asked.
    # Sheets: read, write, the roster's read-back of its write.
    assert calls(fake) == {"sheets": 4, "meet": 10, "people": 6, "directory": 0}

    fake.reset_calls()
    again = take_attendance(ctx, ["cyber-basics"])
    assert calls(fake) == {"sheets": 1, "meet": 10, "people": 6, "directory": 0}  # read, no write
    assert again.counts["rows written"] == 0
    assert participants(fake) == rows


def test_presences_are_clipped_to_the_conference(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    """Presences are clipped to the conference; a presence reaching past the end stops there."""
    ctx = context(google_program.config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 1)
    record = fake.meet.add_conference_record(space, local("2027-03-16 15:30"), local("2027-03-16 17:00"))
    join(fake, record, "First0", ("2027-03-16 15:00", "2027-03-16 15:45"), ("2027-03-16 16:30", None),
         user=f"users/{user_id('cyber-basics', 0)}")
    take_attendance(ctx, ["cyber-basics"])
    assert figures(participants(fake)["S-cyber-basics-0"]) == (45, "0 of 1", "no")


def test_the_coordinator_column_wins_and_is_the_fallback(fake: FakeWorkspace,
                                                         google_program: GoogleProgram) -> None:
    ctx = context(google_program.config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 4)
    seed_cyber_meeting(fake, space)
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "S-cyber-basics-2", sheet.ATTENDANCE: "yes"},
        {sheet.APPLICANT_ID: "S-cyber-basics-0", sheet.ATTENDANCE: "no"}])
    take_attendance(ctx, ["cyber-basics"])
    rows = participants(fake)
    assert figures(rows["S-cyber-basics-2"]) == (40, "0 of 1", "yes")
    assert rows["S-cyber-basics-2"][sheet.ATTENDANCE_NOTE].startswith("coordinator (Meet says no)")
    assert figures(rows["S-cyber-basics-0"])[2] == "no"

    # A session whose Meet space was never made: the coordinator's column only, no Meet call.
    seed(ctx, fake, "site-planning", 2)
    ctx.ports.roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, [
        {sheet.SESSION_ID: "site-planning", sheet.SESSION_MEET_SPACE: ""}])
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "S-site-planning-0", sheet.ATTENDANCE: "yes"}])
    later = context(google_program.config, fake, "2027-03-24 06:30")
    fake.reset_calls()
    take_attendance(later, ["site-planning"])
    assert fake.count("meet.") == 0
    rows = participants(fake)
    assert rows["S-site-planning-0"][sheet.ATTENDED] == "yes"
    assert rows["S-site-planning-0"][sheet.ATTENDANCE_NOTE] == "coordinator; the session has no Meet space"
    assert rows["S-site-planning-1"][sheet.ATTENDED] == ""
    assert rows["S-site-planning-1"][sheet.ATTENDANCE_NOTE].startswith("no Meet data")


def test_meetings_not_over_are_skipped(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config, fake, "2027-03-16 16:30")     # the meeting is on
    seed(ctx, fake, "cyber-basics", 2)
    fake.reset_calls()
    result = take_attendance(ctx, ["cyber-basics"])
    assert result.counts["sessions with no meeting over yet"] == 1
    assert fake.count("meet.") == 0 and fake.count("sheets.") == 1


# --- thirty days --------------------------------------------------------------------------------


def test_records_gone_after_thirty_days_keep_earlier_figures(fake: FakeWorkspace,
                                                             google_program: GoogleProgram) -> None:
    ctx = context(google_program.config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 4)
    seed_cyber_meeting(fake, space)
    take_attendance(ctx, ["cyber-basics"])
    before = participants(fake)

    late = context(google_program.config, fake, "2027-04-20 06:30")      # 35 days on
    fake.reset_calls()
    result = take_attendance(late, ["cyber-basics"])
    assert fake.count("meet.conferenceRecords.list") == 1
    assert fake.count("meet.conferenceRecords.participants") == 0
    after = participants(fake)
    for applicant in before:
        assert figures(after[applicant]) == figures(before[applicant])
    assert after["S-cyber-basics-1"][sheet.ATTENDANCE_NOTE] == \
        "Meet (figures read earlier); minutes by meeting: 2027-03-16 85"
    assert not [p for p in result.problems if "ATTENTION" in p]


def test_records_gone_before_anyone_read_them_are_reported_loudly(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    ctx = context(google_program.config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 3)
    seed_cyber_meeting(fake, space)
    late = context(google_program.config, fake, "2027-04-20 06:30")      # never read in time
    result = take_attendance(late, ["cyber-basics"])
    [loud] = [p for p in result.problems if p.startswith("ATTENTION")]
    assert "2027-03-16" in loud and "3 student(s)" in loud and "30 days" in loud
    assert result.counts["meetings with records gone"] == 1
    row = participants(fake)["S-cyber-basics-0"]
    assert figures(row) == ("", "", "")
    assert row[sheet.ATTENDANCE_NOTE].startswith(RECORDS_GONE)


def test_six_weekly_meetings_with_a_late_student_and_expired_records(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    session = "data-fellows"
    starts = [local("2027-04-06 16:00") + timedelta(weeks=w) for w in range(6)]
    ctx = context(google_program.config, fake, "2027-04-14 06:30")
    space = seed(ctx, fake, session, 6)
    # Meetings 1 and 2: everyone but student 5 comes; student 4 stays 40 minutes each time.
    for start in starts[:2]:
        record = fake.meet.add_conference_record(space, start - timedelta(minutes=10),
                                                 start + timedelta(minutes=92))
        for n in range(5):
            stay = 40 if n == 4 else 90
            join(fake, record, f"First{n}", (start.isoformat()[:16],
                                             (start + timedelta(minutes=stay)).isoformat()[:16]),
                 user=f"users/{user_id(session, n)}")
    first = take_attendance(ctx, [session])
    rows = participants(fake)
    assert figures(rows[f"S-{session}-0"]) == (180, "2 of 2", "yes")
    assert figures(rows[f"S-{session}-4"]) == (80, "0 of 2", "no")
    assert figures(rows[f"S-{session}-5"]) == (0, "0 of 2", "no")
    assert first.counts["meetings read from Meet"] == 2

    # Meetings 3-6 happen (the call of meeting 5 is restarted); a student is placed late.
    for number, start in enumerate(starts[2:], 3):
        halves = [(start, start + timedelta(minutes=45)),
                  (start + timedelta(minutes=47), start + timedelta(minutes=92))] if number == 5 \
            else [(start, start + timedelta(minutes=90))]
        for a, b in halves:
            record = fake.meet.add_conference_record(space, a, b)
            for n in (0, 1, 2, 3, 6):
                join(fake, record, f"First{n}", (a.isoformat()[:16], b.isoformat()[:16]),
                     user=f"users/{user_id(session, n)}")
    fake.directory.add_user(user_id(session, 6), email(session, 6))
    ctx.ports.roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"S-{session}-6", "School email address": email(session, 6)}])
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"S-{session}-6", sheet.SESSION_ID: session, sheet.PLACEMENT: "override"}])

    # 2027-05-14: meetings 1 and 2 are past Meet's 30 days.
    late = context(google_program.config, fake, "2027-05-14 06:30")
    fake.reset_calls()
    result = take_attendance(late, [session])
    rows = participants(fake)
    assert figures(rows[f"S-{session}-0"]) == (180 + 4 * 90, "6 of 6", "yes")
    assert rows[f"S-{session}-0"][sheet.ATTENDANCE_NOTE] == (
        "Meet; minutes by meeting: 2027-04-06 90, 2027-04-13 90, 2027-04-20 90, 2027-04-27 90, "
        "2027-05-04 90, 2027-05-11 90")
    assert figures(rows[f"S-{session}-4"]) == (80, "0 of 6", "no")
    # The late student has no figures for meetings 1 and 2: 4 of 4 known, said loudly.
    assert figures(rows[f"S-{session}-6"]) == (360, "4 of 4", "yes")
    assert RECORDS_GONE + ": 2027-04-06, 2027-04-13" in rows[f"S-{session}-6"][sheet.ATTENDANCE_NOTE]
    loud = [p for p in result.problems if p.startswith("ATTENTION")]
    assert len(loud) == 2 and all("1 student(s)" in p for p in loud)
    # 1 records list + 5 conferences x (1 participants list + 5 sessions lists); 5 users asked.
    assert calls(fake) == {"sheets": 4, "meet": 1 + 5 * 6, "people": 5, "directory": 0}
    print(f"\nattendance data-fellows, 7 students, 4 live meetings (5 conferences): {calls(fake)}")


# --- the directory ------------------------------------------------------------------------------


def with_lookup(program: GoogleProgram, lookup: str) -> ProgramConfig:
    data = yaml.safe_load(program.config_file.read_text(encoding="utf-8"))
    data["attendance"] = {"threshold": 0.75, "lookup": lookup}
    path = Path(program.config_file)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_config(path)


def test_admin_directory_lookup_uses_the_public_view(fake: FakeWorkspace,
                                                      google_program: GoogleProgram) -> None:
    config = with_lookup(google_program, "directory")
    ctx = context(config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 4)
    seed_cyber_meeting(fake, space)
    fake.reset_calls()
    take_attendance(ctx, ["cyber-basics"])
    assert figures(participants(fake)["S-cyber-basics-1"]) == (85, "1 of 1", "yes")
    assert calls(fake)["directory"] == 6 and calls(fake)["people"] == 0
    assert {c.query["viewType"][0] for c in fake.calls_to("directory.users.get")} == {"domain_public"}


def test_lookup_none_reads_no_meet(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = with_lookup(google_program, "none")
    ctx = context(config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 2)
    seed_cyber_meeting(fake, space)
    fake.reset_calls()
    take_attendance(ctx, ["cyber-basics"])
    assert fake.count("meet.") == 0 and fake.count("people.") == 0
    assert participants(fake)["S-cyber-basics-0"][sheet.ATTENDANCE_NOTE].startswith("no Meet data")


@pytest.mark.parametrize("hidden", [True, False])
def test_a_directory_that_names_nobody_marks_nobody_absent(
        fake: FakeWorkspace, google_program: GoogleProgram, hidden: bool) -> None:
    ctx = context(google_program.config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 4)
    seed_cyber_meeting(fake, space)
    for user in list(fake.directory.users):
        if hidden:
            fake.directory.hidden.add(user)     # 403 for everyone
        else:
            del fake.directory.users[user]      # 404 for everyone
    result = take_attendance(ctx, ["cyber-basics"])
    assert any("named none of the 6 signed-in" in p for p in result.problems)
    row = participants(fake)["S-cyber-basics-0"]
    assert figures(row) == ("", "", "")
    assert "the directory named no Meet participant" in row[sheet.ATTENDANCE_NOTE]


def test_an_ungranted_lookup_scope_loses_the_lookup_not_the_run(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    # The admin granted every scope but the directory's: the lookup's own sign-in is refused.
    key = write_service_account_file(tmp_path / "narrow.json", fake, client_email="narrow@sa.test",
                                     delegation_scopes=scopes.ALL)
    data = yaml.safe_load(google_program.config_file.read_text(encoding="utf-8"))
    data["google"]["credentials_file"] = str(key)
    google_program.config_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    config = load_config(google_program.config_file)
    ctx = context(config, fake, "2027-03-17 06:30")
    space = seed(ctx, fake, "cyber-basics", 2)
    seed_cyber_meeting(fake, space)
    ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "S-cyber-basics-1", sheet.ATTENDANCE: "yes"}])
    result = take_attendance(ctx, ["cyber-basics"])
    assert any("the directory refused to name Meet participants" in p for p in result.problems)
    rows = participants(fake)
    assert rows["S-cyber-basics-1"][sheet.ATTENDED] == "yes"            # the coordinator's column
    assert rows["S-cyber-basics-0"][sheet.ATTENDED] == ""               # nobody marked absent
    assert fake.count("people.") == 0


@pytest.mark.parametrize(("students", "meetings"), [(6, 1), (6, 4), (30, 4)])
def test_calls_per_session(fake: FakeWorkspace, google_program: GoogleProgram, students: int,
                           meetings: int) -> None:
    """N students, M meetings, everyone (and the partner and teacher) at every meeting.

    The day after the 4th weekly meeting: Meet still holds all four (30 days).
    """
    session = "data-fellows"
    ctx = context(google_program.config, fake, "2027-04-28 06:30")
    space = seed(ctx, fake, session, students)
    if meetings < 6:
        ctx.ports.roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, [
            {sheet.SESSION_ID: session, sheet.SESSION_MEETINGS: "2027-04-06 16:00"}])
    for week in range(meetings):
        start = local("2027-04-06 16:00") + timedelta(weeks=week)
        record = fake.meet.add_conference_record(space, start - timedelta(minutes=15),
                                                 start + timedelta(minutes=95))
        span = (start.isoformat()[:16], (start + timedelta(minutes=90)).isoformat()[:16])
        for n in range(students):
            join(fake, record, f"First{n}", span, user=f"users/{user_id(session, n)}")
        join(fake, record, "Partner", span, user="users/900")
        join(fake, record, "Teacher", span, user="users/901")
    fake.reset_calls()
    began = time.perf_counter()
    result = take_attendance(ctx, [session])
    took = time.perf_counter() - began
    assert result.counts["rows written"] == students
    expected = {"sheets": 4, "meet": 1 + meetings * (1 + students + 2), "people": students + 2,
                "directory": 0}
    assert calls(fake) == expected
    print(f"\nattendance N={students} M={meetings}: {expected} in {took:.2f} s")
