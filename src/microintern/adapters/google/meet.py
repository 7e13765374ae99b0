"""Google Meet REST API v2: spaces with restricted access and co-hosts.

REST reference: https://developers.google.com/meet/api/reference/rest/v2/spaces
"""

from __future__ import annotations

from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.records import MeetSettings, MeetSpace
from microintern.errors import BackendError


def space_config(settings: MeetSettings) -> dict[str, Any]:
    """The ``SpaceConfig`` body for these settings."""
    return {
        "accessType": "RESTRICTED" if settings.restricted else "TRUSTED",
        "moderation": "ON" if settings.moderation else "OFF",
        "artifactConfig": {"recordingConfig": {
            "autoRecordingGeneration": "ON" if settings.auto_recording else "OFF"}},
        "attendanceReportGenerationType": "GENERATE_REPORT" if settings.attendance_report
        else "DO_NOT_GENERATE",
    }


class GoogleMeetRooms:
    """The :class:`~microintern.ports.MeetRooms` port on the Meet REST API."""

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._spaces = service.spaces()
        self._retry = retry or Retry()

    def create_space(self, settings: MeetSettings) -> MeetSpace:
        """Create a space, then add each co-host; a feature the edition refuses becomes a note."""
        notes: list[str] = []
        body = {"config": space_config(settings)}
        # spaces.create is not idempotent; the caller records the space before going on.
        space = execute(self._spaces.create(body=body), "meet spaces.create", retry=None)
        for email in settings.cohosts:
            try:
                execute(self._spaces.members().create(
                    parent=space["name"], body={"email": email, "role": "COHOST"}),
                    "meet spaces.members.create", retry=self._retry)
            except BackendError as exc:
                if exc.code not in (400, 403):
                    raise
                notes.append(f"co-host {email} must be added by hand: {exc}")
        return MeetSpace(name=space["name"], meeting_uri=space["meetingUri"],
                         meeting_code=space["meetingCode"], notes=tuple(notes))
