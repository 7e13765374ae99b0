"""The cohort solver: the mixed-integer program behind :func:`microintern.domain.cohorts.assign`.

The model, its objective and why each step is exact are described in
:mod:`microintern.domain.cohorts`; this module builds the matrices and runs HiGHS through scipy.
Pure functions, no I/O (the solver reads the monotonic clock only to respect its deadline).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix, csr_matrix, vstack

if TYPE_CHECKING:
    from microintern.domain.cohorts import CohortProblem


def solve(problem: CohortProblem, deadline: float) -> tuple[dict[str, str], bool] | None:
    """Applicant id -> session id for the solver's plan and whether it is proven optimal."""
    sessions = sorted(s.session_id for s in problem.sessions)
    bounds = {s.session_id: s for s in problem.sessions}
    column = {s: k for k, s in enumerate(sessions)}
    students = {c.applicant_id: k for k, c in enumerate(problem.ranked)}
    n_pairs, n_sessions = len(problem.pairs), len(sessions)
    student = np.fromiter((students[a] for a, _, _ in problem.pairs), np.int64, n_pairs)
    session = np.fromiter((column[s] for _, s, _ in problem.pairs), np.int64, n_pairs)
    whole = np.fromiter((p for _, _, p in problem.pairs), np.int64, n_pairs)
    points = whole.astype(np.float64)
    forced = np.array([problem.forced[s] for s in sessions], dtype=np.int64)
    # Room left by the overrides: none (not negative) when they alone fill or overfill the group.
    high = np.maximum(np.array([bounds[s].max_size for s in sessions], dtype=np.int64) - forced, 0)
    low = np.maximum(np.array([bounds[s].min_size for s in sessions], dtype=np.int64) - forced, 0)
    # A forced group below its minimum may stay short: one slack variable per such session.
    short = np.flatnonzero((forced > 0) & (low > 0))
    n_short = len(short)
    n_vars = n_pairs + n_sessions + n_short
    ys = slice(n_pairs, n_pairs + n_sessions)
    ss = slice(n_pairs + n_sessions, n_vars)

    pair_ids = np.arange(n_pairs)
    one = np.ones(n_pairs)
    # Each student at most once: a row only for students with two or more sessions to choose.
    counts = np.bincount(student, minlength=len(students))
    multi = counts[student] > 1
    rows_student = csr_matrix(
        (one[multi], (np.unique(student[multi], return_inverse=True)[1], pair_ids[multi])),
        shape=(int(np.count_nonzero(counts > 1)), n_vars))
    # Each session: low * y <= sum x (+ slack) <= high * y, as two rows.
    in_session = coo_matrix((one, (session, pair_ids)), shape=(n_sessions, n_vars)).tocsr()
    run = coo_matrix((np.ones(n_sessions), (np.arange(n_sessions), np.arange(n_sessions) + n_pairs)),
                     shape=(n_sessions, n_vars)).tocsr()
    slack = coo_matrix((np.ones(n_short), (short, n_pairs + n_sessions + np.arange(n_short))),
                       shape=(n_sessions, n_vars)).tocsr()
    rows_high = in_session - run.multiply(high[:, None]).tocsr()
    rows_low = in_session - run.multiply(low[:, None]).tocsr() + slack
    constraints = [
        LinearConstraint(rows_student, -np.inf, 1),
        LinearConstraint(rows_high, -np.inf, 0),
        LinearConstraint(rows_low, 0, np.inf),
    ]
    lower = np.zeros(n_vars)
    upper = np.ones(n_vars)
    lower[ys] = (forced > 0).astype(float)  # an override forces its session to run
    upper[ss] = low[short]
    integrality = np.ones(n_vars)
    integrality[ss] = 0  # only its sum is held, which the integral placements make integral

    def shortfall(x: np.ndarray) -> np.ndarray:
        """Each forced group's students missing below its minimum, for placements ``x``."""
        size = np.bincount(session[x], minlength=n_sessions)
        return np.maximum(low[short] - size[short], 0)

    def chosen(x: np.ndarray) -> dict[str, str]:
        return {problem.pairs[k][0]: problem.pairs[k][1] for k in np.flatnonzero(x)}

    # Steps 2-3 in one exact integer objective: W above any total of points.
    weight = _largest_total(student, points, len(students)) + 1
    objective = np.zeros(n_vars)
    objective[:n_pairs] = -(weight + points)
    fallback: dict[str, str] | None = None
    if n_short:
        # Usually every forced group can be filled: try steps 2-3 with no shortfall at all
        # first, and only when that is infeasible find the least shortfall (step 1) on its own.
        full = upper.copy()
        full[ss] = 0
        values, status = _milp(objective, constraints, lower, full, integrality, deadline)
        if status == _INFEASIBLE:
            cost = np.zeros(n_vars)
            cost[ss] = 1
            values, status = _milp(cost, constraints, lower, upper, integrality, deadline)
            if values is None:
                return None
            least = values[:n_pairs] > 0.5
            # Counted from the placements, not read from the slack: exact whatever the float noise.
            allowed = int(shortfall(least).sum())
            fallback = chosen(least)
            constraints.append(LinearConstraint(_row(n_vars, ss), -np.inf, allowed))
            proven = status == _OPTIMAL
            values, status = _milp(objective, constraints, lower, upper, integrality, deadline)
            proven &= status == _OPTIMAL
        else:
            proven = status == _OPTIMAL
    else:
        values, status = _milp(objective, constraints, lower, upper, integrality, deadline)
        proven = status == _OPTIMAL
    if values is None:
        # Step 1's plan, if any, is valid, though it only looked after the forced groups.
        return None if fallback is None else (fallback, False)
    x = values[:n_pairs] > 0.5
    best = x.copy()
    if proven and time.monotonic() < deadline:
        # Step 4: the running sessions and each forced group's slack fixed, objective 2-3 held.
        running = values[ys] > 0.5
        lower_c, upper_c = lower.copy(), upper.copy()
        lower_c[ys] = upper_c[ys] = running.astype(float)
        upper_c[ss] = shortfall(x)
        placed, total = int(x.sum()), int(whole[x].sum())
        held = [
            *constraints[:3],
            LinearConstraint(_row(n_vars, slice(0, n_pairs)), placed, np.inf),
            LinearConstraint(_row(n_vars, slice(0, n_pairs), points), total, np.inf),
        ]
        rank_weight = (len(students) - student).astype(np.float64)
        cost = np.zeros(n_vars)
        cost[:n_pairs] = -rank_weight * (points + 1)
        # A linear program is enough: its feasible set is the optimal face of a totally
        # unimodular polytope, so the simplex method ends on an integral vertex.
        tie_values = _vertex(cost, held, lower_c, upper_c, deadline)
        if tie_values is not None:
            tie = tie_values[:n_pairs]
            tied = tie > 0.5
            # Kept only if integral and on the objective's optimum (it must be; this guards
            # against float trouble).
            if (np.abs(tie - tied).max(initial=0) < 1e-6 and int(tied.sum()) == placed
                    and int(whole[tied].sum()) == total):
                best = tied
    return chosen(best), proven


_OPTIMAL, _INFEASIBLE, _FAILED = 0, 2, -1  # scipy.optimize.milp's status codes, and ours


def _milp(
    cost: np.ndarray,
    constraints: list[LinearConstraint],
    lower: np.ndarray,
    upper: np.ndarray,
    integrality: np.ndarray,
    deadline: float,
) -> tuple[np.ndarray | None, int]:
    """HiGHS with a zero gap: the best solution found (None: none) and milp's status code."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None, _FAILED
    try:
        result = milp(
            cost,
            constraints=constraints,
            bounds=Bounds(lower, upper),
            integrality=integrality,
            # Presolve stays on: without it HiGHS 1.12 can printf a debug line to stdout
            # (ERGO-Code/HiGHS#2783), which would land in the CLI's output.
            options={"mip_rel_gap": 0.0, "time_limit": remaining, "disp": False, "presolve": True},
        )
    except (ValueError, RuntimeError, MemoryError):
        # The plan must never crash on a solver failure: the caller falls back to greedy.
        return None, _FAILED
    return (None if result.x is None else np.asarray(result.x)), int(result.status)


def _vertex(
    cost: np.ndarray,
    constraints: list[LinearConstraint],
    lower: np.ndarray,
    upper: np.ndarray,
    deadline: float,
) -> np.ndarray | None:
    """An optimal vertex of a linear program by HiGHS's dual simplex (None: none in time)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    rows, bound = [], []
    for c in constraints:
        # linprog takes only "<=" rows: a ">=" row is a negated "<=" row.
        if np.all(np.isfinite(c.ub)):
            rows.append(csr_matrix(c.A))
            bound.append(np.asarray(c.ub, dtype=float).ravel())
        if np.all(np.isfinite(c.lb)):
            rows.append(-csr_matrix(c.A))
            bound.append(-np.asarray(c.lb, dtype=float).ravel())
    try:
        result = linprog(
            cost,
            A_ub=vstack(rows, format="csr"),
            b_ub=np.concatenate(bound),
            bounds=np.column_stack([lower, upper]),
            method="highs-ds",
            # No presolve: on this problem HiGHS's presolve spends far longer (40 s for 5,000
            # students) on the dense rows holding the objective than the simplex itself.
            options={"time_limit": remaining, "presolve": False, "disp": False},
        )
    except (ValueError, RuntimeError, MemoryError):
        return None
    if result.status != 0 or result.x is None:
        return None
    return np.asarray(result.x)


def _row(n_vars: int, where: slice, values: np.ndarray | None = None) -> csr_matrix:
    """One constraint row with ``values`` (default 1) on the variables ``where``."""
    row = np.zeros((1, n_vars))
    row[0, where] = 1 if values is None else values
    return csr_matrix(row)


def _largest_total(student: np.ndarray, points: np.ndarray, n_students: int) -> float:
    """The most points any plan could total: each student's best session, summed."""
    best = np.zeros(n_students)
    np.maximum.at(best, student, points)
    return float(best.sum())
