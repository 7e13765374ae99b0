"""Flyers: the student recruitment flyer and the partner outreach flyer, as HTML and PDF.

Both come from one Jinja2 template per flyer (``templates/flyer/<kind>.html.j2``), so the words
live in one place: the HTML is the template's output as is (self-contained, the QR code embedded
as a ``data:`` URI, print CSS for a single page), and the PDF is fpdf2's rendering of the same
HTML's ``<body>``. fpdf2 reads a small subset of HTML and no CSS (table cells take plain text
only), which is why the templates keep to headings, paragraphs, lists, links, b/i and images; its
built-in fonts cover Windows-1252 only, so other characters are spelled in their closest Latin form
in the PDF (the HTML keeps them all). No font file is needed, on any machine.

Nothing here does I/O: the caller passes the template environment and writes the files.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import segno
from fpdf import FPDF
from fpdf.errors import FPDFException
from fpdf.fonts import FontFace, TextStyle
from jinja2 import Environment

from microintern.config import ProgramConfig, Session, text_in
from microintern.documents.pdf_text import pdf_text
from microintern.domain.letters import render_template
from microintern.errors import TemplateError

FlyerKind = Literal["student", "partner"]
Paper = Literal["letter", "a4"]

# The link each flyer's QR code opens, by context key.
_QR_LINK_KEY: dict[str, str] = {"student": "application_url", "partner": "partner_contact_url"}

# Pixels per QR module: a typical form link gives a ~370 px PNG of a few hundred bytes, crisp
# at flyer size; the quiet zone (border) of 4 modules is what the QR standard asks for.
QR_SCALE = 10
QR_BORDER = 4

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

# Largest body size first; the first that fits one page wins (a flyer is one sheet).
_PDF_FONT_SIZES = (13.0, 12.5, 12.0, 11.5, 11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0)
_INK = "#1f2933"
_ACCENT = "#1d4e89"
_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Flyer:
    """A rendered flyer: write ``<filename_stem>.html`` and ``<filename_stem>.pdf``."""

    filename_stem: str
    html: str
    pdf: bytes


def qr_png(data: str, *, scale: int = QR_SCALE, border: int = QR_BORDER) -> bytes:
    """The QR code of ``data`` as a black-and-white PNG (error correction M or better)."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def qr_svg(data: str, *, border: int = QR_BORDER) -> str:
    """The QR code of ``data`` as a scalable SVG document (for print shops and posters)."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(
        buffer, kind="svg", border=border, xmldecl=False, svgns=True, omitsize=True
    )
    return buffer.getvalue().decode("utf-8")


def qr_data_uri(data: str) -> str:
    """The QR code of ``data`` as a ``data:image/png;base64,...`` URI, for ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(qr_png(data)).decode("ascii")


def format_when(wall: datetime) -> str:
    """A local wall time for people: ``Tuesday, March 16, 2027 · 3:30 PM``.

    Spelled out here rather than with ``strftime`` so the result never depends on the locale of
    the machine that runs cron.
    """
    hour = wall.hour % 12 or 12
    half = "AM" if wall.hour < 12 else "PM"
    return (f"{_DAYS[wall.weekday()]}, {_MONTHS[wall.month - 1]} {wall.day}, {wall.year}"
            f" · {hour}:{wall.minute:02d} {half}")


def _grades_text(grades: list[int]) -> str:
    ordered = sorted(set(grades))
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"grades {ordered[0]}–{ordered[-1]}"
    if len(ordered) == 1:
        return f"grade {ordered[0]}"
    return "grades " + ", ".join(map(str, ordered[:-1])) + f" and {ordered[-1]}"


def _web_link(url: str, what: str) -> str:
    # The link becomes an href and a QR code: only a web or mail link, never javascript: or data:.
    parts = urlsplit(url.strip())
    ok = (parts.scheme in ("http", "https") and bool(parts.netloc)) or (
        parts.scheme == "mailto" and "@" in parts.path)
    if not ok or any(c.isspace() for c in url.strip()):
        raise TemplateError(f"flyer: the {what} must be an http(s) or mailto link, found {url!r}")
    return url.strip()


def _session_context(config: ProgramConfig, session: Session, language: str) -> dict[str, Any]:
    partners = {p.id: p for p in config.partners}
    partner = partners[session.partner]
    starts = session.meeting_starts()
    return {
        "id": session.id,
        "title": text_in(session.title, language),
        "partner": text_in(partner.organization, language),
        "industry": session.industry or partner.industry,
        "duration_minutes": session.duration_minutes,
        "meetings": [format_when(start) for start in starts],
        "meeting_count": len(starts),
        "first": format_when(starts[0]),
        "last": format_when(starts[-1]),
        "every_days": session.weekly.every_days if session.weekly else None,
        "hours_target": session.hours_target,
        "paid": session.paid,
        "group_min": session.group_size.min,
        "group_max": session.group_size.max,
    }


def flyer_context(
    config: ProgramConfig, application_url: str, *, partner_contact_url: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The template context for both flyers, built from the program config.

    ``application_url`` is the student application form's link (text and QR code on the student
    flyer). ``partner_contact_url`` is what the partner flyer's QR code opens; by default a mail
    to the coordinator with a subject line filled in. ``language`` is the flyer's (default: the
    program's default language): program, district, session and partner names are given in it.
    """
    language = language or config.program.default_language
    sessions = [_session_context(config, s, language)
                for s in sorted(config.sessions, key=lambda s: s.meeting_starts()[0])]
    coordinator = config.coordinator
    if partner_contact_url is None:
        subject = quote("Hosting a micro-internship")
        partner_contact_url = f"mailto:{coordinator.email}?subject={subject}"
    singles = [s.duration_minutes for s in config.sessions if len(s.meeting_starts()) == 1]
    grades = sorted(set(config.application.eligible_grades))
    multi_week = [s for s in sessions if s["meeting_count"] > 1]
    return {
        "language": language,
        "program": {
            "id": config.program.id,
            "name": text_in(config.program.name, language),
            "district": text_in(config.program.district, language),
        },
        "coordinator": {"name": coordinator.name, "email": coordinator.email},
        "sessions": sessions,
        "partners": [text_in(p.organization, language) for p in config.partners],
        "group_min": min(s.group_size.min for s in config.sessions),
        "group_max": max(s.group_size.max for s in config.sessions),
        # The length of a one-meeting micro-internship, as the flyers describe the format.
        "session_minutes": max(set(singles), key=singles.count) if singles else 90,
        "multi_week": multi_week,
        "application": {
            "deadline": format_when(config.application.deadline),
            "eligible_grades": grades,
            "grades_text": _grades_text(grades),
        },
        "badge": {"name": config.badge.name, "description": config.badge.description},
        "application_url": _web_link(application_url, "application link"),
        "partner_contact_url": _web_link(partner_contact_url, "partner contact link"),
    }


class _FlyerPDF(FPDF):
    def normalize_text(self, text: str) -> str:
        return super().normalize_text(pdf_text(text))


def _tag_styles(size: float) -> dict[str, TextStyle | FontFace]:
    # Heading bottom margins are in lines of the heading's size; top margins in millimetres.
    step = size / 11
    return {
        "h1": TextStyle(font_family="helvetica", font_style="B", font_size_pt=24 * step,
                        color=_ACCENT, t_margin=1 * step, b_margin=0.2),
        "h2": TextStyle(font_family="helvetica", font_style="B", font_size_pt=14 * step,
                        color=_ACCENT, t_margin=5 * step, b_margin=0.15),
        "h3": TextStyle(font_family="helvetica", font_style="B", font_size_pt=11 * step,
                        color=_INK, t_margin=3 * step, b_margin=0.1),
        "p": TextStyle(font_family="helvetica", color=_INK, t_margin=1.5 * step, b_margin=0),
        "ul": TextStyle(t_margin=0.5 * step),
        "li": TextStyle(l_margin=6, t_margin=0.8 * step, color=_INK),
        "a": FontFace(color=_ACCENT, emphasis="UNDERLINE"),
        "b": FontFace(emphasis="BOLD"),
        "strong": FontFace(emphasis="BOLD"),
        "em": FontFace(emphasis="ITALICS"),
    }


def _pdf_once(
    body: str, *, title: str, paper: Paper, size: float, created_at: datetime | None
) -> _FlyerPDF:
    pdf = _FlyerPDF(format="Letter" if paper == "letter" else "A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    if created_at is not None:
        pdf.set_creation_date(created_at)
    pdf.set_title(pdf_text(title))
    pdf.set_creator("microintern")
    pdf.set_margins(16, 16, 16)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_fill_color(_ACCENT)
    pdf.rect(0, 0, pdf.w, 5, style="F")
    pdf.set_font("helvetica", size=size)
    pdf.set_text_color(_INK)
    pdf.write_html(body, tag_styles=_tag_styles(size), font_family="helvetica",
                   li_prefix_color=_ACCENT, ul_bullet_char="\u2022",
                   warn_on_tags_not_matching=False)
    return pdf


def html_to_pdf(
    html: str, *, title: str, paper: Paper = "letter", created_at: datetime | None = None
) -> bytes:
    """Lay out the ``<body>`` of a flyer's HTML as a PDF, shrinking the type to fit one page.

    ``created_at`` is the PDF's creation time (now if not given); pass a fixed one to get the
    same bytes from the same HTML.
    """
    match = _BODY.search(html)
    body = match.group(1) if match else html
    pdf = None
    for size in _PDF_FONT_SIZES:
        pdf = _pdf_once(body, title=title, paper=paper, size=size, created_at=created_at)
        if pdf.pages_count == 1:
            break
    assert pdf is not None
    return bytes(pdf.output())


def _stem(program_id: str, kind: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", program_id.lower()).strip("-") or "program"
    return f"{slug}-{kind}-flyer"


def render_flyer(
    kind: FlyerKind,
    context: Mapping[str, Any],
    env: Environment,
    *,
    paper: Paper = "letter",
    created_at: datetime | None = None,
) -> Flyer:
    """Render one flyer (``"student"`` or ``"partner"``) to HTML and PDF.

    ``context`` is :func:`flyer_context`'s result (or the same shape); ``env`` is
    :func:`microintern.domain.letters.make_environment` over the templates folder. The QR code
    of the flyer's link is added to the context as ``qr_src`` (a ``data:`` URI). ``paper`` is
    the PDF's page size; ``created_at`` its creation time (now if not given).
    """
    if kind not in _QR_LINK_KEY:
        raise TemplateError(f"flyer: no such flyer {kind!r} (expected 'student' or 'partner')")
    name = f"flyer/{kind}.html.j2"
    try:
        link = _web_link(str(context[_QR_LINK_KEY[kind]]), _QR_LINK_KEY[kind].replace("_", " "))
        program_id = str(context["program"]["id"])
        title = str(context["program"]["name"])
    except (KeyError, TypeError) as exc:
        raise TemplateError(f"{name}: missing field {exc}") from None
    html = render_template(env, name, {**context, "qr_src": qr_data_uri(link)})
    try:
        pdf = html_to_pdf(html, title=f"{title}: {kind} flyer", paper=paper, created_at=created_at)
    except (FPDFException, NotImplementedError) as exc:
        # fpdf2 refuses HTML it cannot lay out, e.g. a tag nested in a table cell.
        raise TemplateError(f"{name}: the PDF cannot be made from this HTML ({exc})") from None
    return Flyer(_stem(program_id, kind), html, pdf)
