"""`microintern hours` and `microintern hours export` on the local backend, run in-process."""

from __future__ import annotations

import stat
from pathlib import Path

from adapters.test_local_hours import respond, seat, workbook
from click.testing import CliRunner, Result

from microintern.cli import cli
from microintern.domain import program_sheet as sheet

SESSION = "data-fellows"


def invoke(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def test_hours_commands_have_help() -> None:
    for args in (["hours", "--help"], ["hours", "export", "--help"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and "Usage:" in result.output
    assert "payroll CSV" in CliRunner().invoke(cli, ["hours", "--help"]).output


def test_hours_runs_the_step_and_prints_ids_only(config_file: Path) -> None:
    seat(config_file)
    first = invoke(config_file, "hours", "--now", "2027-04-06T06:30")
    assert first.exit_code == 0, first.output
    assert "sent 3" in first.output
    respond(config_file, [("2027-04-08 19:00", ["A-0000001", "4/6/2027", "1.5", "Weekly meeting 1"])])
    invoke(config_file, "hours", "--session", SESSION, "--now", "2027-04-09T06:30")
    (key,) = [r[sheet.ENTRY_KEY] for r in workbook(config_file).read_tabs([sheet.HOURS])[sheet.HOURS]]
    workbook(config_file).upsert(sheet.HOURS, sheet.ENTRY_KEY, [{sheet.ENTRY_KEY: key,
                                                                 sheet.CONFIRMATION: "confirmed"}])
    later = invoke(config_file, "hours", "--now", "2027-04-10T06:30")
    assert "  A-0000001 (data-fellows): 1.5 h confirmed [W14 1.5]; under target: 1.5 of 30 h by week 1" \
        in later.output
    assert "Maya" not in later.output and "@" not in later.output      # cron mail gets ids only


def test_export_writes_confirmed_hours_privately_and_defuses_formulas(config_file: Path,
                                                                      tmp_path: Path) -> None:
    seat(config_file)
    # A student id a coordinator typed that a spreadsheet would run as a formula.
    workbook(config_file).upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "=A-0000009", sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}])
    invoke(config_file, "hours", "--now", "2027-04-06T06:30")
    respond(config_file, [
        ("2027-04-08 19:00", ["A-0000001", "4/7/2027", "3.25", "Charts"]),
        ("2027-04-08 19:01", ["A-0000002", "4/7/2027", "2", "Pivot table"]),      # left pending
        ("2027-04-08 19:02", ["=A-0000009", "4/7/2027", "1", "Cleaning"]),
    ])
    invoke(config_file, "hours", "--now", "2027-04-09T06:30")
    rows = workbook(config_file).read_tabs([sheet.HOURS])[sheet.HOURS]
    workbook(config_file).upsert(sheet.HOURS, sheet.ENTRY_KEY, [
        {sheet.ENTRY_KEY: r[sheet.ENTRY_KEY], sheet.CONFIRMATION: "confirmed"}
        for r in rows if r[sheet.APPLICANT_ID] != "A-0000002"])
    out = tmp_path / "payroll" / "april.csv"
    result = invoke(config_file, "hours", "export", "--session", SESSION, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "payroll: 2 line(s), 70.13 USD in all" in result.output   # 3.25 × 16.50 = 53.625 → 53.63
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes().decode("utf-8") == (
        "Student ID,Session ID,Confirmed hours,Rate,Amount,Currency\r\n"
        "'=A-0000009,data-fellows,1.00,16.50,16.50,USD\r\n"
        "A-0000001,data-fellows,3.25,16.50,53.63,USD\r\n")
    out.chmod(0o644)
    invoke(config_file, "hours", "export", "--out", str(out))              # replaced, private again
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_export_refuses_a_session_without_an_hours_log(config_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "hours", "export", "--session",
                                      "cyber-basics", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "'cyber-basics' has no hours log; sessions with an hours target: data-fellows" in result.output
    assert not (tmp_path / "x.csv").exists()
