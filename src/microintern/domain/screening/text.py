"""Answer text and addresses as screening compares them: folding, checkbox choices, excerpts
for reasons, and email checks (syntax, and whether our mailer can address it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from microintern.domain.hidden_text import one_line
from microintern.domain.mime import normalize_addr_spec

# Between the items of a list answer: a comma, semicolon or line break, with any spacing.
SEPARATORS = re.compile(r"\s*[,;\n]\s*")


def short_number(value: float) -> str:
    """``value`` rounded to one decimal as a reason shows it, with no ".0" when whole."""
    value = round(value, 1)
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def fold(text: str) -> str:
    """``text`` compared case- and spacing-insensitively: casefolded, whitespace runs as one space."""
    return " ".join(text.split()).casefold()


def choices_text(text: str) -> str:
    """Checkbox answer text made comparable: folded, every separator as ", ", framed by ", "."""
    if len(text) <= _CACHED_LENGTH:
        return _short_choices_text(text)
    return _make_choices_text(text)


def _make_choices_text(text: str) -> str:
    if "," in text or ";" in text or "\n" in text:
        text = SEPARATORS.sub(", ", text)
    return ", " + fold(text) + ", "


# Checkbox answers repeat a lot (a few options, many applicants): remember the short ones.
_CACHED_LENGTH = 400
_short_choices_text = lru_cache(maxsize=8192)(_make_choices_text)
# A checkbox option framed as :func:`choices_text` frames an answer, to look for in one (cached).
option_text = _short_choices_text


def clip(text: str, limit: int = 40) -> str:
    """A one-line, printable excerpt of user text for a reason (never the whole answer)."""
    # No line break, bidi control or zero-width character reaches a reason.
    text = one_line(text[: limit * 4])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str, limit: int = 40) -> str:
    """:func:`clip` in single quotes, as a reason quotes an answer."""
    return "'" + clip(text, limit) + "'"


def chosen(answer: str, options: Sequence[str]) -> list[str]:
    """The options a checkbox answer picked (answers are joined with ", " like a responses sheet).

    Matching is whole-option, case- and spacing-insensitive, so an option that itself contains
    a comma still matches; anything else in the answer (an "Other:" text) is ignored.
    """
    if not answer:
        return []
    text = choices_text(answer)
    return [o for o in options if option_text(o) in text]


def is_yes(answer: str) -> bool:
    """Whether ``answer`` means yes ("Yes", "sí", "true", "1", ...), case and spacing aside."""
    return fold(answer) in _YES


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
