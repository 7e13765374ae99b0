"""Steps after a session count from its last meeting; multi-week-only steps appear only there."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from programs import write_config

from microintern.bootstrap import step_context
from microintern.config import load_config
from microintern.domain.timeline import StepName, plan
from microintern.steps.runner import occurrences

LA = ZoneInfo("America/Los_Angeles")
FIRST = date(2027, 4, 6)
LAST = date(2027, 5, 11)  # six weekly meetings


def _by_step(**kwargs: object) -> dict[StepName, object]:
    found = plan({"s1": FIRST}, zone=LA, opens_at=time(6, 30), **kwargs)  # type: ignore[arg-type]
    return {o.step.name: o for o in found}


def test_after_steps_count_from_the_last_meeting() -> None:
    steps = _by_step(session_ends={"s1": LAST})
    attendance = steps[StepName.ATTENDANCE]
    # Attendance opens the day after the first meeting and lasts until Meet drops the last
    # meeting's records (kept 30 days).
    assert attendance.opens.date() == FIRST + timedelta(days=1)  # type: ignore[attr-defined]
    assert attendance.closes.date() == LAST + timedelta(days=30)  # type: ignore[attr-defined]
    assert steps[StepName.BADGES].opens.date() == LAST + timedelta(days=3)  # type: ignore[attr-defined]
    assert steps[StepName.APPRECIATION].closes.date() == LAST + timedelta(days=8)  # type: ignore[attr-defined]
    # Before the session nothing moves.
    assert steps[StepName.REMINDERS].opens.date() == FIRST - timedelta(days=1)  # type: ignore[attr-defined]


def test_without_ends_a_session_ends_on_its_first_meeting() -> None:
    steps = _by_step()
    assert steps[StepName.BADGES].opens.date() == FIRST + timedelta(days=3)  # type: ignore[attr-defined]


def test_skipped_pairs_are_left_out() -> None:
    steps = _by_step(skip=frozenset({(StepName.HOURS_LOG, "s1")}))
    assert StepName.HOURS_LOG not in steps
    assert StepName.ASSIGNMENTS in steps


def test_the_example_program_has_assignments_and_hours_only_for_its_paid_program(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    now = datetime(2027, 1, 1, 7, tzinfo=config.zone)
    found = occurrences(step_context(config, now))
    scopes = {(o.step.name, o.scope_id) for o in found}
    assert (StepName.HOURS_LOG, "data-fellows") in scopes
    assert (StepName.ASSIGNMENTS, "data-fellows") in scopes
    assert not any(name in (StepName.HOURS_LOG, StepName.ASSIGNMENTS) and scope != "data-fellows"
                   for name, scope in scopes)
    badges = next(o for o in found if o.step.name is StepName.BADGES and o.scope_id == "data-fellows")
    last = config.session("data-fellows").meeting_starts()[-1].date()
    assert badges.opens.date() == last + timedelta(days=3)


def test_the_dashboard_is_fresh_from_the_first_application_to_two_weeks_after_the_last_meeting(
        tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    found = occurrences(step_context(config, datetime(2027, 1, 1, 7, tzinfo=config.zone)))
    dashboard = [o for o in found if o.step.name is StepName.DASHBOARD]
    assert [o.scope_id for o in dashboard] == ["program"]
    last = max(s.meeting_starts()[-1] for s in config.sessions).date()
    first = config.first_meeting().date()
    assert dashboard[0].opens.date() == first - timedelta(weeks=7)
    assert dashboard[0].closes.date() == last + timedelta(days=15)
