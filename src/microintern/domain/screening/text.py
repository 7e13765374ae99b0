"""Answer text and addresses as screening compares them: folding, checkbox choices, excerpts
for reasons, and email checks (syntax, and whether our mailer can address it)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import lru_cache

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from microintern.domain.hidden_text import one_line
from microintern.domain.mime import normalize_addr_spec

_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"\s*[,;\n]\s*")
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>|<!--|<!\[CDATA\[|<![a-zA-Z]")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
# C0/C1 controls except tab and newlines, plus the bidirectional overrides and isolates that can
# make a name display as something else.
_CONTROL_ANY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\x85]")
_DIGITS = re.compile(r"(?<!\d)\d{1,2}(?!\d)")
_WORD = re.compile(r"\w+")
_FORMULA_START = ("=", "+", "-", "@")
_ODD_STARTS = tuple("|" + c for c in "=+-@ ")
_MINUTE = timedelta(minutes=1)
_NONE: frozenset[str] = frozenset()


def _number(value: float) -> str:
    value = round(value, 1)
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _choices_text(text: str) -> str:
    """Checkbox answer text made comparable: folded, every separator as ", ", framed by ", "."""
    if len(text) <= _CACHED_LENGTH:
        return _short_choices_text(text)
    return _make_choices_text(text)


def _make_choices_text(text: str) -> str:
    if "," in text or ";" in text or "\n" in text:
        text = _SEPARATORS.sub(", ", text)
    return ", " + _fold(text) + ", "


# Checkbox answers repeat a lot (a few options, many applicants): remember the short ones.
_CACHED_LENGTH = 400
_short_choices_text = lru_cache(maxsize=8192)(_make_choices_text)
_option_text = _short_choices_text


def _clip(text: str, limit: int = 40) -> str:
    """A one-line, printable excerpt of user text for a reason (never the whole answer)."""
    # No line break, bidi control or zero-width character reaches a reason.
    text = one_line(text[: limit * 4])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str, limit: int = 40) -> str:
    return "'" + _clip(text, limit) + "'"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        if item and _fold(item) not in seen:
            seen[_fold(item)] = item
    return tuple(seen.values())


def chosen(answer: str, options: Sequence[str]) -> list[str]:
    """The options a checkbox answer picked (answers are joined with ", " like a responses sheet).

    Matching is whole-option, case- and spacing-insensitive, so an option that itself contains
    a comma still matches; anything else in the answer (an "Other:" text) is ignored.
    """
    if not answer:
        return []
    text = _choices_text(answer)
    return [o for o in options if _option_text(o) in text]


def _is_yes(answer: str) -> bool:
    return _fold(answer) in _YES


def _words(text: str) -> int:
    return len(text.split())


@lru_cache(maxsize=65536)
def _name_key(text: str) -> str:
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text.casefold()))


_YES = frozenset({"yes", "y", "sí", "si", "true", "1"})


# A strict subset of what email_validator accepts, checked without it: validating 20,000
# addresses one by one costs about a second. Anything this does not match goes to
# email_validator, which stays the authority.
_SIMPLE_EMAIL = re.compile(
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_SPECIAL_DOMAINS = frozenset(SPECIAL_USE_DOMAIN_NAMES)


@lru_cache(maxsize=1024)
def _ordinary_domain(domain: str) -> bool:
    labels = domain.split(".")
    return not any(".".join(labels[i:]) in _SPECIAL_DOMAINS for i in range(len(labels)))


def check_email(address: str) -> tuple[str | None, str]:
    """``(normalized address, "")`` when valid, else ``(None, why)``; syntax only, no DNS."""
    match = _SIMPLE_EMAIL.fullmatch(address)
    if match and len(match.group(1)) <= 64 and len(address) <= 254 and "--" not in match.group(2):
        domain = match.group(2).lower()
        if _ordinary_domain(domain):
            return f"{match.group(1)}@{domain}", ""
    try:
        return validate_email(address, check_deliverability=False).normalized, ""
    except EmailNotValidError as exc:
        return None, str(exc).rstrip(".")


def unsendable(address: str) -> str | None:
    """Why the mailer would refuse ``address``, valid by :func:`check_email`; None if it can send.

    email_validator accepts internationalized local parts (``李明@example.cn``, SMTPUTF8), but
    letters go only to plain mailboxes (:func:`microintern.domain.mime.normalize_addr_spec`,
    the check the mailer itself makes): such a student would be accepted and get no letter.
    The reason never quotes the address.
    """
    if address.isascii():
        return None  # every ASCII address email_validator accepts is a plain mailbox
    try:
        normalize_addr_spec(address, "To")
    except ValueError:
        if not address.rpartition("@")[0].isascii():
            return "the part before the @ has letters outside plain ASCII"
        return "its domain cannot be written in ASCII"
    return None
