"""The application form built from the config, over real HTTP against the fake Workspace.

The first run creates the form (title only), adds the questions with our ids in one
batchUpdate, publishes it and remembers it in the Settings tab; later runs change only what the
config changed, in place, and a run with nothing to change writes nothing.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from adapters.conftest import FORM_ID, PROGRAM_USER, SPREADSHEET_ID, GoogleProgram, forms_made
from fakeworkspace import FakeWorkspace, write_service_account_file
from programs import EXAMPLE, write_config

from microintern.adapters.google import scopes
from microintern.adapters.google.auth import service_account_credentials
from microintern.adapters.google.drive import FORM
from microintern.adapters.google.forms import GoogleFormSource
from microintern.adapters.google.transport import GoogleTransport, Retry
from microintern.bootstrap import step_context
from microintern.config import ProgramConfig, load_config
from microintern.domain.forms import form_spec, question_id
from microintern.errors import BackendError
from microintern.steps.application_form import (
    FORM_ID_SETTING,
    FORM_LINK_SETTING,
    ensure_application_form,
    sync_application_form,
)
from microintern.steps.context import StepContext

NOW = datetime(2027, 1, 20, 6, 30, tzinfo=UTC)


def google_config(tmp_path: Path, fake: FakeWorkspace, *, form_id: str | None = None,
                  questions: list[dict[str, Any]] | None = None) -> ProgramConfig:
    """The example program on the fake; ``questions`` replaces the application's questions."""
    key = write_service_account_file(tmp_path / "credentials.json", fake)
    google = {"auth": "service_account", "credentials_file": str(key),
              "delegated_user": PROGRAM_USER, "spreadsheet_id": SPREADSHEET_ID,
              "endpoint": fake.url, "timeout_seconds": 5}
    if form_id is not None:
        google["application_form_id"] = form_id
    application = example_application()
    if questions is not None:
        application["questions"] = questions
    return load_config(write_config(tmp_path, backend="google", google=google,
                                    application=application))


def example_application() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["application"]


def context(config: ProgramConfig) -> StepContext:
    return step_context(config, NOW, env={})


@pytest.fixture
def sheet(fake: FakeWorkspace) -> None:
    fake.sheets.create(SPREADSHEET_ID, "Mesa Valley program", {"Sheet1": []})


def settings(fake: FakeWorkspace) -> dict[str, str]:
    rows = fake.sheets.values(SPREADSHEET_ID, "Settings")
    assert rows[0] == ["Setting", "Value"]
    return {row[0]: row[1] for row in rows[1:]}


def items(fake: FakeWorkspace, form_id: str) -> list[dict[str, Any]]:
    return fake.forms.get(form_id).items


def question_ids(fake: FakeWorkspace, form_id: str) -> list[str]:
    return fake.forms.get(form_id).question_ids()


@pytest.mark.usefixtures("sheet")
def test_first_sync_creates_and_publishes_the_form_with_our_ids(
        tmp_path: Path, fake: FakeWorkspace) -> None:
    config = google_config(tmp_path, fake)
    state, result = ensure_application_form(context(config))

    assert result.counts == {"created": 1, "published": 1}
    assert state.created and state.changed and state.published
    # Made through Drive with the app's private tags, so a lost answer is found again.
    (create,) = [c for c in fake.calls_to("drive.files.create") if c.body.get("mimeType") == FORM]
    assert create.body["name"] == config.application.form_title
    assert create.body["appProperties"]
    assert fake.count("forms.forms.create") == 0
    assert fake.count("forms.forms.batchUpdate") == 1
    (update,) = fake.calls_to("forms.forms.batchUpdate")
    assert update.body["writeControl"]["requiredRevisionId"]

    form = fake.forms.get(state.form_id)
    questions = config.application.questions
    assert form.info["title"] == config.application.form_title
    assert form.question_ids() == [question_id(q.key) for q in questions]
    assert [item["title"] for item in form.items] == [q.title for q in questions]
    assert state.question_ids == {q.key: question_id(q.key) for q in questions}
    school = form.items[[q.key for q in questions].index("school")]["questionItem"]["question"]
    assert school["required"] is True
    assert school["choiceQuestion"]["type"] == "RADIO"
    assert [o["value"] for o in school["choiceQuestion"]["options"]] == questions[4].options
    essay = form.items[[q.key for q in questions].index("essay")]["questionItem"]["question"]
    assert essay["textQuestion"] == {"paragraph": True}
    assert form.published and form.accepting_responses
    assert fake.count("forms.forms.setPublishSettings") == 1
    assert state.responder_uri == form.responder_uri

    assert settings(fake) == {FORM_ID_SETTING: state.form_id, FORM_LINK_SETTING: form.responder_uri}


@pytest.mark.usefixtures("sheet")
def test_rerun_without_changes_writes_nothing(tmp_path: Path, fake: FakeWorkspace) -> None:
    config = google_config(tmp_path, fake)
    first, _ = ensure_application_form(context(config))
    fake.reset_calls()

    again, result = ensure_application_form(context(config))  # the id comes from the Settings tab

    assert result.counts == {"unchanged": 1}
    assert again.form_id == first.form_id and not again.created and not again.changed
    assert forms_made(fake) == 0
    assert fake.count("forms.forms.batchUpdate") == 0
    assert fake.count("forms.forms.setPublishSettings") == 0
    assert fake.count("forms.forms.get") == 1
    writes = [c for c in fake.calls_to("sheets.") if c.http_method != "GET"]
    assert writes == []


@pytest.mark.usefixtures("sheet")
def test_a_changed_question_title_updates_the_same_item(tmp_path: Path, fake: FakeWorkspace) -> None:
    first, _ = ensure_application_form(context(google_config(tmp_path, fake)))
    before = {i["questionItem"]["question"]["questionId"]: i["itemId"] for i in items(fake, first.form_id)}
    questions = example_application()["questions"]
    questions[0]["title"] = "Your first name"
    config = google_config(tmp_path, fake, form_id=first.form_id, questions=questions)
    fake.reset_calls()

    assert sync_application_form(context(config)).counts == {"updated": 1}

    (update,) = fake.calls_to("forms.forms.batchUpdate")
    assert [next(iter(r)) for r in update.body["requests"]] == ["updateItem"]
    item = items(fake, first.form_id)[0]
    assert item["title"] == "Your first name"
    assert item["questionItem"]["question"]["questionId"] == question_id("first_name")
    assert item["itemId"] == before[question_id("first_name")]
    assert forms_made(fake) == 0


@pytest.mark.usefixtures("sheet")
def test_a_removed_question_deletes_only_its_item(tmp_path: Path, fake: FakeWorkspace) -> None:
    first, _ = ensure_application_form(context(google_config(tmp_path, fake)))
    before = {i["questionItem"]["question"]["questionId"]: i["itemId"] for i in items(fake, first.form_id)}
    questions = [q for q in example_application()["questions"] if q["key"] != "pathway"]
    config = google_config(tmp_path, fake, form_id=first.form_id, questions=questions)
    fake.reset_calls()

    state, result = ensure_application_form(context(config))

    assert result.counts == {"updated": 1}
    (update,) = fake.calls_to("forms.forms.batchUpdate")
    assert [next(iter(r)) for r in update.body["requests"]] == ["deleteItem"]
    after = {i["questionItem"]["question"]["questionId"]: i["itemId"] for i in items(fake, first.form_id)}
    gone = question_id("pathway")
    assert after == {qid: item for qid, item in before.items() if qid != gone}
    assert question_ids(fake, first.form_id) == [question_id(q["key"]) for q in questions]
    assert "pathway" not in state.question_ids


@pytest.mark.usefixtures("sheet")
def test_responses_to_the_created_form_are_read_by_title(tmp_path: Path, fake: FakeWorkspace) -> None:
    config = google_config(tmp_path, fake)
    ctx = context(config)
    state, _ = ensure_application_form(ctx)
    ids = state.question_ids
    fake.forms.add_response(state.form_id, "resp-1", datetime(2027, 1, 21, 17, 0, tzinfo=UTC), {
        ids["first_name"]: "Ana",
        ids["student_email"]: "ana@students.mesavalley.example",
        ids["interests"]: ["Health Science", "Information Technology"],
    })

    (response,) = ctx.ports.forms.fetch_responses(state.form_id)

    assert response.response_id == "resp-1"
    assert response.answers == {
        "First name": "Ana",
        "School email address": "ana@students.mesavalley.example",
        "Which industries interest you?": "Health Science, Information Technology",
    }


def test_a_hand_made_form_named_in_the_config_is_taken_over(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    """A form built in the editor keeps its questions (by title) and their Forms ids."""
    hand_made = dict(google_program.question_ids)  # title -> the editor's id
    state, result = ensure_application_form(context(google_program.config))

    assert result.counts == {"updated": 1}
    (update,) = fake.calls_to("forms.forms.batchUpdate")
    assert not [r for r in update.body["requests"] if "deleteItem" in r or "createItem" in r]
    titles = {q.key: q.title for q in google_program.config.application.questions}
    assert state.question_ids == {key: hand_made[title] for key, title in titles.items()}
    assert question_ids(fake, FORM_ID) == list(hand_made.values())
    assert fake.count("forms.forms.setPublishSettings") == 0  # it was live already
    fake.reset_calls()
    assert sync_application_form(context(google_program.config)).counts == {"unchanged": 1}
    assert fake.count("forms.forms.batchUpdate") == 0


def test_a_lost_batch_update_reply_is_not_applied_twice(tmp_path: Path, fake: FakeWorkspace) -> None:
    key = write_service_account_file(tmp_path / "credentials.json", fake)
    transport = GoogleTransport(service_account_credentials(key, subject=PROGRAM_USER, scopes=scopes.ALL),
                                endpoint=fake.url, timeout=5)
    forms = GoogleFormSource(transport.service("forms", "v1"), retry=Retry(sleep=lambda _: None))
    config = google_config(tmp_path, fake)
    spec = form_spec(config.application)
    fake.faults.add("forms.forms.batchUpdate", "drop_after", times=1)

    state = forms.sync_form(None, spec)

    # The reply was lost after the update was applied. Either httplib2 re-sent the POST and the
    # revision guard refused the repeat (a 400 naming the revision), or the transport reported
    # the outcome unknown without re-sending; both ways the adapter planned again on the form
    # as it now is and found nothing left to do.
    statuses = [c.status for c in fake.calls_to("forms.forms.batchUpdate")]
    assert statuses in ([200, 400], [200]), statuses
    assert all("is not the latest" in r for r in fake.rejections)
    fake.rejections.clear()
    assert state.created and state.changed
    assert question_ids(fake, state.form_id) == list(spec.question_ids().values())
    assert fake.forms.get(state.form_id).published
    assert forms.sync_form(state.form_id, spec).changed is False


def test_an_unknown_form_id_says_where_it_came_from(tmp_path: Path, fake: FakeWorkspace) -> None:
    fake.sheets.create(SPREADSHEET_ID, "Mesa Valley program", {"Sheet1": []})
    config = google_config(tmp_path, fake, form_id="1NoSuchForm")
    with pytest.raises(BackendError, match=r"google\.application_form_id") as caught:
        sync_application_form(context(config))
    assert caught.value.code == 404
    assert forms_made(fake) == 0


def test_local_backend_describes_the_form_in_a_private_file(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    ctx = step_context(config, NOW, env={})

    state, result = ensure_application_form(ctx)

    path = config.resolve(config.local.folder) / "forms" / "applications.form.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["title"] == config.application.form_title
    assert [q["questionId"] for q in document["questions"]] == [
        question_id(q.key) for q in config.application.questions]
    assert state.responder_uri == "https://forms.example.invalid/applications"
    assert result.counts == {"created": 1, "published": 1}
    assert sync_application_form(ctx).counts == {"unchanged": 1}
