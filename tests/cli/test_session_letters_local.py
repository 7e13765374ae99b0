"""Session letters on the local backend: support, details with the Meet link, reminder, run sheet."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from test_correspondence import letters_of, workbook
from test_participation_local import _seat

from microintern.bootstrap import step_context
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.steps.session_letters import remind_students, send_run_sheets, support_sessions
from microintern.steps.sessions import build_sessions

SESSION = "cyber-basics"  # 2027-03-16 15:30 Pacific, partner solis-cyber, teacher Luis Carrillo
SUPPORT = datetime.fromisoformat("2027-02-23T06:30-08:00")


def _text(message: object) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]


def test_details_wait_for_the_meet_link_then_carry_it(config_file: Path) -> None:
    chosen = _seat(config_file, 4)
    config = load_config(config_file)
    early = support_sessions(step_context(config, SUPPORT), [SESSION])
    assert early.counts.get("details waiting for the Meet link") == 1
    letters = letters_of(config_file)
    assert ("partner_session_guide", "solis-cyber") in letters
    assert not any(k[0] == "session_details_student" for k in letters)

    build_sessions(step_context(config, SUPPORT), [SESSION])
    link = str(workbook(config_file).read_tabs([sheet.SESSIONS])[sheet.SESSIONS][0][sheet.SESSION_MEET_LINK])
    assert link.startswith("https://")
    support_sessions(step_context(config, SUPPORT), [SESSION])
    support_sessions(step_context(config, SUPPORT), [SESSION])   # a rerun sends nothing twice
    letters = letters_of(config_file)
    assert link in _text(letters[("session_details_partner", "solis-cyber")])
    names = {str(r["First name"]) for r in chosen}
    for row in chosen:
        language = str(row.get(sheet.LANGUAGE) or "en")
        body = _text(letters[("session_details_student", str(row[sheet.APPLICANT_ID]))])
        assert link in body
        assert ("marzo de 2027" if language == "es" else "March 16, 2027") in body
        # A student's letter never names another student.
        assert not (names - {str(row["First name"])}) & set(body.replace(",", " ").split())


def test_reminder_to_students_and_run_sheet_to_staff_only(config_file: Path) -> None:
    chosen = _seat(config_file, 4)
    config = load_config(config_file)
    build_sessions(step_context(config, SUPPORT), [SESSION])
    remind_students(step_context(config, datetime.fromisoformat("2027-03-15T06:30-07:00")), [SESSION])
    send_run_sheets(step_context(config, datetime.fromisoformat("2027-03-16T06:30-07:00")), [SESSION])
    letters = letters_of(config_file)
    reminded = {k[1] for k in letters if k[0] == "session_reminder"}
    assert reminded == {str(r[sheet.APPLICANT_ID]) for r in chosen}
    sheets = {k[1]: m for k, m in letters.items() if k[0] == "run_sheet"}
    assert set(sheets) == {"solis-cyber", f"teacher-{SESSION}"}
    recipients = {m["To"].addresses[0].addr_spec for m in sheets.values()}
    assert recipients == {"m.ortega@soliscyber.example", "luis.carrillo@mesavalley.example"}
    body = _text(sheets["solis-cyber"])
    for row in chosen:
        assert f"{str(row['First name']).strip()} {str(row['Last name']).strip()[0].upper()}." in body
    assert "15 minutes before" in body and "Recording is OFF" in body
