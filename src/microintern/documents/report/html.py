"""The report as one self-contained HTML page (inline CSS and SVG; no script, no network).

Rendered from ``templates/report.html.j2`` with autoescaping on: every name that came from a
form (a session title, an equity group) is escaped; only the charts' SVG, which matplotlib
escapes itself, is inserted as markup. The template holds no words: they come from the
language's report text (``templates/report.<lang>.yaml``, :mod:`.text`), and ``<html lang>``
says which language that is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from microintern.documents.report.charts import Chart
from microintern.documents.report.sections import sections
from microintern.documents.report.text import ReportText, english
from microintern.domain.report import ProgramReport

TEMPLATE = "report.html.j2"


def environment(templates: Path) -> Environment:
    """A Jinja2 environment over the templates folder, autoescaping everything."""
    return Environment(loader=FileSystemLoader(str(templates)), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(report: ProgramReport, charts: Mapping[str, Chart], env: Environment,
                text: ReportText | None = None) -> str:
    """The report page: every section of :func:`~.sections.sections`, in order, in ``text``'s
    language (English when None)."""
    t = text or english()
    return env.get_template(TEMPLATE).render(
        report=report,
        sections=sections(report, t),
        charts=charts,
        generated=t.when(report.generated),
        text=t,
    )
