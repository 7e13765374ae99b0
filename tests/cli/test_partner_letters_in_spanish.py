"""A partner who reads Spanish gets every partner letter in Spanish, on the local backend (issue 15).

The example program with two partners reading Spanish (config ``partners[].language``): Solis
Cyber Defense (the cyber-basics session) and Valley Analytics (the six-week data-fellows). Each
letter a partner gets is sent by its own step as a real run would send it, and read back from
the .eml the mailer wrote: its subject, plain text and HTML are the Spanish template's, never
the English one. The teacher's copy of the run sheet and of the feedback reminder stays English,
and a partner reading English (Desert Health) still gets English. A partner reading a language
no partner letter is written in gets English, and check-config names a missing Spanish partner
template. Times in HTML letters sit in a no-wrap span; the plain text prints them bare.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from adapters.test_local_assignments import GIVEN, OPENS, answer, seat
from adapters.test_local_assignments import run as run_assignments
from adapters.test_local_hours import FIRST_DAY, WEEK_ONE, respond
from adapters.test_local_hours import edit_config as edit_section
from adapters.test_local_hours import run as log_hours
from adapters.test_local_hours import seat as seat_paid
from jinja2 import FileSystemLoader
from programs import ROOT
from test_correspondence import letters_of
from test_participation_local import _seat

from microintern.bootstrap import step_context
from microintern.config import LANGUAGES, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.catalog import LETTERS
from microintern.domain.feedback import rating_titles
from microintern.domain.letters import LetterRenderer, make_environment
from microintern.domain.timeline import STEPS, Occurrence, StepName
from microintern.steps.appreciation import rating_labels, thank_partners
from microintern.steps.letter_context import partner_letter_language
from microintern.steps.outreach import invite_partner
from microintern.steps.partners import partner_pipeline
from microintern.steps.session_letters import send_run_sheets, support_sessions
from microintern.steps.sessions import build_sessions
from microintern.steps.setup import initialise
from microintern.steps.template_check import check_context, letter_languages, template_problems

LA = ZoneInfo("America/Los_Angeles")
SPANISH_READERS = ("solis-cyber", "valley-analytics")
SESSION = "cyber-basics"             # 2027-03-16 15:30 Pacific, partner solis-cyber
INVITED = datetime(2027, 1, 19, 6, 30, tzinfo=LA)
PIPELINE = datetime(2027, 1, 26, 6, 30, tzinfo=LA)
SUPPORT = datetime(2027, 2, 23, 6, 30, tzinfo=LA)
SESSION_DAY = datetime(2027, 3, 16, 6, 30, tzinfo=LA)
THANKS = datetime(2027, 3, 23, 6, 30, tzinfo=LA)   # the window's last day: sent without attendance

# Each partner letter: (words of its Spanish subject, of its Spanish body, of its English body).
SPANISH = {
    "partner_outreach": ("¿Le gustaría a", "Coordino", "I coordinate"),
    "partner_followup": ("Seguimiento:", "Le escribo de nuevo", "I am following up"),
    "partner_meeting": ("Reunión para planear su micropasantía", "Reunión de planeación", "Planning meeting"),
    "partner_session_guide": ("Cómo preparar su sesión", "LA ESTRUCTURA DE UNA SESIÓN",
                              "THE SHAPE OF A SESSION"),
    "session_details_partner": ("Detalles de la sesión", "SU PAPEL COMO COANFITRIÓN", "YOUR ROLE AS CO-HOST"),
    "run_sheet": ("Guion de la sesión", "ANTES DE EMPEZAR", "BEFORE THE START"),
    "partner_thanks": ("Gracias por ofrecer", "Algunas cifras de la sesión", "A few numbers"),
    "partner_feedback_reminder": ("sus comentarios: ", "todavía esperan sus comentarios",
                                  "still waiting for feedback"),
    "hours_pending": ("por confirmar:", "ESPERAN SU CONFIRMACIÓN", "WAITING FOR YOU"),
}
# A time as letters print it: "3:30 PM", "3:30 p. m." (Babel puts a narrow no-break space in it).
CLOCK = re.compile(r"\d{1,2}:\d{2}[\s\u202f\xa0]?(?:AM|PM|[ap]\.[\s\u202f\xa0]?m\.)")
NOWRAP = '<span style="white-space:nowrap">'


@pytest.fixture
def spanish_partners(config_file: Path) -> Path:
    """The example program's config, Solis Cyber Defense and Valley Analytics reading Spanish."""
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for partner in data["partners"]:
        if partner["id"] in SPANISH_READERS:
            partner["language"] = "es"
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config_file


def parts(message: EmailMessage) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a sent letter."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(message["Subject"]), str(text.get_content()), str(html.get_content())


def assert_spanish(letter: str, message: EmailMessage) -> None:
    """``message`` is ``letter`` written from its Spanish templates, not its English ones."""
    subject_words, body_words, english_words = SPANISH[letter]
    subject, text, html = parts(message)
    assert subject_words in subject, (letter, subject)
    assert body_words in text and english_words not in text, letter
    assert body_words.casefold() in html.casefold() and english_words.casefold() not in html.casefold()
    assert '<html lang="es"' in html, letter


def outreach(config_file: Path) -> None:
    """The partner invitation of the cyber-basics session (T-8w), as the timeline runs it."""
    config = load_config(config_file)
    spec = next(s for s in STEPS if s.name is StepName.PARTNER_OUTREACH)
    occurrence = Occurrence(spec, SESSION, date(2027, 3, 16), INVITED, INVITED.replace(hour=23))
    ctx = step_context(config, INVITED)
    initialise(config, ctx.ports.roster)
    assert invite_partner(ctx, occurrence).counts.get("sent") == 1


def test_a_spanish_reading_partner_gets_every_partner_letter_in_spanish(spanish_partners: Path) -> None:
    config_file = spanish_partners
    outreach(config_file)
    config = load_config(config_file)
    # The pipeline a week later: Solis has a planning meeting; Valley Analytics (Spanish) and
    # Desert Health (English) have not answered, so each gets the follow-up.
    ctx = step_context(config, PIPELINE)
    contacted = {sheet.PARTNER_STATUS: "contacted", sheet.PARTNER_CONTACTED: "January 19, 2027"}
    ctx.ports.roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, [
        {sheet.PARTNER_ID: "solis-cyber", **contacted, sheet.PARTNER_MEETING_TIME: "2027-02-02 10:00"},
        *({sheet.PARTNER_ID: partner, **contacted} for partner in ("valley-analytics", "desert-health"))])
    partner_pipeline(ctx)
    _seat(config_file, 4)
    build_sessions(step_context(config, SUPPORT), [SESSION])
    support_sessions(step_context(config, SUPPORT), [SESSION])
    send_run_sheets(step_context(config, SESSION_DAY), [SESSION])
    assert thank_partners(step_context(config, THANKS), [SESSION]).counts.get("sent") == 1

    letters = letters_of(config_file)
    for letter in ("partner_outreach", "partner_meeting", "partner_session_guide",
                   "session_details_partner", "run_sheet", "partner_thanks"):
        assert_spanish(letter, letters[(letter, "solis-cyber")])
    assert_spanish("partner_followup", letters[("partner_followup", "valley-analytics")])

    # Spanish dates and times, the Spanish program name, the partner's own name in the letter.
    _, details, _ = parts(letters[("session_details_partner", "solis-cyber")])
    assert "martes 16 de marzo de 2027, de 3:30" in details and "(hora del Pacífico)" in details
    assert "Micropasantías de Mesa Valley" in details and "Mesa Valley Micro-Internships" not in details
    _, meeting, _ = parts(letters[("partner_meeting", "solis-cyber")])
    assert "martes 2 de febrero de 2027, de 10:00" in meeting
    # The teacher's copy of the run sheet stays English; an English reader's follow-up too.
    _, teacher, _ = parts(letters[("run_sheet", f"teacher-{SESSION}")])
    assert "BEFORE THE START" in teacher and "ANTES DE EMPEZAR" not in teacher
    _, desert, _ = parts(letters[("partner_followup", "desert-health")])
    assert "I am following up" in desert and "Le escribo" not in desert


def test_the_feedback_reminder_reaches_a_spanish_reading_partner_in_spanish(spanish_partners: Path) -> None:
    config = load_config(spanish_partners)
    seat(config)
    run_assignments(config, OPENS)
    run_assignments(config, GIVEN)
    answer(config, [(datetime(2027, 4, 14, 18, 0, tzinfo=LA),
                     ["A-001", "Clean a real data set", "https://example.org/a", ""])])
    assert run_assignments(config, datetime(2027, 4, 19, 6, 30, tzinfo=LA)).counts["partner reminders"] == 2
    reminders = {str(message["To"].addresses[0].addr_spec): message
                 for (letter, _), message in letters_of(spanish_partners).items()
                 if letter.startswith("partner_feedback_reminder")}
    assert set(reminders) == {"thanh@valleyanalytics.example", "priya.raman@mesavalley.example"}
    partner = reminders["thanh@valleyanalytics.example"]
    assert_spanish("partner_feedback_reminder", partner)
    _, text, _ = parts(partner)
    assert "(entregado el 14 de abril de 2027, hace 5 días)" in text
    _, teacher, _ = parts(reminders["priya.raman@mesavalley.example"])
    assert "(handed in April 14, 2027, 5 days ago)" in teacher


def test_the_thank_you_names_the_ratings_as_the_spanish_form_asks_them(spanish_partners: Path) -> None:
    config = load_config(spanish_partners)
    spanish = rating_labels(config, "es")
    assert list(spanish) == list(config.feedback.ratings)
    assert list(spanish.values()) == rating_titles(config, "es") != list(config.feedback.ratings)
    assert rating_labels(config, "en") == {rating: rating for rating in config.feedback.ratings}


def test_a_partner_reading_a_language_without_partner_letters_gets_english(spanish_partners: Path) -> None:
    config = load_config(spanish_partners)
    renderer = LetterRenderer(make_environment(FileSystemLoader(str(ROOT / "templates"))),
                              default_language="en")
    solis = next(p for p in config.partners if p.id == "solis-cyber")
    desert = next(p for p in config.partners if p.id == "desert-health")
    for letter in SPANISH:
        assert partner_letter_language(renderer, letter, solis, "en") == "es"
        assert partner_letter_language(renderer, letter, desert, "en") == "en"
        # No partner letter is written in Vietnamese: English, not the program's default.
        reads_vi = solis.model_copy(update={"language": "vi"})
        assert partner_letter_language(renderer, letter, reads_vi, "es") == "en"
    # The recruitment letter goes to staff only: English alone.
    assert letter_languages(config, LETTERS["recruitment"]) == ["en"]


def test_check_config_checks_and_misses_each_spanish_partner_letter(spanish_partners: Path,
                                                                    tmp_path: Path) -> None:
    config = load_config(spanish_partners)
    for letter in SPANISH:
        assert letter_languages(config, LETTERS[letter]) == ["en", "es"]
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    renderer = LetterRenderer(make_environment(FileSystemLoader(str(templates))), default_language="en")
    assert not [p for p in template_problems(config, renderer) if "partner" in p or "run_sheet" in p]
    (templates / "email" / "partner_thanks.es.html.j2").unlink()
    problems = template_problems(config, renderer)
    assert [p for p in problems if "partner_thanks" in p] == [
        f"partner_thanks ({LANGUAGES['es']}, es): missing email/partner_thanks.es.html.j2"]


def test_times_in_html_letters_do_not_wrap(spanish_partners: Path) -> None:
    config = load_config(spanish_partners)
    _seat(spanish_partners, 4)
    build_sessions(step_context(config, SUPPORT), [SESSION])
    support_sessions(step_context(config, SUPPORT), [SESSION])
    letters = letters_of(spanish_partners)
    checked = 0
    for key in (("session_details_partner", "solis-cyber"),
                *(k for k in letters if k[0] == "session_details_student")):
        _, text, html = parts(letters[key])
        times = CLOCK.findall(html)
        assert times, key
        for time in times:
            # Every time is the whole content of a no-wrap span, its text as the plain part has it.
            assert f"{NOWRAP}{time}</span>" in html, (key, time)
            assert time in text and NOWRAP not in text
        assert html.count(NOWRAP) == len(times)
        checked += 1
    assert checked >= 2
    # The English details keep the pinned "3:30 PM", in a span in the HTML only.
    english = next(m for k, m in letters.items() if k[0] == "session_details_student"
                   and "3:30 PM" in parts(m)[1])
    assert f"{NOWRAP}3:30 PM</span>" in parts(english)[2]


def test_the_spanish_details_count_meeting_hours_apart_and_tell_the_co_host_truth(config_file: Path) -> None:
    # The two mistakes a reader found in the English letter, not repeated in Spanish: 6 x 90
    # minutes of meetings read as the 30-hour target, and "the teacher will make you a co-host"
    # on Meet, where the program already did.
    config = load_config(config_file)
    renderer = LetterRenderer(make_environment(FileSystemLoader(str(ROOT / "templates"))),
                              default_language="en")
    context = check_context(config, LETTERS["session_details_partner"], "es")   # the six-week session
    for video, said, unsaid in (("Google Meet", "Usted ya es coanfitrión", "lo nombrará coanfitrión"),
                                ("Zoom", "lo nombrará coanfitrión", "ya es coanfitrión")):
        context["session"] = {**context["session"], "video_service": video}
        letter = renderer.render("session_details_partner", "es", context, row="check")
        for shown in (letter.text, re.sub(r"<[^>]+>", " ", letter.html)):
            shown = " ".join(shown.split())
            assert "90 minutos cada una, 9 horas en total" in shown
            assert "los estudiantes dedican unas 30 horas" in shown
            assert said in shown and unsaid not in shown, video


def test_a_confirming_partner_reads_the_hours_list_in_spanish(spanish_partners: Path) -> None:
    # hours.confirmer: partner, and Valley Analytics (the paid data-fellows session) reads Spanish.
    edit_section(spanish_partners, "hours", confirmer="partner")
    seat_paid(spanish_partners)
    log_hours(spanish_partners, FIRST_DAY)
    respond(spanish_partners, WEEK_ONE[:1])          # 1.5 hours on April 6, waiting
    log_hours(spanish_partners, FIRST_DAY + timedelta(days=3))
    (message,) = [m for (letter, who), m in letters_of(spanish_partners).items()
                  if letter.startswith("hours_pending") and who == "valley-analytics"]
    assert_spanish("hours_pending", message)
    _, text, _ = parts(message)
    assert "1 registro, 1,5 horas en total" in text and "Maya O., 6 de abril de 2027: 1,5 h" in text
    assert "Becarios de datos: seis semanas de matemáticas reales" in text
