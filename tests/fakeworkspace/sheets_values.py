"""Sheets ``spreadsheets.values.*``: read, write, append and clear ranges.

Reads trim trailing empty cells of each row and trailing empty rows, like Google.
Writes grow the grid as needed and refuse more values than an explicit range holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import a1
from .context import RequestContext
from .errors import bad_request
from .sheets_model import Sheet, Spreadsheet, clamp, input_cell, render

if TYPE_CHECKING:
    from .context import Handler

_INPUT_OPTIONS = ("RAW", "USER_ENTERED")

CELL_LIMIT = 50_000
"""Google refuses a write with a longer cell (the whole request: nothing is written)."""


def _check_cell_sizes(values: list[list[Any]] | None) -> None:
    """Refuse, as Google does, a request holding one cell of more than 50,000 characters."""
    for line in values or []:
        for value in line if isinstance(line, list) else []:
            if isinstance(value, str) and len(value) > CELL_LIMIT:
                raise bad_request(
                    f"Your input contains more than the maximum of {CELL_LIMIT} characters "
                    "in a single cell."
                )


def _check_grid(sheet: Sheet, bounds: a1.Bounds, text: str) -> None:
    too_far = (bounds.end_row is not None and bounds.end_row > sheet.row_count) or (
        bounds.end_col is not None and bounds.end_col > sheet.column_count
    )
    if too_far:
        raise bad_request(
            f"Range ({text}) exceeds grid limits. Max rows: {sheet.row_count}, "
            f"max columns: {sheet.column_count}"
        )


def _trim(matrix: list[list[Any]]) -> list[list[Any]]:
    for line in matrix:
        while line and line[-1] == "":
            line.pop()
    while matrix and not matrix[-1]:
        matrix.pop()
    return matrix


def _transpose(matrix: list[list[Any]], fill: Any) -> list[list[Any]]:
    width = max((len(line) for line in matrix), default=0)
    return [[line[c] if c < len(line) else fill for line in matrix] for c in range(width)]


def read_range(
    spreadsheet: Spreadsheet, text: str, render_option: str, major: str = "ROWS"
) -> dict[str, Any]:
    """A ``ValueRange`` for ``text`` as ``values.get`` answers it."""
    sheet, bounds = spreadsheet.resolve(text)
    _check_grid(sheet, bounds, text)
    r0, r1, c0, c1 = clamp(sheet, bounds)
    matrix = []
    for r in range(r0, min(r1, len(sheet.rows))):
        line = sheet.rows[r]
        matrix.append([render(line[c], render_option) for c in range(c0, min(c1, len(line)))])
    matrix = _trim(matrix)
    if major == "COLUMNS":
        matrix = _trim(_transpose(matrix, ""))
    out: dict[str, Any] = {
        "range": a1.format_range(sheet.title, r0, r1, c0, c1),
        "majorDimension": major,
    }
    if matrix:
        out["values"] = matrix
    return out


def write_range(
    spreadsheet: Spreadsheet,
    text: str,
    values: list[list[Any]],
    option: str,
    major: str = "ROWS",
    *,
    start: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Write values at the start of ``text`` (or at ``start``); an ``UpdateValuesResponse``."""
    sheet, bounds = spreadsheet.resolve(text)
    rows = [list(line) for line in values]
    if major == "COLUMNS":
        rows = _transpose(rows, None)
    r0, c0 = start or (bounds.start_row or 0, bounds.start_col or 0)
    single_cell = (bounds.end_row, bounds.end_col) == (r0 + 1, c0 + 1)
    if start is None and not single_cell:  # a single cell only anchors the write
        if bounds.end_row is not None and len(rows) > bounds.end_row - r0:
            raise bad_request(
                f"Requested writing within range [{text}], but tried writing to row "
                f"[{r0 + bounds.end_row - r0 + 1}]"
            )
        widest = max((len(line) for line in rows), default=0)
        if bounds.end_col is not None and widest > bounds.end_col - c0:
            raise bad_request(
                f"Requested writing within range [{text}], but tried writing to column "
                f"[{a1.column_letters(bounds.end_col)}]"
            )
    updated = 0
    for i, line in enumerate(rows):
        for j, value in enumerate(line):
            if value is None:
                continue
            cell = None if value == "" else input_cell(value, option)
            sheet.set_cell(r0 + i, c0 + j, cell)
            updated += 1
    height = len(rows)
    width = max((len(line) for line in rows), default=0)
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if height and width:
        out.update(
            updatedRange=a1.format_range(sheet.title, r0, r0 + height, c0, c0 + width),
            updatedRows=height,
            updatedColumns=width,
            updatedCells=updated,
        )
    else:
        out["updatedRange"] = text
    return out


def append_range(
    spreadsheet: Spreadsheet, text: str, values: list[list[Any]], option: str, insert: str
) -> dict[str, Any]:
    """``values.append``: find the table in ``text`` and write after its last row."""
    sheet, bounds = spreadsheet.resolve(text)
    r0, c0, c1 = bounds.start_row or 0, bounds.start_col or 0, bounds.end_col
    if (bounds.end_row, c1) == (r0 + 1, c0 + 1):
        c1 = None  # a single cell anchors the search; the table extends to the right
    first = last = -1
    table_width = 0
    for r in range(r0, len(sheet.rows)):
        segment = sheet.rows[r][c0:c1]
        used = [i for i, cell in enumerate(segment) if cell is not None]
        if used:
            first = r if first < 0 else first
            last = r
            table_width = max(table_width, used[-1] + 1)
    start_row = last + 1 if last >= 0 else r0
    if insert == "INSERT_ROWS":
        sheet.insert_rows(start_row, len(values))
    updates = write_range(spreadsheet, text, values, option, start=(start_row, c0))
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id, "updates": updates}
    if last >= 0:
        out["tableRange"] = a1.format_range(sheet.title, first, last + 1, c0, c0 + table_width)
    return out


def clear_range(spreadsheet: Spreadsheet, text: str) -> str:
    """Clear the values of ``text``; return the cleared range in A1 notation."""
    sheet, bounds = spreadsheet.resolve(text)
    _check_grid(sheet, bounds, text)
    r0, r1, c0, c1 = clamp(sheet, bounds)
    for r in range(r0, min(r1, len(sheet.rows))):
        line = sheet.rows[r]
        for c in range(c0, min(c1, len(line))):
            line[c] = None
    return a1.format_range(sheet.title, r0, r1, c0, c1)


# --- handlers ----------------------------------------------------------------------------------


def _input_option(value: str | None) -> str:
    if value is None:
        raise bad_request("'valueInputOption' is required but not specified")
    if value not in _INPUT_OPTIONS:
        raise bad_request(f"Invalid valueInputOption: {value}")
    return value


def _updated_data(ctx: RequestContext, spreadsheet: Spreadsheet, result: dict[str, Any]) -> None:
    if ctx.flag("includeValuesInResponse") and "updatedRows" in result:
        option = ctx.arg("responseValueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE"
        result["updatedData"] = read_range(spreadsheet, result["updatedRange"], option)


def values_get(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.values.get``."""
    spreadsheet = ctx.fake.sheets.get(ctx.path("spreadsheetId"))
    return read_range(
        spreadsheet,
        ctx.path("range"),
        ctx.arg("valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE",
        ctx.arg("majorDimension", "ROWS") or "ROWS",
    )


def values_batch_get(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.values.batchGet`` (``ranges`` repeated)."""
    spreadsheet = ctx.fake.sheets.get(ctx.path("spreadsheetId"))
    option = ctx.arg("valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE"
    major = ctx.arg("majorDimension", "ROWS") or "ROWS"
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    ranges = ctx.args("ranges")
    if ranges:
        out["valueRanges"] = [read_range(spreadsheet, r, option, major) for r in ranges]
    return out


def values_update(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.values.update``."""
    store = ctx.fake.sheets
    spreadsheet = store.get(ctx.path("spreadsheetId")).clone()
    option = _input_option(ctx.arg("valueInputOption"))
    body = ctx.json()
    text = ctx.path("range")
    _check_cell_sizes(body.get("values"))
    if body.get("range") and body["range"] != text:
        raise bad_request(
            f"Requested writing within range [{text}], but the request body range is [{body['range']}]"
        )
    result = write_range(
        spreadsheet, text, body.get("values") or [], option, body.get("majorDimension") or "ROWS"
    )
    store.replace(spreadsheet)
    _updated_data(ctx, spreadsheet, result)
    return result


def values_batch_update(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.values.batchUpdate`` (all ranges or none)."""
    store = ctx.fake.sheets
    original = store.get(ctx.path("spreadsheetId"))
    body = ctx.json()
    option = _input_option(body.get("valueInputOption"))
    spreadsheet = original.clone()
    responses = []
    for i, item in enumerate(body.get("data") or []):
        if not item.get("range"):
            raise bad_request(f"Invalid data[{i}]: range is required")
        _check_cell_sizes(item.get("values"))
        responses.append(
            write_range(
                spreadsheet,
                item["range"],
                item.get("values") or [],
                option,
                item.get("majorDimension") or "ROWS",
            )
        )
    store.replace(spreadsheet)
    if body.get("includeValuesInResponse"):
        render_option = body.get("responseValueRenderOption") or "FORMATTED_VALUE"
        for response in responses:
            if "updatedRows" in response:
                response["updatedData"] = read_range(spreadsheet, response["updatedRange"], render_option)
    updated = [r for r in responses if "updatedRows" in r]
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if updated:
        out.update(
            totalUpdatedRows=sum(r["updatedRows"] for r in updated),
            totalUpdatedColumns=sum(r["updatedColumns"] for r in updated),
            totalUpdatedCells=sum(r["updatedCells"] for r in updated),
            totalUpdatedSheets=len({r["updatedRange"].rsplit("!", 1)[0] for r in updated}),
            responses=responses,
        )
    return out


def values_append(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.values.append`` (``insertDataOption`` OVERWRITE or INSERT_ROWS)."""
    store = ctx.fake.sheets
    spreadsheet = store.get(ctx.path("spreadsheetId")).clone()
    option = _input_option(ctx.arg("valueInputOption"))
    body = ctx.json()
    values = body.get("values") or []
    _check_cell_sizes(values)
    if body.get("majorDimension") == "COLUMNS":
        values = _transpose(values, None)
    result = append_range(
        spreadsheet,
        ctx.path("range"),
        values,
        option,
        ctx.arg("insertDataOption", "OVERWRITE") or "OVERWRITE",
    )
    store.replace(spreadsheet)
    _updated_data(ctx, spreadsheet, result["updates"])
    return result


def values_clear(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.values.clear``."""
    spreadsheet = ctx.fake.sheets.get(ctx.path("spreadsheetId"))
    cleared = clear_range(spreadsheet, ctx.path("range"))
    return {"spreadsheetId": spreadsheet.spreadsheet_id, "clearedRange": cleared}


def values_batch_clear(ctx: RequestContext) -> dict[str, Any]:
    """``spreadsheets.values.batchClear``."""
    store = ctx.fake.sheets
    spreadsheet = store.get(ctx.path("spreadsheetId")).clone()
    cleared = [clear_range(spreadsheet, r) for r in ctx.json().get("ranges") or []]
    store.replace(spreadsheet)
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if cleared:
        out["clearedRanges"] = cleared
    return out


HANDLERS: dict[str, Handler] = {
    "sheets.spreadsheets.values.get": values_get,
    "sheets.spreadsheets.values.batchGet": values_batch_get,
    "sheets.spreadsheets.values.update": values_update,
    "sheets.spreadsheets.values.batchUpdate": values_batch_update,
    "sheets.spreadsheets.values.append": values_append,
    "sheets.spreadsheets.values.clear": values_clear,
    "sheets.spreadsheets.values.batchClear": values_batch_clear,
}
