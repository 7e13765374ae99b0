"""A 1 MB answer on the Google backend, through the real adapters and the fake Workspace.

Sheets refuses a write holding one cell over 50,000 characters; without the cut, one student's
long essay made the Applications write fail for every applicant.
"""

from __future__ import annotations

from datetime import UTC

import pytest
from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram
from click.testing import CliRunner, Result
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import build_ports
from microintern.cli import cli
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet
from microintern.domain.long_answers import GOOGLE_CELL_LIMIT, cut_marker, full_text, utf16_length
from microintern.errors import BackendError

IMPORT_DAY = "2027-02-01T06:30"
SCREEN_DAY = "2027-02-16T06:00"
APPLICANTS = 6


def long_essay(size: int = 1_048_576) -> str:
    """About ``size`` characters of accented, emoji, RTL and multi-line text."""
    line = "Quiero aprender programación 😀 y diseño 👩\u200d💻; שלום e\u0301 中文.\r\n"
    return (line * (size // len(line) + 1))[:size]


def invoke(program: GoogleProgram, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(program.config_file), *args],
                              catch_exceptions=False)


def tab(fake: FakeWorkspace, name: str) -> list[dict[str, object]]:
    values = fake.sheets.values(SPREADSHEET_ID, name)
    header = [str(h) for h in values[0]]
    return [dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)) for row in values[1:]]


def test_the_fake_refuses_a_cell_over_50000_characters_like_sheets(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    assert invoke(google_program, "init").exit_code == 0
    roster = build_ports(google_program.config).roster
    roster.upsert(sheet.LONG_ANSWERS, sheet.LONG_ANSWER_KEY,
                  [{sheet.LONG_ANSWER_KEY: "at-limit", sheet.LONG_ANSWER_TEXT: "a" * GOOGLE_CELL_LIMIT}])
    over = {sheet.LONG_ANSWER_KEY: "over", sheet.LONG_ANSWER_TEXT: "a" * (GOOGLE_CELL_LIMIT + 1)}
    with pytest.raises(BackendError) as refused:
        roster.upsert(sheet.LONG_ANSWERS, sheet.LONG_ANSWER_KEY, [over])
    assert refused.value.code == 400
    assert "maximum of 50000 characters in a single cell" in str(refused.value)
    assert [r[sheet.LONG_ANSWER_KEY] for r in tab(fake, sheet.LONG_ANSWERS)] == ["at-limit"]
    fake.rejections.clear()  # the refusal was the point of this test


def test_a_one_megabyte_answer_is_cut_flagged_kept_and_nobody_is_held_up(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    assert invoke(google_program, "init").exit_code == 0
    config = google_program.config
    title = next(q.title for q in config.application.questions if q.key == "essay")
    essay = long_essay()
    sample = applications(config, count=APPLICANTS, seed=3)
    sample[2].answers[title] = essay
    for n, app in enumerate(sample):
        google_program.add_response(fake, f"resp-long-{n}", app.submitted_at.astimezone(UTC), app.answers)

    received = invoke(google_program, "run", "applications", "--now", IMPORT_DAY)
    assert received.exit_code == 0, received.output
    assert f"imported {APPLICANTS}" in received.output
    assert "answers cut to fit a cell (full text in Long answers) 1" in received.output
    rows = tab(fake, sheet.APPLICATIONS)
    assert len(rows) == APPLICANTS
    acknowledged = [m for m in fake.gmail.sent(PROGRAM_USER)
                    if "/application_received/" in str(m.message["X-Microintern-Key"])]
    assert len(acknowledged) == sum("@" in a.email for a in sample)  # everyone deliverable

    screened = invoke(google_program, "screen", "--now", SCREEN_DAY)
    assert screened.exit_code == 0, screened.output
    (row,) = [r for r in tab(fake, sheet.APPLICATIONS) if cut_marker(r[title]) is not None]
    cell = str(row[title])
    found = cut_marker(cell)
    assert found is not None and found.total == len(essay)
    assert found.key == f"{row[sheet.APPLICANT_ID]}/essay"
    assert utf16_length(cell) <= GOOGLE_CELL_LIMIT and essay.startswith(cell[: cell.index(" … [cut")])
    assert "LONG_ANSWER" in str(row[sheet.FLAGS]).split("; ")
    assert f"has {len(essay):,} characters, cut to fit its cell" in str(row[sheet.FLAG_REASONS])
    assert "programación" not in str(row[sheet.FLAG_REASONS])

    pieces = tab(fake, sheet.LONG_ANSWERS)
    assert 21 <= len(pieces) <= 30  # ~1 MB in cells of 50,000 units (emoji count twice)
    assert [p[sheet.LONG_ANSWER_PART] for p in pieces] == list(range(1, len(pieces) + 1))
    assert all(utf16_length(str(p[sheet.LONG_ANSWER_TEXT])) <= GOOGLE_CELL_LIMIT for p in pieces)
    assert full_text(pieces, found.key) == essay  # CR LF, RTL, emoji: exactly as typed
    assert fake.sheets.formulas(SPREADSHEET_ID, sheet.LONG_ANSWERS) == []

    # Reruns import nothing and write nothing to the Long answers tab.
    fake.reset_calls()
    assert invoke(google_program, "run", "applications", "--now", IMPORT_DAY).exit_code == 0
    again = invoke(google_program, "screen", "--now", SCREEN_DAY)
    assert again.exit_code == 0 and "imported 0" in again.output, again.output
    assert fake.count("sheets.spreadsheets.values.append") == 0
    assert tab(fake, sheet.LONG_ANSWERS) == pieces
