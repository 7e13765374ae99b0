"""The local workbook's fast save: the same bytes as openpyxl, in a ZIP every reader opens.

Two shortcuts make a save of the local workbook cheap (issue 16): a tab's cells are
serialised by string building (:mod:`microintern.adapters.local._xlsx_rows`) and parts that
did not change since the last save are copied as they were compressed
(:mod:`microintern.adapters.local._xlsx_zip`). Both must be invisible: the tab's XML is the
one openpyxl writes, byte for byte, and the file is one that zipfile and openpyxl read back
whole.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._writer import WorksheetWriter

from microintern.adapters.local import _xlsx_zip
from microintern.adapters.local._xlsx_write import _FastWorksheetWriter
from microintern.adapters.local.workbook import LocalWorkbook

AWKWARD_TEXT = [
    "plain", " leading space", "trailing space ", "  ", "a & b < c > d", 'quote " and \' apostrophe',
    "line\nbreak", "\ttab", "é ñ ü ع 中文 😀", "=IMPORTXML(\"x\")", "#N/A", "+1", "-", "@x", "",
    "x" * 5000, "]]>", "&amp; already escaped",
]
NUMBERS = [0, 1, -7, 2**40, 1.5, -0.25, 1e-12, 3.141592653589793, 1e300, float("nan"), float("inf"),
           True, False]


def _awkward_sheet(book: Workbook) -> None:
    ws = book.active
    ws.title = "Awkward"
    for column, header in enumerate(["Key", "Text", "Number", "Formula", "Styled"], start=1):
        cell = ws.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True)
    ws.cell(row=1, column=1).comment = Comment("written by microintern", "microintern")
    for row, text in enumerate(AWKWARD_TEXT, start=2):
        ws.cell(row=row, column=1, value=f"k{row}")
        cell = ws.cell(row=row, column=2, value=text)
        cell.data_type = "s"  # as the workbook stores applicants' text: never a formula
        cell.quotePrefix = text.startswith(("=", "+", "-", "@", "#"))
    for row, number in enumerate(NUMBERS, start=2):
        ws.cell(row=row, column=3, value=number)
    ws.cell(row=2, column=4, value="=SUM(C2:C5)")
    ws.cell(row=3, column=4, value="=")
    ws.cell(row=4, column=4).value = "#DIV/0!"
    ws.cell(row=4, column=4).data_type = "e"
    ws.cell(row=5, column=5).fill = PatternFill("solid", fgColor="FFEB9C")  # styled, no value
    ws.cell(row=6, column=5, value="").font = Font(italic=True)
    ws.row_dimensions[40].height = 30  # a row with a height and no cell
    ws.row_dimensions[3].hidden = True
    ws.cell(row=45, column=30, value="far away")
    ws.freeze_panes = "A2"


def _both(ws: object) -> tuple[bytes, list[str], bytes, list[str], bool]:
    slow = WorksheetWriter(ws, out=BytesIO())
    slow.write()
    slow_xml, slow_notes = slow.read(), [c.text.t for c in ws._comments]  # type: ignore[attr-defined]
    fast = _FastWorksheetWriter(ws, out=BytesIO())
    fast.write()
    fast_xml, fast_notes = fast.read(), [c.text.t for c in ws._comments]  # type: ignore[attr-defined]
    return slow_xml, slow_notes, fast_xml, fast_notes, fast._rows is not None


def test_fast_rows_are_byte_for_byte_what_openpyxl_writes() -> None:
    book = Workbook()
    _awkward_sheet(book)
    slow, slow_notes, fast, fast_notes, used = _both(book.active)
    assert used, "the fast writer declined the awkward tab"
    assert fast == slow
    assert fast_notes == slow_notes == ["written by microintern"]


def test_the_same_bytes_after_a_round_trip_through_the_file(tmp_path: Path) -> None:
    """A tab loaded from a file (inline strings, styles read back) is written identically too."""
    book = Workbook()
    _awkward_sheet(book)
    path = tmp_path / "awkward.xlsx"
    book.save(path)
    loaded = load_workbook(path)
    slow, _, fast, _, used = _both(loaded["Awkward"])
    assert used and fast == slow


@pytest.mark.parametrize("odd", ["date", "hyperlink"])
def test_a_cell_it_does_not_reproduce_is_left_to_openpyxl(odd: str) -> None:
    from datetime import date

    book = Workbook()
    _awkward_sheet(book)
    cell = book.active.cell(row=50, column=1)
    if odd == "date":
        cell.value = date(2027, 3, 16)
    else:
        cell.value = "site"
        cell.hyperlink = "https://example.org/"
    slow, _, fast, _, used = _both(book.active)
    assert not used
    assert fast == slow


def test_unchanged_parts_are_not_compressed_again_and_every_reader_opens_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compressed: list[int] = []
    real = _xlsx_zip.compress

    def counting(data: bytes) -> _xlsx_zip.Compressed:
        compressed.append(len(data))
        return real(data)

    monkeypatch.setattr(_xlsx_zip, "compress", counting)
    book = LocalWorkbook(tmp_path / "program.xlsx")
    rows = [{"Applicant ID": f"A-{n:04d}", "Essay": "word " * 200} for n in range(300)]
    book.upsert("Applications", "Applicant ID", rows)
    book.upsert("Timeline", "Step", [{"Step": "screening", "Result": "done"}])
    first = len(compressed)
    compressed.clear()
    book.upsert("Timeline", "Step", [{"Step": "screening", "Result": "done again"}])
    # Only what changed is compressed again: the Timeline tab and the parts naming the save's
    # time (document properties); the 300-row Applications tab is copied as it was.
    assert 0 < len(compressed) < first
    assert max(compressed) < 10_000

    with zipfile.ZipFile(book.path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    assert "xl/workbook.xml" in names and "[Content_Types].xml" in names
    again = load_workbook(book.path)
    assert again["Timeline"]["B2"].value == "done again"
    assert [again["Applications"].cell(row=r, column=1).value for r in (2, 301)] == ["A-0000", "A-0299"]
    assert LocalWorkbook(book.path).read_tabs(["Applications"])["Applications"][299]["Essay"] == "word " * 200


def test_a_workbook_too_large_for_plain_zip_is_written_by_zipfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_xlsx_zip, "_LIMIT", 2_000)  # as if every part were over 4 GiB
    book = LocalWorkbook(tmp_path / "program.xlsx")
    book.upsert("Applications", "Applicant ID",
                [{"Applicant ID": f"A-{n}", "Essay": "many words " * 50} for n in range(20)])
    with zipfile.ZipFile(book.path) as archive:
        assert archive.testzip() is None
    assert len(LocalWorkbook(book.path).read_tabs(["Applications"])["Applications"]) == 20


def test_a_tab_left_unparsed_is_copied_as_the_file_stores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new run that writes the Timeline neither parses nor compresses the applications again."""
    path = tmp_path / "program.xlsx"
    rows = [{"Applicant ID": f"A-{n:04d}", "Essay": f"essay {n} " * 100} for n in range(500)]
    LocalWorkbook(path).upsert("Applications", "Applicant ID", rows)
    LocalWorkbook(path).upsert("Timeline", "Step", [{"Step": "screening", "Result": "done"}])
    with zipfile.ZipFile(path) as archive:
        stored = {i.filename: i.file_size for i in archive.infolist()}
    big = max(stored.values())
    compressed: list[int] = []
    real = _xlsx_zip.compress
    monkeypatch.setattr(_xlsx_zip, "compress", lambda data: compressed.append(len(data)) or real(data))

    rerun = LocalWorkbook(path)  # another process: nothing cached yet
    rerun.upsert("Timeline", "Step", [{"Step": "screening", "Result": "done again"}])
    assert compressed and big not in compressed and max(compressed) < big / 10
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    again = LocalWorkbook(path).read_tabs(["Applications", "Timeline"])
    assert again["Applications"] == [{"Applicant ID": r["Applicant ID"], "Essay": r["Essay"]} for r in rows]
    assert again["Timeline"] == [{"Step": "screening", "Result": "done again"}]
    assert load_workbook(path)["Applications"]["B501"].value == rows[-1]["Essay"]


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def test_every_part_is_what_openpyxl_saves_also_when_reused(tmp_path: Path) -> None:
    """Styles, content types, drawings, charts and notes reused by later saves: the same bytes as
    openpyxl's own save of the same workbook, after a change to one tab and after a new style."""
    from microintern.adapters.local._xlsx_write import SaveCache, write_xlsx
    from microintern.adapters.local.workbook_charts import column_chart
    from microintern.domain.records import ChartSpec

    book = Workbook()
    _awkward_sheet(book)
    dash = book.create_sheet("Dashboard")
    for row, (key, value) in enumerate([("Figure", "Value"), ("applied", 48), ("placed", 24)], 1):
        dash.cell(row=row, column=1, value=key)
        dash.cell(row=row, column=2, value=value)
    spec = ChartSpec(title="Students", key_column="Figure", value_column="Value",
                     keys=("applied", "placed"))
    chart = column_chart(dash, spec, {"Figure": 1, "Value": 2}, {"applied": 2, "placed": 3})
    assert chart is not None
    dash.add_chart(chart, "D1")
    cache = SaveCache()
    for change in ("first", "second", "a new style"):
        if change == "second":
            book["Awkward"].cell(row=60, column=2, value="one more row")
            cache.sheets.pop("Awkward", None)
        if change == "a new style":
            book["Awkward"].cell(row=61, column=2, value="bold").font = Font(bold=True, italic=True)
            cache.sheets.pop("Awkward", None)
        ours = BytesIO()
        write_xlsx(book, ours, cache)
        theirs = BytesIO()
        book.save(theirs)
        assert _parts(ours.getvalue()) == _parts(theirs.getvalue()), change
    assert load_workbook(BytesIO(ours.getvalue()))["Awkward"]["B61"].font.italic
