"""The fake's Gmail v1 and Forms v1, driven by googleapiclient."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fakeworkspace.testing import SUBJECT, Harness
from googleapiclient.errors import HttpError

METADATA = "https://www.googleapis.com/auth/gmail.metadata"
COMPOSE = "https://www.googleapis.com/auth/gmail.compose"


@pytest.fixture(autouse=True)
def _fresh(ws: Harness) -> None:
    ws.fake.reset()


@pytest.fixture
def users(ws: Harness) -> Any:
    return ws.service("gmail").users()


def _raw(sender: str = SUBJECT, to: str | None = "student@x.test", message_id: str | None = None) -> str:
    message = EmailMessage()
    message["From"] = sender
    if to:
        message["To"] = to
    message["Subject"] = "Your placement"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content("Dear student,\nwelcome.")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def _message(exc: HttpError) -> str:
    return json.loads(exc.content)["error"]["message"]


# --- Gmail -------------------------------------------------------------------------------------


def test_draft_then_send_delivers_once_and_second_send_is_404(ws: Harness, users: Any) -> None:
    draft = users.drafts().create(userId="me", body={"message": {"raw": _raw()}}).execute()
    assert draft["message"]["labelIds"] == ["DRAFT"]
    assert [d.id for d in ws.fake.gmail.drafts(SUBJECT)] == [draft["id"]]
    sent = users.drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert sent["labelIds"] == ["SENT"]
    with pytest.raises(HttpError) as caught:
        users.drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert caught.value.resp.status == 404
    delivered = ws.fake.gmail.sent()
    assert len(delivered) == 1
    assert delivered[0].via == "draft"
    assert delivered[0].draft_id == draft["id"]
    assert delivered[0].message["To"] == "student@x.test"
    assert delivered[0].message.get_content().startswith("Dear student")
    assert ws.fake.gmail.drafts(SUBJECT) == []


def test_messages_send_and_find_by_rfc822msgid(ws: Harness, users: Any) -> None:
    users.messages().send(userId="me", body={"raw": _raw(message_id="<k-42@district.test>")}).execute()
    found = users.messages().list(userId="me", q="rfc822msgid:<k-42@district.test>").execute()
    assert len(found["messages"]) == 1
    assert users.messages().list(userId="me", q="rfc822msgid:other@x").execute() == {"resultSizeEstimate": 0}
    got = users.messages().get(userId="me", id=found["messages"][0]["id"], format="metadata").execute()
    headers = {h["name"]: h["value"] for h in got["payload"]["headers"]}
    assert headers["Message-ID"] == "<k-42@district.test>"
    assert ws.fake.gmail.sent(SUBJECT)[0].via == "send"


def test_gmail_adds_a_message_id_when_missing(ws: Harness, users: Any) -> None:
    users.messages().send(userId="me", body={"raw": _raw()}).execute()
    assert ws.fake.gmail.sent()[0].message_id.endswith("@mail.gmail.com>")


def test_metadata_scope_cannot_search(ws: Harness) -> None:
    users = ws.service("gmail", scopes=[METADATA]).users()
    with pytest.raises(HttpError) as caught:
        users.messages().list(userId="me", q="rfc822msgid:x@y").execute()
    assert caught.value.resp.status == 403
    assert users.messages().list(userId="me").execute()["resultSizeEstimate"] == 0


def test_send_scope_cannot_read(ws: Harness) -> None:
    users = ws.service("gmail", scopes=[COMPOSE]).users()
    users.messages().send(userId="me", body={"raw": _raw()}).execute()
    with pytest.raises(HttpError) as caught:
        users.messages().list(userId="me").execute()
    assert caught.value.resp.status == 403


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("***not base64***", "Base64"),
        (_raw(to=None), "To"),
        (base64.urlsafe_b64encode(b"Subject: hi\r\n\r\nbody").decode(), "From"),
    ],
)
def test_unusable_raw_messages_are_400(ws: Harness, users: Any, raw: str, needle: str) -> None:
    with pytest.raises(HttpError) as caught:
        users.messages().send(userId="me", body={"raw": raw}).execute()
    assert caught.value.resp.status == 400
    assert needle in _message(caught.value)
    assert ws.fake.gmail.sent() == []


def test_other_user_id_is_forbidden(users: Any) -> None:
    with pytest.raises(HttpError) as caught:
        users.drafts().list(userId="someone-else@district.test").execute()
    assert caught.value.resp.status == 403
    assert users.drafts().list(userId=SUBJECT).execute() == {"resultSizeEstimate": 0}


def test_send_as_alias_and_from_rewrite(ws: Harness, users: Any) -> None:
    ws.fake.gmail.add_send_as(SUBJECT, "internships@district.test", "Internship Program")
    aliases = users.settings().sendAs().list(userId="me").execute()["sendAs"]
    assert [a["sendAsEmail"] for a in aliases] == [SUBJECT, "internships@district.test"]
    users.messages().send(userId="me", body={"raw": _raw(sender="internships@district.test")}).execute()
    users.messages().send(userId="me", body={"raw": _raw(sender="principal@district.test")}).execute()
    first, second = ws.fake.gmail.sent()
    assert (first.from_rewritten, first.message["From"]) == (False, "internships@district.test")
    assert (second.from_rewritten, second.message["From"]) == (True, SUBJECT)


def test_drafts_list_get_and_paging(users: Any) -> None:
    ids = [
        users.drafts().create(userId="me", body={"message": {"raw": _raw()}}).execute()["id"]
        for _ in range(3)
    ]
    page = users.drafts().list(userId="me", maxResults=2).execute()
    rest = users.drafts().list(userId="me", maxResults=2, pageToken=page["nextPageToken"]).execute()
    listed = [d["id"] for d in page["drafts"] + rest["drafts"]]
    assert sorted(listed) == sorted(ids)
    got = users.drafts().get(userId="me", id=ids[0], format="raw").execute()
    assert base64.urlsafe_b64decode(got["message"]["raw"]).startswith(b"From:")


def test_profile(users: Any) -> None:
    assert users.getProfile(userId="me").execute()["emailAddress"] == SUBJECT


# --- Forms -------------------------------------------------------------------------------------


@pytest.fixture
def forms(ws: Harness) -> Any:
    return ws.service("forms").forms()


def _build_form(forms: Any) -> str:
    form = forms.create(body={"info": {"title": "Apply", "documentTitle": "Cohort 3 application"}}).execute()
    requests = [
        {
            "createItem": {
                "item": {
                    "itemId": "a001",
                    "title": "Your name",
                    "questionItem": {
                        "question": {"questionId": "1a2b3c4d", "required": True, "textQuestion": {}}
                    },
                },
                "location": {"index": 0},
            }
        },
        {
            "createItem": {
                "item": {
                    "title": "Interests",
                    "questionItem": {
                        "question": {
                            "questionId": "0000beef",
                            "choiceQuestion": {
                                "type": "CHECKBOX",
                                "options": [{"value": "Robots"}, {"value": "Art"}],
                            },
                        }
                    },
                },
                "location": {"index": 1},
            }
        },
        {"updateFormInfo": {"info": {"description": "Apply by Friday"}, "updateMask": "description"}},
        {
            "updateSettings": {
                "settings": {"emailCollectionType": "VERIFIED"},
                "updateMask": "emailCollectionType",
            }
        },
    ]
    reply = forms.batchUpdate(
        formId=form["formId"], body={"requests": requests, "includeFormInResponse": True}
    ).execute()
    assert reply["replies"][0] == {"createItem": {"itemId": "a001", "questionId": ["1a2b3c4d"]}}
    assert reply["replies"][1]["createItem"]["questionId"] == ["0000beef"]
    assert reply["form"]["info"]["description"] == "Apply by Friday"
    return form["formId"]


def test_form_built_with_client_chosen_ids(ws: Harness, forms: Any) -> None:
    form_id = _build_form(forms)
    got = forms.get(formId=form_id).execute()
    assert got["responderUri"] == f"https://docs.google.com/forms/d/e/{form_id}/viewform"
    assert got["items"][0]["itemId"] == "a001"
    assert got["settings"] == {"emailCollectionType": "VERIFIED"}
    assert got["info"]["documentTitle"] == "Cohort 3 application"
    assert got["publishSettings"]["publishState"]["isPublished"] is False


def test_create_accepts_only_the_title(forms: Any) -> None:
    for body in (
        {"info": {"title": "x"}, "items": [{"title": "q", "textItem": {}}]},
        {"info": {"title": "x", "description": "no"}},
        {"info": {"title": "x"}, "settings": {"emailCollectionType": "VERIFIED"}},
    ):
        with pytest.raises(HttpError) as caught:
            forms.create(body=body).execute()
        assert caught.value.resp.status == 400


def test_duplicate_or_malformed_question_ids_are_refused(forms: Any) -> None:
    form_id = _build_form(forms)
    for qid in ("1a2b3c4d", "not-hex!"):
        item = {"title": "again", "questionItem": {"question": {"questionId": qid, "textQuestion": {}}}}
        with pytest.raises(HttpError) as caught:
            forms.batchUpdate(
                formId=form_id, body={"requests": [{"createItem": {"item": item, "location": {"index": 0}}}]}
            ).execute()
        assert caught.value.resp.status == 400
        assert "question id" in _message(caught.value)


def test_update_move_delete_items_and_revision_control(forms: Any) -> None:
    form_id = _build_form(forms)
    revision = forms.get(formId=form_id).execute()["revisionId"]
    forms.batchUpdate(
        formId=form_id,
        body={
            "requests": [
                {
                    "updateItem": {
                        "item": {"title": "Full name"},
                        "location": {"index": 0},
                        "updateMask": "title",
                    }
                },
                {"moveItem": {"originalLocation": {"index": 0}, "newLocation": {"index": 1}}},
            ],
            "writeControl": {"requiredRevisionId": revision},
        },
    ).execute()
    items = forms.get(formId=form_id).execute()["items"]
    assert [i["title"] for i in items] == ["Interests", "Full name"]
    assert items[1]["questionItem"]["question"]["questionId"] == "1a2b3c4d"
    with pytest.raises(HttpError):
        forms.batchUpdate(
            formId=form_id,
            body={
                "requests": [{"deleteItem": {"location": {"index": 0}}}],
                "writeControl": {"requiredRevisionId": revision},
            },
        ).execute()
    forms.batchUpdate(
        formId=form_id, body={"requests": [{"deleteItem": {"location": {"index": 0}}}]}
    ).execute()
    assert len(forms.get(formId=form_id).execute()["items"]) == 1


def test_publish_then_collect_responses(ws: Harness, forms: Any) -> None:
    form_id = _build_form(forms)
    with pytest.raises(ValueError, match="not published"):
        ws.fake.forms.add_response(form_id, "r0", datetime.now(UTC), {"1a2b3c4d": "Ann"})
    published = forms.setPublishSettings(
        formId=form_id,
        body={"publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}}},
    ).execute()
    assert published["publishSettings"]["publishState"]["isAcceptingResponses"] is True
    ws.fake.forms.add_response(
        form_id,
        "r1",
        datetime(2024, 5, 1, 12, tzinfo=UTC),
        {"1a2b3c4d": "Ann", "0000beef": ["Robots", "Art"]},
        respondent_email="ann@x.test",
    )
    got = forms.responses().get(formId=form_id, responseId="r1").execute()
    assert got == {
        "formId": form_id,
        "responseId": "r1",
        "createTime": "2024-05-01T12:00:00.000Z",
        "lastSubmittedTime": "2024-05-01T12:00:00.000Z",
        "respondentEmail": "ann@x.test",
        "answers": {
            "1a2b3c4d": {"questionId": "1a2b3c4d", "textAnswers": {"answers": [{"value": "Ann"}]}},
            "0000beef": {
                "questionId": "0000beef",
                "textAnswers": {"answers": [{"value": "Robots"}, {"value": "Art"}]},
            },
        },
    }


def test_responses_pagination_and_timestamp_filter(ws: Harness, forms: Any) -> None:
    ws.fake.forms.create("F1", "Apply", [("1a2b3c4d", "Name")])
    start = datetime(2024, 5, 1, tzinfo=UTC)
    for i in range(7):
        ws.fake.forms.add_response("F1", f"r{i}", start + timedelta(minutes=i), {"1a2b3c4d": f"n{i}"})
    since = "timestamp > 2024-05-01T00:02:00Z"
    seen, token = [], None
    while True:
        page = forms.responses().list(formId="F1", pageSize=2, filter=since, pageToken=token).execute()
        seen += [r["responseId"] for r in page.get("responses", [])]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == ["r3", "r4", "r5", "r6"]
    inclusive = forms.responses().list(formId="F1", filter="timestamp >= 2024-05-01T00:02:00Z").execute()
    assert [r["responseId"] for r in inclusive["responses"]] == ["r2", "r3", "r4", "r5", "r6"]
    assert forms.responses().list(formId="F1", filter="timestamp > 2030-01-01T00:00:00Z").execute() == {}


@pytest.mark.parametrize(
    "bad",
    ["timestamp > yesterday", "timestamp > 2024-05-01T00:00:00+02:00", "respondent = 'x'"],
)
def test_unsupported_filters_are_400(ws: Harness, forms: Any, bad: str) -> None:
    ws.fake.forms.create("F1", "Apply", [("1a2b3c4d", "Name")])
    with pytest.raises(HttpError) as caught:
        forms.responses().list(formId="F1", filter=bad).execute()
    assert caught.value.resp.status == 400


def test_page_token_is_bound_to_the_filter(ws: Harness, forms: Any) -> None:
    ws.fake.forms.create("F1", "Apply", [("1a2b3c4d", "Name")])
    for i in range(3):
        ws.fake.forms.add_response("F1", f"r{i}", datetime(2024, 5, 1, i, tzinfo=UTC), {"1a2b3c4d": "x"})
    token = forms.responses().list(formId="F1", pageSize=1).execute()["nextPageToken"]
    with pytest.raises(HttpError) as caught:
        forms.responses().list(
            formId="F1", pageSize=1, pageToken=token, filter="timestamp > 2024-01-01T00:00:00Z"
        ).execute()
    assert caught.value.resp.status == 400
