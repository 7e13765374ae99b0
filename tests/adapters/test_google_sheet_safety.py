"""The program sheet adapter under real use: lost answers and a coordinator editing mid-write.

Against the fake Workspace over real HTTP. A hook edits the fake's spreadsheet just before a
write lands (a sort, inserted rows, a deleted row), as a coordinator working in the sheet while
cron runs would; faults lose the answer of a write that was applied. Every assertion is on the
fake's cells and on the calls it received.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram
from fakeworkspace import FakeWorkspace
from fakeworkspace.sheets_batch import apply_batch
from fakeworkspace.sheets_values import write_range

from microintern.adapters.google.sheets import REPAIR_ROUNDS, GoogleSheetsRoster
from microintern.adapters.google.transport import GoogleTransport, Retry
from microintern.domain.records import ChartSpec, Record
from microintern.errors import BackendError
from microintern.steps.setup import format_sheet, initialise

SID = "1SheetSafetyProgramSheet00000000000000000000"
OUTBOX = "Outbox"
OUTBOX_HEADER = ["Key", "Step", "Recipient ID", "To", "State", "Draft ID", "Message ID", "Notes"]
OUTBOX_TOOL = OUTBOX_HEADER[1:7]
PARTICIPANTS = "Participants"
PARTICIPANTS_HEADER = ["Applicant ID", "Name", "Cohort", "Recording permission",
                       "Media permission", "Notes"]
CONSENT = ["Recording permission", "Media permission"]
COORDINATOR_NOTE = "call the counselor about Tuesday"


@pytest.fixture
def roster(fake: FakeWorkspace, transport: GoogleTransport) -> Iterator[GoogleSheetsRoster]:
    # Waiting out a backoff is waiting for the fake to finish what it has in hand.
    yield GoogleSheetsRoster(transport.sheets_http(), SID,
                             retry=Retry(sleep=lambda _: fake.wait_idle()))


# --- the tabs ------------------------------------------------------------------------------


def outbox_row(n: int, state: str = "drafted") -> list[Any]:
    return [f"mvusd/decision/s{n:03d}", "decision", f"s{n:03d}", f"student{n:03d}@x.test", state,
            f"r-draft-{n:03d}", "", ""]


def seed_outbox(fake: FakeWorkspace, count: int = 30) -> dict[str, dict[str, Any]]:
    """An Outbox of ``count`` drafted letters in a scrambled order; returns them by key."""
    rows = [outbox_row(n) for n in range(count)]
    random.Random(7).shuffle(rows)
    fake.sheets.create(SID, "Program", {OUTBOX: [OUTBOX_HEADER, *rows],
                                        PARTICIPANTS: [PARTICIPANTS_HEADER]})
    return {row[0]: dict(zip(OUTBOX_HEADER, row, strict=True)) for row in rows}


def sent(keys: Sequence[str], seen: dict[str, dict[str, Any]]) -> list[Record]:
    """The Outbox records of letters just sent (whole records, as the mailing step writes)."""
    return [{**{h: seen[k][h] for h in OUTBOX_HEADER[:7]}, "State": "sent",
             "Message ID": f"m-{k.rsplit('/', 1)[1]}"} for k in keys]


def seed_participants(fake: FakeWorkspace, count: int = 24) -> dict[str, dict[str, Any]]:
    """Participants, every third one with release-form permissions already recorded."""
    rows = []
    for n in range(count):
        done = n % 3 == 0
        rows.append([f"A{n:04d}", f"Student {chr(65 + (n * 7) % 26)}{n}", f"C{n % 4}",
                     ("no" if n % 2 else "yes") if done else "",
                     "yes" if done else "", ""])
    random.Random(3).shuffle(rows)
    fake.sheets.create(SID, "Program", {PARTICIPANTS: [PARTICIPANTS_HEADER, *rows],
                                        OUTBOX: [OUTBOX_HEADER]})
    return {row[0]: dict(zip(PARTICIPANTS_HEADER, row, strict=True)) for row in rows}


def table(fake: FakeWorkspace, tab: str) -> list[dict[str, Any]]:
    """The tab's non-blank rows as dicts (blank cells as "")."""
    values = fake.sheets.values(SID, tab)
    header = [str(h) for h in values[0]]
    rows = []
    for row in values[1:]:
        if any(v not in ("", None) for v in row):
            padded = [*row, *[""] * (len(header) - len(row))]
            rows.append({h: ("" if v is None else v) for h, v in zip(header, padded, strict=True)})
    return rows


def check_tab(fake: FakeWorkspace, tab: str, key: str, tool: Sequence[str],
              wanted: dict[str, dict[str, Any]]) -> None:
    """Each key once, on a row holding exactly its cells; no tool cell on a row without a key."""
    rows = table(fake, tab)
    keyed = [r for r in rows if r[key] != ""]
    keys = [r[key] for r in keyed]
    assert len(keys) == len(set(keys)), "a key is on two rows"
    assert set(keys) == set(wanted)
    for row in keyed:
        for header in tool:
            assert row[header] == wanted[row[key]][header], (row[key], header, row[header])
    for row in rows:
        if row[key] == "":
            assert all(row[h] == "" for h in tool), row


# --- the coordinator -------------------------------------------------------------------------


def sheet_id(fake: FakeWorkspace, tab: str) -> int:
    return fake.sheets.sheet(SID, tab).sheet_id


def sort_by(tab: str, column: int, descending: bool = True) -> Callable[[FakeWorkspace], None]:
    """The coordinator sorts the tab's data rows by one column."""
    def edit(fake: FakeWorkspace) -> None:
        apply_batch(fake.sheets.get(SID), [{"sortRange": {
            "range": {"sheetId": sheet_id(fake, tab), "startRowIndex": 1},
            "sortSpecs": [{"dimensionIndex": column,
                           "sortOrder": "DESCENDING" if descending else "ASCENDING"}]}}])
    return edit


def insert_rows(tab: str, at: int, count: int, note_column: int) -> Callable[[FakeWorkspace], None]:
    """The coordinator inserts blank rows (0-based ``at``) and types a note in the first one."""
    def edit(fake: FakeWorkspace) -> None:
        spreadsheet = fake.sheets.get(SID)
        apply_batch(spreadsheet, [{"insertDimension": {"range": {
            "sheetId": sheet_id(fake, tab), "dimension": "ROWS",
            "startIndex": at, "endIndex": at + count}}}])
        letter = chr(65 + note_column)
        write_range(spreadsheet, f"'{tab}'!{letter}{at + 1}", [[COORDINATOR_NOTE]], "RAW")
    return edit


def delete_row(tab: str, at: int) -> Callable[[FakeWorkspace], None]:
    """The coordinator deletes one row (0-based ``at``)."""
    def edit(fake: FakeWorkspace) -> None:
        apply_batch(fake.sheets.get(SID), [{"deleteDimension": {"range": {
            "sheetId": sheet_id(fake, tab), "dimension": "ROWS",
            "startIndex": at, "endIndex": at + 1}}}])
    return edit


def both(*edits: Callable[[FakeWorkspace], None]) -> Callable[[FakeWorkspace], None]:
    def edit(fake: FakeWorkspace) -> None:
        for one in edits:
            one(fake)
    return edit


def key_at(fake: FakeWorkspace, tab: str, row: int) -> str:
    return str(fake.sheets.values(SID, tab)[row - 1][0])


# --- a sort, an insert, a delete between the read and the write -------------------------------


EDITS = {
    "sorted": sort_by(OUTBOX, OUTBOX_HEADER.index("To")),
    "rows inserted": insert_rows(OUTBOX, 3, 2, OUTBOX_HEADER.index("Notes")),
    "sorted and rows inserted": both(sort_by(OUTBOX, OUTBOX_HEADER.index("Recipient ID"), False),
                                     insert_rows(OUTBOX, 2, 3, OUTBOX_HEADER.index("Notes"))),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_outbox_cells_stay_on_their_letter_when_the_tab_moves_mid_write(
        fake: FakeWorkspace, roster: GoogleSheetsRoster, edit: str) -> None:
    seen = seed_outbox(fake)
    keys = sorted(seen)[::2]  # 15 letters sent
    records = sent(keys, seen)
    fake.hooks.before("sheets.spreadsheets.values.batchUpdate", EDITS[edit], times=1)
    fake.reset_calls()
    result = roster.upsert(OUTBOX, "Key", records)
    assert (result.updated, result.appended) == (15, 0)
    wanted = {**seen, **{r["Key"]: {**seen[r["Key"]], **r} for r in records}}
    check_tab(fake, OUTBOX, "Key", OUTBOX_TOOL, wanted)
    notes = [r for r in table(fake, OUTBOX) if r["Notes"] == COORDINATOR_NOTE]
    if "inserted" in edit:
        assert len(notes) == 1 and notes[0]["Key"] == ""  # the coordinator's own row kept
    # read, write, read back, repair, read back: constant in the number of letters
    assert fake.count("sheets.spreadsheets.values.batchGet") == 3
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 2
    assert fake.count("sheets.") == 5


def test_a_deleted_row_neither_takes_cells_nor_loses_a_letter(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    seen = seed_outbox(fake)
    values = fake.sheets.values(SID, OUTBOX)
    keys = [str(row[0]) for row in values[5:25]]  # rows 6..25 sent
    records = sent(keys, seen)
    tidied = key_at(fake, OUTBOX, 3)  # a letter not in this write, deleted by the coordinator
    sending = key_at(fake, OUTBOX, 8)  # a letter of this write, deleted too
    fake.hooks.before("sheets.spreadsheets.values.batchUpdate",
                      both(delete_row(OUTBOX, 7), delete_row(OUTBOX, 2)), times=1)
    roster.upsert(OUTBOX, "Key", records)
    wanted = {**seen, **{r["Key"]: {**seen[r["Key"]], **r} for r in records}}
    del wanted[tidied]  # the coordinator's deletion stands
    check_tab(fake, OUTBOX, "Key", OUTBOX_TOOL, wanted)  # the sent letter is on record again
    assert sending in {r["Key"] for r in table(fake, OUTBOX)}


def test_release_form_permissions_never_land_on_another_student(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    seen = seed_participants(fake)
    returned = sorted(k for k, r in seen.items() if r["Recording permission"] == "")[:10]
    records: list[Record] = [{"Applicant ID": k, "Recording permission": "yes" if i % 3 else "no",
                              "Media permission": "no" if i % 2 else "yes"}
                             for i, k in enumerate(returned)]
    fake.hooks.before("sheets.spreadsheets.values.batchUpdate", both(
        sort_by(PARTICIPANTS, PARTICIPANTS_HEADER.index("Name")),
        insert_rows(PARTICIPANTS, 4, 2, PARTICIPANTS_HEADER.index("Notes")),
        delete_row(PARTICIPANTS, 12)), times=1)
    roster.upsert(PARTICIPANTS, "Applicant ID", records)
    wanted = {**seen, **{r["Applicant ID"]: {**seen[str(r["Applicant ID"])], **r} for r in records}}
    present = {r["Applicant ID"] for r in table(fake, PARTICIPANTS) if r["Applicant ID"]}
    for key in set(wanted) - present:  # the coordinator's deletion of a student not written
        assert key not in returned
        del wanted[key]
    assert len(present) == len(seen) - 1
    check_tab(fake, PARTICIPANTS, "Applicant ID", [*CONSENT, "Name", "Cohort"], wanted)


def test_without_a_race_an_upsert_costs_one_extra_read_and_no_repair(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    seen = seed_outbox(fake)
    records = sent(sorted(seen)[:20], seen)
    # The coordinator types a note while we write: no row moves, so nothing is rewritten.
    fake.hooks.before("sheets.spreadsheets.values.batchUpdate",
                      lambda f: write_range(f.sheets.get(SID), f"'{OUTBOX}'!H5", [["later"]], "RAW"),
                      times=1)
    fake.reset_calls()
    roster.upsert(OUTBOX, "Key", records)
    assert [c.method_id.rsplit(".", 1)[1] for c in fake.calls_to("sheets.")] == \
        ["batchGet", "batchUpdate", "batchGet"]
    new = [{"Key": f"mvusd/decision/n{n}", "Step": "decision", "State": "drafted"} for n in range(5)]
    fake.reset_calls()
    roster.upsert(OUTBOX, "Key", new)  # only new rows: one append, which cannot be misplaced
    assert [c.method_id.rsplit(".", 1)[1] for c in fake.calls_to("sheets.")] == \
        ["batchGet", "append"]
    assert table(fake, OUTBOX)[3]["Notes"] == "later"


def test_a_sort_before_an_append_keeps_every_row_whole(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    seen = seed_outbox(fake, 10)
    records = sent(sorted(seen)[:4], seen)
    new = [{"Key": f"mvusd/decision/s{n:03d}", "Step": "decision", "Recipient ID": f"s{n:03d}",
            "To": f"student{n:03d}@x.test", "State": "drafted", "Draft ID": f"r-draft-{n:03d}",
            "Message ID": ""} for n in range(10, 16)]
    fake.hooks.before("sheets.spreadsheets.values.batchUpdate",
                      sort_by(OUTBOX, OUTBOX_HEADER.index("To")), times=1)
    fake.hooks.before("sheets.spreadsheets.values.append",
                      insert_rows(OUTBOX, 1, 1, OUTBOX_HEADER.index("Notes")), times=1)
    result = roster.upsert(OUTBOX, "Key", records + new)
    assert (result.updated, result.appended) == (4, 6)
    wanted = {**seen, **{r["Key"]: {**seen.get(str(r["Key"]), {}), **r} for r in records + new}}
    check_tab(fake, OUTBOX, "Key", OUTBOX_TOOL, wanted)


def test_a_tab_that_keeps_moving_ends_in_a_clear_error_after_bounded_rounds(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    seen = seed_outbox(fake)
    turn = iter(range(100))

    def restless(fake: FakeWorkspace) -> None:
        sort_by(OUTBOX, OUTBOX_HEADER.index("To"), descending=next(turn) % 2 == 0)(fake)

    # A sort before the write and before every repair but the last.
    fake.hooks.before("sheets.spreadsheets.values.batchUpdate", restless, times=REPAIR_ROUNDS)
    fake.reset_calls()
    records = sent(sorted(seen)[:10], seen)
    with pytest.raises(BackendError, match="kept changing"):
        roster.upsert(OUTBOX, "Key", records)
    assert fake.count("sheets.spreadsheets.values.batchGet") == 1 + REPAIR_ROUNDS
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 1 + REPAIR_ROUNDS
    # The last repair, unchecked, landed on a tab that had come to rest.
    wanted = {**seen, **{r["Key"]: {**seen[r["Key"]], **r} for r in records}}
    check_tab(fake, OUTBOX, "Key", OUTBOX_TOOL, wanted)


def test_clear_unkeyed_never_blanks_a_row_that_has_a_key(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    seen = seed_outbox(fake, 12)
    # Stray tool cells on rows without a key near the top (left by an earlier misplaced write).
    spreadsheet = fake.sheets.get(SID)
    apply_batch(spreadsheet, [{"insertDimension": {"range": {
        "sheetId": sheet_id(fake, OUTBOX), "dimension": "ROWS", "startIndex": 1, "endIndex": 3}}}])
    write_range(spreadsheet, f"'{OUTBOX}'!B2:G3", [["decision", "s999", "x@x.test", "sent", "d", "m"],
                                                  ["decision", "s998", "y@x.test", "sent", "d", "m"]],
                "RAW")
    # The coordinator sorts by Key just before the clearing lands: id-less rows go last.
    fake.hooks.before("sheets.spreadsheets.values.batchUpdate", sort_by(OUTBOX, 0, False), times=1)
    assert roster.clear_unkeyed(OUTBOX, "Key", OUTBOX_TOOL) == 2
    check_tab(fake, OUTBOX, "Key", OUTBOX_TOOL, seen)


# --- lost answers: nothing twice -------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_appends_whose_answer_is_lost_add_each_row_once(
        fake: FakeWorkspace, roster: GoogleSheetsRoster, seed: int) -> None:
    fake.sheets.create(SID, "Program", {OUTBOX: [OUTBOX_HEADER]})
    fault = fake.faults.add("sheets.spreadsheets.values.append", "drop_after", rate=0.5, seed=seed)
    fake.faults.add("sheets.spreadsheets.values.batchUpdate", "drop_after", rate=0.3, seed=seed)
    wanted: dict[str, dict[str, Any]] = {}
    for batch in range(6):
        rows = [dict(zip(OUTBOX_HEADER, outbox_row(batch * 4 + n), strict=True))
                for n in range(4)]
        roster.upsert(OUTBOX, "Key", rows)
        wanted.update({r["Key"]: r for r in rows})
        # ...and the letters of the previous batch are sent: updates in place, by key.
        done = sent([k for k in wanted if int(k[-3:]) < batch * 4], wanted)
        roster.upsert(OUTBOX, "Key", done)
        wanted.update({r["Key"]: {**wanted[r["Key"]], **r} for r in done})
    fake.wait_idle()
    assert fault.fired > 0
    check_tab(fake, OUTBOX, "Key", OUTBOX_TOOL, wanted)
    assert len(table(fake, OUTBOX)) == 24


def test_an_append_applied_but_answered_500_is_not_added_again(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    fake.sheets.create(SID, "Program", {OUTBOX: [OUTBOX_HEADER]})
    fake.faults.add("sheets.spreadsheets.values.append", "500", times=1)

    def applied_late(fake: FakeWorkspace) -> None:
        # Google applied the append it answered 500 to: it shows in the next read.
        failed = [c for c in fake.calls_to("sheets.spreadsheets.values.append") if c.fault == "500"]
        if failed and not table(fake, OUTBOX):
            write_range(fake.sheets.get(SID), f"'{OUTBOX}'!A2", failed[0].body["values"], "RAW")

    fake.hooks.before("sheets.spreadsheets.values.batchGet", applied_late)
    rows = [dict(zip(OUTBOX_HEADER, outbox_row(n), strict=True)) for n in range(5)]
    roster.upsert(OUTBOX, "Key", rows)
    check_tab(fake, OUTBOX, "Key", OUTBOX_TOOL, {r["Key"]: r for r in rows})
    assert fake.count("sheets.spreadsheets.values.append") == 1  # not sent again


def test_an_append_answered_500_unapplied_is_sent_again(
        fake: FakeWorkspace, roster: GoogleSheetsRoster) -> None:
    fake.sheets.create(SID, "Program", {OUTBOX: [OUTBOX_HEADER]})
    fake.faults.add("sheets.spreadsheets.values.append", "503", times=1)
    rows = [dict(zip(OUTBOX_HEADER, outbox_row(n), strict=True)) for n in range(5)]
    roster.upsert(OUTBOX, "Key", rows)
    check_tab(fake, OUTBOX, "Key", OUTBOX_TOOL, {r["Key"]: r for r in rows})
    assert fake.count("sheets.spreadsheets.values.append") == 2


def test_init_with_lost_answers_adds_no_tab_rule_or_chart_twice(
        fake: FakeWorkspace, google_program: GoogleProgram, transport: GoogleTransport) -> None:
    config = google_program.config
    retry = Retry(sleep=lambda _: fake.wait_idle())
    clean = GoogleSheetsRoster(transport.sheets_http(), "1CleanReferenceSheet000000000000000000000000",
                               retry=retry)
    fake.sheets.create("1CleanReferenceSheet000000000000000000000000", "Reference", {"Sheet1": []})
    initialise(config, clean)
    format_sheet(config, clean)
    lossy = GoogleSheetsRoster(transport.sheets_http(), SPREADSHEET_ID, retry=retry)
    fault = fake.faults.add("sheets.spreadsheets.batchUpdate", "drop_after", times=3)
    initialise(config, lossy)
    format_sheet(config, lossy)
    chart = [ChartSpec("Letters", "Key", "Step", ("a",))]
    lossy.ensure_tabs({"Charts": ["Key", "Step"]})
    lossy.upsert("Charts", "Key", [{"Key": "a", "Step": 3}])
    lossy.ensure_charts("Charts", chart)
    assert fault.fired == 3
    reference = fake.sheets.get("1CleanReferenceSheet000000000000000000000000")
    mine = fake.sheets.get(SPREADSHEET_ID)
    titles = [s.title for s in mine.sheets]
    assert len(titles) == len(set(titles))
    assert set(titles) - {"Charts"} == {s.title for s in reference.sheets}
    for sheet in reference.sheets:
        twin = mine.sheet_by_title(sheet.title)
        assert twin is not None
        assert len(twin.conditional_formats) == len(sheet.conditional_formats), sheet.title
        assert len(twin.protected_ranges) == len(sheet.protected_ranges), sheet.title
        assert twin.row_count == sheet.row_count and twin.column_count == sheet.column_count
    assert len(mine.sheet_by_title("Charts").charts) == 1  # type: ignore[union-attr]
    fake.reset_calls()
    format_sheet(config, lossy)  # nothing left to do
    assert fake.count("sheets.spreadsheets.batchUpdate") == 0


def test_the_transport_never_sends_a_post_twice_when_its_answer_is_lost(
        fake: FakeWorkspace, transport: GoogleTransport) -> None:
    calendar = transport.service("calendar", "v3")
    fake.faults.add("calendar.events.insert", "drop_after", times=1)
    body = {"summary": "Session", "start": {"dateTime": "2027-03-16T15:30:00-07:00"},
            "end": {"dateTime": "2027-03-16T17:00:00-07:00"}}
    with pytest.raises(Exception) as lost:
        calendar.events().insert(calendarId="primary", body=body).execute(num_retries=0)
    assert "not sent again" in str(lost.value) or isinstance(lost.value, OSError)
    fake.wait_idle()
    assert fake.count("calendar.events.insert") == 1  # httplib2 alone would have sent it twice
    assert len(fake.calendar.events(PROGRAM_USER)) == 1
    # The connection after a lost answer works, and reads still go through.
    assert len(calendar.events().list(calendarId="primary").execute()["items"]) == 1
