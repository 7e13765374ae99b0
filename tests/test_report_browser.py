"""The report as people see it: headless Chromium draws the HTML, Pillow checks the charts.

A program sheet filled as after the last session goes through the real step (local backend),
then Chromium renders report.html twice: once with a probe script that reports where each chart
is, once as a screenshot. Every chart must show its series colours inside its own box; the same
page with the charts removed shows none of them. The PDF (read with pypdf) must carry the HTML's
section headings in the same order.

Never skipped: `make test` installs Debian's chromium when missing
(scripts/ensure-chromium.sh). Point MICROINTERN_CHROMIUM at another binary if yours lives
elsewhere.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from report_rows import fill_roster, program_tabs

from microintern.bootstrap import build_ports, step_context
from microintern.config import ProgramConfig
from microintern.documents.report.charts import COLOURS
from microintern.documents.report.files import save_report
from microintern.steps.report import render_report
from microintern.steps.setup import initialise

WIDTH = 1280
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1")
PROBE = """<script>
window.addEventListener('load', () => {
  const boxes = {};
  for (const figure of document.querySelectorAll('figure.chart')) {
    const r = figure.getBoundingClientRect();
    boxes[figure.id] = [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY];
  }
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({boxes, height: document.documentElement.scrollHeight});
  document.body.appendChild(out);
});
</script>"""
# What each chart must show, given the sample program (every series has data in it).
EXPECTED = {
    "funnel": COLOURS["funnel"],
    "attendance": COLOURS["attendance"],
    "feedback": COLOURS["feedback"][:3],
    "equity": COLOURS["equity"][:1],
    "partners": COLOURS["partners"],
    "assignments": COLOURS["assignments"][:3],
    "hours": COLOURS["hours"],
}


def chromium() -> str:
    """The browser binary, or a failure that says how to get one."""
    found = os.environ.get("MICROINTERN_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        pytest.fail("no Chromium for the report rendering test: install it "
                    "(apt-get install chromium) or set MICROINTERN_CHROMIUM to its path")
    return found


def run_chromium(args: list[str], tmp: Path) -> str:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, check=False,
                          env={**os.environ, "HOME": str(tmp)})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def layout(page: Path, tmp: Path) -> dict[str, Any]:
    """Where each chart's figure is on the page, and the page's height (a probe copy of it)."""
    probe = tmp / f"probe-{page.name}"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    dom = run_chromium([f"--window-size={WIDTH},2000", "--virtual-time-budget=5000", "--dump-dom",
                        probe.as_uri()], tmp)
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, height: int, tmp: Path) -> Image.Image:
    shot = tmp / f"{page.stem}.png"
    run_chromium([f"--window-size={WIDTH},{height}", f"--screenshot={shot}", page.as_uri()], tmp)
    return Image.open(shot).convert("RGB")


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def count(image: Image.Image, colour: str, box: tuple[int, int, int, int] | None = None) -> int:
    """Pixels of exactly ``colour`` in ``box`` of ``image`` (anti-aliased edges do not count)."""
    area = image.crop(box) if box else image
    target = rgb(colour)
    return sum(n for n, pixel in area.getcolors(area.width * area.height)
               if pixel == target)


def headings(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", h)).strip()
            for h in re.findall(r"<h2>(.*?)</h2>", page, re.S)]


@pytest.fixture
def report(make_config: Callable[..., ProgramConfig], tmp_path: Path) -> Any:
    config = make_config()
    ports = build_ports(config)
    initialise(config, ports.roster)
    fill_roster(ports.roster, program_tabs(config, applicants=60))
    ctx = step_context(config, datetime(2027, 6, 1, 9, 0, tzinfo=config.zone), ports=ports)
    return save_report(render_report(ctx), tmp_path / "out" / "report.html")


def test_every_chart_is_drawn_in_its_own_box(report: Any, tmp_path: Path) -> None:
    every = [c for colours in COLOURS.values() for c in colours]
    assert len(every) == len(set(every))                            # a colour tells its chart
    page = report.html
    where = layout(page, tmp_path)
    assert set(where["boxes"]) == {f"chart-{name}" for name in EXPECTED}
    image = screenshot(page, min(where["height"] + 50, 16000), tmp_path)
    for name, colours in EXPECTED.items():
        left, top, right, bottom = (round(v) for v in where["boxes"][f"chart-{name}"])
        assert right - left > 300 and bottom - top > 100, (name, where["boxes"][f"chart-{name}"])
        for colour in colours:
            inside = count(image, colour, (left, top, right, bottom))
            assert inside >= 40, f"{name}: {colour} has {inside} pixels in its chart"
            assert count(image, colour) - inside < inside, f"{colour} is mostly outside {name}"

    # The same page without its charts: none of the series colours anywhere.
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r'<figure class="chart".*?</figure>', "", page.read_text(encoding="utf-8"),
                           flags=re.S), encoding="utf-8")
    assert "<svg" not in bare.read_text(encoding="utf-8")
    plain = screenshot(bare, min(where["height"] + 50, 16000), tmp_path)
    for name, colours in EXPECTED.items():
        for colour in colours:
            assert count(plain, colour) == 0, (name, colour)


def test_pdf_has_the_html_sections_in_the_same_order(report: Any) -> None:
    page = report.html.read_text(encoding="utf-8")
    html_headings = headings(page)
    assert html_headings[:3] == ["From application to badge", "Attendance per session", "Student feedback"]
    assert len(html_headings) == 7
    ids = re.findall(r'<section id="([a-z]+)"', page)
    assert ids == ["funnel", "attendance", "feedback", "equity", "partners", "assignments", "hours"]
    reader = PdfReader(report.pdf)
    assert [item.title for item in reader.outline] == html_headings
    text = "\n".join(p.extract_text() for p in reader.pages)
    positions = [text.find(h) for h in html_headings]
    assert -1 not in positions and positions == sorted(positions)
    assert len(reader.pages[0].images) >= 1                        # the charts are in the PDF too
    assert oct(report.pdf.stat().st_mode & 0o777) == oct(0o600)
    assert oct(report.html.stat().st_mode & 0o777) == oct(0o600)
