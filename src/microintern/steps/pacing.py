"""Pacing sends to a per-user quota, in real or virtual time."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    """Spaces sends evenly so that no 60-second window holds more than ``per_minute``.

    A bucket of one token: the interval is ``60 / per_minute`` stretched by one part in
    ``per_minute``, so even a window that starts exactly on a send never sees one too many.
    ``clock`` and ``sleep`` are injectable so tests run in virtual time.
    """

    def __init__(self, per_minute: int | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        # None: no quota to respect (the local backend).
        self.interval = 0.0 if per_minute is None else 60.0 / per_minute * (1 + 1 / per_minute)
        self._clock, self._sleep = clock, sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Block until the next send is allowed."""
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval

    def hold(self, seconds: float) -> None:
        """Wait ``seconds`` (a server's Retry-After) and push the next send after it."""
        self._sleep(seconds)
        self._next = self._clock() + self.interval
