"""Reminders and run sheets before every meeting of a multi-week session (issue 15), local backend."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from test_correspondence import edit_config, sent, workbook
from test_participation_local import _seat

from microintern.bootstrap import step_context
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.domain.sessions import format_meetings
from microintern.domain.timeline import StepName, plan
from microintern.steps.session_letters import remind_students, send_run_sheets
from microintern.steps.sessions import build_sessions

SESSION = "cyber-basics"  # 2027-03-16 15:30 Pacific, partner solis-cyber, teacher Luis Carrillo
SUPPORT = datetime.fromisoformat("2027-02-23T06:30-08:00")
FIRST = date(2027, 3, 16)
WEEKS = 6


def _six_weeks(config_file: Path) -> list[date]:
    """Turn the session into six weekly meetings in the Sessions tab (the sheet wins)."""
    config = load_config(config_file)
    build_sessions(step_context(config, SUPPORT), [SESSION])
    days = [FIRST + timedelta(weeks=w) for w in range(WEEKS)]
    starts = [datetime.combine(d, time(15, 30), tzinfo=config.zone) for d in days]
    workbook(config_file).upsert(sheet.SESSIONS, sheet.SESSION_ID, [
        {sheet.SESSION_ID: SESSION, sheet.SESSION_MEETINGS: format_meetings(starts)}])
    return days


def _every_day(config_file: Path, days: list[date]) -> dict[date, set[tuple[str, str, str]]]:
    """Run both steps each morning at 06:30 while their windows are open (the eve of the first
    meeting) and a day after the last meeting, as run-due would.

    Returns what went out on each day.
    """
    config = load_config(config_file)
    windows = {o.step.name: o for o in plan({SESSION: days[0]}, zone=config.zone, opens_at=time(6, 30),
                                            session_ends={SESSION: days[-1]})}
    day = days[0] - timedelta(days=1)
    went: dict[date, set[tuple[str, str, str]]] = {}
    before = set(_keys(config_file))
    while day <= days[-1] + timedelta(days=1):
        now = datetime.combine(day, time(6, 30), tzinfo=config.zone)
        for name, step in ((StepName.REMINDERS, remind_students), (StepName.RUN_SHEET, send_run_sheets)):
            if windows[name].opens <= now < windows[name].closes:   # the step's window is open
                step(step_context(config, now), [SESSION])
        after = set(_keys(config_file))
        went[day], before = after - before, after
        day += timedelta(days=1)
    return went


def _keys(config_file: Path) -> list[tuple[str, str, str]]:
    """(letter, recipient, session part) of every reminder and run sheet sent, from the key header."""
    found = []
    for message in sent(config_file):
        _, letter, recipient, session = str(message[KEY_HEADER]).split("/")
        if letter in ("session_reminder", "run_sheet"):   # not the letters of seating
            found.append((letter, recipient, session))
    return found


def _plain(message: object) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]


def test_six_week_session_reminds_before_every_meeting_once(config_file: Path) -> None:
    chosen = _seat(config_file, 4)
    # Two of the students (and their families) read Spanish, so both languages' templates are read.
    workbook(config_file).upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: r[sheet.APPLICANT_ID], sheet.LANGUAGE: "es", sheet.STUDENT_LANGUAGE: "es"}
        for r in chosen[:2]])
    for row in chosen[:2]:
        row[sheet.LANGUAGE] = "es"
    days = _six_weeks(config_file)
    went = _every_day(config_file, days)
    again = _every_day(config_file, days)   # a rerun of every day sends nothing more
    assert not any(again.values())
    # Reminders go on the eve of each meeting, run sheets on its day, nothing on other days.
    students = {str(r[sheet.APPLICANT_ID]) for r in chosen}
    for day in days:
        part = SESSION if day == days[0] else f"{SESSION}@{day.isoformat()}"
        assert went.pop(day - timedelta(days=1)) == {("session_reminder", s, part) for s in students}
        assert went.pop(day) == {("run_sheet", r, part) for r in ("solis-cyber", f"teacher-{SESSION}")}
    assert not any(went.values())
    keys = _keys(config_file)
    assert len(keys) == len(set(keys)), "a letter went out twice"
    reminders = Counter(k[1] for k in keys if k[0] == "session_reminder")
    assert reminders == dict.fromkeys(students, WEEKS)
    # The first meeting keeps its old key; the later ones carry their date.
    parts = {k[2] for k in keys if k[0] == "session_reminder"}
    assert parts == {SESSION} | {f"{SESSION}@{d.isoformat()}" for d in days[1:]}
    sheets = Counter(k[1] for k in keys if k[0] == "run_sheet")
    assert sheets == {"solis-cyber": WEEKS, f"teacher-{SESSION}": WEEKS}

    # Each reminder goes the day before its meeting, names it, in the family's language.
    messages = {str(m[KEY_HEADER]): m for m in sent(config_file)}
    program = load_config(config_file).program.id
    # Both languages are among the seated families, so both templates are read.
    assert {str(r.get(sheet.LANGUAGE) or "en") for r in chosen} == {"en", "es"}
    for row in chosen:
        applicant = str(row[sheet.APPLICANT_ID])
        spanish = str(row.get(sheet.LANGUAGE) or "en") == "es"
        for number, day in enumerate(days, start=1):
            part = SESSION if number == 1 else f"{SESSION}@{day.isoformat()}"
            body = _plain(messages[f"{program}/session_reminder/{applicant}/{part}"])
            if spanish:
                assert f"Es la reunión {number} de {WEEKS}." in body
                assert f"{day.day} de marzo" in body or f"{day.day} de abril" in body
            else:
                assert f"It is meeting {number} of {WEEKS}." in body
                assert day.strftime("%B ") + str(day.day) in body
    teacher = _plain(messages[f"{program}/run_sheet/teacher-{SESSION}/{SESSION}@{days[2].isoformat()}"])
    assert f"Today is meeting 3 of {WEEKS}" in teacher


def test_first_meeting_only_when_every_meeting_is_off(config_file: Path) -> None:
    edit_config(config_file, reminders={"every_meeting": False})
    chosen = _seat(config_file, 2)
    days = _six_weeks(config_file)
    _every_day(config_file, days)
    keys = _keys(config_file)
    assert sorted(k[1] for k in keys if k[0] == "session_reminder") == sorted(
        str(r[sheet.APPLICANT_ID]) for r in chosen)
    assert {k[2] for k in keys} == {SESSION}
    assert Counter(k[0] for k in keys)["run_sheet"] == 2


def test_single_meeting_session_unchanged(config_file: Path) -> None:
    chosen = _seat(config_file, 3)
    config = load_config(config_file)
    build_sessions(step_context(config, SUPPORT), [SESSION])
    _every_day(config_file, [FIRST])
    keys = _keys(config_file)
    assert sorted(k[1] for k in keys if k[0] == "session_reminder") == sorted(
        str(r[sheet.APPLICANT_ID]) for r in chosen)
    assert {k[2] for k in keys} == {SESSION}
    body = _plain(next(m for m in sent(config_file) if "/session_reminder/" in str(m[KEY_HEADER])))
    assert "meeting 1 of" not in body and "reunión 1 de" not in body


def test_reminder_and_run_sheet_windows_span_the_meetings() -> None:
    config_zone = ZoneInfo("America/Los_Angeles")
    last = FIRST + timedelta(weeks=WEEKS - 1)
    steps = {o.step.name: o for o in plan({"s1": FIRST}, zone=config_zone, opens_at=time(6, 30),
                                          session_ends={"s1": last})}
    assert steps[StepName.REMINDERS].opens.date() == FIRST - timedelta(days=1)
    assert steps[StepName.REMINDERS].closes.date() == last    # through the eve of the last meeting
    assert steps[StepName.RUN_SHEET].opens.date() == FIRST
    assert steps[StepName.RUN_SHEET].closes.date() == last + timedelta(days=1)
