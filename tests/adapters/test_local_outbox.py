"""LocalOutbox: drafts and sends as private .eml files; a sent draft is gone."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from microintern.adapters.local.outbox import LocalOutbox
from microintern.domain.mime import KEY_HEADER
from microintern.domain.records import Attachment, OutgoingMessage
from microintern.ports import DraftGone, Mailer

NOW = datetime(2025, 9, 15, 8, 0, tzinfo=UTC)

MESSAGE = OutgoingMessage(
    key="registration:app-0007:reminder-1",
    sender="Micro-internships <internships@district.example.org>",
    to="Zoë Ahmed <zoe@students.example.org>",
    subject="Please register — رجاءً",
    text="Register here: https://forms.example/abc\n",
    html="<p>Register <a href='https://forms.example/abc'>here</a></p>",
    attachments=(Attachment("guide.pdf", "application/pdf", b"%PDF-1.4"),),
)


@pytest.fixture
def outbox(tmp_path: Path) -> LocalOutbox:
    return LocalOutbox(tmp_path / "outbox", domain="district.example.org", clock=lambda: NOW)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_is_a_mailer(outbox: LocalOutbox) -> None:
    mailer: Mailer = outbox
    assert mailer is outbox


def test_create_draft_writes_a_private_eml(outbox: LocalOutbox) -> None:
    draft_id = outbox.create_draft(MESSAGE)
    path = outbox.folder / "drafts" / f"{draft_id}.eml"
    assert outbox.drafts() == [path]
    assert outbox.sent_messages() == []
    assert mode(path) == 0o600
    assert mode(outbox.folder) == 0o700
    assert mode(outbox.folder / "drafts") == 0o700
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert parsed[KEY_HEADER] == MESSAGE.key
    assert parsed["Date"].datetime == NOW
    assert parsed["Message-ID"].endswith("@district.example.org>")
    assert parsed["Subject"] == MESSAGE.subject
    assert [a.get_filename() for a in parsed.iter_attachments()] == ["guide.pdf"]


def test_draft_id_is_deterministic_and_recreating_overwrites(outbox: LocalOutbox) -> None:
    first = outbox.create_draft(MESSAGE)
    second = outbox.create_draft(replace(MESSAGE, subject="Please register (updated)"))
    assert first == second
    assert len(outbox.drafts()) == 1
    assert b"(updated)" in outbox.drafts()[0].read_bytes()
    other = outbox.create_draft(replace(MESSAGE, key="registration:app-0008:reminder-1"))
    assert other != first
    assert len(outbox.drafts()) == 2


def test_send_moves_the_draft_and_a_second_send_is_draft_gone(outbox: LocalOutbox) -> None:
    draft_id = outbox.create_draft(MESSAGE)
    draft_bytes = outbox.drafts()[0].read_bytes()
    message_id = outbox.send_draft(draft_id)
    assert outbox.drafts() == []
    sent = outbox.sent_messages()
    assert sent == [outbox.folder / "sent" / f"{message_id}.eml"]
    assert sent[0].read_bytes() == draft_bytes
    assert mode(sent[0]) == 0o600
    assert mode(outbox.folder / "sent") == 0o700

    with pytest.raises(DraftGone):
        outbox.send_draft(draft_id)
    assert len(outbox.sent_messages()) == 1  # at most one delivery per draft


def test_send_of_unknown_draft_is_draft_gone(outbox: LocalOutbox) -> None:
    with pytest.raises(DraftGone):
        outbox.send_draft("0" * 32)


def test_malformed_draft_id_is_refused(outbox: LocalOutbox) -> None:
    with pytest.raises(ValueError, match="draft id"):
        outbox.send_draft("../../etc/passwd")


def test_resending_a_key_keeps_the_first_delivery(outbox: LocalOutbox) -> None:
    first = outbox.send_draft(outbox.create_draft(MESSAGE))
    # The ledger decided to send the same key again (e.g. a coordinator reset): both stay.
    second = outbox.send_draft(outbox.create_draft(MESSAGE))
    assert first != second
    assert len(outbox.sent_messages()) == 2


def test_bad_address_fails_before_writing(outbox: LocalOutbox) -> None:
    with pytest.raises(ValueError, match="to"):
        outbox.create_draft(replace(MESSAGE, to="a@example.org, b@example.org"))
    assert outbox.drafts() == []


def test_default_clock_stamps_an_aware_date(tmp_path: Path) -> None:
    outbox = LocalOutbox(tmp_path)
    outbox.create_draft(MESSAGE)
    parsed = BytesParser(policy=policy.default).parsebytes(outbox.drafts()[0].read_bytes())
    assert parsed["Date"].datetime.tzinfo is not None
    assert parsed["Message-ID"].endswith("@microintern.local>")


def test_no_temp_files_left_behind(outbox: LocalOutbox) -> None:
    outbox.send_draft(outbox.create_draft(MESSAGE))
    outbox.create_draft(replace(MESSAGE, key="other"))
    leftovers = [p for p in outbox.folder.rglob("*") if p.is_file() and p.suffix != ".eml"]
    assert leftovers == []
