"""Unit tests of the fake's building blocks (no server)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakeworkspace import a1, paging
from fakeworkspace.discovery import default_router
from fakeworkspace.errors import ApiError
from fakeworkspace.fieldmask import apply_mask, parse_fields, select
from fakeworkspace.sheets_model import Cell, input_cell, render
from fakeworkspace.timefmt import parse_rfc3339, rfc3339
from fakeworkspace.validation import validate_body, validate_params


@pytest.mark.parametrize(
    ("text", "sheet", "bounds"),
    [
        ("'My Tab'!A1:C10", "My Tab", a1.Bounds(0, 10, 0, 3)),
        ("Tab!A:A", "Tab", a1.Bounds(None, None, 0, 1)),
        ("Tab!A2:Z", "Tab", a1.Bounds(1, None, 0, 26)),
        ("Tab!3:5", "Tab", a1.Bounds(2, 5, None, None)),
        ("Tab!C10:A1", "Tab", a1.Bounds(0, 10, 0, 3)),
        ("'It''s'!B2", "It's", a1.Bounds(1, 2, 1, 2)),
        ("Tab", "Tab", None),
        ("AA1:AB2", "AA1:AB2", a1.Bounds(0, 2, 26, 28)),
    ],
)
def test_a1_parse(text: str, sheet: str, bounds: a1.Bounds | None) -> None:
    parsed = a1.parse(text)
    assert (parsed.sheet, parsed.cells) == (sheet, bounds)


@pytest.mark.parametrize("text", ["", "'unterminated!A1", "Tab!A0", "Tab!1A"])
def test_a1_rejects(text: str) -> None:
    with pytest.raises(a1.A1Error):
        a1.parse(text)


def test_a1_format_and_columns() -> None:
    assert a1.column_letters(0) == "A"
    assert a1.column_letters(27) == "AB"
    assert a1.column_index("AB") == 27
    assert a1.format_range("My Tab", 0, 10, 0, 3) == "'My Tab'!A1:C10"
    assert a1.format_range("Sheet1", 4, 5, 1, 2) == "Sheet1!B5"
    assert a1.quote_title("A1") == "'A1'"


def test_cell_input_and_render() -> None:
    assert input_cell("=1+1", "RAW") == Cell("=1+1")
    assert input_cell("=1+1", "USER_ENTERED") == Cell("=1+1", formula="=1+1")
    assert input_cell("'=1+1", "USER_ENTERED") == Cell("=1+1")
    assert input_cell("3.0", "USER_ENTERED") == Cell(3)
    assert input_cell("3.0", "RAW") == Cell("3.0")
    assert input_cell(None, "RAW") is None
    assert render(Cell(2.5), "FORMATTED_VALUE") == "2.5"
    assert render(Cell(True), "FORMATTED_VALUE") == "TRUE"
    assert render(Cell(True), "UNFORMATTED_VALUE") is True
    assert render(None, "UNFORMATTED_VALUE") == ""


def test_fields_parse_select_and_masks() -> None:
    tree = parse_fields("sheets(properties(title,sheetId)),spreadsheetId")
    assert tree == parse_fields("sheets.properties.title,sheets/properties/sheetId,spreadsheetId")
    value = {"spreadsheetId": "x", "sheets": [{"properties": {"title": "A", "index": 0}}], "other": 1}
    assert select(tree, value) == {"spreadsheetId": "x", "sheets": [{"properties": {"title": "A"}}]}
    target = {"title": "A", "gridProperties": {"rowCount": 5, "frozenRowCount": 1}}
    apply_mask(
        target, {"title": "B", "gridProperties": {"rowCount": 9}}, "gridProperties/frozenRowCount,title"
    )
    assert target == {"title": "B", "gridProperties": {"rowCount": 5}}
    with pytest.raises(ApiError):
        parse_fields("a(b")


def test_rfc3339() -> None:
    moment = parse_rfc3339("2014-10-02T15:01:23.045123456Z")
    assert moment == datetime(2014, 10, 2, 15, 1, 23, 45123, tzinfo=UTC)
    assert rfc3339(moment) == "2014-10-02T15:01:23.045Z"
    with pytest.raises(ValueError):
        parse_rfc3339("2014-10-02 15:01")


def test_page_tokens_are_bound() -> None:
    first = paging.page(list(range(5)), None, 2, "items", "f")
    assert first["items"] == [0, 1]
    second = paging.page(list(range(5)), first["nextPageToken"], 2, "items", "f")
    assert second["items"] == [2, 3]
    with pytest.raises(ApiError):
        paging.page(list(range(5)), first["nextPageToken"], 2, "items", "g")
    with pytest.raises(ApiError):
        paging.decode("garbage!!")


@pytest.mark.parametrize(
    ("method", "path", "method_id", "params"),
    [
        (
            "GET",
            "/v4/spreadsheets/abc/values/Tab%21A1%3AB2",
            "sheets.spreadsheets.values.get",
            {"range": "Tab!A1:B2"},
        ),
        ("GET", "/v4/spreadsheets/abc/values:batchGet", "sheets.spreadsheets.values.batchGet", {}),
        (
            "POST",
            "/v4/spreadsheets/abc/values/Tab!A1:append",
            "sheets.spreadsheets.values.append",
            {"range": "Tab!A1"},
        ),
        ("POST", "/gmail/v1/users/me/drafts/send", "gmail.users.drafts.send", {"userId": "me"}),
        ("POST", "/upload/gmail/v1/users/me/messages/send", "gmail.users.messages.send", {"userId": "me"}),
        ("GET", "/v1/forms/F/responses", "forms.forms.responses.list", {"formId": "F"}),
        ("GET", "/v2/spaces/abc", "meet.spaces.get", {"name": "spaces/abc"}),
        (
            "GET",
            "/v2/conferenceRecords/r/participants",
            "meet.conferenceRecords.participants.list",
            {"parent": "conferenceRecords/r"},
        ),
        ("DELETE", "/drive/v3/files/trash", "drive.files.emptyTrash", {}),
        ("DELETE", "/drive/v3/files/abc", "drive.files.delete", {"fileId": "abc"}),
        (
            "POST",
            "/calendar/v3/calendars/primary/events",
            "calendar.events.insert",
            {"calendarId": "primary"},
        ),
    ],
)
def test_router(method: str, path: str, method_id: str, params: dict[str, str]) -> None:
    match = default_router().match(method, path)
    assert match.spec.id == method_id
    for name, value in params.items():
        assert match.path_params[name] == value


def test_router_unknown_is_404() -> None:
    with pytest.raises(ApiError) as caught:
        default_router().match("GET", "/v9/whatever")
    assert caught.value.code == 404


def test_validation_messages_name_the_path() -> None:
    spec = default_router().methods["sheets.spreadsheets.batchUpdate"]
    body = {
        "requests": [
            {
                "updateSheetProperties": {
                    "properties": {"gridProperties": {"frozenRowCount": "x"}},
                    "fields": 3,
                }
            }
        ]
    }
    with pytest.raises(ApiError) as caught:
        validate_body(spec, body, has_body=True, is_upload=False)
    message = caught.value.message
    assert "requests[0].updateSheetProperties.properties.gridProperties.frozenRowCount" in message
    assert "requests[0].updateSheetProperties.fields" in message


def test_validation_of_formats_and_int64() -> None:
    spec = default_router().methods["calendar.events.insert"]
    ok = {"start": {"dateTime": "2024-01-01T10:00:00Z"}, "end": {"date": "2024-01-02"}, "sequence": 1}
    validate_body(spec, ok, has_body=True, is_upload=False)
    with pytest.raises(ApiError, match=r"start\.dateTime"):
        validate_body(spec, {**ok, "start": {"dateTime": "10am"}}, has_body=True, is_upload=False)
    with pytest.raises(ApiError, match="Required field 'end'"):
        validate_body(spec, {"start": ok["start"]}, has_body=True, is_upload=False)
    drafts = default_router().methods["gmail.users.drafts.create"]
    with pytest.raises(ApiError, match="Base64"):
        validate_body(drafts, {"message": {"raw": "@@@"}}, has_body=True, is_upload=False)
    message = default_router().methods["gmail.users.messages.send"]
    validate_body(message, {"raw": "YQ", "historyId": 12}, has_body=True, is_upload=False)


def test_params_validation() -> None:
    spec = default_router().methods["sheets.spreadsheets.values.get"]
    path = {"spreadsheetId": "s", "range": "A1"}
    validate_params(spec, {"valueRenderOption": ["FORMULA"], "fields": ["range"]}, path)
    with pytest.raises(ApiError, match="valueRenderOption"):
        validate_params(spec, {"valueRenderOption": ["formula"]}, path)
    meet = default_router().methods["meet.spaces.get"]
    with pytest.raises(ApiError, match="does not match"):
        validate_params(meet, {}, {"name": "rooms/x"})
