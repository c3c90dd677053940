"""The strategy contract shared by the vectorized core and the Mesa agents.

A strategy decides, for one actor, in every run of a batch at once:

* :meth:`Strategy.target`: the utility it aims for at this round (its aspiration);
* :meth:`Strategy.propose`: the package it offers when it is the proposer;
* :meth:`Strategy.respond`: whether it accepts the offer on the table;
* :meth:`Strategy.observe`: what it remembers of an offer made by someone else.

Each method receives a :class:`View`: read-only arrays of the runs still negotiating, with
the runs axis first, plus a ``state`` dict in which the strategy keeps per-run memory (arrays
with the runs axis first, so the engine can drop finished runs from them). The same objects
serve a batch of 10^6 runs and one Mesa agent (a batch of one run).

The contract in full, with an example strategy: ``docs/strategies.md``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from negosim.model.errors import ArgumentError
from negosim.model.names import snake_case
from negosim.model.preferences import inverse_loss, issue_loss, utility_of

ACCEPT_TOLERANCE = 1e-9
"""Offers within this much utility of a target count as meeting it (guards float rounding)."""


@dataclass
class View:
    """What one actor sees in one round, for every run still negotiating.

    Its arrays hold for the call they are passed to (the table updates beliefs in place):
    a strategy that keeps one for later keeps a copy.

    Attributes
    ----------
    me
        Index of the actor.
    t, rounds
        Round index (0-based) and deadline ``T``; relative time is ``tau = t / (T - 1)``.
    positions, weights
        ``(R, A, I)`` ideal points and normalised salience weights of every actor.
    span
        ``(I,)`` issue ranges.
    reservation
        ``(R, A)`` reservation utilities.
    discount
        ``(R, A)`` per-round discount factors (1 = patient).
    counterpart
        ``(R, I)`` power-weighted position of the other negotiators (what a concession moves
        toward).
    counterpart_weights
        ``(R, I)`` power-weighted salience weights of the other negotiators (who cares how
        much about each issue), normalised per run.
    negotiators
        Indices of the negotiating actors.
    state
        Per-run memory of this actor's strategy (arrays with the runs axis first).
    noise
        Callable ``noise(t) -> (R,)`` uniform draws in [0, 1), reproducible per run.
    loss
        ``"linear"`` or ``"quadratic"``.
    settled, fixed
        ``(R, I)`` issues a unilateral move has taken off the table, and the values they are
        settled at (None when no move can be made): an offer carries those values.
    ends
        :meth:`concession_ends`, when the table has already computed it.
    memo
        Values derived from this actor's view that hold until the next move or until
        finished runs are dropped (the table keeps them per actor; None: none are kept).
        See :meth:`remember`.
    scale
        ``(low, high)`` of every issue, ``(I,)`` each (None where not known): an offer must
        lie on the scales.
    information
        ``"complete"``: every row of ``positions``, ``weights``, ``reservation`` and
        ``discount`` is the actor's true number; ``"learned"``: only row ``me`` is, the
        others are this actor's beliefs (``docs/protocols.md``, "Information"), and so are
        ``counterpart``, ``counterpart_weights`` and :meth:`utility_for`.
    """

    me: int
    t: int
    rounds: int
    positions: np.ndarray
    weights: np.ndarray
    span: np.ndarray
    reservation: np.ndarray
    discount: np.ndarray
    counterpart: np.ndarray
    counterpart_weights: np.ndarray
    negotiators: tuple[int, ...]
    state: dict[str, Any] = field(default_factory=dict)
    noise: Callable[[int], np.ndarray] | None = None
    loss: str = "linear"
    settled: np.ndarray | None = None
    fixed: np.ndarray | None = None
    ends: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    memo: dict[str, Any] | None = None
    scale: tuple[np.ndarray, np.ndarray] | None = None
    information: str = "complete"

    @property
    def tau(self) -> float:
        """Relative time ``t / (T - 1)`` in [0, 1]."""
        return self.t / max(self.rounds - 1, 1)

    @property
    def runs(self) -> int:
        """Number of runs in view."""
        return self.positions.shape[0]

    @property
    def my_position(self) -> np.ndarray:
        return self.positions[:, self.me, :]

    @property
    def my_weights(self) -> np.ndarray:
        return self.weights[:, self.me, :]

    @property
    def my_reservation(self) -> np.ndarray:
        return self.reservation[:, self.me]

    def my_utility(self, packages: np.ndarray) -> np.ndarray:
        """This actor's utility of packages ``(R, I)``."""
        return utility_of(packages, self.my_position, self.my_weights, self.span, self.loss)

    def utility_for(self, actor: int, packages: np.ndarray) -> np.ndarray:
        """Another actor's utility of packages ``(R, I)`` (believed under ``"learned"``)."""
        return utility_of(
            packages, self.positions[:, actor, :], self.weights[:, actor, :], self.span, self.loss
        )

    def concession_ends(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where this actor's concessions start and end, and the loss already fixed.

        Returns ``(ideal, goal, sunk)``: its ideal point and its counterpart's position
        ``(R, I)``, both at the settled value on settled issues (nothing to concede there),
        and ``sunk`` ``(R,)``, the utility the settled issues already cost it.
        """
        if self.ends is not None:
            return self.ends
        return self.remember("concession_ends", self._concession_ends)

    def remember(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()``, kept in :attr:`memo` under ``key`` while it holds (the same value
        until the next move or until finished runs are dropped)."""
        if self.memo is None:
            return build()
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    def _concession_ends(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ideal, goal = self.my_position, self.counterpart
        if self.settled is None or not self.settled.any():
            return ideal, goal, np.zeros(self.runs)
        ideal = np.where(self.settled, self.fixed, ideal)
        goal = np.where(self.settled, self.fixed, goal)
        gap = (self.fixed - self.my_position) / self.span
        sunk = np.sum(np.where(self.settled, self.my_weights * issue_loss(gap, self.loss), 0), 1)
        return ideal, goal, sunk

    @property
    def opponents(self) -> tuple[int, ...]:
        """The other negotiators."""
        return tuple(j for j in self.negotiators if j != self.me)


def classify(
    *,
    concedes_over_time: bool = False,
    reacts_to_opponent: bool = False,
    stochastic: bool = False,
    uses_linkage: bool = False,
) -> dict[str, bool]:
    """A strategy's classifier dict (the four facts users filter strategies by)."""
    return {
        "concedes_over_time": concedes_over_time,
        "reacts_to_opponent": reacts_to_opponent,
        "stochastic": stochastic,
        "uses_linkage": uses_linkage,
    }


class Strategy:
    """Base class of negotiation strategies.

    Subclasses set ``name`` (default: the class name in snake case, ``MyStrategy`` ->
    ``"my_strategy"``), ``classifier`` and ``citation`` and override :meth:`target`;
    the default :meth:`propose` concedes along the straight line from the actor's ideal point
    toward its counterpart until its utility equals the target, and the default
    :meth:`respond` accepts an offer worth at least the target.

    The ``classifier`` dict follows the Axelrod library's idea: a few yes/no facts that let
    users filter strategies (``concedes_over_time``, ``reacts_to_opponent``, ``stochastic``,
    ``uses_linkage``).

    Examples
    --------
    >>> import numpy as np
    >>> class HalfWay(Strategy):
    ...     def target(self, view):
    ...         return np.full(view.runs, 0.5)
    >>> HalfWay.name
    'half_way'
    """

    name: ClassVar[str] = "strategy"
    classifier: ClassVar[dict[str, bool]] = classify()
    citation: ClassVar[str] = ""
    per_run: ClassVar[tuple[str, ...]] = ()
    """Parameters that may be given one value per run (an array as long as the runs)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in vars(cls):  # an unnamed subclass must not pass as its parent
            cls.name = snake_case(cls.__name__)

    def target(self, view: View) -> np.ndarray:
        """Aspired utility at this round, shape ``(R,)``."""
        raise NotImplementedError

    def propose(self, view: View) -> np.ndarray:
        """The package offered, shape ``(R, I)``."""
        return concession_line(view, checked_target(self, view))

    def respond(self, view: View, offer_utility: np.ndarray) -> np.ndarray:
        """Accept (True) or reject each run's offer, given this actor's utility of it."""
        return offer_utility >= checked_target(self, view) - ACCEPT_TOLERANCE

    def observe(self, view: View, proposer: int, offer: np.ndarray) -> None:
        """Remember an offer made by ``proposer`` (default: nothing to remember)."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted((k, str(v)) for k, v in vars(self).items()))))


def concession_line(view: View, target: np.ndarray) -> np.ndarray:
    """The point on the segment from the actor's ideal toward its counterpart worth ``target``.

    Moving a fraction ``lam`` of the way costs ``D * f(lam)`` utility, with ``D`` the loss of
    the whole move and ``f`` the loss function (``lam`` or ``lam**2``), so
    ``lam = f^-1((1 - sunk - target) / D)`` clipped to [0, 1], where ``sunk`` is what the
    issues settled by unilateral moves already cost the actor (they do not move; see
    :meth:`View.concession_ends`).
    """
    ideal, goal, sunk = view.concession_ends()
    start, way, full, moving = view.remember("concession_line", lambda: _line(view, ideal, goal))
    budget = np.divide(1.0 - sunk - target, full, out=np.ones_like(full), where=moving)
    lam = inverse_loss(budget, view.loss)  # a new array, already >= 0: clip it in place
    np.minimum(lam, 1.0, out=lam)
    offer = way * lam  # issue-major (I, R): every pass here and in the evaluator is contiguous
    offer += start
    return offer.T


def _line(view: View, ideal: np.ndarray, goal: np.ndarray) -> tuple[np.ndarray, ...]:
    """The ideal and the way from it to the goal, issue-major ``(I, R)``; the loss of going
    all the way, and where that is > 0."""
    way = goal - ideal
    full = np.sum(view.my_weights * issue_loss(way / view.span, view.loss), axis=-1)
    return np.ascontiguousarray(ideal.T), np.ascontiguousarray(way.T), full, full > 0


def with_params(strategy: Strategy, values: dict[str, Any]) -> Strategy:
    """A copy of ``strategy`` with the parameters in ``values`` replaced (``strategy`` itself
    when there are none)."""
    if not values:
        return strategy
    out = copy.copy(strategy)
    vars(out).update(values)
    return out


def of_runs(strategy: Strategy, rows: Any, runs: int) -> Strategy:
    """``strategy`` for the runs ``rows`` (an index into ``runs`` runs): every parameter
    holding one value per run (an array as long as the runs) indexed by ``rows``."""
    return with_params(
        strategy,
        {
            key: value[rows]
            for key, value in vars(strategy).items()
            if isinstance(value, np.ndarray) and value.ndim and len(value) == runs
        },
    )


def take_rows(values: dict[str, Any], keep: np.ndarray) -> None:
    """Keep the rows in ``keep`` (a mask over the runs) of every per-run array in ``values``
    (a strategy's or an opponent model's memory: arrays with the runs axis first)."""
    for key, value in values.items():
        if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == keep.size:
            values[key] = value[keep]


def checked_target(strategy: Strategy, view: View) -> np.ndarray:
    """``strategy.target(view)``, refused with a clear message unless it is ``(R,)`` finite
    numbers, onto :data:`TARGET_RANGE`."""
    target = _checked(strategy, "target", strategy.target(view), (view.runs,), "R,", float)
    return np.clip(target, *TARGET_RANGE)


TARGET_RANGE = (-1.0, 2.0)
"""A target is clipped onto this range. Utilities lie in [0, 1] and what moves have cost an
actor in [0, 1], so a target above 1 (accept nothing) or below 0 (accept anything) offers and
answers the same there, and the arithmetic on it cannot overflow (a target of 1e308 did)."""


def checked_propose(strategy: Strategy, view: View) -> np.ndarray:
    """``strategy.propose(view)``, refused with a clear message unless it is ``(R, I)``
    finite numbers, each within its issue's scale (``view.low``, ``view.high`` where the
    view carries them)."""
    shape = (view.runs, view.span.shape[0])
    offer = _checked(strategy, "propose", strategy.propose(view), shape, "R, I", float)
    low, high = view.scale if view.scale is not None else (None, None)
    if low is not None:
        margin = SCALE_TOLERANCE * view.span
        if np.any(offer < low - margin) or np.any(offer > high + margin):
            raise _refused(strategy, "propose", "a package outside the issue scales")
    return offer


def checked_respond(strategy: Strategy, view: View, offer_utility: np.ndarray) -> np.ndarray:
    """``strategy.respond(view, offer_utility)``, refused unless it is ``(R,)`` booleans (a
    bool array, or numbers that are all 0 or 1)."""
    votes = strategy.respond(view, offer_utility)
    return _checked(strategy, "respond", votes, (view.runs,), "R,", bool)


SCALE_TOLERANCE = 1e-9
"""A proposed package may overshoot an issue's scale by this share of its span (round-off);
the table then clips it onto the scale."""


def _refused(strategy: Strategy, method: str, problem: str) -> ArgumentError:
    return ArgumentError(
        f"strategy {strategy.name!r} ({type(strategy).__name__})",
        f"{method}() returned {problem} (see docs/strategies.md)",
    )


def _checked(strategy: Strategy, method: str, value: Any, shape: tuple, axes: str, dtype: type):
    got = np.shape(value)
    if got != shape:  # a scalar or a wrong axis would broadcast silently into every run
        raise _refused(
            strategy,
            method,
            f"shape {got}, expected ({axes}) = {shape} (one row per run in view.runs)",
        )
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise _refused(strategy, method, f"values of type {array.dtype}, expected numbers")
    if dtype is bool:
        if array.dtype.kind != "b" and not np.isin(array, (0, 1)).all():
            raise _refused(strategy, method, "values other than True/False (or 1/0)")
        return array.astype(bool)
    array = array.astype(float)
    if not np.isfinite(array).all():
        raise _refused(strategy, method, "a value that is not finite (NaN or infinite)")
    return array
