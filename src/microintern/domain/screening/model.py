"""What screening produces and works from: the tool-owned columns, flag codes, proposals,
the screened applications, and the rules read from the config."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import QuestionColumn
from microintern.domain.records import Cell
from microintern.domain.screening.text import option_text, short_number

# The tool-owned screening columns of the Applications tab.
SCORE = sheet.SCORE
SCORE_BREAKDOWN = sheet.SCORE_BREAKDOWN
FLAGS = sheet.FLAGS
FLAG_REASONS = sheet.FLAG_REASONS
PROPOSED_DECISION = sheet.PROPOSED_DECISION
PROPOSAL_REASON = sheet.PROPOSAL_REASON
SCREENING_COLUMNS = (SCORE, SCORE_BREAKDOWN, FLAGS, FLAG_REASONS, PROPOSED_DECISION, PROPOSAL_REASON)

LONG_ANSWER_CHARS = 10_000
"""Answers longer than this are flagged; a Google Sheets cell holds at most 50,000 characters."""
_MINUTE = timedelta(minutes=1)


class FlagCode(StrEnum):
    """Problems screening points out; the codes are stable (the sheet filters on them)."""

    DUPLICATE = "DUPLICATE"
    BAD_EMAIL = "BAD_EMAIL"
    LOOKALIKE = "LOOKALIKE"
    MISSING = "MISSING"
    GRADE = "GRADE"
    NO_SESSION = "NO_SESSION"
    SAME_EMAIL = "SAME_EMAIL"
    OUTSIDE_DOMAIN = "OUTSIDE_DOMAIN"
    TYPED_EMAIL_DIFFERS = "TYPED_EMAIL_DIFFERS"
    LATE = "LATE"
    SHORT_ESSAY = "SHORT_ESSAY"
    FORMULA = "FORMULA"
    CONTROL_CHARS = "CONTROL_CHARS"
    LONG_ANSWER = "LONG_ANSWER"
    NEEDS_DEVICE = "NEEDS_DEVICE"


FLAG_MEANINGS: Mapping[FlagCode, str] = {
    FlagCode.DUPLICATE: "another submission by the same student is newer (blocks: proposed Duplicate)",
    FlagCode.BAD_EMAIL: ("an email address is not valid, or is one our mail cannot be addressed to (a "
                         "non-ASCII local part); blocks when it is the student's"),
    FlagCode.LOOKALIKE: ("an address or name mixes scripts or has letters from another script that "
                         "look Latin (blocks: proposed Review)"),
    FlagCode.MISSING: "a required answer is blank (blocks: proposed Review)",
    FlagCode.GRADE: "the grade is not an eligible grade (blocks)",
    FlagCode.NO_SESSION: "the applicant can attend none of the sessions (blocks)",
    FlagCode.SAME_EMAIL: ("the guardian email is a student's address: the student's own, another "
                          "applicant's, or on the student domain (advisory)"),
    FlagCode.OUTSIDE_DOMAIN: "the student email is not a school address (advisory)",
    FlagCode.TYPED_EMAIL_DIFFERS: ("the school email the student typed is not the address they signed in "
                                   "with; letters go to the signed-in one (advisory)"),
    FlagCode.LATE: "submitted after the deadline (blocks)",
    FlagCode.SHORT_ESSAY: "the short answer is shorter than asked (advisory)",
    FlagCode.FORMULA: "an answer looks like a spreadsheet formula or markup; kept as text (advisory)",
    FlagCode.CONTROL_CHARS: ("line breaks or control characters in a one-line answer, or bidi, "
                             "zero-width or other invisible characters in any answer (advisory)"),
    FlagCode.LONG_ANSWER: (f"an answer longer than {LONG_ANSWER_CHARS:,} characters (advisory); one "
                           "too long for its cell is cut, its full text kept in the Long answers tab"),
    FlagCode.NEEDS_DEVICE: "needs a laptop or internet access: support, never a penalty",
}

BLOCKING_CODES = frozenset({
    FlagCode.DUPLICATE, FlagCode.BAD_EMAIL, FlagCode.MISSING, FlagCode.GRADE,
    FlagCode.NO_SESSION, FlagCode.LATE, FlagCode.LOOKALIKE,
})
"""Codes that can block acceptance (BAD_EMAIL only when it is the student's address)."""


class Proposed(StrEnum):
    """A proposed decision, for the coordinator to confirm in the Decision column."""

    ACCEPT = "Accept"
    WAITLIST = "Waitlist"
    DENY = "Deny"
    REVIEW = "Review"
    DUPLICATE = "Duplicate"


@dataclass(frozen=True, slots=True)
class Flag:
    """One problem with an application: a stable code and a reason naming the evidence.

    ``blocks``: the applicant cannot be accepted as the row stands. ``review``: a person should
    look (the problem is probably fixable, or no letter could reach the student).
    """

    code: FlagCode
    reason: str
    blocks: bool = False
    review: bool = False

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """The points one criterion gave one applicant, with why."""

    key: str
    name: str
    weight: float
    points: float
    explanation: str

    def __str__(self) -> str:
        text = f"{self.name} {short_number(self.points)}/{short_number(self.weight)}"
        return f"{text} ({self.explanation})" if self.explanation else text


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed decision with its reason; ``session_id`` is the seat an Accept would take."""

    decision: Proposed
    reason: str
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class ScreenedApplication:
    """One screened application: score, breakdown, flags and the proposal."""

    applicant_id: str
    row: int
    submitted: datetime | None
    score: float
    criteria: tuple[CriterionResult, ...]
    flags: tuple[Flag, ...]
    sessions: tuple[str, ...]
    proposal: Proposal
    duplicate_of: str | None = None

    @property
    def breakdown(self) -> str:
        """One part per criterion, e.g. ``interest 25/25 (Health Science); pathway 0/15 (...)``."""
        return "; ".join(str(c) for c in self.criteria)

    @property
    def flag_codes(self) -> tuple[FlagCode, ...]:
        """The codes of this application's flags, in a fixed order."""
        return tuple(f.code for f in self.flags)

    @property
    def blocked(self) -> bool:
        """Whether some flag blocks acceptance."""
        return any(f.blocks for f in self.flags)


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row screening could not take part in (no applicant id, or a repeated one)."""

    row: int
    reason: str


@dataclass(frozen=True, slots=True)
class Screening:
    """The result of screening every application, in the input order."""

    applications: tuple[ScreenedApplication, ...]
    skipped: tuple[SkippedRow, ...]
    seats: Mapping[str, int]
    waitlist_size: int

    def by_id(self) -> dict[str, ScreenedApplication]:
        """The screened applications keyed by applicant id."""
        return {a.applicant_id: a for a in self.applications}

    def counts(self) -> dict[Proposed, int]:
        """How many applications got each proposal."""
        counts = dict.fromkeys(Proposed, 0)
        for application in self.applications:
            counts[application.proposal.decision] += 1
        return counts


@dataclass(frozen=True, slots=True)
class SessionSeats:
    """A session as screening sees it: how students name it, its industry and its seats."""

    id: str
    title: str
    industry: str
    capacity: int


@dataclass(slots=True)
class Applicant:
    """Working state for one application while it is screened."""

    row: int
    applicant_id: str
    record: Mapping[str, Cell]
    answers: dict[str, str]
    submitted: datetime | None
    sessions: tuple[str, ...] = ()
    essay_words: tuple[int, ...] = ()
    student_email: str = ""
    student_email_ok: bool = False
    guardian_email: str = ""  # normalised, only when valid
    flags: list[Flag] = field(default_factory=list)
    criteria: tuple[CriterionResult, ...] = ()
    score: float = 0.0
    duplicate_of: str | None = None
    proposal: Proposal | None = None

    def rank_key(self) -> tuple[float, float, str]:
        """Sort key for ranking: higher score, then earlier submission, then applicant id."""
        when = self.submitted.timestamp() if self.submitted else math.inf
        return (-self.score, when, self.applicant_id)

    def blocking(self) -> list[Flag]:
        """The flags that keep this applicant from being ranked."""
        return [f for f in self.flags if f.blocks]


Scorer = Callable[[Applicant], tuple[float, str]]


@dataclass(frozen=True, slots=True)
class RubricCriterion:
    """A rubric criterion ready to score: its short name, weight and scoring function."""

    key: str
    name: str
    weight: float
    score: Scorer


@dataclass(frozen=True)
class ScreeningRules:
    """Everything screening needs from the config, checked once (see :func:`rules_from_config`)."""

    questions: tuple[QuestionColumn, ...]
    required: tuple[QuestionColumn, ...]
    one_line_keys: frozenset[str]
    essay_keys: tuple[str, ...]
    sessions: tuple[SessionSeats, ...]
    industries: tuple[str, ...]
    deadline: datetime
    zone: ZoneInfo
    eligible_grades: frozenset[int]
    min_essay_words: int
    student_email_domain: str | None
    waitlist_size: int
    criteria: tuple[RubricCriterion, ...] = ()
    titles: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def total_weight(self) -> float:
        """The sum of the rubric's weights (the score is scaled by it to 0..100)."""
        return sum(c.weight for c in self.criteria)

    @cached_property
    def session_lookup(self) -> dict[str, str] | None:
        """Folded session title or id -> id; None when some title itself holds a separator."""
        lookup: dict[str, str] = {}
        for session in self.sessions:
            for name in (session.title, session.id):
                text = option_text(name)[2:-2]
                if ", " in text:
                    return None
                lookup.setdefault(text, session.id)
        return lookup

    @cached_property
    def late_from(self) -> datetime:
        """The first instant that is late: the deadline's own minute is on time."""
        return self.deadline + _MINUTE

    def has(self, key: str) -> bool:
        """Whether the application asks the question with this key."""
        return key in self.titles

    def title(self, key: str) -> str:
        """The column title of the question with this key (the key itself if there is none)."""
        return self.titles.get(key, key)
