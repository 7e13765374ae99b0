"""Letters: a subject, a plain-text body and an HTML body rendered from Jinja2 templates.

Templates live in ``templates/email/<letter>.<lang>.{subject,txt,html}.j2``. Rendering uses a
sandboxed environment with strict undefined (a missing field is an error, never a blank), and
HTML autoescaping (an applicant's ``<script>`` arrives as text). The template loader is given by
the caller, so this module does no I/O of its own.

Names are shown on one line. Every context value under a name-like key (``first_name``,
``name``, ``teacher_name``, ``student``, ``school``... see :func:`display_context`) is cleaned
by :func:`hidden_text.one_line` as the letter renders: a line break an applicant typed into
their name cannot split a line of the body, and a bidi override or zero-width character cannot
change what the name reads as. This is done here, not where each step builds its context,
because every letter (sent, previewed, ``send-test``) passes through :meth:`LetterRenderer.render`
and no step can forget it; the rows in the sheet keep what the applicant typed (screening flags
it). Multi-line fields (a partner's feedback, assignment instructions) keep their lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import css_inline
from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateError, TemplateNotFound, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from microintern.domain.hidden_text import one_line
from microintern.errors import TemplateError as LetterError

PARTS = ("subject", "txt", "html")

# Mail clients drop <style> blocks; styles go into style attributes. Never fetch a stylesheet.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)


# Context keys whose values are names or labels: one line by nature.
_ONE_LINE_KEYS = frozenset({"name", "student", "school", "last_initial", "organization", "label"})


def _is_name_key(key: object) -> bool:
    return isinstance(key, str) and (key in _ONE_LINE_KEYS or key.endswith(("_name", "_organization")))


def display_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """``context`` with every name-like value made one clean line, at any depth.

    Name-like keys: ``name``, any ``*_name`` (first, last, guardian, teacher, contact),
    ``student``, ``school``, ``last_initial``, ``label`` and ``*organization``. Mappings and
    lists are copied as they are walked; every other value is passed through untouched.
    """
    return {key: _display_value(value, _is_name_key(key)) for key, value in context.items()}


def _display_value(value: Any, name: bool) -> Any:
    if isinstance(value, str):
        return one_line(value) if name else value
    if isinstance(value, Mapping):
        return display_context(value)
    if isinstance(value, list | tuple):
        return [_display_value(item, name) for item in value]
    return value


class Clock(str):
    """A time of day as a letter prints it ("3:30 PM", "3:30 p. m."): the text stays the same.

    An HTML letter shows it in a ``white-space:nowrap`` span, so a narrow phone screen never
    puts "3:30" at the end of one line and "PM" at the start of the next. Autoescaping asks a
    value for ``__html__``, so every HTML template gets the span without saying so, while the
    subject and the plain-text part (not autoescaped) print the bare text.
    """

    __slots__ = ()

    def __html__(self) -> Markup:
        """The time in a span that keeps it on one line."""
        return Markup('<span style="white-space:nowrap">{}</span>').format(escape(str(self)))


@dataclass(frozen=True)
class Letter:
    """A rendered letter, ready to be addressed."""

    name: str
    language: str
    subject: str
    text: str
    html: str


def make_environment(loader: BaseLoader) -> SandboxedEnvironment:
    """A sandboxed, strict Jinja2 environment; HTML templates autoescape."""
    return SandboxedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(env: Environment, name: str, context: Mapping[str, Any], *,
                    row: str | None = None) -> str:
    """Render template ``name``; any Jinja error becomes a TemplateError naming it (and ``row``)."""
    where = f"{name}, row {row}" if row is not None else name
    try:
        return env.get_template(name).render(context)
    except UndefinedError as exc:
        raise LetterError(f"{where}: missing field ({exc.message})") from None
    except TemplateNotFound:
        needed = f" (needed for row {row})" if row is not None else ""
        raise LetterError(f"{name} does not exist{needed}") from None
    except TemplateError as exc:
        raise LetterError(f"{where}: {exc}") from None


def choose_language(wanted: str | None, offered: Sequence[str], default: str) -> str:
    """The language to write in: the recipient's if offered, else the program default."""
    return wanted if wanted in offered else default


class LetterRenderer:
    """Renders named letters in a language, falling back to the default language."""

    def __init__(self, env: SandboxedEnvironment, *, default_language: str) -> None:
        self._env = env
        self._default = default_language

    @property
    def environment(self) -> SandboxedEnvironment:
        """The sandboxed environment letters render in (flyers share it)."""
        return self._env

    def template_name(self, letter: str, language: str, part: str) -> str:
        """The template file that holds one part of a letter in a language."""
        return f"email/{letter}.{language}.{part}.j2"

    def _resolve_language(self, letter: str, language: str) -> str:
        for candidate in (language, self._default):
            try:
                self._env.get_template(self.template_name(letter, candidate, "subject"))
            except TemplateNotFound:
                continue
            return candidate
        raise LetterError(
            f"template {self.template_name(letter, self._default, 'subject')} does not exist"
        )

    def render(
        self, letter: str, language: str, context: Mapping[str, Any], *, row: str
    ) -> Letter:
        """Render all parts of ``letter``; ``row`` names the recipient's row in any error."""
        language = self._resolve_language(letter, language)
        context = display_context(context)
        parts: dict[str, str] = {}
        for part in PARTS:
            name = self.template_name(letter, language, part)
            parts[part] = render_template(self._env, name, context, row=row)
        # A subject is one clean line: no line break, bidi control or invisible character.
        subject = one_line(parts["subject"])
        if not subject:
            raise LetterError(f"{self.template_name(letter, language, 'subject')}, row {row}: "
                              "the subject rendered empty")
        return Letter(letter, language, subject, parts["txt"], _INLINER.inline(parts["html"]))
