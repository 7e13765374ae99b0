"""Sessions as the coordinator plans them, and what building one on Calendar and Meet means.

The Sessions tab is seeded from the config; after that the coordinator may edit a session's
``Meetings`` (local wall times "YYYY-MM-DD HH:MM" joined by "; ") and ``Status`` (blank,
"scheduled" or "cancelled") in the sheet, and the sheet wins. Everything here is pure: the
steps read the tabs and call the ports.

The ``Calendar`` column says in words what is on the calendar ("3 events on the calendar,
2027-03-16 15:30 to 2027-03-30 15:30; last written 2027-02-20 06:30"), then, after
:data:`MEMO_SEPARATOR`, the tool's memo of what it last wrote, so a rerun makes no call at all
when nothing changed. The memo holds space-separated tokens: ``meet:<digest>`` for the Meet
settings last applied, then one token per meeting, in order: ``<digest>@<local start>`` for an
event written as it stands, ``cancelled@<local start>`` for one cancelled, ``-`` for one not
written yet. The memo stays in the same cell (not a column of its own) so that it can never be
separated from its row by a sort, and it sits at the end where the Built column next to it
hides it; a cell from before the words (memo only) is still read, and rewritten once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from microintern.config import ProgramConfig, Session
from microintern.domain import program_sheet as sheet
from microintern.domain.dates import DATE_TIME
from microintern.domain.records import CalendarEvent, Cell, EventStatus, MeetSettings, Record
from microintern.domain.wall_time import gap_problem, in_gap, meeting_problem
from microintern.errors import RowError

WALL_FORMAT = DATE_TIME  # the Meetings cell: the program's one layout for a moment
MEETING_SEPARATOR = "; "
SCHEDULED = "scheduled"
CANCELLED = "cancelled"
# US spelling too: a coordinator typing it by hand means the same thing.
_CANCELLED_SPELLINGS = frozenset({"cancelled", "canceled"})
PLACED_STATES = frozenset({"placed", "override"})
RECORDING_CONSENT = "Recording consent"          # Partners tab, from the industry form
SESSION_BUILT = "session built"                   # the partner status once a session is built

# The join rule of the toolkit: minutes before the start.
TEACHER_OPENS = 15
PARTNER_JOINS = 10
STUDENTS_ADMITTED = 5

# What an adapter says when the Workspace edition refuses a Meet feature; the step recognises
# the recording one to keep the Recording column honest.
RECORDING_UNAVAILABLE = ("auto-recording is not available in this Workspace edition: "
                         "record by hand if every release allows it")
ATTENDANCE_UNAVAILABLE = ("attendance reports are not available in this Workspace edition: "
                          "take attendance by hand")

# Written by the tool ("2027-03-16 15:30"), typed by hand, or read back from a date value
# (Sheets: "2027-03-16 15:30:00"; the local workbook: "2027-03-16T15:30:00").
_ISO_WALL = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::00)?")
# Sheets turns a typed date-time into a date value and reads it back in the sheet's locale;
# the US form is the common one in a US district.
_US_WALL = re.compile(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?")
_DIGEST = re.compile(r"[0-9a-f]{12}")
_MEET_PREFIX = "meet:"
_BROADCAST_PREFIX = "yt:"   # the showcase broadcast asked for (issue 18)
NOT_WRITTEN = "-"
# Between the Calendar cell's words and the tool's memo. "||" never occurs in the words.
MEMO_SEPARATOR = " || for the tool: "
_MEMO_MARK = "||"
_MEMO_LABEL = "for the tool:"
_MEMO_STAMP = "%Y-%m-%dT%H:%M"   # inside the memo only: one word per token


@dataclass(frozen=True)
class SessionPlan:
    """One session as it stands: config plus the coordinator's edits and the tool's cells.

    ``starts`` are aware datetimes in the program's zone (DST-correct wall times).
    ``recording`` is what the Recording column says was set up; ``recording_note`` says why.
    """

    session_id: str
    title: str
    partner_id: str
    starts: tuple[datetime, ...]
    duration: timedelta
    cancelled: bool
    meet_link: str
    meet_space: str
    recording: bool
    recording_note: str
    broadcast_url: str = ""   # a showcase's YouTube watch link (Broadcast column)

    def meetings(self) -> list[tuple[datetime, datetime]]:
        """Each meeting's (start, end), in order."""
        return [(start, start + self.duration) for start in self.starts]


def text(value: Cell) -> str:
    """A cell as stripped text (blank for None)."""
    return "" if value is None else str(value).strip()


# --- the Meetings and Status cells ---------------------------------------------------------------


def format_meetings(starts: Iterable[datetime]) -> str:
    """The Meetings cell for these starts: local wall times joined by "; "."""
    return MEETING_SEPARATOR.join(start.strftime(WALL_FORMAT) for start in starts)


def _wall_time(part: str) -> datetime | None:
    """One local wall time in a form the sheet may hold, or None."""
    iso = _ISO_WALL.fullmatch(part)
    if iso:
        year, month, day, hour, minute = (int(g) for g in iso.groups())
        try:
            return datetime(year, month, day, hour, minute)
        except ValueError:
            return None
    if _US_WALL.fullmatch(part):
        compact = re.sub(r"\s*([AaPp][Mm])$", r" \1", part).upper()
        for layout in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p",
                       "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"):
            try:
                return datetime.strptime(compact, layout)
            except ValueError:
                continue
    return None


def parse_meetings(cell: Cell, zone: ZoneInfo, session_id: str,
                   duration: timedelta | None = None) -> tuple[datetime, ...]:
    """The Meetings cell as aware starts in ``zone``, sorted; RowError when unreadable.

    A start in the hour the clocks skip when DST starts is refused, and with ``duration`` also
    an end there (start + duration on the clock) or a clock change during the meeting: the
    meeting would silently be cut short or run long.
    """
    raw = text(cell)
    if not raw:
        raise RowError(sheet.SESSIONS, session_id, sheet.SESSION_MEETINGS,
                       "expected at least one local time like 2027-03-16 15:30 (to call the "
                       "session off, set Status to cancelled), found nothing")
    starts = []
    for part in (p.strip() for p in re.split(r"[;\n]", raw)):
        if not part:
            continue
        wall = _wall_time(part)
        if wall is None:
            raise RowError(sheet.SESSIONS, session_id, sheet.SESSION_MEETINGS,
                           f"expected local times like 2027-03-16 15:30 separated by '; ', "
                           f"found {part[:40]!r}")
        wall = wall.replace(second=0, microsecond=0)
        why = (meeting_problem(wall, duration, zone) if duration is not None
               else f"a meeting starting at {gap_problem(wall, zone)}" if in_gap(wall, zone)
               else None)
        if why is not None:
            raise RowError(sheet.SESSIONS, session_id, sheet.SESSION_MEETINGS,
                           f"expected real local times with no clock change during a meeting, "
                           f"found {why}")
        starts.append(wall.replace(tzinfo=zone))
    if len(set(starts)) != len(starts):
        raise RowError(sheet.SESSIONS, session_id, sheet.SESSION_MEETINGS,
                       "expected each meeting once, found a time listed twice")
    return tuple(sorted(starts))


def parse_status(cell: Cell, session_id: str) -> bool:
    """True when the Status cell cancels the session; RowError for an unknown status."""
    status = text(cell).casefold()
    if status in ("", SCHEDULED):
        return False
    if status in _CANCELLED_SPELLINGS:
        return True
    raise RowError(sheet.SESSIONS, session_id, sheet.SESSION_STATUS,
                   f"expected blank, {SCHEDULED!r} or {CANCELLED!r}, found {text(cell)[:40]!r}")


# --- the Sessions tab ---------------------------------------------------------------------------


def _seed(session: Session) -> Record:
    return {
        sheet.SESSION_ID: session.id,
        "Title": session.title,
        sheet.PARTNER_ID: session.partner,
        "Teacher": session.teacher.name,
        sheet.SESSION_MEETINGS: format_meetings(session.meeting_starts()),
        sheet.SESSION_STATUS: SCHEDULED,
    }


def session_rows(config: ProgramConfig, present: Mapping[str, Record]) -> list[Record]:
    """Rows that seed the Sessions tab from the config (nothing for a tab already complete).

    A session missing from the tab gets a whole row; a row that exists (another step may have
    added it with its id only) gets only its blank seed cells filled. A cell the coordinator
    filled in is never written.
    """
    rows: list[Record] = []
    for session in config.sessions:
        seed = _seed(session)
        row = present.get(session.id)
        if row is None:
            rows.append(seed)
            continue
        blanks = {k: v for k, v in seed.items() if k != sheet.SESSION_ID and not text(row.get(k))}
        if blanks:
            rows.append({sheet.SESSION_ID: session.id, **blanks})
    return rows


def session_plan(config: ProgramConfig, session: Session, row: Mapping[str, Cell]) -> SessionPlan:
    """The plan of ``session`` from its Sessions row (seed cells already filled in)."""
    recording_note = text(row.get(sheet.SESSION_RECORDING))
    return SessionPlan(
        session_id=session.id,
        title=session.title,
        partner_id=session.partner,
        starts=parse_meetings(row.get(sheet.SESSION_MEETINGS), config.zone, session.id,
                              timedelta(minutes=session.duration_minutes)),
        duration=timedelta(minutes=session.duration_minutes),
        cancelled=parse_status(row.get(sheet.SESSION_STATUS), session.id),
        meet_link=text(row.get(sheet.SESSION_MEET_LINK)),
        meet_space=text(row.get(sheet.SESSION_MEET_SPACE)),
        recording=recording_note.casefold().startswith("on"),
        recording_note=recording_note,
        broadcast_url=text(row.get(sheet.SESSION_BROADCAST)),
    )


def meeting_to_announce(starts: Sequence[datetime], now: datetime, *, days_before: int,
                        every_meeting: bool) -> int | None:
    """The index of the meeting a letter sent ``days_before`` days ahead covers at ``now``.

    The first meeting is covered by any run before it (a coordinator may send its letter early
    by hand, as before multi-week reminders existed). With ``every_meeting`` a later meeting is
    covered only on its own day (``days_before`` local days ahead), so a daily run sends each
    meeting's letter once, on the right day. None when there is nothing to send today.
    """
    if not starts:
        return None
    if not every_meeting or len(starts) == 1:
        return 0
    zone = starts[0].tzinfo
    target = now.astimezone(zone).date() + timedelta(days=days_before)
    for index, start in enumerate(starts):
        day = start.astimezone(zone).date()
        if day >= target:
            return index if index == 0 or day == target else None
    return None


def meeting_key(session_id: str, starts: Sequence[datetime], index: int) -> str:
    """The session part of a letter's Outbox key for meeting ``index`` of a session.

    The first meeting keeps the plain session id (the key letters had before every meeting got
    its own), so a program already running is not reminded twice; a later one is
    ``<session>@<local date>``.
    """
    if index == 0:
        return session_id
    return f"{session_id}@{starts[index].date().isoformat()}"


# --- who takes part ------------------------------------------------------------------------------


def is_placed(row: Mapping[str, Cell]) -> bool:
    """True for a Participants row with a seat (placed by the tool or by an override)."""
    return text(row.get(sheet.PLACEMENT)).casefold() in PLACED_STATES


def _yes(value: Cell) -> bool:
    return text(value).casefold() == "yes"


def recording_decision(video_setting: str, partner_consent: Cell,
                       participants: Sequence[Mapping[str, Cell]]) -> tuple[bool, str]:
    """Whether a session's Meet records itself, and a plain note saying why (no names).

    On only when the program allows it (``if_every_release_allows``), the partner agreed on the
    industry form, at least one student is placed, and every placed student's release form
    allows recording. A release form not returned yet counts as no.
    """
    if video_setting != "if_every_release_allows":
        return False, "off: recording is turned off for the program"
    if not _yes(partner_consent):
        return False, "off: the partner has not agreed to recording"
    placed = [row for row in participants if is_placed(row)]
    if not placed:
        return False, "off: no student is placed yet"
    refused = [row for row in placed if not _yes(row.get(sheet.RECORDING_ALLOWED))]
    if refused:
        missing = sum(1 for row in refused if not text(row.get(sheet.RECORDING_ALLOWED)))
        note = f"off: {len(refused)} of {len(placed)} release forms do not allow recording"
        return False, note + (f" ({missing} not returned yet)" if missing else "")
    return True, f"on: all {len(placed)} release forms allow recording and the partner agreed"


def meet_settings(config: ProgramConfig, cohosts: Sequence[str], recording: bool) -> MeetSettings:
    """The Meet space a session needs: restricted, the program's video settings, co-hosts."""
    unique: list[str] = []
    for email in cohosts:
        if email and email.casefold() not in {u.casefold() for u in unique}:
            unique.append(email)
    return MeetSettings(
        restricted=True,
        moderation=config.video.moderation,
        auto_recording=recording,
        attendance_report=config.video.attendance_report,
        cohosts=tuple(unique),
    )


def moves_partner_on(current: Cell, target: str = SESSION_BUILT) -> bool:
    """True when a partner at ``current`` status should move on to ``target``.

    Only forward along :data:`~microintern.domain.program_sheet.PARTNER_STATUSES`: a status
    the coordinator set that comes later (thanked, declined) or one the tool does not know
    is left alone. Blank counts as the first status.
    """
    order = sheet.PARTNER_STATUSES
    status = text(current).casefold() or order[0]
    if status not in order:
        return False
    return order.index(status) < order.index(target)


# --- Calendar events -----------------------------------------------------------------------------


def event_id(program_id: str, session_id: str, number: int) -> str:
    """The Calendar id of meeting ``number`` (1-based) of a session: stable, base32hex.

    A hex digest uses only ``0-9a-f``, a subset of base32hex, and 32 characters sit well inside
    Calendar's 5-1024; the same meeting always gets the same id, so a rerun cannot duplicate it.
    """
    material = f"{program_id}\x1f{session_id}\x1f{number}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def _clock(moment: datetime) -> str:
    return moment.strftime("%-I:%M %p")


def event_description(*, organization: str, number: int, series: bool, start: datetime,
                      meet_link: str, coordinator: str, service: str = "Google Meet") -> str:
    """The event's text: the Meet link and the join rule. Never a student's name.

    A meeting of a series says its number but not the total: dropping the last meeting would
    otherwise rewrite (and re-announce to every guest) each meeting before it.
    """
    lines = [f"Micro-internship with {organization}" + (f" (meeting {number})." if series else ".")]
    if meet_link:
        lines.append(f"Join with {service}: {meet_link}")
    lines += [
        "",
        "How we join:",
        f"- the teacher opens the room at {_clock(start - timedelta(minutes=TEACHER_OPENS))} "
        f"({TEACHER_OPENS} minutes before the start);",
        f"- the partner joins at {_clock(start - timedelta(minutes=PARTNER_JOINS))} "
        f"({PARTNER_JOINS} minutes before);",
        f"- students are admitted from {_clock(start - timedelta(minutes=STUDENTS_ADMITTED))} "
        f"({STUDENTS_ADMITTED} minutes before).",
        "",
        "Only invited guests join without knocking; guests do not see each other's addresses.",
        f"Questions: {coordinator}",
    ]
    return "\n".join(lines)


def event_digest(event: CalendarEvent) -> str:
    """A 12-character fingerprint of everything an event says (what a rewrite would change)."""
    content = {
        "id": event.event_id, "summary": event.summary, "description": event.description,
        "start": event.start.isoformat(), "end": event.end.isoformat(),
        "zone": event.time_zone, "attendees": list(event.attendees), "meet": event.meet_uri,
        "status": event.status.value, "reminders": list(event.reminder_minutes),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]


def settings_digest(settings: MeetSettings) -> str:
    """A 12-character fingerprint of the Meet settings asked for."""
    content = [settings.restricted, settings.moderation, settings.auto_recording,
               settings.attendance_report, sorted(c.casefold() for c in settings.cohosts)]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:12]


def event_token(event: CalendarEvent, wall_start: datetime) -> str:
    """The Calendar column's token for an event as written (cancelled ones by their start)."""
    stamp = wall_start.strftime(_MEMO_STAMP)
    if event.status is EventStatus.CANCELLED:
        return f"{CANCELLED}@{stamp}"
    return f"{event_digest(event)}@{stamp}"


@dataclass(frozen=True)
class LastBuild:
    """What the Calendar column says was last written for a session."""

    meet: str = ""                   # digest of the Meet settings applied, "" when none
    events: tuple[str, ...] = ()     # one token per meeting number (1 at index 0)
    broadcast: str = ""              # digest of the YouTube broadcast asked for, "" when none

    @classmethod
    def parse(cls, cell: Cell) -> LastBuild:
        """Read the column's memo; tokens it cannot read count as not written (a rewrite fixes them).

        The memo is what follows the separator; a cell without one is a memo from before the
        words, unless it holds the words (the separator was deleted by hand): then nothing is
        known and every event is written again (idempotent: same ids, no second event).
        """
        memo = _memo_part(cell)
        if memo is None:
            return cls()
        meet = broadcast = ""
        events: list[str] = []
        for token in memo.split():
            if token.startswith(_MEET_PREFIX):
                digest = token[len(_MEET_PREFIX):]
                meet = digest if _DIGEST.fullmatch(digest) else ""
            elif token.startswith(_BROADCAST_PREFIX):
                digest = token[len(_BROADCAST_PREFIX):]
                broadcast = digest if _DIGEST.fullmatch(digest) else ""
            else:
                events.append(token if token_start(token) is not None else NOT_WRITTEN)
        return cls(meet, tuple(events), broadcast)

    def cell(self) -> str:
        """The memo: the tokens the column keeps after :data:`MEMO_SEPARATOR`."""
        tokens = [f"{_MEET_PREFIX}{self.meet}"] if self.meet else []
        if self.broadcast:
            tokens.append(f"{_BROADCAST_PREFIX}{self.broadcast}")
        events = list(self.events)
        while events and events[-1] == NOT_WRITTEN:
            events.pop()
        return " ".join(tokens + events)


def token_start(token: str) -> datetime | None:
    """The local wall start a written token remembers (None for ``-`` or an unreadable one)."""
    head, _, stamp = token.partition("@")
    if head != CANCELLED and not _DIGEST.fullmatch(head):
        return None
    try:
        return datetime.strptime(stamp, _MEMO_STAMP)
    except ValueError:
        return None


def is_live(token: str) -> bool:
    """True for a token of an event written and not cancelled."""
    return token_start(token) is not None and not token.startswith(CANCELLED + "@")


def _memo_part(cell: Cell) -> str | None:
    """The memo in a Calendar cell ("" when blank), or None when the words lost their separator."""
    raw = text(cell)
    if _MEMO_MARK in raw:
        memo = raw.rpartition(_MEMO_MARK)[2].strip()
        return memo[len(_MEMO_LABEL):].strip() if memo.startswith(_MEMO_LABEL) else memo
    return None if _SUMMARY_WORDS in raw else raw


_SUMMARY_WORDS = " on the calendar"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def calendar_summary(last: LastBuild, *, planned: int, written: str = "") -> str:
    """The Calendar cell's words: events on the calendar, their span, what is cancelled or missing.

    ``planned`` is how many meetings the session has now (0 when it is cancelled), so that a
    build cut short says how many are still to be written; ``written`` is when the tool last
    wrote (:data:`~microintern.domain.dates.DATE_TIME`), left out when unknown. No names.
    """
    live = sorted(start for token in last.events if is_live(token)
                  for start in [token_start(token)] if start is not None)
    cancelled = sum(1 for token in last.events if token.startswith(CANCELLED + "@"))
    missing = sum(1 for index in range(planned)
                  if index >= len(last.events) or last.events[index] == NOT_WRITTEN)
    words = _plural(len(live), "event") + _SUMMARY_WORDS
    if live:
        words += f", {live[0]:{WALL_FORMAT}}"
        if len(live) > 1:
            words += f" to {live[-1]:{WALL_FORMAT}}"
    if cancelled:
        words += f"; {cancelled} cancelled"
    if missing:
        words += f"; {missing} not written yet"
    if written:
        words += f"; last written {written}"
    return words


def calendar_cell(last: LastBuild, *, planned: int, written: str = "") -> str:
    """The whole Calendar cell: the words, then the memo after the separator ("" before any build)."""
    memo = last.cell()
    if not memo:
        return ""
    return calendar_summary(last, planned=planned, written=written) + MEMO_SEPARATOR + memo


def calendar_cell_current(cell: Cell, last: LastBuild) -> bool:
    """True when ``cell`` already has the words and the memo ``last`` (nothing to write).

    Only the memo is compared, not the words: they are derived from it, and the time in them
    comes from the Built cell, which a spreadsheet may hand back in another form.
    """
    raw = text(cell)
    if not last.cell():
        return not raw
    return MEMO_SEPARATOR.strip() in raw and _memo_part(raw) == last.cell()
