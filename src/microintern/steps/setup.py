"""Setting up the program spreadsheet: tabs and headers the steps rely on."""

from __future__ import annotations

from microintern.config import ProgramConfig
from microintern.domain import program_sheet as sheet
from microintern.ports import Roster


def initialise(config: ProgramConfig, roster: Roster) -> list[str]:
    """Create missing tabs and headers; return the tab names. Existing data is untouched."""
    layout = sheet.layout([q.title for q in config.application.questions])
    roster.ensure_tabs(layout)
    return list(layout)
