"""Every letter in every language the program writes it in, checked before anything is sent.

``check-config`` calls :func:`template_problems`: for each letter of the catalog and each of the
program's languages it is written in, the three templates (subject, text, HTML) must exist, and
the letter must render once, strictly (a field the template names but the context does not have
is an error, never a blank), with the program's own data: its program and district names, its
coordinator, a real session (the first multi-week one for letters about multi-week sessions)
and that session's partner, all in the letter's language as the steps build them. Values no
config holds (a student's name and id, links made by forms, a roster, ratings) come from the
catalog's fictional samples. A missing template or a field no letter has would otherwise only
surface at send time, in the middle of a batch. The flyers the outreach letters carry are
checked the same way, in every language (:func:`~microintern.documents.flyer.flyer_problems`).
"""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateError as JinjaError
from jinja2 import TemplateNotFound

from microintern.config import LANGUAGES, ProgramConfig, Session
from microintern.documents.flyer import flyer_problems
from microintern.domain.catalog import LETTERS, LetterSpec, sample_context
from microintern.domain.hidden_text import one_line
from microintern.domain.letters import PARTS, LetterRenderer, display_context, render_template
from microintern.errors import TemplateError
from microintern.steps.letter_context import partner_context, partner_of, program_context, session_context

# Letters whose sample is a multi-week session: checked with one of the program's, if it has one.
_MULTI_WEEK_LETTERS = frozenset({"session_details_student", "session_details_partner", "hours_log_link",
                                 "hours_pending", "assignment_given", "assignment_reminder",
                                 "assignment_feedback", "partner_feedback_reminder"})

_MEET_URL = "https://meet.google.com/aaa-bbbb-ccc"
# The flyers print the application form's link (and its QR code): any well-formed link checks them.
_FORM_URL = "https://docs.google.com/forms/d/e/check-config/viewform"


def letter_languages(config: ProgramConfig, spec: LetterSpec) -> list[str]:
    """The languages ``spec`` must exist in for this program.

    The program's languages the letter is written in; a letter for partners or staff, written
    in fewer languages than families read, in the languages it has.
    """
    wanted = [language for language in config.program.languages if language in spec.languages]
    return wanted or list(spec.languages)


def _session_for(config: ProgramConfig, spec: LetterSpec) -> Session:
    if spec.name in _MULTI_WEEK_LETTERS:
        for session in config.sessions:
            if len(session.meeting_starts()) > 1:
                return session
    return config.sessions[0]


def check_context(config: ProgramConfig, spec: LetterSpec, language: str) -> dict[str, Any]:
    """The context ``spec`` is checked with: the program's data, samples for the rest."""
    context = sample_context(spec.name, language)
    session = _session_for(config, spec)
    real: dict[str, Any] = {
        **program_context(config, language=language),
        "partner": partner_context(partner_of(config, session), language),
        "session": session_context(config, session, meet_url=_MEET_URL, language=language),
    }
    for key in spec.needs:
        if key in real:
            context[key] = real[key]
    if "session" in context:
        # What the recording rule says is the step's wording; keep the sample's.
        context["session"]["recording_reason"] = sample_context(spec.name, language)["session"][
            "recording_reason"]
    return context


def _exists(renderer: LetterRenderer, name: str) -> bool:
    try:
        renderer.environment.get_template(name)
    except TemplateNotFound:
        return False
    except JinjaError:
        return True  # it exists; rendering names what is wrong with it
    return True


def letter_problems(config: ProgramConfig, renderer: LetterRenderer, spec: LetterSpec,
                    language: str) -> list[str]:
    """What is wrong with one letter in one language (empty: it renders with the program's data)."""
    label = f"{spec.name} ({LANGUAGES.get(language, language)}, {language})"
    names = [renderer.template_name(spec.name, language, part) for part in PARTS]
    missing = [name for name in names if not _exists(renderer, name)]
    if missing:
        return [f"{label}: missing {', '.join(missing)}"]
    # Names made one line, as every letter is rendered (LetterRenderer.render).
    context = display_context(check_context(config, spec, language))
    problems: list[str] = []
    for part, name in zip(PARTS, names, strict=True):
        try:
            text = render_template(renderer.environment, name, context)
        except TemplateError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if part == "subject" and not one_line(text):
            problems.append(f"{label}: {name} renders an empty subject")
    return problems


def letter_pairs(config: ProgramConfig) -> list[tuple[LetterSpec, str]]:
    """Every letter x language this program writes."""
    return [(spec, language) for spec in LETTERS.values() for language in letter_languages(config, spec)]


def template_problems(config: ProgramConfig, renderer: LetterRenderer) -> list[str]:
    """Every missing letter x language pair and every letter or flyer that does not render, one line each."""
    return [*(problem
              for spec, language in letter_pairs(config)
              for problem in letter_problems(config, renderer, spec, language)),
            *flyer_problems(config, renderer.environment, _FORM_URL)]
