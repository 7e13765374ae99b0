"""The report as a PDF (fpdf2, pure Python): the same sections as the HTML, in the same order.

Each section is a PDF outline entry (bookmark) with the HTML's heading, followed by its lead
sentence, its chart (the PNG rendering) and its tables. A heading is kept with its chart (or,
without one, with the start of its first table): the height they need is measured before the
heading is written, and a page is added first when they would not fit; a chart taller than a
page is scaled down to fit under its heading. A table's caption is kept with its first rows.
The PDF embeds DejaVu Sans (:mod:`microintern.documents.pdf_text`), so a student or partner
named "Nguyễn Thị Ánh" keeps every letter, and carries its language (``/Lang``: the language of
its report text, ``templates/report.<lang>.yaml``), its title in that language and the district
as author, shown in a viewer's title bar.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fpdf import FPDF, ViewerPreferences
from fpdf.fonts import FontFace

from microintern.documents.pdf_text import FONT_FAMILY, add_unicode_font, pdf_metadata, pdf_text
from microintern.documents.report.charts import Chart
from microintern.documents.report.sections import Section, Table, sections
from microintern.documents.report.text import ReportText, english
from microintern.domain.report import ProgramReport

ACCENT = (29, 78, 137)
INK = (31, 41, 51)
MUTED = (82, 96, 109)
WARN = (180, 35, 24)
HEADER_FILL = (240, 244, 248)
CHART_WIDTH = 0.9          # of the page's usable width
CELL_PADDING = 0.8         # mm around a table cell's text
TABLE_START = 24.0         # mm: a table's header and first rows, kept with its caption or heading


# Text is ragged right (align="L"): fpdf2 justifies multi_cell text by default, which is harder
# to read (WCAG 1.4.8) and which it draws word by word with a Unicode font, so that text
# extractors see double spaces.
FONT = FONT_FAMILY


class _ReportPDF(FPDF):
    def __init__(self, text: ReportText | None = None, **options: Any) -> None:
        super().__init__(**options)
        add_unicode_font(self)
        self.text = text or english()               # the footer's words
        self.scratch: _ReportPDF | None = None     # where tables are measured (_scratch)

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(pdf_text(text))

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=7)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.text.say("page", page=self.page_no()), align="R")


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's IHDR chunk (always bytes 16-24)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _room(pdf: FPDF) -> float:
    """Height left on the current page before fpdf2 would break it."""
    return pdf.page_break_trigger - pdf.get_y()


def _page_height(pdf: FPDF) -> float:
    """The usable height of a fresh page."""
    return pdf.page_break_trigger - pdf.t_margin


def _heading_height(pdf: FPDF, section: Section, no_data: str) -> float:
    """What the heading, the lead and the "no data yet" line take (measured, nothing written)."""
    pdf.set_font(FONT, style="B", size=14)
    height = pdf.multi_cell(0, 8, section.heading, align="L", dry_run=True, output="HEIGHT")
    pdf.set_font(FONT, style="B" if section.internal else "", size=9)
    height += pdf.multi_cell(0, 4.5, section.lead, align="L", dry_run=True, output="HEIGHT") + 1
    if not section.has_data:
        pdf.set_font(FONT, style="I", size=9)
        height += pdf.multi_cell(0, 5, no_data, align="L", dry_run=True, output="HEIGHT")
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
    """A fresh blank page of the same size and margins, to measure what a table takes.

    One scratch document per report, a new page for each measure: loading the font into a
    document costs about 0.1 s of CPU, a page nothing.
    """
    scratch = pdf.scratch if isinstance(pdf, _ReportPDF) else None
    if scratch is None:
        scratch = _ReportPDF(format=(pdf.w, pdf.h), unit="mm", text=getattr(pdf, "text", None))
        scratch.set_margins(pdf.l_margin, pdf.t_margin, pdf.r_margin)
        scratch.set_auto_page_break(auto=True, margin=pdf.b_margin)
        if isinstance(pdf, _ReportPDF):
            pdf.scratch = scratch
    scratch.add_page()
    return scratch


def _table_height(pdf: FPDF, table: Table) -> float | None:
    """The height the table takes when drawn whole on one page; None when it needs more."""
    scratch = _scratch(pdf)
    page, start = scratch.page, scratch.get_y()
    _draw_table(scratch, table)
    return None if scratch.page > page else scratch.get_y() - start


def _table(pdf: FPDF, table: Table) -> None:
    # A table that fits on a page is kept whole (moved to the next page rather than split);
    # a longer one starts where it is, but never with its caption alone at a page's end.
    whole = _table_height(pdf, table)
    if whole is not None and whole > _room(pdf) and whole <= _page_height(pdf) / 2:
        pdf.add_page()
    _draw_table(pdf, table)


def _longest_words(pdf: FPDF, table: Table, size: float) -> list[float]:
    """The width of each column's longest word (headers in bold), at ``size``."""
    longest = [0.0] * len(table.headers)
    for style, rows in (("B", (table.headers,)), ("", table.rows)):
        pdf.set_font(FONT, style=style, size=size)
        for cells in rows:
            for i, cell in enumerate(cells[:len(longest)]):
                for word in str(cell).split():
                    longest[i] = max(longest[i], pdf.get_string_width(word))
    return longest


def _table_layout(pdf: FPDF, table: Table) -> tuple[float, tuple[float, ...]]:
    """The font size and column widths (mm) that split no word across lines.

    The first column (a session, a group) gets the most room, the figures share the rest; a
    column whose longest word would not fit ("confirmation" in a narrow heading) takes room
    from the columns that have some to spare, and when no split can give it that room the
    type gets smaller.
    """
    columns = len(table.headers)
    shares = (3, *([1.4] * (columns - 1))) if columns > 2 else (3, 1)
    wanted = [pdf.epw * share / sum(shares) for share in shares]
    largest = 7.5 if columns > 6 else 8.5
    for size in (largest, largest - 0.5, largest - 1, largest - 1.5):
        # A hair more than the word itself: the glyph widths are rounded in the PDF.
        need = [word + 2 * CELL_PADDING + 0.5 for word in _longest_words(pdf, table, size)]
        widths = [max(w, n) for w, n in zip(wanted, need, strict=True)]
        excess = sum(widths) - pdf.epw
        spare = [w - n for w, n in zip(widths, need, strict=True)]
        if excess <= sum(spare):
            if excess > 0:
                widths = [w - excess * s / sum(spare) for w, s in zip(widths, spare, strict=True)]
            return size, tuple(widths)
    return largest - 1.5, tuple(wanted)    # words this long are split; the table still shows them


def _draw_table(pdf: FPDF, table: Table) -> None:
    if table.caption:
        pdf.set_font(FONT, style="B", size=9)
        caption = float(pdf.multi_cell(0, 5, table.caption, align="L", dry_run=True, output="HEIGHT"))
        if _room(pdf) < caption + TABLE_START:   # a caption never ends a page alone
            pdf.add_page()
        pdf.set_font(FONT, style="B", size=9)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5, table.caption, align="L", new_x="LMARGIN", new_y="NEXT")
    size, widths = _table_layout(pdf, table)
    pdf.set_font(FONT, size=size)
    # Words read from the left, figures line up on the right, as in the HTML.
    align = tuple("LEFT" if words else "RIGHT" for words in table.text_columns)
    with pdf.table(col_widths=widths, text_align=align,
                   headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
                   line_height=4.2, padding=CELL_PADDING, borders_layout="HORIZONTAL_LINES") as grid:
        for cells in (table.headers, *table.rows):
            row = grid.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(3)


def _section(pdf: FPDF, section: Section, chart: Chart | None, text: ReportText | None = None) -> None:
    no_data = (text or english()).say("no_data")
    heading = _heading_height(pdf, section, no_data)
    size = _chart_size(pdf, chart, heading) if chart is not None else None
    # What must stand on the heading's page: the heading and lead, then the chart (or the
    # start of the first table). When that does not fit, the heading moves to a new page.
    follows = size[1] + 2 if size is not None else (TABLE_START if section.tables else 0)
    if _room(pdf) < heading + follows:
        pdf.add_page()
    pdf.start_section(pdf_metadata(section.heading))
    pdf.set_font(FONT, style="B", size=14)
    pdf.set_text_color(*(WARN if section.internal else ACCENT))
    pdf.multi_cell(0, 8, section.heading, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, style="B" if section.internal else "", size=9)
    pdf.set_text_color(*(WARN if section.internal else MUTED))
    pdf.multi_cell(0, 4.5, section.lead, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    if not section.has_data:
        pdf.set_font(FONT, style="I", size=9)
        pdf.multi_cell(0, 5, no_data, align="L", new_x="LMARGIN", new_y="NEXT")
    if chart is not None and size is not None:
        pdf.image(io.BytesIO(chart.png), w=size[0], h=size[1], alt_text=pdf_metadata(chart.alt))
        pdf.ln(2)
    pdf.set_text_color(*INK)
    for table in section.tables:
        _table(pdf, table)
    pdf.ln(4)


def render_pdf(report: ProgramReport, charts: Mapping[str, Chart], *, created_at: datetime,
               text: ReportText | None = None) -> bytes:
    """The report as PDF bytes in ``text``'s language (English when None); ``created_at`` is
    stamped as the creation date (reproducible)."""
    t = text or english()
    pdf = _ReportPDF(format="Letter", unit="mm", text=t)
    pdf.set_creation_date(created_at)
    pdf.set_title(pdf_metadata(t.say("title", program=report.program)))
    pdf.set_lang(t.language)
    pdf.set_author(pdf_metadata(report.district))
    pdf.set_creator("microintern")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_page()
    pdf.set_font(FONT, style="B", size=20)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 10, report.program, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, t.say("byline", district=report.district, generated=t.when(report.generated)),
                   align="L", new_x="LMARGIN", new_y="NEXT")
    privacy = t.say("names_note") if report.includes_names else t.say("counts_note")
    pdf.multi_cell(0, 5, privacy, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for section in sections(report, t):
        _section(pdf, section, charts.get(section.id), t)
    return bytes(pdf.output())
