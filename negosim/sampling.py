"""Monte Carlo samples of a scenario: arrays with a leading runs axis.

Reproducibility does not depend on how the work is cut up. Runs are grouped in fixed
blocks of :data:`BLOCK` runs; block ``b`` draws from its own stream
``SeedSequence(seed, spawn_key=(b, stream))`` (the ``b``-th child that
``SeedSequence(seed).spawn`` would make, extended by a stream number). Any range of runs
is cut from the blocks that cover it, so run ``k`` gets the same numbers whatever chunk
size, worker count or chunk order computed it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from negosim.preferences import PackageEvaluator, normalized_weights
from negosim.scenario import Scenario, Target, Uncertainty, target_bounds

BLOCK = 1024
"""Runs per random-number block (fixed: changing it changes every sampled number)."""

SAMPLING_STREAM = 0
"""Stream number of the scenario parameters; strategy noise uses 1 + actor index."""


@dataclass(frozen=True, eq=False)
class ScenarioBatch:
    """Sampled parameters of runs ``start .. start + runs - 1`` of a scenario.

    Attributes
    ----------
    positions, salience
        ``(R, A, I)`` ideal points and salience (0 where an actor is not party).
    power
        ``(R, A)`` overall power; ``issue_power`` ``(R, A, I)`` power per issue.
    reservation
        ``(R, A)`` reservation utilities (the status quo's utility where none is declared).
    strategy_params
        ``{(actor index, parameter): (R,) array}`` for sampled strategy parameters.
    """

    scenario: Scenario
    seed: int | None
    start: int
    positions: np.ndarray
    salience: np.ndarray
    power: np.ndarray
    issue_power: np.ndarray
    reservation: np.ndarray
    strategy_params: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        """Number of runs R."""
        return self.positions.shape[0]

    @property
    def span(self) -> np.ndarray:
        """Issue ranges ``high - low``, shape (I,)."""
        return self.scenario.high - self.scenario.low

    @cached_property
    def weights(self) -> np.ndarray:
        """Normalised salience weights ``(R, A, I)``."""
        return normalized_weights(self.salience)

    @property
    def discount(self) -> np.ndarray:
        """Per-round discount factors ``(R, A)`` (broadcast)."""
        return np.broadcast_to(self.scenario.discount, (self.runs, len(self.scenario.actors)))

    def take(self, index: np.ndarray | slice) -> ScenarioBatch:
        """The sub-batch of the given runs (``start`` is kept only for contiguous slices)."""
        start = self.start + (index.start or 0) if isinstance(index, slice) else -1
        return ScenarioBatch(
            scenario=self.scenario,
            seed=self.seed,
            start=start,
            positions=self.positions[index],
            salience=self.salience[index],
            power=self.power[index],
            issue_power=self.issue_power[index],
            reservation=self.reservation[index],
            strategy_params={k: v[index] for k, v in self.strategy_params.items()},
        )

    def uniforms(self, stream: int, per_run: int) -> np.ndarray:
        """``(R, per_run)`` uniform draws in [0, 1) from ``stream``, reproducible per run."""
        if self.start < 0:
            raise ValueError("uniforms() needs a contiguous batch (made by sample())")
        return _blocked(
            self.seed, self.start, self.runs, stream, lambda rng, n: rng.random((n, per_run))
        )


def sample(
    scenario: Scenario, runs: int, seed: int | None = None, *, start: int = 0
) -> ScenarioBatch:
    """Draw ``runs`` Monte Carlo samples of a scenario's uncertain numbers.

    Parameters
    ----------
    scenario
        The scenario; its ``[[uncertainty]]`` entries (and the ``estimate_spread`` default
        for numbers marked "E") say what varies. Numbers without uncertainty are broadcast,
        not copied.
    runs
        Number of runs R (>= 0).
    seed
        Seed of the run streams; the same seed gives the same runs.
    start
        Index of the first run, so that a range of a larger Monte Carlo can be drawn alone.

    Returns
    -------
    ScenarioBatch
    """
    if runs < 0 or start < 0:
        raise ValueError(f"runs and start must be >= 0, got runs={runs}, start={start}")
    sc = scenario
    n_actors, n_issues = len(sc.actors), len(sc.issues)
    specs = sc.effective_uncertainty
    targets = [sc.parse_target(u.target) for u in specs]
    draws = _blocked(
        seed, start, runs, SAMPLING_STREAM, lambda rng, n: _draw_all(rng, n, specs, targets, sc)
    )

    def table(base: np.ndarray, name: str) -> np.ndarray:
        hits = [(k, t) for k, t in enumerate(targets) if t.field == name]
        shape = (runs, *base.shape)
        if not hits:
            return np.broadcast_to(base, shape)
        out = np.array(np.broadcast_to(base, shape))
        for k, t in hits:
            if t.issue >= 0:
                out[:, t.actor, t.issue] = draws[:, k]
            else:
                out[:, t.actor] = draws[:, k]
        return out

    positions = table(sc.positions, "position")
    salience = table(sc.salience, "salience")
    power = table(sc.power, "power")
    by_issue = table(sc.issue_power, "power_by_issue")
    explicit = np.array([[i in a.power_by_issue for i in sc.issues] for a in sc.actor_specs])
    issue_power = np.where(explicit, by_issue, power[:, :, None]) if n_actors else by_issue
    declared = table(sc.reservation, "reservation")
    reservation = declared
    if np.isnan(sc.reservation).any() or np.isnan(declared).any():
        weights = normalized_weights(salience)
        sq = np.broadcast_to(sc.status_quo, (runs, n_issues))
        # issue by issue, element by element: the same bits for a run whatever the batch shape
        derived = PackageEvaluator(positions, weights, sc.high - sc.low, sc.loss)(sq)
        reservation = np.where(np.isnan(declared), derived, declared)
    params = {
        (t.actor, t.param): draws[:, k] for k, t in enumerate(targets) if t.field == "strategy"
    }
    return ScenarioBatch(
        sc, seed, start, positions, salience, power, issue_power, reservation, params
    )


def _blocked(seed, start, runs, stream, draw) -> np.ndarray:
    """Concatenate ``draw(rng, BLOCK)`` over the blocks covering the runs, then cut them out."""
    first, last = start // BLOCK, (start + runs - 1) // BLOCK
    if runs == 0:
        return draw(np.random.default_rng(0), 0)
    parts = [
        draw(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b, stream))), BLOCK)
        for b in range(first, last + 1)
    ]
    offset = start - first * BLOCK
    return np.concatenate(parts)[offset : offset + runs]


def _draw_all(rng, n, specs: tuple[Uncertainty, ...], targets: list[Target], sc) -> np.ndarray:
    out = np.empty((n, len(specs)))
    for k, (u, t) in enumerate(zip(specs, targets, strict=True)):
        out[:, k] = draw(rng, u, n, target_bounds(sc, t))
    return out


def draw(
    rng: np.random.Generator, u: Uncertainty, n: int, bounds=(-math.inf, math.inf)
) -> np.ndarray:
    """``n`` draws of one distribution (normal draws are truncated to ``bounds``)."""
    p = u.params
    if u.dist == "uniform":
        return rng.uniform(p["low"], p["high"], n)
    if u.dist == "triangular":
        return rng.triangular(p["low"], p["mode"], p["high"], n)
    if u.dist == "pert":
        lo, mode, hi = p["low"], p["mode"], p["high"]
        a = 1 + 4 * (mode - lo) / (hi - lo)
        b = 1 + 4 * (hi - mode) / (hi - lo)
        return lo + rng.beta(a, b, n) * (hi - lo)
    if u.dist == "choice":
        weights = np.asarray(p.get("weights", np.ones(len(p["values"]))), float)
        return rng.choice(np.asarray(p["values"], float), size=n, p=weights / weights.sum())
    if u.dist == "normal":
        return _truncated_normal(rng, p["mean"], p["sd"], bounds, n)
    raise ValueError(f"unknown distribution {u.dist!r}")


def _truncated_normal(rng, mean, sd, bounds, n) -> np.ndarray:
    """Inverse-CDF draws of a normal truncated to ``bounds`` (one uniform per draw)."""
    from scipy.special import ndtr, ndtri  # scipy comes with mesa; imported only when needed

    lo, hi = ndtr((bounds[0] - mean) / sd), ndtr((bounds[1] - mean) / sd)
    z = ndtri(lo + rng.random(n) * (hi - lo))
    return np.clip(mean + sd * z, *bounds)
