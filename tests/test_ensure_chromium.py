"""scripts/ensure-chromium.sh waits for apt's lock, retries a failed update, and never hangs.

The script runs for real, with a PATH holding only stand-ins the test writes: an ``apt-get``
that logs its arguments (and fails ``update`` as often as told), an ``id`` that says root, and
optionally a ``chromium``. The machine's own apt is never touched.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ensure-chromium.sh"
BASH = shutil.which("bash") or "/bin/bash"


def _tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _bin(tmp_path: Path, *, update_failures: int = 0, chromium: bool = False) -> Path:
    """A folder of stand-ins: fake apt-get, id (root) and, if asked, chromium; real timeout/sleep."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for real in ("timeout", "sleep"):
        found = shutil.which(real)
        assert found, f"{real} is needed to run the script"
        (folder / real).symlink_to(found)
    _tool(folder, "id", 'echo 0')
    log = tmp_path / "apt.log"
    failures = tmp_path / "failures"
    failures.write_text(str(update_failures))
    # Logs one line per call; "update" fails while the failure counter is above zero.
    _tool(folder, "apt-get", f"""
echo "$*" >> {log}
if [[ " $* " == *" update "* ]]; then
  left=$(< {failures})
  if (( left > 0 )); then echo $((left - 1)) > {failures}; echo "E: Could not get lock" >&2; exit 100; fi
fi
exit 0""")
    if chromium:
        _tool(folder, "chromium", "exit 0")
    return folder


def _run(tmp_path: Path, folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": str(folder), "HOME": str(tmp_path),
                   "MICROINTERN_APT_RETRY_DELAY": "0", **env}
    environment.pop("MICROINTERN_CHROMIUM", None)
    return subprocess.run([BASH, str(SCRIPT)], env=environment, capture_output=True, text=True,
                          timeout=60, check=False)


def _calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_chromium_already_there_means_no_apt_at_all(tmp_path: Path) -> None:
    done = _run(tmp_path, _bin(tmp_path, chromium=True))
    assert done.returncode == 0
    assert _calls(tmp_path) == []


def test_every_apt_get_waits_for_the_lock_and_a_failed_update_is_retried(tmp_path: Path) -> None:
    done = _run(tmp_path, _bin(tmp_path, update_failures=2))
    assert done.returncode == 0, done.stderr
    calls = _calls(tmp_path)
    assert [c.split()[-2:] for c in calls[:3]] == [["update", "-qq"]] * 3
    assert "install" in calls[3] and calls[3].endswith("chromium")
    assert len(calls) == 4
    assert all(c.startswith("-o DPkg::Lock::Timeout=300 ") for c in calls)
    assert "waiting up to 300s" in done.stderr
    assert "try 1 of 3" in done.stderr and "try 2 of 3" in done.stderr


def test_an_update_that_keeps_failing_gives_up_after_the_set_tries(tmp_path: Path) -> None:
    started = time.monotonic()
    done = _run(tmp_path, _bin(tmp_path, update_failures=99), MICROINTERN_APT_LOCK_WAIT="5")
    assert time.monotonic() - started < 30
    # The browser test then fails with its own message; make test is not stopped here.
    assert done.returncode == 0
    calls = _calls(tmp_path)
    assert len(calls) == 3 and all("update" in c for c in calls)
    assert all(c.startswith("-o DPkg::Lock::Timeout=5 ") for c in calls)
    assert "apt-get update failed 3 times" in done.stderr
    assert "Chromium is not installed" in done.stderr


def test_a_stuck_apt_get_is_cut_off(tmp_path: Path) -> None:
    folder = _bin(tmp_path)
    # An apt-get that never returns: the script's bound (lock wait + work) stops it.
    (folder / "apt-get").unlink()
    _tool(folder, "apt-get", f'echo "$*" >> {tmp_path / "apt.log"}; exec sleep 1000')
    started = time.monotonic()
    done = _run(tmp_path, folder, MICROINTERN_APT_LOCK_WAIT="0", MICROINTERN_APT_WORK_LIMIT="1",
                MICROINTERN_APT_TRIES="2")
    assert time.monotonic() - started < 20
    assert done.returncode == 0
    assert len(_calls(tmp_path)) == 2
    assert "Chromium is not installed" in done.stderr


def test_without_root_it_only_says_how(tmp_path: Path) -> None:
    folder = _bin(tmp_path)
    (folder / "id").unlink()
    _tool(folder, "id", "echo 1000")
    done = _run(tmp_path, folder)
    assert done.returncode == 0
    assert _calls(tmp_path) == []
    assert "sudo apt-get install chromium" in done.stderr
