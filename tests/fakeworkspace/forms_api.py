"""Forms v1: forms built by ``batchUpdate``, publish settings, and responses to page through.

Modelled as the API behaves: ``forms.create`` takes only the title (items in the create
body are a 400); items and question ids may be chosen by the client (hex, unique in the
form); ``responses.list`` filters only by ``timestamp >``/``>=`` on the submission time
and pages with tokens bound to the filter.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import paging
from .context import RequestContext
from .drive_api import FORM_MIME
from .errors import ApiError, bad_request, not_found
from .fieldmask import apply_mask
from .timefmt import parse_rfc3339, rfc3339

if TYPE_CHECKING:
    from .context import Handler

_HEX_ID = re.compile(r"^[0-9a-f]{1,8}$")
_FILTER = re.compile(r"^\s*timestamp\s*(>=|>)\s*(\S+)\s*$")
_ITEM_KINDS = (
    "questionItem",
    "questionGroupItem",
    "pageBreakItem",
    "textItem",
    "imageItem",
    "videoItem",
)
_PAGE_MAX = 5000


@dataclass
class FormResponse:
    """A submitted response."""

    response_id: str
    create_time: datetime
    last_submitted_time: datetime
    answers: dict[str, list[str]]
    respondent_email: str | None = None

    def to_json(self, form_id: str) -> dict[str, Any]:
        """The ``FormResponse`` resource."""
        out: dict[str, Any] = {
            "formId": form_id,
            "responseId": self.response_id,
            "createTime": rfc3339(self.create_time),
            "lastSubmittedTime": rfc3339(self.last_submitted_time),
            "answers": {
                qid: {"questionId": qid, "textAnswers": {"answers": [{"value": v} for v in values]}}
                for qid, values in self.answers.items()
            },
        }
        if self.respondent_email:
            out["respondentEmail"] = self.respondent_email
        return out


@dataclass
class Form:
    """A form: info, items, settings, publish state and responses."""

    form_id: str
    info: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    revision: int = 1
    published: bool = True
    accepting_responses: bool = True
    responses: dict[str, FormResponse] = field(default_factory=dict)

    @property
    def responder_uri(self) -> str:
        """The public fill-in URL."""
        return f"https://docs.google.com/forms/d/e/{self.form_id}/viewform"

    @property
    def revision_id(self) -> str:
        """The opaque revision id (changes on every successful batchUpdate)."""
        return f"{self.revision:08x}"

    def question_ids(self) -> list[str]:
        """Every question id, in item order."""
        ids = []
        for item in self.items:
            ids.extend(q["questionId"] for q in _questions(item))
        return ids

    def publish_settings(self) -> dict[str, Any]:
        """``PublishSettings``."""
        return {
            "publishState": {
                "isPublished": self.published,
                "isAcceptingResponses": self.accepting_responses,
            }
        }

    def to_json(self) -> dict[str, Any]:
        """The ``Form`` resource."""
        out: dict[str, Any] = {
            "formId": self.form_id,
            "info": copy.deepcopy(self.info),
            "settings": copy.deepcopy(self.settings),
            "revisionId": self.revision_id,
            "responderUri": self.responder_uri,
            "publishSettings": self.publish_settings(),
        }
        if self.items:
            out["items"] = copy.deepcopy(self.items)
        return out


def _questions(item: dict[str, Any]) -> list[dict[str, Any]]:
    if "questionItem" in item:
        return [item["questionItem"].setdefault("question", {})]
    if "questionGroupItem" in item:
        return list(item["questionGroupItem"].get("questions", []))
    return []


class FormsStore:
    """Forms of the fake (``fake.forms``)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._forms: dict[str, Form] = {}
        self._ids = itertools.count(1)
        #: Whether ``forms.create`` without ``unpublished`` makes a published form.
        self.api_forms_published_by_default = False

    def new_id(self, kind: str = "form") -> str:
        """A fresh id (forms: 44 characters; items/questions: 8 hex digits)."""
        digest = hashlib.sha256(f"{kind}-{next(self._ids)}".encode()).hexdigest()
        return digest[:8] if kind != "form" else "1" + digest[:43]

    def create(
        self,
        form_id: str,
        title: str,
        questions: list[tuple[str, str]] | None = None,
        *,
        published: bool = True,
    ) -> Form:
        """Create a form with text questions ``[(question_id, title), ...]`` (test seeding)."""
        form = Form(form_id, {"title": title, "documentTitle": title})
        for question_id, question_title in questions or []:
            form.items.append(
                {
                    "itemId": self.new_id("item"),
                    "title": question_title,
                    "questionItem": {"question": {"questionId": question_id, "textQuestion": {}}},
                }
            )
        form.published = form.accepting_responses = published
        with self._lock:
            if form_id in self._forms:
                raise ValueError(f"form {form_id} already exists")
            self._forms[form_id] = form
        return form

    def delete(self, form_id: str) -> None:
        """Remove a form (its Drive file was deleted)."""
        with self._lock:
            self._forms.pop(form_id, None)

    def get(self, form_id: str) -> Form:
        """A form; the API's 404 if unknown."""
        with self._lock:
            form = self._forms.get(form_id)
        if form is None:
            raise not_found(f"Requested entity was not found. (form {form_id})")
        return form

    def add_response(
        self,
        form_id: str,
        response_id: str,
        create_time: datetime,
        answers: dict[str, str | list[str]],
        respondent_email: str | None = None,
        *,
        last_submitted_time: datetime | None = None,
    ) -> FormResponse:
        """Record a submission (as a respondent would make it).

        Raises:
            ValueError: unknown question id, or the form does not accept responses.
        """
        with self._lock:
            form = self.get(form_id)
            if not (form.published and form.accepting_responses):
                raise ValueError(f"form {form_id} is not published and accepting responses")
            unknown = set(answers) - set(form.question_ids())
            if unknown:
                raise ValueError(f"form {form_id} has no questions {sorted(unknown)}")
            response = FormResponse(
                response_id,
                create_time,
                last_submitted_time or create_time,
                {q: [v] if isinstance(v, str) else list(v) for q, v in answers.items()},
                respondent_email,
            )
            form.responses[response_id] = response
        return response


# --- batchUpdate -------------------------------------------------------------------------------


def _index(location: dict[str, Any] | None, size: int, name: str, *, inclusive: bool) -> int:
    if not location or "index" not in location:
        raise bad_request(f"Invalid {name}: location.index is required")
    index = int(location["index"])
    if not 0 <= index <= (size if inclusive else size - 1):
        raise bad_request(f"Invalid {name}: index {index} is out of range for {size} items")
    return index


def _assign_ids(form: Form, item: dict[str, Any], store: FormsStore, name: str) -> dict:
    kinds = [k for k in _ITEM_KINDS if k in item]
    if len(kinds) != 1:
        raise bad_request(f"Invalid {name}: an item needs exactly one kind, got {kinds}")
    used_items = {i["itemId"] for i in form.items}
    used_questions = set(form.question_ids())
    item_id = item.get("itemId") or store.new_id("item")
    if not _HEX_ID.match(item_id) or item_id in used_items:
        raise bad_request(f"Invalid {name}: item id {item_id!r} is not a new hex id")
    item["itemId"] = item_id
    question_ids = []
    for question in _questions(item):
        qid = question.get("questionId") or store.new_id("question")
        if not _HEX_ID.match(qid) or qid in used_questions:
            raise bad_request(f"Invalid {name}: question id {qid!r} is not a new hex id")
        question["questionId"] = qid
        used_questions.add(qid)
        question_ids.append(qid)
    reply: dict[str, Any] = {"itemId": item_id}
    if question_ids:
        reply["questionId"] = question_ids
    return reply


def _apply(form: Form, store: FormsStore, kind: str, req: dict[str, Any], name: str) -> dict:
    if kind == "createItem":
        item = copy.deepcopy(req.get("item") or {})
        index = _index(req.get("location"), len(form.items), name, inclusive=True)
        reply = _assign_ids(form, item, store, name)
        form.items.insert(index, item)
        return {"createItem": reply}
    if kind == "updateItem":
        if not req.get("updateMask"):
            raise bad_request(f"Invalid {name}: updateMask is required")
        index = _index(req.get("location"), len(form.items), name, inclusive=False)
        item = copy.deepcopy(form.items[index])
        ids = (item["itemId"], [q["questionId"] for q in _questions(item)])
        apply_mask(item, req.get("item") or {}, req["updateMask"])
        item["itemId"] = ids[0]
        for question, qid in zip(_questions(item), ids[1], strict=False):
            question["questionId"] = qid
        form.items[index] = item
        return {}
    if kind == "deleteItem":
        del form.items[_index(req.get("location"), len(form.items), name, inclusive=False)]
        return {}
    if kind == "moveItem":
        old = _index(req.get("originalLocation"), len(form.items), name, inclusive=False)
        new = _index(req.get("newLocation"), len(form.items), name, inclusive=False)
        form.items.insert(new, form.items.pop(old))
        return {}
    if kind == "updateFormInfo":
        if not req.get("updateMask"):
            raise bad_request(f"Invalid {name}: updateMask is required")
        if "documentTitle" in req["updateMask"]:
            raise bad_request(f"Invalid {name}: documentTitle cannot be updated")
        apply_mask(form.info, req.get("info") or {}, req["updateMask"])
        return {}
    if kind == "updateSettings":
        if not req.get("updateMask"):
            raise bad_request(f"Invalid {name}: updateMask is required")
        apply_mask(form.settings, req.get("settings") or {}, req["updateMask"])
        return {}
    raise bad_request(f"fake workspace does not implement forms batchUpdate request {kind!r}")


# --- handlers ----------------------------------------------------------------------------------


def forms_create(ctx: RequestContext) -> dict[str, Any]:
    """``forms.create``: title (and document title) only."""
    body = ctx.json()
    info = body.get("info") or {}
    extra = [k for k in body if k != "info"] + [
        f"info.{k}" for k in info if k not in ("title", "documentTitle")
    ]
    if extra:
        raise bad_request(
            f"Only info.title and info.document_title may be set when creating a form; "
            f"got {extra}. Add items with batchUpdate."
        )
    if not info.get("title"):
        raise bad_request("Invalid form: info.title is required")
    store = ctx.fake.forms
    form_id = store.new_id()
    unpublished = ctx.arg("unpublished")
    published = store.api_forms_published_by_default if unpublished is None else not ctx.flag("unpublished")
    form = store.create(form_id, info["title"], published=published)
    form.info["documentTitle"] = info.get("documentTitle") or info["title"]
    ctx.fake.drive.register(form_id, form.info["documentTitle"], FORM_MIME, ctx.user)
    return form.to_json()


def forms_get(ctx: RequestContext) -> dict[str, Any]:
    """``forms.get``."""
    return ctx.fake.forms.get(ctx.path("formId")).to_json()


def forms_batch_update(ctx: RequestContext) -> dict[str, Any]:
    """``forms.batchUpdate`` (atomic; replies for createItem)."""
    store = ctx.fake.forms
    form = store.get(ctx.path("formId"))
    body = ctx.json()
    required = (body.get("writeControl") or {}).get("requiredRevisionId")
    if required and required != form.revision_id:
        raise ApiError(
            400, f"Revision {required} is not the latest ({form.revision_id}).", reason="badRequest"
        )
    draft = copy.deepcopy(form)
    replies = []
    for i, request in enumerate(body.get("requests") or []):
        kinds = [k for k, v in request.items() if v is not None]
        if len(kinds) != 1:
            raise bad_request(f"Invalid requests[{i}]: exactly one request kind, got {kinds}")
        replies.append(_apply(draft, store, kinds[0], request[kinds[0]], f"requests[{i}]"))
    draft.revision += 1
    form.__dict__.update(draft.__dict__)
    out: dict[str, Any] = {
        "replies": replies,
        "writeControl": {"requiredRevisionId": form.revision_id},
    }
    if body.get("includeFormInResponse"):
        out["form"] = form.to_json()
    return out


def forms_set_publish_settings(ctx: RequestContext) -> dict[str, Any]:
    """``forms.setPublishSettings``."""
    form = ctx.fake.forms.get(ctx.path("formId"))
    state = ((ctx.json().get("publishSettings") or {}).get("publishState")) or {}
    published = bool(state.get("isPublished", False))
    accepting = bool(state.get("isAcceptingResponses", published))
    if accepting and not published:
        raise bad_request("A form can only accept responses when it is published.")
    form.published, form.accepting_responses = published, accepting
    return {"formId": form.form_id, "publishSettings": form.publish_settings()}


def _parse_filter(text: str | None) -> tuple[str, datetime] | None:
    if not text:
        return None
    m = _FILTER.match(text)
    if not m or not m.group(2).upper().endswith("Z"):
        raise bad_request(
            f"Invalid filter {text!r}: only 'timestamp > T' or 'timestamp >= T' with T in "
            'RFC3339 UTC "Zulu" format are supported'
        )
    try:
        return m.group(1), parse_rfc3339(m.group(2))
    except ValueError as exc:
        raise bad_request(f"Invalid filter {text!r}: {exc}") from exc


def responses_list(ctx: RequestContext) -> dict[str, Any]:
    """``forms.responses.list`` (pageSize, pageToken, timestamp filter)."""
    form = ctx.fake.forms.get(ctx.path("formId"))
    raw_filter = ctx.arg("filter")
    condition = _parse_filter(raw_filter)
    found = sorted(form.responses.values(), key=lambda r: (r.last_submitted_time, r.response_id))
    if condition:
        op, moment = condition
        found = [
            r
            for r in found
            if (r.last_submitted_time > moment if op == ">" else r.last_submitted_time >= moment)
        ]
    size = ctx.integer("pageSize", 0) or _PAGE_MAX
    items = [r.to_json(form.form_id) for r in found]
    return paging.page(items, ctx.arg("pageToken"), min(size, _PAGE_MAX), "responses", raw_filter)


def responses_get(ctx: RequestContext) -> dict[str, Any]:
    """``forms.responses.get``."""
    form = ctx.fake.forms.get(ctx.path("formId"))
    response = form.responses.get(ctx.path("responseId"))
    if response is None:
        raise not_found()
    return response.to_json(form.form_id)


HANDLERS: dict[str, Handler] = {
    "forms.forms.create": forms_create,
    "forms.forms.get": forms_get,
    "forms.forms.batchUpdate": forms_batch_update,
    "forms.forms.setPublishSettings": forms_set_publish_settings,
    "forms.forms.responses.list": responses_list,
    "forms.forms.responses.get": responses_get,
}
