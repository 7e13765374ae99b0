"""Screening: score applications by the rubric, flag problems, propose decisions.

Pure functions over the Applications tab's rows (:data:`Record`, keyed by column header) and
the program config; no I/O and no clock reads (``now`` is a parameter). The coordinator decides:
everything here is a *proposal* written to tool-owned columns, each with a reason a person can
check against the row.

Scoring
    Each rubric criterion yields a fraction 0..1 of its weight and a one-line explanation. The
    score is the weighted sum scaled to 0..100 (so weights need not add up to 100), rounded to one
    decimal. Built-in criterion keys are listed in :data:`CRITERIA`. A criterion with ``answers``
    (question key -> answers that earn points) is a generic "answer in list" criterion, e.g.
    district-chosen equity points::

        - {key: equity, label: Equity points, weight: 10,
           answers: {first_generation: ["Yes"], free_reduced_lunch: ["Yes"]}}

    Each listed question earns an equal share of the weight (here 5 + 5).

Flags
    See :class:`FlagCode` and :data:`FLAG_MEANINGS`. Blocking (the applicant is not ranked):
    DUPLICATE, MISSING (a required answer is blank), GRADE, NO_SESSION, LATE (the deadline's own
    minute is on time), LOOKALIKE (an address or name mixes scripts or has letters posing as
    Latin: a person checks it), and BAD_EMAIL when it is the student's address. BAD_EMAIL also
    covers an address that is valid mail but one the mailer cannot address (a local part in
    another script, such as "李明@…": the student would silently get no letter), unless it is
    already a LOOKALIKE. Advisory: BAD_EMAIL on the guardian's address, SAME_EMAIL (the guardian
    address is a student's), OUTSIDE_DOMAIN, TYPED_EMAIL_DIFFERS (with verified respondents, the
    typed school email is not the signed-in one: a typo, or someone else's address), SHORT_ESSAY,
    FORMULA, CONTROL_CHARS (also bidi, zero-width and invisible characters), LONG_ANSWER.
    Support, never a penalty: NEEDS_DEVICE. Answers are only ever
    compared as text; FORMULA warns the coordinator, and the sheet is written RAW so nothing is
    evaluated.

    A blocked applicant is proposed ``Deny`` when a blocking fact is certain (late, a grade
    number not eligible, sessions chosen that match none offered) and the student's email works;
    otherwise ``Review``: a person can probably fix the row (a blank answer, an unreadable grade,
    no session chosen) or no letter could reach the student (their email is unusable). A
    superseded duplicate is proposed ``Duplicate``: it must get no letter of its own, because the
    student's latest submission is screened and answered instead.

Duplicates
    The same student: the same student id (one with a digit: "n/a" is no id), the same valid
    email (case aside), or the same name and school (accents, case and punctuation aside) unless
    the two gave different student ids. Links are transitive; the latest submission is kept
    (then the higher applicant id, for identical times).

Proposals
    Eligible applicants are ranked by score, then earlier submission, then applicant id. In rank
    order each takes one seat in one of the sessions they can attend (capacity is each session's
    ``group_size.max``); seats are re-shuffled along augmenting paths, so a flexible applicant
    never keeps a less flexible, lower-ranked one out (the accepted set is the best possible in
    rank order). The next ``waitlist_size`` eligible applicants are waitlisted; the rest denied.
    Rows the coordinator already decided (``Decision`` = Accept / Waitlist / Deny) keep that
    decision: accepted ones hold their seats first, waitlisted ones use up waitlist places.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from microintern.config import ProgramConfig, QuestionKind
from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import normalised_address
from microintern.domain.applicants import QuestionColumn, answers_by_key, parse_submitted
from microintern.domain.decisions import Decision, UnknownDecision, parse_decision
from microintern.domain.hidden_text import HiddenKind, hidden_characters, may_hide, one_line
from microintern.domain.long_answers import cut_marker
from microintern.domain.lookalikes import address_lookalike, name_lookalike
from microintern.domain.mime import normalize_addr_spec
from microintern.domain.records import Cell, Record
from microintern.errors import ConfigError, ConfigProblem

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
        text = f"{self.name} {_number(self.points)}/{_number(self.weight)}"
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


# --- rules -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionSeats:
    """A session as screening sees it: how students name it, its industry and its seats."""

    id: str
    title: str
    industry: str
    capacity: int


@dataclass(slots=True)
class _Applicant:
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
        when = self.submitted.timestamp() if self.submitted else math.inf
        return (-self.score, when, self.applicant_id)

    def blocking(self) -> list[Flag]:
        return [f for f in self.flags if f.blocks]


Scorer = Callable[[_Applicant], tuple[float, str]]


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
                text = _option_text(name)[2:-2]
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


CRITERIA: Mapping[str, str] = {
    "interest_match": "interests include an industry a partner or session offers",
    "pathway": "the CTE pathway is the industry of a session",
    "availability": "available for at least one configured session",
    "essay": "short answers have min_essay_words words (partial credit below)",
    "recommendation": "a teacher who recommends the student is named",
    "first_time": "first micro-internship (answer Yes)",
}
"""The built-in rubric criterion keys; any other key needs ``answers`` (answer-in-list)."""

_NAMES = {
    "interest_match": "interest", "pathway": "pathway", "availability": "availability",
    "essay": "essay", "recommendation": "recommendation", "first_time": "first time",
}
_NEEDS = {
    "interest_match": "interests", "pathway": "pathway", "availability": "availability",
    "recommendation": "teacher_recommendation", "first_time": "first_time",
}
_YES = frozenset({"yes", "y", "sí", "si", "true", "1"})
_NO_TEACHER = frozenset({"", "none", "no", "n/a", "na", "-", "no one", "nobody", "ninguno", "nadie"})


def rules_from_config(config: ProgramConfig, *, waitlist_size: int | None = None) -> ScreeningRules:
    """Read and check what screening needs from the config.

    Raises :class:`ConfigError` naming every unknown rubric criterion and every question a
    criterion needs but the application does not ask.
    """
    application = config.application
    questions = tuple(QuestionColumn(q.key, q.title) for q in application.questions)
    keys = {q.key for q in application.questions}
    partner_industry = {p.id: p.industry for p in config.partners}
    sessions = tuple(
        SessionSeats(
            s.id, s.title, s.industry or partner_industry.get(s.partner, ""), s.group_size.max
        )
        for s in config.sessions
    )
    industries = _unique([p.industry for p in config.partners] + [s.industry for s in sessions])
    essay_keys = tuple(q.key for q in application.questions if q.kind is QuestionKind.PARAGRAPH)
    if not essay_keys and "essay" in keys:
        essay_keys = ("essay",)
    seats = sum(s.capacity for s in sessions)
    if waitlist_size is None:
        waitlist_size = application.waitlist_size
    rules = ScreeningRules(
        questions=questions,
        required=tuple(QuestionColumn(q.key, q.title) for q in application.questions if q.required),
        one_line_keys=frozenset(
            q.key for q in application.questions if q.kind is not QuestionKind.PARAGRAPH
        ),
        essay_keys=essay_keys,
        sessions=sessions,
        industries=industries,
        deadline=application.deadline.replace(tzinfo=config.zone),
        zone=config.zone,
        eligible_grades=frozenset(application.eligible_grades),
        min_essay_words=application.min_essay_words,
        student_email_domain=(config.program.student_email_domain or "").strip().lower() or None,
        waitlist_size=seats if waitlist_size is None else waitlist_size,
        titles={q.key: q.title for q in questions},
    )
    problems: list[ConfigProblem] = []
    criteria: list[RubricCriterion] = []
    for i, criterion in enumerate(config.rubric.criteria):
        where = f"rubric.criteria[{i}]"
        if criterion.answers is not None:
            if criterion.key in CRITERIA:
                problems.append(ConfigProblem(
                    f"{where}.answers", f"no `answers` on the built-in criterion {criterion.key!r} "
                    "(give the answer-in-list criterion its own key, e.g. equity)", "answers"))
                continue
            unknown = [k for k in criterion.answers if k not in keys]
            for key in unknown:
                problems.append(ConfigProblem(
                    f"{where}.answers.{key}", "a question key from application.questions", repr(key)))
            if not criterion.answers:
                problems.append(ConfigProblem(f"{where}.answers", "at least one question key", "{}"))
            if unknown or not criterion.answers:
                continue
            name = criterion.key.replace("_", " ")
            criteria.append(RubricCriterion(
                criterion.key, name, criterion.weight, _answer_in_list(criterion.answers)))
            continue
        if criterion.key not in CRITERIA:
            problems.append(ConfigProblem(
                f"{where}.key",
                f"one of the rubric criteria {sorted(CRITERIA)} (or `answers` for an answer-in-list "
                "criterion)",
                repr(criterion.key),
            ))
            continue
        needed = _NEEDS.get(criterion.key)
        if needed and needed not in keys:
            problems.append(ConfigProblem(
                f"{where}.key",
                f"a question with key {needed!r} in application.questions (criterion "
                f"{criterion.key!r} reads it)",
                "none",
            ))
            continue
        if criterion.key == "essay" and not essay_keys:
            problems.append(ConfigProblem(
                f"{where}.key", "a paragraph question (criterion 'essay' reads it)", "none"))
            continue
        criteria.append(RubricCriterion(
            criterion.key, _NAMES[criterion.key], criterion.weight, _builtin(criterion.key, rules)))
    if not problems and sum(c.weight for c in criteria) <= 0:
        problems.append(ConfigProblem("rubric.criteria", "at least one weight above 0", "all 0"))
    if problems:
        raise ConfigError("config", problems)
    return replace(rules, criteria=tuple(criteria))


# --- text helpers ------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"\s*[,;\n]\s*")
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>|<!--|<!\[CDATA\[|<![a-zA-Z]")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
# C0/C1 controls except tab and newlines, plus the bidirectional overrides and isolates that can
# make a name display as something else.
_CONTROL_ANY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\x85]")
_DIGITS = re.compile(r"(?<!\d)\d{1,2}(?!\d)")
_WORD = re.compile(r"\w+")
_FORMULA_START = ("=", "+", "-", "@")
_ODD_STARTS = tuple("|" + c for c in "=+-@ ")
_MINUTE = timedelta(minutes=1)
_NONE: frozenset[str] = frozenset()


def _number(value: float) -> str:
    value = round(value, 1)
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _choices_text(text: str) -> str:
    """Checkbox answer text made comparable: folded, every separator as ", ", framed by ", "."""
    if len(text) <= _CACHED_LENGTH:
        return _short_choices_text(text)
    return _make_choices_text(text)


def _make_choices_text(text: str) -> str:
    if "," in text or ";" in text or "\n" in text:
        text = _SEPARATORS.sub(", ", text)
    return ", " + _fold(text) + ", "


# Checkbox answers repeat a lot (a few options, many applicants): remember the short ones.
_CACHED_LENGTH = 400
_short_choices_text = lru_cache(maxsize=8192)(_make_choices_text)
_option_text = _short_choices_text


def _clip(text: str, limit: int = 40) -> str:
    """A one-line, printable excerpt of user text for a reason (never the whole answer)."""
    # No line break, bidi control or zero-width character reaches a reason.
    text = one_line(text[: limit * 4])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str, limit: int = 40) -> str:
    return "'" + _clip(text, limit) + "'"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        if item and _fold(item) not in seen:
            seen[_fold(item)] = item
    return tuple(seen.values())


def chosen(answer: str, options: Sequence[str]) -> list[str]:
    """The options a checkbox answer picked (answers are joined with ", " like a responses sheet).

    Matching is whole-option, case- and spacing-insensitive, so an option that itself contains
    a comma still matches; anything else in the answer (an "Other:" text) is ignored.
    """
    if not answer:
        return []
    text = _choices_text(answer)
    return [o for o in options if _option_text(o) in text]


def _is_yes(answer: str) -> bool:
    return _fold(answer) in _YES


def _words(text: str) -> int:
    return len(text.split())


@lru_cache(maxsize=65536)
def _name_key(text: str) -> str:
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text.casefold()))


# --- email -------------------------------------------------------------------------------------

# A strict subset of what email_validator accepts, checked without it: validating 20,000
# addresses one by one costs about a second. Anything this does not match goes to
# email_validator, which stays the authority.
_SIMPLE_EMAIL = re.compile(
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_SPECIAL_DOMAINS = frozenset(SPECIAL_USE_DOMAIN_NAMES)


@lru_cache(maxsize=1024)
def _ordinary_domain(domain: str) -> bool:
    labels = domain.split(".")
    return not any(".".join(labels[i:]) in _SPECIAL_DOMAINS for i in range(len(labels)))


def check_email(address: str) -> tuple[str | None, str]:
    """``(normalized address, "")`` when valid, else ``(None, why)``; syntax only, no DNS."""
    match = _SIMPLE_EMAIL.fullmatch(address)
    if match and len(match.group(1)) <= 64 and len(address) <= 254 and "--" not in match.group(2):
        domain = match.group(2).lower()
        if _ordinary_domain(domain):
            return f"{match.group(1)}@{domain}", ""
    try:
        return validate_email(address, check_deliverability=False).normalized, ""
    except EmailNotValidError as exc:
        return None, str(exc).rstrip(".")


def unsendable(address: str) -> str | None:
    """Why the mailer would refuse ``address``, valid by :func:`check_email`; None if it can send.

    email_validator accepts internationalized local parts (``李明@example.cn``, SMTPUTF8), but
    letters go only to plain mailboxes (:func:`microintern.domain.mime.normalize_addr_spec`,
    the check the mailer itself makes): such a student would be accepted and get no letter.
    The reason never quotes the address.
    """
    if address.isascii():
        return None  # every ASCII address email_validator accepts is a plain mailbox
    try:
        normalize_addr_spec(address, "To")
    except ValueError:
        if not address.rpartition("@")[0].isascii():
            return "the part before the @ has letters outside plain ASCII"
        return "its domain cannot be written in ASCII"
    return None


# --- criteria ----------------------------------------------------------------------------------


def _builtin(key: str, rules: ScreeningRules) -> Scorer:
    industries = rules.industries
    session_industries = {_fold(s.industry): s.industry for s in rules.sessions if s.industry}

    def interest(a: _Applicant) -> tuple[float, str]:
        answer = a.answers.get("interests", "")
        matched = chosen(answer, industries)
        if matched:
            return 1.0, ", ".join(matched)
        return 0.0, "no match" if answer.strip() else "none given"

    def pathway(a: _Applicant) -> tuple[float, str]:
        answer = a.answers.get("pathway", "")
        industry = session_industries.get(_fold(answer))
        if industry:
            return 1.0, industry
        return 0.0, _clip(answer, 30) if answer.strip() else "not given"

    def availability(a: _Applicant) -> tuple[float, str]:
        n = len(a.sessions)
        if n:
            return 1.0, f"{n} session{'s' if n != 1 else ''}"
        return 0.0, "no session"

    def essay(a: _Applicant) -> tuple[float, str]:
        need = rules.min_essay_words
        counts = a.essay_words
        if need == 0:
            parts = [1.0 if c else 0.0 for c in counts]
        else:
            parts = [min(1.0, c / need) for c in counts]
        return sum(parts) / len(parts), f"{', '.join(str(c) for c in counts)} of {need} words"

    def recommendation(a: _Applicant) -> tuple[float, str]:
        named = _fold(a.answers.get("teacher_recommendation", "")) not in _NO_TEACHER
        return (1.0, "") if named else (0.0, "none named")

    def first_time(a: _Applicant) -> tuple[float, str]:
        answer = a.answers.get("first_time", "")
        if _is_yes(answer):
            return 1.0, ""
        return 0.0, "not given" if not answer.strip() else "not the first"

    scorers: dict[str, Scorer] = {
        "interest_match": interest, "pathway": pathway, "availability": availability,
        "essay": essay, "recommendation": recommendation, "first_time": first_time,
    }
    return scorers[key]


def _answer_in_list(answers: Mapping[str, list[str]]) -> Scorer:
    wanted = {key: {_fold(v) for v in values} for key, values in answers.items()}

    def score(a: _Applicant) -> tuple[float, str]:
        hits = []
        for key, values in wanted.items():
            answer = a.answers.get(key, "")
            picked = {_fold(p) for p in _SEPARATORS.split(_fold(answer))} | {_fold(answer)}
            if picked & values:
                hits.append(key)
        return len(hits) / len(wanted), ", ".join(hits) if hits else "none"

    return score


def _score_application(applicant: _Applicant, rules: ScreeningRules) -> None:
    """Fill in an applicant's criteria and score (0..100, one decimal)."""
    results = []
    earned = 0.0
    for criterion in rules.criteria:
        fraction, why = criterion.score(applicant)
        fraction = min(1.0, max(0.0, fraction))
        points = fraction * criterion.weight
        earned += points
        results.append(CriterionResult(criterion.key, criterion.name, criterion.weight, points, why))
    total = rules.total_weight
    applicant.criteria = tuple(results)
    applicant.score = round(100 * earned / total, 1) if total else 0.0


# --- flags -------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _listing(numbers: frozenset[int]) -> str:
    return ", ".join(str(n) for n in sorted(numbers))


def _grade(answer: str) -> int | None:
    match = _DIGITS.search(answer)
    return int(match.group()) if match else None


def _flag_application(a: _Applicant, rules: ScreeningRules) -> None:
    answers = a.answers
    flags = a.flags
    blank_required = [q for q in rules.required if not answers.get(q.key, "").strip()]
    blank_keys = {q.key for q in blank_required} if blank_required else _NONE
    if blank_required:
        titles = ", ".join(_quoted(q.title, 80) for q in blank_required)
        flags.append(Flag(FlagCode.MISSING, f"required answer blank: {titles}", blocks=True, review=True))

    # Emails.
    student_raw = answers.get("student_email", "").strip()
    guardian_raw = answers.get("guardian_email", "").strip()
    bad: list[str] = []
    student_ok = guardian_ok = None
    if student_raw:
        student_ok, why = check_email(student_raw)
        if student_ok is None:
            bad.append(f"student email {_quoted(student_raw)} is not valid ({_clip(why, 90)})")
        elif (cannot := _cannot_send(student_raw)) is not None:
            student_ok = None
            bad.append(f"student email cannot get our letters ({cannot}): ask for another address")
    if guardian_raw:
        guardian_ok, why = check_email(guardian_raw)
        if guardian_ok is None:
            bad.append(f"guardian email {_quoted(guardian_raw)} is not valid ({_clip(why, 90)})")
        elif (cannot := _cannot_send(guardian_raw)) is not None:
            guardian_ok = None
            bad.append(f"guardian email cannot get our letters ({cannot}): ask for another address")
    a.student_email = (student_ok or student_raw).casefold()
    a.student_email_ok = student_ok is not None
    a.guardian_email = normalised_address(guardian_ok) if guardian_ok else ""
    if bad:
        student_bad = bool(student_raw) and student_ok is None
        flags.append(Flag(FlagCode.BAD_EMAIL, "; ".join(bad), blocks=student_bad, review=student_bad))

    # Grade.
    if rules.has("grade") and "grade" not in blank_keys:
        answer = answers.get("grade", "")
        grade = _grade(answer)
        eligible = _listing(rules.eligible_grades)
        if not answer.strip():
            flags.append(Flag(FlagCode.GRADE, "grade not given", blocks=True, review=True))
        elif grade is None:
            flags.append(Flag(
                FlagCode.GRADE, f"grade {_quoted(answer, 20)} is not a grade number (eligible: {eligible})",
                blocks=True, review=True))
        elif grade not in rules.eligible_grades:
            flags.append(Flag(
                FlagCode.GRADE, f"grade {grade} is not eligible (eligible: {eligible})", blocks=True))

    # Sessions.
    if not a.sessions:
        given = answers.get("availability", "").strip()
        if given:
            flags.append(Flag(FlagCode.NO_SESSION, "the sessions chosen match none offered", blocks=True,
                              review=False))
        else:
            flags.append(Flag(FlagCode.NO_SESSION, "no session chosen", blocks=True, review=True))

    lookalike = _lookalikes(answers, rules)
    if lookalike:
        flags.append(Flag(FlagCode.LOOKALIKE, "; ".join(lookalike), blocks=True, review=True))

    domain = rules.student_email_domain
    if domain and student_ok and student_ok.rsplit("@", 1)[1] != domain:
        flags.append(Flag(FlagCode.OUTSIDE_DOMAIN, f"student email is not an @{domain} address"))

    typed = a.record.get(sheet.TYPED_EMAIL)
    if typed is not None and str(typed).strip() and (
            normalised_address(str(typed)) != normalised_address(student_raw)):
        # Neither address is quoted: the typed one may be a stranger's, and both are in the row.
        flags.append(Flag(
            FlagCode.TYPED_EMAIL_DIFFERS,
            "the school email typed in the form is not the address the student signed in with, "
            f"and letters go to the signed-in one (the typed one is in '{sheet.TYPED_EMAIL}')"))

    # The deadline's own minute is on time: "23:59" means until 23:59:59.
    if a.submitted is not None and a.submitted >= rules.late_from:
        flags.append(Flag(
            FlagCode.LATE,
            f"submitted {a.submitted.strftime('%Y-%m-%d %H:%M')}, after the deadline "
            f"{rules.deadline.strftime('%Y-%m-%d %H:%M')}",
            blocks=True,
        ))

    if rules.essay_keys and rules.min_essay_words:
        short = [
            (k, n) for k, n in zip(rules.essay_keys, a.essay_words, strict=True)
            if n < rules.min_essay_words and k not in blank_keys
        ]
        if short:
            parts = ", ".join(f"{_quoted(rules.title(k), 80)} has {n}" for k, n in short)
            flags.append(Flag(FlagCode.SHORT_ESSAY, f"{parts} of {rules.min_essay_words} words"))

    # A cheap look at all answers at once (C-speed string tests on one joined string); only a
    # hit, or a false alarm, looks at each answer in detail.
    joined = "|" + "|".join(answers.values())
    if (len(joined) > LONG_ANSWER_CHARS or "<" in joined or may_hide(joined)
            or any(start in joined for start in _ODD_STARTS)):
        _flag_text(a, rules)

    if any(_is_yes(answers.get(k, "")) for k in ("needs_device", "needs_internet")):
        flags.append(Flag(FlagCode.NEEDS_DEVICE, "needs a laptop or internet access (support, no penalty)"))


def _cannot_send(address: str) -> str | None:
    """:func:`unsendable`, except for a look-alike address: LOOKALIKE already blocks it for review
    and names the scripts of the same part, so a second flag would only repeat it."""
    if address.isascii():
        return None
    why = unsendable(address)
    return why if why is not None and address_lookalike(address) is None else None


def _flag_text(a: _Applicant, rules: ScreeningRules) -> None:
    formula: list[str] = []
    markup: list[str] = []
    control: list[str] = []
    hidden: dict[HiddenKind, list[str]] = {}
    long: list[str] = []
    for key, answer in a.answers.items():
        if not answer:
            continue
        head = answer.lstrip(" ")
        # A lone "-" (no teacher, say) or a signed number is not a formula.
        if (head.startswith(_FORMULA_START) and len(head.strip()) > 1
                and not _PLAIN_NUMBER.fullmatch(head.strip())):
            formula.append(f"{_quoted(rules.title(key), 80)} starts with {head[0]!r}")
        elif head.startswith(("\t", "\r")):
            formula.append(f"{_quoted(rules.title(key), 80)} starts with a tab or carriage return")
        if "<" in answer and _MARKUP.search(answer):
            markup.append(_quoted(rules.title(key), 80))
        if not answer.isprintable():
            pattern = _CONTROL_ONE_LINE if key in rules.one_line_keys else _CONTROL_ANY
            if pattern.search(answer):
                control.append(_quoted(rules.title(key), 80))
        if may_hide(answer):
            for kind in hidden_characters(answer):
                hidden.setdefault(kind, []).append(_quoted(rules.title(key), 80))
        if len(answer) > LONG_ANSWER_CHARS:
            cut = cut_marker(answer)
            if cut is None:
                long.append(f"{_quoted(rules.title(key), 80)} has {len(answer):,} characters")
            else:
                # The cell holds only the beginning: the reason says so and where the rest is.
                long.append(f"{_quoted(rules.title(key), 80)} has {cut.total:,} characters, cut to "
                            f"fit its cell (full text in the Long answers tab, key {cut.key})")
    flags = a.flags
    if formula or markup:
        parts = formula + ([f"markup in {', '.join(markup)}"] if markup else [])
        flags.append(Flag(FlagCode.FORMULA, "; ".join(parts) + " (kept as text, never run)"))
    if control or hidden:
        parts = [f"line breaks or control characters in {', '.join(control)}"] if control else []
        parts += [f"{kind} in {', '.join(hidden[kind])}" for kind in HiddenKind if kind in hidden]
        flags.append(Flag(FlagCode.CONTROL_CHARS, "; ".join(parts)))
    if long:
        flags.append(Flag(FlagCode.LONG_ANSWER, "; ".join(long)))


def _available_sessions(answers: Mapping[str, str], rules: ScreeningRules) -> tuple[str, ...]:
    """The ids of the sessions an applicant can attend, in config order."""
    if not rules.has("availability"):
        return tuple(s.id for s in rules.sessions)
    answer = answers.get("availability", "")
    if not answer.strip():
        return ()
    text = _choices_text(answer)
    lookup = rules.session_lookup
    if lookup is not None:
        # No title holds a separator: each picked part is looked up (fast with many sessions).
        found = {lookup[part] for part in text[2:-2].split(", ") if part in lookup}
        return tuple(s.id for s in rules.sessions if s.id in found)
    return tuple(
        s.id for s in rules.sessions
        if _option_text(s.title) in text or _option_text(s.id) in text
    )


_ADDRESS_KEYS = (("student_email", "student email"), ("guardian_email", "guardian email"))
_NAME_KEYS = ("first_name", "last_name", "guardian_name")


def _lookalikes(answers: Mapping[str, str], rules: ScreeningRules) -> list[str]:
    """Why any address or name could be a look-alike; the reasons never quote the text."""
    found = []
    # Only non-ASCII text can mix scripts: the usual all-ASCII answer costs one C-speed test.
    for key, label in _ADDRESS_KEYS:
        answer = answers.get(key, "")
        if not answer.isascii():
            why = address_lookalike(answer.strip())
            if why:
                found.append(f"{label}: {why}")
    for key in _NAME_KEYS:
        answer = answers.get(key, "")
        if not answer.isascii():
            why = name_lookalike(answer)
            if why:
                found.append(f"{_quoted(rules.title(key), 80)} {why}")
    return found


def _flag_guardian_addresses(applicants: Sequence[_Applicant], rules: ScreeningRules) -> None:
    """Flag SAME_EMAIL where a guardian address is a student's: release forms must reach a parent.

    A student's address is the applicant's own, any applicant's (a sibling or a friend filling
    in for the guardian), or any address on the student domain. Addresses compare normalised
    (case, spaces, Gmail dots and +tags aside: :func:`normalised_address`).
    """
    owners: dict[str, str] = {}
    for a in applicants:
        if a.student_email_ok:
            owners.setdefault(normalised_address(a.student_email), a.applicant_id)
    domain = rules.student_email_domain
    for a in applicants:
        guardian = a.guardian_email
        if not guardian:
            continue
        own = normalised_address(a.student_email) if a.student_email_ok else ""
        if guardian == own:
            why = "guardian email is the student's own address"
        elif guardian in owners:
            why = f"guardian email is the student email of applicant {owners[guardian]}"
        elif domain and guardian.rsplit("@", 1)[1] == domain:
            why = f"guardian email is an @{domain} address (a student address)"
        else:
            continue
        a.flags.append(Flag(FlagCode.SAME_EMAIL, why))


# --- duplicates --------------------------------------------------------------------------------


def _student_id(a: _Applicant) -> str:
    student_id = "".join(a.answers.get("student_id", "").split()).casefold()
    # "n/a", "none", "-": placeholders are not ids and must not tie strangers together.
    return student_id if any(c.isdigit() for c in student_id) else ""


def _identity_keys(a: _Applicant, student_id: str) -> list[tuple[str, str]]:
    keys = []
    if student_id:
        keys.append(("student id", student_id))
    if a.student_email_ok:
        # Case, spaces, and Gmail's dots and +tags aside: one mailbox is one student.
        keys.append(("email", normalised_address(a.student_email)))
    return keys


def _name_and_school(a: _Applicant) -> str:
    first = _name_key(a.answers.get("first_name", ""))
    last = _name_key(a.answers.get("last_name", ""))
    school = _name_key(a.answers.get("school", ""))
    return f"{first}\x00{last}\x00{school}" if first and last and school else ""


def _kept_because(keeper: _Applicant, other: _Applicant) -> str:
    if _decided(keeper.record.get(sheet.DECISION)) is not None:
        return "the submission the coordinator decided"
    if keeper.submitted and other.submitted and keeper.submitted < other.submitted:
        return "an earlier submission"
    return "the submission kept"


def _mark_duplicates(applicants: Sequence[_Applicant]) -> None:
    """Mark every row but the first of the same student DUPLICATE.

    The same student: the same student id, or the same valid email (Gmail dots and +tags
    aside), or the same name and school (accents, case and punctuation aside) unless the two
    gave different student ids, since two students at one school can share a name. Links are
    transitive. The row kept is the one the coordinator decided, else the earliest: it holds
    the applicant id the student was acknowledged under (intake merges a resubmission into that
    row; rows left to link here are older imports or name-and-school matches).
    """
    parent = list(range(len(applicants)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    ids = [_student_id(a) for a in applicants]
    keys = [_identity_keys(a, sid) for a, sid in zip(applicants, ids, strict=True)]
    names = [_name_and_school(a) for a in applicants]
    first_with: dict[tuple[str, str], int] = {}
    for i, own in enumerate(keys):
        for key in own:
            j = first_with.setdefault(key, i)
            if j != i:
                link(i, j)
    same_name: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            same_name.setdefault(name, []).append(i)
    for members in same_name.values():
        if len(members) > 1 and len({ids[i] for i in members if ids[i]}) <= 1:
            for i in members[1:]:
                link(i, members[0])

    groups: dict[int, list[int]] = {}
    for i in range(len(applicants)):
        groups.setdefault(root(i), []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        # Keep a decided row, else the earliest; an unreadable time counts as the latest.
        kept = min(members, key=lambda i: (
            _decided(applicants[i].record.get(sheet.DECISION)) is None,
            applicants[i].submitted.timestamp() if applicants[i].submitted else math.inf,
            applicants[i].applicant_id,
        ))
        keeper = applicants[kept]
        kept_keys = dict(keys[kept])
        for i in members:
            if i == kept:
                continue
            basis = [kind for kind, value in keys[i] if kept_keys.get(kind) == value]
            if names[i] and names[i] == names[kept]:
                basis.append("name and school")
            how = f"same {' and '.join(basis)}" if basis else "linked through another submission"
            applicants[i].duplicate_of = keeper.applicant_id
            applicants[i].flags.insert(0, Flag(
                FlagCode.DUPLICATE,
                f"{how} as {keeper.applicant_id}, {_kept_because(keeper, applicants[i])} (kept)",
                blocks=True,
            ))


# --- proposals ---------------------------------------------------------------------------------

_DECIDED = {Decision.ACCEPT: Proposed.ACCEPT, Decision.WAITLIST: Proposed.WAITLIST,
            Decision.DENY: Proposed.DENY}


def _decided(value: Cell) -> Proposed | None:
    # An unreadable Decision cell is the decisions step's to report; here it counts as undecided.
    try:
        decision = parse_decision(value)
    except UnknownDecision:
        return None
    return _DECIDED[decision] if decision is not None else None


class _Seats:
    """Session seats filled along augmenting paths (rank-order optimal, deterministic)."""

    def __init__(self, sessions: Sequence[SessionSeats]) -> None:
        self.capacity = {s.id: s.capacity for s in sessions}
        self.holders: dict[str, dict[str, None]] = {s.id: {} for s in sessions}
        self.seat: dict[str, str] = {}
        self.options: dict[str, tuple[str, ...]] = {}
        self.free = sum(self.capacity.values())

    def place(self, applicant_id: str, sessions: tuple[str, ...]) -> bool:
        """Seat the applicant, moving others to their other sessions if needed."""
        self.options[applicant_id] = sessions
        if self.free <= 0 or not sessions:
            return False
        came_from: dict[str, tuple[str, str | None]] = {}
        queue: deque[str] = deque()
        for s in sessions:
            if s not in came_from:
                came_from[s] = (applicant_id, None)
                queue.append(s)
        while queue:
            s = queue.popleft()
            if len(self.holders[s]) < self.capacity[s]:
                self._shift(s, came_from)
                self.free -= 1
                return True
            for holder in self.holders[s]:
                for t in self.options[holder]:
                    if t not in came_from:
                        came_from[t] = (holder, s)
                        queue.append(t)
        return False

    def _shift(self, session: str, came_from: dict[str, tuple[str, str | None]]) -> None:
        while True:
            mover, previous = came_from[session]
            self.holders[session][mover] = None
            self.seat[mover] = session
            if previous is None:
                return
            del self.holders[previous][mover]
            session = previous


def _propose(applicants: Sequence[_Applicant], rules: ScreeningRules, *, provisional: str) -> None:
    titles = {s.id: s.title for s in rules.sessions}
    seats = _Seats(rules.sessions)
    pool: list[_Applicant] = []
    decided_accept: list[_Applicant] = []
    waitlist_left = rules.waitlist_size
    for a in applicants:
        decided = _decided(a.record.get(sheet.DECISION))
        if decided is Proposed.ACCEPT:
            decided_accept.append(a)
        elif decided is not None:
            if decided is Proposed.WAITLIST:
                waitlist_left -= 1
            a.proposal = Proposal(decided, f"decided by the coordinator: {decided.value}")
        elif a.duplicate_of is not None:
            a.proposal = Proposal(
                Proposed.DUPLICATE, f"duplicate of {a.duplicate_of}; that submission is screened, "
                "send this one no letter")
        elif a.blocking():
            a.proposal = _blocked_proposal(a)
        else:
            pool.append(a)

    # Applicants the coordinator accepted hold seats before anyone is proposed.
    for a in sorted(decided_accept, key=_Applicant.rank_key):
        seats.place(a.applicant_id, a.sessions)

    pool.sort(key=_Applicant.rank_key)
    eligible = len(pool)
    accepted: list[_Applicant] = []
    rest: list[tuple[int, _Applicant]] = []
    for rank, a in enumerate(pool, start=1):
        if seats.place(a.applicant_id, a.sessions):
            accepted.append(a)
        else:
            rest.append((rank, a))
    ranks = {a.applicant_id: rank for rank, a in enumerate(pool, start=1)}
    for a in accepted:
        session = seats.seat[a.applicant_id]
        a.proposal = Proposal(
            Proposed.ACCEPT,
            f"rank {ranks[a.applicant_id]} of {eligible} eligible (score {_number(a.score)}); "
            f"a seat in {titles[session]} ({seats.capacity[session]} seats){provisional}",
            session,
        )
    # Seats move along augmenting paths, so where each one ended up is read only now.
    for a in decided_accept:
        session = seats.seat.get(a.applicant_id)
        where = f"a seat in {titles[session]}" if session else "over capacity (their sessions are full)"
        a.proposal = Proposal(Proposed.ACCEPT, f"accepted by the coordinator; {where}", session)
    position = 0
    for rank, a in rest:
        standing = (f"rank {rank} of {eligible} eligible (score {_number(a.score)}); "
                    "no seat left in the sessions they can attend")
        if position < waitlist_left:
            position += 1
            a.proposal = Proposal(
                Proposed.WAITLIST,
                f"waitlist place {position} of {max(waitlist_left, 0)}; {standing}{provisional}")
        else:
            a.proposal = Proposal(Proposed.DENY, f"{standing}, and the waitlist is full{provisional}")


def _blocked_proposal(a: _Applicant) -> Proposal:
    blocking = [f for f in a.flags if f.blocks]
    codes = ", ".join(dict.fromkeys(f.code.value for f in blocking))
    certain = [f for f in blocking if not f.review]
    if certain and a.student_email_ok:
        return Proposal(Proposed.DENY, f"not eligible: {codes}")
    if certain:
        return Proposal(Proposed.REVIEW, f"not eligible ({codes}), but no letter can reach the student: "
                                         "fix the student email first")
    return Proposal(Proposed.REVIEW, f"a person should check: {codes} (may be fixable)")


# --- screening ---------------------------------------------------------------------------------

_FLAG_ORDER = {code: i for i, code in enumerate(FlagCode)}


def _flag_order(flag: Flag) -> int:
    return _FLAG_ORDER[flag.code]


def _submitted(value: Cell, zone: ZoneInfo) -> datetime | None:
    # fromisoformat reads the tab's "YYYY-MM-DD HH:MM:SS" ten times faster than strptime.
    if isinstance(value, str) and len(value) == 19 and value[10] == " " and value[16] == ":":
        try:
            return datetime.fromisoformat(value).replace(tzinfo=zone)
        except ValueError:
            return None
    return parse_submitted(value, zone)


def screen(
    applications: Sequence[Mapping[str, Cell]],
    config: ProgramConfig | ScreeningRules,
    *,
    now: datetime,
) -> Screening:
    """Score, flag and propose a decision for every application row.

    ``applications`` are Applications-tab rows keyed by header (answers under question titles);
    rows without an applicant id, and repeats of an id already seen, are skipped and listed.
    ``now`` (an aware datetime) marks proposals made before the deadline as provisional.
    Never raises on bad cell values; raises :class:`ConfigError` for an unusable rubric.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (a clock reading with its zone)")
    rules = config if isinstance(config, ScreeningRules) else rules_from_config(config)
    applicants: list[_Applicant] = []
    skipped: list[SkippedRow] = []
    seen: set[str] = set()
    for row, record in enumerate(applications):
        if not isinstance(record, Mapping):
            skipped.append(SkippedRow(row, "not a row of cells"))
            continue
        raw_id = record.get(sheet.APPLICANT_ID)
        # The id is kept exactly as the cell holds it: rows are found again by it.
        applicant_id = "" if raw_id is None else str(raw_id)
        if not applicant_id.strip():
            skipped.append(SkippedRow(row, "no applicant id"))
            continue
        if applicant_id in seen:
            skipped.append(SkippedRow(row, f"applicant id {applicant_id} appears on an earlier row"))
            continue
        seen.add(applicant_id)
        answers = answers_by_key(record, rules.questions)
        applicants.append(_Applicant(
            row=row,
            applicant_id=applicant_id,
            record=record,
            answers=answers,
            submitted=_submitted(record.get(sheet.SUBMITTED), rules.zone),
            sessions=_available_sessions(answers, rules),
            essay_words=tuple(_words(answers.get(k, "")) for k in rules.essay_keys),
        ))
    for a in applicants:
        _flag_application(a, rules)
        _score_application(a, rules)
    _flag_guardian_addresses(applicants, rules)
    _mark_duplicates(applicants)
    for a in applicants:
        if len(a.flags) > 1:
            a.flags.sort(key=_flag_order)
    provisional = ""
    if now < rules.deadline:
        provisional = f" (provisional: applications close {rules.deadline.strftime('%Y-%m-%d %H:%M')})"
    _propose(applicants, rules, provisional=provisional)
    screened = tuple(
        ScreenedApplication(
            applicant_id=a.applicant_id,
            row=a.row,
            submitted=a.submitted,
            score=a.score,
            criteria=a.criteria,
            flags=tuple(a.flags),
            sessions=a.sessions,
            proposal=a.proposal or Proposal(Proposed.REVIEW, "no proposal could be made"),
            duplicate_of=a.duplicate_of,
        )
        for a in applicants
    )
    return Screening(
        applications=screened,
        skipped=tuple(skipped),
        seats={s.id: s.capacity for s in rules.sessions},
        waitlist_size=rules.waitlist_size,
    )


def screening_cells(screening: Screening) -> dict[str, Record]:
    """The tool-owned cells to write for each applicant id (:data:`SCREENING_COLUMNS`).

    Values are written RAW: a reason quoting an answer such as ``=HYPERLINK(...)`` stays text.
    """
    cells: dict[str, Record] = {}
    for a in screening.applications:
        cells[a.applicant_id] = {
            SCORE: a.score,
            SCORE_BREAKDOWN: a.breakdown,
            FLAGS: "; ".join(f.code.value for f in a.flags),
            FLAG_REASONS: "; ".join(str(f) for f in a.flags),
            PROPOSED_DECISION: a.proposal.decision.value,
            PROPOSAL_REASON: a.proposal.reason,
        }
    return cells
