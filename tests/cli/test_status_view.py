"""`microintern status` (issue 16): compact by default, every step with --all, narrow lines,
steps named by their commands, and no last-run date later than the moment shown."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner, Result

from microintern.bootstrap import step_context
from microintern.cli import cli
from microintern.config import load_config
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications
from microintern.domain.timeline import COMMANDS, RunRecord, StepName, StepState
from microintern.steps.runner import StepStatus, occurrences, status_lines

RUN = "2027-02-01T06:30"
STATES = ("due", "overdue", "missed", "failed", "soon", "done", "later")


def invoke(config_file: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def table(output: str) -> list[str]:
    """The step lines of the view (after the header row, before the closing count line)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("step "))
    return [line for line in lines[start + 1:] if not re.match(r"^\d+ done, ", line)
            and not line.startswith("(nothing")]


def state_of_line(line: str) -> str:
    return line[39:46].strip()  # step (22) + session (15) + two spaces


def ran_once(config_file: Path) -> None:
    config = load_config(config_file)
    write_responses(config.resolve(config.local.folder) / "forms", config,
                    applications(config, count=6, seed=11))
    invoke(config_file, "run-due", "--now", RUN)


def test_status_is_compact_by_default_and_complete_with_all(config_file: Path) -> None:
    ran_once(config_file)
    compact = table(invoke(config_file, "status", "--now", "2027-02-02T05:00").output)
    every = table(invoke(config_file, "status", "--all", "--now", "2027-02-02T05:00").output)
    assert len(every) == len(occurrences(step_context(load_config(config_file),
                                                     datetime.fromisoformat(RUN))))
    assert 0 < len(compact) < len(every) / 3
    # The default view holds only what needs the coordinator, most urgent first.
    shown = [state_of_line(line) for line in compact]
    assert set(shown) <= {"due", "overdue", "missed", "failed", "soon"}, shown
    order = ["failed", "missed", "overdue", "due", "soon"]
    assert shown == sorted(shown, key=order.index)
    assert {state_of_line(line) for line in every} >= {"due", "later", "missed"}
    for line in every + compact:
        assert len(line) <= 100, line
        assert state_of_line(line) in STATES, line


def test_status_names_steps_by_their_commands(config_file: Path) -> None:
    output = invoke(config_file, "status", "--all", "--now", RUN).output
    steps = {line[:22].strip() for line in table(output)}
    assert "thank-partners" in steps and "send release-forms" in steps and "screen" in steps
    assert steps <= set(COMMANDS.values())
    assert "appreciation" not in output and "release_forms" not in output


def test_no_last_run_date_later_than_the_moment_shown(config_file: Path) -> None:
    ran_once(config_file)
    earlier = invoke(config_file, "status", "--all", "--now", "2027-01-25T09:00").output
    assert "2027-02-01" not in table(earlier)[0] and "Feb 01 06:30" not in earlier
    assert "(future)" in earlier
    assert "microintern status --now 2027-02-01T06:30" in earlier  # how to look at it then
    later = invoke(config_file, "status", "--all", "--now", "2027-02-01T09:00").output
    assert "(future)" not in later and "note:" not in later
    assert "Feb 01 06:30" in later


def test_a_failed_last_run_reads_failed_and_what_opens_soon_is_listed(config_file: Path) -> None:
    config = load_config(config_file)
    now = datetime.fromisoformat(RUN).replace(tzinfo=config.zone)
    ctx = step_context(config, now)
    found = occurrences(ctx)
    applications_step = next(o for o in found if o.step.name is StepName.APPLICATIONS)
    upcoming = next(o for o in found if o.opens > now and (o.opens.date() - now.date()).days <= 3)
    far = next(o for o in found if (o.opens.date() - now.date()).days > 10)
    failed = RunRecord(now.replace(hour=5), 1, False,
                       "failed: template applications.es is missing from the templates folder")
    statuses = [StepStatus(applications_step, StepState.DUE, failed, True),
                StepStatus(upcoming, StepState.UPCOMING, None, True),
                StepStatus(far, StepState.UPCOMING, None, True)]
    lines = status_lines(ctx, statuses, width=100)
    failed_line = next(line for line in lines if line.startswith("run applications"))
    assert " failed " in failed_line and "failed: template" in failed_line
    assert len(failed_line) == 100 and failed_line.endswith("…")  # cut to the width, marked
    narrow = status_lines(ctx, statuses, width=80)
    assert max(len(line) for line in narrow) <= 80
    soon = next(line for line in lines if line.startswith(COMMANDS[upcoming.step.name] + " "))
    assert " soon " in soon and "opens in" in soon
    assert not any(line.startswith(COMMANDS[far.step.name] + " ") and far.scope_id in line
                   for line in lines[:-1])
    assert lines[-1].startswith("0 done, 1 later")
