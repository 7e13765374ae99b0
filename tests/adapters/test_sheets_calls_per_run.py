"""Issue 19: a run reads the program sheet once; Sheets calls per ``run-due`` stay small.

The example program's first four weeks (partner outreach, the application form, applications
and their acknowledgements, the partner pipeline, the decisions) run day by day on the Google backend against
the fake Workspace, exactly as cron runs them (lock, lease and all: ``tests/timeline_google.py``).
Only each ``run-due``'s own calls are counted, not those of the people acting in the morning.
On the busy days (letters sent, several steps writing) the run stays within the issue's
ceiling, which before the snapshot was 52 to 73 Sheets calls and 39 to 53 reads; every day
reads the sheet at most 4 times. The whole timeline at 29, 500 and 5,000 applicants is
``scripts/benchmark_sheets_calls.py`` (docs/benchmarks.md).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from fakeworkspace import FakeWorkspace
from timeline_google import SPREADSHEET_ID, GoogleTimeline, sent_keys, settings

SHEETS_CEILING = 12
READS_CEILING = 4
READS = ("sheets.spreadsheets.values.get", "sheets.spreadsheets.values.batchGet",
         "sheets.spreadsheets.get")
BUSY_DAYS = ("2027-01-28", "2027-02-02", "2027-02-16")
"""Days that sent letters and wrote several tabs (52, 60 and 73 Sheets calls each before; 9, 10
and 10 now). The 16th is the decisions day: 34 letters from three mailing steps, each step's new
letters recorded in one append before its first draft, and new rows in four tabs saved in one
call at the end (14 Sheets calls while each chunk of 25 drafts had an append of its own).
The 26th (a form and the Settings tab made, charts first drawn) cost 13 until the new tab's
header rode with the run's last save: see the test of that day below."""


class _Counted(GoogleTimeline):
    mark = 0

    def act(self, now: datetime) -> None:
        super().act(now)
        self.mark = len(self.fake.calls)  # the calls after this are the run-due's


def test_busy_run_due_days_stay_within_the_sheets_ceiling(fake: FakeWorkspace, tmp_path: Path) -> None:
    driver = _Counted(fake, tmp_path, applicants=29)
    days = [d for d in driver.days() if d.isoformat() <= BUSY_DAYS[-1]]
    per_day: dict[str, Counter[str]] = {}
    for day in days:
        outcome = driver.day(day)
        assert outcome.failures == [], (day, outcome.failures)
        per_day[day.isoformat()] = Counter(c.method_id for c in fake.calls[driver.mark:])
        fake.reset_calls()

    for day in BUSY_DAYS:
        calls = per_day[day]
        sheets = sum(n for method, n in calls.items() if method.startswith("sheets."))
        reads = sum(calls[method] for method in READS)
        assert calls["gmail.users.drafts.send"] > 0, (day, "a busy day sends letters")
        assert sheets <= SHEETS_CEILING, (day, {m: n for m, n in calls.items() if m.startswith("sheets.")})
        assert reads <= READS_CEILING, (day, {m: n for m, n in calls.items() if m.startswith("sheets.")})
    # Every run-due of the span, busy or idle, first run included, stayed within the reads.
    for day, calls in per_day.items():
        assert sum(calls[method] for method in READS) <= READS_CEILING, (day, calls)
    # Each letter once: the gathered writes did not cost a duplicate.
    assert sent_keys(fake) and max(sent_keys(fake).values()) == 1


TABS_MADE_DAY = "2027-01-26"
"""The day of the first partner meeting: the Settings tab is made (to remember the industry
form) and the Dashboard's charts are first drawn. 13 Sheets calls until the new tab's header
rode with the run's last save instead of a write of its own."""


def test_the_day_the_settings_tab_and_charts_are_made_stays_within_the_ceiling(
        fake: FakeWorkspace, tmp_path: Path) -> None:
    driver = _Counted(fake, tmp_path, applicants=29)
    for day in [d for d in driver.days() if d.isoformat() <= TABS_MADE_DAY]:
        fake.reset_calls()
        outcome = driver.day(day)
        assert outcome.failures == [], (day, outcome.failures)
    calls = fake.calls[driver.mark:]
    methods = Counter(c.method_id for c in calls if c.method_id.startswith("sheets."))
    batches = [[next(iter(r)) for r in c.body["requests"]]
               for c in calls if c.method_id == "sheets.spreadsheets.batchUpdate"]
    # It is the day that makes them: the Settings tab and the Dashboard's charts, once; the
    # last save's new rows of several tabs go in one batch of appendCells (Settings, Dashboard).
    assert batches == [["addSheet"], ["addChart"] * 4, ["appendCells"] * 2], batches
    assert sum(methods.values()) <= SHEETS_CEILING, dict(methods)
    assert sum(methods[m] for m in READS) <= READS_CEILING, dict(methods)
    # The header rode with the last save, and is there, above the rows the run remembered.
    header_writes = [d["range"] for c in calls if c.method_id == "sheets.spreadsheets.values.batchUpdate"
                     for d in c.body["data"] if d["range"] == "'Settings'!A1"]
    assert header_writes == ["'Settings'!A1"]
    assert fake.sheets.values(SPREADSHEET_ID, "Settings")[0] == ["Setting", "Value"]
    assert settings(fake).get("Form industry ID")  # the partners' industry form, remembered
    assert len(fake.sheets.sheet(SPREADSHEET_ID, "Dashboard").charts) == 4
