"""Two languages per applicant (issue 15): which language each reader gets, and how a letter splits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import (
    QuestionColumn,
    application_record,
    family_language,
    student_language,
)
from microintern.domain.records import FormResponse
from microintern.steps.mailing import FAMILY_COPY, Addressed, split_for_family

QUESTIONS = [QuestionColumn("first_name", "First name"),
             QuestionColumn("family_language", "Language for letters to your family")]
ZONE = ZoneInfo("America/Los_Angeles")


def response(answers: dict[str, str]) -> FormResponse:
    return FormResponse(response_id="r1", submitted_at=datetime(2027, 2, 1, 18, tzinfo=UTC), answers=answers)


def test_a_student_reads_the_language_they_applied_in_the_family_its_own() -> None:
    answers = {"First name": "Maya", "Language for letters to your family": "Español"}
    record = application_record(response(answers), form_id="f", questions=QUESTIONS, zone=ZONE,
                                default_language="en")
    assert record[sheet.LANGUAGE] == "es" and record[sheet.STUDENT_LANGUAGE] == "en"
    assert student_language(record, "en") == "en" and family_language(record, "en") == "es"
    # A form in Spanish: the student applied in Spanish.
    spanish = application_record(response({"First name": "Sofía"}), form_id="f", questions=QUESTIONS,
                                 zone=ZONE, default_language="en", form_language="es")
    assert spanish[sheet.STUDENT_LANGUAGE] == "es" and spanish[sheet.LANGUAGE] == "en"


def test_a_student_language_question_wins_over_the_form() -> None:
    questions = [*QUESTIONS, QuestionColumn("student_language", "Language for letters to you")]
    record = application_record(response({"Language for letters to you": "Español"}), form_id="f",
                                questions=questions, zone=ZONE, default_language="en")
    assert record[sheet.STUDENT_LANGUAGE] == "es"


def test_a_row_without_a_student_language_reads_the_family_language_as_before() -> None:
    old = {sheet.APPLICANT_ID: "A-1", sheet.LANGUAGE: "es"}          # a sheet without the column
    assert student_language(old, "en") == "es" == family_language(old, "en")
    assert student_language({**old, sheet.STUDENT_LANGUAGE: "  "}, "en") == "es"
    assert student_language({}, "en") == "en" == family_language({}, "en")


def letter(language: str, family: str, cc: tuple[str, ...] = ("g@family.example",)) -> Addressed:
    return Addressed("p/acceptance/A-1/-", "decisions", "A-1", "s@students.example", "acceptance", language,
                     {"in": language}, cc=cc, family_language=family, family_context={"in": family})


def test_one_message_when_both_read_the_same_language_or_no_one_is_copied() -> None:
    same = letter("en", "en")
    assert split_for_family(same) == [same]
    alone = letter("en", "es", cc=())
    assert split_for_family(alone) == [alone]


def test_two_messages_each_to_one_reader_in_their_language_family_first() -> None:
    family, student = split_for_family(letter("en", "es"))
    assert (family.key, family.to, family.cc, family.language, family.context) == (
        "p/acceptance/A-1/-" + FAMILY_COPY, "g@family.example", (), "es", {"in": "es"})
    assert family.copy_of == "p/acceptance/A-1/-"
    assert (student.key, student.to, student.cc, student.language, student.context) == (
        "p/acceptance/A-1/-", "s@students.example", (), "en", {"in": "en"})
