"""Hidden characters: found wherever they are, flagged by screening, removed from display text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hostile_corpus import ESSAY, application

from microintern.config import ProgramConfig
from microintern.domain.hidden_text import HiddenKind, hidden_characters, may_hide, one_line
from microintern.domain.screening import FlagCode, ScreenedApplication, screen

NOW = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("A\u200bna", {HiddenKind.ZERO_WIDTH}),  # zero-width space
        ("Ana\u200c", {HiddenKind.ZERO_WIDTH}),  # a non-joiner after a Latin letter is a trick
        ("A\u200dna", {HiddenKind.ZERO_WIDTH}),  # a joiner between Latin letters too
        ("Ana\u2060Rivera", {HiddenKind.ZERO_WIDTH}),  # word joiner
        ("\ufeffAna", {HiddenKind.ZERO_WIDTH}),  # byte order mark
        ("Rivera\u202egnp.exe", {HiddenKind.BIDI}),  # right-to-left override
        ("\u202aAna\u202c", {HiddenKind.BIDI}),
        ("Ana\u2067x\u2069", {HiddenKind.BIDI}),  # isolates
        ("Ana\u200e", {HiddenKind.BIDI}),  # left-to-right mark
        ("Ana\u200f", {HiddenKind.BIDI}),  # right-to-left mark
        ("\u061cAna", {HiddenKind.BIDI}),  # Arabic letter mark
        ("Ana\u00ad", {HiddenKind.INVISIBLE}),  # soft hyphen (Cf)
        ("Ana\u3164", {HiddenKind.INVISIBLE}),  # Hangul filler: a letter that shows nothing
        ("Ana\u2064", {HiddenKind.INVISIBLE}),  # invisible plus (Cf)
        ("\U000e0041na", {HiddenKind.INVISIBLE}),  # a tag character outside a flag emoji
        ("\u202eA\u200bna", {HiddenKind.BIDI, HiddenKind.ZERO_WIDTH}),
    ],
)
def test_hidden_characters_are_found_by_kind(text: str, kinds: set[HiddenKind]) -> None:
    assert hidden_characters(text) == kinds
    assert may_hide(text)


@pytest.mark.parametrize(
    "text",
    [
        "Ana Rivera", "José García-Núñez", "محمد عبد الله", "李明", "Анна Иванова",
        "👩\u200d🔬",  # woman scientist: ZWJ inside an emoji sequence
        "👩🏽\u200d🔬",  # with a skin tone
        "❤\ufe0f\u200d🔥",  # heart on fire: a variation selector before the joiner
        "علی\u200cزاده",  # Persian spelling with a zero-width non-joiner
        "क्\u200dष",  # Devanagari with a joiner
        SCOTLAND,  # a subdivision flag: tag characters after the black flag
        "\u0600\u0661",  # the Arabic number sign is a visible format character
        "tab\there and a line\nbreak",  # controls are screening's own rule, not "hidden"
    ],
)
def test_ordinary_text_has_nothing_hidden(text: str) -> None:
    assert hidden_characters(text) == frozenset()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Ana\r\nBcc: everyone@example.org", "Ana Bcc: everyone@example.org"),
        ("  Ana\t\tRivera \n", "Ana Rivera"),
        ("Rivera\u202egnp.exe", "Riveragnp.exe"),
        ("A\u200bna\u2060", "Ana"),
        ("\ufeffAna\u3164 \u00adRivera", "Ana Rivera"),
        ("Ana\x00\x1b[31m\u2028x\x85y", "Ana [31m x y"),
        ("Zoë 👩\u200d🔬", "Zoë 👩\u200d🔬"),  # the emoji keeps its joiner
        ("علی\u200cزاده", "علی\u200cزاده"),
        (SCOTLAND, SCOTLAND),
        ("", ""),
    ],
)
def test_one_line_is_one_clean_line(text: str, line: str) -> None:
    assert one_line(text) == line
    assert one_line(line) == line  # idempotent
    assert hidden_characters(one_line(text)) == frozenset()


def test_plain_text_is_not_looked_at_in_detail() -> None:
    assert not may_hide("Ana Rivera, 李明, محمد 🎉")
    assert may_hide("Ana\u3164")  # a filler is printable, so it is looked for


# --- through screening ----------------------------------------------------------------------------


@pytest.fixture
def config(make_config: Callable[..., ProgramConfig]) -> ProgramConfig:
    return make_config()


def screened(config: ProgramConfig, **answers: str) -> ScreenedApplication:
    [result] = screen([application(config, 1, **answers)], config, now=NOW).applications
    return result


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"first_name": "A\u200bna"}, "zero-width characters in 'First name'"),
        ({"last_name": "Rivera\u202egnp.exe"}, "bidi controls in 'Last name'"),
        ({"guardian_name": "Rosa\u3164"}, "invisible format characters in 'Parent or guardian name'"),
        # Wherever they are: a paragraph answer too (line breaks are fine there, hidden text is not).
        ({"essay": ESSAY + "\n\u2066hidden\u2069"},
         "bidi controls in 'Why do you want to take part, and what do you hope to learn?'"),
        ({"first_name": "Ana\r\n", "last_name": "Ri\u200bvera\u202e"},
         "line breaks or control characters in 'First name'; bidi controls in 'Last name'; "
         "zero-width characters in 'Last name'"),
    ],
)
def test_screening_flags_hidden_characters_naming_the_field(
    config: ProgramConfig, answers: dict[str, str], reason: str
) -> None:
    result = screened(config, **answers)
    assert result.flag_codes == (FlagCode.CONTROL_CHARS,)
    [flag] = result.flags
    assert flag.reason == reason
    assert not flag.blocks  # advisory: letters and headers show the name cleaned (see one_line)


@pytest.mark.parametrize(
    "answers",
    [
        {"first_name": "Zoë 👩\u200d🔬"},
        {"first_name": "زهرا", "last_name": "علی\u200cزاده"},
        {"essay": ESSAY + " 🏳\ufe0f\u200d🌈 " + SCOTLAND},
        {"first_name": "Ana\u00a0María"},  # a no-break space is not hidden
    ],
)
def test_screening_leaves_ordinary_joiners_alone(config: ProgramConfig, answers: dict[str, str]) -> None:
    assert screened(config, **answers).flag_codes == ()
