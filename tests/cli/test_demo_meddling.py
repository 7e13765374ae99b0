"""Issue 13, sheet edits mid-run, on the local backend: someone else saves the workbook mid-write.

The demo's timeline runs on the local backend as `make demo` runs it (the demo's people act,
then ``run_due`` under ``hold_program`` each simulated morning), twice: once alone, and once, in
a fresh folder, with a person who keeps the program workbook open in another program. Around
four in ten writes of a tab (``upsert`` or ``clear_unkeyed``) that person rewrites the .xlsx with
openpyxl: sorts the tab's data rows by a random column in a random direction, inserts a blank
row at a random place, now and then deletes a blank row inserted earlier, and saves (a new
modification time). Half of the edits land just before the write (after the step read the
tab), half in the workbook's own window between its load and its replace of the file (the
``_before_replace`` seam), which makes the workbook redo the write on the person's version.

Afterwards every tab is compared with the alone run by key, as the Google test does
(``tests/adapters/test_timeline_meddling.py``): the same keys, each on one row, the same
tool-owned values (consent columns and the Outbox above all), no tool cell on a row without a
key, and the same letters in the outbox, each once.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from adapters.test_timeline_meddling import NORMALISED, TabView, differences, views
from openpyxl import load_workbook

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.bootstrap import build_ports, hold_program, step_context
from microintern.demo.assignments import HandIns
from microintern.demo.attendance import MeetingAttendance
from microintern.demo.feedback import answer_feedback
from microintern.demo.hours import log_and_confirm_hours
from microintern.demo.people import People
from microintern.demo.run import coordinator_decides, demo_config, write_responses
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet
from microintern.domain.mime import KEY_HEADER
from microintern.domain.records import Record
from microintern.ports import UpsertResult
from microintern.steps.context import Ports
from microintern.steps.lease import ProgramLease
from microintern.steps.runner import RunReport, run_due

APPLICANTS = 12
SEED = 7
#: The share of writes the person edits around: each edit is a full load and save of the file by
#: openpyxl, and makes the workbook redo its write, so editing around every write would triple a
#: run that already takes a minute.
SHARE = 0.4

@dataclass
class Person:
    """Someone with the workbook open elsewhere: sorts, inserts and deletes rows, then saves."""

    path: Path
    seed: int
    rng: random.Random = field(init=False)
    meddles: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def meddle(self, tab: str) -> None:
        """Rewrite ``tab`` of the file: sorted, a blank row inserted, maybe one deleted; saved."""
        if not self.path.exists():
            return
        started = time.perf_counter()
        before = self.path.stat().st_mtime_ns
        book = load_workbook(self.path)
        if tab not in book.sheetnames:
            return
        grid = book[tab]
        width, height = grid.max_column, grid.max_row
        rng = self.rng
        # Values with their type and format: a text "=..." must stay text, as Excel keeps it.
        lines = [[(c.value, c.data_type, c.number_format) for c in row]
                 for row in grid.iter_rows(min_row=2, max_row=height, max_col=width)]
        column, descending = rng.randrange(width), rng.random() < 0.5
        filled = [line for line in lines if any(v not in (None, "") for v, _, _ in line)]
        empty = [line for line in lines if line not in filled]
        filled.sort(key=lambda line: _order(line[column][0]), reverse=descending)
        # Excel sorts blank cells last in either direction.
        blank_last = [line for line in filled if line[column][0] not in (None, "")] + \
            [line for line in filled if line[column][0] in (None, "")]
        for number, line in enumerate([*blank_last, *empty], start=2):
            for index, (value, kind, number_format) in enumerate(line, start=1):
                cell = grid.cell(row=number, column=index)
                cell.value = value
                if value is not None:
                    cell.data_type = kind
                cell.number_format = number_format
        self.actions["sort"] += 1
        grid.insert_rows(rng.randint(2, max(2, len(filled) + 1)))
        self.actions["insert"] += 1
        blank = [n for n in range(2, grid.max_row + 1)
                 if all(c.value in (None, "") for c in grid[n])]
        if blank and rng.random() < 0.4:
            grid.delete_rows(rng.choice(blank))
            self.actions["delete blank"] += 1
        book.save(self.path)
        # A save the workbook can tell from its own, even within the clock's granularity.
        later = max(time.time_ns(), before + 1_000_000)
        os.utime(self.path, ns=(later, later))
        self.meddles[tab] += 1
        self.seconds += time.perf_counter() - started


def _order(value: Any) -> tuple[int, Any]:
    """Excel's sort order: numbers before text before booleans (blanks apart)."""
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, float(value))
    return (1, str(value).lower())


class SharedWorkbook(LocalWorkbook):
    """The program workbook while ``person`` has it open: they save around each of our writes."""

    def __init__(self, path: Path, person: Person) -> None:
        super().__init__(path)
        self.person = person
        self._mid_save: str | None = None  # the tab the person edits during our next save

    def _around(self, tab: str) -> None:
        if self.person.rng.random() >= SHARE:
            return
        if self.person.rng.random() < 0.5:
            self.person.meddle(tab)       # after the step read the tab, before it writes
        else:
            self._mid_save = tab          # after we load, before we replace the file

    def _before_replace(self) -> None:
        """The person saves between our load and our replace (once per write: then they rest)."""
        if self._mid_save is not None:
            tab, self._mid_save = self._mid_save, None
            self.person.meddle(tab)

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """The person edits ``tab`` around this write."""
        self._around(tab)
        try:
            return super().upsert(tab, key_column, rows)
        finally:
            self._mid_save = None

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """The person edits ``tab`` around this write."""
        self._around(tab)
        try:
            return super().clear_unkeyed(tab, key_column, columns)
        finally:
            self._mid_save = None


@dataclass
class LocalRun:
    """One run of the demo's timeline on the local backend; what it left and how long it took."""

    folder: Path
    reports: list[RunReport]
    seconds: float

    @property
    def local(self) -> Path:
        """The backend's folder (workbook, outbox, forms...)."""
        return self.folder / "local"


def play(folder: Path, person_seed: int | None) -> tuple[LocalRun, Person | None]:
    """The demo's loop (``microintern.demo.run.run_demo``), from T-8w to six days after the first session.

    Every tab is written in this span: the first session's attendance, feedback and badges too.
    """
    folder.mkdir(parents=True)
    config = demo_config(folder)
    local = config.resolve(config.local.folder)
    sample = applications(config, count=APPLICANTS, seed=SEED)
    ports: Ports = build_ports(config)
    person: Person | None = None
    if person_seed is not None:
        person = Person(local / "program.xlsx", person_seed)
        ports = replace(ports, roster=SharedWorkbook(local / "program.xlsx", person))
    zone = config.zone
    first_meeting = config.first_meeting().date()
    day, last = first_meeting - timedelta(weeks=8), first_meeting + timedelta(days=6)
    decisions_day = first_meeting - timedelta(weeks=4)
    people = People(config, local / "forms")
    hand_ins = HandIns(config, local)
    meetings = MeetingAttendance(config, local / "meet")
    reports: list[RunReport] = []
    started = time.perf_counter()
    while day <= last:
        now = datetime.combine(day, config.schedule.run_at, tzinfo=zone)
        write_responses(local / "forms", config, [a for a in sample if a.submitted_at <= now])
        # The demo's people write through a plain workbook: the person meddles with the tool's
        # writes only, as on Google.
        plain = LocalWorkbook(local / "program.xlsx")
        people.act(now, plain)
        meetings.act(now, plain)
        answer_feedback(config, local / "forms", now, plain)
        log_and_confirm_hours(config, local / "forms", now, plain)
        hand_ins.act(now, plain)
        if day == decisions_day:
            coordinator_decides(config, plain)

        def work(held: Ports, lease: ProgramLease, now: datetime = now) -> RunReport:
            return run_due(step_context(config, now, ports=held), lease=lease)

        reports.append(hold_program(config, work, ports=ports))
        day += timedelta(days=1)
    return LocalRun(folder, reports, time.perf_counter() - started), person


def workbook_views(path: Path) -> dict[str, TabView]:
    """Every tab of the workbook by key (values as text; blank cells as "")."""
    book = load_workbook(path)
    tables = {name: [["" if v is None else v for v in row] for row in book[name].iter_rows(values_only=True)]
              for name in book.sheetnames}
    return views(tables)


def letters(local: Path) -> Counter[str]:
    """Sent letters by their X-Microintern-Key header."""
    keys: Counter[str] = Counter()
    for path in (local / "outbox" / "sent").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        keys[str(message[KEY_HEADER])] += 1
    return keys


@pytest.mark.slow
def test_someone_saving_the_workbook_around_every_write_leaves_every_cell_on_its_keys_row(
        tmp_path: Path) -> None:
    alone, _ = play(tmp_path / "alone", None)
    assert [r.failed for r in alone.reports if r.failed] == []
    expected, sent = workbook_views(alone.local / "program.xlsx"), letters(alone.local)

    meddled, person = play(tmp_path / "meddled", SEED)
    assert person is not None
    found, found_sent = workbook_views(meddled.local / "program.xlsx"), letters(meddled.local)
    days = len(meddled.reports)
    print(f"\nsheet edits mid-run (local): {sum(person.meddles.values())} meddles "
          f"{dict(person.meddles)}; actions {dict(person.actions)}; {days} days, {APPLICANTS} "
          f"applicants; wall alone {alone.seconds:.1f} s, meddled {meddled.seconds:.1f} s "
          f"(of which the person's saves {person.seconds:.1f} s)")

    assert [r.failed for r in meddled.reports if r.failed] == []
    assert sum(person.meddles.values()) > 80
    assert set(person.meddles) >= {sheet.APPLICATIONS, sheet.PARTNERS, sheet.SESSIONS,
                                   sheet.PARTICIPANTS, sheet.OUTBOX, sheet.TIMELINE}, person.meddles
    assert set(found) == set(expected)
    assert {n: v.twice for n, v in found.items() if v.twice} == {}
    assert {n: v.stray for n, v in found.items() if v.stray} == {}
    assert sum(v.blank_rows for v in found.values()) > 0  # the person's rows are still there
    assert differences(expected, found, NORMALISED) == {}
    consent = (sheet.RELEASE_RETURNED, sheet.PARTICIPATION_ALLOWED, sheet.RECORDING_ALLOWED,
               sheet.MEDIA_ALLOWED)
    assert any(r[sheet.RELEASE_RETURNED] for r in found[sheet.PARTICIPANTS].rows.values())
    assert {k: {c: r[c] for c in consent} for k, r in found[sheet.PARTICIPANTS].rows.items()} == \
        {k: {c: r[c] for c in consent} for k, r in expected[sheet.PARTICIPANTS].rows.items()}
    assert max(found_sent.values()) == 1
    assert set(found_sent) == set(sent)
