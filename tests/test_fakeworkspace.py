"""The fake Workspace's contract: discovery validation, OAuth, scopes, faults, quotas, hooks.

Driven with the real client libraries (googleapiclient over httplib2, google-auth) and,
for requests no library would send, plain HTTP.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import googleapiclient.http
import jwt
import pytest
import requests
from fakeworkspace import FakeWorkspace, write_authorized_user_file, write_service_account_file
from fakeworkspace.clients import build_service, service_account_credentials
from fakeworkspace.testing import SUBJECT, Harness
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials as UserCredentials
from googleapiclient.errors import HttpError

SHEETS = "https://www.googleapis.com/auth/spreadsheets"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"


@pytest.fixture(autouse=True)
def _fresh(ws: Harness) -> None:
    ws.fake.reset()
    ws.fake.sheets.create("S1", "Program", {"Applications": [["Name", "Email"], ["Ann", "a@x.test"]]})


def _error(exc: HttpError) -> dict[str, Any]:
    return json.loads(exc.content)["error"]


def _raw_mail(sender: str = SUBJECT, to: str = "student@x.test") -> str:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Welcome"
    message.set_content("Hello")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


# --- discovery validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda s: (
                s.spreadsheets()
                .values()
                .batchUpdate(
                    spreadsheetId="S1",
                    body={"valueInputOption": "RAW", "data": [{"range": "A1", "valuez": [["x"]]}]},
                )
            ),
            "'data[0]'",
        ),
        (
            lambda s: s.spreadsheets().batchUpdate(
                spreadsheetId="S1",
                body={"requests": [{"addSheet": {"properties": {"title": "T", "index": "first"}}}]},
            ),
            "requests[0].addSheet.properties.index",
        ),
        (
            lambda s: (
                s.spreadsheets()
                .values()
                .batchUpdate(spreadsheetId="S1", body={"valueInputOption": "SOMETIMES", "data": []})
            ),
            "valueInputOption",
        ),
        (
            lambda s: (
                s.spreadsheets()
                .values()
                .batchUpdate(spreadsheetId="S1", body={"valueInputOption": "RAW", "data": {"range": "A1"}})
            ),
            "'data'",
        ),
    ],
    ids=["unknown-field", "wrong-type", "bad-enum", "object-for-array"],
)
def test_body_breaking_the_discovery_schema_is_rejected_naming_the_field(
    ws: Harness, call: Any, field: str
) -> None:
    with pytest.raises(HttpError) as caught:
        call(ws.service("sheets")).execute()
    error = _error(caught.value)
    assert caught.value.resp.status == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["errors"][0]["reason"] == "badRequest"
    assert field in error["message"]
    assert len(ws.fake.rejections) == 1 and field in ws.fake.rejections[0]
    assert ws.fake.sheets.values("S1", "Applications")[0] == ["Name", "Email"]


def test_unknown_field_deep_in_a_calendar_event_is_rejected(ws: Harness) -> None:
    event = {
        "summary": "Visit",
        "start": {"dateTime": "2024-05-01T10:00:00Z", "timezone": "UTC"},
        "end": {"dateTime": "2024-05-01T11:00:00Z"},
    }
    with pytest.raises(HttpError) as caught:
        ws.service("calendar").events().insert(calendarId="primary", body=event).execute()
    assert caught.value.resp.status == 400
    assert 'Unknown name "timezone"' in _error(caught.value)["message"]
    assert "'start'" in _error(caught.value)["message"]


def test_required_body_field_from_discovery_annotations(ws: Harness) -> None:
    with pytest.raises(HttpError) as caught:
        ws.service("gmail").users().drafts().send(userId="me", body={}).execute()
    assert caught.value.resp.status == 400
    assert "'id'" in _error(caught.value)["message"]


def test_unknown_query_parameter_is_rejected(ws: Harness) -> None:
    answer = ws.http().get(ws.fake.url + "/v4/spreadsheets/S1", params={"includeGridDat": "true"})
    assert answer.status_code == 400
    assert '"includeGridDat"' in answer.json()["error"]["message"]
    assert ws.fake.rejections


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/v4/spreadsheets/S1", {"includeGridData": "maybe"}, "includeGridData"),
        ("/v4/spreadsheets/S1/values/A1", {"valueRenderOption": "PRETTY"}, "valueRenderOption"),
        (
            "/v4/spreadsheets/S1/values/A1",
            [("majorDimension", "ROWS"), ("majorDimension", "COLUMNS")],
            "not repeated",
        ),
        ("/gmail/v1/users/me/messages", {"maxResults": "ten"}, "maxResults"),
        ("/calendar/v3/calendars/primary/events", {"timeMin": "yesterday"}, "timeMin"),
    ],
)
def test_query_parameter_types_are_checked(ws: Harness, path: str, params: Any, needle: str) -> None:
    answer = ws.http().get(ws.fake.url + path, params=params)
    assert answer.status_code == 400
    assert needle in answer.json()["error"]["message"]


def test_repeated_parameters_and_standard_parameters_are_accepted(ws: Harness) -> None:
    answer = ws.http().get(
        ws.fake.url + "/v4/spreadsheets/S1/values:batchGet",
        params=[("ranges", "A1"), ("ranges", "B1"), ("alt", "json"), ("prettyPrint", "false")],
    )
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["valueRanges"]) == 2


def test_required_query_parameter_is_enforced_before_anything_else(ws: Harness) -> None:
    answer = ws.http().post(ws.fake.url + "/calendar/v3/calendars/primary/events/quickAdd")
    assert answer.status_code == 400
    assert "'text'" in answer.json()["error"]["message"]


def test_body_on_a_method_without_request_schema_is_rejected(ws: Harness) -> None:
    answer = ws.http().get(ws.fake.url + "/v4/spreadsheets/S1", json={"x": 1})
    assert answer.status_code == 400
    assert "takes no request body" in answer.json()["error"]["message"]


def test_missing_body_where_one_is_declared_is_rejected(ws: Harness) -> None:
    answer = ws.http().post(ws.fake.url + "/v4/spreadsheets/S1:batchUpdate")
    assert answer.status_code == 400
    assert "requires a request body" in answer.json()["error"]["message"]


def test_empty_request_message_may_be_omitted(ws: Harness) -> None:
    answer = ws.http().post(ws.fake.url + "/v4/spreadsheets/S1/values/A1:B2:clear")
    assert answer.status_code == 200, answer.text
    assert ws.fake.sheets.values("S1", "Applications") == []


def test_fields_selection_filters_and_is_checked_against_the_response_schema(ws: Harness) -> None:
    sheets = ws.service("sheets")
    got = sheets.spreadsheets().get(spreadsheetId="S1", fields="sheets(properties(title))").execute()
    assert got == {"sheets": [{"properties": {"title": "Applications"}}]}
    with pytest.raises(HttpError) as caught:
        sheets.spreadsheets().get(spreadsheetId="S1", fields="sheets(propertiez)").execute()
    assert caught.value.resp.status == 400
    assert "propertiez" in _error(caught.value)["message"]


def test_unknown_path_is_404_and_wrong_method_too(ws: Harness) -> None:
    assert ws.http().get(ws.fake.url + "/v4/nothing/here").status_code == 404
    assert ws.http().delete(ws.fake.url + "/v4/spreadsheets/S1").status_code == 404
    assert len(ws.fake.rejections) == 2


def test_unimplemented_method_is_501_never_a_silent_200(ws: Harness) -> None:
    with pytest.raises(HttpError) as caught:
        ws.service("gmail", scopes=[GMAIL_READONLY]).users().labels().list(userId="me").execute()
    assert caught.value.resp.status == 501
    assert "does not implement gmail.users.labels.list" in _error(caught.value)["message"]
    assert ws.fake.rejections


def test_all_services_share_one_port(ws: Harness) -> None:
    http = ws.http()
    for path in (
        "/v4/spreadsheets/S1",
        "/gmail/v1/users/me/profile",
        "/calendar/v3/calendars/primary/events",
        "/v1/forms/none",
        "/v2/spaces/none",
        "/drive/v3/files",
    ):
        assert http.get(ws.fake.url + path).status_code in (200, 404)
    assert {c.method_id.split(".")[0] for c in ws.fake.calls} == {
        "sheets",
        "gmail",
        "calendar",
        "forms",
        "meet",
        "drive",
    }
    assert not ws.fake.rejections


# --- authentication and scopes -----------------------------------------------------------------


def test_missing_and_unknown_tokens_are_401(ws: Harness) -> None:
    url = ws.fake.url + "/v4/spreadsheets/S1"
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    assert "WWW-Authenticate" in missing.headers
    unknown = requests.get(url, headers={"Authorization": "Bearer ya29.nope"}, timeout=5)
    assert unknown.status_code == 401
    assert ws.fake.rejections == []  # the client's refresh path, not a malformed request


def test_token_without_a_method_scope_is_403_insufficient_permissions(ws: Harness) -> None:
    sheets = ws.service("sheets", scopes=[GMAIL_SEND])
    with pytest.raises(HttpError) as caught:
        sheets.spreadsheets().values().get(spreadsheetId="S1", range="A1").execute()
    error = _error(caught.value)
    assert caught.value.resp.status == 403
    assert error["errors"][0]["reason"] == "insufficientPermissions"
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert ws.fake.rejections == ["sheets.spreadsheets.values.get: 403 " + error["message"]]


def test_delegated_service_account_acts_as_the_subject(ws: Harness) -> None:
    ws.service("sheets").spreadsheets().get(spreadsheetId="S1").execute()
    call = ws.fake.calls_to("sheets.")[0]
    assert (call.method_id, call.user, call.status) == ("sheets.spreadsheets.get", SUBJECT, 200)


def test_service_account_without_subject_acts_as_itself(ws: Harness) -> None:
    ws.service("sheets", subject=None).spreadsheets().get(spreadsheetId="S1").execute()
    assert ws.fake.calls_to("sheets.")[0].user == "svc@district-test.iam.gserviceaccount.com"


def test_key_file_is_private_and_points_at_the_fake(ws: Harness) -> None:
    assert ws.key_file.stat().st_mode & 0o777 == 0o600
    info = json.loads(ws.key_file.read_text())
    assert info["token_uri"] == ws.fake.token_uri
    assert info["type"] == "service_account"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")


def _tampered_key_file(ws: Harness, tmp_path: Path, **changes: str) -> Path:
    with FakeWorkspace() as elsewhere:
        other = write_service_account_file(tmp_path / "other.json", elsewhere)
    info = json.loads(ws.key_file.read_text())
    for name, source in changes.items():
        info[name] = json.loads(other.read_text())[source]
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(info))
    return path


def test_jwt_signed_with_the_wrong_key_is_an_invalid_grant(ws: Harness, tmp_path: Path) -> None:
    path = _tampered_key_file(ws, tmp_path, private_key="private_key")
    creds = service_account_credentials(path, [SHEETS], subject=SUBJECT)
    with pytest.raises(RefreshError, match="invalid_grant"):
        build_service(ws.fake, "sheets", "v4", creds).spreadsheets().get(spreadsheetId="S1").execute()
    assert ws.fake.calls[-1].method_id == "oauth.token"
    assert ws.fake.calls[-1].status == 400
    assert ws.fake.rejections == []


def test_jwt_with_an_unknown_key_id_is_an_invalid_grant(ws: Harness, tmp_path: Path) -> None:
    path = _tampered_key_file(ws, tmp_path, private_key_id="private_key_id")
    creds = service_account_credentials(path, [SHEETS])
    with pytest.raises(RefreshError, match="invalid_grant"):
        build_service(ws.fake, "sheets", "v4", creds).spreadsheets().get(spreadsheetId="S1").execute()


def _assertion(ws: Harness, **claims: Any) -> str:
    info = json.loads(ws.key_file.read_text())
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "aud": ws.fake.token_uri,
        "iat": now,
        "exp": now + 3600,
        "scope": SHEETS,
        **claims,
    }
    return jwt.encode(
        payload, info["private_key"], algorithm="RS256", headers={"kid": info["private_key_id"]}
    )


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({}, None),
        ({"aud": "https://elsewhere.test/token"}, "invalid_grant"),
        ({"exp": int(time.time()) + 7200}, "invalid_grant"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7000}, "invalid_grant"),
        ({"scope": ""}, "invalid_scope"),
    ],
    ids=["valid", "wrong-audience", "too-long-lived", "expired", "no-scope"],
)
def test_jwt_claims_are_checked(ws: Harness, claims: dict[str, Any], error: str | None) -> None:
    answer = requests.post(
        ws.fake.token_uri,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": _assertion(ws, **claims),
        },
        timeout=5,
    )
    if error is None:
        assert answer.status_code == 200
        assert set(answer.json()) == {"access_token", "expires_in", "token_type"}
        assert answer.json()["expires_in"] == 3600
    else:
        assert answer.status_code == 400
        assert answer.json()["error"] == error


def test_delegation_outside_the_granted_scopes_is_unauthorized_client(tmp_path: Path) -> None:
    with FakeWorkspace() as fake:
        key = write_service_account_file(tmp_path / "sa.json", fake, delegation_scopes=[SHEETS])
        fake.sheets.create("S1", "Program")
        allowed = service_account_credentials(key, [SHEETS], subject=SUBJECT)
        build_service(fake, "sheets", "v4", allowed).spreadsheets().get(spreadsheetId="S1").execute()
        denied = service_account_credentials(key, [SHEETS, GMAIL_SEND], subject=SUBJECT)
        with pytest.raises(RefreshError, match="unauthorized_client"):
            build_service(fake, "gmail", "v1", denied).users().getProfile(userId="me").execute()
        assert fake.calls[-1].status == 401


def test_installed_app_refresh_token_grant(ws: Harness, tmp_path: Path) -> None:
    path = write_authorized_user_file(tmp_path / "token.json", ws.fake, "teacher@x.test", [GMAIL_READONLY])
    assert json.loads(path.read_text())["type"] == "authorized_user"
    creds = UserCredentials.from_authorized_user_file(str(path)).with_token_uri(ws.fake.token_uri)
    profile = build_service(ws.fake, "gmail", "v1", creds).users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == "teacher@x.test"
    wrong = json.loads(path.read_text())
    wrong["client_secret"] = "guess"
    bad = UserCredentials.from_authorized_user_info(wrong).with_token_uri(ws.fake.token_uri)
    with pytest.raises(RefreshError, match="invalid_client"):
        build_service(ws.fake, "gmail", "v1", bad).users().getProfile(userId="me").execute()


# --- faults ------------------------------------------------------------------------------------


def test_429_fault_with_retry_after_fires_the_configured_number_of_times(ws: Harness) -> None:
    fault = ws.fake.faults.add("sheets.spreadsheets.get", "429", times=1, retry_after=7)
    http = ws.http()
    first = http.get(ws.fake.url + "/v4/spreadsheets/S1")
    second = http.get(ws.fake.url + "/v4/spreadsheets/S1")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "7"
    assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert first.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert second.status_code == 200
    assert fault.fired == 1
    assert [c.fault for c in ws.fake.calls] == ["429", None]


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [("500", 500, "backendError"), ("503", 503, "backendError"), ("403rate", 403, "rateLimitExceeded")],
)
def test_error_faults(ws: Harness, kind: Any, status: int, reason: str) -> None:
    ws.fake.faults.add("sheets.*", kind)
    answer = ws.http().get(ws.fake.url + "/v4/spreadsheets/S1")
    assert answer.status_code == status
    assert answer.json()["error"]["errors"][0]["reason"] == reason


def test_googleapiclient_retries_rate_limit_403_when_asked(
    ws: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(googleapiclient.http.time, "sleep", lambda _: None)
    ws.fake.faults.add("sheets.spreadsheets.get", "403rate", times=2)
    ws.service("sheets").spreadsheets().get(spreadsheetId="S1").execute(num_retries=2)
    assert [c.status for c in ws.fake.calls_to("sheets.")] == [403, 403, 200]


def test_fault_rate_is_deterministic_per_seed(ws: Harness) -> None:
    def pattern() -> list[int]:
        ws.fake.faults.clear()
        ws.fake.faults.add("sheets.spreadsheets.get", "503", rate=0.5, seed=42)
        http = ws.http()
        return [http.get(ws.fake.url + "/v4/spreadsheets/S1").status_code for _ in range(12)]

    first, second = pattern(), pattern()
    assert first == second
    assert {200, 503} == set(first)


def test_slow_fault_delays_then_answers(ws: Harness) -> None:
    ws.fake.faults.add("sheets.spreadsheets.get", "slow", delay=0.3)
    started = time.monotonic()
    answer = ws.http().get(ws.fake.url + "/v4/spreadsheets/S1")
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_timeout_fault_processes_after_the_client_gave_up(ws: Harness) -> None:
    gmail = ws.service("gmail", timeout=0.3)
    ws.fake.faults.add("gmail.users.messages.send", "timeout", times=1, delay=0.8)
    with pytest.raises(TimeoutError):
        gmail.users().messages().send(userId="me", body={"raw": _raw_mail()}).execute()
    assert ws.fake.wait_idle(5)
    assert len(ws.fake.gmail.sent()) == 1  # sent, though the client saw only a timeout


def test_lost_response_makes_httplib2_resend_a_post(ws: Harness) -> None:
    """DESIGN §5: httplib2 silently re-sends a POST whose response was lost."""
    ws.fake.faults.add("gmail.users.messages.send", "drop_after", times=1)
    ws.service("gmail").users().messages().send(userId="me", body={"raw": _raw_mail()}).execute()
    assert ws.fake.count("gmail.users.messages.send") == 2
    assert len(ws.fake.gmail.sent()) == 2  # a duplicate: messages.send is not idempotent


def test_lost_response_on_draft_send_delivers_once(ws: Harness) -> None:
    gmail = ws.service("gmail")
    draft = gmail.users().drafts().create(userId="me", body={"message": {"raw": _raw_mail()}}).execute()
    ws.fake.faults.add("gmail.users.drafts.send", "drop_after", times=1)
    with pytest.raises(HttpError) as caught:
        gmail.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert caught.value.resp.status == 404  # httplib2's silent re-send found the draft gone
    assert len(ws.fake.gmail.sent()) == 1


def test_stop_interrupts_a_delayed_request(tmp_path: Path) -> None:
    fake = FakeWorkspace().start()
    fake.faults.add("*", "timeout", delay=30)
    token = fake.issue_token(SUBJECT, [SHEETS])

    def call() -> None:
        try:
            requests.get(
                fake.url + "/v4/spreadsheets/x",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
        except requests.RequestException:
            pass

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    fake.stop()
    worker.join(5)
    assert time.monotonic() - started < 3
    assert not worker.is_alive()


# --- quotas and hooks --------------------------------------------------------------------------


def test_per_user_quota_with_an_injected_clock(ws: Harness) -> None:
    now = [1000.0]
    ws.fake.clock = lambda: now[0]
    ws.fake.quotas.set("sheets.spreadsheets.values.*", 3)
    mine, theirs = ws.http(), ws.http(user="other@district.test")
    url = ws.fake.url + "/v4/spreadsheets/S1/values/A1"
    assert [mine.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = mine.get(url).json()["error"]
    assert refused["status"] == "RESOURCE_EXHAUSTED"
    assert refused["errors"][0]["reason"] == "rateLimitExceeded"
    assert theirs.get(url).status_code == 200
    now[0] += 59.9
    assert mine.get(url).status_code == 429
    now[0] += 0.2
    assert mine.get(url).status_code == 200


def test_hook_runs_between_two_calls(ws: Harness) -> None:
    def coordinator_edits(fake: FakeWorkspace) -> None:
        fake.sheets.write("S1", "Applications!C2", [["reviewed"]])

    ws.fake.hooks.before("sheets.spreadsheets.values.update", coordinator_edits, times=1)
    ws.service("sheets").spreadsheets().values().update(
        spreadsheetId="S1", range="Applications!D2", valueInputOption="RAW", body={"values": [["x"]]}
    ).execute()
    assert ws.fake.sheets.values("S1", "Applications")[1] == ["Ann", "a@x.test", "reviewed", "x"]


# --- bookkeeping -------------------------------------------------------------------------------


def test_calls_are_recorded_and_counted(ws: Harness) -> None:
    sheets = ws.service("sheets")
    sheets.spreadsheets().get(spreadsheetId="S1").execute()
    sheets.spreadsheets().values().batchGet(spreadsheetId="S1", ranges=["A1"]).execute()
    assert ws.fake.count("sheets.") == 2
    assert ws.fake.count("sheets.spreadsheets.values.") == 1
    call = ws.fake.calls_to("sheets.spreadsheets.values.batchGet")[0]
    assert call.http_method == "GET"
    assert call.path == "/v4/spreadsheets/S1/values:batchGet"
    assert call.query["ranges"] == ["A1"]
    ws.fake.reset_calls()
    assert ws.fake.calls == [] and ws.fake.count("") == 0


def test_addresses_and_lifecycle() -> None:
    fake = FakeWorkspace()
    with pytest.raises(RuntimeError):
        _ = fake.url
    with fake:
        assert fake.url.startswith("http://127.0.0.1:")
        assert not fake.url.endswith("/")
        assert fake.token_uri == fake.url + "/token"
        assert fake.endpoint("calendar") == fake.url + "/calendar/v3/"
        assert fake.endpoint("sheets") == fake.url + "/"
        assert fake.start() is fake
    fake.stop()


def test_expired_tokens_are_refreshed_by_the_client(ws: Harness) -> None:
    sheets = ws.service("sheets")
    sheets.spreadsheets().get(spreadsheetId="S1").execute()
    ws.fake.auth.revoke_all()
    sheets.spreadsheets().get(spreadsheetId="S1").execute()
    statuses = [(c.method_id, c.status) for c in ws.fake.calls]
    assert statuses[-3:] == [
        ("sheets.spreadsheets.get", 401),
        ("oauth.token", 200),
        ("sheets.spreadsheets.get", 200),
    ]
    assert ws.fake.rejections == []


def test_media_upload_paths(ws: Harness) -> None:
    message = EmailMessage()
    message["From"] = SUBJECT
    message["To"] = "student@x.test"
    message["Subject"] = "Uploaded"
    message.set_content("raw upload")
    answer = ws.http().post(
        ws.fake.url + "/upload/gmail/v1/users/me/messages/send",
        params={"uploadType": "media"},
        data=message.as_bytes(),
        headers={"Content-Type": "message/rfc822"},
    )
    assert answer.status_code == 200, answer.text
    assert ws.fake.gmail.sent()[0].message["Subject"] == "Uploaded"
    boundary = "fake-boundary"
    body = (
        f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
        '{"name": "flyer.txt"}\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nCome intern with us\r\n"
        f"--{boundary}--\r\n"
    )
    uploaded = ws.http().post(
        ws.fake.url + "/upload/drive/v3/files",
        params={"uploadType": "multipart", "fields": "id,name,mimeType,size"},
        data=body.encode(),
        headers={"Content-Type": f"multipart/related; boundary={boundary}"},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["name"] == "flyer.txt"
    assert ws.fake.drive.content[uploaded.json()["id"]].startswith(b"Come intern")
