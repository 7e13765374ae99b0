"""The program's own forms (industry, registration, release, feedback): built, linked, read back.

Each form is made from a :class:`~microintern.domain.forms.FormSpec` whose ``name`` labels it.
The first run creates it and remembers its id and link in the Settings tab at once, so every
later run updates that same form; answers are read back by question title and returned keyed
by the spec's question keys. Links are prefilled through the spec's stable question ids, so a
respondent's row is found by the id the link carried (an applicant id, a partner id), never
by a name someone typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from microintern.domain.forms import FormSpec, FormState, prefill_entry
from microintern.steps.context import StepContext
from microintern.steps.sheet.settings import read_settings, write_settings


def id_setting(spec: FormSpec) -> str:
    """The Settings tab label of the form's id."""
    return f"Form {spec.name} ID"


def link_setting(spec: FormSpec) -> str:
    """The Settings tab label of the form's public link."""
    return f"Form {spec.name} link"


def ensure_form(ctx: StepContext, spec: FormSpec) -> FormState:
    """Create (once) or update the form ``spec`` describes, publish it, and remember it."""
    roster = ctx.ports.roster
    settings = read_settings(roster)
    form_id = settings.get(id_setting(spec)) or None

    def remember(new_id: str, link: str) -> None:
        write_settings(roster, {id_setting(spec): new_id, link_setting(spec): link})
        settings.update({id_setting(spec): new_id, link_setting(spec): link})

    state = ctx.ports.surveys.sync_form(form_id, spec, on_created=remember)
    if settings.get(id_setting(spec)) != state.form_id or \
            settings.get(link_setting(spec)) != state.responder_uri:
        remember(state.form_id, state.responder_uri)
    return state


def prefilled_link(responder_uri: str, spec: FormSpec, values: Mapping[str, str]) -> str:
    """The form's link with the questions ``values`` names (by key) filled in."""
    ids = spec.question_ids()
    query = [("usp", "pp_url")] + [(prefill_entry(ids[key]), value) for key, value in values.items()]
    separator = "&" if "?" in responder_uri else "?"
    return responder_uri + separator + urlencode(query)


@dataclass(frozen=True)
class Answers:
    """One returned form: when it came and its answers by question key (blank when skipped)."""

    response_id: str
    submitted_at: datetime
    by_key: Mapping[str, str]
    respondent_email: str | None = None
    """The signed-in address the form verified, when it collects one (never typed)."""


def read_answers(ctx: StepContext, spec: FormSpec, form_id: str) -> list[Answers]:
    """Every response to the form, oldest first, with answers keyed by question key."""
    titles = {q.title: q.key for q in spec.questions}
    answers: list[Answers] = []
    for response in ctx.ports.surveys.fetch_responses(form_id):
        by_key = {key: "" for key in titles.values()}
        for title, value in response.answers.items():
            key = titles.get(title)
            if key is not None:
                by_key[key] = str(value)
        answers.append(Answers(response.response_id, response.submitted_at, by_key,
                               response.respondent_email))
    return answers


def latest_by(answers: list[Answers], key: str) -> dict[str, Answers]:
    """The latest response per value of question ``key`` (e.g. per applicant id)."""
    latest: dict[str, Answers] = {}
    for item in answers:
        value = item.by_key.get(key, "").strip()
        if value:
            latest[value] = item  # answers come oldest first: a later one replaces it
    return latest
