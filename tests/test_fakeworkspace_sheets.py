"""The fake's Sheets v4, driven by googleapiclient and gspread 6."""

from __future__ import annotations

import json
import threading
from typing import Any

import gspread
import pytest
from fakeworkspace.testing import Harness
from googleapiclient.errors import HttpError


@pytest.fixture(autouse=True)
def _fresh(ws: Harness) -> None:
    ws.fake.reset()
    ws.fake.sheets.create(
        "S1",
        "Program",
        {
            "Applications": [["Name", "Email", "Grade"], ["Ann", "ann@x.test", 10], ["Bo", "bo@x.test", 11]],
            "My Tab": [["x"]],
            "It's": [["quoted"]],
        },
    )


@pytest.fixture
def values(ws: Harness) -> Any:
    return ws.service("sheets").spreadsheets().values()


@pytest.fixture
def spreadsheets(ws: Harness) -> Any:
    return ws.service("sheets").spreadsheets()


def _message(exc: HttpError) -> str:
    return json.loads(exc.content)["error"]["message"]


# --- values ------------------------------------------------------------------------------------


def test_values_round_trip_keeps_types(ws: Harness, values: Any) -> None:
    row = ["Cy", 12, True, 2.5, "=1+1", "007"]
    values.update(
        spreadsheetId="S1", range="Applications!A4", valueInputOption="RAW", body={"values": [row]}
    ).execute()
    raw = values.get(
        spreadsheetId="S1", range="Applications!A4:F4", valueRenderOption="UNFORMATTED_VALUE"
    ).execute()
    shown = values.get(spreadsheetId="S1", range="Applications!A4:F4").execute()
    assert raw["values"] == [row]
    assert shown["values"] == [["Cy", "12", "TRUE", "2.5", "=1+1", "007"]]
    assert ws.fake.sheets.values("S1", "Applications")[3] == row


def test_raw_formula_text_stays_text(ws: Harness, values: Any) -> None:
    values.update(
        spreadsheetId="S1",
        range="Applications!A5",
        valueInputOption="RAW",
        body={"values": [["=1+1", '=HYPERLINK("http://evil")', "+1", "@x"]]},
    ).execute()
    assert ws.fake.sheets.formulas("S1") == []
    assert ws.fake.sheets.values("S1", "Applications")[4][0] == "=1+1"


def test_user_entered_input_is_parsed_like_sheets(ws: Harness, values: Any) -> None:
    values.update(
        spreadsheetId="S1",
        range="Applications!A5",
        valueInputOption="USER_ENTERED",
        body={"values": [["=1+1", "'=2+2", "42", "true", "1.5e3", "text"]]},
    ).execute()
    assert ws.fake.sheets.values("S1", "Applications")[4] == ["=1+1", "=2+2", 42, True, 1500, "text"]
    assert ws.fake.sheets.formulas("S1") == [("Applications!A5", "=1+1")]
    formula = values.get(spreadsheetId="S1", range="Applications!A5", valueRenderOption="FORMULA").execute()
    assert formula["values"] == [["=1+1"]]


def test_value_input_option_is_required(ws: Harness, values: Any) -> None:
    with pytest.raises(HttpError) as caught:
        values.update(spreadsheetId="S1", range="A1", body={"values": [["x"]]}).execute()
    assert "'valueInputOption' is required" in _message(caught.value)


def test_reads_trim_trailing_empties_like_google(ws: Harness, values: Any) -> None:
    ws.fake.sheets.write("S1", "My Tab!A1", [["", "", ""], ["", "b", "", ""], ["c"], ["", ""]])
    got = values.get(spreadsheetId="S1", range="'My Tab'").execute()
    assert got == {
        "range": "'My Tab'!A1:Z1000",
        "majorDimension": "ROWS",
        "values": [[], ["", "b"], ["c"]],
    }
    empty = values.get(spreadsheetId="S1", range="'My Tab'!D1:E2").execute()
    assert "values" not in empty


@pytest.mark.parametrize(
    ("a1", "expected_range", "expected"),
    [
        ("Applications!A1:B2", "Applications!A1:B2", [["Name", "Email"], ["Ann", "ann@x.test"]]),
        ("'Applications'!B2", "Applications!B2", [["ann@x.test"]]),
        ("Applications!A:A", "Applications!A1:A1000", [["Name"], ["Ann"], ["Bo"]]),
        ("Applications!B2:C", "Applications!B2:C1000", [["ann@x.test", "10"], ["bo@x.test", "11"]]),
        ("Applications!2:2", "Applications!A2:Z2", [["Ann", "ann@x.test", "10"]]),
        ("A3:B3", "Applications!A3:B3", [["Bo", "bo@x.test"]]),
        ("'My Tab'!A1:C10", "'My Tab'!A1:C10", [["x"]]),
        ("'It''s'!A1", "'It''s'!A1", [["quoted"]]),
        ("My Tab", "'My Tab'!A1:Z1000", [["x"]]),
    ],
)
def test_a1_notation(values: Any, a1: str, expected_range: str, expected: list[list[Any]]) -> None:
    got = values.get(spreadsheetId="S1", range=a1).execute()
    assert got["range"] == expected_range
    assert got["values"] == expected


@pytest.mark.parametrize(
    ("a1", "needle"),
    [
        ("Nope!A1", "Unable to parse range"),
        ("Applications!A1:B5000", "exceeds grid limits"),
        ("Applications!A0", "Unable to parse range"),
    ],
)
def test_bad_ranges(values: Any, a1: str, needle: str) -> None:
    with pytest.raises(HttpError) as caught:
        values.get(spreadsheetId="S1", range=a1).execute()
    assert caught.value.resp.status == 400
    assert needle in _message(caught.value)


def test_unknown_spreadsheet_is_404(values: Any) -> None:
    with pytest.raises(HttpError) as caught:
        values.get(spreadsheetId="nope", range="A1").execute()
    assert caught.value.resp.status == 404


def test_writing_past_an_explicit_range_is_refused(ws: Harness, values: Any) -> None:
    with pytest.raises(HttpError) as caught:
        values.update(
            spreadsheetId="S1",
            range="Applications!A1:B1",
            valueInputOption="RAW",
            body={"values": [["a", "b"], ["c", "d"]]},
        ).execute()
    assert "tried writing to row" in _message(caught.value)
    assert ws.fake.sheets.values("S1", "Applications")[0] == ["Name", "Email", "Grade"]


def test_writes_grow_the_grid(ws: Harness, values: Any) -> None:
    result = values.update(
        spreadsheetId="S1", range="Applications!AB1500", valueInputOption="RAW", body={"values": [["far"]]}
    ).execute()
    assert result["updatedRange"] == "Applications!AB1500"
    sheet = ws.fake.sheets.sheet("S1", "Applications")
    assert (sheet.row_count, sheet.column_count) == (1500, 28)


def test_batch_get_with_columns_major_dimension(values: Any) -> None:
    got = values.batchGet(
        spreadsheetId="S1", ranges=["Applications!A1:A3", "Applications!C2:C3"], majorDimension="COLUMNS"
    ).execute()
    assert [r["values"] for r in got["valueRanges"]] == [[["Name", "Ann", "Bo"]], [["10", "11"]]]


def test_batch_get_unformatted(values: Any) -> None:
    got = values.batchGet(
        spreadsheetId="S1", ranges=["Applications!C2:C3"], valueRenderOption="UNFORMATTED_VALUE"
    ).execute()
    assert got["valueRanges"][0]["values"] == [[10], [11]]


def test_values_batch_update_is_atomic(ws: Harness, values: Any) -> None:
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": "Applications!D1", "values": [["Status"]]},
            {"range": "Nope!A1", "values": [["x"]]},
        ],
    }
    with pytest.raises(HttpError):
        values.batchUpdate(spreadsheetId="S1", body=body).execute()
    assert ws.fake.sheets.values("S1", "Applications")[0] == ["Name", "Email", "Grade"]
    body["data"] = [body["data"][0], {"range": "'My Tab'!B1", "values": [["y"]]}]
    result = values.batchUpdate(spreadsheetId="S1", body=body).execute()
    assert result["totalUpdatedCells"] == 2
    assert result["totalUpdatedSheets"] == 2


def test_append_after_the_table(ws: Harness, values: Any) -> None:
    result = values.append(
        spreadsheetId="S1",
        range="Applications!A1",
        valueInputOption="RAW",
        insertDataOption="INSERT_ROWS",
        body={"values": [["Cy", "cy@x.test", 9]]},
    ).execute()
    assert result["tableRange"] == "Applications!A1:C3"
    assert result["updates"]["updatedRange"] == "Applications!A4:C4"
    assert ws.fake.sheets.values("S1", "Applications")[3] == ["Cy", "cy@x.test", 9]


def test_append_insert_rows_shifts_what_is_below(ws: Harness, values: Any) -> None:
    ws.fake.sheets.write("S1", "Applications!E5", [["note below"]])
    values.append(
        spreadsheetId="S1",
        range="Applications!A:C",
        valueInputOption="RAW",
        insertDataOption="INSERT_ROWS",
        body={"values": [["Cy"], ["Di"]]},
    ).execute()
    rows = ws.fake.sheets.values("S1", "Applications")
    assert [r[0] for r in rows[3:5]] == ["Cy", "Di"]
    assert rows[6] == ["", "", "", "", "note below"]


def test_clear_and_batch_clear(ws: Harness, values: Any) -> None:
    cleared = values.clear(spreadsheetId="S1", range="Applications!B2:C3", body={}).execute()
    assert cleared["clearedRange"] == "Applications!B2:C3"
    values.batchClear(spreadsheetId="S1", body={"ranges": ["Applications!A3", "'My Tab'"]}).execute()
    assert ws.fake.sheets.values("S1", "Applications") == [["Name", "Email", "Grade"], ["Ann"]]
    assert ws.fake.sheets.values("S1", "My Tab") == []


# --- spreadsheets ------------------------------------------------------------------------------


def test_get_returns_sheet_properties_without_grid_data(spreadsheets: Any) -> None:
    got = spreadsheets.get(spreadsheetId="S1", includeGridData=False).execute()
    assert got["properties"]["title"] == "Program"
    first = got["sheets"][0]["properties"]
    assert first == {
        "sheetId": 0,
        "title": "Applications",
        "index": 0,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 1000, "columnCount": 26},
    }
    assert [s["properties"]["index"] for s in got["sheets"]] == [0, 1, 2]
    assert all("data" not in s for s in got["sheets"])


def test_get_with_grid_data_for_ranges(spreadsheets: Any) -> None:
    got = spreadsheets.get(spreadsheetId="S1", includeGridData=True, ranges=["Applications!B2:C2"]).execute()
    assert len(got["sheets"]) == 1
    data = got["sheets"][0]["data"][0]
    assert (data["startRow"], data["startColumn"]) == (1, 1)
    cells = data["rowData"][0]["values"]
    assert cells[0]["userEnteredValue"] == {"stringValue": "ann@x.test"}
    assert cells[1]["effectiveValue"] == {"numberValue": 10}


def test_create_spreadsheet(ws: Harness, spreadsheets: Any) -> None:
    created = spreadsheets.create(
        body={
            "properties": {"title": "Cohort 3"},
            "sheets": [
                {"properties": {"title": "Roster", "gridProperties": {"frozenRowCount": 1}}},
                {"properties": {"title": "Sessions"}},
            ],
        }
    ).execute()
    sid = created["spreadsheetId"]
    assert [s["properties"]["title"] for s in created["sheets"]] == ["Roster", "Sessions"]
    assert ws.fake.sheets.sheet(sid, "Roster").frozen_rows == 1
    assert ws.fake.drive.file(sid)["name"] == "Cohort 3"


def _batch(spreadsheets: Any, *requests: dict[str, Any]) -> dict[str, Any]:
    return spreadsheets.batchUpdate(spreadsheetId="S1", body={"requests": list(requests)}).execute()


def test_structural_batch_update(ws: Harness, spreadsheets: Any) -> None:
    grid = {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 100, "startColumnIndex": 2, "endColumnIndex": 3}
    replies = _batch(
        spreadsheets,
        {"addSheet": {"properties": {"title": "Log", "gridProperties": {"rowCount": 5, "columnCount": 3}}}},
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "title": "ignored", "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        },
        {
            "setDataValidation": {
                "range": grid,
                "rule": {
                    "condition": {
                        "type": "NUMBER_BETWEEN",
                        "values": [{"userEnteredValue": "6"}, {"userEnteredValue": "12"}],
                    },
                    "strict": True,
                },
            }
        },
        {
            "addConditionalFormatRule": {
                "rule": {"ranges": [grid], "booleanRule": {"condition": {"type": "BLANK"}, "format": {}}},
                "index": 0,
            }
        },
        {
            "addProtectedRange": {
                "protectedRange": {"range": {"sheetId": 0, "endRowIndex": 1}, "warningOnly": True}
            }
        },
        {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 10}},
        {
            "repeatCell": {
                "range": {"sheetId": 0, "endRowIndex": 1},
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                "fields": "userEnteredFormat.textFormat.bold",
            }
        },
    )["replies"]
    assert replies[0]["addSheet"]["properties"]["title"] == "Log"
    assert "protectedRangeId" in replies[4]["addProtectedRange"]["protectedRange"]
    sheet = ws.fake.sheets.sheet("S1", "Applications")
    assert (sheet.title, sheet.frozen_rows, sheet.row_count) == ("Applications", 1, 1010)
    assert sheet.data_validations[0]["rule"]["strict"] is True
    assert sheet.conditional_formats[0]["booleanRule"]["condition"]["type"] == "BLANK"
    assert sheet.protected_ranges[0]["warningOnly"] is True
    assert list(sheet.formatting[0]) == ["repeatCell"]
    assert ws.fake.sheets.sheet("S1", "Log").row_count == 5


def test_insert_delete_dimension_and_sort(ws: Harness, spreadsheets: Any) -> None:
    _batch(
        spreadsheets,
        {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}},
        {
            "deleteDimension": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}
            }
        },
    )
    assert ws.fake.sheets.values("S1", "Applications") == [["Name", "Grade"], [], ["Ann", 10], ["Bo", 11]]
    _batch(
        spreadsheets,
        {
            "sortRange": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": 4,
                    "startColumnIndex": 0,
                    "endColumnIndex": 2,
                },
                "sortSpecs": [{"dimensionIndex": 1, "sortOrder": "DESCENDING"}],
            }
        },
    )
    assert ws.fake.sheets.values("S1", "Applications") == [["Name", "Grade"], ["Bo", 11], ["Ann", 10]]


def test_batch_update_is_atomic_and_names_unsupported_requests(ws: Harness, spreadsheets: Any) -> None:
    with pytest.raises(HttpError) as caught:
        _batch(
            spreadsheets,
            {"addSheet": {"properties": {"title": "New"}}},
            {"addFilterView": {"filter": {"title": "Mine"}}},
        )
    assert caught.value.resp.status == 400
    assert "requests[1].addFilterView" in _message(caught.value)
    assert "does not implement" in _message(caught.value)
    assert ws.fake.sheets.get("S1").sheet_by_title("New") is None


def test_charts_are_added_updated_and_checked(ws: Harness, spreadsheets: Any) -> None:
    def source(col: int) -> dict[str, Any]:
        return {"sourceRange": {"sources": [{"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3,
                                             "startColumnIndex": col, "endColumnIndex": col + 1}]}}

    spec = {"title": "Grades", "basicChart": {"chartType": "COLUMN", "domains": [{"domain": source(0)}],
                                              "series": [{"series": source(1)}]}}
    position = {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 0, "columnIndex": 4}}}
    reply = _batch(spreadsheets, {"addChart": {"chart": {"spec": spec, "position": position}}})
    chart_id = reply["replies"][0]["addChart"]["chart"]["chartId"]
    _batch(spreadsheets, {"updateChartSpec": {"chartId": chart_id, "spec": {**spec, "title": "Grade"}}})
    got = spreadsheets.get(spreadsheetId="S1", fields="sheets(properties(title),charts(chartId,spec(title)))"
                           ).execute()
    assert got["sheets"][0]["charts"] == [{"chartId": chart_id, "spec": {"title": "Grade"}}]
    bad = {**spec, "basicChart": {**spec["basicChart"], "series": [{"series": {"sourceRange": {
        "sources": [{"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3}] * 2}}}]}}
    for request in ({"updateChartSpec": {"chartId": 999, "spec": spec}},
                    {"updateChartSpec": {"chartId": chart_id, "spec": bad}},
                    {"addChart": {"chart": {"spec": {"title": "pie", "pieChart": {}},
                                            "position": position}}}):
        with pytest.raises(HttpError) as caught:
            _batch(spreadsheets, request)
        assert caught.value.resp.status == 400
    assert len(ws.fake.sheets.get("S1").sheets[0].charts) == 1


def test_duplicate_sheet_title_is_refused(spreadsheets: Any) -> None:
    with pytest.raises(HttpError) as caught:
        _batch(spreadsheets, {"addSheet": {"properties": {"title": "applications"}}})
    assert "already exists" in _message(caught.value)


def test_update_sheet_properties_needs_fields(spreadsheets: Any) -> None:
    with pytest.raises(HttpError) as caught:
        _batch(spreadsheets, {"updateSheetProperties": {"properties": {"sheetId": 0, "title": "X"}}})
    assert "'fields'" in _message(caught.value)


def test_developer_metadata(ws: Harness, spreadsheets: Any) -> None:
    reply = _batch(
        spreadsheets,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "microintern.schema",
                    "metadataValue": "3",
                    "location": {"spreadsheet": True},
                    "visibility": "DOCUMENT",
                }
            }
        },
    )["replies"][0]
    assert reply["createDeveloperMetadata"]["developerMetadata"]["metadataId"]
    got = spreadsheets.get(spreadsheetId="S1").execute()
    assert got["developerMetadata"][0]["metadataValue"] == "3"


def test_delete_developer_metadata_by_lookup(spreadsheets: Any) -> None:
    def create(key: str) -> int:
        reply = _batch(spreadsheets, {"createDeveloperMetadata": {"developerMetadata": {
            "metadataKey": key, "metadataValue": "x", "location": {"spreadsheet": True},
            "visibility": "DOCUMENT"}}})["replies"][0]
        return int(reply["createDeveloperMetadata"]["developerMetadata"]["metadataId"])

    first, _ = create("microintern.a"), create("microintern.b")
    reply = _batch(spreadsheets, {"deleteDeveloperMetadata": {"dataFilter": {
        "developerMetadataLookup": {"metadataId": first}}}})["replies"][0]
    assert [m["metadataId"] for m in reply["deleteDeveloperMetadata"]["deletedDeveloperMetadata"]] == [first]
    got = spreadsheets.get(spreadsheetId="S1").execute()
    assert [m["metadataKey"] for m in got["developerMetadata"]] == ["microintern.b"]
    _batch(spreadsheets, {"deleteDeveloperMetadata": {"dataFilter": {
        "developerMetadataLookup": {"metadataKey": "microintern.b"}}}})
    assert "developerMetadata" not in spreadsheets.get(spreadsheetId="S1").execute()


# --- gspread -----------------------------------------------------------------------------------


def test_gspread_workflow(ws: Harness) -> None:
    client = ws.gspread()
    book = client.open_by_key("S1")
    sheet = book.worksheet("Applications")
    assert sheet.get_all_records() == [
        {"Name": "Ann", "Email": "ann@x.test", "Grade": 10},
        {"Name": "Bo", "Email": "bo@x.test", "Grade": 11},
    ]
    sheet.append_rows([["Cy", "cy@x.test", 9]], value_input_option="RAW")
    sheet.update([["=SUM(1)"]], "D1", value_input_option="RAW")
    sheet.freeze(rows=1)
    log = book.add_worksheet("Run log", rows=20, cols=4)
    log.update([["started", 1]], "A1")
    sheet.batch_clear(["A3:C3"])
    assert ws.fake.sheets.values("S1", "Applications") == [
        ["Name", "Email", "Grade", "=SUM(1)"],
        ["Ann", "ann@x.test", 10],
        [],
        ["Cy", "cy@x.test", 9],
    ]
    assert ws.fake.sheets.sheet("S1", "Applications").frozen_rows == 1
    assert ws.fake.sheets.values("S1", "Run log") == [["started", 1]]
    assert ws.fake.sheets.formulas("S1") == []
    assert book.worksheet("Run log").row_count == 20
    assert not ws.fake.rejections
    assert ws.fake.count("sheets.") == len(ws.fake.calls_to("sheets."))


def test_gspread_missing_spreadsheet(ws: Harness) -> None:
    with pytest.raises(gspread.SpreadsheetNotFound):
        ws.gspread().open_by_key("missing")


def test_gspread_clear_sends_no_body_and_is_accepted(ws: Harness) -> None:
    ws.gspread().open_by_key("S1").worksheet("My Tab").clear()
    assert ws.fake.sheets.values("S1", "My Tab") == []
    assert not ws.fake.rejections


def test_gspread_create_goes_through_drive(ws: Harness) -> None:
    book = ws.gspread().create("Cohort 4")
    assert ws.fake.drive.file(book.id)["mimeType"] == "application/vnd.google-apps.spreadsheet"
    assert book.sheet1.title == "Sheet1"
    assert not ws.fake.rejections


def test_include_values_in_response(values: Any) -> None:
    result = values.update(
        spreadsheetId="S1",
        range="Applications!A2:B2",
        valueInputOption="USER_ENTERED",
        includeValuesInResponse=True,
        responseValueRenderOption="UNFORMATTED_VALUE",
        body={"values": [["Zed", "12"]]},
    ).execute()
    assert result["updatedData"]["values"] == [["Zed", 12]]


def test_concurrent_appends_are_serialised(ws: Harness) -> None:
    url = ws.fake.url + "/v4/spreadsheets/S1/values/My%20Tab!A1:append"

    def worker(n: int) -> None:
        http = ws.http()
        for i in range(10):
            answer = http.post(url, params={"valueInputOption": "RAW"}, json={"values": [[f"{n}-{i}"]]})
            assert answer.status_code == 200

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = ws.fake.sheets.values("S1", "My Tab")
    assert len(rows) == 81
    assert len({r[0] for r in rows}) == 81
    assert not ws.fake.errors
