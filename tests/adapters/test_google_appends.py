"""A save's new rows, in every tab, go to Sheets in one call (issue 19).

The run's last save used to send one ``values.append`` per tab with new rows (four on the
decisions day: Sessions, Participants, Settings, Problems). Several tabs' rows now go in one
``spreadsheets.batchUpdate`` of ``appendCells``: written as ``values.append`` with ``RAW``
writes them (text stays text), after each tab's last row, each row at most once even when the
answer is lost, and never over a row a person added meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakeworkspace import FakeWorkspace

from microintern.adapters.google.sheets import GoogleSheetsRoster
from microintern.adapters.google.transport import GoogleTransport, Retry

SID = "1AppendsProgramSheet000000000000000000000000"
TABS = {
    "Participants": ["Applicant ID", "Name", "Cohort"],
    "Problems": ["Key", "Problem"],
    "Settings": ["Setting", "Value"],
}
KEYS = {"Participants": "Applicant ID", "Problems": "Key", "Settings": "Setting"}


@pytest.fixture
def roster(fake: FakeWorkspace, transport: GoogleTransport) -> Iterator[GoogleSheetsRoster]:
    fake.sheets.create(SID, "Program", {
        "Participants": [TABS["Participants"], ["A-1", "Ana", "s1"]],
        "Problems": [TABS["Problems"]],
        "Settings": [TABS["Settings"], ["Form ID", "f-1"]],
    })
    yield GoogleSheetsRoster(transport.sheets_http(), SID,
                             retry=Retry(sleep=lambda _: fake.wait_idle()))


def _save_new_rows(roster: GoogleSheetsRoster) -> None:
    with roster.batch():
        roster.read_tabs(list(TABS))          # the run's snapshot
        roster.upsert("Participants", "Applicant ID", [
            {"Applicant ID": "A-2", "Name": "=IMPORTXML(\"http://x\")", "Cohort": "00123"},
            {"Applicant ID": "A-3", "Name": "Zoë Łukasz", "Cohort": 7}])
        roster.upsert("Problems", "Key", [{"Key": "p-1", "Problem": "TRUE"}])
        roster.upsert("Settings", "Setting", [{"Setting": "Dashboard", "Value": True},
                                              {"Setting": "Rate", "Value": 2.5}])


def _calls(fake: FakeWorkspace) -> list[str]:
    return [c.method_id.removeprefix("sheets.spreadsheets.") for c in fake.calls
            if c.method_id.startswith("sheets.")]


def test_new_rows_of_three_tabs_go_in_one_call_and_read_back_as_written(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    fake.reset_calls()
    _save_new_rows(roster)
    writes = [c for c in _calls(fake) if c not in ("get", "values.batchGet")]
    assert writes == ["batchUpdate"]
    (call,) = fake.calls_to("sheets.spreadsheets.batchUpdate")
    assert [next(iter(r)) for r in call.body["requests"]] == ["appendCells"] * 3
    participants = fake.sheets.values(SID, "Participants")
    # RAW: a formula-looking answer and a number-looking text stay text; numbers stay numbers.
    assert participants == [TABS["Participants"], ["A-1", "Ana", "s1"],
                            ["A-2", "=IMPORTXML(\"http://x\")", "00123"], ["A-3", "Zoë Łukasz", 7]]
    assert fake.sheets.values(SID, "Problems") == [TABS["Problems"], ["p-1", "TRUE"]]
    assert fake.sheets.values(SID, "Settings") == [
        TABS["Settings"], ["Form ID", "f-1"], ["Dashboard", True], ["Rate", 2.5]]
    # The snapshot shows the rows: a later read in the same roster asks Sheets nothing.
    fake.reset_calls()
    with roster.batch():
        assert [r["Applicant ID"] for r in roster.read_tabs(["Participants"])["Participants"]] == [
            "A-1", "A-2", "A-3"]


def test_one_tab_with_new_rows_is_one_values_append(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    fake.reset_calls()
    with roster.batch():
        roster.read_tabs(list(TABS))
        roster.upsert("Problems", "Key", [{"Key": "p-1", "Problem": "late form"}])
    assert [c for c in _calls(fake) if c not in ("get", "values.batchGet")] == ["values.append"]


def test_a_lost_answer_is_read_before_anything_is_sent_again(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    """The batch landed but its answer was dropped: the tabs are read, nothing is appended twice."""
    fake.faults.add("sheets.spreadsheets.batchUpdate", "drop_after", times=1)
    _save_new_rows(roster)
    fake.wait_idle()
    assert [r[0] for r in fake.sheets.values(SID, "Participants")] == [
        "Applicant ID", "A-1", "A-2", "A-3"]
    assert len(fake.sheets.values(SID, "Settings")) == 4
    assert len(fake.calls_to("sheets.spreadsheets.batchUpdate")) == 1   # not sent again
    fake.rejections.clear()  # the injected fault is recorded there; it was the point


def test_a_refused_batch_is_sent_again_whole(fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    """A 500 before anything happened: the read finds nothing landed and the batch goes again."""
    fake.faults.add("sheets.spreadsheets.batchUpdate", "500", times=1)
    _save_new_rows(roster)
    assert [r[0] for r in fake.sheets.values(SID, "Participants")] == [
        "Applicant ID", "A-1", "A-2", "A-3"]
    assert [r[0] for r in fake.sheets.values(SID, "Problems")] == ["Key", "p-1"]
    assert len(fake.calls_to("sheets.spreadsheets.batchUpdate")) == 2
    fake.rejections.clear()


def test_rows_a_person_added_meanwhile_are_kept(fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    """A coordinator types two rows under the Participants table just before the save."""

    def coordinator_types(*_: object) -> None:
        fake.sheets.write(SID, "'Participants'!A3", [["A-9", "Walk-in", "s2"], ["A-10", "Late", ""]])

    fake.hooks.before("sheets.spreadsheets.batchUpdate", coordinator_types)
    _save_new_rows(roster)
    fake.hooks.clear()
    assert [r[0] for r in fake.sheets.values(SID, "Participants")] == [
        "Applicant ID", "A-1", "A-9", "A-10", "A-2", "A-3"]


def test_flush_new_saves_only_new_keys_and_never_skips_a_new_gathering(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    """What the mailer saves before each draft: the tab's new rows, in one values.append.

    A look that finds nothing new costs no call; a later gathering of the same size but other
    keys (the next step's letters) is saved all the same.
    """
    with roster.batch():
        roster.read_tabs(list(TABS))
        fake.reset_calls()
        roster.upsert("Problems", "Key", [{"Key": "p-1", "Problem": "a"}, {"Key": "p-2", "Problem": "b"}])
        roster.flush_new("Problems")
        assert _calls(fake) == ["values.append"]
        roster.upsert("Problems", "Key", [{"Key": "p-1", "Problem": "a, updated"}])
        roster.flush_new("Problems")
        roster.flush_new("Problems")
        assert _calls(fake) == ["values.append"]            # known rows wait for the save
        roster.flush()
        fake.reset_calls()
        roster.upsert("Problems", "Key", [{"Key": "p-3", "Problem": "c"}])
        roster.flush_new("Problems")
        assert _calls(fake) == ["values.append"]
    assert [r[0] for r in fake.sheets.values(SID, "Problems")] == ["Key", "p-1", "p-2", "p-3"]
    assert fake.sheets.values(SID, "Problems")[1] == ["p-1", "a, updated"]
