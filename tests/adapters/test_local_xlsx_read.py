"""The local workbook's scanned read gives exactly what the XML parser gives, or declines.

:func:`microintern.adapters.local._xlsx_scan.scan_rows` reads the sheets microintern writes
without a parser (issue 16: the screening rerun reads 10,000 applications). It must return the
parser's values for every cell it reads, and leave every sheet of another shape to the parser.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from microintern.adapters.local import _xlsx_read
from microintern.adapters.local._xlsx_scan import scan_rows
from microintern.adapters.local.workbook import LocalWorkbook

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
TEXTS = ["plain", " padded ", "a & b < c > d", 'say "hi"', "it's", "line\nbreak", "\ttab", "é ñ ع 中 😀",
         "=IMPORTXML(\"x\")", "#N/A", "&amp; typed", "x" * 3000]


def _parsed_and_scanned(path: Path) -> list[tuple[str, list[list[object]], list[list[object]] | None]]:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        strings = _xlsx_read._shared_strings(archive) if "xl/sharedStrings.xml" in names else []
        dates = _xlsx_read._date_styles(archive)
        found = []
        for tab, part in _xlsx_read._sheet_parts(archive).items():
            data = archive.read(part)
            parsed = _xlsx_read._rows(BytesIO(data), strings, dates)
            found.append((tab, parsed, scan_rows(data, strings, dates)))
    return found


def test_the_workbooks_own_sheets_are_scanned_to_the_parsers_values(tmp_path: Path) -> None:
    book = LocalWorkbook(tmp_path / "program.xlsx")
    book.upsert("Applications", "Applicant ID", [
        {"Applicant ID": f"A-{n}", "Essay": text, "Score": n * 1.5, "Seats": n, "Consent": n % 2 == 0,
         "Blank": None if n % 3 else "", "Far": "far away" if n == 5 else None}
        for n, text in enumerate(TEXTS)])
    book.upsert("Timeline", "Step", [{"Step": "screening", "Runs": 3, "Result": "done"}])
    found = _parsed_and_scanned(book.path)
    assert {tab for tab, _, _ in found} >= {"Applications", "Timeline"}
    for tab, parsed, scanned in found:
        assert scanned is not None, f"{tab} was not scanned"
        assert scanned == parsed, tab
    assert book.read_tabs(["Applications"])["Applications"][2]["Essay"] == "a & b < c > d"


def test_openpyxls_own_save_with_gaps_and_formats_is_scanned_alike(tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "Sheet"
    for row, text in enumerate(TEXTS, start=1):
        ws.cell(row=row, column=1, value=text).data_type = "s"  # text, never a formula
        ws.cell(row=row, column=4, value=row)  # a gap of two columns
    ws.cell(row=30, column=2, value=2.5)  # a gap of rows
    ws.cell(row=31, column=1).font = Font(bold=True)  # styled, empty
    ws.row_dimensions[40].height = 20  # a row with no cell
    path = tmp_path / "openpyxl.xlsx"
    book.save(path)
    [(_, parsed, scanned)] = _parsed_and_scanned(path)
    assert scanned is not None and scanned == parsed


def _sheet(cells: str, *, root: str = f"<worksheet {MAIN}>") -> bytes:
    return f'{root}<sheetData><row r="1">{cells}</row></sheetData></worksheet>'.encode()


@pytest.mark.parametrize("cells", [
    '<c r="A1" t="inlineStr"><is><t>a</t></is></c><!-- a comment -->',
    '<c r="A1" t="inlineStr"><is><t><![CDATA[x]]></t></is></c>',
    '<c r="A1" t="inlineStr"><is><r><t>rich</t></r></is></c>',
    '<c r="A1"><f>SUM(B1)</f><v>3</v></c>',
    '<c r="A1" t="inlineStr"><is><t>carriage\rreturn</t></is></c>',
    '<c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c>',
    '<c r="A1" t="inlineStr"><is><t>a</t></is></c> <c r="B1"><v>1</v></c>',
    '<c r="A2"><v>1</v></c>',  # a cell outside its row
])
def test_anything_else_is_left_to_the_parser(cells: str) -> None:
    assert scan_rows(_sheet(cells), [], frozenset()) is None


def test_a_prefixed_namespace_or_a_declaration_is_left_to_the_parser() -> None:
    prefixed = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData>'
                b'</x:worksheet>')
    assert scan_rows(prefixed, [], frozenset()) is None
    declared = b'<!DOCTYPE worksheet [<!ENTITY e "x">]>' + _sheet('<c r="A1"><v>1</v></c>')
    assert scan_rows(declared, [], frozenset()) is None
    assert scan_rows(_sheet('<c r="A1"><v>1</v></c>'), [], frozenset()) == [[1]]


def test_shared_strings_entities_and_a_date_formatted_number_read_as_the_parser_reads_them() -> None:
    cells = ('<c r="A1" t="s"><v>1</v></c><c r="B1" t="inlineStr"><is><t>&lt;&#233;&#x1F600;&amp;'
             '</t></is></c><c r="C1" t="b"><v>0</v></c><c r="D1" t="e"><v>#REF!</v></c>'
             '<c r="E1" t="str"><v>&quot;q&quot;</v></c><c r="F1"><v>1E3</v></c>')
    data = _sheet(cells)
    expected = _xlsx_read._rows(BytesIO(data), ["zero", "one"], frozenset())
    assert scan_rows(data, ["zero", "one"], frozenset()) == expected == [
        ["one", "<é😀&", False, "#REF!", '"q"', 1000.0]]
    with pytest.raises(_xlsx_read.Unsupported):
        scan_rows(_sheet('<c r="A1" s="3"><v>46000</v></c>'), [], frozenset({3}))
