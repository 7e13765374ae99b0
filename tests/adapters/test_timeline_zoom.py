"""Issue 18, end to end: the demo's program on the Google backend with its sessions on the fake
Zoom and a showcase on YouTube Live, its whole timeline played day by day by ``run-due`` (the
command cron runs), with 10% of the answers lost on both fakes.

The demo's people act as in ``make demo``; the meetings they hold are written into the fake
Zoom's past meetings (participants by their email, as Zoom's report gives them).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import timeline_google
import yaml
from fakeworkspace import FakeWorkspace
from fakezoom import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, FakeZoom
from timeline_google import (
    MUTATING_METHODS,
    PROGRAM_USER,
    SPREADSHEET_ID,
    FaultPlan,
    GoogleTimeline,
    sent_keys,
    waits_for_the_fake,
)

from microintern.adapters.zoom import SCOPES, ZoomClient
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Conference
from microintern.domain.video import session_marker, zoom_meeting_id

PROGRAM = "mvusd-spring-2027"
SHOWCASE = "cyber-basics"   # the demo's session whose partner and every family allow recording
YOUTUBE_WRITES = ("youtube.liveBroadcasts.insert", "youtube.liveBroadcasts.update",
                  "youtube.liveBroadcasts.bind", "youtube.liveBroadcasts.delete",
                  "youtube.liveStreams.insert", "youtube.liveStreams.delete")


class _ZoomPeople:
    """Where the demo's meetings go: the fake Zoom's past meetings, people by their address."""

    def __init__(self, zoom: FakeZoom) -> None:
        self.zoom = zoom
        self.addresses: dict[str, str] = {}

    def add(self, users: dict[str, str]) -> None:
        """The demo's people (``users/{id}`` → address): Zoom reports the address itself."""
        self.addresses.update(users)

    def record(self, space: str, conferences: Iterable[Conference]) -> None:
        """Each conference as a held meeting of the session's Zoom meeting."""
        meeting = zoom_meeting_id(space)
        assert meeting is not None, space
        for conference in conferences:
            self.zoom.add_past_instance(meeting, conference.start, [
                (self.addresses.get(p.user or ""), p.display_name, s.start, s.end or conference.end)
                for p in conference.participants for s in p.presences])


class _BothFakes(FaultPlan):
    """The day's faults on the Workspace fake's writes and on every Zoom call."""

    zoom: FakeZoom | None = None

    def arm(self, fake: FakeWorkspace, day_number: int) -> list[Any]:
        armed = super().arm(fake, day_number)
        assert self.zoom is not None
        armed.append(self.zoom.faults.add("zoom.*", self.kind, rate=self.rate,  # type: ignore[arg-type]
                                          seed=self.seed * 7 + day_number))
        return armed

    def disarm(self, fake: FakeWorkspace, armed: Iterable[Any]) -> None:
        assert self.zoom is not None
        for fault in armed:
            self.fired[fault.method_glob] += fault.fired
        fake.faults.clear()
        self.zoom.faults.clear()


@pytest.mark.slow
def test_the_demo_program_on_zoom_with_a_showcase_under_ten_percent_lost_answers(
        fake_server: FakeWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_server
    fake.reset()
    waits_for_the_fake(monkeypatch, fake)
    zoom_init = ZoomClient.__init__
    monkeypatch.setattr(ZoomClient, "__init__", lambda self, *a, **k: zoom_init(
        self, *a, **{**k, "sleep": lambda _seconds: None}))
    secret = tmp_path / "zoom-credentials.json"
    secret.write_text(json.dumps({"account_id": ACCOUNT_ID, "client_id": CLIENT_ID,
                                  "client_secret": CLIENT_SECRET}), encoding="utf-8")
    os.chmod(secret, 0o600)
    write = timeline_google.write_config

    def on_zoom(folder: Path, **overrides: Any) -> Path:
        path = write(folder, **overrides)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["video"] = {**data.get("video", {}), "provider": "zoom",
                         "zoom": {"credentials_file": str(secret), "host": PROGRAM_USER}}
        for session in data["sessions"]:
            if session["id"] == SHOWCASE:
                session["broadcast"] = "youtube"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    monkeypatch.setattr(timeline_google, "write_config", on_zoom)
    with FakeZoom() as zoom:
        zoom.add_app(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, SCOPES)
        for user in (PROGRAM_USER, "luis.carrillo@mesavalley.example", "renee.holloway@mesavalley.example",
                     "priya.raman@mesavalley.example"):
            zoom.add_user(user)
        monkeypatch.setenv("MICROINTERN_ZOOM_ENDPOINT", zoom.url)
        plan = _BothFakes(methods=(*MUTATING_METHODS, *YOUTUBE_WRITES))
        plan.zoom = zoom
        timeline = GoogleTimeline(fake, tmp_path / "program", applicants=30, faults=plan)
        people = _ZoomPeople(zoom)
        timeline.meetings.records = people  # type: ignore[assignment]
        timeline.meetings.directory = people  # type: ignore[assignment]
        timeline.run()
        last = timeline.days()[-1]
        for _ in range(3):  # the faults lifted, the last day again until it runs clean
            if not timeline.day(last, faults=False).failures:
                break

        fired = sum(plan.fired.values())
        failed = [o for o in timeline.outcomes if o.failures]
        on_youtube = sum(n for method, n in plan.fired.items() if method.startswith("youtube."))
        print(f"\nzoom timeline: {fired} faults fired ({plan.fired['zoom.*']} on Zoom, {on_youtube} on "
              f"YouTube); {len(failed)} of "
              f"{len(timeline.outcomes)} runs had a failed step; {timeline.seconds:.1f} s; "
              f"Zoom calls {Counter(c.method_id for c in zoom.calls)}")
        assert timeline.outcomes[-1].failures == [], timeline.outcomes[-1].failures
        assert fake.rejections == [] and fake.errors == []
        assert zoom.rejections == [] and zoom.errors == []
        assert plan.fired["zoom.*"] >= 3 and fired > 50

        tab = {str(r[0]): dict(zip(fake.sheets.values(SPREADSHEET_ID, sheet.SESSIONS)[0], r, strict=False))
               for r in fake.sheets.values(SPREADSHEET_ID, sheet.SESSIONS)[1:]}
        # Every session on Zoom: one meeting each (0 duplicates). Meet still hosts the partners'
        # planning meetings, which are no session's.
        for session in timeline.config.sessions:
            found = zoom.with_marker(session_marker(PROGRAM, session.id))
            assert len(found) == 1, (session.id, found)
            assert tab[session.id][sheet.SESSION_MEET_SPACE] == f"zoom-{found[0]['id']}"
        assert len(zoom.meetings) == len(timeline.config.sessions)
        # The showcase: one broadcast, made once consent was there, bound to one stream.
        consent = str(tab[SHOWCASE][sheet.SESSION_RECORDING]).startswith("on")
        assert consent, tab[SHOWCASE][sheet.SESSION_RECORDING]
        assert str(tab[SHOWCASE][sheet.SESSION_BROADCAST]).startswith("https://www.youtube.com/watch?v=")
        marker = session_marker(PROGRAM, SHOWCASE)
        assert len(fake.youtube.with_marker(marker)) == (1 if consent else 0)
        assert len(fake.youtube.streams_with_marker(marker)) == (1 if consent else 0)
        # Each letter once; the run sheets of the showcase carry the key, nothing else does.
        letters = sent_keys(fake)
        assert sorted(k for k, n in letters.items() if n > 1) == []
        if consent:  # the key reached the teacher and the partner, and no one else
            key = fake.youtube.streams_with_marker(marker)[0]["cdn"]["ingestionInfo"]["streamName"]
            carrying = {str(m.message["X-Microintern-Key"]).split("/")[1]
                        for m in fake.gmail.sent(PROGRAM_USER) if key in m.message.as_string()}
            assert carrying == {"run_sheet"}
        # Attendance from Zoom's report: the same columns as on Meet.
        participants = fake.sheets.values(SPREADSHEET_ID, sheet.PARTICIPANTS)
        header = [str(h) for h in participants[0]]
        rows = [dict(zip(header, r, strict=False)) for r in participants[1:]]
        figured = [r for r in rows if str(r.get(sheet.MINUTES, "")) not in ("", "None")]
        assert figured and all(str(r.get(sheet.ATTENDED)) in ("yes", "no") for r in figured)
        print(f"  showcase consent: {consent}; {len(figured)} students with Zoom minutes")
