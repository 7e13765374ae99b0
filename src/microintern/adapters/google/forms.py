"""Google Forms: build a form from a spec, and read its responses keyed by question title.

REST reference: https://developers.google.com/forms/api/reference/rest/v1/forms (create, get,
batchUpdate, setPublishSettings) and .../v1/forms.responses/list.

Creating a form is not idempotent and the Forms API has no way to list forms. Given a Drive
service, a new form is therefore made through Drive (``files.create`` with the form type, its
title as name, and the app's private ``appProperties`` naming the spec), so that a create whose
answer was lost is found again by reading before it is tried again, and a copy made by
httplib2's silent re-send is deleted (:func:`~microintern.adapters.google.drive.create_tagged`).
Without a Drive service, ``forms.create`` is sent once and never repeated: a lost answer then
leaves a form nobody links to, and the error says so.

Questions are added by ``forms.batchUpdate`` carrying ``writeControl.requiredRevisionId``: a
repeat of an update that was applied is refused (the revision moved on), and the retry plans
again on a fresh ``forms.get``, which finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from microintern.adapters.google.drive import FORM, TAG_KEY, create_tagged
from microintern.adapters.google.transport import Retry, execute
from microintern.domain.forms import (
    FormSpec,
    FormState,
    adopt_questions,
    plan_changes,
    question_ids_in,
)
from microintern.domain.records import FormResponse
from microintern.errors import BackendError, MicrointernError, RowError


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _answer_text(answer: dict[str, Any]) -> str:
    texts = answer.get("textAnswers", {}).get("answers", [])
    # Checkbox answers are joined the way a linked responses sheet shows them.
    return ", ".join(str(t.get("value", "")) for t in texts)


# The private appProperties key naming which of the program's forms a Drive file is.
FORM_TAG = "microintern_form"


class GoogleFormSource:
    """The :class:`~microintern.ports.FormSource` port on the Forms API."""

    def __init__(self, service: Any, *, retry: Retry | None = None, drive: Any | None = None) -> None:
        self._forms = service.forms()
        self._retry = retry or Retry()
        # Drive's files collection, to create forms that can be found again (see the module).
        self._files = drive.files() if drive is not None else None
        self._titles: dict[str, dict[str, str]] = {}

    @property
    def problems(self) -> list[RowError]:
        """Always empty: the Forms API returns every response with a timestamp it set itself."""
        return []

    def _question_titles(self, form_id: str) -> dict[str, str]:
        if form_id not in self._titles:
            form = execute(self._forms.get(formId=form_id), "forms.get", retry=self._retry)
            titles: dict[str, str] = {}
            for item in form.get("items", []):
                question = item.get("questionItem", {}).get("question")
                if question:
                    titles[question["questionId"]] = item.get("title", question["questionId"])
            self._titles[form_id] = titles
        return self._titles[form_id]

    def fetch_responses(self, form_id: str, since: datetime | None = None) -> list[FormResponse]:
        """All responses (or those since ``since``), following every page, oldest first."""
        titles = self._question_titles(form_id)
        kwargs: dict[str, Any] = {"formId": form_id, "pageSize": 5000}
        if since is not None:
            stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            kwargs["filter"] = f"timestamp >= {stamp}"
        responses: list[FormResponse] = []
        while True:
            page = execute(self._forms.responses().list(**kwargs), "forms.responses.list",
                           retry=self._retry)
            for raw in page.get("responses", []):
                answers = {
                    titles.get(qid, qid): _answer_text(answer)
                    for qid, answer in raw.get("answers", {}).items()
                }
                submitted = raw.get("lastSubmittedTime") or raw["createTime"]
                responses.append(FormResponse(
                    response_id=raw["responseId"],
                    submitted_at=_parse_time(submitted),
                    answers=answers,
                    respondent_email=raw.get("respondentEmail"),
                ))
            token = page.get("nextPageToken")
            if not token:
                break
            kwargs["pageToken"] = token
        responses.sort(key=lambda r: (r.submitted_at, r.response_id))
        return responses

    # --- building the form -----------------------------------------------------------------

    def _get(self, form_id: str) -> dict[str, Any]:
        """``forms.get``, with a message that says what to check when the form is out of reach."""
        try:
            return execute(self._forms.get(formId=form_id), "forms.get", retry=self._retry)
        except BackendError as exc:
            if exc.code in (403, 404):
                raise BackendError(
                    f"{exc}: the form {form_id} does not exist or the program's Google user "
                    "cannot edit it (check the id, and share the form with that user as an editor)",
                    code=exc.code,
                ) from None
            raise

    def _create(self, spec: FormSpec) -> dict[str, Any]:
        """A new, empty form for ``spec``: through Drive when there is a Drive service, else
        ``forms.create`` with the title only (Forms refuses items here), unpublished.

        Through Drive the form is found again by its tags after a lost answer (see the module);
        nobody holds its link until :meth:`sync_form` has put the questions in and published
        it. ``forms.create`` is never retried: a repeat would make a second form.
        """
        if self._files is not None:
            form_id = create_tagged(self._files, self._retry, name=spec.title, mime_type=FORM,
                                    tags={TAG_KEY: "form", FORM_TAG: spec.name})
            return self._get(form_id)
        body = {"info": {"title": spec.title, "documentTitle": spec.title}}
        return execute(self._forms.create(body=body, unpublished=True), "forms.create", retry=None)

    def _update(self, form_id: str, spec: FormSpec, form: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """One ``forms.batchUpdate`` that makes the items match ``spec``, or none if they do.

        The batch carries the revision it was planned on (``requiredRevisionId``), so Forms
        refuses it if the form changed in between. A failed attempt is retried by planning
        again on a fresh ``forms.get``: if the lost attempt had in fact been applied, the new
        plan is empty and nothing is applied twice.
        """
        state: dict[str, Any] = {"form": form, "sent": False}

        def once() -> dict[str, Any]:
            current = state.pop("form", None) or self._get(form_id)
            requests = plan_changes(current.get("items", []), spec,
                                    current_title=current.get("info", {}).get("title"),
                                    current_settings=current.get("settings"))
            if not requests:
                return current
            body = {
                "requests": requests,
                "writeControl": {"requiredRevisionId": current["revisionId"]},
                "includeFormInResponse": True,
            }
            state["sent"] = True
            try:
                reply = execute(self._forms.batchUpdate(formId=form_id, body=body),
                                "forms.batchUpdate", retry=None)
            except BackendError as exc:
                if exc.code == 400 and self._get(form_id).get("revisionId") != current["revisionId"]:
                    # Someone edited the form since we read it: plan again on their version.
                    raise BackendError(f"{exc} (the form changed while it was being updated)",
                                       code=409, retryable=True) from None
                raise
            return reply.get("form") or self._get(form_id)

        updated = self._retry.run(once)
        return updated, bool(state["sent"])

    def _publish(self, form_id: str, form: dict[str, Any]) -> bool:
        """Publish the form and open it to responses unless it is already; True if it was not.

        Legacy forms (made before publish settings existed) have no ``publishSettings`` and are
        always published; the API cannot change them.
        """
        settings = form.get("publishSettings")
        if settings is None:
            return False
        state = settings.get("publishState") or {}
        if state.get("isPublished") and state.get("isAcceptingResponses"):
            return False
        body = {
            "publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}},
            "updateMask": "publishState",
        }
        # Idempotent: setting the same state twice is harmless, so it is retried.
        execute(self._forms.setPublishSettings(formId=form_id, body=body),
                "forms.setPublishSettings", retry=self._retry)
        return True

    def sync_form(self, form_id: str | None, spec: FormSpec, *,
                  on_created: Callable[[str, str], None] | None = None) -> FormState:
        """Create (when ``form_id`` is None), update and publish the form described by ``spec``.

        One ``forms.batchUpdate`` (another only after a failed attempt, planned afresh), and
        none when the form already matches; existing questions keep their ids.
        See :meth:`microintern.ports.FormSource.sync_form`.
        """
        created = form_id is None
        if form_id is None:
            form = self._create(spec)
            form_id = str(form["formId"])
            if on_created is not None:
                try:
                    on_created(form_id, str(form.get("responderUri", "")))
                except MicrointernError as exc:
                    # Say which form it was, or the next run would make another one.
                    raise BackendError(
                        f"created the form {form_id} but could not remember it ({exc}); add "
                        f"`application_form_id: {form_id}` under `google:` in the config and rerun",
                        code=getattr(exc, "code", None),
                    ) from exc
            if "revisionId" not in form:
                form = self._get(form_id)
        else:
            form = self._get(form_id)
        self._titles.pop(form_id, None)  # question titles may change below
        # A batchUpdate never changes the publish state, so the form as first read tells it.
        publish_from = form
        form, changed = self._update(form_id, spec, form)
        published = self._publish(form_id, publish_from)
        items = form.get("items", [])
        question_ids = adopt_questions(items, spec).question_ids()
        missing = set(question_ids.values()) - set(question_ids_in(items))
        if missing:
            raise BackendError(
                f"forms.batchUpdate: form {form_id} still lacks the questions {sorted(missing)} "
                "after the update; rerun, and check the form in the Forms editor if it persists"
            )
        return FormState(
            form_id=form_id,
            responder_uri=str(form.get("responderUri", "")),
            question_ids=question_ids,
            changed=changed or created,
            created=created,
            published=published,
        )
