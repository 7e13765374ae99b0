"""Setting up the program spreadsheet: tabs and headers the steps rely on, and its guides."""

from __future__ import annotations

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.ports import Roster


def program_layout(config: ProgramConfig) -> dict[str, tuple[str, ...]]:
    """Every tab of this program's sheet with its headers."""
    return sheet.layout([q.title for q in config.application.questions], config.feedback.ratings)


def initialise(config: ProgramConfig, roster: Roster) -> list[str]:
    """Create missing tabs and headers; return the tab names. Existing data is untouched."""
    layout = program_layout(config)
    roster.ensure_tabs(layout)
    return list(layout)


def format_sheet(config: ProgramConfig, roster: Roster) -> None:
    """Add the dropdowns, highlights, warnings on tool columns and frozen panes (after initialise).

    Idempotent, but it reads the sheet's formatting each time: ``microintern init`` runs it, the
    scheduled runs (which call :func:`initialise` before every step) do not.
    """
    # Imported here: the rules pull in the screening package (its look-alike tables), which
    # only `init` needs; every scheduled run imports this module for `initialise`.
    from microintern.domain.sheet_rules import sheet_rules

    roster.apply_rules(sheet_rules(config))
