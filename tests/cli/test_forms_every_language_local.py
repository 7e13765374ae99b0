"""Every form a student fills in exists in every program language (local backend, CSV answers).

The registration, hours and hand-in forms are made once per language (English and Spanish in
the example program); a rerun makes none and rewrites none. Each student's letter links the
form in the letter's language, and an answer on the Spanish form is read exactly as one on the
English form: same keys, and its choices mean the same ("No, ya no puedo participar" declines).
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.demo.people import write_form_csv
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import hand_in_spec
from microintern.domain.forms import FormSpec
from microintern.domain.hours import hours_form_spec
from microintern.domain.mime import KEY_HEADER
from microintern.domain.outbox import message_key
from microintern.domain.participation import ATTENDING_YES, registration_spec
from microintern.steps.assignments import run_assignments
from microintern.steps.hours import log_hours
from microintern.steps.participation import register_students
from microintern.steps.program_forms import id_setting
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
SESSION = "data-fellows"      # weekly from Tuesday 2027-04-06; keeps hours and has assignments
REGISTRATION = datetime(2027, 3, 10, 6, 30, tzinfo=LA)
FIRST_DAY = datetime(2027, 4, 6, 6, 30, tzinfo=LA)
GIVEN = datetime(2027, 4, 13, 6, 30, tzinfo=LA)   # the 2nd meeting: the first assignment is given
ENGLISH, SPANISH = "A-0000001", "A-0000002"
STUDENTS = {ENGLISH: ("Maya", "en"), SPANISH: ("Sofía", "es")}


def seat(config: ProgramConfig) -> None:
    """Two placed students, one whose family reads Spanish, both told they were accepted."""
    roster = step_context(config, REGISTRATION).ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, "First name": first, "Last name": "Test",
         "School email address": f"student-{applicant}@students.mesavalley.example",
         "Parent or guardian email": f"family-{applicant}@home.example",
         "Parent or guardian name": "A parent", sheet.DECISION: "Accept"}
        for applicant, (first, language) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])
    roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, [
        {sheet.OUTBOX_KEY: message_key(config.program.id, "acceptance", applicant),
         "Step": "decisions", "Recipient ID": applicant, "State": "sent"} for applicant in STUDENTS])


def forms_folder(config: ProgramConfig) -> Path:
    return config.resolve(config.local.folder) / "forms"


def form_files(config: ProgramConfig) -> dict[str, bytes]:
    """Each form file the backend wrote, with its bytes (a rewrite would change nothing else)."""
    return {p.name: p.read_bytes() for p in sorted(forms_folder(config).glob("*.form.json"))}


def settings(config: ProgramConfig) -> dict[str, str]:
    rows = step_context(config, REGISTRATION).ports.roster.read_tabs([sheet.SETTINGS])[sheet.SETTINGS]
    return {str(r[sheet.SETTING]): str(r[sheet.SETTING_VALUE]) for r in rows}


def tab(config: ProgramConfig, name: str, key: str) -> dict[str, dict[str, Any]]:
    rows = step_context(config, REGISTRATION).ports.roster.read_tabs([name])[name]
    return {str(r[key]): r for r in rows}


def links_in(config: ProgramConfig, letter: str) -> dict[str, str]:
    """The prefilled form link of each student's ``letter`` (by applicant id)."""
    found: dict[str, str] = {}
    for path in sorted((config.resolve(config.local.folder) / "outbox" / "sent").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        _, name, recipient, _ = str(message[KEY_HEADER]).split("/")
        if name.split(":")[0] == letter:
            body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            found[recipient] = next(w for w in body.split() if "usp=pp_url" in w)
    return found


def answer(config: ProgramConfig, spec: FormSpec, rows: list[tuple[datetime, list[str]]]) -> None:
    """Answers on ``spec``'s form as its linked sheet exports them (titles in its language)."""
    write_form_csv(forms_folder(config), spec.name, [q.title for q in spec.questions], rows)


def assert_one_form_per_language(config: ProgramConfig, english: FormSpec, spanish: FormSpec) -> None:
    assert (english.name, spanish.name) == (spanish.name.removesuffix("-es"), f"{english.name}-es")
    assert {f"{english.name}.form.json", f"{spanish.name}.form.json"} <= set(form_files(config))
    remembered = settings(config)
    assert remembered[id_setting(english)] == english.name
    assert remembered[id_setting(spanish)] == spanish.name
    assert english.title != spanish.title
    assert [q.key for q in english.questions] == [q.key for q in spanish.questions]
    assert not {q.title for q in english.questions} & {q.title for q in spanish.questions}


def test_registration_form_in_each_language_linked_and_read_alike(config_file: Path) -> None:
    config = load_config(config_file)
    seat(config)
    assert register_students(step_context(config, REGISTRATION), [SESSION]).counts["sent"] == 2
    english, spanish = registration_spec(config, "en"), registration_spec(config, "es")
    assert_one_form_per_language(config, english, spanish)
    assert spanish.title.endswith(": inscripción")
    links = links_in(config, "registration")
    assert links[SPANISH].startswith("https://forms.example.invalid/registration-es?")
    assert links[ENGLISH].startswith("https://forms.example.invalid/registration?")

    # A rerun makes no form and rewrites none.
    files, remembered = form_files(config), settings(config)
    register_students(step_context(config, REGISTRATION + timedelta(hours=1)), [SESSION])
    assert form_files(config) == files and settings(config) == remembered

    # Sofía declines on the Spanish form, Maya registers on the English one.
    when = REGISTRATION + timedelta(days=1)
    answer(config, spanish, [(when, [SPANISH, "No, ya no puedo participar", "Sí", ""])])
    answer(config, english, [(when, [ENGLISH, ATTENDING_YES, "No", ""])])
    result = register_students(step_context(config, when + timedelta(hours=2)), [SESSION])
    assert result.counts["declined"] == 1 and result.counts["registered"] == 2
    participants = tab(config, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    assert participants[SPANISH][sheet.PLACEMENT] == sheet.DECLINED
    assert participants[SPANISH][sheet.REGISTERED] == participants[ENGLISH][sheet.REGISTERED] == "2027-03-11"
    assert participants[ENGLISH][sheet.PLACEMENT] == sheet.PLACED
    assert form_files(config) == files


def test_hours_form_in_each_language_linked_and_read_alike(config_file: Path) -> None:
    config = load_config(config_file)
    seat(config)
    first = log_hours(step_context(config, FIRST_DAY), [SESSION])
    assert first.counts["sent"] == 2
    english, spanish = hours_form_spec(config, "en"), hours_form_spec(config, "es")
    assert_one_form_per_language(config, english, spanish)
    links = links_in(config, "hours_log_link")
    assert links[SPANISH].startswith("https://forms.example.invalid/hours-es?")
    assert links[ENGLISH].startswith("https://forms.example.invalid/hours?")
    files = form_files(config)

    when = datetime(2027, 4, 8, 19, 0)
    answer(config, spanish, [(when.replace(tzinfo=LA), [SPANISH, "4/7/2027", "2.5", "Limpié los datos"])])
    answer(config, english, [(when.replace(tzinfo=LA), [ENGLISH, "4/7/2027", "3", "Cleaned the data"])])
    log_hours(step_context(config, FIRST_DAY + timedelta(days=3)), [SESSION])
    entries = {str(r[sheet.APPLICANT_ID]): r
               for r in tab(config, sheet.HOURS, sheet.ENTRY_KEY).values()}
    assert set(entries) == {ENGLISH, SPANISH}
    assert float(entries[SPANISH][sheet.HOURS_LOGGED]) == 2.5
    assert entries[SPANISH][sheet.ACTIVITY] == "Limpié los datos"
    assert float(entries[ENGLISH][sheet.HOURS_LOGGED]) == 3
    assert entries[SPANISH][sheet.WORK_DATE] == entries[ENGLISH][sheet.WORK_DATE]
    assert form_files(config) == files


def test_hand_in_form_in_each_language_linked_and_read_alike(config_file: Path) -> None:
    config = load_config(config_file)
    seat(config)
    run_assignments(step_context(config, FIRST_DAY - timedelta(days=2)), [SESSION])
    given = run_assignments(step_context(config, GIVEN), [SESSION])
    assert given.counts["sent"] >= 2
    english, spanish = hand_in_spec(config, "en"), hand_in_spec(config, "es")
    assert_one_form_per_language(config, english, spanish)
    assert spanish.title.endswith("entrega tu trabajo")
    links = links_in(config, "assignment_given")
    assert links[SPANISH].startswith("https://forms.example.invalid/hand-in-es?")
    assert links[ENGLISH].startswith("https://forms.example.invalid/hand-in?")
    files = form_files(config)

    when = datetime(2027, 4, 15, 19, 0, tzinfo=LA)
    work = "Clean a real data set"       # the assignment's configured title, in either form
    answer(config, spanish, [(when, [SPANISH, work, "docs.google.com/document/d/es", "¡Gracias!"])])
    answer(config, english, [(when, [ENGLISH, work, "docs.google.com/document/d/en", ""])])
    run_assignments(step_context(config, datetime(2027, 4, 16, 6, 30, tzinfo=LA)), [SESSION])
    rows = tab(config, sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY)
    spanish_row = rows[f"{SESSION}:data-cleaning:{SPANISH}"]
    assert spanish_row[sheet.WORK_LINK] == "https://docs.google.com/document/d/es"
    assert spanish_row[sheet.HANDED_IN] == "2027-04-15 19:00" and spanish_row[sheet.LATE] == "no"
    assert spanish_row[sheet.STUDENT_NOTE] == "¡Gracias!"
    assert rows[f"{SESSION}:data-cleaning:{ENGLISH}"][sheet.WORK_LINK] == "https://docs.google.com/document/d/en"
    assert form_files(config) == files
