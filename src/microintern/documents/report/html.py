"""The report as one self-contained HTML page (inline CSS and SVG; no script, no network).

Rendered from ``templates/report.html.j2`` with autoescaping on: every name that came from a
form (a session title, an equity group) is escaped; only the charts' SVG, which matplotlib
escapes itself, is inserted as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from microintern.documents.report.charts import Chart
from microintern.documents.report.sections import sections
from microintern.domain.report import NO_DATA, ProgramReport

TEMPLATE = "report.html.j2"


def environment(templates: Path) -> Environment:
    """A Jinja2 environment over the templates folder, autoescaping everything."""
    return Environment(loader=FileSystemLoader(str(templates)), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(report: ProgramReport, charts: Mapping[str, Chart], env: Environment) -> str:
    """The report page: every section of :func:`~.sections.sections`, in order."""
    return env.get_template(TEMPLATE).render(
        report=report,
        sections=sections(report),
        charts=charts,
        generated=report.generated.strftime("%Y-%m-%d %H:%M %Z").strip(),
        no_data=NO_DATA,
    )
