"""The FormSource port: forms built from a spec, and their submitted responses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from microintern.domain.forms import FormSpec, FormState
from microintern.domain.records import FormResponse
from microintern.errors import RowError


class FormSource(Protocol):
    """A form: built from a spec, and its submitted responses (Google Forms or a CSV export)."""

    def fetch_responses(self, form_id: str, since: datetime | None = None) -> list[FormResponse]:
        """Return responses submitted at or after ``since`` (all when None), oldest first.

        A response that cannot be read (a response table's row with a bad timestamp) is left
        out and listed in :attr:`problems`: one bad response never stops the others. Sources
        that read a whole table anyway (CSV, a linked sheet) return older responses too, so
        that a skipped row fixed later (keeping its old time) still comes in: callers drop the
        responses they already have by response id.
        """
        ...

    @property
    def problems(self) -> list[RowError]:
        """The responses the last :meth:`fetch_responses` left out, by row and field (never content)."""
        ...

    def sync_form(self, form_id: str | None, spec: FormSpec, *,
                  on_created: Callable[[str, str], None] | None = None) -> FormState:
        """Make the form match ``spec`` and publish it; create it first when ``form_id`` is None.

        Existing questions keep their ids (they are updated and moved in place); questions no
        longer in the spec are deleted; new ones get the spec's question ids. A form that already
        matches is not written to. ``on_created(form_id, responder_uri)`` is called as soon as a
        new form exists, before its questions are added, so the caller can remember it even if
        the rest of the sync fails.
        """
        ...
