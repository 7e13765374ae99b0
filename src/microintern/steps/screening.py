"""Screening: import new applications, score, flag and propose, and write it all back.

The coordinator's columns are never written. Tool cells are written to the row that holds the
applicant's id at write time; because a coordinator may sort or insert rows between that
lookup and the write, the tab is read back and any row whose tool cells are not its own is
rewritten. A normal run makes at most five Sheets calls whatever the number of applications:
read, upsert (read, cell writes, append) and the check; an answer too long for its cell adds
the Long answers tab's upsert (read, append), where its full text is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from microintern.domain import program_sheet as sheet
from microintern.domain.records import Cell, Record
from microintern.domain.screening import screen, screening_cells
from microintern.steps.context import StepContext, StepResult
from microintern.steps.sheet.applicants import new_responses
from microintern.steps.sheet.long_answers import keep_long_answers

REPAIR_ROUNDS = 3


def _same(a: Cell, b: Cell) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) < 1e-9
    return str(a) == str(b)


def _changed(current: Mapping[str, Cell], wanted: Mapping[str, Cell]) -> dict[str, Cell]:
    return {name: value for name, value in wanted.items() if not _same(current.get(name), value)}


def screening_writes(rows: list[Record], new_rows: list[Record],
                     cells: Mapping[str, Record]) -> list[Record]:
    """The cells to write: whole new rows, and only the tool cells that changed on known rows.

    ``cells`` is :func:`~microintern.domain.screening.screening_cells` of the screening.
    """
    writes: list[Record] = []
    for row in new_rows:
        applicant = str(row[sheet.APPLICANT_ID])
        writes.append({**row, **cells.get(applicant, {})})
    for row in rows:
        applicant = str(row.get(sheet.APPLICANT_ID) or "")
        if applicant not in cells:
            continue
        changed = _changed(row, cells[applicant])
        if changed:
            writes.append({sheet.APPLICANT_ID: applicant, **changed})
    return writes


def misplaced(rows: list[Record], cells: Mapping[str, Record]) -> list[Record]:
    """Rewrites for rows whose tool cells are not their own (a sort raced a write)."""
    repairs: list[Record] = []
    for row in rows:
        applicant = str(row.get(sheet.APPLICANT_ID) or "")
        if applicant in cells and _changed(row, cells[applicant]):
            repairs.append({sheet.APPLICANT_ID: applicant, **cells[applicant]})
    return repairs


def screen_applications(ctx: StepContext) -> StepResult:
    """Import new responses, then score, flag and propose for every applicant."""
    result = StepResult()
    roster = ctx.ports.roster
    rows = roster.read_tabs([sheet.APPLICATIONS])[sheet.APPLICATIONS]
    intake = new_responses(ctx, rows)
    new_rows = intake.rows
    result.add("imported", len(new_rows))
    result.problems.extend(intake.skipped)
    if intake.updates:
        result.add("resubmissions merged into the student's row", len(intake.updates))
    keep_long_answers(ctx, intake, result)
    # A resubmission updates its student's row in place: screened on its latest answers.
    rows = intake.apply(rows)[:len(rows)]
    screening = screen(rows + new_rows, ctx.config, now=ctx.now)
    cells = screening_cells(screening)
    writes = [w for w in screening_writes(rows, new_rows, cells)
              if str(w[sheet.APPLICANT_ID]) not in intake.updates]
    for applicant, update in intake.updates.items():
        # The answers themselves go out with the row's tool cells, in the same upsert.
        writes.append({**update, **cells.get(applicant, {}), sheet.APPLICANT_ID: applicant})
    if writes:
        # The roster finds rows by id at write time and repairs, within the call, any cell a
        # sort, insert or delete put on another row meanwhile (see the adapters); no read-back
        # is needed here.
        roster.upsert(sheet.APPLICATIONS, sheet.APPLICANT_ID, writes)
    stray = any(not r.get(sheet.APPLICANT_ID) and any(r.get(c) not in (None, "")
                for c in sheet.SCREENING_COLUMNS) for r in rows)
    if stray:
        # Tool cells on a row without an id, left by an older version's misplaced write.
        cleared = roster.clear_unkeyed(sheet.APPLICATIONS, sheet.APPLICANT_ID, sheet.SCREENING_COLUMNS)
        result.add("stray cells cleared from rows without an id", cleared)
    counts = screening.counts()
    result.add("screened", len(screening.applications))
    for decision, n in counts.items():
        if n:
            result.add(f"proposed {decision.value}", n)
    flagged = sum(1 for a in screening.applications if a.flags)
    if flagged:
        result.add("flagged", flagged)
    for skipped in screening.skipped:
        # Rows are counted among the tab's non-blank rows; the id (if any) names the row.
        result.problems.append(f"Applications, non-blank row {skipped.row + 1}: {skipped.reason} "
                               "(not screened)")
    return result
