"""`microintern report` on the local backend, run in-process."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from report_rows import fill_roster, program_tabs

from microintern.bootstrap import build_ports
from microintern.cli import cli
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.steps.setup import initialise


def filled(config_file: Path) -> list[str]:
    """Fill the program workbook; return the students' last names."""
    config = load_config(config_file)
    roster = build_ports(config).roster
    initialise(config, roster)
    tabs = program_tabs(config)
    fill_roster(roster, tabs)
    return sorted({str(r["Last name"]) for r in tabs[sheet.PARTICIPANTS]})


def run(config_file: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "report", "--now", "2027-06-01T09:00",
                                      *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_report_writes_private_html_and_pdf_and_the_dashboard(config_file: Path, tmp_path: Path) -> None:
    last_names = filled(config_file)
    out = tmp_path / "reports" / "spring.html"
    output = run(config_file, "--out", str(out), "--dashboard")   # the Dashboard tab only on request
    assert f"report: {out} and {out.with_suffix('.pdf')}" in output
    assert "sections 7, charts 7" in output and "dashboard charts 6" in output
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 7 and "no student is named" in page
    assert not any(name in page for name in last_names)
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    for made in (out, out.with_suffix(".pdf")):
        assert made.stat().st_mode & 0o777 == 0o600
    book = load_workbook(load_config(config_file).resolve(Path("local")) / "program.xlsx")
    assert len(book[sheet.DASHBOARD]._charts) == 6

    run(config_file, "--out", str(out), "--dashboard")                   # rerun: same charts, no more
    book = load_workbook(load_config(config_file).resolve(Path("local")) / "program.xlsx")
    assert len(book[sheet.DASHBOARD]._charts) == 6


def test_include_names_and_no_pdf(config_file: Path, tmp_path: Path) -> None:
    last_names = filled(config_file)
    output = run(config_file, "--out", str(tmp_path), "--no-pdf", "--include-names")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "internal use" in output
    assert not (tmp_path / "report.pdf").exists()
    assert "INTERNAL USE" in page and all(name in page for name in last_names)
    assert '<section id="students" class="internal">' in page


def test_report_on_an_empty_program_says_no_data_yet(config_file: Path, tmp_path: Path) -> None:
    output = run(config_file, "--out", str(tmp_path / "r.html"))
    assert "charts 1" in output                         # only the hours target, nothing else yet
    assert "no data yet" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_report_has_help() -> None:
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--pdf / --no-pdf", "--include-names", "Dashboard"):
        assert option in result.output
