"""Problems named on the local backend: in the run's output, in the Problems tab, in cron's mail."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from programs import ROOT
from test_cli import seed_responses
from test_correspondence import DURING_APPLICATIONS, decide, imported, invoke, workbook

from microintern.domain import program_sheet as sheet

DECISIONS = "2027-02-16T06:30"


def _problems(config_file: Path) -> list[dict]:
    return [r for r in workbook(config_file).read_tabs([sheet.PROBLEMS])[sheet.PROBLEMS]
            if r.get(sheet.PROBLEM_KEY)]


def _bad_addresses(config_file: Path) -> set[str]:
    rows = workbook(config_file).read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    return {str(r[sheet.APPLICANT_ID]) for r in rows if "@" not in str(r["School email address"])}


def test_run_due_names_each_held_letter_under_its_summary_and_keeps_it_open(config_file: Path) -> None:
    seed_responses(config_file, 12)
    first = invoke(config_file, "run-due", "--now", DURING_APPLICATIONS)
    summary, *lines = first.output.strip().splitlines()
    held = _bad_addresses(config_file)
    assert held and f"{len(held)} problem(s)" in summary        # the counts stay on the summary line
    assert sorted(lines) == sorted(
        f"  ! applications:program: {who}: application received letter held — the recipient address "
        "is not valid; to do: correct the address in the Applications tab (or the config); the next "
        "run sends the letter" for who in held)
    rows = _problems(config_file)
    assert {(r["Step"], r["Who"], r["State"]) for r in rows} == \
        {("applications:program", who, "open") for who in held}
    assert all(r["First seen"] == r["Last seen"] for r in rows)

    # The next day the letters are still held: the run is quiet about them, the tab keeps them
    # open (seen again), one row each.
    second = invoke(config_file, "run-due", "--now", "2027-02-02T06:30")
    assert "  ! " not in second.output and "problem" not in second.output, second.output
    again = _problems(config_file)
    assert len(again) == len(rows)
    assert all(r["State"] == "open" and str(r["Last seen"]).startswith("2027-02-02") and
               r["First seen"] == next(o for o in rows if o["Key"] == r["Key"])["First seen"]
               for r in again)


def test_a_single_command_prints_and_records_its_problems_and_resolves_them(config_file: Path) -> None:
    rows = imported(config_file, 12)
    ids = [str(r[sheet.APPLICANT_ID]) for r in rows if "@" in str(r["School email address"])][:5]
    decide(config_file, dict.fromkeys(ids, "Accept"))
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: ids[0], sheet.COHORT_OVERRIDE: "no-such-session"}])
    result = invoke(config_file, "run", "cohorts", "--now", DECISIONS)
    assert result.exit_code == 0, result.output
    line = (f"  ! {ids[0]}: Cohort override ignored — 'no-such-session' is not an open session id; "
            "the student is placed by preference; to do: type an open session id in Cohort override "
            "(Applications tab), or clear it")
    assert line in result.output.splitlines()
    (row,) = [r for r in _problems(config_file) if r["Who"] == ids[0]]
    assert (row["Step"], row["What"], row["State"]) == ("cohorts:program", "Cohort override ignored", "open")
    assert row["Why"] and row["What to do"]

    # Rerun: the same row, no second one; fixed: resolved.
    invoke(config_file, "run", "cohorts", "--now", "2027-02-17T06:30")
    assert len([r for r in _problems(config_file) if r["Who"] == ids[0]]) == 1
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: ids[0], sheet.COHORT_OVERRIDE: ""}])
    fixed = invoke(config_file, "run", "cohorts", "--now", "2027-02-18T06:30")
    assert ids[0] not in fixed.output
    (row,) = [r for r in _problems(config_file) if r["Who"] == ids[0]]
    assert row["State"] == "resolved" and str(row["Last seen"]).startswith("2027-02-17")
    # Every key once, and no name or address anywhere in the tab.
    problems = _problems(config_file)
    assert len(problems) == len({r["Key"] for r in problems})
    assert not any("@" in str(v) for r in problems for v in r.values())


def test_the_cron_script_prints_the_named_lines_on_stdout_and_to_its_log(config_file: Path,
                                                                        tmp_path: Path) -> None:
    seed_responses(config_file, 12)
    log = tmp_path / "run-due.log"
    env = {**os.environ, "MICROINTERN_CONFIG": str(config_file), "MICROINTERN_LOG": str(log)}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "run-due.sh"), "--now", DURING_APPLICATIONS],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary, *lines = done.stdout.strip().splitlines()       # what cron mails to MAILTO
    assert summary.startswith("run-due 2027-02-01") and "problem(s)" in summary
    held = _bad_addresses(config_file)
    assert len(lines) == len(held) and all(line.startswith("  ! applications:program: ") for line in lines)
    assert {line.split(": ")[1] for line in lines} == held
    assert log.read_text(encoding="utf-8").strip().splitlines()[-len(lines) - 1:] == [summary, *lines]
