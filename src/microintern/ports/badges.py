"""The BadgeIssuer port: where badges are awarded (Badgr, or Open Badges files on disk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from microintern.domain.records import BadgeAward, IssuedBadge


class BadgeIssuer(Protocol):
    """Where badges are awarded: Badgr (v2 API) or Open Badges files on disk."""

    def awarded(self, emails: Sequence[str]) -> dict[str, IssuedBadge]:
        """The badges already awarded to these addresses (lowercased address → badge)."""
        ...

    def award(self, award: BadgeAward) -> IssuedBadge:
        """Award the badge once; the caller has checked :meth:`awarded` first."""
        ...
