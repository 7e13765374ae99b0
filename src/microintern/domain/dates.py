"""How the program writes dates and times in its tabs: one layout, in the program's time zone.

A coordinator reads every tab side by side, sorts by these cells and types the same layout
back (a session's Meetings), so there is one layout for a moment and one for a day, both ISO
8601 order so that text sorts as time does:

- :data:`DATE_TIME`, ``2027-03-16 15:30``: a moment, as a wall time in the program's zone
  (the README's layout; Built, Opens, Hours' Submitted, the Outbox's Updated, ...);
- :data:`DATE`, ``2027-03-16``: a day (Registered, Due, Date, ...).

One exception, on purpose: a form answer's Submitted cell keeps the seconds
(:data:`DATE_TIME_SECONDS`, the same layout plus ``:SS``), because a deadline and which of two
resubmissions is the later are decided on that cell, and a minute is too coarse for both.
Cells the tool reads back may also hold what Sheets or Excel turns a typed time into; those
are read by the parsers next to each column, not here. Pure: no clock, no I/O.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DATE = "%Y-%m-%d"
DATE_TIME = "%Y-%m-%d %H:%M"
DATE_TIME_SECONDS = "%Y-%m-%d %H:%M:%S"


def day_text(day: date | datetime, zone: ZoneInfo | None = None) -> str:
    """``2027-03-16``: a day, or the program-local day of an aware moment when ``zone`` is given."""
    if zone is not None and isinstance(day, datetime):
        day = day.astimezone(zone)
    return day.strftime(DATE)


def moment_text(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """``2027-03-16 15:30``: a moment as a wall time in ``zone`` (as it stands when None)."""
    if zone is not None:
        moment = moment.astimezone(zone)
    return moment.strftime(DATE_TIME)


def parse_moment(value: object, zone: ZoneInfo) -> datetime | None:
    """A cell written by :func:`moment_text` (seconds, or ISO's "T", allowed) as an aware moment.

    None when the cell holds anything else (a number Sheets made of a typed date, words).
    """
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    if len(stripped) > 10 and stripped[10] == "T":  # an ISO value read back from a date cell
        stripped = f"{stripped[:10]} {stripped[11:]}"
    for layout in (DATE_TIME, DATE_TIME_SECONDS):
        try:
            return datetime.strptime(stripped, layout).replace(tzinfo=zone)
        except ValueError:
            continue
    return None


def babel_locale(language: str) -> str:
    """A program language as Babel takes it: "pt-BR" (as a config may write it) becomes "pt_BR".

    Letters and flyers format dates, times and money in their reader's language through Babel,
    whose locale identifiers use underscores.
    """
    return language.replace("-", "_")
