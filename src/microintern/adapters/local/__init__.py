"""The embedded local backend: an .xlsx workbook, an .eml outbox, .ics files, CSV responses.

Used by ``make demo`` and by anyone trying microintern without a Google account. Everything it
writes is private to its owner (files 0600, folders 0700) and replaced atomically.
"""

from microintern.adapters.local.badges import LocalBadges
from microintern.adapters.local.calendar import IcsCalendar
from microintern.adapters.local.folders import LocalFolders
from microintern.adapters.local.forms import CsvFormSource
from microintern.adapters.local.meet import LocalMeetRooms
from microintern.adapters.local.meet_records import LocalDirectory, LocalMeetRecords
from microintern.adapters.local.outbox import LocalOutbox
from microintern.adapters.local.workbook import LocalWorkbook

__all__ = [
    "CsvFormSource", "IcsCalendar", "LocalBadges", "LocalDirectory", "LocalFolders", "LocalMeetRecords",
    "LocalMeetRooms", "LocalOutbox", "LocalWorkbook",
]
