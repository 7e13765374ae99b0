"""`send STEP` and `run STEP` record their runs in the Timeline tab, as run-due does.

Before, a missed step sent on purpose with `microintern send` still showed "missed" in `status`
although its letter had gone out. Local backend, through the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.cli import cli
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.timeline import COMMANDS, StepName
from microintern.steps.runner import MISSED_NOTE

MISSED = "partner_outreach:cyber-basics"   # its window's last day is 25 January 2027


def invoke(config_file: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def timeline(config_file: Path) -> dict[str, dict[str, Any]]:
    config = load_config(config_file)
    book = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    return {str(r[sheet.TIMELINE_KEY]): r for r in book.read_tabs([sheet.TIMELINE])[sheet.TIMELINE]}


def status_line(config_file: Path, now: str, key: str) -> str:
    output = invoke(config_file, "status", "--all", "--now", now).output
    step, session = key.split(":")
    command = COMMANDS[StepName(step)]  # status names a step by its command (issue 16)
    (line,) = [line for line in output.splitlines()
               if line.startswith(command + " ") and f" {session} " in line]
    return line


def test_a_missed_step_sent_on_purpose_reads_done_with_its_result(config_file: Path) -> None:
    invoke(config_file, "run-due", "--now", "2027-02-02T06:30")
    assert " missed " in status_line(config_file, "2027-02-02T06:40", MISSED)
    before = timeline(config_file)[MISSED]
    assert str(before["Result"]).startswith(MISSED_NOTE) and int(before["Runs"] or 0) == 0

    sent = invoke(config_file, "send", "partner_outreach", "--now", "2027-02-02T07:00")
    assert f"{MISSED} (" in sent.output

    row = timeline(config_file)[MISSED]
    assert row["Last run"] == "2027-02-02 07:00:00"
    assert int(row["Runs"]) == 1
    assert "sent 1" in str(row["Result"]) and MISSED_NOTE not in str(row["Result"])
    assert str(row["State"]) == "done"
    line = status_line(config_file, "2027-02-02T07:10", MISSED)
    assert " missed " not in line and " done " in line
    assert "sent 1" in line                                        # status shows the result

    # run-due the next day does not report it missed again, nor send it again.
    again = invoke(config_file, "run-due", "--now", "2027-02-03T06:30")
    assert MISSED not in again.output
    assert int(timeline(config_file)[MISSED]["Runs"]) == 1


def test_run_step_counts_every_occurrence_it_ran(config_file: Path) -> None:
    invoke(config_file, "init")
    invoke(config_file, "run", "partner_outreach", "--now", "2027-02-02T07:00")
    invoke(config_file, "run", "partner_outreach", "--now", "2027-02-02T08:00")
    rows = timeline(config_file)
    outreach = {k: r for k, r in rows.items() if k.startswith("partner_outreach:")}
    assert len(outreach) == 4                               # one per session's partner
    for row in outreach.values():
        assert int(row["Runs"]) == 2 and row["Last run"] == "2027-02-02 08:00:00"
    # The rerun sent nothing twice: its result says so, and it is what the row keeps.
    assert all("sent" not in str(r["Result"]) for r in outreach.values())
