"""Screening and the equity report on the local backend, through the CLI."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from microintern.adapters.local import LocalWorkbook
from microintern.cli import cli
from microintern.config import load_config
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet

NOW = "2027-02-16T06:00"


def invoke(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def book(config_file: Path) -> LocalWorkbook:
    config = load_config(config_file)
    return LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")


def seed(config_file: Path, count: int) -> None:
    config = load_config(config_file)
    write_responses(config.resolve(config.local.folder) / "forms", config,
                    applications(config, count=count, seed=21))


def test_screen_scores_flags_and_proposes_without_sending(config_file: Path) -> None:
    seed(config_file, 40)
    assert invoke(config_file, "init").exit_code == 0
    result = invoke(config_file, "screen", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "imported 40" in result.output and "screened 40" in result.output
    rows = book(config_file).read_tabs([sheet.APPLICATIONS, sheet.OUTBOX])
    assert rows[sheet.OUTBOX] == []  # proposals send nothing
    applicants = rows[sheet.APPLICATIONS]
    assert len(applicants) == 40
    seats = sum(s.group_size.max for s in load_config(config_file).sessions)
    proposed = [r[sheet.PROPOSED_DECISION] for r in applicants]
    assert proposed.count("Accept") <= seats
    for row in applicants:
        assert row[sheet.SCORE_BREAKDOWN] and row[sheet.PROPOSAL_REASON]
        assert row[sheet.DECISION] is None  # the coordinator's column is never written


def test_a_decision_the_coordinator_made_survives_screening(config_file: Path) -> None:
    seed(config_file, 12)
    invoke(config_file, "init")
    invoke(config_file, "screen", "--now", NOW)
    workbook = book(config_file)
    first = workbook.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS][0]
    applicant = str(first[sheet.APPLICANT_ID])
    workbook.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.DECISION: "Deny", sheet.NOTES: "spoke with family"}])
    assert invoke(config_file, "screen", "--now", "2027-02-17T06:00").exit_code == 0
    row = next(r for r in book(config_file).read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
               if r[sheet.APPLICANT_ID] == applicant)
    assert (row[sheet.DECISION], row[sheet.NOTES]) == ("Deny", "spoke with family")


def test_equity_prints_the_table_and_writes_the_tab(config_file: Path) -> None:
    seed(config_file, 60)
    invoke(config_file, "init")
    invoke(config_file, "screen", "--now", NOW)
    result = invoke(config_file, "equity", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "Selection equity:" in result.output
    assert "School (" in result.output and "Mesa Valley High School" in result.output
    assert "accepted = screening's proposals" in result.output
    tab = book(config_file).read_tabs([sheet.EQUITY])[sheet.EQUITY]
    schools = [r for r in tab if r["Question"] == "School"]
    assert {r["Group"] for r in schools} >= {"Mesa Valley High School", "Canyon Ridge High School"}
    assert sum(int(r["Applicants"]) for r in schools) == 60  # type: ignore[arg-type]
    assert all(r["Enrolled"] for r in schools if r["Group"] != "(not given)")

    # Once the coordinator decides, decisions count instead of proposals.
    workbook = book(config_file)
    rows = workbook.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    workbook.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID,
                    [{sheet.APPLICANT_ID: r[sheet.APPLICANT_ID], sheet.DECISION: "Accept"} for r in rows[:6]])
    decided = invoke(config_file, "equity", "--now", NOW)
    assert "6 accepted of 60 applicants" in decided.output
    assert "accepted = the coordinator's decisions" in decided.output
