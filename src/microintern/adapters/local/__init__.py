"""The embedded local backend: an .xlsx workbook, an .eml outbox, .ics files, CSV responses.

Used by ``make demo`` and by anyone trying microintern without a Google account. Everything it
writes is private to its owner (files 0600, folders 0700) and replaced atomically.

Each adapter is imported when first named (PEP 562 ``__getattr__``): a run with nothing due
needs the workbook only, and importing every adapter (and what they import) cost an idle
``run-due`` about a third of its time.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microintern.adapters.local.badges import LocalBadges
    from microintern.adapters.local.calendar import IcsCalendar
    from microintern.adapters.local.folders import LocalFolders
    from microintern.adapters.local.forms import CsvFormSource
    from microintern.adapters.local.meet import LocalMeetRooms
    from microintern.adapters.local.meet_records import LocalDirectory, LocalMeetRecords
    from microintern.adapters.local.outbox import LocalOutbox
    from microintern.adapters.local.workbook import LocalWorkbook

_MODULES = {
    "CsvFormSource": "forms", "IcsCalendar": "calendar", "LocalBadges": "badges",
    "LocalDirectory": "meet_records", "LocalFolders": "folders", "LocalMeetRecords": "meet_records",
    "LocalMeetRooms": "meet", "LocalOutbox": "outbox", "LocalWorkbook": "workbook",
}

__all__ = [
    "CsvFormSource", "IcsCalendar", "LocalBadges", "LocalDirectory", "LocalFolders", "LocalMeetRecords",
    "LocalMeetRooms", "LocalOutbox", "LocalWorkbook",
]


def __getattr__(name: str) -> Any:
    """Import the adapter ``name`` on first use."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
