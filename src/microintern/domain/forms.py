"""The student application form as the config describes it, and how to bring a form in line.

The form is built from ``config.application``: every question gets a question id derived from
its key, so the id never changes while the key stays. Registration letters prefill answers by
that id (``entry.<decimal of the hex id>``), and responses are matched to questions by it, so
an existing question is only ever updated or moved in place, never deleted and created again.

:func:`plan_changes` compares a form's current items (the ``items`` of a Forms API ``Form``)
with the spec and returns the ``forms.batchUpdate`` requests that make them match. It is the
one place where Forms JSON is built, kept pure here so that it is unit-tested without HTTP.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from microintern.config import Application, QuestionKind
from microintern.errors import ConfigError, ConfigProblem

# Forms issues 8-hex-digit ids and accepts client-chosen ones of the same shape.
_QUESTION_ID = re.compile(r"^[0-9a-f]{8}$")
_QUESTION_KINDS = (
    "choiceQuestion", "dateQuestion", "fileUploadQuestion", "ratingQuestion", "rowQuestion",
    "scaleQuestion", "textQuestion", "timeQuestion",
)
_ITEM_KINDS_WITH_QUESTIONS = ("questionItem", "questionGroupItem")
_CHOICE_TYPES = {QuestionKind.CHOICE: "RADIO", QuestionKind.CHECKBOXES: "CHECKBOX"}


def question_id(key: str) -> str:
    """The stable Forms question id of the question with config key ``key`` (8 hex digits)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def prefill_entry(qid: str) -> str:
    """The query parameter that prefills question ``qid`` in a form link, e.g. ``entry.1234567``."""
    if not _QUESTION_ID.match(qid):
        raise ValueError(f"not a Forms question id: {qid!r}")
    return f"entry.{int(qid, 16)}"


@dataclass(frozen=True)
class FormQuestion:
    """One question of a form: the config's key, our chosen question id and how it is asked."""

    key: str
    question_id: str
    title: str
    kind: QuestionKind = QuestionKind.SHORT_TEXT
    required: bool = False
    options: tuple[str, ...] = ()
    # What each option is read back as, in the options' order (empty: as shown). A form in
    # another language shows "Sí, voy a participar" and is read as the default form's "Yes, I will
    # take part", so every language's answers mean the same to the steps.
    answers_as: tuple[str, ...] = ()

    def shown_as(self, value: str) -> str:
        """The option this form shows for ``value`` as the steps read it (``read_as`` undone).

        A prefilled link names the default form's option ("Data cleaning"); the Spanish form
        ticks its own ("Limpieza de datos"). A value that is not an option stays as it is.
        """
        if not self.answers_as:
            return value
        return dict(zip(self.answers_as, self.options, strict=True)).get(value, value)

    def read_as(self, answer: str) -> str:
        """``answer`` as the steps read it: each chosen option as its ``answers_as`` value."""
        if not self.answers_as:
            return answer
        meaning = dict(zip(self.options, self.answers_as, strict=True))
        if answer in meaning:
            return meaning[answer]
        if self.kind is QuestionKind.CHECKBOXES:
            # Several boxes come back as one answer, "A, B": read each box that is an option.
            chosen = answer.split(", ")
            if all(option in meaning for option in chosen):
                return ", ".join(meaning[option] for option in chosen)
        return answer


@dataclass(frozen=True)
class FormSpec:
    """A whole form: its title and its questions in the order respondents see them."""

    title: str
    questions: tuple[FormQuestion, ...]
    # A short name for the form ("applications", "registration", "release-es"): the local
    # backend's file name for it and the Settings tab's label for its id.
    name: str = "applications"
    # Collect the respondent's signed-in, verified address (Forms emailCollectionType VERIFIED):
    # for forms only the district's own students fill in (application.verified_respondents).
    verified_email: bool = False

    def question_ids(self) -> dict[str, str]:
        """Question key → question id."""
        return {q.key: q.question_id for q in self.questions}


@dataclass(frozen=True)
class FormState:
    """A form after a sync: where students fill it in and what the sync did."""

    form_id: str
    responder_uri: str
    question_ids: dict[str, str] = field(default_factory=dict)
    changed: bool = False
    created: bool = False
    published: bool = False  # this sync published it (or opened it to responses)


def form_name_in(name: str, language: str, default_language: str) -> str:
    """The short name of form ``name`` in ``language``.

    The default language's form keeps the bare name ("registration"), so a program that ran
    before forms came in every language keeps its form, its link and its answers; another
    language's form is "<name>-<language>" ("registration-es").
    """
    return name if language == default_language else f"{name}-{language}"


def form_spec(application: Application) -> FormSpec:
    """The form ``application`` describes; raises :class:`ConfigError` for what Forms refuses."""
    problems: list[ConfigProblem] = []
    questions: list[FormQuestion] = []
    seen: dict[str, str] = {}
    for i, q in enumerate(application.questions):
        where = f"application.questions[{i}]"
        qid = question_id(q.key)
        if qid in seen:  # a 1-in-4-billion chance per pair, but it would merge two questions
            problems.append(ConfigProblem(f"{where}.key", f"a key whose form id differs from "
                                          f"{seen[qid]!r}'s ({qid})", repr(q.key)))
        seen[qid] = q.key
        if _has_line_break(q.title):
            problems.append(ConfigProblem(f"{where}.title", "one line of text", repr(q.title)))
        for j, option in enumerate(q.options):
            if not option.strip() or _has_line_break(option):
                problems.append(ConfigProblem(f"{where}.options[{j}]", "one non-blank line of text",
                                              repr(option)))
        if len(set(q.options)) != len(q.options):
            problems.append(ConfigProblem(f"{where}.options", "options without repeats (Forms "
                                          "refuses duplicate choices)", repr(q.options)))
        questions.append(FormQuestion(q.key, qid, q.title, q.kind, q.required, tuple(q.options)))
    if _has_line_break(application.form_title):
        problems.append(ConfigProblem("application.form_title", "one line of text",
                                      repr(application.form_title)))
    if problems:
        raise ConfigError("config", problems)
    return FormSpec(application.form_title, tuple(questions),
                    verified_email=application.verified_respondents)


def _has_line_break(text: str) -> bool:
    return "\n" in text or "\r" in text


# --- Forms JSON ----------------------------------------------------------------------------------


def question_json(question: FormQuestion) -> dict[str, Any]:
    """The Forms API ``Question`` for ``question``, with our question id."""
    body: dict[str, Any] = {"questionId": question.question_id, "required": question.required}
    choice_type = _CHOICE_TYPES.get(question.kind)
    if choice_type is not None:
        body["choiceQuestion"] = {
            "type": choice_type,
            "options": [{"value": option} for option in question.options],
        }
    elif question.kind is QuestionKind.DATE:
        body["dateQuestion"] = {"includeYear": True, "includeTime": False}
    else:
        # Forms has no email or number item: those are short text questions. (Response
        # validation exists in the editor but not in the API.) Screening checks the answers.
        body["textQuestion"] = {"paragraph": question.kind is QuestionKind.PARAGRAPH}
    return body


def item_json(question: FormQuestion) -> dict[str, Any]:
    """The Forms API ``Item`` for ``question`` (the item id is left to Forms)."""
    return {"title": question.title, "questionItem": {"question": question_json(question)}}


def _shape(question: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a question asks, compared field by field: its kind and that kind's settings."""
    if "textQuestion" in question:
        return ("textQuestion", bool((question.get("textQuestion") or {}).get("paragraph", False)))
    if "choiceQuestion" in question:
        choice = question.get("choiceQuestion") or {}
        options = tuple(
            ("other",) if option.get("isOther") else str(option.get("value", ""))
            for option in choice.get("options") or []
        )
        return ("choiceQuestion", choice.get("type"), options)
    return tuple(k for k in _QUESTION_KINDS if k in question) or ("none",)


def _update_mask(current: Mapping[str, Any], wanted: FormQuestion) -> list[str]:
    """The ``updateMask`` paths that turn ``current`` (an item) into ``wanted``; empty if equal."""
    paths: list[str] = []
    if current.get("title", "") != wanted.title:
        paths.append("title")
    question = (current.get("questionItem") or {}).get("question") or {}
    want = question_json(wanted)
    have_shape, want_shape = _shape(question), _shape(want)
    if have_shape[0] != want_shape[0]:
        # Another kind of question: replace the whole question. Its id is in the body, so it
        # is kept (Forms would mint a new one for a blank id under the mask).
        return [*paths, "questionItem.question"]
    if bool(question.get("required", False)) != wanted.required:
        paths.append("questionItem.question.required")
    if want_shape[0] == "textQuestion" and have_shape != want_shape:
        paths.append("questionItem.question.textQuestion.paragraph")
    if want_shape[0] == "choiceQuestion":
        if have_shape[1] != want_shape[1]:
            paths.append("questionItem.question.choiceQuestion.type")
        if have_shape[2] != want_shape[2]:
            paths.append("questionItem.question.choiceQuestion.options")
    return paths


def _item_question_id(item: Mapping[str, Any]) -> str | None:
    question = (item.get("questionItem") or {}).get("question") or {}
    qid = question.get("questionId")
    return str(qid) if qid else None


def _is_decoration(item: Mapping[str, Any]) -> bool:
    """A text, image, video or section item: asks nothing, so no config question can own it."""
    return not any(kind in item for kind in _ITEM_KINDS_WITH_QUESTIONS)


def _stable(tokens: Sequence[str], target: Sequence[str]) -> set[str]:
    """The most items that can stay put: a longest run of ``tokens`` already in target order."""
    position = {token: i for i, token in enumerate(target)}
    ranks = [position[t] for t in tokens]
    best = [1] * len(ranks)
    previous = [-1] * len(ranks)
    for i in range(len(ranks)):
        for j in range(i):
            if ranks[j] < ranks[i] and best[j] + 1 > best[i]:
                best[i], previous[i] = best[j] + 1, j
    stable: set[str] = set()
    i = max(range(len(ranks)), key=best.__getitem__, default=-1)
    while i >= 0:
        stable.add(tokens[i])
        i = previous[i]
    return stable


def _location(index: int) -> dict[str, int]:
    return {"index": index}


def adopt_questions(current_items: Sequence[Mapping[str, Any]], spec: FormSpec) -> FormSpec:
    """``spec`` with the ids the form already uses for its questions.

    A question is found by its id; failing that, by its exact title, so that a form made by
    hand in the editor (whose ids Forms chose) is taken over without losing its questions:
    deleting and recreating them would orphan the answers already given. Questions the form
    lacks keep the id derived from their key.
    """
    present = {qid for qid in (_item_question_id(item) for item in current_items) if qid}
    derived = {q.question_id for q in spec.questions}
    by_title: dict[str, str] = {}
    for item in current_items:
        qid = _item_question_id(item)
        title = str(item.get("title", "")).strip()
        if qid and "questionItem" in item and qid not in derived:
            by_title.setdefault(title, qid)
    questions = []
    for q in spec.questions:
        found = by_title.pop(q.title.strip(), None) if q.question_id not in present else None
        questions.append(replace(q, question_id=found) if found else q)
    return replace(spec, questions=tuple(questions))


VERIFIED = "VERIFIED"
"""Forms ``settings.emailCollectionType``: the signed-in respondent's address, checked by Google."""


def settings_changes(current_settings: Mapping[str, Any] | None, spec: FormSpec) -> list[dict[str, Any]]:
    """The ``updateSettings`` request that makes the form collect verified addresses, if needed.

    Only ever turns collection on: a form the spec does not ask to verify is left as its owner set
    it. The domain restriction ("only users in <domain>") is not in the API; see the setup guide.
    """
    if not spec.verified_email or (current_settings or {}).get("emailCollectionType") == VERIFIED:
        return []
    return [{"updateSettings": {"settings": {"emailCollectionType": VERIFIED},
                                "updateMask": "emailCollectionType"}}]


def plan_changes(current_items: Sequence[Mapping[str, Any]], spec: FormSpec, *,
                 current_title: str | None = None,
                 current_settings: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The ``forms.batchUpdate`` requests that make ``current_items`` match ``spec``.

    Requests apply in order, each against the form as the previous ones left it (which is how
    Forms reads a batch), so the indexes here are computed on a simulated copy:

    1. ``updateFormInfo`` when ``current_title`` is given and differs from the spec's title;
    2. ``deleteItem`` for every question whose id is not in the spec (last first), after
       questions found by title have been adopted (:func:`adopt_questions`);
    3. ``createItem`` for missing questions (with our question ids) and ``moveItem`` for the
       fewest existing items that must move so that the order matches the config;
    4. ``updateItem`` (with an ``updateMask`` of only what differs) for changed questions.

    Items that ask nothing (a section header or text added in the editor) are kept, and stay
    after the question they followed. An empty list means the form already matches.
    """
    requests: list[dict[str, Any]] = []
    if current_title is not None and current_title != spec.title:
        requests.append({"updateFormInfo": {"info": {"title": spec.title}, "updateMask": "title"}})
    requests += settings_changes(current_settings, spec)

    spec = adopt_questions(current_items, spec)
    wanted = {q.question_id: q for q in spec.questions}
    tokens: list[str] = []  # the items that stay: question ids, or "item:<id>" for decorations
    existing: dict[str, Mapping[str, Any]] = {}
    doomed: list[int] = []
    for index, item in enumerate(current_items):
        qid = _item_question_id(item)
        if qid in wanted and qid not in existing and "questionItem" in item:
            tokens.append(qid)
            existing[qid] = item
        elif _is_decoration(item):
            tokens.append(f"item:{item.get('itemId') or index}")
        else:
            doomed.append(index)
    for index in reversed(doomed):  # from the end, so that earlier indexes stay valid
        requests.append({"deleteItem": {"location": _location(index)}})

    # The target order: the config's questions, each followed by the decorations after it.
    after: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for token in tokens:
        if token in wanted:
            anchor = token
        else:
            after.setdefault(anchor, []).append(token)
    target = list(after.get(None, []))
    for q in spec.questions:
        target += [q.question_id, *after.get(q.question_id, [])]

    stable = _stable(tokens, target)
    items = list(tokens)  # the form as the requests so far leave it
    for position, token in enumerate(target):
        if token in stable:
            continue
        old = items.index(token) if token in items else None
        if old is not None:
            items.pop(old)
        new = items.index(target[position - 1]) + 1 if position else 0
        items.insert(new, token)
        if old is None:
            requests.append({"createItem": {"item": item_json(wanted[token]),
                                            "location": _location(new)}})
        elif old != new:
            requests.append({"moveItem": {"originalLocation": _location(old),
                                          "newLocation": _location(new)}})
    if items != target:  # pragma: no cover - a bug in the plan, never the form's fault
        raise AssertionError(f"form plan does not reach the target order: {items} != {target}")

    for position, token in enumerate(target):
        current = existing.get(token)
        if current is None:
            continue
        mask = _update_mask(current, wanted[token])
        if mask:
            requests.append({"updateItem": {"item": item_json(wanted[token]),
                                            "location": _location(position),
                                            "updateMask": ",".join(mask)}})
    return requests


def question_ids_in(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """The question ids of a form's question items, in order."""
    return [qid for qid in (_item_question_id(item) for item in items) if qid]
