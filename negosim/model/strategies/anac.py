"""Learning agents of the Automated Negotiating Agents Competition (ANAC), after GENIUS 10.4.

Four winners, each following its GENIUS 10.4 Java source (the file named in its docstring)
on negosim's continuous issues and discrete rounds:

* :class:`HardHeaded` (ANAC 2011): a Boulware curve with a discount-dependent shape, its bids
  the package best for the opponent, by a frequency model, among those worth its target.
* :class:`AgentK` (ANAC 2010): a target from the mean and the spread of what the opponent
  has offered, and a randomized acceptance.
* :class:`NiceTitForTat` (ANAC 2011): gives back the opponent's concession, measured
  toward the believed Nash point of a Bayesian model.
* :class:`PonPoko` (ANAC 2017): one of five threshold patterns, drawn per run.

Time: the Java's normalized time is ``tau = t / (T - 1)``; its session discount factor ``d``
(utility ``u d^tau``) is the per-round factor over the whole negotiation, ``delta^(T - 1)``
(:func:`session_discount`). Utilities are the actor's own (``view.my_utility``); what it
believes of others (``view.utility_for``, ``view.counterpart``, ``view.counterpart_weights``)
is true under ``information="complete"`` and the opponent model's estimate under
``"learned"``. Every method reads only its view.

Several opponents (the Java agents are bilateral): the offers of every other negotiator go
into one history, and the opponent's utility is the mean of the opponents' (believed)
utilities (:func:`opponents_utility`).

The rules with their formulas and the Java lines they follow: ``docs/strategies.md``,
"Learning strategies (ANAC)".
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from negosim.model.preferences import inverse_loss, issue_loss
from negosim.model.strategies.base import ACCEPT_TOLERANCE, Strategy, View, classify
from negosim.model.strategies.trade_off import logroll, logrolls

KRIMPEN_2013 = (
    "van Krimpen, T., Looije, D. and Hajizadeh, S. (2013). HardHeaded. In Ito, T., Zhang, M., "
    "Robu, V. and Matsuo, T. (eds), Complex Automated Negotiations: Theories, Models, and "
    "Software Competitions, Studies in Computational Intelligence 435, Springer "
    "(ANAC 2011 winner; GENIUS 10.4 agents/anac/y2011/HardHeaded/KLH.java)."
)
KAWAGUCHI_2011 = (
    "Kawaguchi, S., Fujita, K. and Ito, T. (2011). Compromising strategy based on estimated "
    "maximum utility for automated negotiation agents competition (ANAC-10). In Modern "
    "Approaches in Applied Intelligence (IEA/AIE 2011), LNCS 6704, Springer "
    "(ANAC 2010 winner; GENIUS 10.4 agents/anac/y2010/AgentK/Agent_K.java)."
)
BAARSLAG_2013 = (
    "Baarslag, T., Hindriks, K. and Jonker, C. (2013). A tit for tat negotiation strategy for "
    "real-time bilateral negotiations. In Ito, T., Zhang, M., Robu, V. and Matsuo, T. (eds), "
    "Complex Automated Negotiations: Theories, Models, and Software Competitions, Studies in "
    "Computational Intelligence 435, Springer (ANAC 2011; GENIUS 10.4 "
    "agents/anac/y2011/Nice_Tit_for_Tat/NiceTitForTat.java)."
)
MATSUNE_2017 = (
    "Matsune, T. PonPokoAgent, winner of the ANAC 2017 Repeated Multilateral Negotiation "
    "League, individual utility (http://web.tuat.ac.jp/~katfuji/ANAC2017/; GENIUS 10.4 "
    "agents/anac/y2017/ponpokoagent/PonPokoAgent.java)."
)


# ----------------------------------------------------------------------------- shared


def session_discount(view: View) -> np.ndarray:
    """The Java's discount factor ``d`` of the whole session, ``(R,)``: the actor's per-round
    factor ``delta`` over its ``T - 1`` rounds, ``delta^(T - 1)`` (``d^tau = delta^t``); 1
    (no discount) where that is not in (0, 1], as GENIUS reads a factor outside it."""
    d = view.discount[:, view.me] ** max(view.rounds - 1, 1)
    return np.where((d > 0) & (d <= 1), d, 1.0)


def opponents_utility(view: View, packages: np.ndarray) -> np.ndarray:
    """The opponents' (believed) utility of packages ``(R, I)``: the mean over
    ``view.opponents`` of ``view.utility_for`` (the one opponent's in a bilateral table)."""
    others = view.opponents
    if not others:
        return view.my_utility(packages)
    return sum(view.utility_for(j, packages) for j in others) / len(others)


def opponents_reservation(view: View) -> np.ndarray:
    """The mean deal floor of the opponents ``(R,)`` (under ``"learned"``, the prior's)."""
    others = list(view.opponents) or [view.me]
    return view.reservation[:, others].mean(axis=1)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def draws(view: View, k: int, n: int) -> np.ndarray:
    """``(R, n)`` uniform draws in [0, 1) for round ``k``, derived from the run's seeded
    stream ``view.noise(k)`` by the SplitMix64 mixer (one stream value gives as many
    independent-looking draws as a round needs; each run's draws are its own, so they do
    not depend on the chunk or on the other runs)."""
    if view.noise is None:
        raise ValueError("this strategy draws random numbers: it needs view.noise (stochastic)")
    bits = (np.asarray(view.noise(k)) * 2.0**53).astype(np.uint64)
    salts = np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN
    z = bits[:, None] + salts[None, :]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(float) * 2.0**-53


def random_package(view: View, target: np.ndarray, f: np.ndarray) -> np.ndarray:
    """A random package worth ``target`` ``(R,)`` to the actor, between its ideal and its
    counterpart (``view.concession_ends``), from uniforms ``f`` ``(R, I)``.

    Issue ``i`` is conceded the fraction ``g_i`` of the way; its cost is ``c_i h(g_i)``
    with ``c_i`` the cost of conceding it fully and ``h(g) = g`` (linear loss) or ``g^2``
    (quadratic). With the budget ``B = 1 - sunk - target`` and ``C_f = sum c_i h(f_i)``:
    ``g = s f`` with ``h(s) = B / C_f`` where ``B <= C_f``, else ``g = f + s (1 - f)`` with
    the cost ``B`` (``s`` in [0, 1]): the ideal point where ``B <= 0``, the counterpart's
    where ``B`` exceeds the cost of conceding everything."""
    ideal, goal, sunk = view.concession_ends()
    way = goal - ideal
    c = view.my_weights * issue_loss(way / view.span, view.loss)
    h = f if view.loss == "linear" else f * f
    cf = np.sum(c * h, axis=1)
    budget = np.maximum(1.0 - sunk - target, 0.0)
    low = budget <= cf
    shrink = inverse_loss(np.divide(budget, cf, out=np.zeros_like(cf), where=cf > 0), view.loss)
    extra = budget - cf
    if view.loss == "linear":
        room = np.sum(c, axis=1) - cf
        grow = np.divide(extra, room, out=np.ones_like(room), where=room > 0)
    else:
        a = np.sum(c * (1 - f) ** 2, axis=1)
        b = 2 * np.sum(c * f * (1 - f), axis=1)
        root = np.sqrt(b * b + 4 * a * np.maximum(extra, 0))
        grow = np.divide(
            2 * np.maximum(extra, 0), b + root, out=np.ones_like(b), where=b + root > 0
        )
    s = np.clip(np.where(low, shrink, grow), 0.0, 1.0)[:, None]
    g = np.where(low[:, None], s * f, f + s * (1 - f))
    return ideal + g * way


def on_scale(view: View, packages: np.ndarray) -> np.ndarray:
    """``packages`` clipped onto the issue scales (``view.scale``, where the view has them):
    beliefs outside the scales cannot take an offer off them."""
    if view.scale is None:
        return packages
    return np.clip(packages, *view.scale)


def _own_offer(view: View) -> bool:
    """Whether the offer answered now is this actor's own (it proposed in this round): it
    accepts its own package (the Java agents never vote on their own offers)."""
    return view.state.get("proposed_at") == view.t


def _ideal(view: View) -> np.ndarray:
    return view.concession_ends()[0]


def _grown(state: dict, key: str, value: np.ndarray, n: int) -> None:
    """Store ``value`` ``(R, ...)`` as entry ``n`` of the history ``state[key]``
    ``(R, capacity, ...)``, doubling the capacity when it is full."""
    history = state.get(key)
    if history is None or history.shape[1] <= n:
        shape = (value.shape[0], max(8, 2 * n), *value.shape[1:])
        bigger = np.zeros(shape)
        if history is not None:
            bigger[:, :n] = history[:, :n]
        state[key] = history = bigger
    history[:, n] = value


# ----------------------------------------------------------------------------- HardHeaded


class HardHeaded(Strategy):
    """ANAC 2011 winner: a Boulware target, bids best for the opponent at that target.

    ``p(tau)`` follows ``KLH.get_p`` with ``maxUtil = 1`` (its ideal package) and
    ``minUtil = min_utility`` (0.585: the Java copies ``MINIMUM_BID_UTILITY`` before ``init``
    sets it to the reservation value, so the curve ends at 0.585 whatever the reservation),
    and the target is ``max(r, p)``. Its first offer is its ideal package; later ones are the
    logroll at the target under the believed counterpart weights, or the opponent's best
    offer so far where that is worth more. It accepts an offer worth more than the least it
    has offered, or at least what it would offer now.

    Parameters
    ----------
    ka, e
        The Java's ``Ka`` (0.05) and ``e`` (0.05).
    min_utility
        The Java's ``minUtil`` (0.585).
    """

    name = "hard_headed"
    classifier: ClassVar[dict[str, bool]] = classify(
        concedes_over_time=True, reacts_to_opponent=True, uses_linkage=True
    )
    citation = KRIMPEN_2013
    opponent_model: ClassVar[str | None] = "frequency"

    def __init__(self, ka: float = 0.05, e: float = 0.05, min_utility: float = 0.585) -> None:
        if not 0 <= ka < 1:
            raise ValueError(f"hard_headed: ka must be in [0, 1), got {ka!r}")
        if not e > 0:
            raise ValueError(f"hard_headed: e must be > 0, got {e!r}")
        if not 0 <= min_utility < 1:
            raise ValueError(f"hard_headed: min_utility must be in [0, 1), got {min_utility!r}")
        self.ka, self.e, self.min_utility = ka, e, min_utility

    def concession(self, tau: float, d: np.ndarray) -> np.ndarray:
        """``KLH.get_p`` at relative time ``tau`` with session discount ``d`` ``(R,)``."""
        ka, e, lo = self.ka, self.e, self.min_utility
        span = 1.0 - lo  # maxUtil - minUtil
        d = np.asarray(d, dtype=float)
        with np.errstate(over="ignore"):  # (tau / d)^(1/e) past d >= 0.9: p falls below lo
            fa = ka + (1 - ka) * (tau / d) ** (1 / e)
        patient = lo + (1 - fa) * span
        fa = ka + (1 - ka) * np.minimum(tau / d, 1.0) ** (d / e)  # tau <= d < 0.9: e / d
        early = lo + span * d + (1 - fa) * span * (1 - d)
        late_d = np.minimum(d, 0.9)
        fa = ka + (1 - ka) * (np.maximum(tau - late_d, 0) / (1 - late_d)) ** (1 / 30)
        late = lo + (1 - fa) * span * d
        return np.where(d >= 0.9, patient, np.where(tau <= d, early, late))

    def target(self, view: View) -> np.ndarray:
        p = self.concession(view.tau, session_discount(view))
        return np.maximum(view.my_reservation, p)

    def _planned(self, view: View, best: np.ndarray, best_u: np.ndarray) -> np.ndarray:
        offer = logroll(view, self.target(view))
        better = best_u > view.my_utility(offer)  # the opponent's best entry goes first
        return np.where(better[:, None], best, offer)

    def propose(self, view: View) -> np.ndarray:
        s = view.state
        runs = view.runs
        proposed = s.get("proposed", np.zeros(runs, dtype=bool))
        best_u = s.get("best_u", np.full(runs, -np.inf))
        best = s.get("best", _ideal(view))
        offer = np.where(proposed[:, None], self._planned(view, best, best_u), _ideal(view))
        offer = on_scale(view, offer)
        s["lowest"] = np.minimum(s.get("lowest", np.ones(runs)), view.my_utility(offer))
        s["proposed"], s["proposed_at"] = np.ones(runs, dtype=bool), view.t
        return offer

    def respond(self, view: View, offer_utility: np.ndarray) -> np.ndarray:
        if _own_offer(view):
            return np.ones(view.runs, dtype=bool)
        s, u = view.state, offer_utility
        runs = view.runs
        proposed = s.get("proposed", np.zeros(runs, dtype=bool))
        best_prev = s.get("best_u", np.full(runs, -np.inf))
        planned = np.maximum(view.my_utility(logroll(view, self.target(view))), best_prev)
        planned = np.where(proposed, planned, view.my_utility(_ideal(view)))
        return (u > s.get("lowest", np.ones(runs))) | (u >= planned - ACCEPT_TOLERANCE)

    def observe(self, view: View, proposer: int, offer: np.ndarray) -> None:
        s = view.state
        u = view.my_utility(offer)
        if "best_u" not in s:
            s["best_u"], s["best"] = u, np.array(offer, dtype=float)
            return
        better = u > s["best_u"]
        s["best_u"] = np.where(better, u, s["best_u"])
        s["best"] = np.where(better[:, None], offer, s["best"])


# ----------------------------------------------------------------------------- AgentK


class AgentK(Strategy):
    """ANAC 2010 winner: a target from the mean and spread of the opponent's offers.

    From the utilities ``x_1..x_n`` (to itself) of the offers seen so far: ``mu``, the
    spread ``sigma = sqrt(12 var)``, the estimated maximum ``e = mu + (1 - mu) sigma``, and
    ``Agent_K.acceptProbability``'s target and bid target; it accepts with the Java's
    probability, bids one of the opponent's offers worth more than its target (a random
    one) or a random package worth its bid target. Random numbers come from ``view.noise``.

    Parameters
    ----------
    tremor
        The Java's ``tremor`` (2.0): how far the bid target's exponent is randomized.
    """

    name = "agent_k"
    classifier: ClassVar[dict[str, bool]] = classify(
        concedes_over_time=True, reacts_to_opponent=True, stochastic=True
    )
    citation = KAWAGUCHI_2011

    def __init__(self, tremor: float = 2.0) -> None:
        if not 0 <= tremor <= 5:
            raise ValueError(f"agent_k: tremor must be in [0, 5], got {tremor!r}")
        self.tremor = tremor

    def estimates(self, view: View) -> tuple[np.ndarray, ...]:
        """``(mu, sigma, e, alpha)`` ``(R,)`` each from the offers seen (``n >= 1``)."""
        s = view.state
        n = s["n"]
        mean = s["sum"] / n
        var = s["sum2"] / n - mean * mean
        dev = np.sqrt(12 * np.maximum(var, 0.0))  # the Java: NaN (var < 0) -> 0
        est_max = mean + (1 - mean) * dev
        alpha = 1 + self.tremor + 10 * mean - 2 * self.tremor * mean
        return mean, dev, est_max, alpha

    @staticmethod
    def aspiration(tau: float, est_max: np.ndarray, dev: np.ndarray, exponent: np.ndarray):
        """The Java's ``target`` (``exponent = alpha``) or ``bidTarget`` (``beta``)."""
        pre = 1 - tau**exponent * (1 - est_max)
        gap = 1 - pre
        ratio = np.divide(dev + 0.1, gap, out=np.full_like(gap, 2.0), where=gap != 0)
        ratio = np.minimum(ratio, 2.0)
        target = ratio * pre + 1 - ratio
        m = 400 - 300 * tau**3
        r = target - est_max
        # f = min(1 / r^2, m): 1 / r^2 > m exactly where r^2 < 1 / m
        f = np.divide(1.0, r * r, out=np.full_like(r, m), where=r * r > 1 / m)
        return np.where(r > 0, target - r * f / m, est_max)

    def _target(self, view: View) -> tuple[np.ndarray, ...]:
        _, dev, est_max, alpha = self.estimates(view)
        return self.aspiration(view.tau, est_max, dev, alpha), dev, est_max, alpha

    def target(self, view: View) -> np.ndarray:
        if not view.state.get("n"):
            return np.ones(view.runs)  # the Java's initial target
        return np.clip(self._target(view)[0], view.my_reservation, 1.0)

    def acceptance(self, view: View, offer_utility: np.ndarray) -> np.ndarray:
        """The Java's acceptance probability ``p`` of an offer worth ``offer_utility``."""
        target, _, est_max, alpha = self._target(view)
        u = offer_utility
        p = view.tau**alpha / 5 + (u - est_max) + (u - target)
        return np.where(p < 0.1, 0.0, p)

    def respond(self, view: View, offer_utility: np.ndarray) -> np.ndarray:
        if _own_offer(view):
            return np.ones(view.runs, dtype=bool)
        if not view.state.get("n"):
            return offer_utility >= 1.0 - ACCEPT_TOLERANCE
        return self.acceptance(view, offer_utility) > draws(view, view.t, 1)[:, 0]

    def propose(self, view: View) -> np.ndarray:
        s = view.state
        s["proposed_at"] = view.t
        n = s.get("n", 0)
        if not n:
            return _ideal(view)  # bidTarget = 1: its best package
        u = draws(view, view.t, 3 + view.span.shape[0])[:, 1:]  # [:, 0] answers offers
        _, dev, est_max, alpha = self.estimates(view)
        beta = alpha + u[:, 0] * self.tremor - self.tremor / 2
        r = view.my_reservation
        bid_target = np.clip(self.aspiration(view.tau, est_max, dev, beta), r, 1.0)
        fresh = random_package(view, bid_target, u[:, 2:])
        above = s["utils"][:, :n] > self.target(view)[:, None]
        count = above.sum(axis=1)
        pick = np.minimum(np.floor(u[:, 1] * count), np.maximum(count - 1, 0))
        index = np.argmax(np.cumsum(above, axis=1) > pick[:, None], axis=1)
        chosen = s["offers"][np.arange(view.runs), index]
        return on_scale(view, np.where((count > 0)[:, None], chosen, fresh))

    def observe(self, view: View, proposer: int, offer: np.ndarray) -> None:
        s = view.state
        u = view.my_utility(offer)
        n = s.get("n", 0)
        s["sum"] = s.get("sum", 0.0) + u
        s["sum2"] = s.get("sum2", 0.0) + u * u
        _grown(s, "offers", np.asarray(offer, dtype=float), n)
        _grown(s, "utils", u, n)
        s["n"] = n + 1


# ----------------------------------------------------------------------------- Nice TfT


NASH_SEARCH = ((21, 0.5), (11, 0.05), (11, 0.01))
"""The believed Nash point's search (:func:`believed_nash`): per stage, how many shares of
the full concession it tries, evenly spaced within how far of the best so far (the first
stage: 0, 0.05, ..., 1)."""


def believed_nash(view: View) -> np.ndarray:
    """This actor's utility at the believed Nash point ``(R,)``, NaN where none is found.

    The candidates are logrolls (:func:`~negosim.model.strategies.trade_off.logroll`,
    conceding first where the ratio of its weight to the believed counterpart's is lowest)
    that spend a share ``s`` of the cost of conceding everything: ``s = 0, 0.05, ..., 1``,
    then 11 shares evenly spaced within 0.05 of the best, then 11 within 0.01 of the best
    (of 0.5 while none is found; :data:`NASH_SEARCH`). The Nash point maximizes
    ``(u_me - r_me)(u_opp - r_opp)`` over the candidates with both factors >= 0 (the first
    of equal products), ``u_opp`` the opponents' believed utility
    (:func:`opponents_utility`), ``r`` the deal floors (the opponents' mean). On linear
    loss with two parties the logrolls trace the believed Pareto frontier between the two
    ideal points."""
    ideal, goal, sunk = view.concession_ends()
    total = np.sum(view.my_weights * issue_loss((goal - ideal) / view.span, view.loss), axis=1)
    r_me, r_opp = view.my_reservation, opponents_reservation(view)
    best = np.full(view.runs, -np.inf)
    mine = np.full(view.runs, np.nan)
    at = np.full((view.runs, 1), 0.5)
    for count, reach in NASH_SEARCH:
        shares = np.clip(at + np.linspace(-reach, reach, count), 0.0, 1.0)  # (R, K)
        targets = 1.0 - sunk[:, None] - shares * total[:, None]
        packages = np.ascontiguousarray(logrolls(view, targets).transpose(1, 0, 2))  # K, R, I
        u_me = view.my_utility(packages)  # (K, R)
        u_opp = np.stack([opponents_utility(view, package) for package in packages])
        product = (u_me - r_me) * (u_opp - r_opp)
        product = np.where((u_me >= r_me) & (u_opp >= r_opp), product, -np.inf)
        k = np.argmax(product, axis=0)  # the first of equal products
        rows = np.arange(view.runs)
        better = product[k, rows] > best
        best = np.where(better, product[k, rows], best)
        mine = np.where(better, u_me[k, rows], mine)
        at = np.where(better, shares[rows, k], at[:, 0])[:, None]
    return np.where(np.isfinite(best), mine, np.nan)


def _nash_inputs(view: View) -> np.ndarray:
    """``(R, K)`` every number of the view :func:`believed_nash` reads (NaN-free keys)."""
    others = list(view.opponents)
    runs = view.runs
    parts = [
        view.positions[:, others].reshape(runs, -1),
        view.weights[:, others].reshape(runs, -1),
        view.my_position,
        view.my_weights,
        view.reservation,
        view.counterpart,
        view.counterpart_weights,
    ]
    if view.settled is not None:
        parts += [view.settled.astype(float), np.where(view.settled, view.fixed, 0.0)]
    return np.concatenate(parts, axis=1)


class NiceTitForTat(Strategy):
    """Tit for tat toward the believed Nash point (Baarslag, Hindriks and Jonker 2013).

    Its target gives back, as a share of the way from 1 to its Nash utility, the share of
    the way the opponent has come (in this actor's utility) from its first offers toward
    that Nash utility, less a bonus near the deadline or with discounting; its bid is the
    logroll at the target, or the opponent's best offer where that is worth as much. It
    accepts an offer worth what it would offer, and in the last 2% of the time an offer
    that no recent offer beat (``NiceTitForTat.isAcceptable``, ``makeAcceptAction``).
    """

    name = "nice_tit_for_tat"
    classifier: ClassVar[dict[str, bool]] = classify(
        concedes_over_time=True, reacts_to_opponent=True, uses_linkage=True
    )
    citation = BAARSLAG_2013
    opponent_model: ClassVar[str | None] = "bayesian"

    FIRST_BIDS = 0.01  # TIME_USED_TO_DETERMINE_OPPONENT_STARTING_POINT
    BONUS_FROM = 0.91  # minTime of getBonus (a domain of at most 3,000 bids)
    LATE = 0.98  # isAcceptable's time after which it weighs waiting
    ENOUGH_BIDS = 10  # enoughBidsToCome (a domain of at most 10,000 bids)
    UPDATE_UNTIL = 0.99  # canUpdateBeliefs

    def nash(self, view: View, first_min: np.ndarray) -> np.ndarray:
        """``myNashUtility``: the believed Nash utility (0.7 where none), times
        ``max(0, 1.4 - 0.6 (1 - first_min))``, clipped onto [0.5, 1]. The believed point is
        recomputed every round until ``tau > 0.99``, then kept."""
        s = view.state
        stale = view.tau <= self.UPDATE_UNTIL and self._stale(view)
        if stale or "nash" not in s:
            found = believed_nash(view)
            s["nash"] = np.where(np.isnan(found), 0.7, found)
        multiplier = np.maximum(0.0, 1.4 - 0.6 * (1 - first_min))
        return np.clip(s["nash"] * multiplier, 0.5, 1.0)

    @staticmethod
    def _stale(view: View) -> bool:
        """Whether the believed Nash point kept in the state may have changed: under
        ``"learned"`` in every round (the opponent model's utility is more than the numbers
        in the view), else when a number it reads has (a move, the deal floors)."""
        s = view.state
        if getattr(view, "information", "complete") != "complete":
            stale = s.get("nash_t") != view.t
            s["nash_t"] = view.t
            return stale
        inputs = _nash_inputs(view)
        kept = s.get("nash_inputs")
        s["nash_inputs"] = inputs
        return kept is None or kept.shape != inputs.shape or not np.array_equal(kept, inputs)

    def bonus(self, view: View) -> np.ndarray:
        """``getBonus``: ``max(0.5 - 0.4 d, min(1, 20 (tau - 0.91)) if tau > 0.91 else 0)``
        onto [0, 1]."""
        discount_bonus = 0.5 - 0.4 * session_discount(view)
        late = view.tau - self.BONUS_FROM
        time_bonus = min(1.0, 20 * late) if late > 0 else 0.0
        return np.clip(np.maximum(discount_bonus, time_bonus), 0.0, 1.0)

    def aim(self, view: View, best_u: np.ndarray, first_min: np.ndarray) -> np.ndarray:
        """``chooseCounterBid``'s target from the best offer (to itself) and the least of the
        opponent's first offers, onto [r, 1]."""
        nash = self.nash(view, first_min)
        concession = best_u - first_min
        denom = nash - first_min
        factor = np.divide(concession, denom, out=np.zeros_like(denom), where=denom != 0)
        factor = np.where((denom == 0) & (concession > 0), 1.0, factor)  # x / 0 = inf
        factor = np.minimum(1.0, factor)
        target = 1 - factor * (1 - nash)
        target = target - self.bonus(view) * np.maximum(0.0, target - nash)
        return np.clip(target, view.my_reservation, 1.0)

    def _first_min(self, view: View, s: dict, u: np.ndarray | None = None) -> np.ndarray:
        """The least utility of the opponent's offers in (0, 0.01] of the time, else of its
        first offer (``getMinimumUtilityOfOpponentFirstBids``); ``u``: the offer now."""
        early = s.get("early_min", np.full(view.runs, np.inf))
        first = s.get("first_u", u)
        if u is not None and 0 < view.tau <= self.FIRST_BIDS:
            early = np.minimum(early, u)
        return np.where(np.isfinite(early), early, first)

    def target(self, view: View) -> np.ndarray:
        s = view.state
        if not s.get("n"):
            return np.ones(view.runs)
        return self.aim(view, s["best_u"], self._first_min(view, s))

    def _logroll(self, view: View, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        offer = logroll(view, target)
        return offer, view.my_utility(offer)

    def propose(self, view: View) -> np.ndarray:
        s = view.state
        runs = view.runs
        proposed = s.get("proposed", np.zeros(runs, dtype=bool))
        s["proposed"], s["proposed_at"] = np.ones(runs, dtype=bool), view.t
        if not s.get("n"):
            return _ideal(view)  # chooseOpeningBid
        offer, worth = self._logroll(view, self.target(view))
        appropriate = (s["best_u"] >= worth) | s.get("reoffer", np.zeros(runs, dtype=bool))
        s["reoffer"] = np.zeros(runs, dtype=bool)
        offer = np.where(appropriate[:, None], s["best"], offer)
        return on_scale(view, np.where(proposed[:, None], offer, _ideal(view)))  # first counter

    def _late(self, view: View, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether the late rule accepts an offer worth ``u`` and whether
        ``makeAcceptAction`` declines it to offer the opponent's best instead."""
        s = view.state
        runs, n, tau = view.runs, s.get("n", 0), view.tau
        in_window = np.array([t > 2 * tau - 1 for t in s.get("taus", [])], dtype=bool)
        recent = int(in_window.sum()) + 1  # and the offer now
        better = np.zeros(runs, dtype=bool)
        if in_window.any():
            better = np.any(s["utils"][:, :n][:, in_window] > u[:, None], axis=1)
        late = (tau >= self.LATE) & (recent <= self.ENOUGH_BIDS) & ~better & (u > 0)
        best_prev = s.get("best_u", np.full(runs, -np.inf))
        declines = (recent > 1) & (best_prev > u) & (s.get("offered_best", np.zeros(runs)) <= 3)
        return late, declines

    def respond(self, view: View, offer_utility: np.ndarray) -> np.ndarray:
        if _own_offer(view):
            return np.ones(view.runs, dtype=bool)
        s, u = view.state, offer_utility
        runs = view.runs
        proposed = s.get("proposed", np.zeros(runs, dtype=bool))
        best = np.maximum(s.get("best_u", u), u)
        _, worth = self._logroll(view, self.aim(view, best, self._first_min(view, s, u)))
        planned = np.where(proposed, np.maximum(worth, best), view.my_utility(_ideal(view)))
        late, declines = self._late(view, u)
        return ((u >= planned - ACCEPT_TOLERANCE) | late) & ~declines

    def observe(self, view: View, proposer: int, offer: np.ndarray) -> None:
        s = view.state
        u = view.my_utility(offer)
        late, declines = self._late(view, u)
        reoffer = late & declines  # the offer it would accept, declined for the best bid
        s["reoffer"] = reoffer
        s["offered_best"] = s.get("offered_best", np.zeros(view.runs)) + reoffer
        n = s.get("n", 0)
        if not n:
            s["first_u"], s["best_u"], s["best"] = u, u, np.array(offer, dtype=float)
        better = u > s["best_u"]
        s["best_u"] = np.where(better, u, s["best_u"])
        s["best"] = np.where(better[:, None], offer, s["best"])
        if 0 < view.tau <= self.FIRST_BIDS:
            s["early_min"] = np.minimum(s.get("early_min", np.full(view.runs, np.inf)), u)
        _grown(s, "utils", u, n)
        s["taus"] = [*s.get("taus", []), view.tau]
        s["n"] = n + 1


# ----------------------------------------------------------------------------- PonPoko


class PonPoko(Strategy):
    """ANAC 2017 winner: one of five threshold patterns, drawn per run at the start.

    At relative time ``tau`` the pattern gives a band ``[low, high]``
    (``PonPokoAgent.chooseAction``); it accepts an offer worth more than ``low`` and bids a
    random package worth a uniform draw from the band (no less than its deal floor).
    """

    name = "pon_poko"
    classifier: ClassVar[dict[str, bool]] = classify(concedes_over_time=True, stochastic=True)
    citation = MATSUNE_2017

    PATTERNS = 5

    def pattern(self, view: View) -> np.ndarray:
        """Each run's pattern ``floor(5 u)`` ``(R,)``, ``u = view.noise(0)``."""
        if view.noise is None:
            raise ValueError("pon_poko draws its pattern: it needs view.noise (stochastic)")
        return np.minimum((np.asarray(view.noise(0)) * self.PATTERNS).astype(int), 4)

    @staticmethod
    def thresholds(pattern: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
        """``(high, low)`` ``(R,)`` of each run's pattern at relative time ``tau``."""
        s40, s20 = abs(np.sin(40 * tau)), abs(np.sin(20 * tau))
        high = np.array([1 - 0.1 * tau, 1.0, 1 - 0.1 * tau, 1 - 0.05 * tau, 1 - 0.15 * tau * s20])
        low3 = 1 - 0.3 * tau if tau > 0.99 else 1 - 0.1 * tau
        low = np.array(
            [
                1 - 0.1 * tau - 0.1 * s40,
                1 - 0.22 * tau,
                1 - 0.1 * tau - 0.15 * s20,
                low3,
                1 - 0.21 * tau * s20,
            ]
        )
        return high[pattern], low[pattern]

    def target(self, view: View) -> np.ndarray:
        _, low = self.thresholds(self.pattern(view), view.tau)
        return np.clip(low, view.my_reservation, 1.0)

    def respond(self, view: View, offer_utility: np.ndarray) -> np.ndarray:
        if _own_offer(view):
            return np.ones(view.runs, dtype=bool)
        _, low = self.thresholds(self.pattern(view), view.tau)
        return offer_utility > low

    def propose(self, view: View) -> np.ndarray:
        view.state["proposed_at"] = view.t
        high, low = self.thresholds(self.pattern(view), view.tau)
        u = draws(view, view.t, 1 + view.span.shape[0])
        worth = np.maximum(low + u[:, 0] * (high - low), view.my_reservation)
        return on_scale(view, random_package(view, worth, u[:, 1:]))
