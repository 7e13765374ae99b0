"""Attendance rules: merging presences, minutes, thresholds, overrides, records gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from microintern.domain.attendance import (
    EARLIER_FIGURES,
    FROM_COORDINATOR,
    FROM_MEET,
    NO_MEET_DATA,
    NOT_IN_MEET,
    RECORDS_GONE,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    Rules,
    StudentAttendance,
    conferences_by_meeting,
    ended,
    meetings,
    merge,
    minutes_by_person,
    remembered,
    status_without_record,
    student_attendance,
    whole_minutes,
)
from microintern.domain.records import Conference, ConferenceParticipant, Presence

T0 = datetime(2027, 3, 16, 22, 30, tzinfo=UTC)   # 15:30 in Los Angeles
RULES = Rules(threshold=0.75, min_attendance=0.75)
ANA = "ana@students.example"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def participant(name: str, *spans: tuple[float, float | None],
                user: str | None = "users/1") -> ConferenceParticipant:
    return ConferenceParticipant(
        name=name, user=user, display_name=name,
        presences=tuple(Presence(at(s), at(e) if e is not None else None) for s, e in spans))


def conference(start: float, end: float | None, *people: ConferenceParticipant,
               name: str = "c1") -> Conference:
    return Conference(name=f"conferenceRecords/{name}", start=at(start),
                      end=at(end) if end is not None else None, participants=people)


def meeting(number: int = 1, start: float = 0, minutes: float = 90, key: str = "2027-03-16") -> Meeting:
    return Meeting(number, at(start), at(start + minutes), key)


def held(minutes: int | None, number: int = 1, key: str = "2027-03-16", person: str = ANA) -> MeetingOutcome:
    found = {} if minutes is None else {person: minutes}
    return MeetingOutcome(meeting(number, key=key), MeetingStatus.HELD, found)


# --- minutes ---------------------------------------------------------------------------------------


def test_rejoining_after_a_drop_counts_every_presence() -> None:
    call = conference(-5, 95, participant("p1", (0, 30), (35, 90)))
    assert minutes_by_person([call], {"p1": ANA}, now=at(200)) == {ANA: 85}


def test_overlapping_presences_of_two_devices_do_not_count_twice() -> None:
    laptop = participant("p1", (0, 60))
    phone = participant("p2", (30, 90))
    call = conference(0, 90, laptop, phone)
    assert minutes_by_person([call], {"p1": ANA, "p2": ANA}, now=at(200)) == {ANA: 90}
    assert merge([(at(0), at(10)), (at(10), at(20)), (at(30), at(30))]) == [(at(0), at(20))]


def test_presences_are_clipped_to_the_conference() -> None:
    # Joined before the record starts, and still "in" after it ended (no end time).
    call = conference(0, 60, participant("p1", (-20, 10), (50, None)))
    assert minutes_by_person([call], {"p1": ANA}, now=at(500)) == {ANA: 20}


def test_a_conference_still_running_counts_up_to_now() -> None:
    call = conference(0, None, participant("p1", (0, None)))
    assert minutes_by_person([call], {"p1": ANA}, now=at(45)) == {ANA: 45}


def test_a_restarted_call_adds_up_and_unknown_participants_are_left_out() -> None:
    first = conference(0, 40, participant("a1", (0, 40)), participant("x1", (0, 40), user=None), name="c1")
    second = conference(45, 95, participant("a2", (46, 95)), name="c2")
    assert minutes_by_person([first, second], {"a1": ANA, "a2": ANA}, now=at(200)) == {ANA: 89}


def test_whole_minutes_round_half_up() -> None:
    assert whole_minutes([(at(0), at(44.5))]) == 45
    assert whole_minutes([(at(0), at(44.49))]) == 44


# --- meetings and conferences ---------------------------------------------------------------------


def test_conferences_are_matched_to_meetings_by_start_time() -> None:
    week = 7 * 24 * 60
    series = [meeting(1), meeting(2, start=week, key="2027-03-23")]
    early = conference(-20, 90, name="early")          # the teacher opened the call early
    restart = conference(60, 95, name="restart")       # a restart inside the meeting
    stray = conference(3 * 24 * 60, 3 * 24 * 60 + 30, name="stray")  # another day: no meeting
    second = conference(week + 1, week + 90, name="second")
    found = conferences_by_meeting(series, [stray, restart, second, early])
    assert [c.name for c in found[1]] == ["conferenceRecords/early", "conferenceRecords/restart"]
    assert [c.name for c in found[2]] == ["conferenceRecords/second"]


def test_only_meetings_that_ended_count_and_keys_are_dates() -> None:
    windows = [(at(0), at(90)), (at(60 * 24 * 7), at(60 * 24 * 7 + 90))]
    listed = meetings(windows)
    assert [m.key for m in listed] == ["2027-03-16", "2027-03-23"]
    assert ended(listed, at(91)) == listed[:1]
    assert ended(listed, at(89)) == []
    same_day = meetings([(at(-120), at(-60)), (at(0), at(60))])
    assert [m.key for m in same_day] == ["2027-03-16 20:30", "2027-03-16 22:30"]


def test_records_are_gone_thirty_days_after_the_meeting() -> None:
    m = meeting()
    assert status_without_record(m, m.end + timedelta(days=29)) is MeetingStatus.NO_RECORD
    assert status_without_record(m, m.end + timedelta(days=31)) is MeetingStatus.GONE


# --- one student's cells --------------------------------------------------------------------------


def cells(outcomes: list[MeetingOutcome], coordinator: str = "", note: str = "", minutes: object = None,
          person: str | None = ANA, rules: Rules = RULES) -> StudentAttendance:
    return student_attendance(outcomes, person, coordinator=coordinator, note_before=note,
                              minutes_before=minutes, rules=rules)


@pytest.mark.parametrize(("minutes", "attended"), [(68, "yes"), (67, "no")])
def test_threshold_edge(minutes: int, attended: str) -> None:
    # 75% of 90 minutes is 67.5: 68 whole minutes attend, 67 do not.
    result = cells([held(minutes)])
    assert result.attended == attended
    assert result.minutes == minutes
    assert result.meetings_attended == f"{1 if attended == 'yes' else 0} of 1"
    assert result.note == f"{FROM_MEET}; minutes by meeting: 2027-03-16 {minutes}"


def test_a_student_who_never_came_is_not_in_meet() -> None:
    result = cells([held(None)])
    assert (result.minutes, result.meetings_attended, result.attended) == (0, "0 of 1", "no")
    assert result.note.startswith(NOT_IN_MEET)


@pytest.mark.parametrize(("coordinator", "meet_minutes", "expected", "note"), [
    ("yes", 10, "yes", f"{FROM_COORDINATOR} (Meet says no)"),
    ("No", 90, "no", f"{FROM_COORDINATOR} (Meet says yes)"),
    ("yes", 90, "yes", FROM_COORDINATOR),
])
def test_the_coordinator_wins_both_ways(coordinator: str, meet_minutes: int, expected: str,
                                        note: str) -> None:
    result = cells([held(meet_minutes)], coordinator=coordinator)
    assert result.attended == expected
    assert result.minutes == meet_minutes           # Meet's figures are still shown
    assert result.note.split("; ")[0] == note


def test_the_coordinator_is_the_fallback_when_meet_has_no_data() -> None:
    unavailable = [MeetingOutcome(meeting(), MeetingStatus.UNAVAILABLE)]
    fallback = cells(unavailable, coordinator="yes")
    assert (fallback.attended, fallback.minutes, fallback.meetings_attended) == ("yes", None, None)
    assert fallback.note == FROM_COORDINATOR
    nothing = cells(unavailable)
    assert (nothing.attended, nothing.minutes) == (None, None)   # cells left as they are
    assert nothing.note == NO_MEET_DATA


def test_multi_meeting_count_against_min_attendance() -> None:
    keys = ["2027-04-06", "2027-04-13", "2027-04-20", "2027-04-27"]
    four = [held(m, n, k) for n, (m, k) in enumerate(zip([90, 88, 40, 70], keys, strict=True), 1)]
    result = cells(four)
    assert result.meetings_attended == "3 of 4"      # 40 minutes is under 67.5
    assert result.minutes == 90 + 88 + 40 + 70
    assert result.attended == "yes"                   # 3/4 = 0.75
    two_of_four = cells([*four[:2], held(10, 3, keys[2]), held(0, 4, keys[3])])
    assert (two_of_four.meetings_attended, two_of_four.attended) == ("2 of 4", "no")
    assert two_of_four.note.endswith("minutes by meeting: 2027-04-06 90, 2027-04-13 88, "
                                     "2027-04-20 10, 2027-04-27 0")


def test_records_gone_keep_the_figures_read_earlier() -> None:
    first = cells([held(88, 1, "2027-04-06"), held(20, 2, "2027-04-13")])
    later = [MeetingOutcome(meeting(1, key="2027-04-06"), MeetingStatus.GONE),
             held(90, 2, "2027-04-13"), held(85, 3, "2027-04-20")]
    result = cells(later, note=first.note, minutes=first.minutes)
    assert result.minutes == 88 + 90 + 85
    assert result.meetings_attended == "3 of 3"
    assert result.lost == ()
    assert result.note == f"{FROM_MEET}; minutes by meeting: 2027-04-06 88, 2027-04-13 90, 2027-04-20 85"


def test_records_gone_with_nothing_read_earlier_say_so_and_write_nothing() -> None:
    gone = [MeetingOutcome(meeting(), MeetingStatus.GONE)]
    result = cells(gone)
    assert (result.minutes, result.meetings_attended, result.attended) == (None, None, None)
    assert result.lost == ("2027-03-16",)
    assert result.note.startswith(RECORDS_GONE)
    partly = cells([MeetingOutcome(meeting(1, key="2027-04-06"), MeetingStatus.GONE),
                    held(90, 2, "2027-04-13")])
    assert (partly.meetings_attended, partly.attended) == ("1 of 1", "yes")
    assert partly.note == (f"{FROM_MEET}; {RECORDS_GONE}: 2027-04-06; "
                           "minutes by meeting: 2027-04-06 gone, 2027-04-13 90")


def test_a_single_meeting_falls_back_to_the_minutes_cell() -> None:
    gone = [MeetingOutcome(meeting(), MeetingStatus.GONE)]
    result = cells(gone, note="written by hand", minutes=75)
    assert (result.minutes, result.attended, result.lost) == (75, "yes", ())
    assert result.note.startswith(EARLIER_FIGURES)
    assert remembered("Meet; minutes by meeting: 2027-03-16 gone, 2027-03-23 45") == {"2027-03-23": 45}


def test_a_student_without_a_usable_address_keeps_earlier_figures() -> None:
    result = cells([held(90)], person=None, note="Meet; minutes by meeting: 2027-03-16 80", minutes=80)
    assert (result.minutes, result.attended) == (80, "yes")
    assert result.note.startswith(EARLIER_FIGURES)
