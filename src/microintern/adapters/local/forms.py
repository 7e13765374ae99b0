"""Form responses from CSV files (the :class:`~microintern.ports.FormSource` port).

Reads ``<folder>/<form_id>.csv`` as Google Sheets exports a form's linked response sheet: a
``Timestamp`` column, optionally ``Email Address`` and ``Response ID``, then one column per
question title. Columns are matched by header, so reordered or extra columns are fine.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from microintern.adapters.local._files import safe_component
from microintern.domain.records import FormResponse
from microintern.errors import BackendError, RowError

TIMESTAMP = "Timestamp"
EMAIL = "Email Address"
RESPONSE_ID = "Response ID"

# Google's linked sheet writes "9/15/2025 14:03:22" in US-locale spreadsheets.
_GOOGLE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


class CsvFormSource:
    """A :class:`~microintern.ports.FormSource` over CSV exports in ``folder``.

    Naive timestamps (Google's export carries no offset) are read in ``time_zone``, which
    should be the spreadsheet's time zone.
    """

    def __init__(self, folder: Path, *, time_zone: str = "UTC") -> None:
        self.folder = Path(folder)
        try:
            self.zone: tzinfo = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"time_zone: unknown IANA time zone {time_zone!r}") from exc

    def fetch_responses(self, form_id: str, since: datetime | None = None) -> list[FormResponse]:
        """Return responses submitted at or after ``since`` (all when None), oldest first.

        A missing file means nobody answered yet and reads as no responses. A row whose
        timestamp cannot be read raises :class:`~microintern.errors.RowError` naming the file,
        the row (as numbered in the sheet, header = 1) and the field.
        """
        path = self.folder / f"{safe_component(form_id, 'form id')}.csv"
        if not path.is_file():
            return []
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=self.zone)
        responses = [
            response
            for response in self._parse(path)
            if since is None or response.submitted_at >= since
        ]
        # sorted() is stable: equal timestamps keep the sheet's order.
        return sorted(responses, key=lambda response: response.submitted_at)

    def _parse(self, path: Path) -> Iterator[FormResponse]:
        """Yield one response per non-blank data row of ``path``."""
        where = path.name
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = csv.reader(handle)
                last_read = 0  # the row a csv.Error is raised on is the one after this
                try:
                    header = [cell.strip() for cell in next(rows, [])]
                    last_read = 1
                    columns = _columns(header)
                    if TIMESTAMP not in columns:
                        raise RowError(where, "1", TIMESTAMP, "the header has no Timestamp column")
                    for row_number, cells in enumerate(rows, start=2):
                        last_read = row_number
                        if not any(cell.strip() for cell in cells):
                            continue
                        yield self._response(where, row_number, header, columns, cells)
                except csv.Error as exc:
                    raise RowError(where, str(last_read + 1), "(csv)", str(exc)) from exc
        except UnicodeDecodeError as exc:
            raise BackendError(
                f"{path} is not UTF-8 text ({exc.reason}); export it again as CSV UTF-8"
            ) from exc

    def _response(
        self,
        where: str,
        row_number: int,
        header: list[str],
        columns: dict[str, int],
        cells: list[str],
    ) -> FormResponse:
        """Turn one CSV row into a FormResponse."""

        def cell(name: str) -> str:
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        raw_time = cell(TIMESTAMP)
        submitted_at = self._timestamp(raw_time)
        if submitted_at is None:
            shown = raw_time if len(raw_time) <= 40 else raw_time[:40] + "…"
            raise RowError(where, str(row_number), TIMESTAMP, f"not a timestamp: {shown!r}")
        email = cell(EMAIL) or None
        answers: dict[str, str] = {}
        taken = {columns.get(name) for name in (TIMESTAMP, EMAIL, RESPONSE_ID)}
        for index, title in enumerate(header):
            if index in taken or not title or index >= len(cells):
                continue
            # Google omits unanswered questions from a response; so do we.
            if cells[index].strip() and title not in answers:
                answers[title] = cells[index]
        response_id = cell(RESPONSE_ID) or _stable_id(submitted_at, email, answers)
        return FormResponse(
            response_id=response_id,
            submitted_at=submitted_at,
            answers=answers,
            respondent_email=email,
        )

    def _timestamp(self, text: str) -> datetime | None:
        """Parse ISO 8601 or Google's ``M/D/YYYY H:MM:SS``; naive values are in ``self.zone``."""
        if not text:
            return None
        parsed: datetime | None = None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            for pattern in _GOOGLE_FORMATS:
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


def _columns(header: list[str]) -> dict[str, int]:
    """Position of the special columns, matched without regard to case (first one wins)."""
    wanted = {name.casefold(): name for name in (TIMESTAMP, EMAIL, RESPONSE_ID)}
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        name = wanted.get(title.casefold())
        if name is not None and name not in found:
            found[name] = index
    return found


def _stable_id(submitted_at: datetime, email: str | None, answers: dict[str, str]) -> str:
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
