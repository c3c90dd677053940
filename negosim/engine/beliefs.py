"""What each negotiator believes of the others under ``information="learned"``.

Under ``information="complete"`` (the teaching view and the benchmark's upper bound) a
strategy's :class:`~negosim.model.strategies.View` holds every actor's true numbers. Under
``"learned"`` it holds the actor's own true numbers and, for every other actor, a belief
(``docs/protocols.md``, "Information"):

* the **prior**, the same in every run, is the scenario's point estimates (each number as the
  file gives it, none drawn: :func:`~negosim.engine.sampling.point_estimates`) with their
  spread (the standard deviation of the number's ``[[uncertainty]]`` distribution, 0 for a
  number that is not uncertain);
* an **opponent model** (:mod:`negosim.model.opponents`) learns each other negotiator's ideal
  points and salience weights from the offers it makes; a number the scenario holds certain
  (spread 0) stays at its point estimate whatever the model says (it is common knowledge);
* others' reservations and discount factors, and the actors who do not negotiate, stay
  at the prior.

The believed utility of a package to another actor is the scenario's utility (linear-additive
salience weights, the scenario's loss of the distance to the ideal point) of the believed
ideal points and weights, so every strategy that reads its view reads beliefs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from negosim.engine.sampling import ScenarioBatch, point_estimates, spread
from negosim.model.information import MEASURES
from negosim.model.opponents import OpponentModel, Prior, get_model
from negosim.model.preferences import normalized_weights
from negosim.model.ratification import deal_floor
from negosim.model.scenario import Scenario
from negosim.model.strategies.base import take_rows


@dataclass(frozen=True)
class PublicKnowledge:
    """The scenario's point estimates and their spread: what every actor knows of every
    other before the talks (the prior of ``information="learned"``).

    Attributes
    ----------
    positions, position_sd
        ``(A, I)`` point-estimate ideal points and their standard deviations.
    weights, weight_sd
        ``(A, I)`` point-estimate salience weights (normalised per actor) and their standard
        deviations (that of the salience over the actor's total salience).
    salience, issue_power
        ``(A, I)`` point-estimate salience and power on each issue.
    power, reservation, discount
        ``(A,)`` point-estimate power, reservation (declared, else derived from the moves
        as for any run) and per-round discount factor.
    """

    positions: np.ndarray
    position_sd: np.ndarray
    weights: np.ndarray
    weight_sd: np.ndarray
    salience: np.ndarray
    issue_power: np.ndarray
    power: np.ndarray
    reservation: np.ndarray
    discount: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario) -> PublicKnowledge:
        """The public knowledge of ``scenario``."""
        point = point_estimates(scenario)
        position_sd = np.zeros(point.positions.shape[1:])
        salience_sd = np.zeros_like(position_sd)
        for u in scenario.effective_uncertainty:
            target = scenario.parse_target(u.target)
            if target.field == "position":
                position_sd[target.actor, target.issue] = spread(u)
            elif target.field == "salience":
                salience_sd[target.actor, target.issue] = spread(u)
        salience = point.salience[0]
        total = salience.sum(axis=1, keepdims=True)
        weight_sd = np.divide(
            salience_sd, total, out=np.zeros_like(total * salience_sd), where=total > 0
        )
        return cls(
            positions=point.positions[0],
            position_sd=position_sd,
            weights=normalized_weights(salience),
            weight_sd=weight_sd,
            salience=salience,
            issue_power=point.issue_power[0],
            power=point.power[0],
            reservation=point.reservation[0],
            discount=point.discount[0],
        )

    def prior(self, actor: int, scenario: Scenario, rounds: int) -> Prior:
        """What every actor knows of ``actor`` before the talks, as an opponent model
        takes it."""
        return Prior(
            position=self.positions[actor],
            position_sd=self.position_sd[actor],
            weight=self.weights[actor],
            weight_sd=self.weight_sd[actor],
            low=scenario.low,
            high=scenario.high,
            loss=scenario.loss,
            rounds=rounds,
        )


def model_of(strategy: object, default: str | OpponentModel) -> OpponentModel:
    """The opponent model an actor learns with: its strategy's own (a class attribute
    ``opponent_model``, a registered name) if it names one, else the run's ``default``."""
    own = getattr(strategy, "opponent_model", None)
    chosen = own if own is not None else default
    return chosen if isinstance(chosen, OpponentModel) else get_model(chosen)


class Beliefs:
    """Every negotiator's beliefs about every other actor, for the open runs of a table.

    Parameters
    ----------
    batch
        The sampled runs (the truth each actor knows of itself).
    negotiators
        Indices of the negotiating actors (the observers, and those they model).
    models
        The opponent model of each negotiator (:func:`model_of`).
    public
        The prior (:class:`PublicKnowledge`).
    rounds
        The deadline T.
    """

    def __init__(
        self,
        batch: ScenarioBatch,
        negotiators: tuple[int, ...],
        models: dict[int, OpponentModel],
        public: PublicKnowledge,
        rounds: int,
    ) -> None:
        sc, runs = batch.scenario, batch.runs
        self.public, self.models = public, models
        self.known_position = public.position_sd == 0  # (A, I) common knowledge
        self.known_weights = np.all(public.weight_sd == 0, axis=1)  # (A,)
        self.positions: dict[int, np.ndarray] = {}
        self.weights: dict[int, np.ndarray] = {}
        self.states: dict[int, dict[int, dict]] = {}
        for a in negotiators:
            positions = np.array(np.broadcast_to(public.positions, batch.positions.shape))
            weights = np.array(np.broadcast_to(public.weights, positions.shape))
            positions[:, a], weights[:, a] = batch.positions[:, a], batch.weights[:, a]
            self.positions[a], self.weights[a] = positions, weights
            self.states[a] = {
                j: models[a].start(public.prior(j, sc, rounds), runs) for j in negotiators if j != a
            }
        self.scenario = sc

    def learn(self, proposer: int, offer: np.ndarray, t: int) -> tuple[int, ...]:
        """Every negotiator but ``proposer`` learns from its offer ``(R, I)`` at round ``t``;
        the observers whose beliefs changed."""
        observers = tuple(a for a, states in self.states.items() if proposer in states)
        for a in observers:
            model, state = self.models[a], self.states[a][proposer]
            model.update(state, offer, t)
            self._believe(a, proposer)
        return observers

    def _believe(self, a: int, j: int) -> None:
        """Copy what ``a``'s model of ``j`` says into ``a``'s believed arrays (numbers the
        scenario holds certain stay at their point estimates)."""
        model, state = self.models[a], self.states[a][j]
        positions = np.asarray(model.positions(state), float)
        self.positions[a][:, j] = np.where(
            self.known_position[j], self.public.positions[j], positions
        )
        if not self.known_weights[j]:
            self.weights[a][:, j] = model.weights(state)

    def reservation(self, a: int, floor: np.ndarray) -> np.ndarray:
        """``(R, A)`` the reservations ``a`` sees: its own (column ``a`` of ``floor``, the
        table's deal floor) and the others' point estimates plus the deal margin."""
        out = np.array(np.broadcast_to(deal_floor(self.public.reservation), floor.shape))
        out[:, a] = floor[:, a]
        return out

    def discount(self, a: int, truth: np.ndarray) -> np.ndarray:
        """``(R, A)`` the discount factors ``a`` sees: its own and the others' point
        estimates."""
        out = np.array(np.broadcast_to(self.public.discount, truth.shape))
        out[:, a] = truth[:, a]
        return out

    def counterpart(self, a: int, negotiators: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        """``a``'s counterpart ``(R, I)`` as it believes it: the power-weighted believed
        position and salience weights of the other negotiators on each issue they are party
        to, else of every other actor who is not a mediator, else its own (the rule of
        ``docs/protocols.md``, "Counterpart", with point-estimate powers)."""
        sc, public = self.scenario, self.public
        positions, weights = self.positions[a], self.weights[a]
        power = public.issue_power * sc.participation  # (A, I), the same in every run
        own = positions[:, a]
        position, believed_weights = own.copy(), np.zeros_like(own)
        others = [j for j in negotiators if j != a]
        fallback = [j for j, role in enumerate(sc.roles) if j != a and role != "mediator"]
        covered = power[others].sum(axis=0) > 0 if others else np.zeros(len(sc.issues), bool)
        groups = [others] if others == fallback else [fallback, others]
        if len(groups) == 2 and covered.all():
            groups = [others]  # the negotiators take part everywhere: no fallback needed
        for group in groups:  # the negotiators win where they take part
            if not group:
                continue
            total = power[group].sum(axis=0)  # (I,)
            ok = total > 0
            mean = np.einsum("ji,rji->ri", power[group], positions[:, group])
            mean = mean / np.where(ok, total, 1.0)
            w = np.einsum("j,rji->ri", public.power[group], weights[:, group])
            w = w / public.power[group].sum()
            position = np.where(ok, mean, position)
            believed_weights = np.where(ok, w, believed_weights)
        return position, believed_weights

    def measured(self, truth: Truth, rows: np.ndarray, packages: np.ndarray) -> np.ndarray:
        """``(len(rows), A, M)`` how well each negotiator knows the others in the open
        ``rows`` against ``truth`` (of those rows), by each measure of :data:`MEASURES`
        (:func:`accuracy`; its mean over the other negotiators, NaN for actors who do not
        negotiate)."""
        out = np.full((len(rows), len(self.scenario.actors), len(MEASURES)), np.nan)
        for a, states in self.states.items():
            measured = [
                accuracy(
                    truth,
                    a,
                    j,
                    (
                        self.positions[a][rows, j],
                        self.weights[a][rows, j],
                        deal_floor(self.public.reservation[j]),
                    ),
                    packages,
                )
                for j in states
            ]
            if measured:
                out[:, a] = np.stack([_mean_of([m[k] for m in measured]) for k in MEASURES], 1)
        return out

    def take(self, keep: np.ndarray) -> None:
        """Keep only the runs ``keep`` (a mask over the open runs)."""
        for a in self.positions:
            self.positions[a] = self.positions[a][keep]
            self.weights[a] = self.weights[a][keep]
            for state in self.states[a].values():
                take_rows(state, keep)


def _mean_of(values: list[np.ndarray]) -> np.ndarray:
    """The mean of ``(R,)`` arrays over those that are not NaN (NaN where all are)."""
    stacked = np.stack(values)
    count = np.sum(~np.isnan(stacked), axis=0)
    total = np.nansum(stacked, axis=0)
    return np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)


def accuracy_packages(scenario: Scenario, count: int = 16) -> np.ndarray:
    """``(P, I)`` packages spread over the issue scales at which beliefs are measured: the
    same for every run (a fixed seed, so the measures do not depend on the chunks)."""
    rng = np.random.default_rng(np.random.SeedSequence(20_130_000, spawn_key=(count,)))
    return scenario.low + rng.random((count, len(scenario.issues))) * (scenario.high - scenario.low)


@dataclass(frozen=True)
class Truth:
    """What a belief is measured against, for some runs: ideal points and weights
    ``(R, A, I)``, reservations ``(R, A)``; the issue ranges and the loss."""

    positions: np.ndarray
    weights: np.ndarray
    reservation: np.ndarray
    span: np.ndarray
    loss: str


def accuracy(
    truth: Truth,
    me: int,
    other: int,
    believed: tuple[np.ndarray, np.ndarray, float],
    packages: np.ndarray,
) -> dict[str, np.ndarray]:
    """How well ``me`` knows ``other``, per run ``(R,)``, by the measures GENIUS reports for
    opponent models (Baarslag et al. 2013, "Predicting the performance of opponent models"):

    * ``pearson``: Pearson correlation of the believed and the true utility of ``other``
      over ``packages`` ``(P, I)`` (NaN where either does not vary);
    * ``weight_error``: mean absolute difference of the believed and the true weights;
    * ``pareto_distance``: mean distance, in the true utility space of the two, from each
      package on the true Pareto frontier of ``packages`` (plus both true ideal points) to
      the nearest package on the believed frontier;
    * ``nash_distance``: distance, in the same space, from the true Nash package (the
      maximum of ``(u_me - r_me)(u_other - r_other)`` over those packages, gains > 0) to the
      believed one (``other``'s believed utility and reservation); NaN where either has no
      package with both gains positive.

    ``believed`` is ``other``'s believed ideal points and weights ``(R, I)`` and reservation.
    """
    positions, weights, reserve = believed
    n = len(positions)
    ideals = np.stack([truth.positions[:, me], truth.positions[:, other]], axis=1)
    candidates = np.concatenate([np.broadcast_to(packages, (n, *packages.shape)), ideals], 1)
    mine = _utility(candidates, truth.positions[:, me], truth.weights[:, me], truth)
    theirs = _utility(candidates, truth.positions[:, other], truth.weights[:, other], truth)
    guess = _utility(candidates, positions, weights, truth)
    count = len(packages)
    out = {
        "pearson": _pearson(theirs[:, :count], guess[:, :count]),
        "weight_error": np.mean(np.abs(weights - truth.weights[:, other]), axis=1),
    }
    true_front = _points(_frontier(mine, theirs), mine, theirs, np.nan)
    believed_front = _points(_frontier(mine, guess), mine, theirs, np.inf)
    gap = np.hypot(
        true_front[0][:, :, None] - believed_front[0][:, None, :],
        true_front[1][:, :, None] - believed_front[1][:, None, :],
    ).min(axis=2)
    out["pareto_distance"] = np.nanmean(gap, axis=1)
    r_me, r_other = truth.reservation[:, me, None], truth.reservation[:, other, None]
    true_nash = _nash(mine - r_me, theirs - r_other)
    believed_nash = _nash(mine - r_me, guess - np.reshape(reserve, (-1, 1)))
    rows = np.arange(n)
    both = (true_nash >= 0) & (believed_nash >= 0)
    a, b = np.maximum(true_nash, 0), np.maximum(believed_nash, 0)
    distance = np.hypot(mine[rows, a] - mine[rows, b], theirs[rows, a] - theirs[rows, b])
    out["nash_distance"] = np.where(both, distance, np.nan)
    return out


def _utility(packages: np.ndarray, ideal: np.ndarray, weights: np.ndarray, truth: Truth):
    """``(R, P)`` utilities of packages ``(R, P, I)`` to ideal points and weights ``(R, I)``."""
    gap = np.abs(packages - ideal[:, None, :]) / truth.span
    loss = gap if truth.loss == "linear" else gap**2
    return 1.0 - np.einsum("rpi,ri->rp", loss, weights)


def _points(front: np.ndarray, u: np.ndarray, v: np.ndarray, pad: float):
    """The utilities ``u, v`` of the packages on a ``front`` ``(R, P)``, first in each row,
    padded with ``pad`` to the largest front: two ``(R, K)`` arrays."""
    size = int(front.sum(axis=1).max())
    order = np.argsort(~front, axis=1, kind="stable")[:, :size]
    on = np.take_along_axis(front, order, 1)
    return tuple(np.where(on, np.take_along_axis(x, order, 1), pad) for x in (u, v))


def _pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation of ``(R, P)`` arrays (NaN where a row does not vary)."""
    x, y = x - x.mean(1, keepdims=True), y - y.mean(1, keepdims=True)
    norm = np.sqrt(np.sum(x * x, 1) * np.sum(y * y, 1))
    return np.divide(np.sum(x * y, 1), norm, out=np.full(len(x), np.nan), where=norm > 1e-12)


def _frontier(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``(R, P)`` whether each package is Pareto-optimal for utilities ``u, v`` ``(R, P)``:
    no other package is at least as good for both and better for one.

    Sorted by ``u``, then ``v``, from the best down, only the packages before one can
    dominate it: it is optimal iff its ``v`` beats all theirs, or it equals the package just
    before it in both utilities and that one is optimal (copies share their fate).
    """
    count = u.shape[1]
    order = np.lexsort((-v, -u), axis=1)
    us, vs = np.take_along_axis(u, order, 1), np.take_along_axis(v, order, 1)
    best = np.full_like(vs, -np.inf)
    best[:, 1:] = np.maximum.accumulate(vs, axis=1)[:, :-1]
    copy = np.zeros_like(vs, dtype=bool)
    copy[:, 1:] = (us[:, 1:] == us[:, :-1]) & (vs[:, 1:] == vs[:, :-1])
    # each package's first copy (itself unless it copies the one before it)
    first = np.maximum.accumulate(np.where(copy, 0, np.arange(count)), axis=1)
    optimal = np.take_along_axis(vs > best, first, axis=1)
    out = np.empty_like(optimal)
    np.put_along_axis(out, order, optimal, axis=1)
    return out


def _nash(gain_a: np.ndarray, gain_b: np.ndarray) -> np.ndarray:
    """``(R,)`` the package with the largest product of two positive gains (-1: none)."""
    product = np.where((gain_a > 0) & (gain_b > 0), gain_a * gain_b, -np.inf)
    best = np.argmax(product, axis=1)
    return np.where(np.isfinite(product.max(axis=1)), best, -1)
