"""Conference records for the local backend: what the local "Meet" kept of each call.

Without Google there is no call to record; these files stand in for Meet's conference records
(the demo writes them, and a coordinator may write them by hand from a register). One JSON file
per space, ``<folder>/<meeting code>.conferences.json``, beside the spaces of
:mod:`microintern.adapters.local.meet`::

    {"conferences": [
      {"name": "conferenceRecords/c1", "start": "2027-03-16T15:25:00-07:00",
       "end": "2027-03-16T17:01:00-07:00",
       "participants": [
         {"name": "conferenceRecords/c1/participants/p1", "user": "users/1001",
          "display_name": "Ana R.", "presences": [{"start": "...", "end": "..."}]},
         {"name": "conferenceRecords/c1/participants/p2", "user": null,
          "display_name": "Phone caller", "presences": [...]}]}]}

The local directory is ``<folder>/users.json`` (``{"users/1001": "ana@school.example"}``); a
user written as ``users/<address>`` is that address. Unlike Google's, local records are kept
until deleted. Files are private (0600) and replaced atomically.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from microintern.adapters.local._files import (
    FILE_MODE,
    atomic_write_bytes,
    ensure_private_dir,
    safe_component,
)
from microintern.domain.records import Conference, ConferenceParticipant, Presence
from microintern.errors import BackendError

SUFFIX = ".conferences.json"
USERS_FILE = "users.json"


def _time(value: object, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise BackendError(f"{where}: {value!r} is not an ISO time with an offset") from None
    if moment.tzinfo is None:
        raise BackendError(f"{where}: {value!r} has no UTC offset")
    return moment


def _optional_time(value: object, where: str) -> datetime | None:
    return None if value is None or value == "" else _time(value, where)


def conference_from_json(data: dict[str, Any], where: str) -> Conference:
    """One conference of a local file (``where`` names the file in errors)."""
    name = str(data.get("name") or "")
    if not name:
        raise BackendError(f"{where}: a conference without a name")
    participants = []
    for item in data.get("participants") or []:
        label = f"{where}, {item.get('name') or name}"
        presences = tuple(Presence(_time(p.get("start"), label), _optional_time(p.get("end"), label))
                          for p in item.get("presences") or [])
        participants.append(ConferenceParticipant(
            name=str(item.get("name") or ""), user=str(item["user"]) if item.get("user") else None,
            display_name=str(item.get("display_name") or ""), presences=presences))
    return Conference(name=name, start=_time(data.get("start"), f"{where}, {name}"),
                      end=_optional_time(data.get("end"), f"{where}, {name}"),
                      participants=tuple(participants))


def conference_to_json(conference: Conference) -> dict[str, Any]:
    """The JSON form of one conference, as :func:`conference_from_json` reads it."""
    return {
        "name": conference.name,
        "start": conference.start.isoformat(),
        "end": conference.end.isoformat() if conference.end else None,
        "participants": [{
            "name": p.name, "user": p.user, "display_name": p.display_name,
            "presences": [{"start": s.start.isoformat(), "end": s.end.isoformat() if s.end else None}
                          for s in p.presences],
        } for p in conference.participants],
    }


class LocalMeetRecords:
    """The :class:`~microintern.ports.MeetRecords` port on JSON files in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, space: str) -> Path:
        """The file of ``space`` (``spaces/<meeting code>``)."""
        code = safe_component(space.removeprefix("spaces/"), "Meet space")
        return self.folder / f"{code}{SUFFIX}"

    def conferences(self, space: str) -> list[Conference]:
        """Every conference recorded for ``space``, oldest first (none when there is no file)."""
        path = self.path(space)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise BackendError(f"{path} is damaged ({type(exc).__name__}); fix or remove it") from exc
        items = data.get("conferences") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BackendError(f"{path}: expected {{\"conferences\": [...]}}")
        return sorted((conference_from_json(c, str(path)) for c in items), key=lambda c: c.start)

    def record(self, space: str, conferences: Iterable[Conference]) -> None:
        """Add or replace (by name) conferences of ``space``; safe to repeat."""
        path = self.path(space)
        ensure_private_dir(self.folder)
        with FileLock(str(path) + ".lock", mode=FILE_MODE):
            kept = {c.name: c for c in self.conferences(space)}
            kept.update({c.name: c for c in conferences})
            ordered = sorted(kept.values(), key=lambda c: c.start)
            body = {"conferences": [conference_to_json(c) for c in ordered]}
            atomic_write_bytes(path, json.dumps(body, indent=1, ensure_ascii=False).encode())


class LocalDirectory:
    """The :class:`~microintern.ports.Directory` port on ``<folder>/users.json``."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / USERS_FILE

    def _users(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise BackendError(f"{self.path} is damaged ({type(exc).__name__}); fix or remove it") from exc
        if not isinstance(data, dict):
            raise BackendError(f"{self.path}: expected an object of \"users/<id>\": address")
        return {str(k): str(v) for k, v in data.items()}

    def email_of(self, user: str) -> str | None:
        """The address of ``user`` from the users file, or the address in ``users/<address>``."""
        found = self._users().get(user)
        if found:
            return found
        bare = user.removeprefix("users/")
        return bare if "@" in bare else None

    def add(self, users: dict[str, str]) -> None:
        """Add or replace users (``users/<id>`` → address); safe to repeat."""
        ensure_private_dir(self.path.parent)
        with FileLock(str(self.path) + ".lock", mode=FILE_MODE):
            merged = {**self._users(), **users}
            if merged != self._users():
                atomic_write_bytes(self.path, json.dumps(merged, indent=1, sort_keys=True).encode())
