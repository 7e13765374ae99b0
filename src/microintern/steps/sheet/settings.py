"""The Settings tab: values a run remembers for later runs (setting → value).

Form ids and links live here once a run made the form, so every later run updates that same
form instead of making another.
"""

from __future__ import annotations

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
