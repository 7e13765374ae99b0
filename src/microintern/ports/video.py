"""The video ports of issue 18: meetings on Zoom and showcase broadcasts on YouTube Live."""

from __future__ import annotations

from typing import Protocol

from microintern.domain.records import Conference
from microintern.domain.video import Broadcast, BroadcastPlan, VideoRoom, ZoomMeetingPlan


class VideoMeetings(Protocol):
    """Meetings on a video service other than Meet (Zoom): one per session, found by its tag."""

    def ensure_meeting(self, plan: ZoomMeetingPlan) -> VideoRoom:
        """The session's meeting set to ``plan``: the one whose topic carries ``plan.marker``, else a new one.

        Safe to repeat, also after an answer was lost: the host's meetings are listed before one
        is made. A feature the account refuses becomes a note, as with Meet.
        """
        ...

    def update_meeting(self, meeting_id: str, plan: ZoomMeetingPlan) -> VideoRoom:
        """Bring meeting ``meeting_id`` in line with ``plan``; BackendError code 404 when it is gone."""
        ...

    def delete_meeting(self, meeting_id: str) -> bool:
        """Delete the meeting; False when it was gone already."""
        ...

    def conferences(self, meeting_id: str) -> list[Conference]:
        """Every held meeting of ``meeting_id`` with its participants and their presences.

        Unlike Meet's records, a participant's ``user`` is the email address the service
        reports for them (None for someone who did not sign in): no directory is needed.
        """
        ...


class Broadcasts(Protocol):
    """Live broadcasts of showcase sessions (YouTube Live), one per session, found by its tag."""

    def ensure_broadcast(self, plan: BroadcastPlan) -> Broadcast:
        """The session's broadcast, bound to its stream, set to ``plan``; made once (safe to repeat)."""
        ...

    def update_broadcast(self, broadcast_id: str, plan: BroadcastPlan) -> Broadcast:
        """Bring the broadcast in line with ``plan``; BackendError code 404 when it is gone."""
        ...

    def delete_broadcast(self, broadcast_id: str) -> bool:
        """Delete the broadcast and its stream; False when it was gone already."""
        ...

    def stream_key(self, broadcast_id: str) -> tuple[str, str] | None:
        """The (ingestion address, stream key) of the broadcast's bound stream, None when unbound.

        The key lets anyone broadcast on the channel: only the run sheet to the teacher and
        the partner carries it, and it is never stored.
        """
        ...
