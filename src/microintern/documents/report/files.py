"""Saving the rendered report: atomically, private to its owner (0600), the PDF beside the HTML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from microintern.adapters.local._files import atomic_write_bytes
from microintern.documents.report.rendered import RenderedReport
from microintern.domain.report import ProgramReport


@dataclass(frozen=True)
class ReportFiles:
    """Where the report was saved, and the figures it shows."""

    html: Path
    pdf: Path | None
    report: ProgramReport
    charts: int


def save_report(rendered: RenderedReport, out: Path) -> ReportFiles:
    """Write ``out`` (the HTML) and, when rendered, the PDF beside it as ``.pdf``."""
    atomic_write_bytes(out, rendered.html)
    pdf_path = None
    if rendered.pdf is not None:
        pdf_path = out.with_suffix(".pdf")
        atomic_write_bytes(pdf_path, rendered.pdf)
    return ReportFiles(out, pdf_path, rendered.report, rendered.charts)
