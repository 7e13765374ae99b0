"""Form responses laid out as a table: a linked responses sheet, or its CSV export.

Google Forms writes each response to its linked sheet as a row: a ``Timestamp`` column,
optionally ``Email Address`` (and ``Response ID`` in some exports), then one column per question
title. Columns are matched by header, so reordered or extra columns are fine; a coordinator who
renamed a column maps it back with the question's ``column`` in the config. Both the CSV form
source and the Google linked-sheet source read rows through :class:`ResponseTable`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, tzinfo

from microintern.domain.records import FormResponse
from microintern.errors import RowError

TIMESTAMP = "Timestamp"
EMAIL = "Email Address"
RESPONSE_ID = "Response ID"

# Google's linked sheet writes "9/15/2025 14:03:22" in US-locale spreadsheets.
GOOGLE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


def special_columns(header: Sequence[str]) -> dict[str, int]:
    """Position of the special columns, matched without regard to case (first one wins)."""
    wanted = {name.casefold(): name for name in (TIMESTAMP, EMAIL, RESPONSE_ID)}
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        name = wanted.get(title.casefold())
        if name is not None and name not in found:
            found[name] = index
    return found


def stable_id(submitted_at: datetime, email: str | None, answers: Mapping[str, str]) -> str:
    """A response id that survives re-export: same instant, email and answers → same id.

    The instant is taken in UTC and answers are sorted by title, so a changed display format
    or reordered columns do not change the id.
    """
    payload = json.dumps(
        [submitted_at.astimezone(UTC).isoformat(), email or "", sorted(answers.items())],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return "csv-" + hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class ResponseTable:
    """Reads response rows; naive timestamps are in ``zone`` (the spreadsheet's time zone).

    ``renamed`` maps a column title as it appears in the table to the question title the
    program uses, for forms whose titles differ from the config's.
    """

    def __init__(self, zone: tzinfo, *, renamed: Mapping[str, str] | None = None) -> None:
        self.zone = zone
        self.renamed = {k.strip().casefold(): v for k, v in (renamed or {}).items()}

    def responses(self, where: str, rows: Iterable[Sequence[object]],
                  problems: list[RowError] | None = None) -> Iterator[FormResponse]:
        """One response per non-blank data row; the first row is the header.

        A row whose timestamp cannot be read is a :class:`RowError` naming ``where``, the row
        (header = 1) and the field, never the cell's content. With ``problems``, the error is
        appended there and the row skipped, so one bad row never stops the others from being
        read (the row is read on a later run once someone fixes it); without, it is raised. A
        header without a Timestamp column is raised either way: no row could be read.
        """
        iterator = iter(rows)
        header = [_text(cell).strip() for cell in next(iterator, [])]
        header = [self.renamed.get(title.casefold(), title) for title in header]
        columns = special_columns(header)
        if TIMESTAMP not in columns:
            raise RowError(where, "1", TIMESTAMP, "the header has no Timestamp column")
        for row_number, raw in enumerate(iterator, start=2):
            cells = [_text(cell) for cell in raw]
            if not any(cell.strip() for cell in cells):
                continue
            try:
                response = self.response(where, row_number, header, columns, cells)
            except RowError as exc:
                if problems is None:
                    raise
                problems.append(exc)
                continue
            yield response

    def response(self, where: str, row_number: int, header: Sequence[str], columns: Mapping[str, int],
                 cells: Sequence[str]) -> FormResponse:
        """Turn one row into a FormResponse."""

        def cell(name: str) -> str:
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        raw_time = cell(TIMESTAMP)
        submitted_at = self.timestamp(raw_time)
        if submitted_at is None:
            # What the cell holds is not repeated: a pasted cell may hold anything, a name too.
            raise RowError(where, str(row_number), TIMESTAMP,
                           "blank" if not raw_time else
                           "not a timestamp (like 9/15/2025 14:03:22 or 2025-09-15T14:03:22)")
        email = cell(EMAIL) or None
        answers: dict[str, str] = {}
        taken = {columns.get(name) for name in (TIMESTAMP, EMAIL, RESPONSE_ID)}
        for index, title in enumerate(header):
            if index in taken or not title or index >= len(cells):
                continue
            # Google omits unanswered questions from a response; so do we.
            if cells[index].strip() and title not in answers:
                answers[title] = cells[index]
        response_id = cell(RESPONSE_ID) or stable_id(submitted_at, email, answers)
        return FormResponse(response_id=response_id, submitted_at=submitted_at, answers=answers,
                            respondent_email=email)

    def timestamp(self, text: str) -> datetime | None:
        """Parse ISO 8601 or Google's ``M/D/YYYY H:MM:SS``; naive values are in ``zone``."""
        if not text:
            return None
        parsed: datetime | None = None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            for pattern in GOOGLE_FORMATS:
                try:
                    parsed = datetime.strptime(text, pattern)
                    break
                except ValueError:
                    continue
        if parsed is None:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
