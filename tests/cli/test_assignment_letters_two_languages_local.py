"""The assignment letters in two languages (issue 15), on the local backend.

A student who reads English and a family that reads Spanish, with the guardian copied: the
assignment given, its reminder and the partner's feedback each become two messages, the
student's in English and the family's in Spanish (with the hand-in form in Spanish), each to one
reader and each once; a rerun sends nothing. A student and family who read the same language
still get one message with the guardian on Cc.
"""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.assignments import hand_in_spec
from microintern.domain.mime import KEY_HEADER
from microintern.steps.assignments import run_assignments
from microintern.steps.mailing import FAMILY_COPY
from microintern.steps.program_forms import link_setting
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
SESSION = "data-fellows"     # weekly from Tuesday 2027-04-06; data-cleaning follows the 2nd meeting
OPENS = datetime(2027, 4, 3, 6, 30, tzinfo=LA)
GIVEN = datetime(2027, 4, 13, 6, 30, tzinfo=LA)
REMINDED = datetime(2027, 4, 17, 6, 30, tzinfo=LA)   # data-cleaning is due 04-19, nothing came in
FEEDBACK = datetime(2027, 4, 21, 6, 30, tzinfo=LA)
# id: (student's language, family's language)
STUDENTS = {"A-001": ("en", "es"), "A-002": ("en", "en")}


def student(applicant: str) -> str:
    return f"s{applicant[-1]}@students.mesavalley.example"


def guardian(applicant: str) -> str:
    return f"family{applicant[-1]}@home.example"


def setup(config_file: Path) -> ProgramConfig:
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data.setdefault("mail", {})["guardian_cc"] = True
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    config = load_config(config_file)
    roster = step_context(config, OPENS).ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.STUDENT_LANGUAGE: own, sheet.LANGUAGE: family,
         "First name": f"Student{applicant[-1]}", "Last name": "Prueba",
         "School email address": student(applicant), "Parent or guardian email": guardian(applicant),
         "Parent or guardian name": "A parent", sheet.DECISION: "Accept"}
        for applicant, (own, family) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])
    return config


def run_all(config: ProgramConfig) -> None:
    """Every day the letters go, in order: the assignment, its reminder, the partner's feedback."""
    for now in (OPENS, GIVEN, REMINDED):
        run_assignments(step_context(config, now), [SESSION])
    step_context(config, OPENS).ports.roster.upsert(sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY, [
        {sheet.SUBMISSION_KEY: f"{SESSION}:data-cleaning:{applicant}",
         sheet.PARTNER_FEEDBACK: "Tidy work.", sheet.PARTNER_RATING: 4} for applicant in STUDENTS])
    run_assignments(step_context(config, FEEDBACK), [SESSION])


def sent(config: ProgramConfig) -> dict[str, EmailMessage]:
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(folder.glob("*.eml"))]
    keys = Counter(str(m[KEY_HEADER]) for m in messages)
    assert keys and max(keys.values()) == 1, "a letter went out twice"
    return {str(m[KEY_HEADER]): m for m in messages}  # type: ignore[misc]


def readers(message: EmailMessage) -> set[str]:
    return {a.addr_spec for field in ("To", "Cc") if message[field] for a in message[field].addresses}


def text_of(message: EmailMessage) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]


def form_uri(config: ProgramConfig, language: str) -> str:
    """The hand-in form's responder link in ``language``, as the step remembered it."""
    settings = step_context(config, OPENS).ports.roster.read_tabs([sheet.SETTINGS])[sheet.SETTINGS]
    found = {str(r[sheet.SETTING]): str(r[sheet.SETTING_VALUE]) for r in settings}
    return found[link_setting(hand_in_spec(config, language))]


def test_assignment_letters_go_to_student_and_family_each_in_their_language(config_file: Path) -> None:
    config = setup(config_file)
    run_all(config)
    letters = sent(config)
    program = config.program.id
    # The prefilled link starts with the form's responder link and its query.
    english_form, spanish_form = form_uri(config, "en") + "?", form_uri(config, "es") + "?"
    assert english_form != spanish_form

    for letter in ("assignment_given:data-cleaning", "assignment_reminder:data-cleaning",
                   "assignment_feedback:data-cleaning"):
        # English student, Spanish family: two messages, each to one reader, in their language.
        key = f"{program}/{letter}/A-001/{SESSION}"
        own, family = letters[key], letters[key + FAMILY_COPY]
        assert readers(own) == {student("A-001")} and text_of(own).startswith("Hi Student1,")
        assert readers(family) == {guardian("A-001")} and text_of(family).startswith("Hola, Student1:")
        if "feedback" in letter:
            assert "Tidy work." in text_of(own) and "Tidy work." in text_of(family)
        else:
            # Each reads the hand-in form in their own language (the same student's, prefilled).
            assert english_form in text_of(own) and spanish_form not in text_of(own)
            assert spanish_form in text_of(family) and english_form not in text_of(family)
        # One language for both: one message, the guardian copied as before.
        both = f"{program}/{letter}/A-002/{SESSION}"
        assert readers(letters[both]) == {student("A-002"), guardian("A-002")}
        assert text_of(letters[both]).startswith("Hi Student2,")
        assert both + FAMILY_COPY not in letters
    # The Assignments tab records the feedback as sent once the student's letter went.
    tab = step_context(config, OPENS).ports.roster.read_tabs([sheet.ASSIGNMENTS])[sheet.ASSIGNMENTS]
    assert {r[sheet.SUBMISSION_KEY]: r[sheet.FEEDBACK_SENT] for r in tab
            if r[sheet.PARTNER_FEEDBACK]} == {f"{SESSION}:data-cleaning:{a}": "2027-04-21 06:30"
                                               for a in STUDENTS}

    before = len(letters)
    run_all(config)
    assert len(sent(config)) == before       # a rerun sends nothing
