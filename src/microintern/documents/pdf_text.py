"""Text for fpdf2's core fonts, shared by the flyer and the program report."""

from __future__ import annotations

import unicodedata


def pdf_text(text: str) -> str:
    """``text`` in Windows-1252, other characters replaced by their closest Latin spelling.

    fpdf2's core fonts speak Windows-1252: "Nguyễn" is printed "Nguyen" rather than failing on a
    partner's name (the flyer uses this too).
    """
    out: list[str] = []
    for char in text:
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode("cp1252")
            out.append(plain or "?")
        else:
            out.append(char)
    return "".join(out)
