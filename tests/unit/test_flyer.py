"""Flyers render from the shipped templates and the example config: HTML, PDF and a QR code that
opens the right link. The PDF's text is read back with pypdf (the text a screen reader or a search
gets), so a letter the font cannot draw or a word split apart would show."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import segno
from jinja2 import DictLoader, FileSystemLoader
from PIL import Image
from pypdf import PdfReader

from microintern.config import ProgramConfig, load_config
from microintern.documents.flyer import (
    QR_BORDER,
    Flyer,
    flyer_context,
    format_when,
    qr_png,
    qr_svg,
    render_flyer,
)
from microintern.domain.letters import make_environment
from microintern.errors import TemplateError

ROOT = Path(__file__).resolve().parents[2]
APPLY = "https://forms.gle/AbCdEfGhIjKlMnOp9"
ENV = make_environment(FileSystemLoader(str(ROOT / "templates")))


@pytest.fixture(scope="module")
def config() -> ProgramConfig:
    return load_config(ROOT / "config" / "program.example.yaml")


# Rendered flyers by (config, kind, options): a PDF takes about half a second of CPU, and several
# tests read the same flyer of the example program.
_RENDERED: dict[tuple[int, str, str], tuple[ProgramConfig, Flyer]] = {}


def render(kind: str, config: ProgramConfig, **context_options: Any) -> Flyer:
    key = (id(config), kind, repr(sorted(context_options.items())))
    if key not in _RENDERED or _RENDERED[key][0] is not config:
        flyer = render_flyer(kind, flyer_context(config, APPLY, **context_options), ENV)  # type: ignore[arg-type]
        _RENDERED[key] = (config, flyer)     # the config kept alive, so its id is not reused
    return _RENDERED[key][1]


def with_program_name(config: ProgramConfig, name: str) -> ProgramConfig:
    return config.model_copy(update={"program": config.program.model_copy(update={"name": name})})


def pdf_text(pdf: bytes) -> str:
    """The text of the pages as pypdf extracts it, runs of white space made one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def squeeze(text: str) -> str:
    # A long link wraps across lines in the PDF; compare without the breaks.
    return "".join(text.split())


def embedded_qr(html: str) -> Image.Image:
    found = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert found, "no PNG data URI in the HTML"
    return Image.open(io.BytesIO(base64.b64decode(found.group(1))))


def modules_of(image: Image.Image, symbol: segno.QRCode) -> list[list[bool]]:
    """Read the dark/light modules off a QR image by sampling each module's centre."""
    width_in_modules = symbol.symbol_size(scale=1, border=QR_BORDER)[0]
    scale = image.width // width_in_modules
    assert image.width == width_in_modules * scale == image.height
    gray = image.convert("L")
    count = len(symbol.matrix)
    return [
        [gray.getpixel(((QR_BORDER + col) * scale + scale // 2,
                        (QR_BORDER + row) * scale + scale // 2)) < 128 for col in range(count)]
        for row in range(count)
    ]


# --- the student flyer -------------------------------------------------------------------------


def test_student_html_has_program_sessions_deadline_link_and_contact(config: ProgramConfig) -> None:
    html = render("student", config).html
    assert "Mesa Valley Micro-Internships, Spring 2027" in html
    for session in config.sessions:
        assert session.title in html
    for organization in ("Solis Cyber Defense", "Desert Regional Health", "Valley Analytics Co-op"):
        assert organization in html
    assert "Tuesday, March 16, 2027 · 3:30\u00a0PM Pacific Time" in html
    assert "Apply by Friday, February 12, 2027 · 11:59\u00a0PM Pacific Time" in html
    assert "grades 10–12" in html and '<html lang="en">' in html
    assert f'href="{APPLY}"' in html and f">{APPLY}</a>" in html
    assert "dana.whitfield@mesavalley.example" in html
    assert "6 meetings of 90 minutes" in html and "Paid, 30 hours in all" in html


def test_html_is_self_contained_and_print_ready(config: ProgramConfig) -> None:
    for kind in ("student", "partner"):
        html = render(kind, config).html
        assert not re.search(r'(src|href)="(https?:)?//[^"]*\.(css|js|png|svg|woff2?)"', html)
        assert "<link" not in html and "@import" not in html and "<script" not in html
        assert "@media print" in html and "@page" in html
        assert 'src="data:image/png;base64,' in html


def test_embedded_qr_is_the_application_link(config: ProgramConfig) -> None:
    image = embedded_qr(render("student", config).html)
    expected = segno.make(APPLY, error="m", micro=False)
    assert modules_of(image, expected) == [[bool(m) for m in row] for row in expected.matrix]
    other = segno.make(APPLY + "x", error="m", micro=False)
    assert modules_of(image, expected) != [[bool(m) for m in row] for row in other.matrix]


def test_student_pdf_is_one_page_with_name_link_and_sessions(config: ProgramConfig) -> None:
    flyer = render("student", config)
    assert flyer.pdf.startswith(b"%PDF-")
    assert flyer.pdf.rstrip().endswith(b"%%EOF")
    assert pdf_pages(flyer.pdf) == 1
    text = pdf_text(flyer.pdf)
    assert "Mesa Valley Micro-Internships, Spring 2027" in text
    assert APPLY in squeeze(text)
    for session in config.sessions:
        assert session.title in text
    assert "Friday, February 12, 2027 · 11:59 PM Pacific Time" in text
    # The link is clickable too, and the QR image is the HTML's image.
    assert f"/URI ({APPLY})".encode() in flyer.pdf
    width = embedded_qr(flyer.html).width
    assert re.search(rb"/Width %d\b" % width, flyer.pdf)


def test_filename_stem_names_program_and_kind(config: ProgramConfig) -> None:
    assert render("student", config).filename_stem == "mvusd-spring-2027-student-flyer"
    assert render("partner", config).filename_stem == "mvusd-spring-2027-partner-flyer"


# --- the partner flyer -------------------------------------------------------------------------


def test_partner_flyer_says_what_it_takes_and_mails_the_coordinator(config: ProgramConfig) -> None:
    flyer = render("partner", config)
    html = flyer.html
    assert "Host a micro-internship" in html
    assert "One 90-minute virtual session with 4–6 students" in html
    assert "6 meetings of 90 minutes, 30 hours in all, paid for the students" in html
    assert "We handle the rest" in html and "Recruiting, screening and selecting" in html
    assert 'href="mailto:dana.whitfield@mesavalley.example"' in html
    mailto = "mailto:dana.whitfield@mesavalley.example?subject=Hosting%20a%20micro-internship"
    expected = segno.make(mailto, error="m", micro=False)
    assert modules_of(embedded_qr(html), expected) == [[bool(m) for m in r] for r in expected.matrix]
    text = pdf_text(flyer.pdf)
    assert pdf_pages(flyer.pdf) == 1
    assert "Host a micro-internship" in text and "dana.whitfield@mesavalley.example" in text


def test_partner_qr_link_is_configurable(config: ProgramConfig) -> None:
    link = "https://mesavalley.example/partners/host"
    html = render("partner", config, partner_contact_url=link).html
    expected = segno.make(link, error="m", micro=False)
    assert modules_of(embedded_qr(html), expected) == [[bool(m) for m in r] for r in expected.matrix]
    assert f'href="{link}"' in html


# --- hostile and unusual input ----------------------------------------------------------------


def test_hostile_program_name_is_escaped_in_html_and_shown_as_text_in_pdf(config: ProgramConfig) -> None:
    hostile = with_program_name(config, '<script>alert("x")</script> & <b>Co</b>')
    for kind in ("student", "partner"):
        flyer = render(kind, hostile)
        assert "<script>" not in flyer.html and "<b>Co</b>" not in flyer.html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in flyer.html
        assert '<script>alert("x")</script> & <b>Co</b>' in pdf_text(flyer.pdf)


def test_a_character_the_font_lacks_is_left_out_of_the_pdf_only(config: ProgramConfig) -> None:
    # DejaVu Sans has no emoji: the PDF leaves the symbol out, keeps every letter around it,
    # and the HTML keeps everything.
    flyer = render("student", with_program_name(config, "Nguyễn Đức Academy Micro-Internships 🚀"))
    assert "Nguyễn Đức Academy Micro-Internships 🚀" in flyer.html
    assert "Nguyễn Đức Academy Micro-Internships" in pdf_text(flyer.pdf)
    assert "🚀" not in pdf_text(flyer.pdf)


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,hi", "forms.gle/abc",
                                  "https://exa mple.org", ""])
def test_application_link_must_be_web_link(config: ProgramConfig, link: str) -> None:
    with pytest.raises(TemplateError, match="application link"):
        flyer_context(config, link)


def test_missing_context_field_names_the_template(config: ProgramConfig) -> None:
    context = flyer_context(config, APPLY)
    del context["badge"]
    with pytest.raises(TemplateError, match=r"flyer/student\.en\.html\.j2: missing field .*badge"):
        render_flyer("student", context, ENV)


def test_many_sessions_shrink_to_one_page(config: ProgramConfig) -> None:
    base = config.sessions[0]
    sessions = [base.model_copy(update={"id": f"s-{i}", "title": f"Session number {i}",
                                        "meetings": [datetime(2027, 3, 1 + i, 15, 30)]})
                for i in range(8)]
    flyer = render("student", config.model_copy(update={"sessions": sessions}))
    assert pdf_pages(flyer.pdf) == 1
    assert "Session number 7" in pdf_text(flyer.pdf)


# --- options and helpers -----------------------------------------------------------------------


def test_a4_paper_and_a_fixed_creation_time_give_stable_bytes(config: ProgramConfig) -> None:
    context = flyer_context(config, APPLY)
    stamp = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    first = render_flyer("student", context, ENV, paper="a4", created_at=stamp)
    second = render_flyer("student", context, ENV, paper="a4", created_at=stamp)
    assert first == second
    assert re.search(rb"/MediaBox \[0 0 595\.28 841\.89\]", first.pdf)


def test_the_same_flyer_again_in_one_process_is_the_same_document(config: ProgramConfig) -> None:
    """Each partner's invitation carries the flyer: it is laid out once, its first date kept."""
    context = {**flyer_context(config, APPLY), "program": {**flyer_context(config, APPLY)["program"],
                                                           "name": "A program laid out once"}}
    first = render_flyer("partner", context, ENV, created_at=datetime(2027, 1, 5, 9, 0, tzinfo=UTC))
    later = render_flyer("partner", context, ENV, created_at=datetime(2027, 1, 12, 9, 0, tzinfo=UTC))
    assert later.pdf == first.pdf
    assert b"D:20270105" in first.pdf
    changed = {**context, "program": {**context["program"], "name": "Another program"}}
    other = render_flyer("partner", changed, ENV, created_at=datetime(2027, 1, 12, 9, 0, tzinfo=UTC))
    assert other.pdf != first.pdf and b"D:20270112" in other.pdf


def test_format_when_is_human_and_locale_free() -> None:
    assert format_when(datetime(2027, 3, 16, 15, 30)) == "Tuesday, March 16, 2027 · 3:30\u00a0PM"
    assert format_when(datetime(2027, 2, 12, 23, 59)) == "Friday, February 12, 2027 · 11:59\u00a0PM"
    assert format_when(datetime(2027, 1, 1, 0, 5)) == "Friday, January 1, 2027 · 12:05\u00a0AM"
    assert format_when(datetime(2027, 1, 1, 12, 0)) == "Friday, January 1, 2027 · 12:00\u00a0PM"


def test_format_when_names_the_time_zone_as_the_letters_do() -> None:
    # A family reads whose 3:30 it is: the zone as the session letters name it (zone_label).
    wall = datetime(2027, 3, 16, 15, 30)
    assert format_when(wall, "en", "America/Denver") == "Tuesday, March 16, 2027 · 3:30\u00a0PM Mountain Time"
    assert format_when(wall, "es", "America/Phoenix") == \
        "martes 16 de marzo de 2027 · 3:30\u00a0p.\u202fm. (hora de Arizona)"
    # A zone the letters have no name for is given by its id, as the letters give it.
    assert format_when(wall, "en", "Europe/Madrid").endswith("3:30\u00a0PM Europe/Madrid")


@pytest.mark.parametrize(("grades", "english", "spanish"), [
    ([10, 11, 12], "grades 10–12", "10.º a 12.º grado"),
    ([12], "grade 12", "12.º grado"),
    ([9, 11], "grades 9 and 11", "9.º y 11.º grado"),
    ([9, 10, 12], "grades 9, 10 and 12", "9.º, 10.º y 12.º grado")])
def test_eligible_grades_read_naturally(config: ProgramConfig, grades: list[int], english: str,
                                        spanish: str) -> None:
    application = config.application.model_copy(update={"eligible_grades": grades})
    changed = config.model_copy(update={"application": application})
    assert f"<b>{english}</b>" in render("student", changed).html
    assert f"<b>{spanish}</b>" in render("student", changed, language="es").html


def test_qr_png_and_svg_encode_the_same_symbol() -> None:
    png = Image.open(io.BytesIO(qr_png(APPLY)))
    symbol = segno.make(APPLY, error="m", micro=False)
    assert modules_of(png, symbol) == [[bool(m) for m in row] for row in symbol.matrix]
    svg = qr_svg(APPLY)
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg and "viewBox" in svg


def test_html_the_pdf_cannot_lay_out_is_a_template_error(config: ProgramConfig) -> None:
    # fpdf2 takes plain text only in a table cell: a coordinator's edit like this one must fail
    # with the template's name, not a traceback from the PDF library.
    env = make_environment(DictLoader({"flyer/student.en.html.j2":
                                       "<body><table><tr><td><b>{{ program.name }}</b> now</td>"
                                       "</tr></table></body>"}))
    with pytest.raises(TemplateError, match=r"flyer/student\.en\.html\.j2: the PDF cannot be made"):
        render_flyer("student", flyer_context(config, APPLY), env)


def test_unknown_flyer_kind_is_refused(config: ProgramConfig) -> None:
    with pytest.raises(TemplateError, match="no such flyer"):
        render_flyer("teacher", flyer_context(config, APPLY), ENV)  # type: ignore[arg-type]
