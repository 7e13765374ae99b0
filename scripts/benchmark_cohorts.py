"""Benchmark cohort assignment: the optimal MILP plan against the greedy baseline.

Run with ``make benchmark`` (or ``.venv/bin/python scripts/benchmark_cohorts.py [--json]``).
A seeded instance: 5,000 students, 500 sessions of 4-6 seats (3,000 seats, so not everyone
can be placed), each student able to attend 3-8 sessions drawn by popularity (a few sessions
are wanted by many, most by few), points by :func:`preference_points`, about 2% coordinator
overrides. The objective is (students placed, then preference points), with every session
running within its bounds or not at all.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from microintern.domain.cohorts import (  # noqa: E402
    Candidate,
    CohortPlan,
    CohortSeats,
    SessionChoice,
    assign,
    greedy,
    preference_points,
)

INDUSTRIES = (
    "Health Science", "Information Technology", "Manufacturing", "Construction", "Finance",
    "Hospitality", "Agriculture", "Arts and Media", "Education", "Law and Public Safety",
    "Transportation", "Energy",
)


def instance(students: int, sessions: int, *, seed: int = 7,
             overrides: float = 0.02) -> tuple[list[Candidate], list[CohortSeats]]:
    """A seeded instance: candidates (points from preference_points) and 4-6 seat sessions."""
    rng = random.Random(seed)
    choices = [
        SessionChoice(f"s{j:03d}", f"Session {j:03d}", rng.choice(INDUSTRIES)) for j in range(sessions)
    ]
    # Popularity falls off like a power law: the most wanted session is drawn ~20x the median one.
    weights = [1 / (1 + rank) ** 0.8 for rank in range(sessions)]
    rng.shuffle(weights)
    seats = [CohortSeats(c.session_id, 4, 6) for c in choices]
    candidates: list[Candidate] = []
    for i in range(students):
        wanted = rng.randint(3, 8)
        available: set[str] = set()
        while len(available) < wanted:
            available.add(rng.choices(choices, weights)[0].title)
        interests = rng.sample(INDUSTRIES, rng.randint(1, 3))
        pathway = rng.choice(INDUSTRIES) if rng.random() < 0.7 else ""
        points = preference_points(available, interests, pathway, choices)
        override = None
        if rng.random() < overrides:
            # Mostly a session the student can attend; sometimes one they did not tick.
            pool = sorted(points) if rng.random() < 0.8 else [c.session_id for c in choices]
            override = rng.choice(pool)
        candidates.append(Candidate(f"A{i:05d}", points, override, round(rng.uniform(40, 100), 1)))
    return candidates, seats


def _row(name: str, plan: CohortPlan, wall: float, cpu: float) -> dict[str, object]:
    groups = plan.groups.values()
    return {
        "algorithm": name,
        "placed": plan.placed,
        "points": plan.points,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "optimal": plan.optimal,
        "groups_running": sum(1 for g in groups if g.runs),
        "undersized": sum(1 for g in groups if g.problem.startswith("undersized")),
        "oversized": sum(1 for g in groups if g.problem.startswith("oversized")),
    }


def run(students: int, sessions: int, seed: int) -> dict[str, object]:
    """Solve one seeded instance with :func:`assign` and :func:`greedy`; time both."""
    candidates, seats = instance(students, sessions, seed=seed)
    rows = []
    for name, solve in (("assign (HiGHS MILP)", assign), ("greedy", greedy)):
        # Process CPU time too: HiGHS may use a second thread, and other work on the machine
        # stretches the wall time but not this.
        start, cpu = time.perf_counter(), time.process_time()
        plan = solve(candidates, seats)
        rows.append(_row(name, plan, time.perf_counter() - start, time.process_time() - cpu))
    return {
        "students": students,
        "sessions": sessions,
        "seats": sum(s.max_size for s in seats),
        "overrides": sum(1 for c in candidates if c.override is not None),
        "options_per_student": round(sum(len(c.points) for c in candidates) / students, 2),
        "seed": seed,
        "results": rows,
    }


def main() -> None:
    """Parse the arguments, run, print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    report = run(args.students, args.sessions, args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Cohorts: {report['students']} students, {report['sessions']} sessions "
          f"({report['seats']} seats), {report['options_per_student']} sessions each on average, "
          f"{report['overrides']} overrides, seed {report['seed']}")
    print()
    print("| algorithm | placed | points | wall s | CPU s | optimal | groups running | undersized "
          "| oversized |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in report["results"]:  # type: ignore[attr-defined]
        print(f"| {r['algorithm']} | {r['placed']} | {r['points']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
              f"{'yes' if r['optimal'] else 'no'} | {r['groups_running']} | {r['undersized']} | "
              f"{r['oversized']} |")


if __name__ == "__main__":
    main()
