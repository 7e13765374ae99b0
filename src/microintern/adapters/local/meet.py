"""Placeholder Meet spaces for the local backend (the :class:`~microintern.ports.MeetRooms` port).

Without Google there is no real meeting room. This adapter hands out well-formed, unique
``abc-defg-hij`` codes so that letters, run sheets and calendar files show a link in the right
place, and says plainly in ``notes`` that the room must be set up by hand.

Like the Google backend, a meeting's space belongs to its first Calendar event:
:meth:`LocalMeetRooms.space_for_event` hands out a code once per event id (kept in the state
file), so a repeat after a crash gives the same link, never a second one.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from filelock import FileLock

from microintern.adapters.local._files import FILE_MODE, atomic_write_bytes, ensure_private_dir
from microintern.domain.records import CalendarEvent, MeetSettings, MeetSpace
from microintern.errors import BackendError

STATE_FILE = "meet-rooms.json"
MEET_BASE = "https://meet.google.com/"

_LETTERS = string.ascii_lowercase
_CODE_SPACE = 26**10
# Multiplying by a number coprime with 26**10 is a bijection on [0, 26**10): consecutive counters
# give unrelated-looking, never-repeating codes (deterministic, not secret: a local placeholder).
_SCRAMBLE = 7_595_153_337_701
_OFFSET = 61_917_364_224_007


_UNSCRAMBLE = pow(_SCRAMBLE, -1, _CODE_SPACE)
_CODE = re.compile(r"[a-z]{3}-[a-z]{4}-[a-z]{3}")


def meeting_code(counter: int) -> str:
    """The ``abc-defg-hij`` code of the ``counter``-th space (unique for 26**10 spaces)."""
    value = (counter * _SCRAMBLE + _OFFSET) % _CODE_SPACE
    letters = []
    for _ in range(10):
        value, digit = divmod(value, 26)
        letters.append(_LETTERS[digit])
    code = "".join(letters)
    return f"{code[:3]}-{code[3:7]}-{code[7:]}"


def code_counter(code: str) -> int | None:
    """The counter :func:`meeting_code` made ``code`` from (None when it is not such a code)."""
    if not _CODE.fullmatch(code):
        return None
    value = 0
    for letter in reversed(code.replace("-", "")):
        value = value * 26 + _LETTERS.index(letter)
    return (value - _OFFSET) * _UNSCRAMBLE % _CODE_SPACE


class LocalMeetRooms:
    """A :class:`~microintern.ports.MeetRooms` that issues placeholder codes.

    The counter lives in ``<folder>/meet-rooms.json`` so codes never repeat across runs; a file
    lock keeps two processes from taking the same number.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.state_path = self.folder / STATE_FILE

    def create_space(self, settings: MeetSettings) -> MeetSpace:
        """Take the next code and describe what the coordinator must set up by hand."""
        return self._issue(None, settings)

    def space_for_event(self, calendar_id: str, event: CalendarEvent,
                        settings: MeetSettings) -> MeetSpace:
        """The code issued to this event, taken the first time; the same on every repeat."""
        return self._issue(f"{calendar_id}/{event.event_id}", settings)

    def _issue(self, event_key: str | None, settings: MeetSettings) -> MeetSpace:
        """The code of ``event_key`` (the next one when it has none yet, or when it is None)."""
        ensure_private_dir(self.folder)
        with FileLock(str(self.state_path) + ".lock", mode=FILE_MODE):
            state = self._read_state()
            issued = state["events"].get(event_key) if event_key is not None else None
            if isinstance(issued, int) and 0 <= issued < state["counter"]:
                counter = issued
            else:
                counter = state["counter"]
                state["counter"] = counter + 1
                if event_key is not None:
                    state["events"][event_key] = counter
                # The file keeps its old one-key shape until a space is issued to an event.
                kept = state if state["events"] else {"counter": state["counter"]}
                atomic_write_bytes(self.state_path, json.dumps(kept, sort_keys=True).encode())
        code = meeting_code(counter)
        return MeetSpace(
            name=f"spaces/{code}",
            meeting_uri=f"{MEET_BASE}{code}",
            meeting_code=code,
            notes=_notes(settings),
        )

    def update_space(self, name: str, settings: MeetSettings) -> MeetSpace:
        """The space ``name`` with notes for ``settings``; a 404 when it was never issued here.

        There is nothing to patch locally: the notes say what to set up by hand, as at creation.
        """
        code = name.removeprefix("spaces/")
        counter = code_counter(code)
        # The counter file is replaced atomically, so reading it needs no lock.
        issued = self._read_counter()
        if counter is None or counter >= issued or name != f"spaces/{code}":
            raise BackendError(f"local Meet: no space {name!r} was issued in {self.folder}", code=404)
        return MeetSpace(name=name, meeting_uri=f"{MEET_BASE}{code}", meeting_code=code,
                         notes=_notes(settings))

    def _read_counter(self) -> int:
        """The number of spaces issued so far (0 before the first)."""
        return int(self._read_state()["counter"])

    def _read_state(self) -> dict[str, Any]:
        """``{"counter": spaces issued, "events": {calendar/event id: its counter}}``."""
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            counter = state["counter"]
            events = state.get("events", {})
        except FileNotFoundError:
            return {"counter": 0, "events": {}}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendError(
                f"{self.state_path} is damaged ({type(exc).__name__}); fix or remove it"
            ) from exc
        if not isinstance(counter, int) or counter < 0:
            raise BackendError(f"{self.state_path}: counter must be a non-negative integer")
        if not isinstance(events, dict):
            raise BackendError(f"{self.state_path}: events must be a mapping")
        return {"counter": counter, "events": events}


def _notes(settings: MeetSettings) -> tuple[str, ...]:
    """Plain-language notes on what the local backend could not do for this space."""
    notes = ["local backend: placeholder link, create the real Meet room by hand"]
    if settings.restricted:
        notes.append("set access to restricted (only invited people join without knocking)")
    if settings.moderation:
        notes.append("turn on host management")
    if settings.auto_recording:
        notes.append("auto-recording was requested: start recording by hand")
    if settings.attendance_report:
        notes.append("turn on attendance tracking, or take attendance by hand")
    if settings.cohosts:
        # Counts only: notes may be copied into the sheet or logs, addresses may not.
        notes.append(f"add {len(settings.cohosts)} co-host(s) from the Sessions tab")
    return tuple(notes)
