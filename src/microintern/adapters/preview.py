"""Dry runs: a mailer that only writes what it would send, and a roster that changes nothing.

``microintern send STEP --dry-run DIR`` wires these around the real adapters. Reads go to the
real spreadsheet; writes are kept in memory (and shown to later reads of the same run), and
every message is written to DIR as an .eml file plus an HTML page, with an index.html to click
through.
"""

from __future__ import annotations

import email
import email.policy
import html
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from microintern.adapters.local._files import atomic_write_bytes, ensure_private_dir
from microintern.domain.mime import build_mime, message_key_id
from microintern.domain.records import BadgeAward, ChartSpec, IssuedBadge, OutgoingMessage, Record
from microintern.domain.sheet_rules import SheetRules
from microintern.ports import BadgeIssuer, Mailer, Roster, UpsertResult


@dataclass(frozen=True)
class Previewed:
    """One message written by a dry run."""

    number: int
    key: str
    to: str
    subject: str
    eml: str
    page: str


class PreviewMailer:
    """A :class:`~microintern.ports.Mailer` that writes messages to a folder and sends nothing."""

    def __init__(self, folder: Path, *, domain: str, looks: Mailer | None = None) -> None:
        """``looks``: the real mailer, asked only to look letters up (never to draft or send),
        so a dry run over letters a stopped run left on record says what the real run would."""
        self.folder = ensure_private_dir(Path(folder))
        self._domain = domain
        self._looks = looks
        self.previewed: list[Previewed] = []

    def create_draft(self, message: OutgoingMessage) -> str:
        """Write the message as ``NNNN-<id>.eml`` and its HTML part as a page; return an id."""
        number = len(self.previewed) + 1
        name = f"{number:04d}-{message_key_id(message.key)[:12]}"
        raw = build_mime(message, domain=self._domain)
        atomic_write_bytes(self.folder / f"{name}.eml", raw)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        body = parsed.get_body(("html",))  # type: ignore[attr-defined]
        atomic_write_bytes(self.folder / f"{name}.html",
                           (body.get_content() if body else "").encode("utf-8"))
        self.previewed.append(Previewed(number, message.key, message.to, message.subject,
                                        f"{name}.eml", f"{name}.html"))
        self._write_index()
        return f"preview-{name}"

    def send_draft(self, draft_id: str) -> str:
        """Nothing is sent in a dry run."""
        return draft_id

    def find_sent(self, key: str) -> str | None:
        """The real mailbox's sent copy of the key (a look-up changes nothing), or None."""
        return self._looks.find_sent(key) if self._looks is not None else None

    def find_draft(self, key: str) -> str | None:
        """The real mailbox's waiting draft of the key (a look-up changes nothing), or None."""
        return self._looks.find_draft(key) if self._looks is not None else None

    def _write_index(self) -> None:
        rows = "\n".join(
            f"<tr><td>{p.number}</td><td>{html.escape(p.key)}</td><td>{html.escape(p.to)}</td>"
            f'<td><a href="{p.page}">{html.escape(p.subject)}</a></td>'
            f'<td><a href="{p.eml}">.eml</a></td></tr>'
            for p in self.previewed
        )
        page = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>microintern dry run</title>'
            "<style>body{font-family:sans-serif}td,th{padding:4px 8px;border-bottom:1px solid #ddd}"
            "</style></head><body>"
            f"<h1>Dry run: {len(self.previewed)} message(s), nothing sent</h1>"
            "<table><tr><th>#</th><th>Key</th><th>To</th><th>Subject</th><th>File</th></tr>"
            f"{rows}</table></body></html>"
        )
        atomic_write_bytes(self.folder / "index.html", page.encode("utf-8"))


class DryRunRoster:
    """Reads from the real roster; writes stay in memory, visible to this run's later reads."""

    def __init__(self, real: Roster) -> None:
        self._real = real
        self.writes: dict[str, dict[str, Record]] = {}
        self._key_column: dict[str, str] = {}

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Nothing is created in a dry run."""

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Nothing is cleared in a dry run."""
        return 0

    def apply_rules(self, rules: SheetRules) -> None:
        """Nothing is formatted in a dry run: the real sheet keeps its dropdowns and highlights."""

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Nothing is drawn in a dry run."""

    def batch(self) -> AbstractContextManager[None]:
        """Nothing is saved in a dry run: writes stay in memory anyway."""
        return nullcontext()

    def read_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """The real tabs with this run's unsaved writes laid over them."""
        result = self._real.read_tabs(tabs)
        for tab in tabs:
            pending = dict(self.writes.get(tab, {}))
            if not pending:
                continue
            key_column = self._key_column[tab]
            merged = [{**row, **pending.pop(str(row.get(key_column)), {})} for row in result[tab]]
            result[tab] = merged + list(pending.values())
        return result

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Remember the rows; the real sheet is untouched."""
        self._key_column[tab] = key_column
        pending = self.writes.setdefault(tab, {})
        updated = 0
        for row in rows:
            key = str(row[key_column])
            updated += key in pending
            pending[key] = {**pending.get(key, {}), **row}
        return UpsertResult(updated=updated, appended=len(rows) - updated)


class PreviewBadges:
    """A :class:`~microintern.ports.BadgeIssuer` for dry runs: real look-ups, no award made.

    ``awarded`` asks the real issuer (a read); ``award`` only pretends, so the badge letters of
    the batch can be previewed with a placeholder link.
    """

    def __init__(self, real: BadgeIssuer) -> None:
        self.real = real

    def awarded(self, emails: Sequence[str]) -> dict[str, IssuedBadge]:
        """What the real issuer holds."""
        return self.real.awarded(emails)

    def award(self, award: BadgeAward) -> IssuedBadge:
        """A placeholder badge; nothing is awarded."""
        preview_id = f"preview-{message_key_id(award.key)[:12]}"
        return IssuedBadge(assertion_id=preview_id, url=f"https://badges.example.invalid/{preview_id}",
                           email=award.email)
