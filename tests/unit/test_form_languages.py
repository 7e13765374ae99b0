"""Each form in each language: the same questions under the same keys and ids, its own words,
and choices read back as the default language's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from programs import write_config

from microintern.config import ProgramConfig, QuestionKind, load_config
from microintern.domain.assignments import hand_in_spec
from microintern.domain.forms import FormQuestion, FormSpec, form_name_in
from microintern.domain.hours import hours_form_spec
from microintern.domain.participation import ATTENDING_NO, registration_spec
from microintern.domain.partners import industry_form_spec

SPECS: dict[str, Callable[..., FormSpec]] = {
    "registration": registration_spec, "hours": hours_form_spec, "hand-in": hand_in_spec,
    "industry": industry_form_spec,
}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ProgramConfig:
    return load_config(write_config(Path(tmp_path_factory.mktemp("program"))))


def test_the_default_language_keeps_the_bare_name() -> None:
    assert form_name_in("hours", "en", "en") == "hours"
    assert form_name_in("hours", "es", "en") == "hours-es"
    assert form_name_in("hours", "en", "es") == "hours-en"


@pytest.mark.parametrize("name", list(SPECS))
def test_every_language_asks_the_same_questions_in_its_own_words(config: ProgramConfig, name: str) -> None:
    english, spanish = SPECS[name](config, "en"), SPECS[name](config, "es")
    assert SPECS[name](config) == english                        # the program's default language
    assert (english.name, spanish.name) == (name, f"{name}-es")
    assert [(q.key, q.question_id, q.kind, q.required) for q in english.questions] == \
        [(q.key, q.question_id, q.kind, q.required) for q in spanish.questions]
    assert english.verified_email == spanish.verified_email
    assert english.title != spanish.title
    for question, same in zip(spanish.questions, english.questions, strict=True):
        if question.options != same.options:
            # A choice shown in Spanish reads back as the English form's same choice.
            assert question.answers_as == same.options
            assert [question.read_as(option) for option in question.options] == list(same.options)


def test_spanish_choices_read_as_english_and_unknown_answers_pass_through(config: ProgramConfig) -> None:
    attending = next(q for q in registration_spec(config, "es").questions if q.key == "attending")
    assert attending.read_as("No, ya no puedo participar") == ATTENDING_NO
    assert attending.read_as("quizás") == "quizás"
    dates = next(q for q in industry_form_spec(config, "es").questions if q.key == "available_dates")
    both = f"{dates.options[0]}, {dates.options[-1]}"
    assert dates.read_as(both) == f"{dates.answers_as[0]}, {dates.answers_as[-1]}"
    assert dates.read_as(f"{dates.options[0]}, algo más") == f"{dates.options[0]}, algo más"


def test_a_question_without_translated_choices_reads_answers_as_given() -> None:
    question = FormQuestion("size", "0000000a", "Size", QuestionKind.CHOICE, True, ("4", "5"))
    assert question.read_as("4") == "4" and question.read_as("anything") == "anything"


def test_the_spanish_hand_in_form_lists_the_assignments_in_spanish(config: ProgramConfig) -> None:
    from urllib.parse import parse_qs, urlsplit

    from microintern.domain.assignments import ASSIGNMENT_KEY, assignment_options, read_hand_in
    from microintern.steps.program_forms import prefill_entry, prefilled_link

    english, spanish = hand_in_spec(config, "en"), hand_in_spec(config, "es")
    (shown,) = [q for q in spanish.questions if q.key == ASSIGNMENT_KEY]
    assert "Limpiar un conjunto de datos real" in shown.options
    assert "Clean a real data set" not in shown.options
    # An answer on the Spanish form is the same assignment as one on the English form.
    options = assignment_options(config)
    assert options[shown.read_as("Limpiar un conjunto de datos real")] == options["Clean a real data set"]
    answer = read_hand_in("r1", datetime(2027, 4, 15, tzinfo=UTC), {
        "student_id": "A-1", ASSIGNMENT_KEY: shown.read_as("Limpiar un conjunto de datos real"),
        "link": "docs.google.com/document/d/1", "note": ""}, options)
    assert getattr(answer, "assignment_id", None) == options["Clean a real data set"]
    # A link that names the assignment as the steps know it ticks each form's own label.
    for spec, label in ((english, "Clean a real data set"), (spanish, "Limpiar un conjunto de datos real")):
        link = prefilled_link("https://docs.google.com/forms/d/e/x/viewform", spec,
                              {ASSIGNMENT_KEY: "Clean a real data set"})
        assert parse_qs(urlsplit(link).query)[prefill_entry(spec.question_ids()[ASSIGNMENT_KEY])] == [label]
