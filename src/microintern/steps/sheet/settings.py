"""The Settings tab: values a run remembers for later runs (setting → value).

Form ids and links live here once a run made the form, so every later run updates that same
form instead of making another.
"""

from __future__ import annotations

from collections.abc import Mapping

from microintern.domain import program_sheet as sheet
from microintern.ports import Roster

FORM_ID_SETTING = "Application form ID"
FORM_LINK_SETTING = "Application form link"


def read_settings(roster: Roster) -> dict[str, str]:
    """The Settings tab as setting → value; the tab is created (empty) if missing."""
    # Created first rather than read as absent: Sheets answers a read of a missing tab with a 400.
    roster.ensure_tabs({sheet.SETTINGS: sheet.SETTINGS_COLUMNS})
    rows = roster.read_tabs([sheet.SETTINGS])[sheet.SETTINGS]
    settings: dict[str, str] = {}
    for row in rows:
        name = str(row.get(sheet.SETTING) or "").strip()
        if name:
            settings.setdefault(name, str(row.get(sheet.SETTING_VALUE) or "").strip())
    return settings


def write_settings(roster: Roster, values: dict[str, str]) -> None:
    """Store ``values`` in the Settings tab, one row per setting (after :func:`read_settings`)."""
    roster.upsert(sheet.SETTINGS, sheet.SETTING,
                  [{sheet.SETTING: name, sheet.SETTING_VALUE: value} for name, value in values.items()])


def remembered_form_id(roster: Roster) -> str | None:
    """The id of the application form a run created, as remembered in the Settings tab."""
    return read_settings(roster).get(FORM_ID_SETTING) or None


# The submissions folders of a multi-week session (steps.assignments): remembered per session.
def folder_setting(session_id: str) -> str:
    """The Settings tab label of a session's submissions folder id."""
    return f"Submissions folder {session_id} ID"


def access_setting(session_id: str) -> str:
    """The Settings tab label of who the session's submissions folder is shared with."""
    return f"Submissions folder {session_id} shared with"


def access_ended_setting(session_id: str) -> str:
    """The Settings tab label of the day the session's folders were unshared."""
    return f"Submissions access ended {session_id}"


def access_cell(access: Mapping[str, str]) -> str:
    """``access`` (address → role) as one Settings cell, in a stable order."""
    return ", ".join(f"{address} {role}" for address, role in sorted(access.items()))


def parse_access(cell: str) -> dict[str, str]:
    """A Settings cell written by :func:`access_cell`, back as address → role."""
    found: dict[str, str] = {}
    for part in cell.split(","):
        address, _, role = part.strip().rpartition(" ")
        if address:
            found[address] = role
    return found
