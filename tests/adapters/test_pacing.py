"""Pacing against Gmail's per-user quota, in virtual time: no 429, at least 90% of the rate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

import pytest
from adapters.conftest import PROGRAM_USER, GoogleProgram
from fakeworkspace import FakeWorkspace
from fakeworkspace.virtual_clock import VirtualClock

from microintern.bootstrap import step_context
from microintern.cli import parse_now
from microintern.config import load_config
from microintern.demo.sample_data import applications
from microintern.steps.applications import receive_applications
from microintern.steps.pacing import Pacer
from microintern.steps.setup import initialise


def test_pacer_spaces_sends_and_never_overfills_a_window() -> None:
    clock = VirtualClock()
    pacer = Pacer(60, clock=clock.now, sleep=clock.sleep)
    times = []
    for _ in range(181):
        pacer.wait()
        times.append(clock.now())
    for i in range(len(times)):
        in_window = [t for t in times if times[i] <= t < times[i] + 60]
        assert len(in_window) <= 60
    rate = (len(times) - 1) / (times[-1] - times[0]) * 60
    assert rate >= 0.9 * 60


def test_unpaced_pacer_never_sleeps() -> None:
    slept: list[float] = []
    pacer = Pacer(None, clock=lambda: 0.0, sleep=slept.append)
    for _ in range(10):
        pacer.wait()
    assert slept == []


@pytest.mark.parametrize("per_minute", [60])
def test_300_letters_under_the_gmail_quota_get_no_429(
        fake: FakeWorkspace, google_program: GoogleProgram, per_minute: int) -> None:
    clock = VirtualClock()
    fake.clock = clock.now
    fake.quotas.set("gmail.users.drafts.send", per_minute)
    for n, app in enumerate(applications(google_program.config, count=320, seed=9)):
        if "@" in app.email:
            google_program.add_response(fake, f"p{n}", app.submitted_at.astimezone(UTC), app.answers)
    sends: list[float] = []
    fake.hooks.before("gmail.users.drafts.send", lambda _: sends.append(clock.now()))

    config = load_config(google_program.config_file)
    ctx = step_context(config, parse_now("2027-02-01T06:30", config))
    ctx = replace(ctx, pacer=Pacer(per_minute, clock=clock.now, sleep=clock.sleep))
    initialise(config, ctx.ports.roster)
    result = receive_applications(ctx)

    statuses = [c.status for c in fake.calls_to("gmail.users.drafts.send")]
    assert len(statuses) >= 300
    assert set(statuses) == {200}, "a send was refused by the quota"
    assert result.counts["sent"] == len(fake.gmail.sent(PROGRAM_USER)) >= 300
    rate = (len(sends) - 1) / (sends[-1] - sends[0]) * 60
    assert rate >= 0.9 * per_minute, rate
    assert rate <= per_minute
