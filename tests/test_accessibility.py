"""Everything families, partners and staff read passes axe-core's WCAG 2.1 A/AA rules.

Public school districts in the US must meet WCAG 2.1 AA for their web content under the 2024
ADA Title II rule. Every HTML letter (each letter x language the program writes, rendered with
the program's own data as ``check-config`` renders it, then inlined as it is sent), both flyers
in every program language and the program report (with and without the internal table of
names) go through axe-core in headless Chromium, and none may have a violation of the
``wcag2a``, ``wcag2aa``, ``wcag21a`` or ``wcag21aa`` rules. Each letter's MIME also carries a
plain-text part, for readers whose mail shows no HTML and for screen readers that prefer it.

All pages are checked in one Chromium run: a driver page loads each page into an iframe of its
own (``srcdoc``, so the driver can reach into it), evaluates axe there and writes the results
into the DOM that ``--dump-dom`` prints. A canary page with known faults proves the check sees
them, so a checker that silently reports nothing cannot pass.

Never skipped: ``make test`` installs Debian's chromium (scripts/ensure-chromium.sh) and
axe-core from the npm registry into tests/axe (scripts/ensure-axe.sh, pinned by its lock file).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader
from programs import write_config
from report_rows import fill_roster, program_tabs
from test_report_browser import chromium

from microintern.bootstrap import build_ports, letter_renderer, step_context
from microintern.config import ProgramConfig, load_config
from microintern.documents.flyer import flyer_context, render_flyer
from microintern.domain.catalog import LETTERS
from microintern.domain.letters import make_environment
from microintern.domain.mime import build_mime
from microintern.domain.records import OutgoingMessage
from microintern.steps.report import render_report
from microintern.steps.setup import initialise
from microintern.steps.template_check import check_context, letter_pairs

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
EXAMPLE = ROOT / "config" / "program.example.yaml"
APPLY = "https://forms.gle/AbCdEfGhIjKlMnOp9"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
# Known faults: no lang, no title, low contrast, an image without alt text, an empty link.
CANARY = ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
          '<p style="color:#bbbbbb;background:#ffffff">faint</p><img src="data:image/gif;base64,'
          'R0lGODlhAQABAAAAACw=">'
          '<a href="https://example.org/"></a></body></html>')
CANARY_FAULTS = {"html-has-lang", "document-title", "color-contrast", "image-alt", "link-name"}

DRIVER = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>axe</title></head>
<body><script>
const AXE = %(axe)s;
const PAGES = %(pages)s;
const OPTIONS = {runOnly: {type: 'tag', values: %(tags)s}, resultTypes: ['violations']};
// Tall enough that every element of a page is laid out on screen: axe judges the contrast
// of what it can see, and calls the rest "incomplete" instead of failing it.
async function check(page) {
  const frame = document.createElement('iframe');
  frame.style.width = '1000px';
  frame.style.height = '6000px';
  const loaded = new Promise(done => frame.addEventListener('load', done, {once: true}));
  frame.srcdoc = page;
  document.body.appendChild(frame);
  await loaded;
  const win = frame.contentWindow;
  win.eval(AXE);
  const result = await win.axe.run(win.document, OPTIONS);
  frame.remove();
  return result.violations.map(v => ({
    id: v.id, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html, why: n.failureSummary})),
  }));
}
(async () => {
  const out = {};
  for (const [name, page] of Object.entries(PAGES)) {
    try { out[name] = await check(page); }
    catch (error) { out[name] = [{id: 'axe-error', help: String(error), nodes: []}]; }
  }
  const pre = document.createElement('pre');
  pre.id = 'axe-results';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script></body></html>
"""


def axe_source() -> str:
    """axe-core's browser bundle, or a failure that says how to get it."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `bash scripts/ensure-axe.sh` "
                    "(npm ci from tests/axe/package-lock.json)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(pages: dict[str, str], tmp: Path) -> dict[str, list[dict[str, Any]]]:
    """axe-core's WCAG 2.1 A/AA violations of each page (name -> HTML), in one Chromium run."""
    # "</" would end the driver's <script> early; "<\\/" is the same string to JavaScript.
    driver = DRIVER % {"axe": json.dumps(axe_source()), "tags": json.dumps(WCAG_TAGS),
                       "pages": json.dumps(pages).replace("</", "<\\/")}
    page = tmp / "axe-driver.html"
    page.write_text(driver, encoding="utf-8")
    # Virtual time runs as fast as the work allows: the budget only bounds a page that never settles.
    done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp / 'axe-profile'}",
                           "--window-size=1100,1000", "--virtual-time-budget=600000", "--dump-dom",
                           page.as_uri()],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "HOME": str(tmp)})
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="axe-results">(.*?)</pre>', done.stdout, re.S)
    assert found, "axe did not finish: " + done.stdout[-2000:]
    results: dict[str, list[dict[str, Any]]] = json.loads(html.unescape(found.group(1)))
    assert set(results) == set(pages)
    return results


def described(violations: dict[str, list[dict[str, Any]]]) -> str:
    """The violations as a reader fixes them: page, rule, element and why."""
    lines = []
    for name, found in sorted(violations.items()):
        for violation in found:
            for node in violation["nodes"] or [{"target": "", "html": "", "why": ""}]:
                lines.append(f"{name}: {violation['id']} ({violation['help']}) at {node['target']}: "
                             f"{node['html'][:120]} -- {node['why']}".replace("\n", " "))
    return "\n".join(lines)


def letter_pages(config: ProgramConfig) -> dict[str, str]:
    """Every HTML letter the program sends, as sent (styles inlined), keyed ``<letter>.<lang>``."""
    renderer = letter_renderer(config)
    return {f"letter {spec.name}.{language}": renderer.render(
                spec.name, language, check_context(config, spec, language),
                row=f"check {spec.name}.{language}").html
            for spec, language in letter_pairs(config)}


def flyer_pages(config: ProgramConfig) -> dict[str, str]:
    """Both flyers in every language of the program."""
    env = make_environment(FileSystemLoader(str(ROOT / "templates")))
    return {f"flyer {kind}.{language}": render_flyer(
                kind, flyer_context(config, APPLY, language=language), env).html  # type: ignore[arg-type]
            for kind in ("student", "partner") for language in config.program.languages}


REPORT_LANGUAGES = ("en", "es")   # every language with a templates/report.<lang>.yaml


def report_pages(config: ProgramConfig) -> dict[str, str]:
    """The program report as the sample program fills it, without and with the names table, in
    English (``report``, ``report with names``) and Spanish (the same names plus ``.es``)."""
    ports = build_ports(config)
    initialise(config, ports.roster)
    fill_roster(ports.roster, program_tabs(config, applicants=60))
    ctx = step_context(config, datetime(2027, 6, 1, 9, 0, tzinfo=config.zone), ports=ports)
    return {f"report{' with names' if names else ''}{'' if language == 'en' else '.' + language}":
            render_report(ctx, pdf=False, include_names=names, language=language).html.decode("utf-8")
            for language in REPORT_LANGUAGES for names in (False, True)}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ProgramConfig:
    return load_config(write_config(tmp_path_factory.mktemp("program")))


@pytest.fixture(scope="module")
def checked(config: ProgramConfig, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every page and axe's findings on each, from one Chromium run."""
    pages = {**letter_pages(config), **flyer_pages(config), **report_pages(config), "canary": CANARY}
    return {"pages": pages, "violations": axe_violations(pages, tmp_path_factory.mktemp("axe"))}


def _of(checked: dict[str, Any], prefix: str) -> dict[str, list[dict[str, Any]]]:
    return {name: found for name, found in checked["violations"].items() if name.startswith(prefix)}


@pytest.mark.slow  # one Chromium run for all pages: ~16 s wall, ~10 s CPU
def test_the_check_finds_known_faults(checked: dict[str, Any]) -> None:
    assert {v["id"] for v in checked["violations"]["canary"]} >= CANARY_FAULTS


@pytest.mark.slow
def test_every_letter_in_every_language_has_no_violation(checked: dict[str, Any],
                                                           config: ProgramConfig) -> None:
    letters = _of(checked, "letter ")
    assert len(letters) == len(letter_pairs(config)) > 40
    assert {name.rsplit(".", 1)[1] for name in letters} == set(config.program.languages) == {"en", "es"}
    assert not any(letters.values()), described(letters)


@pytest.mark.slow
def test_both_flyers_in_every_language_have_no_violation(checked: dict[str, Any]) -> None:
    flyers = _of(checked, "flyer ")
    assert len(flyers) == 4
    # Each flyer says which language it is in, so a screen reader speaks it with the right voice.
    for name in flyers:
        language = name.rsplit(".", 1)[1]
        assert re.search(rf'<html[^>]* lang="{language}"', checked["pages"][name]), name
    assert not any(flyers.values()), described(flyers)


@pytest.mark.slow
def test_report_has_no_violation(checked: dict[str, Any]) -> None:
    reports = _of(checked, "report")
    assert set(reports) == {"report", "report with names", "report.es", "report with names.es"}
    assert "<table" in checked["pages"]["report with names"]
    # The Spanish report says so (a screen reader speaks it in Spanish) and names students too.
    for name in ("report.es", "report with names.es"):
        assert '<html lang="es">' in checked["pages"][name], name
    assert "Estudiantes (uso interno)" in checked["pages"]["report with names.es"]
    assert "Nguyễn" in checked["pages"]["report with names.es"]
    assert not any(reports.values()), described(reports)


def _mime(config: ProgramConfig, name: str, language: str) -> EmailMessage:
    letter = letter_renderer(config).render(name, language, check_context(config, LETTERS[name], language),
                                            row="check")
    # The message as steps/mailing.py builds it from a rendered letter.
    raw = build_mime(OutgoingMessage(key=f"check/{name}.{language}",
                                     sender=f"Program <{config.sender.address}>",
                                     to="family@example.org", subject=letter.subject, text=letter.text,
                                     html=letter.html, reply_to=config.coordinator.email))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_every_letter_has_a_plain_text_part(config: ProgramConfig) -> None:
    for spec, language in letter_pairs(config):
        message = _mime(config, spec.name, language)
        assert message.get_content_type() == "multipart/alternative", spec.name
        plain, rich = (part for part in message.iter_parts())
        assert (plain.get_content_type(), rich.get_content_type()) == ("text/plain", "text/html")
        text = plain.get_content()
        # Real words, no markup: the letter itself, not an "open this in HTML" stub.
        assert len(text.split()) >= 20, (spec.name, language, text)
        assert not re.search(r"<(p|br|a|table|div)\b", text, re.I), (spec.name, language)
        assert config.coordinator.name in text or config.coordinator.email in text, (spec.name, language)
