"""The program's own forms (industry, registration, release, feedback): built, linked, read back.

Every form a family, student or partner fills in exists in each of the program's languages
(:func:`form_languages`; the partners' industry form in those partners read,
:func:`~microintern.steps.partners.industry_form_languages`), one form per language named by
:func:`~microintern.domain.forms.form_name_in`; each letter
links the form in its reader's language (:func:`link_in`) and the steps read every language's
form together (:func:`read_answers_in`), keyed by the same question keys.

Each form is made from a :class:`~microintern.domain.forms.FormSpec` whose ``name`` labels it.
The first run creates it and remembers its id and link in the Settings tab at once, so every
later run updates that same form; answers are read back by question title and returned keyed
by the spec's question keys. Links are prefilled through the spec's stable question ids, so a
respondent's row is found by the id the link carried (an applicant id, a partner id), never
by a name someone typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from microintern.config import ProgramConfig
from microintern.domain.forms import FormSpec, FormState, prefill_entry
from microintern.steps.context import StepContext
from microintern.steps.sheet.settings import read_settings, write_settings


def id_setting(spec: FormSpec) -> str:
    """The Settings tab label of the form's id."""
    return f"Form {spec.name} ID"


def link_setting(spec: FormSpec) -> str:
    """The Settings tab label of the form's public link."""
    return f"Form {spec.name} link"


def form_languages(config: ProgramConfig) -> list[str]:
    """The languages every family-facing form exists in: the default first, then the others."""
    default = config.program.default_language
    return [default, *(language for language in config.program.languages if language != default)]


def languages_with_text(config: ProgramConfig, has_text: Sequence[str]) -> list[str]:
    """:func:`form_languages` narrowed to the languages a form has text in (the default kept).

    A reader of another language is sent the default language's form (:func:`link_in`), rather
    than a form named for their language that would only repeat the default's text.
    """
    default = config.program.default_language
    return [language for language in form_languages(config)
            if language == default or language in has_text]


def ensure_form(ctx: StepContext, spec: FormSpec) -> FormState:
    """Create (once) or update the form ``spec`` describes, publish it, and remember it."""
    return _sync(ctx, spec, read_settings(ctx.ports.roster))


def ensure_forms(ctx: StepContext, specs: Mapping[str, FormSpec]) -> dict[str, FormState]:
    """:func:`ensure_form` for each language's form (language → spec), the Settings tab read once."""
    settings = read_settings(ctx.ports.roster)
    return {language: _sync(ctx, spec, settings) for language, spec in specs.items()}


def _sync(ctx: StepContext, spec: FormSpec, settings: dict[str, str]) -> FormState:
    roster = ctx.ports.roster
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
    """The form's link with the questions ``values`` names (by key) filled in.

    A choice is given as the steps read it (the default form's option) and ticked as this
    form shows it (:meth:`~microintern.domain.forms.FormQuestion.shown_as`).
    """
    ids = spec.question_ids()
    questions = {q.key: q for q in spec.questions}
    query = [("usp", "pp_url")] + [(prefill_entry(ids[key]), questions[key].shown_as(value))
                                   for key, value in values.items()]
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
    titles = {q.title: q for q in spec.questions}
    answers: list[Answers] = []
    for response in ctx.ports.surveys.fetch_responses(form_id):
        by_key = {q.key: "" for q in spec.questions}
        for title, value in response.answers.items():
            question = titles.get(title)
            if question is not None:
                by_key[question.key] = question.read_as(str(value))
        answers.append(Answers(response.response_id, response.submitted_at, by_key,
                               response.respondent_email))
    return answers


def read_answers_in(ctx: StepContext, specs: Mapping[str, FormSpec],
                    forms: Mapping[str, FormState]) -> list[Answers]:
    """Every response to every language's form, merged and oldest first.

    Each form is read with its own spec (its questions' titles are in its language), so an
    answer on any language's form comes back under the same keys and means the same.
    """
    merged: list[Answers] = []
    for language, spec in specs.items():
        merged.extend(read_answers(ctx, spec, forms[language].form_id))
    merged.sort(key=lambda answers: answers.submitted_at)  # stable: one form's order is kept
    return merged


def link_in(language: str, specs: Mapping[str, FormSpec], forms: Mapping[str, FormState],
            values: Mapping[str, str]) -> str:
    """The prefilled link to the form in ``language`` (the first form's when it has none)."""
    found = language if language in forms else next(iter(forms))
    return prefilled_link(forms[found].responder_uri, specs[found], values)


def latest_by(answers: list[Answers], key: str) -> dict[str, Answers]:
    """The latest response per value of question ``key`` (e.g. per applicant id)."""
    latest: dict[str, Answers] = {}
    for item in answers:
        value = item.by_key.get(key, "").strip()
        if value:
            latest[value] = item  # answers come oldest first: a later one replaces it
    return latest
