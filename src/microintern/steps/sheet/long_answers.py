"""Answers too long for a cell: the backend's cell limit, and the Long answers tab.

An import of answers (applications, feedback, industry forms) fits every answer to a cell, so
one very long answer cannot make the whole write fail; what was cut is kept whole in the Long
answers tab, and the cell names where (see :mod:`microintern.domain.long_answers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from microintern.config import Backend, ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.domain.long_answers import EXCEL_CELL_LIMIT, GOOGLE_CELL_LIMIT, safe_cut, utf16_length
from microintern.domain.records import Record
from microintern.steps.context import StepContext, StepResult

# Long answers go to the sheet in upserts of at most this many characters, so that no request
# nears Sheets' 10 MB payload limit (4 bytes of UTF-8 per 2 UTF-16 units at worst, plus JSON).
PIECES_PER_WRITE_UNITS = 2_000_000


def cell_limit(config: ProgramConfig) -> int:
    """The most characters (UTF-16 units) one cell of the program sheet takes on this backend."""
    return GOOGLE_CELL_LIMIT if config.backend is Backend.GOOGLE else EXCEL_CELL_LIMIT


@dataclass
class Intake:
    """New Applications rows, answers fitted to a cell, and the full text of the cut answers.

    A response by a student who already has a row is no new row: it is an entry of ``updates``
    (the applicant id, the latest answers and the :data:`~microintern.domain.applicants.RESUBMITTED`
    note), written over the tool's cells of that row; the coordinator's cells (Decision, Notes)
    are not among them. Other imports (feedback, industry forms) use only ``pieces`` and ``cut``.
    """

    rows: list[Record] = field(default_factory=list)
    updates: dict[str, Record] = field(default_factory=dict)
    """Resubmissions: applicant id -> the cells to write over that applicant's row."""
    pieces: list[Record] = field(default_factory=list)
    """Long answers rows (keyed ``<applicant id>/<question key>/<part>``)."""
    cut: int = 0
    """How many answers were cut to fit their cell."""
    skipped: list[str] = field(default_factory=list)
    """Responses the form source could not read, by row and field (for StepResult.problems)."""

    def writes(self) -> list[Record]:
        """Every record to upsert into Applications: updates of known rows, then new rows."""
        return [*self.updates.values(), *self.rows]

    def apply(self, rows: list[Record]) -> list[Record]:
        """``rows`` (the tab as read) with the resubmitted answers in place, then the new rows."""
        merged = [{**row, **self.updates.get(str(row.get(sheet.APPLICANT_ID) or ""), {})}
                  for row in rows]
        return merged + self.rows


def keep_long_answers(ctx: StepContext, intake: Intake, result: StepResult) -> None:
    """Write the full text of cut answers to the Long answers tab (before the rows naming it).

    Written first so that a cell's marker never names text that is not there; keyed, so a rerun
    after a failed Applications write updates the same rows instead of adding copies.
    """
    if not intake.pieces:
        return
    batch: list[Record] = []
    size = 0
    for piece in intake.pieces:
        units = utf16_length(str(piece[sheet.LONG_ANSWER_TEXT]))
        if batch and size + units > PIECES_PER_WRITE_UNITS:
            ctx.ports.roster.upsert(sheet.LONG_ANSWERS, sheet.LONG_ANSWER_KEY, batch)
            batch, size = [], 0
        batch.append(piece)
        size += units
    ctx.ports.roster.upsert(sheet.LONG_ANSWERS, sheet.LONG_ANSWER_KEY, batch)
    result.add("answers cut to fit a cell (full text in Long answers)", intake.cut)


NOTE_CHARS = 5_000
"""A student note longer than this is cut in its cell (Sheets refuses cells over 50,000)."""


def fitted_note(note: str) -> str:
    """The student's note as its cell holds it: past :data:`NOTE_CHARS`, cut with a visible marker.

    The whole note stays in the form it came from (the assignments' hand-in form).
    """
    if len(note) <= NOTE_CHARS:
        return note
    return (note[:safe_cut(note, NOTE_CHARS)]
            + f" … [cut: {len(note):,} characters in all; the whole note is in the hand-in form]")
