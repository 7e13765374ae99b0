"""Flyers: the student recruitment flyer and the partner outreach flyer, as HTML and PDF.

Each flyer is one Jinja2 template per language (``templates/flyer/<kind>.<lang>.html.j2``), all
extending ``flyer/_layout.html.j2`` (the page, its CSS, ``<html lang>``): a translator edits
whole sentences in one file, the layout stays in one place, and a language has a flyer when its
template exists. The HTML is the template's output as is (self-contained, the QR code embedded
as a ``data:`` URI, print CSS for a single page), and the PDF is fpdf2's rendering of the same
HTML's ``<body>``. fpdf2 reads a small subset of HTML and no CSS (table cells take plain text
only), which is why the templates keep to headings, paragraphs, lists, links, b/i and images.
The PDF embeds DejaVu Sans (:mod:`.pdf_text`), so names keep every letter; it carries the
flyer's language, its title (the HTML's ``<title>``) and the district as its author.

Nothing here does I/O: the caller passes the template environment and writes the files.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import segno
from babel.dates import format_date, format_time
from fpdf import FPDF, ViewerPreferences
from fpdf.errors import FPDFException
from fpdf.fonts import FontFace, TextStyle
from fpdf.html import HTML2FPDF
from jinja2 import Environment, TemplateNotFound
from jinja2 import TemplateError as JinjaError

from microintern.config import Localized, ProgramConfig, Session, text_in
from microintern.documents.pdf_text import add_unicode_font, pdf_metadata, pdf_text
from microintern.domain.dates import babel_locale
from microintern.domain.letters import render_template
from microintern.domain.setting_names import zone_name
from microintern.errors import TemplateError

FlyerKind = Literal["student", "partner"]
Paper = Literal["letter", "a4"]
FLYER_KINDS: tuple[FlyerKind, ...] = ("student", "partner")

# The link each flyer's QR code opens, by context key.
_QR_LINK_KEY: dict[str, str] = {"student": "application_url", "partner": "partner_contact_url"}

# Pixels per QR module: a typical form link gives a ~370 px PNG of a few hundred bytes, crisp
# at flyer size; the quiet zone (border) of 4 modules is what the QR standard asks for.
QR_SCALE = 10
QR_BORDER = 4

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
# CLDR date patterns per language, as the letters write them; other languages: CLDR's "full".
_DATE_PATTERNS = {"es": "EEEE d 'de' MMMM 'de' y"}
# The subject of the partner flyer's default "write to us" mail, in the partner's language
# (the partner sees it as they write). Another language falls back to English.
_CONTACT_SUBJECTS = {"en": "Hosting a micro-internship", "es": "Ser anfitrión de una micropasantía"}

# Largest body size first; the first that fits one page wins (a flyer is one sheet).
_PDF_FONT_SIZES = (13.0, 12.5, 12.0, 11.5, 11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0)
# The type size each body last fitted its page at, so the next render of the same flyer (every
# partner's invitation carries it) starts there: one layout instead of several.
_FITTED: dict[tuple[str, str], float] = {}
# Flyer PDFs made in this process, by their HTML, title, language, author and paper.
_MADE: dict[tuple[str, PdfInfo, str], bytes] = {}
_INK = "#1f2933"
_ACCENT = "#1d4e89"
_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)
# fpdf2 sets paragraphs and lists solid (line height 1.0), which packs DejaVu's accents ("ễ")
# against the line above; its HTML reader takes a line height only from a tag's style, so one is
# given to every paragraph and list (first: a style the template writes itself wins).
PDF_LINE_HEIGHT = 1.15
_LEADING = re.compile(r"<(p|ul|ol)\b(?=[\s>])", re.IGNORECASE)
_SLANTED = re.compile(r"<(i|em)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Flyer:
    """A rendered flyer: write ``<filename_stem>.html`` and ``<filename_stem>.pdf``."""

    filename_stem: str
    html: str
    pdf: bytes
    language: str = "en"
    title: str = ""


def template_name(kind: str, language: str) -> str:
    """The template of the ``kind`` flyer in ``language``."""
    return f"flyer/{kind}.{language}.html.j2"


def _exists(env: Environment, name: str) -> bool:
    try:
        env.get_template(name)
    except TemplateNotFound:
        return False
    except JinjaError:
        return True     # it exists; rendering it names what is wrong
    return True


def flyer_languages(config: ProgramConfig, env: Environment, kind: FlyerKind) -> list[str]:
    """The program's languages the ``kind`` flyer exists in, the default language first.

    A language has a flyer when its template exists. The default language's is always
    listed (rendering it says so when its template is missing); another language of the
    program without a template has no flyer (:func:`missing_flyer_templates` reports it).
    """
    default = config.program.default_language
    others = [language for language in config.program.languages
              if language != default and _exists(env, template_name(kind, language))]
    return [default, *others]


def missing_flyer_templates(languages: Sequence[str], env: Environment) -> list[str]:
    """The flyer templates missing for ``languages`` (for ``check-config``), one name each."""
    return [template_name(kind, language) for language in languages for kind in FLYER_KINDS
            if not _exists(env, template_name(kind, language))]


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


def format_when(wall: datetime, language: str = "en", time_zone: str = "") -> str:
    """A local wall time for people: ``Tuesday, March 16, 2027 · 3:30 PM Pacific Time``.

    English is spelled out here rather than with ``strftime`` so the result never depends on
    the locale of the machine that runs cron; other languages use Babel's CLDR data (never the
    machine's locale either): ``martes 16 de marzo de 2027 · 3:30 p. m. (hora del Pacífico)``.
    ``time_zone`` (the program's IANA zone) is named after the time as the letters name it, so
    a family in another zone reads whose 3:30 it is; without it the time stands alone.
    """
    where = zone_name(time_zone, language) if time_zone else ""
    if language == "en":
        hour = wall.hour % 12 or 12
        half = "AM" if wall.hour < 12 else "PM"
        # A no-break space: "3:30" and "PM" never part across lines, as in every language.
        return (f"{_DAYS[wall.weekday()]}, {_MONTHS[wall.month - 1]} {wall.day}, {wall.year}"
                f" · {hour}:{wall.minute:02d}\u00a0{half}" + (f" {where}" if where else ""))
    day = format_date(wall.date(), _DATE_PATTERNS.get(language, "full"), locale=babel_locale(language))
    # U.S. families read a 12-hour clock in every language, as the letters write it; the time
    # never breaks across lines ("11:59" on one line and "p. m." on the next).
    clock = format_time(wall.time(), "h:mm a", locale=babel_locale(language)).replace(" ", "\u00a0")
    # In parentheses, as the Spanish letters write it: "p. m." never runs into "hora del ...".
    return f"{day} · {clock}" + (f" ({where})" if where else "")


def _grade_range(grades: list[int]) -> tuple[int, int] | None:
    # Three or more consecutive grades read as a range ("grades 9–12"); the templates word it.
    if len(grades) >= 3 and grades == list(range(grades[0], grades[-1] + 1)):
        return grades[0], grades[-1]
    return None


def _own_text(value: str | None, language: str, default: str) -> str | None:
    """``value`` in ``language`` when it is given in it (the default language's always is).

    For config text a flyer may leave out, such as an industry written in English only: a
    Spanish flyer then says nothing rather than print an English word among Spanish ones.
    """
    if value is None:
        return None
    if language == default:
        return text_in(value, language)
    if isinstance(value, Localized) and language in value.texts:
        return value.texts[language]
    return None


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
    zone = config.program.time_zone
    return {
        "id": session.id,
        "title": text_in(session.title, language),
        "partner": text_in(partner.organization, language),
        # None when the industry is not written in this language (see _own_text).
        "industry": _own_text(session.industry or partner.industry, language,
                              config.program.default_language),
        "duration_minutes": session.duration_minutes,
        "meetings": [format_when(start, language, zone) for start in starts],
        "meeting_count": len(starts),
        "first": format_when(starts[0], language, zone),
        "last": format_when(starts[-1], language, zone),
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
    program's default language): program, district, session and partner names and dates are
    given in it. Words are the templates'; the context holds data only.
    """
    default = config.program.default_language
    language = language or default
    sessions = [_session_context(config, s, language)
                for s in sorted(config.sessions, key=lambda s: s.meeting_starts()[0])]
    coordinator = config.coordinator
    if partner_contact_url is None:
        subject = quote(_CONTACT_SUBJECTS.get(language, _CONTACT_SUBJECTS["en"]))
        partner_contact_url = f"mailto:{coordinator.email}?subject={subject}"
    singles = [s.duration_minutes for s in config.sessions if len(s.meeting_starts()) == 1]
    grades = sorted(set(config.application.eligible_grades))
    multi_week = [s for s in sessions if s["meeting_count"] > 1]
    return {
        "language": language,
        "default_language": default,
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
            "deadline": format_when(config.application.deadline, language, config.program.time_zone),
            "eligible_grades": grades,
            "grade_range": _grade_range(grades),
        },
        "badge": {"name": text_in(config.badge.name, language),
                  "description": text_in(config.badge.description, language)},
        "application_url": _web_link(application_url, "application link"),
        "partner_contact_url": _web_link(partner_contact_url, "partner contact link"),
    }


class _FlyerHTML(HTML2FPDF):
    """fpdf2's HTML reader, passing an ``<img>``'s ``alt`` on to the PDF (it drops it)."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Read the tag, with the image's alternative text at hand while it is drawn."""
        if tag != "img" or not isinstance(self.pdf, _FlyerPDF):
            super().handle_starttag(tag, attrs)
            return
        self.pdf.image_alt = dict(attrs).get("alt") or None
        try:
            super().handle_starttag(tag, attrs)
        finally:
            self.pdf.image_alt = None


class _FlyerPDF(FPDF):
    # fpdf2's documented hook for its HTML reader: ours keeps the QR code's alternative text, so
    # the PDF tags the image as a figure a screen reader can describe.
    HTML2FPDF_CLASS = _FlyerHTML
    image_alt: str | None = None

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(pdf_text(text))

    def image(self, *args: Any, **kwargs: Any) -> Any:
        """Draw an image; one drawn for an ``<img>`` carries its ``alt`` as alternative text."""
        if self.image_alt and not kwargs.get("alt_text"):
            kwargs["alt_text"] = pdf_metadata(self.image_alt)
        return super().image(*args, **kwargs)


def _tag_styles(size: float, family: str) -> dict[str, TextStyle | FontFace]:
    # Heading bottom margins are in lines of the heading's size; top margins in millimetres.
    step = size / 11
    return {
        "h1": TextStyle(font_family=family, font_style="B", font_size_pt=24 * step,
                        color=_ACCENT, t_margin=1 * step, b_margin=0.2),
        "h2": TextStyle(font_family=family, font_style="B", font_size_pt=14 * step,
                        color=_ACCENT, t_margin=5 * step, b_margin=0.15),
        "h3": TextStyle(font_family=family, font_style="B", font_size_pt=11 * step,
                        color=_INK, t_margin=3 * step, b_margin=0.1),
        "p": TextStyle(font_family=family, color=_INK, t_margin=1.5 * step, b_margin=0),
        "ul": TextStyle(t_margin=0.5 * step),
        "li": TextStyle(l_margin=6, t_margin=0.8 * step, color=_INK),
        "a": FontFace(color=_ACCENT, emphasis="UNDERLINE"),
        "b": FontFace(emphasis="BOLD"),
        "strong": FontFace(emphasis="BOLD"),
        "em": FontFace(emphasis="ITALICS"),
    }


@dataclass(frozen=True)
class PdfInfo:
    """What a PDF says about itself: its title, language, author; read by viewers and readers."""

    title: str
    language: str
    author: str = ""


def _pdf_once(body: str, info: PdfInfo, *, paper: Paper, size: float,
              created_at: datetime | None) -> _FlyerPDF:
    pdf = _FlyerPDF(format="Letter" if paper == "letter" else "A4", unit="mm")
    # The italic faces only when the body slants something: loading a face is most of the cost
    # of an attempt, and a flyer takes a few attempts to fit its page.
    italic = ("I", "BI") if _SLANTED.search(body) else ()
    family = add_unicode_font(pdf, ("", "B", *italic))
    if created_at is not None:
        pdf.set_creation_date(created_at)
    pdf.set_title(pdf_metadata(info.title))
    pdf.set_lang(info.language)
    if info.author:
        pdf.set_author(pdf_metadata(info.author))
    pdf.set_creator("microintern")
    # A viewer's title bar shows the title, not the file name (WCAG 2.4.2, PDF/UA).
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.set_margins(16, 16, 16)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_fill_color(_ACCENT)
    pdf.rect(0, 0, pdf.w, 5, style="F")
    pdf.set_font(family, size=size)
    pdf.set_text_color(_INK)
    pdf.write_html(body, tag_styles=_tag_styles(size, family), font_family=family,
                   li_prefix_color=_ACCENT, ul_bullet_char="\u2022",
                   warn_on_tags_not_matching=False)
    return pdf


def html_to_pdf(
    html: str, *, title: str, language: str = "en", author: str = "", paper: Paper = "letter",
    created_at: datetime | None = None,
) -> bytes:
    """Lay out the ``<body>`` of a flyer's HTML as a PDF, shrinking the type to fit one page.

    ``title`` and ``language`` (a BCP 47 tag such as ``es``) are the PDF's own, as screen
    readers and viewers read them; ``author`` is who publishes it. ``created_at`` is the PDF's
    creation time (now if not given); pass a fixed one to get the same bytes from the same HTML.
    The same flyer asked for again in one process (each partner's invitation carries it) is
    the same document: the PDF made first, its creation time kept, is given again.
    """
    key = (html, PdfInfo(title, language, author), paper)
    made = _MADE.get(key)
    if made is None:
        if len(_MADE) >= 32:  # a scheduler lives for months: keep the memo small
            _MADE.clear()
        made = _MADE[key] = _laid_out(html, key[1], paper, created_at)
    return made


def _laid_out(html: str, info: PdfInfo, paper: Paper, created_at: datetime | None) -> bytes:
    match = _BODY.search(html)
    body = _LEADING.sub(rf'<\1 style="line-height: {PDF_LINE_HEIGHT}"', match.group(1) if match else html)
    fitted = _FITTED.get((body, paper))
    sizes = _PDF_FONT_SIZES if fitted is None else (fitted, *(s for s in _PDF_FONT_SIZES if s < fitted))
    pdf = None
    for size in sizes:
        pdf = _pdf_once(body, info, paper=paper, size=size, created_at=created_at)
        if pdf.pages_count == 1:
            if len(_FITTED) > 64:  # a scheduler lives for months: keep the memo small
                _FITTED.clear()
            _FITTED[body, paper] = size
            break
    assert pdf is not None
    return bytes(pdf.output())


def _stem(program_id: str, kind: str, language: str, default: str) -> str:
    # The default language's flyer keeps the plain name; another language's adds its code.
    slug = re.sub(r"[^a-z0-9]+", "-", program_id.lower()).strip("-") or "program"
    suffix = "" if language == default else "-" + re.sub(r"[^a-z0-9]+", "-", language.lower())
    return f"{slug}-{kind}-flyer{suffix}"


def _html_title(html: str) -> str:
    found = _TITLE.search(html)
    return " ".join(html_lib.unescape(found.group(1)).split()) if found else ""


def render_flyer(
    kind: FlyerKind,
    context: Mapping[str, Any],
    env: Environment,
    *,
    paper: Paper = "letter",
    created_at: datetime | None = None,
) -> Flyer:
    """Render one flyer (``"student"`` or ``"partner"``) to HTML and PDF, in the context's language.

    ``context`` is :func:`flyer_context`'s result (or the same shape); ``env`` is
    :func:`microintern.domain.letters.make_environment` over the templates folder. The template
    is ``flyer/<kind>.<language>.html.j2``. The QR code of the flyer's link is added to the
    context as ``qr_src`` (a ``data:`` URI). The PDF's title is the HTML's ``<title>``, its
    language the flyer's. ``paper`` is the PDF's page size; ``created_at`` its creation time
    (now if not given).
    """
    if kind not in _QR_LINK_KEY:
        raise TemplateError(f"flyer: no such flyer {kind!r} (expected 'student' or 'partner')")
    name = f"flyer/{kind}.<language>.html.j2"
    try:
        link = _web_link(str(context[_QR_LINK_KEY[kind]]), _QR_LINK_KEY[kind].replace("_", " "))
        program = context["program"]
        program_id, language = str(program["id"]), str(context["language"])
        default = str(context.get("default_language") or language)
        name = template_name(kind, language)
        fallback_title = f"{program['name']}: {kind} flyer"
        author = str(program.get("district") or "")
    except (KeyError, TypeError) as exc:
        raise TemplateError(f"{name}: missing field {exc}") from None
    html = render_template(env, name, {**context, "qr_src": qr_data_uri(link)})
    title = _html_title(html) or fallback_title
    try:
        pdf = html_to_pdf(html, title=title, language=language, author=author, paper=paper,
                          created_at=created_at)
    except (FPDFException, NotImplementedError) as exc:
        # fpdf2 refuses HTML it cannot lay out, e.g. a tag nested in a table cell.
        raise TemplateError(f"{name}: the PDF cannot be made from this HTML ({exc})") from None
    return Flyer(_stem(program_id, kind, language, default), html, pdf, language, title)


def flyer_problems(config: ProgramConfig, env: Environment, application_url: str) -> list[str]:
    """What ``check-config`` should say about the flyers: one line per problem, empty when none.

    Every flyer must exist in every language of the program and render, strictly, with the
    program's own data (its names, sessions and dates in that language). Only the HTML is
    rendered: the PDF is the same body, and laying it out would cost about half a second each.
    """
    problems = [f"flyer: missing {name}" for name in missing_flyer_templates(config.program.languages, env)]
    for language in config.program.languages:
        try:
            context = flyer_context(config, application_url, language=language)
        except TemplateError as exc:
            return [*problems, str(exc)]
        for kind in FLYER_KINDS:
            name = template_name(kind, language)
            if not _exists(env, name):
                continue
            try:
                render_template(env, name, {**context, "qr_src": "data:image/png;base64,"})
            except TemplateError as exc:
                problems.append(f"flyer: {exc}")
    return problems
