"""The CLI in-process on the local backend: config errors, run-due, reruns and the lock."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from microintern.bootstrap import lock_path
from microintern.cli import cli
from microintern.config import load_config
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications
from microintern.domain.timeline import StepName
from microintern.steps.runner import AUTOMATED

DURING_APPLICATIONS = "2027-02-01T06:30"


def invoke(config_file: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)


def seed_responses(config_file: Path, count: int) -> list:
    config = load_config(config_file)
    sample = applications(config, count=count, seed=11)
    write_responses(config.resolve(config.local.folder) / "forms", config, sample)
    return sample


def sent_files(config_file: Path) -> list[Path]:
    config = load_config(config_file)
    return sorted((config.resolve(config.local.folder) / "outbox" / "sent").glob("*.eml"))


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage:" in result.output


def test_check_config_ok(config_file: Path) -> None:
    result = invoke(config_file, "check-config")
    assert result.exit_code == 0
    assert "4 partners, 4 sessions, 9 meetings" in result.output


def test_bad_config_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("program: {id: X}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "status"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "program.id: expected a short id" in result.output
    assert "coordinator: expected this key, found nothing" in result.output


def acknowledgements(config_file: Path) -> list[Path]:
    return [p for p in sent_files(config_file) if b"/application_received/" in p.read_bytes()]


def test_run_due_imports_and_acknowledges_once(config_file: Path) -> None:
    sample = seed_responses(config_file, 12)
    first = invoke(config_file, "run-due", "--now", DURING_APPLICATIONS)
    assert first.exit_code == 0, first.output
    # Quiet: one summary line, then one named line per problem (issue 16), ids only.
    summary, *problems = first.output.strip().splitlines()
    assert summary.startswith("run-due ") and all(line.startswith("  ! ") for line in problems)
    assert len(problems) == len(sample) - len([a for a in sample if "@" in a.email])
    assert "applications:program (imported 12" in first.output
    arrived = [a for a in sample if "@" in a.email]
    assert len(acknowledgements(config_file)) == len(arrived)

    again = invoke(config_file, "run-due", "--now", DURING_APPLICATIONS)
    assert again.exit_code == 0
    assert "nothing due" in again.output  # done today
    next_day = invoke(config_file, "run-due", "--now", "2027-02-02T06:30")
    assert "applications:program (imported 0)" in next_day.output
    assert len(acknowledgements(config_file)) == len(arrived)  # nothing twice

    for path in sent_files(config_file):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert len(message.get_all("To")) == 1
        assert "," not in str(message["To"])


def test_run_due_holds_bad_addresses_and_names_the_row(config_file: Path) -> None:
    sample = seed_responses(config_file, 12)
    assert any("@" not in a.email for a in sample)
    result = invoke(config_file, "run-due", "--now", DURING_APPLICATIONS)
    assert "held 1" in result.output and "1 problem(s)" in result.output


def test_second_run_exits_0_with_notice_while_locked(config_file: Path) -> None:
    seed_responses(config_file, 3)
    lock = FileLock(str(lock_path(load_config(config_file))))
    with lock:
        result = invoke(config_file, "run-due", "--now", DURING_APPLICATIONS)
    assert result.exit_code == 0
    assert "another microintern run holds" in result.output
    assert sent_files(config_file) == []


def test_status_shows_every_step(config_file: Path) -> None:
    result = invoke(config_file, "status", "--all", "--now", DURING_APPLICATIONS)
    assert result.exit_code == 0
    # Steps are named by the command that runs them (issue 16), one line each.
    assert any(line.startswith("run applications ") and " program " in line
               for line in result.output.splitlines())
    assert any(line.startswith("send partner-outreach ") and " cyber-basics " in line
               for line in result.output.splitlines())
    # Steps microintern does not carry out are marked for the coordinator (none left, now).
    assert ("(by hand)" in result.output) == any(step not in AUTOMATED for step in StepName)
    assert "due" in result.output


def test_run_unknown_step_is_a_usage_error(config_file: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "run", "teleport"])
    assert result.exit_code == 2
    assert "choose one of:" in result.output and "applications" in result.output


@pytest.mark.parametrize("value", ["yesterday", "2027-13-01"])
def test_bad_now_is_a_usage_error(config_file: Path, value: str) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "status", "--now", value])
    assert result.exit_code == 2
    assert "--now" in result.output
