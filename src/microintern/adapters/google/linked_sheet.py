"""Applications from a form's linked responses sheet, read with gspread (Sheets API v4).

For districts whose application form was made by hand: Google Forms writes each response to a
tab of a spreadsheet ("Form Responses 1"), and microintern reads that tab instead of the Forms
API. One ``values.batchGet`` per run; values are read as displayed, so timestamps arrive in
the sheet's own format and are read in the program's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import gspread
from gspread.exceptions import APIError

from microintern.adapters.google.sheets import quote
from microintern.adapters.google.transport import Retry, to_backend_error
from microintern.adapters.response_table import ResponseTable
from microintern.domain.forms import FormSpec, FormState
from microintern.domain.records import FormResponse
from microintern.errors import BackendError, ConfigError, ConfigProblem, RowError


class LinkedSheetResponses:
    """A :class:`~microintern.ports.FormSource` over a linked responses tab."""

    def __init__(self, http: gspread.HTTPClient, spreadsheet_id: str, tab: str, *, time_zone: str,
                 renamed: Mapping[str, str] | None = None, retry: Retry | None = None) -> None:
        self._http, self._id, self._tab = http, spreadsheet_id, tab
        self._table = ResponseTable(ZoneInfo(time_zone), renamed=renamed)
        self._retry = retry or Retry()
        self._problems: list[RowError] = []

    @property
    def problems(self) -> list[RowError]:
        """The rows the last :meth:`fetch_responses` skipped, by tab, row and field."""
        return list(self._problems)

    def fetch_responses(self, form_id: str, since: datetime | None = None) -> list[FormResponse]:
        """Every response row, oldest first (``form_id`` unused; ``since`` narrows nothing).

        A row whose timestamp cannot be read is skipped and listed in :attr:`problems`; every
        other row is read. The tab is read whole anyway, and a skipped row that someone fixes
        keeps its old time: filtering by ``since`` would leave it out for good.
        """
        del form_id, since  # see above
        self._problems = []

        def read() -> list[list[object]]:
            try:
                reply = self._http.values_batch_get(self._id, [quote(self._tab)], params={
                    "valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"})
            except APIError as exc:
                response = exc.response
                raise to_backend_error(response.status_code, response.content, "linked responses sheet",
                                       response.headers.get("Retry-After")) from None
            except OSError as exc:
                raise BackendError(f"linked responses sheet: {exc}", retryable=True) from None
            ranges = reply.get("valueRanges", [])
            return ranges[0].get("values", []) if ranges else []

        rows = self._retry.run(read)
        where = f"{self._tab} (linked responses sheet)"
        found = list(self._table.responses(where, rows, self._problems))
        return sorted(found, key=lambda r: r.submitted_at)

    def sync_form(self, form_id: str | None, spec: FormSpec, *,
                  on_created: Callable[[str, str], None] | None = None) -> FormState:
        """A hand-made form is the district's: microintern does not change it."""
        raise ConfigError("config", [ConfigProblem(
            "application.responses_sheet",
            "no responses_sheet when microintern should create the form (it reads the Forms API)",
            "a linked responses sheet")])
