"""Hidden characters in applicant text: finding them, and one clean line for display.

Applicants type names and answers that end up in the program sheet, in letters and in mail
headers. Some characters there are invisible yet change what a person sees or what a program
compares: zero-width characters (``"Ana\\u200b"`` is not ``"Ana"``), bidirectional controls
(``"Rivera\\u202egnp.exe"`` displays as ``"Riveraexe.png"``), and other invisible format
characters (Unicode category Cf, Hangul fillers). :func:`hidden_characters` says which kinds an
answer holds, so screening can flag them; :func:`one_line` is what any header value (Subject,
display names) and any name shown in a letter goes through: one line, nothing hidden.

Not everything invisible is hostile. Kept (neither flagged nor removed):

* a zero-width joiner inside an emoji sequence (👩‍🔬 is woman + ZWJ + microscope);
* a zero-width joiner or non-joiner between two letters of a script that needs them for
  shaping (Persian "می‌خواهم", Devanagari, Malayalam...): this is ordinary spelling there;
* emoji tag sequences (the flag of Scotland is 🏴 followed by tag characters);
* variation selectors (U+FE0F turns ☺ into an emoji; category Mn, not hidden);
* the Arabic number signs and other "prepended concatenation marks", which are visible.

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from confusable_homoglyphs.categories import alias as script_of


class HiddenKind(StrEnum):
    """A kind of hidden character, as a reason names it."""

    BIDI = "bidi controls"
    ZERO_WIDTH = "zero-width characters"
    INVISIBLE = "invisible format characters"


BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks
)
"""Characters that reorder or redirect how the text around them displays."""

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
"""Zero-width space, non-joiner, joiner, word joiner and the byte order mark."""

# Invisible but not category Cf (default-ignorable letters and marks): they pass isprintable().
_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")
# Category Cf characters that are visible: the Arabic, Syriac and Kaithi concatenation marks.
_VISIBLE_FORMAT = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2"
                            "\U000110bd\U000110cd")
_JOINERS = frozenset("\u200c\u200d")
_ZWJ = "\u200d"
_BLACK_FLAG = "\U0001f3f4"
# Scripts whose letters never need a joiner between them (and where a hidden one is a trick).
_NO_JOINER_SCRIPTS = frozenset({"LATIN", "GREEK", "CYRILLIC", "COMMON", "INHERITED", "Unknown"})
_SPACES = re.compile(r"\s+")


def _is_tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007f"


def _is_emoji_part(ch: str) -> bool:
    """Whether ``ch`` can stand next to a joiner in an emoji sequence."""
    return (unicodedata.category(ch) == "So" or "\U0001f3fb" <= ch <= "\U0001f3ff"
            or ch in "\ufe0f\u20e3")


def _letter_script(ch: str) -> str | None:
    """The script of a letter or mark, None for anything else."""
    return script_of(ch) if unicodedata.category(ch)[0] in "LM" else None


def _allowed(text: str, i: int) -> bool:
    """Whether the hidden character at ``text[i]`` is ordinary use (see the module docstring)."""
    ch = text[i]
    if _is_tag(ch):
        # A run of tag characters right after the black flag: a subdivision flag emoji.
        j = i
        while j > 0 and _is_tag(text[j - 1]):
            j -= 1
        return j > 0 and text[j - 1] == _BLACK_FLAG
    if ch not in _JOINERS or i == 0 or i + 1 >= len(text):
        return False
    before, after = text[i - 1], text[i + 1]
    if ch == _ZWJ and _is_emoji_part(before) and _is_emoji_part(after):
        return True
    script = _letter_script(before)
    # The letter after a joiner may carry a mark first; the script is the same either way.
    return script is not None and script not in _NO_JOINER_SCRIPTS and _letter_script(after) == script


def _hidden_kind(ch: str) -> HiddenKind | None:
    """The kind of a single character, ignoring its neighbours (None: not hidden)."""
    if ch in BIDI_CONTROLS:
        return HiddenKind.BIDI
    if ch in ZERO_WIDTH:
        return HiddenKind.ZERO_WIDTH
    if ch in _FILLERS or (unicodedata.category(ch) == "Cf" and ch not in _VISIBLE_FORMAT):
        return HiddenKind.INVISIBLE
    return None


def may_hide(text: str) -> bool:
    """A quick test: False means ``text`` surely holds no hidden character (nor control).

    ``isprintable()`` is False for every Cf and control character (C speed); the fillers are
    letters, so they are looked for one by one.
    """
    return not text.isprintable() or any(f in text for f in _FILLERS)


def hidden_characters(text: str) -> frozenset[HiddenKind]:
    """The kinds of hidden characters in ``text`` (empty for ordinary text).

    Line breaks and C0/C1 controls are not reported here (screening has its own rule for them:
    they are fine in a paragraph answer); an allowed joiner or emoji tag is not reported.
    """
    if not may_hide(text):
        return frozenset()
    found: set[HiddenKind] = set()
    for i, ch in enumerate(text):
        kind = _hidden_kind(ch)
        if kind is not None and kind not in found and not _allowed(text, i):
            found.add(kind)
    return frozenset(found)


def one_line(text: str) -> str:
    """``text`` as one clean line: for a mail header or a name printed in a letter.

    Line breaks, tabs, other control characters and runs of whitespace become one space; bidi
    controls, zero-width and other invisible characters are removed (allowed joiners and emoji
    tags stay); the ends are trimmed. Idempotent.
    """
    if may_hide(text):
        kept = []
        for i, ch in enumerate(text):
            if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
                kept.append(" ")
            elif _hidden_kind(ch) is None or _allowed(text, i):
                kept.append(ch)
        text = "".join(kept)
    return _SPACES.sub(" ", text).strip()
