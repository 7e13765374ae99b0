"""After a write of cells: read the tab back and repair what a sort put on other rows.

Sheets has no row identity an A1 write can target, so cells are written by row number from the
run's last read of the tab. A sort, an inserted or a deleted row since then puts them on other
rows. :func:`settle` checks the read-back (gathered for every tab a flush wrote, in one
``values.batchGet``) and, only when a row written no longer holds the key it was written for,
rewrites cells where they belong and reads that tab again, up to :data:`REPAIR_ROUNDS` times. The
rules are in :mod:`microintern.adapters.google.sheets`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from microintern.adapters.google.sheet_values import (
    Stamps,
    TabRead,
    line,
    norm,
    ranges,
    same,
)
from microintern.domain.records import Cell
from microintern.errors import BackendError

log = logging.getLogger(__name__)

REPAIR_ROUNDS = 4  # read-backs after a write of cells before giving up on a tab that keeps moving

Values = list[list[Any]]


def settle(tab: str, key_column: str, intended: Mapping[str, Mapping[str, Cell]],
           saw: Mapping[str, Mapping[str, Any]], stamps: Stamps, *,
           first: Values, read: Callable[[], Values], write: Callable[[list[dict[str, Any]]], None],
           append: Callable[[Mapping[str, list[Cell]]], None],
           blank: Sequence[str] = ()) -> Values | None:
    """Check the read-back ``first`` of ``tab`` and repair cells that landed on other rows.

    ``intended``: the cells each key of this write must hold. ``saw``: the written columns of
    every other key as the read before the write saw them. ``stamps``: the cells just written,
    by row number. ``blank``: columns that must be blank on rows without a key (for
    ``clear_unkeyed``). ``read`` reads the tab again, ``write`` writes cells, ``append`` adds
    rows by key. Returns the tab's values as last read when they are still what the tab holds
    (None when rows were appended after that read).
    """
    written: Stamps = dict(stamps)  # every cell written so far, the latest per cell
    columns = sorted({name for (_, name) in stamps})  # the columns written by cell
    ours: dict[tuple[str, Any], set[str | None]] = {}  # (header, value) → rows meant for
    for (_, name), (value, meant) in stamps.items():
        ours.setdefault((name, norm(value)), set()).add(meant)
    latest = stamps
    values = first
    for round_ in range(REPAIR_ROUNDS):
        if round_:
            values = read()  # the check of the last round's repair
        now = TabRead(values, key_column)
        if all(now.key_at(number) == key for (number, _), (_, key) in latest.items()):
            return values  # every row written still holds its key: each cell is where it belongs
        repairs = _repairs(now, intended, saw, written, ours, columns, blank)
        gone = {key: cells for key, cells in intended.items() if key not in now.where}
        appended = False
        if gone:  # the row was deleted between our read and our write: add it again
            position = {name: i for i, name in enumerate(now.header)}
            if key_column in position and all(n in position for c in gone.values() for n in c):
                append({key: line(now.header, position, key_column, key, cells)
                        for key, cells in gone.items()})
                appended = True
        if not repairs:
            return None if appended else values
        log.warning("tab %s changed while microintern wrote to it (sorted, or rows inserted "
                    "or deleted): %d cells rewritten on the rows where they belong",
                    tab, len(repairs))
        write(ranges(tab, now.position, repairs))
        written.update(repairs)
        for (_, name), (value, meant) in repairs.items():
            ours.setdefault((name, norm(value)), set()).add(meant)
        latest = repairs
    raise BackendError(
        f"the {tab!r} tab kept changing (sorted, or rows inserted or deleted) while "
        f"microintern wrote to it: {REPAIR_ROUNDS} read-backs in a row found cells on other "
        "rows, and the last repair could not be checked. Let the tab rest, then run the "
        "command again")


def _repairs(now: TabRead, intended: Mapping[str, Mapping[str, Cell]],
             saw: Mapping[str, Mapping[str, Any]], written: Stamps,
             ours: Mapping[tuple[str, Any], set[str | None]], columns: Sequence[str],
             blank: Sequence[str]) -> Stamps:
    """The cells to rewrite, by the row each belongs on now."""
    repairs: Stamps = {}
    by_row: dict[int, list[tuple[str, Cell, str | None]]] = {}
    for (row, name), (value, meant) in written.items():
        by_row.setdefault(row, []).append((name, value, meant))
    for number in range(2, len(now.values) + 1):
        key = now.key_at(number)
        # The first row of a key of this write holds its cells (later twins are left).
        mine = intended.get(key, {}) if key is not None and now.where.get(key) == number else {}
        for name, value in mine.items():
            if not same(now.get(number, name), value):
                repairs[number, name] = (value, key)
        own_row = saw.get(key) if key is not None else None
        if own_row is not None:
            # By value, wherever the row has moved since: a cell that no longer holds what the
            # first read saw, but what we wrote for another row.
            for name, own in own_row.items():
                current = now.get(number, name)
                if name in mine or same(current, own):
                    continue
                if ours.get((name, norm(current)), set()) - {key}:
                    repairs[number, name] = (own, key)
        # By row number: what we wrote on this row for another one, on a row the first read did
        # not have (no key, or a key typed since).
        for name, value, meant in by_row.get(number, ()):
            if name in mine or meant == key or (number, name) in repairs or \
                    not same(now.get(number, name), value):
                continue
            own = own_row.get(name, "") if own_row is not None else ""
            if not same(value, own):
                repairs[number, name] = (own, key)
        if own_row is None:
            # A row the first read did not have (no key, a key this write appended, or one typed
            # since), wherever a sort has moved it: a cell holding what we wrote for another row
            # goes back to blank (a new row has only its own).
            for name in columns:
                current = now.get(number, name)
                if name in mine or current in ("", None) or (number, name) in repairs:
                    continue
                if ours.get((name, norm(current)), set()) - {key}:
                    repairs[number, name] = ("", key)
        if key is None:
            for name in blank:
                if now.get(number, name) not in ("", None):
                    repairs[number, name] = ("", None)
    return repairs
