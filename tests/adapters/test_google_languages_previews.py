"""Issue 15 on the Google backend, against the fake Workspace: previews are the real letters, and a
student and their family each read their own language.
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
from adapters.conftest import PROGRAM_USER, GoogleProgram
from fakeworkspace import FakeWorkspace

from microintern.adapters.preview import PreviewMailer
from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.steps.decisions import send_decisions
from microintern.steps.mailing import FAMILY_COPY
from microintern.steps.participation import collect_release_forms, register_students
from microintern.steps.samples import send_samples
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
DECISIONS = datetime(2027, 2, 16, 6, 30, tzinfo=LA)
RELEASE = datetime(2027, 2, 23, 6, 30, tzinfo=LA)
SESSION = "cyber-basics"
# id: (first name, student's language, family's language)
STUDENTS = {"A-0000001": ("Maya", "en", "es"), "A-0000002": ("Sofía", "es", "es")}


def seat(config: ProgramConfig) -> None:
    roster = step_context(config, DECISIONS, env={}).ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.STUDENT_LANGUAGE: own, sheet.LANGUAGE: family,
         "First name": first, "Last name": "Test",
         "School email address": f"s{applicant[-1]}@students.example",
         "Parent or guardian email": f"g{applicant[-1]}@family.example",
         "Parent or guardian name": f"Guardian {applicant[-1]}", sheet.DECISION: "Accept"}
        for applicant, (first, own, family) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


def run_steps(config: ProgramConfig) -> None:
    send_decisions(step_context(config, DECISIONS, env={}))
    register_students(step_context(config, DECISIONS, env={}), [SESSION])
    collect_release_forms(step_context(config, RELEASE, env={}), [SESSION])


def sent(fake: FakeWorkspace) -> dict[str, EmailMessage]:
    keys = Counter(str(m.message[KEY_HEADER]) for m in fake.gmail.sent(PROGRAM_USER))
    assert not keys or max(keys.values()) == 1, "a letter went out twice"
    return {str(m.message[KEY_HEADER]): m.message for m in fake.gmail.sent(PROGRAM_USER)}


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def readers(message: EmailMessage) -> set[str]:
    return {a.addr_spec for field in ("To", "Cc") if message[field] for a in message[field].addresses}


def spanish(message: EmailMessage) -> bool:
    return parts(message)[0].startswith(("Hola", "Estimado"))


def with_guardian_cc(program: GoogleProgram) -> ProgramConfig:
    data = yaml.safe_load(program.config_file.read_text(encoding="utf-8"))
    data["mail"]["guardian_cc"] = True
    program.config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                   encoding="utf-8")
    return load_config(program.config_file)


def test_a_preview_on_google_is_the_real_letter(fake: FakeWorkspace, google_program: GoogleProgram,
                                               tmp_path: Path) -> None:
    config = google_program.config
    seat(config)
    run_steps(config)
    letters = sent(fake)
    roster = step_context(config, RELEASE, env={}).ports.roster
    for applicant, (_, own, family) in STUDENTS.items():
        mailer = PreviewMailer(tmp_path / applicant, domain="mesavalley.example")
        send_samples(config, mailer, step_context(config, RELEASE, env={}).letters,
                     "proof@mesavalley.example", only=("registration", "release_form"), now=RELEASE,
                     roster=roster, applicant=applicant)
        shown = {p.key.split("/")[2]: p for p in mailer.previewed}
        for letter, language in (("registration", own), ("release_form", family)):
            real = letters[f"{config.program.id}/{letter}/{applicant}/{SESSION}"]
            eml = (tmp_path / applicant / shown[f"{letter}.{language}"].eml).read_bytes()
            preview = email.message_from_bytes(eml, policy=email.policy.default)
            # The registration link is the Google form's own, prefilled, in both.
            assert parts(preview) == parts(real), (applicant, letter)  # type: ignore[arg-type]


def test_english_student_spanish_family_each_once_on_google(fake: FakeWorkspace,
                                                           google_program: GoogleProgram) -> None:
    config = with_guardian_cc(google_program)
    seat(config)
    run_steps(config)
    letters = sent(fake)
    program = config.program.id
    acceptance = f"{program}/acceptance/A-0000001/-"
    registration = f"{program}/registration/A-0000001/{SESSION}"
    for key in (acceptance, registration):
        assert readers(letters[key]) == {"s1@students.example"} and not spanish(letters[key])
        family = letters[key + FAMILY_COPY]
        assert readers(family) == {"g1@family.example"} and spanish(family)
    release = letters[f"{program}/release_form/A-0000001/{SESSION}"]
    assert readers(release) == {"g1@family.example"} and spanish(release)
    # Both read Spanish: one message, the guardian copied.
    both = letters[f"{program}/acceptance/A-0000002/-"]
    assert readers(both) == {"s2@students.example", "g2@family.example"} and spanish(both)

    count = len(letters)
    fake.reset_calls()
    run_steps(config)
    assert len(sent(fake)) == count                     # a rerun sends nothing
    assert fake.count("gmail.users.messages.send") + fake.count("gmail.users.drafts.send") == 0
