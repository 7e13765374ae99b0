"""Applications from a hand-made form's linked responses sheet, over HTTP against the fake."""

from __future__ import annotations

from typing import Any

import yaml
from adapters.conftest import SPREADSHEET_ID, GoogleProgram
from click.testing import CliRunner, Result
from fakeworkspace import FakeWorkspace

from microintern.cli import cli
from microintern.domain import program_sheet as sheet

LINKED = "1LinkedResponsesSheet000000000000000000000"
NOW = "2027-02-16T06:00"


def invoke(program: GoogleProgram, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(program.config_file), *args], catch_exceptions=False)


def use_linked_sheet(program: GoogleProgram, renamed: dict[str, str]) -> None:
    data = yaml.safe_load(program.config_file.read_text(encoding="utf-8"))
    data["google"]["application_form_id"] = None
    data["application"]["responses_sheet"] = {"spreadsheet_id": LINKED}
    for question in data["application"]["questions"]:
        if question["key"] in renamed:
            question["column"] = renamed[question["key"]]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    program.config_file.write_text(text, encoding="utf-8")


def response_rows(program: GoogleProgram, renamed: dict[str, str]) -> list[list[Any]]:
    questions = program.config.application.questions
    header = ["Timestamp", "Email Address", "Notes from the counselor"]  # an extra column
    header += [renamed.get(q.key, q.title) for q in reversed(questions)]  # columns reordered
    answers = {
        "first_name": "Maribel", "last_name": "Quintero", "student_id": "204455",
        "student_email": "maribel.quintero@students.mesavalley.example",
        "school": "Palo Verde Academy", "grade": "11", "guardian_name": "Rosa Quintero",
        "guardian_email": "rosa.q@mail.example.org", "family_language": "Español",
        "interests": "Health Science", "pathway": "Health Science",
        "availability": "Behind the Scenes at a Regional Hospital",
        "essay": " ".join(["I want to learn how a hospital team works together every day."] * 5),
        "first_time": "Yes", "needs_device": "Yes",
    }
    keys = [q.key for q in reversed(questions)]
    first = ["2/3/2027 16:05:09", "maribel.quintero@students.mesavalley.example", "met at career fair",
             *[answers.get(k, "") for k in keys]]
    second = ["2/4/2027 9:15:00", "", "", *[{**answers, "first_name": "Tomás", "student_id": "204499",
                                               "student_email": "tomas.r@students.mesavalley.example",
                                               "grade": "9"}.get(k, "") for k in keys]]
    return [header, first, [""] * len(header), second]


def test_screen_reads_the_linked_responses_sheet(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    renamed = {"student_email": "Your school email", "essay": "Why you?"}
    use_linked_sheet(google_program, renamed)
    rows = response_rows(google_program, renamed)
    fake.sheets.create(LINKED, "Application (Responses)", {"Form Responses 1": rows})
    assert invoke(google_program, "init").exit_code == 0
    fake.reset_calls()
    result = invoke(google_program, "screen", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "imported 2" in result.output
    assert fake.count("forms.") == 0  # the Forms API is not used for a hand-made form
    values = fake.sheets.values(SPREADSHEET_ID, sheet.APPLICATIONS)
    header = values[0]
    rows = [dict(zip(header, row, strict=False)) for row in values[1:]]
    by_name = {r["First name"]: r for r in rows}
    maribel, tomas = by_name["Maribel"], by_name["Tomás"]
    assert maribel["School email address"] == "maribel.quintero@students.mesavalley.example"
    assert maribel["Submitted"] == "2027-02-03 16:05:09"
    assert maribel[sheet.LANGUAGE] == "es"
    assert "NEEDS_DEVICE" in maribel[sheet.FLAGS] and maribel[sheet.PROPOSED_DECISION] == "Accept"
    assert "GRADE" in tomas[sheet.FLAGS].split("; ")

    again = invoke(google_program, "screen", "--now", "2027-02-17T06:00")
    assert "imported 0" in again.output  # ids are stable: nothing imported twice
    assert len(fake.sheets.values(SPREADSHEET_ID, sheet.APPLICATIONS)) == 3


def test_a_bad_timestamp_skips_that_row_names_sheet_row_and_field_and_imports_the_rest(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    # One bad row used to stop intake for everyone; now only that response waits for a fix.
    use_linked_sheet(google_program, {})
    rows = response_rows(google_program, {})
    rows[3][0] = "next tuesday"
    fake.sheets.create(LINKED, "Application (Responses)", {"Form Responses 1": rows})
    assert invoke(google_program, "init").exit_code == 0
    fake.reset_calls()  # as above: init's first lease read of a fresh sheet is not this test's subject
    result = CliRunner().invoke(cli, ["--config", str(google_program.config_file), "screen", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert "imported 1" in result.output and "1 problem(s)" in result.output
    values = fake.sheets.values(SPREADSHEET_ID, sheet.APPLICATIONS)
    assert [dict(zip(values[0], row, strict=False))["First name"] for row in values[1:]] == ["Maribel"]

    # Fixed in the sheet, the response comes in on the next run, once.
    fake.sheets.write(LINKED, "'Form Responses 1'!A4", [["2/4/2027 9:15:00"]])
    again = invoke(google_program, "screen", "--now", "2027-02-17T06:00")
    assert "imported 1" in again.output and "problem" not in again.output
    values = fake.sheets.values(SPREADSHEET_ID, sheet.APPLICATIONS)
    assert sorted(dict(zip(values[0], row, strict=False))["First name"] for row in values[1:]) == [
        "Maribel", "Tomás"]
