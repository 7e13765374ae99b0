"""Letters render strictly: a missing field names the template and row; HTML is escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import DictLoader, FileSystemLoader

from microintern.domain.letters import LetterRenderer, choose_language, make_environment
from microintern.errors import TemplateError

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = {
    "program": {"name": "Mesa Valley Micro-Internships", "district": "Mesa Valley USD",
                "deadline": "February 12, 2027", "decisions_by": "February 16, 2027"},
    "coordinator": {"name": "Dana Whitfield", "email": "dana@mesavalley.example"},
    "applicant": {"first_name": "Zoë", "id": "A-ABCDEFGH", "submitted": "2027-01-27 14:03:00"},
}


def renderer(templates: dict[str, str] | None = None) -> LetterRenderer:
    loader = DictLoader(templates) if templates else FileSystemLoader(str(ROOT / "templates"))
    return LetterRenderer(make_environment(loader), default_language="en")


def test_shipped_letter_renders_in_both_languages() -> None:
    english = renderer().render("application_received", "en", CONTEXT, row="A-ABCDEFGH")
    spanish = renderer().render("application_received", "es", CONTEXT, row="A-ABCDEFGH")
    # Issue 14: no applicant-typed text in a Subject (the public form must not relay text).
    assert english.subject == "We received your application to Mesa Valley Micro-Internships"
    assert spanish.subject == "Recibimos tu solicitud para Mesa Valley Micro-Internships"
    assert "A-ABCDEFGH" in english.text and "A-ABCDEFGH" in spanish.html
    assert 'lang="es"' in spanish.html
    assert "Mesa Valley Micro-Internships" in english.html


def test_unknown_language_falls_back_to_default() -> None:
    letter = renderer().render("application_received", "fr", CONTEXT, row="A-1")
    assert letter.language == "en"
    assert choose_language("es", ["en", "es"], "en") == "es"
    assert choose_language("de", ["en", "es"], "en") == "en"


def test_missing_field_names_template_row_and_field() -> None:
    context = {**CONTEXT, "applicant": {"id": "A-ABCDEFGH", "submitted": "x"}}
    with pytest.raises(TemplateError) as caught:
        renderer().render("application_received", "en", context, row="A-ABCDEFGH")
    message = str(caught.value)
    assert "email/application_received.en.txt.j2" in message
    assert "row A-ABCDEFGH" in message
    assert "first_name" in message


def test_html_escapes_applicant_input_and_subject_is_one_line() -> None:
    hostile = {**CONTEXT, "applicant": {**CONTEXT["applicant"],
                                         "first_name": "<script>alert(1)</script>\r\nBcc: x@y.org"}}
    letter = renderer().render("application_received", "en", hostile, row="A-1")
    assert "<script>" not in letter.html
    assert "&lt;script&gt;" in letter.html
    assert "\n" not in letter.subject and "\r" not in letter.subject


def test_sandbox_blocks_unsafe_attribute_access() -> None:
    templates = {
        "email/evil.en.subject.j2": "{{ applicant.__class__.__mro__ }}",
        "email/evil.en.txt.j2": "x",
        "email/evil.en.html.j2": "x",
    }
    with pytest.raises(TemplateError, match="row A-1"):
        renderer(templates).render("evil", "en", CONTEXT, row="A-1")


def test_missing_template_is_reported() -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        renderer().render("no_such_letter", "en", CONTEXT, row="A-1")
