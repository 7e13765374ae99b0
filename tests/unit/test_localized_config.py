"""Translated config text (issue 15): names families read, per language, default as fallback."""

from __future__ import annotations

import copy
import email
import email.policy
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from programs import EXAMPLE, english_only, write_config

from microintern.adapters.local import LocalWorkbook
from microintern.bootstrap import letter_renderer, step_context
from microintern.cli import cli
from microintern.config import Localized, ProgramConfig, load_config, parse_config, text_in
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet
from microintern.domain.catalog import sample_context
from microintern.domain.letters import Letter
from microintern.domain.mime import KEY_HEADER
from microintern.errors import ConfigError
from microintern.steps.context import StepResult
from microintern.steps.decisions import decision_letters
from microintern.steps.letter_context import ProgramContexts, partner_context, partner_of, session_context
from microintern.steps.template_check import check_context, letter_pairs

ROOT = Path(__file__).resolve().parents[2]

ENGLISH = ("Mesa Valley Micro-Internships", "Mesa Valley Unified School District",
           "Defend the Network: a Day in Cybersecurity")
SPANISH = ("Micropasantías de Mesa Valley, primavera de 2027", "Distrito Escolar Unificado de Mesa Valley",
           "Defiende la red: un día en la ciberseguridad")


def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def parsed(data: dict[str, Any]) -> ProgramConfig:
    return parse_config(data, source="test.yaml", base_dir=ROOT / "config")


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parsed(data)
    assert caught.value.exit_code == 2
    return [str(p) for p in caught.value.problems]


def test_example_gives_spanish_names_and_reads_as_english_elsewhere() -> None:
    config = load_config(EXAMPLE)
    name = config.program.name
    # Wherever a plain string is expected (sheets, forms, logs), it is the default language's.
    assert name == "Mesa Valley Micro-Internships, Spring 2027"
    assert isinstance(name, str) and isinstance(name, Localized)
    assert text_in(name, "es") == SPANISH[0]
    assert text_in(config.program.district, "es") == SPANISH[1]
    assert text_in(config.session("cyber-basics").title, "es") == SPANISH[2]
    assert text_in(config.session("health-careers").title, "es") == "Detrás de escena en un hospital regional"
    # A session given in English only reads English in Spanish letters (the fallback).
    data = example()
    health = next(s for s in data["sessions"] if s["id"] == "health-careers")
    health["title"] = health["title"]["en"]
    assert text_in(parsed(data).session("health-careers").title, "es") == \
        "Behind the Scenes at a Regional Hospital"


def test_one_language_program_writes_plain_strings() -> None:
    data = english_only(example())
    data["program"] = {**data["program"], "name": "Mesa Valley Micro-Internships", "languages": ["en"],
                       "district": "Mesa Valley USD"}
    data["sessions"] = [{**s, "title": "Defend the Network"} if s["id"] == "cyber-basics" else s
                        for s in data["sessions"]]
    config = parsed(data)
    assert config.program.name == "Mesa Valley Micro-Internships"
    assert text_in(config.program.name, "es") == "Mesa Valley Micro-Internships"
    assert config.program.name.texts == {}
    context = ProgramContexts(config)("en")
    assert context["program"]["name"] == "Mesa Valley Micro-Internships"
    assert context["program"]["district"] == "Mesa Valley USD"
    # Dumped back as it was written: a plain string.
    assert config.program.model_dump(mode="json")["name"] == "Mesa Valley Micro-Internships"


def test_mapping_dumps_back_as_a_mapping_and_reloads() -> None:
    config = load_config(EXAMPLE)
    dumped = config.program.model_dump(mode="json")
    assert dumped["name"] == {"en": "Mesa Valley Micro-Internships, Spring 2027", "es": SPANISH[0]}
    again = parsed({**example(), "program": dumped})
    assert text_in(again.program.name, "es") == SPANISH[0]
    assert copy.deepcopy(again.program.name).texts == again.program.name.texts


@pytest.mark.parametrize(("where", "value", "expected"), [
    ("name", {"es": "Micropasantías"}, "program.name: expected a text in the default language 'en'"),
    ("district", {"en": "Mesa Valley USD", "fr": "District de Mesa Valley"},
     "program.district: expected languages of program.languages (en, es), not 'fr'"),
    ("name", {"en": "Mesa Valley", "es": "  "}, "program.name: expected a non-empty text for 'es'"),
    ("name", "", "program.name: expected a non-empty text"),
    ("name", {}, "program.name: expected a text, or a mapping of language to text"),
    ("name", 42, "program.name: expected a text, or a mapping of language to text"),
])
def test_bad_translated_text_is_named_once(where: str, value: Any, expected: str) -> None:
    data = example()
    data["program"] = {**data["program"], where: value}
    problems = problems_of(data)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_default_language_other_than_english_is_the_fallback() -> None:
    data = example()
    data["program"] = {**data["program"], "default_language": "es"}
    config = parsed(data)
    assert config.program.name == SPANISH[0]              # the default language's, as a string
    assert text_in(config.program.name, "en") == "Mesa Valley Micro-Internships, Spring 2027"
    data["program"]["name"] = {"en": "Mesa Valley Micro-Internships"}
    assert problems_of(data) == [
        "program.name: expected a text in the default language 'es' (the fallback of the others), "
        "found {'en': 'Mesa Valley Micro-Internships'}"]


def test_session_description_and_partner_blurb_per_language() -> None:
    data = example()
    data["sessions"][0]["description"] = {"en": "Hunt for the intruder.", "es": "Busca al intruso."}
    data["partners"][0]["blurb"] = {"en": "A security firm.", "es": "Una empresa de seguridad."}
    data["partners"][0]["organization"] = {"en": "Solis Cyber Defense", "es": "Solis Ciberdefensa"}
    config = parsed(data)
    session = config.session("cyber-basics")
    spanish = session_context(config, session, language="es")
    assert spanish["description"] == "Busca al intruso."
    assert spanish["partner_organization"] == "Solis Ciberdefensa"
    assert spanish["partner_blurb"] == "Una empresa de seguridad."
    english = session_context(config, session, language="en")
    assert english["description"] == "Hunt for the intruder." and english["partner_organization"] == \
        "Solis Cyber Defense"
    assert partner_context(partner_of(config, session), "es")["blurb"] == "Una empresa de seguridad."
    # Without one, the keys are there and empty (a template may test them).
    other = session_context(config, config.session("health-careers"), language="es")
    assert other["description"] == "" and other["partner_blurb"] == ""


def _spanish_letters(tmp_path: Path) -> list[Letter]:
    """The acceptance, release form and session details of a Spanish family, as the steps build them."""
    config = load_config(write_config(tmp_path))
    assert config.backend.value == "local"
    renderer = letter_renderer(config)
    ctx = step_context(config, datetime.fromisoformat("2027-02-16T06:30-08:00"))
    row = {sheet.APPLICANT_ID: "A-3HR8WZLT", sheet.DECISION: "Accept", sheet.LANGUAGE: "es",
           "First name": "Sofía", "Last name": "Ramírez", "School email address": "sofia@students.example"}
    result = StepResult()
    (acceptance,) = decision_letters(ctx, [row], result)
    assert result.problems == []
    assert (acceptance.letter, acceptance.language) == ("acceptance", "es")
    program = ProgramContexts(config)("es")
    applicant = acceptance.context["applicant"]
    session = config.session("cyber-basics")
    release = {**program, "applicant": applicant, "guardian": {"name": "Lucía Ramírez"},
               "links": {"release_form": "https://forms.example.org/release"},
               "due": "martes 2 de marzo de 2027"}
    details = {**program, "applicant": applicant,
               "session": session_context(config, session, meet_url="https://meet.google.com/abc-defg-hij",
                                          recording_reason="Esta sesión no se graba.", language="es")}
    return [renderer.render("acceptance", "es", acceptance.context, row="A-3HR8WZLT"),
            renderer.render("release_form", "es", release, row="A-3HR8WZLT"),
            renderer.render("session_details_student", "es", details, row="A-3HR8WZLT")]


def test_spanish_family_letters_carry_no_english_program_text(tmp_path: Path) -> None:
    letters = _spanish_letters(tmp_path)
    for letter in letters:
        assert letter.language == "es"
        for part in (letter.subject, letter.text, letter.html):
            for english in ENGLISH:
                assert english not in part, (letter.name, english)
        whole = letter.subject + letter.text + letter.html
        assert SPANISH[0] in whole, letter.name
    by_name = {letter.name: letter for letter in letters}
    # Signed with the Spanish names on two lines: no "..., primavera de 2027, Distrito ..." run-on.
    for letter in letters:
        assert f"{SPANISH[0]}\n{SPANISH[1]}" in letter.text, letter.name
        assert f"{SPANISH[0]}, {SPANISH[1]}" not in letter.text
    assert SPANISH[2] in by_name["session_details_student"].text
    assert SPANISH[1] in by_name["release_form"].text


def _sent_on_the_local_backend(config_file: Path) -> dict[tuple[str, str], EmailMessage]:
    config = load_config(config_file)
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    letters: dict[tuple[str, str], EmailMessage] = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        _, letter, recipient, _ = str(message[KEY_HEADER]).split("/")
        letters[(letter, recipient)] = message  # type: ignore[assignment]
    return letters


def _run(config_file: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_spanish_family_letters_sent_on_the_local_backend(tmp_path: Path) -> None:
    """The steps themselves, on the local backend: a Spanish family's acceptance, release form and
    session details, as sent, name the program, district and session in Spanish only."""
    config_file = write_config(tmp_path)
    config = load_config(config_file)
    write_responses(config.resolve(config.local.folder) / "forms", config,
                    applications(config, count=24, seed=5))
    _run(config_file, "run", "applications", "--now", "2027-02-01T06:30")
    book = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    rows = book.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    spanish = [str(r[sheet.APPLICANT_ID]) for r in rows
               if r.get(sheet.LANGUAGE) == "es" and str(r.get("First name") or "").isalpha()][:2]
    assert spanish, "the sample has Spanish-speaking families"
    # The students read Spanish too (their own letters follow Student language, issue 15).
    book.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID,
                [{sheet.APPLICANT_ID: a, sheet.DECISION: "Accept", sheet.STUDENT_LANGUAGE: "es"}
                 for a in spanish])
    _run(config_file, "send", "decisions", "--now", "2027-02-16T06:30")
    book.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: a, sheet.SESSION_ID: "cyber-basics", sheet.PLACEMENT: sheet.PLACED}
        for a in spanish])
    # Each letter of the chain assumes the one before: registration, release form, then details.
    _run(config_file, "send", "registration", "--now", "2027-02-23T06:30")
    _run(config_file, "send", "release-forms", "--now", "2027-02-23T06:30")
    _run(config_file, "sessions", "--now", "2027-02-23T06:30")
    _run(config_file, "send", "session-support", "--now", "2027-02-23T06:30")
    letters = _sent_on_the_local_backend(config_file)
    for applicant in spanish:
        for letter in ("acceptance", "release_form", "session_details_student"):
            message = letters[(letter, applicant)]
            plain = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
            body = f"{message['Subject']}\n{plain}\n{html}"
            for english in ENGLISH:
                assert english not in body, (letter, english)
            assert SPANISH[0] in body and SPANISH[1] in body, letter
        details = letters[("session_details_student", applicant)]
        assert SPANISH[2] in details.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def test_samples_have_the_keys_real_letters_have() -> None:
    """Previews and template tests render with the catalog's samples: a key a real letter has
    (a session's description, a partner's blurb) is there too, so a template that uses it
    previews as it sends."""
    config = load_config(EXAMPLE)
    session = config.session("cyber-basics")
    for language in ("en", "es"):
        sample = sample_context("session_details_student", language)
        assert set(sample["session"]) == set(session_context(config, session, language=language))
        assert set(sample["program"]) == set(ProgramContexts(config)(language)["program"])
    partner = sample_context("session_details_partner", "en")["partner"]
    assert set(partner) == set(partner_context(partner_of(config, session)))


def test_no_spanish_letter_names_the_program_or_district_in_english() -> None:
    """Every family letter, in Spanish, rendered with the example program's data (as check-config
    renders it): the program and district only ever appear in Spanish."""
    config = load_config(EXAMPLE)
    renderer = letter_renderer(config)
    spanish = [spec for spec, language in letter_pairs(config) if language == "es"]
    assert len(spanish) >= 15
    for spec in spanish:
        letter = renderer.render(spec.name, "es", check_context(config, spec, "es"), row="check")
        whole = f"{letter.subject}\n{letter.text}\n{letter.html}"
        assert "Mesa Valley Micro-Internships" not in whole, spec.name
        assert "Unified School District" not in whole, spec.name
        assert SPANISH[1] in whole, spec.name
