"""Screening the Applications tab's rows: flag, score, mark duplicates and propose, then the
cells to write back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import answers_by_key, parse_submitted
from microintern.domain.records import Cell, Record
from microintern.domain.screening.flags import (
    available_sessions,
    flag_application,
    flag_guardian_addresses,
)
from microintern.domain.screening.identity import mark_duplicates
from microintern.domain.screening.model import (
    FLAG_REASONS,
    FLAGS,
    PROPOSAL_REASON,
    PROPOSED_DECISION,
    SCORE,
    SCORE_BREAKDOWN,
    Applicant,
    Flag,
    FlagCode,
    Proposal,
    Proposed,
    ScreenedApplication,
    Screening,
    ScreeningRules,
    SkippedRow,
)
from microintern.domain.screening.proposals import propose
from microintern.domain.screening.rubric import rules_from_config, score_application

_FLAG_ORDER = {code: i for i, code in enumerate(FlagCode)}


def _words(text: str) -> int:
    return len(text.split())


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
    applicants: list[Applicant] = []
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
        applicants.append(Applicant(
            row=row,
            applicant_id=applicant_id,
            record=record,
            answers=answers,
            submitted=_submitted(record.get(sheet.SUBMITTED), rules.zone),
            sessions=available_sessions(answers, rules),
            essay_words=tuple(_words(answers.get(k, "")) for k in rules.essay_keys),
        ))
    for a in applicants:
        flag_application(a, rules)
        score_application(a, rules)
    flag_guardian_addresses(applicants, rules)
    mark_duplicates(applicants)
    for a in applicants:
        if len(a.flags) > 1:
            a.flags.sort(key=_flag_order)
    provisional = ""
    if now < rules.deadline:
        provisional = f" (provisional: applications close {rules.deadline.strftime('%Y-%m-%d %H:%M')})"
    propose(applicants, rules, provisional=provisional)
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
