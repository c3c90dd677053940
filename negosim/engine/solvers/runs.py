"""Bargaining solutions of every run of a batch: closed form, compiled, then exact programmes.

:func:`solve_runs` is what the solution protocols (``simulate(protocol="nash")``) and
:mod:`negosim.analysis.solutions` call. Two parties are first solved in closed form on their
exact frontier, every run at once (:mod:`negosim.engine.solvers.frontier`); where coalitions
bind, by the compiled linear programmes of :mod:`negosim.engine.solvers.compiled` (where
numba is installed); the integer programmes of :mod:`negosim.engine.solvers.programmes` take
the runs neither can vouch for. Every package returned is checked with the protocols' own
ratification code (:class:`negosim.engine.table.Table`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pandas as pd

from negosim.engine.sampling import ScenarioBatch
from negosim.engine.solvers.frontier import solve_two_parties
from negosim.engine.solvers.programmes import (
    RETRY_MARGIN,
    SOLVERS,
    TOLERANCE,
    hint_for,
    nash_powers,
    parties_of,
    run_of,
    solve_run,
)
from negosim.engine.table import Table
from negosim.model.errors import ArgumentError
from negosim.model.preferences import utilities
from negosim.model.ratification import deal_floor


class UnsolvedError(ArgumentError, RuntimeError):
    """A solution protocol cannot solve a scenario within float precision: one line naming
    the protocol (a ``NegosimError``, and a ``RuntimeError`` as before)."""


def solve_runs(
    batch: ScenarioBatch,
    kind: str = "nash",
    actors: Sequence[str] | None = None,
    *,
    runs: Sequence[int] | None = None,
    ratify: bool = True,
    compiled: bool | None = None,
    **options,
) -> dict:
    """Solve the runs of a batch (default all): ``deal`` (R,), ``outcome`` (R, I) (the status
    quo where there is no deal), ``utility`` (R, parties) and ``actors``.

    Two parties are solved on their exact frontier in closed form, every run at once
    (:mod:`negosim.engine.solvers.frontier`); the integer programmes solve, run by run, the
    runs where a
    coalition rejects that package (or, for Kalai-Smorodinsky, an ideal package), where a
    party cannot gain, and problems of three or more parties. Identical runs are solved once.
    Every package found is checked with the protocols' ratification code
    (:class:`negosim.engine.protocols.Table`).

    ``compiled``: solve the two-party runs that the closed form leaves by the compiled
    linear programmes of :mod:`negosim.engine.solvers.compiled` first, the integer programmes
    taking the runs it cannot vouch for. ``None`` (default): where numba is installed;
    ``True`` without numba raises ImportError. The objective is the same either way (to
    the solvers' tolerances); where packages tie on it, the package may differ.
    """
    if kind not in SOLVERS:
        raise KeyError(f"unknown solution {kind!r}; known: {', '.join(SOLVERS)}")
    sc = batch.scenario
    parties = parties_of(sc, actors)
    if sc.loss != "linear":
        raise ArgumentError(
            "loss", f"{sc.origin}: the bargaining solutions are exact for linear loss"
        )
    unknown = set(options) - ({"powers"} if kind == "nash" else set())
    if unknown:
        raise TypeError(f"{kind}: unknown option(s) {', '.join(sorted(unknown))}")
    if kind == "nash":
        nash_powers(options.get("powers"), len(parties))  # refused before any work
    use_compiled = _use_compiled(kind, compiled)  # refused before any work too
    batch = with_deal_floors(batch, parties)
    runs = np.arange(batch.runs) if runs is None else np.asarray(runs, dtype=np.int64)
    sub = batch.take(runs)
    deal = np.zeros(len(runs), dtype=bool)
    outcome = np.broadcast_to(sc.status_quo, (len(runs), len(sc.issues))).copy()
    todo = np.ones(len(runs), dtype=bool)
    if len(parties) == 2:  # the exact frontier in closed form, every run at once
        closed = _two_parties(sub, parties, kind, ratify, options)
        todo = ~closed.exact
        deal[~todo], outcome[~todo] = closed.deal[~todo], closed.outcome[~todo]
        if todo.any() and use_compiled:
            rows = np.flatnonzero(todo)
            solved = _compiled_runs(sub.take(rows), parties, kind, ratify, options)
            found = rows[solved.found]
            deal[found], outcome[found] = solved.deal[solved.found], solved.outcome[solved.found]
            todo[found] = False
    if todo.any():
        deal[todo], outcome[todo] = _solve_each(batch, runs[todo], kind, parties, ratify, options)
    outcome[~deal] = sc.status_quo  # as documented (the closed form leaves a package there)
    index = [sc.actor_index(a) for a in parties]
    utility = package_utilities(sub, outcome)[:, index]
    return {"deal": deal, "outcome": outcome, "utility": utility, "actors": parties}


def with_deal_floors(batch: ScenarioBatch, parties: Sequence[str]) -> ScenarioBatch:
    """The batch with each party's reservation raised to its deal floor (no deal plus the
    deal margin, :func:`~negosim.model.ratification.deal_floor`): the disagreement point
    of the solutions, so a solution that does not beat no deal by the margin is no deal,
    as in the round protocols. Other actors ratify by their reservations, unchanged."""
    index = [batch.scenario.actor_index(a) for a in parties]
    reservation = batch.reservation.copy()
    reservation[:, index] = deal_floor(reservation[:, index])
    out = dataclasses.replace(batch, reservation=reservation)
    out.__dict__.update(weights=batch.weights, evaluator=batch.evaluator)  # computed once
    return out


COMPILED = ("utilitarian", "nash", "kalai_smorodinsky")
"""The solutions :mod:`negosim.engine.solvers.compiled` solves."""


def _compiled() -> ModuleType:
    """The compiled solutions' module, imported on first use: it imports numba (~0.5 s),
    which a process that never solves with coalitions should not pay for."""
    from negosim.engine.solvers import compiled

    return compiled


def _use_compiled(kind: str, compiled: bool | None) -> bool:
    """Whether :func:`solve_runs` tries the compiled programmes for ``kind``; refuses
    ``compiled=True`` without numba."""
    if compiled is not None and not isinstance(compiled, bool | np.bool_):
        raise TypeError(f"compiled: True, False or None, got {compiled!r}")
    if compiled is None:
        return _compiled().AVAILABLE and kind in COMPILED
    if compiled and not _compiled().AVAILABLE:
        raise ImportError(
            'the compiled bargaining solutions need numba: pip install "negosim[fast]"'
        )
    return bool(compiled) and kind in COMPILED


@dataclass(frozen=True)
class _Compiled:
    """What the compiled programmes settled: ``found`` (runs answered: a ratified package
    or, certified, none), ``deal`` and ``outcome`` of every run given."""

    found: np.ndarray
    deal: np.ndarray
    outcome: np.ndarray


def _compiled_runs(
    batch: ScenarioBatch, parties: tuple[str, ...], kind: str, ratify: bool, options: dict
) -> _Compiled:
    """The compiled two-party solution of every run of ``batch``, each package checked by
    the protocols' ratification code: a run is ``found`` where the package passes or no
    package exists (certified)."""
    solutions_compiled = _compiled()
    sc = batch.scenario
    index = tuple(sc.actor_index(a) for a in parties)
    if len(sc.issues) > solutions_compiled.MOST_ISSUES:
        none = np.zeros(batch.runs, bool)
        return _Compiled(none, none, np.zeros((batch.runs, len(sc.issues))))
    if kind == "nash":
        options = {"powers": nash_powers(options.get("powers"), 2)}
    status, outcome, ideals = solutions_compiled.solve_two(
        kind,
        batch.positions,
        batch.weights / batch.span,
        batch.reservation,
        sc,
        index,
        ratify,
        options,
    )
    deal = status == solutions_compiled.OPTIMAL
    passed = np.zeros(batch.runs, bool)
    if deal.any():
        rows = np.flatnonzero(deal)
        passes = ratification_test(batch.take(rows), parties, ratify)
        passed[rows] = passes(outcome[rows])
        for ideal in ideals:  # Kalai-Smorodinsky: its ideal points must be the true set's
            passed[rows] &= passes(ideal[rows])
    found = passed | (status == solutions_compiled.INFEASIBLE)
    return _Compiled(found, passed, outcome)


def _two_parties(
    batch: ScenarioBatch, parties: tuple[str, ...], kind: str, ratify: bool, options: dict
):
    """The closed-form solutions of :mod:`negosim.engine.solvers.frontier`, with ``exact``
    cleared where
    the coalitions could change them: a package (or, for Kalai-Smorodinsky, an ideal
    package) that a coalition does not ratify. Where all of them are ratified the answer
    stands: the ratified packages are a subset of the packages solved over."""
    sc = batch.scenario
    index = [sc.actor_index(a) for a in parties]
    closed = solve_two_parties(
        kind,
        batch.positions[:, index],
        (batch.weights / batch.span)[:, index],
        batch.reservation[:, index],
        nash_powers(options.get("powers"), 2) if kind == "nash" else None,
        tolerance=TOLERANCE,  # a deal the programmes' tolerance admits: theirs to decide
    )
    # the reservations are checked too: a guard against round-off at the stretch's ends
    passes = ratification_test(batch, parties, ratify)
    checked = [closed.outcome]
    if ratify and sc.coalitions and kind == "kalai_smorodinsky":
        checked += [closed.ideal_a, closed.ideal_b]
    exact = closed.exact
    for package in checked:
        exact = exact & (~closed.deal | passes(package))
    return dataclasses.replace(closed, exact=exact)


@contextlib.contextmanager
def _blas_on_one_thread() -> Iterator[None]:
    """BLAS on one thread: with several, the Nash point's small dense products round
    differently (found: 1.7e-8 apart on package_2007), so a Dask worker (one thread) and this
    process would disagree."""
    import scipy.optimize  # noqa: F401 (its BLAS must be loaded for the limit to reach it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@_blas_on_one_thread()
def _solve_each(
    batch: ScenarioBatch,
    runs: np.ndarray,
    kind: str,
    parties: tuple[str, ...],
    ratify: bool,
    options: dict,
) -> tuple[np.ndarray, np.ndarray]:
    """The exact integer programmes, run by run (identical runs solved once), BLAS on one
    thread: ``deal`` and ``outcome`` of ``runs``."""
    sc = batch.scenario
    deal = np.zeros(len(runs), dtype=bool)
    outcome = np.broadcast_to(sc.status_quo, (len(runs), len(sc.issues))).copy()
    seen: dict[bytes, int] = {}
    hint = hint_for(sc, parties, kind, ratify, options) if ratify and sc.coalitions else None
    for k, r in enumerate(runs):
        key = _run_key(batch, int(r))
        if key in seen:
            deal[k], outcome[k] = deal[seen[key]], outcome[seen[key]]
            continue
        seen[key] = k
        found = solve_run(run_of(batch, parties, int(r), ratify), kind, options, hint=hint)
        if found is not None:
            deal[k], outcome[k] = True, found
    passes = ratification_test(batch.take(runs), parties, ratify)
    bad = deal & ~passes(outcome)
    for k in np.flatnonzero(bad):  # solver round-off: solve again with a margin on each vote
        found = solve_run(run_of(batch, parties, int(runs[k]), ratify), kind, options, RETRY_MARGIN)
        deal[k] = found is not None
        outcome[k] = sc.status_quo if found is None else found
    if np.any(bad & deal & ~passes(outcome)):
        raise UnsolvedError(
            "protocol",
            f"{kind}: {sc.origin}: a package failed ratification after a retry (the "
            "scenario's numbers are beyond the solver's precision); use another protocol or "
            "rescale the issues",
        )
    return deal, outcome


def _run_key(batch: ScenarioBatch, run: int) -> bytes:
    parts = (batch.positions[run], batch.weights[run], batch.reservation[run])
    return b"".join(np.ascontiguousarray(p).tobytes() for p in parts)


def package_utilities(batch: ScenarioBatch, packages: np.ndarray) -> np.ndarray:
    return utilities(packages, batch.positions, batch.weights, batch.span, batch.scenario.loss)


def ratification_test(
    batch: ScenarioBatch, parties: tuple[str, ...], ratify: bool
) -> Callable[[np.ndarray], np.ndarray]:
    """A test of one package per run ``(R, I)``: whether it gives every party its
    reservation and (if ``ratify``) passes every coalition, by the protocols' own rule. The
    protocols' table is set up once, however many packages are tested."""
    table = Table(batch, {}, rounds=1)
    index = [batch.scenario.actor_index(a) for a in parties]

    def passes(packages: np.ndarray) -> np.ndarray:
        votes = table.reservation_votes(table.utilities(packages))
        ok = votes[:, index].all(axis=1)
        if ratify and table.coalitions:
            ok &= table.coalition_consent(packages, votes).all(axis=1)
        return ok

    return passes


def solve_batch(
    batch: ScenarioBatch, kind: str = "nash", actors: Sequence[str] | None = None, **options
) -> pd.DataFrame:
    """A bargaining solution for every run of a Monte Carlo batch.

    Returns one row per run: ``deal`` (a ratifiable package exists), ``outcome.<issue>`` and
    ``utility.<party>`` (NaN where there is no deal). Options as :func:`solve_runs`.
    """
    out = solve_runs(batch, kind, actors, **options)
    frame = pd.DataFrame({"deal": out["deal"]})
    for k, issue in enumerate(batch.scenario.issues):
        frame[f"outcome.{issue}"] = np.where(out["deal"], out["outcome"][:, k], np.nan)
    for k, actor in enumerate(out["actors"]):
        frame[f"utility.{actor}"] = np.where(out["deal"], out["utility"][:, k], np.nan)
    return frame
