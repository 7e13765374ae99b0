"""Issue 18 on the local backend: a Zoom session and a YouTube showcase, through to the letters.

The local stand-ins hand out placeholder links and a placeholder stream key; what is checked is
where each goes: the Zoom link to everyone invited, the watch link to the students and their
families (English and Spanish), the stream key to the teacher and the partner only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml
from fakezoom.state import ROUTES
from test_cli import invoke
from test_correspondence import letters_of, workbook
from test_participation_local import _seat

from microintern.adapters.zoom import SCOPES as ZOOM_SCOPES
from microintern.bootstrap import step_context
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.steps.letter_context import ProgramContexts, session_letter_context
from microintern.steps.session_letters import (
    remind_students,
    send_run_sheets,
    support_sessions,
)
from microintern.steps.sessions import build_sessions
from microintern.steps.sheet.sessions import read_session_plans

SESSION = "cyber-basics"  # 2027-03-16 15:30 Pacific, partner solis-cyber, teacher Luis Carrillo
SUPPORT = datetime.fromisoformat("2027-02-23T06:30-08:00")
DAY_OF = datetime.fromisoformat("2027-03-16T06:30-07:00")
DAY_BEFORE = datetime.fromisoformat("2027-03-15T06:30-07:00")


def _text(message: object) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]


def _html(message: object) -> str:
    return message.get_body(preferencelist=("html",)).get_content()  # type: ignore[attr-defined]


def _showcase_on_zoom(config_file: Path) -> None:
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data["video"] = {"provider": "zoom"}
    for session in data["sessions"]:
        if session["id"] == SESSION:
            session["broadcast"] = "youtube"
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _consent(config_file: Path, chosen: list[dict]) -> None:
    book = workbook(config_file)
    book.upsert(sheet.PARTNERS, sheet.PARTNER_ID,
                [{sheet.PARTNER_ID: "solis-cyber", "Recording consent": "Yes"}])
    book.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: r[sheet.APPLICANT_ID], sheet.RECORDING_ALLOWED: "Yes"} for r in chosen])


def test_zoom_link_and_watch_link_reach_the_families_and_the_stream_key_only_the_staff(
        config_file: Path) -> None:
    _showcase_on_zoom(config_file)
    chosen = _seat(config_file, 4)
    _consent(config_file, chosen)
    config = load_config(config_file)
    result = build_sessions(step_context(config, SUPPORT), [SESSION])
    assert result.counts["zoom meetings made"] == 1 and result.counts["broadcasts made"] == 1
    row = workbook(config_file).read_tabs([sheet.SESSIONS])[sheet.SESSIONS][0]
    link, watch = str(row[sheet.SESSION_MEET_LINK]), str(row[sheet.SESSION_BROADCAST])
    assert str(row[sheet.SESSION_MEET_SPACE]).startswith("zoom-") and link.startswith("https://zoom.us/j/")
    assert watch.startswith("https://www.youtube.com/watch?v=")

    support_sessions(step_context(config, SUPPORT), [SESSION])
    send_run_sheets(step_context(config, DAY_OF), [SESSION])
    letters = letters_of(config_file)
    key = "placeholder-" + watch.rsplit("=", 1)[-1]
    for applicant in (str(r[sheet.APPLICANT_ID]) for r in chosen):
        message = letters[("session_details_student", applicant)]
        body, html = _text(message), _html(message)
        assert link in body and watch in body and watch in html
        assert "Zoom:" in body and "Google Meet" not in body
        assert key not in body and key not in html
    # The Spanish letter, rendered as the step renders it for a family that reads Spanish.
    ctx = step_context(config, SUPPORT)
    plan = read_session_plans(ctx, ctx.ports.roster.read_tabs([sheet.SESSIONS]))[SESSION]
    spanish = ctx.letters.render("session_details_student", "es", {
        **ProgramContexts(config)("es"), "applicant": {"id": "A-1", "first_name": "Lucía", "last_name": "R"},
        "session": session_letter_context(config, config.session(SESSION), plan, "es")}, row="A-1")
    assert "LAS FAMILIAS PUEDEN VERLA EN VIVO" in spanish.text and watch in spanish.text
    assert f"Zoom: {link}" in spanish.text and watch in spanish.html and key not in spanish.html
    staff = {k[1]: m for k, m in letters.items() if k[0] == "run_sheet"}
    assert set(staff) == {"solis-cyber", f"teacher-{SESSION}"}
    for message in staff.values():
        assert key in _text(message) and key in _html(message)
        assert "Zoom link: " + link in _text(message)
    carrying = {k for k, m in letters.items() if key in _text(m) or key in _html(m)}
    assert carrying == {("run_sheet", "solis-cyber"), ("run_sheet", f"teacher-{SESSION}")}


def test_consent_after_the_session_details_the_reminder_brings_the_watch_link(config_file: Path) -> None:
    _showcase_on_zoom(config_file)
    chosen = _seat(config_file, 4)
    config = load_config(config_file)
    first = build_sessions(step_context(config, SUPPORT), [SESSION])
    assert "broadcasts made" not in first.counts
    assert any("no YouTube broadcast" in p for p in first.problems)
    support_sessions(step_context(config, SUPPORT), [SESSION])   # details go without a watch link
    _consent(config_file, chosen)
    build_sessions(step_context(config, DAY_BEFORE), [SESSION])
    watch = str(workbook(config_file).read_tabs([sheet.SESSIONS])[sheet.SESSIONS][0][sheet.SESSION_BROADCAST])
    assert watch.startswith("https://www.youtube.com/watch?v=")
    remind_students(step_context(config, DAY_BEFORE), [SESSION])
    letters = letters_of(config_file)
    for applicant in (str(r[sheet.APPLICANT_ID]) for r in chosen):
        assert watch not in _text(letters[("session_details_student", applicant)])
        reminder = letters[("session_reminder", applicant)]
        assert watch in _text(reminder) and watch in _html(reminder)


def test_scopes_lists_the_youtube_scope_and_the_zoom_apps_scopes(config_file: Path) -> None:
    shown = invoke(config_file, "scopes").output
    assert "https://www.googleapis.com/auth/youtube\n" in shown
    for scope in ZOOM_SCOPES:
        assert f"{scope}\n" in shown
    # Every Zoom endpoint the adapter calls (as the fake routes them) has its scope listed.
    assert {route.scope for route in ROUTES} <= set(ZOOM_SCOPES)
