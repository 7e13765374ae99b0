"""Applicants: from a submitted form to a row of the Applications tab."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from microintern.domain import program_sheet as sheet
from microintern.domain.records import Cell, FormResponse, Record

# Answers to the family-language question, mapped to template languages.
LANGUAGE_ANSWERS = {"english": "en", "inglés": "en", "ingles": "en", "español": "es",
                    "espanol": "es", "spanish": "es"}

SUBMITTED_FORMAT = "%Y-%m-%d %H:%M:%S"


def applicant_id(form_id: str, response_id: str) -> str:
    """A short, stable id for an application: the same response always gets the same id."""
    digest = hashlib.sha256(f"{form_id}\x00{response_id}".encode()).digest()
    return "A-" + base64.b32encode(digest)[:8].decode()


def language_of(answer: str | None, default: str) -> str:
    """The template language for a family-language answer (default when unknown)."""
    return LANGUAGE_ANSWERS.get((answer or "").strip().casefold(), default)


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
) -> Record:
    """The Applications row for a response; answers are kept as text, exactly as typed."""
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
        answers.get(family.title) if family else None, default_language
    )
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
