"""Issue 18, pure parts: the meeting body's registration settings, a registrant's body, attendance
notes that name Zoom, and check-config's look at the Zoom credentials file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from microintern.adapters.zoom.meetings import meeting_to_api
from microintern.adapters.zoom.registrants import registrant_body
from microintern.domain.attendance import (
    FROM_MEET,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    Rules,
    student_attendance,
)
from microintern.domain.video import Registrant, ZoomMeetingPlan, meeting_digest

T0 = datetime(2027, 3, 16, 15, 30, tzinfo=UTC)


def plan(*days: int) -> ZoomMeetingPlan:
    return ZoomMeetingPlan(marker="[p/s]", topic="Cyber basics [p/s]", agenda="", time_zone="UTC",
                           starts=tuple(T0 + timedelta(days=d) for d in days), duration_minutes=90,
                           auto_recording=False)


def test_meetings_with_fixed_times_take_registrants_and_zoom_mails_none_of_them() -> None:
    for one in (plan(0), plan(0, 7, 14)):
        settings = meeting_to_api(one)["settings"]
        assert one.registration
        assert settings["approval_type"] == 0 and settings["registration_type"] == 1
        assert settings["registrants_confirmation_email"] is False
        assert settings["registrants_email_notification"] is False
        assert settings["waiting_room"] is True   # registered students still wait to be admitted


def test_a_series_without_fixed_times_has_no_registration() -> None:
    irregular = plan(0, 5, 14)
    assert not irregular.registration
    settings = meeting_to_api(irregular)["settings"]
    assert settings["approval_type"] == 2 and "registration_type" not in settings


def test_the_digest_asks_meetings_made_before_registration_to_be_updated() -> None:
    assert meeting_digest(plan(0)) != meeting_digest(plan(0, 5, 14))
    assert meeting_digest(plan(0)) == meeting_digest(plan(0))


def test_a_registrant_gives_zoom_the_first_name_and_last_initial_only() -> None:
    assert registrant_body(Registrant("ana@students.example", "Ana", "R")) == {
        "email": "ana@students.example", "first_name": "Ana", "last_name": "R"}
    assert registrant_body(Registrant("x@students.example", "")) == {
        "email": "x@students.example", "first_name": "Student"}


def _notes(provider: str, minutes: int | None, coordinator: str = "") -> str:
    meeting = Meeting(1, T0, T0 + timedelta(minutes=90), "2027-03-16")
    outcome = MeetingOutcome(meeting, MeetingStatus.HELD, {} if minutes is None else {"ana@x": minutes})
    return student_attendance([outcome], "ana@x", coordinator=coordinator, note_before="", minutes_before="",
                              rules=Rules(0.75, 0.75), provider=provider).note


def test_attendance_notes_name_the_service_the_figures_came_from() -> None:
    assert _notes("Zoom", 80) == "Zoom; minutes by meeting: 2027-03-16 80"
    assert _notes("Zoom", None).startswith("not in Zoom")
    assert _notes("Zoom", 10, coordinator="yes").startswith("coordinator (Zoom says no)")
    assert _notes("Meet", 80).startswith(f"{FROM_MEET}; ")
    assert "Meet" not in _notes("Zoom", 80) + _notes("Zoom", None)
