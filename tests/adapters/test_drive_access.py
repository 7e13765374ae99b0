"""Drive access follows the sheet, on both backends.

A new partner contact is given the session's submissions folder and the old one loses it; the
teacher and the coordinator keep theirs. ``assignment.access_ends_after_days`` after the last
meeting, every student loses their folder and the partner and teacher the session folder; the
coordinator keeps it. Unchanged, a rerun makes no Drive call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from adapters.conftest import PROGRAM_USER, GoogleProgram
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.steps.assignments import access_ended_setting, folder_setting, run_assignments
from microintern.steps.context import StepResult
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
SESSION = "data-fellows"                              # 6 weekly meetings, the last on 2027-05-11
OPENS = datetime(2027, 4, 3, 6, 30, tzinfo=LA)
LAST_DAY = datetime(2027, 6, 9, 6, 30, tzinfo=LA)     # 29 days after the last meeting
ENDED = datetime(2027, 6, 10, 6, 30, tzinfo=LA)       # 30 days after: access ends
PARTNER = "thanh@valleyanalytics.example"
NEW_PARTNER = "rosa.mendez@valleyanalytics.example"
TEACHER = "priya.raman@mesavalley.example"
COORDINATOR = "dana.whitfield@mesavalley.example"
STUDENTS = {f"A-00000{i}": f"student{i}@students.mesavalley.example" for i in range(1, 5)}


@dataclass
class Program:
    """A program on one backend, and how to tell who can open a folder there."""

    config: ProgramConfig
    drive_calls: Callable[[], int]
    parent_of: Callable[[str], str]       # a folder's parent folder id

    def run(self, now: datetime) -> StepResult:
        return run_assignments(step_context(self.config, now, env={}), [SESSION])

    def folders(self) -> Any:
        return step_context(self.config, OPENS, env={}).ports.folders

    def tab(self, name: str) -> list[dict[str, Any]]:
        return step_context(self.config, OPENS, env={}).ports.roster.read_tabs([name])[name]

    def setting(self, label: str) -> str:
        return next((str(r[sheet.SETTING_VALUE]) for r in self.tab(sheet.SETTINGS)
                     if r.get(sheet.SETTING) == label), "")

    def people(self, folder_id: str) -> set[str]:
        """Who may open the folder (its owner left out)."""
        return {a for a, role in self.folders().shared_with(folder_id).items() if role != "owner"}

    def student_folders(self) -> dict[str, str]:
        """Each student's folder id (the parent of their assignment folders)."""
        found: dict[str, str] = {}
        for row in self.tab(sheet.ASSIGNMENTS):
            assignment_folder = str(row[sheet.FOLDER_ID])
            found[str(row[sheet.APPLICANT_ID])] = self.parent_of(assignment_folder)
        return found


@pytest.fixture(params=["local", "google"])
def program(request: pytest.FixtureRequest, tmp_path: Path) -> Program:
    if request.param == "local":
        from programs import write_config
        # A local folder's id is its path below the root.
        return Program(load_config(write_config(tmp_path)), lambda: 0,
                       lambda folder: folder.rsplit("/", 1)[0])
    fake: FakeWorkspace = request.getfixturevalue("fake")
    google: GoogleProgram = request.getfixturevalue("google_program")
    return Program(google.config, lambda: sum(c.method_id.startswith("drive.") for c in fake.calls),
                   lambda folder: str(fake.drive.files[folder]["parents"][0]))


def seat(program: Program) -> None:
    roster = step_context(program.config, OPENS, env={}).ports.roster
    initialise(program.config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: "en", "First name": f"Student{n}",
         "Last name": f"Last{n}", "School email address": address,
         "Parent or guardian email": f"family{n}@home.example", "Parent or guardian name": "A parent",
         sheet.DECISION: "Accept"}
        for n, (applicant, address) in enumerate(STUDENTS.items(), 1)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


def with_partner_contact(config: ProgramConfig, email: str) -> ProgramConfig:
    """The config after the coordinator named another contact at the session's partner."""
    partner_id = config.session(SESSION).partner
    partners = tuple(p.model_copy(update={"contact": p.contact.model_copy(update={"email": email})})
                     if p.id == partner_id else p for p in config.partners)
    return config.model_copy(update={"partners": partners})


def test_a_new_partner_gets_the_folder_and_the_old_one_loses_it(program: Program) -> None:
    seat(program)
    program.run(OPENS)
    session_folder = program.setting(folder_setting(SESSION))
    assert program.people(session_folder) == {PARTNER, TEACHER, COORDINATOR}

    program.config = with_partner_contact(program.config, NEW_PARTNER)
    changed = program.run(OPENS + timedelta(hours=1))
    assert changed.counts["folder access removed"] == 1
    assert program.people(session_folder) == {NEW_PARTNER, TEACHER, COORDINATOR}
    assert program.folders().shared_with(session_folder)[NEW_PARTNER] == "commenter"

    before = program.drive_calls()
    again = program.run(OPENS + timedelta(hours=2))
    assert "folder access removed" not in again.counts
    assert program.drive_calls() == before                 # remembered: no Drive call at all
    assert program.people(session_folder) == {NEW_PARTNER, TEACHER, COORDINATOR}


def test_access_ends_a_configured_number_of_days_after_the_last_meeting(program: Program) -> None:
    assert program.config.assignment.access_ends_after_days == 30
    seat(program)
    program.run(OPENS)
    session_folder = program.setting(folder_setting(SESSION))
    students = program.student_folders()
    assert {a: program.people(f) for a, f in students.items()} == {a: {s} for a, s in STUDENTS.items()}

    kept = program.run(LAST_DAY)
    assert "folder access removed" not in kept.counts
    assert program.people(session_folder) == {PARTNER, TEACHER, COORDINATOR}

    ended = program.run(ENDED)
    assert ended.counts["folder access removed"] == len(STUDENTS) + 2
    assert program.people(session_folder) == {COORDINATOR}
    assert all(program.people(f) == set() for f in students.values())
    assert program.setting(access_ended_setting(SESSION)) == "2027-06-10"

    later = program.run(ENDED + timedelta(days=1))          # nothing is given back
    assert "folder access removed" not in later.counts
    assert program.people(session_folder) == {COORDINATOR}
    assert all(program.people(f) == set() for f in students.values())
    assert program.folders().shared_with(session_folder).get(PROGRAM_USER) in (None, "owner")


def test_a_300_character_first_name_never_fails_the_session_on_the_local_backend(tmp_path: Path) -> None:
    from programs import write_config
    program = Program(load_config(write_config(tmp_path)), lambda: 0, lambda f: f.rsplit("/", 1)[0])
    seat(program)
    long_first = "Željkaña" * 37 + "ü" * 4                      # 300 letters, many of two bytes
    step_context(program.config, OPENS, env={}).ports.roster.upsert(
        sheet.APPLICATIONS, sheet.APPLICANT_ID, [{sheet.APPLICANT_ID: "A-000001", "First name": long_first}])
    result = program.run(OPENS)
    assert result.problems == []
    assert result.counts["folders made"] == 1 + len(STUDENTS)
    folders = program.student_folders()
    assert set(folders) == set(STUDENTS)
    name = folders["A-000001"].rsplit("/", 1)[1]
    assert len(name.encode("utf-8")) <= 200 and name.startswith("Željkaña") and "A-000001" in name
    assert program.people(folders["A-000001"]) == {STUDENTS["A-000001"]}
