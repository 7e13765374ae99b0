"""Registration and release forms against the fake Workspace: real Forms, prefilled links, returns."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram, forms_made, tab_calls
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import step_context
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import FormSpec, prefill_entry
from microintern.domain.outbox import message_key
from microintern.domain.participation import APPLICANT_KEY, registration_spec, release_spec
from microintern.steps.context import StepContext
from microintern.steps.participation import collect_release_forms, register_students
from microintern.steps.program_forms import id_setting
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
OPENS = datetime(2027, 2, 23, 6, 30, tzinfo=LA)
SESSION = "cyber-basics"
STUDENTS = {
    "A-0000001": ("Maya", "maya@students.mesavalley.example", "grace@family.example", "English"),
    "A-0000002": ("Sofía", "sofia@students.mesavalley.example", "lucia@family.example", "Español"),
}


def context(program: GoogleProgram, now: datetime = OPENS) -> StepContext:
    return step_context(program.config, now, env={})


def seat_students(program: GoogleProgram) -> None:
    roster = context(program).ports.roster
    initialise(program.config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: "es" if language == "Español" else "en",
         "First name": first, "Last name": "Test", "School email address": student,
         "Parent or guardian email": guardian, "Parent or guardian name": "A parent",
         sheet.DECISION: "Accept"}
        for applicant, (first, student, guardian, language) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])
    # Accepted and told so: the registration link follows the acceptance letter (issue 16).
    roster.upsert(sheet.OUTBOX, sheet.OUTBOX_KEY, [
        {sheet.OUTBOX_KEY: message_key(program.config.program.id, "acceptance", applicant),
         "Step": "decisions", "Recipient ID": applicant, "State": "sent"} for applicant in STUDENTS])


def settings(fake: FakeWorkspace) -> dict[str, str]:
    return {row[0]: row[1] for row in fake.sheets.values(SPREADSHEET_ID, sheet.SETTINGS)[1:] if row}


def participants(fake: FakeWorkspace) -> dict[str, dict[str, object]]:
    rows = fake.sheets.values(SPREADSHEET_ID, sheet.PARTICIPANTS)
    return {row[0]: dict(zip(rows[0], row, strict=False)) for row in rows[1:] if row}


def sent(fake: FakeWorkspace) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for message in fake.gmail.sent(PROGRAM_USER):
        _, letter, recipient, _ = str(message.message["X-Microintern-Key"]).split("/")
        found[(letter, recipient)] += 1
    return found


def link_in(fake: FakeWorkspace, letter: str, applicant: str) -> str:
    (message,) = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                  if f"/{letter}/{applicant}/" in str(m.message["X-Microintern-Key"])]
    text = message.get_body(("plain",)).get_content()
    return next(w for w in text.split() if w.startswith("http") and "usp=pp_url" in w)


def answer(fake: FakeWorkspace, spec: FormSpec, response_id: str, when: datetime,
           values: dict[str, str]) -> None:
    form_id = settings(fake)[id_setting(spec)]
    ids = spec.question_ids()
    fake.forms.add_response(form_id, response_id, when.astimezone(UTC),
                            {ids[key]: value for key, value in values.items()})


def test_forms_are_made_once_links_prefill_and_returns_land_in_participants(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat_students(google_program)
    config = google_program.config
    register_students(context(google_program), [SESSION])
    collect_release_forms(context(google_program), [SESSION])
    registration, release_en, release_es = (registration_spec(config), release_spec(config, "en"),
                                            release_spec(config, "es"))
    forms = settings(fake)
    assert {id_setting(s) for s in (registration, release_en, release_es)} <= set(forms)
    created = forms_made(fake)
    assert created == 4        # registration and release form, each in English and in Spanish
    # Each family's form is in its language; every link carries the applicant id.
    for applicant, (_, _, _, language) in STUDENTS.items():
        spec = release_es if language == "Español" else release_en
        link = link_in(fake, "release_form", applicant)
        assert link.startswith(fake.forms.get(forms[id_setting(spec)]).responder_uri)
        entry = prefill_entry(spec.question_ids()[APPLICANT_KEY])
        assert parse_qs(urlsplit(link).query)[entry] == [applicant]
    assert sent(fake)[("registration", "A-0000001")] == 1
    es_form = fake.forms.get(forms[id_setting(release_es)])
    assert "autorización" in es_form.info["title"] and es_form.published
    titles = [item["title"] for item in es_form.items]
    assert "La sesión puede grabarse" in " ".join(titles)

    when = OPENS + timedelta(days=1)
    answer(fake, registration, "r1", when, {APPLICANT_KEY: "A-0000001", "attending": "Yes, I will take part",
                                            "needs_device": "No"})
    answer(fake, release_es, "e1", when, {APPLICANT_KEY: "A-0000002", "guardian_name": "Lucía",
                                          "participation": "Sí", "recording": "No", "media": "Sí",
                                          "signature": "Lucía R."})
    later = OPENS + timedelta(days=1, hours=6)
    register_students(context(google_program, later), [SESSION])
    collect_release_forms(context(google_program, later), [SESSION])
    rows = participants(fake)
    assert rows["A-0000001"][sheet.REGISTERED] == when.strftime("%Y-%m-%d")
    assert rows["A-0000002"][sheet.RECORDING_ALLOWED] == "No"
    assert rows["A-0000002"][sheet.PARTICIPATION_ALLOWED] == "Yes"
    assert rows["A-0000002"][sheet.MISSING] == "registration"
    # Reruns made no second form and no second letter.
    assert forms_made(fake) == created
    assert max(sent(fake).values()) == 1


def test_each_language_has_its_registration_form_and_both_are_read(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    seat_students(google_program)
    config = google_program.config
    register_students(context(google_program), [SESSION])
    english, spanish = registration_spec(config, "en"), registration_spec(config, "es")
    forms = settings(fake)
    assert forms_made(fake) == 2 and forms[id_setting(english)] != forms[id_setting(spanish)]
    es_form = fake.forms.get(forms[id_setting(spanish)])
    assert es_form.published and es_form.info["title"].endswith(": inscripción")
    assert "¿Vas a participar en la sesión que te asignamos?" in [item["title"] for item in es_form.items]
    # Sofía's family reads Spanish: her letter links the Spanish form, Maya's the English one.
    assert link_in(fake, "registration", "A-0000002").startswith(es_form.responder_uri)
    assert link_in(fake, "registration", "A-0000001").startswith(
        fake.forms.get(forms[id_setting(english)]).responder_uri)

    # A rerun makes nothing and sends nothing.
    fake.reset_calls()
    register_students(context(google_program, OPENS + timedelta(hours=1)), [SESSION])
    assert forms_made(fake) == 0 and fake.count("forms.forms.batchUpdate") == 0
    assert not fake.gmail.sent(PROGRAM_USER)[2:]

    # Sofía declines on the Spanish form, as a student on the English form would.
    when = OPENS + timedelta(days=1)
    answer(fake, spanish, "s1", when, {APPLICANT_KEY: "A-0000002", "attending": "No, ya no puedo participar",
                                       "needs_device": "Sí"})
    answer(fake, english, "e1", when, {APPLICANT_KEY: "A-0000001", "attending": "Yes, I will take part",
                                       "needs_device": "No"})
    result = register_students(context(google_program, when + timedelta(hours=1)), [SESSION])
    assert result.counts["declined"] == 1 and result.counts["registered"] == 2
    rows = participants(fake)
    assert rows["A-0000002"][sheet.PLACEMENT] == sheet.DECLINED
    assert rows["A-0000001"][sheet.PLACEMENT] == sheet.PLACED
    assert rows["A-0000001"][sheet.REGISTERED] == rows["A-0000002"][sheet.REGISTERED] == "2027-02-24"


def test_release_forms_read_the_settings_tab_once_a_run(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    """Both languages' release forms are synced from one read of the Settings tab."""
    seat_students(google_program)
    collect_release_forms(context(google_program), [SESSION])       # makes both forms
    fake.reset_calls()
    collect_release_forms(context(google_program, OPENS + timedelta(hours=1)), [SESSION])
    reads = [c.query["ranges"] for c in tab_calls(fake, sheet.SETTINGS)
             if c.method_id == "sheets.spreadsheets.values.batchGet"]
    # Its header checked once (the tab exists), its rows read once: not once per language's form.
    assert reads == [["'Settings'!1:1"], ["'Settings'"]]
    # The whole rerun: the run's read of its tabs, the sheet's tab list, the Settings header
    # and rows (6 before: the Settings header and rows once per language's form).
    assert fake.count("sheets.") == 4
    assert forms_made(fake) == 0 and not fake.gmail.sent(PROGRAM_USER)[2:]
