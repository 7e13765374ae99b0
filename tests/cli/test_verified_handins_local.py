"""Issue 14 on the local backend: a hand-in under another student's id does not count.

With ``application.verified_respondents`` a form's CSV export carries the signed-in address in
its "Email Address" column, as Google's linked sheet does when the form collects verified
addresses. A hand-in whose address is not the one of the student id given is not counted; the
run's problems say why without repeating what was typed; the student's own hand-in counts.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from programs import write_config

from microintern.adapters.local import LocalWorkbook
from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import ProgramConfig, load_config
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import FORM_NAME, assignment_options, hand_in_spec, option_label
from microintern.steps.setup import initialise

SESSION = "data-fellows"
DOMAIN = "students.mesavalley.example"
STUDENTS = {f"A-{n}": f"s{n}@{DOMAIN}" for n in range(1, 4)}
VICTIM, IMPOSTOR = "A-1", "A-2"
IMPOSTOR_LINK = "https://docs.google.com/document/d/not-yours/edit"
OWN_LINK = "https://docs.google.com/document/d/mine/edit"


def invoke(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def verified_config(tmp_path: Path) -> Path:
    base = load_config(write_config(tmp_path))
    return write_config(tmp_path, application={**base.application.model_dump(mode="json"),
                                               "verified_respondents": True})


def seat(config: ProgramConfig) -> None:
    roster = step_context(config, config.first_meeting()).ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: "en", "First name": f"Student{n}",
         "Last name": "Test", "School email address": address,
         "Parent or guardian email": f"f{n}@home.example", sheet.DECISION: "Accept"}
        for n, (applicant, address) in enumerate(STUDENTS.items(), 1)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


class HandInForm:
    """The hand-in form's CSV export, with the signed-in "Email Address" of each response."""

    def __init__(self, config: ProgramConfig) -> None:
        self.config = config
        self.folder = config.resolve(config.local.folder) / "forms"
        self.titles = [q.title for q in hand_in_spec(config).questions]
        self.label = option_label(assignment_options(config), "data-cleaning")
        self.rows: list[tuple[datetime, list[str]]] = []

    def hand_in(self, when: datetime, signed_in: str, student_id: str, link: str, note: str) -> None:
        by_key = {"student_id": student_id, "assignment": self.label, "link": link, "note": note}
        keys = [q.key for q in hand_in_spec(self.config).questions]
        self.rows.append((when, [signed_in, *(by_key.get(k, "") for k in keys)]))
        write_form_csv(self.folder, FORM_NAME, ["Email Address", *self.titles], self.rows)


def row(config: ProgramConfig, applicant: str) -> dict[str, Any]:
    book = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    rows = book.read_tabs([sheet.ASSIGNMENTS])[sheet.ASSIGNMENTS]
    return next(r for r in rows if r[sheet.SUBMISSION_KEY] == f"{SESSION}:data-cleaning:{applicant}")


def text(value: object) -> str:
    return "" if value is None else str(value)


def test_a_hand_in_signed_in_as_another_student_does_not_count_and_the_real_one_does(
        tmp_path: Path) -> None:
    config_file = verified_config(tmp_path)
    config = load_config(config_file)
    seat(config)
    given = invoke(config_file, "assignments", "--session", SESSION, "--now", "2027-04-13T06:30")
    assert given.exit_code == 0, given.output
    form = HandInForm(config)
    form.hand_in(datetime(2027, 4, 14, 19, 0, tzinfo=config.zone), STUDENTS[IMPOSTOR], VICTIM,
                 IMPOSTOR_LINK, "handing this in for a friend")

    result = invoke(config_file, "assignments", "--session", SESSION, "--now", "2027-04-15T06:30")
    assert result.exit_code == 0, result.output
    victim = row(config, VICTIM)
    assert not text(victim.get(sheet.HANDED_IN))
    assert "another student's account" in text(victim.get(sheet.WORK_LINK))
    assert IMPOSTOR_LINK not in text(victim.get(sheet.WORK_LINK))
    assert not text(row(config, IMPOSTOR).get(sheet.HANDED_IN))
    assert f"{SESSION} data-cleaning: 0 of 3 handed in" in result.output
    assert "signed-in address that is not this student's" in result.output
    # The problem names the form, the response and the field: no link, note, address or name.
    for typed in (IMPOSTOR_LINK, "friend", STUDENTS[IMPOSTOR], STUDENTS[VICTIM], "Student1"):
        assert typed not in result.output

    # After the due date, still nothing of theirs: missing, and said so.
    overdue = invoke(config_file, "assignments", "--session", SESSION, "--now", "2027-04-20T06:30")
    assert overdue.exit_code == 0, overdue.output
    assert text(row(config, VICTIM).get(sheet.LATE)) == "missing"

    # The student hands in their own work, signed in as themselves (any case): it counts, late.
    form.hand_in(datetime(2027, 4, 20, 17, 0, tzinfo=config.zone), STUDENTS[VICTIM].upper(), VICTIM,
                 OWN_LINK, "Sorry it is late.")
    later = invoke(config_file, "assignments", "--session", SESSION, "--now", "2027-04-21T06:30")
    assert later.exit_code == 0, later.output
    victim = row(config, VICTIM)
    assert text(victim.get(sheet.HANDED_IN)) == "2027-04-20 17:00"
    assert text(victim.get(sheet.WORK_LINK)) == OWN_LINK
    assert text(victim.get(sheet.STUDENT_NOTE)) == "Sorry it is late."
    assert text(victim.get(sheet.LATE)) == "yes"
    assert "signed-in address that is not this student's" not in later.output
