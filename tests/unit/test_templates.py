"""Every letter in the catalog renders from the shipped templates, strictly and safely.

Real rendering through LetterRenderer and the files in templates/email; no mocks.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader

from microintern.domain.catalog import LETTERS, sample_context
from microintern.domain.letters import PARTS, Letter, LetterRenderer, make_environment
from microintern.errors import TemplateError

ROOT = Path(__file__).resolve().parents[2]
EMAIL = ROOT / "templates" / "email"
ROW = "R-42"
HOSTILE = "Ana<script>alert(1)</script>\r\nBcc: x@evil.example"
TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
# Words that give away English left in a Spanish letter (padded with spaces: whole words only).
ENGLISH_ONLY = (" the ", " your ", " you ", " and ", " please ", " with ", " will ", " our ")

CASES = [(name, lang) for name, spec in LETTERS.items() for lang in spec.languages]
BILINGUAL = [name for name, spec in LETTERS.items() if "es" in spec.languages]
MISSING_KEY_CASES = [(name, lang, key) for name, lang in CASES for key in LETTERS[name].needs]
MISSING_LINK_CASES = [(name, lang, link) for name, lang in CASES for link in LETTERS[name].links]
STUDENT_CASES = [(name, lang) for name, lang in CASES if "applicant" in LETTERS[name].needs]
SESSION_LETTERS = [name for name, spec in LETTERS.items() if "session" in spec.needs]
SPANISH_FAMILY = [name for name in BILINGUAL if LETTERS[name].audience == "family"]
SPANISH_STUDENT = [name for name in BILINGUAL if LETTERS[name].audience == "student"]


@pytest.fixture(scope="module")
def letters() -> LetterRenderer:
    return LetterRenderer(make_environment(FileSystemLoader(str(ROOT / "templates"))),
                          default_language="en")


def render(letters: LetterRenderer, name: str, lang: str, context: dict[str, Any]) -> Letter:
    return letters.render(name, lang, context, row=ROW)


def visible_text(html: str) -> str:
    return TAG.sub(" ", html)


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_every_letter_has_its_parts_and_renders_with_its_sample(
        letters: LetterRenderer, name: str, lang: str) -> None:
    for part in PARTS:
        assert (EMAIL / f"{name}.{lang}.{part}.j2").is_file(), f"{name}.{lang}.{part}.j2 is missing"
    context = sample_context(name, lang)
    letter = render(letters, name, lang, context)
    assert letter.language == lang  # rendered in its own language, not a fallback
    assert letter.subject.strip()
    assert "\n" not in letter.subject and "\r" not in letter.subject
    assert not TAG.search(letter.text), f"HTML tag in the text part: {TAG.search(letter.text)}"
    assert f'lang="{lang}"' in letter.html
    assert context["coordinator"]["name"] in letter.text  # signed
    for body in (letter.subject, letter.text, letter.html):
        assert "{{" not in body and "{%" not in body


def test_template_files_match_the_catalog_exactly() -> None:
    on_disk = {p.name for p in EMAIL.glob("*.j2") if not p.name.startswith("_")}
    expected = {f"{name}.{lang}.{part}.j2" for name, lang in CASES for part in PARTS}
    assert sorted(on_disk - expected) == [], "orphan templates"
    assert sorted(expected - on_disk) == [], "missing templates"


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_sample_context_holds_exactly_the_needed_keys_and_links(name: str, lang: str) -> None:
    spec = LETTERS[name]
    context = sample_context(name, lang)
    assert set(context) == set(spec.needs)
    if "links" in spec.needs:
        assert spec.links and set(context["links"]) == set(spec.links)
    else:
        assert spec.links == ()


@pytest.mark.parametrize(("name", "lang", "key"), MISSING_KEY_CASES)
def test_each_needed_key_is_required(letters: LetterRenderer, name: str, lang: str, key: str) -> None:
    context = sample_context(name, lang)
    del context[key]
    with pytest.raises(TemplateError) as caught:
        render(letters, name, lang, context)
    message = str(caught.value)
    assert f"email/{name}.{lang}." in message
    assert f"row {ROW}" in message


@pytest.mark.parametrize(("name", "lang", "link"), MISSING_LINK_CASES)
def test_each_listed_link_is_required(letters: LetterRenderer, name: str, lang: str, link: str) -> None:
    context = sample_context(name, lang)
    del context["links"][link]
    with pytest.raises(TemplateError, match=f"row {ROW}.*{link}"):
        render(letters, name, lang, context)


@pytest.mark.parametrize(("name", "lang"), STUDENT_CASES)
def test_hostile_first_name_is_escaped_and_subject_stays_one_line(
        letters: LetterRenderer, name: str, lang: str) -> None:
    context = sample_context(name, lang)
    context["applicant"]["first_name"] = HOSTILE
    letter = render(letters, name, lang, context)
    assert "<script>" not in letter.html
    assert "&lt;script&gt;" in letter.html
    assert "\n" not in letter.subject and "\r" not in letter.subject


def test_hostile_roster_and_testimonial_are_escaped_in_partner_letters(letters: LetterRenderer) -> None:
    run_sheet = sample_context("run_sheet", "en")
    run_sheet["roster"][0]["first_name"] = HOSTILE
    thanks = sample_context("partner_thanks", "en")
    thanks["testimonials"][0]["text"] = HOSTILE
    thanks["partner"]["contact_name"] = HOSTILE
    for name, context in (("run_sheet", run_sheet), ("partner_thanks", thanks)):
        letter = render(letters, name, "en", context)
        assert "<script>" not in letter.html and "&lt;script&gt;" in letter.html
        assert "\n" not in letter.subject


@pytest.mark.parametrize("name", BILINGUAL)
def test_spanish_differs_from_english_and_reads_as_spanish(letters: LetterRenderer, name: str) -> None:
    english = render(letters, name, "en", sample_context(name, "en"))
    spanish = render(letters, name, "es", sample_context(name, "es"))
    assert spanish.subject != english.subject
    assert spanish.text != english.text
    assert visible_text(spanish.html) != visible_text(english.html)
    for body in (spanish.subject, spanish.text, visible_text(spanish.html)):
        lowered = f" {' '.join(body.lower().split())} "
        leftovers = [word.strip() for word in ENGLISH_ONLY if word in lowered]
        assert leftovers == [], f"English words in the Spanish {name}: {leftovers}"


@pytest.mark.parametrize("name", SPANISH_FAMILY)
def test_spanish_family_letters_say_usted_not_tu(letters: LetterRenderer, name: str) -> None:
    text = render(letters, name, "es", sample_context(name, "es")).text.lower()
    assert not re.search(r"\b(tú|tu|tus|te|ti)\b", text)
    assert re.search(r"\b(usted|responda|le)\b", text)


@pytest.mark.parametrize("name", SPANISH_STUDENT)
def test_spanish_student_letters_say_tu(letters: LetterRenderer, name: str) -> None:
    text = render(letters, name, "es", sample_context(name, "es")).text.lower()
    assert re.search(r"\b(tu|te)\b", text)
    assert not re.search(r"\busted\b", text)


def test_multi_week_sample_lists_every_meeting_date(letters: LetterRenderer) -> None:
    multi = [(name, lang) for name, lang in CASES
             if "session" in LETTERS[name].needs and sample_context(name, lang)["session"]["multi_week"]]
    assert ("session_details_student", "en") in multi and ("session_details_student", "es") in multi
    for name, lang in multi:
        context = sample_context(name, lang)
        meetings = context["session"]["meetings"]
        assert len(meetings) > 1
        letter = render(letters, name, lang, context)
        for meeting in meetings:
            assert meeting["date"] in letter.text, f"{name}.{lang} text lacks {meeting['date']}"
            assert meeting["date"] in letter.html, f"{name}.{lang} html lacks {meeting['date']}"


def test_single_meeting_samples_exist() -> None:
    single = [name for name in SESSION_LETTERS
              if len(sample_context(name, "en")["session"]["meetings"]) == 1]
    assert "session_reminder" in single and "run_sheet" in single


@pytest.mark.parametrize("name", SESSION_LETTERS)
@pytest.mark.parametrize("kind", ["single", "multi_week"])
def test_session_letters_render_either_kind_of_session(letters: LetterRenderer, name: str, kind: str) -> None:
    donor = "session_reminder" if kind == "single" else "session_details_student"
    for lang in LETTERS[name].languages:
        context = sample_context(name, lang)
        context["session"] = sample_context(donor, lang)["session"]
        letter = render(letters, name, lang, context)
        assert context["session"]["title"] in letter.text
        for leaked in ("None", "True", "False", "[{", "{'"):  # a Python value printed as is
            assert leaked not in letter.text and leaked not in letter.html


def test_partner_thanks_without_testimonials_has_no_quotes(letters: LetterRenderer) -> None:
    context = sample_context("partner_thanks", "en")
    context["testimonials"] = []
    letter = render(letters, "partner_thanks", "en", context)
    assert "<blockquote" not in letter.html
    assert "&ldquo;" not in letter.html and "\u201c" not in letter.html
    assert '"' not in letter.text.split("A few numbers", 1)[1]
    assert "none came in this time" in letter.text


def test_partner_thanks_quotes_each_testimonial_with_first_name(letters: LetterRenderer) -> None:
    context = sample_context("partner_thanks", "en")
    letter = render(letters, "partner_thanks", "en", context)
    for testimonial in context["testimonials"]:
        assert f'"{testimonial["text"]}"\n- {testimonial["first_name"]}' in letter.text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_waitlist_position_is_shown_only_when_known(letters: LetterRenderer, lang: str) -> None:
    context = sample_context("waitlist", lang)
    known = render(letters, "waitlist", lang, context)
    context["outcome"] = {"waitlist_position": None}
    unknown = render(letters, "waitlist", lang, context)
    word = "number" if lang == "en" else "número"
    assert f"{word} 3" in known.text
    assert word not in unknown.text and "None" not in unknown.text


@pytest.mark.parametrize(("lang", "ordinal"), [("en", "second"), ("es", "segundo")])
def test_release_reminder_counts_reminders(letters: LetterRenderer, lang: str, ordinal: str) -> None:
    context = sample_context("release_form_reminder", lang)
    assert context["reminder"]["number"] == 2
    assert f" {ordinal} " in render(letters, "release_form_reminder", lang, context).text
    context["reminder"]["number"] = 9
    assert "9" not in render(letters, "release_form_reminder", lang, context).subject


def test_no_student_or_family_letter_needs_a_roster() -> None:
    private = [name for name, spec in LETTERS.items()
               if spec.audience in ("student", "family") and "roster" in spec.needs]
    assert private == []
    assert LETTERS["run_sheet"].audience not in ("student", "family")


def test_catalog_descriptions_and_languages() -> None:
    for name, spec in LETTERS.items():
        assert spec.name == name
        assert spec.description.strip() and "\n" not in spec.description
        assert spec.languages in (("en",), ("en", "es"))
        if spec.audience in ("student", "family"):
            assert spec.languages == ("en", "es")


def test_sample_context_is_a_fresh_copy_and_rejects_unknowns() -> None:
    first = sample_context("session_details_student", "en")
    first["session"]["meetings"].clear()
    assert sample_context("session_details_student", "en")["session"]["meetings"]
    with pytest.raises(ValueError, match="unknown letter"):
        sample_context("no_such_letter", "en")
    with pytest.raises(ValueError, match="not 'es'"):
        sample_context("recruitment", "es")


def test_spanish_samples_use_spanish_values() -> None:
    english = sample_context("session_reminder", "en")
    spanish = sample_context("session_reminder", "es")
    assert spanish["session"]["title"] != english["session"]["title"]
    assert "p. m." in spanish["session"]["meetings"][0]["start"]
    assert spanish["applicant"]["first_name"] != english["applicant"]["first_name"]
    assert copy.deepcopy(spanish) == sample_context("session_reminder", "es")
