"""`microintern attendance` and `run attendance` in-process on the local backend."""

from __future__ import annotations

from pathlib import Path

from adapters.test_local_attendance import DOMAIN, call, person, seed
from test_cli import invoke
from test_correspondence import workbook

from microintern.adapters.local import LocalMeetRecords
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.timeline import StepName
from microintern.steps.runner import AUTOMATED


def record_meeting(config_file: Path) -> None:
    config = load_config(config_file)
    space = seed(config)
    LocalMeetRecords(config.resolve(config.local.folder) / "meet").record(space, [call(
        person("s0", "users/0", (0, 90)), person("s1", "users/1", (0, 30), (32, 90)),
        person("s2", "users/2", (0, 40)), person("guest", None, (0, 10)))])


def test_attendance_command_writes_and_lists_by_applicant_id(config_file: Path) -> None:
    record_meeting(config_file)
    result = invoke(config_file, "attendance", "--session", "cyber-basics", "--now", "2027-03-17T06:30")
    assert result.exit_code == 0, result.output
    assert "rows written 4" in result.output
    assert "cyber-basics: 2 attended, 2 did not, 0 unknown" in result.output
    assert "S-1: 88 min, 1 of 1, yes (Meet)" in result.output
    assert "S-3: 0 min, 0 of 1, no (not in Meet)" in result.output
    assert "! cyber-basics: 1 participant(s) are not placed students" in result.output
    assert DOMAIN not in result.output                      # never a student's address
    rows = workbook(config_file).read_tabs([sheet.PARTICIPANTS])[sheet.PARTICIPANTS]
    assert {r[sheet.APPLICANT_ID]: r[sheet.ATTENDED] for r in rows} == {
        "S-0": "yes", "S-1": "yes", "S-2": "no", "S-3": "no"}

    again = invoke(config_file, "attendance", "--now", "2027-03-17T06:30")
    assert "rows written 0" in again.output


def test_attendance_is_run_by_the_timeline_and_checks_the_session(config_file: Path) -> None:
    assert StepName.ATTENDANCE in AUTOMATED
    record_meeting(config_file)
    ran = invoke(config_file, "run", "attendance", "--now", "2027-03-17T06:30")
    assert ran.exit_code == 0, ran.output
    assert "attendance:cyber-basics (" in ran.output and "rows written 4" in ran.output
    bad = invoke(config_file, "attendance", "--session", "no-such-session")
    assert bad.exit_code == 2
    assert "is not a session in the config" in bad.output


def test_scopes_lists_the_lookup_scopes(config_file: Path) -> None:
    shown = invoke(config_file, "scopes").output
    assert "https://www.googleapis.com/auth/directory.readonly" in shown
    assert "https://www.googleapis.com/auth/admin.directory.user.readonly" in shown
