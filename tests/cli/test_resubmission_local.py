"""Issue 14 on the local backend: one applicant per student, no relay, a daily ceiling.

Responses are the CSV export of a linked responses sheet; letters land in the outbox folder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from programs import write_config

from microintern.adapters.local import LocalWorkbook
from microintern.bootstrap import LOCAL_APPLICATION_FORM
from microintern.cli import cli
from microintern.config import ProgramConfig, load_config
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import RESUBMITTED
from microintern.domain.outbox import MessageState

DAY = "2027-02-01T06:30"
DOMAIN = "students.mesavalley.example"
PHISH = "Your district account is locked - verify at http://x.example/verify"


def invoke(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def answers(config: ProgramConfig, **given: str) -> dict[str, str]:
    """A complete application (by question key, overridden by ``given``), keyed by title."""
    base = {
        "first_name": "Ana", "last_name": "Rivera", "student_id": "100001",
        "student_email": f"ana.rivera@{DOMAIN}", "school": "Mesa Valley High School",
        "grade": "11", "guardian_name": "Rosa Rivera", "guardian_email": "rosa@example.org",
        "family_language": "English", "essay": "I want to learn how hospitals use data. " * 5,
    }
    base.update(given)
    return {q.title: base.get(q.key, "") for q in config.application.questions}


class Form:
    """The application form's CSV export, written again after every submission."""

    def __init__(self, config_file: Path) -> None:
        self.config = load_config(config_file)
        self.folder = self.config.resolve(self.config.local.folder) / "forms"
        self.titles = [q.title for q in self.config.application.questions]
        self.rows: list[tuple[datetime, list[str]]] = []
        self.start = datetime(2027, 1, 25, 9, 0, tzinfo=self.config.zone)

    def submit(self, email_address: str = "", **given: str) -> None:
        """One more submission, a minute after the last ("Email Address" as Forms collects it)."""
        filled = answers(self.config, **given)
        when = self.start + timedelta(minutes=len(self.rows))
        self.rows.append((when, [email_address, *(filled[t] for t in self.titles)]))
        write_form_csv(self.folder, LOCAL_APPLICATION_FORM, ["Email Address", *self.titles], self.rows)


def book(config_file: Path) -> LocalWorkbook:
    config = load_config(config_file)
    return LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")


def sent(config_file: Path) -> list[Message]:
    config = load_config(config_file)
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    return [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def acknowledgements(config_file: Path) -> list[Message]:
    return [m for m in sent(config_file) if "/application_received/" in str(m["X-Microintern-Key"])]


def tabs(config_file: Path) -> dict[str, list[dict[str, Any]]]:
    return book(config_file).read_tabs([sheet.APPLICATIONS, sheet.OUTBOX])


def test_three_submissions_are_one_row_and_one_letter(config_file: Path) -> None:
    form = Form(config_file)
    form.submit(essay="first try " * 30)
    assert invoke(config_file, "run", "applications", "--now", DAY).exit_code == 0
    first = tabs(config_file)[sheet.APPLICATIONS]
    assert len(first) == 1
    applicant = first[0][sheet.APPLICANT_ID]
    # The same student twice more: once by id (a new address), once by address (id mistyped).
    form.submit(student_email=f"ana.r@{DOMAIN}", essay="second try " * 30)
    form.submit(student_id="n/a", student_email=f"Ana.Rivera@{DOMAIN}", essay="third try " * 30)
    result = invoke(config_file, "run", "applications", "--now", "2027-02-02T06:30")
    assert result.exit_code == 0, result.output
    assert "resubmissions merged into the student's row 1" in result.output
    rows = tabs(config_file)[sheet.APPLICATIONS]
    assert len(rows) == 1
    row = rows[0]
    assert row[sheet.APPLICANT_ID] == applicant
    essay = next(q.title for q in form.config.application.questions if q.key == "essay")
    assert str(row[essay]).startswith("third try")        # the latest answers win
    assert str(row[RESUBMITTED]).startswith("3 submissions")
    assert len(acknowledgements(config_file)) == 1


def test_a_resubmission_keeps_the_decision_and_screening_sees_the_latest(config_file: Path) -> None:
    form = Form(config_file)
    form.submit(grade="7")
    invoke(config_file, "screen", "--now", DAY)
    workbook = book(config_file)
    row = workbook.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS][0]
    applicant = row[sheet.APPLICANT_ID]
    assert "GRADE" in str(row[sheet.FLAGS])
    workbook.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID,
                    [{sheet.APPLICANT_ID: applicant, sheet.NOTES: "called the family"}])
    form.submit(grade="11", student_email=f"anarivera@{DOMAIN}")
    result = invoke(config_file, "screen", "--now", "2027-02-02T06:30")
    assert result.exit_code == 0, result.output
    rows = book(config_file).read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    assert [r[sheet.APPLICANT_ID] for r in rows] == [applicant]
    assert "GRADE" not in str(rows[0][sheet.FLAGS]) and "DUPLICATE" not in str(rows[0][sheet.FLAGS])
    assert rows[0][sheet.NOTES] == "called the family"
    assert str(rows[0][RESUBMITTED]).startswith("2 submissions")


def test_gmail_dot_and_plus_variants_are_the_same_student(tmp_path: Path) -> None:
    config_file = write_config(tmp_path, program={
        **load_config(write_config(tmp_path)).program.model_dump(), "student_email_domain": None})
    form = Form(config_file)
    form.submit(student_id="", student_email="ana.rivera@gmail.com")
    form.submit(student_id="", student_email="AnaRivera+apply@googlemail.com", first_name="Ana María")
    assert invoke(config_file, "run", "applications", "--now", DAY).exit_code == 0
    rows = tabs(config_file)[sheet.APPLICATIONS]
    assert len(rows) == 1
    first_name = next(q.title for q in form.config.application.questions if q.key == "first_name")
    assert rows[0][first_name] == "Ana María"
    assert len(acknowledgements(config_file)) == 1


def test_an_outside_address_gets_no_letter_and_is_held_with_a_reason(config_file: Path) -> None:
    form = Form(config_file)
    form.submit(first_name=PHISH, student_id="200002", student_email="victim@example.com")
    form.submit(student_id="300003", student_email=f"maya.lopez@{DOMAIN}", first_name=PHISH)
    result = invoke(config_file, "run", "applications", "--now", DAY)
    assert result.exit_code == 0, result.output
    letters = acknowledgements(config_file)
    assert [m["To"] for m in letters] == [f"maya.lopez@{DOMAIN}"]
    for message in sent(config_file):
        assert "verify" not in str(message["Subject"]) and "locked" not in str(message["Subject"])
    held = [r for r in tabs(config_file)[sheet.OUTBOX] if r["State"] == MessageState.HELD]
    assert len(held) == 1
    assert held[0]["To"] == "victim@example.com"
    assert DOMAIN in str(held[0]["Note"]) and "strangers" in str(held[0]["Note"])
    # Held for good: later runs neither send it nor report it again.
    again = invoke(config_file, "run", "applications", "--now", "2027-02-02T06:30")
    assert "held" not in again.output
    assert len(acknowledgements(config_file)) == 1


@pytest.mark.parametrize("share", [0.002])
def test_the_daily_ceiling_holds_the_rest_until_the_next_day(tmp_path: Path, share: float) -> None:
    base = load_config(write_config(tmp_path))
    config_file = write_config(
        tmp_path, mail={**base.mail.model_dump(), "daily_cap": 1000},
        application={**base.application.model_dump(mode="json"), "ack_daily_share": share})
    form = Form(config_file)
    for n in range(5):
        form.submit(student_id=f"40000{n}", student_email=f"student{n}@{DOMAIN}")
    result = invoke(config_file, "run", "applications", "--now", DAY)
    assert result.exit_code == 0, result.output
    assert len(acknowledgements(config_file)) == 2     # 0.2% of 1,000
    waiting = [r for r in tabs(config_file)[sheet.OUTBOX] if r["State"] == MessageState.HELD]
    assert len(waiting) == 3 and all("next day" in str(r["Note"]) for r in waiting)
    invoke(config_file, "run", "applications", "--now", "2027-02-01T18:30")   # same day: no more
    assert len(acknowledgements(config_file)) == 2
    invoke(config_file, "run", "applications", "--now", "2027-02-02T06:30")
    invoke(config_file, "run", "applications", "--now", "2027-02-03T06:30")
    assert len(acknowledgements(config_file)) == 5
    assert sorted(m["To"] for m in acknowledgements(config_file)) == sorted(
        f"student{n}@{DOMAIN}" for n in range(5))
