"""Long answers: fit an answer to a spreadsheet cell, and keep the full text in pieces.

A Google Sheets cell refuses more than 50,000 characters and an Excel cell holds at most 32,767,
so one student who pastes a book into the essay box would otherwise stop the Applications write
for everyone. An answer over the limit is cut, and its cell ends with a visible marker that
names the answer's length and where the full text is: the Long answers tab, one row per piece,
keyed ``<applicant id>/<question key>/<part>``. Concatenating the pieces in part order gives the
answer back exactly.

Lengths are counted in UTF-16 code units, the unit both spreadsheets count in: an emoji outside
the Basic Multilingual Plane is one Python character but two units, so counting Python
characters could let a cell of emoji past the limit. Cuts fall between user-perceived
characters: never inside a surrogate pair, before a combining mark, around a zero-width joiner,
inside a flag's pair of regional indicators, or between CR and LF.

Pure functions; no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from microintern.domain import program_sheet as sheet
from microintern.domain.applicants import QuestionColumn
from microintern.domain.records import Cell, Record

GOOGLE_CELL_LIMIT = 50_000
"""Sheets answers 400 to a write with a longer cell."""
EXCEL_CELL_LIMIT = 32_767
"""Excel's (and so the local workbook's) cell limit."""

# How far back a cut may move to reach a boundary between characters. Past this (a run of
# hundreds of combining marks) the cut falls between code points, which is still lossless
# because the full text is kept in the Long answers tab.
_MAX_BACKTRACK = 64

MARKER_PREFIX = " … [cut: "
_MARKER = re.compile(
    r" … \[cut: (?P<total>[\d,]+) characters in all; full text in the Long answers tab, "
    r"key (?P<key>[^\]\s]+)\]\Z"
)


def utf16_length(text: str) -> int:
    """The length of ``text`` as a spreadsheet counts it (UTF-16 code units)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _joins_previous(char: str) -> bool:
    """True when ``char`` belongs to the character before it (a cut before it splits one)."""
    code = ord(char)
    if 0xDC00 <= code <= 0xDFFF:        # the low half of a surrogate pair
        return True
    if code == 0x200D:                  # zero-width joiner (emoji sequences)
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:   # variation selectors
        return True
    if 0x1F3FB <= code <= 0x1F3FF:      # emoji skin-tone modifiers
        return True
    if 0xE0020 <= code <= 0xE007F:      # tag characters (subdivision flags)
        return True
    if 0x1160 <= code <= 0x11FF:        # Hangul medial vowels and final consonants
        return True
    return unicodedata.category(char) in ("Mn", "Mc", "Me")


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def is_boundary(text: str, index: int) -> bool:
    """True when cutting ``text`` at ``index`` splits no user-perceived character."""
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if before == "\r" and after == "\n":
        return False
    if before == "\u200d" or 0xD800 <= ord(before) <= 0xDBFF:
        return False
    if _joins_previous(after):
        return False
    if _regional(before) and _regional(after):
        # Flags are pairs of regional indicators: cut only after an even number of them.
        run = 0
        while index - run - 1 >= 0 and _regional(text[index - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def safe_cut(text: str, units: int) -> int:
    """The largest index whose prefix fits in ``units`` UTF-16 units and ends on a boundary.

    Falls back to a cut between code points (never inside a surrogate pair) when no boundary is
    near; returns at least 1 for a non-empty text and ``units`` >= 2, so pieces always progress.
    """
    if units <= 0 or not text:
        return 0
    index = min(len(text), units)
    excess = utf16_length(text[:index]) - units
    while excess > 0:
        # Dropping half the excess in characters drops at most the excess in units (a character
        # is one or two units): the prefix converges on the limit without undershooting it.
        step = max(1, excess // 2)
        excess -= utf16_length(text[index - step:index])
        index -= step
    if index <= 0:
        return 0
    if index >= len(text):
        return len(text)
    for back in range(min(_MAX_BACKTRACK, index - 1) + 1):
        if is_boundary(text, index - back):
            return index - back
    if 0xDC00 <= ord(text[index]) <= 0xDFFF and 0xD800 <= ord(text[index - 1]) <= 0xDBFF:
        return max(index - 1, 1)
    return index


def pieces(text: str, limit: int) -> list[str]:
    """``text`` in consecutive pieces of at most ``limit`` UTF-16 units each (``"".join`` undoes it)."""
    if limit < 2:
        raise ValueError("a cell limit must be at least 2")
    out: list[str] = []
    rest = text
    while rest:
        cut = safe_cut(rest, limit)
        out.append(rest[:cut])
        rest = rest[cut:]
    return out


def marker(total: int, key: str) -> str:
    """The visible end of a cut cell: the answer's length and where its full text is."""
    return f"{MARKER_PREFIX}{total:,} characters in all; full text in the Long answers tab, key {key}]"


@dataclass(frozen=True)
class FittedAnswer:
    """An answer as it goes in its cell; ``cut`` tells whether it had to be shortened."""

    text: str
    cut: bool
    total: int
    """The answer's full length in characters."""


def fit_to_cell(text: str, limit: int, *, key: str) -> FittedAnswer:
    """Fit ``text`` to a cell of ``limit`` UTF-16 units, cutting it with a visible marker.

    A text at or under the limit is returned unchanged. Otherwise the beginning is kept, cut
    on a boundary between characters, and the marker naming ``key`` (where the full text is
    kept) is added; the result never exceeds ``limit``.
    """
    if utf16_length(text) <= limit:
        return FittedAnswer(text, False, len(text))
    end = marker(len(text), key)
    room = limit - utf16_length(end)
    if room < 0:
        raise ValueError(f"a cell of {limit} characters cannot hold the cut marker")
    return FittedAnswer(text[:safe_cut(text, room)] + end, True, len(text))


@dataclass(frozen=True)
class CutMarker:
    """What the marker at the end of a cut cell says."""

    total: int
    key: str


def cut_marker(cell: Cell) -> CutMarker | None:
    """The marker at the end of a cut Applications cell, or None for a whole answer."""
    if not isinstance(cell, str) or MARKER_PREFIX not in cell:
        return None
    found = _MARKER.search(cell)
    if found is None:
        return None
    return CutMarker(int(found["total"].replace(",", "")), found["key"])


def answer_key(applicant_id: str, question_key: str) -> str:
    """Where one answer's pieces are kept: ``<applicant id>/<question key>``."""
    return f"{applicant_id}/{question_key}"


def piece_rows(applicant_id: str, question: QuestionColumn, text: str, limit: int) -> list[Record]:
    """The Long answers rows holding ``text``, one per piece, keyed ``<answer key>/<part>``."""
    key = answer_key(applicant_id, question.key)
    return [
        {
            sheet.LONG_ANSWER_KEY: f"{key}/{part}",
            sheet.APPLICANT_ID: applicant_id,
            sheet.LONG_ANSWER_QUESTION: question.title,
            sheet.LONG_ANSWER_PART: part,
            sheet.LONG_ANSWER_TEXT: piece,
        }
        for part, piece in enumerate(pieces(text, limit), start=1)
    ]


@dataclass(frozen=True)
class CutAnswers:
    """An Applications row with its answers fitted to cells, and the full text of the cut ones."""

    record: Record
    pieces: tuple[Record, ...]
    cut: tuple[str, ...]
    """The titles of the questions whose answers were cut (never the text)."""


def fit_answers(record: Mapping[str, Cell], questions: Sequence[QuestionColumn],
                limit: int) -> CutAnswers:
    """Fit every answer of an Applications row to ``limit``; keep the cut ones in pieces."""
    applicant_id = str(record[sheet.APPLICANT_ID])
    fitted: Record = dict(record)
    kept: list[Record] = []
    cut: list[str] = []
    for question in questions:
        answer = record.get(question.title)
        # A character is at most two units: half the limit in characters always fits.
        if not isinstance(answer, str) or len(answer) <= limit // 2:
            continue
        result = fit_to_cell(answer, limit, key=answer_key(applicant_id, question.key))
        if result.cut:
            fitted[question.title] = result.text
            kept.extend(piece_rows(applicant_id, question, answer, limit))
            cut.append(question.title)
    return CutAnswers(fitted, tuple(kept), tuple(cut))


def full_text(rows: Iterable[Mapping[str, Cell]], key: str) -> str | None:
    """An answer put back together from its Long answers rows (None when none is kept).

    ``key`` is the answer key a cut cell's marker names (``<applicant id>/<question key>``).
    """
    prefix = key + "/"
    parts: dict[int, str] = {}
    for row in rows:
        row_key = str(row.get(sheet.LONG_ANSWER_KEY) or "")
        if not row_key.startswith(prefix):
            continue
        number = row_key[len(prefix):]
        if not number.isdigit():
            continue
        text = row.get(sheet.LONG_ANSWER_TEXT)
        parts[int(number)] = "" if text is None else str(text)
    if not parts:
        return None
    return "".join(parts[n] for n in sorted(parts))
