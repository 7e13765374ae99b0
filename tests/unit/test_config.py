"""The program config: the example loads, and each broken file gets a precise message."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from microintern.config import load_config, parse_config
from microintern.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "program.example.yaml"


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def problems_of(data: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="test.yaml", base_dir=ROOT / "config")
    assert caught.value.exit_code == 2
    return [str(p) for p in caught.value.problems]


def test_example_config_loads_completely() -> None:
    config = load_config(EXAMPLE)
    assert config.program.time_zone == "America/Los_Angeles"
    assert len(config.sessions) == 4
    data_fellows = config.session("data-fellows")
    assert len(data_fellows.meeting_starts()) == 6
    assert data_fellows.paid and data_fellows.hours_target == 30
    assert all(s.duration_minutes == 90 for s in config.sessions)
    assert config.resolve(config.templates_folder) == ROOT / "templates"


def _edit(example: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(example)
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()

BROKEN = [
    # (edit path, new value, expected fragment of the one message)
    ("program.time_zone", "Pacific/Atlantis", "program.time_zone: expected an IANA time zone"),
    ("coordinator.email", "dana at district", "coordinator.email: expected an email address"),
    ("program.id", "Mesa Valley!", "program.id: expected a short id"),
    ("sessions.0.partner", "nobody-inc", "sessions[0].partner: expected one of the partner ids"),
    ("sessions.0.meetings", ["2027-03-16T15:30:00-07:00"],
     "sessions[0].meetings[0]: expected a local wall time without a UTC offset"),
    ("sessions.1.group_size", {"min": 7, "max": 5}, "sessions[1].group_size: expected min (7)"),
    ("sessions.0.duration_minutes", "ninety", "sessions[0].duration_minutes: expected a valid integer"),
    ("mail.per_minute", 0, "mail.per_minute: expected greater than or equal to 1"),
    ("application.deadline", "2027-05-01 12:00",
     "application.deadline: expected a time before the first meeting"),
    ("program.default_language", "xx",
     "program.default_language: expected a language code Babel knows, such as en, es or vi"),
    ("badge.min_attendance", 1.5, "badge.min_attendance: expected less than or equal to 1"),
    ("schedule.run_at", "half past six", "schedule.run_at: expected"),
    ("sender", _DELETE, "sender: expected this key, found nothing"),
    ("sessions.3.weekly.count", 0, "sessions[3].weekly.count: expected greater than or equal to 1"),
    ("templates_folder", "../no-such-templates", "templates_folder: expected an existing folder"),
    ("backend", "dropbox", "backend: expected 'local' or 'google'"),
]


@pytest.mark.parametrize(("path", "value", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_config_names_key_expected_and_found(
    example: dict[str, Any], path: str, value: Any, expected: str
) -> None:
    problems = problems_of(_edit(example, path, value))
    assert any(expected in p for p in problems), problems
    assert len(problems) == 1, problems


def test_misspelled_key_is_reported_not_ignored(example: dict[str, Any]) -> None:
    data = copy.deepcopy(example)
    data["mail"]["daily_cpa"] = 100
    assert problems_of(data) == [
        "mail.daily_cpa: expected no such key (check the spelling), found 100"
    ]


def test_every_problem_is_reported_at_once(example: dict[str, Any]) -> None:
    data = copy.deepcopy(example)
    data["program"]["time_zone"] = "Mars/Olympus"
    data["coordinator"]["email"] = "nope"
    data["sessions"][0]["duration_minutes"] = 5
    problems = problems_of(data)
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == [
        "program.time_zone", "coordinator.email", "sessions[0].duration_minutes"]


def test_cross_checks_report_duplicates_and_missing_questions(example: dict[str, Any]) -> None:
    data = copy.deepcopy(example)
    data["sessions"][1]["id"] = data["sessions"][0]["id"]
    data["application"]["questions"] = [
        q for q in data["application"]["questions"] if q["key"] != "student_email"]
    problems = problems_of(data)
    assert "sessions[1].id: expected a unique value, found 'cyber-basics'" in problems
    assert "application.questions: expected a question with key 'student_email', found none" in problems


def test_google_backend_needs_spreadsheet_and_delegated_user(example: dict[str, Any]) -> None:
    data = copy.deepcopy(example)
    data["backend"] = "google"
    data["google"]["delegated_user"] = None
    problems = problems_of(data)
    assert any(p.startswith("google.spreadsheet_id: expected") for p in problems)
    assert any(p.startswith("google.delegated_user: expected") for p in problems)


def test_bad_yaml_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "program.yaml"
    bad.write_text("program:\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    (problem,) = caught.value.problems
    assert problem.path.startswith("line ")
    assert problem.expected == "valid YAML"


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.yaml")
    assert problems_of(["a", "list"]) == ["(top level): expected a mapping of keys, found ['a', 'list']"]


def test_weekly_meetings_keep_wall_time_across_dst(example: dict[str, Any]) -> None:
    data = _edit(example, "sessions.3.weekly", {"first": "2027-03-02 16:00", "count": 3})
    config = parse_config(data, base_dir=ROOT / "config")
    starts = config.session("data-fellows").meeting_starts()
    assert [s.hour for s in starts] == [16, 16, 16]
    offsets = [s.replace(tzinfo=config.zone).utcoffset() for s in starts]
    assert offsets[0] != offsets[-1]  # PST before 14 March 2027, PDT after
