"""`init` on the local workbook: dropdowns, highlights, header notes and frozen panes (openpyxl)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from microintern.adapters.local.workbook import LocalWorkbook
from microintern.adapters.local.workbook_format import DROPDOWN_ERROR_TITLE, LISTS_TAB, NOTE_AUTHOR
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.sheet_rules import PARTNER_STATUSES, PROTECTION_NOTE
from microintern.steps.setup import format_sheet, initialise


def workbook_of(config: ProgramConfig) -> LocalWorkbook:
    return LocalWorkbook(config.resolve(config.local.folder) / "program.xlsx")


def init(config: ProgramConfig) -> LocalWorkbook:
    """What `microintern init` does, with a fresh roster as a new process would have."""
    config.resolve(config.local.folder).mkdir(parents=True, exist_ok=True)
    book = workbook_of(config)
    initialise(config, book)
    format_sheet(config, book)
    return book


def load(book: LocalWorkbook) -> openpyxl.Workbook:
    return openpyxl.load_workbook(book.path)


def letter_of(ws: Worksheet, header: str) -> str:
    for cell in ws[1]:
        if cell.value == header:
            return str(cell.column_letter)
    raise KeyError(header)


def dropdowns(ws: Worksheet) -> dict[str, DataValidation]:
    return {str(v.sqref): v for v in ws.data_validations.dataValidation}


def highlight_rules(ws: Worksheet) -> list[tuple[str, str, list[str], str]]:
    """Every conditional rule as (range, type, formula, fill colour or "")."""
    return sorted((str(cf.sqref), rule.type, list(rule.formula or []),
                   rule.dxf.fill.fgColor.rgb[-6:] if rule.dxf and rule.dxf.fill else "")
                  for cf in ws.conditional_formatting for rule in cf.rules)


def test_init_adds_dropdowns_highlights_notes_and_frozen_panes(
        make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    wb = load(init(config))
    apps = wb[sheet.APPLICATIONS]

    decision = letter_of(apps, sheet.DECISION)
    found = dropdowns(apps)
    assert set(found) == {f"{decision}2:{decision}1048576",
                          f"{letter_of(apps, sheet.COHORT_OVERRIDE)}2:"
                          f"{letter_of(apps, sheet.COHORT_OVERRIDE)}1048576"}
    rule = found[f"{decision}2:{decision}1048576"]
    assert rule.type == "list" and rule.formula1 == '"Accept,Waitlist,Deny"'
    assert rule.showErrorMessage and rule.errorStyle == "stop" and rule.errorTitle == DROPDOWN_ERROR_TITLE
    assert "Accept" in rule.prompt
    override = next(v for v in found.values() if v is not rule)
    assert override.formula1 == '"' + ",".join(s.id for s in config.sessions) + '"'
    (status,) = dropdowns(wb[sheet.PARTNERS]).values()
    assert status.formula1 == '"' + ",".join(PARTNER_STATUSES) + '"'
    assert str(status.sqref).startswith(letter_of(wb[sheet.PARTNERS], "Status") + "2:")

    flags, proposed = letter_of(apps, sheet.FLAGS), letter_of(apps, sheet.PROPOSED_DECISION)
    rules = highlight_rules(apps)
    assert (f"{flags}2:{flags}1048576", "notContainsBlanks", [f"LEN(TRIM({flags}2))>0"], "F9CB9C") in rules
    assert (f"{proposed}2:{proposed}1048576", "cellIs", ['"Accept"'], "D9EAD3") in rules
    assert (f"{proposed}2:{proposed}1048576", "cellIs", ['"Duplicate"'], "EFEFEF") in rules
    assert len(rules) == 6
    state = letter_of(wb[sheet.OUTBOX], "State")
    assert highlight_rules(wb[sheet.OUTBOX]) == [
        (f"{state}2:{state}1048576", "cellIs", ['"held"'], "F4CCCC")]

    for cell in apps[1]:
        if cell.value in sheet.COORDINATOR_APPLICATION_COLUMNS:
            assert cell.comment is None, cell.value
        else:
            assert cell.comment is not None and cell.comment.text == PROTECTION_NOTE, cell.value
            assert cell.comment.author == NOTE_AUTHOR
    assert all(c.comment is not None for c in wb[sheet.OUTBOX][1])
    assert all(c.comment is not None for c in wb[sheet.TIMELINE][1])
    from microintern.domain.sheet_rules import sheet_rules
    for name in (sheet.PARTNERS, sheet.SESSIONS, sheet.PARTICIPANTS):
        noted = {c.value for c in wb[name][1] if c.comment is not None}
        rules = next(t for t in sheet_rules(config).tabs if t.tab == name)
        assert noted == set(rules.tool_owned), name
    assert sheet.PARTNER_STATUS not in {c.value for c in wb[sheet.PARTNERS][1] if c.comment is not None}

    assert apps.freeze_panes == "B2"  # the header row and the Applicant ID column
    assert wb[sheet.PARTNERS].freeze_panes == "A2"
    assert LISTS_TAB not in wb.sheetnames


def test_rerun_changes_nothing(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    book = init(config)
    content, mtime = book.path.read_bytes(), book.path.stat().st_mtime_ns
    init(config)
    assert book.path.stat().st_mtime_ns == mtime  # not even rewritten
    assert book.path.read_bytes() == content
    apps = load(book)[sheet.APPLICATIONS]
    assert len(apps.data_validations.dataValidation) == 2
    assert len(highlight_rules(apps)) == 6


def test_data_and_the_coordinators_own_rules_stay(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    config.resolve(config.local.folder).mkdir(parents=True, exist_ok=True)
    book = workbook_of(config)
    initialise(config, book)
    book.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, [
        {sheet.APPLICANT_ID: f"A-{n}", sheet.FLAGS: "late" if n % 2 else None,
         sheet.DECISION: "Accept", sheet.NOTES: "=HYPERLINK(\"x\")"} for n in range(5)])
    wb = load(book)
    apps = wb[sheet.APPLICATIONS]
    notes = letter_of(apps, sheet.NOTES)
    theirs = DataValidation(type="whole", operator="between", formula1="1", formula2="5")
    theirs.add("A2:A10")
    apps.add_data_validation(theirs)
    apps.conditional_formatting.add("B2:B10", CellIsRule(operator="equal", formula=['"x"'],
                                                         font=Font(bold=True)))
    apps[f"{notes}1"].comment = Comment("my column", "Dana")
    wb[sheet.PARTNERS].freeze_panes = "C3"
    wb.save(book.path)
    before = book.read_tabs([sheet.APPLICATIONS, sheet.PARTNERS])

    format_sheet(config, book)
    format_sheet(config, book)
    assert book.read_tabs([sheet.APPLICATIONS, sheet.PARTNERS]) == before
    wb = load(book)
    apps = wb[sheet.APPLICATIONS]
    assert [str(v.sqref) for v in apps.data_validations.dataValidation].count("A2:A10") == 1
    assert len(apps.data_validations.dataValidation) == 3
    assert len(highlight_rules(apps)) == 7
    assert apps[f"{notes}1"].comment.text == "my column"
    assert wb[sheet.PARTNERS].freeze_panes == "C3"


def test_a_moved_column_is_refound(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    book = init(config)
    wb = load(book)
    apps = wb[sheet.APPLICATIONS]
    decision, flags = letter_of(apps, sheet.DECISION), letter_of(apps, sheet.FLAGS)
    # The coordinator swaps the two headers (their data with them, were there any).
    apps[f"{decision}1"].value, apps[f"{flags}1"].value = sheet.FLAGS, sheet.DECISION
    wb.save(book.path)

    format_sheet(config, book)
    apps = load(book)[sheet.APPLICATIONS]
    found = dropdowns(apps)
    assert found[f"{flags}2:{flags}1048576"].formula1 == '"Accept,Waitlist,Deny"'
    assert f"{decision}2:{decision}1048576" not in found
    assert len(found) == 2
    rules = highlight_rules(apps)
    assert [r for r in rules if r[1] == "notContainsBlanks"] == [
        (f"{decision}2:{decision}1048576", "notContainsBlanks", [f"LEN(TRIM({decision}2))>0"], "F9CB9C")]
    assert len(rules) == 6
    assert apps[f"{flags}1"].comment is None  # Decision is the coordinator's
    assert apps[f"{decision}1"].comment.text == PROTECTION_NOTE


def test_a_long_session_list_goes_to_a_hidden_tab(make_config: Callable[..., ProgramConfig]) -> None:
    base = make_config().sessions[0].model_dump(mode="json")
    sessions = [{**base, "id": f"session-with-a-long-id-{n:02d}"} for n in range(12)]
    config = make_config(sessions=sessions)
    book = init(config)
    wb = load(book)
    lists = wb[LISTS_TAB]
    assert lists.sheet_state == "hidden"
    override = next(v for v in wb[sheet.APPLICATIONS].data_validations.dataValidation
                    if "Cohort" in (v.promptTitle or ""))
    assert override.formula1 == f"'{LISTS_TAB}'!$A$2:$A$13"
    assert [c.value for c in lists["A"]] == ["Applications / Cohort override", *(s["id"] for s in sessions)]
    content = book.path.read_bytes()
    format_sheet(config, book)
    assert book.path.read_bytes() == content


def test_no_workbook_yet_means_nothing_to_format(tmp_path: Path,
                                                 make_config: Callable[..., ProgramConfig]) -> None:
    book = LocalWorkbook(tmp_path / "absent.xlsx")
    format_sheet(make_config(), book)
    assert not book.path.exists()


def test_init_formats_the_problems_tab(make_config: Callable[..., ProgramConfig]) -> None:
    """The Problems tab runs write: header frozen, open problems highlighted, every column noted."""
    wb = load(init(make_config()))
    problems = wb[sheet.PROBLEMS]
    state = letter_of(problems, "State")
    assert highlight_rules(problems) == [(f"{state}2:{state}1048576", "cellIs", ['"open"'], "F9CB9C")]
    assert problems.freeze_panes == "A2"
    assert [c.value for c in problems[1]] == list(sheet.PROBLEM_COLUMNS)
    assert all(c.comment is not None and c.comment.text == PROTECTION_NOTE for c in problems[1])
    assert not dropdowns(problems)
