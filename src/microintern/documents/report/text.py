"""The report's words in one language, and its figures as that language writes them.

Every word the report prints (headings, leads, table headers, captions, chart labels and
alternative texts, the PDF's title) comes from ``templates/report.<lang>.yaml``, one file per
language beside ``report.html.j2``; the HTML template and the PDF take their words from it. A
language has a report when its file exists: :func:`load_report_text` names the missing file
otherwise, and names every key (or ``{placeholder}``) a translation lacks against
``report.en.yaml`` in the same folder, so a half-translated file fails before anything is written.

Numbers, percentages and the date are written with Babel (CLDR) in the text's language, never
the machine's locale: "1,234.5" and "64%" in English, "1.234,5" and "64 %" in Spanish. Rounding
is Python's, as the report always rounded, and Babel only writes the rounded digits.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from microintern.domain.dates import babel_locale
from microintern.errors import TemplateError

ENGLISH = "en"
# The project's own templates folder: the English text of a report rendered without a language
# (the unit tests, a caller that passes none). The CLI always passes the program's folder.
PROJECT_TEMPLATES = Path(__file__).resolve().parents[4] / "templates"


def file_name(language: str) -> str:
    """The report text's file for ``language``, relative to the templates folder."""
    return f"report.{language}.yaml"


def _placeholders(text: str) -> set[str]:
    return {field for _literal, field, _spec, _conv in string.Formatter().parse(text) if field}


def _leaves(words: Any, prefix: str = "") -> dict[str, Any]:
    """Every text of a nested mapping by its dotted key (lists are one leaf)."""
    if not isinstance(words, Mapping):
        return {prefix: words}
    found: dict[str, Any] = {}
    for key, value in words.items():
        found.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return found


def _differences(words: Mapping[str, Any], reference: Mapping[str, Any]) -> list[str]:
    """What ``words`` lacks against ``reference``: keys, list lengths, placeholders."""
    mine, theirs = _leaves(words), _leaves(reference)
    problems = []
    for key, model in theirs.items():
        if key not in mine:
            problems.append(f"{key} is missing")
        elif isinstance(model, list):
            if not isinstance(mine[key], list) or len(mine[key]) != len(model):
                problems.append(f"{key} needs a list of {len(model)} texts")
        elif not isinstance(mine[key], str):
            problems.append(f"{key} needs a text")
        elif _placeholders(mine[key]) != _placeholders(str(model)):
            wanted = ", ".join("{" + p + "}" for p in sorted(_placeholders(str(model)))) or "none"
            problems.append(f"{key} needs the placeholders {wanted}")
    return problems


@dataclass(frozen=True)
class ReportText:
    """The report's words in one language (a parsed ``report.<lang>.yaml``) and its number style."""

    language: str
    source: str                       # the file, for messages
    words: Mapping[str, Any]

    def _find(self, key: str) -> Any:
        value: Any = self.words
        for part in key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                raise TemplateError(f"{self.source}: no text for {key!r}")
            value = value[part]
        return value

    def say(self, key: str, **values: object) -> str:
        """The text at ``key`` (dotted: ``sections.funnel.lead``), its ``{placeholders}`` filled."""
        text = self._find(key)
        if not isinstance(text, str):
            raise TemplateError(f"{self.source}: {key!r} is not a text")
        return text.format(**values)

    def words_at(self, key: str) -> tuple[str, ...]:
        """The list of texts at ``key`` (a table's headers)."""
        found = self._find(key)
        if not isinstance(found, list):
            raise TemplateError(f"{self.source}: {key!r} is not a list of texts")
        return tuple(str(word) for word in found)

    def name(self, group: str, word: str) -> str:
        """``word`` (a funnel stage, a partner status, a sheet's yes or no) in this language;
        the word as it stands when the file does not list it (a status typed by hand)."""
        names = self._find(group)
        found = names.get(word) if isinstance(names, Mapping) else None
        return str(found) if found is not None else word

    # -- figures -------------------------------------------------------------------------------

    @property
    def locale(self) -> str:
        """The language as Babel takes it."""
        return babel_locale(self.language)

    def _decimal(self, value: float, places: int) -> str:
        # Python rounds (as the report always did); Babel writes the digits in this language.
        rounded = Decimal(f"{value:.{places}f}")
        return format_decimal(rounded, format="#,##0" + ("." + "0" * places if places else ""),
                              locale=self.locale)

    def number(self, value: float | None, places: int = 1) -> str:
        """A figure for people: ``-`` for none, integers without decimals."""
        if value is None:
            return "-"
        if float(value).is_integer():
            return self._decimal(float(value), 0)
        return self._decimal(float(value), places)

    def _percent(self, hundredths: float, places: int) -> str:
        rounded = Decimal(f"{hundredths:.{places}f}") / 100
        return format_percent(rounded, format=_percent_pattern(self.locale, places), locale=self.locale)

    def percent(self, part: int, whole: int) -> str:
        """``part`` of ``whole`` as a whole percentage (``-`` when ``whole`` is 0)."""
        return self._percent(100 * part / whole, 0) if whole else "-"

    def share(self, value: float | None, places: int = 1) -> str:
        """A share (0..1) as a percentage to ``places`` decimals; ``-`` for none."""
        return "-" if value is None else self._percent(100 * value, places)

    def plain(self, value: float) -> str:
        """``value`` with as many decimals as it has (Python's ``{:g}``): 0.8, 12, 2.5."""
        shown = f"{value:g}"
        return self._decimal(value, len(shown.split(".")[1]) if "." in shown else 0)

    def decimals(self, value: float | None, places: int) -> str:
        """``value`` always with ``places`` decimals (an average rating: 4.0, not 4); ``-`` for none."""
        return "-" if value is None else self._decimal(value, places)

    def when(self, moment: datetime) -> str:
        """When the report was made, in the text's ``generated`` pattern (CLDR, the moment's zone)."""
        return format_datetime(moment, self.say("generated"), tzinfo=moment.tzinfo, locale=self.locale)


@cache
def _percent_pattern(locale: str, places: int) -> str:
    """The language's percent pattern ("#,##0%", "#,##0 %") with ``places`` decimals."""
    pattern = Locale.parse(locale).percent_formats[None].pattern.split(";")[0]
    if places:
        pattern = re.sub(r"0(?=[^0]*$)", "0." + "0" * places, pattern, count=1)
    return pattern


def _read(folder: Path, language: str) -> Mapping[str, Any]:
    path = folder / file_name(language)
    if not path.is_file():
        raise TemplateError(f"no report text in {language!r}: {path} is missing (copy "
                            f"{file_name(ENGLISH)} beside it and translate it)")
    try:
        words = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not readable YAML ({exc})") from None
    if not isinstance(words, Mapping):
        raise TemplateError(f"{path}: expected a mapping of keys to texts")
    return words


def load_report_text(templates: Path, language: str) -> ReportText:
    """The report's words in ``language`` from ``templates/report.<lang>.yaml``.

    Raises :class:`TemplateError` naming the file when it is missing, and listing every key,
    list or placeholder it lacks against the English file in the same folder.
    """
    words = _read(templates, language)
    source = str(templates / file_name(language))
    if language != ENGLISH and (templates / file_name(ENGLISH)).is_file():
        problems = _differences(words, _read(templates, ENGLISH))
        if problems:
            raise TemplateError(f"{source}: {len(problems)} problem(s)\n"
                                + "\n".join(f"  - {p}" for p in problems))
    return ReportText(language, source, words)


def has_report_text(templates: Path, language: str) -> bool:
    """Whether ``language`` has a report text file in ``templates``."""
    return (templates / file_name(language)).is_file()


@cache
def english() -> ReportText:
    """The project's English text: what a report rendered without a language says."""
    return load_report_text(PROJECT_TEMPLATES, ENGLISH)
