"""The report as a PDF (fpdf2, pure Python): the same sections as the HTML, in the same order.

Each section is a PDF outline entry (bookmark) with the HTML's heading, followed by its lead
sentence, its chart (the PNG rendering) and its tables. A heading is kept with its chart (or,
without one, with the start of its first table): the height they need is measured before the
heading is written, and a page is added first when they would not fit; a chart taller than a
page is scaled down to fit under its heading. A table's caption is kept with its first rows.
fpdf2's built-in Helvetica speaks Windows-1252 only, so other characters are spelled in their
closest Latin form ("Nguyễn" → "Nguyen"); no font file is needed on any machine.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

from microintern.documents.pdf_text import pdf_text
from microintern.documents.report.charts import Chart
from microintern.documents.report.sections import Section, Table, sections
from microintern.domain.report import NO_DATA, ProgramReport

ACCENT = (29, 78, 137)
INK = (31, 41, 51)
MUTED = (82, 96, 109)
WARN = (180, 35, 24)
HEADER_FILL = (240, 244, 248)
CHART_WIDTH = 0.9          # of the page's usable width
TABLE_START = 24.0         # mm: a table's header and first rows, kept with its caption or heading


class _ReportPDF(FPDF):
    def normalize_text(self, text: str) -> str:
        return super().normalize_text(pdf_text(text))

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("helvetica", size=7)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"page {self.page_no()}", align="R")


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's IHDR chunk (always bytes 16-24)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _room(pdf: FPDF) -> float:
    """Height left on the current page before fpdf2 would break it."""
    return pdf.page_break_trigger - pdf.get_y()


def _page_height(pdf: FPDF) -> float:
    """The usable height of a fresh page."""
    return pdf.page_break_trigger - pdf.t_margin


def _heading_height(pdf: FPDF, section: Section) -> float:
    """What the heading, the lead and the "no data yet" line take (measured, nothing written)."""
    pdf.set_font("helvetica", style="B", size=14)
    height = pdf.multi_cell(0, 8, section.heading, dry_run=True, output="HEIGHT")
    pdf.set_font("helvetica", style="B" if section.internal else "", size=9)
    height += pdf.multi_cell(0, 4.5, section.lead, dry_run=True, output="HEIGHT") + 1
    if not section.has_data:
        pdf.set_font("helvetica", style="I", size=9)
        height += pdf.multi_cell(0, 5, NO_DATA, dry_run=True, output="HEIGHT")
    return float(height)


def _chart_size(pdf: FPDF, chart: Chart, heading: float) -> tuple[float, float]:
    """The chart's width and height on the page: the usable width, or smaller when it would not
    fit on one page under its heading."""
    pixels_wide, pixels_high = _png_size(chart.png)
    width = pdf.epw * CHART_WIDTH
    height = width * pixels_high / pixels_wide
    most = _page_height(pdf) - heading - 2
    if height > most:
        width, height = width * most / height, most
    return width, height


def _scratch(pdf: FPDF) -> FPDF:
    """A blank page of the same size and margins, to measure what a table takes."""
    scratch = _ReportPDF(format=(pdf.w, pdf.h), unit="mm")
    scratch.set_margins(pdf.l_margin, pdf.t_margin, pdf.r_margin)
    scratch.set_auto_page_break(auto=True, margin=pdf.b_margin)
    scratch.add_page()
    return scratch


def _table_height(pdf: FPDF, table: Table) -> float | None:
    """The height the table takes when drawn whole on one page; None when it needs more."""
    scratch = _scratch(pdf)
    start = scratch.get_y()
    _draw_table(scratch, table)
    return None if scratch.page > 1 else scratch.get_y() - start


def _table(pdf: FPDF, table: Table) -> None:
    # A table that fits on a page is kept whole (moved to the next page rather than split);
    # a longer one starts where it is, but never with its caption alone at a page's end.
    whole = _table_height(pdf, table)
    if whole is not None and whole > _room(pdf) and whole <= _page_height(pdf) / 2:
        pdf.add_page()
    _draw_table(pdf, table)


def _draw_table(pdf: FPDF, table: Table) -> None:
    if table.caption:
        pdf.set_font("helvetica", style="B", size=9)
        caption = float(pdf.multi_cell(0, 5, table.caption, dry_run=True, output="HEIGHT"))
        if _room(pdf) < caption + TABLE_START:   # a caption never ends a page alone
            pdf.add_page()
        pdf.set_font("helvetica", style="B", size=9)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5, table.caption, new_x="LMARGIN", new_y="NEXT")
    columns = len(table.headers)
    pdf.set_font("helvetica", size=7.5 if columns > 6 else 8.5)
    widths = (3, *([1.4] * (columns - 1))) if columns > 2 else (3, 1)
    with pdf.table(col_widths=widths, text_align=("LEFT", *(["RIGHT"] * (columns - 1))),
                   headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
                   line_height=4.2, padding=0.8, borders_layout="HORIZONTAL_LINES") as grid:
        for cells in (table.headers, *table.rows):
            row = grid.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(3)


def _section(pdf: FPDF, section: Section, chart: Chart | None) -> None:
    heading = _heading_height(pdf, section)
    size = _chart_size(pdf, chart, heading) if chart is not None else None
    # What must stand on the heading's page: the heading and lead, then the chart (or the
    # start of the first table). When that does not fit, the heading moves to a new page.
    follows = size[1] + 2 if size is not None else (TABLE_START if section.tables else 0)
    if _room(pdf) < heading + follows:
        pdf.add_page()
    pdf.start_section(pdf_text(section.heading))
    pdf.set_font("helvetica", style="B", size=14)
    pdf.set_text_color(*(WARN if section.internal else ACCENT))
    pdf.multi_cell(0, 8, section.heading, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", style="B" if section.internal else "", size=9)
    pdf.set_text_color(*(WARN if section.internal else MUTED))
    pdf.multi_cell(0, 4.5, section.lead, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    if not section.has_data:
        pdf.set_font("helvetica", style="I", size=9)
        pdf.multi_cell(0, 5, NO_DATA, new_x="LMARGIN", new_y="NEXT")
    if chart is not None and size is not None:
        pdf.image(io.BytesIO(chart.png), w=size[0], h=size[1], alt_text=pdf_text(chart.alt))
        pdf.ln(2)
    pdf.set_text_color(*INK)
    for table in section.tables:
        _table(pdf, table)
    pdf.ln(4)


def render_pdf(report: ProgramReport, charts: Mapping[str, Chart], *, created_at: datetime) -> bytes:
    """The report as PDF bytes; ``created_at`` is stamped as the creation date (reproducible)."""
    pdf = _ReportPDF(format="Letter", unit="mm")
    pdf.set_creation_date(created_at)
    pdf.set_title(pdf_text(f"{report.program}: program report"))
    pdf.set_creator("microintern")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_page()
    pdf.set_font("helvetica", style="B", size=20)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 10, report.program, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    pdf.set_text_color(*MUTED)
    generated = report.generated.strftime("%Y-%m-%d %H:%M %Z").strip()
    pdf.multi_cell(0, 5, f"{report.district} · program report · {generated}", new_x="LMARGIN", new_y="NEXT")
    privacy = ("Includes an internal table that names students: for program staff only."
               if report.includes_names else
               "Counts and session-level figures only: no student is named in this report.")
    pdf.multi_cell(0, 5, privacy, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for section in sections(report):
        _section(pdf, section, charts.get(section.id))
    return bytes(pdf.output())
