"""The timeline: windows from the toolkit, DST-correct, and states from the recorded runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from microintern.domain.timeline import (
    PROGRAM,
    STEPS,
    RunRecord,
    StepName,
    StepState,
    plan,
    should_run,
    state_of,
)

LA = ZoneInfo("America/Los_Angeles")
# US daylight saving time starts on 14 March 2027: T-8w is in PST, T in PDT.
T = date(2027, 3, 16)


def _occurrence(name: StepName, scope: str = "s1", anchors: dict[str, date] | None = None):
    for o in plan(anchors or {"s1": T}, zone=LA, opens_at=time(6, 30)):
        if o.step.name is name and o.scope_id == scope:
            return o
    raise AssertionError(name)


def test_toolkit_offsets() -> None:
    weeks = {s.name: s.opens_day / 7 for s in STEPS}
    assert weeks[StepName.PARTNER_OUTREACH] == -8
    assert weeks[StepName.PARTNER_MEETING] == -7
    assert weeks[StepName.APPLICATION_FORM] == -7
    assert weeks[StepName.RECRUITMENT] == -6
    assert weeks[StepName.SCREENING] == -6
    assert weeks[StepName.DECISIONS] == -4
    assert weeks[StepName.REGISTRATION] == -4
    assert weeks[StepName.RELEASE_FORMS] == -3
    assert weeks[StepName.SESSION_SUPPORT] == -3
    by_name = {s.name: s for s in STEPS}
    assert by_name[StepName.FEEDBACK].opens_day == 2
    # Open past the request's first days for the one reminder (reminder_after_days <= 5).
    assert by_name[StepName.FEEDBACK].closes_day == 9
    # Industry form answers come in after the meeting, so the step keeps reading them to T-3w.
    assert by_name[StepName.PARTNER_MEETING].closes_day == -3 * 7 - 1
    assert (by_name[StepName.BADGES].opens_day, by_name[StepName.BADGES].closes_day) == (3, 5)
    assert (by_name[StepName.APPRECIATION].opens_day,
            by_name[StepName.APPRECIATION].closes_day) == (5, 7)


def test_windows_open_at_local_hour_on_both_sides_of_dst() -> None:
    outreach = _occurrence(StepName.PARTNER_OUTREACH)
    reminder = _occurrence(StepName.REMINDERS)
    assert outreach.opens.date() == T - timedelta(weeks=8)
    assert outreach.opens.astimezone(LA).time() == time(6, 30)
    assert reminder.opens.astimezone(LA).time() == time(6, 30)
    assert outreach.opens.utcoffset() == timedelta(hours=-8)  # PST
    assert reminder.opens.utcoffset() == timedelta(hours=-7)  # PDT
    # Same local hour, so the UTC hours differ by the DST shift.
    assert outreach.opens.astimezone(ZoneInfo("UTC")).hour == 14
    assert reminder.opens.astimezone(ZoneInfo("UTC")).hour == 13


def test_window_on_the_dst_day_itself_is_23_hours_long() -> None:
    anchors = {"s1": date(2027, 3, 15)}  # the reminder day (T-1) is 14 March, the change day
    reminder = _occurrence(StepName.REMINDERS, anchors=anchors)
    assert reminder.opens.date() == date(2027, 3, 14)
    midnight = datetime(2027, 3, 14, tzinfo=LA).astimezone(UTC)
    assert reminder.closes.astimezone(UTC) - midnight == timedelta(hours=23)


def test_program_steps_anchor_to_the_earliest_session() -> None:
    anchors = {"early": T, "late": T + timedelta(days=30)}
    form = _occurrence(StepName.APPLICATION_FORM, scope=PROGRAM, anchors=anchors)
    assert form.opens.date() == T - timedelta(weeks=7)
    keys = [o.key for o in plan(anchors, zone=LA, opens_at=time(6, 30))]
    assert "application_form:program" in keys and "application_form:late" not in keys
    assert "badges:late" in keys and "badges:early" in keys


def test_states() -> None:
    occ = _occurrence(StepName.FEEDBACK)
    before = occ.opens - timedelta(minutes=1)
    during = occ.opens + timedelta(hours=2)
    next_day = during + timedelta(days=1)
    after = occ.closes + timedelta(days=3)
    ran_today = RunRecord(last_run=during, runs=1, ok=True, result="sent 4")
    failed = RunRecord(last_run=during, runs=1, ok=False, result="failed: boom")
    assert state_of(occ, None, before) is StepState.UPCOMING
    assert state_of(occ, None, during) is StepState.DUE
    assert state_of(occ, ran_today, during) is StepState.DONE
    assert state_of(occ, ran_today, next_day) is StepState.DUE  # open windows run daily
    assert state_of(occ, failed, during) is StepState.DUE
    assert state_of(occ, None, after) is StepState.OVERDUE
    assert state_of(occ, failed, after) is StepState.OVERDUE
    assert state_of(occ, ran_today, after) is StepState.DONE


def test_catch_up_runs_overdue_steps_only_when_enabled() -> None:
    assert should_run(StepState.DUE, catch_up=False)
    assert should_run(StepState.OVERDUE, catch_up=True)
    assert not should_run(StepState.OVERDUE, catch_up=False)
    assert not should_run(StepState.DONE, catch_up=True)
    assert not should_run(StepState.UPCOMING, catch_up=True)


def test_plan_is_ordered_by_opening() -> None:
    occurrences = plan({"a": T, "b": T + timedelta(days=2)}, zone=LA, opens_at=time(7))
    opens = [o.opens for o in occurrences]
    assert opens == sorted(opens)
    assert occurrences[0].step.name is StepName.PARTNER_OUTREACH
