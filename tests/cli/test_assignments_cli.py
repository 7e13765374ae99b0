"""`microintern assignments` on the local backend: the step under the run lock, and its summary."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.steps.setup import initialise

SESSION = "data-fellows"


def invoke(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def seat_three(config_file: Path) -> None:
    config = load_config(config_file)
    roster = step_context(config, config.first_meeting()).ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"A-{n}", sheet.LANGUAGE: "en", "First name": f"Student{n}", "Last name": "Test",
         "School email address": f"s{n}@students.mesavalley.example",
         "Parent or guardian email": f"f{n}@home.example", sheet.DECISION: "Accept"} for n in range(1, 4)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"A-{n}", sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for n in range(1, 4)])


def test_assignments_command_gives_the_work_and_summarises_without_names(config_file: Path) -> None:
    seat_three(config_file)
    first = invoke(config_file, "assignments", "--session", SESSION, "--now", "2027-04-13T06:30")
    assert first.exit_code == 0, first.output
    assert "folders made 4" in first.output and "assignments given 6" in first.output
    assert "sent 6" in first.output
    line = f"{SESSION} data-cleaning: 0 of 3 handed in (0 late), 0 missing, 0 waiting for feedback"
    assert line in first.output
    assert f"{SESSION} final-project: 0 of 3 handed in" in first.output
    assert "Student1" not in first.output and "@" not in first.output   # cron mail carries no names
    later = invoke(config_file, "assignments", "--now", "2027-04-20T06:30")
    assert later.exit_code == 0, later.output
    summary = later.output.splitlines()[0]
    assert "missing 3" in summary
    assert "reminders" not in summary   # the reminder window closed with the due date
    assert f"{SESSION} data-cleaning: 0 of 3 handed in (0 late), 3 missing" in later.output


def test_assignments_command_refuses_an_unknown_session(config_file: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "assignments", "--session", "nope"])
    assert result.exit_code == 2
    assert "'nope' is not a session in the config" in result.output
