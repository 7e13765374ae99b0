"""Application form: build the student application form from the config and publish it.

Safe to rerun: a form that already matches the config is not written to. When the config names
no form (``google.application_form_id``), the first run creates one and remembers its id and
link in the Settings tab of the program spreadsheet, so later runs update that same form
instead of creating another; the run asks the user to copy the id into the config.
"""

from __future__ import annotations

import logging

from microintern.domain import program_sheet as sheet
from microintern.domain.forms import FormState, form_spec
from microintern.errors import BackendError
from microintern.ports import Roster
from microintern.steps.context import StepContext, StepResult

log = logging.getLogger(__name__)

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


def ensure_application_form(ctx: StepContext) -> tuple[FormState, StepResult]:
    """Create or update the application form and publish it; return its state and the counts.

    The form id comes from the config (``ctx.application_form_id``), else from the Settings tab,
    else a new form is made and remembered there at once (before its questions are added, so a
    failure later in the run cannot lead to a second form).
    """
    spec = form_spec(ctx.config.application)
    roster = ctx.ports.roster
    form_id = ctx.application_form_id
    source = "google.application_form_id in the config"
    remembered: dict[str, str] = {}
    if form_id is None:
        remembered = read_settings(roster)
        form_id = remembered.get(FORM_ID_SETTING) or None
        source = (f"{FORM_ID_SETTING!r} in the {sheet.SETTINGS} tab of the program spreadsheet "
                  "(clear that value to have a new form made)")

    def remember(new_id: str, link: str) -> None:
        values = {FORM_ID_SETTING: new_id, FORM_LINK_SETTING: link}
        write_settings(roster, values)
        remembered.update(values)

    try:
        state = ctx.ports.forms.sync_form(
            form_id, spec, on_created=remember if ctx.application_form_id is None else None)
    except BackendError as exc:
        if form_id is not None and exc.code in (403, 404):
            raise BackendError(f"{exc}; the id came from {source}", code=exc.code) from None
        raise
    if ctx.application_form_id is None and (
        remembered.get(FORM_ID_SETTING) != state.form_id
        or remembered.get(FORM_LINK_SETTING) != state.responder_uri
    ):
        remember(state.form_id, state.responder_uri)

    result = StepResult()
    result.add("created" if state.created else "updated" if state.changed else "unchanged")
    if state.published:
        result.add("published")
    if ctx.application_form_id is None:
        # Remembered in the sheet, but the config is where people (and other steps) look. Loud
        # once, when the form is made; quiet on the daily runs after.
        log.log(logging.WARNING if state.created else logging.INFO,
                "%s the application form %s (%s); add `application_form_id: %s` under `google:` "
                "in the config", "created" if state.created else "using", state.form_id,
                state.responder_uri, state.form_id)
    return state, result


def sync_application_form(ctx: StepContext) -> StepResult:
    """The application form step: make the form match the config and publish it."""
    return ensure_application_form(ctx)[1]
