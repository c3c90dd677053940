"""Analytic bargaining solutions: Pareto frontier, Nash, Kalai-Smorodinsky, utilitarian,
and the gain from linking issues.

For a scenario the bargaining set is the set of packages ``x`` (one value per issue, inside
the scales) with the parties' linear-additive, linear-loss utilities
``u_a(x) = 1 - sum_i w_ai |x_i - p_ai| / d_i``; the disagreement point is the parties'
reservations (their utility of the status quo unless declared). With auxiliary variables
``t_ai >= |x_i - p_ai|`` every utility is linear, so:

* utilitarian: ``max sum_a u_a`` s.t. ``u_a >= r_a`` is a linear programme;
* Kalai-Smorodinsky (Kalai and Smorodinsky 1975): with ideal points
  ``m_a = max u_a`` s.t. ``u_b >= r_b`` (LPs), ``max lam`` s.t.
  ``u_a >= r_a + lam (m_a - r_a)``;
* Nash (Nash 1950): ``max sum_a alpha_a log(u_a - r_a)``, a concave programme (asymmetric
  with bargaining powers ``alpha``).

For two parties the Pareto frontier is exact and piecewise linear: order the issues by the
salience ratio ``(w_A,i / d_i) / (w_B,i / d_i)``; the vertices give A its ideal on the first
``k`` issues and B its ideal on the rest (Raiffa 1982). Each solution returns ``None`` when no
package gives every party at least its reservation.

The ``*_on_curve`` functions solve the same problems on an abstract two-party frontier
``t -> (u_1(t), u_2(t))``, ``t`` in [0, 1] (the textbook examples of models.md 3.1-3.2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq, linprog, minimize, minimize_scalar

from negosim.preferences import utilities
from negosim.sampling import ScenarioBatch, sample
from negosim.scenario import Scenario


@dataclass(frozen=True)
class Solution:
    """A bargaining solution: the package and every party's utility of it."""

    package: np.ndarray
    utility: np.ndarray
    actors: tuple[str, ...]

    def as_series(self, issues: Sequence[str]) -> pd.Series:
        return pd.Series(
            {
                **{f"outcome.{i}": v for i, v in zip(issues, self.package, strict=True)},
                **{f"utility.{a}": u for a, u in zip(self.actors, self.utility, strict=True)},
            }
        )


@dataclass(frozen=True)
class _Problem:
    """The LP data of one run: parties' ideal points, cost weights, reservations, bounds."""

    positions: np.ndarray  # (n, I)
    cost: np.ndarray  # (n, I) = w / span
    reservation: np.ndarray  # (n,)
    low: np.ndarray
    high: np.ndarray
    actors: tuple[str, ...]
    all_positions: np.ndarray
    all_weights: np.ndarray
    span: np.ndarray

    @classmethod
    def of(
        cls, source: Scenario | ScenarioBatch, actors: Sequence[str] | None, run: int
    ) -> _Problem:
        batch = source if isinstance(source, ScenarioBatch) else sample(source, 1, seed=0)
        sc = batch.scenario
        if sc.loss != "linear":
            raise ValueError("the bargaining solutions are exact for linear loss only")
        if actors is None:
            actors = tuple(a for a, r in zip(sc.actors, sc.roles, strict=True) if r == "negotiator")
        index = [sc.actor_index(a) for a in actors]
        if len(index) < 2:
            raise ValueError(f"a bargaining problem needs at least two parties, got {list(actors)}")
        span = sc.high - sc.low
        return cls(
            positions=np.asarray(batch.positions[run, index], float),
            cost=np.asarray(batch.weights[run, index] / span, float),
            reservation=np.asarray(batch.reservation[run, index], float),
            low=sc.low,
            high=sc.high,
            actors=tuple(actors),
            all_positions=np.asarray(batch.positions[run : run + 1]),
            all_weights=np.asarray(batch.weights[run : run + 1]),
            span=span,
        )

    def utility(self, x: np.ndarray) -> np.ndarray:
        return 1 - np.sum(self.cost * np.abs(x - self.positions), axis=1)

    def solution(self, x: np.ndarray) -> Solution:
        x = np.clip(x, self.low, self.high)
        return Solution(x, self.utility(x), self.actors)

    # LP in z = [x (I), t (n*I), extra]: u_a = 1 - cost_a . t_a
    def lp(self, objective: np.ndarray, extra_rows=None, extra_bounds=()) -> np.ndarray | None:
        n, k = self.positions.shape
        size = k + n * k + len(extra_bounds)
        rows, rhs = [], []
        for a in range(n):
            for i in range(k):
                for sign in (1.0, -1.0):  # t_ai >= +-(x_i - p_ai)
                    row = np.zeros(size)
                    row[i], row[k + a * k + i] = sign, -1.0
                    rows.append(row)
                    rhs.append(sign * self.positions[a, i])
            row = np.zeros(size)  # u_a >= r_a
            row[k + a * k : k + (a + 1) * k] = self.cost[a]
            rows.append(row)
            rhs.append(1.0 - self.reservation[a])
        for row, value in extra_rows or ():
            rows.append(row)
            rhs.append(value)
        bounds = [*zip(self.low, self.high, strict=True), *[(0, None)] * (n * k), *extra_bounds]
        res = linprog(
            objective, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs"
        )
        return res.x if res.status == 0 else None


def _cost_of(problem: _Problem, weights: np.ndarray, extra: int = 0) -> np.ndarray:
    n, k = problem.positions.shape
    c = np.zeros(k + n * k + extra)
    for a in range(n):
        c[k + a * k : k + (a + 1) * k] = weights[a] * problem.cost[a]
    return c


def utilitarian(
    source: Scenario | ScenarioBatch, actors: Sequence[str] | None = None, *, run: int = 0
) -> Solution | None:
    """The package maximising the parties' summed utility, each at least its reservation."""
    p = _Problem.of(source, actors, run)
    z = p.lp(_cost_of(p, np.ones(len(p.actors))))
    return None if z is None else p.solution(z[: len(p.low)])


def ideal_point(p: _Problem) -> np.ndarray | None:
    """``m_a``: the most each party can get while every party keeps its reservation."""
    out = []
    for a in range(len(p.actors)):
        z = p.lp(_cost_of(p, np.eye(len(p.actors))[a]))
        if z is None:
            return None
        out.append(p.utility(z[: len(p.low)])[a])
    return np.array(out)


def kalai_smorodinsky(
    source: Scenario | ScenarioBatch, actors: Sequence[str] | None = None, *, run: int = 0
) -> Solution | None:
    """The package that gives every party the same share of its possible gain
    ``(u_a - r_a) / (m_a - r_a)``, as large as possible."""
    return _kalai_smorodinsky(_Problem.of(source, actors, run))


def _kalai_smorodinsky(p: _Problem) -> Solution | None:
    m = ideal_point(p)
    if m is None:
        return None
    n, k = p.positions.shape
    rows = []
    for a in range(n):
        row = np.zeros(k + n * k + 1)
        row[k + a * k : k + (a + 1) * k] = p.cost[a]
        row[-1] = m[a] - p.reservation[a]
        rows.append((row, 1.0 - p.reservation[a]))
    objective = np.zeros(k + n * k + 1)
    objective[-1] = -1.0
    z = p.lp(objective, rows, extra_bounds=[(0.0, 1.0)])
    return None if z is None else p.solution(z[:k])


def nash(
    source: Scenario | ScenarioBatch,
    actors: Sequence[str] | None = None,
    *,
    powers: Sequence[float] | None = None,
    run: int = 0,
) -> Solution | None:
    """The package maximising ``prod_a (u_a - r_a)^alpha_a`` (``powers`` alpha, default equal:
    the symmetric Nash bargaining solution)."""
    p = _Problem.of(source, actors, run)
    n, k = p.positions.shape
    alpha = np.full(n, 1.0 / n) if powers is None else np.asarray(powers, float)
    start = _kalai_smorodinsky(p)
    if start is None:
        return None
    x0 = start.package
    t0 = np.abs(x0 - p.positions).ravel() + 1e-9

    def gains(z):
        t = z[k:].reshape(n, k)
        return 1 - np.sum(p.cost * t, axis=1) - p.reservation

    def objective(z):
        g = np.maximum(gains(z), 1e-300)
        return -np.sum(alpha * np.log(g))

    def gradient(z):
        g = np.maximum(gains(z), 1e-300)
        grad = np.zeros_like(z)
        grad[k:] = (alpha[:, None] / g[:, None] * p.cost).ravel()
        return grad

    cons = [  # t_ai >= |x_i - p_ai|
        {
            "type": "ineq",
            "fun": lambda z, sign=sign: (
                z[k:].reshape(n, k) - sign * (z[:k] - p.positions)
            ).ravel(),
        }
        for sign in (1.0, -1.0)
    ]
    bounds = [*zip(p.low, p.high, strict=True), *[(0, None)] * (n * k)]
    res = minimize(
        objective,
        np.concatenate([x0, t0]),
        jac=gradient,
        bounds=bounds,
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-13, "maxiter": 500},
    )
    best = p.solution(res.x[:k])
    if np.any(best.utility < p.reservation - 1e-9):  # fall back to the feasible start
        best = start
    return best


def pareto_frontier(
    source: Scenario | ScenarioBatch, actors: Sequence[str] | None = None, *, run: int = 0
) -> pd.DataFrame:
    """Vertices of the exact two-party Pareto frontier (piecewise linear between them).

    Returns one row per vertex, from B's ideal package to A's: ``outcome.<issue>`` and
    ``utility.<actor>`` columns and ``feasible`` (both at least their reservation).
    """
    p = _Problem.of(source, actors, run)
    if len(p.actors) != 2:
        raise ValueError(
            "the exact frontier is for two parties; use nash/kalai_smorodinsky for more"
        )
    a, b = p.positions
    ratio = np.divide(p.cost[0], p.cost[1], out=np.full(len(a), np.inf), where=p.cost[1] > 0)
    order = np.argsort(-ratio, kind="stable")  # A takes first the issues it values most, relatively
    x = b.copy()
    rows = [x.copy()]
    for i in order:
        x[i] = a[i]
        rows.append(x.copy())
    packages = np.array(rows)
    util = np.array([p.utility(xx) for xx in packages])
    sc_issues = [f"outcome.{i}" for i in _issue_ids(source)]
    frame = pd.DataFrame(packages, columns=sc_issues)
    for j, actor in enumerate(p.actors):
        frame[f"utility.{actor}"] = util[:, j]
    frame["feasible"] = np.all(util >= p.reservation - 1e-12, axis=1)
    return frame


def _issue_ids(source: Scenario | ScenarioBatch) -> tuple[str, ...]:
    sc = source.scenario if isinstance(source, ScenarioBatch) else source
    return sc.issues


def linkage_gain(scenario: Scenario, actors: Sequence[str] | None = None) -> pd.DataFrame:
    """Nash solutions of the package vs issue by issue (each issue alone, the others at the
    status quo): whether a deal exists and the parties' joint utility.

    Returns rows ``package`` and ``issue_by_issue`` with columns ``deal`` (every part has a
    zone of agreement), ``joint_utility`` and one utility column per party.
    """
    package = nash(scenario, actors)
    parties = (
        package.actors
        if package
        else tuple(
            actors
            or [
                a for a, r in zip(scenario.actors, scenario.roles, strict=True) if r == "negotiator"
            ]
        )
    )
    combined = scenario.status_quo.copy()
    deals = []
    for issue in scenario.issues:
        sub = scenario.restrict([issue])
        present = [a for a in parties if a in sub.actors]
        sol = nash(sub, present) if len(present) >= 2 else None
        deals.append(sol is not None)
        if sol is not None:
            combined[scenario.issue_index(issue)] = sol.package[0]
    batch = sample(scenario, 1, seed=0)
    index = [scenario.actor_index(a) for a in parties]
    u_split = utilities(combined[None], batch.positions, batch.weights, batch.span)[0, index]
    u_split = u_split if any(deals) else batch.reservation[0, index]
    u_package = package.utility if package else batch.reservation[0, index]
    rows = {
        "package": [package is not None, float(np.sum(u_package)), *u_package],
        "issue_by_issue": [all(deals), float(np.sum(u_split)), *u_split],
    }
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["deal", "joint_utility", *[f"utility.{a}" for a in parties]]
    )


# ----------------------------------------------------------------------------- abstract curves

Curve = Callable[[float], tuple[float, float]]


def nash_on_curve(
    curve: Curve, disagreement=(0.0, 0.0), powers=(0.5, 0.5)
) -> tuple[float, np.ndarray]:
    """Nash point of a frontier ``t -> (u1, u2)``, ``t`` in [0, 1]: returns ``(t*, u(t*))``."""
    d, alpha = np.asarray(disagreement, float), np.asarray(powers, float)

    def neg_log(t):
        g = np.asarray(curve(t)) - d
        return np.inf if np.any(g <= 0) else -float(np.sum(alpha * np.log(g)))

    res = minimize_scalar(neg_log, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-12})
    return float(res.x), np.asarray(curve(res.x), float)


def kalai_smorodinsky_on_curve(curve: Curve, disagreement=(0.0, 0.0)) -> tuple[float, np.ndarray]:
    """Kalai-Smorodinsky point of a monotone frontier ``t -> (u1, u2)`` (u1 rising, u2 falling)."""
    d = np.asarray(disagreement, float)
    m = np.array([curve(1.0)[0], curve(0.0)[1]])  # ideal: each party's best on the frontier

    def gap(t):
        u = np.asarray(curve(t))
        return (u[0] - d[0]) / (m[0] - d[0]) - (u[1] - d[1]) / (m[1] - d[1])

    t = brentq(gap, 0.0, 1.0, xtol=1e-14)
    return t, np.asarray(curve(t), float)


def solve_batch(
    batch: ScenarioBatch, kind: str = "nash", actors: Sequence[str] | None = None, **options
) -> pd.DataFrame:
    """A bargaining solution for every run of a Monte Carlo batch.

    Returns one row per run: ``deal`` (a zone of agreement exists), ``outcome.<issue>`` and
    ``utility.<party>`` (NaN where there is no deal).
    """
    solvers = {"nash": nash, "kalai_smorodinsky": kalai_smorodinsky, "utilitarian": utilitarian}
    if kind not in solvers:
        raise KeyError(f"unknown solution {kind!r}; known: {', '.join(solvers)}")
    rows = []
    for run in range(batch.runs):
        found = solvers[kind](batch, actors, run=run, **options)
        if found is None:
            rows.append({"deal": False})
        else:
            rows.append({"deal": True, **found.as_series(batch.scenario.issues).to_dict()})
    return pd.DataFrame(rows)
