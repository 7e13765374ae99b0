"""Sessions on Zoom and showcase broadcasts on YouTube Live: what each one should be.

Pure, like :mod:`microintern.domain.sessions`: the steps read the tabs and call the ports.

A session's video provider is ``video.provider`` (``meet`` or ``zoom``), overridden by the
session's own ``video``. A Zoom meeting is remembered in the Sessions tab's ``Meet space``
column as ``zoom-<meeting id>`` (its join link in ``Meet link``), as a Meet space is, so the
letters and the attendance step find it where they find Meet's. Its topic ends with the
session's marker ``[<program id>/<session id>]``: after a lost create answer the adapter lists
the host's meetings and takes the one with the marker instead of making a second.

A showcase session (``broadcast: youtube``) gets one unlisted YouTube Live broadcast of its
last meeting (the showcase of a multi-week program is its last day). The watch link goes in
the Sessions tab's ``Broadcast`` column and in the families' letters; the stream key is never
stored: the run sheet reads it from YouTube for the teacher and the partner only. A broadcast is
a recording: it is made only under the rule Meet's recording follows
(:func:`~microintern.domain.sessions.recording_decision`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from microintern.config import ProgramConfig, Session, text_in
from microintern.domain.sessions import STUDENTS_ADMITTED, TEACHER_OPENS, SessionPlan

MEET = "meet"
ZOOM = "zoom"
YOUTUBE = "youtube"
# Letters, digits and "-" only: the cell can also name a local records file (the demo's).
ZOOM_PREFIX = "zoom-"
TOPIC_LIMIT = 200          # Zoom refuses a longer topic
YOUTUBE_TITLE_LIMIT = 100  # YouTube refuses a longer broadcast title
WATCH_BASE = "https://www.youtube.com/watch?v="
# Zoom's weekly_days: 1 is Sunday ... 7 is Saturday.
_ZOOM_DAY = {0: 2, 1: 3, 2: 4, 3: 5, 4: 6, 5: 7, 6: 1}

# Said to the coordinator when the consent rule keeps a showcase off YouTube.
NO_BROADCAST = ("no YouTube broadcast: a broadcast is a recording, and {why}; the session runs "
                "without one (the families' letters carry no watch link)")


def session_marker(program_id: str, session_id: str) -> str:
    """The tag a Zoom meeting's topic ends with: ``[<program>/<session>]`` (found again by it)."""
    return f"[{program_id}/{session_id}]"


def tagged_title(title: str, marker: str, limit: int = TOPIC_LIMIT) -> str:
    """``title`` cut to fit ``limit`` with `` marker`` after it (the marker is never cut)."""
    room = limit - len(marker) - 1
    short = title if len(title) <= room else title[: max(room - 1, 0)].rstrip() + "…"
    return f"{short} {marker}"


def zoom_meeting_id(space: str) -> str | None:
    """The Zoom meeting id a ``Meet space`` cell holds (``zoom-<id>``), None for anything else."""
    value = (space or "").strip()
    if not value.startswith(ZOOM_PREFIX):
        return None
    meeting = value[len(ZOOM_PREFIX):].strip()
    return meeting if meeting.isdigit() else None


def zoom_space(meeting_id: str) -> str:
    """The ``Meet space`` cell for a Zoom meeting."""
    return f"{ZOOM_PREFIX}{meeting_id}"


def broadcast_id(watch_url: str) -> str | None:
    """The broadcast (video) id of a watch link the tool wrote, None for anything else."""
    value = (watch_url or "").strip()
    if not value.startswith(WATCH_BASE):
        return None
    video = value[len(WATCH_BASE):]
    return video if video and all(c.isalnum() or c in "-_" for c in video) else None


def watch_url(video_id: str) -> str:
    """Where families watch a broadcast."""
    return f"{WATCH_BASE}{video_id}"


def weekly_day(start: datetime) -> int:
    """Zoom's ``weekly_days`` number of ``start``'s weekday (1 Sunday ... 7 Saturday)."""
    return _ZOOM_DAY[start.weekday()]


def is_weekly(starts: tuple[datetime, ...]) -> bool:
    """True when the meetings fall every 7 days at the same local time (Zoom's weekly series).

    Compared on the wall clock: 16:00 stays 16:00 across a DST change, as Zoom's recurrence
    in the meeting's time zone does.
    """
    if len(starts) < 2:
        return False
    walls = [s.replace(tzinfo=None) for s in starts]
    return all(b - a == timedelta(days=7) for a, b in itertools.pairwise(walls))


@dataclass(frozen=True)
class ZoomMeetingPlan:
    """One session's Zoom meeting as it should be.

    ``starts`` are aware, in ``time_zone``. One start is a scheduled meeting; starts a week
    apart are a weekly recurring meeting; other series are a recurring meeting without a fixed
    time (one link for every meeting; Zoom cannot list arbitrary dates).
    """

    marker: str
    topic: str
    agenda: str
    starts: tuple[datetime, ...]
    duration_minutes: int
    time_zone: str
    auto_recording: bool
    authenticated_join: bool = False
    alternative_hosts: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``single``, ``weekly`` or ``open`` (recurring without a fixed time)."""
        if len(self.starts) == 1:
            return "single"
        return "weekly" if is_weekly(self.starts) else "open"

    @property
    def registration(self) -> bool:
        """True when students register (one join link each): Zoom allows it on fixed times only."""
        return has_registration(self.starts)


@dataclass(frozen=True)
class VideoRoom:
    """A meeting as the provider holds it: its id, the link people join by, notes for the coordinator."""

    meeting_id: str
    join_url: str
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Registrant:
    """A student registered for a session's Zoom meeting: their school email and the name Zoom shows.

    The name is the first name and the last initial (what the run sheet's roster shows), no more.
    """

    email: str
    first_name: str
    last_initial: str = ""


def has_registration(starts: tuple[datetime, ...]) -> bool:
    """True when a meeting with ``starts`` takes registrants (a single or a weekly meeting)."""
    return len(starts) == 1 or is_weekly(starts)


@dataclass(frozen=True)
class BroadcastPlan:
    """A showcase session's YouTube Live broadcast as it should be (always unlisted)."""

    marker: str
    title: str
    description: str
    start: datetime
    end: datetime
    made_for_kids: bool


@dataclass(frozen=True)
class Broadcast:
    """A broadcast as YouTube holds it: ids, the watch link, notes for the coordinator."""

    broadcast_id: str
    stream_id: str
    watch_url: str
    notes: tuple[str, ...] = field(default=())


def _digest(content: object) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:12]


def meeting_digest(plan: ZoomMeetingPlan) -> str:
    """A 12-character fingerprint of everything the meeting is asked to be."""
    # "registrants": meetings made before students registered get registration on their next run.
    return _digest([plan.marker, plan.topic, plan.agenda, [s.isoformat() for s in plan.starts],
                    plan.duration_minutes, plan.time_zone, plan.auto_recording,
                    plan.authenticated_join, sorted(h.casefold() for h in plan.alternative_hosts),
                    "registrants" if plan.registration else ""])


def broadcast_digest(plan: BroadcastPlan | None) -> str:
    """A 12-character fingerprint of the broadcast asked for ("" when there is none)."""
    if plan is None:
        return ""
    return _digest([plan.marker, plan.title, plan.description, plan.start.isoformat(),
                    plan.end.isoformat(), plan.made_for_kids])


# --- from the config and the Sessions tab ----------------------------------------------------------


def provider_of(config: ProgramConfig, session: Session) -> str:
    """``meet`` or ``zoom``: the session's own ``video`` when set, else ``video.provider``."""
    return session.video or config.video.provider


def _title(config: ProgramConfig, session: Session) -> str:
    return text_in(session.title, config.program.default_language)


def _organization(config: ProgramConfig, session: Session) -> str:
    for partner in config.partners:
        if partner.id == session.partner:
            return text_in(partner.organization, config.program.default_language)
    return session.partner


def zoom_plan(config: ProgramConfig, session: Session, plan: SessionPlan, recording: bool) -> ZoomMeetingPlan:
    """The Zoom meeting ``session`` needs as the Sessions tab has it now (no student's name)."""
    zoom = config.video.zoom
    marker = session_marker(config.program.id, session.id)
    agenda = (f"Micro-internship with {_organization(config, session)}. The teacher opens the room "
              f"{TEACHER_OPENS} minutes before the start; students wait in the waiting room and are "
              f"admitted from {STUDENTS_ADMITTED} minutes before.")
    return ZoomMeetingPlan(
        marker=marker, topic=tagged_title(_title(config, session), marker), agenda=agenda,
        starts=plan.starts, duration_minutes=int(plan.duration.total_seconds() // 60),
        time_zone=config.program.time_zone, auto_recording=recording,
        authenticated_join=zoom.authenticated_join,
        alternative_hosts=(session.teacher.email,) if zoom.teacher_alternative_host else ())


def broadcast_plan(config: ProgramConfig, session: Session, plan: SessionPlan) -> BroadcastPlan:
    """The showcase broadcast of ``session``: its last meeting, unlisted, no student's name."""
    marker = session_marker(config.program.id, session.id)
    start = plan.starts[-1]
    return BroadcastPlan(
        marker=marker, title=tagged_title(_title(config, session), marker, YOUTUBE_TITLE_LIMIT),
        description=(f"Showcase of a micro-internship with {_organization(config, session)}. "
                     "Unlisted: only people with the link can watch."),
        start=start, end=start + plan.duration, made_for_kids=config.video.youtube.made_for_kids)
