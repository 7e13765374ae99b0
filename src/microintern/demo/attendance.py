"""The demo's meetings: who joined each call, written as the local Meet's conference records.

Once a meeting has ended, the morning after, the demo writes what Meet would have kept: the
teacher opens the call a little early, the partner joins, and the placed students come as their
roll says. Most stay the whole meeting; in each session one student drops and rejoins, one
leaves after 40 minutes and one never comes (in a series, one more misses a meeting). Choices
are derived from ids with a hash (as in :mod:`microintern.demo.people`), so every demo run
tells the same story, and the attendance step then reads these records as it reads Google's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from microintern.adapters.local import LocalDirectory, LocalMeetRecords
from microintern.config import ProgramConfig, Session, localize
from microintern.demo.people import seeded_roll
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Conference, ConferenceParticipant, Presence, Record
from microintern.domain.sessions import is_placed, text
from microintern.ports import Roster
from microintern.steps.letter_context import partner_of
from microintern.steps.sheet.applicants import school_addresses

# Roles by a student's rank in their session's hash order; everyone else attends fully.
NEVER_COMES, FORTY_MINUTES, DROPS_AND_REJOINS, MISSES_ONE, FULLY = range(5)
# In a series, the MISSES_ONE student is away for this meeting (5 of 6 still earns "yes").
MISSED_MEETING = 2


def role_of(rank: int, number: int, series: bool) -> int:
    """What the student ranked ``rank`` in their session does at meeting ``number``."""
    if rank == MISSES_ONE:
        return NEVER_COMES if series and number == MISSED_MEETING else FULLY
    return rank if rank < MISSES_ONE else FULLY


def user_of(address: str) -> str:
    """A stable, numeric Meet user name (``users/{id}``) for an address, as Google's look."""
    return f"users/{100000000 + seeded_roll('user', address.casefold()) % 900000000}"


def presences(role: int, start: datetime, end: datetime, jitter: int) -> tuple[Presence, ...]:
    """When a student with ``role`` was in the call of a meeting from ``start`` to ``end``."""
    minute = timedelta(minutes=1)
    if role == NEVER_COMES:
        return ()
    if role == FORTY_MINUTES:
        return (Presence(start + 5 * minute, start + 45 * minute),)
    if role == DROPS_AND_REJOINS:
        return (Presence(start, start + 35 * minute), Presence(start + 38 * minute, end))
    return (Presence(start - 2 * minute + jitter * minute, end + minute),)


class MeetingAttendance:
    """Writes each ended meeting's conference record once, for the demo's local Meet."""

    def __init__(self, config: ProgramConfig, meet_folder: Path) -> None:
        self.config = config
        self.records = LocalMeetRecords(meet_folder)
        self.directory = LocalDirectory(meet_folder)
        self.written: set[str] = set()

    def act(self, now: datetime, roster: Roster) -> list[str]:
        """Record every meeting that ended by ``now`` and is not recorded yet; lines to print."""
        due = [(s, n, localize(self.config, wall)) for s in self.config.sessions
               for n, wall in enumerate(s.meeting_starts(), 1)
               if f"{s.id}-{n}" not in self.written
               and localize(self.config, wall) + timedelta(minutes=s.duration_minutes) <= now]
        if not due:
            return []
        tabs = roster.read_tabs([sheet.SESSIONS, sheet.PARTICIPANTS, sheet.APPLICATIONS])
        spaces = {text(r.get(sheet.SESSION_ID)): text(r.get(sheet.SESSION_MEET_SPACE))
                  for r in tabs[sheet.SESSIONS]}
        addresses = school_addresses(self.config, tabs[sheet.APPLICATIONS])
        said: list[str] = []
        for session, number, start in due:
            self.written.add(f"{session.id}-{number}")
            space = spaces.get(session.id)
            placed = [r for r in tabs[sheet.PARTICIPANTS]
                      if is_placed(r) and text(r.get(sheet.SESSION_ID)) == session.id]
            if not space or not placed:
                continue
            joined = self._meeting(session, number, start, space, placed, addresses)
            said.append(f"(meeting {number} of {session.id} is held in Meet: {joined} of {len(placed)} "
                        "students join)")
        return said

    def _meeting(self, session: Session, number: int, start: datetime, space: str,
                 placed: Sequence[Record], addresses: Mapping[str, str]) -> int:
        """Write one meeting's conference record; return how many students joined."""
        end = start + timedelta(minutes=session.duration_minutes)
        minute = timedelta(minutes=1)
        record = f"conferenceRecords/demo-{session.id}-{number}"
        partner = partner_of(self.config, session)
        staff = [(partner.contact.name, partner.contact.email, start - 10 * minute),
                 (session.teacher.name, session.teacher.email, start - 15 * minute)]
        users: dict[str, str] = {}
        people: list[ConferenceParticipant] = []
        for name, address, joined in staff:
            users[user_of(address)] = address
            people.append(ConferenceParticipant(f"{record}/participants/{len(people)}", user_of(address),
                                                name, (Presence(joined, end + 4 * minute),)))
        ranked = sorted(placed, key=lambda r: seeded_roll(session.id, text(r.get(sheet.APPLICANT_ID))))
        joined_count = 0
        for rank, row in enumerate(ranked):
            applicant = text(row.get(sheet.APPLICANT_ID))
            address = addresses.get(applicant)
            if not address:
                continue
            role = role_of(rank, number, len(session.meeting_starts()) > 1)
            found = presences(role, start, end, seeded_roll(applicant, str(number)) % 5)
            if not found:
                continue
            joined_count += 1
            users[user_of(address)] = address
            people.append(ConferenceParticipant(
                f"{record}/participants/{len(people)}", user_of(address),
                f"{text(row.get('First name'))} {text(row.get('Last name'))[:1]}.".strip(), found))
        self.directory.add(users)
        self.records.record(space, [Conference(record, start - 15 * minute, end + 5 * minute,
                                               tuple(people))])
        return joined_count
