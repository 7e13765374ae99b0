"""Google Meet REST API v2: spaces with restricted access and co-hosts.

REST reference: https://developers.google.com/meet/api/reference/rest/v2/spaces

Lost answers. ``spaces.create`` takes no client-chosen id or request id, and Meet has no way
to list a user's spaces, so a space whose answer was lost (a timeout, a 5xx after it was
applied, a dropped connection) cannot be found again. The steps therefore never use it:
:meth:`GoogleMeetRooms.space_for_event` lets Calendar make the meeting through the session's
first event (:meth:`GoogleCalendar.ensure_conference`: a client-chosen event id, so a repeat
answers 409 and reads the event; a ``requestId`` derived from the event id), reads the meeting
code from the event, finds the space with ``spaces.get`` on ``spaces/{meetingCode}`` (the
alias only ``get`` accepts; ``patch`` and ``members`` need the ``spaces/{id}`` it answers), then
sets its config with ``spaces.patch`` and adds the co-hosts. One space per event, whatever was
lost. :meth:`create_space` stays for callers without an event; it is never repeated after an
unknown outcome (only a refusal, which made nothing, is retried).

Google's documentation, checked: ``spaces.get`` takes ``spaces/{meetingCode}`` and a meeting
code should not be stored long term (the space name is what the Sessions tab keeps);
``spaces.patch`` takes only ``spaces/{space}``; a space Calendar made is not "created by the
app", so patching it needs ``meetings.space.settings`` ("all of your Google Meet calls"), not
only ``meetings.space.created``; ``spaces.members.create`` documents ``meetings.space.created``
alone, so an edition or grant that refuses co-hosts on a Calendar-made space gives the usual
note ("add by hand"), never a second space.

Everything else here is safe to repeat: ``spaces.patch`` sets the same config again, and
``spaces.members.create`` of a member already there answers 409, taken as done.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from microintern.adapters.google.calendar import GoogleCalendar
from microintern.adapters.google.transport import Retry, execute
from microintern.domain.records import CalendarEvent, MeetSettings, MeetSpace
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

    def __init__(self, service: Any, *, retry: Retry | None = None,
                 calendar: GoogleCalendar | None = None) -> None:
        self._spaces = service.spaces()
        self._retry = retry or Retry()
        self._refusals = Retry(self._retry.attempts, self._retry.sleep, refusals_only=True)
        self._calendar = calendar

    def space_for_event(self, calendar_id: str, event: CalendarEvent,
                        settings: MeetSettings) -> MeetSpace:
        """The event's space, made by Calendar once, its config set and co-hosts added.

        Every call here is safe to repeat: the event insert (409 → read), ``spaces.get``,
        ``spaces.patch`` (same config again), ``spaces.members.create`` (409 → there already).
        A space that no longer exists (its code still on the event) is replaced through the
        event with a new conference.
        https://developers.google.com/meet/api/reference/rest/v2/spaces/get
        """
        if self._calendar is None:
            raise BackendError("Meet: spaces for events need the Calendar service (bootstrap wiring)")
        code = self._calendar.ensure_conference(calendar_id, event)
        try:
            space = self._get(code)
        except BackendError as exc:
            if exc.code != 404:
                raise
            space = self._get(self._calendar.ensure_conference(calendar_id, event, dead_code=code))
        configured, notes = self._configure(settings, lambda config: execute(
            self._spaces.patch(name=space["name"], updateMask=update_mask(config),
                               body={"config": config}),
            "meet spaces.patch", retry=self._retry))
        # No members.list: a 409 from members.create already says "there", and the space is
        # the program's own (only a repeat of our own call can have added anyone).
        for email in settings.cohosts:
            self._add_cohost(configured["name"], email, notes)
        return MeetSpace(name=configured["name"], meeting_uri=configured["meetingUri"],
                         meeting_code=configured["meetingCode"], notes=tuple(notes))

    def _get(self, code: str) -> Any:
        """The space whose meeting code is ``code`` (``spaces/{meetingCode}`` alias)."""
        return execute(self._spaces.get(name=f"spaces/{code}"), "meet spaces.get", retry=self._retry)

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
