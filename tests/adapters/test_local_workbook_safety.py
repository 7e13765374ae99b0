"""LocalWorkbook while someone else saves the file: nothing of theirs lost, nothing misplaced.

The coordinator (Excel) or a second process replaces the .xlsx between our read and our write,
or between our load and our save. The edits are real files written with openpyxl and moved
over the workbook; the second case uses the workbook's ``_before_replace`` seam, which runs
after our new file is written and before we check the workbook is still the one we loaded.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from microintern.adapters.local.workbook import SAVE_ROUNDS, LocalWorkbook
from microintern.domain.records import Record
from microintern.errors import BackendError

OUTBOX = "Outbox"
HEADER = ["Key", "Step", "Recipient ID", "To", "State", "Draft ID", "Message ID", "Notes"]
TOOL = HEADER[1:7]
PARTICIPANTS = "Participants"
P_HEADER = ["Applicant ID", "Name", "Recording permission", "Media permission", "Notes"]
NOTE = "call the counselor about Tuesday"

Edit = Callable[[list[list[Any]]], list[list[Any]]]  # data rows (below the header) → new rows


def letter(n: int) -> dict[str, Any]:
    return {"Key": f"mvusd/decision/s{n:03d}", "Step": "decision", "Recipient ID": f"s{n:03d}",
            "To": f"student{n:03d}@x.test", "State": "drafted", "Draft ID": f"r-draft-{n:03d}",
            "Message ID": None}


def seeded(tmp_path: Path, count: int = 20) -> tuple[LocalWorkbook, dict[str, dict[str, Any]]]:
    book = LocalWorkbook(tmp_path / "program.xlsx")
    book.ensure_tabs({OUTBOX: HEADER, PARTICIPANTS: P_HEADER})
    rows = [letter(n) for n in range(count)]
    random.Random(5).shuffle(rows)
    book.upsert(OUTBOX, "Key", rows)
    return book, {r["Key"]: r for r in rows}


def sent(keys: list[str], seen: dict[str, dict[str, Any]]) -> list[Record]:
    return [{**seen[k], "State": "sent", "Message ID": f"m-{k[-4:]}"} for k in keys]


def coordinator_saves(path: Path, tab: str, edit: Edit) -> None:
    """Excel's save: the workbook rewritten with the tab's rows edited, then moved over it."""
    book = openpyxl.load_workbook(path)
    sheet = book[tab]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    sheet.delete_rows(2, sheet.max_row)
    for number, row in enumerate(edit(rows), start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(number, column, value)
    other = path.with_name("excel-save.xlsx")
    book.save(other)
    os.replace(other, path)


def sort_by(column: int) -> Edit:
    return lambda rows: sorted(rows, key=lambda r: str(r[column] or ""), reverse=True)


def insert_at(at: int, width: int, note_column: int) -> Edit:
    def edit(rows: list[list[Any]]) -> list[list[Any]]:
        noted = [None] * width
        noted[note_column] = NOTE
        return [*rows[:at], noted, [None] * width, *rows[at:]]
    return edit


def delete_at(at: int) -> Edit:
    return lambda rows: [*rows[:at], *rows[at + 1:]]


def then(*edits: Edit) -> Edit:
    def edit(rows: list[list[Any]]) -> list[list[Any]]:
        for one in edits:
            rows = one(rows)
        return rows
    return edit


def table(path: Path, tab: str) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(path)[tab]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True)
            if any(v is not None for v in row)]


def check(path: Path, tab: str, key: str, tool: list[str], wanted: dict[str, dict[str, Any]]) -> None:
    """Each key once with exactly its cells; no tool cell on a row without a key."""
    rows = table(path, tab)
    keys = [r[key] for r in rows if r[key] is not None]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(wanted)
    for row in rows:
        for header in tool:
            if row[key] is None:
                assert row[header] is None, row
            else:
                assert row[header] == wanted[row[key]].get(header), (row[key], header)


EDITS: dict[str, Edit] = {
    "sorted": sort_by(HEADER.index("To")),
    "rows inserted": insert_at(3, len(HEADER), HEADER.index("Notes")),
    "a row deleted": delete_at(4),
    "sorted, inserted and deleted": then(sort_by(2), insert_at(1, len(HEADER), 7), delete_at(9)),
}


class RacedWorkbook(LocalWorkbook):
    """A workbook whose save is raced: someone else saves just before ours replaces the file."""

    def __init__(self, path: Path, edits: list[Callable[[], None]]) -> None:
        super().__init__(path)
        self.edits = edits

    def _before_replace(self) -> None:
        if self.edits:
            self.edits.pop(0)()


def wanted_after(seen: dict[str, dict[str, Any]], records: list[Record], path: Path,
                 edit: str) -> dict[str, dict[str, Any]]:
    """Every letter with its cells; a letter the coordinator deleted stays deleted unless this
    write records it (then it is on record again)."""
    wanted = {**seen, **{str(r["Key"]): r for r in records}}
    present = {r["Key"] for r in table(path, OUTBOX)}
    assert {str(r["Key"]) for r in records} <= present
    assert len(set(wanted) - present) <= (1 if "deleted" in edit else 0)
    return {k: v for k, v in wanted.items() if k in present}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_an_edit_saved_between_our_read_and_our_write_is_kept(tmp_path: Path, edit: str) -> None:
    book, seen = seeded(tmp_path)
    records = sent(sorted(seen)[::3], seen)
    book.read_tabs([OUTBOX])  # the run reads, decides, sends...
    rows = table(book.path, OUTBOX)
    deleted = rows[4]["Key"] if edit == "a row deleted" else None
    records = [r for r in records if r["Key"] != deleted]
    coordinator_saves(book.path, OUTBOX, EDITS[edit])  # ...while the coordinator saves
    theirs = [r[0] for r in EDITS[edit]([list(r.values()) for r in rows]) if r[0]]
    book.upsert(OUTBOX, "Key", records)
    check(book.path, OUTBOX, "Key", TOOL, wanted_after(seen, records, book.path, edit))
    theirs += [r["Key"] for r in records if r["Key"] not in theirs]  # a deleted letter, sent
    assert [r["Key"] for r in table(book.path, OUTBOX) if r["Key"]] == theirs
    if "inserted" in edit:
        assert [r["Notes"] for r in table(book.path, OUTBOX) if r["Notes"]] == [NOTE]


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_an_edit_saved_between_our_load_and_our_save_is_kept(tmp_path: Path, edit: str) -> None:
    _, seen = seeded(tmp_path)
    path = tmp_path / "program.xlsx"
    book = RacedWorkbook(path, [lambda: coordinator_saves(path, OUTBOX, EDITS[edit])])
    rows = table(path, OUTBOX)
    deleted = rows[4]["Key"] if edit == "a row deleted" else None
    records = [r for r in sent(sorted(seen)[::3], seen) if r["Key"] != deleted]
    theirs = [r[0] for r in EDITS[edit]([list(r.values()) for r in rows]) if r[0]]
    book.upsert(OUTBOX, "Key", records)
    assert not book.edits  # the race happened
    check(path, OUTBOX, "Key", TOOL, wanted_after(seen, records, path, edit))
    theirs += [r["Key"] for r in records if r["Key"] not in theirs]  # a deleted letter, sent
    assert [r["Key"] for r in table(path, OUTBOX) if r["Key"]] == theirs  # their order, their rows
    if "inserted" in edit:  # their save survived ours
        assert [r["Notes"] for r in table(path, OUTBOX) if r["Notes"]] == [NOTE]


def test_release_form_permissions_stay_with_their_student_when_excel_saves_mid_write(
        tmp_path: Path) -> None:
    path = tmp_path / "program.xlsx"
    first = LocalWorkbook(path)
    first.ensure_tabs({PARTICIPANTS: P_HEADER})
    students = [{"Applicant ID": f"A{n:04d}", "Name": f"Student {chr(90 - n)}",
                 "Recording permission": "no" if n % 4 == 0 else None,
                 "Media permission": "yes" if n % 4 == 0 else None} for n in range(16)]
    first.upsert(PARTICIPANTS, "Applicant ID", students)
    seen = {s["Applicant ID"]: s for s in students}
    returned = [{"Applicant ID": f"A{n:04d}", "Recording permission": "yes" if n % 3 else "no",
                 "Media permission": "no" if n % 2 else "yes"} for n in range(1, 16, 2)]
    edit = then(sort_by(1), insert_at(2, len(P_HEADER), 4))
    book = RacedWorkbook(path, [lambda: coordinator_saves(path, PARTICIPANTS, edit)])
    book.upsert(PARTICIPANTS, "Applicant ID", returned)
    wanted = {k: dict(v) for k, v in seen.items()}
    for r in returned:
        wanted[str(r["Applicant ID"])].update(r)
    check(path, PARTICIPANTS, "Applicant ID",
          ["Name", "Recording permission", "Media permission"], wanted)
    assert [r["Notes"] for r in table(path, PARTICIPANTS) if r["Notes"]] == [NOTE]


def test_clear_unkeyed_redone_on_the_coordinators_version(tmp_path: Path) -> None:
    book, seen = seeded(tmp_path, 8)

    def stray(rows: list[list[Any]]) -> list[list[Any]]:
        return [[None, "decision", "s999", "x@x.test", "sent", "d", "m", None], *rows]

    coordinator_saves(book.path, OUTBOX, stray)
    raced = RacedWorkbook(book.path, [lambda: coordinator_saves(book.path, OUTBOX, sort_by(0))])
    assert raced.clear_unkeyed(OUTBOX, "Key", TOOL) == 1
    check(book.path, OUTBOX, "Key", TOOL, seen)


def test_a_file_that_keeps_changing_ends_in_a_clear_error_and_keeps_their_version(
        tmp_path: Path) -> None:
    _, seen = seeded(tmp_path, 6)
    path = tmp_path / "program.xlsx"
    saves = [lambda: coordinator_saves(path, OUTBOX, sort_by(3))] * SAVE_ROUNDS
    book = RacedWorkbook(path, list(saves))
    with pytest.raises(BackendError, match="kept changing"):
        book.upsert(OUTBOX, "Key", sent(sorted(seen), seen))
    assert not book.edits
    assert all(r["State"] == "drafted" for r in table(path, OUTBOX))  # theirs, not overwritten
    book.upsert(OUTBOX, "Key", sent(sorted(seen), seen))  # the rerun, once they are done
    assert all(r["State"] == "sent" for r in table(path, OUTBOX))


def test_a_save_nobody_raced_replaces_the_file_once(tmp_path: Path) -> None:
    book, seen = seeded(tmp_path, 6)
    before = os.stat(book.path).st_ino
    book.upsert(OUTBOX, "Key", sent(sorted(seen)[:2], seen))
    assert os.stat(book.path).st_ino != before
    assert not list(tmp_path.glob(".program.xlsx.*.tmp"))  # no temp left behind
    records = sent(sorted(seen)[:2], seen)
    check(book.path, OUTBOX, "Key", TOOL, {**seen, **{str(r["Key"]): r for r in records}})
