"""Monte Carlo samples of a scenario: arrays with a leading runs axis.

Common random numbers: every uncertain number draws from a stream of its own, keyed by the
seed, the run and the number's target (``Russia.salience.kosovo_status``,
``moves.us_deploys.cost``). Fixing, sweeping or updating one number therefore leaves every
other draw of every run unchanged: a what-if compares the same worlds.

Reproducibility does not depend on how the work is cut up either. Runs are grouped in fixed
blocks of :data:`BLOCK` runs; block ``b`` of the stream of target ``T`` is
``SeedSequence(seed, spawn_key=(b, stream_key(T)))`` (the ``b``-th child that
``SeedSequence(seed).spawn`` would make, extended by the target's key). Any range of runs is
cut from the blocks that cover it, so run ``k`` gets the same numbers whatever chunk size,
worker count or chunk order computed it. A strategy's noise (``random_walk``) is stream
``1 + actor index``; the targets' 64-bit keys never take such small values in practice.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from negosim.engine import arguments as check
from negosim.model.elements import MOVE_FIELDS, Target, Uncertainty
from negosim.model.moves import MoveBook, MoveState, Valuation, starting_clock
from negosim.model.preferences import PackageEvaluator, normalized_weights
from negosim.model.scenario import Scenario
from negosim.model.targets import target_bounds

BLOCK = 1024
"""Runs per random-number block (fixed: changing it changes every sampled number)."""


def stream_key(target: str) -> int:
    """The key of a target's stream: the first 8 bytes of the SHA-256 of its text, so the
    key depends on the target's name alone (not on which other numbers are uncertain)."""
    return int.from_bytes(hashlib.sha256(target.encode()).digest()[:8], "little")


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
        ``(R, A)`` reservation utilities (BATNA): declared, else the utility of the
        no-agreement package that the scenario's moves would produce
        (:meth:`negosim.model.moves.MoveState.reservation`; the status quo's utility without moves).
    strategy_params
        ``{(actor index, parameter): (R,) array}`` for sampled strategy parameters.
    moves
        The scenario's moves with their sampled numbers (:class:`negosim.model.moves.MoveBook`).
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
    moves: MoveBook | None = None

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

    @cached_property
    def evaluator(self) -> PackageEvaluator:
        """Every actor's utility of one package per run (:class:`PackageEvaluator`)."""
        return PackageEvaluator(self.positions, self.weights, self.span, self.scenario.loss)

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
            moves=self.moves.take(index),
        )

    def move_state(self, first_round: int = 0) -> MoveState:
        """The moves made before the talks start (the scenario's ``made``, recorded at
        ``first_round``), as a state."""
        sc = self.scenario
        made = tuple(sc.move_index(m) for m in sc.made)
        return MoveState(self.moves, sc.status_quo, len(sc.actors), made, first_round)

    def sampled(self, target: Target) -> np.ndarray:
        """``(R,)`` the value of one number of the scenario in every run (sampled or not),
        as the engine uses it (e.g. a move's window with its ends in order)."""
        if target.field == "strategy":
            return self.strategy_params[(target.actor, target.param)]
        if target.field == "move":
            return getattr(self.moves, target.param)[:, target.move]
        by_issue = {"position": self.positions, "salience": self.salience}
        by_issue["power_by_issue"] = self.issue_power
        if target.field in by_issue:
            return by_issue[target.field][:, target.actor, target.issue]
        return {"power": self.power, "reservation": self.reservation}[target.field][:, target.actor]

    def inputs(self) -> dict[str, np.ndarray]:
        """The sampled value of every uncertain number, by target, each ``(R,)``.

        Examples
        --------
        >>> import negosim as ns
        >>> batch = ns.sample(ns.load_scenario("package_2007"), 3, seed=1)
        >>> batch.inputs()["moves.us_deploys.cost"].shape
        (3,)
        """
        sc = self.scenario
        return {
            u.target: np.asarray(self.sampled(sc.parse_target(u.target)), float)
            for u in sc.effective_uncertainty
        }

    def uniforms(self, stream: int, per_run: int) -> np.ndarray:
        """``(R, per_run)`` uniform draws in [0, 1) from ``stream``, reproducible per run."""
        if self.start < 0:
            raise ValueError("uniforms() needs a contiguous batch (made by sample())")
        return _blocked(
            self.seed, self.start, self.runs, stream, lambda rng, n: rng.random((n, per_run))
        )


def sample(scenario: Scenario, runs: int, seed: int | None = 0, *, start: int = 0) -> ScenarioBatch:
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
        Seed of the run streams; the same seed gives the same runs (default 0; None: fresh
        entropy).
    start
        Index of the first run, so that a range of a larger Monte Carlo can be drawn alone.

    Returns
    -------
    ScenarioBatch

    Examples
    --------
    >>> import negosim as ns
    >>> batch = ns.sample(ns.load_scenario("package_2007"), 5, seed=1)
    >>> batch.positions.shape  # runs x actors x issues
    (5, 38, 3)
    """
    sc = check.scenario(scenario)  # each argument named, before any work
    runs, seed = check.runs(runs), check.seed(seed)
    start = check.whole_number(start, "start", 0)
    check.fits_in_memory(runs, sample_bytes_per_run(sc), hint="", factor=1, purpose="to sample")
    specs = sc.effective_uncertainty
    targets = [sc.parse_target(u.target) for u in specs]
    draws = np.empty((runs, len(specs)))
    for k, (u, t) in enumerate(zip(specs, targets, strict=True)):
        draws[:, k] = _draws_of(u, target_bounds(sc, t), seed, start, runs)
    return _batch(sc, runs, seed, start, draws, targets)


def point_estimates(scenario: Scenario) -> ScenarioBatch:
    """A batch of one run holding the scenario's numbers as the file gives them, none drawn:
    its point estimates, what every actor knows of the others before the talks under
    ``information="learned"`` (the reservations derived from them as for any run)."""
    return _batch(scenario, 1, None, 0, np.empty((1, 0)), [])


def _batch(
    sc: Scenario, runs: int, seed: int | None, start: int, draws: np.ndarray, targets: list
) -> ScenarioBatch:
    """The batch of ``runs`` runs whose uncertain numbers (``targets``) take the values
    ``draws`` ``(R, len(targets))``."""
    n_actors = len(sc.actors)

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
    book = MoveBook.of(sc, _move_numbers(sc, runs, draws, targets))
    declared = table(sc.reservation, "reservation")
    params = {
        (t.actor, t.param): draws[:, k] for k, t in enumerate(targets) if t.field == "strategy"
    }
    return with_batna(
        ScenarioBatch(
            sc, seed, start, positions, salience, power, issue_power, declared, params, book
        )
    )


def sample_bytes_per_run(scenario: Scenario) -> int:
    """Bytes one sampled run may take: its positions, saliences, issue powers and weights
    ``(A, I)``, its powers, reservations and discounts ``(A,)`` and its moves' numbers, as
    float64 (an upper bound: numbers that are not sampled are broadcast, not copied)."""
    actors, issues = len(scenario.actors), len(scenario.issues)
    return 8 * (4 * actors * issues + 3 * actors + len(MOVE_FIELDS) * len(scenario.all_moves))


def with_batna(batch: ScenarioBatch) -> ScenarioBatch:
    """The batch with every undeclared (NaN) reservation set to the actor's BATNA."""
    declared = batch.reservation
    if not np.isnan(declared).any():
        return batch
    sc, span = batch.scenario, batch.span
    # issue by issue, element by element: the same bits for a run whatever the batch shape
    derived = batch.move_state().reservation(
        starting_clock(sc.start),
        Valuation(batch.positions, batch.weights, span, sc.loss),
        batch.evaluator,
    )
    out = replace(batch, reservation=np.where(np.isnan(declared), derived, declared))
    out.__dict__.update(weights=batch.weights, evaluator=batch.evaluator)  # computed once
    return out


def _move_numbers(sc: Scenario, runs: int, draws: np.ndarray, targets: list[Target]) -> dict:
    """``(R, M)`` arrays of each move number: the file's values, or their draws. A sampled
    window whose ends cross is the window between them."""
    moves = sc.all_moves
    out = {
        f: np.array(np.broadcast_to([getattr(m, f) for m in moves], (runs, len(moves))), float)
        for f in MOVE_FIELDS
    }
    for k, t in enumerate(targets):
        if t.field == "move":
            out[t.param][:, t.move] = draws[:, k]
    out["earliest"], out["latest"] = (
        np.minimum(out["earliest"], out["latest"]),
        np.maximum(out["earliest"], out["latest"]),
    )
    return out


def _draws_of(u: Uncertainty, bounds, seed, start: int, runs: int) -> np.ndarray:
    """The draws of one uncertain number for runs ``start .. start + runs - 1``, from its
    own stream."""
    return _blocked(seed, start, runs, stream_key(u.target), lambda rng, n: draw(rng, u, n, bounds))


def _blocked(seed, start, runs, stream: int, draw) -> np.ndarray:
    """Concatenate ``draw(rng, BLOCK)`` over the blocks of ``stream`` covering the runs, then
    cut them out."""
    first, last = start // BLOCK, (start + runs - 1) // BLOCK
    if runs == 0:
        return draw(np.random.default_rng(0), 0)
    parts = [
        draw(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b, stream))), BLOCK)
        for b in range(first, last + 1)
    ]
    offset = start - first * BLOCK
    return np.concatenate(parts)[offset : offset + runs]


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


def spread(u: Uncertainty) -> float:
    """The standard deviation of one distribution (a normal's before truncation): how
    uncertain the number is to the actors, the prior's spread under
    ``information="learned"``."""
    p = u.params
    if u.dist == "uniform":
        return (p["high"] - p["low"]) / math.sqrt(12)
    if u.dist == "triangular":
        a, c, b = p["low"], p["mode"], p["high"]
        return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    if u.dist == "pert":
        lo, mode, hi = p["low"], p["mode"], p["high"]
        mean = (lo + 4 * mode + hi) / 6
        return math.sqrt(max((mean - lo) * (hi - mean) / 7, 0.0))
    if u.dist == "choice":
        values = np.asarray(p["values"], float)
        weights = np.asarray(p.get("weights", np.ones(len(values))), float)
        weights = weights / weights.sum()
        mean = float(weights @ values)
        return math.sqrt(float(weights @ (values - mean) ** 2))
    if u.dist == "normal":
        return float(p["sd"])
    raise ValueError(f"unknown distribution {u.dist!r}")


def _truncated_normal(rng, mean, sd, bounds, n) -> np.ndarray:
    """Draws of a normal truncated to ``bounds`` (:data:`scipy.stats.truncnorm`), by the
    inverse CDF of one uniform per draw, so a run's draws do not depend on the others."""
    from scipy.stats import truncnorm  # scipy is slow to import: only when a normal is drawn

    low, high = (bounds[0] - mean) / sd, (bounds[1] - mean) / sd
    return np.clip(truncnorm.ppf(rng.random(n), low, high, loc=mean, scale=sd), *bounds)
