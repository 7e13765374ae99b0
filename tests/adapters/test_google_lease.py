"""One run at a time on the Google backend: the OS lock beside the config and the sheet's lease.

Runs are real processes (``python -m microintern``) or the CLI in-process, against the fake
Workspace; what is asserted is the fake's state: letters delivered, Outbox rows, write calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from adapters.conftest import PROGRAM_USER, SPREADSHEET_ID, GoogleProgram
from click.testing import CliRunner
from fakeworkspace import FakeWorkspace

from microintern.bootstrap import lock_path
from microintern.cli import cli
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet
from microintern.domain.lease import Holder, Lease, show

NOW = "2027-02-01T06:30"
WRITES = ("sheets.spreadsheets.values.batchUpdate", "sheets.spreadsheets.values.append",
          "sheets.spreadsheets.values.update", "sheets.spreadsheets.values.clear",
          "sheets.spreadsheets.batchUpdate")


def _submit(program: GoogleProgram, fake: FakeWorkspace, count: int) -> int:
    sent = 0
    for n, app in enumerate(applications(program.config, count=count + count // 5, seed=5)):
        if "@" in app.email and sent < count:
            program.add_response(fake, f"k{n}", app.submitted_at.astimezone(UTC), app.answers)
            sent += 1
    return sent


def _pace(program: GoogleProgram, per_minute: int | None) -> None:
    data = yaml.safe_load(program.config_file.read_text(encoding="utf-8"))
    data["mail"] = {"per_minute": per_minute}
    program.config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _as_user(tmp_path: Path, name: str) -> dict[str, str]:
    """The environment of another OS user: their own HOME and XDG_STATE_HOME."""
    home = tmp_path / "home" / name
    (home / "state").mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}


def _start(program: GoogleProgram, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "microintern", "--config",
                             str(program.config_file), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)


def _wait_for_holder(program: GoogleProgram, run: subprocess.Popen[bytes]) -> None:
    info = lock_path(program.config).with_name(lock_path(program.config).name + ".holder")
    for _ in range(400):
        if info.exists() and info.read_text(encoding="utf-8").strip():
            return
        assert run.poll() is None, run.communicate()[0].decode()
        time.sleep(0.025)
    pytest.fail("the first run never took the lock")


def _keys(fake: FakeWorkspace) -> Counter[str]:
    return Counter(str(m.message["X-Microintern-Key"]) for m in fake.gmail.sent(PROGRAM_USER))


def _outbox_sent(fake: FakeWorkspace) -> set[str]:
    rows = fake.sheets.values(SPREADSHEET_ID, sheet.OUTBOX)
    header = rows[0]
    return {str(r[0]) for r in rows[1:]
            if len(r) > header.index("State") and str(r[header.index("State")]).startswith("sent")}


def _lease_rows(fake: FakeWorkspace) -> list[dict[str, object]]:
    rows = fake.sheets.values(SPREADSHEET_ID, sheet.RUN_LEASE)
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def _plant_lease(fake: FakeWorkspace, lease: Lease) -> None:
    """A lease another machine wrote, as it lands in the tab (made by `init`)."""
    row = lease.to_row()
    fake.sheets.write(SPREADSHEET_ID, f"'{sheet.RUN_LEASE}'!A1",
                      [list(sheet.LEASE_COLUMNS), [row[c] for c in sheet.LEASE_COLUMNS]])


def _invoke(program: GoogleProgram, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(program.config_file), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _ready(program: GoogleProgram) -> None:
    """`init` once, as IT would: every tab, the Run lease tab included after the first run."""
    _invoke(program, "init")


FOREIGN = Holder("it-admin", "laptop-7.district.example", 4242)


def test_two_os_users_at_once_one_works_the_other_names_it(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    _pace(google_program, 600)
    letters = _submit(google_program, fake, 100)
    cron = _start(google_program, _as_user(tmp_path, "microintern"), "run-due", "--now", NOW)
    _wait_for_holder(google_program, cron)
    it = _start(google_program, _as_user(tmp_path, "it-person"), "send", "applications", "--now", NOW)
    second, _ = it.communicate(timeout=60)
    first, _ = cron.communicate(timeout=120)
    assert it.returncode == 0 and cron.returncode == 0, (first, second)
    assert len(second.decode().strip().splitlines()) == 1
    assert f"pid {cron.pid} since" in second.decode() and "another microintern run holds" in second.decode()
    keys = _keys(fake)
    assert {k: n for k, n in keys.items() if n > 1} == {}                     # 0 duplicate letters
    acknowledged = {k for k in keys if "/application_received/" in k}
    assert len(acknowledged) == letters
    assert acknowledged <= _outbox_sent(fake)                                 # 0 lost Outbox rows
    # The lock lives with the program, shared by the group; no user's state folder is used.
    lock = lock_path(google_program.config)
    assert lock.parent == google_program.config_file.parent / ".microintern"
    assert lock.stat().st_mode & 0o777 == 0o660 and lock.parent.stat().st_mode & 0o7777 == 0o2770
    assert not any((tmp_path / "home").rglob("*.lock"))
    assert [r[sheet.LEASE_STATE] for r in _lease_rows(fake)] == ["released"]


def test_an_unexpired_foreign_lease_blocks_and_is_named(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    _submit(google_program, fake, 3)
    _ready(google_program)
    now = datetime.now(UTC)
    _plant_lease(fake, Lease(FOREIGN, now - timedelta(minutes=5), now + timedelta(minutes=25), "f00d"))
    fake.reset_calls()
    output = _invoke(google_program, "run-due", "--now", NOW)
    assert output.count("\n") == 1
    assert f"it-admin@{FOREIGN.host} (pid 4242) since {show(now - timedelta(minutes=5))}" in output
    assert sum(fake.count(m) for m in WRITES) == 0 and fake.gmail.sent() == []
    assert _lease_rows(fake)[0][sheet.LEASE_TOKEN] == "f00d"


def test_an_expired_lease_is_taken_over(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    letters = _submit(google_program, fake, 3)
    _ready(google_program)
    now = datetime.now(UTC)
    _plant_lease(fake, Lease(FOREIGN, now - timedelta(hours=3), now - timedelta(hours=2), "dead"))
    output = _invoke(google_program, "run-due", "--now", NOW)
    assert "applications:program" in output
    assert len([k for k in _keys(fake) if "/application_received/" in k]) == letters
    (row,) = _lease_rows(fake)
    assert row[sheet.LEASE_TOKEN] != "dead" and row[sheet.LEASE_STATE] == "released"
    assert str(row[sheet.LEASE_HOLDER]).endswith("@" + os.uname().nodename)


def test_a_read_back_showing_another_token_stops_the_run_before_any_write(
        fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    _submit(google_program, fake, 3)
    _ready(google_program)
    now = datetime.now(UTC)
    _plant_lease(fake, Lease(FOREIGN, now - timedelta(hours=3), now - timedelta(hours=2), "dead"))
    wrote = []

    def lease_written(_: FakeWorkspace) -> None:
        wrote.append(True)

    def other_machine_writes(ws: FakeWorkspace) -> None:
        # Between our lease write and its read-back, a run on another machine writes its own.
        if wrote and len(wrote) == 1:
            wrote.append(True)
            _plant_lease(ws, Lease(FOREIGN, now, now + timedelta(minutes=30), "beef"))

    fake.hooks.before("sheets.spreadsheets.values.batchUpdate", lease_written)
    fake.hooks.before("sheets.spreadsheets.values.batchGet", other_machine_writes)
    fake.reset_calls()
    output = _invoke(google_program, "run-due", "--now", NOW)
    assert "another microintern run holds the program: it-admin@" in output
    assert "at the same moment" in output
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 1         # the lease, nothing else
    assert fake.count("sheets.spreadsheets.values.append") == 0 and fake.gmail.sent() == []
    assert _lease_rows(fake)[0][sheet.LEASE_TOKEN] == "beef"                 # theirs stays


@pytest.mark.slow
def test_status_only_reads_and_a_status_loop_during_a_send_loses_nothing(
        fake: FakeWorkspace, google_program: GoogleProgram, tmp_path: Path) -> None:
    _pace(google_program, 600)
    _ready(google_program)
    fake.reset_calls()
    _invoke(google_program, "status", "--now", NOW)
    assert sum(fake.count(m) for m in WRITES) == 0                           # status writes nothing
    letters = _submit(google_program, fake, 300)
    send = _start(google_program, _as_user(tmp_path, "cron"), "run-due", "--now", NOW)
    loops = 0
    while send.poll() is None:
        status = subprocess.run([sys.executable, "-m", "microintern", "--config",
                                 str(google_program.config_file), "status", "--now", NOW],
                                capture_output=True, env=_as_user(tmp_path, "coordinator"),
                                timeout=60)
        assert status.returncode == 0, status.stderr
        loops += 1
    output, _ = send.communicate()
    assert send.returncode == 0, output
    assert loops >= 3
    keys = _keys(fake)
    assert {k: n for k, n in keys.items() if n > 1} == {}
    acknowledged = {k for k in keys if "/application_received/" in k}
    assert len(acknowledged) == letters and acknowledged <= _outbox_sent(fake)


def test_equity_twice_writes_once(fake: FakeWorkspace, google_program: GoogleProgram) -> None:
    assert google_program.config.equity.fields  # the example program reports on some
    _submit(google_program, fake, 12)
    _invoke(google_program, "run-due", "--now", NOW)
    assert "updated" in _invoke(google_program, "equity", "--now", NOW)
    fake.reset_calls()
    assert "already up to date" in _invoke(google_program, "equity", "--now", NOW)
    assert fake.count("sheets.spreadsheets.values.batchUpdate") == 2         # the lease: take, release
    assert fake.count("sheets.spreadsheets.values.append") == 0
    rows = fake.sheets.values(SPREADSHEET_ID, sheet.EQUITY)
    assert len(rows) > 1


def test_the_lease_rides_with_the_runs_one_read_and_its_last_save(fake: FakeWorkspace,
                                                                   google_program: GoogleProgram) -> None:
    """Issue 19: the lease's read is the run's one read of every tab, taking it is one write and
    its read-back, and its release rides in the run's last save (with the Timeline rows)."""
    def run_due() -> None:
        result = CliRunner().invoke(cli, ["--config", str(google_program.config_file), "run-due",
                                          "--now", NOW])
        assert result.exit_code == 0, result.output

    run_due()
    fake.reset_calls()
    run_due()  # the same morning again: nothing left to do but look
    sheets = Counter(c.method_id.removeprefix("sheets.spreadsheets.") for c in fake.calls_to("sheets."))
    # Before: 10 for the lease alone (tab check 2, read, write 3, confirm, release 3), plus the
    # run's own reads of the Timeline and Problems tabs.
    assert sheets == {"get": 1, "values.batchGet": 3, "values.batchUpdate": 2}, sheets
    snapshot, taken, last = fake.calls_to("sheets.spreadsheets.values.batchGet")
    assert {"'Run lease'", "'Applications'", "'Outbox'", "'Timeline'", "'Settings'"} \
        <= set(snapshot.query["ranges"])
    assert taken.query["ranges"] == ["'Run lease'"]  # the lease read back: taken
    take, release = fake.calls_to("sheets.spreadsheets.values.batchUpdate")
    assert {d["range"].split("!")[0] for d in take.body["data"]} == {"'Run lease'"}
    assert "'Run lease'" in {d["range"].split("!")[0] for d in release.body["data"]}
    assert "'Run lease'" in last.query["ranges"]  # the last save read back with the lease
    assert [r[sheet.LEASE_STATE] for r in _lease_rows(fake)] == ["released"]
