"""Issue 14 on the Google backend: forms collect the signed-in address, and intake trusts it.

Real googleapiclient calls against the fake Workspace, which checks every request against the
bundled Forms discovery document (``updateSettings`` with ``settings.emailCollectionType``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from adapters.conftest import FORM_ID, PROGRAM_USER, SPREADSHEET_ID, GoogleProgram
from click.testing import CliRunner, Result
from fakeworkspace import FakeWorkspace

from microintern.cli import cli
from microintern.config import load_config
from microintern.domain.applicants import TYPED_EMAIL

NOW = "2027-02-01T06:30"
DOMAIN = "students.mesavalley.example"


def invoke(program: GoogleProgram, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(program.config_file), *args],
                              catch_exceptions=False)


def verified(program: GoogleProgram) -> GoogleProgram:
    """The program with application.verified_respondents on."""
    data = yaml.safe_load(program.config_file.read_text(encoding="utf-8"))
    data["application"]["verified_respondents"] = True
    program.config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                   encoding="utf-8")
    return GoogleProgram(program.config_file, load_config(program.config_file), program.question_ids)


def test_the_application_form_is_set_to_collect_verified_addresses(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    assert fake.forms.get(FORM_ID).settings.get("emailCollectionType") is None
    program = verified(google_program)
    result = invoke(program, "form")
    assert result.exit_code == 0, result.output
    assert fake.forms.get(FORM_ID).settings["emailCollectionType"] == "VERIFIED"
    # Already set: a rerun asks for nothing.
    fake.reset_calls()
    assert invoke(program, "form").exit_code == 0
    assert fake.count("forms.forms.batchUpdate") == 0


def test_intake_trusts_the_signed_in_address_over_the_typed_one(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    program = verified(google_program)
    answers = {"First name": "Ana", "Last name": "Rivera", "Student ID number": "100001",
               "School email address": "victim@example.com"}
    fake.forms.add_response(FORM_ID, "r-1", datetime(2027, 1, 28, 15, tzinfo=UTC),
                            {program.question_ids[t]: v for t, v in answers.items()},
                            respondent_email=f"ana.rivera@{DOMAIN}")
    result = invoke(program, "run", "applications", "--now", NOW)
    assert result.exit_code == 0, result.output
    rows = fake.sheets.values(SPREADSHEET_ID, "Applications")
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row, strict=False))
    assert cell["School email address"] == f"ana.rivera@{DOMAIN}"
    assert cell[TYPED_EMAIL] == "victim@example.com"
    sent = [m for m in fake.gmail.sent(PROGRAM_USER)
            if "/application_received/" in str(m.message["X-Microintern-Key"])]
    assert [str(m.message["To"]) for m in sent] == [f"ana.rivera@{DOMAIN}"]
