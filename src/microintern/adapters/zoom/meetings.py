"""The :class:`~microintern.ports.VideoMeetings` port on Zoom: one meeting per session.

REST reference: https://developers.zoom.us/docs/api/meetings/

- ``POST /users/{userId}/meetings`` makes the meeting under the program's host (a licensed
  user of the account): waiting room on, no join before the host, authenticated join when the
  config asks for it, the teacher as alternative host, cloud auto-recording only when the
  consent rule allows it. One start is a scheduled meeting (type 2); meetings a week apart are a
  recurring meeting with a fixed time (type 8, weekly recurrence); any other series is a
  recurring meeting without a fixed time (type 3: one link, any time).
- A create whose answer was lost is never repeated blindly: ``GET /users/{userId}/meetings``
  lists the host's meetings and the one whose topic ends with the session's tag is taken.
- ``PATCH /meetings/{meetingId}`` brings it in line (the same body again is harmless: retried),
  ``DELETE /meetings/{meetingId}`` removes a cancelled session's meeting (404: gone already).
- Attendance: ``GET /past_meetings/{meetingId}/instances`` (each held meeting of a recurring
  one), then ``GET /past_meetings/{meetingUUID}/participants`` per instance: one record per
  join, with the participant's email when they signed in (Pro plans and up).

A feature the account refuses (an alternative host who is not a licensed user of the account,
cloud recording on a plan without it, authenticated join the account has not set up) is left
out and becomes a note for the coordinator, as Meet's edition refusals do.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from microintern.adapters.zoom.client import ZoomClient, ZoomError
from microintern.adapters.zoom.registrants import ZoomRegistrants
from microintern.domain.records import Conference, ConferenceParticipant, Presence
from microintern.domain.sessions import RECORDING_UNAVAILABLE
from microintern.domain.video import Registrant, VideoRoom, ZoomMeetingPlan, weekly_day

PAGE_SIZE = 300          # Zoom's largest page
MAX_PAGES = 1000
_CREATE_ATTEMPTS = 3     # a create refused for a feature, or lost and not found, is tried again
_FEATURES = {
    # feature: (words Zoom's message uses, the note when it is left out)
    "alternative_hosts": (("alternative",), "the teacher could not be made alternative host (Zoom "
                          "accepts only licensed users of the account): the host makes them co-host "
                          "in the meeting"),
    "auto_recording": (("record",), RECORDING_UNAVAILABLE),
    "meeting_authentication": (("authenticat",), "authenticated join is not set up on the Zoom "
                               "account: anyone with the link reaches the waiting room"),
}


def _wall(moment: datetime) -> str:
    """A local wall time as Zoom takes it with ``timezone`` (no offset)."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat(timespec="seconds")


def meeting_to_api(plan: ZoomMeetingPlan, omit: Collection[str] = ()) -> dict[str, Any]:
    """The create/update body for ``plan`` (snake_case stays in this module)."""
    settings: dict[str, Any] = {
        "waiting_room": True,
        "join_before_host": False,
        "mute_upon_entry": True,
        "meeting_authentication": plan.authenticated_join,
        "auto_recording": "cloud" if plan.auto_recording else "none",
        # Empty clears alternative hosts set earlier (a teacher who changed).
        "alternative_hosts": ";".join(plan.alternative_hosts),
        "alternative_hosts_email_notification": False,
    }
    if plan.registration:
        # Students register (one join link each, matched by email); approved at once, and Zoom
        # mails nobody: each link goes only in its student's letters (see registrants.py).
        settings.update(approval_type=0, registration_type=1, registrants_email_notification=False,
                        registrants_confirmation_email=False)
    else:
        settings["approval_type"] = 2  # no registration: Zoom has none without fixed times
    for feature in omit:
        settings.pop(feature, None)
    if "auto_recording" in omit:
        settings["auto_recording"] = "none"
    body: dict[str, Any] = {"topic": plan.topic, "agenda": plan.agenda[:2000],
                            "duration": plan.duration_minutes, "timezone": plan.time_zone,
                            "settings": settings}
    kind = plan.kind
    if kind == "single":
        body.update(type=2, start_time=_wall(plan.starts[0]))
    elif kind == "weekly":
        body.update(type=8, start_time=_wall(plan.starts[0]), recurrence={
            "type": 2, "repeat_interval": 1, "weekly_days": str(weekly_day(plan.starts[0])),
            "end_times": len(plan.starts)})
    else:
        body["type"] = 3
    return body


def _refused(exc: ZoomError, plan: ZoomMeetingPlan, omitted: Collection[str]) -> str | None:
    """The feature Zoom refused (a 400 naming it), or None when the error is about something else."""
    if exc.code != 400:
        return None
    message = str(exc).casefold()
    wanted = {"alternative_hosts": bool(plan.alternative_hosts), "auto_recording": plan.auto_recording,
              "meeting_authentication": plan.authenticated_join}
    for feature, (words, _) in _FEATURES.items():
        if feature not in omitted and wanted[feature] and any(w in message for w in words):
            return feature
    return None


def _time(value: object) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _uuid_path(uuid: str) -> str:
    """A meeting UUID in a path: encoded twice when it starts with ``/`` or holds ``//`` (Zoom's rule)."""
    once = urllib.parse.quote(uuid, safe="")
    return urllib.parse.quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


class ZoomMeetings:
    """Meetings of ``host`` (an email or user id of a licensed user) on one Zoom account."""

    def __init__(self, client: ZoomClient, host: str) -> None:
        self.client = client
        self.host = host

    @property
    def _host_meetings(self) -> str:
        return f"/users/{urllib.parse.quote(self.host, safe='@')}/meetings"

    @property
    def calls(self) -> int:
        """Requests made so far."""
        return self.client.calls

    # --- the port ---

    def ensure_meeting(self, plan: ZoomMeetingPlan) -> VideoRoom:
        """The session's meeting (found by its tag, else made once), set to ``plan``.

        Safe to repeat: a meeting already there is updated, never made again; a create whose
        answer was lost is looked for before another is tried.
        """
        found = self._find(plan.marker)
        if found is not None:
            return self.update_meeting(str(found["id"]), plan)
        omitted: list[str] = []
        for _ in range(_CREATE_ATTEMPTS):
            try:
                created = self.client.call("POST", self._host_meetings,
                                           body=meeting_to_api(plan, omitted), what="meetings.create")
            except ZoomError as exc:
                if exc.unknown:
                    found = self._find(plan.marker)
                    if found is not None:
                        return VideoRoom(str(found["id"]), str(found.get("join_url", "")),
                                         self._notes(plan, omitted))
                    continue  # not made: safe to try again
                feature = _refused(exc, plan, omitted)
                if feature is None:
                    raise
                omitted.append(feature)
                continue
            return VideoRoom(str(created["id"]), str(created["join_url"]), self._notes(plan, omitted))
        raise ZoomError("Zoom meetings.create: no meeting made after several attempts; a rerun "
                        "looks for it again before making one", retryable=True)

    def update_meeting(self, meeting_id: str, plan: ZoomMeetingPlan) -> VideoRoom:
        """Patch meeting ``meeting_id`` to ``plan``; :class:`ZoomError` code 404 when it is gone."""
        omitted: list[str] = []
        path = f"/meetings/{urllib.parse.quote(meeting_id, safe='')}"
        while True:
            try:
                self.client.call("PATCH", path, body=meeting_to_api(plan, omitted), what="meetings.update")
                break
            except ZoomError as exc:
                feature = _refused(exc, plan, omitted)
                if feature is None:
                    raise
                omitted.append(feature)
        meeting = self.client.call("GET", path, what="meetings.get")
        return VideoRoom(str(meeting["id"]), str(meeting["join_url"]), self._notes(plan, omitted))

    def delete_meeting(self, meeting_id: str) -> bool:
        """Delete the meeting; False when it was gone already (a repeated delete)."""
        try:
            self.client.call("DELETE", f"/meetings/{urllib.parse.quote(meeting_id, safe='')}",
                             what="meetings.delete")
        except ZoomError as exc:
            if exc.code == 404:
                return False
            raise
        return True

    def join_links(self, meeting_id: str, students: Sequence[Registrant]) -> dict[str, str]:
        """Each student registered once for the meeting: casefolded email → their own join link."""
        return ZoomRegistrants(self.client).join_links(meeting_id, students)

    def cancel_unplaced(self, meeting_id: str, placed: Collection[str], students: Collection[str]) -> int:
        """Cancel the registrants among ``students`` no longer in ``placed``; how many were cancelled."""
        return ZoomRegistrants(self.client).cancel_unplaced(meeting_id, placed, students)

    def conferences(self, meeting_id: str) -> list[Conference]:
        """Every held instance of the meeting with its participants, oldest first.

        A participant's ``user`` is the email Zoom reports for them (None for someone who joined
        without signing in); each join is one participant with one presence.
        """
        try:
            path = f"/past_meetings/{urllib.parse.quote(meeting_id, safe='')}/instances"
            answer = self.client.call("GET", path, what="past_meetings.instances")
        except ZoomError as exc:
            if exc.code == 404:  # never held
                return []
            raise
        conferences: list[Conference] = []
        for instance in (answer or {}).get("meetings", []):
            start = _time(instance.get("start_time"))
            uuid = str(instance.get("uuid") or "")
            if start is None or not uuid:
                continue
            participants = self._participants(uuid)
            leaves = [p.presences[0].end for p in participants if p.presences and p.presences[0].end]
            conferences.append(Conference(name=uuid, start=start, end=max(leaves) if leaves else None,
                                          participants=tuple(participants)))
        return sorted(conferences, key=lambda c: c.start)

    # --- helpers ---

    def _participants(self, uuid: str) -> list[ConferenceParticipant]:
        found: list[ConferenceParticipant] = []
        token = ""
        for _ in range(MAX_PAGES):
            params = {"page_size": PAGE_SIZE, **({"next_page_token": token} if token else {})}
            page = self.client.call("GET", f"/past_meetings/{_uuid_path(uuid)}/participants", params=params,
                                    what="past_meetings.participants") or {}
            for item in page.get("participants", []):
                join = _time(item.get("join_time"))
                if join is None:
                    continue
                email = str(item.get("user_email") or "").strip()
                found.append(ConferenceParticipant(
                    name=f"{uuid}#{len(found)}", user=email or None,
                    display_name=str(item.get("name") or ""),
                    presences=(Presence(join, _time(item.get("leave_time"))),)))
            token = str(page.get("next_page_token") or "")
            if not token:
                break
        return found

    def _find(self, marker: str) -> dict[str, Any] | None:
        """The host's meeting whose topic ends with ``marker`` (the earliest made, if several)."""
        matches: list[dict[str, Any]] = []
        token = ""
        for _ in range(MAX_PAGES):
            params = {"type": "scheduled", "page_size": PAGE_SIZE,
                      **({"next_page_token": token} if token else {})}
            page = self.client.call("GET", self._host_meetings, params=params, what="meetings.list") or {}
            matches.extend(m for m in page.get("meetings", []) if str(m.get("topic", "")).endswith(marker))
            token = str(page.get("next_page_token") or "")
            if not token:
                break
        if not matches:
            return None
        return min(matches, key=lambda m: (str(m.get("created_at", "")), int(m.get("id", 0))))

    @staticmethod
    def _notes(plan: ZoomMeetingPlan, omitted: Collection[str]) -> tuple[str, ...]:
        return tuple(_FEATURES[f][1] for f in omitted)
