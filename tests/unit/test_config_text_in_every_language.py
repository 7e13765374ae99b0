"""Config text in the reader's language, and wording that follows the program's settings (issue 15).

A reviewer read every letter in both languages and found English config text in Spanish letters
(assignment titles and instructions, the badge's name, description and criteria), "Google Meet"
in letters and the release form of a program on Zoom, and ISO dates in the hours-pending letter.
Each test sends the real letter on the local backend (or renders it as send-test does) and reads it.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from programs import EXAMPLE, write_config

from microintern.bootstrap import build_ports, step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.domain.participation import release_spec
from microintern.steps.assignments import run_assignments
from microintern.steps.badges import award_badges
from microintern.steps.hours import PendingEntry, pending_context
from microintern.steps.samples import send_samples
from microintern.steps.setup import initialise

LA = ZoneInfo("America/Los_Angeles")
STUDENT = "A-LANG0001"
ADDRESS = "lucia.prueba@students.mesavalley.example"


def example(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def seat(config: ProgramConfig, session: str, **participant: Any) -> None:
    """One Spanish-reading student (and family), seated in ``session``."""
    roster = build_ports(config).roster
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: STUDENT, sheet.LANGUAGE: "es", "First name": "Lucía", "Last name": "Prueba",
         "School email address": ADDRESS, "Parent or guardian name": "Ana Prueba",
         "Parent or guardian email": "ana.prueba@home.example", sheet.DECISION: "Accept"}])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: STUDENT, sheet.SESSION_ID: session, sheet.PLACEMENT: sheet.PLACED,
         **participant}])


def sent(config: ProgramConfig, letter: str) -> list[EmailMessage]:
    """The ``letter`` messages in the local outbox (sent by a step, or by send-test)."""
    found = []
    for path in sorted(config.resolve(config.local.folder).rglob("sent/*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        # <program>/<letter step>/<recipient>/<session>, or <program>/send-test/<letter>.<language>/...
        _, step, recipient, *_ = str(message[KEY_HEADER]).split("/")
        if (step.startswith(letter) if step != "send-test" else recipient.rsplit(".", 1)[0] == letter):
            found.append(message)
    return found


def bodies(message: EmailMessage) -> list[str]:
    """The subject, the plain-text part and the HTML part of ``message``."""
    parts = [str(message["Subject"])]
    for kind in ("plain", "html"):
        body = message.get_body(preferencelist=(kind,))
        assert body is not None
        parts.append(body.get_content())
    return parts


# --- assignments ---------------------------------------------------------------------------------

def assignment_letters(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    config = load_config(write_config(tmp_path, sessions=data["sessions"]))
    seat(config, "data-fellows")
    # The data-cleaning assignment follows the 2nd weekly meeting (2027-04-13).
    run_assignments(step_context(config, datetime(2027, 4, 13, 6, 30, tzinfo=LA)), ["data-fellows"])
    given = [m for m in sent(config, "assignment_given") if m["To"] == ADDRESS]
    assert len(given) == 2        # the data-cleaning assignment and the final project
    return [part for message in given for part in bodies(message)]


def test_a_spanish_assignment_letter_gives_the_title_and_instructions_in_spanish(tmp_path: Path) -> None:
    shown = "\n".join(assignment_letters(tmp_path, example()))
    assert "Limpiar un conjunto de datos real" in shown
    assert "Quita los duplicados, corrige las" in shown
    assert "Proyecto final: una historia con datos en una página" in shown
    for english in ("Clean a real data set", "Remove duplicates", "Final project: a one-page data story"):
        assert english not in shown, english
    # The Assignments tab keeps the default language's title: what the coordinator reads and sorts.
    config = load_config(tmp_path / "program.yaml")
    rows = build_ports(config).roster.read_tabs([sheet.ASSIGNMENTS])[sheet.ASSIGNMENTS]
    assert {r[sheet.ASSIGNMENT] for r in rows} == {"Clean a real data set",
                                                    "Final project: a one-page data story"}


def test_an_assignment_given_as_one_string_is_that_string_in_every_letter(tmp_path: Path) -> None:
    data = example()
    session = next(s for s in data["sessions"] if s["id"] == "data-fellows")
    for assignment in session["assignments"]:
        assignment["title"] = f"Plain {assignment['id']}"
        assignment["instructions"] = "One text for every reader."
    shown = "\n".join(assignment_letters(tmp_path, data))
    assert "Plain data-cleaning" in shown and "Plain final-project" in shown
    assert "One text for every reader." in shown


# --- the badge -----------------------------------------------------------------------------------

def badge_notice(tmp_path: Path, badge: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Spanish badge notice's parts, and the hosted badge class, after the badge step."""
    config = load_config(write_config(tmp_path, badge=badge))
    seat(config, "cyber-basics", **{sheet.ATTENDED: "yes", sheet.MINUTES: 90})
    result = award_badges(step_context(config, datetime(2027, 3, 19, 6, 30, tzinfo=LA)), ["cyber-basics"])
    assert not result.problems, result.problems
    [notice] = sent(config, "badge_notice")
    [badgeclass] = config.resolve(config.local.folder).rglob("badgeclass.json")
    return "\n".join(bodies(notice)), json.loads(badgeclass.read_text(encoding="utf-8"))


def test_a_spanish_badge_notice_tells_the_badge_in_spanish_the_open_badge_stays_in_english(
        tmp_path: Path) -> None:
    shown, badgeclass = badge_notice(tmp_path, example()["badge"])
    assert "Micropasante de Mesa Valley" in shown
    assert "Completó una micropasantía guiada por una empresa u organización de Mesa Valley." in shown
    assert "Asistir al menos al 75 % de la sesión y participar en el ejercicio práctico." in shown
    assert "Mesa Valley Micro-Intern" not in shown and "Completed an industry-led" not in shown
    # One badge class for every earner: the program's default language.
    assert badgeclass["name"] == "Mesa Valley Micro-Intern"
    assert badgeclass["criteria"]["narrative"].startswith("Attend at least 75%")


def test_a_badge_given_as_plain_strings_reads_the_same_in_spanish(tmp_path: Path) -> None:
    badge = {**example()["badge"], "name": "Insignia MV", "description": "Una sola descripción.",
             "criteria": "Un solo criterio."}
    shown, badgeclass = badge_notice(tmp_path, badge)
    assert "Insignia MV" in shown and "Una sola descripción." in shown and "Un solo criterio." in shown
    assert badgeclass["name"] == "Insignia MV"


# --- the video service -----------------------------------------------------------------------------

PROGRAM_LETTERS = ("acceptance", "release_form", "partner_outreach")


def program_letters(tmp_path: Path, video: dict[str, Any], sessions: list[dict[str, Any]] | None = None
                    ) -> tuple[ProgramConfig, dict[str, str]]:
    """Each program-wide letter x language as send-test renders it (the real letters' context)."""
    data = example()
    config = load_config(write_config(tmp_path, video=video, sessions=sessions or data["sessions"]))
    ctx = step_context(config, config.first_meeting())
    send_samples(config, ctx.ports.mailer, ctx.letters, "dana@mesavalley.example", only=PROGRAM_LETTERS,
                 now=config.first_meeting())
    shown = {}
    for letter in PROGRAM_LETTERS:
        for message in sent(config, letter):
            language = str(message[KEY_HEADER]).split("/")[2].rsplit(".", 1)[1]
            shown[f"{letter}.{language}"] = "\n".join(bodies(message))
    assert set(shown) == {"acceptance.en", "acceptance.es", "release_form.en", "release_form.es",
                          "partner_outreach.en", "partner_outreach.es"}
    return config, shown


def test_a_program_on_zoom_names_zoom_never_google_meet(tmp_path: Path) -> None:
    config, shown = program_letters(tmp_path, {"provider": "zoom"})
    for letter, text in shown.items():
        assert "Google Meet" not in text and "Meet room" not in text, letter
    assert "date, time and Zoom link for your session" in shown["acceptance.en"]
    assert "el enlace de Zoom de tu sesión" in shown["acceptance.es"]
    assert "meets online, on Zoom, with" in shown["release_form.en"]
    assert "se reúne en línea, por Zoom, con" in shown["release_form.es"]
    assert "virtual session</strong> on Zoom," in shown["partner_outreach.en"]
    assert "the Zoom meeting, forms" in shown["partner_outreach.en"]
    # The release form's own question, in each language.
    for language, said in (("en", "online on Zoom with"), ("es", "en línea por Zoom y")):
        question = next(q.title for q in release_spec(config, language).questions if q.key == "participation")
        assert said in question and "Meet" not in question


def test_the_partners_session_details_name_the_zoom_link(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, video={"provider": "zoom"}))
    ctx = step_context(config, config.first_meeting())
    send_samples(config, ctx.ports.mailer, ctx.letters, "dana@mesavalley.example",
                 only=("session_details_partner",), now=config.first_meeting())
    # One per language a partner may read it in (English and Spanish).
    shown = {str(m[KEY_HEADER]).split("/")[2].rsplit(".", 1)[1]: "\n".join(bodies(m))
             for m in sent(config, "session_details_partner")}
    assert set(shown) == {"en", "es"}
    assert "the same Zoom link is on its way" in shown["en"] and "Zoom link:" in shown["en"]
    assert "el mismo enlace de Zoom" in shown["es"] and "Enlace de Zoom:" in shown["es"]
    assert all("Meet link" not in text and "enlace de Meet" not in text for text in shown.values())


def test_a_program_on_meet_still_names_google_meet(tmp_path: Path) -> None:
    config, shown = program_letters(tmp_path, {"provider": "meet"})
    assert "date, time and Google Meet link" in shown["acceptance.en"]
    assert "se reúne en línea, por Google Meet, con" in shown["release_form.es"]
    assert "the Meet room" in shown["partner_outreach.en"]
    question = next(q.title for q in release_spec(config, "en").questions if q.key == "participation")
    assert "online on Google Meet with" in question


def test_sessions_on_different_services_are_said_to_meet_online(tmp_path: Path) -> None:
    sessions = example()["sessions"]
    sessions[0]["video"] = "zoom"                # the others meet on Google Meet
    config, shown = program_letters(tmp_path, {"provider": "meet"}, sessions)
    for letter, text in shown.items():
        assert "Google Meet" not in text and "Zoom" not in text, letter
    assert "date, time and online meeting link for your session" in shown["acceptance.en"]
    assert "el enlace de la reunión en línea de tu sesión" in shown["acceptance.es"]
    assert "meets online with a professional" in shown["release_form.en"]
    assert "se reúne en línea con un profesional" in shown["release_form.es"]
    assert "the online meeting rooms" in shown["partner_outreach.en"]
    question = next(q.title for q in release_spec(config, "es").questions if q.key == "participation")
    assert "micropasantía, en línea y con un docente" in question


# --- the hours-pending letter ------------------------------------------------------------------------

def test_the_hours_pending_letter_writes_days_as_the_letters_do() -> None:
    entries = [PendingEntry("Maya O.", "2027-05-11", None, ""), PendingEntry("Jo T.", "typed: last Friday",
                                                                              None, "")]
    listed = pending_context(entries, 0)["entries"]
    assert [e["date"] for e in listed] == ["May 11, 2027", "typed: last Friday"]
    assert pending_context(entries[:1], 0, "es")["entries"][0]["date"] == "11 de mayo de 2027"
