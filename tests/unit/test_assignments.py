"""The pure rules of assignments: dates, lateness, the hand-in form, links, ratings, letters due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from microintern.config import Assignment, ProgramConfig
from microintern.domain.assignments import (
    ASSIGNMENT_KEY,
    LINK_KEY,
    NOTE_KEY,
    STUDENT_KEY,
    Dated,
    HandIn,
    HandInProblem,
    assignment_options,
    dated_assignments,
    due_end,
    first_arrival,
    given_due,
    hand_in_spec,
    lateness,
    option_label,
    parse_rating,
    parse_stamp,
    partner_reminder_due,
    read_hand_in,
    reminder_due,
    stamp,
    student_label,
    submission_key,
    waiting_for_feedback,
    work_link,
)
from microintern.errors import RowError

LA = ZoneInfo("America/Los_Angeles")
FELLOWS = "data-fellows"   # weekly from 2027-04-06 16:00, 6 meetings


def test_example_assignments_are_dated_from_their_meetings(make_config: Any) -> None:
    config: ProgramConfig = make_config()
    session = config.session(FELLOWS)
    dated = {d.assignment.id: d for d in dated_assignments(config, session)}
    assert dated["data-cleaning"].given_on == date(2027, 4, 13)     # the 2nd meeting
    assert dated["data-cleaning"].due == date(2027, 4, 19)          # 6 days later
    assert dated["final-project"].given_on == date(2027, 4, 13)     # with it: a four-week project
    assert dated["final-project"].due == date(2027, 5, 11)          # the last meeting's day
    assert [d.session_id for d in dated.values()] == [FELLOWS, FELLOWS]


def test_last_meeting_and_moved_or_removed_meetings(make_config: Any) -> None:
    config: ProgramConfig = make_config()
    session = config.session(FELLOWS).model_copy(update={"assignments": [
        Assignment(id="wrap-up", title="Wrap up", instructions="Reflect.", meeting=-1, due_days=0),
        Assignment(id="late-one", title="Late one", instructions="Do it.", meeting=5, due_days=2),
    ]})
    moved = [datetime(2027, 4, 7, 16, tzinfo=LA), datetime(2027, 4, 14, 16, tzinfo=LA),
             datetime(2027, 4, 21, 16, tzinfo=LA)]   # the coordinator kept three meetings
    dated = {d.assignment.id: d for d in dated_assignments(config, session, moved)}
    assert dated["wrap-up"].given_on == dated["wrap-up"].due == date(2027, 4, 21)
    assert dated["late-one"].given_on == date(2027, 4, 21)   # meeting 5 no longer exists: the last
    assert dated["late-one"].due == date(2027, 4, 23)


def test_program_wide_assignments_come_first_and_keys_are_stable(make_config: Any) -> None:
    config: ProgramConfig = make_config(assignments=[
        {"id": "reflection", "title": "A reflection", "instructions": "Write a page.", "meeting": 1}])
    assert [a.id for a in config.assignments_of(config.session(FELLOWS))] == [
        "reflection", "data-cleaning", "final-project"]
    assert [a.id for a in config.assignments_of(config.session("cyber-basics"))] == ["reflection"]
    assert submission_key(FELLOWS, "data-cleaning", "A-1") == "data-fellows:data-cleaning:A-1"


def test_due_is_the_end_of_the_local_day_and_lateness_follows() -> None:
    due = date(2027, 4, 19)
    end = due_end(due, LA)
    assert end == datetime(2027, 4, 20, 0, 0, tzinfo=LA)
    now_before = datetime(2027, 4, 19, 23, 0, tzinfo=LA)
    now_after = datetime(2027, 4, 20, 6, 30, tzinfo=LA)
    assert lateness(None, due, now_before, LA) == ""            # not due yet
    assert lateness(None, due, now_after, LA) == "missing"
    assert lateness(datetime(2027, 4, 19, 23, 59, tzinfo=LA), due, now_after, LA) == "no"
    # 23:30 in Los Angeles is 06:30 UTC the next day: still on time.
    assert lateness(datetime(2027, 4, 20, 6, 30, tzinfo=UTC), due, now_after, LA) == "no"
    assert lateness(datetime(2027, 4, 20, 0, 0, tzinfo=LA), due, now_after, LA) == "yes"


def test_stamps_round_trip_and_the_first_arrival_wins() -> None:
    moment = datetime(2027, 4, 18, 3, 15, tzinfo=UTC)   # 20:15 the evening before, in LA
    text = stamp(moment, LA)
    assert text == "2027-04-17 20:15"
    assert parse_stamp(text, LA) == moment
    assert parse_stamp("2027-04-17 20:15:42", LA) == datetime(2027, 4, 17, 20, 15, 42, tzinfo=LA)
    assert parse_stamp(datetime(2027, 4, 17, 20, 15), LA) == moment  # a cell the workbook typed
    assert parse_stamp("", LA) is None and parse_stamp("soon", LA) is None and parse_stamp(None, LA) is None
    assert first_arrival([None, moment, datetime(2027, 4, 17, 1, tzinfo=UTC)]) == datetime(
        2027, 4, 17, 1, tzinfo=UTC)
    assert first_arrival([None, None]) is None


@pytest.mark.parametrize(("typed", "kept"), [
    ("https://docs.google.com/document/d/abc/edit", "https://docs.google.com/document/d/abc/edit"),
    ("  docs.google.com/document/d/abc  ", "https://docs.google.com/document/d/abc"),
    ("http://example.org/work?id=1#top", "http://example.org/work?id=1#top"),
    ("https://drive.google.com/file/d/1x/view?usp=sharing", "https://drive.google.com/file/d/1x/view?usp=sharing"),
    ("https://bücher.example/arbeit", "https://bücher.example/arbeit"),
])
def test_work_links_that_are_kept(typed: str, kept: str) -> None:
    assert work_link(typed) == kept


@pytest.mark.parametrize("typed", [
    "", "   ", "my doc", "see the folder", "javascript:alert(1)", "file:///etc/passwd",
    "mailto:teacher@example.org", "ftp://example.org/x", "https://localhost/x", "https://user:pw@example.org/",
    "https://exa mple.org", "https://example.org:port/", "=IMPORTXML(\"https://x.org\",\"//a\")",
    "https://" + "a" * 2000 + ".org", "https://-bad-.org/", "https://.org",
])
def test_work_links_that_are_refused(typed: str) -> None:
    assert work_link(typed) is None


def test_the_hand_in_form_prefills_and_labels_every_assignment_once(make_config: Any) -> None:
    config: ProgramConfig = make_config()
    spec = hand_in_spec(config)
    assert spec.name == "hand-in"
    assert spec.title == f"{config.program.name}: hand in your work"
    keys = [q.key for q in spec.questions]
    assert keys == [STUDENT_KEY, ASSIGNMENT_KEY, LINK_KEY, NOTE_KEY]
    options = assignment_options(config)
    assert list(options.values()) == ["data-cleaning", "final-project"]
    assert spec.questions[1].options == tuple(options)
    assert option_label(options, "final-project") == "Final project: a one-page data story"
    assert len({q.question_id for q in spec.questions}) == 4
    titled = make_config(assignment={"form_title": "Hand it in"})
    assert hand_in_spec(titled).title == "Hand it in"


def test_two_assignments_with_one_title_get_their_ids_in_the_label(make_config: Any) -> None:
    config: ProgramConfig = make_config(assignments=[
        {"id": "reflection", "title": "Clean a real data set", "instructions": "Again.", "meeting": 1}])
    options = assignment_options(config)
    assert options == {"Clean a real data set (reflection)": "reflection",
                       "Clean a real data set (data-cleaning)": "data-cleaning",
                       "Final project: a one-page data story": "final-project"}


def test_reading_answers_names_the_response_and_field_never_the_typed_text() -> None:
    options = {"Clean a real data set": "data-cleaning"}
    when = datetime(2027, 4, 15, 2, tzinfo=UTC)
    good = read_hand_in("r1", when, {STUDENT_KEY: " A-1 ", ASSIGNMENT_KEY: "Clean a real data set",
                                     LINK_KEY: "docs.google.com/d/x", NOTE_KEY: " thanks "}, options)
    assert good == HandIn("r1", when, "A-1", "data-cleaning", "https://docs.google.com/d/x", "thanks")
    bad_link = read_hand_in("r2", when, {STUDENT_KEY: "A-1", ASSIGNMENT_KEY: "Clean a real data set",
                                         LINK_KEY: "my secret diary"}, options)
    assert isinstance(bad_link, HandInProblem)
    assert (bad_link.applicant_id, bad_link.assignment_id) == ("A-1", "data-cleaning")
    assert "row r2" in bad_link.message and "Link to your work" in bad_link.message
    assert "diary" not in bad_link.message
    no_student = read_hand_in("r3", when, {ASSIGNMENT_KEY: "Clean a real data set", LINK_KEY: "x.org"},
                              options)
    assert isinstance(no_student, HandInProblem) and "Student ID" in no_student.message
    wrong = read_hand_in("r4", when, {STUDENT_KEY: "A-1", ASSIGNMENT_KEY: "Homework", LINK_KEY: "x.org"},
                         options)
    assert isinstance(wrong, HandInProblem) and wrong.applicant_id == "A-1" and not wrong.assignment_id


@pytest.mark.parametrize(("cell", "rating"), [
    (None, ""), ("", ""), ("  ", ""), (4, "4"), (5.0, "5"), ("3", "3"), (" 1 ", "1"), ("2.0", "2")])
def test_ratings_read(cell: Any, rating: str) -> None:
    assert parse_rating(cell, "k") == rating


@pytest.mark.parametrize("cell", [0, 6, 4.5, "great", "4/5", True, "-1"])
def test_bad_ratings_name_the_row_and_field(cell: Any) -> None:
    with pytest.raises(RowError) as caught:
        parse_rating(cell, "data-fellows:data-cleaning:A-1")
    assert caught.value.row == "data-fellows:data-cleaning:A-1" and caught.value.field == "Rating"


def _dated(given: date, due: date) -> Dated:
    return Dated(FELLOWS, Assignment(id="xx", title="X", instructions="Do x."), given, due)


def test_the_assignment_letter_goes_from_the_meeting_day_until_the_due_date() -> None:
    item = _dated(date(2027, 4, 13), date(2027, 4, 19))
    assert not given_due(item, date(2027, 4, 12))
    assert given_due(item, date(2027, 4, 13)) and given_due(item, date(2027, 4, 19))
    assert not given_due(item, date(2027, 4, 20))


def test_one_reminder_before_the_due_date_only_if_nothing_came_in() -> None:
    item = _dated(date(2027, 4, 13), date(2027, 4, 19))
    given = date(2027, 4, 13)
    assert not reminder_due(item, date(2027, 4, 16), 2, False, given)
    assert reminder_due(item, date(2027, 4, 17), 2, False, given)
    assert reminder_due(item, date(2027, 4, 19), 2, False, given)   # a missed run catches up
    assert not reminder_due(item, date(2027, 4, 20), 2, False, given)
    assert not reminder_due(item, date(2027, 4, 17), 2, True, given)    # handed in
    assert not reminder_due(item, date(2027, 4, 17), 2, False, None)    # never given
    assert not reminder_due(item, date(2027, 4, 17), 2, False, date(2027, 4, 17))  # given this morning
    same_day = _dated(date(2027, 5, 11), date(2027, 5, 11))
    assert not reminder_due(same_day, date(2027, 5, 11), 2, False, date(2027, 5, 11))
    assert reminder_due(item, date(2027, 4, 19), 0, False, given) and not reminder_due(
        item, date(2027, 4, 18), 0, False, given)


def test_waiting_for_feedback_and_when_the_partner_is_reminded() -> None:
    rows = [
        ("k1", "Maya O.", "Clean", date(2027, 4, 15), "", ""),
        ("k2", "Jordan T.", "Clean", date(2027, 4, 18), "", ""),
        ("k3", "Lily N.", "Clean", date(2027, 4, 14), "Nice work", ""),    # has feedback
        ("k4", "Ahmed K.", "Clean", None, "", ""),                         # nothing handed in
        ("k5", "Sofía R.", "Clean", date(2027, 4, 10), "", "2027-04-12 06:30"),  # feedback went
    ]
    waiting = waiting_for_feedback(rows, date(2027, 4, 20), 5)
    assert [w.key for w in waiting] == ["k1"]
    assert waiting[0].overdue_since == date(2027, 4, 20)
    later = waiting_for_feedback(rows, date(2027, 4, 23), 5)
    assert [w.student for w in later] == ["Maya O.", "Jordan T."]
    assert not partner_reminder_due([], None, date(2027, 4, 20), 5)
    assert partner_reminder_due(waiting, None, date(2027, 4, 20), 5)
    assert not partner_reminder_due(waiting, date(2027, 4, 20), date(2027, 4, 21), 5)   # once
    assert partner_reminder_due(later, date(2027, 4, 20), date(2027, 4, 23), 5)   # k2 became overdue
    assert not partner_reminder_due(waiting, date(2027, 4, 20), date(2027, 4, 24), 5)
    assert partner_reminder_due(waiting, date(2027, 4, 20), date(2027, 4, 25), 5)   # again after 5 days


def test_student_labels_are_first_name_and_last_initial() -> None:
    assert student_label(" Maya ", "okafor") == "Maya O."
    assert student_label("Sofía", "") == "Sofía"
