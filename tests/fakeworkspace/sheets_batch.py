"""Sheets ``spreadsheets.batchUpdate``: the structural requests the project sends.

The batch is atomic, as in Google: requests apply to a clone that replaces the
spreadsheet only if every request succeeded. Formatting-only requests are recorded
on the sheet (``Sheet.formatting``) without effect on values; any other request kind
is refused with a 400 naming it, so a test never passes on a silently ignored request.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .errors import ApiError, bad_request
from .fieldmask import apply_mask
from .sheets_model import Cell, Sheet, Spreadsheet, normal_number

Reply = dict[str, Any]
Applier = Callable[[Spreadsheet, dict[str, Any]], Reply]

#: Requests that only change formatting; recorded on the sheet, values untouched.
FORMATTING_ONLY = frozenset(
    {
        "repeatCell",
        "updateDimensionProperties",
        "autoResizeDimensions",
        "updateBorders",
        "mergeCells",
        "unmergeCells",
        "addBanding",
    }
)


def _grid_sheet(spreadsheet: Spreadsheet, grid_range: dict[str, Any]) -> Sheet:
    return spreadsheet.sheet_by_id(int(grid_range.get("sheetId", 0)))


def _grid_bounds(sheet: Sheet, grid_range: dict[str, Any]) -> tuple[int, int, int, int]:
    r0 = int(grid_range.get("startRowIndex", 0))
    r1 = int(grid_range.get("endRowIndex", sheet.row_count))
    c0 = int(grid_range.get("startColumnIndex", 0))
    c1 = int(grid_range.get("endColumnIndex", sheet.column_count))
    if not (0 <= r0 <= r1 <= sheet.row_count and 0 <= c0 <= c1 <= sheet.column_count):
        raise bad_request(
            f"Range {grid_range} is outside the grid of sheet {sheet.sheet_id} "
            f"({sheet.row_count} rows x {sheet.column_count} columns)"
        )
    return r0, r1, c0, c1


def _check_title(spreadsheet: Spreadsheet, title: str, sheet_id: int | None = None) -> None:
    for sheet in spreadsheet.sheets:
        if sheet.title.lower() == title.lower() and sheet.sheet_id != sheet_id:
            raise bad_request(f'A sheet with the name "{title}" already exists. Please enter another name.')


def add_sheet(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``addSheet``."""
    props = copy.deepcopy(req.get("properties") or {})
    sheet_id = props.get("sheetId")
    if sheet_id is not None and any(s.sheet_id == int(sheet_id) for s in spreadsheet.sheets):
        raise bad_request(f"A sheet with the id {sheet_id} already exists.")
    sheet_id = int(sheet_id) if sheet_id is not None else spreadsheet.new_id()
    title = props.get("title") or f"Sheet{len(spreadsheet.sheets) + 1}"
    _check_title(spreadsheet, title)
    props.update(sheetId=sheet_id, title=title)
    props.setdefault("gridProperties", {}).setdefault("rowCount", 1000)
    props["gridProperties"].setdefault("columnCount", 26)
    sheet = Sheet(sheet_id=sheet_id, title=title)
    sheet.load_properties(props)
    index = int(props.get("index", len(spreadsheet.sheets)))
    spreadsheet.sheets.insert(min(index, len(spreadsheet.sheets)), sheet)
    spreadsheet.reindex()
    return {"addSheet": {"properties": sheet.properties_json()}}


def delete_sheet(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``deleteSheet``."""
    sheet = spreadsheet.sheet_by_id(int(req.get("sheetId", 0)))
    if len(spreadsheet.sheets) == 1:
        raise bad_request("You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.reindex()
    return {}


def update_sheet_properties(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``updateSheetProperties`` with its ``fields`` mask."""
    props = req.get("properties") or {}
    if not req.get("fields"):
        raise bad_request("At least one field must be updated, but 'fields' is empty.")
    sheet = spreadsheet.sheet_by_id(int(props.get("sheetId", 0)))
    current = sheet.properties_json()
    current["gridProperties"].setdefault("frozenRowCount", 0)
    current["gridProperties"].setdefault("frozenColumnCount", 0)
    apply_mask(current, props, req["fields"])
    if current.get("title") != sheet.title:
        _check_title(spreadsheet, str(current.get("title")), sheet.sheet_id)
    sheet.load_properties(current)
    if "index" in current and int(current["index"]) != sheet.index:
        spreadsheet.sheets.remove(sheet)
        spreadsheet.sheets.insert(int(current["index"]), sheet)
        spreadsheet.reindex()
    return {}


def update_spreadsheet_properties(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``updateSpreadsheetProperties`` (title, locale, timeZone)."""
    if not req.get("fields"):
        raise bad_request("At least one field must be updated, but 'fields' is empty.")
    current = {
        "title": spreadsheet.title,
        "locale": spreadsheet.locale,
        "timeZone": spreadsheet.time_zone,
    }
    apply_mask(current, req.get("properties") or {}, req["fields"])
    spreadsheet.title = current.get("title", spreadsheet.title)
    spreadsheet.locale = current.get("locale", spreadsheet.locale)
    spreadsheet.time_zone = current.get("timeZone", spreadsheet.time_zone)
    return {}


def set_data_validation(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``setDataValidation`` (no ``rule`` clears validations of exactly that range)."""
    grid_range = req.get("range") or {}
    sheet = _grid_sheet(spreadsheet, grid_range)
    _grid_bounds(sheet, grid_range)
    sheet.data_validations = [v for v in sheet.data_validations if v["range"] != grid_range]
    if req.get("rule"):
        sheet.data_validations.append({"range": grid_range, "rule": req["rule"]})
    return {}


def add_conditional_format_rule(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``addConditionalFormatRule``."""
    rule = req.get("rule") or {}
    ranges = rule.get("ranges") or []
    if not ranges:
        raise bad_request("Invalid addConditionalFormatRule: rule.ranges is required")
    sheet = _grid_sheet(spreadsheet, ranges[0])
    for grid_range in ranges:
        _grid_bounds(sheet, grid_range)
    if not (rule.get("booleanRule") or rule.get("gradientRule")):
        raise bad_request("Invalid addConditionalFormatRule: booleanRule or gradientRule needed")
    index = int(req.get("index", 0))
    sheet.conditional_formats.insert(min(index, len(sheet.conditional_formats)), rule)
    return {}


def delete_conditional_format_rule(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``deleteConditionalFormatRule``."""
    sheet = spreadsheet.sheet_by_id(int(req.get("sheetId", 0)))
    index = int(req.get("index", 0))
    if not 0 <= index < len(sheet.conditional_formats):
        raise bad_request(f"No conditional format on sheet {sheet.sheet_id} at index {index}")
    rule = sheet.conditional_formats.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


def add_protected_range(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``addProtectedRange`` (assigns ``protectedRangeId``)."""
    protected = copy.deepcopy(req.get("protectedRange") or {})
    grid_range = protected.get("range") or {}
    sheet = _grid_sheet(spreadsheet, grid_range)
    _grid_bounds(sheet, grid_range)
    protected["protectedRangeId"] = spreadsheet.new_id()
    protected.setdefault("editors", {})
    sheet.protected_ranges.append(protected)
    return {"addProtectedRange": {"protectedRange": protected}}


def delete_protected_range(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``deleteProtectedRange``."""
    wanted = int(req.get("protectedRangeId", -1))
    for sheet in spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == wanted:
                sheet.protected_ranges.remove(protected)
                return {}
    raise bad_request(f"No protected range with id: {wanted}")


def append_dimension(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``appendDimension``."""
    sheet = spreadsheet.sheet_by_id(int(req.get("sheetId", 0)))
    length = int(req.get("length", 0))
    if length <= 0:
        raise bad_request("Invalid appendDimension: length must be positive")
    if req.get("dimension") == "COLUMNS":
        sheet.column_count += length
    elif req.get("dimension") == "ROWS":
        sheet.row_count += length
    else:
        raise bad_request("Invalid appendDimension: dimension must be ROWS or COLUMNS")
    return {}


def _entered(data: dict[str, Any]) -> Cell | None:
    """A ``CellData``'s ``userEnteredValue`` as a stored cell (None: an empty cell)."""
    if set(data) - {"userEnteredValue"}:
        raise bad_request(f"fake workspace: appendCells supports userEnteredValue only, not {sorted(data)}")
    value = data.get("userEnteredValue")
    if not value:
        return None
    if len(value) != 1:
        raise bad_request(f"Invalid value: exactly one of the ExtendedValue fields must be set: {value}")
    kind, raw = next(iter(value.items()))
    if kind == "stringValue":
        return Cell(str(raw))
    if kind == "numberValue":
        return Cell(normal_number(raw))
    if kind == "boolValue":
        return Cell(bool(raw))
    if kind == "formulaValue":
        return Cell(str(raw), formula=str(raw))
    raise bad_request(f"fake workspace: appendCells does not support {kind}")


def append_cells(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``appendCells``: rows written after the sheet's last row with data, rows added as needed."""
    sheet = spreadsheet.sheet_by_id(int(req.get("sheetId", 0)))
    if not req.get("fields"):
        raise bad_request("Invalid requests[0].appendCells: fields is required")
    if req["fields"] not in ("userEnteredValue", "*"):
        raise bad_request("fake workspace: appendCells supports fields 'userEnteredValue' only")
    start = sheet.used_rows()
    for i, row in enumerate(req.get("rows") or []):
        values = row.get("values") or []
        if len(values) > sheet.column_count:
            raise bad_request(f"Invalid requests[0].appendCells: {len(values)} cells do not fit the "
                              f"sheet's {sheet.column_count} columns")
        for j, data in enumerate(values):
            sheet.set_cell(start + i, j, _entered(data))
    return {}


def _dimension_range(spreadsheet: Spreadsheet, req: dict[str, Any], name: str) -> tuple[Sheet, str, int, int]:
    span = req.get("range") or {}
    sheet = spreadsheet.sheet_by_id(int(span.get("sheetId", 0)))
    dimension = span.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise bad_request(f"Invalid {name}: range.dimension must be ROWS or COLUMNS")
    limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
    start = int(span.get("startIndex", 0))
    end = int(span.get("endIndex", limit))
    if not 0 <= start < end:
        raise bad_request(f"Invalid {name}: startIndex must be less than endIndex")
    return sheet, dimension, start, end


def insert_dimension(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``insertDimension``."""
    sheet, dimension, start, end = _dimension_range(spreadsheet, req, "insertDimension")
    limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if start > limit:
        raise bad_request(f"Invalid insertDimension: startIndex {start} is past the grid")
    if dimension == "ROWS":
        sheet.insert_rows(start, end - start)
    else:
        sheet.insert_columns(start, end - start)
    return {}


def delete_dimension(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``deleteDimension``."""
    sheet, dimension, start, end = _dimension_range(spreadsheet, req, "deleteDimension")
    limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if end > limit:
        raise bad_request(f"Invalid deleteDimension: endIndex {end} is past the grid ({limit})")
    if end - start >= limit:
        raise bad_request("You can't delete all the rows or columns of a sheet.")
    if dimension == "ROWS":
        sheet.delete_rows(start, end)
    else:
        sheet.delete_columns(start, end)
    return {}


def _sort_key(cell: Cell | None, descending: bool) -> tuple[Any, ...]:
    if cell is None or cell.value == "":
        return (1, 0, 0)  # blanks always last
    value = cell.value
    if isinstance(value, bool):
        rank, key = 2, int(value)
    elif isinstance(value, int | float):
        rank, key = 0, value
    else:
        rank, key = 1, str(value).lower()
    if descending:
        return (0, -rank, _Reversed(key))
    return (0, rank, key)


class _Reversed:
    """Inverts ordering of a sort key."""

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.key < self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.key == other.key

    __hash__ = None  # type: ignore[assignment]


def sort_range(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``sortRange`` (stable; numbers before text before booleans, blanks last)."""
    grid_range = req.get("range") or {}
    sheet = _grid_sheet(spreadsheet, grid_range)
    r0, r1, c0, c1 = _grid_bounds(sheet, grid_range)
    specs = req.get("sortSpecs") or []
    block = [[sheet.cell(r, c) for c in range(c0, c1)] for r in range(r0, r1)]
    for spec in reversed(specs):
        column = int(spec.get("dimensionIndex", 0)) - c0
        if not 0 <= column < c1 - c0:
            raise bad_request(f"Invalid sortRange: dimensionIndex {column + c0} is not in range")
        descending = spec.get("sortOrder") == "DESCENDING"
        block.sort(key=lambda line, col=column, d=descending: _sort_key(line[col], d))
    for i, line in enumerate(block):
        for j, cell in enumerate(line):
            sheet.set_cell(r0 + i, c0 + j, cell)
    return {}


def create_developer_metadata(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``createDeveloperMetadata`` on the spreadsheet or a sheet."""
    metadata = copy.deepcopy(req.get("developerMetadata") or {})
    if not metadata.get("metadataKey"):
        raise bad_request("Invalid createDeveloperMetadata: metadataKey is required")
    if metadata.get("visibility") not in ("DOCUMENT", "PROJECT"):
        raise bad_request("Invalid createDeveloperMetadata: visibility is required")
    metadata["metadataId"] = metadata.get("metadataId") or spreadsheet.new_id()
    location = metadata.get("location") or {}
    if location.get("spreadsheet"):
        location["locationType"] = "SPREADSHEET"
        spreadsheet.developer_metadata.append(metadata)
    elif "sheetId" in location:
        location["locationType"] = "SHEET"
        spreadsheet.sheet_by_id(int(location["sheetId"])).developer_metadata.append(metadata)
    else:
        raise bad_request("Invalid createDeveloperMetadata: only spreadsheet or sheet locations")
    metadata["location"] = location
    return {"createDeveloperMetadata": {"developerMetadata": metadata}}


def delete_developer_metadata(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``deleteDeveloperMetadata`` by a ``developerMetadataLookup`` (id, key, value, type, visibility)."""
    data_filter = req.get("dataFilter") or {}
    lookup = data_filter.get("developerMetadataLookup")
    if not lookup or len(data_filter) != 1:
        raise bad_request("fake workspace: deleteDeveloperMetadata supports developerMetadataLookup only")
    if set(lookup) - {"metadataId", "metadataKey", "metadataValue", "locationType", "visibility"}:
        raise bad_request(f"fake workspace: unsupported developerMetadataLookup fields {sorted(lookup)}")

    def matches(metadata: dict[str, Any]) -> bool:
        return (
            ("metadataId" not in lookup or int(lookup["metadataId"]) == int(metadata["metadataId"]))
            and all(metadata.get(k) == lookup[k] for k in ("metadataKey", "metadataValue", "visibility")
                    if k in lookup)
            and ("locationType" not in lookup
                 or metadata.get("location", {}).get("locationType") == lookup["locationType"])
        )

    deleted: list[dict[str, Any]] = []
    for holder in (spreadsheet, *spreadsheet.sheets):
        deleted += [m for m in holder.developer_metadata if matches(m)]
        holder.developer_metadata = [m for m in holder.developer_metadata if not matches(m)]
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted}}


def set_basic_filter(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``setBasicFilter``."""
    basic = copy.deepcopy(req.get("filter") or {})
    sheet = _grid_sheet(spreadsheet, basic.get("range") or {})
    sheet.basic_filter = basic
    return {}


def clear_basic_filter(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``clearBasicFilter``."""
    spreadsheet.sheet_by_id(int(req.get("sheetId", 0))).basic_filter = None
    return {}


def _chart_ranges(spreadsheet: Spreadsheet, spec: dict[str, Any]) -> None:
    """Check a ``basicChart``'s source ranges: existing sheets, inside the grid, aligned."""
    basic = spec.get("basicChart")
    if not basic:
        raise bad_request("fake workspace does not implement chart specs other than basicChart")
    counts = set()
    for part in [*(d.get("domain") for d in basic.get("domains", [])),
                 *(s.get("series") for s in basic.get("series", []))]:
        sources = ((part or {}).get("sourceRange") or {}).get("sources") or []
        if not sources:
            raise bad_request("Invalid chart: every domain and series needs sourceRange.sources")
        for grid_range in sources:
            sheet = _grid_sheet(spreadsheet, grid_range)
            r0, r1, c0, c1 = _grid_bounds(sheet, grid_range)
            if r1 - r0 != 1 and c1 - c0 != 1:
                raise bad_request("Invalid chart: a source range must be one row or one column")
        counts.add(len(sources))
    if len(counts) > 1:
        raise bad_request("Invalid chart: the domain and every series must have the same number of sources")


def _find_chart(spreadsheet: Spreadsheet, chart_id: int) -> dict[str, Any]:
    for sheet in spreadsheet.sheets:
        for chart in sheet.charts:
            if int(chart["chartId"]) == chart_id:
                return chart
    raise bad_request(f"No chart with id: {chart_id}")


def add_chart(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``addChart`` (basicChart specs, anchored on an existing sheet; assigns ``chartId``)."""
    chart = copy.deepcopy(req.get("chart") or {})
    _chart_ranges(spreadsheet, chart.get("spec") or {})
    position = chart.get("position") or {}
    anchor = (position.get("overlayPosition") or {}).get("anchorCell")
    if anchor is None:
        raise bad_request("fake workspace: addChart supports position.overlayPosition.anchorCell only")
    sheet = spreadsheet.sheet_by_id(int(anchor.get("sheetId", 0)))
    if "chartId" in chart:
        chart_id = int(chart["chartId"])
        if any(int(c["chartId"]) == chart_id for s in spreadsheet.sheets for c in s.charts):
            raise bad_request(f"A chart with the id {chart_id} already exists.")
    else:
        chart_id = spreadsheet.new_id()
    chart["chartId"] = chart_id
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


def update_chart_spec(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``updateChartSpec``: replaces the chart's spec; its position stays."""
    chart = _find_chart(spreadsheet, int(req.get("chartId", -1)))
    spec = copy.deepcopy(req.get("spec") or {})
    _chart_ranges(spreadsheet, spec)
    chart["spec"] = spec
    return {}


def delete_embedded_object(spreadsheet: Spreadsheet, req: dict[str, Any]) -> Reply:
    """``deleteEmbeddedObject`` (charts)."""
    wanted = int(req.get("objectId", -1))
    chart = _find_chart(spreadsheet, wanted)
    for sheet in spreadsheet.sheets:
        if chart in sheet.charts:
            sheet.charts.remove(chart)
    return {}


APPLIERS: dict[str, Applier] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "setDataValidation": set_data_validation,
    "addConditionalFormatRule": add_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "addProtectedRange": add_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "appendDimension": append_dimension,
    "appendCells": append_cells,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "sortRange": sort_range,
    "createDeveloperMetadata": create_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
    "addChart": add_chart,
    "updateChartSpec": update_chart_spec,
    "deleteEmbeddedObject": delete_embedded_object,
}


def _record_formatting(spreadsheet: Spreadsheet, kind: str, req: dict[str, Any]) -> Reply:
    target = req.get("range") or req.get("cell", {}).get("range") or req.get("dimensions") or {}
    sheet_id = int(target.get("sheetId", req.get("sheetId", 0)) if isinstance(target, dict) else 0)
    sheet = spreadsheet.sheet_by_id(sheet_id)
    sheet.formatting.append({kind: copy.deepcopy(req)})
    return {}


def apply_batch(spreadsheet: Spreadsheet, requests: list[dict[str, Any]]) -> list[Reply]:
    """Apply a batch to ``spreadsheet`` (a clone) and return the replies, in order.

    Raises:
        ApiError: 400 naming the failing request, e.g. ``Invalid requests[2].mergeCells``.
    """
    if not requests:
        raise bad_request("Invalid requests: Must specify at least one request.")
    replies = []
    for i, request in enumerate(requests):
        kinds = [k for k, v in request.items() if v is not None]
        if len(kinds) != 1:
            raise bad_request(f"Invalid requests[{i}]: exactly one request kind per entry, got {kinds}")
        kind = kinds[0]
        body = request[kind]
        try:
            if kind in APPLIERS:
                replies.append(APPLIERS[kind](spreadsheet, body))
            elif kind in FORMATTING_ONLY:
                replies.append(_record_formatting(spreadsheet, kind, body))
            else:
                raise bad_request(f"fake workspace does not implement batchUpdate request kind '{kind}'")
        except ApiError as exc:
            raise bad_request(f"Invalid requests[{i}].{kind}: {exc.message}") from exc
    return replies
