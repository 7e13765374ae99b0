"""Issue 15: what a Spanish-reading family gets names the program, district and sessions in Spanish.

The example config gives the program, the district and one session title in Spanish; these tests
also give the data-fellows session and its partner Spanish names, and check each place that used
to take the English text: assignment letters, flyers, the feedback form's default title.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from jinja2 import FileSystemLoader
from programs import EXAMPLE, write_config

from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import ProgramConfig, load_config
from microintern.documents.flyer import flyer_context, render_flyer
from microintern.domain import program_sheet as sheet
from microintern.domain.feedback import feedback_spec
from microintern.domain.letters import make_environment
from microintern.steps.samples import send_samples
from microintern.steps.setup import initialise

ROOT = Path(__file__).resolve().parents[2]
APPLY = "https://forms.gle/AbCdEfGhIjKlMnOp9"
SESSION = "data-fellows"
PARTNER = "valley-analytics"
SENDER_ES = "Micropasantías de Mesa Valley"

ENGLISH = ("Mesa Valley Micro-Internships", "Mesa Valley Unified School District",
           "Defend the Network: a Day in Cybersecurity", "Data Fellows: Six Weeks of Real-World Math",
           "Valley Analytics Co-op")
SPANISH = ("Micropasantías de Mesa Valley, primavera de 2027", "Distrito Escolar Unificado de Mesa Valley",
           "Defiende la red: un día en la ciberseguridad",
           "Becarios de datos: seis semanas de matemáticas reales",
           "Cooperativa Valley Analytics")


def spanish_config_file(folder: Path) -> Path:
    """The example program, with the data-fellows session and its partner also named in Spanish."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    session = next(s for s in data["sessions"] if s["id"] == SESSION)
    assert session["partner"] == PARTNER
    session["title"] = {"en": ENGLISH[3], "es": SPANISH[3]}
    partner = next(p for p in data["partners"] if p["id"] == PARTNER)
    partner["organization"] = {"en": ENGLISH[4], "es": SPANISH[4]}
    sender = {**data["sender"], "name": {"en": "Mesa Valley Micro-Internships", "es": SENDER_ES}}
    return write_config(folder, sessions=data["sessions"], partners=data["partners"], sender=sender)


def assert_spanish_only(text: str, *spanish: str) -> None:
    for name in ENGLISH:
        assert name not in text, name
    for name in spanish:
        assert name in text, name


def test_assignment_letters_name_the_session_and_partner_in_spanish(tmp_path: Path) -> None:
    config_file = spanish_config_file(tmp_path)
    config = load_config(config_file)
    roster = step_context(config, config.first_meeting()).ports.roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "A-1", sheet.LANGUAGE: "es", "First name": "Lucía", "Last name": "Prueba",
         "School email address": "s1@students.mesavalley.example",
         "Parent or guardian email": "f1@home.example", sheet.DECISION: "Accept"}])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: "A-1", sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}])

    result = CliRunner().invoke(cli, ["--config", str(config_file), "assignments", "--session", SESSION,
                                      "--now", "2027-04-13T06:30"], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    sent = sorted((tmp_path / "local").rglob("sent/*.eml"))
    letters = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sent]
    student = "s1@students.mesavalley.example"
    given = [m for m in letters if isinstance(m, EmailMessage) and m["To"] == student]
    assert len(given) == 2      # the data-cleaning assignment and the final project
    for message in given:
        assert message["From"].addresses[0].display_name == SENDER_ES
        for kind in ("plain", "html"):
            body = message.get_body(preferencelist=(kind,))
            assert body is not None
            assert_spanish_only(body.get_content(), SPANISH[3], SPANISH[4])


def test_a_spanish_flyer_names_everything_in_spanish(tmp_path: Path) -> None:
    config = load_config(spanish_config_file(tmp_path))
    context = flyer_context(config, APPLY, language="es")
    assert context["program"]["name"] == SPANISH[0]
    assert context["program"]["district"] == SPANISH[1]
    titles = {s["id"]: s["title"] for s in context["sessions"]}
    assert titles[SESSION] == SPANISH[3] and titles["cyber-basics"] == SPANISH[2]
    assert SPANISH[4] in context["partners"]
    assert next(s for s in context["sessions"] if s["id"] == SESSION)["partner"] == SPANISH[4]

    env = make_environment(FileSystemLoader(str(ROOT / "templates")))
    for kind in ("student", "partner"):
        flyer = render_flyer(kind, context, env)   # type: ignore[arg-type]
        assert_spanish_only(flyer.html, SPANISH[0], SPANISH[1])


def test_the_default_flyer_is_in_the_default_language(tmp_path: Path) -> None:
    config = load_config(spanish_config_file(tmp_path))
    context = flyer_context(config, APPLY)
    assert context["program"]["name"] == "Mesa Valley Micro-Internships, Spring 2027"
    assert {s["title"] for s in context["sessions"]} >= {ENGLISH[2], ENGLISH[3]}


def test_the_spanish_feedback_form_is_titled_with_the_spanish_program_name(tmp_path: Path) -> None:
    config: ProgramConfig = load_config(spanish_config_file(tmp_path))
    title = feedback_spec(config, "es").title
    assert SPANISH[0] in title and ENGLISH[0] not in title
    assert "Mesa Valley Micro-Internships, Spring 2027" in feedback_spec(config, "en").title


def test_send_test_signs_each_sample_with_the_name_in_its_language(tmp_path: Path) -> None:
    config = load_config(spanish_config_file(tmp_path))
    ctx = step_context(config, config.first_meeting())
    keys = send_samples(config, ctx.ports.mailer, ctx.letters, "dana@mesavalley.example",
                        only=("acceptance",), now=config.first_meeting())
    assert len(keys) == 2
    sent = sorted((tmp_path / "local").rglob("sent/*.eml"))
    names = {email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["From"]
             .addresses[0].display_name for p in sent}
    assert names == {"Mesa Valley Micro-Internships", SENDER_ES}
