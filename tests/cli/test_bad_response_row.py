"""One unreadable response never stops intake for everyone (local backend, through the CLI).

A row of the responses CSV with a bad timestamp used to stop the applications step for every
applicant, on every run, until someone edited the file. Now that row is left out and named by
file, row and field (never by what it holds), and every other response comes in.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner, Result

from microintern.adapters.local import LocalWorkbook
from microintern.cli import cli
from microintern.config import load_config
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet

APPLICANTS = 8
BAD = "Jordan Reyes' birthday"   # what a person might paste: it must never be repeated


def invoke(config_file: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def responses_file(config_file: Path) -> Path:
    config = load_config(config_file)
    sample = applications(config, count=APPLICANTS, seed=5)
    folder = config.resolve(config.local.folder) / "forms"
    write_responses(folder, config, sample)
    return folder / "applications.csv"


def set_timestamp(path: Path, row_number: int, value: str) -> str:
    """Write ``value`` in the Timestamp cell of ``row_number`` (header = 1); return the old one."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    column = rows[0].index("Timestamp")
    old = rows[row_number - 1][column]
    rows[row_number - 1][column] = value
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return old


def imported(config_file: Path) -> list[dict[str, object]]:
    config = load_config(config_file)
    book = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    return book.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]


def test_a_bad_timestamp_leaves_out_that_response_only_and_names_its_row(config_file: Path) -> None:
    path = responses_file(config_file)
    good = set_timestamp(path, 4, BAD)
    invoke(config_file, "init")

    first = invoke(config_file, "run", "applications", "--now", "2027-02-01T06:30")
    assert f"imported {APPLICANTS - 1}" in first.output
    # Problems are printed one a line (the sample data also holds one letter to a bad address).
    (problem,) = [line for line in first.output.splitlines()
                  if line.startswith("  ! ") and "applications.csv" in line]
    assert "applications.csv, row 4, field 'Timestamp'" in problem and "left out" in problem
    assert BAD not in first.output and "Jordan" not in problem
    assert len(imported(config_file)) == APPLICANTS - 1

    # Fixed in the file, the response comes in on the next run; nobody is imported twice.
    set_timestamp(path, 4, good)
    second = invoke(config_file, "run", "applications", "--now", "2027-02-02T06:30")
    assert "imported 1" in second.output and "applications.csv" not in second.output
    rows = imported(config_file)
    assert len(rows) == APPLICANTS
    assert len({r[sheet.RESPONSE_ID] for r in rows}) == APPLICANTS


def test_a_malformed_line_is_left_out_and_the_rest_is_read(config_file: Path) -> None:
    path = responses_file(config_file)
    # A NUL byte in the middle of the file: the csv module refuses the line it is on.
    text = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    text.insert(3, "2027-01-20T10:00:00,\x00broken\n")
    path.write_text("".join(text), encoding="utf-8")
    invoke(config_file, "init")
    result = invoke(config_file, "run", "applications", "--now", "2027-02-01T06:30")
    assert f"imported {APPLICANTS}" in result.output
    assert "applications.csv, row 4, field '(csv)'" not in result.output or "\x00" not in result.output
    assert len(imported(config_file)) == APPLICANTS
