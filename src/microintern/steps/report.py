"""The program report: read the tabs once, render report.html and report.pdf, update the Dashboard.

The figures are computed in :mod:`microintern.domain.report` and rendered by
:mod:`microintern.documents.report`; this step reads the tabs and renders; the caller saves
the files (:func:`microintern.documents.report.files.save_report`: atomically and privately, the
PDF beside the HTML). The Dashboard tab gets one upsert of Figure / Value rows and its native charts
(:meth:`Roster.ensure_charts`), both idempotent: a rerun updates the figures and redraws the
same charts, never a second set.
Counts only, by default: students are named only with ``include_names``, in a table marked for
internal use, and never on the Dashboard (everyone who opens the sheet sees it).
"""

from __future__ import annotations

from microintern.documents.report.charts import render_charts
from microintern.documents.report.html import environment, render_html
from microintern.documents.report.pdf import render_pdf
from microintern.documents.report.rendered import RenderedReport
from microintern.documents.report.sections import sections
from microintern.documents.report.text import ENGLISH, has_report_text, load_report_text
from microintern.domain.report import ProgramReport
from microintern.domain.report.languages import in_language
from microintern.steps.context import StepContext, StepResult
from microintern.steps.sheet.dashboard import program_report, update_dashboard

__all__ = ["RenderedReport", "program_report", "render_report", "report_step", "update_dashboard"]


def render_report(ctx: StepContext, *, pdf: bool = True, include_names: bool = False,
                  report: ProgramReport | None = None, language: str | None = None) -> RenderedReport:
    """The report as HTML (inline SVG charts) and, with ``pdf``, as a PDF with the same sections.

    Written in ``language`` from ``templates/report.<lang>.yaml`` (a missing file is a
    TemplateError naming it); when None, in the program's default language, or in English when
    that language has no report text. The rendered report keeps the figures in the default
    language's names (what the Dashboard shows).
    """
    if report is None:
        report = program_report(ctx, include_names=include_names)
    templates = ctx.config.resolve(ctx.config.templates_folder)
    if language is None:
        default = ctx.config.program.default_language
        language = default if has_report_text(templates, default) else ENGLISH
    text = load_report_text(templates, language)
    shown = in_language(report, ctx.config, language)
    charts = render_charts(shown, text)
    html = render_html(shown, charts, environment(templates), text).encode("utf-8")
    document = render_pdf(shown, charts, created_at=ctx.now, text=text) if pdf else None
    return RenderedReport(html, document, report, len(charts), language)


def report_step(ctx: StepContext, *, pdf: bool = True, include_names: bool = False,
                dashboard: bool = True, language: str | None = None) -> tuple[RenderedReport, StepResult]:
    """The whole report (in ``language``, see :func:`render_report`): rendered files, then the
    Dashboard tab."""
    rendered = render_report(ctx, pdf=pdf, include_names=include_names, language=language)
    result = update_dashboard(ctx, rendered.report) if dashboard else StepResult()
    result.counts = {"sections": len(sections(rendered.report)), "charts": rendered.charts,
                     **result.counts}
    return rendered, result
