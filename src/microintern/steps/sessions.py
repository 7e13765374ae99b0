"""Sessions (T-3w): a Meet space and one Calendar event per meeting, for each session.

Each session with a placed student gets a restricted Meet space (the partner and the teacher
as co-hosts, recording only when every release allows it) and one event per meeting, with
deterministic ids, guests hidden from each other. The space belongs to the session's first
event (:meth:`~microintern.ports.MeetRooms.space_for_event`), so a lost answer or a kill never
leaves a second space: the rerun finds the same one through the event. The Calendar column remembers what was
written, so a rerun with nothing changed makes no Calendar or Meet call at all; a change in the
sheet (a new time, a new student, a cancellation) rewrites exactly the events it touches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from microintern.config import LANGUAGES, ProgramConfig, Session, localize, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.dates import moment_text, parse_moment
from microintern.domain.participation import Stage
from microintern.domain.records import CalendarEvent, EventStatus, MeetSettings, MeetSpace, Record
from microintern.domain.sessions import (
    NOT_WRITTEN,
    RECORDING_CONSENT,
    SESSION_BUILT,
    LastBuild,
    SessionPlan,
    calendar_cell,
    calendar_cell_current,
    event_description,
    event_id,
    event_token,
    is_live,
    is_placed,
    meet_settings,
    moves_partner_on,
    recording_decision,
    settings_digest,
    text,
    token_start,
)
from microintern.domain.video import ZOOM, provider_of
from microintern.errors import BackendError
from microintern.steps import video
from microintern.steps.context import StepContext, StepResult
from microintern.steps.letter_context import partner_of
from microintern.steps.mailing import outbox_by_key
from microintern.steps.sheet.applicants import school_addresses
from microintern.steps.sheet.participants import letter_waits, seated_students
from microintern.steps.sheet.partners import partner_rows
from microintern.steps.sheet.sessions import read_session_plans, rows_by_id

TABS = (sheet.SESSIONS, sheet.PARTICIPANTS, sheet.PARTNERS, sheet.APPLICATIONS, sheet.OUTBOX)


class _SessionBuild:
    """One session's build: what it writes, and the sheet cells that record it."""

    def __init__(self, ctx: StepContext, session: Session, plan: SessionPlan, row: Record,
                 result: StepResult) -> None:
        self.ctx = ctx
        self.session = session
        self.plan = plan
        self.row = row
        self.result = result
        self.last = LastBuild.parse(row.get(sheet.SESSION_CALENDAR))
        self.meet_digest = self.last.meet
        self.broadcast_digest = self.last.broadcast
        self.zoom = provider_of(ctx.config, session) == ZOOM  # Zoom instead of Meet (issue 18)
        self.tokens = list(self.last.events)
        self.changes: Record = {}
        self.calls = 0
        # Placed students not invited yet: their invitation waits, like their session details,
        # for the letters before it (named by build_sessions).
        self.waiting: frozenset[str] = frozenset()
        self.complete = False

    # --- the whole session ------------------------------------------------------------------

    def run(self, placed: Sequence[Record], addresses: Mapping[str, str], partner_row: Record) -> None:
        """Build (or cancel) the session; ``changes`` holds the cells to write, even on failure."""
        config = self.ctx.config
        if self.plan.cancelled:
            for index, token in enumerate(self.tokens):
                if is_live(token):
                    self._cancel(index, self._attendees(placed, addresses))
            if self.zoom:
                video.cancel_zoom(self)
            video.cancel_broadcast(self)
            self.result.add("cancelled sessions")
            return
        built_before = bool(self.plan.meet_space) or any(is_live(t) for t in self.tokens)
        if not placed and not built_before:
            self.result.add("waiting for students")
            return
        attendees = self._attendees(placed, addresses)
        count = len(self.plan.starts)
        if not self.zoom:
            video.leave_zoom(self)  # the program or the session moved back to Meet
        link = (video.zoom_link(self, placed, partner_row) if self.zoom
                else self._meet(placed, partner_row, attendees))
        calls_before_events = self.calls
        for index, (start, end) in enumerate(self.plan.meetings()):
            event = self._event(index, start, end, attendees, link, count > 1)
            token = event_token(event, start.replace(tzinfo=None))
            if self._token(index) == token:
                continue
            self.ctx.ports.calendar.upsert_event(config.google.calendar_id, event)
            self._remember(index, token)
            self.result.add("events written")
        # Meetings taken off the list (fewer than before) are called off.
        for index in range(count, len(self.tokens)):
            if is_live(self.tokens[index]):
                self._cancel(index, attendees)
        # Last: a showcase's broadcast never holds up the meeting and its invitations.
        video.showcase(self, placed, partner_row)
        # Students no longer placed lose their Zoom registration. Their leaving changed the
        # guests, so an event was written: a rerun with nothing changed calls Zoom for nothing.
        events_written = self.calls > calls_before_events
        if self.zoom and events_written and not video.cancel_unplaced(self, placed, addresses):
            self.tokens[:1] = [NOT_WRITTEN]  # the event is written again next run, and this with it
        self.complete = True

    def finish(self) -> Record:
        """The Sessions cells this build changed (the Built stamp when anything was written)."""
        zone = self.ctx.config.zone
        last = LastBuild(self.meet_digest, tuple(self.tokens), self.broadcast_digest)
        if self.calls:
            written = moment_text(self.ctx.now, zone)
            self.changes[sheet.SESSION_BUILT] = written
        else:
            # Nothing written now: an older cell is only brought to the readable form, with the
            # time the Built column already shows (when it can be read).
            built = parse_moment(text(self.row.get(sheet.SESSION_BUILT)), zone)
            written = moment_text(built) if built else ""
        if self.calls or not calendar_cell_current(self.row.get(sheet.SESSION_CALENDAR), last):
            planned = 0 if self.plan.cancelled else len(self.plan.starts)
            cell = calendar_cell(last, planned=planned, written=written)
            if cell != text(self.row.get(sheet.SESSION_CALENDAR)):
                self.changes[sheet.SESSION_CALENDAR] = cell
        if self.complete and not self.calls:
            self.result.add("unchanged")
        return self.changes

    # --- Meet -------------------------------------------------------------------------------

    def _meet(self, placed: Sequence[Record], partner_row: Record, attendees: tuple[str, ...]) -> str:
        """Create or update the session's space as needed; return its link."""
        config = self.ctx.config
        partner = partner_of(config, self.session)
        recording, note = recording_decision(config.video.recording, partner_row.get(RECORDING_CONSENT),
                                             placed)
        settings = meet_settings(config, (partner.contact.email, self.session.teacher.email), recording)
        digest = settings_digest(settings)
        link = self.plan.meet_link
        space: MeetSpace | None = None
        if not self.plan.meet_space:
            space = self._create(settings, attendees)
        elif digest != self.last.meet:
            self.calls += 1
            try:
                space = self.ctx.ports.meet.update_space(self.plan.meet_space, settings)
                self.result.add("spaces updated")
            except BackendError as exc:
                if exc.code != 404:
                    raise
                self.result.problems.append(
                    f"{self.session.id}: its Meet space no longer exists; a new one was made and "
                    "the calendar events now carry its link")
                space = self._create(settings, attendees)
        if space is not None:
            link = space.meeting_uri
            self.meet_digest = digest
            self.result.problems.extend(f"{self.session.id}: {n}" for n in space.notes)
        video.note_recording(self, recording, note, space.notes if space is not None else None)
        return link

    def _create(self, settings: MeetSettings, attendees: tuple[str, ...]) -> MeetSpace:
        """The session's space, made through its first event; recorded with the step's write.

        Safe to repeat: the space belongs to the first event's client-chosen id, so a kill or
        a lost answer before the Sessions tab is written costs a few reads on the rerun, which
        finds the same space, never a second one.
        """
        self.calls += 1
        start, end = next(iter(self.plan.meetings()))
        event = self._event(0, start, end, attendees, "", len(self.plan.starts) > 1)
        space = self.ctx.ports.meet.space_for_event(self.ctx.config.google.calendar_id, event, settings)
        record = {sheet.SESSION_MEET_SPACE: space.name, sheet.SESSION_MEET_LINK: space.meeting_uri}
        self.changes.update(record)
        self.row = {**self.row, **record}
        self.result.add("spaces created")
        return space

    # --- Calendar ---------------------------------------------------------------------------

    def _attendees(self, placed: Sequence[Record], addresses: Mapping[str, str]) -> tuple[str, ...]:
        """Placed students (sorted: the coordinator may sort the tab), the partner, the teacher."""
        config = self.ctx.config
        students = []
        unreachable = 0
        for row in placed:
            if text(row.get(sheet.APPLICANT_ID)) in self.waiting:
                continue
            address = addresses.get(text(row.get(sheet.APPLICANT_ID)))
            if address:
                students.append(address)
            else:
                unreachable += 1
        if unreachable:
            self.result.problems.append(
                f"{self.session.id}: {unreachable} placed student(s) have no usable school email "
                "address in the Applications tab and are not invited")
        guests: list[str] = []
        seen: set[str] = set()
        partner = partner_of(config, self.session)
        for address in [*sorted(students, key=str.casefold), partner.contact.email,
                        self.session.teacher.email]:
            if address.casefold() not in seen:
                seen.add(address.casefold())
                guests.append(address)
        return tuple(guests)

    def _event(self, index: int, start: datetime, end: datetime, attendees: tuple[str, ...],
               link: str, series: bool, status: EventStatus = EventStatus.CONFIRMED) -> CalendarEvent:
        config = self.ctx.config
        coordinator = f"{config.coordinator.name} ({config.coordinator.email})"
        return CalendarEvent(
            event_id=event_id(config.program.id, self.session.id, index + 1),
            summary=self.plan.title,
            description=titles_in_other_languages(config, self.session) + event_description(
                organization=partner_of(config, self.session).organization, number=index + 1,
                series=series, start=start, meet_link=link, coordinator=coordinator,
                service="Zoom" if self.zoom else "Google Meet"),
            start=start,
            end=end,
            time_zone=config.program.time_zone,
            attendees=attendees,
            meet_uri=None if self.zoom else (link or None),  # a Zoom link is no Meet conference
            status=status,
        )

    def _cancel(self, index: int, attendees: tuple[str, ...]) -> None:
        """Cancel the event of meeting ``index`` written earlier (its guests are told)."""
        wall = token_start(self.tokens[index])
        if wall is None:
            return
        start = localize(self.ctx.config, wall)
        event = self._event(index, start, start + self.plan.duration, attendees, self.plan.meet_link,
                            len(self.plan.starts) > 1 or index > 0, EventStatus.CANCELLED)
        self.ctx.ports.calendar.upsert_event(self.ctx.config.google.calendar_id, event)
        self._remember(index, event_token(event, wall))
        self.result.add("events cancelled")

    def _token(self, index: int) -> str:
        return self.tokens[index] if index < len(self.tokens) else NOT_WRITTEN

    def _remember(self, index: int, token: str) -> None:
        self.calls += 1
        self.tokens.extend([NOT_WRITTEN] * (index + 1 - len(self.tokens)))
        self.tokens[index] = token


def titles_in_other_languages(config: ProgramConfig, session: Session) -> str:
    """The session's title in each other program language, one line each, for the event's text.

    One Calendar event is shared by every guest (students of every family language, the
    partner, the teacher), so its title stays the default language's and the other languages'
    titles open its description: "Español: Defiende la red: un día en la ciberseguridad".
    Empty when no language's title differs from the default's.
    """
    default = config.program.default_language
    shown = text_in(session.title, default)
    lines = [f"{LANGUAGES.get(language, language)}: {title}"
             for language in config.program.languages
             if language != default and (title := text_in(session.title, language)) != shown]
    return "".join(f"{line}\n" for line in lines) + ("\n" if lines else "")


def _wanted(config: ProgramConfig, session_ids: Sequence[str] | None, result: StepResult) -> list[Session]:
    if session_ids is None:
        return list(config.sessions)
    known = {s.id for s in config.sessions}
    for unknown in sorted(set(session_ids) - known):
        result.problems.append(f"no session {unknown[:40]!r} in the config")
    return [s for s in config.sessions if s.id in set(session_ids)]


def build_sessions(ctx: StepContext, session_ids: Sequence[str] | None = None) -> StepResult:
    """Build the Meet space and Calendar events of each session (all when ``session_ids`` is None).

    Reads every tab it needs in one call; writes the spaces and everything else in one
    Sessions upsert at the end (and one Partners upsert when a partner
    moves on to "session built"). A session that fails does not stop the others: what was done
    is still recorded, then the step fails naming it.
    """
    config = ctx.config
    result = StepResult()
    roster = ctx.ports.roster
    tabs = roster.read_tabs(list(TABS))
    plans = read_session_plans(ctx, tabs)
    rows = rows_by_id(tabs[sheet.SESSIONS], sheet.SESSION_ID)
    partners = rows_by_id(tabs[sheet.PARTNERS], sheet.PARTNER_ID)
    seats: dict[str, list[Record]] = {}
    for row in tabs[sheet.PARTICIPANTS]:
        if is_placed(row) and text(row.get(sheet.APPLICANT_ID)):
            seats.setdefault(text(row.get(sheet.SESSION_ID)), []).append(row)
    addresses = school_addresses(config, tabs[sheet.APPLICATIONS])
    waiting = _invitations_waiting(ctx, tabs, session_ids, result)

    updates: list[Record] = []
    built_partners: list[str] = []
    failures: list[str] = []
    for session in _wanted(config, session_ids, result):
        build = _SessionBuild(ctx, session, plans[session.id], rows.get(session.id, {}), result)
        build.waiting = waiting
        try:
            build.run(seats.get(session.id, []), addresses, partners.get(session.partner, {}))
        except BackendError as exc:
            failures.append(f"{session.id}: {exc}")
        changes = build.finish()
        if changes:
            updates.append({sheet.SESSION_ID: session.id, **changes})
        if build.complete and session.partner not in built_partners:
            built_partners.append(session.partner)

    if updates:
        roster.upsert(sheet.SESSIONS, sheet.SESSION_ID, updates)
    moves = _partner_moves(config, partners, built_partners)
    if moves:
        roster.upsert(sheet.PARTNERS, sheet.PARTNER_ID, moves)
        result.add("partners moved to session built", len(moves))
    if failures:
        raise BackendError(f"sessions: {len(failures)} session(s) not fully built (what was done is "
                           f"recorded; a rerun finishes them): " + "; ".join(failures))
    return result


def _invitations_waiting(ctx: StepContext, tabs: Mapping[str, list[Record]],
                         session_ids: Sequence[str] | None, result: StepResult) -> frozenset[str]:
    """Placed students whose Calendar invitation waits for an earlier letter, each named.

    The invitation carries the meeting link, as the session details letter does, so it follows
    the same chain: acceptance sent, then the registration link, then the release form. The
    sessions step runs daily in its window, so a student is invited on the run after the
    letter before it goes.
    """
    outbox = outbox_by_key(tabs[sheet.OUTBOX])
    waiting: set[str] = set()
    for student in seated_students(ctx.config, tabs, session_ids):
        problem = letter_waits(ctx.config, student, outbox, Stage.SESSION, "calendar invitation")
        if problem is not None:
            waiting.add(student.applicant_id)
            result.problem(problem)
    return frozenset(waiting)


def _partner_moves(config: ProgramConfig, partners: Mapping[str, Record],
                   built: Sequence[str]) -> list[Record]:
    """Partners rows moving on to "session built"; a later or hand-set status is kept."""
    missing = {str(r[sheet.PARTNER_ID]): r for r in partner_rows(config, partners)}
    moves: list[Record] = []
    for partner_id in built:
        if partner_id in missing:
            moves.append({**missing[partner_id], sheet.PARTNER_STATUS: SESSION_BUILT})
        elif moves_partner_on(partners[partner_id].get(sheet.PARTNER_STATUS)):
            moves.append({sheet.PARTNER_ID: partner_id, sheet.PARTNER_STATUS: SESSION_BUILT})
    return moves
