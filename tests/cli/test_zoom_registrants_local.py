"""Issue 18: each student joins a Zoom session with their own link (a meeting registrant's).

The letters run on the local backend (its outbox is read back), with the real Zoom adapter
talking to the fake Zoom on loopback, so the meeting, its registrants and the letters are all
real: assertions are on the fake's registrants and on the sent messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from fakezoom import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, FakeZoom
from test_correspondence import sent, workbook
from test_participation_local import _seat
from test_zoom_youtube_local import DAY_BEFORE, SESSION, SUPPORT, _showcase_on_zoom

from microintern.adapters.zoom import SCOPES, ZoomClient, ZoomCredentials, ZoomMeetings
from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.steps.context import StepContext
from microintern.steps.session_letters import remind_students, support_sessions
from microintern.steps.sessions import build_sessions


@pytest.fixture
def zoom() -> Iterator[FakeZoom]:
    with FakeZoom() as fake:
        fake.add_app(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, SCOPES)
        yield fake
        assert fake.rejections == [] and fake.errors == []


def _context(config: ProgramConfig, zoom: FakeZoom, when: object) -> StepContext:
    """The local backend's step context, with the real Zoom adapter pointed at the fake Zoom."""
    ctx = step_context(config, when)  # type: ignore[arg-type]
    client = ZoomClient(ZoomCredentials(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET), api_base=zoom.api_base,
                        token_url=zoom.token_url, sleep=lambda _seconds: None)
    host = config.coordinator.email
    zoom.add_user(host)
    zoom.add_user(config.session(SESSION).teacher.email)
    return replace(ctx, ports=replace(ctx.ports, zoom=ZoomMeetings(client, host)))


def _text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def _html(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]


def _built(config_file: Path, zoom: FakeZoom, students: int = 4) -> tuple[ProgramConfig, list[dict], str]:
    _showcase_on_zoom(config_file)
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data.setdefault("mail", {})["guardian_cc"] = True  # the family's copy carries the student's link
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    chosen = _seat(config_file, students)
    config = load_config(config_file)
    build_sessions(_context(config, zoom, SUPPORT), [SESSION])
    row = workbook(config_file).read_tabs([sheet.SESSIONS])[sheet.SESSIONS][0]
    meeting = str(row[sheet.SESSION_MEET_SPACE]).removeprefix("zoom-")
    settings = zoom.meetings[meeting]["settings"]
    # Registration on, approved at once, and Zoom mails nobody: the links go only in our letters.
    assert settings["approval_type"] == 0 and settings["registration_type"] == 1
    assert settings["registrants_confirmation_email"] is False
    assert settings["registrants_email_notification"] is False
    return config, chosen, meeting


def letters_of(config_file: Path) -> dict[tuple[str, str], EmailMessage]:
    """Sent letters by (letter, recipient id); a family's own message as ``<recipient>#family``."""
    found: dict[tuple[str, str], EmailMessage] = {}
    for message in sent(config_file):
        _, letter, recipient, part = str(message[KEY_HEADER]).split("/", 3)
        if part.endswith("#family"):
            recipient += "#family"
        assert (letter, recipient) not in found, "a letter went out twice"
        found[(letter, recipient)] = message
    return found


def _addresses(message: EmailMessage) -> set[str]:
    return {a.strip().casefold() for h in ("To", "Cc", "Bcc") for a in str(message.get(h) or "").split(",")
            if a.strip()}


def test_each_student_gets_their_own_link_in_their_own_letters_only(config_file: Path,
                                                                    zoom: FakeZoom) -> None:
    config, chosen, meeting = _built(config_file, zoom)
    row = workbook(config_file).read_tabs([sheet.SESSIONS])[sheet.SESSIONS][0]
    shared = str(row[sheet.SESSION_MEET_LINK])

    support_sessions(_context(config, zoom, SUPPORT), [SESSION])
    registrants = zoom.registrants[meeting]
    assert len(registrants) == len(chosen) == zoom.count("zoom.registrants.create")
    link_of = {r["email"].casefold(): r["join_url"] for r in registrants}
    assert len(set(link_of.values())) == len(chosen)
    # Zoom sees the first name and the last initial, no more.
    assert all(len(r["last_name"]) <= 1 for r in registrants)

    letters = letters_of(config_file)
    students = {str(r[sheet.APPLICANT_ID]): letters[("session_details_student", str(r[sheet.APPLICANT_ID]))]
                for r in chosen}
    for applicant, message in students.items():
        own = link_of[str(message["To"]).strip().casefold()]
        family = letters.get(("session_details_student", applicant + "#family"))
        if family is not None:  # a family that reads another language: its own message, same link
            assert own in _text(family) and sum(link in _text(family) for link in link_of.values()) == 1
        body, html = _text(message), _html(message)
        assert own in body and own in html and "yours alone" in body
        assert shared not in body
        others = set(link_of.values()) - {own}
        assert not any(link in body or link in html for link in others)
    # No other message (the partner's details, anyone's copy) carries a student's own link.
    for key, message in letters.items():
        carried = {link for link in link_of.values() if link in _text(message) or link in _html(message)}
        if key[0] != "session_details_student":
            assert carried == set(), key
        else:
            # The letter's recipients are the student and, on Cc, their own family only.
            assert len(carried) == 1
            assert str(message["To"]).strip().casefold() in _addresses(message)
    families = [str(m["Cc"] or "").strip().casefold() or f"own message to {a}" for a, m in students.items()]
    assert len(set(families)) == len(families)
    assert any(str(m["Cc"] or "") for m in students.values())

    # A rerun registers nobody; the reminder reads the same links back, still registering nobody.
    support_sessions(_context(config, zoom, SUPPORT), [SESSION])
    assert zoom.count("zoom.registrants.create") == len(chosen)
    remind_students(_context(config, zoom, DAY_BEFORE), [SESSION])
    assert zoom.count("zoom.registrants.create") == len(chosen)
    assert len(zoom.registrants[meeting]) == len(chosen)
    letters = letters_of(config_file)
    for row in chosen:
        reminder = letters[("session_reminder", str(row[sheet.APPLICANT_ID]))]
        own = link_of[str(reminder["To"]).strip().casefold()]
        assert own in _text(reminder) and own in _html(reminder)
        assert sum(link in _text(reminder) for link in link_of.values()) == 1


def test_lost_registration_answers_register_nobody_twice(config_file: Path, zoom: FakeZoom) -> None:
    config, chosen, meeting = _built(config_file, zoom, students=6)
    # Half of the registrations are made but their answers are lost; some reads fail and retry.
    zoom.faults.add("zoom.registrants.create", "drop_after", rate=0.5, seed=3)
    zoom.faults.add("zoom.registrants.list", "503", rate=0.3, seed=4)
    result = support_sessions(_context(config, zoom, SUPPORT), [SESSION])
    lost = sum(1 for c in zoom.calls if c.method_id == "zoom.registrants.create" and c.fault == "drop_after")
    assert lost >= 1
    emails = [r["email"].casefold() for r in zoom.registrants[meeting]]
    assert len(emails) == len(set(emails)) == len(chosen)
    letters = letters_of(config_file)
    link_of = {r["email"].casefold(): r["join_url"] for r in zoom.registrants[meeting]}
    for row in chosen:
        message = letters[("session_details_student", str(row[sheet.APPLICANT_ID]))]
        assert link_of[str(message["To"]).strip().casefold()] in _text(message)
    # Nothing personal in what the run says.
    assert not any("@" in p or "zoom.us/w/" in p for p in result.problems)


def test_letters_wait_while_zoom_cannot_register_and_go_on_the_next_run(
        config_file: Path, zoom: FakeZoom) -> None:
    config, chosen, _ = _built(config_file, zoom)
    zoom.faults.add("zoom.registrants.list", "500", rate=1.0)
    result = support_sessions(_context(config, zoom, SUPPORT), [SESSION])
    assert result.counts["waiting for Zoom registration"] == len(chosen)
    assert not any(k[0] == "session_details_student" for k in letters_of(config_file))
    assert not any("@" in p for p in result.problems)
    zoom.faults.clear()
    support_sessions(_context(config, zoom, SUPPORT), [SESSION])
    sent_now = [k for k in letters_of(config_file) if k[0] == "session_details_student"]
    assert sum(not k[1].endswith("#family") for k in sent_now) == len(chosen)
