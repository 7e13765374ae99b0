"""Applicants: from a submitted form to a row of the Applications tab."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import normalised_address
from microintern.domain.dates import DATE_TIME_SECONDS
from microintern.domain.records import Cell, FormResponse, Record

# Answers to the family-language question, mapped to template languages.
LANGUAGE_ANSWERS = {"english": "en", "inglés": "en", "ingles": "en", "español": "es",
                    "espanol": "es", "spanish": "es"}

SUBMITTED_FORMAT = DATE_TIME_SECONDS  # to the second: deadlines and resubmissions

RESUBMITTED = "Resubmitted"
"""Tool column of the Applications tab: how often the student submitted and when last (blank:
once). The coordinator reads it; their own Notes column is never written."""
TYPED_EMAIL = "Typed email"
"""Tool column: the school email the student typed, kept when it differs from the signed-in
address the form verified (which is the one used)."""


def applicant_id(form_id: str, response_id: str) -> str:
    """A short, stable id for an application: the same response always gets the same id."""
    digest = hashlib.sha256(f"{form_id}\x00{response_id}".encode()).digest()
    return "A-" + base64.b32encode(digest)[:8].decode()


def language_of(answer: str | None, default: str, languages: Sequence[str] = ()) -> str:
    """The template language for a family-language answer (default when unknown).

    Besides English and Spanish in either language's words, an answer names one of the
    program's ``languages`` by its code or its name in that language or in English
    ("vi", "Tiếng Việt", "Vietnamese"), as Babel names them.
    """
    said = (answer or "").strip().casefold()
    if said in LANGUAGE_ANSWERS:
        return LANGUAGE_ANSWERS[said]
    for code in languages:
        if said and said in _names_of(code):
            return code
    return default


@cache
def _names_of(code: str) -> frozenset[str]:
    """What an answer may call the language ``code``: the code, its own name, its English name."""
    names = {code.casefold(), code.replace("_", "-").casefold()}
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return frozenset(names)
    for name in (locale.get_display_name(locale), locale.get_display_name("en"),
                 locale.get_language_name(locale), locale.get_language_name("en")):
        if name:
            names.add(name.casefold())
    return frozenset(names)


STUDENT_LANGUAGE_KEY = "student_language"
"""An optional application question: the language for letters to the student. Without it, a
student's language is the one they applied in (the application form's)."""


def student_language(row: Mapping[str, Cell], default: str) -> str:
    """The language letters to the student are written in, from an Applications row.

    The Student language column (the one they applied in); blank, or a sheet made before that
    column existed, reads the family's Language as every letter did before.
    """
    own = "" if row.get(sheet.STUDENT_LANGUAGE) is None else str(row.get(sheet.STUDENT_LANGUAGE)).strip()
    return own or family_language(row, default)


def family_language(row: Mapping[str, Cell], default: str) -> str:
    """The language letters to the student's parents or guardians are written in (Language)."""
    family = "" if row.get(sheet.LANGUAGE) is None else str(row.get(sheet.LANGUAGE)).strip()
    return family or default


@dataclass(frozen=True)
class QuestionColumn:
    """Where one question's answer lives: its config key and its column title."""

    key: str
    title: str


def application_record(
    response: FormResponse,
    *,
    form_id: str,
    questions: Sequence[QuestionColumn],
    zone: ZoneInfo,
    default_language: str,
    form_language: str | None = None,
    languages: Sequence[str] = (),
) -> Record:
    """The Applications row for a response; answers are kept as text, exactly as typed.

    Two languages are kept: the family's (Language, from the family-language question) and the
    student's own (Student language: their answer to a ``student_language`` question when the
    form asks, else ``form_language``, the language of the form they applied in, which is the
    default language when not given).
    """
    record: Record = {
        sheet.APPLICANT_ID: applicant_id(form_id, response.response_id),
        sheet.RESPONSE_ID: response.response_id,
        sheet.SUBMITTED: response.submitted_at.astimezone(zone).strftime(SUBMITTED_FORMAT),
    }
    answers = response.answers
    for question in questions:
        record[question.title] = answers.get(question.title, "")
    family = next((q for q in questions if q.key == "family_language"), None)
    record[sheet.LANGUAGE] = language_of(
        answers.get(family.title) if family else None, default_language, languages
    )
    applied_in = form_language or default_language
    own = next((q for q in questions if q.key == STUDENT_LANGUAGE_KEY), None)
    record[sheet.STUDENT_LANGUAGE] = language_of(answers.get(own.title) if own else None, applied_in,
                                                 languages)
    return record


def parse_submitted(value: Cell, zone: ZoneInfo) -> datetime | None:
    """Read back a Submitted cell written by :func:`application_record` (None if unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, SUBMITTED_FORMAT).replace(tzinfo=zone)
    except ValueError:
        return None


def answers_by_key(record: Mapping[str, Cell], questions: Sequence[QuestionColumn]) -> dict[str, str]:
    """An applicant's answers keyed by question key (for templates and rules)."""
    return {q.key: "" if record.get(q.title) is None else str(record.get(q.title)) for q in questions}


def student_id_key(answer: str | None) -> str:
    """A student id answer as an identity ("" when it is no id: "n/a", "none" and "-" hold no digit).

    Spaces and case aside, so `` 100001 `` and ``100001`` are one student.
    """
    text = "".join((answer or "").split()).casefold()
    return text if any(c.isdigit() for c in text) else ""


def identity_keys(answers: Mapping[str, str]) -> list[tuple[str, str]]:
    """What makes two applications the same student: the student id, the normalised email.

    ``answers`` are keyed by question key. An address without ``@`` is no identity (a typo
    must not tie strangers together).
    """
    keys: list[tuple[str, str]] = []
    student_id = student_id_key(answers.get("student_id"))
    if student_id:
        keys.append(("student id", student_id))
    email = normalised_address(answers.get("student_email", ""))
    if "@" in email and not email.startswith("@") and not email.endswith("@"):
        keys.append(("email", email))
    return keys


def submission_count(note: Cell) -> int:
    """How many times the student submitted, read from a :data:`RESUBMITTED` cell (1 if blank)."""
    text = "" if note is None else str(note).strip()
    digits = ""
    for char in text:
        if not char.isdigit():
            break
        digits += char
    return max(int(digits), 2) if digits else 1


def resubmitted_note(count: int, submitted: str) -> str:
    """The :data:`RESUBMITTED` cell after the ``count``-th submission, the latest at ``submitted``."""
    return (f"{count} submissions, latest {submitted}: the latest answers are shown; "
            "no second acknowledgement")
