"""Google Meet REST API v2: conference records of a space, their participants and presences.

REST reference: https://developers.google.com/meet/api/reference/rest/v2/conferenceRecords
Google keeps a record 30 days after the conference ends. Participants are ``users/{id}`` (not
addresses: :mod:`microintern.adapters.google.directory` names them), and each join of each
device is one participant session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.records import Conference, ConferenceParticipant, Presence

# The API's maxima: fewer pages, fewer calls.
_RECORDS_PAGE = 100
_PARTICIPANTS_PAGE = 250
_SESSIONS_PAGE = 250
_RECORD_FIELDS = "nextPageToken,conferenceRecords(name,startTime,endTime)"
_PARTICIPANT_FIELDS = ("nextPageToken,participants(name,signedinUser,anonymousUser,phoneUser,"
                       "earliestStartTime)")
_SESSION_FIELDS = "nextPageToken,participantSessions(name,startTime,endTime)"


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 timestamp from the API (``Z``, any fraction) as an aware UTC datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def participant_from_api(item: dict[str, Any], sessions: list[dict[str, Any]]) -> ConferenceParticipant:
    """A ``Participant`` and its ``ParticipantSession`` items as the domain's participant."""
    signed_in = item.get("signedinUser") or {}
    other = item.get("anonymousUser") or item.get("phoneUser") or {}
    presences: list[Presence] = []
    for session in sessions:
        start = parse_time(session.get("startTime"))
        if start is not None:
            presences.append(Presence(start=start, end=parse_time(session.get("endTime"))))
    return ConferenceParticipant(
        name=str(item["name"]),
        user=str(signed_in["user"]) if signed_in.get("user") else None,
        display_name=str(signed_in.get("displayName") or other.get("displayName") or ""),
        presences=tuple(sorted(presences, key=lambda p: p.start)),
    )


class GoogleMeetRecords:
    """The :class:`~microintern.ports.MeetRecords` port on the Meet REST API (read-only).

    ``calls`` counts the requests made (for benchmarks and the run's summary).
    """

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._records = service.conferenceRecords()
        self._retry = retry or Retry()
        self.calls = 0

    def conferences(self, space: str) -> list[Conference]:
        """Every conference of ``space`` (``spaces/{id}``) still kept by Google, oldest first.

        One ``conferenceRecords.list`` (filtered by space), one ``participants.list`` per
        conference and one ``participantSessions.list`` per participant, every page read.
        """
        records = self._all(
            lambda token: self._records.list(filter=f'space.name = "{space}"', pageSize=_RECORDS_PAGE,
                                             pageToken=token, fields=_RECORD_FIELDS),
            "conferenceRecords", "meet conferenceRecords.list")
        conferences: list[Conference] = []
        for record in records:
            start = parse_time(record.get("startTime"))
            if start is None:
                continue
            conferences.append(Conference(name=str(record["name"]), start=start,
                                          end=parse_time(record.get("endTime")),
                                          participants=tuple(self._participants(record["name"]))))
        return sorted(conferences, key=lambda c: c.start)

    def _participants(self, record: str) -> list[ConferenceParticipant]:
        """The participants of one conference with their presences."""
        participants = self._records.participants()
        items = self._all(
            lambda token: participants.list(parent=record, pageSize=_PARTICIPANTS_PAGE,
                                            pageToken=token, fields=_PARTICIPANT_FIELDS),
            "participants", "meet participants.list")
        found: list[ConferenceParticipant] = []
        for item in items:
            sessions = self._all(
                lambda token, name=item["name"]: participants.participantSessions().list(
                    parent=name, pageSize=_SESSIONS_PAGE, pageToken=token, fields=_SESSION_FIELDS),
                "participantSessions", "meet participantSessions.list")
            found.append(participant_from_api(item, sessions))
        return found

    def _all(self, request: Callable[[str | None], Any], key: str, what: str) -> list[dict[str, Any]]:
        """Every item of a paged list method (reads are idempotent: retried)."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            self.calls += 1
            page = execute(request(token), what, retry=self._retry)
            items.extend(page.get(key, []))
            token = page.get("nextPageToken")
            if not token:
                return items
