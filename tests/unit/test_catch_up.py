"""Bounded catch-up: a step more than ``catch_up_days`` past its window is missed, not run late.

The pure rules first (states at given dates, across DST changes), then run-due on the local
backend: a partner invitation months late is not sent, the summary names it, and
``microintern send partner_outreach`` still sends it on purpose.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from programs import write_config

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.cli import cli
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.timeline import (
    Occurrence,
    RunRecord,
    StepName,
    StepState,
    days_past,
    plan,
    should_run,
    state_of,
)
from microintern.steps.runner import MISSED_NOTE, RunReport

LA = ZoneInfo("America/Los_Angeles")
DENVER = ZoneInfo("America/Denver")


def _occurrence(name: StepName, anchor: date, zone: ZoneInfo = LA) -> Occurrence:
    for o in plan({"s1": anchor}, zone=zone, opens_at=time(6, 30)):
        if o.step.name is name:
            return o
    raise AssertionError(name)


def _local(day: date, hour: int, zone: ZoneInfo = LA) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)


def _last_day(occurrence: Occurrence) -> date:
    return occurrence.closes.astimezone(occurrence.closes.tzinfo).date() - timedelta(days=1)  # type: ignore[arg-type]


# --- the pure rules ------------------------------------------------------------------------------


def test_overdue_for_catch_up_days_then_missed() -> None:
    outreach = _occurrence(StepName.PARTNER_OUTREACH, date(2027, 3, 16))
    last = _last_day(outreach)
    assert last == date(2027, 1, 25)  # T-7w-1
    assert state_of(outreach, None, _local(last, 23), catch_up_days=3) is StepState.DUE
    for late in (1, 2, 3):
        now = _local(last + timedelta(days=late), 6)
        assert days_past(outreach, now) == late
        assert state_of(outreach, None, now, catch_up_days=3) is StepState.OVERDUE
    fourth = _local(last + timedelta(days=4), 0)
    assert state_of(outreach, None, fourth, catch_up_days=3) is StepState.MISSED
    # July 15 after nothing ran since February: missed, never run unattended.
    july = _local(date(2027, 7, 15), 6)
    assert days_past(outreach, july) == 171
    assert state_of(outreach, None, july, catch_up_days=3) is StepState.MISSED
    assert not should_run(StepState.MISSED, catch_up=True)


def test_bound_zero_none_and_done() -> None:
    outreach = _occurrence(StepName.PARTNER_OUTREACH, date(2027, 3, 16))
    next_day = _local(_last_day(outreach) + timedelta(days=1), 6)
    assert state_of(outreach, None, next_day, catch_up_days=0) is StepState.MISSED
    # No bound at all (the old behaviour, kept for callers that ask for it): overdue forever.
    assert state_of(outreach, None, next_day + timedelta(days=400)) is StepState.OVERDUE
    ran = RunRecord(last_run=outreach.opens + timedelta(hours=1), runs=1, ok=True, result="sent 1")
    failed = RunRecord(last_run=outreach.opens + timedelta(hours=1), runs=1, ok=False,
                       result="failed: boom")
    late = next_day + timedelta(days=30)
    assert state_of(outreach, ran, late, catch_up_days=3) is StepState.DONE
    assert state_of(outreach, failed, late, catch_up_days=3) is StepState.MISSED


@pytest.mark.parametrize(("zone", "last_day"), [
    (LA, date(2027, 3, 13)),       # the window's last day is the eve of spring forward (14 March)
    (DENVER, date(2027, 3, 13)),
    (LA, date(2027, 11, 6)),       # ... and the eve of fall back (7 November)
    (DENVER, date(2027, 11, 6)),
])
def test_days_past_counts_local_days_across_dst(zone: ZoneInfo, last_day: date) -> None:
    # The reminder's window is the single day T-1.
    reminder = _occurrence(StepName.REMINDERS, last_day + timedelta(days=1), zone)
    assert _last_day(reminder) == last_day
    third = last_day + timedelta(days=3)
    # The last minute of the third day past is still overdue; the first of the fourth is missed,
    # whichever zone ``now`` is written in (the 23- or 25-hour day in between changes nothing).
    end_of_third = datetime.combine(third, time(23, 59), tzinfo=zone)
    start_of_fourth = datetime.combine(third + timedelta(days=1), time(0, 0), tzinfo=zone)
    for now in (end_of_third, end_of_third.astimezone(UTC)):
        assert days_past(reminder, now) == 3
        assert state_of(reminder, None, now, catch_up_days=3) is StepState.OVERDUE
    for now in (start_of_fourth, start_of_fourth.astimezone(UTC)):
        assert days_past(reminder, now) == 4
        assert state_of(reminder, None, now, catch_up_days=3) is StepState.MISSED


def test_summary_names_what_was_missed_and_how_to_send_it() -> None:
    outreach = _occurrence(StepName.PARTNER_OUTREACH, date(2027, 3, 16))
    report = RunReport(ran=[], failed=[], now=_local(date(2027, 7, 15), 6),
                       missed=[(outreach, 171)])
    line = report.summary()
    assert "nothing due" in line
    assert "partner_outreach:s1 (window closed 171 days ago)" in line
    assert "`microintern send partner_outreach`" in line
    assert report.ok  # told, not failed: the coordinator decides


# --- run-due on the local backend ------------------------------------------------------------------

PARTNER_OF = {"cyber-basics": "solis-cyber", "health-careers": "desert-health",
              "site-planning": "ridgeline-build", "data-fellows": "valley-analytics"}


def _invoke(config_file: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _invited(config_file: Path) -> set[str]:
    """The partner contacts an invitation (partner_outreach letter) went to."""
    config = load_config(config_file)
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    invited = set()
    for path in folder.glob("*.eml"):
        message: EmailMessage = email.message_from_bytes(  # type: ignore[assignment]
            path.read_bytes(), policy=email.policy.default)
        if "/partner_outreach/" in str(message["X-Microintern-Key"]):
            invited.add(str(message["To"]))
    return invited


def _contact(config_file: Path, session_id: str) -> str:
    config = load_config(config_file)
    partner = next(p for p in config.partners if p.id == PARTNER_OF[session_id])
    return partner.contact.email


def _timeline(config_file: Path) -> dict[str, dict]:
    config = load_config(config_file)
    book = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    return {str(r[sheet.TIMELINE_KEY]): r for r in book.read_tabs([sheet.TIMELINE])[sheet.TIMELINE]}


def test_run_due_sends_a_day_late_invitation_but_not_a_month_late_one(config_file: Path) -> None:
    # 2 February: site-planning's outreach window (last day 1 February) is one day past, so it
    # is caught up; cyber-basics' (last day 25 January) is 8 days past, so it is missed.
    first = _invoke(config_file, "run-due", "--now", "2027-02-02T06:30")
    assert _invited(config_file) == {_contact(config_file, "site-planning")}
    line = first.output.strip().splitlines()[-1]
    assert "partner_outreach:site-planning (" in line
    assert "partner_outreach:cyber-basics (window closed 8 days ago)" in line
    assert "partner_outreach:health-careers (window closed 6 days ago)" in line
    assert "`microintern send partner_outreach`" in line
    timeline = _timeline(config_file)
    assert str(timeline["partner_outreach:cyber-basics"]["State"]) == "missed"
    assert str(timeline["partner_outreach:cyber-basics"]["Result"]).startswith(MISSED_NOTE)
    # Told once: the next day's run does not repeat it.
    second = _invoke(config_file, "run-due", "--now", "2027-02-03T06:30")
    assert "partner_outreach:cyber-basics" not in second.output
    status = _invoke(config_file, "status", "--now", "2027-02-03T06:30")
    assert any(line.startswith("send partner-outreach  cyber-basics ") and " missed " in line
               for line in status.output.splitlines())


def test_july_after_nothing_since_february_sends_nothing_late_until_asked(
        config_file: Path) -> None:
    _invoke(config_file, "run-due", "--now", "2027-02-02T06:30")
    before = _invited(config_file)
    july = _invoke(config_file, "run-due", "--now", "2027-07-15T06:30")
    line = july.output.strip().splitlines()[-1]
    assert "nothing due" in line  # every window closed long ago: nothing runs late
    # data-fellows' invitation window (9 to 15 February) passed while nothing ran.
    assert "partner_outreach:data-fellows (window closed 150 days ago)" in line
    assert _invited(config_file) == before  # the five-months-late letter did not go out

    # The coordinator sends it on purpose: `send` runs the step whatever its state.
    sent = _invoke(config_file, "send", "partner_outreach", "--now", "2027-07-15T06:30")
    assert "partner_outreach:data-fellows" in sent.output
    assert _contact(config_file, "data-fellows") in _invited(config_file)
    assert _invited(config_file) == {_contact(config_file, s) for s in PARTNER_OF}


def test_run_step_also_runs_a_missed_occurrence(config_file: Path) -> None:
    _invoke(config_file, "run-due", "--now", "2027-02-02T06:30")
    assert _contact(config_file, "cyber-basics") not in _invited(config_file)
    _invoke(config_file, "run", "partner_outreach", "--now", "2027-02-02T07:00")
    assert _contact(config_file, "cyber-basics") in _invited(config_file)


def test_catch_up_off_runs_nothing_past_its_window(tmp_path: Path) -> None:
    config_file = write_config(tmp_path, schedule={"run_at": "06:30", "catch_up": False})
    result = _invoke(config_file, "run-due", "--now", "2027-02-02T06:30")
    assert _invited(config_file) == set()  # not even the one a day late
    assert "partner_outreach:site-planning (window closed 1 day ago)" in result.output
