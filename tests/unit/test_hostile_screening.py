"""The hostile corpus: every row screened, flagged exactly as expected, nothing executed or broken.

Each row must carry *exactly* its expected flag codes (not merely at least them), so a new rule
that starts flagging legitimate names in Arabic script or essays with emoji fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hostile_corpus import hostile_applications

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
