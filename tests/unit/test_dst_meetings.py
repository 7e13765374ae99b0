"""Meeting times around DST changes: a time the clocks skip is refused, one they repeat is named.

In 2027 US clocks spring forward on 14 March (02:00 becomes 03:00) and fall back on
7 November (01:00-02:00 happens twice). Checked in America/Denver and the example's
America/Los_Angeles, in the pure rules, in config validation, in check-config and in the
Sessions tab's Meetings cell.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from programs import EXAMPLE, write_config

from microintern.cli import cli
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.sessions import parse_meetings, session_plan
from microintern.domain.wall_time import in_gap, is_ambiguous, meeting_problem, real_length
from microintern.errors import ConfigError, RowError

DENVER = ZoneInfo("America/Denver")
LA = ZoneInfo("America/Los_Angeles")
NINETY = timedelta(minutes=90)


# --- the pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [DENVER, LA])
def test_gap_overlap_and_normal_times(zone: ZoneInfo) -> None:
    gap, overlap, normal = (datetime(2027, 3, 14, 2, 30), datetime(2027, 11, 7, 1, 30),
                            datetime(2027, 3, 16, 15, 30))
    assert in_gap(gap, zone) and not is_ambiguous(gap, zone)
    assert is_ambiguous(overlap, zone) and not in_gap(overlap, zone)
    assert not in_gap(normal, zone) and not is_ambiguous(normal, zone)
    # The bug this guards against: zoneinfo gives 02:30 an offset anyway, and a 90-minute
    # meeting written from 02:30 to 04:00 lasts 30 real minutes.
    assert real_length(gap, NINETY, zone) == timedelta(minutes=30)
    assert real_length(normal, NINETY, zone) == NINETY


def test_meeting_problems_in_denver() -> None:
    spring = datetime(2027, 3, 14)
    start_in_gap = meeting_problem(spring.replace(hour=2, minute=30), NINETY, DENVER)
    assert start_in_gap is not None
    assert "2027-03-14 02:30, which does not exist in America/Denver" in start_in_gap
    assert "such as 03:30" in start_in_gap
    end_in_gap = meeting_problem(spring.replace(hour=1), NINETY, DENVER)   # ends 02:30
    assert end_in_gap is not None and "ending at 2027-03-14 02:30" in end_in_gap
    across = meeting_problem(spring.replace(hour=1, minute=30), NINETY, DENVER)  # 01:30-03:00
    assert across is not None and "would last 30 minutes, not 90" in across
    fall_across = meeting_problem(datetime(2027, 11, 7, 1, 30), NINETY, DENVER)  # 01:30-03:00
    assert fall_across is not None and "would last 150 minutes, not 90" in fall_across
    # Inside the repeated hour (the first 01:00 to the first 01:30) and ordinary days: fine.
    assert meeting_problem(datetime(2027, 11, 7, 1, 0), timedelta(minutes=30), DENVER) is None
    assert meeting_problem(spring.replace(hour=15, minute=30), NINETY, DENVER) is None
    assert meeting_problem(spring.replace(hour=3), NINETY, DENVER) is None


# --- config validation and check-config ----------------------------------------------------------


def _example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def _with_session(tmp_path: Path, zone: str, extra: dict[str, Any]) -> Path:
    data = _example()
    program = {**data["program"], "time_zone": zone}
    session = {**data["sessions"][0], "id": "night-shift", "meetings": [], **extra}
    session = {k: v for k, v in session.items() if v != []}
    return write_config(tmp_path, program=program, sessions=[*data["sessions"], session])


def _problems(config_file: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("zone", ["America/Denver", "America/Los_Angeles"])
def test_config_refuses_a_meeting_start_in_the_gap(tmp_path: Path, zone: str) -> None:
    config_file = _with_session(tmp_path, zone, {"meetings": ["2027-03-14 02:30"]})
    [problem] = _problems(config_file)
    assert problem.startswith("sessions[4].meetings[0]: expected local start and end times")
    assert f"2027-03-14 02:30, which does not exist in {zone}" in problem


def test_config_refuses_a_meeting_ending_in_the_gap_or_spanning_the_change(tmp_path: Path) -> None:
    ends = _with_session(tmp_path, "America/Denver",
                         {"meetings": ["2027-03-16 15:30", "2027-03-14 01:00"]})
    [problem] = _problems(ends)
    # The list is sorted by time, so the early-morning meeting is the first.
    assert problem.startswith("sessions[4].meetings[0]:")
    assert "from 01:00 ending at 2027-03-14 02:30, which does not exist" in problem

    weekly = _with_session(tmp_path, "America/Denver",
                           {"weekly": {"first": "2027-02-28 01:30", "count": 3}})
    [problem] = _problems(weekly)
    assert problem.startswith("sessions[4].weekly:")
    assert "meeting 3 of 3" in problem and "would last 30 minutes, not 90" in problem


def test_check_config_names_the_instant_an_ambiguous_start_means(tmp_path: Path) -> None:
    config_file = _with_session(tmp_path, "America/Denver",
                                {"meetings": ["2027-11-07 01:00"], "duration_minutes": 30})
    result = CliRunner().invoke(cli, ["--config", str(config_file), "check-config"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("note: sessions[4].meetings[0]: 01:00 is ambiguous on 2027-11-07 in America/Denver; "
            "using 01:00 -06:00 (the first; the second is 01:00 -07:00)") in result.output
    # And the program indeed means the first: the Sessions tab's plan starts at 07:00 UTC.
    config = load_config(config_file)
    session = config.session("night-shift")
    plan = session_plan(config, session, {sheet.SESSION_MEETINGS: "2027-11-07 01:00"})
    assert plan.starts[0].astimezone(UTC) == datetime(2027, 11, 7, 7, 0, tzinfo=UTC)


def test_check_config_of_the_example_has_no_notes(config_file: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "check-config"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "note:" not in result.output


# --- the Sessions tab's Meetings cell ---------------------------------------------------------------


def test_sessions_tab_refuses_a_typed_time_the_clocks_skip(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))   # America/Los_Angeles, 90-minute meetings
    session = config.session("cyber-basics")
    for cell, reason in [
        ("2027-03-16 15:30; 2027-03-14 02:30", "2027-03-14 02:30, which does not exist"),
        ("3/14/2027 1:00 AM", "ending at 2027-03-14 02:30, which does not exist"),
        ("2027-03-14 01:30", "would last 30 minutes, not 90"),
    ]:
        with pytest.raises(RowError) as caught:
            session_plan(config, session, {sheet.SESSION_MEETINGS: cell})
        error = caught.value
        assert (error.where, error.row, error.field) == ("Sessions", "cyber-basics", "Meetings")
        assert reason in error.reason
    # Without a duration (the cell on its own) only the start is checked.
    assert parse_meetings("2027-03-14 01:30", LA, "cyber-basics")
    plan = session_plan(config, session, {sheet.SESSION_MEETINGS: "2027-03-14 03:00"})
    start, end = plan.meetings()[0]
    assert end.astimezone(UTC) - start.astimezone(UTC) == NINETY
