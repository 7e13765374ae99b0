"""Issue 16: global options after the command, quiet on a closed pipe, and honest dry runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from microintern.cli import cli, hoist_global_options
from microintern.config import load_config
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications

RUN = "2027-02-01T06:30"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("args", [
    ["check-config", "--config", "{cfg}"],
    ["check-config", "--config={cfg}", "-vv"],
    ["--config", "{cfg}", "check-config"],
    ["-v", "check-config", "--debug-http", "--config", "{cfg}"],
])
def test_global_options_before_or_after_the_command(config_file: Path, args: list[str]) -> None:
    code, output = run(*(a.format(cfg=config_file) for a in args))
    assert code == 0, output
    assert f"{config_file}: OK" in output


def test_status_takes_config_and_verbose_after_the_command(config_file: Path) -> None:
    before = run("--config", str(config_file), "status", "--now", RUN)
    after = run("status", "--now", RUN, "--config", str(config_file), "-v")
    assert before == after and before[0] == 0
    assert "Mesa Valley" in after[1]


def test_hours_export_takes_the_config_after_it(config_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "pay.csv"
    code, output = run("hours", "export", "--out", str(out), "--config", str(config_file))
    assert code == 0, output
    assert out.exists() and "payroll:" in output


def test_hoisting_moves_only_global_options_and_stops_at_the_double_dash() -> None:
    assert hoist_global_options(["send", "decisions", "--config", "a.yaml", "-vv", "--now", "x"]) == [
        "--config", "a.yaml", "-vv", "send", "decisions", "--now", "x"]
    assert hoist_global_options(["run", "--", "--config", "b"]) == ["run", "--", "--config", "b"]
    assert hoist_global_options(["status", "--config"]) == ["status", "--config"]


def test_a_missing_config_value_is_a_usage_error() -> None:
    code, output = run("status", "--config")
    assert code == 2 and "--config" in output


def test_each_commands_help_lists_the_global_options() -> None:
    for name in ("status", "send", "check-config", "hours"):
        code, output = run(name, "--help")
        assert code == 0
        assert "Global options (before or after the command)" in output, name
        assert "--config PATH" in output and "--verbose" in output, name
    code, output = run("hours", "export", "--help")
    assert "--config PATH" in output


@pytest.mark.parametrize("command", [["status", "--all", "--now", RUN], ["check-config"], ["scopes"]])
def test_a_closed_pipe_is_quiet(config_file: Path, command: list[str]) -> None:
    # The reader is gone before the first line is written: every write meets a closed pipe.
    process = subprocess.Popen([sys.executable, "-m", "microintern", *command, "--config", str(config_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, errors
    assert "BrokenPipe" not in errors and "Traceback" not in errors and errors == ""


def test_status_piped_into_head_prints_its_first_lines(config_file: Path) -> None:
    shell = subprocess.run(  # noqa: S602 - the pipe into head is the point of the test
        f"{sys.executable} -m microintern status --all --now {RUN} --config {config_file} | head -3",
        shell=True, capture_output=True, text=True, timeout=120, check=False)
    assert shell.stderr == ""
    lines = shell.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("Mesa Valley")


def test_send_dry_run_says_what_would_be_sent(config_file: Path, tmp_path: Path) -> None:
    config = load_config(config_file)
    sample = applications(config, count=6, seed=11)
    write_responses(config.resolve(config.local.folder) / "forms", config, sample)
    preview = tmp_path / "preview"
    code, output = run("--config", str(config_file), "send", "applications", "--now", RUN,
                       "--dry-run", str(preview))
    assert code == 0, output
    would = int(re.search(r"would send (\d+)", output).group(1))  # type: ignore[union-attr]
    assert would == len(list(preview.glob("*.eml"))) > 0
    assert not re.search(r"\bsent \d", output), output
    assert output.splitlines()[0].startswith("dry run 2027-02-01 06:30")
    assert not (config.resolve(config.local.folder) / "outbox" / "sent").exists()


def test_send_takes_a_steps_command_name(config_file: Path) -> None:
    code, output = run("--config", str(config_file), "send", "thank-partners", "--now", RUN)
    assert code == 0, output
    assert "appreciation:" in output  # the Timeline key of the step run
    code, output = run("--config", str(config_file), "send", "release-forms", "--now", RUN)
    assert code == 0 and "release_forms:" in output
