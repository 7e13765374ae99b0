"""Previews are the real letters (issue 15): ``send-test`` renders a row's letter as the step sends it.

On the local backend, the decisions, registration, release-form and session-support steps send
their letters to two seated students (one reading English, one Spanish) and to the session's
partner; then ``send-test`` previews the same letters for the same rows, and each preview's
text and HTML parts are the real letter's, byte for byte.
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.adapters.preview import PreviewMailer
from microintern.bootstrap import letter_renderer, step_context
from microintern.config import ProgramConfig, load_config, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.errors import RowError
from microintern.steps.decisions import send_decisions
from microintern.steps.participation import collect_release_forms, register_students
from microintern.steps.samples import send_samples
from microintern.steps.session_letters import support_sessions
from microintern.steps.sessions import build_sessions
from microintern.steps.setup import initialise

SESSION = "cyber-basics"      # one meeting, 2027-03-16 15:30 Pacific; partner solis-cyber
DECISIONS = datetime.fromisoformat("2027-02-16T06:30-08:00")
RELEASE = datetime.fromisoformat("2027-02-23T06:30-08:00")
STUDENTS = {"A-0000001": ("Maya", "en"), "A-0000002": ("Sofía", "es")}
# What only domain/catalog.py's fictional samples say (the example program is also "Mesa Valley").
SAMPLE_NAMES = ("Desert Bloom", "Sonoran Data", "Okafor", "Ramírez", "Marcus Chen", "Rosa Delgado",
                "mesavalley.example.org", "From Blueprint to Build", "Del plano a la obra",
                "Math at Work", "A-7K2M9QXD", "A-3HR8WZLT", "Jordan", "dbe-qmrt-wkx")

#: The letters whose previews are compared with the real ones, and who receives each.
STUDENT_LETTERS = ("acceptance", "registration", "release_form", "session_details_student")


def seed(roster: LocalWorkbook | object, config: ProgramConfig) -> None:
    """Two accepted students seated in SESSION, each reading one language (student and family)."""
    initialise(config, roster)  # type: ignore[arg-type]
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [  # type: ignore[attr-defined]
        {sheet.APPLICANT_ID: applicant, sheet.LANGUAGE: language, sheet.STUDENT_LANGUAGE: language,
         "First name": first, "Last name": "Prueba",
         "School email address": f"s{applicant[-1]}@students.example",
         "Parent or guardian email": f"g{applicant[-1]}@family.example",
         "Parent or guardian name": f"Guardian {applicant[-1]}", sheet.DECISION: "Accept"}
        for applicant, (first, language) in STUDENTS.items()])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [  # type: ignore[attr-defined]
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in STUDENTS])


def send_the_real_letters(config: ProgramConfig) -> None:
    """The steps as cron runs them: decisions, registration, release forms, Meet, session details."""
    send_decisions(step_context(config, DECISIONS))
    register_students(step_context(config, DECISIONS), [SESSION])
    collect_release_forms(step_context(config, RELEASE), [SESSION])
    build_sessions(step_context(config, RELEASE), [SESSION])
    support_sessions(step_context(config, RELEASE), [SESSION])


def parts(message: EmailMessage) -> tuple[bytes, bytes]:
    """The text and HTML parts' bytes, decoded from their transfer encoding."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_payload(decode=True), html.get_payload(decode=True)  # type: ignore[return-value]


def previews(config: ProgramConfig, roster: object, folder: Path, letters: tuple[str, ...], *,
             applicant: str | None = None, session: str | None = None) -> dict[str, EmailMessage]:
    """``send-test``'s letters (as a dry run writes them) by "<letter>.<language>"."""
    mailer = PreviewMailer(folder, domain="mesavalley.example")
    send_samples(config, mailer, letter_renderer(config), "proof@mesavalley.example", only=letters,
                 now=RELEASE, roster=roster, applicant=applicant, session=session)  # type: ignore[arg-type]
    found = {}
    for item in mailer.previewed:
        name = item.key.split("/")[2]
        found[name] = email.message_from_bytes((folder / item.eml).read_bytes(),
                                               policy=email.policy.default)  # type: ignore[assignment]
    return found  # type: ignore[return-value]


def real_letters(config: ProgramConfig) -> dict[tuple[str, str], EmailMessage]:
    """Letters the local outbox sent, by (letter, recipient id)."""
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    found: dict[tuple[str, str], EmailMessage] = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        _, letter, recipient, _ = str(message[KEY_HEADER]).split("/")
        assert (letter, recipient) not in found, "a letter went out twice"
        found[(letter, recipient)] = message  # type: ignore[assignment]
    return found


@pytest.fixture
def program(config_file: Path) -> tuple[ProgramConfig, LocalWorkbook]:
    config = load_config(config_file)
    roster = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    seed(roster, config)
    send_the_real_letters(config)
    return config, roster


def test_a_preview_is_the_real_letter_byte_for_byte(program: tuple[ProgramConfig, LocalWorkbook],
                                                    tmp_path: Path) -> None:
    config, roster = program
    sent = real_letters(config)
    for applicant, (_, language) in STUDENTS.items():
        shown = previews(config, roster, tmp_path / applicant, STUDENT_LETTERS, applicant=applicant)
        for letter in STUDENT_LETTERS:
            real = sent[(letter, applicant)]
            assert parts(shown[f"{letter}.{language}"]) == parts(real), (letter, language)
            assert shown[f"{letter}.{language}"]["Subject"] == f"[TEST] {real['Subject']}"
    partner = previews(config, roster, tmp_path / "partner", ("session_details_partner",), session=SESSION)
    real = sent[("session_details_partner", "solis-cyber")]
    assert parts(partner["session_details_partner.en"]) == parts(real)


def test_without_an_applicant_the_preview_picks_a_row_that_gets_the_letter(
        program: tuple[ProgramConfig, LocalWorkbook], tmp_path: Path) -> None:
    config, roster = program
    sent = real_letters(config)
    shown = previews(config, roster, tmp_path, STUDENT_LETTERS)
    # Each language's preview is about the student who reads it, as their real letter is.
    for applicant, (_, language) in STUDENTS.items():
        for letter in STUDENT_LETTERS:
            assert parts(shown[f"{letter}.{language}"]) == parts(sent[(letter, applicant)])


def test_no_catalog_sample_reaches_a_preview_of_a_configured_program(config_file: Path,
                                                                     tmp_path: Path) -> None:
    """An empty program sheet: the program's own sessions and partners, a placeholder student."""
    config = load_config(config_file)
    roster = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    shown = previews(config, roster, tmp_path, ())
    assert len(shown) >= 40
    for name, message in shown.items():
        titles = {text_in(s.title, name.split(".")[1]) for s in config.sessions}  # in its language
        text, html = (part.decode() for part in parts(message))
        for sample in SAMPLE_NAMES:
            assert sample not in text and sample not in html, (name, sample)
        if name.split(".")[0] in STUDENT_LETTERS:
            # A student's letter, with no student yet: the placeholder says it is one.
            assert "[" in text
        if name.startswith("session_details_partner"):
            assert any(title in text for title in titles)  # one of the program's own sessions


def test_no_roster_at_all_still_previews_every_letter(config_file: Path, tmp_path: Path) -> None:
    config = load_config(config_file)
    shown = previews(config, None, tmp_path, ())
    assert {"acceptance.en", "acceptance.es", "run_sheet.en"} <= set(shown)


def test_a_dry_run_writes_the_letters_the_real_run_sends(config_file: Path, tmp_path: Path) -> None:
    """``send --dry-run`` runs the step itself: its .eml files are the letters that then go."""
    from click.testing import CliRunner

    from microintern.cli import cli

    config = load_config(config_file)
    seed(LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx"), config)
    dry = tmp_path / "dry"
    result = CliRunner().invoke(cli, ["--config", str(config_file), "send", "decisions", "--dry-run",
                                      str(dry), "--now", "2027-02-16T06:30"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not real_letters(config)                  # nothing went out
    previewed = {}
    for path in dry.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        previewed[str(message[KEY_HEADER]).split("/")[2]] = message
    send_decisions(step_context(config, DECISIONS))
    sent = real_letters(config)
    assert set(previewed) == set(STUDENTS)
    for applicant in STUDENTS:
        assert parts(previewed[applicant]) == parts(sent[("acceptance", applicant)])  # type: ignore[arg-type]


def test_send_test_names_an_unknown_applicant_or_session(config_file: Path) -> None:
    from click.testing import CliRunner

    from microintern.cli import cli

    for option, value in (("--applicant", "A-NOSUCH00"), ("--session", "no-such-session")):
        result = CliRunner().invoke(cli, ["--config", str(config_file), "send-test", "--to",
                                          "proof@mesavalley.example", option, value])
        assert result.exit_code != 0 and value in result.output, result.output
    assert not real_letters(load_config(config_file))      # nothing was sent


def test_samples_to_an_address_outside_the_district_name_no_student(
        program: tuple[ProgramConfig, LocalWorkbook], tmp_path: Path) -> None:
    """A real row names a minor: only an address in the district's domain gets it previewed."""
    config, roster = program
    mailer = PreviewMailer(tmp_path / "outside", domain="mesavalley.example")
    send_samples(config, mailer, letter_renderer(config), "proofreader@example.org",
                 only=STUDENT_LETTERS, now=RELEASE, roster=roster)  # type: ignore[arg-type]
    assert mailer.previewed
    rows = roster.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    names = {str(r["First name"]) for r in rows if r.get("First name")}
    ids = {str(r[sheet.APPLICANT_ID]) for r in rows}
    for item in mailer.previewed:
        body = (tmp_path / "outside" / item.eml).read_bytes().decode("utf-8", "replace")
        assert not any(name in body for name in names), item.key
        assert not any(applicant in body for applicant in ids), item.key
    with pytest.raises(RowError, match="district's domain"):
        send_samples(config, mailer, letter_renderer(config), "proofreader@example.org",
                     only=STUDENT_LETTERS, now=RELEASE, roster=roster,  # type: ignore[arg-type]
                     applicant=next(iter(STUDENTS)))
