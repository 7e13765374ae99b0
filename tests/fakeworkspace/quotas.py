"""Per-user, per-minute quotas (sliding 60 s window), as Google enforces them.

``fake.quotas.set("sheets.spreadsheets.values.*", 60)`` puts every matching method in
one bucket per user. Past the limit the fake answers 429 RESOURCE_EXHAUSTED with reason
``rateLimitExceeded``; refused requests do not count. The clock is the fake's
(``fake.clock``), so tests can advance time instead of sleeping.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0


@dataclass
class Quota:
    """One quota bucket: a glob over method ids and its per-minute limit per user."""

    method_glob: str
    per_minute: int
    refused: int = 0
    _seen: dict[str, deque[float]] = field(default_factory=dict, repr=False)

    def used(self, user: str, now: float) -> int:
        """Requests of ``user`` admitted in the window ending at ``now``."""
        seen = self._seen.setdefault(user, deque())
        while seen and seen[0] <= now - WINDOW_SECONDS:
            seen.popleft()
        return len(seen)


class Quotas:
    """The quota table of a fake (``fake.quotas``)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._quotas: dict[str, Quota] = {}

    def set(self, method_glob: str, per_minute: int) -> Quota:
        """Limit matching methods to ``per_minute`` requests per user (replaces a same glob)."""
        if per_minute < 0:
            raise ValueError("per_minute must be >= 0")
        quota = Quota(method_glob, per_minute)
        with self._lock:
            self._quotas[method_glob] = quota
        return quota

    def clear(self) -> None:
        """Remove every quota."""
        with self._lock:
            self._quotas.clear()

    def admit(self, method_id: str, user: str) -> Quota | None:
        """Count a request; return the exhausted quota if it must be refused, else None."""
        now = self._clock()
        with self._lock:
            matching = [q for q in self._quotas.values() if fnmatch.fnmatchcase(method_id, q.method_glob)]
            for quota in matching:
                if quota.used(user, now) >= quota.per_minute:
                    quota.refused += 1
                    return quota
            for quota in matching:
                quota._seen[user].append(now)
        return None
