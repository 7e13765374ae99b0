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

Modules
    ``model`` (columns, flag codes, results, rules), ``text`` (answer text and email checks),
    ``rubric`` (criteria, rules from the config, scores), ``flags``, ``identity`` (duplicates),
    ``proposals`` (seats and the waitlist) and ``applications`` (:func:`screen`, the entry point).
    A name with a leading underscore is private to its module; what a sibling uses is public.
"""

from microintern.domain.screening.applications import screen, screening_cells
from microintern.domain.screening.model import (
    BLOCKING_CODES,
    FLAG_MEANINGS,
    FLAG_REASONS,
    FLAGS,
    LONG_ANSWER_CHARS,
    PROPOSAL_REASON,
    PROPOSED_DECISION,
    SCORE,
    SCORE_BREAKDOWN,
    SCREENING_COLUMNS,
    CriterionResult,
    Flag,
    FlagCode,
    Proposal,
    Proposed,
    RubricCriterion,
    Scorer,
    ScreenedApplication,
    Screening,
    ScreeningRules,
    SessionSeats,
    SkippedRow,
)
from microintern.domain.screening.rubric import CRITERIA, rules_from_config
from microintern.domain.screening.text import check_email, chosen, unsendable

__all__ = [
    "BLOCKING_CODES",
    "CRITERIA",
    "FLAGS",
    "FLAG_MEANINGS",
    "FLAG_REASONS",
    "LONG_ANSWER_CHARS",
    "PROPOSAL_REASON",
    "PROPOSED_DECISION",
    "SCORE",
    "SCORE_BREAKDOWN",
    "SCREENING_COLUMNS",
    "CriterionResult",
    "Flag",
    "FlagCode",
    "Proposal",
    "Proposed",
    "RubricCriterion",
    "Scorer",
    "ScreenedApplication",
    "Screening",
    "ScreeningRules",
    "SessionSeats",
    "SkippedRow",
    "check_email",
    "chosen",
    "rules_from_config",
    "screen",
    "screening_cells",
    "unsendable",
]
