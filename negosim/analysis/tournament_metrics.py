"""What a tournament measures: its worlds, their bargaining solutions, each play's metrics,
and the intervals over the worlds.

A *world* is one scenario with one draw of its uncertain numbers (runs whose sampled numbers
are identical are one world). :func:`solve_worlds` solves every world of a tournament once:
its Nash and Kalai-Smorodinsky points and its two-party Pareto frontier, at the world's true
numbers, with the disagreement point the solutions use (each negotiator's no-deal utility
plus the deal margin). :func:`add_play` turns one pairing's Monte Carlo into the metrics of
:data:`METRICS`, summed per world; :func:`cluster_interval` gives a mean and its interval over
the worlds, and :func:`paired_difference` the difference of two settings played on the same
worlds. :mod:`negosim.analysis.tournaments` plays the pairings and ranks the strategies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit  # Student t quantiles, without loading scipy.stats

from negosim.engine.runner import progress_bar
from negosim.engine.sampling import ScenarioBatch, sample
from negosim.engine.solvers.frontier import Frontier
from negosim.engine.solvers.runs import solve_runs
from negosim.model.ratification import deal_floor
from negosim.model.scenario import Scenario

METRICS = (
    "utility",
    "agreed",
    "rounds",
    "agreement_round",
    "agreement_time",
    "joint_utility",
    "pareto_distance",
    "nash_distance",
    "ks_distance",
    "nash_product",
)
"""The leaderboard's metrics, each per negotiation of the focal strategy (its mean over the
runs, and its 95% interval over the worlds, in ``<metric>_low`` / ``<metric>_high``):

* ``utility``: the focal strategy's own utility of the outcome (its no-deal utility without
  agreement);
* ``agreed``: 1 if a package was agreed, else 0 (the mean is the agreement rate);
* ``rounds``: the round of agreement or exit, the deadline ``T`` when the talks ran out;
* ``agreement_round``, ``agreement_time``: the round ``t`` (0-based) of agreement and the
  relative time ``t / (T - 1)``, over the agreed runs only (NaN in the others);
* ``joint_utility``: social welfare, the sum of the negotiators' utilities;
* ``pareto_distance``: Euclidean distance, in the negotiators' utility space, from the outcome
  to the nearest point of the world's Pareto frontier (two negotiators; NaN for more);
* ``nash_distance``, ``ks_distance``: Euclidean distance from the outcome to the world's Nash
  and Kalai-Smorodinsky points (NaN where the world has no deal);
* ``nash_product``: ``prod_i max(u_i - d_i, 0)`` over the negotiators with an agreement, 0
  without, ``d_i`` their disagreement point (no-deal utility plus the deal margin).
"""
INTERVAL_NOTE = (
    "95% t interval, cluster-robust standard error over independent sampled worlds "
    "(runs with identical sampled parameters count once)"
)
"""How the leaderboard's ``*_low`` / ``*_high`` columns are computed (also in its ``attrs``)."""
DIFFERENCE_NOTE = (
    "95% t interval of the paired per-world differences (each world played under both "
    "settings, cluster-robust over the worlds)"
)
"""How :meth:`TournamentResult.by_information`'s difference interval is computed."""


_SOLVED = ("nash", "kalai_smorodinsky")
"""The solutions each world is solved for (:func:`negosim.engine.solvers.runs.solve_runs`)."""


@dataclass(frozen=True)
class Worlds:
    """The distinct sampled worlds of one scenario and their bargaining solutions.

    Attributes
    ----------
    index
        ``(R,)`` world of every run: runs whose sampled parameters are identical share one.
    first
        ``(W,)`` the first run of each world.
    count
        Number of distinct worlds ``W``.
    nash, kalai_smorodinsky
        ``(W, seats)`` utilities at the Nash and Kalai-Smorodinsky points of each world (NaN
        where no deal exists, or where the solutions do not apply: one negotiator, or a
        loss other than linear).
    disagreement
        ``(W, seats)`` the disagreement point of the solutions: each negotiator's reservation
        (its utility of no deal) plus the deal margin.
    frontier
        ``(W, I + 1, 2)`` the vertices of each world's two-party Pareto frontier in utility
        space (piecewise linear between them), or None (not two negotiators, or not linear
        loss).
    """

    index: np.ndarray
    first: np.ndarray
    count: int
    nash: np.ndarray
    kalai_smorodinsky: np.ndarray
    disagreement: np.ndarray
    frontier: np.ndarray | None


def solve_worlds(
    scenarios: list[Scenario], seated: list[list[str]], runs: int, seed, progress: bool
) -> list[Worlds]:
    """Group the runs of each scenario into distinct worlds and solve each world once (with a
    bar over the worlds solved: each is a bargaining problem of its own)."""
    batches = [sample(sc, runs, seed) for sc in scenarios]
    distinct = [distinct_runs(batch) for batch in batches]
    total = sum(len(first) for first, _ in distinct)
    out = []
    with progress_bar(progress, total, "tournament: bargaining solutions", unit="world") as pace:
        for batch, seats, (first, index) in zip(batches, seated, distinct, strict=True):
            out.append(_solved(batch, seats, first, index))
            pace.advance(len(first))
    return out


def _solved(batch: ScenarioBatch, seats: list[str], first: np.ndarray, index) -> Worlds:
    """The solutions of the worlds whose first runs are ``first``, all at once: Nash and
    Kalai-Smorodinsky by the engine's solvers (:func:`solve_runs`, as
    :func:`negosim.solutions.nash` and :func:`~negosim.solutions.kalai_smorodinsky`: the
    coalitions ratify, the disagreement point is no deal plus the margin), the frontier as
    :func:`negosim.solutions.pareto_frontier` draws it (:class:`Frontier`, no coalitions)."""
    sc = batch.scenario
    parties = [sc.actor_index(a) for a in seats]
    worlds = batch.take(first)
    disagreement = deal_floor(np.asarray(worlds.reservation, float)[:, parties])
    points = {kind: np.full((len(first), len(seats)), np.nan) for kind in _SOLVED}
    frontier = None
    if len(seats) >= 2 and sc.loss == "linear":
        for kind in _SOLVED:
            got = solve_runs(batch, kind, seats, runs=first)
            points[kind] = np.where(got["deal"][:, None], got["utility"], np.nan)
        if len(seats) == 2:
            cost = np.asarray(worlds.weights, float) / batch.span
            curve = Frontier.of(np.asarray(worlds.positions, float)[:, parties], cost[:, parties])
            frontier = np.stack([curve.u_a, curve.u_b], axis=-1)
    nash_point, ks_point = points["nash"], points["kalai_smorodinsky"]
    return Worlds(index, first, len(first), nash_point, ks_point, disagreement, frontier)


def t_quantile(worlds: int) -> float:
    """The 97.5% quantile of Student's t with ``worlds - 1`` degrees of freedom."""
    return float(stdtrit(worlds - 1, 0.975))


def distinct_runs(batch: ScenarioBatch) -> tuple[np.ndarray, np.ndarray]:
    """The first run of each distinct world and the world of every run.

    Runs are the same world when every sampled parameter is identical (bit for bit, so a
    ``choice`` distribution's repeats and a scenario without uncertainty collapse)."""
    runs = batch.runs
    params = [batch.positions, batch.salience, batch.power, batch.issue_power, batch.reservation]
    params += list(batch.strategy_params.values())
    flat = [p.reshape(runs, -1) for p in params] if runs else []
    # only the columns that vary between runs (the sampled ones) tell worlds apart
    varying = [p[:, (p != p[:1]).any(axis=0)] for p in flat]
    rows = np.ascontiguousarray(np.hstack(varying)) if varying else np.empty((runs, 0))
    if rows.shape[1] == 0:  # nothing varies: every run is the same world
        return np.zeros(min(runs, 1), dtype=int), np.zeros(runs, dtype=int)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, index = np.unique(keys, return_index=True, return_inverse=True)
    return first, index.ravel()


def cluster_interval(totals: np.ndarray, counts: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% interval of observations grouped in independent clusters.

    The mean is the ratio ``sum(T) / sum(N)`` of the cluster totals ``T_g`` and sizes
    ``N_g`` (the plain mean of all observations). Its cluster-robust (CR1) standard error is

    ``se = sqrt(G / (G - 1) * sum((T_g - mean * N_g) ** 2)) / sum(N)``

    over the ``G`` clusters with ``N_g > 0``, and the interval is
    ``mean +- t(0.975, G - 1) * se``. With equal sizes this is the one-sample t interval of
    the cluster means. Observations inside a cluster may be correlated (or copies) in any
    way: only the number of clusters narrows the interval.

    Parameters
    ----------
    totals, counts
        ``(G,)`` sum and number of the observations in each cluster.

    Returns
    -------
    tuple of float
        ``(mean, low, high)``; the bounds are NaN with fewer than two clusters, the mean
        too with no observation.
    """
    used = np.asarray(counts) > 0
    totals, counts = np.asarray(totals, float)[used], np.asarray(counts, float)[used]
    g, n = int(used.sum()), float(counts.sum())
    if g == 0:
        return math.nan, math.nan, math.nan
    mean = float(totals.sum()) / n
    if g < 2:
        return mean, math.nan, math.nan
    residual = totals - mean * counts
    se = math.sqrt(g / (g - 1) * float(residual @ residual)) / n
    half = t_quantile(g) * se
    return mean, mean - half, mean + half


def add_play(
    res, seat: str, negotiators: list[str], world: Worlds, totals: dict, counts: dict
) -> dict[str, float]:
    """Add one pairing's Monte Carlo to the focal strategy's ``totals`` and ``counts`` per
    world (the scenario's slice of them); its mean of every metric."""
    sc = res.scenario
    idx = [sc.actor_index(a) for a in negotiators]
    utility = res.utility[:, idx]  # the negotiators' utilities of the outcome
    agreed = res.agreed.astype(bool)
    when = np.where(agreed, res.rounds.astype(float), np.nan)  # the round of agreement
    of = world.index  # each run's world
    gain = np.maximum(utility - world.disagreement[of], 0.0)
    values = {
        "utility": res.utility[:, sc.actor_index(seat)],
        "agreed": agreed.astype(float),
        "rounds": res.rounds.astype(float),
        "agreement_round": when,
        "agreement_time": when / (res.deadline - 1),
        "joint_utility": utility.sum(axis=1),
        "pareto_distance": (
            np.full(len(of), np.nan)
            if world.frontier is None
            else distance_to_path(utility, world.frontier[of])
        ),
        "nash_distance": np.linalg.norm(utility - world.nash[of], axis=1),
        "ks_distance": np.linalg.norm(utility - world.kalai_smorodinsky[of], axis=1),
        "nash_product": np.where(agreed, gain.prod(axis=1), 0.0),
    }
    for metric, v in values.items():
        finite = np.isfinite(v)
        totals[metric] += np.bincount(of, np.where(finite, v, 0.0), world.count)
        counts[metric] += np.bincount(of, finite, world.count)
    return {
        m: float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for m, v in values.items()
    }


def distance_to_path(points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Euclidean distance from each point ``(R, 2)`` to the nearest point of its polyline
    through ``vertices`` ``(R, V, 2)`` (each segment's nearest point, clipped to its ends)."""
    start, step = vertices[:, :-1], np.diff(vertices, axis=1)
    rel = points[:, None, :] - start
    length = (step * step).sum(axis=-1)
    along = np.divide(
        (rel * step).sum(axis=-1), length, out=np.zeros_like(length), where=length > 0
    )
    gap = rel - np.clip(along, 0.0, 1.0)[..., None] * step
    return np.sqrt((gap * gap).sum(axis=-1)).min(axis=1)


def paired_difference(
    sums: tuple[np.ndarray, np.ndarray], counts: tuple[np.ndarray, np.ndarray]
) -> tuple[float, float, float, int]:
    """Mean and 95% interval of the per-world differences of two settings played on the same
    worlds, and the number of worlds paired.

    ``sums`` and ``counts`` are each setting's ``(G,)`` per-world totals and sizes. Over the
    worlds ``g`` observed under both, ``D_g = T1_g / N1_g - T2_g / N2_g`` weighs
    ``N_g = (N1_g + N2_g) / 2``; the result is :func:`cluster_interval` of the totals
    ``D_g N_g`` and sizes ``N_g``: with equal sizes, the one-sample t interval of the ``D_g``.
    """
    t1, t2 = (np.asarray(s, float) for s in sums)
    n1, n2 = (np.asarray(n, float) for n in counts)
    both = (n1 > 0) & (n2 > 0)
    diff = np.zeros(len(t1))
    diff[both] = t1[both] / n1[both] - t2[both] / n2[both]
    weight = np.where(both, (n1 + n2) / 2, 0.0)
    return (*cluster_interval(diff * weight, weight), int(both.sum()))
