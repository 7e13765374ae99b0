"""The texts of the program's own forms, one YAML file per form and language.

``<templates_folder>/forms/<form>.<language>.yaml`` holds everything a form shows in that
language: its title, its questions' titles and its options' labels. A form exists in a
language when its file exists (as a letter does when its templates exist); a family reading a
language the form has no file in is sent the default language's form.

The files are read once, with the config (:func:`load_form_texts`), so the domain builds a form
from data already in memory. Each file is checked against :data:`FORM_FIELDS`: a missing or
unknown key, a wrong number of options, a placeholder the form cannot fill or a file that does
not parse is one problem line naming the file and the key (``check-config`` exits 2 on any),
and building that form raises :class:`~microintern.errors.ConfigError` with the same lines.

Options are listed in a fixed order: each position means the same answer in every language
(the steps read a Spanish "Sí, voy a participar" as the English form's first option).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date, format_time

from microintern.errors import ConfigError, ConfigProblem

FOLDER = "forms"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: a few times faster


@dataclass(frozen=True)
class TextField:
    """What one key of a form file holds.

    ``options``: 0 for one line of text, n for a list of exactly n option labels.
    ``placeholders``: the ``{names}`` the form fills in. ``pattern``: a Babel date or time
    pattern (checked by formatting a sample). ``required``: a file must give it.
    """

    options: int = 0
    placeholders: frozenset[str] = frozenset()
    pattern: str = ""            # "date" or "time" for a Babel pattern
    mapping: bool = False        # a mapping of text to text (translations of default values)
    required: bool = True


def _text(*placeholders: str) -> TextField:
    return TextField(placeholders=frozenset(placeholders))


_LINE = TextField()
_YES_NO = TextField(options=2)
_TITLE = _text("program")

FORM_FIELDS: dict[str, dict[str, TextField]] = {
    "registration": {
        "title": _TITLE, "applicant_id": _LINE, "attending": _LINE,
        "attending_options": TextField(options=2), "needs_device": _LINE, "accessibility": _LINE,
        "yes_no": _YES_NO,
    },
    "release": {
        "title": _TITLE, "applicant_id": _LINE, "guardian_name": _LINE, "relationship": _LINE,
        "participation": _text("on_service"), "on_service": _text("service"), "recording": _LINE,
        "media": _LINE, "signature": _LINE, "yes_no": _YES_NO,
    },
    "feedback": {
        "title": _TITLE, "applicant_id": _LINE, "session_id": _LINE, "scale": _text("rating"),
        "learned": _LINE, "improve": _LINE, "testimonial": _LINE, "share": _LINE, "yes_no": _YES_NO,
        # The default ratings in this language, by their English text (a configured
        # feedback.rating_titles wins).
        "ratings": TextField(mapping=True, required=False),
    },
    "hours": {
        "title": _TITLE, "applicant_id": _LINE, "date_worked": _LINE, "hours": _LINE, "activity": _LINE,
    },
    "hand-in": {
        "title": _TITLE, "student_id": _LINE, "assignment": _LINE, "link": _LINE, "note": _LINE,
    },
    "industry": {
        "title": _TITLE, "partner_id": _LINE, "organization": _LINE, "topic": _LINE, "skills": _LINE,
        "available_dates": _LINE, "other_dates": _LINE, "group_size": _LINE,
        "recording_consent": _LINE, "co_presenters": _LINE,
        "other_dates_option": _LINE, "yes_no": _YES_NO,
        # A session's first meeting as a checkbox: day and time by Babel patterns, then joined.
        "date_day": TextField(pattern="date"), "date_time": TextField(pattern="time"),
        "date_option": _text("day", "time"), "more_meetings": _text("count"),
    },
}
"""Every form, and the keys its file holds."""

FORM_LABELS = {"registration": "registration form", "release": "release form", "feedback": "feedback form",
               "hours": "hours form", "hand-in": "hand-in form", "industry": "industry form"}
"""How check-config names each form."""


FormText = Mapping[str, Any]
"""One form's texts in one language: key → text, tuple of option labels, or mapping."""


def file_name(form: str, language: str) -> str:
    """The file a form's texts in ``language`` live in, relative to the templates folder."""
    return f"{FOLDER}/{form}.{language}.yaml"


class FormTextMissing(ConfigError, KeyError):
    """A form asked for in a language it has no file in.

    Also a :class:`KeyError`, as a language missing from a mapping is: a caller that tries each
    language in turn (a preview's link, the form or else the default's) catches it as one.
    """

    __str__ = BaseException.__str__   # KeyError's would quote the whole message


@dataclass(frozen=True)
class FormTexts:
    """The texts of every form in every language the program has a file for."""

    texts: Mapping[tuple[str, str], FormText] = field(default_factory=dict)
    # (form, language) → what is wrong with that file (a file with problems has no texts).
    broken: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    folder: Path = Path()

    def has(self, form: str, language: str) -> bool:
        """Whether ``form`` exists in ``language``: its file exists (usable or not)."""
        return (form, language) in self.texts or (form, language) in self.broken

    def languages(self, form: str) -> tuple[str, ...]:
        """The languages ``form`` has a file in."""
        return tuple(dict.fromkeys(lang for name, lang in [*self.texts, *self.broken] if name == form))

    def text(self, form: str, language: str) -> FormText:
        """``form``'s texts in ``language``; raises :class:`ConfigError` naming the file's problems."""
        found = self.texts.get((form, language))
        if found is not None:
            return found
        where = str(self.folder / file_name(form, language))
        problems = self.broken.get((form, language))
        if problems is None:
            raise FormTextMissing(where, [ConfigProblem("(file)", "an existing file", "none")])
        raise ConfigError(where, [ConfigProblem(*_split(p)) for p in problems])

    def text_or_default(self, form: str, language: str, default_language: str) -> FormText:
        """``form``'s texts in ``language``, or in ``default_language`` when it has no file there."""
        return self.text(form, language if self.has(form, language) else default_language)

    def problems(self, forms: Iterable[str], default_language: str) -> list[str]:
        """One line per problem of every file, and per form without a default-language file."""
        lines: list[str] = []
        for form in forms:
            if not self.has(form, default_language):
                lines.append(f"{FORM_LABELS[form]}: missing {file_name(form, default_language)} "
                             "(the default language's form)")
            for language in self.languages(form):
                lines += [f"{FORM_LABELS[form]}: {file_name(form, language)}: {problem}"
                          for problem in self.broken.get((form, language), ())]
        return lines


def _split(problem: str) -> tuple[str, str, str]:
    """A problem line "key 'x': expected A, found B" as a ConfigProblem's three parts."""
    where, _, rest = problem.partition(": expected ")
    expected, _, found = rest.rpartition(", found ")
    return where, expected or rest, found


def load_form_texts(templates: Path, languages: Iterable[str]) -> FormTexts:
    """Read and check every form file in ``languages`` under ``templates``/forms (absent: none)."""
    texts: dict[tuple[str, str], FormText] = {}
    broken: dict[tuple[str, str], tuple[str, ...]] = {}
    for form, fields in FORM_FIELDS.items():
        for language in languages:
            path = templates / file_name(form, language)
            try:
                raw = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError) as exc:
                broken[form, language] = (f"(file): expected a readable UTF-8 file, found {exc}",)
                continue
            text, problems = check_form_file(raw, fields, language)
            if problems:
                broken[form, language] = tuple(problems)
            else:
                texts[form, language] = text
    return FormTexts(texts, broken, templates)


def check_form_file(raw: str, fields: Mapping[str, TextField], language: str) -> tuple[FormText, list[str]]:
    """A form file's texts and its problems (one line each, naming the key)."""
    try:
        data = yaml.load(raw, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        return {}, [f"{where}: expected valid YAML, found {getattr(exc, 'problem', None) or exc}"]
    if not isinstance(data, dict):
        return {}, [f"(top level): expected a mapping of keys, found {_shown(data)}"]
    problems: list[str] = []
    text: dict[str, Any] = {}
    for key, spec in fields.items():
        if key not in data:
            if spec.required:
                problems.append(f"key {key!r}: expected {_expected(spec)}, found nothing (missing key)")
            continue
        value, problem = _checked(data[key], spec, language)
        if problem:
            problems.append(f"key {key!r}: {problem}")
        else:
            text[key] = value
    problems += [f"key {key!r}: expected no such key (a typo?), found {key!r}"
                 for key in data if key not in fields]
    return text, problems


def _expected(spec: TextField) -> str:
    if spec.mapping:
        return "a mapping of text to text"
    if spec.options:
        return f"a list of {spec.options} option labels"
    return "one line of text"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _line_problem(value: Any, spec: TextField) -> str | None:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        # YAML reads a bare Yes or No as true or false: say so, it is the usual slip.
        hint = " (quote it: \"Yes\")" if isinstance(value, bool) else ""
        return f"expected one non-blank line of text{hint}, found {_shown(value)}"
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        return f"expected text whose braces name a placeholder, found {exc}"
    unknown = sorted(name for name in names if name not in spec.placeholders)
    if unknown:
        allowed = ", ".join(f"{{{p}}}" for p in sorted(spec.placeholders)) or "none"
        return f"expected only the placeholders {allowed}, found {{{unknown[0]}}}"
    return None


def _checked(value: Any, spec: TextField, language: str) -> tuple[Any, str | None]:
    if spec.mapping:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in value.items()):
            return None, f"expected {_expected(spec)}, found {_shown(value)}"
        return dict(value), None
    if spec.options:
        if not isinstance(value, list) or len(value) != spec.options:
            count = (f"{len(value)} option" + ("" if len(value) == 1 else "s")) if isinstance(value, list) \
                else _shown(value)
            return None, f"expected {_expected(spec)}, found {count}"
        for i, option in enumerate(value):
            problem = _line_problem(option, spec)
            if problem:
                return None, f"option {i + 1}: {problem}"
        if len(set(value)) != len(value):
            return None, f"expected options without repeats (Forms refuses them), found {_shown(value)}"
        return tuple(value), None
    problem = _line_problem(value, spec)
    if problem:
        return None, problem
    if spec.pattern:
        try:
            if spec.pattern == "date":
                format_date(date(2027, 3, 16), value, locale=language)
            else:
                format_time(time(15, 30), value, locale=language)
        except Exception as exc:  # noqa: BLE001 - Babel raises several kinds for a bad pattern
            return None, f"expected a Babel {spec.pattern} pattern, found {exc}"
    return value, None
