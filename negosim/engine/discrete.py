"""Negotiations on a discrete domain (GENIUS/GeniusWeb): every outcome enumerated once, the
time-dependent tactics of GENIUS over many runs at once, stacked alternating offers.

**Outcome space.** :func:`outcome_space` enumerates the ``N = prod_i |X_i|`` outcomes of a
:class:`~negosim.model.domains.Domain` in C order (the last issue's value changes fastest; an
outcome's index unravels to its value indices) and computes every profile's undiscounted
utility of every outcome, ``U`` of shape ``(P, N)``, once. At most :data:`MAX_OUTCOMES`
outcomes are enumerated; a larger domain is refused naming its size.

**Tactics** (GENIUS ``agents.TimeDependentAgent``, after Faratin, Sierra and Jennings 1998).
A party with exponent ``e`` aims at time ``t`` for::

    p(t) = P_min + (P_max - P_min) * (1 - t ** (1 / e))        (e = 0: p(t) = P_max)

with ``P_max`` its best utility over all outcomes and ``P_min = max(its worst utility, its
reservation)``; ``hardliner`` is e = 0, ``boulware`` 0.2, ``linear`` 1 and ``conceder`` 2
(GENIUS ``TimeDependentAgentBoulware`` and ``...Conceder``). It bids the outcome whose utility
is nearest to ``p(t)`` on its own utility (``bidding="nearest"``, GENIUS
``SortedOutcomeSpace.getBidNearUtility``; a tie between a better and a worse neighbour goes to
the better one), or the worst outcome worth at least ``p(t)`` (``bidding="at_least"``); among
outcomes of equal utility, the one of lowest index. Both are a binary search
(``numpy.searchsorted``) in the party's sorted utilities, for all runs at once.

**Opponent model** (``models=``; bilateral only). A party may learn HardHeaded's frequency
model of its opponent (:class:`FrequencyModel`; van Krimpen, Looije and Hajizadeh 2013, GENIUS
``negotiator.boaframework.opponentmodel.HardHeadedFrequencyModel``) from every offer the
opponent makes, and then break ties by it: among the outcomes whose own utility ties for the
nearest to ``p(t)`` (both neighbours when the target is halfway; for ``"at_least"``, the
outcomes of the chosen utility) it bids the one the model believes best for the opponent;
further ties go by the rules above (the better own utility, then the lowest index).

**Protocol** (GENIUS ``StackedAlternatingOffersProtocol``, ``DiscreteTimeline``). In round
``k = 1..T`` every party moves once, in turn, at relative time ``t = k / (T + 1)``; the first
party's first move is an offer; each later move accepts the standing offer or replaces it
with the mover's bid. The offer is agreed when all other parties have accepted it in a row.
A party accepts when the offer is worth at least its target ``p(t)``
(``acceptance="target"``), or at least its own next bid (``acceptance="next"``, GENIUS
``TimeDependentAgent.isAcceptable``, AC_next), both undiscounted. An agreement counts only if
it is worth more than the reservation to every party (``u_i(x) > r_i``; equal is no deal);
the result's utilities are then discounted at the agreement time, ``u_i(x) d_i ** t``, and
otherwise each party gets its reservation discounted at the time the talks ended (``t = 1`` at
the deadline). Randomness: none; vary ``e`` run by run (drawn from a seeded
``numpy.random.Generator``) for a Monte Carlo.

Bargaining solutions by enumeration: :mod:`negosim.engine.discrete_solutions`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from negosim.model.domains import Domain
from negosim.model.errors import ArgumentError

MAX_OUTCOMES = 1_000_000
"""Most outcomes :func:`outcome_space` enumerates (about 8 MB of utilities per profile)."""

TACTICS = {"hardliner": 0.0, "boulware": 0.2, "linear": 1.0, "conceder": 2.0}
"""Named time-dependent tactics and their exponent ``e`` (GENIUS's values)."""

ACCEPTANCE = ("target", "next")
BIDDING = ("nearest", "at_least")
MODELS = ("none", "frequency")
"""Opponent models a party may learn: none, or HardHeaded's frequency model."""

LEARN_COEF = 0.2
"""HardHeaded's learning coefficient ``l`` (GENIUS's default): ``goldenValue = l / I``."""

LEARN_VALUE_ADDITION = 1
"""What each offered value adds to its count (GENIUS ``learnValueAddition``)."""

RENORMAL_CORRECTION = 0.05
"""GENIUS ``AdditiveUtilitySpace.normalizeChildren``'s ``RENORMALCORR``."""


@dataclass(frozen=True)
class Bidder:
    """One party's utilities sorted, for "the outcome worth about p" by binary search.

    ``sorted`` holds the utilities ascending; ``outcome[j]`` is the lowest-index outcome whose
    utility is ``sorted[j]``; ``high`` and ``low`` are ``P_max`` and ``P_min``. ``order``
    holds the outcomes in the order of ``sorted`` (equal utilities: lower index first), and
    ``start[j]:stop[j]`` the positions of the outcomes whose utility is ``sorted[j]``.
    """

    sorted: np.ndarray
    outcome: np.ndarray
    high: float
    low: float
    order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stop: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def of(cls, utility: np.ndarray, reservation: float) -> Bidder:
        """The bidder of a party with undiscounted ``utility`` ``(N,)`` of every outcome."""
        order = np.argsort(utility, kind="stable")  # equal utilities: lower index first
        ranked = utility[order]
        first = np.searchsorted(ranked, ranked, side="left")  # first of each equal block
        stop = np.searchsorted(ranked, ranked, side="right")
        high, low = float(ranked[-1]), max(float(ranked[0]), reservation)
        return cls(ranked, order[first], high, low, order, first, stop)

    def _best(self, a: np.ndarray, b: np.ndarray, prefer: Preference) -> np.ndarray:
        """For each row, the outcome among sorted positions ``a[r]:b[r]`` that ``prefer``
        scores highest; ties: the higher own utility, then the lower index."""
        length = b - a
        total = int(length.sum())
        row = np.repeat(np.arange(a.size), length)
        pos = (
            np.repeat(a, length) + np.arange(total) - np.repeat(np.cumsum(length) - length, length)
        )
        outcome = self.order[pos]
        score = prefer(row, outcome)
        ranked = np.lexsort((outcome, -self.sorted[pos], -score, row))
        firsts = np.searchsorted(row[ranked], np.arange(a.size), side="left")
        return outcome[ranked[firsts]]

    def target(self, t: float, e: np.ndarray) -> np.ndarray:
        """``p(t) = P_min + (P_max - P_min)(1 - t^(1/e))`` for each exponent (``P_max`` at
        e = 0)."""
        e = np.asarray(e, dtype=float)
        safe = np.where(e > 0, e, 1.0)
        conceded = np.power(t, 1.0 / safe)
        # e = 0 is P_max itself: P_min + (P_max - P_min) can miss it by a rounding, and then
        # a hardliner refuses its own best outcome
        return np.where(e > 0, self.low + (self.high - self.low) * (1.0 - conceded), self.high)

    def nearest(self, target: np.ndarray, prefer: Preference | None = None) -> np.ndarray:
        """The outcome whose utility is nearest each target (a tie: the better one).

        With ``prefer`` (a score of ``(row, outcome)`` pairs, higher better: an opponent
        model's belief), the best-scored of all the outcomes whose utility ties for the
        nearest (both neighbours' when the target is halfway between them), then as above.
        """
        above = np.searchsorted(self.sorted, target, side="left")
        hi = np.minimum(above, self.sorted.size - 1)
        lo = np.maximum(above - 1, 0)
        gap_hi, gap_lo = np.abs(self.sorted[hi] - target), np.abs(target - self.sorted[lo])
        up = gap_hi <= gap_lo
        if prefer is None:
            return self.outcome[np.where(up, hi, lo)]
        down = gap_lo <= gap_hi
        a = np.where(down, self.start[lo], self.start[hi])
        b = np.where(up, self.stop[hi], self.stop[lo])
        return self._best(a, b, prefer)

    def at_least(self, target: np.ndarray, prefer: Preference | None = None) -> np.ndarray:
        """The worst outcome worth at least each target (the best one when none is); with
        ``prefer``, the best-scored of the outcomes of that utility, then the lowest index."""
        above = np.minimum(np.searchsorted(self.sorted, target, side="left"), self.sorted.size - 1)
        if prefer is None:
            return self.outcome[above]
        return self._best(self.start[above], self.stop[above], prefer)


def _sequential_sum(w: np.ndarray) -> np.ndarray:
    """``(k,)`` the rows of ``w`` ``(k, I)`` summed left to right (as GENIUS's loops do; numpy's
    own sum may pair the terms differently)."""
    total = w[:, 0].copy()
    for i in range(1, w.shape[1]):
        total = total + w[:, i]
    return total


Preference = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""A score of outcomes for rows of a batch: ``prefer(rows, outcomes) -> scores``, higher is
better (an opponent model's belief of the opponent's utility)."""


@dataclass(eq=False)
class FrequencyModel:
    """HardHeaded's frequency model of one opponent, one per run (GENIUS
    ``HardHeadedFrequencyModel``, van Krimpen, Looije and Hajizadeh 2013), on value indices.

    It starts with every weight ``1 / I`` and every value's count 1. The opponent's first offer
    is only remembered; each later offer ``b`` (after the previous ``b'``) updates it, with
    ``g = l / I`` (:data:`LEARN_COEF` ``l``), ``m`` the number of issues whose value did not
    change, ``T = 1 + g m`` and ``w_max = 1 - I g / T``:

    1. issue by issue, in order: ``w_i <- (w_i + g) / T`` if unchanged and ``w_i < w_max``,
       else ``w_i / T``; each such assignment is GENIUS's ``setWeight``, which then
       renormalises all the weights (``normalizeChildren``: ``w_k <- max(0, w_k - D (w_k +
       c) / (S + c I))`` with ``S = sum_k w_k``, ``D = S - 1``, ``c`` =
       :data:`RENORMAL_CORRECTION`; one issue: ``w = 1``) and puts ``w_i`` back if the sum is
       then outside (0.98, 1.02);
    2. each issue's offered value's count grows by :data:`LEARN_VALUE_ADDITION`.

    The believed utility of an outcome ``x`` is ``min(1, sum_i w_i * (n_i(x_i) / max_v
    n_i(v)))``, summed issue by issue. Integer issues count their values as discrete values
    (GENIUS's model casts every issue to a discrete one).
    """

    weights: np.ndarray
    counts: np.ndarray
    top: np.ndarray
    last: np.ndarray
    seen: np.ndarray
    learn: float = LEARN_COEF

    @classmethod
    def start(cls, runs: int, shape: Sequence[int], learn: float = LEARN_COEF) -> FrequencyModel:
        """A fresh model for ``runs`` runs on issues of ``shape`` values."""
        issues = len(shape)
        return cls(
            np.full((runs, issues), 1.0 / issues),
            np.ones((runs, issues, max(shape)), dtype=np.int64),
            np.ones((runs, issues), dtype=np.int64),
            np.zeros((runs, issues), dtype=np.int64),
            np.zeros(runs, dtype=np.int64),
            learn,
        )

    def update(self, rows: np.ndarray, values: np.ndarray) -> None:
        """The opponent offered the outcomes of value indices ``values`` ``(k, I)`` in runs
        ``rows`` ``(k,)``."""
        self.seen[rows] += 1
        later = self.seen[rows] > 1
        first_rows = rows[~later]
        self.last[first_rows] = values[~later]
        rows, values = rows[later], values[later]
        if rows.size == 0:
            return
        issues = values.shape[1]
        golden = self.learn / issues
        same = values == self.last[rows]
        total = 1.0 + golden * same.sum(axis=1)
        maximum = 1.0 - issues * golden / total
        w = self.weights[rows]
        for i in range(issues):
            old = w[:, i].copy()
            grow = same[:, i] & (old < maximum)
            w[:, i] = np.where(grow, (old + golden) / total, old / total)
            if issues == 1:
                w[:, 0] = 1.0
            else:  # normalizeChildren, in GENIUS's order of operations
                s = _sequential_sum(w)
                corrected = s + RENORMAL_CORRECTION * issues
                w = np.maximum(
                    0.0, w - (s - 1.0)[:, None] * (w + RENORMAL_CORRECTION) / corrected[:, None]
                )
            s = _sequential_sum(w)
            back = ~((s > 0.98) & (s < 1.02))
            w[back, i] = old[back]
        self.weights[rows] = w
        for i in range(issues):
            self.counts[rows, i, values[:, i]] += LEARN_VALUE_ADDITION
            self.top[rows, i] = np.maximum(self.top[rows, i], self.counts[rows, i, values[:, i]])
        self.last[rows] = values

    def belief(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        """The believed opponent utility of outcomes of value indices ``values`` ``(k, I)``,
        each in its run of ``rows`` ``(k,)``."""
        total = np.zeros(rows.size)
        for i in range(values.shape[1]):
            share = self.counts[rows, i, values[:, i]] / self.top[rows, i]
            total = total + self.weights[rows, i] * share
        return np.minimum(total, 1.0)


@dataclass(frozen=True, eq=False)
class OutcomeSpace:
    """Every outcome of a domain and every profile's utility of it.

    Attributes
    ----------
    domain
        The domain enumerated.
    utility
        ``(P, N)`` undiscounted utilities, profile by profile, outcome by outcome.
    """

    domain: Domain
    utility: np.ndarray
    _bidders: dict[int, Bidder] = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        """The number of values of each issue."""
        return tuple(issue.size for issue in self.domain.issues)

    @property
    def size(self) -> int:
        """The number of outcomes ``N``."""
        return int(self.utility.shape[1])

    @property
    def reservation(self) -> np.ndarray:
        """``(P,)`` undiscounted reservation values."""
        return np.array([p.reservation for p in self.domain.profiles])

    @property
    def delta(self) -> np.ndarray:
        """``(P,)`` discount factors in effect (1: no discount)."""
        return np.array([p.delta for p in self.domain.profiles])

    def values(self, outcome: np.ndarray | int) -> np.ndarray:
        """The value indices ``(..., I)`` of outcomes given by index."""
        return np.stack(np.unravel_index(np.asarray(outcome), self.shape), axis=-1)

    def labels(self, outcome: int) -> tuple[str, ...]:
        """The value labels of one outcome."""
        return tuple(
            issue.values[k]
            for issue, k in zip(self.domain.issues, self.values(outcome), strict=True)
        )

    def parties(self, parties: Sequence[int | str] | None) -> tuple[int, ...]:
        """Profile indices of ``parties`` (indices or names; all profiles when None)."""
        if parties is None:
            return tuple(range(len(self.domain.profiles)))
        found = tuple(self.domain.profile_index(p) for p in parties)
        if len(set(found)) < len(found):
            raise ArgumentError("parties", f"a profile is named twice in {list(parties)}")
        return found

    def bidder(self, party: int) -> Bidder:
        """The (cached) :class:`Bidder` of profile ``party``."""
        if party not in self._bidders:
            reservation = self.domain.profiles[party].reservation
            self._bidders[party] = Bidder.of(self.utility[party], reservation)
        return self._bidders[party]


def outcome_space(domain: Domain, *, max_outcomes: int = MAX_OUTCOMES) -> OutcomeSpace:
    """Enumerate ``domain``'s outcomes and every profile's utility of each.

    ``U[p, x] = min(1, sum_i w_pi v_pi(x_i))``, summed issue by issue in the order of the
    domain (the same sums, in the same order, as :meth:`Domain.utility`).

    Raises
    ------
    ArgumentError
        The domain has more than ``max_outcomes`` outcomes.
    """
    if domain.size > max_outcomes:
        raise ArgumentError(
            "domain",
            f"{domain.name} has {domain.size:,} outcomes; at most {max_outcomes:,} are "
            "enumerated (max_outcomes)",
        )
    rows = []
    for profile in domain.profiles:
        total = np.zeros(1)
        for table in profile.tables(domain.issues):
            total = (total[:, None] + table[None, :]).ravel()
        rows.append(np.minimum(total, 1.0))
    return OutcomeSpace(domain, np.stack(rows))


@dataclass(frozen=True, eq=False)
class DiscreteResult:
    """The runs of :func:`negotiate`, runs axis first.

    Attributes
    ----------
    space, parties
        The outcome space and the profiles that negotiated, in turn order.
    e
        ``(R, n)`` each party's exponent in each run.
    agreed
        ``(R,)`` a deal worth more than every party's reservation.
    rounds
        ``(R,)`` the round the talks ended in (the deadline ``T`` without agreement).
    time
        ``(R,)`` relative time the talks ended at: ``k / (T + 1)``, or 1 at the deadline.
    outcome
        ``(R,)`` the agreed outcome's index, -1 without a deal.
    utility
        ``(R, n)`` discounted utilities of the deal, or discounted reservations.
    """

    space: OutcomeSpace
    parties: tuple[int, ...]
    e: np.ndarray
    agreed: np.ndarray
    rounds: np.ndarray
    time: np.ndarray
    outcome: np.ndarray
    utility: np.ndarray

    @property
    def runs(self) -> int:
        """The number of runs ``R``."""
        return int(self.agreed.size)

    @property
    def party_names(self) -> tuple[str, ...]:
        """The negotiating profiles' names, in turn order."""
        return tuple(self.space.domain.profiles[p].name for p in self.parties)

    def to_frame(self) -> pd.DataFrame:
        """One row per run: ``run, agreed, rounds, time``, ``outcome.<issue>`` (the value
        label, categorical; missing without a deal) and ``utility.<party>``."""
        frame = pd.DataFrame(
            {
                "run": np.arange(self.runs),
                "agreed": self.agreed,
                "rounds": self.rounds,
                "time": self.time,
            }
        )
        codes = np.where(self.agreed[:, None], self.space.values(np.maximum(self.outcome, 0)), -1)
        for i, issue in enumerate(self.space.domain.issues):
            frame[f"outcome.{issue.name}"] = pd.Categorical.from_codes(
                codes[:, i], categories=pd.Index(issue.values, dtype=object)
            )
        for k, name in enumerate(self.party_names):
            frame[f"utility.{name}"] = self.utility[:, k]
        return frame


def exponents(
    tactics: Sequence[str | float | np.ndarray] | Mapping[str, str | float | np.ndarray],
    names: Sequence[str],
    runs: int | None,
) -> np.ndarray:
    """The ``(R, n)`` exponents of ``tactics``: one per party (a name of :data:`TACTICS`, a
    number ``e >= 0`` or an array of one per run), in party order or by party name."""
    if isinstance(tactics, Mapping):
        unknown = [k for k in tactics if k not in names]
        if unknown or len(tactics) != len(names):
            raise ArgumentError(
                "tactics", f"give one tactic for each of {', '.join(names)} (got {list(tactics)})"
            )
        tactics = [tactics[n] for n in names]
    if len(tactics) != len(names):
        raise ArgumentError("tactics", f"{len(tactics)} tactics for {len(names)} parties")
    columns = []
    for name, tactic in zip(names, tactics, strict=True):
        if isinstance(tactic, str):
            if tactic not in TACTICS:
                raise ArgumentError(
                    "tactics", f"{name}: unknown tactic {tactic!r}; known: {', '.join(TACTICS)}"
                )
            tactic = TACTICS[tactic]
        column = np.asarray(tactic, dtype=float)
        if column.ndim > 1 or not np.all(np.isfinite(column)) or np.any(column < 0):
            raise ArgumentError("tactics", f"{name}: e must be a finite number >= 0 or one per run")
        columns.append(column)
    sizes = {c.size for c in columns if c.ndim == 1}
    if runs is None:
        runs = sizes.pop() if len(sizes) == 1 else 1
    if sizes - {runs}:
        raise ArgumentError("tactics", f"arrays of {sorted(sizes)} exponents for {runs} runs")
    return np.stack([np.broadcast_to(c, (runs,)) for c in columns], axis=1).astype(float)


def negotiate(
    space: OutcomeSpace | Domain,
    tactics: Sequence[str | float | np.ndarray] | Mapping[str, str | float | np.ndarray],
    *,
    rounds: int = 100,
    runs: int | None = None,
    parties: Sequence[int | str] | None = None,
    acceptance: str = "target",
    bidding: str = "nearest",
    models: Sequence[str | bool | np.ndarray | None]
    | Mapping[str, str | bool | np.ndarray | None]
    | None = None,
) -> DiscreteResult:
    """Time-dependent tactics against each other under stacked alternating offers, for all
    runs at once (the rules are in the module's docstring).

    Parameters
    ----------
    space
        An :class:`OutcomeSpace` (or a domain, enumerated here).
    tactics
        One per party, in turn order or by name: ``"boulware"``, ``"linear"``,
        ``"conceder"``, ``"hardliner"``, an exponent ``e >= 0`` or an array ``(R,)`` of them.
    rounds
        The deadline ``T`` in rounds (every party moves once a round).
    runs
        The number of runs ``R`` (default: the length of the tactics' arrays, else 1).
    parties
        The negotiating profiles in turn order (default: all the domain's, in order).
    acceptance, bidding
        ``"target"`` or ``"next"``; ``"nearest"`` or ``"at_least"``.
    models
        The opponent model each party learns and breaks its ties by, in turn order or by
        name: ``"frequency"`` (HardHeaded's, :class:`FrequencyModel`), ``"none"`` (or None),
        or an array ``(R,)`` of booleans (the frequency model in the runs that are True).
        Two parties only. Default: none.

    Examples
    --------
    >>> from negosim.io import read_domain                              # doctest: +SKIP
    >>> space = outcome_space(read_domain("EnglandZimbabwe"))           # doctest: +SKIP
    >>> rng = np.random.default_rng(7)                                  # doctest: +SKIP
    >>> res = negotiate(space, [rng.uniform(0.1, 2, 10_000), "boulware"])  # doctest: +SKIP
    >>> res.agreed.mean(), res.to_frame().head()                        # doctest: +SKIP
    """
    if isinstance(space, Domain):
        space = outcome_space(space)
    if isinstance(rounds, bool) or not isinstance(rounds, int | np.integer) or rounds < 1:
        raise ArgumentError("rounds", f"a whole number >= 1, not {rounds!r}")
    if acceptance not in ACCEPTANCE:
        raise ArgumentError("acceptance", f"{acceptance!r}; choose {' or '.join(ACCEPTANCE)}")
    if bidding not in BIDDING:
        raise ArgumentError("bidding", f"{bidding!r}; choose {' or '.join(BIDDING)}")
    if runs is not None and (
        isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1
    ):
        raise ArgumentError("runs", f"a whole number >= 1, not {runs!r}")
    who = space.parties(parties)
    if len(who) < 2:
        raise ArgumentError("parties", "a negotiation needs at least two parties")
    names = [space.domain.profiles[p].name for p in who]
    e = exponents(tactics, names, runs)
    learns = opponent_models(models, names, e.shape[0])
    ended, outcome = _play(space, who, e, int(rounds), acceptance, bidding, learns)
    return _settle(space, who, e, int(rounds), ended, outcome)


def opponent_models(
    models: Sequence[str | bool | np.ndarray | None]
    | Mapping[str, str | bool | np.ndarray | None]
    | None,
    names: Sequence[str],
    runs: int,
) -> np.ndarray:
    """``(R, n)``: whether each party learns the frequency model in each run (``models`` as
    :func:`negotiate` takes them)."""
    if models is None:
        return np.zeros((runs, len(names)), dtype=bool)
    if isinstance(models, Mapping):
        unknown = [k for k in models if k not in names]
        if unknown:
            raise ArgumentError("models", f"{unknown[0]!r} does not negotiate here")
        models = [models.get(n) for n in names]
    if isinstance(models, str) or len(models) != len(names):
        raise ArgumentError("models", f"give one model for each of {', '.join(names)}")
    columns = []
    for name, model in zip(names, models, strict=True):
        if model is None or isinstance(model, str | bool | np.bool_):
            if isinstance(model, str) and model not in MODELS:
                raise ArgumentError(
                    "models", f"{name}: unknown model {model!r}; known: {', '.join(MODELS)}"
                )
            model = model == "frequency" if isinstance(model, str) else bool(model)
        column = np.asarray(model)
        if column.dtype != bool or column.ndim > 1 or (column.ndim == 1 and column.size != runs):
            raise ArgumentError("models", f"{name}: a model name, or {runs} booleans (one per run)")
        columns.append(np.broadcast_to(column, (runs,)))
    learns = np.stack(columns, axis=1)
    if learns.any() and len(names) != 2:
        raise ArgumentError(
            "models", "an opponent model needs a bilateral negotiation (two parties)"
        )
    return learns


def _play(
    space: OutcomeSpace,
    who: tuple[int, ...],
    e: np.ndarray,
    rounds: int,
    acceptance: str,
    bidding: str,
    learns: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The round each run's offer was agreed in (``rounds + 1``: never) and the offer."""
    runs, n = e.shape
    bidders = [space.bidder(p) for p in who]
    utility = space.utility[list(who)]
    offer = np.full(runs, -1, dtype=np.int64)
    accepts = np.zeros(runs, dtype=np.int64)
    ended = np.full(runs, rounds + 1, dtype=np.int64)
    open_runs = np.arange(runs)
    learns = np.zeros((runs, n), dtype=bool) if learns is None else learns
    # party j's model of its opponent (bilateral: the other party), where it learns one
    models = [
        FrequencyModel.start(runs, space.shape) if learns[:, j].any() else None for j in range(n)
    ]

    def preference(j: int, rows: np.ndarray) -> Preference | None:
        model = models[j]
        if model is None:
            return None
        uses = learns[rows, j]

        def prefer(row: np.ndarray, outcome: np.ndarray) -> np.ndarray:
            belief = model.belief(rows[row], space.values(outcome))
            return np.where(uses[row], belief, 0.0)

        return prefer

    def observe(j: int, rows: np.ndarray, bid: np.ndarray) -> None:
        """Party j offered ``bid`` in runs ``rows``: its opponent's model learns it."""
        other = models[1 - j] if n == 2 else None
        if other is not None and rows.size:
            other.update(rows, space.values(bid))

    for k in range(1, rounds + 1):
        t = k / (rounds + 1)
        for j, bidder in enumerate(bidders):
            if open_runs.size == 0:
                return ended, offer
            target = bidder.target(t, e[open_runs, j])
            prefer = preference(j, open_runs)
            if bidding == "nearest":
                bid = bidder.nearest(target, prefer)
            else:
                bid = bidder.at_least(target, prefer)
            if k == 1 and j == 0:
                offer[open_runs] = bid
                observe(j, open_runs, bid)
                continue
            standing = offer[open_runs]
            bar = target if acceptance == "target" else utility[j, bid]
            yes = utility[j, standing] >= bar
            count = np.where(yes, accepts[open_runs] + 1, 0)
            offer[open_runs] = np.where(yes, standing, bid)
            accepts[open_runs] = count
            observe(j, open_runs[~yes], bid[~yes])
            done = count == n - 1
            if done.any():
                ended[open_runs[done]] = k
                open_runs = open_runs[~done]
    return ended, offer


def _settle(
    space: OutcomeSpace,
    who: tuple[int, ...],
    e: np.ndarray,
    rounds: int,
    ended: np.ndarray,
    offer: np.ndarray,
) -> DiscreteResult:
    """Deals that beat every reservation, and the discounted utilities of each run."""
    parties = list(who)
    reached = ended <= rounds
    time = np.where(reached, ended / (rounds + 1), 1.0)
    worth = space.utility[parties][:, np.maximum(offer, 0)].T  # (R, n) undiscounted
    reservation = space.reservation[parties]
    agreed = reached & np.all(worth > reservation, axis=1)
    factor = space.delta[parties][None, :] ** time[:, None]
    utility = np.where(agreed[:, None], worth, reservation[None, :]) * factor
    return DiscreteResult(
        space,
        who,
        e,
        agreed,
        np.minimum(ended, rounds),
        time,
        np.where(agreed, offer, -1),
        utility,
    )
