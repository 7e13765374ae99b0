"""Look-alike letters: addresses and names that mix scripts or pose as Latin.

A Cyrillic "а" or a Greek "ο" looks exactly like the Latin letter, so ``аna@school.example``
reads as Ana's address while it is somebody else's (or nobody's: our mailer refuses non-ASCII
local parts, so an accepted student would get no letter). Screening flags such an address or
name for a person to look at (:func:`address_lookalike`, :func:`name_lookalike`).

Script data and the confusable table come from ``confusable-homoglyphs`` (Unicode's
Scripts.txt and TR39 confusables.txt, packaged and maintained), the rule follows TR39:

* **Addresses** (the local part, and each label of the domain, on its own): mixing scripts is
  flagged, and so is any letter from another script that is confusable with a Latin letter, or
  a compatibility form (fullwidth "ａ") that stands for an ASCII one. Digits and ``. - _ +``
  are common to every script and never count.
* **Names**: a word (split at spaces and punctuation) that mixes scripts is flagged, except the
  mixes TR39 calls "highly restrictive" (Japanese Han with kana, Han with Bopomofo or Hangul,
  each possibly with Latin). A name wholly in one script is a name: Arabic, Chinese, Cyrillic or
  Greek names are never flagged. A word wholly in another script *next to Latin words in the
  same answer*, made only of letters that look Latin, poses as Latin and is flagged.

Reasons name the field and the scripts, never the text itself. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables
from confusable_homoglyphs.categories import alias as script_of

# Common (digits, punctuation) and Inherited (combining accents) belong to every script.
_NEUTRAL = frozenset({"COMMON", "INHERITED"})
# TR39 "highly restrictive": these script sets are one writing system, not a trick.
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_WORD = re.compile(r"[^\s\-‐‑‒–—'’.,;:/()\"&]+")


def _label(script: str) -> str:
    return script.title() if script != "Unknown" else "unassigned"


def _mix(scripts: frozenset[str]) -> str:
    """``{"LATIN", "CYRILLIC"}`` -> ``"Latin and Cyrillic"`` (Latin first, then by name)."""
    ordered = sorted(scripts, key=lambda s: (s != "LATIN", s))
    names = [_label(s) for s in ordered]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


@lru_cache(maxsize=4096)
def _scripts(word: str) -> frozenset[str]:
    """The scripts of a word's characters, without Common and Inherited."""
    return frozenset(script_of(ch) for ch in word) - _NEUTRAL


def _mixed(scripts: frozenset[str]) -> bool:
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES)


def _latin_lookalikes(text: str) -> frozenset[str]:
    """The characters of ``text``, from scripts other than Latin and Common, that look Latin."""
    found = confusables.is_confusable(text, greedy=True, preferred_aliases=["latin", "common"])
    return frozenset(d["character"] for d in found) if found else frozenset()


def _compatibility_ascii(text: str) -> bool:
    """Whether ``text`` has a non-ASCII form of an ASCII character (fullwidth, styled)."""
    return any(not ch.isascii() and unicodedata.normalize("NFKC", ch).isascii() for ch in text)


def _part_problem(part: str, where: str) -> str | None:
    scripts = _scripts(part)
    if _mixed(scripts):
        return f"{where} mixes {_mix(scripts)} letters"
    looks = _latin_lookalikes(part)
    if looks:
        return f"{where} has {_mix(_scripts(''.join(looks)))} letters that look Latin"
    if _compatibility_ascii(part):
        return f"{where} has fullwidth or styled forms of plain letters"
    return None


def address_lookalike(address: str) -> str | None:
    """Why ``address`` could be mistaken for another address, or None when it cannot.

    The answer names the part ("the local part", "the domain") and the scripts, e.g. "the local
    part mixes Latin and Cyrillic letters"; an ASCII address is never a look-alike.
    """
    if address.isascii():
        return None
    local, _, domain = address.strip().rpartition("@")
    if not local:
        local, domain = domain, ""
    problem = _part_problem(local, "the local part")
    if problem:
        return problem
    for label in domain.split("."):
        if not label.isascii():
            problem = _part_problem(label, "the domain")
            if problem:
                return problem
    return None


def name_lookalike(name: str) -> str | None:
    """Why ``name`` could be a look-alike, or None for a name in one writing system.

    E.g. "mixes Latin and Cyrillic letters in one word" (a Cyrillic "о" in "Jоsé") or "has a
    Greek word that looks Latin" (a word of only Latin-looking Greek letters among Latin words).
    """
    if name.isascii():
        return None
    words = _WORD.findall(name)
    by_word = [(word, _scripts(word)) for word in words]
    for _word, scripts in by_word:
        if _mixed(scripts):
            return f"mixes {_mix(scripts)} letters in one word"
    if any("LATIN" in scripts for _word, scripts in by_word):
        for word, scripts in by_word:
            if len(scripts) != 1 or "LATIN" in scripts:
                continue
            letters = [ch for ch in word if unicodedata.category(ch)[0] == "L"]
            looks = _latin_lookalikes(word)
            if letters and all(ch in looks for ch in letters):
                return f"has a {_mix(scripts)} word that looks Latin"
    return None
