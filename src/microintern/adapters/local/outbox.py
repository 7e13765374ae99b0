"""Outgoing mail as .eml files in a folder (the :class:`~microintern.ports.Mailer` port).

The two phases mirror Gmail: :meth:`LocalOutbox.create_draft` writes ``drafts/<id>.eml`` and
:meth:`LocalOutbox.send_draft` renames it into ``sent/``. The rename is atomic, so a draft is
either still waiting or sent, never both; a second send of the same id finds nothing and raises
:class:`~microintern.ports.DraftGone`, just as Gmail answers for a draft it deleted on sending.
:meth:`LocalOutbox.find_sent` then tells a sent letter from a deleted draft by looking in ``sent/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from microintern.adapters.local._files import atomic_move, atomic_write_bytes, ensure_private_dir
from microintern.domain.mime import DEFAULT_DOMAIN, build_mime, message_key_id
from microintern.domain.records import OutgoingMessage
from microintern.ports import DraftGone

_DRAFT_ID = re.compile(r"[0-9a-f]{32}")


def _system_clock() -> datetime:
    """Now, timezone-aware, for the ``Date`` header."""
    return datetime.now(UTC)


class LocalOutbox:
    """A :class:`~microintern.ports.Mailer` that delivers into ``<folder>/sent`` as .eml files.

    Draft ids are derived from the message key, so re-creating the draft of the same key
    replaces the waiting file instead of adding a second one. ``clock`` stamps the ``Date``
    header (system clock when None).
    """

    def __init__(
        self,
        folder: Path,
        *,
        domain: str = DEFAULT_DOMAIN,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.domain = domain
        self.clock = clock or _system_clock
        self.drafts_dir = self.folder / "drafts"
        self.sent_dir = self.folder / "sent"

    def create_draft(self, message: OutgoingMessage) -> str:
        """Write the message to ``drafts/<draft_id>.eml`` and return the draft id."""
        draft_id = message_key_id(message.key)
        data = build_mime(message, domain=self.domain, date=self.clock())
        atomic_write_bytes(self._draft_path(draft_id), data)
        return draft_id

    def send_draft(self, draft_id: str) -> str:
        """Move the draft into ``sent/`` and return the sent message id (the file's stem).

        Raises :class:`DraftGone` when the draft does not exist (already sent or deleted).
        """
        source = self._draft_path(draft_id)
        ensure_private_dir(self.sent_dir)
        # A key may legitimately be drafted and sent again after the ledger decided so; a fresh
        # name keeps the earlier delivery visible instead of overwriting the evidence.
        message_id = draft_id
        suffix = 1
        while (self.sent_dir / f"{message_id}.eml").exists():
            suffix += 1
            message_id = f"{draft_id}-{suffix}"
        try:
            atomic_move(source, self.sent_dir / f"{message_id}.eml")
        except FileNotFoundError as exc:
            raise DraftGone(f"draft {draft_id} no longer exists in {self.drafts_dir}") from exc
        return message_id

    def find_sent(self, key: str) -> str | None:
        """The id (file stem) of the key's latest message in ``sent/``, or None if none is there.

        Sent files are named from the key's id (``<id>.eml``, then ``<id>-2.eml`` ...), and
        ``drafts/`` is never looked at, so only a delivered message counts as proof.
        """
        draft_id = message_key_id(key)
        found: list[tuple[int, str]] = []
        for path in self.sent_dir.glob(f"{draft_id}*.eml") if self.sent_dir.is_dir() else ():
            suffix = path.stem[len(draft_id):]
            if suffix == "":
                found.append((1, path.stem))
            elif suffix[:1] == "-" and suffix[1:].isdigit():
                found.append((int(suffix[1:]), path.stem))
        return max(found)[1] if found else None

    def find_draft(self, key: str) -> str | None:
        """The key's draft id when its draft is waiting in ``drafts/``, else None."""
        draft_id = message_key_id(key)
        return draft_id if self._draft_path(draft_id).is_file() else None

    def drafts(self) -> list[Path]:
        """Drafts waiting to be sent, oldest first."""
        return _listing(self.drafts_dir)

    def sent_messages(self) -> list[Path]:
        """Delivered messages (.eml files), oldest first."""
        return _listing(self.sent_dir)

    def _draft_path(self, draft_id: str) -> Path:
        """The file of a draft id; anything but our own ids is refused (no path tricks)."""
        if not _DRAFT_ID.fullmatch(draft_id):
            raise ValueError(f"not a local draft id: {draft_id!r}")
        return self.drafts_dir / f"{draft_id}.eml"


def _listing(directory: Path) -> list[Path]:
    """The .eml files of ``directory`` ordered by modification time, then name."""
    if not directory.is_dir():
        return []
    files = [path for path in directory.glob("*.eml") if path.is_file()]
    return sorted(files, key=lambda path: (path.stat().st_mtime_ns, path.name))
