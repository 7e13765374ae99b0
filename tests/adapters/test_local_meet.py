"""LocalMeetRooms: unique placeholder codes from a persisted counter, honest notes."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from microintern.adapters.local.meet import LocalMeetRooms, meeting_code
from microintern.domain.records import MeetSettings
from microintern.errors import BackendError
from microintern.ports import MeetRooms

CODE = re.compile(r"[a-z]{3}-[a-z]{4}-[a-z]{3}")


def test_is_meet_rooms(tmp_path: Path) -> None:
    rooms: MeetRooms = LocalMeetRooms(tmp_path)
    assert isinstance(rooms, LocalMeetRooms)


def test_space_shape(tmp_path: Path) -> None:
    space = LocalMeetRooms(tmp_path / "meet").create_space(MeetSettings())
    assert CODE.fullmatch(space.meeting_code)
    assert space.name == f"spaces/{space.meeting_code}"
    assert space.meeting_uri == f"https://meet.google.com/{space.meeting_code}"
    assert any("by hand" in note for note in space.notes)


def test_codes_are_unique_and_survive_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "meet"
    codes = [LocalMeetRooms(folder).create_space(MeetSettings()).meeting_code for _ in range(3)]
    codes += [LocalMeetRooms(folder).create_space(MeetSettings()).meeting_code for _ in range(3)]
    assert len(set(codes)) == 6
    assert json.loads((folder / "meet-rooms.json").read_text()) == {"counter": 6}
    assert codes == [meeting_code(i) for i in range(6)]  # deterministic from the counter


def test_code_mapping_does_not_collide() -> None:
    codes = {meeting_code(i) for i in range(20_000)}
    assert len(codes) == 20_000
    assert all(CODE.fullmatch(code) for code in codes)


def test_state_is_private(tmp_path: Path) -> None:
    folder = tmp_path / "meet"
    LocalMeetRooms(folder).create_space(MeetSettings())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_notes_follow_settings_without_addresses(tmp_path: Path) -> None:
    settings = MeetSettings(
        restricted=True,
        moderation=False,
        auto_recording=True,
        attendance_report=False,
        cohosts=("partner@acme.example.com", "teacher@district.example.org"),
    )
    notes = LocalMeetRooms(tmp_path).create_space(settings).notes
    text = " | ".join(notes)
    assert "restricted" in text
    assert "recording" in text
    assert "host management" not in text
    assert "attendance" not in text
    assert "2 co-host(s)" in text
    assert "@" not in text


def test_damaged_state_is_a_backend_error(tmp_path: Path) -> None:
    (tmp_path / "meet-rooms.json").write_text("{not json")
    with pytest.raises(BackendError, match="damaged"):
        LocalMeetRooms(tmp_path).create_space(MeetSettings())
    (tmp_path / "meet-rooms.json").write_text('{"counter": -1}')
    with pytest.raises(BackendError, match="non-negative"):
        LocalMeetRooms(tmp_path).create_space(MeetSettings())


def test_update_space_keeps_the_link_and_renews_the_notes(tmp_path: Path) -> None:
    rooms = LocalMeetRooms(tmp_path / "meet")
    space = rooms.create_space(MeetSettings())
    updated = rooms.update_space(space.name, MeetSettings(auto_recording=True, cohosts=("a@x.example",)))
    assert (updated.name, updated.meeting_uri, updated.meeting_code) == (
        space.name, space.meeting_uri, space.meeting_code)
    assert any("recording" in note for note in updated.notes)
    assert not any("recording" in note for note in space.notes)
    assert json.loads((tmp_path / "meet" / "meet-rooms.json").read_text()) == {"counter": 1}


@pytest.mark.parametrize("name", ["spaces/not-a-code", f"spaces/{meeting_code(5)}", "abc-defg-hij"])
def test_update_space_that_was_never_issued_is_a_404(tmp_path: Path, name: str) -> None:
    rooms = LocalMeetRooms(tmp_path / "meet")
    rooms.create_space(MeetSettings())
    with pytest.raises(BackendError) as caught:
        rooms.update_space(name, MeetSettings())
    assert caught.value.code == 404


def test_update_space_in_an_empty_folder_is_a_404(tmp_path: Path) -> None:
    with pytest.raises(BackendError) as caught:
        LocalMeetRooms(tmp_path / "absent").update_space(f"spaces/{meeting_code(0)}", MeetSettings())
    assert caught.value.code == 404
