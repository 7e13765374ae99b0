"""Issue 18's pure parts: provider choice, tags, weekly series, cells, the memo, the local stand-ins."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from microintern.adapters.local.meet_records import LocalDirectory, LocalMeetRecords
from microintern.adapters.local.video import LocalBroadcasts, LocalZoomMeetings
from microintern.config import ProgramConfig
from microintern.domain.records import Conference, ConferenceParticipant, Presence
from microintern.domain.sessions import LastBuild, calendar_cell
from microintern.domain.video import (
    BroadcastPlan,
    ZoomMeetingPlan,
    broadcast_id,
    is_weekly,
    provider_of,
    tagged_title,
    weekly_day,
    zoom_meeting_id,
)
from microintern.errors import BackendError, ConfigError

DENVER = ZoneInfo("America/Denver")


def test_a_session_overrides_the_programs_provider(make_config: Any) -> None:
    config: ProgramConfig = make_config(video={"provider": "zoom"})
    assert {provider_of(config, s) for s in config.sessions} == {"zoom"}
    sessions = [s.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for s in config.sessions]
    sessions[0]["video"] = "meet"
    mixed: ProgramConfig = make_config(video={"provider": "zoom"}, sessions=sessions)
    assert [provider_of(mixed, s) for s in mixed.sessions][:2] == ["meet", "zoom"]
    with pytest.raises(ConfigError, match=r"video\.provider"):
        make_config(video={"provider": "teams"})
    sessions[0]["broadcast"] = "twitch"
    with pytest.raises(ConfigError, match="broadcast"):
        make_config(sessions=sessions)


def test_weekly_means_seven_days_apart_on_the_wall_clock_across_dst() -> None:
    first = datetime(2027, 3, 2, 16, 0, tzinfo=DENVER)  # DST starts on March 14
    weekly = tuple((first.replace(tzinfo=None) + timedelta(weeks=n)).replace(tzinfo=DENVER) for n in range(4))
    assert is_weekly(weekly)
    assert not is_weekly(weekly[:1])
    assert not is_weekly((weekly[0], weekly[1] + timedelta(hours=1)))
    assert weekly_day(first) == 3  # a Tuesday is Zoom's 3 (1 is Sunday)


def test_the_tag_is_never_cut_and_cells_are_read_strictly() -> None:
    title = tagged_title("A" * 300, "[mvusd-spring-2027/cyber-basics]")
    assert len(title) == 200 and title.endswith(" [mvusd-spring-2027/cyber-basics]")
    assert zoom_meeting_id("zoom-81234567890") == "81234567890"
    assert zoom_meeting_id("spaces/abc") is None and zoom_meeting_id("zoom-../x") is None
    assert broadcast_id("https://www.youtube.com/watch?v=yt000000001") == "yt000000001"
    assert broadcast_id("https://evil.example/watch?v=x") is None


def test_the_memo_keeps_the_broadcast_fingerprint_beside_the_meetings() -> None:
    last = LastBuild("0123456789ab", ("a1b2c3d4e5f6@2027-03-16T15:30",), "ba9876543210")
    cell = calendar_cell(last, planned=1, written="2027-02-20 06:30")
    assert cell.endswith("meet:0123456789ab yt:ba9876543210 a1b2c3d4e5f6@2027-03-16T15:30")
    assert LastBuild.parse(cell) == last
    assert LastBuild.parse(cell.replace(" yt:ba9876543210", "")).broadcast == ""


def test_local_stand_ins_give_the_same_placeholder_on_every_repeat(tmp_path: Path) -> None:
    start = datetime(2027, 3, 16, 15, 30, tzinfo=DENVER)
    meeting = ZoomMeetingPlan("[p/s]", "T [p/s]", "", (start,), 90, "America/Denver", False)
    zoom = LocalZoomMeetings(tmp_path)
    room = zoom.ensure_meeting(meeting)
    assert zoom.ensure_meeting(meeting) == room and room.join_url.startswith("https://zoom.us/j/")
    assert zoom.update_meeting(room.meeting_id, meeting) == room
    assert zoom.delete_meeting(room.meeting_id) is True and zoom.delete_meeting(room.meeting_id) is False
    with pytest.raises(BackendError):
        zoom.update_meeting(room.meeting_id, meeting)
    assert zoom.conferences(room.meeting_id) == []
    # Records kept where the local Meet records are (the demo writes them), people by address.
    records, people = LocalMeetRecords(tmp_path.parent / "meet"), LocalDirectory(tmp_path.parent / "meet")
    people.add({"users/7": "ana@students.example"})
    records.record(f"zoom-{room.meeting_id}", [Conference("c1", start, start + timedelta(minutes=90), (
        ConferenceParticipant("c1/p1", "users/7", "Ana", (Presence(start, start + timedelta(minutes=80)),)),
        ConferenceParticipant("c1/p2", None, "Phone", (Presence(start, None),))))])
    (held,) = zoom.conferences(room.meeting_id)
    assert [p.user for p in held.participants] == ["ana@students.example", None]
    youtube = LocalBroadcasts(tmp_path)
    plan = BroadcastPlan("[p/s]", "T [p/s]", "", start, start + timedelta(minutes=90), False)
    made = youtube.ensure_broadcast(plan)
    assert youtube.ensure_broadcast(plan) == made
    assert youtube.stream_key(made.broadcast_id) == ("rtmp://a.rtmp.youtube.com/live2",
                                                      f"placeholder-{made.broadcast_id}")
    assert youtube.delete_broadcast(made.broadcast_id) is True
    assert youtube.stream_key(made.broadcast_id) is None
