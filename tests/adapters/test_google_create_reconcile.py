"""Creates whose answer is lost are reconciled by reading, never repeated blind.

Each create method of Calendar, Drive, Forms (and Meet's spaces, made through Calendar) meets
the fake's "applied, answer lost" faults: ``drop_after`` (processed, then the socket closes; a
transport that lets httplib2 re-send the POST makes a second copy, and with ``times=2`` that
re-send is lost too), ``timeout`` (processed after the client gave up) and ``500`` (refused
unprocessed). After the call and a rerun, the fake's stores hold exactly one event, folder,
form or space.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from adapters.conftest import PROGRAM_USER, GoogleProgram
from adapters.test_google_sessions import FOUR, event_of, events, seed, sessions_tab
from adapters.test_google_sessions import context as sessions_context
from fakeworkspace import FakeWorkspace, write_service_account_file
from fakeworkspace.faults import Fault

from microintern.adapters.google import scopes
from microintern.adapters.google.auth import service_account_credentials
from microintern.adapters.google.calendar import GoogleCalendar
from microintern.adapters.google.drive import FOLDER, FORM, GoogleDriveFolders
from microintern.adapters.google.forms import GoogleFormSource
from microintern.adapters.google.transport import GoogleTransport, Retry
from microintern.domain import program_sheet as sheet
from microintern.domain.forms import FormQuestion, FormSpec, question_id
from microintern.domain.records import CalendarEvent
from microintern.steps.sessions import build_sessions

SPEC = FormSpec(
    title="Mesa Valley hand-ins",
    questions=tuple(FormQuestion(key, question_id(key), title) for key, title in (
        ("student_id", "Student ID"), ("assignment", "Assignment"), ("link", "Link to your work"))),
    name="hand-ins",
)
LA = ZoneInfo("America/Los_Angeles")
CALENDAR = "internships@mesavalley.example"
EVENT = CalendarEvent(
    event_id="mi0reconcile0001",
    summary="Micro-internship: Valley Analytics",
    description="Join five minutes early.",
    start=datetime(2027, 4, 6, 15, 30, tzinfo=LA),
    end=datetime(2027, 4, 6, 17, 0, tzinfo=LA),
    time_zone="America/Los_Angeles",
    attendees=("student1@students.mesavalley.example", "thanh@valleyanalytics.example"),
    meet_uri="https://meet.google.com/abc-defg-hij",
)
# Loses the answer and, where httplib2 re-sends a dropped POST by itself, that re-send's too.
LOST_TWICE = {"kind": "drop_after", "times": 2}
FAULTS = [
    pytest.param({"kind": "drop_after", "times": 1}, id="dropped"),
    pytest.param(LOST_TWICE, id="dropped-twice"),
    pytest.param({"kind": "timeout", "times": 1, "delay": 1.5}, id="timeout-applied-late"),
    pytest.param({"kind": "500", "times": 2}, id="500"),
]


@dataclass
class Services:
    """googleapiclient services on the fake, with a 1 s timeout (for the ``timeout`` fault)."""

    transport: GoogleTransport
    retry: Retry

    def service(self, name: str, version: str) -> Any:
        return self.transport.service(name, version)


@pytest.fixture
def services(tmp_path: Path, fake: FakeWorkspace) -> Iterator[Services]:
    key = write_service_account_file(tmp_path / "credentials.json", fake)
    credentials = service_account_credentials(key, subject=PROGRAM_USER, scopes=scopes.ALL)
    transport = GoogleTransport(credentials, endpoint=fake.url, timeout=1.0)
    # Backing off lasts until an attempt whose answer was lost has landed (as real backoff of
    # seconds does), without the test sleeping.
    yield Services(transport, Retry(sleep=lambda _: fake.wait_idle()))
    fake.faults.clear()
    assert fake.wait_idle()


def add_fault(fake: FakeWorkspace, method: str, fault: dict[str, Any]) -> Fault:
    return fake.faults.add(method, **fault)


@pytest.mark.parametrize("fault", FAULTS)
def test_calendar_insert_lost_becomes_one_private_event(
        fake: FakeWorkspace, services: Services, fault: dict[str, Any]) -> None:
    calendar = GoogleCalendar(services.service("calendar", "v3"), retry=services.retry)
    lost = add_fault(fake, "calendar.events.insert", fault)
    calendar.upsert_event(CALENDAR, EVENT)
    assert lost.fired >= 1
    assert fake.wait_idle()
    calendar.upsert_event(CALENDAR, EVENT)                 # the rerun
    events = fake.calendar.events(CALENDAR)
    assert [e["id"] for e in events] == [EVENT.event_id]
    assert events[0]["visibility"] == "private" and events[0]["guestsCanSeeOtherGuests"] is False


@pytest.mark.parametrize("fault", FAULTS)
def test_drive_folder_create_lost_leaves_one_folder(
        fake: FakeWorkspace, services: Services, fault: dict[str, Any]) -> None:
    folders = GoogleDriveFolders(services.service("drive", "v3"), retry=services.retry)
    parent = folders.ensure_folder("Mesa Valley / Data fellows — submissions")
    lost = add_fault(fake, "drive.files.create", fault)
    made = folders.ensure_folder("Student1 L. (A-000001)", parent)
    assert lost.fired >= 1
    assert fake.wait_idle()
    fake.faults.clear()
    assert folders.ensure_folder("Student1 L. (A-000001)", parent) == made       # the rerun
    inside = [f for f in fake.drive.files.values()
              if f["mimeType"] == FOLDER and f["parents"] == [parent]]
    assert [f["id"] for f in inside] == [made]
    assert sum(f["mimeType"] == FOLDER for f in fake.drive.files.values()) == 2


def test_two_copies_found_later_keep_the_oldest_and_a_copy_with_files_stays(
        fake: FakeWorkspace, services: Services) -> None:
    folders = GoogleDriveFolders(services.service("drive", "v3"), retry=services.retry)
    first = folders.ensure_folder("Session")
    tags = {"microintern": "folder"}
    second = fake.drive.register("1zzzzSecondCopy", "Session", FOLDER, PROGRAM_USER,
                                 appProperties=tags, createdTime="2999-01-01T00:00:00.000Z")["id"]
    third = fake.drive.register("1zzzzThirdCopy", "Session", FOLDER, PROGRAM_USER,
                                appProperties=tags, createdTime="2999-01-02T00:00:00.000Z")["id"]
    fake.drive.add_file("work.csv", "text/csv", "student@x.test", [third])
    assert folders.ensure_folder("Session") == first
    assert second not in fake.drive.files            # an empty copy is deleted
    assert third in fake.drive.files                 # one someone already used is left alone


@pytest.mark.parametrize("fault", [LOST_TWICE, {"kind": "500", "times": 1}],
                         ids=["dropped-twice", "500"])
def test_drive_permissions_are_idempotent_and_unshare_removes_one_person(
        fake: FakeWorkspace, services: Services, fault: dict[str, Any]) -> None:
    folders = GoogleDriveFolders(services.service("drive", "v3"), retry=services.retry)
    folder = folders.ensure_folder("Session")
    lost = add_fault(fake, "drive.permissions.create", fault)
    folders.share(folder, "old.partner@acme.example", "commenter")
    folders.share(folder, "teacher@mesavalley.example", "writer")
    add_fault(fake, "drive.permissions.delete", fault)
    assert folders.unshare(folder, "Old.Partner@acme.example") is True
    assert folders.unshare(folder, "old.partner@acme.example") is False
    assert folders.shared_with(folder) == {PROGRAM_USER: "owner", "teacher@mesavalley.example": "writer"}
    assert len(fake.drive.shared_with(folder)) == 2
    assert lost.fired >= 1


def forms_of(fake: FakeWorkspace) -> list[dict[str, Any]]:
    return [f for f in fake.drive.files.values() if f["mimeType"] == FORM]


@pytest.mark.parametrize("fault", FAULTS)
def test_form_create_lost_leaves_one_form_found_again_by_its_tag(
        fake: FakeWorkspace, services: Services, fault: dict[str, Any]) -> None:
    forms = GoogleFormSource(services.service("forms", "v1"), retry=services.retry,
                             drive=services.service("drive", "v3"))
    remembered: list[str] = []
    lost = add_fault(fake, "drive.files.create", fault)
    state = forms.sync_form(None, SPEC, on_created=lambda form_id, _: remembered.append(form_id))
    assert lost.fired >= 1 and fake.wait_idle()
    assert [f["id"] for f in forms_of(fake)] == [state.form_id] == remembered
    assert fake.count("forms.forms.create") == 0
    # A run that made the form but lost it before remembering it finds the same form.
    again = forms.sync_form(None, SPEC)
    assert again.form_id == state.form_id
    assert len(forms_of(fake)) == 1
    form = fake.forms.get(state.form_id)
    assert form.published and [i["title"] for i in form.items] == [q.title for q in SPEC.questions]


@pytest.mark.parametrize("fault", FAULTS)
def test_form_batch_update_lost_is_applied_once(
        fake: FakeWorkspace, services: Services, fault: dict[str, Any]) -> None:
    forms = GoogleFormSource(services.service("forms", "v1"), retry=services.retry,
                             drive=services.service("drive", "v3"))
    lost = add_fault(fake, "forms.forms.batchUpdate", fault)
    state = forms.sync_form(None, SPEC)
    assert lost.fired >= 1 and fake.wait_idle()
    form = fake.forms.get(state.form_id)
    assert [i["title"] for i in form.items] == [q.title for q in SPEC.questions]   # none twice
    assert forms.sync_form(state.form_id, SPEC).changed is False


# --- Meet: spaces are made through the session's first event (see adapters/google/meet.py) ------


@pytest.mark.parametrize("fault", [LOST_TWICE, {"kind": "500", "times": 1}], ids=["dropped", "500"])
def test_a_lost_space_answer_is_found_again_through_its_event_in_the_same_run(
        fake: FakeWorkspace, google_program: GoogleProgram, fault: dict[str, Any]) -> None:
    ctx = sessions_context(google_program.config)
    seed(ctx)
    # The first insert is the one that makes the first session's event and its Meet space.
    lost = add_fault(fake, "calendar.events.insert", fault)
    build_sessions(ctx)                                                 # no failure, no orphan
    assert lost.fired >= 1 and fake.count("meet.spaces.create") == 0
    assert build_sessions(ctx).counts == {"unchanged": 4}
    tab = sessions_tab(fake)
    used = {tab[s][sheet.SESSION_MEET_SPACE] for s in FOUR}
    assert len(used) == 4 and set(fake.meet.spaces) == used             # not one space more
    # 9 events, each once, all private; each session's first event carries its own space.
    stored = events(fake)
    assert len(stored) == 9 and all(e["visibility"] == "private" for e in stored.values())
    for session_id in FOUR:
        assert event_of(fake, session_id)["conferenceData"]["conferenceId"] == \
            fake.meet.space(tab[session_id][sheet.SESSION_MEET_SPACE])["meetingCode"]
