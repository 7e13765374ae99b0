"""Callbacks run before a handler: "someone else changed the data between two calls".

``fake.hooks.before("sheets.spreadsheets.values.batchUpdate", edit_sheet)`` calls
``edit_sheet(fake)`` just before the fake applies that write, under the fake's state
lock, so a test can simulate a coordinator typing into the sheet mid-run.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Hook = Callable[[Any], None]


@dataclass
class _Entry:
    method_glob: str
    fn: Hook
    times: int | None
    ran: int = 0


class Hooks:
    """The hook table of a fake (``fake.hooks``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def before(self, method_glob: str, fn: Hook, *, times: int | None = None) -> None:
        """Run ``fn(fake)`` before each matching request's handler (at most ``times`` times)."""
        with self._lock:
            self._entries.append(_Entry(method_glob, fn, times))

    def clear(self) -> None:
        """Remove every hook."""
        with self._lock:
            self._entries.clear()

    def due(self, method_id: str) -> list[Hook]:
        """The hooks to run for this request (counts them as run)."""
        with self._lock:
            due = []
            for entry in self._entries:
                if not fnmatch.fnmatchcase(method_id, entry.method_glob):
                    continue
                if entry.times is not None and entry.ran >= entry.times:
                    continue
                entry.ran += 1
                due.append(entry.fn)
            return due
