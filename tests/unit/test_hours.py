"""The hours log's pure core: every flag, what counts, weekly totals, pace, Decimal payroll."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from programs import write_config

from microintern.config import ProgramConfig, Session, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.hours import (
    NEVER_COUNTS,
    CheckedEntry,
    Decision,
    Flag,
    LoggedEntry,
    LogWindow,
    Pace,
    PayLine,
    check_entries,
    confirmed_hours,
    csv_safe,
    decision_of,
    hours_check,
    hours_form_spec,
    hours_row,
    iso_week,
    parse_hours,
    parse_work_date,
    payroll_csv,
    payroll_lines,
    pending_hours,
    short_name,
    weekly_totals,
)

LA = ZoneInfo("America/Los_Angeles")
SESSION = "data-fellows"          # six weekly meetings from 2027-04-06 16:00, 90 minutes
WINDOW = LogWindow(date(2027, 4, 6), date(2027, 5, 25))
STUDENTS = {"A-0001": SESSION, "A-0002": SESSION, "A-0003": SESSION}
MAX = Decimal(12)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ProgramConfig:
    return load_config(write_config(tmp_path_factory.mktemp("hours")))


@pytest.fixture(scope="module")
def fellows(config: ProgramConfig) -> Session:
    return config.session(SESSION)


def entry(key: str, student: str, day: str, hours: str, activity: str = "Cleaned the data set", *,
          logged: str = "2027-04-20 19:00") -> LoggedEntry:
    return LoggedEntry(key, student, datetime.fromisoformat(logged).replace(tzinfo=LA), day, hours, activity)


def check(*entries: LoggedEntry, decisions: dict[str, Decision] | None = None,
          students: dict[str, str] | None = None) -> dict[str, CheckedEntry]:
    checked = check_entries(entries, STUDENTS if students is None else students, {SESSION: WINDOW},
                            decisions or {}, max_per_day=MAX, zone=LA)
    return {c.key: c for c in checked}


def reasons(item: CheckedEntry) -> dict[Flag, str]:
    return {f.flag: f.reason for f in item.findings}


# --- the form --------------------------------------------------------------------------------------


def test_form_asks_four_things_with_a_date_question_and_stable_ids(config: ProgramConfig) -> None:
    spec = hours_form_spec(config)
    assert spec.name == "hours"
    assert [q.key for q in spec.questions] == ["applicant_id", "date_worked", "hours", "activity"]
    assert [q.kind.value for q in spec.questions] == ["short_text", "date", "number", "paragraph"]
    assert all(q.required for q in spec.questions)
    assert spec.title == f"{config.program.name}: hours log"
    assert spec.question_ids() == hours_form_spec(config).question_ids()
    from microintern.domain.forms import question_json

    assert question_json(spec.questions[1]) == {
        "questionId": spec.questions[1].question_id, "required": True,
        "dateQuestion": {"includeYear": True, "includeTime": False}}


# --- every flag ------------------------------------------------------------------------------------


def test_a_plain_entry_has_no_flag_and_counts_only_once_confirmed() -> None:
    pending = check(entry("k1", "A-0001", "2027-04-19", "2.5"))["k1"]
    assert pending.findings == () and pending.pending and not pending.countable
    assert pending.week == "2027-W16" and pending.hours == Decimal("2.5")
    confirmed = check(entry("k1", "A-0001", "2027-04-19", "2.5"), decisions={"k1": Decision.CONFIRMED})["k1"]
    assert confirmed.countable and not confirmed.pending
    rejected = check(entry("k1", "A-0001", "2027-04-19", "2.5"), decisions={"k1": Decision.REJECTED})["k1"]
    assert not rejected.countable and not rejected.pending


def test_exact_resubmission_is_a_duplicate_of_the_first_and_never_counts() -> None:
    first = entry("k1", "A-0001", "2027-04-19", "2.5", "Built  the pivot table")
    again = entry("k2", "a-0001 ", "4/19/2027", "2.50", "built the pivot table", logged="2027-04-20 20:00")
    found = check(again, first, decisions={"k1": Decision.CONFIRMED, "k2": Decision.CONFIRMED})
    assert found["k1"].findings == ()
    assert reasons(found["k2"]) == {Flag.DUPLICATE: "duplicate of k1"}
    assert found["k2"].never_counts and not found["k2"].countable  # confirmed, still not counted
    assert confirmed_hours(found.values()) == {"A-0001": Decimal("2.5")}


def test_a_second_entry_for_the_same_day_is_a_possible_duplicate_counted_only_when_confirmed() -> None:
    first = entry("k1", "A-0001", "2027-04-19", "2")
    other = entry("k2", "A-0001", "2027-04-19", "3", "Wrote the chart notes", logged="2027-04-21 08:00")
    found = check(first, other)
    assert reasons(found["k2"]) == {
        Flag.SAME_DAY: "possible duplicate of k1 (same date, other hours or activity)"}
    assert found["k2"].pending
    both = check(first, other, decisions={"k1": Decision.CONFIRMED, "k2": Decision.CONFIRMED})
    assert confirmed_hours(both.values()) == {"A-0001": Decimal(5)}


def test_over_the_daily_maximum_flags_every_entry_of_that_day() -> None:
    found = check(entry("k1", "A-0001", "2027-04-19", "8"),
                  entry("k2", "A-0001", "2027-04-19", "6", "More cleaning", logged="2027-04-20 19:30"),
                  entry("k3", "A-0001", "2027-04-18", "12"),          # exactly the maximum: fine
                  entry("k4", "A-0002", "2027-04-19", "14"))          # one 14-hour entry
    reason = "over 12 h on 2027-04-19 (14 h logged that day)"
    assert reasons(found["k1"])[Flag.OVER_DAILY_MAX] == reason
    assert reasons(found["k2"])[Flag.OVER_DAILY_MAX] == reason
    assert Flag.SAME_DAY in reasons(found["k2"])
    assert found["k3"].findings == ()
    assert reasons(found["k4"]) == {Flag.OVER_DAILY_MAX: reason}
    # A human decision makes it count; the flag stays as the record of what they looked at.
    decided = check(entry("k4", "A-0002", "2027-04-19", "14"), decisions={"k4": Decision.CONFIRMED})
    assert decided["k4"].countable and Flag.OVER_DAILY_MAX in decided["k4"].flags


def test_a_duplicate_does_not_push_the_day_over_the_maximum() -> None:
    found = check(entry("k1", "A-0001", "2027-04-19", "8"),
                  entry("k2", "A-0001", "2027-04-19", "8", logged="2027-04-20 19:05"))
    assert found["k1"].findings == ()
    assert set(reasons(found["k2"])) == {Flag.DUPLICATE}


def test_future_date_is_judged_on_the_program_day_it_was_logged_and_never_counts() -> None:
    # 23:30 in Los Angeles is already the next day in UTC: the local day decides.
    late = LoggedEntry("k1", "A-0001", datetime(2027, 4, 21, 6, 30, tzinfo=UTC), "2027-04-21", "2", "x")
    today = LoggedEntry("k2", "A-0001", datetime(2027, 4, 21, 6, 30, tzinfo=UTC), "2027-04-20", "2", "y")
    found = check(late, today, decisions={"k1": Decision.CONFIRMED, "k2": Decision.CONFIRMED})
    assert reasons(found["k1"]) == {
        Flag.FUTURE_DATE: "future date: 2027-04-21 is after the day it was logged (2027-04-20)"}
    assert not found["k1"].countable and found["k2"].countable


def test_outside_the_program_window_counts_only_when_confirmed() -> None:
    before = entry("k1", "A-0001", "2027-04-05", "2", logged="2027-04-06 08:00")
    after = entry("k2", "A-0001", "2027-05-26", "2", logged="2027-05-27 08:00")
    last_day = entry("k3", "A-0001", "2027-05-25", "2", logged="2027-05-25 20:00")
    found = check(before, after, last_day)
    outside = "outside the program (2027-04-06 to 2027-05-25)"
    assert reasons(found["k1"]) == {Flag.OUTSIDE_PROGRAM: outside}
    assert reasons(found["k2"]) == {Flag.OUTSIDE_PROGRAM: outside}
    assert found["k3"].findings == ()
    assert found["k1"].pending
    decided = check(before, decisions={"k1": Decision.CONFIRMED})
    assert confirmed_hours(decided.values()) == {"A-0001": Decimal(2)}


@pytest.mark.parametrize("typed", ["lots", "0", "-2", "24.5", "2.333", "1e1", "", "nan", "Infinity", "2:30",
                                   "=1+1", "1,000", "٣"])
def test_hours_that_are_not_a_plausible_number_are_bad_input_naming_the_field(typed: str) -> None:
    item = check(entry("k1", "A-0001", "2027-04-19", typed), decisions={"k1": Decision.CONFIRMED})["k1"]
    reason = reasons(item)[Flag.BAD_INPUT]
    assert reason.startswith("Hours: ") and "above 0 and at most 24" in reason
    assert item.hours is None and item.never_counts and not item.countable and not item.pending


@pytest.mark.parametrize(("typed", "hours"), [("2.5", "2.5"), ("2,5", "2.5"), (" 3 h", "3"), ("4 hours", "4"),
                                              ("1.5 horas", "1.5"), (".75", "0.75"), ("24", "24")])
def test_hours_people_write_are_read(typed: str, hours: str) -> None:
    assert parse_hours(typed) == Decimal(hours)


@pytest.mark.parametrize("typed", ["next Tuesday", "2027-02-30", "13/01/2027", "", "2027-4"])
def test_a_date_that_cannot_be_read_is_bad_input_naming_the_field(typed: str) -> None:
    item = check(entry("k1", "A-0001", typed, "2"))["k1"]
    assert reasons(item)[Flag.BAD_INPUT].startswith("Date worked: ")
    assert item.week == "" and item.never_counts


def test_dates_as_forms_and_a_linked_sheet_write_them() -> None:
    assert parse_work_date("2027-04-06") == parse_work_date("4/6/2027") == date(2027, 4, 6)
    assert parse_work_date("2027/04/06") == date(2027, 4, 6)
    assert iso_week(date(2027, 4, 6)) == "2027-W14" and iso_week(date(2027, 1, 1)) == "2026-W53"


def test_unknown_student_never_counts_and_the_id_is_shown_safely() -> None:
    item = check(entry("k1", "A-9999", "2027-04-19", "2"), decisions={"k1": Decision.CONFIRMED})["k1"]
    assert reasons(item) == {Flag.UNKNOWN_STUDENT: "unknown student id 'A-9999' (not a student of a "
                                                   "session with an hours log)"}
    assert item.session_id == "" and not item.countable
    long = check(entry("k2", "x" * 500 + "\r\nBcc: evil", "2027-04-19", "2"))["k2"]
    assert len(long.flag_text()) < 120 and "\n" not in long.flag_text()


def test_an_entry_carries_every_flag_that_applies() -> None:
    first = entry("k1", "A-0003", "2027-05-28", "10", logged="2027-05-26 10:00")
    second = entry("k2", "A-0003", "2027-05-28", "14", "Other", logged="2027-05-26 11:00")
    found = check(first, second)
    assert set(reasons(found["k2"])) == {Flag.FUTURE_DATE, Flag.OUTSIDE_PROGRAM}  # the day total skips
    assert found["k2"].flag_text().count("; ") == 1                              # never-counting ones
    both_bad = check(entry("k3", "A-0404", "soon", "many"))["k3"]
    assert [f.flag for f in both_bad.findings] == [Flag.BAD_INPUT, Flag.BAD_INPUT, Flag.UNKNOWN_STUDENT]
    assert "Date worked: 'soon'" in both_bad.flag_text() and "Hours: 'many'" in both_bad.flag_text()


def test_never_counting_flags_are_exactly_the_documented_ones() -> None:
    # Issue 14: an entry sent by someone else's signed-in address never counts either.
    assert NEVER_COUNTS == {Flag.DUPLICATE, Flag.FUTURE_DATE, Flag.BAD_INPUT, Flag.UNKNOWN_STUDENT,
                            Flag.NOT_THE_STUDENT}


def test_confirmation_cells() -> None:
    assert decision_of(None) is decision_of("  ") is Decision.PENDING
    assert decision_of(" Confirmed ") is Decision.CONFIRMED and decision_of("REJECTED") is Decision.REJECTED
    assert decision_of("ok") is None and decision_of("yes") is None


# --- totals and pace -------------------------------------------------------------------------------


def test_weekly_totals_are_confirmed_countable_hours_per_iso_week() -> None:
    confirmed = {k: Decision.CONFIRMED for k in ("k1", "k2", "k3", "k4", "k5")}
    found = check(entry("k1", "A-0001", "2027-04-06", "1.5", logged="2027-04-08 19:00"),
                  entry("k2", "A-0001", "2027-04-07", "3", logged="2027-04-08 19:00"),
                  entry("k3", "A-0001", "2027-04-13", "1.5", logged="2027-04-15 19:00"),
                  entry("k4", "A-0001", "2027-04-13", "1.5", logged="2027-04-15 19:01"),   # duplicate
                  entry("k5", "A-0002", "2027-04-14", "2.25", logged="2027-04-15 19:00"),
                  entry("k6", "A-0002", "2027-04-15", "4", logged="2027-04-15 20:00"),     # pending
                  decisions=confirmed)
    assert weekly_totals(found.values()) == {
        "A-0001": {"2027-W14": Decimal("4.5"), "2027-W15": Decimal("1.5")},
        "A-0002": {"2027-W15": Decimal("2.25")}}
    assert confirmed_hours(found.values()) == {"A-0001": Decimal(6), "A-0002": Decimal("2.25")}
    assert pending_hours(found.values()) == {"A-0002": Decimal(4)}


def test_pace_counts_meetings_held_and_the_program_week(fellows: Session) -> None:
    before = Pace.of(fellows, datetime(2027, 4, 6, 17, 0, tzinfo=LA), LA)     # first meeting running
    assert (before.held, before.total, before.week, before.expected) == (0, 6, 1, 0)
    fourth = Pace.of(fellows, datetime(2027, 4, 27, 17, 30, tzinfo=LA), LA)   # the 4th just ended
    assert (fourth.held, fourth.week, fourth.expected) == (4, 4, Decimal(20))
    after = Pace.of(fellows, datetime(2027, 6, 30, 8, 0, tzinfo=LA), LA)
    assert (after.held, after.week, after.expected) == (6, 6, Decimal(30))
    # The pace is read on the program's wall clock, whatever zone the time comes in.
    assert Pace.of(fellows, datetime(2027, 4, 28, 0, 30, tzinfo=UTC), LA).held == 4


def test_hours_check_texts() -> None:
    week3 = Pace(Decimal(30), held=3, total=6, week=3)      # expected 15
    week4 = Pace(Decimal(30), held=4, total=6, week=4)      # expected 20
    assert hours_check(Decimal(18), week3) == "on track: 18 of 30 h"
    assert hours_check(Decimal(12), week4) == "under target: 12 of 30 h by week 4"
    assert hours_check(Decimal(20), week4) == "on track: 20 of 30 h"
    assert hours_check(Decimal(33), week4) == "over target: 33 of 30 h"
    assert hours_check(Decimal("19.75"), week4, Decimal("2.5")) == \
        "under target: 19.75 of 30 h by week 4 (2.5 h waiting for confirmation)"
    assert hours_check(Decimal(0), Pace(Decimal(30), 0, 6, 1)) == "on track: 0 of 30 h"


def test_the_pending_letter_day() -> None:
    from microintern.steps.hours import pending_letter_day

    today = date(2027, 4, 12)
    assert pending_letter_day(None, "", today, 3) == today                         # the first one
    assert pending_letter_day(today, "sent", today, 3) == today                    # a rerun: skipped
    assert pending_letter_day(date(2027, 4, 10), "sent", today, 3) is None         # too soon
    assert pending_letter_day(date(2027, 4, 9), "sent", today, 3) == today         # due again
    assert pending_letter_day(date(2027, 4, 9), "held", today, 3) == today
    # A run died after drafting it: that same letter is finished, no new one is started.
    assert pending_letter_day(date(2027, 4, 8), "drafted", today, 3) == date(2027, 4, 8)


# --- the sheet -------------------------------------------------------------------------------------


def test_hours_row_writes_tool_cells_only_and_keeps_hostile_text_as_text() -> None:
    item = check(entry("k1", "A-0001", "4/19/2027", "2.5", "=IMPORTXML(\"http://x\")"))["k1"]
    row = hours_row(item, "Maya O.", LA)
    assert row == {sheet.ENTRY_KEY: "k1", sheet.SESSION_ID: SESSION, sheet.APPLICANT_ID: "A-0001",
                   "Student": "Maya O.", sheet.SUBMITTED: "2027-04-20 19:00", sheet.WORK_DATE: "2027-04-19",
                   sheet.WEEK: "2027-W16", sheet.HOURS_LOGGED: 2.5, sheet.ACTIVITY: "=IMPORTXML(\"http://x\")",
                   sheet.HOURS_FLAGS: ""}
    assert sheet.CONFIRMATION not in row and sheet.NOTES not in row
    assert set(row) | {sheet.CONFIRMATION, sheet.NOTES} == set(sheet.HOURS_COLUMNS)
    bad = hours_row(check(entry("k2", "A-0001", "soon", "lots", "x" * 60_000))["k2"], "", LA)
    assert bad[sheet.HOURS_LOGGED] == "lots" and bad[sheet.WORK_DATE] == "soon"
    assert len(str(bad[sheet.ACTIVITY])) < 5100  # far below Sheets' 50,000-character cell limit
    whole = hours_row(check(entry("k3", "A-0001", "2027-04-19", "3"))["k3"], "", LA)
    assert whole[sheet.HOURS_LOGGED] == 3 and isinstance(whole[sheet.HOURS_LOGGED], int)


def test_the_hours_tab_guides_the_confirmer(config: ProgramConfig) -> None:
    from microintern.domain.sheet_rules import Condition, sheet_rules

    rules = sheet_rules(config).tab(sheet.HOURS)
    assert rules is not None
    (dropdown,) = rules.dropdowns
    assert (dropdown.header, dropdown.options) == (sheet.CONFIRMATION, ("confirmed", "rejected"))
    assert "the teacher" in dropdown.help and "never count" in dropdown.help
    assert "duplicates, future dates" in dropdown.help and "counts once confirmed" in dropdown.help
    assert (sheet.HOURS_FLAGS, Condition.NOT_BLANK) in {(h.header, h.condition) for h in rules.highlights}
    assert sheet.CONFIRMATION not in rules.tool_owned and sheet.NOTES not in rules.tool_owned
    assert set(rules.tool_owned) == set(sheet.HOURS_COLUMNS) - {sheet.CONFIRMATION, sheet.NOTES}


def test_short_name() -> None:
    assert short_name("Maya", "Okafor") == "Maya O."
    assert short_name(" Sofía ", "ramírez") == "Sofía r."
    assert short_name("Maya", "") == "Maya"


# --- payroll ---------------------------------------------------------------------------------------


def test_amounts_use_decimal_half_up_rounding() -> None:
    line = PayLine("A-1", SESSION, Decimal("12.25"), Decimal("16.50"), "USD")
    assert line.amount == Decimal("202.13")            # 202.125: half up, not half even (202.12)
    assert PayLine("A-1", SESSION, Decimal("0.01"), Decimal("0.5"), "USD").amount == Decimal("0.01")
    assert PayLine("A-1", SESSION, Decimal("0.1"), Decimal("0.1"), "USD").amount == Decimal("0.01")
    # Float arithmetic gets this one wrong (1.005 * 100 = 100.49999...).
    assert PayLine("A-1", SESSION, Decimal("1.005") * 100 / 100, Decimal(1), "USD").amount == Decimal("1.01")
    assert round(1.005, 2) == 1.0


def test_csv_values_that_a_spreadsheet_would_run_get_a_quote() -> None:
    for value in ("=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_safe(value) == "'" + value
    assert csv_safe("A-0001") == "A-0001" and csv_safe("") == ""


def test_payroll_export_matches_a_hand_computed_example() -> None:
    """Three students, written out by hand.

    A-0001: 2.5 (confirmed) + 3.25 (confirmed) = 5.75 h; 4 h rejected, 2 h pending, not paid.
            5.75 × 16.50 = 94.875 → 94.88 (half up).
    A-0002: 8 (confirmed) + 7 (confirmed) = 15 h; the exact resubmission of the 8 and a future
            date were confirmed too but never count. 15 × 16.50 = 247.50.
    @A-0003 (an id a coordinator typed, starting with @): 1.5 (confirmed, outside the program
            window: counts because confirmed) = 1.5 h × 16.50 = 24.75; written '@A-0003.
    A-9999 is no student of the session: its confirmed entry pays nobody.
    """
    students = {"A-0001": SESSION, "A-0002": SESSION, "@A-0003": SESSION}
    c, r = Decision.CONFIRMED, Decision.REJECTED
    entries = [
        entry("a1", "A-0001", "2027-04-06", "2.5", logged="2027-04-07 19:00"),
        entry("a2", "A-0001", "2027-04-08", "3.25", logged="2027-04-09 19:00"),
        entry("a3", "A-0001", "2027-04-09", "4", logged="2027-04-10 19:00"),
        entry("a4", "A-0001", "2027-04-10", "2", logged="2027-04-11 19:00"),
        entry("b1", "A-0002", "2027-04-06", "8", "Data day", logged="2027-04-07 19:00"),
        entry("b2", "A-0002", "2027-04-06", "8", "Data day", logged="2027-04-07 19:10"),
        entry("b3", "A-0002", "2027-04-20", "3", logged="2027-04-12 19:00"),
        entry("b4", "A-0002", "2027-04-13", "7", logged="2027-04-14 19:00"),
        entry("c1", "@A-0003", "2027-04-05", "1.5", logged="2027-04-06 19:00"),
        entry("z1", "A-9999", "2027-04-06", "5", logged="2027-04-07 19:00"),
    ]
    decisions = {"a1": c, "a2": c, "a3": r, "b1": c, "b2": c, "b3": c, "b4": c, "c1": c, "z1": c}
    checked = check_entries(entries, students, {SESSION: WINDOW}, decisions, max_per_day=MAX, zone=LA)
    lines = payroll_lines(checked, {SESSION: Decimal("16.50")}, "USD")
    assert payroll_csv(lines) == (
        "Student ID,Session ID,Confirmed hours,Rate,Amount,Currency\r\n"
        "'@A-0003,data-fellows,1.50,16.50,24.75,USD\r\n"
        "A-0001,data-fellows,5.75,16.50,94.88,USD\r\n"
        "A-0002,data-fellows,15.00,16.50,247.50,USD\r\n")
    assert sum(line.amount for line in lines) == Decimal("367.13")


def test_sessions_without_a_rate_are_left_out_of_the_export() -> None:
    checked = check(entry("k1", "A-0001", "2027-04-19", "2"), decisions={"k1": Decision.CONFIRMED})
    assert payroll_lines(checked.values(), {}, "USD") == []
    assert payroll_csv([]) == "Student ID,Session ID,Confirmed hours,Rate,Amount,Currency\r\n"


def test_ten_thousand_entries_are_checked_and_exported_in_well_under_a_few_seconds() -> None:
    students = {f"A-{n:04d}": SESSION for n in range(200)}
    start = datetime(2027, 4, 6, 20, 0, tzinfo=LA)
    entries = [LoggedEntry(f"r{n}", f"A-{n % 200:04d}", start + timedelta(days=n // 200 + 1),
                           (date(2027, 4, 6) + timedelta(days=n // 200)).isoformat(), "2.25", "work")
               for n in range(10_000)]
    decisions = {f"r{n}": Decision.CONFIRMED for n in range(0, 10_000, 3)}
    began = time.perf_counter()
    checked = check_entries(entries, students, {SESSION: LogWindow(date(2027, 4, 6), date(2027, 6, 30))},
                            decisions, max_per_day=MAX, zone=LA)
    text = payroll_csv(payroll_lines(checked, {SESSION: Decimal("16.50")}, "USD"))
    elapsed = time.perf_counter() - began
    assert text.count("\r\n") == 201
    assert sum(1 for c in checked if c.countable) == len(decisions)
    assert elapsed < 5, elapsed


def test_the_window_of_the_example_session(config: ProgramConfig) -> None:
    fellows = config.session(SESSION)
    assert LogWindow.of(fellows) == WINDOW
    assert fellows.hours_target == 30 and fellows.hourly_rate == 16.5
