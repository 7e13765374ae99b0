"""The built-in scheduler: daily at the program's local time, and a failing run never ends it."""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from microintern.scheduler import build, guarded, serve


def test_job_is_scheduled_daily_at_program_time() -> None:
    scheduler = build(lambda: None, run_at=time(6, 30), time_zone="America/Los_Angeles")
    (job,) = scheduler.jobs
    assert job.unit == "days" and job.interval == 1
    # schedule keeps next_run as naive machine-local time; compare in the program's zone.
    next_run = job.next_run.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (next_run.hour, next_run.minute) == (6, 30)
    assert next_run > datetime.now(ZoneInfo("America/Los_Angeles"))


def test_failing_job_is_logged_and_the_schedule_survives(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        raise RuntimeError("Sheets is down")

    scheduler = build(flaky, run_at=time(6, 30), time_zone="UTC")
    with caplog.at_level(logging.ERROR):
        scheduler.run_all()  # run_all runs every job now, as the daily tick would
        scheduler.run_all()
    assert len(calls) == 2  # still scheduled after the first failure
    assert scheduler.jobs, "the job must not be cancelled by its exception"
    assert "scheduled run failed" in caplog.text


def test_serve_runs_once_at_start_to_catch_up() -> None:
    calls: list[str] = []
    sleeps: list[float] = []
    serve(lambda: calls.append("run"), run_at=time(3, 0), time_zone="UTC",
          sleep=sleeps.append, max_loops=3)
    assert calls == ["run"]
    assert len(sleeps) == 3 and all(1.0 <= s <= 60.0 for s in sleeps)


def test_guarded_passes_through_success() -> None:
    seen: list[int] = []
    guarded(lambda: seen.append(1))()
    assert seen == [1]
