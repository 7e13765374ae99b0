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
from microintern.steps.context import StepContext, StepResult
from microintern.steps.sheet.settings import (
    FORM_ID_SETTING,
    FORM_LINK_SETTING,
    read_settings,
    write_settings,
)

log = logging.getLogger(__name__)


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
