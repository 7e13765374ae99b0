"""Flags: what is wrong with or notable about an application, each with a reason a person can
check against the row (an excerpt of an answer at most, never a whole one)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from microintern.domain import program_sheet as sheet
from microintern.domain.addresses import normalised_address
from microintern.domain.hidden_text import HiddenKind, hidden_characters, may_hide
from microintern.domain.long_answers import cut_marker
from microintern.domain.lookalikes import address_lookalike, name_lookalike
from microintern.domain.screening.model import LONG_ANSWER_CHARS, Applicant, Flag, FlagCode, ScreeningRules
from microintern.domain.screening.text import (
    check_email,
    choices_text,
    clip,
    is_yes,
    option_text,
    quoted,
    unsendable,
)

_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>|<!--|<!\[CDATA\[|<![a-zA-Z]")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
# C0/C1 controls except tab and newlines, plus the bidirectional overrides and isolates that can
# make a name display as something else.
_CONTROL_ANY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\x85]")
_DIGITS = re.compile(r"(?<!\d)\d{1,2}(?!\d)")
_FORMULA_START = ("=", "+", "-", "@")
_ODD_STARTS = tuple("|" + c for c in "=+-@ ")
_NONE: frozenset[str] = frozenset()


@lru_cache(maxsize=16)
def _listing(numbers: frozenset[int]) -> str:
    return ", ".join(str(n) for n in sorted(numbers))


def _grade(answer: str) -> int | None:
    match = _DIGITS.search(answer)
    return int(match.group()) if match else None


def flag_application(a: Applicant, rules: ScreeningRules) -> None:
    """Add to ``a.flags`` the flags its own answers raise (duplicates and guardian addresses: across rows)."""
    answers = a.answers
    flags = a.flags
    blank_required = [q for q in rules.required if not answers.get(q.key, "").strip()]
    blank_keys = {q.key for q in blank_required} if blank_required else _NONE
    if blank_required:
        titles = ", ".join(quoted(q.title, 80) for q in blank_required)
        flags.append(Flag(FlagCode.MISSING, f"required answer blank: {titles}", blocks=True, review=True))

    # Emails.
    student_raw = answers.get("student_email", "").strip()
    guardian_raw = answers.get("guardian_email", "").strip()
    bad: list[str] = []
    student_ok = guardian_ok = None
    if student_raw:
        student_ok, why = check_email(student_raw)
        if student_ok is None:
            bad.append(f"student email {quoted(student_raw)} is not valid ({clip(why, 90)})")
        elif (cannot := _cannot_send(student_raw)) is not None:
            student_ok = None
            bad.append(f"student email cannot get our letters ({cannot}): ask for another address")
    if guardian_raw:
        guardian_ok, why = check_email(guardian_raw)
        if guardian_ok is None:
            bad.append(f"guardian email {quoted(guardian_raw)} is not valid ({clip(why, 90)})")
        elif (cannot := _cannot_send(guardian_raw)) is not None:
            guardian_ok = None
            bad.append(f"guardian email cannot get our letters ({cannot}): ask for another address")
    a.student_email = (student_ok or student_raw).casefold()
    a.student_email_ok = student_ok is not None
    a.guardian_email = normalised_address(guardian_ok) if guardian_ok else ""
    if bad:
        student_bad = bool(student_raw) and student_ok is None
        flags.append(Flag(FlagCode.BAD_EMAIL, "; ".join(bad), blocks=student_bad, review=student_bad))

    # Grade.
    if rules.has("grade") and "grade" not in blank_keys:
        answer = answers.get("grade", "")
        grade = _grade(answer)
        eligible = _listing(rules.eligible_grades)
        if not answer.strip():
            flags.append(Flag(FlagCode.GRADE, "grade not given", blocks=True, review=True))
        elif grade is None:
            flags.append(Flag(
                FlagCode.GRADE, f"grade {quoted(answer, 20)} is not a grade number (eligible: {eligible})",
                blocks=True, review=True))
        elif grade not in rules.eligible_grades:
            flags.append(Flag(
                FlagCode.GRADE, f"grade {grade} is not eligible (eligible: {eligible})", blocks=True))

    # Sessions.
    if not a.sessions:
        given = answers.get("availability", "").strip()
        if given:
            flags.append(Flag(FlagCode.NO_SESSION, "the sessions chosen match none offered", blocks=True,
                              review=False))
        else:
            flags.append(Flag(FlagCode.NO_SESSION, "no session chosen", blocks=True, review=True))

    lookalike = _lookalikes(answers, rules)
    if lookalike:
        flags.append(Flag(FlagCode.LOOKALIKE, "; ".join(lookalike), blocks=True, review=True))

    domain = rules.student_email_domain
    if domain and student_ok and student_ok.rsplit("@", 1)[1] != domain:
        flags.append(Flag(FlagCode.OUTSIDE_DOMAIN, f"student email is not an @{domain} address"))

    typed = a.record.get(sheet.TYPED_EMAIL)
    if typed is not None and str(typed).strip() and (
            normalised_address(str(typed)) != normalised_address(student_raw)):
        # Neither address is quoted: the typed one may be a stranger's, and both are in the row.
        flags.append(Flag(
            FlagCode.TYPED_EMAIL_DIFFERS,
            "the school email typed in the form is not the address the student signed in with, "
            f"and letters go to the signed-in one (the typed one is in '{sheet.TYPED_EMAIL}')"))

    # The deadline's own minute is on time: "23:59" means until 23:59:59.
    if a.submitted is not None and a.submitted >= rules.late_from:
        flags.append(Flag(
            FlagCode.LATE,
            f"submitted {a.submitted.strftime('%Y-%m-%d %H:%M')}, after the deadline "
            f"{rules.deadline.strftime('%Y-%m-%d %H:%M')}",
            blocks=True,
        ))

    if rules.essay_keys and rules.min_essay_words:
        short = [
            (k, n) for k, n in zip(rules.essay_keys, a.essay_words, strict=True)
            if n < rules.min_essay_words and k not in blank_keys
        ]
        if short:
            parts = ", ".join(f"{quoted(rules.title(k), 80)} has {n}" for k, n in short)
            flags.append(Flag(FlagCode.SHORT_ESSAY, f"{parts} of {rules.min_essay_words} words"))

    # A cheap look at all answers at once (C-speed string tests on one joined string); only a
    # hit, or a false alarm, looks at each answer in detail.
    joined = "|" + "|".join(answers.values())
    if (len(joined) > LONG_ANSWER_CHARS or "<" in joined or may_hide(joined)
            or any(start in joined for start in _ODD_STARTS)):
        _flag_text(a, rules)

    if any(is_yes(answers.get(k, "")) for k in ("needs_device", "needs_internet")):
        flags.append(Flag(FlagCode.NEEDS_DEVICE, "needs a laptop or internet access (support, no penalty)"))


def _cannot_send(address: str) -> str | None:
    """:func:`unsendable`, except for a look-alike address: LOOKALIKE already blocks it for review
    and names the scripts of the same part, so a second flag would only repeat it."""
    if address.isascii():
        return None
    why = unsendable(address)
    return why if why is not None and address_lookalike(address) is None else None


def _flag_text(a: Applicant, rules: ScreeningRules) -> None:
    formula: list[str] = []
    markup: list[str] = []
    control: list[str] = []
    hidden: dict[HiddenKind, list[str]] = {}
    long: list[str] = []
    for key, answer in a.answers.items():
        if not answer:
            continue
        head = answer.lstrip(" ")
        # A lone "-" (no teacher, say) or a signed number is not a formula.
        if (head.startswith(_FORMULA_START) and len(head.strip()) > 1
                and not _PLAIN_NUMBER.fullmatch(head.strip())):
            formula.append(f"{quoted(rules.title(key), 80)} starts with {head[0]!r}")
        elif head.startswith(("\t", "\r")):
            formula.append(f"{quoted(rules.title(key), 80)} starts with a tab or carriage return")
        if "<" in answer and _MARKUP.search(answer):
            markup.append(quoted(rules.title(key), 80))
        if not answer.isprintable():
            pattern = _CONTROL_ONE_LINE if key in rules.one_line_keys else _CONTROL_ANY
            if pattern.search(answer):
                control.append(quoted(rules.title(key), 80))
        if may_hide(answer):
            for kind in hidden_characters(answer):
                hidden.setdefault(kind, []).append(quoted(rules.title(key), 80))
        if len(answer) > LONG_ANSWER_CHARS:
            cut = cut_marker(answer)
            if cut is None:
                long.append(f"{quoted(rules.title(key), 80)} has {len(answer):,} characters")
            else:
                # The cell holds only the beginning: the reason says so and where the rest is.
                long.append(f"{quoted(rules.title(key), 80)} has {cut.total:,} characters, cut to "
                            f"fit its cell (full text in the Long answers tab, key {cut.key})")
    flags = a.flags
    if formula or markup:
        parts = formula + ([f"markup in {', '.join(markup)}"] if markup else [])
        flags.append(Flag(FlagCode.FORMULA, "; ".join(parts) + " (kept as text, never run)"))
    if control or hidden:
        parts = [f"line breaks or control characters in {', '.join(control)}"] if control else []
        parts += [f"{kind} in {', '.join(hidden[kind])}" for kind in HiddenKind if kind in hidden]
        flags.append(Flag(FlagCode.CONTROL_CHARS, "; ".join(parts)))
    if long:
        flags.append(Flag(FlagCode.LONG_ANSWER, "; ".join(long)))


def available_sessions(answers: Mapping[str, str], rules: ScreeningRules) -> tuple[str, ...]:
    """The ids of the sessions an applicant can attend, in config order."""
    if not rules.has("availability"):
        return tuple(s.id for s in rules.sessions)
    answer = answers.get("availability", "")
    if not answer.strip():
        return ()
    text = choices_text(answer)
    lookup = rules.session_lookup
    if lookup is not None:
        # No title holds a separator: each picked part is looked up (fast with many sessions).
        found = {lookup[part] for part in text[2:-2].split(", ") if part in lookup}
        return tuple(s.id for s in rules.sessions if s.id in found)
    return tuple(
        s.id for s in rules.sessions
        if option_text(s.title) in text or option_text(s.id) in text
    )


_ADDRESS_KEYS = (("student_email", "student email"), ("guardian_email", "guardian email"))
_NAME_KEYS = ("first_name", "last_name", "guardian_name")


def _lookalikes(answers: Mapping[str, str], rules: ScreeningRules) -> list[str]:
    """Why any address or name could be a look-alike; the reasons never quote the text."""
    found = []
    # Only non-ASCII text can mix scripts: the usual all-ASCII answer costs one C-speed test.
    for key, label in _ADDRESS_KEYS:
        answer = answers.get(key, "")
        if not answer.isascii():
            why = address_lookalike(answer.strip())
            if why:
                found.append(f"{label}: {why}")
    for key in _NAME_KEYS:
        answer = answers.get(key, "")
        if not answer.isascii():
            why = name_lookalike(answer)
            if why:
                found.append(f"{quoted(rules.title(key), 80)} {why}")
    return found


def flag_guardian_addresses(applicants: Sequence[Applicant], rules: ScreeningRules) -> None:
    """Flag SAME_EMAIL where a guardian address is a student's: release forms must reach a parent.

    A student's address is the applicant's own, any applicant's (a sibling or a friend filling
    in for the guardian), or any address on the student domain. Addresses compare normalised
    (case, spaces, Gmail dots and +tags aside: :func:`normalised_address`).
    """
    owners: dict[str, str] = {}
    for a in applicants:
        if a.student_email_ok:
            owners.setdefault(normalised_address(a.student_email), a.applicant_id)
    domain = rules.student_email_domain
    for a in applicants:
        guardian = a.guardian_email
        if not guardian:
            continue
        own = normalised_address(a.student_email) if a.student_email_ok else ""
        if guardian == own:
            why = "guardian email is the student's own address"
        elif guardian in owners:
            why = f"guardian email is the student email of applicant {owners[guardian]}"
        elif domain and guardian.rsplit("@", 1)[1] == domain:
            why = f"guardian email is an @{domain} address (a student address)"
        else:
            continue
        a.flags.append(Flag(FlagCode.SAME_EMAIL, why))
