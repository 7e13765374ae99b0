"""The sessions step on the embedded local backend: .ics files, placeholder Meet rooms, the workbook."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from icalendar import Calendar as ICalendar
from icalendar import Event

from microintern.bootstrap import local_ports, step_context
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.records import CalendarEvent
from microintern.domain.sessions import LastBuild, event_id
from microintern.errors import BackendError
from microintern.ports import Calendar
from microintern.steps.context import StepContext
from microintern.steps.sessions import build_sessions
from microintern.steps.setup import initialise

PROGRAM = "mvusd-spring-2027"


def context(config: ProgramConfig, calendar: Calendar | None = None) -> StepContext:
    ports = local_ports(config)
    if calendar is not None:
        ports = dataclasses.replace(ports, calendar=calendar)
    return step_context(config, datetime(2027, 2, 20, 6, 30, tzinfo=config.zone), ports=ports)


def seed(ctx: StepContext, session_id: str = "data-fellows", students: int = 4) -> None:
    roster = ctx.ports.roster
    initialise(ctx.config, roster)
    ids = [f"S-{n}" for n in range(students)]
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: a, "First name": f"Firstname{n}",
         "School email address": f"student{n}@students.mesavalley.example"} for n, a in enumerate(ids)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: a, sheet.SESSION_ID: session_id, sheet.PLACEMENT: "placed",
         sheet.RECORDING_ALLOWED: "Yes"} for a in ids])


def ics(config: ProgramConfig, session_id: str, number: int) -> Path:
    folder = config.resolve(config.local.folder)
    return folder / "calendar" / config.google.calendar_id / f"{event_id(PROGRAM, session_id, number)}.ics"


def vevent(path: Path) -> Event:
    return ICalendar.from_ical(path.read_bytes()).walk("VEVENT")[0]


def meet_counter(config: ProgramConfig) -> int:
    state = config.resolve(config.local.folder) / "meet" / "meet-rooms.json"
    return json.loads(state.read_text())["counter"]


def sessions_row(ctx: StepContext, session_id: str) -> dict:
    rows = ctx.ports.roster.read_tabs([sheet.SESSIONS])[sheet.SESSIONS]
    return next(r for r in rows if r[sheet.SESSION_ID] == session_id)


def test_local_build_writes_ics_files_once(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    ctx = context(config)
    seed(ctx)
    result = build_sessions(ctx)
    assert result.counts["spaces created"] == 1 and result.counts["events written"] == 6
    assert any("placeholder link" in p for p in result.problems)  # the room is made by hand

    row = sessions_row(ctx, "data-fellows")
    files = [ics(config, "data-fellows", n) for n in range(1, 7)]
    assert all(f.exists() for f in files)
    first = vevent(files[0])
    assert first.decoded("DTSTART") == datetime(2027, 4, 6, 16, 0, tzinfo=config.zone)
    assert first["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert str(first["URL"]) == row[sheet.SESSION_MEET_LINK]
    assert row[sheet.SESSION_MEET_LINK] in str(first["DESCRIPTION"])
    guests = {str(a).removeprefix("mailto:") for a in first.get("ATTENDEE")}
    assert guests == {*(f"student{n}@students.mesavalley.example" for n in range(4)),
                      "thanh@valleyanalytics.example", "priya.raman@mesavalley.example"}
    assert "Firstname" not in files[0].read_text()
    assert row[sheet.SESSION_RECORDING] == "off: the partner has not agreed to recording"

    before = [f.read_bytes() for f in files]
    again = build_sessions(ctx)
    assert again.counts == {"unchanged": 1, "waiting for students": 3}
    assert [f.read_bytes() for f in files] == before
    assert meet_counter(config) == 1

    ctx.ports.roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, [
        {sheet.SESSION_ID: "data-fellows", sheet.SESSION_STATUS: "cancelled"}])
    assert build_sessions(ctx).counts["events cancelled"] == 6
    assert all(vevent(f)["STATUS"] == "CANCELLED" for f in files)
    assert vevent(files[0])["SEQUENCE"] == 1


class FailingCalendar:
    """Writes events through the real calendar until the ``fail_at``-th call, which fails."""

    def __init__(self, inner: Calendar, fail_at: int) -> None:
        self.inner, self.fail_at, self.calls = inner, fail_at, 0

    def upsert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        self.calls += 1
        if self.calls == self.fail_at:
            raise BackendError("calendar events.insert: HTTP 503", code=503, retryable=True)
        return self.inner.upsert_event(calendar_id, event)


def test_a_failure_midway_keeps_what_was_built(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    ctx = context(config)
    seed(ctx)
    failing = FailingCalendar(ctx.ports.calendar, fail_at=3)
    with pytest.raises(BackendError, match=r"data-fellows: calendar events\.insert: HTTP 503"):
        build_sessions(context(config, failing))
    row = sessions_row(ctx, "data-fellows")
    assert row[sheet.SESSION_MEET_SPACE]  # recorded at once, before any event
    assert str(row[sheet.SESSION_CALENDAR]).startswith("2 events on the calendar")
    assert len(LastBuild.parse(row[sheet.SESSION_CALENDAR]).cell().split()) == 1 + 2  # Meet, 2 events
    result = build_sessions(ctx)
    assert result.counts["events written"] == 4
    assert "spaces created" not in result.counts
    assert meet_counter(config) == 1
    assert sessions_row(ctx, "data-fellows")[sheet.SESSION_MEET_SPACE] == row[sheet.SESSION_MEET_SPACE]
