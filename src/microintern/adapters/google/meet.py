"""Google Meet REST API v2: spaces with restricted access and co-hosts.

REST reference: https://developers.google.com/meet/api/reference/rest/v2/spaces

Lost answers. ``spaces.create`` takes no client-chosen id or request id, and Meet has no way
to list a user's spaces, so a space whose answer was lost (a timeout, a 5xx after it was
applied, a dropped connection) cannot be found again. It is therefore never repeated: only a
refusal (429, rate-limit 403, which made nothing) is retried. An unknown outcome fails the
session with a plain error; the sessions step records every space at once, so the next run
makes one space for the session and builds it. What remains is at most one orphan per lost
answer: a space with default settings, no co-hosts, whose link was never written, sent or put
on an event, so nobody is ever in it.

The way to close that gap entirely on real Google is to let Calendar make the meeting: insert
the session's first event with ``conferenceData.createRequest`` (a ``requestId`` derived from
the event id; Calendar's client-chosen event id makes the insert idempotent, a repeat answers
409), read the meeting code from the event, then configure that space with ``spaces.get``
(``spaces/{meetingCode}``) + ``spaces.patch`` and add co-hosts (``spaces.members.create`` is
idempotent: a repeat answers 409). That needs the Meet port to take the event (and this adapter
a Calendar service); it is not done yet.

Everything else here is safe to repeat: ``spaces.patch`` sets the same config again, and
``spaces.members.create`` of a member already there answers 409, taken as done.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.records import MeetSettings, MeetSpace
from microintern.domain.sessions import ATTENDANCE_UNAVAILABLE, RECORDING_UNAVAILABLE
from microintern.errors import BackendError

# Features an edition may refuse, in the order they are given up when Google does not say
# which one it refused: (config key, the note when it was wanted on).
_FEATURES = {
    "recording": ("artifactConfig", RECORDING_UNAVAILABLE),
    "attendance": ("attendanceReportGenerationType", ATTENDANCE_UNAVAILABLE),
}
_MEMBERS_PAGE = 100


def space_config(settings: MeetSettings, omit: Collection[str] = ()) -> dict[str, Any]:
    """The ``SpaceConfig`` body for these settings, without the features in ``omit``."""
    config: dict[str, Any] = {
        "accessType": "RESTRICTED" if settings.restricted else "TRUSTED",
        "moderation": "ON" if settings.moderation else "OFF",
        "artifactConfig": {"recordingConfig": {
            "autoRecordingGeneration": "ON" if settings.auto_recording else "OFF"}},
        "attendanceReportGenerationType": "GENERATE_REPORT" if settings.attendance_report
        else "DO_NOT_GENERATE",
    }
    for feature in omit:
        config.pop(_FEATURES[feature][0], None)
    return config


def update_mask(config: dict[str, Any], prefix: str = "config") -> str:
    """The explicit ``updateMask`` naming every leaf field of ``config``."""
    paths: list[str] = []
    for key, value in config.items():
        path = f"{prefix}.{key}"
        paths.append(update_mask(value, path) if isinstance(value, dict) else path)
    return ",".join(paths)


def _wanted(settings: MeetSettings, feature: str) -> bool:
    return settings.auto_recording if feature == "recording" else settings.attendance_report


def _refused_feature(exc: BackendError, omitted: Collection[str]) -> str | None:
    """The feature an edition refused (400/403), or None when the error is about something else.

    Google's message usually names the field; when it does not, the features are given up one
    at a time, and the call fails as before once none is left.
    """
    if exc.code not in (400, 403) or exc.retryable:
        return None
    left = [f for f in _FEATURES if f not in omitted]
    message = str(exc).casefold()
    named = [f for f in left if f in message]
    return (named or left or [None])[0]


class GoogleMeetRooms:
    """The :class:`~microintern.ports.MeetRooms` port on the Meet REST API."""

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._spaces = service.spaces()
        self._retry = retry or Retry()
        self._refusals = Retry(self._retry.attempts, self._retry.sleep, refusals_only=True)

    def create_space(self, settings: MeetSettings) -> MeetSpace:
        """Create a space, then add each co-host; a feature the edition refuses becomes a note.

        https://developers.google.com/meet/api/reference/rest/v2/spaces/create
        """
        # spaces.create is not idempotent: only refusals are retried (Meet allows 10 creates a
        # minute per user, so a program with many sessions waits rather than failing); the
        # caller records the space before going on. A refused create made nothing, so trying
        # again without the feature is safe too.
        try:
            space, notes = self._configure(settings, lambda config: execute(
                self._spaces.create(body={"config": config}), "meet spaces.create",
                retry=self._refusals))
        except BackendError as exc:
            if exc.retryable and exc.code not in (403, 429):
                # The space may exist, and nothing can find it: say so, and never repeat here.
                raise BackendError(
                    f"{exc}; the answer was lost, so a Meet space may have been made that nobody "
                    "will use (no co-hosts, its link never sent); the next run makes the session's "
                    "space", code=exc.code, retryable=False) from None
            raise
        for email in settings.cohosts:
            self._add_cohost(space["name"], email, notes)
        return MeetSpace(name=space["name"], meeting_uri=space["meetingUri"],
                         meeting_code=space["meetingCode"], notes=tuple(notes))

    def update_space(self, name: str, settings: MeetSettings) -> MeetSpace:
        """Patch the space's config (explicit ``updateMask``) and add the co-hosts it lacks.

        A feature the edition refuses is left out of the patch and becomes a note. Raises
        :class:`BackendError` with code 404 when the space no longer exists.
        https://developers.google.com/meet/api/reference/rest/v2/spaces/patch
        """
        space, notes = self._configure(settings, lambda config: execute(
            self._spaces.patch(name=name, updateMask=update_mask(config), body={"config": config}),
            "meet spaces.patch", retry=self._retry))
        members = self._members(space["name"])
        for email in settings.cohosts:
            role = members.get(email.casefold())
            if role is None:
                self._add_cohost(space["name"], email, notes)
            elif role != "COHOST":
                notes.append(f"{email} is a member of the space but not a co-host: make them "
                             "co-host by hand")
        return MeetSpace(name=space["name"], meeting_uri=space["meetingUri"],
                         meeting_code=space["meetingCode"], notes=tuple(notes))

    def _configure(self, settings: MeetSettings,
                   send: Callable[[dict[str, Any]], Any]) -> tuple[Any, list[str]]:
        """Send the config, giving up features the edition refuses; the answer and the notes."""
        omitted: list[str] = []
        while True:
            try:
                answer = send(space_config(settings, omitted))
            except BackendError as exc:
                feature = _refused_feature(exc, omitted)
                if feature is None:
                    raise
                omitted.append(feature)
                continue
            return answer, [_FEATURES[f][1] for f in omitted if _wanted(settings, f)]

    def _members(self, space: str) -> dict[str, str]:
        """The space's members: address (casefolded) → role.

        https://developers.google.com/meet/api/reference/rest/v2/spaces.members/list
        """
        members: dict[str, str] = {}
        token: str | None = None
        while True:
            page = execute(self._spaces.members().list(parent=space, pageSize=_MEMBERS_PAGE,
                                                       pageToken=token),
                           "meet spaces.members.list", retry=self._retry)
            for member in page.get("members", []):
                if member.get("email"):
                    members[str(member["email"]).casefold()] = str(member.get("role", ""))
            token = page.get("nextPageToken")
            if not token:
                return members

    def _add_cohost(self, space: str, email: str, notes: list[str]) -> None:
        """Add ``email`` as co-host; a refusal becomes a note, an existing member is fine."""
        try:
            execute(self._spaces.members().create(
                parent=space, body={"email": email, "role": "COHOST"}),
                "meet spaces.members.create", retry=self._retry)
        except BackendError as exc:
            if exc.code == 409:  # added already (a retried call that had gone through)
                return
            if exc.code not in (400, 403):
                raise
            notes.append(f"co-host {email} must be added by hand: {exc}")
