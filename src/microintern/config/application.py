"""The student application and how it is judged: questions, rubric, recruitment, equity report."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from microintern.config.fields import ConfigModel, LocalDateTime, Person


class QuestionKind(StrEnum):
    """Kinds of application question, matching Google Forms item types."""

    SHORT_TEXT = "short_text"
    PARAGRAPH = "paragraph"
    EMAIL = "email"
    CHOICE = "choice"
    CHECKBOXES = "checkboxes"
    NUMBER = "number"
    DATE = "date"               # a Forms date question (answers read as YYYY-MM-DD)


class Question(ConfigModel):
    """One question of the student application form."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    title: str = Field(min_length=1)
    kind: QuestionKind = QuestionKind.SHORT_TEXT
    required: bool = False
    options: list[str] = Field(default_factory=list)
    # The column's title in a linked responses sheet, when it differs from `title`.
    column: str | None = None

    @model_validator(mode="after")
    def _options_match_kind(self) -> Question:
        needs = self.kind in (QuestionKind.CHOICE, QuestionKind.CHECKBOXES)
        if needs and not self.options:
            raise ValueError(f"a {self.kind.value} question needs options")
        if not needs and self.options:
            raise ValueError(f"a {self.kind.value} question takes no options")
        return self


# The answers every step relies on; the application must ask for them.
REQUIRED_QUESTION_KEYS = ("first_name", "last_name", "student_email")


class ResponsesSheet(ConfigModel):
    """A hand-made form's linked responses sheet, read instead of the Forms API."""

    spreadsheet_id: str = Field(min_length=10)
    tab: str = "Form Responses 1"


class Application(ConfigModel):
    """The student application: its questions and rules."""

    form_title: str = Field(min_length=1)
    # The form's public link, for the flyer and letters. Unset: the Google form's own link.
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    # Google backend only: read responses from the form's linked sheet (forms made by hand).
    responses_sheet: ResponsesSheet | None = None
    deadline: LocalDateTime
    eligible_grades: list[int] = Field(default_factory=lambda: [9, 10, 11, 12], min_length=1)
    min_essay_words: int = Field(default=25, ge=0)
    questions: list[Question] = Field(min_length=1)
    # How many applicants screening proposes to waitlist; None means as many as there are seats.
    waitlist_size: int | None = Field(default=None, ge=0)
    # The share of mail.daily_cap "application received" letters may use in one day; the rest
    # wait in the Outbox for the next day (a flood of the public form cannot spend the cap).
    ack_daily_share: float = Field(default=0.25, gt=0, le=1)
    # The respondents are the district's own students, signed in: the tool's student forms
    # (application, hand-in, hours) collect the verified address, and it is trusted over typed ones.
    verified_respondents: bool = False


class Criterion(ConfigModel):
    """One weighted rubric criterion."""

    key: str
    label: str
    weight: float = Field(ge=0, le=100)
    # Optional "answer in list" criterion (e.g. equity points): question key -> answers that earn
    # points. Each listed question earns an equal share of the weight; the key is then free.
    answers: dict[str, list[str]] | None = None


class Rubric(ConfigModel):
    """How applications are scored: weighted, explainable criteria."""

    criteria: list[Criterion] = Field(min_length=1)


class Recruitment(ConfigModel):
    """Who receives the student flyer to share: counselors and teachers, one letter each."""

    recipients: list[Person] = Field(default_factory=list)


class EquitySettings(ConfigModel):
    """The equity report: which optional answers to break selection down by."""

    fields: list[str] = Field(default_factory=list)          # question keys, e.g. school, gender
    enrollment: dict[str, dict[str, int]] = Field(default_factory=dict)  # key -> group -> enrolled
    threshold: float = Field(default=0.8, gt=0, le=1)        # the four-fifths rule
    # Groups with fewer applicants are never flagged (chance alone moves small groups' rates);
    # the report says so beside each one.
    min_group_size: int = Field(default=10, ge=1)
