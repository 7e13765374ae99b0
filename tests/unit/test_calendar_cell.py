"""The Sessions tab's Calendar cell: words a coordinator can read, then the tool's memo.

Pure tests of the cell's text, then the sessions step on the embedded local backend: a cell
from before the words (memo only) is rewritten once with no Calendar or Meet write, and the
run after that writes nothing at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from microintern.bootstrap import step_context
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.sessions import (
    MEMO_SEPARATOR,
    NOT_WRITTEN,
    LastBuild,
    calendar_cell,
    calendar_cell_current,
    calendar_summary,
)
from microintern.steps.context import StepContext
from microintern.steps.sessions import build_sessions
from microintern.steps.setup import initialise

MEET = "0123456789ab"
LIVE = ("89abcdef0123@2027-03-16T15:30", "a1b2c3d4e5f6@2027-03-23T15:30",
        "b1b2c3d4e5f6@2027-03-30T15:30")
LEGACY = f"meet:{MEET} " + " ".join(LIVE)


def test_the_words_say_how_many_events_when_and_when_written() -> None:
    last = LastBuild(MEET, LIVE)
    cell = calendar_cell(last, planned=3, written="2027-02-20 06:30")
    assert cell == ("3 events on the calendar, 2027-03-16 15:30 to 2027-03-30 15:30; "
                    "last written 2027-02-20 06:30 || for the tool: " + LEGACY)
    assert LastBuild.parse(cell) == last
    assert calendar_cell_current(cell, last)


def test_one_event_cancelled_ones_and_ones_not_written_yet() -> None:
    one = LastBuild(MEET, LIVE[:1])
    assert calendar_summary(one, planned=1) == "1 event on the calendar, 2027-03-16 15:30"
    partial = LastBuild(MEET, (LIVE[0], NOT_WRITTEN, LIVE[2]))
    assert calendar_summary(partial, planned=4) == (
        "2 events on the calendar, 2027-03-16 15:30 to 2027-03-30 15:30; 2 not written yet")
    called_off = LastBuild(MEET, ("cancelled@2027-03-16T15:30", "cancelled@2027-03-23T15:30"))
    assert calendar_summary(called_off, planned=0, written="2027-03-01 06:30") == (
        "0 events on the calendar; 2 cancelled; last written 2027-03-01 06:30")
    # A meeting taken off the list: still on the calendar until the step cancels it.
    dropped = LastBuild(MEET, (*LIVE[:2], "cancelled@2027-03-30T15:30"))
    assert calendar_summary(dropped, planned=2) == (
        "2 events on the calendar, 2027-03-16 15:30 to 2027-03-23 15:30; 1 cancelled")


def test_nothing_built_is_a_blank_cell() -> None:
    assert calendar_cell(LastBuild(), planned=3) == ""
    assert calendar_cell_current(None, LastBuild())
    assert calendar_cell_current("", LastBuild())
    assert not calendar_cell_current(LEGACY, LastBuild())


def test_a_cell_from_before_the_words_reads_the_same_but_is_not_current() -> None:
    last = LastBuild.parse(LEGACY)
    assert last == LastBuild(MEET, LIVE)
    assert not calendar_cell_current(LEGACY, last)


def test_only_the_memo_decides_whether_the_cell_is_current() -> None:
    last = LastBuild(MEET, LIVE)
    # The time in the words comes from the Built cell, which Sheets may hand back otherwise.
    other_words = "3 events on the calendar" + MEMO_SEPARATOR + last.cell()
    assert calendar_cell_current(other_words, last)
    moved = LastBuild(MEET, (*LIVE[:2], "c1b2c3d4e5f6@2027-04-06T15:30"))
    assert not calendar_cell_current(other_words, moved)


def test_words_without_their_separator_mean_nothing_is_known() -> None:
    """A coordinator deleted the '||': the words must not be read as tokens of events."""
    broken = "3 events on the calendar, 2027-03-16 15:30 to 2027-03-30 15:30 " + LEGACY
    assert LastBuild.parse(broken) == LastBuild()
    assert LastBuild.parse("garbage meet:zz 0123@x").events == (NOT_WRITTEN, NOT_WRITTEN)


# --- the step, on the local backend ----------------------------------------------------------


def _context(config: ProgramConfig, when: datetime) -> StepContext:
    return step_context(config, when.replace(tzinfo=config.zone))


def _sessions(ctx: StepContext) -> dict[str, dict]:
    rows = ctx.ports.roster.read_tabs([sheet.SESSIONS])[sheet.SESSIONS]
    return {str(r[sheet.SESSION_ID]): r for r in rows}


def _calendar_files(config: ProgramConfig) -> dict[Path, bytes]:
    folder = config.resolve(config.local.folder) / "calendar"
    return {p: p.read_bytes() for p in sorted(folder.rglob("*.ics"))}


def _meet_counter(config: ProgramConfig) -> int:
    state = config.resolve(config.local.folder) / "meet" / "meet-rooms.json"
    return int(json.loads(state.read_text())["counter"])


def test_an_old_cell_is_rewritten_once_without_touching_calendar_or_meet(
        make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    ctx = _context(config, datetime(2027, 2, 20, 6, 30))
    roster = ctx.ports.roster
    initialise(config, roster)
    ids = [f"S-{n}" for n in range(4)]
    roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: a, "School email address": f"student{n}@students.mesavalley.example"}
        for n, a in enumerate(ids)])
    roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: a, sheet.SESSION_ID: "data-fellows", sheet.PLACEMENT: "placed"}
        for a in ids])
    build_sessions(ctx)
    row = _sessions(ctx)["data-fellows"]
    cell = str(row[sheet.SESSION_CALENDAR])
    assert cell.startswith("6 events on the calendar, 2027-04-06 16:00 to 2027-05-11 16:00; "
                           "last written 2027-02-20 06:30 || for the tool: meet:")
    assert row[sheet.SESSION_BUILT] == "2027-02-20 06:30"

    # The cell as the tool wrote it before it had words: the memo alone.
    legacy = LastBuild.parse(cell).cell()
    roster.upsert(sheet.SESSIONS, sheet.SESSION_ID,
                  [{sheet.SESSION_ID: "data-fellows", sheet.SESSION_CALENDAR: legacy}])
    files, rooms = _calendar_files(config), _meet_counter(config)
    later = _context(config, datetime(2027, 2, 21, 6, 30))
    result = build_sessions(later)
    assert result.counts.get("events written") is None and "spaces updated" not in result.counts
    assert _calendar_files(config) == files and _meet_counter(config) == rooms
    after = _sessions(later)["data-fellows"]
    assert after[sheet.SESSION_CALENDAR] == cell          # the words, the Built time kept
    assert after[sheet.SESSION_BUILT] == "2027-02-20 06:30"

    # Nothing changed since: the Sessions tab is not written again either.
    workbook = config.resolve(config.local.folder) / "program.xlsx"
    saved = workbook.stat().st_mtime_ns, workbook.read_bytes()
    assert build_sessions(_context(config, datetime(2027, 2, 22, 6, 30))).counts["unchanged"] == 1
    assert (workbook.stat().st_mtime_ns, workbook.read_bytes()) == saved
    assert _calendar_files(config) == files
