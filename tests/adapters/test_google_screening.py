"""Screening on the Google backend, over real HTTP against the fake Workspace.

Counts Sheets calls, proves formulas stay text, screens the hostile corpus, and races the
coordinator (sort, insert, Decision edits) between the tool's read and its write.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from adapters.conftest import (
    LEASE_CALLS,
    SPREADSHEET_ID,
    GoogleProgram,
    lease_calls,
    program_sheet_calls,
    tab_calls,
)
from click.testing import CliRunner, Result
from fakeworkspace import FakeWorkspace
from fakeworkspace.sheets_model import Cell
from hostile_corpus import hostile_applications

from microintern.cli import cli
from microintern.config import load_config
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet
from microintern.domain.screening import screen

NOW = "2027-02-16T06:00"


def invoke(program: GoogleProgram, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(program.config_file), *args], catch_exceptions=False)


def submit(program: GoogleProgram, fake: FakeWorkspace, count: int, seed: int = 4) -> None:
    for n, app in enumerate(applications(program.config, count=count, seed=seed)):
        program.add_response(fake, f"s{seed}-{n:05d}", app.submitted_at.astimezone(UTC), app.answers)


def tab(fake: FakeWorkspace) -> list[dict[str, Any]]:
    values = fake.sheets.values(SPREADSHEET_ID, sheet.APPLICATIONS)
    header = [str(h) for h in values[0]]
    return [dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=True))
            for row in values[1:] if any(v not in ("", None) for v in row)]


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(r[sheet.APPLICANT_ID]): r for r in rows if r.get(sheet.APPLICANT_ID)}


def test_screen_imports_and_writes_back_in_at_most_five_sheets_calls(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    assert invoke(google_program, "init").exit_code == 0
    submit(google_program, fake, 400)
    fake.reset_calls()
    result = invoke(google_program, "screen", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "imported 400" in result.output and "screened 400" in result.output
    # Screening's own calls, on the Applications tab (read, the upsert's fresh read, append);
    # the command adds a fixed cost whatever the size: the run lease (taken and released), the
    # sheet's layout, and this run's line in the Timeline tab.
    applications = tab_calls(fake, sheet.APPLICATIONS)
    assert len(applications) <= 5, [c.method_id for c in applications]
    assert len(lease_calls(fake)) <= LEASE_CALLS
    assert len(program_sheet_calls(fake)) - len(applications) <= 1 + 3
    assert fake.count("gmail.") == 0  # screening never sends: only the Decision column does
    rows = tab(fake)
    assert len(rows) == 400
    assert all(isinstance(r[sheet.SCORE], int | float) for r in rows)
    assert all(r[sheet.SCORE_BREAKDOWN].startswith("interest ") for r in rows)
    assert {r[sheet.PROPOSED_DECISION] for r in rows} <= {"Accept", "Waitlist", "Deny", "Review", "Duplicate"}

    # A rerun with nothing new writes nothing: one read, no write.
    fake.reset_calls()
    again = invoke(google_program, "screen", "--now", NOW)
    assert again.exit_code == 0 and "imported 0" in again.output
    # (the run lease's take and release and this run's Timeline line are the only writes)
    assert [c.method_id for c in tab_calls(fake, sheet.APPLICATIONS) if c.http_method != "GET"] == []


def test_formulas_are_stored_as_text_and_flagged(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    assert invoke(google_program, "init").exit_code == 0
    submit(google_program, fake, 3)
    hostile = '=HYPERLINK("http://evil.example","click")'
    google_program.add_response(fake, "formula-1", applications(google_program.config, count=1, seed=8)[0]
                                .submitted_at.astimezone(UTC), {
        "First name": hostile, "Last name": "+cmd|' /C calc'!A0", "Student ID number": "@SUM(1+1)",
        "School email address": "x@students.mesavalley.example"})
    assert invoke(google_program, "screen", "--now", NOW).exit_code == 0
    grid = fake.sheets.sheet(SPREADSHEET_ID, sheet.APPLICATIONS)
    assert not any(c is not None and c.is_formula for row in grid.rows for c in row)
    row = next(r for r in tab(fake) if r["First name"] == hostile)
    assert "FORMULA" in row[sheet.FLAGS].split("; ")


def test_hostile_corpus_in_the_sheet_gets_its_flags(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    assert invoke(google_program, "init").exit_code == 0
    corpus = hostile_applications(google_program.config)
    header = [str(h) for h in fake.sheets.values(SPREADSHEET_ID, sheet.APPLICATIONS)[0]]
    for record, _ in corpus:
        header += [k for k in record if k not in header]  # extra columns a coordinator added
    lines: list[list[Any]] = [header]
    for n, (record, _) in enumerate(corpus):
        lines.append(["" if record.get(h) is None else record.get(h) for h in header])
        if n % 10 == 3:
            lines.append([""] * len(header))  # a blank row left in the middle
    fake.sheets.write(SPREADSHEET_ID, f"'{sheet.APPLICATIONS}'!A1", lines)
    result = invoke(google_program, "screen", "--now", NOW)
    assert result.exit_code == 0, result.output
    found = by_id(tab(fake))
    checked = 0
    for record, expected in corpus:
        applicant = record.get(sheet.APPLICANT_ID)
        if not applicant or not str(applicant).strip():
            continue  # a row without an id is reported, never screened
        flags = found[str(applicant)][sheet.FLAGS]
        assert set(filter(None, str(flags).split("; "))) == expected, (applicant, flags)
        checked += 1
    assert checked >= 40
    grid = fake.sheets.sheet(SPREADSHEET_ID, sheet.APPLICATIONS)
    assert not any(c is not None and c.is_formula for row in grid.rows for c in row)


def test_coordinator_sorting_and_editing_mid_run_loses_nothing(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    assert invoke(google_program, "init").exit_code == 0
    submit(google_program, fake, 30, seed=12)
    assert invoke(google_program, "run", "applications", "--now", "2027-02-01T06:30").exit_code == 0
    before = tab(fake)
    config = load_config(google_program.config_file)
    from datetime import datetime
    expected = {a.applicant_id: a for a in screen(before, config, now=datetime(2027, 2, 16, 6, tzinfo=UTC))
                .applications}
    chosen = sorted(expected)[:5]
    edits = {chosen[0]: "Accept", chosen[1]: "Deny", chosen[2]: "Waitlist", chosen[3]: "Accept"}

    def coordinator(fake: FakeWorkspace) -> None:
        grid = fake.sheets.sheet(SPREADSHEET_ID, sheet.APPLICATIONS)
        header = [c.value if c else "" for c in grid.rows[0]]
        key, decision, notes = (header.index(sheet.APPLICANT_ID), header.index(sheet.DECISION),
                                header.index(sheet.NOTES))
        data = [row for row in grid.rows[1:] if any(c is not None for c in row)]
        data.sort(key=lambda row: str(row[key].value if row[key] else ""), reverse=True)  # sort Z-A
        grid.rows[1:] = data
        grid.insert_rows(4, 3)  # three rows inserted near the top...
        grid.set_cell(5, notes, Cell("call the counselor about the Tuesday group"))  # ...one used
        for r, row in enumerate(grid.rows):
            if r and row and key < len(row) and row[key] is not None and row[key].value in edits:
                grid.set_cell(r, decision, Cell(edits[row[key].value]))

    def between_read_and_write(fake: FakeWorkspace) -> None:
        # Once, at the first write after a read of Applications (not at the run lease's write).
        last = fake.calls[-1] if fake.calls else None
        if not ran and last is not None and last.method_id.endswith("values.batchGet") and \
                any(str(r).startswith(f"'{sheet.APPLICATIONS}'") for r in last.query.get("ranges", [])):
            ran.append(True)
            coordinator(fake)

    ran: list[bool] = []
    fake.hooks.before("sheets.spreadsheets.values.batchUpdate", between_read_and_write)
    fake.reset_calls()
    result = invoke(google_program, "screen", "--now", NOW)
    assert result.exit_code == 0, result.output
    # The race happened: after the write, the roster's read-back found cells on other rows and
    # rewrote them (a second write of Applications cells).
    writes = [c for c in fake.calls_to("sheets.spreadsheets.values.batchUpdate")
              if str(c.body["data"][0]["range"]).startswith(f"'{sheet.APPLICATIONS}'")]
    assert ran and len(writes) >= 2
    after = tab(fake)
    rows = by_id(after)
    assert set(rows) == set(expected)
    for applicant, screened in expected.items():
        row = rows[applicant]
        assert row[sheet.SCORE] == screened.score, applicant
        assert row[sheet.SCORE_BREAKDOWN] == screened.breakdown, applicant
        assert row[sheet.FLAGS] == "; ".join(f.code.value for f in screened.flags), applicant
        assert row["First name"] == by_id(before)[applicant]["First name"]  # answers untouched
    for applicant, decision in edits.items():
        assert rows[applicant][sheet.DECISION] == decision  # every coordinator edit kept
    noted = [r for r in after if r.get(sheet.NOTES) == "call the counselor about the Tuesday group"]
    assert len(noted) == 1 and not noted[0].get(sheet.APPLICANT_ID) and not noted[0].get(sheet.SCORE)
