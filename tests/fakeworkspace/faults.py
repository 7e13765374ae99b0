"""Injected failures: rate limits, server errors, slow answers, lost responses.

A fault matches method ids by glob (``"gmail.users.drafts.send"``, ``"sheets.*"``) and
fires on every matching request, on the first ``times`` of them, or at random with
probability ``rate`` from a seeded generator (deterministic per fault).
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["429", "500", "503", "403rate", "timeout", "slow", "drop_after"]

_KINDS: tuple[str, ...] = ("429", "500", "503", "403rate", "timeout", "slow", "drop_after")
_DEFAULT_DELAY: dict[str, float] = {"slow": 0.5, "timeout": 5.0}


@dataclass
class Fault:
    """One configured fault. ``fired`` counts how often it has triggered.

    Kinds:
        ``"429"``, ``"500"``, ``"503"``: answer that status without processing
        (``retry_after`` adds a ``Retry-After`` header).
        ``"403rate"``: 403 with reason ``rateLimitExceeded``, not processed.
        ``"slow"``: wait ``delay`` seconds, then process and answer normally.
        ``"timeout"``: wait ``delay`` seconds (meant to exceed the client's timeout),
        then process and answer into a connection the client has likely given up on,
        so the client cannot know whether the call took effect.
        ``"drop_after"``: process fully, then close the socket without answering
        (a lost response).
    """

    method_glob: str
    kind: FaultKind
    times: int | None = None
    rate: float | None = None
    seed: int = 0
    retry_after: int | None = None
    delay: float = 0.0
    fired: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _fires(self, method_id: str) -> bool:
        if not fnmatch.fnmatchcase(method_id, self.method_glob):
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        if self.rate is not None and self._rng.random() >= self.rate:
            return False
        self.fired += 1
        return True


class Faults:
    """The fault table of a fake (``fake.faults``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        method_glob: str,
        kind: FaultKind,
        *,
        times: int | None = None,
        rate: float | None = None,
        seed: int = 0,
        retry_after: int | None = None,
        delay: float | None = None,
    ) -> Fault:
        """Add a fault; see :class:`Fault` for the kinds.

        Args:
            method_glob: glob over method ids, e.g. ``"sheets.spreadsheets.values.*"``.
            kind: what happens.
            times: fire at most this many times (None: unlimited).
            rate: fire with this probability per matching request (None: always).
            seed: seed of this fault's random generator.
            retry_after: seconds for a ``Retry-After`` header on error answers.
            delay: seconds to wait for ``slow`` (default 0.5) and ``timeout`` (default 5).
        """
        if kind not in _KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {_KINDS}")
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise ValueError("rate is a probability in [0, 1]")
        fault = Fault(
            method_glob,
            kind,
            times=times,
            rate=rate,
            seed=seed,
            retry_after=retry_after,
            delay=_DEFAULT_DELAY.get(kind, 0.0) if delay is None else delay,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def pick(self, method_id: str) -> Fault | None:
        """The first fault that fires for this request, if any (counts it as fired)."""
        with self._lock:
            for fault in self._faults:
                if fault._fires(method_id):
                    return fault
        return None

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))
