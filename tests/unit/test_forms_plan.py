"""The application form's plan: the batchUpdate requests that bring a form in line with the config.

Plans are applied with the fake Workspace's own batchUpdate model, so each test checks both the
requests and the form they leave behind.
"""

from __future__ import annotations

import copy
import threading
from datetime import datetime
from typing import Any

import pytest
from fakeworkspace.forms_api import Form, FormsStore, _apply

from microintern.config import Application, Question, QuestionKind
from microintern.domain.forms import (
    FormQuestion,
    FormSpec,
    adopt_questions,
    form_spec,
    item_json,
    plan_changes,
    prefill_entry,
    question_id,
)
from microintern.errors import ConfigError

QUESTIONS = [
    Question(key="first_name", title="First name", required=True),
    Question(key="student_email", title="School email", kind=QuestionKind.EMAIL, required=True),
    Question(key="school", title="School", kind=QuestionKind.CHOICE, required=True,
             options=["Mesa", "Canyon"]),
    Question(key="interests", title="Interests", kind=QuestionKind.CHECKBOXES,
             options=["IT", "Health"]),
    Question(key="essay", title="Why?", kind=QuestionKind.PARAGRAPH),
    Question(key="age", title="Age", kind=QuestionKind.NUMBER),
]


STORE = FormsStore(threading.RLock())  # one store, so item ids it mints never repeat


def application(questions: list[Question] = QUESTIONS, title: str = "Apply") -> Application:
    return Application(form_title=title, deadline=datetime(2027, 2, 12, 23, 59), questions=questions)


def spec_of(questions: list[Question] = QUESTIONS, title: str = "Apply") -> FormSpec:
    return form_spec(application(questions, title))


def apply(items: list[dict[str, Any]], requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items after the fake Forms applied ``requests`` in order (as one batch would)."""
    form = Form("f", {"title": "Apply"}, items=copy.deepcopy(items))
    for i, request in enumerate(requests):
        (kind, body), = request.items()
        _apply(form, STORE, kind, body, f"requests[{i}]")
    return form.items


def build(spec: FormSpec) -> list[dict[str, Any]]:
    """A form made from nothing by the plan for ``spec``."""
    return apply([], plan_changes([], spec))


def qids(items: list[dict[str, Any]]) -> list[str]:
    return [i["questionItem"]["question"]["questionId"] for i in items if "questionItem" in i]


def by_qid(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["questionItem"]["question"]["questionId"]: i for i in items if "questionItem" in i}


def kinds(requests: list[dict[str, Any]]) -> list[str]:
    return [next(iter(r)) for r in requests]


# --- ids ---------------------------------------------------------------------------------------


def test_question_ids_are_stable_short_hex_from_the_key() -> None:
    assert question_id("first_name") == "05416fbf"  # sha256("first_name")[:8], forever
    assert question_id("first_name") == question_id("first_name")
    assert question_id("last_name") != question_id("first_name")
    spec = spec_of()
    assert spec.question_ids() == {q.key: question_id(q.key) for q in QUESTIONS}
    assert all(len(q) == 8 and int(q, 16) >= 0 for q in spec.question_ids().values())


def test_ids_do_not_depend_on_title_order_or_kind() -> None:
    moved = [QUESTIONS[2].model_copy(update={"title": "Your school"}), *QUESTIONS[:2]]
    assert spec_of(moved).question_ids()["school"] == spec_of().question_ids()["school"]


def test_prefill_entry_is_the_decimal_question_id() -> None:
    assert prefill_entry("0000000a") == "entry.10"
    assert prefill_entry(question_id("first_name")) == "entry.88174527"
    with pytest.raises(ValueError, match="question id"):
        prefill_entry("xyz")


# --- kinds -------------------------------------------------------------------------------------


def test_kinds_map_to_text_and_choice_questions() -> None:
    spec = spec_of()
    question = {q.key: item_json(q)["questionItem"]["question"] for q in spec.questions}
    assert question["first_name"]["textQuestion"] == {"paragraph": False}
    assert question["first_name"]["required"] is True
    assert question["student_email"]["textQuestion"] == {"paragraph": False}  # no email item type
    assert question["age"]["textQuestion"] == {"paragraph": False}
    assert question["essay"]["textQuestion"] == {"paragraph": True}
    assert question["school"]["choiceQuestion"] == {
        "type": "RADIO", "options": [{"value": "Mesa"}, {"value": "Canyon"}]}
    assert question["interests"]["choiceQuestion"]["type"] == "CHECKBOX"
    assert question["interests"]["required"] is False


# --- plans -------------------------------------------------------------------------------------


def test_create_all_on_an_empty_form() -> None:
    spec = spec_of()
    requests = plan_changes([], spec, current_title="Apply")
    assert kinds(requests) == ["createItem"] * len(QUESTIONS)
    assert [r["createItem"]["location"]["index"] for r in requests] == list(range(len(QUESTIONS)))
    items = apply([], requests)
    assert qids(items) == [q.question_id for q in spec.questions]
    assert [i["title"] for i in items] == [q.title for q in QUESTIONS]


def test_no_change_plans_nothing() -> None:
    spec = spec_of()
    assert plan_changes(build(spec), spec, current_title="Apply") == []


def test_no_change_as_forms_returns_items() -> None:
    """Forms leaves out false booleans and returns short text as an empty textQuestion."""
    spec = spec_of()
    items = build(spec)
    for item in items:
        question = item["questionItem"]["question"]
        if not question["required"]:
            del question["required"]
        if question.get("textQuestion") == {"paragraph": False}:
            question["textQuestion"] = {}
    assert plan_changes(items, spec) == []


def test_form_title_change_updates_the_info_only() -> None:
    spec = spec_of(title="Apply now")
    requests = plan_changes(build(spec), spec, current_title="Apply")
    assert requests == [{"updateFormInfo": {"info": {"title": "Apply now"}, "updateMask": "title"}}]


def test_question_title_change_updates_that_item_in_place() -> None:
    before = build(spec_of())
    changed = [*QUESTIONS]
    changed[1] = changed[1].model_copy(update={"title": "Your school email address"})
    spec = spec_of(changed)
    requests = plan_changes(before, spec)
    assert kinds(requests) == ["updateItem"]
    update = requests[0]["updateItem"]
    assert update["location"] == {"index": 1}
    assert update["updateMask"] == "title"
    after = apply(before, requests)
    assert after[1]["itemId"] == before[1]["itemId"]
    assert qids(after) == qids(before)
    assert after[1]["title"] == "Your school email address"
    assert plan_changes(after, spec) == []


def test_option_change_updates_only_the_options() -> None:
    before = build(spec_of())
    changed = [*QUESTIONS]
    changed[2] = changed[2].model_copy(update={"options": ["Mesa", "Canyon", "Palo Verde"]})
    spec = spec_of(changed)
    requests = plan_changes(before, spec)
    assert kinds(requests) == ["updateItem"]
    assert requests[0]["updateItem"]["updateMask"] == "questionItem.question.choiceQuestion.options"
    after = apply(before, requests)
    options = after[2]["questionItem"]["question"]["choiceQuestion"]["options"]
    assert [o["value"] for o in options] == ["Mesa", "Canyon", "Palo Verde"]
    assert plan_changes(after, spec) == []


def test_required_change_updates_only_required() -> None:
    before = build(spec_of())
    changed = [*QUESTIONS]
    changed[0] = changed[0].model_copy(update={"required": False})
    requests = plan_changes(before, spec_of(changed))
    assert [r["updateItem"]["updateMask"] for r in requests] == ["questionItem.question.required"]


def test_removed_question_deletes_only_that_item() -> None:
    before = build(spec_of())
    spec = spec_of([q for q in QUESTIONS if q.key != "school"])
    requests = plan_changes(before, spec)
    assert requests == [{"deleteItem": {"location": {"index": 2}}}]
    after = apply(before, requests)
    assert qids(after) == [q.question_id for q in spec.questions]
    assert [i["itemId"] for i in after] == [i["itemId"] for i in before if i is not before[2]]


def test_reordered_questions_move_the_fewest_items() -> None:
    before = build(spec_of())
    last_first = [QUESTIONS[-1], *QUESTIONS[:-1]]
    first_last = [*QUESTIONS[1:], QUESTIONS[0]]
    swapped = [QUESTIONS[1], QUESTIONS[0], *QUESTIONS[2:]]
    for order in (last_first, first_last, swapped):
        spec = spec_of(order)
        requests = plan_changes(before, spec)
        assert kinds(requests) == ["moveItem"], order
        after = apply(before, requests)
        assert qids(after) == [q.question_id for q in spec.questions]
        assert {i["itemId"] for i in after} == {i["itemId"] for i in before}
        assert plan_changes(after, spec) == []
    reversed_spec = spec_of(list(reversed(QUESTIONS)))
    requests = plan_changes(before, reversed_spec)
    assert kinds(requests) == ["moveItem"] * (len(QUESTIONS) - 1)
    assert qids(apply(before, requests)) == [q.question_id for q in reversed_spec.questions]


def test_kind_change_keeps_the_question_id() -> None:
    before = build(spec_of())
    changed = [*QUESTIONS]
    changed[0] = changed[0].model_copy(update={"kind": QuestionKind.PARAGRAPH})      # text → text
    changed[3] = changed[3].model_copy(update={"kind": QuestionKind.CHOICE})         # box → radio
    changed[5] = changed[5].model_copy(update={"kind": QuestionKind.CHOICE, "options": ["14", "15+"]})
    changed[2] = changed[2].model_copy(update={"kind": QuestionKind.SHORT_TEXT, "options": []})
    spec = spec_of(changed)
    requests = plan_changes(before, spec)
    masks = {r["updateItem"]["location"]["index"]: r["updateItem"]["updateMask"] for r in requests}
    assert masks == {
        0: "questionItem.question.textQuestion.paragraph",
        2: "questionItem.question",
        3: "questionItem.question.choiceQuestion.type",
        5: "questionItem.question",
    }
    for r in requests:
        if r["updateItem"]["updateMask"] == "questionItem.question":
            # The whole question is replaced: its id must be in the body or Forms mints a new one.
            question = r["updateItem"]["item"]["questionItem"]["question"]
            assert question["questionId"] == qids(before)[r["updateItem"]["location"]["index"]]
    after = apply(before, requests)
    assert qids(after) == qids(before)
    assert "choiceQuestion" not in after[2]["questionItem"]["question"]
    assert after[5]["questionItem"]["question"]["choiceQuestion"]["type"] == "RADIO"
    assert plan_changes(after, spec) == []


def test_email_to_short_text_is_no_change_for_forms() -> None:
    before = build(spec_of())
    changed = [*QUESTIONS]
    changed[1] = changed[1].model_copy(update={"kind": QuestionKind.SHORT_TEXT})
    assert plan_changes(before, spec_of(changed)) == []


def test_everything_at_once_reaches_the_spec() -> None:
    before = build(spec_of())
    new = Question(key="grade", title="Grade", kind=QuestionKind.CHOICE, options=["9", "10"])
    order = [QUESTIONS[4], new, QUESTIONS[0], QUESTIONS[3].model_copy(update={"title": "Fields"}),
             QUESTIONS[1]]  # school and age removed, essay first, grade added, a title changed
    spec = spec_of(order, title="Apply 2027")
    requests = plan_changes(before, spec, current_title="Apply")
    assert kinds(requests).count("deleteItem") == 2
    assert kinds(requests).count("createItem") == 1
    after = apply(before, requests)
    assert qids(after) == [q.question_id for q in spec.questions]
    assert [i["title"] for i in after] == [q.title for q in order]
    kept = {q: i["itemId"] for q, i in by_qid(before).items()}
    assert all(i["itemId"] == kept[q] for q, i in by_qid(after).items() if q in kept)
    assert plan_changes(after, spec) == []


def test_foreign_questions_are_deleted_and_decorations_kept_in_place() -> None:
    spec = spec_of()
    items = build(spec)
    section = {"itemId": "5ec71011", "title": "About you", "pageBreakItem": {}}
    stray = {"itemId": "0000abcd", "title": "Added by hand",
             "questionItem": {"question": {"questionId": "0000dcba", "textQuestion": {}}}}
    grid = {"itemId": "0000abce", "title": "Grid",
            "questionGroupItem": {"questions": [{"questionId": "0000dcbb", "rowQuestion": {}}]}}
    items = [*items[:2], section, stray, *items[2:], grid]
    requests = plan_changes(items, spec)
    assert kinds(requests) == ["deleteItem", "deleteItem"]
    after = apply(items, requests)
    assert [i["itemId"] for i in after] == [i["itemId"] for i in items if i not in (stray, grid)]
    # The section header travels with the question it followed.
    moved = spec_of([QUESTIONS[1], QUESTIONS[0], *QUESTIONS[2:]])
    after_move = apply(after, plan_changes(after, moved))
    assert [i.get("title") for i in after_move[:3]] == ["School email", "About you", "First name"]


def test_spec_rejects_what_forms_would_refuse() -> None:
    bad = [
        Question(key="first_name", title="First\nname"),
        Question(key="school", title="School", kind=QuestionKind.CHOICE, options=["A", "A"]),
    ]
    with pytest.raises(ConfigError) as caught:
        spec_of(bad)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["application.questions[0].title", "application.questions[1].options"]


def test_spec_carries_the_config() -> None:
    spec = spec_of()
    assert spec.title == "Apply"
    assert spec.questions[2] == FormQuestion("school", question_id("school"), "School",
                                             QuestionKind.CHOICE, True, ("Mesa", "Canyon"))


def test_a_hand_made_form_is_adopted_by_title_not_rebuilt() -> None:
    """Questions made in the editor keep their Forms ids, so earlier answers stay readable."""
    spec = spec_of()
    items = [
        {"itemId": "00000a01", "title": "First name",
         "questionItem": {"question": {"questionId": "00000b01", "textQuestion": {}}}},
        {"itemId": "00000a02", "title": "School",
         "questionItem": {"question": {"questionId": "00000b02", "textQuestion": {}}}},
        {"itemId": "00000a03", "title": "Favourite colour",
         "questionItem": {"question": {"questionId": "00000b03", "textQuestion": {}}}},
    ]
    adopted = adopt_questions(items, spec).question_ids()
    assert adopted["first_name"] == "00000b01"
    assert adopted["school"] == "00000b02"
    assert adopted["essay"] == question_id("essay")
    requests = plan_changes(items, spec)
    assert [r["deleteItem"]["location"]["index"] for r in requests if "deleteItem" in r] == [2]
    after = apply(items, requests)
    assert qids(after) == [adopted[q.key] for q in spec.questions]
    assert by_qid(after)["00000b02"]["questionItem"]["question"]["choiceQuestion"]["type"] == "RADIO"
    assert plan_changes(after, spec) == []
