"""Attendance (the day after each meeting, until 29 days after the last): Meet's records → sheet.

For each session, the conference records of its Meet space are read (conference → participants
→ participant sessions), each signed-in participant's ``users/{id}`` is turned into an address
by the directory (once per user per run), and the addresses are matched to the placed students'
school addresses. The Participants tab gets Minutes, Meetings attended ("2 of 3"), Attended
(yes/no; the coordinator's Attendance column wins) and a note saying where the figure came from.

Meetings still to come, or not yet over, are skipped. Meet deletes records 30 days after a
meeting: figures read earlier stay (they are kept in the note), and a meeting nobody read in
time is reported loudly. People in the call who are not placed students of the session (the
partner, the teacher, guests, phone callers) are counted, never matched by name. Everything is
read once and written with one Participants upsert, so a rerun with nothing new writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from microintern.config import Session
from microintern.domain import program_sheet as sheet
from microintern.domain.attendance import (
    MEET_SOURCE,
    ZOOM_SOURCE,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    Rules,
    conferences_by_meeting,
    ended,
    meetings,
    minutes_by_person,
    status_without_record,
    student_attendance,
)
from microintern.domain.records import Cell, Conference, Record
from microintern.domain.sessions import SessionPlan, is_placed, text
from microintern.domain.video import zoom_meeting_id
from microintern.errors import BackendError
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import partner_of
from microintern.steps.sheet.applicants import school_addresses
from microintern.steps.sheet.sessions import read_session_plans

TABS = (sheet.SESSIONS, sheet.PARTICIPANTS, sheet.APPLICATIONS)
NO_SPACE = "the session has no Meet space"
LOOKUP_OFF = "attendance.lookup is none: Meet participants are not named"
NO_RECORDS_BACKEND = "this backend keeps no Meet records"
NO_EMAIL = "no usable school email address in Applications"


@dataclass
class _Read:
    """What Meet said about one session's ended meetings, and who else was there."""

    outcomes: list[MeetingOutcome]
    why_not: str = ""          # set when Meet could not be read this run (the note says it)
    strangers: int = 0         # signed-in or not, people who are not placed students
    unknown_names: tuple[str, ...] = ()  # per stranger: "signed in" or "not signed in"
    source: str = MEET_SOURCE  # the service the notes name (issue 18: Zoom for a Zoom session)


class _Names:
    """``users/{id}`` → casefolded address through the directory, each user asked once per run."""

    def __init__(self, ctx: StepContext) -> None:
        self.directory = ctx.ports.directory
        self.cache: dict[str, str | None] = {}

    def of(self, user: str) -> str | None:
        """The user's address, casefolded (None when the directory does not know them)."""
        if user not in self.cache:
            assert self.directory is not None
            email = self.directory.email_of(user)
            self.cache[user] = email.strip().casefold() if email else None
        return self.cache[user]


def _unavailable(done: Sequence[Meeting], why: str) -> _Read:
    return _Read([MeetingOutcome(m, MeetingStatus.UNAVAILABLE) for m in done], why)


def _read_meet(ctx: StepContext, session: Session, plan: SessionPlan, done: Sequence[Meeting],
               students: set[str], names: _Names, result: StepResult) -> _Read:
    """Each ended meeting's outcome for the session, or why Meet could not be read."""
    ports = ctx.ports
    if not plan.meet_space:
        return _unavailable(done, NO_SPACE)
    zoom = zoom_meeting_id(plan.meet_space)
    if zoom is not None:
        return replace(_read_zoom(ctx, session, zoom, done, students, result), source=ZOOM_SOURCE)
    if ports.meet_records is None:
        return _unavailable(done, NO_RECORDS_BACKEND)
    if ctx.config.attendance.lookup == "none":
        return _unavailable(done, LOOKUP_OFF)
    if ports.directory is None:
        result.problems.append(f"{session.id}: no directory to name Meet participants (the sign-in "
                               "for attendance.lookup failed: see docs/attendance.md)")
        return _unavailable(done, "no directory to name Meet participants")
    try:
        conferences = ports.meet_records.conferences(plan.meet_space)
    except BackendError as exc:
        if exc.retryable or exc.code not in (401, 403, 404):
            raise
        result.problems.append(f"{session.id}: Meet refused to give the conference records ({exc}); "
                               "the Attendance column is the only source")
        return _unavailable(done, "Meet refused the conference records")
    by_meeting = conferences_by_meeting(done, conferences)
    used = [c for found in by_meeting.values() for c in found]
    try:
        person_of, asked = _people(used, names)
    except BackendError as exc:
        if exc.retryable or exc.code not in (401, 403):
            raise
        result.problems.append(f"{session.id}: the directory refused to name Meet participants ({exc}); "
                               "check attendance.lookup and its scope (docs/attendance.md)")
        return _unavailable(done, "the directory refused to name Meet participants")
    if asked and not any(names.cache.get(u) for u in asked):
        # Every lookup came back empty: a directory that answers nothing would otherwise mark
        # every student absent.
        result.problems.append(f"{session.id}: the directory named none of the {len(asked)} signed-in "
                               "Meet participant(s); check attendance.lookup and its scope "
                               "(docs/attendance.md). Nothing was taken from Meet")
        return _unavailable(done, "the directory named no Meet participant")

    now = ctx.now
    outcomes: list[MeetingOutcome] = []
    for meeting in done:
        found = by_meeting[meeting.number]
        if found:
            outcomes.append(MeetingOutcome(meeting, MeetingStatus.HELD,
                                           minutes_by_person(found, person_of, now)))
        else:
            outcomes.append(MeetingOutcome(meeting, status_without_record(meeting, now)))
    read = _Read(outcomes)
    _strangers(ctx, session, used, person_of, students, read)
    return read


def _read_zoom(ctx: StepContext, session: Session, meeting_id: str, done: Sequence[Meeting],
               students: set[str], result: StepResult) -> _Read:
    """The same outcomes from Zoom's past-meeting participants (emails given: no directory)."""
    if ctx.ports.zoom is None:
        return _unavailable(done, "this run has no Zoom connection")
    try:
        conferences = ctx.ports.zoom.conferences(meeting_id)
    except BackendError as exc:
        if exc.retryable or exc.code not in (400, 401, 403, 404):
            raise
        # A 400 is Zoom's answer on plans without reports (Pro and up have them).
        result.problems.append(f"{session.id}: Zoom refused the participants report ({exc}); the "
                               "Attendance column is the only source")
        return _unavailable(done, "Zoom refused the participants report")
    by_meeting = conferences_by_meeting(done, conferences)
    used = [c for found in by_meeting.values() for c in found]
    person_of = {p.name: p.user.strip().casefold() for c in used for p in c.participants if p.user}
    outcomes = [MeetingOutcome(m, MeetingStatus.HELD, minutes_by_person(by_meeting[m.number], person_of,
                                                                         ctx.now))
                if by_meeting[m.number] else MeetingOutcome(m, status_without_record(m, ctx.now))
                for m in done]
    read = _Read(outcomes)
    _strangers(ctx, session, used, person_of, students, read)
    return read


def _people(conferences: Sequence[Conference], names: _Names) -> tuple[dict[str, str], set[str]]:
    """Participant name → casefolded address for signed-in participants the directory knows."""
    person_of: dict[str, str] = {}
    asked: set[str] = set()
    for conference in conferences:
        for participant in conference.participants:
            if participant.user:
                asked.add(participant.user)
                email = names.of(participant.user)
                if email:
                    person_of[participant.name] = email
    return person_of, asked


def _strangers(ctx: StepContext, session: Session, conferences: Sequence[Conference],
               person_of: Mapping[str, str], students: set[str], read: _Read) -> None:
    """Count the people in the calls who are not placed students; name only the real strangers."""
    config = ctx.config
    staff = {partner_of(config, session).contact.email.casefold(), session.teacher.email.casefold(),
             config.coordinator.email.casefold()}
    seen: set[str] = set()
    names: list[str] = []
    for conference in conferences:
        for participant in conference.participants:
            email = person_of.get(participant.name)
            if email in students:
                continue
            who = email or participant.user or participant.name
            if who in seen:
                continue
            seen.add(who)
            read.strangers += 1
            if email in staff:
                continue
            # Counted, never named: a "stranger" may be a student of another session, a student
            # the directory cannot name, or a phone number, and problem lines reach cron's mail.
            names.append("signed in" if participant.user else "not signed in")
    read.unknown_names = tuple(names)


def _same(before: Cell, after: Cell) -> bool:
    """Cells equal as the sheet shows them (a number may read back as 88 or 88.0)."""
    if isinstance(after, int) and isinstance(before, int | float) and not isinstance(before, bool):
        return before == after
    return text(before) == text(after)


def _row_update(row: Record, cells: Mapping[str, Cell]) -> Record | None:
    """The Participants update for ``row`` holding only cells that change (None: unchanged).

    A None in ``cells`` leaves that cell as it is: figures are never replaced by nothing.
    """
    changed = {k: v for k, v in cells.items() if v is not None and not _same(row.get(k), v)}
    if not changed:
        return None
    return {sheet.APPLICANT_ID: text(row.get(sheet.APPLICANT_ID)), **changed}


def take_attendance(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Fill Minutes, Meetings attended, Attended and the note of each placed student.

    One read of the tabs, Meet's records once per session, one Participants upsert for every
    row whose cells change (none on a rerun with nothing new).
    """
    config = ctx.config
    result = StepResult()
    tabs = ctx.ports.roster.read_tabs(list(TABS))
    plans = read_session_plans(ctx, tabs)
    addresses = {k: v.casefold() for k, v in school_addresses(config, tabs[sheet.APPLICATIONS]).items()}
    seats: dict[str, list[Record]] = {}
    for row in tabs[sheet.PARTICIPANTS]:
        if is_placed(row) and text(row.get(sheet.APPLICANT_ID)):
            seats.setdefault(text(row.get(sheet.SESSION_ID)), []).append(row)
    rules = Rules(config.attendance.threshold, config.badge.min_attendance)
    names = _Names(ctx)
    wanted = set(session_ids) if session_ids is not None else None
    updates: list[Record] = []
    for session in config.sessions:
        if wanted is not None and session.id not in wanted:
            continue
        plan = plans[session.id]
        placed = seats.get(session.id, [])
        done = ended(meetings(plan.meetings()), ctx.now)
        if plan.cancelled:
            result.add("cancelled sessions")
            continue
        if not placed or not done:
            result.add("sessions with no meeting over yet" if placed else "sessions without students")
            continue
        students = {addresses[a] for a in (text(r.get(sheet.APPLICANT_ID)) for r in placed) if a in addresses}
        read = _read_meet(ctx, session, plan, done, students, names, result)
        updates.extend(_session_rows(session, placed, addresses, read, rules, result))
    result.add("directory lookups", len(names.cache))
    if updates:
        ctx.ports.roster.upsert(sheet.PARTICIPANTS, sheet.APPLICANT_ID, updates)
    result.add("rows written", len(updates))
    return result


def _session_rows(session: Session, placed: Sequence[Record], addresses: Mapping[str, str], read: _Read,
                  rules: Rules, result: StepResult) -> list[Record]:
    """The session's Participants updates; counts and problems into ``result``."""
    held = sum(1 for o in read.outcomes if o.status is MeetingStatus.HELD)
    result.add("meetings read from Meet", held)
    if read.strangers:
        result.add("unknown participants", read.strangers)
    if read.unknown_names:
        signed_in = sum(1 for kind in read.unknown_names if kind == "signed in")
        result.problems.append(
            f"{session.id}: {len(read.unknown_names)} participant(s) are not placed students, the "
            f"partner or the teacher ({signed_in} signed in, {len(read.unknown_names) - signed_in} "
            "not signed in). Meet's attendance report shows who they were; a student who joined "
            "from another account needs the Attendance column set by hand")
    for outcome in read.outcomes:
        if outcome.status is MeetingStatus.NO_RECORD:
            result.problems.append(
                f"{session.id}: meeting {outcome.meeting.number} ({outcome.meeting.key}) has no Meet "
                "conference record yet: was it held in the session's Meet space?")
    updates: list[Record] = []
    lost: dict[str, int] = {}
    for row in placed:
        applicant = text(row.get(sheet.APPLICANT_ID))
        person = addresses.get(applicant)
        extra = read.why_not or ("" if person else NO_EMAIL)
        figures = student_attendance(
            read.outcomes, person, coordinator=row.get(sheet.ATTENDANCE),
            note_before=row.get(sheet.ATTENDANCE_NOTE), minutes_before=row.get(sheet.MINUTES),
            rules=rules, extra=extra, provider=read.source)
        for key in figures.lost:
            lost[key] = lost.get(key, 0) + 1
        if figures.attended:
            result.add(f"attended {figures.attended}")
        update = _row_update(row, {sheet.MINUTES: figures.minutes,
                                   sheet.MEETINGS_ATTENDED: figures.meetings_attended,
                                   sheet.ATTENDED: figures.attended,
                                   sheet.ATTENDANCE_NOTE: figures.note})
        if update is not None:
            updates.append(update)
    for key, count in lost.items():
        result.add("meetings with records gone")
        result.problems.append(
            f"ATTENTION {session.id}: Meet no longer has the conference records of the meeting of "
            f"{key} (Meet keeps them 30 days) and {count} student(s) have no figure for it: fill "
            "their Attendance column by hand")
    return updates
