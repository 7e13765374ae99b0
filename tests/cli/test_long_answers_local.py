"""A 1 MB answer on the local backend: intake goes on for everyone, the full text is kept."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner, Result

from microintern.adapters.local import LocalWorkbook
from microintern.adapters.local.forms import CsvFormSource
from microintern.cli import cli
from microintern.config import load_config
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet
from microintern.domain.long_answers import EXCEL_CELL_LIMIT, cut_marker, full_text, utf16_length

IMPORT_DAY = "2027-02-01T06:30"
SCREEN_DAY = "2027-02-16T06:00"
APPLICANTS = 8


def long_essay(size: int = 1_048_576) -> str:
    """About ``size`` characters of accented, emoji and multi-line text (no CR: Excel drops it)."""
    line = "Quiero aprender programación 😀 y diseño 👩\u200d💻 con mi comunidad; e\u0301 中文.\n"
    return (line * (size // len(line) + 1))[:size]


def invoke(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def book(config_file: Path) -> LocalWorkbook:
    config = load_config(config_file)
    return LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")


def seed(config_file: Path, essay: str) -> str:
    """Write the responses with one 1 MB essay; return the essay question's title."""
    config = load_config(config_file)
    title = next(q.title for q in config.application.questions if q.key == "essay")
    sample = applications(config, count=APPLICANTS, seed=5)
    sample[3].answers[title] = essay
    write_responses(config.resolve(config.local.folder) / "forms", config, sample)
    return title


def test_the_csv_reader_takes_a_field_over_the_default_limit(config_file: Path) -> None:
    essay = long_essay()
    seed(config_file, essay)
    config = load_config(config_file)
    assert len(essay) > 131_072  # the csv module's default field size limit
    csv.field_size_limit(131_072)  # whatever another library set, the reader lifts it
    responses = CsvFormSource(config.resolve(config.local.folder) / "forms",
                              time_zone=config.program.time_zone).fetch_responses("applications")
    assert len(responses) == APPLICANTS
    assert sum(essay in r.answers.values() for r in responses) == 1


def test_a_one_megabyte_answer_is_cut_flagged_and_kept_and_everyone_is_answered(
        config_file: Path) -> None:
    essay = long_essay()
    title = seed(config_file, essay)
    assert invoke(config_file, "init").exit_code == 0
    assert sheet.LONG_ANSWERS in book(config_file).read_tabs([sheet.LONG_ANSWERS])

    received = invoke(config_file, "run", "applications", "--now", IMPORT_DAY)
    assert received.exit_code == 0, received.output
    assert f"imported {APPLICANTS}" in received.output
    assert "answers cut to fit a cell (full text in Long answers) 1" in received.output
    tabs = book(config_file).read_tabs([sheet.APPLICATIONS, sheet.OUTBOX, sheet.LONG_ANSWERS])
    assert len(tabs[sheet.APPLICATIONS]) == APPLICANTS
    # Every applicant is answered (the sample data holds one bad address, held with its reason),
    # the one with the long essay included.
    assert len(tabs[sheet.OUTBOX]) == APPLICANTS
    assert [r["Note"] for r in tabs[sheet.OUTBOX] if r["State"] != "sent"] == ["address is not valid"]
    (writer,) = [r for r in tabs[sheet.APPLICATIONS] if cut_marker(r[title]) is not None]
    (letter,) = [r for r in tabs[sheet.OUTBOX] if r["Recipient ID"] == writer[sheet.APPLICANT_ID]]
    assert letter["State"] == "sent"

    screened = invoke(config_file, "screen", "--now", SCREEN_DAY)
    assert screened.exit_code == 0, screened.output
    assert f"screened {APPLICANTS}" in screened.output
    tabs = book(config_file).read_tabs([sheet.APPLICATIONS, sheet.LONG_ANSWERS])
    (row,) = [r for r in tabs[sheet.APPLICATIONS] if len(str(r[title])) > 10_000]
    cell = str(row[title])
    marker = cut_marker(cell)
    assert marker is not None and marker.total == len(essay)
    assert marker.key == f"{row[sheet.APPLICANT_ID]}/essay"
    assert utf16_length(cell) <= EXCEL_CELL_LIMIT and essay.startswith(cell[: cell.index(" … [cut")])
    assert "LONG_ANSWER" in str(row[sheet.FLAGS]).split("; ")
    assert "cut to fit its cell" in str(row[sheet.FLAG_REASONS])
    assert "programación" not in str(row[sheet.FLAG_REASONS])  # the reason never quotes the text
    pieces = tabs[sheet.LONG_ANSWERS]
    assert 33 <= len(pieces) <= 70  # 1 MB in cells of at most 32,767 units (emoji count twice)
    assert all(utf16_length(str(p[sheet.LONG_ANSWER_TEXT])) <= EXCEL_CELL_LIMIT for p in pieces)
    assert {p[sheet.APPLICANT_ID] for p in pieces} == {row[sheet.APPLICANT_ID]}
    assert full_text(pieces, marker.key) == essay

    # Reruns import nothing and leave the Long answers tab as it is.
    assert invoke(config_file, "run", "applications", "--now", IMPORT_DAY).exit_code == 0
    again = invoke(config_file, "screen", "--now", SCREEN_DAY)
    assert again.exit_code == 0 and "imported 0" in again.output
    assert "answers cut" not in again.output
    after = book(config_file).read_tabs([sheet.LONG_ANSWERS, sheet.OUTBOX])
    assert after[sheet.LONG_ANSWERS] == pieces
    assert len(after[sheet.OUTBOX]) == APPLICANTS
