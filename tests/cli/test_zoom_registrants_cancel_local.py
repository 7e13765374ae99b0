"""Issue 18: a student no longer placed in a Zoom session loses their registration (own link).

Local backend with the real Zoom adapter on the fake Zoom, as test_zoom_registrants_local.py:
the sessions step cancels (``PUT /meetings/{meetingId}/registrants/status``) each registrant
who is a student of the program but no longer placed in that session, and nobody else.
Assertions are on the fake Zoom's registrants (their status and how often it changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakezoom import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, FakeZoom
from test_correspondence import workbook
from test_zoom_registrants_local import _built, _context
from test_zoom_youtube_local import DAY_BEFORE, SESSION, SUPPORT

from microintern.adapters.zoom import SCOPES
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.steps.session_letters import remind_students, support_sessions
from microintern.steps.sessions import build_sessions

HAND_ADDED = "guest.speaker@partner.example"


@pytest.fixture
def zoom() -> Iterator[FakeZoom]:
    with FakeZoom() as fake:
        fake.add_app(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, SCOPES)
        yield fake
        assert fake.rejections == [] and fake.errors == []


def _status(zoom: FakeZoom, meeting: str) -> dict[str, str]:
    return {r["email"].casefold(): r["status"] for r in zoom.registrants.get(meeting, [])}


def _changes(zoom: FakeZoom, meeting: str) -> dict[str, list[str]]:
    return {r["email"].casefold(): list(r.get("history", [])) for r in zoom.registrants.get(meeting, [])}


def _registered(config_file: Path, zoom: FakeZoom,
                students: int = 4) -> tuple[ProgramConfig, list[dict], str]:
    """The session built, its students registered, the teacher and a guest added by hand."""
    config, chosen, meeting = _built(config_file, zoom, students)
    support_sessions(_context(config, zoom, SUPPORT), [SESSION])
    assert set(_status(zoom, meeting).values()) == {"approved"} and len(_status(zoom, meeting)) == students
    # The host registers the teacher and a guest speaker by hand: never the tool's to cancel.
    for email in (config.session(SESSION).teacher.email, HAND_ADDED):
        zoom.registrants[meeting].append({"id": email, "registrant_id": email, "email": email,
                                          "first_name": "Hand", "last_name": "", "status": "approved",
                                          "join_url": f"https://zoom.us/w/{meeting}?tk=hand"})
    # The sessions step's daily run: the placed students are now the calendar's guests.
    build_sessions(_context(config, zoom, SUPPORT), [SESSION])
    return config, chosen, meeting


def _place(config_file: Path, rows: list[dict], placement: str, session: str = SESSION) -> None:
    workbook(config_file).upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: r[sheet.APPLICANT_ID], sheet.SESSION_ID: session, sheet.PLACEMENT: placement}
        for r in rows])


def _placed_emails(zoom: FakeZoom, meeting: str, chosen: list[dict]) -> dict[str, str]:
    """Applicant id → the address each student was registered under (from the registrants)."""
    emails = set(_status(zoom, meeting))
    found = {}
    for row in chosen:
        values = {str(v).strip().casefold() for v in row.values()}
        found[str(row[sheet.APPLICANT_ID])] = next(e for e in emails if e in values)
    return found


def test_a_withdrawn_student_is_cancelled_once_and_nobody_else(config_file: Path, zoom: FakeZoom) -> None:
    config, chosen, meeting = _registered(config_file, zoom)
    emails = _placed_emails(zoom, meeting, chosen)
    gone = str(chosen[0][sheet.APPLICANT_ID])
    _place(config_file, chosen[:1], sheet.WITHDRAWN)
    zoom.calls.clear()
    result = build_sessions(_context(config, zoom, SUPPORT), [SESSION])
    assert result.counts["zoom registrations cancelled"] == 1
    status = _status(zoom, meeting)
    assert status[emails[gone]] == "cancelled"
    assert all(status[e] == "approved" for a, e in emails.items() if a != gone)
    assert status[HAND_ADDED] == status[config.session(SESSION).teacher.email.casefold()] == "approved"
    puts = [c for c in zoom.calls if c.method_id == "zoom.registrants.status"]
    assert [c.body for c in puts] == [{"action": "cancel", "registrants": [{"email": emails[gone]}]}]
    assert not any("@" in p for p in result.problems)

    # A rerun: nothing changed, no Zoom call at all.
    zoom.calls.clear()
    build_sessions(_context(config, zoom, SUPPORT), [SESSION])
    assert zoom.calls == []
    assert _changes(zoom, meeting)[emails[gone]] == ["cancelled"]


def test_a_student_moved_to_another_session_is_cancelled_in_the_old_and_registered_in_the_new(
        config_file: Path, zoom: FakeZoom) -> None:
    config, chosen, meeting = _registered(config_file, zoom)
    emails = _placed_emails(zoom, meeting, chosen)
    other = next(s.id for s in config.sessions if s.id != SESSION)
    zoom.add_user(config.session(other).teacher.email)
    mover = str(chosen[1][sheet.APPLICANT_ID])
    _place(config_file, chosen[1:2], sheet.PLACED, other)
    build_sessions(_context(config, zoom, SUPPORT), [SESSION, other])
    support_sessions(_context(config, zoom, SUPPORT), [other])
    assert _status(zoom, meeting)[emails[mover]] == "cancelled"
    tab = workbook(config_file).read_tabs([sheet.SESSIONS])[sheet.SESSIONS]
    row = {str(r[sheet.SESSION_ID]): r for r in tab}
    new_meeting = str(row[other][sheet.SESSION_MEET_SPACE]).removeprefix("zoom-")
    assert new_meeting != meeting
    assert _status(zoom, new_meeting) == {emails[mover]: "approved"}
    # Moved back: cancelled in the second meeting; the day-before reminder (their details went
    # already) registers them again in the first, approved with a working link.
    _place(config_file, chosen[1:2], sheet.PLACED, SESSION)
    build_sessions(_context(config, zoom, SUPPORT), [SESSION, other])
    remind_students(_context(config, zoom, DAY_BEFORE), [SESSION])
    assert _status(zoom, meeting)[emails[mover]] == "approved"
    assert _changes(zoom, new_meeting)[emails[mover]] == ["cancelled"]


def test_a_cancelled_session_deletes_its_meeting_without_cancelling_registrants(
        config_file: Path, zoom: FakeZoom) -> None:
    config, _, meeting = _registered(config_file, zoom)
    workbook(config_file).upsert(sheet.SESSIONS, sheet.SESSION_ID,
                                 [{sheet.SESSION_ID: SESSION, sheet.SESSION_STATUS: "cancelled"}])
    zoom.calls.clear()
    build_sessions(_context(config, zoom, SUPPORT), [SESSION])
    assert meeting not in zoom.meetings and meeting in zoom.deleted
    assert zoom.count("zoom.registrants.status") == 0 and zoom.count("zoom.registrants.list") == 0


def test_lost_answers_cancel_each_student_once(config_file: Path, zoom: FakeZoom) -> None:
    config, chosen, meeting = _registered(config_file, zoom, students=8)
    emails = _placed_emails(zoom, meeting, chosen)
    leaving = chosen[:5]
    zoom.faults.add("zoom.registrants.status", "drop_after", rate=0.3, seed=7)
    zoom.faults.add("zoom.registrants.list", "503", rate=0.3, seed=8)
    for row in leaving:  # one leaves each day; the sessions step runs daily
        _place(config_file, [row], sheet.WITHDRAWN)
        for _ in range(2):  # a run that could not finish is rerun the next day
            result = build_sessions(_context(config, zoom, SUPPORT), [SESSION])
            assert not any("@" in p for p in result.problems)
    lost = sum(1 for c in zoom.calls if c.method_id == "zoom.registrants.status" and c.fault == "drop_after")
    assert lost >= 1
    changes = _changes(zoom, meeting)
    for row in chosen:
        applicant = str(row[sheet.APPLICANT_ID])
        expected = ["cancelled"] if row in leaving else []
        assert changes[emails[applicant]] == expected, applicant
    assert changes[HAND_ADDED] == []
