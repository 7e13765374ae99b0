"""The ports: the small protocols through which steps reach the outside world.

Steps see only these; the bootstrap (:mod:`microintern.bootstrap`) picks an adapter, Google or
local, for each. One module per port: ``roster`` (the program spreadsheet), ``mail``, ``forms``,
``meetings`` (Calendar, Meet spaces and records, the directory), ``badges`` and ``folders``
(Drive). Import them from here: ``from microintern.ports import Roster``.
"""

from microintern.ports.badges import BadgeIssuer
from microintern.ports.folders import SharedFolders
from microintern.ports.forms import FormSource
from microintern.ports.mail import DraftGone, Mailer
from microintern.ports.meetings import Calendar, Directory, MeetRecords, MeetRooms
from microintern.ports.roster import Roster, UpsertResult

__all__ = [
    "BadgeIssuer",
    "Calendar",
    "Directory",
    "DraftGone",
    "FormSource",
    "Mailer",
    "MeetRecords",
    "MeetRooms",
    "Roster",
    "SharedFolders",
    "UpsertResult",
]
