"""Any language Babel knows (issue 15), on the local backend: a language exists when its templates do.

A program in English, Spanish and Vietnamese whose Vietnamese templates are the English ones
copied to ``*.vi.*`` names (the acceptance letter with one Vietnamese sentence, so the letter
shows which template it came from): a Vietnamese-reading family gets the Vietnamese acceptance
letter with its dates in Vietnamese (Babel's CLDR data), check-config passes, and a missing
Vietnamese template fails check-config (exit 2) naming it. A code Babel does not know is refused
at its key.
"""

from __future__ import annotations

import email
import email.policy
import shutil
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from babel.dates import format_date
from click.testing import CliRunner, Result
from programs import ROOT, write_config

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import LANGUAGES, ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.errors import ConfigError
from microintern.steps.decisions import send_decisions
from microintern.steps.participation import collect_release_forms, register_students
from microintern.steps.setup import initialise
from microintern.steps.template_check import form_notes

DECISIONS = datetime.fromisoformat("2027-02-16T06:30-08:00")
VIETNAMESE = "Chúc mừng, em đã được nhận vào chương trình."
RELEASE_VI = "Xin quý phụ huynh điền mẫu đơn đồng ý."
SESSION = "cyber-basics"
RELEASE = datetime.fromisoformat("2027-02-23T06:30-08:00")


def check(config_file: Path) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), "check-config"], catch_exceptions=False)


def with_vietnamese(tmp_path: Path) -> Path:
    """The project's templates plus a Vietnamese copy of every English letter and flyer."""
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    for english in [*folder.glob("email/*.en.*"), *folder.glob("flyer/*.en.*")]:
        shutil.copy(english, english.with_name(english.name.replace(".en.", ".vi.")))
    letter = folder / "email" / "acceptance.vi.txt.j2"
    letter.write_text(f"{VIETNAMESE} {{{{ program.decisions_by }}}}\n\n"
                      + letter.read_text(encoding="utf-8"), encoding="utf-8")
    release = folder / "email" / "release_form.vi.txt.j2"
    release.write_text(f"{RELEASE_VI}\n\n" + release.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def three_languages(tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "config" / "program.example.yaml").read_text(encoding="utf-8"))
    program = {**data["program"], "languages": ["en", "es", "vi"]}
    return write_config(tmp_path, program=program, templates_folder=str(with_vietnamese(tmp_path)))


def sent(config: ProgramConfig) -> list[EmailMessage]:
    folder = config.resolve(config.local.folder) / "outbox" / "sent"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def test_a_vietnamese_family_gets_the_vietnamese_letter_with_vietnamese_dates(tmp_path: Path) -> None:
    config = load_config(three_languages(tmp_path))
    roster = LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")
    initialise(config, roster)
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.STUDENT_LANGUAGE: language, sheet.LANGUAGE: language,
         "First name": f"Student{applicant[-1]}", "Last name": "Nguyễn",
         "School email address": f"s{applicant[-1]}@students.example",
         "Parent or guardian email": f"g{applicant[-1]}@family.example",
         "Parent or guardian name": f"Guardian {applicant[-1]}", sheet.DECISION: "Accept"}
        for applicant, language in (("A-0000001", "vi"), ("A-0000002", "en"))])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: applicant, sheet.SESSION_ID: SESSION, sheet.PLACEMENT: sheet.PLACED}
        for applicant in ("A-0000001", "A-0000002")])
    send_decisions(step_context(config, DECISIONS))
    register_students(step_context(config, DECISIONS), [SESSION])
    collect_release_forms(step_context(config, RELEASE), [SESSION])
    letters = {str(m[KEY_HEADER]): m for m in sent(config)}
    vietnamese = text_of(letters[f"{config.program.id}/acceptance/A-0000001/-"])
    english = text_of(letters[f"{config.program.id}/acceptance/A-0000002/-"])
    # Decisions are due four weeks before the first meeting (program_context).
    decisions_by = (config.first_meeting() - timedelta(weeks=4)).date()
    # The vi template, with the date in Vietnamese as Babel writes it ("12 tháng 2, 2027").
    assert vietnamese.startswith(f"{VIETNAMESE} {format_date(decisions_by, 'long', locale='vi')}")
    assert "tháng" in vietnamese
    assert english.startswith("Hi Student2,") and VIETNAMESE not in english
    # The release form has no Vietnamese text: the family's letter is the vi one and links the
    # default language's (English) form; no Vietnamese form is made.
    release = text_of(letters[f"{config.program.id}/release_form/A-0000001/{SESSION}"])
    assert release.startswith(RELEASE_VI) and "/release-en?" in release
    registration = text_of(letters[f"{config.program.id}/registration/A-0000001/{SESSION}"])
    assert "/registration?" in registration
    assert not [m for m in letters.values() if "-vi?" in text_of(m)]
    assert form_notes(config) == [
        f"{form} form: no Tiếng Việt text; families reading vi get the English form"
        for form in ("registration", "release", "feedback")]


def test_check_config_passes_and_names_a_missing_vietnamese_template(tmp_path: Path) -> None:
    config_file = three_languages(tmp_path)
    result = check(config_file)
    assert result.exit_code == 0, result.output
    assert "(en, es, vi)" in result.output
    (tmp_path / "templates" / "email" / "denial.vi.html.j2").unlink()
    result = check(config_file)
    assert result.exit_code == 2, result.output
    assert "denial (Tiếng Việt, vi): missing email/denial.vi.html.j2" in result.output


def test_a_language_babel_does_not_know_is_refused_at_its_key(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "config" / "program.example.yaml").read_text(encoding="utf-8"))
    config_file = write_config(tmp_path, program={**data["program"], "languages": ["en", "es", "xx"]})
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    assert "program.languages[2]: expected a language code Babel knows" in str(caught.value)
    assert "found 'xx'" in str(caught.value)


def test_languages_are_named_in_their_own_language() -> None:
    assert (LANGUAGES["en"], LANGUAGES["es"], LANGUAGES["vi"]) == ("English", "Español", "Tiếng Việt")
    assert "xx" not in LANGUAGES and LANGUAGES.get("xx", "xx") == "xx"


def test_check_config_tells_which_forms_a_vietnamese_family_gets_in_english(tmp_path: Path) -> None:
    result = check(three_languages(tmp_path))
    assert result.exit_code == 0, result.output
    for form in ("registration", "release", "feedback"):
        assert (f"  note: {form} form: no Tiếng Việt text; families reading vi get the English form"
                in result.output), result.output


def test_an_application_names_the_family_language_in_its_own_words() -> None:
    from microintern.domain.applicants import language_of

    program = ["en", "es", "vi"]
    for answer in ("Tiếng Việt", "tiếng việt", "Vietnamese", "vi"):
        assert language_of(answer, "en", program) == "vi", answer
    assert language_of("Español", "en", program) == "es"
    assert language_of("Tiếng Việt", "en", ["en", "es"]) == "en"   # not a program language
    assert language_of("Klingon", "es", program) == "es"


def test_a_region_code_with_a_dash_formats_dates_and_times() -> None:
    from microintern.steps.letter_context import clock_in, day_in

    moment = datetime.fromisoformat("2027-03-16T15:30-07:00")
    assert day_in(moment.date(), "pt-BR") == day_in(moment.date(), "pt_BR")
    assert "março" in day_in(moment.date(), "pt-BR")
    assert clock_in(moment, "pt-BR") == clock_in(moment, "pt_BR")


def test_forms_without_vietnamese_text_are_made_only_in_the_languages_they_have(tmp_path: Path) -> None:
    from microintern.steps.partners import industry_form_languages
    from microintern.steps.program_forms import languages_with_text

    data = yaml.safe_load((ROOT / "config" / "program.example.yaml").read_text(encoding="utf-8"))
    partners = [{**data["partners"][0], "language": "vi"}, *data["partners"][1:]]
    config = load_config(write_config(tmp_path, program={**data["program"], "languages": ["en", "es", "vi"]},
                                      partners=partners, templates_folder=str(with_vietnamese(tmp_path))))
    # No "hours-vi" or "hand-in-vi" form repeating the English text: a vi reader's letter links
    # the default language's form (program_forms.link_in).
    assert languages_with_text(config, config.form_texts.languages("hours")) == ["en", "es"]
    assert languages_with_text(config, config.form_texts.languages("hand-in")) == ["en", "es"]
    assert industry_form_languages(config) == ["en"]     # a partner reading vi gets the English one
