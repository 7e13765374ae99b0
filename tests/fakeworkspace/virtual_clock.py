"""A clock whose seconds pass only when someone sleeps, shared by a pacer and the fake."""

from __future__ import annotations


class VirtualClock:
    """Virtual seconds: ``sleep`` advances ``now``; nothing real waits."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def now(self) -> float:
        """The current virtual time in seconds."""
        return self.t

    def sleep(self, seconds: float) -> None:
        """Advance virtual time by ``seconds`` (negative waits are no waits)."""
        self.t += max(0.0, seconds)
