"""Two languages per applicant (issue 15), on the local backend.

A student who applied in English and whose family reads Spanish: the student's letters are in
English, the family's in Spanish; a letter that copies the guardian becomes two messages, one per
language, each to one reader; each goes exactly once and a rerun sends nothing. A sheet made
before the Student language column keeps working as it did.
"""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import yaml

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.steps.decisions import send_decisions
from microintern.steps.mailing import FAMILY_COPY
from microintern.steps.participation import collect_release_forms, register_students
from microintern.steps.setup import initialise

SESSION = "cyber-basics"
DECISIONS = datetime.fromisoformat("2027-02-16T06:30-08:00")
RELEASE = datetime.fromisoformat("2027-02-23T06:30-08:00")
# id: (student's language, family's language); blank: a row from before the Student language column.
STUDENTS = {"A-0000001": ("en", "es"), "A-0000002": ("en", "en"), "A-0000003": ("", "es")}


def guardian_cc(config_file: Path) -> ProgramConfig:
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data.setdefault("mail", {})["guardian_cc"] = True
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_config(config_file)


def seed(config: ProgramConfig) -> LocalWorkbook:
    roster = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.STUDENT_LANGUAGE: own, sheet.LANGUAGE: family,
         "First name": f"Student{applicant[-1]}", "Last name": "Prueba",
         "School email address": f"s{applicant[-1]}@students.example",
         "Parent or guardian email": f"g{applicant[-1]}@family.example",
         "Parent or guardian name": f"Guardian {applicant[-1]}", sheet.DECISION: "Accept"}
        for applicant, (own, family) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])
    return roster


def run_all(config: ProgramConfig) -> None:
    send_decisions(step_context(config, DECISIONS))
    register_students(step_context(config, DECISIONS), [SESSION])
    collect_release_forms(step_context(config, RELEASE), [SESSION])


def sent(config: ProgramConfig) -> list[EmailMessage]:
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


def by_key(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    keys = Counter(str(m[KEY_HEADER]) for m in messages)
    assert max(keys.values()) == 1, "a letter went out twice"
    return {str(m[KEY_HEADER]): m for m in messages}


def readers(message: EmailMessage) -> set[str]:
    return {a.addr_spec for field in ("To", "Cc") if message[field] for a in message[field].addresses}


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def spanish(message: EmailMessage) -> bool:
    return text_of(message).startswith(("Hola", "Estimado"))


def test_the_student_reads_english_the_family_spanish_each_once(config_file: Path) -> None:
    config = guardian_cc(config_file)
    seed(config)
    run_all(config)
    letters = by_key(sent(config))
    program = config.program.id

    def key(letter: str, applicant: str, session: str | None = None) -> str:
        return f"{program}/{letter}/{applicant}/{session or '-'}"

    for letter, session in (("acceptance", None), ("registration", SESSION)):
        # English student, Spanish family: two messages, each to one reader, in their language.
        student = letters[key(letter, "A-0000001", session)]
        family = letters[key(letter, "A-0000001", session) + FAMILY_COPY]
        assert readers(student) == {"s1@students.example"} and not spanish(student)
        assert readers(family) == {"g1@family.example"} and spanish(family)
        # One language for both: one message, the guardian copied as before.
        both = letters[key(letter, "A-0000002", session)]
        assert readers(both) == {"s2@students.example", "g2@family.example"} and not spanish(both)
        assert key(letter, "A-0000002", session) + FAMILY_COPY not in letters
        # A row from before the Student language column: the family's language for both, as before.
        old = letters[key(letter, "A-0000003", session)]
        assert readers(old) == {"s3@students.example", "g3@family.example"} and spanish(old)
    # Each registration message links the form in its reader's language.
    registration = key("registration", "A-0000001", SESSION)
    assert "/registration-es?" in text_of(letters[registration + FAMILY_COPY])
    assert "/registration?" in text_of(letters[registration])
    # The release form is the family's letter: in the family's language.
    assert spanish(letters[key("release_form", "A-0000001", SESSION)])
    assert not spanish(letters[key("release_form", "A-0000002", SESSION)])

    before = len(letters)
    run_all(config)
    assert len(by_key(sent(config))) == before       # a rerun sends nothing


def test_a_letter_sent_with_the_family_on_cc_before_the_split_is_not_sent_again(config_file: Path) -> None:
    """An upgrade: the acceptance went out (family on Cc) before the family had its own message."""
    config = guardian_cc(config_file)
    roster = seed(config)
    # As an older version did it: the family's language for both, one message with the Cc.
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "A-0000001", sheet.STUDENT_LANGUAGE: ""}])
    send_decisions(step_context(config, DECISIONS))
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "A-0000001", sheet.STUDENT_LANGUAGE: "en"}])
    send_decisions(step_context(config, DECISIONS))
    letters = by_key(sent(config))
    acceptance = f"{config.program.id}/acceptance/A-0000001/-"
    assert acceptance in letters and acceptance + FAMILY_COPY not in letters
