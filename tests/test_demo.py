"""`make demo` end to end: every message it writes is valid, single-recipient and safe."""

from __future__ import annotations

import csv
import email
import email.policy
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest

from microintern.demo import run_demo
from microintern.domain.catalog import LETTERS
from microintern.domain.mime import KEY_HEADER

APPLICANTS = 48


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("demo") / "demo-output"
    lines: list[str] = []
    run_demo(out, seed=7, applicants=APPLICANTS, echo=lines.append)
    return out, lines


def messages(folder: Path) -> list[tuple[Path, EmailMessage]]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found.append((path, message))  # type: ignore[arg-type]
    return found


def all_messages(out: Path) -> list[tuple[Path, EmailMessage]]:
    return messages(out / "local" / "outbox" / "sent") + messages(out / "letters")


def test_demo_runs_the_timeline_without_a_failed_step(demo: tuple[Path, list[str]]) -> None:
    _, lines = demo
    summary = next(line for line in lines if line.startswith("done:"))
    assert f"{APPLICANTS} applications imported" in summary
    assert "0 failed steps" in summary
    assert any("partner_outreach:" in line and "sent" in line for line in lines)
    assert any("recruitment:program (sent 3)" in line for line in lines)
    assert any("decisions:program" in line and "sent" in line for line in lines)


def test_every_demo_message_is_valid_mime_with_text_html_and_one_to(demo: tuple[Path, list[str]]) -> None:
    out, _ = demo
    found = all_messages(out)
    assert len(found) > 100
    for path, message in found:
        assert not message.defects, (path.name, message.defects)
        for part in message.walk():
            assert not part.defects, (path.name, part.defects)
        assert len(message.get_all("To")) == 1, path.name
        assert len(message["To"].addresses) == 1, path.name
        assert message["Bcc"] is None
        assert message[KEY_HEADER], path.name
        assert message.get_body(("plain",)) is not None, path.name
        assert message.get_body(("html",)) is not None, path.name
        for header in ("Subject", "From", "To", "Reply-To"):
            assert "\n" not in str(message[header]) and "\r" not in str(message[header])


def test_no_applicant_input_reaches_html_unescaped(demo: tuple[Path, list[str]]) -> None:
    out, _ = demo
    with (out / "local" / "forms" / "applications.csv").open(encoding="utf-8", newline="") as handle:
        answers = [cell for row in csv.reader(handle) for cell in row]
    risky = {a for a in answers if any(c in a for c in "<>&\"")}
    assert any("<script>" in a for a in risky), "the demo data should carry hostile input"
    escaped_seen = 0
    for path, message in all_messages(out):
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "<script" not in html.lower(), path.name
        for answer in risky:
            assert answer not in html, (path.name, answer)
        escaped_seen += "&lt;script&gt;" in html
        assert "everyone@elsewhere.example" not in str(message["To"]) + str(message["Cc"])
    assert escaped_seen >= 1  # the hostile applicant did get their letters, as text


def test_the_demo_produces_every_letter_in_every_language(demo: tuple[Path, list[str]]) -> None:
    out, lines = demo
    keys = {str(m[KEY_HEADER]).split("/")[2] for _, m in messages(out / "letters")}
    expected = {f"{name}.{lang}" for name, spec in LETTERS.items() for lang in spec.languages}
    assert keys == expected
    index = (out / "letters" / "index.html").read_text(encoding="utf-8")
    assert index.count("<a ") >= len(expected)
    assert any(str(out / "letters" / "index.html") in line for line in lines)
    for kind in ("student", "partner"):
        pdf = out / "flyers" / f"mvusd-spring-2027-{kind}-flyer.pdf"
        assert pdf.read_bytes().startswith(b"%PDF")


def test_demo_files_are_private_to_their_owner(demo: tuple[Path, list[str]]) -> None:
    out, _ = demo
    for path in [*out.rglob("*.eml"), *out.rglob("*.xlsx"), *out.rglob("*.csv"), *out.rglob("*.pdf")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
