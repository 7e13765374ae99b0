"""Benchmark the applications step (API calls and time, on both backends) and mail pacing.

Run with ``make benchmark`` (or ``.venv/bin/python scripts/benchmark.py --applications 1000``).
The Google path runs against the fake Workspace on loopback, through the real client
libraries, so the call counts are the ones Google would see; times include the fake's own work.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from click.testing import CliRunner  # noqa: E402
from fakeworkspace import FakeWorkspace, write_service_account_file  # noqa: E402
from fakeworkspace.virtual_clock import VirtualClock  # noqa: E402
from programs import write_config  # noqa: E402

from microintern.bootstrap import step_context  # noqa: E402
from microintern.cli import cli, parse_now  # noqa: E402
from microintern.config import ProgramConfig, load_config  # noqa: E402
from microintern.demo.run import write_responses  # noqa: E402
from microintern.demo.sample_data import SampleApplication, applications  # noqa: E402
from microintern.steps.applications import receive_applications  # noqa: E402
from microintern.steps.pacing import Pacer  # noqa: E402
from microintern.steps.setup import initialise  # noqa: E402

NOW = "2027-02-01T06:30"
SHEET = "1BenchmarkProgramSheet00000000000000000000000"
FORM = "1BenchmarkApplicationForm000000000000000000"
USER = "internships@mesavalley.example"


def _run(config_file: Path) -> tuple[float, float, str]:
    # thread_time: only this thread, so the fake serving on its own threads is not counted.
    wall, cpu = time.perf_counter(), time.thread_time()
    result = CliRunner().invoke(cli, ["--config", str(config_file), "run", "applications", "--now", NOW])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return time.perf_counter() - wall, time.thread_time() - cpu, result.output.strip()


def _google_program(fake: FakeWorkspace, folder: Path, *, mail: dict[str, object],
                    timeout: float = 60) -> tuple[Path, ProgramConfig, dict[str, str]]:
    """A Google-backend program routed to ``fake``, with an empty form; returns file, config, ids."""
    key = write_service_account_file(folder / "credentials.json", fake)
    fake.sheets.create(SHEET, "benchmark", {"Sheet1": []})
    config_file = write_config(folder, backend="google", google={
        "credentials_file": str(key), "delegated_user": USER, "spreadsheet_id": SHEET,
        "application_form_id": FORM, "endpoint": fake.url, "timeout_seconds": timeout}, mail=mail)
    config = load_config(config_file)
    ids = {q.title: f"{i:08x}" for i, q in enumerate(config.application.questions, 1)}
    fake.forms.create(FORM, "benchmark", [(q, t) for t, q in ids.items()])
    return config_file, config, ids


def _submit(fake: FakeWorkspace, ids: dict[str, str], sample: list[SampleApplication]) -> None:
    for n, app in enumerate(sample):
        fake.forms.add_response(FORM, f"r{n}", app.submitted_at.astimezone(UTC),
                                {ids[t]: v for t, v in app.answers.items() if v})


def google(count: int, folder: Path) -> dict[str, object]:
    """Import and acknowledge ``count`` applications on the Google backend (fake Workspace)."""
    with FakeWorkspace() as fake:
        # Unpaced: throughput here; pacing is measured on its own below.
        config_file, config, ids = _google_program(fake, folder, mail={"per_minute": None})
        _submit(fake, ids, applications(config, count=count, seed=3))
        wall, cpu, summary = _run(config_file)
        services = Counter(c.method_id.split(".")[0] for c in fake.calls)
        sent = len(fake.gmail.sent())
        assert not fake.rejections, fake.rejections
    return {"wall": wall, "cpu": cpu, "summary": summary, "calls": dict(services), "sent": sent}


def local(count: int, folder: Path) -> dict[str, object]:
    """The same on the local backend (xlsx workbook, .eml outbox)."""
    config_file = write_config(folder)
    config = load_config(config_file)
    write_responses(config.resolve(config.local.folder) / "forms", config,
                    applications(config, count=count, seed=3))
    wall, cpu, summary = _run(config_file)
    sent = len(list((config.resolve(config.local.folder) / "outbox" / "sent").glob("*.eml")))
    return {"wall": wall, "cpu": cpu, "summary": summary, "sent": sent}


def pacing(count: int, per_minute: int, folder: Path) -> dict[str, float]:
    """``count`` letters with the fake enforcing ``per_minute`` sends, in virtual time."""
    with FakeWorkspace() as fake:
        clock = VirtualClock()
        fake.clock = clock.now
        fake.quotas.set("gmail.users.drafts.send", per_minute)
        _, config, ids = _google_program(fake, folder, mail={"per_minute": per_minute})
        deliverable = [a for a in applications(config, count=count * 2, seed=9) if "@" in a.email]
        _submit(fake, ids, deliverable[:count])
        sends: list[float] = []
        fake.hooks.before("gmail.users.drafts.send", lambda _: sends.append(clock.now()))
        ctx = step_context(config, parse_now(NOW, config))
        ctx = replace(ctx, pacer=Pacer(per_minute, clock=clock.now, sleep=clock.sleep))
        initialise(config, ctx.ports.roster)
        wall = time.perf_counter()
        receive_applications(ctx)
        wall = time.perf_counter() - wall
        refused = sum(1 for c in fake.calls_to("gmail.users.drafts.send") if c.status == 429)
        span = sends[-1] - sends[0]
        rate = (len(sends) - 1) / span * 60
        return {"sent": len(fake.gmail.sent()), "refused": refused, "minutes": span / 60,
                "rate": rate, "share": rate / per_minute, "wall": wall}


def screening(count: int, folder: Path) -> dict[str, object]:
    """Import and screen ``count`` applications on the Google backend (after `init`)."""
    with FakeWorkspace() as fake:
        config_file, config, ids = _google_program(fake, folder, mail={}, timeout=120)
        _submit(fake, ids, applications(config, count=count, seed=3))
        runner = CliRunner()
        if runner.invoke(cli, ["--config", str(config_file), "init"]).exit_code != 0:
            raise SystemExit("init failed")
        fake.reset_calls()
        wall, cpu = time.perf_counter(), time.thread_time()
        result = runner.invoke(cli, ["--config", str(config_file), "screen", "--now", "2027-02-16T06:00"])
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        if result.exit_code != 0:
            raise SystemExit(result.output)
        services = Counter(c.method_id.removeprefix("sheets.spreadsheets.") if c.method_id.startswith(
            "sheets.") else c.method_id.split(".")[0] for c in fake.calls)
        sheets_calls = sum(1 for c in fake.calls if c.method_id.startswith("sheets."))
        rows = len(fake.sheets.values(SHEET, "Applications")) - 1
        assert not fake.rejections, fake.rejections
    return {"wall": wall, "cpu": cpu, "sheets": sheets_calls, "rows": rows, "calls": dict(services)}


def _timed_cli(config_file: Path, *args: str) -> tuple[float, float, str]:
    """One CLI command in this process: wall and CPU seconds, and its output."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = CliRunner().invoke(cli, ["--config", str(config_file), *args])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return wall, cpu, result.output.strip()


def local_screening(count: int, folder: Path) -> dict[str, object]:
    """Import and screen ``count`` applications on the local backend, then screen again.

    ``init`` runs first (not timed). The first `screen` imports every response from the CSV
    export and writes every row; the rerun finds nothing new.
    """
    config_file = write_config(folder)
    config = load_config(config_file)
    write_responses(config.resolve(config.local.folder) / "forms", config,
                    applications(config, count=count, seed=3))
    _timed_cli(config_file, "init")
    first = _timed_cli(config_file, "screen", "--now", "2027-02-16T06:00")
    rerun = _timed_cli(config_file, "screen", "--now", "2027-02-16T07:00")
    return {"first": first[:2], "rerun": rerun[:2], "summary": first[2].splitlines()[-1]}


def idle_run_due(folder: Path, runs: int) -> list[float]:
    """Wall seconds of ``runs`` idle ``run-due`` processes (interpreter start included).

    ``init`` and one run-due first (not timed: the first run writes the Timeline's rows); then
    nothing is due, as on most mornings cron runs it.
    """
    import subprocess

    config_file = write_config(folder)
    _timed_cli(config_file, "init")
    command = [sys.executable, "-m", "microintern", "--config", str(config_file), "run-due",
               "--now", "2026-06-01T06:30"]
    subprocess.run(command, check=True, capture_output=True)
    seconds: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    """Print a Markdown table of the measurements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--screening", type=int, nargs="*", default=[10000], help="applications to screen")
    parser.add_argument("--local-screening", type=int, nargs="*", default=[],
                        help="applications to screen on the local backend (first run and rerun)")
    parser.add_argument("--idle-run-due", type=int, default=0, metavar="RUNS",
                        help="time this many idle run-due processes on the local backend")
    parser.add_argument("--letters", type=int, default=300, help="letters in the pacing run")
    parser.add_argument("--per-minute", type=int, nargs="*", default=[60], help="quotas to pace to")
    args = parser.parse_args()
    print("| backend | applications | letters | wall s | CPU s | CPU ms/letter | API calls |")
    print("|---|---|---|---|---|---|---|")
    for count in args.applications:
        for name, fn in (("google (fake)", google), ("local", local)):
            with tempfile.TemporaryDirectory() as tmp:
                r = fn(count, Path(tmp))
            calls = r.get("calls", {})
            shown = ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) if calls else "-"
            per = 1000 * float(r["cpu"]) / max(1, int(r["sent"]))  # type: ignore[arg-type]
            print(f"| {name} | {count} | {r['sent']} | {r['wall']:.2f} | {r['cpu']:.2f} | "
                  f"{per:.1f} | {shown} |")
    print()
    print("| applications screened | rows written | Sheets calls | calls by method | wall s | CPU s |")
    print("|---|---|---|---|---|---|")
    for count in args.screening:
        with tempfile.TemporaryDirectory() as tmp:
            r = screening(count, Path(tmp))
        shown = ", ".join(f"{k} {v}" for k, v in sorted(r["calls"].items()))  # type: ignore[union-attr]
        print(f"| {count} | {r['rows']} | {r['sheets']} | {shown} | {r['wall']:.1f} | {r['cpu']:.2f} |")
    if args.local_screening:
        print()
        print("| local: applications screened | first wall s | first CPU s | rerun wall s | rerun CPU s |")
        print("|---|---|---|---|---|")
    for count in args.local_screening:
        with tempfile.TemporaryDirectory() as tmp:
            r = local_screening(count, Path(tmp))
        (w1, c1), (w2, c2) = r["first"], r["rerun"]  # type: ignore[misc]
        print(f"| {count} | {w1:.1f} | {c1:.1f} | {w2:.1f} | {c2:.1f} |")
    if args.idle_run_due:
        with tempfile.TemporaryDirectory() as tmp:
            idle = idle_run_due(Path(tmp), args.idle_run_due)
        print()
        print(f"idle run-due, {len(idle)} runs: " + ", ".join(f"{x:.2f}" for x in idle) + " s")
    print()
    print("| letters | quota /min | sent | refused (429) | virtual min | sends/min | of quota | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for per_minute in args.per_minute:
        with tempfile.TemporaryDirectory() as tmp:
            p = pacing(args.letters, per_minute, Path(tmp))
        print(f"| {args.letters} | {per_minute} | {p['sent']:.0f} | {p['refused']:.0f} | "
              f"{p['minutes']:.2f} | {p['rate']:.2f} | {100 * p['share']:.1f}% | {p['wall']:.1f} |")


if __name__ == "__main__":
    main()
