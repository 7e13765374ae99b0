"""The fake's Calendar v3, Meet v2 and Drive v3, driven by googleapiclient."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakeworkspace.testing import SUBJECT, Harness
from googleapiclient.errors import HttpError


@pytest.fixture(autouse=True)
def _fresh(ws: Harness) -> None:
    ws.fake.reset()


def _message(exc: HttpError) -> str:
    return json.loads(exc.content)["error"]["message"]


# --- Calendar ----------------------------------------------------------------------------------


@pytest.fixture
def events(ws: Harness) -> Any:
    return ws.service("calendar").events()


def _event(event_id: str = "session0001", **extra: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "summary": "Mentor session",
        "start": {"dateTime": "2024-05-01T10:00:00-04:00"},
        "end": {"dateTime": "2024-05-01T11:00:00-04:00"},
        "attendees": [{"email": "kid@x.test"}, {"email": "mentor@x.test"}],
        "guestsCanSeeOtherGuests": False,
        **extra,
    }


def test_insert_with_client_id_is_idempotent_by_409(ws: Harness, events: Any) -> None:
    created = events.insert(calendarId="primary", body=_event(), sendUpdates="all").execute()
    assert (created["id"], created["status"]) == ("session0001", "confirmed")
    assert created["organizer"]["email"] == SUBJECT
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=_event()).execute()
    assert caught.value.resp.status == 409
    assert json.loads(caught.value.content)["error"]["errors"][0]["reason"] == "duplicate"
    assert [n.send_updates for n in ws.fake.calendar.notifications] == ["all"]


def test_deleted_event_keeps_its_id_until_patched_back(ws: Harness, events: Any) -> None:
    events.insert(calendarId="primary", body=_event()).execute()
    events.delete(calendarId="primary", eventId="session0001", sendUpdates="none").execute()
    assert events.get(calendarId="primary", eventId="session0001").execute()["status"] == "cancelled"
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=_event()).execute()
    assert caught.value.resp.status == 409
    with pytest.raises(HttpError) as gone:
        events.delete(calendarId="primary", eventId="session0001").execute()
    assert gone.value.resp.status == 410
    restored = events.patch(
        calendarId="primary", eventId="session0001", body={"status": "confirmed", "summary": "Moved"}
    ).execute()
    assert (restored["status"], restored["summary"], restored["sequence"]) == ("confirmed", "Moved", 1)
    assert restored["attendees"][0]["email"] == "kid@x.test"


@pytest.mark.parametrize("bad_id", ["ab", "has-dash", "UPPERCASE1", "wxyz12345"])
def test_event_id_must_be_base32hex(events: Any, bad_id: str) -> None:
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=_event(bad_id)).execute()
    assert caught.value.resp.status == 400
    assert "Invalid resource id value" in _message(caught.value)


def test_meet_link_needs_conference_data_version_1(ws: Harness, events: Any) -> None:
    conference = {"createRequest": {"requestId": "req-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    ignored = events.insert(
        calendarId="primary", body=_event("nolink01", conferenceData=conference)
    ).execute()
    assert "hangoutLink" not in ignored and "conferenceData" not in ignored
    linked = events.insert(
        calendarId="primary", body=_event("link0001", conferenceData=conference), conferenceDataVersion=1
    ).execute()
    assert linked["hangoutLink"].startswith("https://meet.google.com/")
    assert linked["conferenceData"]["createRequest"]["status"]["statusCode"] == "success"
    code = linked["conferenceData"]["conferenceId"]
    assert ws.fake.meet.space(code)["meetingUri"] == linked["hangoutLink"]


def test_bare_service_account_cannot_create_meet_links(ws: Harness) -> None:
    events = ws.service("calendar", subject=None).events()
    conference = {"createRequest": {"requestId": "req-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    with pytest.raises(HttpError) as caught:
        events.insert(
            calendarId="primary", body=_event(conferenceData=conference), conferenceDataVersion=1
        ).execute()
    assert "Invalid conference type value" in _message(caught.value)


def test_times_are_checked(events: Any) -> None:
    backwards = _event(end={"dateTime": "2024-05-01T09:00:00-04:00"})
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=backwards).execute()
    assert "time range is empty" in _message(caught.value)
    floating = _event(start={"dateTime": "2024-05-01T10:00:00"}, end={"dateTime": "2024-05-01T11:00:00"})
    with pytest.raises(HttpError):
        events.insert(calendarId="primary", body=floating).execute()
    zoned = _event(
        start={"dateTime": "2024-05-01T10:00:00", "timeZone": "America/Chicago"},
        end={"dateTime": "2024-05-01T11:00:00", "timeZone": "America/Chicago"},
    )
    assert events.insert(calendarId="primary", body=zoned).execute()["status"] == "confirmed"


def test_update_replaces_and_list_filters(events: Any) -> None:
    events.insert(calendarId="primary", body=_event("first0001")).execute()
    later = _event(
        "second001",
        start={"dateTime": "2024-06-01T10:00:00Z"},
        end={"dateTime": "2024-06-01T11:00:00Z"},
        extendedProperties={"private": {"cohort": "3"}},
    )
    events.insert(calendarId="primary", body=later).execute()
    events.update(
        calendarId="primary",
        eventId="first0001",
        body={"summary": "Only", "start": later["start"], "end": later["end"]},
    ).execute()
    assert "attendees" not in events.get(calendarId="primary", eventId="first0001").execute()
    june = events.list(
        calendarId="primary",
        timeMin="2024-06-01T00:00:00Z",
        timeMax="2024-07-01T00:00:00Z",
        singleEvents=True,
        orderBy="startTime",
    ).execute()
    assert {e["id"] for e in june["items"]} == {"first0001", "second001"}
    tagged = events.list(calendarId="primary", privateExtendedProperty="cohort=3").execute()
    assert [e["id"] for e in tagged["items"]] == ["second001"]
    events.delete(calendarId="primary", eventId="second001").execute()
    assert [e["id"] for e in events.list(calendarId="primary").execute()["items"]] == ["first0001"]
    assert len(events.list(calendarId="primary", showDeleted=True).execute()["items"]) == 2


def test_list_pages(events: Any) -> None:
    for i in range(5):
        events.insert(calendarId="primary", body=_event(f"event{i:04d}")).execute()
    first = events.list(calendarId="primary", maxResults=3).execute()
    second = events.list(calendarId="primary", maxResults=3, pageToken=first["nextPageToken"]).execute()
    assert len(first["items"]) + len(second["items"]) == 5
    assert "nextPageToken" not in second


# --- Meet --------------------------------------------------------------------------------------


@pytest.fixture
def meet(ws: Harness) -> Any:
    return ws.service("meet")


def test_space_with_config_members_and_patch(ws: Harness, meet: Any) -> None:
    config = {
        "accessType": "RESTRICTED",
        "moderation": "ON",
        "attendanceReportGenerationType": "GENERATE_REPORT",
        "artifactConfig": {"recordingConfig": {"autoRecordingGeneration": "OFF"}},
    }
    space = meet.spaces().create(body={"config": config}).execute()
    assert space["name"].startswith("spaces/")
    assert space["meetingUri"] == "https://meet.google.com/" + space["meetingCode"]
    assert space["config"]["moderation"] == "ON"
    member = (
        meet.spaces()
        .members()
        .create(parent=space["name"], body={"email": "mentor@x.test", "role": "COHOST"})
        .execute()
    )
    assert member["role"] == "COHOST"
    listed = meet.spaces().members().list(parent=space["name"]).execute()["members"]
    assert [m["email"] for m in listed] == ["mentor@x.test"]
    patched = (
        meet.spaces()
        .patch(name=space["name"], updateMask="config.accessType", body={"config": {"accessType": "OPEN"}})
        .execute()
    )
    assert patched["config"]["accessType"] == "OPEN"
    assert patched["config"]["moderation"] == "ON"
    by_code = meet.spaces().get(name=f"spaces/{space['meetingCode']}").execute()
    assert by_code["name"] == space["name"]


def test_edition_limits_are_403(ws: Harness, meet: Any) -> None:
    ws.fake.meet.deny("artifactConfig.recordingConfig")
    body = {"config": {"artifactConfig": {"recordingConfig": {"autoRecordingGeneration": "ON"}}}}
    with pytest.raises(HttpError) as caught:
        meet.spaces().create(body=body).execute()
    assert caught.value.resp.status == 403
    assert meet.spaces().create(body={"config": {"accessType": "TRUSTED"}}).execute()


def test_invalid_enum_in_space_config_is_400(meet: Any) -> None:
    with pytest.raises(HttpError) as caught:
        meet.spaces().create(body={"config": {"accessType": "EVERYONE"}}).execute()
    assert "config.accessType" in _message(caught.value)


def test_attendance_from_conference_records(ws: Harness, meet: Any) -> None:
    space = ws.fake.meet.create_space(SUBJECT)
    other = ws.fake.meet.create_space(SUBJECT)
    start = datetime.now(UTC) - timedelta(days=2)
    record = ws.fake.meet.add_conference_record(space["name"], start, start + timedelta(hours=1))
    ws.fake.meet.add_conference_record(other["name"], start, start + timedelta(hours=1))
    ws.fake.meet.add_conference_record(space["name"], start - timedelta(days=40), start - timedelta(days=39))
    kid = ws.fake.meet.add_participant(record, "Kid", user="users/1001")
    ws.fake.meet.add_participant(record, "Guest")
    ws.fake.meet.add_participant_session(kid, start, start + timedelta(minutes=20))
    ws.fake.meet.add_participant_session(kid, start + timedelta(minutes=30), start + timedelta(minutes=55))
    records = meet.conferenceRecords().list(filter=f'space.name = "{space["name"]}"').execute()
    assert [r["name"] for r in records["conferenceRecords"]] == [record]  # the 40-day-old one expired
    people = meet.conferenceRecords().participants().list(parent=record).execute()
    signed_in = [p for p in people["participants"] if "signedinUser" in p]
    assert signed_in[0]["signedinUser"]["user"] == "users/1001"
    sessions = meet.conferenceRecords().participants().participantSessions().list(parent=kid).execute()
    minutes = sum(
        (datetime.fromisoformat(s["endTime"]) - datetime.fromisoformat(s["startTime"])).seconds // 60
        for s in sessions["participantSessions"]
    )
    assert minutes == 45
    with pytest.raises(HttpError) as caught:
        meet.conferenceRecords().list(filter='space.owner = "me"').execute()
    assert caught.value.resp.status == 400


def test_bare_service_account_cannot_create_spaces(ws: Harness) -> None:
    with pytest.raises(HttpError) as caught:
        ws.service("meet", subject=None).spaces().create(body={}).execute()
    assert caught.value.resp.status == 403


# --- Drive -------------------------------------------------------------------------------------


@pytest.fixture
def drive(ws: Harness) -> Any:
    return ws.service("drive")


def test_folders_files_and_default_fields(ws: Harness, drive: Any) -> None:
    folder = (
        drive.files()
        .create(body={"name": "Cohort 3", "mimeType": "application/vnd.google-apps.folder"})
        .execute()
    )
    assert set(folder) == {"kind", "id", "name", "mimeType"}
    sheet = (
        drive.files()
        .create(
            body={
                "name": "Roster",
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "parents": [folder["id"]],
            },
            fields="id,parents,webViewLink",
        )
        .execute()
    )
    assert sheet["parents"] == [folder["id"]]
    assert ws.fake.sheets.exists(sheet["id"])
    found = (
        drive.files()
        .list(q=f"'{folder['id']}' in parents and trashed = false", fields="files(id,name)")
        .execute()
    )
    assert found == {"files": [{"id": sheet["id"], "name": "Roster"}]}
    assert drive.files().list(q="name contains 'ost'").execute()["files"][0]["id"] == sheet["id"]
    got = drive.files().get(fileId=sheet["id"]).execute()
    assert "parents" not in got  # not a default field
    drive.files().delete(fileId=sheet["id"]).execute()
    assert not ws.fake.sheets.exists(sheet["id"])
    with pytest.raises(HttpError) as caught:
        drive.files().get(fileId=sheet["id"]).execute()
    assert caught.value.resp.status == 404


def test_app_properties_search_and_update(drive: Any) -> None:
    made = drive.files().create(body={"name": "Flyer", "appProperties": {"cohort": "3"}}).execute()
    found = drive.files().list(q="appProperties has { key='cohort' and value='3' }").execute()
    assert [f["id"] for f in found["files"]] == [made["id"]]
    drive.files().update(fileId=made["id"], body={"name": "Flyer v2"}).execute()
    assert drive.files().get(fileId=made["id"], fields="name").execute() == {"name": "Flyer v2"}
    with pytest.raises(HttpError):
        drive.files().list(q="name = 'a' or name = 'b'").execute()


def test_permissions(ws: Harness, drive: Any) -> None:
    made = drive.files().create(body={"name": "Roster"}).execute()
    granted = (
        drive.permissions()
        .create(
            fileId=made["id"],
            body={"type": "user", "role": "writer", "emailAddress": "mentor@x.test"},
            sendNotificationEmail=False,
        )
        .execute()
    )
    assert set(granted) == {"kind", "id", "type", "role"}
    listed = drive.permissions().list(fileId=made["id"], fields="permissions(emailAddress,role)").execute()
    assert {(p["emailAddress"], p["role"]) for p in listed["permissions"]} == {
        (SUBJECT, "owner"),
        ("mentor@x.test", "writer"),
    }
    assert ws.fake.drive.notifications == [(made["id"], granted["id"], False, None)]
    with pytest.raises(HttpError) as caught:
        drive.permissions().create(fileId=made["id"], body={"type": "user", "role": "writer"}).execute()
    assert caught.value.resp.status == 400
    with pytest.raises(HttpError) as owner:
        drive.permissions().create(
            fileId=made["id"], body={"type": "user", "role": "owner", "emailAddress": "x@x.test"}
        ).execute()
    assert owner.value.resp.status == 403
