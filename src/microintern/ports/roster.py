"""The Roster port: the program spreadsheet as tabs of records keyed by header."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from microintern.domain.records import (
    ChartSpec,
    Record,
)

if TYPE_CHECKING:
    # For the annotation only: sheet_rules pulls in the screening package (look-alike tables),
    # a tenth of an idle run-due's start, and no run-due step applies rules.
    from microintern.domain.sheet_rules import SheetRules


@dataclass(frozen=True)
class UpsertResult:
    """How many rows an upsert updated in place and how many it added."""

    updated: int
    appended: int


class Roster(Protocol):
    """The program spreadsheet: tabs of records with a header row."""

    def ensure_tabs(self, layout: Mapping[str, Sequence[str]]) -> None:
        """Create missing tabs and append missing headers; never touch existing data."""
        ...

    def read_tabs(self, tabs: Sequence[str]) -> dict[str, list[Record]]:
        """Read whole tabs (unformatted values) in one backend call; absent tabs read empty."""
        ...

    def upsert(self, tab: str, key_column: str, rows: Sequence[Record]) -> UpsertResult:
        """Write ``rows`` found by ``key_column``: only the columns each row names are written.

        Existing rows are located by key at write time (never by position) and updated cell by
        cell; unknown keys are added at the bottom. Values are stored as given (RAW): text that
        looks like a formula stays text.
        """
        ...

    def clear_unkeyed(self, tab: str, key_column: str, columns: Sequence[str]) -> int:
        """Blank ``columns`` on rows whose ``key_column`` is empty; return how many rows.

        Tool cells never belong on a row without an id: one found there landed on a row the
        coordinator inserted between a read and a write, and is taken back.
        """
        ...

    def apply_rules(self, rules: SheetRules) -> None:
        """Dropdowns, highlights, warnings and frozen panes; idempotent.

        Columns are found by header in row 1 at the time of the call; a rerun adds nothing
        twice and moves rules to columns the coordinator moved. Data is never touched.
        """
        ...

    def ensure_charts(self, tab: str, charts: Sequence[ChartSpec]) -> None:
        """Draw ``charts`` on ``tab`` (native charts); idempotent.

        A chart of the tab with the same title is updated in place (where the coordinator moved
        it stays), a missing one is added; other charts are left alone. Rows are found by each
        spec's key column now; keys not in the tab are left out of the chart. Data is untouched.
        """
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Gather the writes of the ``with`` block and save them together when it ends.

        Reads inside the block see its writes. The end of every block (nested ones too, and
        one left by an error) is a save point. The local workbook saves once instead of per
        call, and still saves at once what must be on disk first (see
        :mod:`microintern.adapters.local.workbook`). On Sheets the outermost block is also the
        command's snapshot: tabs are read once (the first read takes every tab asked for in
        one call); a nested block's end is not a save point there, a send and the run lease
        are, and each save writes every tab in one call; what was written by row number is
        read back at the outermost end (see :mod:`microintern.adapters.google.sheets`).
        """
        ...
