"""A tab made inside a command: its header rides with the command's next save (issue 19).

Inside a :meth:`GoogleSheetsRoster.batch` block, ``ensure_tabs`` makes a missing tab with one
``spreadsheets.batchUpdate`` and gathers its header row into the next save point's
``values.batchUpdate`` instead of writing it at once: the day the Settings tab is made (the
example timeline's 2027-01-26) is then within the issue's 12 Sheets calls. These tests hold
the safety of that: a lost answer to the ``addSheet`` or to the save carrying the header makes
one tab with one header and each row once, a rerun makes no structural call, and a run killed
before its save leaves a tab whose header the next run writes. All against the fake Workspace.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakeworkspace import FakeWorkspace

from microintern.adapters.google.sheets import GoogleSheetsRoster
from microintern.adapters.google.transport import GoogleTransport, Retry

SID = "1SheetNewTabsProgramSheet0000000000000000000"
SETTINGS = "Settings"
HEADER = ["Setting", "Value"]
ROWS = [{"Setting": "Application form ID", "Value": "1form"},
        {"Setting": "Application form link", "Value": "https://forms.example/1form"}]


@pytest.fixture
def roster(fake: FakeWorkspace, transport: GoogleTransport) -> Iterator[GoogleSheetsRoster]:
    fake.sheets.create(SID, "Program", {"Sheet1": []})
    yield new_roster(fake, transport)


def new_roster(fake: FakeWorkspace, transport: GoogleTransport) -> GoogleSheetsRoster:
    """A roster as a command makes it (a backoff waits for the fake to finish its work)."""
    return GoogleSheetsRoster(transport.sheets_http(), SID,
                              retry=Retry(sleep=lambda _: fake.wait_idle()))


def a_command(roster: GoogleSheetsRoster) -> None:
    """What ``read_settings`` then ``write_settings`` do in one run: make, read, write."""
    with roster.batch():
        roster.ensure_tabs({SETTINGS: HEADER})
        roster.read_tabs([SETTINGS])
        roster.upsert(SETTINGS, "Setting", ROWS)


def assert_one_settings_tab(fake: FakeWorkspace) -> None:
    titles = [s.title for s in fake.sheets.get(SID).sheets]
    assert titles.count(SETTINGS) == 1, titles
    assert fake.sheets.values(SID, SETTINGS) == [HEADER, *([r["Setting"], r["Value"]] for r in ROWS)]
    assert fake.sheets.sheet(SID, SETTINGS).frozen_rows == 1


def header_writes(fake: FakeWorkspace) -> int:
    """The writes of the Settings header row (the rows' own cells are written by row 2 on)."""
    return sum(1 for c in fake.calls_to("sheets.spreadsheets.values.batchUpdate")
               for d in c.body["data"] if d["range"].startswith(f"'{SETTINGS}'!A1"))


def test_a_new_tabs_header_rides_with_the_save(fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    a_command(roster)
    assert_one_settings_tab(fake)
    # One structural call (addSheet) and one save; no values.batchUpdate of the header alone.
    assert fake.count("sheets.spreadsheets.batchUpdate") == 1
    writes = fake.calls_to("sheets.spreadsheets.values.batchUpdate")
    assert [[d["range"] for d in c.body["data"]] for c in writes] == [["'Settings'!A1"]]
    assert fake.count("sheets.spreadsheets.values.append") == 1
    # The header went in before the rows: the append found the table under it.
    methods = [c.method_id for c in fake.calls]
    assert methods.index("sheets.spreadsheets.values.batchUpdate") < \
        methods.index("sheets.spreadsheets.values.append")


def test_a_rerun_makes_no_structural_call_and_no_header_write(
        fake: FakeWorkspace, roster: GoogleSheetsRoster, transport: GoogleTransport) -> None:
    a_command(roster)
    fake.reset_calls()
    a_command(new_roster(fake, transport))
    assert_one_settings_tab(fake)
    assert fake.count("sheets.spreadsheets.batchUpdate") == 0
    assert header_writes(fake) == 0
    assert fake.count("sheets.spreadsheets.values.append") == 0


def test_a_lost_answer_to_the_addsheet_makes_one_tab_with_one_header(
        fake: FakeWorkspace, roster: GoogleSheetsRoster, transport: GoogleTransport) -> None:
    fault = fake.faults.add("sheets.spreadsheets.batchUpdate", "drop_after", times=1)
    a_command(roster)
    assert fault.fired == 1
    assert_one_settings_tab(fake)
    # The tab landed with the lost answer: the spreadsheet was listed again, nothing re-sent.
    assert fake.count("sheets.spreadsheets.batchUpdate") == 1
    fake.reset_calls()
    a_command(new_roster(fake, transport))
    assert_one_settings_tab(fake)
    assert fake.count("sheets.spreadsheets.batchUpdate") == 0


def test_a_lost_answer_to_the_save_carrying_the_header_writes_each_row_once(
        fake: FakeWorkspace, roster: GoogleSheetsRoster, transport: GoogleTransport) -> None:
    header_write = fake.faults.add("sheets.spreadsheets.values.batchUpdate", "drop_after", times=1)
    append = fake.faults.add("sheets.spreadsheets.values.append", "drop_after", times=1)
    a_command(roster)
    assert (header_write.fired, append.fired) == (1, 1)
    assert_one_settings_tab(fake)
    assert fake.count("sheets.spreadsheets.batchUpdate") == 1
    fake.reset_calls()
    a_command(new_roster(fake, transport))
    assert_one_settings_tab(fake)
    assert fake.count("sheets.spreadsheets.batchUpdate") == 0
    assert fake.count("sheets.spreadsheets.values.append") == 0


def test_a_run_killed_before_its_save_leaves_a_header_the_next_run_writes(
        fake: FakeWorkspace, roster: GoogleSheetsRoster, transport: GoogleTransport) -> None:
    block = roster.batch()
    block.__enter__()  # the run dies inside its block: its save point never comes
    roster.ensure_tabs({SETTINGS: HEADER})
    roster.upsert(SETTINGS, "Setting", ROWS)
    assert fake.sheets.values(SID, SETTINGS) == []  # made, empty, no header yet
    fake.reset_calls()
    a_command(new_roster(fake, transport))
    assert_one_settings_tab(fake)
    assert fake.count("sheets.spreadsheets.batchUpdate") == 0
