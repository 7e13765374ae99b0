"""An idle run-due is quick: no step is imported unless it is due (issue 16).

A fresh interpreter runs ``microintern run-due`` on the local backend at a moment when nothing
is due, as cron would each morning, and reports at exit which modules it imported. Neither a
step module, nor scipy (cohorts), nor matplotlib or fpdf (the report), nor openpyxl and numpy
(the workbook's writer), nor icalendar (the calendar adapter) may be among them; the workbook
and the lease file are left as they were. The
wall time, interpreter start included, is the best of three; the bound asserted leaves room
for a busy CI machine (docs/benchmarks.md has the figures measured on a quiet one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from programs import write_config

from microintern.cli import cli

ROOT = Path(__file__).resolve().parents[2]
IDLE = "2026-06-01T06:30"  # months before the example program's first step opens
# openpyxl (which imports numpy when it is installed) only for a write: an idle run reads the
# workbook with the standard library and writes nothing.
HEAVY = ("scipy", "matplotlib", "fpdf", "openpyxl", "numpy", "icalendar")

WRAPPER = """
import json, sys
from microintern.cli import main
sys.argv = ["microintern", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    code = stop.code
print("MODULES " + json.dumps(sorted(sys.modules)))
"""


def _idle_run(config_file: Path) -> tuple[float, list[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, "--config", str(config_file), "run-due",
                           "--now", IDLE], env=env, capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return seconds, json.loads(line.removeprefix("MODULES ")), done.stdout


def test_idle_run_due_imports_no_step_and_is_quick(tmp_path: Path) -> None:
    config_file = write_config(tmp_path)
    assert CliRunner().invoke(cli, ["--config", str(config_file), "init"]).exit_code == 0
    _idle_run(config_file)  # the first run after init writes the Timeline's rows
    workbook = next(tmp_path.rglob("program.xlsx"))
    before = (workbook.read_bytes(), workbook.stat().st_mtime_ns)
    runs = [_idle_run(config_file) for _ in range(3)]
    assert (workbook.read_bytes(), workbook.stat().st_mtime_ns) == before  # then nothing saved
    seconds, modules, output = min(runs)
    assert "nothing due" in output
    heavy = [m for m in modules if m.split(".")[0] in HEAVY]
    steps = [m for m in modules if m.startswith("microintern.steps.")
             and m.rsplit(".", 1)[-1] not in {"runner", "context", "lease", "setup", "pacing"}]
    assert heavy == []
    assert steps == []
    # Nor the screening package (its look-alike tables): only `init`'s sheet rules need it.
    assert [m for m in modules if m.startswith("microintern.domain.screening")] == []
    assert seconds <= 1.5, f"idle run-due took {seconds:.2f} s (best of 3)"
