"""Form responses from CSV files (the :class:`~microintern.ports.FormSource` port).

Reads ``<folder>/<form_id>.csv`` as Google Sheets exports a form's linked response sheet: a
``Timestamp`` column, optionally ``Email Address`` and ``Response ID``, then one column per
question title. Columns are matched by header, so reordered or extra columns are fine.

The local backend has no web form: :meth:`CsvFormSource.sync_form` writes
``<folder>/<form_id>.form.json``, a private description of the form (title, questions and their
ids) that a person can build a real form from, and gives it a placeholder link.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from microintern.adapters.local._files import atomic_write_bytes, safe_component
from microintern.adapters.response_table import ResponseTable
from microintern.domain.forms import FormSpec, FormState, prefill_entry
from microintern.domain.records import FormResponse
from microintern.errors import BackendError, RowError

DEFAULT_FORM_ID = "applications"
# The local backend has no web form; this placeholder (a reserved, never-resolving domain) stands
# in for the link wherever one is printed, so letters and flyers still render.
PLACEHOLDER_URI = "https://forms.example.invalid/{form_id}"


def allow_any_field_size() -> int:
    """Lift the csv module's field size limit (131,072 by default) as far as the platform allows.

    One student's long answer must not stop the reader, because the error would recur on every
    run until someone edited the file. The limit is a C long: ``sys.maxsize`` overflows it where
    a long is 32 bits (Windows), so it is halved until accepted. Returns the limit set.
    """
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return limit
        except OverflowError:
            limit //= 2


class CsvFormSource:
    """A :class:`~microintern.ports.FormSource` over CSV exports in ``folder``.

    Naive timestamps (Google's export carries no offset) are read in ``time_zone``, which
    should be the spreadsheet's time zone.
    """

    def __init__(self, folder: Path, *, time_zone: str = "UTC",
                 renamed: Mapping[str, str] | None = None) -> None:
        self.folder = Path(folder)
        try:
            self.zone: tzinfo = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"time_zone: unknown IANA time zone {time_zone!r}") from exc
        self._table = ResponseTable(self.zone, renamed=renamed)
        self._problems: list[RowError] = []

    @property
    def problems(self) -> list[RowError]:
        """The rows the last :meth:`fetch_responses` skipped, by file, row and field."""
        return list(self._problems)

    def fetch_responses(self, form_id: str, since: datetime | None = None) -> list[FormResponse]:
        """Return every response in the file, oldest first; ``since`` narrows nothing.

        A missing file means nobody answered yet and reads as no responses. A row that cannot
        be read (a bad timestamp, a malformed line) is skipped and listed in :attr:`problems`
        as a :class:`~microintern.errors.RowError` naming the file, the row (as numbered in the
        sheet, header = 1) and the field; every other row is read. A file without a Timestamp
        column raises that error: no row of it could be read.

        The file is read whole anyway, and a skipped row that someone fixes keeps its old time:
        filtering by ``since`` would leave it out for good. Callers drop the responses they
        already have by response id (see :class:`~microintern.ports.FormSource`).
        """
        del since  # see above
        self._problems = []
        path = self.folder / f"{safe_component(form_id, 'form id')}.csv"
        if not path.is_file():
            return []
        responses = list(self._parse(path))
        # sorted() is stable: equal timestamps keep the sheet's order.
        return sorted(responses, key=lambda response: response.submitted_at)

    def sync_form(self, form_id: str | None, spec: FormSpec, *,
                  on_created: Callable[[str, str], None] | None = None) -> FormState:
        """Write ``<folder>/<form_id>.form.json`` (0600, atomically) describing ``spec``.

        ``form_id`` None means the spec's name (``applications`` for the application form).
        The file is rewritten only when the spec changed, so a rerun with the same config reports no change.
        """
        new_id = form_id is None
        form_id = form_id or spec.name or DEFAULT_FORM_ID
        path = self.folder / f"{safe_component(form_id, 'form id')}.form.json"
        responder_uri = PLACEHOLDER_URI.format(form_id=form_id)
        document = {
            "formId": form_id,
            "title": spec.title,
            "responderUri": responder_uri,
            "note": "The local backend has no web form: this file describes the form to build.",
            "questions": [
                {
                    "key": q.key,
                    "questionId": q.question_id,
                    "prefill": prefill_entry(q.question_id),
                    "title": q.title,
                    "kind": q.kind.value,
                    "required": q.required,
                    "options": list(q.options),
                }
                for q in spec.questions
            ],
        }
        data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        try:
            before = path.read_bytes()
        except FileNotFoundError:
            before = None
        except OSError as exc:
            raise BackendError(f"cannot read {path}: {exc}") from exc
        created = before is None
        if created and new_id and on_created is not None:
            on_created(form_id, responder_uri)
        changed = before != data
        if changed:
            try:
                atomic_write_bytes(path, data)
            except OSError as exc:
                raise BackendError(f"cannot write {path}: {exc}") from exc
        return FormState(
            form_id=form_id,
            responder_uri=responder_uri,
            question_ids=spec.question_ids(),
            changed=changed,
            created=created,
            published=created,
        )

    def _parse(self, path: Path) -> Iterator[FormResponse]:
        """Yield one response per non-blank data row of ``path``."""
        where = path.name
        allow_any_field_size()  # process-wide; set here so no other code can have lowered it
        last_read = 0  # the row a csv.Error is raised on is the one after this

        def counted(rows: Iterator[list[str]]) -> Iterator[list[str]]:
            nonlocal last_read
            while True:
                try:
                    row = next(rows)
                except StopIteration:
                    return
                except csv.Error as exc:
                    # The reader goes on with the next line after an error: one malformed line
                    # is skipped and reported like a bad timestamp, the rest is still read.
                    last_read += 1
                    self._problems.append(RowError(where, str(last_read), "(csv)", str(exc)))
                    if last_read == 1:
                        return  # no header: the table says so
                    continue
                last_read += 1
                yield row

        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                yield from self._table.responses(where, counted(csv.reader(handle)), self._problems)
        except UnicodeDecodeError as exc:
            raise BackendError(
                f"{path} is not UTF-8 text ({exc.reason}); export it again as CSV UTF-8"
            ) from exc


