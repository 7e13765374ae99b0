"""The config's field types: addresses, time zones, ids, local wall times and localized text.

Every config module builds on these; ``ConfigModel`` is the base that refuses unknown keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError, localedata
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationInfo,
)
from pydantic_core import core_schema


@cache
def babel_locale(code: str) -> Locale | None:
    """Babel's locale for a language code (``vi``, ``pt_BR`` or ``pt-BR``), or None if Babel has none."""
    try:
        return Locale.parse(code, sep="-" if "-" in code else "_")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def language_name(code: str) -> str:
    """The language's own name, capitalized as a label ("English", "Español", "Tiếng Việt")."""
    locale = babel_locale(code)
    name = locale.get_display_name(locale) if locale is not None else None
    # Babel writes names as inside a sentence ("español"); they stand alone here, as labels.
    return name[:1].upper() + name[1:] if name else code


class _LanguageNames(Mapping[str, str]):
    """Every language Babel knows, by code, to its own name: a program may use any of them."""

    def __getitem__(self, code: str) -> str:
        if not isinstance(code, str) or babel_locale(code) is None:
            raise KeyError(code)
        return language_name(code)

    def __iter__(self) -> Iterator[str]:
        return iter(localedata.locale_identifiers())

    def __len__(self) -> int:
        return len(localedata.locale_identifiers())


LANGUAGES: Mapping[str, str] = _LanguageNames()


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"an email address ({exc})") from exc


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("an IANA time zone such as America/Los_Angeles") from exc
    return value


def _slug(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,40}", value):
        raise ValueError("a short id of lowercase letters, digits and dashes (2-41 characters)")
    return value


def _language(value: str) -> str:
    # The code is kept as written: it names the templates (acceptance.vi.html.j2).
    if babel_locale(value) is None:
        raise ValueError(f"a language code Babel knows, such as en, es or vi ({value!r} is not one)")
    return value


def _local_time(value: datetime) -> datetime:
    if value.tzinfo is not None:
        raise ValueError("a local wall time without a UTC offset (it is read in program.time_zone)")
    return value


Email = Annotated[str, AfterValidator(_email)]
Zone = Annotated[str, AfterValidator(_zone)]
Slug = Annotated[str, AfterValidator(_slug)]
LocalDateTime = Annotated[datetime, AfterValidator(_local_time)]
Language = Annotated[str, AfterValidator(_language)]


class Localized(str):
    """Text families read, given as one string or per language (``{en: ..., es: ...}``).

    It is the default language's text wherever a plain string is expected (sheets, forms, logs,
    comparisons with form answers), so a one-language program and every existing caller see
    what they always saw; letters ask for :meth:`in_language`. A mapping must give the program's
    default language (the fallback of every other language) and only languages the program offers.
    """

    texts: dict[str, str]

    def __new__(cls, text: str, texts: Mapping[str, str] | None = None) -> Localized:
        """``text`` is the default language's; ``texts`` every language given (may be empty)."""
        self = super().__new__(cls, text)
        self.texts = dict(texts or {})
        return self

    def in_language(self, language: str) -> str:
        """The text in ``language``, else the default language's."""
        return self.texts.get(language) or str(self)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """Validate a string or a language mapping; dump back what was given."""
        return core_schema.with_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: dict(value.texts) if isinstance(value, Localized) and value.texts
                else str(value)))

    @classmethod
    def _validate(cls, value: Any, info: ValidationInfo) -> Localized:
        if isinstance(value, Localized):
            return value
        # parse_config passes the program's languages: a field is validated before
        # program.default_language is known to the model.
        context = info.context if isinstance(info.context, Mapping) else {}
        default = context.get("default_language")
        offered = context.get("languages")
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("a non-empty text")
            return cls(value)
        if not isinstance(value, Mapping) or not value:
            raise ValueError("a text, or a mapping of language to text such as {en: ..., es: ...}")
        for language, text in value.items():
            if offered is not None and language not in offered:
                raise ValueError(f"languages of program.languages ({', '.join(offered)}), "
                                 f"not {language!r}")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"a non-empty text for {language!r}")
        if default is None:
            # The program's default language is itself wrong (reported there): pick any text.
            default = "en" if "en" in value else next(iter(value))
        elif default not in value:
            raise ValueError(f"a text in the default language {default!r} (the fallback of the others)")
        return cls(value[default], {str(k): v for k, v in value.items()})


def text_in(value: str, language: str) -> str:
    """``value`` (a :class:`Localized` or a plain string) in ``language``, default as fallback."""
    return value.in_language(language) if isinstance(value, Localized) else value


class ConfigModel(BaseModel):
    """The base of every config section: frozen, and an unknown key is an error."""

    # A typo in a key is a problem to report, not a setting to ignore.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(ConfigModel):
    """Someone the program writes to: a coordinator, a teacher, a partner contact."""

    name: str = Field(min_length=1)
    email: Email
