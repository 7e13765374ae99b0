"""The program-sheet views the steps share (microintern.steps.sheet), on the local workbook.

Each view reads and writes through the Roster port; these tests give it the real local workbook
and look at what the workbook holds afterwards, or at what the view returns from rows as a
coordinator may leave them (duplicated, sorted, half filled in).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.outbox import MessageState, message_key
from microintern.domain.participation import ACCEPTANCE, Stage
from microintern.domain.records import Record
from microintern.domain.sessions import format_meetings
from microintern.steps.context import StepContext
from microintern.steps.sheet.applicants import question_columns, school_addresses, student_addresses
from microintern.steps.sheet.participants import letter_waits, seated_students
from microintern.steps.sheet.partners import partner_rows
from microintern.steps.sheet.sessions import read_session_plans, rows_by_id
from microintern.steps.sheet.settings import (
    FORM_ID_SETTING,
    read_settings,
    remembered_form_id,
    write_settings,
)

NOW = datetime(2027, 2, 1, 14, 30, tzinfo=UTC)


def _context(config_file: Path) -> StepContext:
    config = load_config(config_file)
    return step_context(config, NOW)


def _application(config: ProgramConfig, applicant: str, email: str, *, language: str = "en",
                 decision: str = "Accept") -> Record:
    titles = {q.key: q.title for q in question_columns(config)}
    return {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, sheet.DECISION: decision,
            titles["first_name"]: f"First {applicant}", titles["last_name"]: "Student",
            titles["student_email"]: email, titles["guardian_email"]: f"family.{applicant}@example.org",
            titles["guardian_name"]: f"Guardian {applicant}"}


def test_settings_are_remembered_in_their_tab(config_file: Path) -> None:
    ctx = _context(config_file)
    roster = ctx.ports.roster
    assert read_settings(roster) == {}  # made, empty: a read of a missing tab would fail on Sheets
    assert remembered_form_id(roster) is None
    write_settings(roster, {FORM_ID_SETTING: "form-123", "Form feedback-en ID": "form-9"})
    write_settings(roster, {"Form feedback-en ID": "form-10"})  # a second write updates the row
    rows = roster.read_tabs([sheet.SETTINGS])[sheet.SETTINGS]
    assert sorted((r[sheet.SETTING], r[sheet.SETTING_VALUE]) for r in rows) == [
        (FORM_ID_SETTING, "form-123"), ("Form feedback-en ID", "form-10")]
    assert remembered_form_id(roster) == "form-123"
    assert read_settings(roster)["Form feedback-en ID"] == "form-10"


def test_session_plans_are_seeded_once_then_the_sheet_wins(config_file: Path) -> None:
    ctx = _context(config_file)
    roster = ctx.ports.roster
    plans = read_session_plans(ctx, roster.read_tabs([sheet.SESSIONS]))
    assert set(plans) == {s.id for s in ctx.config.sessions}
    seeded = roster.read_tabs([sheet.SESSIONS])[sheet.SESSIONS]
    assert sorted(str(r[sheet.SESSION_ID]) for r in seeded) == sorted(plans)

    # The coordinator moves the first session a day later in the sheet.
    first = ctx.config.sessions[0]
    moved = [start.replace(tzinfo=None) + timedelta(days=1) for start in plans[first.id].starts]
    roster.upsert(sheet.SESSIONS, sheet.SESSION_ID,
                  [{sheet.SESSION_ID: first.id, sheet.SESSION_MEETINGS: format_meetings(moved)}])
    again = read_session_plans(ctx, roster.read_tabs([sheet.SESSIONS]))
    assert [s.replace(tzinfo=None) for s in again[first.id].starts] == moved
    after = roster.read_tabs([sheet.SESSIONS])[sheet.SESSIONS]
    assert len(after) == len(seeded)  # nothing seeded twice
    cell = next(r[sheet.SESSION_MEETINGS] for r in after if r[sheet.SESSION_ID] == first.id)
    assert cell == format_meetings(moved)  # the seed did not write over the coordinator's cell


def test_rows_by_id_keep_the_first_of_a_duplicated_row() -> None:
    rows: list[Record] = [{sheet.SESSION_ID: "s1", "Title": "first"}, {sheet.SESSION_ID: ""},
                          {sheet.SESSION_ID: " s1 ", "Title": "copy"}, {sheet.SESSION_ID: "s2"}]
    found = rows_by_id(rows, sheet.SESSION_ID)
    assert list(found) == ["s1", "s2"]
    assert found["s1"]["Title"] == "first"


def test_seated_students_are_those_holding_a_seat(config_file: Path) -> None:
    config = load_config(config_file)
    session, other = config.sessions[0].id, config.sessions[1].id
    applications = [_application(config, "A1", "a1@students.example.org"),
                    _application(config, "A2", "a2@students.example.org", language="es"),
                    _application(config, "A3", "a3@students.example.org", language="fr"),
                    _application(config, "A4", "a4@students.example.org"),
                    _application(config, "A5", "a5@students.example.org")]
    participants = [
        {sheet.APPLICANT_ID: "A1", sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.PLACED},
        {sheet.APPLICANT_ID: "A2", sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.OVERRIDE},
        {sheet.APPLICANT_ID: "A3", sheet.SESSION_ID: other, sheet.PLACEMENT: sheet.PLACED},
        {sheet.APPLICANT_ID: "A4", sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.WAITLISTED},
        {sheet.APPLICANT_ID: "A5", sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.WITHDRAWN},
        {sheet.APPLICANT_ID: "A9", sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.PLACED},  # no row
    ]
    tabs = {sheet.APPLICATIONS: applications, sheet.PARTICIPANTS: participants}
    everyone = seated_students(config, tabs, None)
    assert [s.applicant_id for s in everyone] == ["A1", "A2", "A3"]
    assert [s.language for s in everyone] == ["en", "es", "en"]  # no letters in French: English
    assert everyone[0].student_email == "a1@students.example.org"
    assert everyone[0].guardian_email == "family.A1@example.org"
    assert [s.applicant_id for s in seated_students(config, tabs, [other])] == ["A3"]


def test_a_registration_link_waits_for_the_acceptance_letter(config_file: Path) -> None:
    config = load_config(config_file)
    session = config.sessions[0].id
    tabs = {sheet.APPLICATIONS: [_application(config, "A1", "a1@students.example.org")],
            sheet.PARTICIPANTS: [{sheet.APPLICANT_ID: "A1", sheet.SESSION_ID: session,
                                  sheet.PLACEMENT: sheet.PLACED}]}
    (student,) = seated_students(config, tabs, None)
    acceptance = message_key(config.program.id, ACCEPTANCE, "A1")
    held = {acceptance: {"Key": acceptance, "State": MessageState.HELD.value, "Note": "not valid"}}
    waits = letter_waits(config, student, held, Stage.REGISTRATION, "registration link")
    assert waits is not None
    assert waits.who == "A1" and waits.what == "registration link waiting"
    assert "acceptance letter" in waits.why
    sent = {acceptance: {"Key": acceptance, "State": MessageState.SENT.value}}
    assert letter_waits(config, student, sent, Stage.REGISTRATION, "registration link") is None


def test_student_addresses_as_typed_and_school_addresses_usable_only(config_file: Path) -> None:
    config = load_config(config_file)
    rows = [_application(config, "A1", " a1@students.example.org "),
            _application(config, "A2", "not an address"),
            _application(config, "A3", ""),
            {sheet.APPLICANT_ID: "", "x": "a row without an id"}]
    typed = student_addresses({sheet.APPLICATIONS: rows}, question_columns(config))
    assert typed == {"A1": "a1@students.example.org", "A2": "not an address", "A3": ""}
    assert school_addresses(config, rows) == {"A1": "a1@students.example.org"}


def test_partner_rows_add_only_partners_missing_from_the_tab(config_file: Path) -> None:
    config = load_config(config_file)
    first, *others = config.partners
    rows = partner_rows(config, {first.id: {sheet.PARTNER_ID: first.id, sheet.PARTNER_STATUS: "confirmed"}})
    assert [r[sheet.PARTNER_ID] for r in rows] == [p.id for p in others]
    assert {r[sheet.PARTNER_STATUS] for r in rows} == {"prospect"}
    assert rows[0]["Email"] == others[0].contact.email
