"""The program report in every program language: its words from templates/report.<lang>.yaml.

The Spanish report (HTML and PDF) says everything in Spanish, with figures written the Spanish
way, the PDF's /Lang and title in Spanish; a student named "Nguyễn Thị Ánh" keeps every letter
in it; a language without its text file (or with a half-translated one) is an error naming the
file; the Dashboard keeps the default language's names whatever the report's language.
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from programs import EXAMPLE, ROOT, write_config
from pypdf import PdfReader

from microintern.bootstrap import build_ports, step_context
from microintern.cli import cli
from microintern.config import ProgramConfig, load_config
from microintern.documents.report.sections import sections
from microintern.documents.report.text import load_report_text
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Record
from microintern.domain.report import build_report
from microintern.domain.report.languages import in_language
from microintern.errors import TemplateError
from microintern.steps.report import render_report
from microintern.steps.setup import initialise

TEMPLATES = ROOT / "templates"
ENGLISH = load_report_text(TEMPLATES, "en")
SPANISH = load_report_text(TEMPLATES, "es")
NAME = "Nguyễn Thị Ánh"


def headings(text: Any) -> list[str]:
    return list(text.words["headings"].values())


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def rows() -> dict[str, list[Record]]:
    """A few rows in every tab the report reads: every section has data."""
    participants: list[Record] = [
        {sheet.APPLICANT_ID: "A1", "First name": "Nguyễn Thị", "Last name": "Ánh",
         sheet.SESSION_ID: "data-fellows", sheet.PLACEMENT: sheet.PLACED, sheet.ATTENDED: "yes",
         sheet.BADGE: "2027-05-01 b1", sheet.REGISTERED: "2027-02-20 10:00"},
        {sheet.APPLICANT_ID: "A2", "First name": "Zoë", "Last name": "Łukasz",
         sheet.SESSION_ID: "cyber-basics", sheet.PLACEMENT: sheet.PLACED, sheet.ATTENDED: "no"},
    ]
    return {
        sheet.APPLICATIONS: [{sheet.APPLICANT_ID: f"A{i}", sheet.DECISION: "Accept" if i < 3 else "Deny"}
                             for i in range(1, 6)],
        sheet.PARTICIPANTS: participants,
        sheet.FEEDBACK: [{sheet.FEEDBACK_KEY: "r1", sheet.SESSION_ID: "data-fellows",
                          "The session overall": 4, "The partner's explanations": 5,
                          "How much I learned about this career": 4.5}],
        sheet.PARTNERS: [{sheet.PARTNER_ID: "p1", sheet.PARTNER_STATUS: "thanked"},
                         {sheet.PARTNER_ID: "p2", sheet.PARTNER_STATUS: "declined"}],
        sheet.ASSIGNMENTS: [{sheet.SUBMISSION_KEY: "data-fellows:data-cleaning:A1",
                             sheet.SESSION_ID: "data-fellows", sheet.ASSIGNMENT: "data-cleaning",
                             sheet.APPLICANT_ID: "A1", sheet.DUE: "2027-04-19",
                             sheet.HANDED_IN: "2027-04-18 20:00", sheet.LATE: "no"}],
        sheet.HOURS: [{sheet.ENTRY_KEY: "h1", sheet.SESSION_ID: "data-fellows", sheet.APPLICANT_ID: "A1",
                       sheet.HOURS_LOGGED: 12.5, sheet.CONFIRMATION: "confirmed"}],
    }


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ProgramConfig:
    return load_config(write_config(tmp_path_factory.mktemp("program")))


@pytest.fixture(scope="module")
def spanish(config: ProgramConfig, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The Spanish report with the names table, rendered by the real step on the local backend."""
    ports = build_ports(config)
    initialise(config, ports.roster)
    for tab, key in ((sheet.APPLICATIONS, sheet.APPLICANT_ID), (sheet.PARTICIPANTS, sheet.APPLICANT_ID),
                     (sheet.FEEDBACK, sheet.FEEDBACK_KEY), (sheet.PARTNERS, sheet.PARTNER_ID),
                     (sheet.ASSIGNMENTS, sheet.SUBMISSION_KEY), (sheet.HOURS, sheet.ENTRY_KEY)):
        ports.roster.upsert(tab, key, rows()[tab])
    ctx = step_context(config, datetime(2027, 5, 20, 9, 0, tzinfo=config.zone), ports=ports)
    return render_report(ctx, include_names=True, language="es")


def test_the_spanish_html_has_spanish_headings_and_no_english_ones(spanish: Any) -> None:
    page = spanish.html.decode("utf-8")
    assert re.search(r'<html lang="es">', page)
    shown = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h2>(.*?)</h2>", page, re.S)]
    assert shown == headings(SPANISH)                                # all eight, names table included
    for english in headings(ENGLISH):
        assert english not in page, english
    # What a reader sees or hears: the text between tags (charts' SVG text too) and the charts'
    # alternative texts (section ids such as "students" are no words).
    said = " ".join([re.sub(r"<[^>]+>", " ", page), *re.findall(r'aria-label="([^"]*)"', page)])
    for phrase in ("program report", "no data yet", "Made by microintern", "INTERNAL USE", "Stage",
                   "Students", "Session", "Confirmed hours", "Attended", "students", "Average ratings",
                   "selection rate", "partners now", "on time", "confirmed per student", "Funnel"):
        assert phrase not in said, phrase
    assert "<title>Micropasantías de Mesa Valley, primavera de 2027: informe del programa</title>" in page
    assert "Generado por microintern a partir de la hoja del programa el 20 de mayo de 2027" in page
    assert "Becarios de datos" in page and "Data Fellows" not in page   # the config's Spanish title
    assert "Limpiar un conjunto de datos real" in page                  # the assignment's too
    assert "La sesión en general" in page                               # the ratings as the form asks


def test_the_spanish_figures_are_written_the_spanish_way(spanish: Any) -> None:
    page = spanish.html.decode("utf-8")
    funnel = page[page.index('<section id="funnel"'):page.index('<section id="attendance"')]
    # 5 applied, 2 accepted: 40 % with a no-break space, as Spanish writes a percentage.
    assert "<td>Fueron aceptados</td><td>2</td><td>40\u00a0%</td>" in funnel.replace("\n", "").replace(
        ' class="text"', "")
    assert "12,5" in page and "12.5" not in page                          # confirmed hours
    assert 'aria-label="Embudo: Presentaron solicitud 5, Fueron aceptados 2' in page


def test_the_spanish_pdf_reads_back_in_spanish_with_its_language_and_title(spanish: Any) -> None:
    reader = PdfReader(io.BytesIO(spanish.pdf))
    assert reader.trailer["/Root"]["/Lang"] == "es"
    assert reader.metadata is not None
    assert reader.metadata.title == "Micropasantías de Mesa Valley, primavera de 2027: informe del programa"
    assert [item.title for item in reader.outline] == headings(SPANISH)
    text = pdf_text(spanish.pdf)
    for heading in headings(SPANISH):
        assert heading in text, heading
    for english in [*headings(ENGLISH), "program report", "page 1", "INTERNAL USE"]:
        assert english not in text, english
    assert "página 1" in text and "USO INTERNO" in text


def test_names_keep_their_letters_in_the_spanish_report(spanish: Any) -> None:
    page = spanish.html.decode("utf-8")
    text = " ".join(pdf_text(spanish.pdf).split())
    for name in (NAME, "Zoë Łukasz"):
        assert name in page and name in text, name
    # The internal table's yes and no in Spanish: attended, badge.
    assert re.search(rf"<td[^>]*>{NAME}</td><td[^>]*>Becarios de datos[^<]*</td><td[^>]*>sí</td>"
                     r"<td[^>]*>sí</td>", page)


def test_the_rendered_report_keeps_the_default_languages_names_for_the_dashboard(spanish: Any) -> None:
    assert spanish.language == "es"
    assert [h.title for h in spanish.report.hours] == ["Data Fellows: Six Weeks of Real-World Math"]
    assert spanish.report.program == "Mesa Valley Micro-Internships, Spring 2027"


def test_the_spanish_sections_read_as_prose(config: ProgramConfig) -> None:
    report = in_language(build_report(config, rows(), now=config.first_meeting(), include_names=True),
                         config, "es")
    shown = [text for section in sections(report, SPANISH)
             for text in (section.heading, section.lead, *(t.caption for t in section.tables),
                          *(h for t in section.tables for h in t.headers))]
    assert len(shown) > 30
    for text in shown:
        assert not re.search(r"`|None|\{|\}|\b[a-z]+_[a-z]+\b(?!\.)",
                             text.replace("min_group_size", "")), text


def test_a_language_without_report_text_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"no report text in 'vi': .*report\.vi\.yaml is missing"):
        load_report_text(TEMPLATES, "vi")
    # A translation that lost a key and a placeholder: both named, nothing rendered.
    shutil.copy(TEMPLATES / "report.en.yaml", tmp_path / "report.en.yaml")
    words = yaml.safe_load((TEMPLATES / "report.es.yaml").read_text(encoding="utf-8"))
    del words["headings"]["hours"]
    words["sections"]["partners"]["lead"] = "Empresas: {engaged}."
    (tmp_path / "report.es.yaml").write_text(yaml.safe_dump(words, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TemplateError) as raised:
        load_report_text(tmp_path, "es")
    assert "headings.hours is missing" in str(raised.value)
    assert "sections.partners.lead needs the placeholders {engaged}, {total}" in str(raised.value)


def run(config_file: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config_file), "report", "--now", "2027-06-01T09:00",
                                    "--no-pdf", *args])


def test_the_command_writes_the_language_asked_for_and_names_a_missing_file(tmp_path: Path) -> None:
    config_file = write_config(tmp_path)
    done = run(config_file, "--out", str(tmp_path / "es"), "--language", "es")
    assert done.exit_code == 0, done.output
    assert "(es)" in done.output
    assert '<html lang="es">' in (tmp_path / "es" / "report.html").read_text(encoding="utf-8")

    done = run(config_file, "--out", str(tmp_path / "fr"), "--language", "fr")
    assert done.exit_code == 2 and "'fr' is not a program language (en, es)" in done.output

    # The program's templates without the Spanish report text.
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "report.es.yaml").unlink()
    config_file = write_config(tmp_path, templates_folder=str(templates))
    done = run(config_file, "--out", str(tmp_path / "none"), "--language", "es")
    assert done.exit_code == 2, done.output
    assert f"{templates / 'report.es.yaml'} is missing" in done.output
    assert not (tmp_path / "none" / "report.html").exists()


def test_the_default_is_the_programs_default_language(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    program = {**data["program"], "default_language": "es"}
    config_file = write_config(tmp_path, program=program)
    done = run(config_file, "--out", str(tmp_path))
    assert done.exit_code == 0, done.output + repr(done.exception)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in page and "De la solicitud a la insignia" in page
    done = run(config_file, "--out", str(tmp_path / "en"), "--language", "en")
    assert done.exit_code == 0, done.output
    assert "From application to badge" in (tmp_path / "en" / "report.html").read_text(encoding="utf-8")

    # A default language without report text: the report is written in English, and says why.
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "report.es.yaml").unlink()
    config_file = write_config(tmp_path, program=program, templates_folder=str(templates))
    done = run(config_file, "--out", str(tmp_path / "fallback"))
    assert done.exit_code == 0, done.output
    assert "(en)" in done.output and "no report text in 'es' (templates/report.es.yaml)" in done.output
    assert '<html lang="en">' in (tmp_path / "fallback" / "report.html").read_text(encoding="utf-8")
