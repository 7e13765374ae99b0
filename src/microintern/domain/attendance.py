"""Attendance from Meet's conference records: minutes, meetings attended, yes or no.

Pure rules, no I/O. Meet gives each participant one or more presences (a participant session
per join, per device); a student who drops and rejoins has several, a student on a laptop and a
phone has overlapping ones. Presences are clipped to their conference, merged per person (so
nothing counts twice) and summed in whole minutes. A meeting counts as attended at
``threshold`` × its scheduled minutes; a student attended the session ("yes") when the share
of the meetings held so far that they attended reaches ``min_attendance``. The coordinator's
Attendance column ("yes"/"no") always wins.

Meet deletes conference records 30 days after a meeting. The figures of each meeting are kept
in the Attendance note ("minutes by meeting: 2027-04-06 88, ..."), so a meeting whose records
are gone keeps the minutes read while they existed; only a meeting nobody ever read is lost,
and the step says so loudly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from microintern.domain.dates import DATE, DATE_TIME
from microintern.domain.records import Conference

# How long Meet keeps a conference record after the meeting.
RECORD_RETENTION = timedelta(days=30)
# A conference belongs to a meeting when it starts within the meeting's window widened by
# these: the teacher opens the call early; a dropped call may be restarted after the end.
STARTS_BEFORE = timedelta(hours=1)
STARTS_AFTER_END = timedelta(minutes=30)

YES, NO = "yes", "no"
MEMORY_LABEL = "minutes by meeting: "
# Notes: where the figure came from, or why there is none.
FROM_MEET = "Meet"
FROM_COORDINATOR = "coordinator"
NOT_IN_MEET = "not in Meet"
RECORDS_GONE = "Meet records gone (older than 30 days)"
NO_MEET_DATA = "no Meet data: fill the Attendance column"
EARLIER_FIGURES = "Meet (figures read earlier)"
MEET_SOURCE = "Meet"
ZOOM_SOURCE = "Zoom"


def _named(note: str, provider: str) -> str:
    """A note above with the video service the figures came from (issue 18: Zoom or Meet)."""
    return note if provider == MEET_SOURCE else note.replace(MEET_SOURCE, provider)

_MEMORY = re.compile(re.escape(MEMORY_LABEL) + r"(.*)$")
_ENTRY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?)\s+(\S+)\s*$")

Span = tuple[datetime, datetime]


class MeetingStatus(StrEnum):
    """What Meet could say about one meeting that has ended (the note's token for it)."""

    HELD = "held"               # conference records found: minutes per person
    NO_RECORD = "none"          # no conference in its window (not held in the space, or not yet)
    GONE = "gone"               # past Meet's 30 days, no record left
    UNAVAILABLE = "?"           # Meet was not read this run (no space, lookup off, refused)


@dataclass(frozen=True)
class Meeting:
    """One scheduled meeting of a session: its number, window and key in the note."""

    number: int
    start: datetime
    end: datetime
    key: str

    @property
    def scheduled_minutes(self) -> float:
        """Its scheduled length in minutes."""
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True)
class MeetingOutcome:
    """One ended meeting and what Meet said: minutes by person (casefolded address) when held."""

    meeting: Meeting
    status: MeetingStatus
    minutes: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    """The program's attendance settings."""

    threshold: float        # share of a meeting's minutes that counts as attending it
    min_attendance: float   # share of the meetings held that earns "yes"


# --- minutes --------------------------------------------------------------------------------------


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans joined into one; empty spans dropped; in time order."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def clip(span: Span, start: datetime, end: datetime) -> Span | None:
    """``span`` cut to ``[start, end]``, or None when nothing of it is inside."""
    low, high = max(span[0], start), min(span[1], end)
    return (low, high) if high > low else None


def whole_minutes(spans: Iterable[Span]) -> int:
    """The merged length of ``spans`` in minutes, rounded to the nearest (half up)."""
    seconds = sum((end - start).total_seconds() for start, end in merge(spans))
    return int((seconds + 30) // 60)


def conference_spans(conference: Conference, now: datetime) -> dict[str, list[Span]]:
    """Each participant's presences (by participant name) clipped to the conference.

    A presence or conference still open counts up to ``now``.
    """
    close = conference.end or now
    spans: dict[str, list[Span]] = {}
    for participant in conference.participants:
        for presence in participant.presences:
            span = clip((presence.start, presence.end or close), conference.start, close)
            if span is not None:
                spans.setdefault(participant.name, []).append(span)
    return spans


def minutes_by_person(conferences: Sequence[Conference], person_of: Mapping[str, str],
                      now: datetime) -> dict[str, int]:
    """Whole minutes per person across ``conferences`` (one meeting, maybe restarted).

    ``person_of`` maps participant names to a person key (the casefolded address); participants
    it leaves out are not counted. A person's presences from every participant record and every
    conference are merged, so two devices or a restarted call never count twice.
    """
    spans: dict[str, list[Span]] = {}
    for conference in conferences:
        for participant, found in conference_spans(conference, now).items():
            person = person_of.get(participant)
            if person is not None:
                spans.setdefault(person, []).extend(found)
    return {person: whole_minutes(found) for person, found in spans.items()}


# --- meetings and conferences ---------------------------------------------------------------------


def meetings(windows: Sequence[tuple[datetime, datetime]]) -> list[Meeting]:
    """The session's meetings, numbered from 1, keyed by local date (and time when a date repeats)."""
    days = [start.strftime(DATE) for start, _ in windows]
    found: list[Meeting] = []
    for number, (start, end) in enumerate(windows, 1):
        day = start.strftime(DATE)
        key = day if days.count(day) == 1 else start.strftime(DATE_TIME)
        found.append(Meeting(number, start, end, key))
    return found


def ended(all_meetings: Sequence[Meeting], now: datetime) -> list[Meeting]:
    """The meetings whose scheduled end has passed (future and running ones are skipped)."""
    return [m for m in all_meetings if m.end <= now]


def belongs(conference: Conference, meeting: Meeting) -> bool:
    """Whether the conference was (a start or restart of) this meeting, by its start time."""
    return meeting.start - STARTS_BEFORE <= conference.start < meeting.end + STARTS_AFTER_END


def conferences_by_meeting(done: Sequence[Meeting], conferences: Sequence[Conference]
                           ) -> dict[int, list[Conference]]:
    """The conferences of each meeting (by number); each conference goes to one meeting at most."""
    found: dict[int, list[Conference]] = {m.number: [] for m in done}
    for conference in sorted(conferences, key=lambda c: c.start):
        for meeting in done:
            if belongs(conference, meeting):
                found[meeting.number].append(conference)
                break
    return found


def status_without_record(meeting: Meeting, now: datetime) -> MeetingStatus:
    """GONE once Meet's 30 days have passed since the meeting, else NO_RECORD."""
    return MeetingStatus.GONE if now - meeting.end > RECORD_RETENTION else MeetingStatus.NO_RECORD


# --- the Participants row -------------------------------------------------------------------------


def remembered(note: object, minutes_cell: object = None, done: Sequence[Meeting] = ()) -> dict[str, int]:
    """Minutes per meeting key written earlier in the Attendance note.

    A note without that part (written by hand, or before this version) falls back to the
    Minutes cell when exactly one meeting has ended: that cell is then the meeting's figure.
    """
    found: dict[str, int] = {}
    match = _MEMORY.search(str(note or ""))
    if match:
        for entry in match.group(1).split(","):
            parsed = _ENTRY.match(entry)
            if parsed and parsed.group(2).isdigit():
                found[parsed.group(1)] = int(parsed.group(2))
    if not found and len(done) == 1:
        number = _number(minutes_cell)
        if number is not None:
            found[done[0].key] = number
    return found


def _number(cell: object) -> int | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return int(cell) if cell >= 0 else None
    text = str(cell or "").strip()
    return int(text) if text.isdigit() else None


def coordinator_says(cell: object) -> str | None:
    """The coordinator's Attendance column: "yes", "no" or None (blank or anything else)."""
    value = str(cell or "").strip().casefold()
    return value if value in (YES, NO) else None


@dataclass(frozen=True)
class StudentAttendance:
    """What the step writes for one student; None leaves a cell as it is."""

    minutes: int | None
    meetings_attended: str | None
    attended: str | None
    note: str
    # Meetings whose records are gone and for which this student has no figure at all.
    lost: tuple[str, ...] = ()


def student_attendance(outcomes: Sequence[MeetingOutcome], person: str | None, *,
                       coordinator: object, note_before: object, minutes_before: object,
                       rules: Rules, extra: str = "", provider: str = MEET_SOURCE) -> StudentAttendance:
    """One student's cells from the ended meetings' outcomes.

    ``person`` is the student's casefolded school address (None when unusable: Meet cannot name
    them). Figures read earlier (in ``note_before``) stand in for meetings Meet says nothing
    about now, so good figures are never replaced by nothing. ``extra`` is appended to the note.
    ``provider`` names the service the records came from in the note ("Meet" or "Zoom").
    """
    done = [o.meeting for o in outcomes]
    memory = remembered(note_before, minutes_before, done)
    values: list[tuple[Meeting, int | None, MeetingStatus]] = []
    for outcome in outcomes:
        key = outcome.meeting.key
        if outcome.status is MeetingStatus.HELD and person is not None:
            values.append((outcome.meeting, outcome.minutes.get(person, 0), outcome.status))
        else:
            values.append((outcome.meeting, memory.get(key), outcome.status))
    known = [(m, v) for m, v, _ in values if v is not None]
    fresh = any(s is MeetingStatus.HELD and person is not None for _, _, s in values)
    lost = tuple(m.key for m, v, s in values if v is None and s is MeetingStatus.GONE)

    verdict: str | None = None
    minutes = attended_text = None
    if known:
        minutes = sum(v for _, v in known)
        attended = sum(1 for m, v in known if v >= rules.threshold * m.scheduled_minutes)
        attended_text = f"{attended} of {len(known)}"
        verdict = YES if attended / len(known) >= rules.min_attendance else NO

    override = coordinator_says(coordinator)
    if override is not None:
        differs = verdict and verdict != override
        source = FROM_COORDINATOR + (f" ({provider} says {verdict})" if differs else "")
    elif verdict is not None:
        source = _named((FROM_MEET if fresh else EARLIER_FIGURES) if minutes else NOT_IN_MEET, provider)
    elif lost:
        source = _named(RECORDS_GONE, provider)
    else:
        source = _named(NO_MEET_DATA, provider)
    parts = [source]
    if lost and source != _named(RECORDS_GONE, provider):
        parts.append(f"{_named(RECORDS_GONE, provider)}: {', '.join(lost)}")
    if extra:
        parts.append(extra)
    if values and (known or lost):
        parts.append(MEMORY_LABEL + ", ".join(
            f"{m.key} {v if v is not None else s.value}" for m, v, s in values))
    return StudentAttendance(minutes=minutes, meetings_attended=attended_text,
                             attended=override or verdict, note="; ".join(parts), lost=lost)
