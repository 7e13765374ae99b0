"""The feedback form's rules: the form per language, hostile answers, averages, what may be shared."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from microintern.config import ProgramConfig, QuestionKind
from microintern.domain import program_sheet as sheet
from microintern.domain.feedback import (
    IMPROVE_KEY,
    LEARNED_KEY,
    MAX_TEXT,
    SCALE,
    SESSION_KEY,
    SHARE_KEY,
    TESTIMONIAL_KEY,
    FeedbackAnswer,
    FormReturn,
    attended,
    average_row,
    feedback_row,
    feedback_spec,
    latest_per_student,
    parse_feedback,
    parse_rating,
    quote,
    rating_key,
    session_averages,
    shared_testimonials,
)
from microintern.domain.participation import APPLICANT_KEY

LA = ZoneInfo("America/Los_Angeles")
WHEN = datetime(2027, 3, 19, 2, 0, tzinfo=UTC)
PLACED = {"A-1": "cyber-basics", "A-2": "cyber-basics", "A-3": "health-careers"}


@pytest.fixture
def config(make_config: Callable[..., ProgramConfig]) -> ProgramConfig:
    return make_config()


def answer_of(config: ProgramConfig, response_id: str, applicant: str,
              ratings: tuple[str, ...] = ("5", "4", "3"), *, session: str = "cyber-basics",
              when: datetime = WHEN, language: str = "en", **texts: str) -> FormReturn:
    by_key = {APPLICANT_KEY: applicant, SESSION_KEY: session,
              **{rating_key(r): v for r, v in zip(config.feedback.ratings, ratings, strict=True)},
              LEARNED_KEY: texts.get("learned", "How a firewall works"),
              IMPROVE_KEY: texts.get("improve", ""),
              TESTIMONIAL_KEY: texts.get("testimonial", ""), SHARE_KEY: texts.get("share", "")}
    return FormReturn(response_id, when, language, by_key)


def test_one_form_per_language_with_prefilled_ids_ratings_and_permission(config: ProgramConfig) -> None:
    english, spanish = feedback_spec(config, "en"), feedback_spec(config, "es")
    assert (english.name, spanish.name) == ("feedback-en", "feedback-es")
    assert english.title == f"{config.program.name}: feedback"
    assert [q.key for q in english.questions] == [q.key for q in spanish.questions]
    assert english.questions[0].key == APPLICANT_KEY and english.questions[1].key == SESSION_KEY
    # No question id is shared between the two forms (prefilled links stay unambiguous).
    assert not set(english.question_ids().values()) & set(spanish.question_ids().values())
    ratings = [q for q in english.questions if q.key.startswith("rating_")]
    assert len(ratings) == len(config.feedback.ratings)
    assert all(q.kind is QuestionKind.CHOICE and q.options == SCALE and q.required for q in ratings)
    assert "The session overall" in ratings[0].title and "1 = poor" in ratings[0].title
    share = english.questions[-1]
    assert share.key == SHARE_KEY and share.options == ("Yes", "No") and "first name" in share.title
    spanish_titles = " ".join(q.title for q in spanish.questions)
    assert "¿Qué aprendiste?" in spanish_titles and "La sesión en general" in spanish_titles
    assert spanish.questions[-1].options == ("Sí", "No")
    assert "tu opinión" in spanish.title


def test_rating_ids_follow_the_rating_text_not_its_place(make_config: Callable[..., ProgramConfig]) -> None:
    ratings = ["Overall", "Explanations"]
    first = feedback_spec(make_config(feedback={"ratings": ratings}), "en").question_ids()
    swapped = feedback_spec(make_config(feedback={"ratings": ratings[::-1]}), "en").question_ids()
    assert first == swapped


def test_configured_titles_and_spanish_ratings(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config(feedback={"ratings": ["Overall"], "form_titles": {"es": "Opina"},
                                   "rating_titles": {"es": ["En general"]}})
    spanish = feedback_spec(config, "es")
    assert spanish.title == "Opina"
    assert any(q.title.startswith("En general (1 = malo") for q in spanish.questions)


@pytest.mark.parametrize("feedback", [
    {"ratings": ["Overall", "overall"]},
    {"ratings": ["Two\nlines"]},
    {"ratings": ["Overall"], "rating_titles": {"es": ["Uno", "Dos"]}},
    {"reminder_after_days": 6},
])
def test_bad_feedback_settings_are_refused(make_config: Callable[..., ProgramConfig],
                                           feedback: dict[str, Any]) -> None:
    from microintern.errors import ConfigError

    with pytest.raises(ConfigError, match="feedback"):
        make_config(feedback=feedback)


@pytest.mark.parametrize(("row", "expected"), [
    ({sheet.ATTENDED: "yes"}, True),
    ({sheet.ATTENDED: "no", sheet.ATTENDANCE: "yes"}, False),      # Attended is already overridden
    ({sheet.ATTENDED: "", sheet.ATTENDANCE: "Yes"}, True),         # blank: the coordinator's column
    ({sheet.ATTENDED: None, sheet.ATTENDANCE: "no"}, False),
    ({}, False),
])
def test_attended(row: dict[str, Any], expected: bool) -> None:
    assert attended(row) is expected


def test_ratings_must_be_whole_numbers_from_1_to_5() -> None:
    assert parse_rating(" 4 ") == 4 and parse_rating("5.0") == 5
    for bad in ("0", "6", "4.5", "five", "=1+4", "-3", "inf", "-inf", "nan", "1e400"):
        with pytest.raises(ValueError, match="whole number from 1 to 5"):
            parse_rating(bad)


def test_hostile_answers_are_flagged_by_response_and_field_and_kept_as_text(config: ProgramConfig) -> None:
    formula = '=IMPORTXML("https://evil.example/x", "//a")'
    long_text = "Great session. " * 350                      # about 5 KB
    huge = "x" * (MAX_TEXT + 10)
    returns = [
        answer_of(config, "r-formula", "A-1", ("9", "4", "five"), learned=formula,
                  testimonial="Line one\r\nBcc: x@evil.example", share="Yes"),
        answer_of(config, "r-long", "A-2", testimonial=long_text, improve=huge, share="maybe"),
        answer_of(config, "r-stranger", "A-999"),
        answer_of(config, "r-blank", ""),
        answer_of(config, "r-moved", "A-3", session="cyber-basics"),
    ]
    parsed = parse_feedback(config, returns, PLACED)
    by_id = {a.response_id: a for a in parsed.answers}
    assert set(by_id) == {"r-formula", "r-long", "r-moved"}
    first = by_id["r-formula"]
    overall, explanations, learned = config.feedback.ratings
    assert first.ratings == {overall: None, explanations: 4, learned: None}
    assert first.learned == formula                             # stored as given, never evaluated
    assert first.testimonial == "Line one\r\nBcc: x@evil.example"
    assert by_id["r-long"].testimonial == long_text
    assert by_id["r-long"].improve == huge          # kept whole; its cell is fitted when written
    assert by_id["r-long"].share == "maybe" and not by_id["r-long"].may_share
    assert by_id["r-moved"].session_id == "health-careers"     # the placement wins over the answer
    problems = "\n".join(parsed.problems)
    assert f"feedback-en, response r-formula, field {overall!r}: expected a whole number from 1 to 5, " \
           "found '9'" in problems
    assert f"response r-formula, field {learned!r}" in problems
    assert "response r-long, field 'What to improve'" in problems
    assert "response r-long, field 'Share with partner'" in problems
    assert "response r-stranger, field 'Student ID': not a placed student" in problems
    assert "A-999" not in problems and "cyber-basics" not in problems  # typed text never echoed
    assert "response r-blank, field 'Student ID': blank" in problems
    assert "response r-moved, field 'Session'" in problems
    assert len(parsed.problems) == 7


def test_averages_use_each_students_latest_answer(config: ProgramConfig) -> None:
    later = WHEN + timedelta(hours=3)
    parsed = parse_feedback(config, [
        answer_of(config, "r1", "A-1", ("1", "1", "1")),
        answer_of(config, "r2", "A-1", ("5", "4", "")),         # replaces r1
        answer_of(config, "r3", "A-2", ("4", "4", "7"), when=later),
        answer_of(config, "r4", "A-3", ("2", "2", "2")),        # another session
    ], PLACED)
    assert set(latest_per_student(parsed.answers)) == {"A-1", "A-2", "A-3"}
    averages = session_averages("cyber-basics", config.feedback.ratings, parsed.answers)
    overall, explanations, learned = config.feedback.ratings
    assert averages.ratings == {overall: 4.5, explanations: 4.0, learned: None}
    assert averages.responses == 2 and averages.overall == 4.25
    row = average_row(averages)
    assert row[sheet.FEEDBACK_KEY] == "average:cyber-basics" and row[sheet.FEEDBACK_RESPONSES] == 2
    assert row[learned] == ""
    thirds = session_averages("x", ["r"], [
        FeedbackAnswer(str(i), f"A-{i}", "x", WHEN, "en", {"r": v}, "", "", "", "")
        for i, v in enumerate((5, 4, 4))])
    assert thirds.ratings["r"] == 4.33


def test_feedback_row_holds_the_answer_as_given(config: ProgramConfig) -> None:
    (answer,) = parse_feedback(config, [answer_of(config, "r1", "A-1", testimonial="=1+1", share="Sí",
                                                  language="es")], PLACED).answers
    row = feedback_row(answer, config.feedback.ratings, LA)
    assert row[sheet.FEEDBACK_KEY] == "r1" and row[sheet.SESSION_ID] == "cyber-basics"
    assert row[sheet.SUBMITTED] == "2027-03-18 19:00:00" and row[sheet.LANGUAGE] == "es"
    assert row[sheet.FEEDBACK_TESTIMONIAL] == "=1+1" and row[sheet.FEEDBACK_SHARE] == "Yes"
    assert [row[r] for r in config.feedback.ratings] == [5, 4, 3]
    assert set(row) <= set(sheet.feedback_columns(config.feedback.ratings))


def test_only_testimonials_with_a_yes_are_shared_by_first_name(config: ProgramConfig) -> None:
    later = WHEN + timedelta(days=1)
    parsed = parse_feedback(config, [
        answer_of(config, "r1", "A-1", testimonial="I loved\r\nthe   exercise.", share="Yes"),
        answer_of(config, "r2", "A-2", testimonial="Private thought.", share="No"),
        answer_of(config, "r3", "A-3", testimonial="Other session.", share="Yes"),
        answer_of(config, "r4", "A-2", testimonial="Still private.", share=""),      # no answer = no
    ], PLACED)
    names = {"A-1": "Maya Luz", "A-2": "Sofía", "A-3": "Lily"}
    shared = shared_testimonials(parsed.answers, "cyber-basics", names)
    assert shared == [{"text": "I loved the exercise.", "first_name": "Maya Luz"}]
    # A later "no" withdraws an earlier "yes".
    withdrawn = parse_feedback(config, [answer_of(config, "r5", "A-1", testimonial="Changed my mind",
                                                  share="No", when=later)], PLACED).answers
    assert shared_testimonials([*parsed.answers, *withdrawn], "cyber-basics", names) == []
    # A "yes" with no sentence shares nothing; a student without a first name is "A student".
    blank = parse_feedback(config, [answer_of(config, "r6", "A-2", testimonial="  ", share="Yes"),
                                    answer_of(config, "r7", "A-1", testimonial="Fun", share="Sí")],
                           PLACED).answers
    assert shared_testimonials(blank, "cyber-basics", {}) == [{"text": "Fun", "first_name": "A student"}]


def test_a_long_testimonial_is_cut_at_a_word_for_the_letter() -> None:
    text = "word " * 400
    quoted = quote(text)
    assert len(quoted) <= 601 and quoted.endswith("word…")
    assert quote("short\nand sweet") == "short and sweet"


def test_the_minutes_share_ignores_cells_that_are_not_finite_numbers() -> None:
    from microintern.domain.sessions import SessionPlan
    from microintern.steps.appreciation import minutes_share
    from microintern.steps.sheet.participants import Seated

    plan = SessionPlan(session_id="s", title="t", partner_id="p",
                       starts=(datetime(2027, 3, 16, 22, tzinfo=UTC),), duration=timedelta(minutes=90),
                       cancelled=False, meet_link="", meet_space="", recording=False, recording_note="")

    def student(minutes: object) -> Seated:
        return Seated("A-1", "s", "en", "", "", "", {}, {sheet.MINUTES: minutes})

    assert minutes_share([student(45), student("nan"), student("inf"), student("x")], plan) == "50%"
    assert minutes_share([student("nan")], plan) == ""
