"""Every letter in every language the program writes it in, checked before anything is sent.

``check-config`` calls :func:`template_problems`: for each letter of the catalog and each of the
program's languages it is written in, the three templates (subject, text, HTML) must exist, and
the letter must render once, strictly (a field the template names but the context does not have
is an error, never a blank), with the context its preview is built with
(:class:`~microintern.steps.previews.PreviewSource` without a sheet): the program's own names,
coordinator, sessions (a multi-week one for letters about multi-week sessions) and partners, each
value built by the same functions the step that sends the letter uses, with a placeholder student
for what only a student gives. So check-config checks what ``send-test``, the letters preview and
the real letters render, never the catalog's fictional samples. A missing template or a field no
letter has would otherwise only surface at send time, in the middle of a batch. The flyers the
outreach letters carry are checked the same way, in every language
(:func:`~microintern.documents.flyer.flyer_problems`), and so are the forms' texts
(``forms/<form>.<language>.yaml``, :func:`form_problems`): a file that does not parse, lacks a
key or has the wrong number of options is one line naming the file and the key.
"""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateError as JinjaError
from jinja2 import TemplateNotFound

from microintern.config import LANGUAGES, ProgramConfig
from microintern.config.form_texts import FORM_FIELDS, FORM_LABELS
from microintern.documents.flyer import flyer_problems
from microintern.documents.report.text import file_name, has_report_text, load_report_text
from microintern.domain.catalog import LETTERS, LetterSpec
from microintern.domain.hidden_text import one_line
from microintern.domain.letters import PARTS, LetterRenderer, display_context, render_template
from microintern.errors import ConfigError, TemplateError
from microintern.steps.previews import PreviewSource

# The flyers print the application form's link (and its QR code): any well-formed link checks them.
_FORM_URL = "https://docs.google.com/forms/d/e/check-config/viewform"


def letter_languages(config: ProgramConfig, spec: LetterSpec) -> list[str]:
    """The languages ``spec`` must exist in for this program.

    A letter to families or students in every language of the program: a language exists when
    its templates exist, so a missing one is a problem. A letter for partners or staff in each
    of the program's languages the catalog writes it in (English and Spanish for partners), else
    the ones it has: a partner reading another language is written to in English, never missed.
    """
    if spec.audience in ("student", "family"):
        return list(config.program.languages)
    wanted = [language for language in config.program.languages if language in spec.languages]
    return wanted or list(spec.languages)


def check_context(config: ProgramConfig, spec: LetterSpec, language: str,
                  source: PreviewSource | None = None) -> dict[str, Any]:
    """The context ``spec`` is checked with in ``language``: its preview's, from the program's data.

    ``source`` is the program's data read once for a whole check (by default the config alone,
    with a placeholder student). Raises ValueError for a context key no preview can give.
    """
    context, _ = (source or PreviewSource(config, None)).context(spec, language)
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
                    language: str, source: PreviewSource | None = None) -> list[str]:
    """What is wrong with one letter in one language (empty: it renders with the program's data).

    ``source``: the program's data, read once for every letter (see :func:`check_context`).
    """
    label = f"{spec.name} ({LANGUAGES.get(language, language)}, {language})"
    names = [renderer.template_name(spec.name, language, part) for part in PARTS]
    missing = [name for name in names if not _exists(renderer, name)]
    if missing:
        return [f"{label}: missing {', '.join(missing)}"]
    try:
        built = check_context(config, spec, language, source)
    except ValueError as exc:  # the catalog names a field no step (so no preview) can give
        return [f"{label}: {exc}"]
    except ConfigError:  # a broken form file the letter links: form_problems names it, once
        return []
    # Names made one line, as every letter is rendered (LetterRenderer.render).
    context = display_context(built)
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


# The forms families read (the registration link goes to the student, the release form to the
# family, the feedback form to the student), noted for each program language they lack.
_FAMILY_FORMS = ("registration", "release", "feedback")


def form_notes(config: ProgramConfig) -> list[str]:
    """One informational line per family form x program language it has no file in (not a problem).

    A form exists in a language when ``templates/forms/<form>.<language>.yaml`` exists. A family
    reading a language without one is sent the default language's form: its letters are in its
    own language and link that form, and no extra form is made.
    """
    default = config.program.default_language
    return [f"{FORM_LABELS[form]}: no {LANGUAGES.get(language, language)} text; families reading "
            f"{language} get the {LANGUAGES.get(default, default)} form"
            for form in _FAMILY_FORMS
            for language in config.program.languages if not config.form_texts.has(form, language)]


def form_problems(config: ProgramConfig) -> list[str]:
    """Every form file of the program's languages that is broken, and every form without a
    default-language file, one line each naming the file and the key."""
    return config.form_texts.problems(FORM_FIELDS, config.program.default_language)


def template_problems(config: ProgramConfig, renderer: LetterRenderer) -> list[str]:
    """Every missing letter x language pair, every letter or flyer that does not render and every
    broken form file, one line each."""
    source = PreviewSource(config, None)    # the program's data, built once for every letter
    return [*(problem
              for spec, language in letter_pairs(config)
              for problem in letter_problems(config, renderer, spec, language, source)),
            *flyer_problems(config, renderer.environment, _FORM_URL),
            *form_problems(config),
            *report_problems(config)]


def report_problems(config: ProgramConfig) -> list[str]:
    """Every report text file of a program language that does not load, one line per problem.

    A file that lacks a key or a ``{placeholder}`` of the English one fails here rather than
    when the coordinator asks for the report.
    """
    folder = config.resolve(config.templates_folder)
    problems: list[str] = []
    for language in config.program.languages:
        if has_report_text(folder, language):
            try:
                load_report_text(folder, language)
            except TemplateError as exc:
                # "<file>: N problem(s)" then one "- <problem>" line each: one line per problem.
                header, *details = str(exc).splitlines()
                source = header.rsplit(": ", 1)[0] if details else header
                problems += [f"{source}: {line.strip().removeprefix('- ')}" for line in details] \
                    or [header]
    return problems


def report_notes(config: ProgramConfig) -> list[str]:
    """One informational line per program language the report has no text in (not a problem)."""
    folder = config.resolve(config.templates_folder)
    return [f"report: no {LANGUAGES.get(language, language)} text ({file_name(language)}); "
            f"`report --language {language}` is refused until it exists"
            for language in config.program.languages if not has_report_text(folder, language)]
