"""check-config checks every letter: each language's templates exist and render with the program's data."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner, Result
from programs import EXAMPLE, ROOT, english_only, write_config

from microintern.cli import cli
from microintern.domain.catalog import LETTERS


def check(config_file: Path) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), "check-config"], catch_exceptions=False)


def copied_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    return folder


def problem_lines(result: Result) -> list[str]:
    return [line.strip()[2:] for line in result.output.splitlines() if line.strip().startswith("- ")]


def test_example_program_passes(tmp_path: Path) -> None:
    result = check(write_config(tmp_path))
    assert result.exit_code == 0, result.output
    assert ": OK" in result.output
    pairs = sum(2 if "es" in spec.languages else 1 for spec in LETTERS.values())
    assert f"  {pairs} letter x language pairs (en, es) render with the program's data" in result.output


def test_missing_templates_are_each_named_and_exit_2(tmp_path: Path) -> None:
    folder = copied_templates(tmp_path)
    (folder / "email" / "acceptance.es.txt.j2").unlink()
    (folder / "email" / "denial.es.subject.j2").unlink()
    (folder / "email" / "denial.es.html.j2").unlink()
    (folder / "email" / "run_sheet.en.html.j2").unlink()
    result = check(write_config(tmp_path, templates_folder=str(folder)))
    assert result.exit_code == 2, result.output
    assert "OK" not in result.output and "Traceback" not in result.output
    # One line per letter x language pair, naming every missing file of it.
    assert sorted(problem_lines(result)) == [
        "acceptance (Español, es): missing email/acceptance.es.txt.j2",
        "denial (Español, es): missing email/denial.es.subject.j2, email/denial.es.html.j2",
        "run_sheet (English, en): missing email/run_sheet.en.html.j2",
    ]
    assert "3 letter template problem(s)" in result.output


def test_a_field_the_program_does_not_have_fails_the_check(tmp_path: Path) -> None:
    folder = copied_templates(tmp_path)
    letter = folder / "email" / "acceptance.en.txt.j2"
    letter.write_text("Hi {{ applicant.nickname }},\n" + letter.read_text(encoding="utf-8"), encoding="utf-8")
    subject = folder / "email" / "waitlist.es.subject.j2"
    subject.write_text("{{ program.nombre }}\n", encoding="utf-8")
    (folder / "email" / "release_form.es.txt.j2").unlink()
    result = check(write_config(tmp_path, templates_folder=str(folder)))
    assert result.exit_code == 2, result.output
    lines = problem_lines(result)
    assert len(lines) == 3, result.output
    assert any(line.startswith("acceptance (English, en): email/acceptance.en.txt.j2: missing field")
               and "nickname" in line for line in lines), lines
    assert any(line.startswith("waitlist (Español, es): email/waitlist.es.subject.j2: missing field")
               and "nombre" in line for line in lines), lines
    assert "release_form (Español, es): missing email/release_form.es.txt.j2" in lines


def test_letters_render_with_the_programs_own_names(tmp_path: Path) -> None:
    """The check renders with the program's data, not the catalog's samples: a template that
    insists on this program's Spanish name passes, one that insists on the sample's name fails."""
    folder = copied_templates(tmp_path)
    subject = folder / "email" / "acceptance.es.subject.j2"
    subject.write_text(
        "{% if program.name != 'Micropasantías de Mesa Valley, primavera de 2027' %}{{ not_this_program }}"
        "{% endif %}¡Te seleccionamos!\n", encoding="utf-8")
    details = folder / "email" / "session_details_partner.en.subject.j2"
    # The letter about a multi-week session is checked with the program's multi-week session.
    details.write_text("{% if session.title != 'Data Fellows: Six Weeks of Real-World Math' %}"
                       "{{ not_this_session }}{% endif %}Your session\n", encoding="utf-8")
    assert check(write_config(tmp_path, templates_folder=str(folder))).exit_code == 0
    subject.write_text("{% if program.name != 'Micropasantías de Mesa Valley' %}{{ sample_only }}"
                       "{% endif %}¡Te seleccionamos!\n", encoding="utf-8")
    result = check(write_config(tmp_path, templates_folder=str(folder)))
    assert result.exit_code == 2
    assert len(problem_lines(result)) == 1 and "sample_only" in result.output


def test_one_language_program_needs_only_its_language(tmp_path: Path) -> None:
    folder = copied_templates(tmp_path)
    for spanish in (folder / "email").glob("*.es.*.j2"):
        spanish.unlink()
    data = english_only(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    program = {**data["program"], "languages": ["en"], "name": "Mesa Valley Micro-Internships",
               "district": "Mesa Valley USD"}
    result = check(write_config(tmp_path, templates_folder=str(folder), program=program,
                                **{key: data[key] for key in ("sender", "partners", "sessions", "badge")}))
    assert result.exit_code == 0, result.output
    # The same folder fails a two-language program: every family letter in Spanish is missing.
    result = check(write_config(tmp_path, templates_folder=str(folder)))
    assert result.exit_code == 2
    bilingual = [name for name, spec in LETTERS.items() if "es" in spec.languages]
    assert len(problem_lines(result)) == len(bilingual)


def test_a_missing_or_broken_flyer_fails_the_check(tmp_path: Path) -> None:
    folder = copied_templates(tmp_path)
    (folder / "flyer" / "student.es.html.j2").unlink()
    partner = folder / "flyer" / "partner.en.html.j2"
    partner.write_text(partner.read_text(encoding="utf-8").replace(
        "<h1>", "<h1>{{ program.motto }}", 1), encoding="utf-8")
    result = check(write_config(tmp_path, templates_folder=str(folder)))
    assert result.exit_code == 2, result.output
    lines = problem_lines(result)
    assert "flyer: missing flyer/student.es.html.j2" in lines, result.output
    assert any(line.startswith("flyer:") and "partner.en.html.j2" in line and "motto" in line
               for line in lines), result.output


def test_letters_are_checked_with_what_the_real_letter_has_not_the_samples(tmp_path: Path) -> None:
    """check-config renders each letter with its preview's context, as the step builds it.

    A field only the real letter has passes (the reminder names the meeting it is about, which
    the catalog's samples never had); a field the real letter lacks fails (the badge letter's
    session is the plain one: it has no video service, only the session letters do).
    """
    folder = copied_templates(tmp_path)
    reminder = folder / "email" / "session_reminder.en.subject.j2"
    reminder.write_text("Tomorrow: meeting {{ session.next.number }} of {{ session.next.count }}, "
                        "on {{ session.video_service }}\n", encoding="utf-8")
    result = check(write_config(tmp_path, templates_folder=str(folder)))
    assert result.exit_code == 0, result.output
    badge = folder / "email" / "badge_notice.es.txt.j2"
    badge.write_text("{{ session.video_service }}\n" + badge.read_text(encoding="utf-8"), encoding="utf-8")
    result = check(write_config(tmp_path, templates_folder=str(folder)))
    assert result.exit_code == 2, result.output
    lines = problem_lines(result)
    assert len(lines) == 1, result.output
    assert lines[0].startswith("badge_notice (Español, es): email/badge_notice.es.txt.j2: missing field")
    assert "video_service" in lines[0]
