"""No orphan and no duplicate Meet space after lost answers (issue 13).

Meet's ``spaces.create`` has no request id and Meet cannot list a user's spaces, so a space
whose answer was lost could never be found again. The steps make each meeting's space through
its first Calendar event instead (a client-chosen event id; ``conferenceData.createRequest``),
find it by ``spaces.get`` on the meeting code, then patch its config and add its co-hosts.

Here the Calendar insert, ``spaces.patch`` and ``spaces.members.create`` lose their answers at
high rates (``drop_after``: applied, the socket closed; ``timeout``: applied after the client
gave up). After the run and a clean rerun, the fake holds exactly one space per session (and
per planning meeting), one event per meeting, every setting and co-host right, and a further
rerun makes no Calendar or Meet call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from adapters.conftest import PROGRAM_USER, GoogleProgram
from adapters.test_google_partners import NOW as PARTNERS_NOW
from adapters.test_google_partners import contacted, letters, partners
from adapters.test_google_partners import seed as seed_partners
from adapters.test_google_sessions import (
    FOUR,
    STUDENT_DOMAIN,
    event_of,
    events,
    google_calls,
    seed,
    sessions_tab,
)
from adapters.test_google_sessions import context as sessions_context
from fakeworkspace import FakeWorkspace, write_service_account_file

from microintern.adapters.google import scopes
from microintern.adapters.google.auth import service_account_credentials
from microintern.adapters.google.calendar import GoogleCalendar
from microintern.adapters.google.meet import GoogleMeetRooms
from microintern.adapters.google.transport import GoogleTransport, Retry
from microintern.bootstrap import step_context
from microintern.domain import program_sheet as sheet
from microintern.domain.partners import meeting_event_id
from microintern.domain.sessions import event_id
from microintern.errors import BackendError
from microintern.steps.context import StepContext
from microintern.steps.partners import partner_pipeline
from microintern.steps.sessions import build_sessions

FAULTED = ("calendar.events.insert", "meet.spaces.patch", "meet.spaces.members.create")
# High rates: about every other call of each faulted method loses its answer. The timeout's
# delay outlives the client's 0.5 s timeout, so the call lands after the client gave up.
KINDS = [
    pytest.param({"kind": "drop_after", "rate": 0.5}, id="drop_after-50%"),
    pytest.param({"kind": "timeout", "rate": 0.4, "delay": 0.8}, id="timeout-40%"),
]


@pytest.fixture
def fast(tmp_path: Path, fake: FakeWorkspace) -> Iterator[dict[str, Any]]:
    """Calendar and Meet adapters with a short timeout and backoff that waits for the fake only."""
    key = write_service_account_file(tmp_path / "fast-credentials.json", fake)
    credentials = service_account_credentials(key, subject=PROGRAM_USER, scopes=scopes.ALL)
    transport = GoogleTransport(credentials, endpoint=fake.url, timeout=0.5)
    yield {"transport": transport, "retry": Retry(attempts=8, sleep=lambda _: fake.wait_idle())}
    fake.faults.clear()
    assert fake.wait_idle()


def with_fast_meet(ctx: StepContext, fast: dict[str, Any]) -> StepContext:
    """``ctx`` with fresh Calendar and Meet adapters (as a new cron run has) on ``fast``."""
    transport, retry = fast["transport"], fast["retry"]
    calendar = GoogleCalendar(transport.service("calendar", "v3"), retry=retry)
    meet = GoogleMeetRooms(transport.service("meet", "v2"), retry=retry, calendar=calendar)
    return dataclasses.replace(ctx, ports=dataclasses.replace(ctx.ports, calendar=calendar, meet=meet))


def lose_answers(fake: FakeWorkspace, fault: dict[str, Any]) -> list[Any]:
    return [fake.faults.add(glob, seed=n, **fault) for n, glob in enumerate(FAULTED)]


def cohosts(fake: FakeWorkspace, space: str) -> list[tuple[str, str]]:
    return sorted((m["email"], m["role"]) for m in fake.meet.members.get(space, {}).values())


@pytest.mark.parametrize("fault", KINDS)
def test_sessions_leave_one_space_per_session_after_lost_answers_and_a_clean_rerun(
        fake: FakeWorkspace, google_program: GoogleProgram, fast: dict[str, Any],
        fault: dict[str, Any]) -> None:
    config = google_program.config
    ctx = sessions_context(config)
    seed(ctx)
    fake.reset_calls()
    lost = lose_answers(fake, fault)
    try:
        build_sessions(with_fast_meet(ctx, fast))
    except BackendError:
        pass  # a session whose retries all lost their answers: recorded, the rerun finishes it
    assert all(f.fired >= 1 for f in lost), [(f.method_glob, f.fired) for f in lost]
    fake.faults.clear()
    assert fake.wait_idle()
    build_sessions(with_fast_meet(ctx, fast))                       # the clean rerun

    # Exactly one space per session, each the one its sheet row and its first event name.
    assert fake.count("meet.spaces.create") == 0
    tab = sessions_tab(fake)
    used = {tab[s][sheet.SESSION_MEET_SPACE] for s in FOUR}
    assert len(used) == 4 and set(fake.meet.spaces) == used
    stored = events(fake)
    assert len(stored) == 9                                         # one event per meeting
    for session_id in FOUR:
        row = tab[session_id]
        space = fake.meet.space(row[sheet.SESSION_MEET_SPACE])
        assert space["config"]["accessType"] == "RESTRICTED"
        assert space["config"]["moderation"] == "ON"
        assert space["config"]["attendanceReportGenerationType"] == "GENERATE_REPORT"
        # Every release allows recording and the partner agreed: auto-recording on.
        assert space["config"]["artifactConfig"]["recordingConfig"]["autoRecordingGeneration"] == "ON"
        assert row[sheet.SESSION_RECORDING].startswith("on: all 4 release forms")
        session = config.session(session_id)
        partner = next(p for p in config.partners if p.id == session.partner)
        assert cohosts(fake, space["name"]) == sorted(
            [(partner.contact.email, "COHOST"), (session.teacher.email, "COHOST")])
        first = event_of(fake, session_id)
        assert first["conferenceData"]["conferenceId"] == space["meetingCode"]
        assert row[sheet.SESSION_MEET_LINK] == space["meetingUri"] in first["description"]
        assert {a["email"] for a in first["attendees"]} == {
            *(f"{session_id}.{n}@{STUDENT_DOMAIN}" for n in range(4)), partner.contact.email,
            session.teacher.email}
    for event in stored.values():
        assert event["visibility"] == "private" and event["guestsCanSeeOtherGuests"] is False
        assert event["status"] == "confirmed" and event["attendees"]

    # Nothing changed: a further run makes no Calendar or Meet call.
    fake.reset_calls()
    assert build_sessions(with_fast_meet(ctx, fast)).counts == {"unchanged": 4}
    calls = google_calls(fake)
    assert calls["calendar"] == calls["meet"] == 0, calls


@pytest.mark.parametrize("fault", KINDS)
def test_partner_planning_meetings_leave_one_room_each_after_lost_answers(
        fake: FakeWorkspace, google_program: GoogleProgram, fast: dict[str, Any],
        fault: dict[str, Any]) -> None:
    config = google_program.config
    ids = [p.id for p in config.partners]
    seed_partners(google_program, [contacted(pid, **{sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"})
                                   for pid in ids])
    lost = lose_answers(fake, fault)

    def run() -> None:
        ctx = step_context(config, PARTNERS_NOW, env={})
        try:
            partner_pipeline(with_fast_meet(ctx, fast))
        except BackendError:
            pass  # what was done is recorded; the rerun finishes it

    run()
    assert lost[0].fired + lost[1].fired >= 1
    fake.faults.clear()
    assert fake.wait_idle()
    run()                                                           # the clean rerun

    assert fake.count("meet.spaces.create") == 0
    rows = partners(fake)
    stored = {e["id"]: e for e in fake.calendar.events(PROGRAM_USER)}
    assert sorted(stored) == sorted(meeting_event_id(config.program.id, pid) for pid in ids)
    links = {pid: str(rows[pid][sheet.PARTNER_MEETING_LINK]) for pid in ids}
    assert len(fake.meet.spaces) == len(ids) == len(set(links.values()))
    for pid in ids:
        space = fake.meet.space(links[pid].rsplit("/", 1)[-1])
        assert space["config"]["accessType"] == "TRUSTED"         # the planning room is open
        event = stored[meeting_event_id(config.program.id, pid)]
        assert event["conferenceData"]["conferenceId"] == space["meetingCode"]
        assert links[pid] in event["description"] and event["visibility"] == "private"
        assert len(event["attendees"]) == 2
    assert sum(letters(fake).values()) == len(ids)                  # one invitation each

    fake.reset_calls()
    run()
    assert fake.count("calendar.") == fake.count("meet.") == 0


def test_a_lost_holder_insert_is_read_back_and_names_the_same_space(
        fake: FakeWorkspace, google_program: GoogleProgram, fast: dict[str, Any]) -> None:
    """The first event's insert lands but its answer is lost twice: one event, one space."""
    ctx = sessions_context(google_program.config)
    seed(ctx, sessions=["cyber-basics"])
    lost = fake.faults.add("calendar.events.insert", "drop_after", times=2)
    result = build_sessions(with_fast_meet(ctx, fast), ["cyber-basics"])
    assert lost.fired == 2 and result.counts["spaces created"] == 1
    assert fake.count("calendar.events.get") == 1                  # the 409 was read back
    (space,) = fake.meet.spaces.values()
    assert event_of(fake, "cyber-basics")["conferenceData"]["conferenceId"] == space["meetingCode"]
    assert sessions_tab(fake)["cyber-basics"][sheet.SESSION_MEET_SPACE] == space["name"]


def test_a_pending_conference_is_read_until_calendar_has_made_it(
        fake: FakeWorkspace, google_program: GoogleProgram, fast: dict[str, Any]) -> None:
    """Calendar makes conferences asynchronously: a ``pending`` request is read again."""
    ctx = sessions_context(google_program.config)
    seed(ctx, sessions=["cyber-basics"])
    first_event = event_id(google_program.config.program.id, "cyber-basics", 1)
    reads: list[int] = []
    made: dict[str, Any] = {}

    def still_making(fake: FakeWorkspace) -> None:
        # The first read finds the conference still being made; the second finds it done.
        event = fake.calendar.calendar(PROGRAM_USER)[first_event]
        reads.append(1)
        if len(reads) == 1:
            made.update(event["conferenceData"])
            event["conferenceData"] = {"createRequest": {
                **made["createRequest"], "status": {"statusCode": "pending"}}}
        else:
            event["conferenceData"] = made

    lost = fake.faults.add("calendar.events.insert", "drop_after", times=1)   # → 409 → read
    fake.hooks.before("calendar.events.get", still_making)
    result = build_sessions(with_fast_meet(ctx, fast), ["cyber-basics"])
    assert lost.fired == 1 and len(reads) == 2
    assert result.counts["spaces created"] == 1 and len(fake.meet.spaces) == 1
    (space,) = fake.meet.spaces.values()
    assert event_of(fake, "cyber-basics")["conferenceData"]["conferenceId"] == space["meetingCode"]


def test_a_space_gone_from_meet_is_replaced_through_the_event(
        fake: FakeWorkspace, google_program: GoogleProgram, fast: dict[str, Any]) -> None:
    """The event still names a space Meet no longer has: Calendar makes a new one, once."""
    ctx = sessions_context(google_program.config)
    seed(ctx, sessions=["cyber-basics"])
    build_sessions(with_fast_meet(ctx, fast), ["cyber-basics"])
    old = sessions_tab(fake)["cyber-basics"][sheet.SESSION_MEET_SPACE]
    del fake.meet.spaces[old]
    # The coordinator clears the Meet space cell too: the step asks for the event's space.
    ctx.ports.roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, [{
        sheet.SESSION_ID: "cyber-basics", sheet.SESSION_MEET_SPACE: "", sheet.SESSION_MEET_LINK: ""}])
    build_sessions(with_fast_meet(ctx, fast), ["cyber-basics"])
    (space,) = fake.meet.spaces.values()
    assert space["name"] != old
    assert event_of(fake, "cyber-basics")["conferenceData"]["conferenceId"] == space["meetingCode"]
    assert sessions_tab(fake)["cyber-basics"][sheet.SESSION_MEET_SPACE] == space["name"]
