"""Cohorts: place accepted students into sessions, optimally, with group-size bounds.

Each session is taught by one industry partner to a small group, so a session either runs with
a group size within its ``[min_size, max_size]`` or gets nobody. Pure functions, no I/O.

The objective (what :func:`assign` optimises, exactly)
    1. Every session either runs with a group within its bounds or gets nobody. Coordinator
       overrides are the only exception and are never undone: an overridden student is placed
       in that session, counts toward its size and forces it to run. When overrides alone exceed
       ``max_size``, nobody else joins and the group is reported oversized. When a forced group
       is below ``min_size``, the plan first fills it as far as the students who can attend
       allow (the total shortfall below the minimums of forced groups is minimised before
       anything else, because a group that runs below its minimum breaks the rule above); what
       remains is reported undersized.
    2. Maximise the number of students placed.
    3. Then maximise the sum of preference points of the placed students.
    4. Ties are broken deterministically by rank, priority first (higher first), then applicant
       id: among plans equal on 1-3 and with the same sessions running, the one maximising
       ``sum(weight(student) * (points + 1))`` over placed students, where ``weight`` is the
       number of students without an override ranked at or below the student. It is a weighted
       sum, so it prefers higher-ranked students for the last seats and the better choices
       without being a strict order (two lower-ranked students can outweigh one higher-ranked
       student). Priority never beats a placement or a point.

    The plan does not depend on the order of the inputs. Only the sessions a student can attend
    are candidates for them (``Candidate.points`` keys; keys naming no session are ignored).

Model
    A mixed-integer program solved by HiGHS (:func:`scipy.optimize.milp`) with the MIP gap at 0:
    ``x[i, j]`` binary for each student i and session j they can attend, ``y[j]`` binary "session
    j runs", ``min[j] * y[j] <= overrides[j] + sum_i x[i, j] <= max[j] * y[j]`` and
    ``sum_j x[i, j] <= 1``. Objective 2-3 is one integer objective, ``W * placed + points`` with
    ``W`` above the largest possible total of points, so it stays exact in floating point. When
    overrides leave some forced group below its minimum, that solve first runs with no shortfall
    allowed; only if that is infeasible is step 1 a solve of its own before it. Step 4 is a
    linear program after it, with the running sessions fixed and objective 1-3 held at its
    optimum: with the running sessions fixed the constraints form a transportation problem
    (totally unimodular), so its simplex vertex is integral and the tie-break cannot cost a
    student or a point.

    ``CohortPlan.optimal`` says whether the solver proved 1-3 optimal. Out of time (``time_limit``
    seconds; HiGHS checks its clock between phases, so it can overrun by a few seconds) or on a
    solver failure, the better by 1-3 of the solver's best plan and the :func:`greedy` plan is
    returned with ``optimal=False``; it still respects the bounds, but ties are not settled.

Preference points
    See :func:`preference_points`: 1 for a session the student can attend, +2 if its industry
    is among the student's interests, +1 if it is the student's CTE pathway.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from microintern.domain.cohort_solver import solve

DEFAULT_TIME_LIMIT = 60.0
"""Seconds :func:`assign` lets the solver run in all before it returns the best plan found."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """An accepted student waiting for a session.

    ``points``: session id -> preference points, for ONLY the sessions the student can attend.
    ``override``: a coordinator's "Cohort override": placed in this session, whatever the solver
    thinks. ``priority`` (e.g. the screening score) breaks ties only.
    """

    applicant_id: str
    points: Mapping[str, int]
    override: str | None = None
    priority: float = 0.0


@dataclass(frozen=True, slots=True)
class CohortSeats:
    """A session's group-size bounds: it runs with ``min_size..max_size`` students or none."""

    session_id: str
    min_size: int
    max_size: int


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one student goes (``session_id`` None: not placed, waitlisted) and why, in one line."""

    applicant_id: str
    session_id: str | None
    points: int
    reason: str


@dataclass(frozen=True, slots=True)
class GroupCheck:
    """One session's group in a plan; ``problem`` is "" when the group is within its bounds."""

    session_id: str
    size: int
    min_size: int
    max_size: int
    problem: str

    @property
    def runs(self) -> bool:
        """Whether the session has a group at all."""
        return self.size > 0

    @property
    def shortfall(self) -> int:
        """Students missing to reach the minimum, for a group that runs (0 otherwise)."""
        return max(self.min_size - self.size, 0) if self.size else 0


@dataclass(frozen=True, slots=True)
class CohortPlan:
    """A placement for every candidate and a check of every session's group."""

    placements: dict[str, Placement]
    groups: dict[str, GroupCheck]
    placed: int
    points: int
    optimal: bool

    def objective(self) -> tuple[int, int]:
        """``(placed, points)``, compared lexicographically: more students first, then points."""
        return (self.placed, self.points)

    @property
    def shortfall(self) -> int:
        """Students missing from groups that run below their minimum (only overrides cause it)."""
        return sum(g.shortfall for g in self.groups.values())

    @property
    def unplaced(self) -> tuple[str, ...]:
        """The applicant ids not placed, in the candidates' order."""
        return tuple(a for a, p in self.placements.items() if p.session_id is None)


@dataclass(frozen=True, slots=True)
class SessionChoice:
    """A session as students choose it: its id, the title they tick, and its industry."""

    session_id: str
    title: str
    industry: str


def preference_points(
    available: Collection[str],
    interests: Collection[str],
    pathway: str,
    sessions: Sequence[SessionChoice],
) -> dict[str, int]:
    """Session id -> preference points, for the sessions the student can attend only.

    ``available`` holds the application's "Which sessions can you attend?" answers: a session is
    eligible when its title is among them (case and surrounding spaces aside). An empty
    ``available`` means the student can attend NO session (they said nothing; the plan does not
    guess), so they get no points and cannot be placed. Points: 1 for being available, +2 when the
    session's industry is among ``interests``, +1 when it is the student's ``pathway``; industries
    are compared case and surrounding spaces aside, and a blank industry matches nothing.
    """
    titles = {_fold(a) for a in available}
    liked = {_fold(i) for i in interests} - {""}
    path = _fold(pathway)
    points: dict[str, int] = {}
    for session in sessions:
        if _fold(session.title) not in titles:
            continue
        industry = _fold(session.industry)
        score = 1
        if industry and industry in liked:
            score += 2
        if industry and industry == path:
            score += 1
        points[session.session_id] = score
    return points


def assign(
    candidates: Iterable[Candidate],
    seats: Iterable[CohortSeats],
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> CohortPlan:
    """The optimal placement of ``candidates`` into ``seats`` (see the module docstring).

    Raises :class:`ValueError` for an override naming an unknown session (with the applicant id
    and the session id), a repeated applicant or session id, bounds with ``min_size`` above
    ``max_size`` or below 0, and negative points.
    """
    problem = CohortProblem.build(candidates, seats)
    if not problem.pairs:
        # Nobody has a choice to make: the overrides are the whole plan.
        return problem.plan({}, optimal=True)
    deadline = time.monotonic() + time_limit
    solved = solve(problem, deadline)
    if solved is not None and solved[1]:
        return problem.plan(solved[0], optimal=True)
    # Out of time (or a solver failure): the better of the solver's best and greedy, both valid.
    plans = [problem.plan(problem.greedy(), optimal=False)]
    if solved is not None:
        plans.append(problem.plan(solved[0], optimal=False))
    return max(plans, key=lambda p: (-p.shortfall, p.placed, p.points))


def greedy(candidates: Iterable[Candidate], seats: Iterable[CohortSeats]) -> CohortPlan:
    """A baseline for comparison with :func:`assign` (not optimal, never used for real plans).

    Overrides first; then students with the fewest options first (then by rank) each take their
    highest-point session with room; then sessions below their minimum and not forced by an
    override are dissolved and their students retried once, in sessions that run and have room.
    """
    problem = CohortProblem.build(candidates, seats)
    return problem.plan(problem.greedy(), optimal=False)


# --- the problem, checked --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortProblem:
    """Checked inputs in a canonical order, so the plan never depends on the input order."""

    candidates: tuple[Candidate, ...]  # input order (the plan's order)
    sessions: tuple[CohortSeats, ...]  # input order
    options: dict[str, dict[str, int]]  # applicant id -> known session id -> points
    forced: Counter[str]  # session id -> overrides placed in it
    ranked: tuple[Candidate, ...]  # students without an override, best rank first
    pairs: tuple[tuple[str, str, int], ...]  # (applicant id, session id, points), ranked order

    @classmethod
    def build(cls, candidates: Iterable[Candidate], seats: Iterable[CohortSeats]) -> CohortProblem:
        """The problem for these candidates and seats; ValueError for inconsistent input."""
        candidates = tuple(candidates)
        sessions = tuple(seats)
        by_id: dict[str, CohortSeats] = {}
        for s in sessions:
            if s.session_id in by_id:
                raise ValueError(f"session {s.session_id!r} is listed twice")
            if not 0 <= s.min_size <= s.max_size:
                raise ValueError(
                    f"session {s.session_id!r}: group size bounds need 0 <= min_size <= max_size, "
                    f"got {s.min_size}..{s.max_size}")
            by_id[s.session_id] = s
        options: dict[str, dict[str, int]] = {}
        forced: Counter[str] = Counter()
        for c in candidates:
            if c.applicant_id in options:
                raise ValueError(f"applicant {c.applicant_id!r} is a candidate twice")
            for session_id, points in c.points.items():
                if points < 0:
                    raise ValueError(
                        f"applicant {c.applicant_id!r}: negative points {points} for {session_id!r}")
            options[c.applicant_id] = {
                s: int(p) for s, p in sorted(c.points.items()) if s in by_id}
            if c.override is not None:
                if c.override not in by_id:
                    raise ValueError(
                        f"applicant {c.applicant_id!r} has a cohort override to unknown session "
                        f"{c.override!r}")
                forced[c.override] += 1
        ranked = tuple(sorted((c for c in candidates if c.override is None), key=_rank))
        room = {s.session_id: s.max_size - forced[s.session_id] for s in sessions}
        pairs = tuple(
            (c.applicant_id, s, p)
            for c in ranked
            for s, p in options[c.applicant_id].items()
            if room[s] > 0
        )
        return cls(candidates, sessions, options, forced, ranked, pairs)

    def greedy(self) -> dict[str, str]:
        """Applicant id -> session id for the students the greedy baseline places."""
        size = Counter(self.forced)
        bounds = {s.session_id: s for s in self.sessions}
        chosen: dict[str, str] = {}

        def best(applicant_id: str, allowed: Collection[str] | None = None) -> str | None:
            open_ = [
                (-p, s) for s, p in self.options[applicant_id].items()
                if size[s] < bounds[s].max_size and (allowed is None or s in allowed)
            ]
            return min(open_)[1] if open_ else None

        order = sorted(self.ranked, key=lambda c: (len(self.options[c.applicant_id]), _rank(c)))
        for c in order:
            session_id = best(c.applicant_id)
            if session_id is not None:
                chosen[c.applicant_id] = session_id
                size[session_id] += 1
        dissolved = {
            s.session_id for s in self.sessions
            if 0 < size[s.session_id] < s.min_size and not self.forced[s.session_id]
        }
        retry = [c for c in order if chosen.get(c.applicant_id) in dissolved]
        for c in retry:
            size[chosen.pop(c.applicant_id)] -= 1
        for c in retry:
            running = {s for s, n in size.items() if s not in dissolved and n >= bounds[s].min_size}
            running |= {s for s, n in self.forced.items() if n}
            session_id = best(c.applicant_id, running)
            if session_id is not None:
                chosen[c.applicant_id] = session_id
                size[session_id] += 1
        return chosen

    def plan(self, chosen: Mapping[str, str], *, optimal: bool) -> CohortPlan:
        """The plan for ``chosen`` (applicant id -> session id) plus the overrides, with reasons."""
        final = {c.applicant_id: c.override or chosen.get(c.applicant_id) for c in self.candidates}
        size = Counter(s for s in final.values() if s is not None)
        bounds = {s.session_id: s for s in self.sessions}
        free_can_attend: Counter[str] = Counter(
            s for c in self.ranked for s in self.options[c.applicant_id])
        placements: dict[str, Placement] = {}
        for c in self.candidates:
            session_id = final[c.applicant_id]
            mine = self.options[c.applicant_id]
            points = mine.get(session_id, 0) if session_id is not None else 0
            if c.override is not None:
                reason = f"kept: coordinator's cohort override to {c.override}"
                if c.override not in mine:
                    reason += " (not among the sessions you can attend)"
            elif session_id is not None:
                better = sum(1 for p in mine.values() if p > points)
                reason = (f"placed in {session_id}: {_ordinal(better + 1)} choice "
                          f"({_plural(points, 'point')}) of {_plural(len(mine), 'session')} you can attend")
            elif not mine:
                reason = "not placed: you listed no session you can attend"
            else:
                full = sum(1 for s in mine if size[s] >= bounds[s].max_size)
                idle = sum(1 for s in mine if size[s] == 0)
                details = [f"{full} full"] if full else []
                if idle:
                    details.append(f"{idle} without enough students to run")
                if len(mine) - full - idle:
                    # Only a plan cut short by the time limit leaves a seat like this.
                    details.append(f"{len(mine) - full - idle} with a seat left")
                reason = (f"not placed: none of the {_plural(len(mine), 'session')} you can attend "
                          f"has a seat left ({', '.join(details)})")
            placements[c.applicant_id] = Placement(c.applicant_id, session_id, points, reason)
        groups: dict[str, GroupCheck] = {}
        for s in self.sessions:
            n, sid = size[s.session_id], s.session_id
            can_attend = free_can_attend[sid] + self.forced[sid]
            problem = ""
            if n > s.max_size:
                why = "coordinator overrides" if self.forced[sid] > s.max_size else "too many placed"
                problem = f"oversized: {n} of at most {s.max_size} ({why})"
            elif n == 0 and s.min_size > 0:
                if can_attend == 0:
                    problem = f"no group: no student can attend, {s.min_size} needed"
                elif can_attend < s.min_size:
                    problem = (f"no group: only {_plural(can_attend, 'student')} can attend, "
                               f"{s.min_size} needed")
                else:
                    elsewhere = sum(
                        1 for c in self.ranked
                        if sid in self.options[c.applicant_id] and final[c.applicant_id] is not None)
                    problem = (f"no group: {can_attend} students can attend, {s.min_size} needed; "
                               f"{elsewhere} of them are placed in other sessions")
            elif 0 < n < s.min_size:
                why = ("not enough students can attend" if can_attend < s.min_size
                       else "students who can attend are placed in other sessions")
                problem = f"undersized: {n} of at least {s.min_size} ({why})"
            groups[sid] = GroupCheck(sid, n, s.min_size, s.max_size, problem)
        placed = [p for p in placements.values() if p.session_id is not None]
        return CohortPlan(
            placements=placements,
            groups=groups,
            placed=len(placed),
            points=sum(p.points for p in placed),
            optimal=optimal,
        )


# --- helpers -----------------------------------------------------------------------------------


def _rank(c: Candidate) -> tuple[float, str]:
    """Higher priority first, then applicant id; NaN ranks last so the order stays total."""
    priority = c.priority if not math.isnan(c.priority) else -math.inf
    return (-priority, c.applicant_id)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
