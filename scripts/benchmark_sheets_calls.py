"""Sheets calls per ``run-due`` day over the example program's whole timeline (issue 19).

Runs the example program day by day on the Google backend against the fake Workspace (the
driver of ``tests/timeline_google.py``: the demo's people act each morning, then the day's
``microintern run-due --now`` runs in process, lock and lease and all), and counts the calls of
each ``run-due`` only (the people's own calls are left out): all calls, Sheets calls, Sheets
reads, and the letters sent. Pacing is off (``mail.per_minute: null``) and nothing is faulted.

Run with ``make benchmark`` or ``.venv/bin/python scripts/benchmark_sheets_calls.py
--applicants 29 500 5000``. ``--json FILE`` also writes every day's figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from fakeworkspace import FakeWorkspace  # noqa: E402
from timeline_google import GoogleTimeline  # noqa: E402

#: The Sheets methods that only read.
SHEETS_READS = ("sheets.spreadsheets.values.get", "sheets.spreadsheets.values.batchGet",
                "sheets.spreadsheets.get")
#: The Gmail methods that deliver a letter.
SENDS = ("gmail.users.drafts.send", "gmail.users.messages.send")


@dataclass
class DayCalls:
    """One run-due's calls."""

    day: str
    calls: int
    sheets: int
    sheets_reads: int
    letters: int
    by_method: dict[str, int]
    failures: list[str]


class CountedTimeline(GoogleTimeline):
    """The timeline driver, remembering where each day's run-due calls start."""

    mark = 0

    def act(self, now: datetime) -> None:
        """The people act; the calls after this are the run-due's."""
        super().act(now)
        self.mark = len(self.fake.calls)


def measure(fake: FakeWorkspace, applicants: int, folder: Path, days: list[date] | None = None,
            progress: bool = False) -> tuple[list[DayCalls], float, float]:
    """Every run-due day's calls with ``applicants``; also the wall and CPU seconds of it all.

    ``progress`` prints each day's figures to stderr as soon as it is done.
    """
    fake.reset()
    driver = CountedTimeline(fake, folder, applicants=applicants)
    found: list[DayCalls] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for day in driver.days() if days is None else days:
        outcome = driver.day(day)
        calls = fake.calls[driver.mark:]
        methods = Counter(c.method_id for c in calls if not c.method_id.startswith("oauth"))
        sheets = sum(n for m, n in methods.items() if m.startswith("sheets."))
        found.append(DayCalls(
            day=day.isoformat(), calls=sum(methods.values()), sheets=sheets,
            sheets_reads=sum(methods[m] for m in SHEETS_READS),
            letters=sum(1 for c in calls if c.method_id in SENDS and c.status == 200),
            by_method=dict(methods), failures=outcome.failures))
        if progress:
            d = found[-1]
            print(f"{applicants} {d.day}: {d.calls} calls, {d.sheets} Sheets, {d.sheets_reads} "
                  f"reads, {d.letters} letters", file=sys.stderr, flush=True)
        fake.reset_calls()
    return found, time.perf_counter() - wall, time.process_time() - cpu


def busy(days: list[DayCalls]) -> list[DayCalls]:
    """The days on which run-due did more than its idle minimum (something was due)."""
    idle = min(d.sheets for d in days)
    return [d for d in days if d.sheets > idle or d.letters]


def table(size: int, days: list[DayCalls]) -> list[str]:
    """A Markdown table of the busy days, and one line on the idle ones."""
    shown = busy(days)
    lines = [f"### {size} applicants", "",
             "| date | all calls | Sheets calls | Sheets reads | letters |", "|---|---|---|---|---|"]
    lines += [f"| {d.day} | {d.calls} | {d.sheets} | {d.sheets_reads} | {d.letters} |" for d in shown]
    idle = [d for d in days if d not in shown]
    if idle:
        lines += ["", f"The other {len(idle)} days (nothing due): {min(d.sheets for d in idle)}"
                  f"–{max(d.sheets for d in idle)} Sheets calls, "
                  f"{max(d.sheets_reads for d in idle)} reads at most."]
    lines += ["", f"Most in one run-due: {max(d.sheets for d in days)} Sheets calls, "
              f"{max(d.sheets_reads for d in days)} Sheets reads; letters in all: "
              f"{sum(d.letters for d in days)}."]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Measure each size, print the tables; exit 1 if a run-due failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, nargs="+", default=[29, 500, 5000])
    parser.add_argument("--json", type=Path, help="also write every day's figures here")
    parser.add_argument("--progress", action="store_true", help="each day's figures to stderr")
    args = parser.parse_args(argv)
    results: dict[int, list[dict[str, object]]] = {}
    failed = False
    with FakeWorkspace() as fake, tempfile.TemporaryDirectory() as tmp:
        for size in args.applicants:
            days, wall, cpu = measure(fake, size, Path(tmp) / str(size), progress=args.progress)
            results[size] = [asdict(d) for d in days]
            print("\n".join(table(size, days)))
            print(f"\n({len(days)} days in {wall:.0f} s wall, {cpu:.0f} s CPU of this process, "
                  "the fake's included)\n", flush=True)
            for d in days:
                if d.failures:
                    failed = True
                    print(f"{d.day}: {'; '.join(d.failures)}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
