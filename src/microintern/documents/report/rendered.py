"""The rendered report: its files as bytes, for the caller to save, and the figures they show."""

from __future__ import annotations

from dataclasses import dataclass

from microintern.domain.report import ProgramReport


@dataclass(frozen=True)
class RenderedReport:
    """The report's files as bytes (the caller saves them) and the figures they show."""

    html: bytes
    pdf: bytes | None
    report: ProgramReport
    charts: int
    language: str = "en"              # the language its words are in
