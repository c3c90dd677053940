"""Analytic bargaining solutions: Pareto frontier, Nash, Kalai-Smorodinsky, utilitarian,
and the gain from linking issues.

What is solved
--------------
A :class:`~negosim.model.scenario.Scenario` is solved at its point estimates (the file's
numbers: no ``[[uncertainty]]`` draw, no ``estimate_spread``); a
:class:`~negosim.engine.sampling.ScenarioBatch` is solved at run ``run``. The parties are the
negotiators (or ``actors=``), with linear-loss utilities ``u_a(x) = 1 - sum_i c_ai |x_i - p_ai|``
(``c_ai = w_ai / (h_i - l_i)``). A deal must beat no deal by the margin ``m``
(:data:`negosim.model.ratification.DEAL_MARGIN`, 0.01; docs/protocols.md, "Deals beat no
deal"), so each party's disagreement point is ``d_a = r_a + m``, its reservation
``r_a`` (``batch.reservation``: its utility of no deal) plus the margin.

The bargaining set is the set of packages ``x`` inside the issue scales that

* give every party ``u_a(x) >= d_a`` and
* pass every coalition by the rule of :meth:`negosim.engine.protocols.Table.coalition_consent`: a
  coalition is asked only when ``x`` moves one of its ratified issues off the status quo;
  a member votes yes iff ``u_m(x) >= d_m`` for a party, ``u_m(x) >= r_m`` for any other
  member (tolerance 1e-9); the coalition consents by unanimity, majority (more than half) or
  a qualified share (share >= threshold).

When the set is empty there is no deal: the functions return None (the solution protocols
end the run without agreement, at the status quo).

The solutions
-------------
* utilitarian: ``max sum_a u_a``.
* Kalai-Smorodinsky (Kalai and Smorodinsky 1975): ideal points ``m_a = max u_a``, the
  largest ``lam`` with ``u_a >= d_a + lam (m_a - d_a)`` for every party, then the most joint
  utility at that ``lam`` (so the point is Pareto-efficient).
* Nash (Nash 1950): ``max sum_a alpha_a log(u_a - d_a)`` (powers ``alpha``, default equal).

How (exact; docs/protocols.md gives the details): the solving is the engine's
(:func:`negosim.engine.solvers.runs.solve_runs`, which the solution protocols run too). Two
parties are first solved in closed form on their exact frontier, for every run at once
(:mod:`negosim.engine.solvers.frontier`); where coalitions bind, by the compiled linear
programmes of :mod:`negosim.engine.solvers.compiled` (where numba is installed); the integer
programmes (:mod:`negosim.engine.solvers.programmes`) take the runs neither can vouch for.

Every package returned is checked with the protocols' own ratification code.

For two parties the Pareto frontier (without the coalitions) is exact and piecewise linear:
order the issues by the salience ratio ``(w_A,i / d_i) / (w_B,i / d_i)``; the vertices give
A its ideal on the first ``k`` issues and B its ideal on the rest (Raiffa 1982).

The ``*_on_curve`` functions solve the same problems on an abstract two-party frontier
``t -> (u_1(t), u_2(t))``, ``t`` in [0, 1] (the textbook examples of models.md 3.1-3.2).
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize_scalar

from negosim.engine import arguments as check
from negosim.engine.sampling import ScenarioBatch
from negosim.engine.solvers import programmes
from negosim.engine.solvers.frontier import Frontier
from negosim.engine.solvers.programmes import (
    NASH_GAP,
    SOLVERS,
    parties_of,
    point_estimates,
    run_of,
)
from negosim.engine.solvers.runs import (
    COMPILED,
    package_utilities,
    ratification_test,
    solve_batch,
    solve_runs,
)
from negosim.model.errors import ArgumentError, OutOfRangeError
from negosim.model.scenario import Scenario


@dataclass(frozen=True, eq=False)
class Solution:
    """A bargaining solution: the package (by issue) and every party's utility of it."""

    package: np.ndarray
    utility: np.ndarray
    actors: tuple[str, ...]
    issues: tuple[str, ...]

    def as_series(self) -> pd.Series:
        """``outcome.<issue>`` and ``utility.<actor>`` as one series."""
        return pd.Series(
            {
                **{f"outcome.{i}": v for i, v in zip(self.issues, self.package, strict=True)},
                **{f"utility.{a}": u for a, u in zip(self.actors, self.utility, strict=True)},
            }
        )

    def __repr__(self) -> str:
        package = _short_dict(self.issues, self.package, "{:.4g}")
        utility = _short_dict(self.actors, self.utility, "{:.4f}")
        return f"Solution(package={package}, utility={utility})"

    def _repr_html_(self) -> str:
        def rows(names, values, fmt):
            return "".join(
                f"<tr><td>{html.escape(str(n))}</td><td>{fmt.format(v)}</td></tr>"
                for n, v in zip(names, values, strict=True)
            )

        return (
            "<table><thead><tr><th>issue</th><th>package</th></tr></thead>"
            f"<tbody>{rows(self.issues, self.package, '{:.4g}')}</tbody></table>"
            "<table><thead><tr><th>actor</th><th>utility</th></tr></thead>"
            f"<tbody>{rows(self.actors, self.utility, '{:.4f}')}</tbody></table>"
        )


def _short_dict(names: Sequence[str], values: np.ndarray, fmt: str, most: int = 12) -> str:
    items = [f"{n!r}: {fmt.format(v)}" for n, v in zip(names, values, strict=True)]
    if len(items) > most:
        items = [*items[:most], f"... {len(items) - most} more"]
    return "{" + ", ".join(items) + "}"


def _batch_of(
    source: Scenario | ScenarioBatch, run: int, actors: Sequence[str] | None = None
) -> tuple[ScenarioBatch, int]:
    """The batch to solve (a scenario at its point estimates) and the run, the arguments
    checked by name: ``run`` one of its runs, ``actors`` (the parties) its actors."""
    if not isinstance(source, ScenarioBatch):
        check.scenario(source, "source")
    run = check.whole_number(run, "run", 0)
    if isinstance(source, ScenarioBatch) and run >= source.runs:
        raise OutOfRangeError("run", f"{run} is outside the batch of {source.runs} runs")
    if not isinstance(source, ScenarioBatch) and run != 0:
        raise ArgumentError(
            "run",
            f"{run}: a Scenario is solved at its point estimates (one run); "
            "pass a ScenarioBatch (ns.sample) to solve run k",
        )
    sc = source.scenario if isinstance(source, ScenarioBatch) else source
    if actors is not None:
        check.ids(actors, "actors", sc.actors)
    return (source if isinstance(source, ScenarioBatch) else point_estimates(source)), run


def _solve(
    source: Scenario | ScenarioBatch,
    kind: str,
    actors: Sequence[str] | None,
    run: int,
    ratify: bool,
    options: dict,
) -> Solution | None:
    batch, run = _batch_of(source, run, actors)
    check.flag(ratify, "ratify")
    if options.get("compiled") is not None:
        check.flag(options["compiled"], "compiled")
    if options.get("powers") is not None:
        check.number_array(options["powers"], "powers")
    out = solve_runs(batch, kind, actors, runs=[run], ratify=ratify, **options)
    if not out["deal"][0]:
        return None
    parties = out["actors"]
    return Solution(out["outcome"][0], out["utility"][0], parties, batch.scenario.issues)


def utilitarian(
    source: Scenario | ScenarioBatch,
    actors: Sequence[str] | None = None,
    *,
    run: int = 0,
    ratify: bool = True,
    compiled: bool | None = None,
) -> Solution | None:
    """The ratifiable package with the most joint utility, every party at least its
    disagreement point (its reservation plus the deal margin); None if there is no such
    package (no deal).

    Parameters
    ----------
    source
        A scenario (solved at its point estimates) or a sampled batch.
    actors
        The parties (default: the negotiators).
    run
        Which run of a batch (0 for a scenario).
    ratify
        Whether the scenario's coalitions must ratify the package (default True).
    compiled
        Two parties: try the compiled linear programmes first (:func:`solve_runs`; default
        where numba is installed).

    Examples
    --------
    >>> import negosim as ns
    >>> sc = ns.load_scenario("package_2007")
    >>> ns.solutions.utilitarian(sc) is None  # at the file's numbers: no deal (see nash)
    True
    >>> batch = ns.sample(sc, 1, seed=4)  # one sampled world, where a deal exists
    >>> best, nash_point = ns.solutions.utilitarian(batch), ns.solutions.nash(batch)
    >>> best.actors, best.issues  # the parties (the negotiators) and the package's issues
    (('US', 'Russia'), ('kosovo_status', 'missile_defense', 'cfe'))
    >>> bool(best.utility.sum() >= nash_point.utility.sum() - 1e-9)  # the most joint utility
    True
    """
    return _solve(source, "utilitarian", actors, run, ratify, {"compiled": compiled})


def kalai_smorodinsky(
    source: Scenario | ScenarioBatch,
    actors: Sequence[str] | None = None,
    *,
    run: int = 0,
    ratify: bool = True,
    compiled: bool | None = None,
) -> Solution | None:
    """The ratifiable package that gives every party the same, largest share of its possible
    gain ``(u_a - d_a) / (m_a - d_a)`` over its disagreement point ``d_a`` (its reservation
    plus the deal margin; then the most joint utility); None if no ratifiable package gives
    every party ``d_a`` (no deal). Parameters as :func:`utilitarian`."""
    return _solve(source, "kalai_smorodinsky", actors, run, ratify, {"compiled": compiled})


def nash(
    source: Scenario | ScenarioBatch,
    actors: Sequence[str] | None = None,
    *,
    powers: Sequence[float] | None = None,
    run: int = 0,
    ratify: bool = True,
    compiled: bool | None = None,
) -> Solution | None:
    """The ratifiable package maximising ``prod_a (u_a - d_a)^alpha_a`` (``powers`` alpha,
    default equal: the symmetric Nash bargaining solution), ``d_a`` the disagreement point:
    the party's reservation (its utility of no deal) plus the deal margin. None means no
    deal: no ratifiable package gives every party ``d_a``. Other parameters as
    :func:`utilitarian`.

    Examples
    --------
    The two sides of facts 6.2, example 1 (each cares more for one issue; reservations 0,
    so ``d = (0.01, 0.01)``): the Nash package is the logroll, each side's ideal on the issue
    it cares more about.

    >>> import negosim as ns
    >>> def side(name, x, y, salience):
    ...     return {"id": name, "power": 1, "reservation": 0, "position": {"x": x, "y": y},
    ...             "salience": dict(zip("xy", salience))}
    >>> facts = ns.Scenario.from_dict({
    ...     "scenario": {"id": "facts", "title": "a logroll"},
    ...     "issues": [{"id": i, "label": i, "status_quo": 0} for i in ("x", "y")],
    ...     "actors": [side("US", 100, 100, (40, 60)), side("Russia", 0, 0, (70, 30))],
    ... })
    >>> ns.solutions.nash(facts)
    Solution(package={'x': 0, 'y': 100}, utility={'US': 0.6000, 'Russia': 0.7000})

    package_2007 at the file's numbers has no deal: its reservations are the utilities of
    the package its moves leave (kosovo 60, missile defence 77.5, CFE 15), and the most
    both parties can gain over them at once is about 0.0014, less than the margin
    (``tests/test_solutions.py``).

    >>> ns.solutions.nash(ns.load_scenario("package_2007")) is None
    True
    """
    return _solve(source, "nash", actors, run, ratify, {"powers": powers, "compiled": compiled})


def pareto_frontier(
    source: Scenario | ScenarioBatch, actors: Sequence[str] | None = None, *, run: int = 0
) -> pd.DataFrame:
    """Vertices of the exact two-party Pareto frontier, without the coalitions (piecewise
    linear between them).

    Returns one row per vertex, from B's ideal package to A's: ``outcome.<issue>`` and
    ``utility.<actor>`` columns, ``feasible`` (both at least their reservation) and
    ``ratified`` (feasible and passed by every coalition). These use the reservations, not
    the solutions' disagreement points: a vertex is a deal only where it gives both parties
    their reservation plus the deal margin.
    """
    batch, run = _batch_of(source, run, actors)
    sc = batch.scenario
    parties = parties_of(sc, actors)
    if len(parties) != 2:
        raise ArgumentError(
            "actors", "the exact frontier is for two parties; use nash/kalai_smorodinsky for more"
        )
    one = run_of(batch, parties, run, ratify=False)
    frontier = Frontier.of(one.positions[None, one.parties], one.cost[None, one.parties])
    vertices = np.arange(len(sc.issues) + 1, dtype=float)
    packages = np.concatenate([frontier.package(np.array([tau])) for tau in vertices])
    util = np.array([one.utility(xx)[one.parties] for xx in packages])
    frame = pd.DataFrame(packages, columns=[f"outcome.{i}" for i in sc.issues])
    for j, actor in enumerate(parties):
        frame[f"utility.{actor}"] = util[:, j]
    copies = batch.take([run] * len(packages))
    frame["feasible"] = ratification_test(copies, parties, False)(packages)
    frame["ratified"] = ratification_test(copies, parties, True)(packages)
    return frame


def disagreement_point(
    source: Scenario | ScenarioBatch, actors: Sequence[str] | None = None, *, run: int = 0
) -> np.ndarray:
    """The parties' reservations: their utilities of no deal in the problem the solutions
    solve. The solutions' disagreement point is this plus the deal margin
    (:data:`negosim.model.ratification.DEAL_MARGIN`)."""
    batch, run = _batch_of(source, run, actors)
    parties = parties_of(batch.scenario, actors)
    return np.asarray(batch.reservation[run, [batch.scenario.actor_index(a) for a in parties]])


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
    batch = point_estimates(scenario)
    index = [scenario.actor_index(a) for a in parties]
    u_split = package_utilities(batch, combined[None])[0, index]
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


_SOLVER_NAMES = (
    "BRANCH_LIMIT",
    "BRANCH_NODES",
    "FW_GAP",
    "FW_ROUNDS",
    "NASH_ROUNDS",
    "RETRY_MARGIN",
    "TOLERANCE",
)
"""Settings of 0.1's ``negosim.solutions`` that moved with the solvers to the engine."""


def __getattr__(name: str) -> object:
    """0.1's ``negosim.solutions.BRANCH_LIMIT`` and the other solver settings, with a
    DeprecationWarning naming where they went (setting one here changes nothing: set it on
    :mod:`negosim.engine.solvers.programmes`)."""
    if name not in _SOLVER_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"negosim.solutions.{name} is now negosim.engine.solvers.programmes.{name}: import it "
        "from there (the old path goes in negosim 0.3)",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(programmes, name)


__all__ = [
    "COMPILED",
    "NASH_GAP",
    "SOLVERS",
    "Solution",
    "disagreement_point",
    "kalai_smorodinsky",
    "kalai_smorodinsky_on_curve",
    "linkage_gain",
    "nash",
    "nash_on_curve",
    "pareto_frontier",
    "point_estimates",
    "solve_batch",
    "solve_runs",
    "utilitarian",
]
