"""Fitting answers to a spreadsheet cell: cut with a marker, full text kept in pieces."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from programs import write_config  # type: ignore[import-not-found]

from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import QuestionColumn
from microintern.domain.long_answers import (
    EXCEL_CELL_LIMIT,
    GOOGLE_CELL_LIMIT,
    cut_marker,
    fit_answers,
    fit_to_cell,
    full_text,
    is_boundary,
    marker,
    pieces,
    safe_cut,
    utf16_length,
)
from microintern.domain.screening import FLAG_REASONS, FLAGS, screen, screening_cells
from microintern.steps.sheet.applicants import question_columns

ESSAY = QuestionColumn("essay", "Why do you want to take part?")
FAMILY = "👨\u200d👩\u200d👧"          # one family emoji: three people joined by ZWJ
FLAG_ES = "🇪🇸"                       # two regional indicators
E_ACUTE = "e\u0301"                    # e + combining acute accent


def test_a_text_at_the_limit_is_not_cut() -> None:
    for limit in (GOOGLE_CELL_LIMIT, EXCEL_CELL_LIMIT):
        text = "a" * limit
        fitted = fit_to_cell(text, limit, key="A-1/essay")
        assert (fitted.text, fitted.cut, fitted.total) == (text, False, limit)


def test_one_over_the_limit_is_cut_to_the_limit_with_the_marker() -> None:
    text = "a" * (GOOGLE_CELL_LIMIT + 1)
    fitted = fit_to_cell(text, GOOGLE_CELL_LIMIT, key="A-1/essay")
    assert fitted.cut and fitted.total == GOOGLE_CELL_LIMIT + 1
    assert len(fitted.text) == GOOGLE_CELL_LIMIT
    end = marker(GOOGLE_CELL_LIMIT + 1, "A-1/essay")
    assert fitted.text.endswith(end)
    assert end == (" … [cut: 50,001 characters in all; full text in the Long answers tab, "
                   "key A-1/essay]")
    assert text.startswith(fitted.text[: -len(end)])


def test_the_marker_reads_back() -> None:
    fitted = fit_to_cell("x" * 100_000, EXCEL_CELL_LIMIT, key="A-ABC234XY/essay")
    found = cut_marker(fitted.text)
    assert found is not None and (found.total, found.key) == (100_000, "A-ABC234XY/essay")
    assert cut_marker("a whole answer") is None
    assert cut_marker(None) is None and cut_marker(12) is None


def test_emoji_count_as_two_units_so_the_cell_never_overflows() -> None:
    text = "😀" * 30_000                      # 30,000 characters, 60,000 UTF-16 units
    assert utf16_length(text) == 60_000
    fitted = fit_to_cell(text, GOOGLE_CELL_LIMIT, key="A-1/essay")
    assert fitted.cut and utf16_length(fitted.text) <= GOOGLE_CELL_LIMIT
    kept = fitted.text[: fitted.text.index(" … [cut")]
    assert set(kept) == {"😀"} and utf16_length(kept) >= GOOGLE_CELL_LIMIT - 200


@pytest.mark.parametrize("unit", [FAMILY, FLAG_ES, E_ACUTE, "\r\n", "👍🏽", "각"])
@pytest.mark.parametrize("limit", [50, 51, 52, 53, 97])
def test_cuts_never_split_a_character(unit: str, limit: int) -> None:
    # "각" decomposed is three jamo that make one syllable.
    unit = unicodedata.normalize("NFD", unit)
    text = "ab" + unit * 40
    for piece in pieces(text, limit):
        assert utf16_length(piece) <= limit
        body = piece[2:] if piece.startswith("ab") else piece
        assert body == unit * (len(body) // len(unit)), (unit, limit, piece)
    assert "".join(pieces(text, limit)) == text


def test_a_surrogate_pair_as_two_code_points_is_not_split() -> None:
    text = "a" + "\ud83d\ude00" * 10          # lone halves as a JSON decoder may leave them
    assert not is_boundary(text, 2)
    for piece in pieces(text, 4):
        assert not ("\ud800" <= piece[-1] <= "\udbff"), piece


def test_a_run_of_combining_marks_still_progresses() -> None:
    text = "a" + "\u0301" * 500                 # no boundary for 500 characters
    parts = pieces(text, 100)
    assert "".join(parts) == text and all(len(p) <= 100 for p in parts)


def test_pieces_join_back_exactly_for_random_text() -> None:
    rng = random.Random(13)
    alphabet = ["a", " ", "\n", "\r\n", "é", E_ACUTE, "😀", FAMILY, FLAG_ES, "中", "\u200f", "="]
    text = "".join(rng.choice(alphabet) for _ in range(20_000))
    for limit in (7, 100, 1_000):
        parts = pieces(text, limit)
        assert "".join(parts) == text
        assert all(0 < utf16_length(p) <= limit for p in parts)


def test_safe_cut_edges() -> None:
    assert safe_cut("", 10) == 0 and safe_cut("abc", 0) == 0 and safe_cut("abc", 10) == 3
    assert safe_cut("😀😀", 1) == 0                 # not even one emoji fits in one unit


def test_fit_answers_keeps_the_full_text_in_pieces() -> None:
    answer = "Ñandú 😀 " * 120_000              # 1,080,000 characters
    record = {sheet.APPLICANT_ID: "A-ABCDEFGH", "First name": "Ana", ESSAY.title: answer}
    questions = [QuestionColumn("first_name", "First name"), ESSAY]
    fitted = fit_answers(record, questions, GOOGLE_CELL_LIMIT)
    assert fitted.cut == (ESSAY.title,)
    assert fitted.record["First name"] == "Ana"
    cell = fitted.record[ESSAY.title]
    assert isinstance(cell, str) and utf16_length(cell) <= GOOGLE_CELL_LIMIT
    assert cut_marker(cell) is not None and cut_marker(cell).key == "A-ABCDEFGH/essay"  # type: ignore[union-attr]
    rows = list(fitted.pieces)
    assert [r[sheet.LONG_ANSWER_PART] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][sheet.LONG_ANSWER_KEY] == "A-ABCDEFGH/essay/1"
    assert {r[sheet.LONG_ANSWER_QUESTION] for r in rows} == {ESSAY.title}
    assert all(utf16_length(str(r[sheet.LONG_ANSWER_TEXT])) <= GOOGLE_CELL_LIMIT for r in rows)
    # Pieces read back in any order put the answer together exactly.
    assert full_text(reversed(rows), "A-ABCDEFGH/essay") == answer
    assert full_text(rows, "A-ABCDEFGH/other") is None
    assert record[ESSAY.title] == answer            # the input row is left alone


def test_short_answers_are_left_alone() -> None:
    record = {sheet.APPLICANT_ID: "A-1", ESSAY.title: "short", "Other": "x" * 100_000}
    fitted = fit_answers(record, [ESSAY], EXCEL_CELL_LIMIT)
    assert fitted.record == record and fitted.pieces == () and fitted.cut == ()


def test_screening_flags_a_cut_answer_by_question_never_its_text(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    questions = question_columns(config)
    essay = next(q for q in questions if q.key == "essay")
    row = {sheet.APPLICANT_ID: "A-CUT00001", sheet.SUBMITTED: "2027-01-20 10:00:00",
           essay.title: "Mi ensayo secreto " * 60_000}
    fitted = fit_answers(row, questions, EXCEL_CELL_LIMIT)
    cells = screening_cells(screen([fitted.record], config, now=datetime(2027, 2, 1, tzinfo=UTC)))
    found = cells["A-CUT00001"]
    assert "LONG_ANSWER" in str(found[FLAGS]).split("; ")
    reasons = str(found[FLAG_REASONS])
    assert "has 1,080,000 characters, cut to fit its cell" in reasons
    assert "Long answers tab, key A-CUT00001/essay" in reasons and repr(essay.title) in reasons
    assert "secreto" not in reasons
