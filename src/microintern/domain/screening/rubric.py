"""The rubric: built-in and answer-in-list criteria, the rules read and checked from the config,
and each applicant's score."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from microintern.config import ProgramConfig, QuestionKind
from microintern.domain.applicants import QuestionColumn
from microintern.domain.screening.model import (
    Applicant,
    CriterionResult,
    RubricCriterion,
    Scorer,
    ScreeningRules,
    SessionSeats,
)
from microintern.domain.screening.text import SEPARATORS, chosen, clip, fold, is_yes
from microintern.errors import ConfigError, ConfigProblem

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
_NO_TEACHER = frozenset({"", "none", "no", "n/a", "na", "-", "no one", "nobody", "ninguno", "nadie"})


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        if item and fold(item) not in seen:
            seen[fold(item)] = item
    return tuple(seen.values())


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


def _builtin(key: str, rules: ScreeningRules) -> Scorer:
    industries = rules.industries
    session_industries = {fold(s.industry): s.industry for s in rules.sessions if s.industry}

    def interest(a: Applicant) -> tuple[float, str]:
        answer = a.answers.get("interests", "")
        matched = chosen(answer, industries)
        if matched:
            return 1.0, ", ".join(matched)
        return 0.0, "no match" if answer.strip() else "none given"

    def pathway(a: Applicant) -> tuple[float, str]:
        answer = a.answers.get("pathway", "")
        industry = session_industries.get(fold(answer))
        if industry:
            return 1.0, industry
        return 0.0, clip(answer, 30) if answer.strip() else "not given"

    def availability(a: Applicant) -> tuple[float, str]:
        n = len(a.sessions)
        if n:
            return 1.0, f"{n} session{'s' if n != 1 else ''}"
        return 0.0, "no session"

    def essay(a: Applicant) -> tuple[float, str]:
        need = rules.min_essay_words
        counts = a.essay_words
        if need == 0:
            parts = [1.0 if c else 0.0 for c in counts]
        else:
            parts = [min(1.0, c / need) for c in counts]
        return sum(parts) / len(parts), f"{', '.join(str(c) for c in counts)} of {need} words"

    def recommendation(a: Applicant) -> tuple[float, str]:
        named = fold(a.answers.get("teacher_recommendation", "")) not in _NO_TEACHER
        return (1.0, "") if named else (0.0, "none named")

    def first_time(a: Applicant) -> tuple[float, str]:
        answer = a.answers.get("first_time", "")
        if is_yes(answer):
            return 1.0, ""
        return 0.0, "not given" if not answer.strip() else "not the first"

    scorers: dict[str, Scorer] = {
        "interest_match": interest, "pathway": pathway, "availability": availability,
        "essay": essay, "recommendation": recommendation, "first_time": first_time,
    }
    return scorers[key]


def _answer_in_list(answers: Mapping[str, list[str]]) -> Scorer:
    wanted = {key: {fold(v) for v in values} for key, values in answers.items()}

    def score(a: Applicant) -> tuple[float, str]:
        hits = []
        for key, values in wanted.items():
            answer = a.answers.get(key, "")
            picked = {fold(p) for p in SEPARATORS.split(fold(answer))} | {fold(answer)}
            if picked & values:
                hits.append(key)
        return len(hits) / len(wanted), ", ".join(hits) if hits else "none"

    return score


def score_application(applicant: Applicant, rules: ScreeningRules) -> None:
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
