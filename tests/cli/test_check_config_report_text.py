"""check-config checks the report's text files too (issue 15: a language exists when its
templates exist).

A program language without ``templates/report.<lang>.yaml`` is told as a note (the report is the
coordinator's document, and ``report --language`` refuses that language until the file exists);
a report file that lacks a key of the English one fails check-config (exit 2), naming the file
and the key, before a coordinator asks for the report.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from vietnamese_forms import three_languages

from microintern.cli import cli


def check(config_file: Path) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), "check-config"], catch_exceptions=False)


def test_a_language_without_report_text_is_a_note_and_the_report_refuses_it(tmp_path: Path) -> None:
    config_file = three_languages(tmp_path)
    result = check(config_file)
    assert result.exit_code == 0, result.output
    notes = [line.strip() for line in result.output.splitlines() if line.strip().startswith("note: report")]
    assert notes == ["note: report: no Tiếng Việt text (report.vi.yaml); "
                     "`report --language vi` is refused until it exists"]
    refused = CliRunner().invoke(cli, ["--config", str(config_file), "report", "--language", "vi",
                                       "--out", str(tmp_path / "out" / "report.html")])
    assert refused.exit_code == 2, refused.output
    assert "report.vi.yaml" in refused.output
    # With its file (the English words, as a start), the note goes.
    folder = tmp_path / "templates"
    (folder / "report.vi.yaml").write_text((folder / "report.en.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    assert "note: report" not in check(config_file).output


def test_a_report_file_missing_a_key_fails_check_config(tmp_path: Path) -> None:
    config_file = three_languages(tmp_path)
    path = tmp_path / "templates" / "report.es.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    first_key = next(i for i, line in enumerate(lines) if line and not line.startswith((" ", "#")))
    removed = lines[first_key].split(":", 1)[0]
    path.write_text("\n".join(lines[:first_key] + lines[first_key + 1:]) + "\n", encoding="utf-8")
    result = check(config_file)
    assert result.exit_code == 2, result.output
    assert "OK" not in result.output and "Traceback" not in result.output
    assert any("report.es.yaml: " in line and removed in line for line in result.output.splitlines()), \
        result.output
