"""Stand-ins for Zoom meetings and YouTube broadcasts on the local backend (issue 18).

Without Zoom or YouTube there is no real room or stream. These adapters hand out well-formed
placeholder links (and a placeholder stream key), one per session tag, kept in
``<folder>/video.json`` so a rerun gives the same ones, and say in ``notes`` that the real room
must be made by hand. Attendance reads the meeting's records where the local Meet records are
kept (``<local>/meet/zoom-<meeting id>.conferences.json``, written by the demo or by hand, see
:mod:`microintern.adapters.local.meet_records`), each participant named by their address as
Zoom's report names them (a ``users/<id>`` is looked up in that folder's ``users.json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from filelock import FileLock

from microintern.adapters.local._files import FILE_MODE, atomic_write_bytes, ensure_private_dir
from microintern.adapters.local.meet_records import LocalDirectory, LocalMeetRecords
from microintern.domain.records import Conference, ConferenceParticipant
from microintern.domain.video import (
    Broadcast,
    BroadcastPlan,
    VideoRoom,
    ZoomMeetingPlan,
    watch_url,
    zoom_space,
)
from microintern.errors import BackendError

STATE_FILE = "video.json"
_FIRST_MEETING = 80_000_000_001
ZOOM_NOTE = "local backend: placeholder Zoom link, create the real meeting by hand"
YOUTUBE_NOTE = "local backend: placeholder YouTube link and stream key, schedule the real stream by hand"


class _State:
    """``{"meetings": {tag: id}, "broadcasts": {tag: id}, "next": n}`` under a file lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / STATE_FILE

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"meetings": {}, "broadcasts": {}, "deleted": [], "next": 0}
        except (OSError, ValueError) as exc:
            raise BackendError(f"{self.path} is damaged ({type(exc).__name__}); fix or remove it") from exc
        return data  # type: ignore[no-any-return]

    def issue(self, kind: str, tag: str) -> int:
        """The number ``tag`` has (the next one the first time)."""
        ensure_private_dir(self.folder)
        with FileLock(str(self.path) + ".lock", mode=FILE_MODE):
            state = self.read()
            if tag not in state[kind]:
                state[kind][tag] = state["next"]
                state["next"] += 1
                atomic_write_bytes(self.path, json.dumps(state, sort_keys=True).encode())
            return int(state[kind][tag])

    def forget(self, kind: str, number: int) -> bool:
        """Delete the item numbered ``number``; False when there was none."""
        ensure_private_dir(self.folder)
        with FileLock(str(self.path) + ".lock", mode=FILE_MODE):
            state = self.read()
            tags = [t for t, n in state[kind].items() if n == number]
            for tag in tags:
                del state[kind][tag]
            if tags:
                atomic_write_bytes(self.path, json.dumps(state, sort_keys=True).encode())
            return bool(tags)

    def known(self, kind: str, number: int) -> bool:
        return number in self.read()[kind].values()


class LocalZoomMeetings:
    """The :class:`~microintern.ports.video.VideoMeetings` port with placeholder Zoom links."""

    def __init__(self, folder: Path, meet_folder: Path | None = None) -> None:
        self.folder = Path(folder)
        self._state = _State(self.folder)
        # The local Meet folder beside this one: one place for every call's records.
        self.meet_folder = Path(meet_folder) if meet_folder is not None else self.folder.parent / "meet"

    def _room(self, number: int) -> VideoRoom:
        meeting = str(_FIRST_MEETING + number)
        return VideoRoom(meeting, f"https://zoom.us/j/{meeting}", (ZOOM_NOTE,))

    def ensure_meeting(self, plan: ZoomMeetingPlan) -> VideoRoom:
        """The placeholder of the session's tag, taken the first time; the same on every repeat."""
        return self._room(self._state.issue("meetings", plan.marker))

    def update_meeting(self, meeting_id: str, plan: ZoomMeetingPlan) -> VideoRoom:
        """Nothing to update locally; a 404 when the meeting was never issued here."""
        number = int(meeting_id) - _FIRST_MEETING if meeting_id.isdigit() else -1
        if not self._state.known("meetings", number):
            raise BackendError(f"local Zoom: no meeting {meeting_id} in {self.folder}", code=404)
        return self._room(number)

    def delete_meeting(self, meeting_id: str) -> bool:
        """Forget the placeholder; False when there was none."""
        number = int(meeting_id) - _FIRST_MEETING if meeting_id.isdigit() else -1
        return self._state.forget("meetings", number)

    def conferences(self, meeting_id: str) -> list[Conference]:
        """The meeting's conferences written by the demo or by hand, people by their address."""
        directory = LocalDirectory(self.meet_folder)
        found = LocalMeetRecords(self.meet_folder).conferences(zoom_space(str(int(meeting_id))))
        return [Conference(c.name, c.start, c.end, tuple(
            ConferenceParticipant(p.name, directory.email_of(p.user) if p.user else None, p.display_name,
                                  p.presences) for p in c.participants)) for c in found]


class LocalBroadcasts:
    """The :class:`~microintern.ports.video.Broadcasts` port with placeholder watch links and keys."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._state = _State(self.folder)

    @staticmethod
    def _video(number: int) -> str:
        return f"local{number:06d}"

    def _broadcast(self, number: int) -> Broadcast:
        video = self._video(number)
        return Broadcast(video, f"stream-{video}", watch_url(video), (YOUTUBE_NOTE,))

    def _number(self, broadcast_id: str) -> int:
        digits = broadcast_id.removeprefix("local")
        return int(digits) if broadcast_id.startswith("local") and digits.isdigit() else -1

    def ensure_broadcast(self, plan: BroadcastPlan) -> Broadcast:
        """The placeholder of the session's tag, the same on every repeat."""
        return self._broadcast(self._state.issue("broadcasts", plan.marker))

    def update_broadcast(self, broadcast_id: str, plan: BroadcastPlan) -> Broadcast:
        """Nothing to update locally; a 404 when it was never issued here."""
        number = self._number(broadcast_id)
        if not self._state.known("broadcasts", number):
            raise BackendError(f"local YouTube: no broadcast {broadcast_id}", code=404)
        return self._broadcast(number)

    def delete_broadcast(self, broadcast_id: str) -> bool:
        """Forget the placeholder; False when there was none."""
        return self._state.forget("broadcasts", self._number(broadcast_id))

    def stream_key(self, broadcast_id: str) -> tuple[str, str] | None:
        """A placeholder key, so the run sheet shows where the real one goes."""
        if not self._state.known("broadcasts", self._number(broadcast_id)):
            return None
        return "rtmp://a.rtmp.youtube.com/live2", f"placeholder-{broadcast_id}"
