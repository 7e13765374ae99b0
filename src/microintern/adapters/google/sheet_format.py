"""Sheets ``batchUpdate`` requests that apply :class:`~microintern.domain.sheet_rules.SheetRules`.

Pure functions: :func:`read_existing` parses one ``spreadsheets.get`` answer, and
:func:`format_requests` compares it with the rules and returns only the requests still
needed, so a second ``init`` sends nothing. How each kind of rule is recognised as ours:

* **Protections** by their description (:data:`~microintern.domain.sheet_rules.PROTECTION_NOTE`)
  and ``warningOnly``: the coordinator's own protections are never touched.
* **Conditional formats** by what they do: a single-range rule on one of our tabs whose
  condition and background colour are those of one of that tab's highlights (colours compared
  on the 0-255 scale, as Sheets stores them as 32-bit floats). A rule the coordinator made is
  left alone unless it is an exact twin of ours.
* **Dropdowns** cannot be read back without fetching every cell, so the dropdowns applied are
  recorded in a spreadsheet-level developer metadata entry (:data:`MARKER_KEY`): tab, column,
  grid height and a digest of the rule. When the record matches what the rules ask for now,
  nothing is sent; otherwise the changed columns are set, columns that lost their dropdown (a
  moved column) are cleared, and the record is replaced. A dropdown removed by hand is therefore
  not restored by ``init`` while the record says it is there; the grid height is in the record
  because rows appended later may lack the dropdown, so a grown tab gets it again.

Columns are found by header position in row 1 at the time of the call: a column the
coordinator moved is re-found on the next ``init``, and our rules on its old position are
replaced. REST reference:
https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from microintern.domain.sheet_rules import (
    MAX_FROZEN_COLUMNS,
    PROTECTION_NOTE,
    Colour,
    Condition,
    Dropdown,
    Highlight,
    SheetRules,
    TabRules,
)

Request = dict[str, Any]

MARKER_KEY = "microintern.dropdowns"
"""Developer metadata key of the record of dropdowns microintern applied."""

GET_FIELDS = "sheets(properties,conditionalFormats,protectedRanges),developerMetadata"
"""The ``fields`` of the one ``spreadsheets.get`` that :func:`read_existing` parses."""

RangeKey = tuple[int, int, int | None, int, int | None]
"""A grid range normalised for comparison: sheet, first row, end row, first column, end column;
an end is None when the range reaches the grid's edge (Sheets may or may not spell it out)."""

Slot = tuple[int, int, int, str]
"""One applied dropdown: sheet id, column, grid rows when applied, digest of the rule."""


@dataclass(frozen=True)
class SheetState:
    """What one tab already has, as read from the spreadsheet."""

    sheet_id: int
    rows: int
    columns: int
    frozen_rows: int = 0
    frozen_columns: int = 0
    conditional_formats: tuple[dict[str, Any], ...] = ()
    protected_ranges: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Marker:
    """One developer metadata record of applied dropdowns."""

    metadata_id: int
    slots: frozenset[Slot]


@dataclass(frozen=True)
class Existing:
    """The formatting state of the spreadsheet: tabs by sheet id, and dropdown records."""

    sheets: Mapping[int, SheetState]
    markers: tuple[Marker, ...] = ()


def read_existing(spreadsheet: Mapping[str, Any]) -> tuple[dict[str, int], Existing]:
    """Parse a ``spreadsheets.get`` answer (fields :data:`GET_FIELDS`): tab ids and state.

    Google leaves out zero values (sheet id 0, frozen counts 0): they read as 0 here.
    """
    sheet_ids: dict[str, int] = {}
    sheets: dict[int, SheetState] = {}
    for entry in spreadsheet.get("sheets", []):
        props = entry.get("properties", {})
        grid = props.get("gridProperties", {})
        sheet_id = int(props.get("sheetId", 0))
        sheet_ids[str(props.get("title", ""))] = sheet_id
        sheets[sheet_id] = SheetState(
            sheet_id=sheet_id,
            rows=int(grid.get("rowCount", 1000)),
            columns=int(grid.get("columnCount", 26)),
            frozen_rows=int(grid.get("frozenRowCount", 0)),
            frozen_columns=int(grid.get("frozenColumnCount", 0)),
            conditional_formats=tuple(entry.get("conditionalFormats", [])),
            protected_ranges=tuple(entry.get("protectedRanges", [])),
        )
    markers = tuple(
        Marker(int(m.get("metadataId", 0)), _parse_slots(m.get("metadataValue", "")))
        for m in spreadsheet.get("developerMetadata", [])
        if m.get("metadataKey") == MARKER_KEY
    )
    return sheet_ids, Existing(sheets, markers)


def format_requests(rules: SheetRules, headers_by_tab: Mapping[str, Sequence[str]],
                    sheet_ids: Mapping[str, int], existing: Existing) -> list[Request]:
    """The requests that bring the spreadsheet to ``rules``; empty when it is there already.

    ``headers_by_tab`` is row 1 of each tab as read now; tabs or headers that are missing are
    skipped (``init`` creates them first). Only rules recognised as microintern's are deleted
    or replaced. All requests are meant for one ``spreadsheets.batchUpdate`` (atomic).
    """
    requests: list[Request] = []
    wanted_slots: dict[Slot, Request] = {}
    for tab_rules in rules.tabs:
        sheet_id = sheet_ids.get(tab_rules.tab)
        if sheet_id is None or sheet_id not in existing.sheets:
            continue
        state = existing.sheets[sheet_id]
        columns = _positions(headers_by_tab.get(tab_rules.tab, ()))
        requests += _freeze(tab_rules, columns, state)
        requests += _highlights(tab_rules, columns, state)
        requests += _protections(tab_rules, columns, state)
        for dropdown in tab_rules.dropdowns:
            if dropdown.header in columns and dropdown.options:
                slot, request = _dropdown(dropdown, columns[dropdown.header], state)
                wanted_slots[slot] = request
    requests += _dropdown_requests(wanted_slots, existing)
    return requests


# --- frozen panes ------------------------------------------------------------------------------


def _freeze(rules: TabRules, columns: Mapping[str, int], state: SheetState) -> list[Request]:
    """Freeze at least the header row (and the id column); never unfreeze what the coordinator froze."""
    grid: dict[str, int] = {}
    if state.frozen_rows < rules.freeze_rows:
        grid["frozenRowCount"] = rules.freeze_rows
    through = columns.get(rules.freeze_through) if rules.freeze_through else None
    if through is not None and through < MAX_FROZEN_COLUMNS and state.frozen_columns < through + 1:
        grid["frozenColumnCount"] = through + 1
    if not grid:
        return []
    return [{"updateSheetProperties": {
        "properties": {"sheetId": state.sheet_id, "gridProperties": grid},
        "fields": ",".join(f"gridProperties.{name}" for name in grid),
    }}]


# --- conditional formats -----------------------------------------------------------------------


def _colour(colour: Colour) -> dict[str, float]:
    red, green, blue = colour.rgb
    return {"red": red / 255, "green": green / 255, "blue": blue / 255}


def _condition(highlight: Highlight) -> dict[str, Any]:
    if highlight.condition is Condition.NOT_BLANK:
        return {"type": "NOT_BLANK"}
    return {"type": "TEXT_EQ", "values": [{"userEnteredValue": highlight.value or ""}]}


def _signature(condition: Mapping[str, Any], colour: Mapping[str, Any] | None) -> tuple[Any, ...]:
    values = tuple(str(v.get("userEnteredValue", "")) for v in condition.get("values", []))
    rgb = (tuple(round(float(colour.get(c, 0)) * 255) for c in ("red", "green", "blue"))
           if colour else None)
    return (condition.get("type"), values, rgb)


def _rule_signature(rule: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What a conditional rule does, whatever range it covers (None for gradient rules)."""
    boolean = rule.get("booleanRule")
    if not boolean:
        return None
    fmt = boolean.get("format", {})
    colour = fmt.get("backgroundColor") or fmt.get("backgroundColorStyle", {}).get("rgbColor")
    return _signature(boolean.get("condition", {}), colour)


def _highlights(rules: TabRules, columns: Mapping[str, int], state: SheetState) -> list[Request]:
    """Replace our conditional rules on the tab when they differ from the wanted ones."""
    ours = {_signature(_condition(h), _colour(h.colour)) for h in rules.highlights}
    wanted: list[dict[str, Any]] = []
    for highlight in rules.highlights:
        if highlight.header not in columns:
            continue
        column = columns[highlight.header]
        wanted.append({
            "ranges": [{"sheetId": state.sheet_id, "startRowIndex": 1,
                        "startColumnIndex": column, "endColumnIndex": column + 1}],
            "booleanRule": {"condition": _condition(highlight),
                            "format": {"backgroundColor": _colour(highlight.colour)}},
        })
    found = [(index, rule) for index, rule in enumerate(state.conditional_formats)
             if len(rule.get("ranges", [])) == 1 and _rule_signature(rule) in ours]
    if [_rule_key(rule, state) for _, rule in found] == [_rule_key(rule, state) for rule in wanted]:
        return []
    requests: list[Request] = [
        {"deleteConditionalFormatRule": {"sheetId": state.sheet_id, "index": index}}
        for index, _ in reversed(found)  # from the bottom, so earlier indexes stay valid
    ]
    # After the coordinator's own rules, which therefore take precedence over ours.
    start = len(state.conditional_formats) - len(found)
    requests += [{"addConditionalFormatRule": {"rule": rule, "index": start + offset}}
                 for offset, rule in enumerate(wanted)]
    return requests


def _rule_key(rule: Mapping[str, Any], state: SheetState) -> tuple[Any, ...]:
    return (_range_key(rule["ranges"][0], state), _rule_signature(rule))


# --- protections -------------------------------------------------------------------------------


def _protections(rules: TabRules, columns: Mapping[str, int], state: SheetState) -> list[Request]:
    """Add missing warning-only protections of tool columns; remove ours that no longer fit."""
    if rules.whole_tab_tool_owned:
        ranges = [{"sheetId": state.sheet_id}]
    else:
        owned = sorted(columns[h] for h in rules.tool_owned if h in columns)
        ranges = [{"sheetId": state.sheet_id, "startRowIndex": 0,
                   "startColumnIndex": run[0], "endColumnIndex": run[-1] + 1}
                  for run in _runs(owned)]
    wanted = {_range_key(r, state): r for r in ranges}
    requests: list[Request] = []
    kept: set[RangeKey] = set()
    for protected in state.protected_ranges:
        if protected.get("description") != PROTECTION_NOTE or not protected.get("warningOnly"):
            continue
        key = _range_key(protected.get("range", {}), state)
        if key in wanted and key not in kept:
            kept.add(key)
        else:  # a column that moved, or a twin left by a retried batch
            requests.append({"deleteProtectedRange": {
                "protectedRangeId": protected["protectedRangeId"]}})
    requests += [{"addProtectedRange": {"protectedRange": {
        "range": grid_range, "description": PROTECTION_NOTE, "warningOnly": True}}}
        for key, grid_range in wanted.items() if key not in kept]
    return requests


# --- dropdowns ---------------------------------------------------------------------------------


def _dropdown(dropdown: Dropdown, column: int, state: SheetState) -> tuple[Slot, Request]:
    rule = {
        "condition": {"type": "ONE_OF_LIST",
                      "values": [{"userEnteredValue": option} for option in dropdown.options]},
        "inputMessage": dropdown.help,
        "strict": True,  # anything but an option is refused, with the input message as help
        "showCustomUi": True,
    }
    digest = hashlib.sha256(json.dumps(rule, sort_keys=True).encode()).hexdigest()[:16]
    request = {"setDataValidation": {"range": _column_below_header(state.sheet_id, column),
                                     "rule": rule}}
    return (state.sheet_id, column, state.rows, digest), request


def _column_below_header(sheet_id: int, column: int) -> dict[str, int]:
    # Unbounded downwards: the same range on every run, whatever the grid's height.
    return {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": column,
            "endColumnIndex": column + 1}


def _dropdown_requests(wanted: Mapping[Slot, Request], existing: Existing) -> list[Request]:
    applied = frozenset().union(*(m.slots for m in existing.markers))
    if len(existing.markers) == 1 and applied == frozenset(wanted):
        return []
    if not existing.markers and not wanted:
        return []
    requests: list[Request] = [request for slot, request in wanted.items() if slot not in applied]
    still = {(slot[0], slot[1]) for slot in wanted}
    stale = sorted({(slot[0], slot[1]) for slot in applied} - still)
    requests += [{"setDataValidation": {"range": _column_below_header(sheet_id, column)}}
                 for sheet_id, column in stale if sheet_id in existing.sheets]
    requests += [{"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
        "metadataId": marker.metadata_id}}}} for marker in existing.markers]
    requests.append({"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": MARKER_KEY,
        "metadataValue": json.dumps({"dropdowns": sorted(wanted)}, separators=(",", ":")),
        "location": {"spreadsheet": True},
        "visibility": "DOCUMENT",  # readable whichever Google Cloud project runs microintern
    }}})
    return requests


def _parse_slots(value: str) -> frozenset[Slot]:
    """The slots of a marker value; an unreadable value reads as "nothing applied"."""
    try:
        entries = json.loads(value)["dropdowns"]
        return frozenset((int(s), int(c), int(r), str(d)) for s, c, r, d in entries)
    except (ValueError, KeyError, TypeError):
        return frozenset()


# --- helpers -----------------------------------------------------------------------------------


def _positions(headers: Sequence[str]) -> dict[str, int]:
    """Each header's 0-based column; the first of duplicates wins."""
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = str(header).strip()
        if name:
            positions.setdefault(name, index)
    return positions


def _runs(columns: Sequence[int]) -> list[list[int]]:
    """Sorted column indexes split into runs of neighbours (one protected range per run)."""
    runs: list[list[int]] = []
    for column in columns:
        if runs and runs[-1][-1] == column - 1:
            runs[-1].append(column)
        elif not runs or runs[-1][-1] != column:
            runs.append([column])
    return runs


def _range_key(grid_range: Mapping[str, Any], state: SheetState) -> RangeKey:
    end_row = grid_range.get("endRowIndex")
    end_column = grid_range.get("endColumnIndex")
    return (
        int(grid_range.get("sheetId", 0)),
        int(grid_range.get("startRowIndex", 0)),
        None if end_row is None or int(end_row) >= state.rows else int(end_row),
        int(grid_range.get("startColumnIndex", 0)),
        None if end_column is None or int(end_column) >= state.columns else int(end_column),
    )
