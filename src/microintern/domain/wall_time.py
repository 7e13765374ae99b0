"""Local wall times around daylight saving changes: the hour that never happens, the one twice.

Meeting times are written as local wall times in the program's zone. On the spring-forward
day some of them do not exist (02:30 in America/Denver): zoneinfo still gives them an offset,
so a 90-minute meeting typed at 02:30 would silently last 30 real minutes. On the fall-back
day some happen twice (01:30): the program uses the first (``fold=0``), as everywhere else.
Pure functions; ``wall`` is always a naive local datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def in_gap(wall: datetime, zone: ZoneInfo) -> bool:
    """True for a wall time the clocks skip when DST starts.

    Such a time does not survive a round trip through UTC: zoneinfo maps it with the offset
    before the change and back to a wall time after it.
    """
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall


def is_ambiguous(wall: datetime, zone: ZoneInfo) -> bool:
    """True for a wall time that happens twice when DST ends (the two folds differ)."""
    if in_gap(wall, zone):
        return False
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset()


def skipped(wall: datetime, zone: ZoneInfo) -> timedelta:
    """How long the clocks jump at the gap ``wall`` is in (zero when it is not in one)."""
    if not in_gap(wall, zone):
        return timedelta(0)
    before = wall.replace(tzinfo=zone, fold=0).utcoffset()
    after = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert before is not None and after is not None
    return abs(after - before)


def resolved(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant the program uses for ``wall``: the first of two, when it happens twice."""
    return wall.replace(tzinfo=zone, fold=0)


def offset_text(moment: datetime) -> str:
    """A UTC offset as ``-06:00``."""
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def gap_problem(wall: datetime, zone: ZoneInfo) -> str:
    """Why ``wall`` (in a gap) cannot be a meeting time, and what to write instead."""
    jump = skipped(wall, zone)
    later = wall + jump
    return (f"{wall:%Y-%m-%d %H:%M}, which does not exist in {zone.key} (the clocks skip "
            f"{int(jump.total_seconds() // 60)} minutes when daylight saving time starts); "
            f"write a real local time such as {later:%H:%M}")


def real_length(start: datetime, duration: timedelta, zone: ZoneInfo) -> timedelta:
    """How long a meeting from wall ``start`` to wall ``start + duration`` really lasts.

    The code base (Calendar events, letters) ends a meeting at start + duration on the clock,
    which is the real duration except when the clocks change during the meeting.
    """
    first = resolved(start, zone).astimezone(UTC)
    last = resolved(start + duration, zone).astimezone(UTC)
    return last - first


def meeting_problem(start: datetime, duration: timedelta, zone: ZoneInfo) -> str | None:
    """Why a meeting at wall ``start`` lasting ``duration`` cannot be held as written, or None.

    Refused: a start or an end in the hour the clocks skip, and a meeting the clocks change
    during (a 90-minute meeting from 01:30 on the spring-forward day would last 30 minutes).
    """
    end = start + duration
    if in_gap(start, zone):
        return f"a meeting starting at {gap_problem(start, zone)}"
    if in_gap(end, zone):
        return f"a meeting from {start:%H:%M} ending at {gap_problem(end, zone)}"
    real = real_length(start, duration, zone)
    if real != duration:
        return (f"a meeting from {start:%Y-%m-%d %H:%M} to {end:%H:%M} during which the clocks "
                f"change in {zone.key}, so it would last {int(real.total_seconds() // 60)} minutes, "
                f"not {int(duration.total_seconds() // 60)}; move it outside the change")
    return None


def overlap_note(wall: datetime, zone: ZoneInfo) -> str:
    """Which of the two instants an ambiguous ``wall`` means, with its UTC offset."""
    first = resolved(wall, zone)
    second = wall.replace(tzinfo=zone, fold=1)
    return (f"{wall:%H:%M} is ambiguous on {wall:%Y-%m-%d} in {zone.key}; using "
            f"{wall:%H:%M} {offset_text(first)} (the first; the second is "
            f"{wall:%H:%M} {offset_text(second)})")
