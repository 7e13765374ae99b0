"""Text and fonts of the PDFs (the flyers and the program report): every letter of a name kept.

The PDFs embed DejaVu Sans, a Unicode TrueType font (Latin with every accent, Vietnamese,
Polish, Greek, Cyrillic...), so "Nguyễn Thị Ánh" and "Zoë Łukasz" print as they are written and
read back as text. The font files are matplotlib's own copies (``mpl-data/fonts/ttf``):
matplotlib is already a dependency (the report's charts), so no font file is shipped here and
nothing needs installing on the machine. DejaVu's licence (Bitstream Vera / public domain) lets
documents embed it; fpdf2 embeds only the glyphs a PDF uses, a few tens of kilobytes.

What DejaVu Sans has no glyph for (Chinese, Japanese and Korean characters, emoji) cannot be
drawn: :func:`pdf_text` spells such a character in a form the font has when Unicode gives one,
marks a missing letter or digit with "?", and leaves out symbols. The HTML keeps everything, and
so do a PDF's title, author, outline and alternative texts (:func:`pdf_metadata`): they are
Unicode strings no font draws.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

FONT_FAMILY = "dejavu"
# fpdf2 style -> DejaVu Sans face; "B" for headings and bold, "I" for the report's notes.
FONT_FACES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
FONT_LICENCE = "LICENSE_DEJAVU"


@cache
def font_folder() -> Path:
    """matplotlib's folder of TrueType fonts, found without importing matplotlib (it is slow)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: the PDFs' font comes with it")
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    missing = [name for name in FONT_FACES.values() if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"matplotlib's DejaVu Sans font files are missing: {', '.join(missing)}")
    return folder


def add_unicode_font(pdf: FPDF, styles: Iterable[str] = tuple(FONT_FACES)) -> str:
    """Register DejaVu Sans with ``pdf``; the family name to ``set_font`` with.

    ``styles`` are the faces to load ("", "B", "I", "BI"; default all): each costs about 30 ms
    of CPU per document, so a document that never slants its text can leave the italics out.
    """
    folder = font_folder()
    for style in styles:
        pdf.add_font(FONT_FAMILY, style, str(folder / FONT_FACES[style]))
    return FONT_FAMILY


@cache
def _covered() -> frozenset[int]:
    # Every face has the regular face's letters or more; the regular face's map decides.
    with TTFont(font_folder() / FONT_FACES[""], lazy=True) as font:
        return frozenset(font.getBestCmap())


def pdf_text(text: str) -> str:
    """``text`` as the PDFs draw it: composed (NFC), and only characters DejaVu Sans has.

    A name typed with combining accents ("e" + U+0301) is composed into the one letter the font
    draws. A character the font lacks is replaced by its compatibility spelling when the font
    has that (a ligature by its letters), else by "?" for a letter or digit (so a name never
    silently loses part of itself) and by nothing for a symbol or emoji.
    """
    covered = _covered()
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if ord(char) in covered or char in "\n\r\t":
            out.append(char)
            continue
        spelled = unicodedata.normalize("NFKD", char)
        if spelled != char and all(ord(c) in covered for c in spelled):
            out.append(unicodedata.normalize("NFC", spelled))
        elif unicodedata.category(char)[0] in "LN":
            out.append("?")
    return "".join(out)


def pdf_metadata(text: str) -> str:
    """``text`` for what a PDF says about itself (title, author, outline, alternative text).

    These are Unicode strings that no font draws, so every character is kept: composed (NFC),
    with control characters (a line break typed into a name) made spaces.
    """
    composed = unicodedata.normalize("NFC", text)
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in composed).split())
