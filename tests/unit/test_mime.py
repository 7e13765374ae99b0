"""build_mime: one recipient per field, no header injection, Unicode that round-trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from microintern.domain.mime import (
    KEY_HEADER,
    build_mime,
    message_key_id,
    parse_single_address,
)
from microintern.domain.records import Attachment, OutgoingMessage

BASE = OutgoingMessage(
    key="decision:app-0042:accept",
    sender="Micro-internships <internships@district.example.org>",
    to="Ana Pérez <ana@students.example.org>",
    subject="Your application",
    text="Hello Ana,\nyou are in.\n",
    html="<p>Hello Ana,<br>you are in.</p>",
)


def body(message: EmailMessage, kind: str) -> str:
    """A body part's text with the wire's CRLF line ends turned back into LF."""
    part = message.get_body((kind,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def all_recipients(message: EmailMessage) -> list[str]:
    found = []
    for field in ("To", "Cc", "Bcc"):
        header = message[field]
        if header is not None:
            found += [address.addr_spec for address in header.addresses]
    return found


def test_basic_headers_and_parts() -> None:
    data = build_mime(BASE, date=datetime(2025, 9, 15, 8, 30, tzinfo=UTC))
    message = parse(data)
    assert message["From"].addresses[0].addr_spec == "internships@district.example.org"
    assert [a.addr_spec for a in message["To"].addresses] == ["ana@students.example.org"]
    assert message["To"].addresses[0].display_name == "Ana Pérez"
    assert message["Cc"] is None
    assert message["Reply-To"] is None
    assert message["Subject"] == "Your application"
    assert message["Date"].datetime == datetime(2025, 9, 15, 8, 30, tzinfo=UTC)
    assert message[KEY_HEADER] == BASE.key
    assert message["Message-ID"] == f"<{message_key_id(BASE.key)}@microintern.local>"
    assert message.get_content_type() == "multipart/alternative"
    assert body(message, "plain") == BASE.text
    assert body(message, "html").strip() == BASE.html
    # Every line ends CRLF and no header line passes the hard 998 limit.
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def test_no_date_without_one_given_and_naive_date_refused() -> None:
    assert parse(build_mime(BASE))["Date"] is None
    with pytest.raises(ValueError, match="date"):
        build_mime(BASE, date=datetime(2025, 9, 15, 8, 30))


def test_date_keeps_its_offset() -> None:
    moment = datetime(2025, 3, 9, 1, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert parse(build_mime(BASE, date=moment))["Date"].datetime == moment


def test_message_id_is_deterministic_per_key_and_domain() -> None:
    first = parse(build_mime(BASE, domain="district.example.org"))
    again = parse(build_mime(BASE, domain="district.example.org"))
    other = parse(build_mime(replace(BASE, key="decision:app-0043:accept")))
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@district.example.org>")
    assert other["Message-ID"] != first["Message-ID"]
    assert len(message_key_id("x")) == 32


def test_same_message_renders_to_same_bytes() -> None:
    message = replace(BASE, attachments=(Attachment("flyer.pdf", "application/pdf", b"%PDF"),))
    assert build_mime(message) == build_mime(message)


def test_reply_to_and_cc_only_from_their_fields() -> None:
    message = replace(
        BASE,
        reply_to="Coordinator <coord@district.example.org>",
        cc=("Guardian <guardian@family.example.org>", "teacher@district.example.org"),
    )
    parsed = parse(build_mime(message))
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["coord@district.example.org"]
    assert [a.addr_spec for a in parsed["Cc"].addresses] == [
        "guardian@family.example.org",
        "teacher@district.example.org",
    ]
    assert [a.addr_spec for a in parsed["To"].addresses] == ["ana@students.example.org"]
    assert parsed["Bcc"] is None


@pytest.mark.parametrize(
    "subject",
    [
        "Hello\r\nBcc: victim@evil.example",
        "Hello\nTo: second@evil.example",
        "Hello\rCc: third@evil.example",
        "Hello\x00\x1b[31m\u2028X-Injected: yes\x85more",
    ],
)
def test_cr_lf_and_controls_in_subject_are_harmless(subject: str) -> None:
    data = build_mime(replace(BASE, subject=subject))
    parsed = parse(data)
    assert all_recipients(parsed) == ["ana@students.example.org"]
    assert parsed["X-Injected"] is None
    assert "\n" not in parsed["Subject"] and "\r" not in parsed["Subject"]
    assert parsed["Subject"].startswith("Hello ")
    assert not parsed.defects


@pytest.mark.parametrize(
    "to",
    [
        "Ana\r\nBcc: victim@evil.example <ana@students.example.org>",
        "Ana\nCc: x@evil.example\n <ana@students.example.org>",
        "Ana\r\n\r\nInjected body <ana@students.example.org>",
    ],
)
def test_cr_lf_in_display_name_is_harmless(to: str) -> None:
    parsed = parse(build_mime(replace(BASE, to=to)))
    assert all_recipients(parsed) == ["ana@students.example.org"]
    assert "\n" not in parsed["To"].addresses[0].display_name
    assert body(parsed, "plain") == BASE.text


@pytest.mark.parametrize(
    ("to", "expected_name"),
    [
        ('<script>alert("x")</script> <ana@students.example.org>', '<script>alert("x")</script>'),
        ("<script>alert(1)</script>, Bob <ana@students.example.org>", "<script>alert(1)</script>, Bob"),
        ('"Pérez, Ana \\"Anita\\"" <ana@students.example.org>', 'Pérez, Ana "Anita"'),
        ('"Eve <eve@evil.example>, x" <ana@students.example.org>', "Eve <eve@evil.example>, x"),
        ("Ana 'O'Brien'; DROP <ana@students.example.org>", "Ana 'O'Brien'; DROP"),
        ("ana@students.example.org", ""),
    ],
)
def test_hostile_display_name_stays_one_address(to: str, expected_name: str) -> None:
    parsed = parse(build_mime(replace(BASE, to=to)))
    addresses = parsed["To"].addresses
    assert len(addresses) == 1
    assert addresses[0].addr_spec == "ana@students.example.org"
    assert addresses[0].display_name == expected_name
    assert all_recipients(parsed) == ["ana@students.example.org"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("to", "ana.students.example.org", "no @"),
        ("to", "ana@x.example.org, bob@x.example.org", "exactly one"),
        ("to", "ana@x.example.org; bob@x.example.org", "exactly one"),
        ("to", "Ana <ana@x.example.org>, Bob <bob@x.example.org>", "exactly one"),
        ("to", "ana@x.example.org, Bob <bob@x.example.org>", "exactly one"),
        ("to", "Eve <eve@evil.example> <ana@x.example.org>", "exactly one"),
        ("to", "", "empty"),
        ("sender", "nobody", "no @"),
        ("reply_to", "a@b@c.example.org", "exactly one"),
    ],
)
def test_bad_addresses_are_refused_naming_the_field(field: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"{field}.*{message}"):
        build_mime(replace(BASE, **{field: value}))


def test_bad_cc_names_its_index() -> None:
    with pytest.raises(ValueError, match=r"cc\[1\]"):
        build_mime(replace(BASE, cc=("ok@x.example.org", "no-at-sign")))


@pytest.mark.parametrize(
    "name",
    [
        "José Ñúñez-García",
        "محمد بن عبد الله",
        "王小明",
        "山田 太郎",
        "Zoë 🎉 O'Brien",
        "Nguyễn Thị Minh Khai with a rather long name that forces folding somewhere",
    ],
)
def test_unicode_names_and_subjects_round_trip(name: str) -> None:
    subject = f"Bienvenue {name} — مرحبا 你好 🎓, session 3"
    message = replace(BASE, to=f"{name} <ana@students.example.org>", subject=subject)
    data = build_mime(message)
    data.decode("ascii")  # headers are 7-bit; bodies here are quoted-printable/base64
    parsed = parse(data)
    assert parsed["Subject"] == subject
    assert parsed["To"].addresses[0].display_name == name
    assert parsed["To"].addresses[0].addr_spec == "ana@students.example.org"


def test_unicode_bodies_round_trip() -> None:
    text = "Bonjour Zoë 🎉\nمرحبا\n你好\n"
    html = "<p dir='rtl'>مرحبا 🎉</p>"
    parsed = parse(build_mime(replace(BASE, text=text, html=html)))
    assert body(parsed, "plain") == text
    assert body(parsed, "html").strip() == html


def test_internationalized_domain_is_idna_encoded() -> None:
    parsed = parse(build_mime(replace(BASE, to="Ana <ana@école.example.org>")))
    assert parsed["To"].addresses[0].domain == "xn--cole-9oa.example.org"


def test_attachments_are_mixed_parts_around_the_alternative() -> None:
    pdf = b"%PDF-1.4 fake"
    message = replace(
        BASE,
        attachments=(
            Attachment("flyer.pdf", "application/pdf", pdf),
            Attachment("release form – Pérez.txt", "text/plain", "consentement signé".encode()),
            Attachment("bad\r\nname.bin", "not a type", b"\x00\x01"),
        ),
    )
    parsed = parse(build_mime(message))
    assert parsed.get_content_type() == "multipart/mixed"
    parts = list(parsed.iter_parts())
    assert parts[0].get_content_type() == "multipart/alternative"
    attachments = list(parsed.iter_attachments())
    assert [a.get_filename() for a in attachments] == [
        "flyer.pdf",
        "release form – Pérez.txt",
        "bad name.bin",
    ]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content() == pdf
    assert attachments[1].get_content() == "consentement signé"
    assert attachments[1].get_content_charset() == "utf-8"
    assert attachments[2].get_content_type() == "application/octet-stream"
    assert body(parsed, "plain") == BASE.text


def test_text_only_message_has_no_alternative() -> None:
    parsed = parse(build_mime(replace(BASE, html="")))
    assert parsed.get_content_type() == "text/plain"


def test_lone_surrogates_do_not_crash() -> None:
    parsed = parse(build_mime(replace(BASE, subject="bad \ud800 half", text="x \udfff y")))
    assert parsed["Subject"] == "bad \ufffd half"


def test_parse_single_address_truncates_absurd_names() -> None:
    address = parse_single_address("A" * 500 + " <a@b.example.org>", "to")
    assert len(address.display_name) <= 128
    assert address.addr_spec == "a@b.example.org"
