"""Every letter and flyer, in each language, reads as a person expects: what a reader saw (issue 15).

Each letter of the catalog is rendered as ``send-test`` renders it, with the program's own data (the
example program, every text a family reads also given in Spanish), and read back from the .eml the
mailer wrote: subject, From name, plain-text part and the HTML part's visible text (the title and
the inbox preview line included). Then:

- nothing a template left unfilled or a program keeps to itself: no ``None``, no ``{{``, no
  session or partner id, no snake_case key;
- no doubled punctuation (a Spanish time ends in "p. m.", so "p. m.." was easy to write), no "!,";
- a Spanish letter holds no English word and does not say its form is in English; an English
  letter holds no Spanish name;
- every letter that prints a time also names the time zone, in the letter's language;
- the HTML declares the letter's language and has a title.

And one test per mistake a reader found: meeting hours read as the hours target, the partner told
a teacher will make them co-host when the program already did, the registration reminder naming
the ID differently from its form, flyers counting 6 x 90 minutes as 30 hours.
"""

from __future__ import annotations

import email
import email.policy
import html as html_lib
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2 import FileSystemLoader
from programs import EXAMPLE, ROOT, write_config

from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config, text_in
from microintern.documents.flyer import flyer_context, render_flyer
from microintern.documents.report.html import environment as report_environment
from microintern.documents.report.html import render_html
from microintern.documents.report.sections import Table, rating, sections
from microintern.domain import program_sheet as sheet
from microintern.domain.catalog import LETTERS, sample_context
from microintern.domain.feedback import SessionAverages
from microintern.domain.letters import LetterRenderer, make_environment
from microintern.domain.participation import APPLICANT_KEY, registration_spec
from microintern.domain.report import build_report
from microintern.domain.sessions import session_plan, session_rows
from microintern.steps.appreciation import session_stats
from microintern.steps.letter_context import zone_label
from microintern.steps.samples import send_samples

APPLY = "https://forms.gle/AbCdEfGhIjKlMnOp9"
MULTI_WEEK = "data-fellows"

# Spanish for every config text a family reads, as the example program gives it: session titles,
# the sender's name, the badge and the assignments are each given per language there.
SPANISH = {
    "sender": "Micropasantías de Mesa Valley",
    "sessions": {
        "health-careers": "Detrás de escena en un hospital regional",
        "site-planning": "Leer planos y planificar una obra",
        MULTI_WEEK: "Becarios de datos: seis semanas de matemáticas reales",
    },
    "badge": {"name": "Micropasante de Mesa Valley",
              "description": "Completó una micropasantía guiada por una empresa u organización "
                             "de Mesa Valley.",
              "criteria": "Asistir al menos al 75 % de la sesión y participar en el ejercicio práctico."},
    "assignments": {"data-cleaning": "Limpiar un conjunto de datos real",
                    "final-project": "Proyecto final: una historia con datos en una página"},
}

# Whole English words that have no business in a Spanish letter (names are given in Spanish above).
ENGLISH = re.compile(
    r"\b(the|and|you|your|with|for|please|thank|hi|dear|hello|meeting|meetings|session|sessions|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|june|"
    r"july|august|september|october|november|december|am|pm|time|spring|district|school|unified|"
    r"link|form|due|reply|none)\b", re.IGNORECASE)
# Spanish that would betray a Spanish name or date in an English letter.
SPANISH_WORDS = re.compile(r"\b(de la|del|para|martes|jueves|marzo|abril|mayo|hora del|p\. m\.|"
                           r"a\. m\.|micropasantías|distrito)\b", re.IGNORECASE)
# "p. m.." and "!," read as mistakes; an initial before a comma ("Fatima J., Canyon Ridge") and
# an ellipsis do not.
DOUBLED = re.compile(r"(?<!\.)\.\s?\.(?!\.)|[,;:]\s?[.,;:]|[!?]\s?[.,;:]|\(\s*\)")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\s?(AM|PM|a\.\s?m\.|p\.\s?m\.)", re.IGNORECASE)
LINK = re.compile(r"(https?|mailto|file):[^\s<>\"')]+")

Program = tuple[ProgramConfig, list[tuple[str, str, EmailMessage]]]


def bilingual_config(folder: Path) -> ProgramConfig:
    """The example program: every text a family reads is given in Spanish too (checked here)."""
    config = load_config(write_config(folder))
    assert text_in(config.sender.name, "es") == SPANISH["sender"]
    for session in config.sessions:
        if session.id in SPANISH["sessions"]:
            assert text_in(session.title, "es") == SPANISH["sessions"][session.id]
        for assignment in session.assignments:
            assert text_in(assignment.title, "es") == SPANISH["assignments"][assignment.id]
    badge = config.badge
    assert {key: text_in(getattr(badge, key), "es") for key in SPANISH["badge"]} == SPANISH["badge"]
    return config


def visible_text(html: str) -> str:
    """What a reader of the HTML part sees: its title and preheader included, tags gone."""
    html = re.sub(r"(?s)<style[^>]*>.*?</style>", " ", html)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def without_links(text: str) -> str:
    return LINK.sub(" ", text)


def sent_letters(config: ProgramConfig, folder: Path) -> Iterator[tuple[str, str, EmailMessage]]:
    """Every letter x language as ``send-test`` sends it: (letter, language, message)."""
    ctx = step_context(config, config.first_meeting())
    keys = send_samples(config, ctx.ports.mailer, ctx.letters, "dana@mesavalley.example",
                        now=config.first_meeting())
    assert len(keys) >= len(LETTERS)
    for path in sorted((folder / "local").rglob("sent/*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        name, language = str(message["X-Microintern-Key"]).split("/")[2].rsplit(".", 1)
        yield name, language, message


def parts(message: EmailMessage) -> dict[str, str]:
    """Subject, plain text and the HTML's visible text of ``message``, links taken out."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return {"subject": str(message["Subject"]), "text": without_links(text.get_content()),
            "html": without_links(visible_text(html.get_content()))}


def reading_problems(config: ProgramConfig, language: str, shown: dict[str, str]) -> list[str]:
    """What a reader of ``language`` would stumble on in each part of one letter or flyer."""
    internal = {s.id for s in config.sessions} | {p.id for p in config.partners}
    problems = []
    for part, text in shown.items():
        found: list[str] = []
        found += [m.group(0) for m in re.finditer(r"None|\{\{|\}\}|\{%|\bnan\b|\[object", text)]
        found += [m.group(0) for m in DOUBLED.finditer(text)]
        found += [m.group(0) for m in re.finditer(r"\b[a-z]+_[a-z_]+\b", text)]
        found += [key for key in internal if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text)]
        if language == "es":
            found += [m.group(0) for m in ENGLISH.finditer(text)]
            found += re.findall(r"\binglés\b|\d-\d", text)
        else:
            found += [m.group(0) for m in SPANISH_WORDS.finditer(text)]
        if part != "subject" and CLOCK.search(text) and zone_label(config, language) not in text:
            found.append(f"a time without '{zone_label(config, language)}'")
        problems += [f"{part}: {item!r}" for item in found]
    return problems


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Program:
    folder = tmp_path_factory.mktemp("letters")
    config = bilingual_config(folder)
    return config, list(sent_letters(config, folder))


def test_every_letter_reads_well_in_its_language(program: Program) -> None:
    config, letters = program
    seen = {(name, language) for name, language, _ in letters}
    assert {name for name, _ in seen} == set(LETTERS)
    assert {language for _, language in seen} == {"en", "es"}
    problems = {}
    for name, language, message in letters:
        html = message.get_body(("html",))
        assert html is not None
        source = html.get_content()
        assert f'<html lang="{language}"' in source, name
        assert re.search(r"<title>\s*\S", source), f"{name}.{language}: an empty <title>"
        sender = message["From"].addresses[0].display_name
        assert sender == (SPANISH["sender"] if language == "es" else "Mesa Valley Micro-Internships")
        found = reading_problems(config, language, parts(message))
        if found:
            problems[f"{name}.{language}"] = found
    assert problems == {}


def _letter(letters: list[tuple[str, str, EmailMessage]], name: str, language: str) -> dict[str, str]:
    [message] = [m for n, lang, m in letters if (n, lang) == (name, language)]
    return parts(message)


def test_meeting_hours_are_not_read_as_the_hours_target(program: Program) -> None:
    # A reader saw "6 meetings of 90 minutes each, about 30 hours in all": 9 hours of meetings
    # read as 30. The meetings' own hours are given, the target is the work between them too.
    config, letters = program
    session = next(s for s in config.sessions if s.id == MULTI_WEEK)
    meeting_hours = f"{len(session.meeting_starts()) * session.duration_minutes / 60:g}"
    assert session.hours_target and float(meeting_hours) < session.hours_target
    target = f"{session.hours_target:g}"
    wanted = {("session_details_student", "en"): (f"{meeting_hours} hours in all", f"about {target} hours"),
              ("session_details_student", "es"): (f"{meeting_hours} horas en total", f"unas {target} horas"),
              ("session_details_partner", "en"): (f"{meeting_hours} hours in all", f"about {target} hours")}
    for (name, language), (meetings, work) in wanted.items():
        for part in ("text", "html"):
            shown = " ".join(_letter(letters, name, language)[part].split())
            assert meetings in shown and work in shown, (name, language, part)
            assert f"each, about {target} hours in all" not in shown
            assert f"cada una, unas {target} horas en total" not in shown


def test_the_partner_is_told_the_truth_about_co_hosting(program: Program) -> None:
    # On Meet the program adds the partner as co-host (sessions.meet_settings); on Zoom only the
    # host can, so there the teacher does it.
    _, letters = program
    for name in ("session_details_partner", "run_sheet"):
        for part in ("text", "html"):
            shown = " ".join(_letter(letters, name, "en")[part].split())
            assert "already a co-host" in shown, (name, part)
            assert "will make you a co-host" not in shown and "a co-host, and together" not in shown

    renderer = LetterRenderer(make_environment(FileSystemLoader(str(ROOT / "templates"))),
                              default_language="en")
    for name, said in (("session_details_partner", "will make you a co-host"),
                       ("run_sheet", "makes Marcus Chen a co-host")):
        context = sample_context(name, "en")
        context["session"] = {**context["session"], "video_service": "Zoom"}
        letter = renderer.render(name, "en", context, row="zoom")
        for shown in (letter.text, visible_text(letter.html)):
            shown = " ".join(shown.split())
            assert said in shown and "already a co-host" not in shown, name


def test_a_program_name_with_a_comma_is_closed_by_one(program: Program) -> None:
    # "Gracias por postularte a Micropasantías de Mesa Valley, primavera de 2027 y por el tiempo",
    # "Your place in Mesa Valley Micro-Internships, Spring 2027 is waiting": the name's own comma
    # opens an apposition that the sentence must close before it goes on.
    config, letters = program
    for name, language, message in letters:
        program_name = text_in(config.program.name, language)
        assert "," in program_name
        for part, shown in parts(message).items():
            shown = " ".join(shown.split())
            # "About your <name> application": the name used as an adjective takes no comma.
            runs_on = re.search(re.escape(program_name) + r" (?!application\b)[a-záéíóúñ]", shown)
            assert runs_on is None, (name, language, part, runs_on and runs_on.group(0))
    shown = " ".join(_letter(letters, "denial", "es")["text"].split())
    assert f"postularte a {text_in(config.program.name, 'es')}, y por el tiempo" in shown


def test_the_registration_reminder_names_the_id_as_its_form_does(program: Program) -> None:
    # The reminder said "your student ID is already filled in"; the form's field is the applicant ID.
    config, letters = program
    for language, said in (("en", "applicant ID"), ("es", "número de solicitud")):
        field = next(q.title for q in registration_spec(config, language).questions if q.key == APPLICANT_KEY)
        assert field.casefold().startswith(said.casefold())
        for part in ("text", "html"):
            shown = _letter(letters, "registration_reminder", language)[part]
            assert said in shown and "student ID" not in shown and "número de estudiante" not in shown


def test_flyers_read_well_and_count_the_work_between_meetings(tmp_path: Path) -> None:
    config = bilingual_config(tmp_path)
    env = make_environment(FileSystemLoader(str(ROOT / "templates")))
    said = {"student": {"en": "30 hours in all, counting the work between meetings",
                        "es": "30 horas en total, contando el trabajo entre reuniones"},
            "partner": {"en": "the hours count the students' work between meetings",
                        "es": "las horas incluyen el trabajo de los estudiantes entre reuniones"}}
    for language in ("en", "es"):
        context = flyer_context(config, APPLY, language=language)
        for kind in ("student", "partner"):
            flyer = render_flyer(kind, context, env)  # type: ignore[arg-type]
            shown = " ".join(without_links(visible_text(flyer.html)).split())
            assert said[kind][language] in shown, (kind, language)
            # Every time on a flyer names the zone, as the letters do.
            assert reading_problems(config, language, {"html": shown}) == [], (kind, language)


def test_the_report_reads_as_prose(tmp_path: Path) -> None:
    # The Hours section said "as `microintern hours` counts them", backticks and all, in the HTML
    # and the PDF. Every heading, lead and table of the report is plain prose; the only key it may
    # name is a setting the coordinator can change (equity.min_group_size, equity.fields).
    config = bilingual_config(tmp_path)
    report = build_report(config, {}, now=config.first_meeting())
    shown = [text for section in sections(report)
             for text in (section.heading, section.lead, *(t.caption for t in section.tables),
                          *(h for t in section.tables for h in t.headers))]
    assert any("hours" in text for text in shown)
    for text in shown:
        assert not re.search(r"`|None|\{\{|\b[a-z]+_[a-z]+\b(?!\.)", text.replace("min_group_size", "")), text


def test_the_partners_thank_you_gives_ratings_as_the_report_does(tmp_path: Path) -> None:
    # The thank-you read "an average rating of 3.8 out of 5 ... The session overall: 3.00, The
    # partner's explanations: 4.50": two decimals under one, where the report shows 3.0 and 4.5.
    config = bilingual_config(tmp_path)
    session = next(s for s in config.sessions if s.id == MULTI_WEEK)
    [row] = [r for r in session_rows(config, {}) if r.get(sheet.SESSION_ID) == MULTI_WEEK]
    plan = session_plan(config, session, row)
    averages = SessionAverages(MULTI_WEEK, {"overall": 3.0, "explanations": 4.25, "learned": None}, 2)
    stats = session_stats([], plan, averages)
    assert stats["average_rating"] == "3.6"             # (3.0 + 4.25) / 2 = 3.625 -> 3.6
    assert [r["average"] for r in stats["ratings"]] == ["3.0", "4.3"]   # 4.25 -> 4.3, as the report
    assert [r["average"] for r in stats["ratings"]] == [rating(3.0), rating(4.25)]


def test_letters_about_the_program_give_its_own_group_size_and_length(tmp_path: Path) -> None:
    # The outreach, follow-up, recruitment, release-form and denial letters said "4-6 students"
    # and "90-minute session" whatever the program's sessions were.
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for session in data["sessions"]:
        session["group_size"], session["duration_minutes"] = {"min": 3, "max": 5}, 60
    config = load_config(write_config(tmp_path, sessions=data["sessions"]))
    ctx = step_context(config, config.first_meeting())
    letters = ("partner_outreach", "partner_followup", "recruitment", "release_form", "denial")
    send_samples(config, ctx.ports.mailer, ctx.letters, "dana@mesavalley.example", only=letters,
                 now=config.first_meeting())
    said = {"en": ("3-5", "60-minute"), "es": ("3 a 5", "60 minutos")}
    seen = set()
    for path in sorted((tmp_path / "local").rglob("sent/*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        name, language = str(message["X-Microintern-Key"]).split("/")[2].rsplit(".", 1)
        seen.add((name, language))
        for part, shown in parts(message).items():
            shown = " ".join(shown.split())
            assert "4-6" not in shown and "4 a 6" not in shown, (name, part)
            assert not re.search(r"\b90\b", shown), (name, part)
            if part != "subject":
                assert said[language][0] in shown, (name, language, part)
        if name.startswith("partner_"):
            assert said[language][1] in " ".join(parts(message)["text"].split()), name
    assert {name for name, _ in seen} == set(letters) and ("release_form", "es") in seen


def test_report_tables_set_words_left_and_figures_right(tmp_path: Path) -> None:
    # Every column but the first was set right, words too: "Clean a real data set" and the
    # equity notes hung off the right edge under "Assignment" and "Note".
    table = Table("", ("Session", "Assignment", "Students", "Rate", "Note", "Pay"),
                  (("Data Fellows", "Clean a real data set", "6", "64.7%", "highest rate (reference)",
                    "$16.50"),
                   ("Data Fellows", "Final project", "1,234", "-", "", "-")))
    assert table.text_columns == (True, True, False, False, True, False)

    config = bilingual_config(tmp_path)
    participants = [{sheet.APPLICANT_ID: "A1", "First name": "Zoë", "Last name": "Łukasz",
                     sheet.SESSION_ID: MULTI_WEEK, sheet.PLACEMENT: sheet.PLACED, sheet.ATTENDED: "yes"}]
    report = build_report(config, {sheet.PARTICIPANTS: participants}, now=config.first_meeting(),
                          include_names=True)
    html = render_html(report, {}, report_environment(ROOT / "templates"))
    # The internal table: Name, Session, Attended and Badge are words, Confirmed hours a figure.
    [students] = [t for s in sections(report) if s.id == "students" for t in s.tables]
    assert students.text_columns[:4] == (True, True, True, True) and students.text_columns[4] is False
    assert '<th scope="col" class="text">Attended</th>' in html
    assert '<th scope="col">Confirmed hours</th>' in html
