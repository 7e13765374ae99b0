"""The small protocols through which steps reach the outside world.

Steps see only these; the bootstrap picks an adapter (Google or local) for each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from microintern.domain.forms import FormSpec, FormState
from microintern.domain.records import (
    BadgeAward,
    CalendarEvent,
    ChartSpec,
    Conference,
    DriveFile,
    FormResponse,
    IssuedBadge,
    MeetSettings,
    MeetSpace,
    OutgoingMessage,
    Record,
)
from microintern.domain.sheet_rules import SheetRules
from microintern.errors import RowError


@dataclass(frozen=True)
class UpsertResult:
    """How many rows an upsert updated in place and how many it added."""

    updated: int
    appended: int


class Roster(Protocol):
    """The program spreadsheet: tabs of records with a header row."""

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Create missing tabs and append missing headers; never touch existing data."""
        ...

    def read_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """Read whole tabs (unformatted values) in one backend call; absent tabs read empty."""
        ...

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Write ``rows`` found by ``key_column``: only the columns each row names are written.

        Existing rows are located by key at write time (never by position) and updated cell by
        cell; unknown keys are added at the bottom. Values are stored as given (RAW): text that
        looks like a formula stays text.
        """
        ...

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Blank ``columns`` on rows whose ``key_column`` is empty; return how many rows.

        Tool cells never belong on a row without an id: one found there landed on a row the
        coordinator inserted between a read and a write, and is taken back.
        """
        ...

    def apply_rules(self, rules: SheetRules) -> None:
        """Dropdowns, highlights, warnings and frozen panes; idempotent.

        Columns are found by header in row 1 at the time of the call; a rerun adds nothing
        twice and moves rules to columns the coordinator moved. Data is never touched.
        """
        ...

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Draw ``charts`` on ``tab`` (native charts); idempotent.

        A chart of the tab with the same title is updated in place (where the coordinator moved
        it stays), a missing one is added; other charts are left alone. Rows are found by each
        spec's key column now; keys not in the tab are left out of the chart. Data is untouched.
        """
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Gather the writes of the ``with`` block and save them together when it ends.

        Reads inside the block see its writes. The end of every block (nested ones too, and
        one left by an error) is a save point. Backends whose every call is already a write of
        its own (Sheets) gather nothing; the local workbook saves once instead of per call,
        and still saves at once what must be on disk first (see
        :mod:`microintern.adapters.local.workbook`).
        """
        ...


class DraftGone(Exception):
    """The draft no longer exists: it was sent, or a person deleted it.

    Not proof of sending: the caller looks the message up with :meth:`Mailer.find_sent`.
    """


class Mailer(Protocol):
    """Outgoing mail in two phases so that a crash never causes a second delivery."""

    def create_draft(self, message: OutgoingMessage) -> str:
        """Store the message as a draft and return the draft id. Nothing is delivered."""
        ...

    def send_draft(self, draft_id: str) -> str:
        """Deliver a stored draft and return the sent message id.

        Raises :class:`DraftGone` when the draft no longer exists (sent earlier, or deleted by
        a person: look it up with :meth:`find_sent`), and
        :class:`~microintern.errors.DeliveryUnknown` when the outcome cannot be known (a 5xx,
        a dropped connection): the same draft may be sent again later, never a new one.
        """
        ...

    def find_sent(self, key: str) -> str | None:
        """The sent message id of the message with ledger key ``key``, or None if none was sent.

        Looks among delivered mail (trashed included) for the key's deterministic Message-ID;
        drafts never count. This is the proof a ledger needs before booking a gone draft sent.
        """
        ...


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


class Calendar(Protocol):
    """Session events on the program calendar."""

    def upsert_event(self, calendar_id: str, event: CalendarEvent) -> str:
        """Create or update the event with ``event.event_id``; return a link to it."""
        ...


class MeetRooms(Protocol):
    """Meet spaces for sessions."""

    def create_space(self, settings: MeetSettings) -> MeetSpace:
        """Create a space with the given access, moderation, recording and co-hosts.

        Not idempotent on Google (Meet has no request id and no list): a space whose answer
        was lost cannot be found again. Steps use :meth:`space_for_event` instead.
        """
        ...

    def space_for_event(self, calendar_id: str, event: CalendarEvent,
                        settings: MeetSettings) -> MeetSpace:
        """The space of ``event`` (a meeting's first event), made once and set to ``settings``.

        Safe to repeat, also after an answer was lost: the space belongs to the event's
        client-chosen id, so a repeat finds the same space instead of making another. On
        Google, Calendar makes the event (without guests, nobody is notified) with a Meet
        conference; the caller then writes the full event with :meth:`Calendar.upsert_event`.
        A feature the edition refuses becomes a note, as with :meth:`create_space`.
        """
        ...

    def update_space(self, name: str, settings: MeetSettings) -> MeetSpace:
        """Bring the existing space ``name`` in line with ``settings``.

        The space's config is patched (one call) and co-hosts it lacks are added; co-hosts
        already there are left alone. Raises :class:`~microintern.errors.BackendError` with
        code 404 when the space no longer exists.
        """
        ...


class MeetRecords(Protocol):
    """What happened in a Meet space: its conference records (kept 30 days by Google)."""

    def conferences(self, space: str) -> list[Conference]:
        """Every conference held in ``space`` with its participants and their presences."""
        ...


class Directory(Protocol):
    """Turns a Meet participant's ``users/{id}`` into the person's address."""

    def email_of(self, user: str) -> str | None:
        """The primary address of ``user``, or None when the directory does not know them."""
        ...


class BadgeIssuer(Protocol):
    """Where badges are awarded: Badgr (v2 API) or Open Badges files on disk."""

    def awarded(self, emails: Sequence[str]) -> dict[str, IssuedBadge]:
        """The badges already awarded to these addresses (lowercased address → badge)."""
        ...

    def award(self, award: BadgeAward) -> IssuedBadge:
        """Award the badge once; the caller has checked :meth:`awarded` first."""
        ...


class SharedFolders(Protocol):
    """Folders of program files (flyers, submissions) shared with named people only."""

    def ensure_folder(self, name: str, parent_id: str | None = None) -> str:
        """The id of the folder ``name`` in ``parent_id``, created if missing (idempotent)."""
        ...

    def share(self, folder_id: str, email: str, role: str = "reader") -> None:
        """Give ``email`` access (``reader``, ``commenter`` or ``writer``), without notifying."""
        ...

    def unshare(self, folder_id: str, email: str) -> bool:
        """Take ``email``'s access to the folder away; False when they had none (idempotent)."""
        ...

    def shared_with(self, folder_id: str) -> dict[str, str]:
        """Who has access to the folder: address → role."""
        ...

    def files_in(self, folder_id: str) -> list[DriveFile]:
        """The files in the folder (not its subfolders), oldest first."""
        ...

    def link(self, folder_id: str) -> str:
        """The address people open the folder at."""
        ...
