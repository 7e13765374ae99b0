"""`microintern report --include-names`: the PDF names students exactly as they are written.

Students named "Nguyễn Thị Ánh" and "Zoë Łukasz" go through the real command on the local
backend; the report PDF is read back with pypdf: every letter is kept (no transliteration), and
the PDF carries its language, title and author. Without --include-names neither name appears.
"""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader
from report_rows import fill_roster, program_tabs

from microintern.bootstrap import build_ports
from microintern.cli import cli
from microintern.config import load_config
from microintern.domain import program_sheet as sheet
from microintern.steps.setup import initialise

NAMES = (("Nguyễn", "Thị Ánh"), ("Zoë", "Łukasz"))


def filled_with_unicode_names(config_file: Path) -> None:
    """The program after its last session, its first two participants renamed."""
    config = load_config(config_file)
    roster = build_ports(config).roster
    initialise(config, roster)
    tabs = program_tabs(config)
    renamed = {str(row[sheet.APPLICANT_ID]): names
               for row, names in zip(tabs[sheet.PARTICIPANTS], NAMES, strict=False)}
    for row in tabs[sheet.PARTICIPANTS]:
        if str(row[sheet.APPLICANT_ID]) in renamed:
            row["First name"], row["Last name"] = renamed[str(row[sheet.APPLICANT_ID])]
    fill_roster(roster, tabs)


def report_pdf(config_file: Path, out: Path, *options: str) -> PdfReader:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "report", "--now", "2027-06-01T09:00",
                                      "--out", str(out), *options])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return PdfReader(io.BytesIO(out.with_suffix(".pdf").read_bytes()))


def words(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_report_pdf_keeps_every_letter_of_student_names(config_file: Path, tmp_path: Path) -> None:
    filled_with_unicode_names(config_file)
    reader = report_pdf(config_file, tmp_path / "named.html", "--include-names")
    text = words(reader)
    assert "Nguyễn Thị Ánh" in text and "Zoë Łukasz" in text
    assert "Nguyen" not in text and "Lukasz" not in text.replace("Łukasz", "")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert reader.metadata is not None
    assert reader.metadata.title == "Mesa Valley Micro-Internships, Spring 2027: program report"
    assert reader.metadata.author == "Mesa Valley Unified School District"

    plain = words(report_pdf(config_file, tmp_path / "plain.html"))
    assert "Nguyễn" not in plain and "Łukasz" not in plain and "Zoë" not in plain
