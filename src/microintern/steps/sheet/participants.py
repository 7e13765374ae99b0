"""The Participants tab: the students holding a seat, and where their chain of letters stands.

One row per accepted student (their session, placement and what they returned). Letters to a
student follow each other (acceptance, registration link, release form, session details): what
an earlier letter did is read from the Outbox, what the family returned from Participants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key, family_language, student_language
from microintern.domain.outbox import DELIVERED, message_key
from microintern.domain.participation import (
    ACCEPTANCE,
    ChainState,
    Stage,
    waiting_for,
)
from microintern.domain.problems import Problem
from microintern.domain.records import Record
from microintern.domain.sessions import text
from microintern.steps.letter_context import applicant_context
from microintern.steps.sheet.applicants import question_columns


@dataclass(frozen=True)
class Seated:
    """A placed student with what the letters need."""

    applicant_id: str
    session_id: str
    language: str
    student_email: str
    guardian_email: str
    guardian_name: str
    applicant: Mapping[str, Any]
    participant: Record
    decision: str = ""
    """The coordinator's Decision cell: the chain of letters starts with an Accept."""
    family_language: str = ""
    """The language of letters to the family (``language`` is the student's own); blank: ``language``."""

    @property
    def family_reads(self) -> str:
        """The language letters to this student's parents or guardians are written in."""
        return self.family_language or self.language


def seated_students(config: ProgramConfig, tabs: Mapping[str, list[Record]],
                    session_ids: Sequence[str] | None) -> list[Seated]:
    """Students holding a seat in one of ``session_ids`` (all sessions when None)."""
    questions = question_columns(config)
    applications = {text(r.get(sheet.APPLICANT_ID)): r for r in tabs[sheet.APPLICATIONS]}
    found: list[Seated] = []
    for row in tabs[sheet.PARTICIPANTS]:
        applicant = text(row.get(sheet.APPLICANT_ID))
        session = text(row.get(sheet.SESSION_ID))
        if not applicant or text(row.get(sheet.PLACEMENT)) not in sheet.SEATED:
            continue
        if session_ids is not None and session not in session_ids:
            continue
        application = applications.get(applicant)
        if application is None:
            continue
        answers = answers_by_key(application, questions)
        # The student reads their letters in their own language, the family in its own.
        language = student_language(application, config.program.default_language)
        family = family_language(application, config.program.default_language)
        # Letters go in any of the program's languages (its templates exist, check-config says);
        # the forms they link fall back to the default language's where a form has no text.
        offered = config.program.languages
        found.append(Seated(
            applicant, session, language if language in offered else config.program.default_language,
            answers.get("student_email", "").strip(), answers.get("guardian_email", "").strip(),
            answers.get("guardian_name", "").strip(), applicant_context(application, questions), row,
            text(application.get(sheet.DECISION)),
            family if family in offered else config.program.default_language))
    return found


def chain_state(config: ProgramConfig, student: Seated, outbox: Mapping[str, Record]) -> ChainState:
    """What the Outbox and Participants say of ``student``'s earlier letters."""
    program = config.program.id

    def state(letter: str, session: str | None = None) -> Record:
        return outbox.get(message_key(program, letter, student.applicant_id, session)) or {}

    acceptance = state(ACCEPTANCE)
    last = next((letter for letter in ("waitlist", "denial")
                 if text(state(letter).get("State")) in DELIVERED), "")
    return ChainState(
        decision=student.decision,
        acceptance=text(acceptance.get("State")), acceptance_note=text(acceptance.get("Note")),
        last_letter=last,
        registration=text(state("registration", student.session_id).get("State")),
        registered=bool(text(student.participant.get(sheet.REGISTERED))),
        release=text(state("release_form", student.session_id).get("State")),
        release_returned=bool(text(student.participant.get(sheet.RELEASE_RETURNED))),
    )


def letter_waits(config: ProgramConfig, student: Seated, outbox: Mapping[str, Record], stage: Stage,
                 letter: str) -> Problem | None:
    """The named problem when ``letter`` to ``student`` waits for an earlier letter, else None.

    ``letter`` says what waits ("registration link", "session details"); the problem's *why*
    names the earlier letter that has not gone and *to do* how to let it go.
    """
    wait = waiting_for(stage, chain_state(config, student, outbox), DELIVERED)
    if wait is None:
        return None
    return Problem(student.applicant_id, f"{letter} waiting", wait.why, wait.todo)
