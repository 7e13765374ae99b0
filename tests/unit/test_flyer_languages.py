"""Flyers in every language the program has, and PDFs that keep every letter of a name.

A language has a flyer when its template exists (``flyer/<kind>.<lang>.html.j2``). The Spanish
flyers are Spanish throughout: the page's language, the words, the dates, the names the config
gives in Spanish. Every flyer PDF embeds a Unicode font, so a partner or session named
"Nguyễn Thị Ánh" or "Zoë Łukasz" reads back exactly so (pypdf extracts what a screen reader or
a search would), and carries its language, its title and its author for viewers and screen readers.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader
from pypdf import PdfReader

from microintern.config import ProgramConfig, load_config
from microintern.documents.flyer import (
    Flyer,
    flyer_context,
    flyer_languages,
    flyer_problems,
    format_when,
    missing_flyer_templates,
    render_flyer,
)
from microintern.documents.pdf_text import pdf_text
from microintern.domain.letters import make_environment
from microintern.errors import TemplateError

ROOT = Path(__file__).resolve().parents[2]
APPLY = "https://forms.gle/AbCdEfGhIjKlMnOp9"
ENV = make_environment(FileSystemLoader(str(ROOT / "templates")))
VIETNAMESE = "Nguyễn Thị Ánh"
POLISH = "Zoë Łukasz"
# Words of the English flyers that must not reach a Spanish reader.
ENGLISH_WORDS = ("Apply by", "What is a micro-internship", "Sessions", "Questions?", "meetings of",
                 "minutes", "Host a micro-internship", "Why host", "We handle the rest",
                 "Interested?", "Tuesday", "March", " PM", "grades")


@pytest.fixture(scope="module")
def config() -> ProgramConfig:
    return load_config(ROOT / "config" / "program.example.yaml")


@pytest.fixture(scope="module")
def unicode_config(config: ProgramConfig) -> ProgramConfig:
    """The example program with a partner and a session named outside Windows-1252."""
    partners = [config.partners[0].model_copy(update={"organization": VIETNAMESE}),
                *config.partners[1:]]
    sessions = [config.sessions[0].model_copy(update={"title": f"{POLISH}: cyberbezpieczeństwo"}),
                *config.sessions[1:]]
    return config.model_copy(update={"partners": partners, "sessions": sessions})


def pdf_words(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def catalog(pdf: bytes) -> Any:
    return PdfReader(io.BytesIO(pdf)).trailer["/Root"]


# Rendered flyers by (config, kind, language): a PDF takes about half a second of CPU, and
# several tests read the same flyer of the example program.
_RENDERED: dict[tuple[int, str, str], tuple[ProgramConfig, Flyer]] = {}


def render(kind: str, config: ProgramConfig, language: str) -> Flyer:
    key = (id(config), kind, language)
    if key not in _RENDERED or _RENDERED[key][0] is not config:
        flyer = render_flyer(kind, flyer_context(config, APPLY, language=language), ENV)  # type: ignore[arg-type]
        _RENDERED[key] = (config, flyer)     # the config kept alive, so its id is not reused
    return _RENDERED[key][1]


# --- every language ----------------------------------------------------------------------------


def test_the_flyers_exist_in_every_language_of_the_program(config: ProgramConfig) -> None:
    assert config.program.languages == ["en", "es"]
    for kind in ("student", "partner"):
        assert flyer_languages(config, ENV, kind) == ["en", "es"]   # type: ignore[arg-type]
    assert missing_flyer_templates(["en", "es"], ENV) == []


def test_a_language_without_its_template_has_no_flyer_and_is_reported(config: ProgramConfig) -> None:
    # Only the English templates: Spanish has no flyer, and check-config can say which file is missing.
    english = DictLoader({name: (ROOT / "templates" / name).read_text(encoding="utf-8")
                          for name in ("flyer/_layout.html.j2", "flyer/student.en.html.j2",
                                       "flyer/partner.en.html.j2")})
    env = make_environment(english)
    assert flyer_languages(config, env, "student") == ["en"]
    assert missing_flyer_templates(["en", "es"], env) == ["flyer/student.es.html.j2",
                                                         "flyer/partner.es.html.j2"]
    with pytest.raises(TemplateError, match=r"flyer/student\.es\.html\.j2 does not exist"):
        render_flyer("student", flyer_context(config, APPLY, language="es"), env)


def test_check_config_hears_of_a_missing_or_broken_flyer(config: ProgramConfig) -> None:
    assert flyer_problems(config, ENV, APPLY) == []
    broken = DictLoader({"flyer/partner.es.html.j2":
                         '{% extends "flyer/_layout.html.j2" %}'
                         "{% block body %}{{ program.motto }}{% endblock %}"})
    only_english = {name: (ROOT / "templates" / name).read_text(encoding="utf-8")
                    for name in ("flyer/_layout.html.j2", "flyer/student.en.html.j2",
                                 "flyer/partner.en.html.j2")}
    env = make_environment(ChoiceLoader([broken, DictLoader(only_english)]))
    problems = flyer_problems(config, env, APPLY)
    assert problems[0] == "flyer: missing flyer/student.es.html.j2"
    assert len(problems) == 2 and "flyer/partner.es.html.j2: missing field" in problems[1]
    assert "motto" in problems[1]


def test_a_new_language_is_a_new_template(config: ProgramConfig) -> None:
    # A Vietnamese flyer needs only its template: the layout, the names and the dates come along.
    vietnamese = DictLoader({"flyer/student.vi.html.j2":
                             '{% extends "flyer/_layout.html.j2" %}{% block title %}{{ program.name }}'
                             '{% endblock %}{% block body %}<h1>{{ program.name }}</h1>'
                             '<p>Hạn chót: {{ application.deadline }}</p>{% endblock %}'})
    env = make_environment(ChoiceLoader([vietnamese, FileSystemLoader(str(ROOT / "templates"))]))
    flyer = render_flyer("student", flyer_context(config, APPLY, language="vi"), env)
    assert '<html lang="vi">' in flyer.html
    assert flyer.filename_stem == "mvusd-spring-2027-student-flyer-vi"
    deadline = format_when(config.application.deadline, "vi")       # "Thứ Sáu, 12 tháng 2, 2027 · 11:59 CH"
    assert "Hạn chót: " + " ".join(deadline.split()) in pdf_words(flyer.pdf)
    assert catalog(flyer.pdf)["/Lang"] == "vi"


def test_a_template_that_slants_text_gets_the_italic_faces(config: ProgramConfig) -> None:
    slanted = DictLoader({"flyer/student.en.html.j2":
                          '{% extends "flyer/_layout.html.j2" %}{% block body %}<h1>{{ program.name }}</h1>'
                          "<p><i>Łukasz</i> and <b><em>Zoë</em></b> slanted</p>{% endblock %}"})
    env = make_environment(ChoiceLoader([slanted, FileSystemLoader(str(ROOT / "templates"))]))
    flyer = render_flyer("student", flyer_context(config, APPLY), env)
    assert "Łukasz and Zoë slanted" in pdf_words(flyer.pdf)
    fonts = {str(ref.get_object()["/BaseFont"])
             for ref in PdfReader(io.BytesIO(flyer.pdf)).pages[0]["/Resources"]["/Font"].values()}
    assert any(name.endswith("DejaVuSansOblique") for name in fonts)
    assert any(name.endswith("DejaVuSansBoldOblique") for name in fonts)


@pytest.mark.parametrize("kind", ["student", "partner"])
def test_the_spanish_flyer_is_spanish_throughout(config: ProgramConfig, kind: str) -> None:
    flyer = render(kind, config, "es")
    assert '<html lang="es">' in flyer.html and 'lang="en"' not in flyer.html
    assert flyer.language == "es"
    assert flyer.filename_stem == f"mvusd-spring-2027-{kind}-flyer-es"
    body = re.sub(r"<style>.*?</style>", "", flyer.html, flags=re.S)
    for words in ENGLISH_WORDS:
        assert words not in body, words
    assert "Micropasantías de Mesa Valley, primavera de 2027" in body
    assert "Distrito Escolar Unificado de Mesa Valley" in body
    # An industry the config gives in English only is left out rather than printed in English.
    assert "Information Technology" not in body


def test_the_spanish_student_flyer_says_when_and_how_in_spanish(config: ProgramConfig) -> None:
    html = render("student", config, "es").html
    assert "¿Qué es una micropasantía?" in html
    assert "Defiende la red: un día en la ciberseguridad" in html     # given in Spanish in the config
    # The time names the program's zone, as the Spanish letters write it.
    assert "martes 16 de marzo de 2027 · 3:30\u00a0p.\u202fm. (hora del Pacífico) · 90 minutos" in html
    assert "6 reuniones de 90 minutos, desde el martes 6 de abril de 2027" in html
    assert "Remunerada, 30 horas en total" in html
    assert "Fecha límite: viernes 12 de febrero de 2027 · 11:59\u00a0p.\u202fm. (hora del Pacífico)" in html
    assert "<b>10.º a 12.º grado</b>" in html
    assert 'alt="Código QR que abre la solicitud"' in html


def test_the_spanish_partner_flyer_asks_in_spanish_and_its_mail_too(config: ProgramConfig) -> None:
    context = flyer_context(config, APPLY, language="es")
    assert context["partner_contact_url"] == ("mailto:dana.whitfield@mesavalley.example"
                                              "?subject=Ser%20anfitri%C3%B3n%20de%20una%20micropasant%C3%ADa")
    html = render("partner", config, "es").html
    assert "<h1>Ofrezca una micropasantía</h1>" in html
    assert "6 reuniones de 90 minutos, 30 horas en total, remunerado para los estudiantes" in html
    assert "Escanee el código para escribirnos." in html


def test_the_english_flyer_keeps_its_words_and_its_industries(config: ProgramConfig) -> None:
    html = render("student", config, "en").html
    assert '<html lang="en">' in html
    assert "Solis Cyber Defense · Information Technology" in html
    assert "Tuesday, March 16, 2027 · 3:30\u00a0PM Pacific Time" in html


# --- PDFs that keep every letter, with a language and a title -------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_flyer_pdfs_keep_every_letter_of_unicode_names(unicode_config: ProgramConfig,
                                                       language: str) -> None:
    student = render("student", unicode_config, language)
    text = pdf_words(student.pdf)
    assert VIETNAMESE in text
    assert f"{POLISH}: cyberbezpieczeństwo" in text
    assert "Nguyen" not in text and "Zoe Lukasz" not in text      # no transliteration any more
    # The partner flyer names the multi-week session's partner; name it so too.
    partners = [*unicode_config.partners[:3],
                unicode_config.partners[3].model_copy(update={"organization": POLISH})]
    partner = render("partner", unicode_config.model_copy(update={"partners": partners}), language)
    assert POLISH in pdf_words(partner.pdf)
    assert len(PdfReader(io.BytesIO(student.pdf)).pages) == 1


def test_a_name_typed_with_combining_accents_prints_composed(config: ProgramConfig) -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323 A\u0301nh"       # what some keyboards send
    assert pdf_text(decomposed) == VIETNAMESE
    partners = [config.partners[0].model_copy(update={"organization": decomposed}), *config.partners[1:]]
    flyer = render("student", config.model_copy(update={"partners": partners}), "en")
    assert VIETNAMESE in pdf_words(flyer.pdf)


def test_pdf_text_keeps_what_the_font_has_and_marks_what_it_lacks() -> None:
    assert pdf_text(f"{VIETNAMESE}, {POLISH}, Ñandú, Ђорђе, Σοφία") == \
        f"{VIETNAMESE}, {POLISH}, Ñandú, Ђорђе, Σοφία"
    assert pdf_text("ＺＯＥ") == "ZOE"               # full-width letters the font lacks: plain ones
    assert pdf_text("王小明 🚀") == "??? "          # a missing letter is marked, an emoji left out


def figures(root: Any) -> list[tuple[str, str]]:
    """The structure tree's figures, as (type, alternative text), depth first."""
    found: list[tuple[str, str]] = []
    stack = [root["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        if node.get("/S") == "/Figure":
            found.append((str(node["/S"]), str(node.get("/Alt"))))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if kid is not None and hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                stack.append(kid.get_object())
    return found


@pytest.mark.parametrize(("language", "title", "author", "qr_alt"), [
    ("en", "Mesa Valley Micro-Internships, Spring 2027: apply for a micro-internship",
     "Mesa Valley Unified School District", "QR code that opens the application"),
    ("es", "Micropasantías de Mesa Valley, primavera de 2027: solicita una micropasantía",
     "Distrito Escolar Unificado de Mesa Valley", "Código QR que abre la solicitud"),
])
def test_flyer_pdf_carries_its_language_title_and_author(config: ProgramConfig, language: str,
                                                         title: str, author: str, qr_alt: str) -> None:
    flyer = render("student", config, language)
    assert flyer.title == title
    reader = PdfReader(io.BytesIO(flyer.pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == language
    assert reader.metadata is not None
    assert reader.metadata.title == title and reader.metadata.author == author
    # The QR code is a figure with the HTML's alternative text, in the flyer's language.
    assert figures(root) == [("/Figure", qr_alt)]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a PDF boolean object
    # Viewers show the title, not the file name, in their title bar.
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712 - a PDF boolean object
    # The font is embedded (no font file is needed on the reader's machine), with a Unicode map.
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        assert "DejaVuSans" in str(font["/BaseFont"]) and "/ToUnicode" in font
        assert "/FontFile2" in font["/DescendantFonts"][0].get_object()["/FontDescriptor"]


def test_the_pdf_title_keeps_what_the_font_cannot_draw(config: ProgramConfig) -> None:
    # The title is Unicode metadata, drawn by no font: a name the page marks "?" keeps its letters.
    name = "王小明 Academy 🚀"
    program = config.program.model_copy(update={"name": name})
    flyer = render("student", config.model_copy(update={"program": program}), "en")
    reader = PdfReader(io.BytesIO(flyer.pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == f"{name}: apply for a micro-internship"
    assert "??? Academy" in pdf_words(flyer.pdf)


def test_the_partner_pdf_title_is_the_flyers_own(config: ProgramConfig) -> None:
    reader = PdfReader(io.BytesIO(render("partner", config, "es").pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == ("Micropasantías de Mesa Valley, primavera de 2027: "
                                     "ofrezca una micropasantía")
    assert reader.trailer["/Root"]["/Lang"] == "es"
