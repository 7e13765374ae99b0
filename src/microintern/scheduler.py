"""The built-in daily scheduler: the same run as cron's, at ``schedule.run_at`` program time.

``schedule`` skips runs missed while the process was down and drops a job that raises; so the
job runs once at start (catching up from the Timeline tab), and every failure is caught,
logged and retried the next day instead of ending the loop.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Callable
from datetime import time

import schedule

log = logging.getLogger(__name__)


def guarded(job: Callable[[], object]) -> Callable[[], None]:
    """Wrap ``job`` so that an exception is logged and the schedule keeps going."""

    def run() -> None:
        try:
            job()
        except Exception:
            log.exception("scheduled run failed; the next one is tomorrow")

    return run


def build(job: Callable[[], object], *, run_at: time, time_zone: str) -> schedule.Scheduler:
    """A scheduler that runs ``job`` daily at ``run_at`` in ``time_zone``."""
    scheduler = schedule.Scheduler()
    scheduler.every().day.at(run_at.strftime("%H:%M"), time_zone).do(guarded(job))
    return scheduler


def serve(job: Callable[[], object], *, run_at: time, time_zone: str,
          sleep: Callable[[float], None] = clock.sleep, max_loops: int | None = None) -> None:
    """Run ``job`` now (catch-up), then daily at ``run_at`` until stopped."""
    scheduler = build(job, run_at=run_at, time_zone=time_zone)
    guarded(job)()
    loops = 0
    while max_loops is None or loops < max_loops:
        scheduler.run_pending()
        idle = scheduler.idle_seconds
        sleep(max(1.0, min(60.0, idle if idle is not None else 60.0)))
        loops += 1
