"""Kill -9 a real run at random moments, rerun: every letter delivered exactly once.

The run is a separate process (``python -m microintern run-due``) talking to the fake
Workspace in this process over loopback; SIGKILL gives it no chance to clean up.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC
from pathlib import Path

import pytest
import yaml
from adapters.conftest import PROGRAM_USER, GoogleProgram
from fakeworkspace import FakeWorkspace

from microintern.demo.sample_data import applications

NOW = "2027-02-01T06:30"
BATCH = 200


def _fast(program: GoogleProgram) -> None:
    data = yaml.safe_load(program.config_file.read_text(encoding="utf-8"))
    data["mail"] = {"per_minute": 600}
    data["google"]["timeout_seconds"] = 1
    program.config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _start(program: GoogleProgram) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "microintern", "--config", str(program.config_file), "run-due",
         "--now", NOW],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ))


def _submit(program: GoogleProgram, fake: FakeWorkspace) -> set[str]:
    expected = set()
    for n, app in enumerate(applications(program.config, count=BATCH + 20, seed=77)):
        if "@" in app.email and len(expected) < BATCH:
            program.add_response(fake, f"k{n}", app.submitted_at.astimezone(UTC), app.answers)
            expected.add(f"k{n}")
    return expected


def _kill_and_finish(program: GoogleProgram, fake: FakeWorkspace, seed: int) -> list[float]:
    rng = random.Random(seed)
    kill_points = []
    for _ in range(20):
        run = _start(program)
        moment = rng.uniform(0.5, 4.0)
        kill_points.append(moment)
        try:
            run.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            run.send_signal(signal.SIGKILL)
            run.wait()
    fake.faults.clear()
    for _ in range(6):
        fake.wait_idle()
        finished = _start(program)
        output, _ = finished.communicate(timeout=240)
        if finished.returncode == 0 and b"unconfirmed" not in output:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the batch did not finish: {output.decode()}")
    fake.wait_idle()
    return kill_points


def _assert_exactly_once(fake: FakeWorkspace) -> None:
    keys = Counter(str(m.message["X-Microintern-Key"]) for m in fake.gmail.sent(PROGRAM_USER))
    duplicates = {k: n for k, n in keys.items() if n > 1}
    assert duplicates == {}, f"{len(duplicates)} duplicate(s)"
    # run-due also invites the partners whose outreach is due (with the flyer attached).
    acknowledged = [k for k in keys if "/application_received/" in k]
    assert len(acknowledged) == BATCH, f"{BATCH - len(acknowledged)} missing"


@pytest.mark.slow
def test_sigkill_at_20_random_points_then_rerun(fake: FakeWorkspace, google_program: GoogleProgram,
                                                tmp_path: Path) -> None:
    _fast(google_program)
    _submit(google_program, fake)
    _kill_and_finish(google_program, fake, seed=2027)
    _assert_exactly_once(fake)


@pytest.mark.slow
def test_sigkill_with_10_percent_faults(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    _fast(google_program)
    _submit(google_program, fake)
    for n, kind in enumerate(("429", "500", "503", "timeout")):
        fake.faults.add("gmail.users.drafts.*", kind, rate=0.025, seed=n, retry_after=0,
                        delay=1.5 if kind == "timeout" else None)
        fake.faults.add("sheets.spreadsheets.values.*", kind, rate=0.025, seed=10 + n,
                        retry_after=0, delay=1.5 if kind == "timeout" else None)
    _kill_and_finish(google_program, fake, seed=99)
    _assert_exactly_once(fake)
    fake.rejections.clear()  # the injected faults are recorded there; they were the point
