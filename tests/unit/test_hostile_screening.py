"""The hostile corpus: every row screened, flagged exactly as expected, nothing executed or broken.

Each row must carry *exactly* its expected flag codes (not merely at least them), so a new rule
that starts flagging legitimate names in Arabic script or essays with emoji fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hostile_corpus import DOMAIN, application, hostile_applications

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.records import Record
from microintern.domain.screening import (
    FLAG_REASONS,
    FLAGS,
    PROPOSAL_REASON,
    PROPOSED_DECISION,
    SCREENING_COLUMNS,
    FlagCode,
    Proposed,
    Screening,
    screen,
    screening_cells,
)

NOW = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def corpus(make_config: Callable[..., ProgramConfig]) -> tuple[ProgramConfig, list[tuple[Record, set[str]]]]:
    config = make_config()
    return config, hostile_applications(config)


@pytest.fixture
def screened(corpus: tuple[ProgramConfig, list[tuple[Record, set[str]]]]) -> Screening:
    config, rows = corpus
    return screen([r for r, _ in rows], config, now=NOW)


def test_corpus_is_large_and_covers_every_flag(corpus: tuple[ProgramConfig, list]) -> None:
    _config, rows = corpus
    assert len(rows) >= 40
    covered = set().union(*(expected for _, expected in rows))
    assert covered == {code.value for code in FlagCode}
    assert sum(1 for _, expected in rows if not expected) >= 15


def test_every_row_is_screened_with_exactly_its_flags(
    corpus: tuple[ProgramConfig, list], screened: Screening
) -> None:
    _config, rows = corpus
    assert screened.skipped == ()
    by_id = screened.by_id()
    assert len(by_id) == len(rows)
    wrong = {}
    for record, expected in rows:
        got = {code.value for code in by_id[str(record[sheet.APPLICANT_ID])].flag_codes}
        if got != expected:
            wrong[record[sheet.APPLICANT_ID]] = (sorted(got), sorted(expected))
    assert wrong == {}


def test_every_flag_comes_with_its_reason(screened: Screening) -> None:
    for applicant_id, cells in screening_cells(screened).items():
        codes = str(cells[FLAGS]).split("; ") if cells[FLAGS] else []
        reasons = str(cells[FLAG_REASONS])
        for code in codes:
            assert f"{code}: " in reasons, (applicant_id, code)
        assert reasons.count(": ") >= len(codes)


def test_written_cells_are_single_line_bounded_and_never_formulas(screened: Screening) -> None:
    for applicant_id, cells in screening_cells(screened).items():
        assert tuple(cells) == SCREENING_COLUMNS
        for column, value in cells.items():
            if not isinstance(value, str):
                continue
            assert not value.startswith(("=", "+", "-", "@")), (applicant_id, column, value)
            assert "\r" not in value and "\n" not in value and "\x00" not in value, (applicant_id, column)
            assert "\u202e" not in value, (applicant_id, column)
            # 50 KB answers are quoted only in short excerpts.
            assert len(value) < 1_000, (applicant_id, column, len(value))


def test_hostile_rows_get_the_expected_proposals(screened: Screening) -> None:
    cells = screening_cells(screened)
    assert cells["A-T0034"][PROPOSED_DECISION] == Proposed.REVIEW  # CR/LF in the student's email
    assert cells["A-T0040"][PROPOSED_DECISION] == Proposed.REVIEW  # a blank row
    assert cells["A-T0053"][PROPOSED_DECISION] == Proposed.DENY  # late
    assert cells["A-T0057"][PROPOSAL_REASON] == (
        "not eligible (BAD_EMAIL, GRADE, LATE), but no letter can reach the student: fix the student "
        "email first")
    assert cells["A-T0072"][PROPOSED_DECISION] == Proposed.DUPLICATE
    assert cells["A-T0020"][PROPOSED_DECISION] in (Proposed.ACCEPT, Proposed.WAITLIST)  # advisory only
    assert cells["A-T0020"][FLAG_REASONS] == "FORMULA: 'Last name' starts with '=' (kept as text, never run)"
    assert cells["A-T0070"][FLAG_REASONS] == (
        "DUPLICATE: linked through another submission as A-T0068, an earlier submission (kept)")
    assert cells["A-T0036"][FLAG_REASONS] == (
        "LONG_ANSWER: 'Why do you want to take part, and what do you hope to learn?' has 49,999 characters")


# --- issue 14: look-alikes, guardian addresses, hidden characters --------------------------------


def test_look_alike_rows_wait_for_a_person(screened: Screening) -> None:
    cells = screening_cells(screened)
    for applicant_id in ("A-T0080", "A-T0081", "A-T0082", "A-T0083", "A-T0084"):
        assert cells[applicant_id][PROPOSED_DECISION] == Proposed.REVIEW, applicant_id
    assert cells["A-T0080"][FLAG_REASONS] == (
        "LOOKALIKE: student email: the local part mixes Latin and Cyrillic letters")
    assert cells["A-T0084"][FLAG_REASONS] == "LOOKALIKE: 'Last name' has a Cyrillic word that looks Latin"
    # Names wholly in one script (Cyrillic, Greek, Japanese, Persian with its ZWNJ) are ranked.
    by_id = screened.by_id()
    for applicant_id in ("A-T0085", "A-T0086", "A-T0087", "A-T0088", "A-T0089"):
        assert not by_id[applicant_id].blocked, applicant_id
        assert by_id[applicant_id].proposal.reason.startswith("rank "), applicant_id


def test_guardian_addresses_that_are_student_addresses(screened: Screening) -> None:
    cells = screening_cells(screened)
    assert cells["A-T0090"][FLAG_REASONS] == (
        "SAME_EMAIL: guardian email is an @students.mesavalley.example address (a student address)")
    assert cells["A-T0091"][FLAG_REASONS] == (
        "SAME_EMAIL: guardian email is the student email of applicant A-T0093")
    assert "SAME_EMAIL: guardian email is the student's own address" in str(cells["A-T0092"][FLAG_REASONS])


def test_guardian_address_rules_each_on_their_own(make_config: Callable[..., ProgramConfig]) -> None:
    config = make_config()
    rows = [
        application(config, 1, student_email="maya.ortiz@gmail.com",
                    guardian_email="Maya.Ortiz+mom@gmail.com"),  # the student's own, dots and tag aside
        application(config, 2, guardian_email="mayaortiz@googlemail.com"),  # applicant 1's mailbox
        application(config, 3, guardian_email=f"RosaRivera3@{DOMAIN.upper()}"),  # the student domain
        application(config, 4, guardian_email="rosa.rivera4@gmail.com"),  # an ordinary parent
    ]
    got = {a.applicant_id: a for a in screen(rows, config, now=NOW).applications}
    reasons = {k: [f.reason for f in a.flags if f.code is FlagCode.SAME_EMAIL] for k, a in got.items()}
    assert reasons == {
        "A-T0001": ["guardian email is the student's own address"],
        "A-T0002": ["guardian email is the student email of applicant A-T0001"],
        "A-T0003": [f"guardian email is an @{DOMAIN} address (a student address)"],
        "A-T0004": [],
    }
    # Advisory, as before: the release form goes out, the coordinator sees why to check it.
    assert not any(f.blocks for a in got.values() for f in a.flags if f.code is FlagCode.SAME_EMAIL)


def test_guardian_on_the_student_domain_needs_the_domain_configured(
    make_config: Callable[..., ProgramConfig],
) -> None:
    config = make_config(program={**_program(make_config), "student_email_domain": None})
    assert config.program.student_email_domain is None
    [a] = screen([application(config, 1, guardian_email=f"rosa@{DOMAIN}")], config, now=NOW).applications
    assert a.flag_codes == ()


def _program(make_config: Callable[..., ProgramConfig]) -> dict[str, object]:
    return make_config().program.model_dump(mode="json")


def test_recall_and_precision_on_the_corpus_are_perfect(
    corpus: tuple[ProgramConfig, list], screened: Screening
) -> None:
    _config, rows = corpus
    by_id = screened.by_id()
    hits = expected_total = flagged_total = 0
    for record, expected in rows:
        got = {code.value for code in by_id[str(record[sheet.APPLICANT_ID])].flag_codes}
        hits += len(got & expected)
        expected_total += len(expected)
        flagged_total += len(got)
    assert (hits, flagged_total) == (expected_total, expected_total)
