"""CsvFormSource: Google Forms linked-sheet exports read by header, time-zone aware."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from microintern.adapters.local.forms import CsvFormSource
from microintern.errors import BackendError, RowError
from microintern.ports import FormSource

CHICAGO = ZoneInfo("America/Chicago")


def write_csv(folder: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = folder / f"{name}.csv"
    data = text.encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_is_a_form_source(tmp_path: Path) -> None:
    source: FormSource = CsvFormSource(tmp_path)
    assert source.fetch_responses("nothing-yet") == []


def test_google_export_with_bom_and_local_time_zone(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        "application",
        "Timestamp,Email Address,Your name,Why this internship?\r\n"
        '9/15/2025 14:03:22,ana@students.example.org,Ana Pérez,"Because, well:\nI love it"\r\n'
        "9/16/2025 8:05:00,bo@students.example.org,Bo 王,=IMPORTXML(\"x\")\r\n",
        bom=True,
    )
    source = CsvFormSource(tmp_path, time_zone="America/Chicago")
    responses = source.fetch_responses("application")
    assert [r.respondent_email for r in responses] == [
        "ana@students.example.org",
        "bo@students.example.org",
    ]
    first = responses[0]
    assert first.submitted_at == datetime(2025, 9, 15, 14, 3, 22, tzinfo=CHICAGO)
    assert first.submitted_at.utcoffset() is not None
    assert dict(first.answers) == {
        "Your name": "Ana Pérez",
        "Why this internship?": "Because, well:\nI love it",
    }
    assert responses[1].answers["Your name"] == "Bo 王"
    assert responses[1].answers["Why this internship?"] == '=IMPORTXML("x")'
    assert "Timestamp" not in first.answers and "Email Address" not in first.answers


def test_iso_timestamps_with_and_without_offset(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        "f",
        "Timestamp,Q\n2025-09-15T14:03:22Z,a\n2025-09-15 09:30:00,b\n2025-09-15T10:00:00+02:00,c\n",
    )
    responses = CsvFormSource(tmp_path, time_zone="America/Chicago").fetch_responses("f")
    moments = {r.answers["Q"]: r.submitted_at for r in responses}
    assert moments["a"] == datetime(2025, 9, 15, 14, 3, 22, tzinfo=UTC)
    assert moments["b"] == datetime(2025, 9, 15, 9, 30, tzinfo=CHICAGO)
    assert moments["c"] == datetime(2025, 9, 15, 8, 0, tzinfo=UTC)
    # oldest first
    assert [r.answers["Q"] for r in responses] == ["c", "a", "b"]


def test_reordered_and_extra_columns_and_blank_rows(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        "f",
        "Q2,Coordinator note,Timestamp,,Q1,Email Address\n"
        ",,,,,\n"
        "two,seen,2025-09-15T10:00:00Z,junk,one,ana@students.example.org\n"
        "   ,  ,  ,,,\n"
        "\n"
        "only-two,,2025-09-15T11:00:00Z\n",
    )
    responses = CsvFormSource(tmp_path).fetch_responses("f")
    assert len(responses) == 2
    assert dict(responses[0].answers) == {"Q2": "two", "Coordinator note": "seen", "Q1": "one"}
    assert responses[0].respondent_email == "ana@students.example.org"
    assert dict(responses[1].answers) == {"Q2": "only-two"}
    assert responses[1].respondent_email is None


def test_response_id_column_is_used_when_present(tmp_path: Path) -> None:
    write_csv(tmp_path, "f", "Response ID,Timestamp,Q\nACYDBNj1,2025-09-15T10:00:00Z,a\n")
    assert CsvFormSource(tmp_path).fetch_responses("f")[0].response_id == "ACYDBNj1"


def test_hashed_response_id_is_stable_across_reorder_and_format(tmp_path: Path) -> None:
    write_csv(tmp_path, "a", "Timestamp,Email Address,Q1,Q2\n9/15/2025 14:03:22,x@e.org,1,2\n")
    write_csv(
        tmp_path,
        "b",
        "Q2,Extra,Q1,Email Address,Timestamp\n2,,1,x@e.org,2025-09-15T19:03:22+00:00\n",
    )
    source = CsvFormSource(tmp_path, time_zone="America/Chicago")
    (a,) = source.fetch_responses("a")
    (b,) = source.fetch_responses("b")
    assert a.response_id == b.response_id
    assert a.response_id.startswith("csv-")
    write_csv(tmp_path, "c", "Timestamp,Email Address,Q1,Q2\n9/15/2025 14:03:22,x@e.org,1,3\n")
    (c,) = source.fetch_responses("c")
    assert c.response_id != a.response_id


def test_since_narrows_nothing_so_a_fixed_row_still_comes_in(tmp_path: Path) -> None:
    # Changed on purpose: a row skipped for a bad timestamp and fixed later keeps its old time,
    # and a since filter would leave it out for good. The caller drops known ids.
    write_csv(
        tmp_path,
        "f",
        "Timestamp,Q\n2025-09-15T10:00:00Z,a\n2025-09-15T11:00:00Z,b\n2025-09-15T12:00:00Z,c\n",
    )
    source = CsvFormSource(tmp_path)
    since = datetime(2025, 9, 15, 11, 0, tzinfo=UTC)
    assert [r.answers["Q"] for r in source.fetch_responses("f", since)] == ["a", "b", "c"]
    naive = datetime(2025, 9, 15, 12, 0)
    assert [r.answers["Q"] for r in source.fetch_responses("f", naive)] == ["a", "b", "c"]


@pytest.mark.parametrize("bad", ["yesterday", "13/45/2025 10:00:00", "2025-02-30T10:00:00"])
def test_a_bad_timestamp_skips_its_row_only_and_names_file_row_and_field(tmp_path: Path, bad: str) -> None:
    # One bad row used to stop the whole intake; now it is left out and the others come in.
    write_csv(tmp_path, "f", f"Timestamp,Q\n2025-09-15T10:00:00Z,a\n\n{bad},b\n2025-09-16T10:00:00Z,c\n")
    source = CsvFormSource(tmp_path)
    assert [r.answers["Q"] for r in source.fetch_responses("f")] == ["a", "c"]
    (error,) = source.problems
    assert (error.where, error.row, error.field) == ("f.csv", "4", "Timestamp")
    assert "f.csv" in str(error) and "row 4" in str(error) and "Timestamp" in str(error)
    assert bad not in str(error)                         # the cell's content is never repeated
    write_csv(tmp_path, "f", "Timestamp,Q\n2025-09-15T10:00:00Z,a\n")
    source.fetch_responses("f")
    assert source.problems == []                         # problems are the last fetch's only


def test_empty_timestamp_is_a_row_problem(tmp_path: Path) -> None:
    write_csv(tmp_path, "f", "Timestamp,Q\n,answer without time\n")
    source = CsvFormSource(tmp_path)
    assert source.fetch_responses("f") == []
    (error,) = source.problems
    assert error.row == "2" and "blank" in str(error) and "answer without time" not in str(error)


def test_missing_timestamp_column_is_a_row_error(tmp_path: Path) -> None:
    write_csv(tmp_path, "f", "When,Q\n2025-09-15T10:00:00Z,a\n")
    with pytest.raises(RowError, match="row 1"):
        CsvFormSource(tmp_path).fetch_responses("f")


def test_empty_file_reads_as_no_responses(tmp_path: Path) -> None:
    write_csv(tmp_path, "f", "")
    with pytest.raises(RowError):  # no header, so no Timestamp column
        CsvFormSource(tmp_path).fetch_responses("f")
    write_csv(tmp_path, "g", "Timestamp,Q\n")
    assert CsvFormSource(tmp_path).fetch_responses("g") == []


def test_not_utf8_is_a_backend_error(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_bytes("Timestamp,Q\n2025-09-15T10:00:00Z,café\n".encode("cp1252"))
    with pytest.raises(BackendError, match="UTF-8"):
        CsvFormSource(tmp_path).fetch_responses("f")


def test_form_id_cannot_escape_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="form id"):
        CsvFormSource(tmp_path).fetch_responses("../secrets")


def test_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="time_zone"):
        CsvFormSource(tmp_path, time_zone="Mars/Olympus")
