"""The partner pipeline's pure rules: statuses move forward only, the industry form, the cells."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import question_id
from microintern.domain.partners import (
    DECLINED,
    INDUSTRY_KEYS,
    OTHER_DATES,
    PIPELINE,
    advance,
    event_fingerprint,
    followup_due,
    form_digest,
    industry_cells,
    industry_form_spec,
    meeting_event_id,
    parse_day,
    parse_meeting_time,
    partner_dates,
    status_of,
)
from microintern.domain.records import CalendarEvent
from microintern.errors import ConfigError, RowError

MakeConfig = Callable[..., ProgramConfig]


# --- statuses ---------------------------------------------------------------------------------


def test_the_pipeline_is_the_status_dropdown_less_declined() -> None:
    assert (*PIPELINE, DECLINED) == sheet.PARTNER_STATUSES


@pytest.mark.parametrize("current", [*sheet.PARTNER_STATUSES, "", None, "On hold", "call back in May"])
@pytest.mark.parametrize("to", PIPELINE)
def test_advance_never_goes_backwards_or_off_declined(current: str | None, to: str) -> None:
    moved = advance(current, to)
    now = status_of(current)
    if now == DECLINED or now not in PIPELINE:
        assert moved is None  # the coordinator's word (or note) stands
    elif PIPELINE.index(to) > PIPELINE.index(now):
        assert moved == to
    else:
        assert moved is None


def test_advance_reads_the_cell_as_people_type_it() -> None:
    assert advance("", "contacted") == "contacted"          # blank is a prospect
    assert advance("  Contacted ", "meeting scheduled") == "meeting scheduled"
    assert advance("Meeting   Scheduled", "meeting scheduled") is None
    assert advance("CONFIRMED", "industry form received") is None
    assert advance("Declined", "thanked") is None


def test_the_tool_never_declines_a_partner() -> None:
    with pytest.raises(ValueError, match="not a stage"):
        advance("contacted", DECLINED)


# --- the industry form ------------------------------------------------------------------------


def test_industry_form_spec_has_stable_question_ids(make_config: MakeConfig) -> None:
    config = make_config()
    spec = industry_form_spec(config)
    assert spec.name == "industry"
    assert spec.title == f"{config.program.name}: industry partner form"
    ids = spec.question_ids()
    assert ids == {key: question_id(key) for key in ids}
    assert len(set(ids.values())) == len(ids)
    assert list(ids)[:2] == ["partner_id", "organization"]
    assert set(INDUSTRY_KEYS.values()) == set(sheet.INDUSTRY_COLUMNS)
    assert set(INDUSTRY_KEYS) <= set(ids)

    # Other dates, another title: the same questions keep the same ids.
    moved = make_config(
        partner_pipeline={"industry_form_title": "Host a micro-internship"},
        sessions=[{**s.model_dump(mode="json", exclude_none=True), "meetings": ["2027-03-30 09:00"],
                   "weekly": None} if s.id == "cyber-basics" else s.model_dump(mode="json", exclude_none=True)
                  for s in config.sessions])
    other = industry_form_spec(moved)
    assert other.title == "Host a micro-internship"
    assert other.question_ids() == ids
    assert other != spec
    assert form_digest(industry_form_spec(make_config())) == form_digest(spec)
    assert form_digest(other) != form_digest(spec)


def test_industry_form_dates_are_checkboxes_without_commas(make_config: MakeConfig) -> None:
    config = make_config()
    questions = {q.key: q for q in industry_form_spec(config).questions}
    dates = questions["available_dates"]
    assert dates.kind.value == "checkboxes"
    assert dates.options[-1] == OTHER_DATES
    assert "Tuesday March 16 2027 at 3:30 PM" in dates.options
    assert "Tuesday April 6 2027 at 4:00 PM (first of 6 meetings)" in dates.options
    # Forms joins ticked boxes with ", ": options must not contain it, or the cell is ambiguous.
    assert not any("," in option for option in dates.options)
    assert len(set(dates.options)) == len(dates.options)
    assert partner_dates(config, "solis-cyber") == ["Tuesday March 16 2027 at 3:30 PM"]
    assert questions["group_size"].options == ("4", "5", "6", "4-6")
    assert questions["recording_consent"].options == ("Yes", "No")
    assert questions["co_presenters"].kind.value == "paragraph"
    assert questions["partner_id"].required


def test_industry_form_title_on_two_lines_is_a_config_error(make_config: MakeConfig) -> None:
    config = make_config(partner_pipeline={"industry_form_title": "Industry\nform"})
    with pytest.raises(ConfigError, match=r"partner_pipeline\.industry_form_title"):
        industry_form_spec(config)


def test_industry_cells_keep_answers_as_given_and_join_other_dates() -> None:
    cells = industry_cells({
        "topic": "=HYPERLINK(\"http://x.example\",\"click\")", "skills": "Threat modelling",
        "available_dates": "Tuesday March 16 2027 at 3:30 PM, Other dates (tell us below)",
        "other_dates": "Any Thursday after 4", "group_size": "4-6", "recording_consent": "No",
        "co_presenters": "",
    })
    assert cells == {
        "Topic": "=HYPERLINK(\"http://x.example\",\"click\")",
        "Skills to teach": "Threat modelling",
        "Available dates": "Tuesday March 16 2027 at 3:30 PM, Other dates (tell us below); "
                           "Any Thursday after 4",
        "Group size": "4-6", "Recording consent": "No", "Co-presenters": "",
    }
    assert industry_cells({})["Available dates"] == ""
    assert industry_cells({"skills": "one\r\ntwo\rthree"})["Skills to teach"] == "one\ntwo\nthree"


# --- cells the coordinator fills in -------------------------------------------------------------


@pytest.mark.parametrize(("cell", "expected"), [
    ("2027-01-26 10:00", datetime(2027, 1, 26, 10, 0)),
    (" 2027-01-26  10:00 ", datetime(2027, 1, 26, 10, 0)),
    ("2027-01-26T10:00:00", datetime(2027, 1, 26, 10, 0)),     # the local workbook's datetime cells
    ("1/26/2027 10:00:00", datetime(2027, 1, 26, 10, 0)),      # Sheets, a date-time typed in (US)
    ("", None), (None, None), ("   ", None),
])
def test_meeting_time_reads_local_wall_times(cell: str | None, expected: datetime | None) -> None:
    assert parse_meeting_time(cell, "solis-cyber") == expected


@pytest.mark.parametrize(("cell", "reason"), [
    ("next Tuesday", "expected a local date and time like 2027-01-26 10:00"),
    ("2027-01-26", "expected a time as well as a date"),
    ("2027-01-26 10:00+01:00", "without a UTC offset"),
    ("2027-02-30 10:00", "expected a local date and time"),
    (46413.5, "expected a local date and time"),
])
def test_meeting_time_errors_name_the_tab_partner_and_field(cell: object, reason: str) -> None:
    with pytest.raises(RowError) as caught:
        parse_meeting_time(cell, "desert-health")  # type: ignore[arg-type]
    error = caught.value
    assert (error.where, error.row, error.field) == ("Partners", "desert-health", "Meeting time")
    assert reason in error.reason
    assert str(error).startswith("Partners, row desert-health, field 'Meeting time': ")


def test_day_cells_read_what_the_tool_and_people_write() -> None:
    for cell in ("January 19, 2027", "Jan 19, 2027", "2027-01-19", "1/19/2027", "2027-01-19T00:00:00"):
        assert parse_day(cell, "p", sheet.PARTNER_CONTACTED) == date(2027, 1, 19)
    assert parse_day("", "p", sheet.PARTNER_CONTACTED) is None
    with pytest.raises(RowError, match=r"Partners, row solis-cyber, field 'Contacted'"):
        parse_day("last week", "solis-cyber", sheet.PARTNER_CONTACTED)


def test_followup_is_due_after_the_silence_once_and_only_while_contacted() -> None:
    sent = date(2027, 1, 19)
    assert not followup_due("contacted", sent, None, sent + timedelta(days=6), 7)
    assert followup_due("contacted", sent, None, sent + timedelta(days=7), 7)
    assert followup_due("Contacted", sent, "", sent + timedelta(days=20), 7)
    assert not followup_due("contacted", sent, "January 26, 2027", sent + timedelta(days=8), 7)
    assert not followup_due("contacted", None, None, sent + timedelta(days=8), 7)
    for moved_on in ("meeting scheduled", "confirmed", "declined", "prospect"):
        assert not followup_due(moved_on, sent, None, sent + timedelta(days=8), 7)


# --- the planning meeting -----------------------------------------------------------------------


def test_meeting_event_ids_are_deterministic_calendar_ids() -> None:
    first = meeting_event_id("mvusd-spring-2027", "solis-cyber")
    assert first == meeting_event_id("mvusd-spring-2027", "solis-cyber")
    assert re.fullmatch(r"[0-9a-f]{32}", first)  # hex is base32hex: Calendar takes it
    assert first != meeting_event_id("mvusd-spring-2027", "desert-health")
    assert first != meeting_event_id("mvusd-fall-2027", "solis-cyber")


def test_event_fingerprint_tells_a_rerun_from_a_change() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    start = datetime(2027, 1, 26, 10, 0, tzinfo=zone)
    event = CalendarEvent("0123456789abcdef", "Planning", "About", start, start + timedelta(minutes=30),
                          "America/Los_Angeles", ("a@x.example", "b@x.example"),
                          "https://meet.google.com/abc-defg-hij")
    assert event_fingerprint(event) == event_fingerprint(replace(event))
    assert event_fingerprint(event).startswith("2027-01-26 10:00 ")
    later = replace(event, start=start + timedelta(hours=1), end=start + timedelta(minutes=90))
    assert event_fingerprint(later) != event_fingerprint(event)
    assert event_fingerprint(replace(event, meet_uri="https://meet.google.com/xyz-abcd-efg")) != \
        event_fingerprint(event)
