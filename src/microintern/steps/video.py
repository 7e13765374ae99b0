"""The sessions step's Zoom meetings and YouTube showcase broadcasts (issue 18).

:mod:`microintern.steps.sessions` calls these for a session whose provider is Zoom
(:func:`zoom_link`, :func:`cancel_zoom`) and for a showcase session (:func:`showcase`,
:func:`cancel_broadcast`). They write through the session's build as Meet's code does: the cells
to change go into ``build.changes`` (one Sessions upsert at the end of the step), each call to a
provider counts in ``build.calls``, and the memo remembers what was asked (``meet_digest`` for
the meeting, ``broadcast_digest`` for the broadcast), so a rerun with nothing changed calls
nobody.

Idempotent across crashes: the meeting id and the watch link are written only at the end of
the step, so a run killed after Zoom or YouTube made something finds it again by the session's
tag (the adapters list before they create).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Protocol, runtime_checkable

from microintern.config import Session
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Record
from microintern.domain.sessions import (
    RECORDING_CONSENT,
    RECORDING_UNAVAILABLE,
    LastBuild,
    SessionPlan,
    recording_decision,
    text,
)
from microintern.domain.video import (
    NO_BROADCAST,
    YOUTUBE,
    ZOOM,
    Broadcast,
    Registrant,
    VideoRoom,
    broadcast_digest,
    broadcast_id,
    broadcast_plan,
    has_registration,
    meeting_digest,
    provider_of,
    zoom_meeting_id,
    zoom_plan,
    zoom_space,
)
from microintern.errors import BackendError
from microintern.ports.video import VideoMeetings
from microintern.steps.context import StepContext, StepResult
from microintern.steps.sheet.participants import Seated

_UNAVAILABLE_CELL = f"off: {RECORDING_UNAVAILABLE}"


class SessionBuild(Protocol):
    """What these functions use of the sessions step's build of one session."""

    ctx: StepContext
    session: Session
    plan: SessionPlan
    row: Record
    result: StepResult
    last: LastBuild
    changes: Record
    calls: int
    meet_digest: str
    broadcast_digest: str


def _zoom(ctx: StepContext) -> VideoMeetings:
    """The Zoom port, or a plain error when the run has none."""
    zoom = ctx.ports.zoom
    if zoom is None:
        raise BackendError("Zoom: this run has no Zoom connection (video.zoom in the config, "
                           "and the credentials file: see docs/zoom-youtube.md)")
    return zoom


def zoom_link(build: SessionBuild, placed: Sequence[Record], partner_row: Record) -> str:
    """Make or update the session's Zoom meeting as needed; return its join link.

    Cloud recording only under the consent rule Meet's recording follows; the Recording column
    says which and why, as for Meet.
    """
    ctx, session = build.ctx, build.session
    zoom = _zoom(ctx)
    recording, note = recording_decision(ctx.config.video.recording, partner_row.get(RECORDING_CONSENT),
                                         placed)
    wanted = zoom_plan(ctx.config, session, build.plan, recording)
    digest = meeting_digest(wanted)
    known = zoom_meeting_id(build.plan.meet_space)
    link = build.plan.meet_link
    room: VideoRoom | None = None
    if known is None:
        build.calls += 1
        room = zoom.ensure_meeting(wanted)
        build.result.add("zoom meetings made")
    elif digest != build.last.meet:
        build.calls += 1
        try:
            room = zoom.update_meeting(known, wanted)
            build.result.add("zoom meetings updated")
        except BackendError as exc:
            if exc.code != 404:
                raise
            build.result.problems.append(
                f"{session.id}: its Zoom meeting no longer exists; a new one was made and the calendar "
                "events now carry its link")
            room = zoom.ensure_meeting(wanted)
    if room is not None:
        cells = {sheet.SESSION_MEET_SPACE: zoom_space(room.meeting_id),
                 sheet.SESSION_MEET_LINK: room.join_url}
        changed = {k: v for k, v in cells.items() if text(build.row.get(k)) != v}
        build.changes.update(changed)
        build.row = {**build.row, **cells}
        link = room.join_url
        build.meet_digest = digest
        build.result.problems.extend(f"{session.id}: {n}" for n in room.notes)
    note_recording(build, recording, note, room.notes if room is not None else None)
    return link


def note_recording(build: SessionBuild, recording: bool, note: str, notes: Sequence[str] | None) -> None:
    """Write the session's Recording cell: ``note``, or "off: unavailable" when recording was
    wanted and the service refused it.

    ``notes`` are what Meet or Zoom said of the space or meeting made or updated this run;
    None when nothing was asked of it this run, and then a refusal recorded earlier stands.
    """
    if notes is not None:
        refused = RECORDING_UNAVAILABLE in notes
    else:
        refused = text(build.row.get(sheet.SESSION_RECORDING)) == _UNAVAILABLE_CELL
    cell = _UNAVAILABLE_CELL if recording and refused else note
    if cell != text(build.row.get(sheet.SESSION_RECORDING)):
        build.changes[sheet.SESSION_RECORDING] = cell


def cancel_zoom(build: SessionBuild) -> None:
    """Delete a cancelled session's Zoom meeting (once: its cells are cleared after)."""
    known = zoom_meeting_id(build.plan.meet_space)
    if known is None:
        return
    zoom = _zoom(build.ctx)
    build.calls += 1
    zoom.delete_meeting(known)  # False: gone already (a repeat after a lost answer), as wanted
    build.changes.update({sheet.SESSION_MEET_SPACE: "", sheet.SESSION_MEET_LINK: ""})
    build.meet_digest = ""
    build.result.add("zoom meetings deleted")


def leave_zoom(build: SessionBuild) -> None:
    """A session moved from Zoom back to Meet: its Zoom meeting is deleted, then Meet's is made."""
    if zoom_meeting_id(build.plan.meet_space) is None:
        return
    cancel_zoom(build)
    build.plan = replace(build.plan, meet_space="", meet_link="")
    build.row = {**build.row, sheet.SESSION_MEET_SPACE: "", sheet.SESSION_MEET_LINK: ""}


def showcase(build: SessionBuild, placed: Sequence[Record], partner_row: Record) -> None:
    """Make or update the session's YouTube broadcast, or take it down when consent is gone.

    A broadcast is a recording: without the partner's consent and every placed student's
    release allowing it there is none, and the coordinator is told why (every run, until the
    consent is there or the session is no showcase).
    """
    ctx, session = build.ctx, build.session
    if session.broadcast != YOUTUBE:
        return
    allowed, why = recording_decision(ctx.config.video.recording, partner_row.get(RECORDING_CONSENT), placed)
    known = broadcast_id(text(build.row.get(sheet.SESSION_BROADCAST)))
    if not allowed:
        build.result.problems.append(f"{session.id}: " + NO_BROADCAST.format(why=why.removeprefix("off: ")))
        if known is not None:
            cancel_broadcast(build)
        return
    youtube = ctx.ports.broadcasts
    if youtube is None:
        raise BackendError("YouTube: this run has no YouTube connection (a showcase session needs the "
                           "Google backend and the YouTube scope: see docs/zoom-youtube.md)")
    wanted = broadcast_plan(ctx.config, session, build.plan)
    digest = broadcast_digest(wanted)
    made: Broadcast | None = None
    try:
        if known is None:
            build.calls += 1
            made = youtube.ensure_broadcast(wanted)
            build.result.add("broadcasts made")
        elif digest != build.last.broadcast:
            build.calls += 1
            try:
                made = youtube.update_broadcast(known, wanted)
                build.result.add("broadcasts updated")
            except BackendError as exc:
                if exc.code != 404:
                    raise
                made = youtube.ensure_broadcast(wanted)
    except BackendError as exc:
        if exc.code != 403 or exc.retryable:
            raise
        # The channel cannot stream yet (or the grant is missing): said on every run until fixed.
        build.result.problems.append(
            f"{session.id}: YouTube refused the showcase's broadcast ({exc}); enable live streaming "
            "on the channel (it takes up to 24 hours) and grant the YouTube scope: see "
            "docs/zoom-youtube.md")
        return
    if made is not None:
        if made.watch_url != text(build.row.get(sheet.SESSION_BROADCAST)):
            build.changes[sheet.SESSION_BROADCAST] = made.watch_url
        build.row = {**build.row, sheet.SESSION_BROADCAST: made.watch_url}
        build.broadcast_digest = digest
        build.result.problems.extend(f"{session.id}: {n}" for n in made.notes)


def cancel_broadcast(build: SessionBuild) -> None:
    """Delete the session's broadcast (a cancelled session, or consent withdrawn)."""
    known = broadcast_id(text(build.row.get(sheet.SESSION_BROADCAST)))
    youtube = build.ctx.ports.broadcasts
    if known is None or youtube is None:
        return
    build.calls += 1
    youtube.delete_broadcast(known)
    build.changes[sheet.SESSION_BROADCAST] = ""
    build.row = {**build.row, sheet.SESSION_BROADCAST: ""}
    build.broadcast_digest = ""
    build.result.add("broadcasts deleted")


@runtime_checkable
class StudentLinks(Protocol):
    """A Zoom port that registers students (the real one; the local backend's placeholders do not)."""

    def join_links(self, meeting_id: str, students: Sequence[Registrant]) -> dict[str, str]:
        """Each student registered once: casefolded email → their own join link."""
        ...


def student_join_links(ctx: StepContext, session: Session, plan: SessionPlan,
                       students: Sequence[Seated]) -> dict[str, str]:
    """Each of ``students``' own Zoom join link, by applicant id (empty: the meeting's link for all).

    Only for a session on Zoom whose meeting takes registrants (fixed times). Students are
    registered here, when their session details or reminder is about to go, so the link is
    never stored: Zoom's registrant list is the memory. Raises :class:`BackendError` when Zoom
    could not say; the caller holds those letters for the next run.
    """
    meeting = zoom_meeting_id(plan.meet_space)
    zoom = ctx.ports.zoom
    if (not students or meeting is None or provider_of(ctx.config, session) != ZOOM
            or not has_registration(plan.starts) or not isinstance(zoom, StudentLinks)):
        return {}
    people = [Registrant(s.student_email, str(s.applicant.get("first_name") or "").strip(),
                         str(s.applicant.get("last_name") or "").strip()[:1].upper())
              for s in students if s.student_email.strip()]
    links = zoom.join_links(meeting, people)
    return {s.applicant_id: links[s.student_email.strip().casefold()] for s in students
            if s.student_email.strip().casefold() in links}


@runtime_checkable
class StudentCancels(Protocol):
    """A Zoom port that cancels registrants (the real one; the local backend's placeholders have none)."""

    def cancel_unplaced(self, meeting_id: str, placed: Collection[str], students: Collection[str]) -> int:
        """Cancel the registrants among ``students`` not in ``placed``; how many were cancelled."""
        ...


def cancel_unplaced(build: SessionBuild, placed: Sequence[Record], addresses: Mapping[str, str]) -> bool:
    """Cancel the Zoom registration of students no longer placed here; False when Zoom could not say.

    Only registrants the tool made are touched: school addresses the program knows
    (``addresses``, every applicant's) that are not placed here. The teacher, the partner and
    people the host added by hand keep theirs. A meeting made in this run (or replaced) has
    nobody to cancel. On failure the run says so without naming a student.
    """
    meeting = zoom_meeting_id(build.plan.meet_space)
    zoom = build.ctx.ports.zoom
    if (meeting is None or meeting != zoom_meeting_id(text(build.row.get(sheet.SESSION_MEET_SPACE)))
            or not has_registration(build.plan.starts) or not isinstance(zoom, StudentCancels)):
        return True
    keep = [addresses[a] for a in (text(r.get(sheet.APPLICANT_ID)) for r in placed) if a in addresses]
    try:
        cancelled = zoom.cancel_unplaced(meeting, keep, list(addresses.values()))
    except BackendError as exc:
        build.result.problems.append(f"{build.session.id}: students no longer placed could not be taken "
                                     f"off the Zoom meeting's registrants ({exc}); the next run tries again")
        return False
    if cancelled:
        build.result.add("zoom registrations cancelled", cancelled)
    return True
