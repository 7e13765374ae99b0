"""Issue 13, sheet edits mid-run: a coordinator sorts, inserts and deletes rows while cron writes.

The demo's timeline runs on the Google backend against the fake Workspace twice: once with
nobody in the sheet (the baseline), and once, in a fresh program, with a coordinator working in
the program sheet during every ``run-due``. Just before each write of a tab (``values.batchUpdate``
or ``values.append``, after the tool's read of that tab) the coordinator sorts that tab's data
rows by a random column, in a random direction, inserts a blank row at a random place, and now
and then deletes a blank row inserted earlier. Afterwards every tool-written tab is compared
with the baseline by key: the same keys, each on one row, each row holding the same tool-owned
values (consent columns and the Outbox above all), and no tool cell on a row without a key.
The letters are compared by their X-Microintern-Key header: the same keys, each sent once.

A smaller case deletes keyed rows (a person's data is lost by definition): no letter goes out
twice, nothing the person did not delete is lost, and what the tool writes again is whole.

The coordinator acts inside the fake, just before a write is applied, on every tab the write
names (since issue 19 the tool reads the sheet once per run and one write may carry several
tabs, so the coordinator looks at the request itself: :func:`watch_writes`). A write of a tab
whose last call was the read-back of the tab's previous write is a repair, and the coordinator
leaves that tab alone: someone who edits between every read and every repair, forever, is the
"tab that keeps moving" of ``test_google_sheet_safety``, which ends in a clear error by design.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fakeworkspace import FakeWorkspace, a1
from fakeworkspace.context import Call
from fakeworkspace.sheets_batch import apply_batch
from timeline_google import (
    SPREADSHEET_ID,
    GoogleTimeline,
    sent_keys,
    store_counts,
    tabs,
    waits_for_the_fake,
)

from microintern.domain import program_sheet as sheet

APPLICANTS = 20
SEED = 13

#: The coordinator meddles before these writes (the tool's only ways of putting values in cells).
WRITES = ("sheets.spreadsheets.values.batchUpdate", "sheets.spreadsheets.values.append")
_READ = "sheets.spreadsheets.values.batchGet"
_APPEND_PATH = re.compile(r"/values/(?P<range>[^/]+):append$")

Normaliser = Callable[[str], str]


def present(value: str) -> str:
    """Only whether a value is there: for ids another service hands out in its own order."""
    return "present" if value else ""


def badge_day(value: str) -> str:
    """A Badge cell without its assertion id ("2027-03-19 assertion 0a3d..." → "2027-03-19")."""
    return value.split(" assertion ", 1)[0]


def counts(value: str) -> str:
    """A run's Result ("attended no 2, attended yes 4") with its counts in one order."""
    return ", ".join(sorted(part.strip() for part in value.split(",")))


def anything(_value: str) -> str:
    """Not compared."""
    return ""


#: Cells compared through a normaliser, per tab and column ("*" column: every column), with why.
#: Every other cell of every tab must be equal, key by key. The ids below are handed out by Gmail
#: and the badge service in the order the tool asks, and the tool works through a tab's rows in
#: the order it reads them, which the coordinator's sorts change: two letters sent in another
#: order swap ids, so only their presence is compared.
NORMALISED: dict[str, dict[str, tuple[Normaliser, str]]] = {
    sheet.OUTBOX: {"Draft ID": (present, "Gmail's draft id, in drafting order"),
                   "Message ID": (present, "Gmail's message id, in sending order")},
    sheet.PARTICIPANTS: {sheet.BADGE: (badge_day, "the assertion id, in award order")},
    sheet.TIMELINE: {"Result": (counts, "counts listed in the order the rows were met")},
    sheet.RUN_LEASE: {"*": (anything, "the lease names the run holding it: pid, token, times")},
}


# --- the coordinator -------------------------------------------------------------------------


def _tabs_of(call: Call) -> set[str]:
    """Every tab a Sheets values call named (all its ranges)."""
    texts: list[str] = []
    if call.method_id == _READ:
        texts = list(call.query.get("ranges") or [])
    elif call.method_id == WRITES[0]:
        texts = [d.get("range", "") for d in (call.body or {}).get("data") or []]
    elif call.method_id == WRITES[1]:
        found = _APPEND_PATH.search(unquote(call.path))
        texts = [found["range"]] if found else []
    return {tab for tab in map(_sheet_of, texts) if tab is not None}


def _sheet_of(text: str) -> str | None:
    try:
        return a1.parse(text).sheet
    except a1.A1Error:
        return None


def watch_writes(fake: FakeWorkspace, coordinator: Coordinator) -> Callable[[], None]:
    """Have ``coordinator`` act just before each write, on the tabs it names; returns the undo.

    The fake's hooks get the fake but not the request, so the write handlers are wrapped.
    """
    originals = {method: fake.handlers[method] for method in WRITES}

    def wrapped(method: str) -> Any:
        def handler(ctx: Any) -> Any:
            if method == WRITES[0]:
                texts = [d.get("range", "") for d in (ctx.body or {}).get("data") or []]
            else:
                texts = [ctx.path("range")]
            coordinator(fake, sorted({t for t in map(_sheet_of, texts) if t is not None}))
            return originals[method](ctx)
        return handler

    for method in WRITES:
        fake.handlers[method] = wrapped(method)
    return lambda: fake.handlers.update(originals)


@dataclass
class Coordinator:
    """Someone working in the program sheet: sorts, inserts blank rows, deletes blank rows.

    Called by the fake under its state lock just before a write is applied. ``delete_keyed``
    makes them also delete, now and then, a row that has a key (someone tidying up by hand).
    """

    seed: int
    delete_keyed: float = 0.0
    active: bool = False
    rng: random.Random = field(init=False)
    meddles: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    deleted: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def __call__(self, fake: FakeWorkspace, tabs: list[str]) -> None:
        """Meddle with each tab about to be written, unless this write repairs it."""
        if not self.active:
            return
        for tab in tabs:
            if fake.sheets.get(SPREADSHEET_ID).sheet_by_title(tab) is None:
                continue
            named = [c for c in reversed(fake.calls) if tab in _tabs_of(c)][:2]
            if len(named) == 2 and named[0].method_id == _READ and named[1].method_id in WRITES:
                continue  # the read-back of our own write: this write repairs it, leave it be
            self.meddle(fake, tab)

    def meddle(self, fake: FakeWorkspace, tab: str) -> None:
        """Sort ``tab`` by a random column, insert a blank row, maybe delete a blank (or keyed) row."""
        spreadsheet = fake.sheets.get(SPREADSHEET_ID)
        grid = spreadsheet.sheet_by_title(tab)
        assert grid is not None
        width = max((len(r) for r in grid.rows[:1]), default=0)
        if width == 0:
            return  # no header yet
        self.meddles[tab] += 1
        rng = self.rng
        requests: list[dict[str, Any]] = [{"sortRange": {
            "range": {"sheetId": grid.sheet_id, "startRowIndex": 1},
            "sortSpecs": [{"dimensionIndex": rng.randrange(width),
                           "sortOrder": rng.choice(("ASCENDING", "DESCENDING"))}]}}]
        apply_batch(spreadsheet, requests)
        self.actions["sort"] += 1
        at = rng.randint(1, max(1, grid.used_rows()))
        apply_batch(spreadsheet, [{"insertDimension": {"range": {
            "sheetId": grid.sheet_id, "dimension": "ROWS", "startIndex": at, "endIndex": at + 1}}}])
        self.actions["insert"] += 1
        blank = [n for n in range(1, grid.used_rows()) if not any(c is not None for c in grid.rows[n])]
        if blank and rng.random() < 0.4:
            self._delete(spreadsheet, grid.sheet_id, rng.choice(blank))
            self.actions["delete blank"] += 1
        if self.delete_keyed and rng.random() < self.delete_keyed:
            keyed = [n for n in range(1, grid.used_rows())
                     if grid.cell(n, 0) is not None and str(grid.cell(n, 0).value) != ""]  # type: ignore[union-attr]
            if keyed:
                n = rng.choice(keyed)
                self.deleted.append((tab, str(grid.cell(n, 0).value)))  # type: ignore[union-attr]
                self._delete(spreadsheet, grid.sheet_id, n)
                self.actions["delete keyed"] += 1

    @staticmethod
    def _delete(spreadsheet: Any, sheet_id: int, row: int) -> None:
        apply_batch(spreadsheet, [{"deleteDimension": {"range": {
            "sheetId": sheet_id, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}}}])


class MeddledTimeline(GoogleTimeline):
    """The timeline with a coordinator in the sheet while the tool runs (not while people act)."""

    coordinator: Coordinator | None = None

    def act(self, now: datetime) -> None:
        """The demo's people act first; the coordinator meddles only with the tool's run."""
        if self.coordinator is not None:
            self.coordinator.active = False
        try:
            super().act(now)
        finally:
            if self.coordinator is not None:
                self.coordinator.active = True


def span(driver: GoogleTimeline) -> list[date]:
    """From eight weeks before the first session to the day after the first session's letters.

    Every tab is written in this span (the first session's attendance, feedback, assignments and
    hours among them), at a third of the whole timeline's cost.
    """
    first = driver.config.first_meeting().date()
    return [d for d in driver.days() if d <= first + timedelta(days=8)]


# --- what the sheet holds, by key ------------------------------------------------------------


@dataclass
class TabView:
    """One tab read by key: rows by key, keys seen twice, rows without a key that hold cells."""

    header: list[str]
    rows: dict[str, dict[str, str]]
    twice: list[str]
    stray: list[dict[str, str]]
    blank_rows: int


def by_key(fake: FakeWorkspace) -> dict[str, TabView]:
    """Every tab of the program sheet, keyed by its first column (each tab's id column)."""
    return views(tabs(fake))


def views(tables: Mapping[str, list[list[Any]]]) -> dict[str, TabView]:
    """Tabs (name → values, header first) keyed by their first column (each tab's id column)."""
    found: dict[str, TabView] = {}
    for name, values in tables.items():
        if not values or not values[0]:
            continue
        header = [str(h) for h in values[0]]
        rows: dict[str, dict[str, str]] = {}
        twice: list[str] = []
        stray: list[dict[str, str]] = []
        blank = 0
        for line in values[1:]:
            cells = {h: ("" if v is None else str(v)) for h, v in zip(header, line, strict=False)}
            key = cells.get(header[0], "")
            if key == "":
                filled = {h: v for h, v in cells.items() if v != ""}
                if filled:
                    stray.append(filled)
                else:
                    blank += 1
                continue
            if key in rows:
                twice.append(key)
            rows[key] = cells
        found[name] = TabView(header, rows, twice, stray, blank)
    return found


def differences(expected: Mapping[str, TabView], found: Mapping[str, TabView],
                normalised: Mapping[str, Mapping[str, tuple[Normaliser, str]]]) -> dict[str, list[str]]:
    """Per tab, what differs from the baseline: missing or extra keys, and cells by key.

    ``normalised``: per tab, columns compared through a function ("*": every column).
    """
    out: dict[str, list[str]] = {}
    for name in expected:
        want, got = expected[name], found[name]
        rules = normalised.get(name, {})
        problems: list[str] = []
        missing, extra = sorted(set(want.rows) - set(got.rows)), sorted(set(got.rows) - set(want.rows))
        if missing:
            problems.append(f"missing keys {missing}")
        if extra:
            problems.append(f"extra keys {extra}")
        for key in sorted(set(want.rows) & set(got.rows)):
            for column in dict.fromkeys([*want.header, *got.header]):
                same = rules.get(column, rules.get("*", (str, "")))[0]
                a, b = want.rows[key].get(column, ""), got.rows[key].get(column, "")
                if same(a) != same(b):
                    problems.append(f"{key} {column}: {a!r} != {b!r}")
        if problems:
            out[name] = problems
    return out


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.slow
def test_sorts_and_inserted_rows_before_every_write_leave_every_cell_on_its_keys_row(
        fake_server: FakeWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_server
    waits_for_the_fake(monkeypatch, fake)

    # (a) The baseline: nobody in the sheet.
    fake.reset()
    baseline = GoogleTimeline(fake, tmp_path / "baseline", applicants=APPLICANTS)
    baseline.run(span(baseline))
    assert [o.failures for o in baseline.outcomes if o.failures] == []
    expected, letters, stores = by_key(fake), sent_keys(fake), store_counts(fake)

    # (b) A fresh program, the coordinator in the sheet before every first write of a tab.
    fake.reset()
    coordinator = Coordinator(SEED)
    meddled = MeddledTimeline(fake, tmp_path / "meddled", applicants=APPLICANTS)
    meddled.coordinator = coordinator
    undo = watch_writes(fake, coordinator)
    meddled.run(span(meddled))
    coordinator.active = False
    undo()
    found, found_letters = by_key(fake), sent_keys(fake)

    print(f"\nsheet edits mid-run (Google): {sum(coordinator.meddles.values())} meddles "
          f"{dict(coordinator.meddles)}; actions {dict(coordinator.actions)}; "
          f"{len(span(meddled))} days, {APPLICANTS} applicants; wall (a) {baseline.seconds:.1f} s, "
          f"(b) {meddled.seconds:.1f} s")

    assert [o.failures for o in meddled.outcomes if o.failures] == []
    assert fake.rejections == [] and fake.errors == []
    written = sorted(n for n in expected if n in coordinator.meddles)
    # Every tool-written tab was meddled with, many times.
    assert set(written) >= {sheet.APPLICATIONS, sheet.PARTNERS, sheet.SESSIONS, sheet.PARTICIPANTS,
                            sheet.OUTBOX, sheet.TIMELINE, sheet.SETTINGS}, coordinator.meddles
    assert sum(coordinator.meddles.values()) > 200
    assert set(found) == set(expected)
    # Each key once, and no tool cell on a row without a key (blank rows may stay: the
    # coordinator inserted them).
    assert {n: v.twice for n, v in found.items() if v.twice} == {}
    assert {n: v.stray for n, v in found.items() if v.stray} == {}
    assert sum(v.blank_rows for v in found.values()) > 0  # the coordinator's rows are still there
    # Same keys, same tool-owned values, key by key.
    assert differences(expected, found, NORMALISED) == {}
    # The consent columns and the Outbox, said once more where a failure would point first.
    consent = (sheet.RELEASE_RETURNED, sheet.PARTICIPATION_ALLOWED, sheet.RECORDING_ALLOWED,
               sheet.MEDIA_ALLOWED)
    assert any(r[sheet.RELEASE_RETURNED] for r in found[sheet.PARTICIPANTS].rows.values())
    assert {k: {c: r[c] for c in consent} for k, r in found[sheet.PARTICIPANTS].rows.items()} == \
        {k: {c: r[c] for c in consent} for k, r in expected[sheet.PARTICIPANTS].rows.items()}
    # Letters: the same keys, each sent once.
    assert max(found_letters.values()) == 1
    assert set(found_letters) == set(letters)
    assert store_counts(fake) == stores
