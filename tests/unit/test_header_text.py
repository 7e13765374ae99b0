"""Header text is always one clean line; a name never splits a line of a letter's body."""

from __future__ import annotations

from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from jinja2 import DictLoader

from microintern.domain.hidden_text import BIDI_CONTROLS, ZERO_WIDTH
from microintern.domain.letters import LetterRenderer, display_context, make_environment
from microintern.domain.mime import build_mime, clean_header, parse_single_address
from microintern.domain.records import OutgoingMessage

BASE = OutgoingMessage(
    key="decision:A-T0001:accept",
    sender="Micro-internships <internships@district.example.org>",
    to="Ana Rivera <ana@students.example.org>",
    subject="Your application",
    text="Hello Ana,\nyou are in.\n",
    html="<p>Hello Ana,<br>you are in.</p>",
)
HIDDEN = BIDI_CONTROLS | ZERO_WIDTH


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def header_names(data: bytes) -> list[str]:
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line and not line[0].isspace()]


def test_a_subject_with_a_line_break_is_one_line_and_adds_no_header() -> None:
    data = build_mime(replace(BASE, subject="Welcome, Ana\r\nBcc: everyone@x.example"))
    parsed = parse(data)
    assert parsed["Subject"] == "Welcome, Ana Bcc: everyone@x.example"
    assert header_names(data) == header_names(build_mime(BASE))  # the same headers, no Bcc
    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["ana@students.example.org"]
    assert not parsed.defects


@pytest.mark.parametrize(
    "subject",
    ["Welcome, \u202eanA", "Welcome, A\u200bna\u2060", "Welcome,\u2067 Ana\u2069",
     "\ufeffWelcome, Ana\u200f"],
)
def test_no_bidi_or_invisible_character_reaches_the_subject(subject: str) -> None:
    parsed = parse(build_mime(replace(BASE, subject=subject)))
    assert not set(parsed["Subject"]) & HIDDEN
    assert parsed["Subject"] in ("Welcome, anA", "Welcome, Ana")


def test_display_names_are_one_clean_line() -> None:
    to = "Ana\t\u202eRivera\u200b\r\nX-Injected: yes <ana@students.example.org>"
    data = build_mime(replace(BASE, to=to))
    parsed = parse(data)
    [address] = parsed["To"].addresses
    assert address.display_name == "Ana Rivera X-Injected: yes"
    assert address.addr_spec == "ana@students.example.org"
    assert parsed["X-Injected"] is None


def test_an_emoji_keeps_its_joiner_in_a_header() -> None:
    parsed = parse(build_mime(replace(BASE, subject="Badge for Zoë 👩\u200d🔬")))
    assert parsed["Subject"] == "Badge for Zoë 👩\u200d🔬"


@pytest.mark.parametrize("to", ["ana\u200b@students.example.org", "Ana <ana@students\u202e.example.org>"])
def test_an_address_with_hidden_characters_is_refused_not_quietly_fixed(to: str) -> None:
    with pytest.raises(ValueError, match="to: address holds invisible or bidi characters"):
        build_mime(replace(BASE, to=to))
    with pytest.raises(ValueError, match="to: "):
        parse_single_address(to, "to")


def test_clean_header_folds_tabs_and_runs_of_whitespace() -> None:
    assert clean_header("  Your\t\tapplication \r\n  is\u2028in \x00 ") == "Your application is in"


# --- letters ------------------------------------------------------------------------------------

TEMPLATES = {
    "email/acceptance.en.subject.j2": "You are in, {{ applicant.first_name }}!",
    "email/acceptance.en.txt.j2": "Dear {{ applicant.first_name }} {{ applicant.last_name }},\n"
                                  "welcome to {{ session.title }} with {{ session.teacher_name }}.\n"
                                  "{% for s in roster %}- {{ s.first_name }} ({{ s.school }})\n{% endfor %}"
                                  "Partner's note:\n{{ feedback.text }}\n",
    "email/acceptance.en.html.j2": "<p>Dear {{ applicant.first_name }},</p><p>{{ feedback.text }}</p>",
}
CONTEXT = {
    "applicant": {"first_name": "Ana\r\nBcc: everyone@x.example", "last_name": "Rivera\u202egnp.exe",
                  "id": "A-T0001"},
    "session": {"title": "Health", "teacher_name": "Ms.\nHolloway"},
    "roster": [{"first_name": "Li\u200bMing", "school": "Mesa\tValley\nHigh"}],
    "feedback": {"text": "Great start.\nKeep going."},
}


def test_a_name_with_a_line_break_never_splits_a_body_line_nor_the_subject() -> None:
    renderer = LetterRenderer(make_environment(DictLoader(TEMPLATES)), default_language="en")
    letter = renderer.render("acceptance", "en", CONTEXT, row="A-T0001")
    assert letter.subject == "You are in, Ana Bcc: everyone@x.example!"
    assert letter.text.splitlines() == [
        "Dear Ana Bcc: everyone@x.example Riveragnp.exe,",
        "welcome to Health with Ms. Holloway.",
        "- LiMing (Mesa Valley High)",
        "Partner's note:",
        "Great start.",  # multi-line fields keep their lines
        "Keep going.",
    ]
    assert not set(letter.text + letter.html + letter.subject) & HIDDEN


def test_display_context_cleans_only_name_like_values_and_leaves_the_input_alone() -> None:
    cleaned = display_context(CONTEXT)
    assert cleaned["applicant"]["first_name"] == "Ana Bcc: everyone@x.example"
    assert cleaned["applicant"]["id"] == "A-T0001"
    assert cleaned["roster"] == [{"first_name": "LiMing", "school": "Mesa Valley High"}]
    assert cleaned["feedback"]["text"] == "Great start.\nKeep going."
    assert CONTEXT["applicant"]["first_name"] == "Ana\r\nBcc: everyone@x.example"  # not mutated
