"""`init` makes the Google sheet a user interface: dropdowns, highlights, warnings, frozen panes.

Over real HTTP against the fake Workspace, which checks every request against the discovery
document; assertions are on the fake spreadsheet's state and on the calls it received.
"""

from __future__ import annotations

import copy
import struct
from typing import Any

from adapters.conftest import SPREADSHEET_ID, GoogleProgram
from fakeworkspace import FakeWorkspace
from fakeworkspace.sheets_api import spreadsheet_json
from fakeworkspace.sheets_batch import apply_batch
from fakeworkspace.sheets_model import Sheet

from microintern.adapters.google.sheet_format import MARKER_KEY, format_requests, read_existing
from microintern.bootstrap import build_ports
from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.sheet_rules import PARTNER_STATUSES, PROTECTION_NOTE, Colour, sheet_rules
from microintern.steps.setup import format_sheet, initialise


def init(config: ProgramConfig) -> None:
    """What `microintern init` does, with a fresh roster as a new process would have."""
    roster = build_ports(config).roster
    initialise(config, roster)
    format_sheet(config, roster)


def tab(fake: FakeWorkspace, name: str) -> Sheet:
    return fake.sheets.sheet(SPREADSHEET_ID, name)


def header(fake: FakeWorkspace, name: str) -> list[str]:
    return [str(h) for h in fake.sheets.values(SPREADSHEET_ID, name)[0]]


def validation_at(fake: FakeWorkspace, name: str, column: int) -> list[dict[str, Any]]:
    return [v["rule"] for v in tab(fake, name).data_validations
            if v["range"].get("startColumnIndex") == column]


def options(rule: dict[str, Any]) -> list[str]:
    return [v["userEnteredValue"] for v in rule["condition"]["values"]]


def ours(protected_ranges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in protected_ranges if p.get("description") == PROTECTION_NOTE]


def protected_columns(fake: FakeWorkspace, name: str) -> set[int]:
    columns: set[int] = set()
    for protected in ours(tab(fake, name).protected_ranges):
        grid = protected["range"]
        columns |= set(range(grid["startColumnIndex"], grid["endColumnIndex"]))
    return columns


def markers(fake: FakeWorkspace) -> list[dict[str, Any]]:
    return [m for m in fake.sheets.get(SPREADSHEET_ID).developer_metadata
            if m["metadataKey"] == MARKER_KEY]


def snapshot(fake: FakeWorkspace) -> dict[str, Any]:
    """Everything formatting-related, and every value, of the spreadsheet."""
    spreadsheet = fake.sheets.get(SPREADSHEET_ID)
    return copy.deepcopy({
        "metadata": spreadsheet.developer_metadata,
        "tabs": {s.title: (s.frozen_rows, s.frozen_columns, s.data_validations, s.conditional_formats,
                           s.protected_ranges, fake.sheets.values(SPREADSHEET_ID, s.title))
                 for s in spreadsheet.sheets},
    })


def test_init_adds_dropdowns_highlights_warnings_and_frozen_panes(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = google_program.config
    roster = build_ports(config).roster
    initialise(config, roster)
    assert fake.rejections == []
    fake.reset_calls()
    format_sheet(config, roster)
    assert fake.count("sheets.spreadsheets.batchUpdate") == 1  # every rule in one call
    assert fake.count("sheets.spreadsheets.get") == 1
    assert fake.count("sheets.") == 3  # and one read of the header rows

    columns = header(fake, sheet.APPLICATIONS)
    (decision,) = validation_at(fake, sheet.APPLICATIONS, columns.index(sheet.DECISION))
    assert decision["condition"]["type"] == "ONE_OF_LIST"
    assert options(decision) == ["Accept", "Waitlist", "Deny"]
    assert decision["strict"] is True and decision["showCustomUi"] is True
    assert "Accept" in decision["inputMessage"]
    (override,) = validation_at(fake, sheet.APPLICATIONS, columns.index(sheet.COHORT_OVERRIDE))
    assert options(override) == [s.id for s in config.sessions]
    (status,) = validation_at(fake, sheet.PARTNERS, header(fake, sheet.PARTNERS).index("Status"))
    assert options(status) == list(PARTNER_STATUSES)
    assert len(tab(fake, sheet.APPLICATIONS).data_validations) == 2
    assert all(v["range"]["startRowIndex"] == 1 for v in tab(fake, sheet.APPLICATIONS).data_validations)

    rules = tab(fake, sheet.APPLICATIONS).conditional_formats
    assert len(rules) == 6
    flags = next(r for r in rules if r["booleanRule"]["condition"]["type"] == "NOT_BLANK")
    assert flags["ranges"][0]["startColumnIndex"] == columns.index(sheet.FLAGS)
    proposed = {r["booleanRule"]["condition"]["values"][0]["userEnteredValue"]: r for r in rules
                if r["booleanRule"]["condition"]["type"] == "TEXT_EQ"}
    assert set(proposed) == {"Accept", "Waitlist", "Deny", "Review", "Duplicate"}
    assert {r["ranges"][0]["startColumnIndex"] for r in proposed.values()} == {
        columns.index(sheet.PROPOSED_DECISION)}
    green = proposed["Accept"]["booleanRule"]["format"]["backgroundColor"]
    assert round(green["green"] * 255) == Colour.LIGHT_GREEN.rgb[1]
    (held,) = tab(fake, sheet.OUTBOX).conditional_formats
    assert held["booleanRule"]["condition"]["values"] == [{"userEnteredValue": "held"}]
    assert held["ranges"][0]["startColumnIndex"] == header(fake, sheet.OUTBOX).index("State")

    every = [p for s in fake.sheets.get(SPREADSHEET_ID).sheets for p in s.protected_ranges]
    assert every and all(p["warningOnly"] is True and p["description"] == PROTECTION_NOTE for p in every)
    coordinator = {columns.index(h) for h in sheet.COORDINATOR_APPLICATION_COLUMNS}
    assert protected_columns(fake, sheet.APPLICATIONS) == set(range(len(columns))) - coordinator
    for whole in (sheet.OUTBOX, sheet.TIMELINE):
        (protected,) = tab(fake, whole).protected_ranges
        assert protected["range"] == {"sheetId": tab(fake, whole).sheet_id}
    partners = header(fake, sheet.PARTNERS)
    from microintern.domain.sheet_rules import sheet_rules
    for name in (sheet.PARTNERS, sheet.SESSIONS, sheet.PARTICIPANTS):
        headers = header(fake, name)
        rules = next(t for t in sheet_rules(config).tabs if t.tab == name)
        assert protected_columns(fake, name) == {headers.index(h) for h in rules.tool_owned}, name
    assert partners.index(sheet.PARTNER_STATUS) not in protected_columns(fake, sheet.PARTNERS)
    sessions = header(fake, sheet.SESSIONS)
    assert sessions.index(sheet.SESSION_MEETINGS) not in protected_columns(fake, sheet.SESSIONS)

    for name in sheet.layout([q.title for q in config.application.questions]):
        assert tab(fake, name).frozen_rows == 1, name
    assert tab(fake, sheet.APPLICATIONS).frozen_columns == 1
    assert tab(fake, sheet.PARTNERS).frozen_columns == 0
    assert len(markers(fake)) == 1


def test_a_second_init_reads_once_and_writes_nothing(fake: FakeWorkspace,
                                                     google_program: GoogleProgram) -> None:
    config = google_program.config
    init(config)
    before = snapshot(fake)
    assert fake.rejections == []
    fake.reset_calls()

    format_sheet(config, build_ports(config).roster)
    assert fake.count("sheets.spreadsheets.get") == 1
    assert fake.count("sheets.spreadsheets.values.batchGet") == 1
    assert fake.count("sheets.spreadsheets.batchUpdate") == 0
    assert fake.count("sheets.") == 2

    fake.reset_calls()
    init(config)  # the whole command again: tabs and headers are there too
    assert fake.count("sheets.spreadsheets.batchUpdate") == 0
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 0
    assert snapshot(fake) == before


def test_data_stays_and_rules_follow_the_columns_where_the_coordinator_put_them(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    config = google_program.config
    questions = [q.title for q in config.application.questions]
    columns = list(sheet.application_columns(questions))
    # The coordinator keeps their columns up front, right after the id.
    for name in reversed(sheet.COORDINATOR_APPLICATION_COLUMNS):
        columns.remove(name)
        columns.insert(1, name)
    rows = [[f"{name} {n}" for name in columns] for n in range(1, 6)]
    partners = [list(sheet.PARTNER_COLUMNS), ["p-1", "Solis", "Ana", "ana@x.test", "IT", "contacted", "x"]]
    fake.sheets.write(SPREADSHEET_ID, "Sheet1!A1", [["the coordinator's own tab"]])
    roster = build_ports(config).roster
    roster.ensure_tabs({sheet.APPLICATIONS: columns, sheet.PARTNERS: sheet.PARTNER_COLUMNS})
    fake.sheets.write(SPREADSHEET_ID, "Applications!A2", rows)
    fake.sheets.write(SPREADSHEET_ID, "Partners!A1", partners)
    # The coordinator's own highlight, protection and frozen rows must survive.
    applications = tab(fake, sheet.APPLICATIONS)
    own_rule = {"ranges": [{"sheetId": applications.sheet_id, "startColumnIndex": 1, "endColumnIndex": 2}],
                "booleanRule": {"condition": {"type": "TEXT_CONTAINS", "values": [{"userEnteredValue": "x"}]},
                                "format": {"textFormat": {"bold": True}}}}
    own_protection = {"protectedRangeId": 999, "range": {"sheetId": applications.sheet_id},
                      "description": "only Dana", "warningOnly": True, "editors": {}}
    applications.conditional_formats.append(copy.deepcopy(own_rule))
    applications.protected_ranges.append(copy.deepcopy(own_protection))
    tab(fake, sheet.PARTNERS).frozen_rows = 2

    init(config)
    assert fake.sheets.values(SPREADSHEET_ID, sheet.APPLICATIONS) == [columns, *rows]
    assert fake.sheets.values(SPREADSHEET_ID, sheet.PARTNERS) == partners
    assert fake.sheets.values(SPREADSHEET_ID, "Sheet1") == [["the coordinator's own tab"]]
    assert fake.sheets.formulas(SPREADSHEET_ID) == []
    assert len(validation_at(fake, sheet.APPLICATIONS, columns.index(sheet.DECISION))) == 1
    assert columns.index(sheet.DECISION) in (1, 2, 3)
    assert protected_columns(fake, sheet.APPLICATIONS) == {0, *range(4, len(columns))}
    assert applications.conditional_formats[0] == own_rule  # theirs first: it takes precedence
    assert own_protection in applications.protected_ranges
    assert tab(fake, sheet.PARTNERS).frozen_rows == 2

    # The coordinator swaps Decision and Flags (values move, Sheets' rules stay put here).
    decision, flags = columns.index(sheet.DECISION), columns.index(sheet.FLAGS)
    moved = list(columns)
    moved[decision], moved[flags] = moved[flags], moved[decision]
    fake.sheets.write(SPREADSHEET_ID, "Applications!A1", [moved])
    init(config)
    (rule,) = validation_at(fake, sheet.APPLICATIONS, flags)
    assert options(rule) == ["Accept", "Waitlist", "Deny"]
    assert validation_at(fake, sheet.APPLICATIONS, decision) == []  # no dropdown left on Flags
    assert len(tab(fake, sheet.APPLICATIONS).data_validations) == 2
    not_blank = [r for r in applications.conditional_formats
                 if r["booleanRule"]["condition"]["type"] == "NOT_BLANK"]
    assert [r["ranges"][0]["startColumnIndex"] for r in not_blank] == [decision]
    assert len(applications.conditional_formats) == 7
    assert flags not in protected_columns(fake, sheet.APPLICATIONS)
    assert decision in protected_columns(fake, sheet.APPLICATIONS)
    assert own_protection in applications.protected_ranges
    assert len(markers(fake)) == 1

    fake.reset_calls()
    format_sheet(config, build_ports(config).roster)
    assert fake.count("sheets.spreadsheets.batchUpdate") == 0


def test_twins_left_by_a_retried_batch_are_removed(fake: FakeWorkspace,
                                                   google_program: GoogleProgram) -> None:
    config = google_program.config
    init(config)
    outbox = tab(fake, sheet.OUTBOX)
    twin = copy.deepcopy(outbox.protected_ranges[0])
    twin["protectedRangeId"] = 4242
    outbox.protected_ranges.append(twin)
    outbox.conditional_formats.append(copy.deepcopy(outbox.conditional_formats[0]))
    spreadsheet = fake.sheets.get(SPREADSHEET_ID)
    spreadsheet.developer_metadata.append({**copy.deepcopy(markers(fake)[0]), "metadataId": 4343})

    init(config)
    assert len(outbox.protected_ranges) == 1
    assert len(outbox.conditional_formats) == 1
    assert len(markers(fake)) == 1


def test_new_sessions_update_the_cohort_dropdown(fake: FakeWorkspace,
                                                 google_program: GoogleProgram) -> None:
    config = google_program.config
    init(config)
    extra = config.sessions[0].model_copy(update={"id": "late-spring"})
    grown = config.model_copy(update={"sessions": [*config.sessions, extra]})
    fake.reset_calls()
    format_sheet(grown, build_ports(grown).roster)
    (call,) = fake.calls_to("sheets.spreadsheets.batchUpdate")
    kinds = [next(iter(r)) for r in call.body["requests"]]
    assert kinds == ["setDataValidation", "deleteDeveloperMetadata", "createDeveloperMetadata"]
    column = header(fake, sheet.APPLICATIONS).index(sheet.COHORT_OVERRIDE)
    (rule,) = validation_at(fake, sheet.APPLICATIONS, column)
    assert options(rule)[-1] == "late-spring"
    assert len(markers(fake)) == 1


# --- the request builder on answers shaped like Google's --------------------------------------


def googlish(value: Any) -> Any:
    """JSON as Google sends it: zero values left out, colours as 32-bit floats."""
    if isinstance(value, dict):
        return {k: googlish(v) for k, v in value.items() if v not in (0, False, "", None)}
    if isinstance(value, list):
        return [googlish(v) for v in value]
    if isinstance(value, float):
        return struct.unpack("f", struct.pack("f", value))[0]
    return value


def test_an_applied_sheet_as_google_returns_it_needs_nothing(fake: FakeWorkspace,
                                                            google_program: GoogleProgram) -> None:
    config = google_program.config
    layout = sheet.layout([q.title for q in config.application.questions])
    assert sheet.PROBLEMS in layout  # its rules (frozen header, highlight, warning) included
    # Applications first: sheet id 0, which Google leaves out of every range.
    spreadsheet = fake.sheets.create("S-google-shape", "Program", {t: [list(h)] for t, h in layout.items()})
    assert spreadsheet.sheet_by_title(sheet.APPLICATIONS).sheet_id == 0  # type: ignore[union-attr]
    rules = sheet_rules(config)
    headers = {t: list(h) for t, h in layout.items()}
    sheet_ids, existing = read_existing(spreadsheet_json(spreadsheet))
    requests = format_requests(rules, headers, sheet_ids, existing)
    assert requests
    twin = spreadsheet.clone()
    apply_batch(twin, requests)
    spreadsheet.adopt(twin)

    answer = googlish(spreadsheet_json(spreadsheet))
    assert "sheetId" not in answer["sheets"][0]["properties"]
    sheet_ids, existing = read_existing(answer)
    assert format_requests(rules, headers, sheet_ids, existing) == []


def test_init_formats_the_problems_tab(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    """The Problems tab runs write: header frozen, open problems highlighted, all of it warned."""
    init(google_program.config)
    assert fake.rejections == []
    problems = tab(fake, sheet.PROBLEMS)
    assert problems.frozen_rows == 1 and problems.frozen_columns == 0
    (open_rule,) = problems.conditional_formats
    assert open_rule["booleanRule"]["condition"] == {"type": "TEXT_EQ",
                                                     "values": [{"userEnteredValue": "open"}]}
    assert open_rule["ranges"][0]["startColumnIndex"] == header(fake, sheet.PROBLEMS).index("State")
    amber = open_rule["booleanRule"]["format"]["backgroundColor"]
    assert round(amber["red"] * 255) == Colour.LIGHT_AMBER.rgb[0]
    (protected,) = problems.protected_ranges
    assert protected["warningOnly"] is True and protected["description"] == PROTECTION_NOTE
    assert protected["range"] == {"sheetId": problems.sheet_id}
    assert problems.data_validations == []
