"""One run at a time on the local backend: the lock beside the config, the workbook's lease,
and commands that only read leaving the workbook alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from microintern.bootstrap import build_ports, lock_path
from microintern.cli import cli
from microintern.config import load_config
from microintern.demo.run import write_responses
from microintern.demo.sample_data import applications
from microintern.domain import program_sheet as sheet
from microintern.domain.lease import Holder, Lease, show

NOW = "2027-02-01T06:30"
FOREIGN = Holder("it-admin", "laptop-7.district.example", 4242)


def _invoke(config_file: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config_file), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _seed(config_file: Path, count: int) -> int:
    config = load_config(config_file)
    sample = [a for a in applications(config, count=count + count // 5, seed=3) if "@" in a.email]
    write_responses(config.resolve(config.local.folder) / "forms", config, sample[:count])
    return len(sample[:count])


def _workbook(config_file: Path) -> Path:
    config = load_config(config_file)
    return config.resolve(config.local.folder) / "program.xlsx"


def _letter_keys(config_file: Path) -> Counter[str]:
    config = load_config(config_file)
    keys: Counter[str] = Counter()
    for path in (config.resolve(config.local.folder) / "outbox" / "sent").glob("*.eml"):
        for line in path.read_bytes().splitlines():
            if line.startswith(b"X-Microintern-Key:"):
                keys[line.split(b":", 1)[1].strip().decode()] += 1
    return keys


def _outbox_sent(config_file: Path) -> set[str]:
    config = load_config(config_file)
    rows = build_ports(config).roster.read_tabs([sheet.OUTBOX])[sheet.OUTBOX]
    return {str(r[sheet.OUTBOX_KEY]) for r in rows if str(r.get("State") or "").startswith("sent")}


def _as_user(tmp_path: Path, name: str) -> dict[str, str]:
    home = tmp_path / "home" / name
    (home / "state").mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}


def _start(config_file: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "microintern", "--config", str(config_file), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)


def _plant(config_file: Path, lease: Lease) -> None:
    roster = build_ports(load_config(config_file)).roster
    roster.ensure_tabs({sheet.RUN_LEASE: sheet.LEASE_COLUMNS})
    roster.upsert(sheet.RUN_LEASE, sheet.LEASE_KEY, [lease.to_row()])


def _lease_rows(config_file: Path) -> list[dict[str, object]]:
    return build_ports(load_config(config_file)).roster.read_tabs([sheet.RUN_LEASE])[sheet.RUN_LEASE]


def test_the_lock_lives_with_the_program_shared_by_its_group(config_file: Path, tmp_path: Path) -> None:
    _invoke(config_file, "init")
    config = load_config(config_file)
    lock = lock_path(config)
    assert lock == config_file.parent.resolve() / ".microintern" / f"{config.program.id}.lock"
    assert lock.stat().st_mode & 0o777 == 0o660
    assert lock.parent.stat().st_mode & 0o7777 == 0o2770
    holder = lock.with_name(lock.name + ".holder")
    assert holder.read_text(encoding="utf-8") == ""                     # emptied when let go
    assert not list(Path(os.environ["XDG_STATE_HOME"]).rglob("*.lock"))  # no user's state folder


def test_two_os_users_at_once_one_works_the_other_names_it(config_file: Path, tmp_path: Path) -> None:
    letters = _seed(config_file, 300)
    cron = _start(config_file, _as_user(tmp_path, "microintern"), "run-due", "--now", NOW)
    info = lock_path(load_config(config_file))
    info = info.with_name(info.name + ".holder")
    while not (info.exists() and info.read_text(encoding="utf-8").strip()):
        assert cron.poll() is None, cron.communicate()[0].decode()
        time.sleep(0.02)
    it = _start(config_file, _as_user(tmp_path, "it-person"), "send", "applications", "--now", NOW)
    second = it.communicate(timeout=60)[0].decode()
    first = cron.communicate(timeout=180)[0].decode()
    assert (it.returncode, cron.returncode) == (0, 0), (first, second)
    assert len(second.strip().splitlines()) == 1
    assert "another microintern run holds" in second and f"pid {cron.pid} since" in second
    keys = _letter_keys(config_file)
    assert {k: n for k, n in keys.items() if n > 1} == {}
    acknowledged = {k for k in keys if "/application_received/" in k}
    assert len(acknowledged) == letters and acknowledged <= _outbox_sent(config_file)


def test_the_workbook_lease_blocks_names_and_expires(config_file: Path) -> None:
    letters = _seed(config_file, 3)
    now = datetime.now(UTC)
    _plant(config_file, Lease(FOREIGN, now - timedelta(minutes=5), now + timedelta(minutes=25), "f00d"))
    before = _workbook(config_file).read_bytes()
    output = _invoke(config_file, "run-due", "--now", NOW)
    assert f"it-admin@{FOREIGN.host} (pid 4242) since {show(now - timedelta(minutes=5))}" in output
    assert _workbook(config_file).read_bytes() == before and _letter_keys(config_file) == Counter()

    _plant(config_file, Lease(FOREIGN, now - timedelta(hours=3), now - timedelta(hours=2), "f00d"))
    output = _invoke(config_file, "run-due", "--now", NOW)
    assert "applications:program" in output
    assert len([k for k in _letter_keys(config_file) if "/application_received/" in k]) == letters
    (row,) = _lease_rows(config_file)
    assert row[sheet.LEASE_TOKEN] != "f00d" and row[sheet.LEASE_STATE] == "released"


def test_status_and_report_only_read(config_file: Path, tmp_path: Path) -> None:
    _seed(config_file, 12)
    _invoke(config_file, "run-due", "--now", NOW)
    workbook = _workbook(config_file)
    before, mtime = workbook.read_bytes(), workbook.stat().st_mtime_ns
    _invoke(config_file, "status", "--now", "2027-02-03T06:30")
    _invoke(config_file, "check-config")
    _invoke(config_file, "report", "--out", str(tmp_path / "r.html"), "--no-pdf", "--now", NOW)
    assert workbook.read_bytes() == before and workbook.stat().st_mtime_ns == mtime
    assert (tmp_path / "r.html").exists()


def test_a_status_loop_during_a_300_letter_send_loses_nothing(config_file: Path, tmp_path: Path) -> None:
    letters = _seed(config_file, 300)
    send = _start(config_file, _as_user(tmp_path, "cron"), "run-due", "--now", NOW)
    loops = 0
    while send.poll() is None:
        status = subprocess.run([sys.executable, "-m", "microintern", "--config", str(config_file),
                                 "status", "--now", NOW], capture_output=True,
                                env=_as_user(tmp_path, "coordinator"), timeout=60)
        assert status.returncode == 0, status.stderr
        loops += 1
    assert send.returncode == 0, send.communicate()[0]
    assert loops >= 2
    keys = _letter_keys(config_file)
    assert {k: n for k, n in keys.items() if n > 1} == {}
    acknowledged = {k for k in keys if "/application_received/" in k}
    assert len(acknowledged) == letters and acknowledged <= _outbox_sent(config_file)


def test_equity_twice_leaves_the_equity_tab_alone(config_file: Path) -> None:
    _seed(config_file, 12)
    _invoke(config_file, "run-due", "--now", NOW)
    assert "updated" in _invoke(config_file, "equity", "--now", NOW)
    roster = build_ports(load_config(config_file)).roster
    shown = roster.read_tabs([sheet.EQUITY])[sheet.EQUITY]
    assert "already up to date" in _invoke(config_file, "equity", "--now", NOW)
    assert build_ports(load_config(config_file)).roster.read_tabs([sheet.EQUITY])[sheet.EQUITY] == shown


def test_a_long_run_renews_its_lease_past_half_its_life_and_only_then(config_file: Path) -> None:
    from microintern.steps.lease import ProgramLease

    roster = build_ports(load_config(config_file)).roster
    clock = [datetime(2030, 1, 1, 8, 0, tzinfo=UTC)]
    lease = ProgramLease(roster, Holder("microintern", "server", os.getpid()),
                         length=timedelta(minutes=30), alive=lambda pid: True, clock=lambda: clock[0])
    lease.acquire()
    workbook = _workbook(config_file)
    before = workbook.read_bytes()
    clock[0] += timedelta(minutes=14)
    assert lease.renew_if_due() is False and workbook.read_bytes() == before   # a time check only
    clock[0] += timedelta(minutes=2)
    assert lease.renew_if_due() is True
    (row,) = _lease_rows(config_file)
    assert row[sheet.LEASE_EXPIRES] == show(clock[0] + timedelta(minutes=30))
    assert row[sheet.LEASE_STARTED] == "2030-01-01T08:00:00Z"
    lease.release()
    assert _lease_rows(config_file)[0][sheet.LEASE_STATE] == "released"
