"""The ANAC learning strategies (negosim/model/strategies/anac.py) one by one, in the Axelrod
way: their formulas worked by hand from the GENIUS 10.4 Java (KLH.java, Agent_K.java,
NiceTitForTat.java, PonPokoAgent.java) and from docs/strategies.md, "Learning strategies
(ANAC)"; a batch of runs equal to each run alone and full negotiations whose agreements beat
no deal, on worlds with private numbers under complete and under learned information; and
outputs that depend on the view only (under ``information="learned"`` the other actors' rows
of a view are beliefs, which may be anything)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import negosim as ns
from negosim.engine.protocols import Table, run_alternating
from negosim.model.ratification import DEAL_MARGIN
from negosim.model.strategies import (
    AgentK,
    HardHeaded,
    NiceTitForTat,
    PonPoko,
    View,
    anac,
    get_strategy_class,
    make_strategy,
)
from negosim.model.strategies.anac import (
    believed_nash,
    draws,
    opponents_reservation,
    opponents_utility,
    random_package,
    session_discount,
)
from negosim.model.strategies.trade_off import logroll, logrolls

LEARNERS = ["hard_headed", "agent_k", "nice_tit_for_tat", "pon_poko"]
TOL = 1e-12


class Hand:
    """A hand-built negotiation seen by actor 0: views of any round sharing one state."""

    def __init__(
        self,
        positions,
        weights,
        *,
        rounds: int = 21,
        reservation=0.0,
        discount: float = 1.0,
        noise: np.ndarray | None = None,
        loss: str = "linear",
    ) -> None:
        self.positions = np.asarray(positions, dtype=float)  # (R, A, I)
        self.weights = np.asarray(weights, dtype=float)
        runs, actors, _ = self.positions.shape
        self.rounds, self.loss = rounds, loss
        self.reservation = np.broadcast_to(np.asarray(reservation, float), (runs, actors)).copy()
        self.discount = np.full((runs, actors), discount)
        self.noise = noise
        self.state: dict = {}

    def view(self, t: int) -> View:
        _, actors, issues = self.positions.shape
        others = list(range(1, actors))
        weights = self.weights[:, others].mean(axis=1)
        noise = None if self.noise is None else (lambda k: self.noise[:, k])
        return View(
            me=0,
            t=t,
            rounds=self.rounds,
            positions=self.positions,
            weights=self.weights,
            span=np.full(issues, 100.0),
            reservation=self.reservation,
            discount=self.discount,
            counterpart=self.positions[:, others].mean(axis=1),
            counterpart_weights=weights / weights.sum(axis=1, keepdims=True),
            negotiators=tuple(range(actors)),
            state=self.state,
            noise=noise,
            loss=self.loss,
            scale=(np.zeros(issues), np.full(issues, 100.0)),
        )


def one_issue(runs: int = 1, **kw) -> Hand:
    """Actor 0 wants 0, actor 1 wants 100, on one issue 0..100: u_0(x) = 1 - x / 100."""
    return Hand(np.tile([[[0.0], [100.0]]], (runs, 1, 1)), np.ones((runs, 2, 1)), **kw)


def offer(x) -> np.ndarray:
    return np.atleast_2d(np.asarray(x, dtype=float)).reshape(-1, 1)


# ----------------------------------------------------------------------------- shared


def test_the_session_discount_is_the_per_round_factor_over_the_session():
    """d = delta^(T - 1), so d^tau = delta^t; 1 where d is not in (0, 1]."""
    hand = one_issue(rounds=21, discount=0.5 ** (1 / 20))
    assert session_discount(hand.view(3)) == pytest.approx([0.5], abs=TOL)
    assert session_discount(one_issue(discount=0.0).view(0)).tolist() == [1.0]
    assert session_discount(one_issue(discount=1.0).view(0)).tolist() == [1.0]


def test_draws_are_splitmix64_of_the_streams_bits():
    """Draw j of a round: SplitMix64 of the stream value's 53 bits plus (j + 1) times the
    golden gamma 0x9E3779B97F4A7C15, its top 53 bits over 2^53 (plain Python integers)."""
    mask = (1 << 64) - 1
    value = 0.6180339887498949
    hand = one_issue(noise=np.full((1, 22), value))

    def splitmix(z: int) -> float:
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        return (z >> 11) / 2.0**53

    bits = int(value * 2.0**53)
    expected = [splitmix((bits + (j + 1) * 0x9E3779B97F4A7C15) & mask) for j in range(4)]
    assert draws(hand.view(5), 5, 4)[0].tolist() == expected
    many = draws(
        Hand(
            np.zeros((4000, 2, 1)),
            np.ones((4000, 2, 1)),
            noise=np.random.default_rng(0).random((4000, 22)),
        ).view(0),
        0,
        3,
    )
    assert np.all((many >= 0) & (many < 1)) and abs(many.mean() - 0.5) < 0.02
    assert abs(np.corrcoef(many[:, 0], many[:, 1])[0, 1]) < 0.05


@pytest.mark.parametrize("loss", ["linear", "quadratic"])
def test_a_random_package_is_worth_its_target(loss):
    """Two issues, weights 1/2 each, the whole way 0 -> 100 on both: c = (1/2, 1/2); with
    f = (0.2, 0.6): C_f = 0.4 (linear) or 0.2 (quadratic)."""
    hand = Hand([[[0.0, 0.0], [100.0, 100.0]]] * 2, np.full((2, 2, 2), 0.5), loss=loss)
    f = np.array([[0.2, 0.6], [0.2, 0.6]])
    package = random_package(hand.view(0), np.array([0.9, 0.3]), f)
    if loss == "linear":
        # B = 0.1 <= C_f: s = 0.1 / 0.4; B = 0.7 > C_f: s = (0.7 - 0.4) / (1 - 0.4) = 0.5
        np.testing.assert_allclose(package, [[5.0, 15.0], [60.0, 80.0]], atol=1e-12)
    else:
        # B = 0.1: s^2 = 0.1 / 0.2; B = 0.7: 0.4 s^2 + 0.4 s - 0.5 = 0
        s = (-0.4 + math.sqrt(0.16 + 0.8)) / 0.8
        np.testing.assert_allclose(package[0], 100 * math.sqrt(0.5) * f[0], atol=1e-12)
        np.testing.assert_allclose(package[1], 100 * (f[1] + s * (1 - f[1])), atol=1e-12)
    np.testing.assert_allclose(hand.view(0).my_utility(package), [0.9, 0.3], atol=1e-12)
    # below its ideal nothing, above the whole way the counterpart's position
    ends = random_package(hand.view(0), np.array([1.2, -0.5]), f)
    np.testing.assert_allclose(ends, [[0.0, 0.0], [100.0, 100.0]], atol=1e-12)


def test_several_opponents_count_as_their_mean():
    """Three actors: the opponents' utility and deal floor are the means of actors 1 and 2."""
    hand = Hand([[[0.0], [100.0], [50.0]]], np.ones((1, 3, 1)), reservation=[[0.1, 0.2, 0.4]])
    view = hand.view(0)
    assert opponents_utility(view, offer(60)).tolist() == pytest.approx([(0.6 + 0.9) / 2])
    assert opponents_reservation(view).tolist() == pytest.approx([0.3])
    np.testing.assert_allclose(view.counterpart, [[75.0]])


# ----------------------------------------------------------------------------- HardHeaded


def klh_get_p(tau: float, d: float, ka=0.05, e=0.05, lo=0.585, hi=1.0) -> float:
    """KLH.get_p, line by line (maxUtil = hi, minUtil = lo, step_point = d)."""
    if d >= 0.9:
        fa = ka + (1 - ka) * (tau / d) ** (1 / e)
        return lo + (1 - fa) * (hi - lo)
    if tau <= d:
        temp_e = e / d
        fa = ka + (1 - ka) * (tau / d) ** (1 / temp_e)
        temp_min = lo + abs(hi - lo) * d
        return temp_min + (1 - fa) * (hi - temp_min)
    fa = ka + (1 - ka) * ((tau - d) / (1 - d)) ** (1 / 30)
    temp_max = lo + abs(hi - lo) * d
    return lo + (1 - fa) * (temp_max - lo)


def test_hard_headed_target_follows_klh_get_p():
    """Undiscounted: u*(0) = 0.585 + 0.95 * 0.415 = 0.97925, u*(0.5) with
    F = 0.05 + 0.95 * 0.5^20, u*(1) = 0.585; the two discounted branches (d = 0.5) and the
    patient one past tau = d (d = 0.95: p falls below minUtil, the deal floor holds)."""
    strategy = HardHeaded()
    at = {0: 0.97925, 10: 0.585 + (1 - 0.05 - 0.95 * 0.5**20) * 0.415, 20: 0.585}
    for t, value in at.items():
        assert strategy.target(one_issue(reservation=0.2).view(t)) == pytest.approx([value])
        assert klh_get_p(t / 20, 1.0) == pytest.approx(value)
    half = one_issue(discount=0.5 ** (1 / 20), reservation=0.1)
    for t in (0, 5, 10, 15, 20):
        assert strategy.target(half.view(t)) == pytest.approx([klh_get_p(t / 20, 0.5)], abs=1e-12)
    # d = 0.5, tau = 0.25 <= d: F = 0.05 + 0.95 (0.5)^(0.5 / 0.05); tau = 0.75: exponent 1/30
    f_early = 0.05 + 0.95 * 0.5**10
    assert klh_get_p(0.25, 0.5) == pytest.approx(0.585 + 0.415 * 0.5 + (1 - f_early) * 0.2075)
    f_late = 0.05 + 0.95 * 0.5 ** (1 / 30)
    assert klh_get_p(0.75, 0.5) == pytest.approx(0.585 + (1 - f_late) * 0.2075)
    patient = one_issue(discount=0.95 ** (1 / 20), reservation=0.3)
    assert klh_get_p(1.0, 0.95) < 0.3
    assert strategy.target(patient.view(20)).tolist() == pytest.approx([0.3])
    assert strategy.target(one_issue(reservation=0.7).view(20)).tolist() == [0.7]


def _logroll_hand(**kw) -> Hand:
    """Ideals (0, 0) and (100, 100); my weights (0.8, 0.2), the believed opponent's
    (0.3, 0.7): I concede issue 1 first (ratio 0.2 / 0.7 < 0.8 / 0.3)."""
    return Hand([[[0.0, 0.0], [100.0, 100.0]]], [[[0.8, 0.2], [0.3, 0.7]]], rounds=21, **kw)


def test_hard_headed_opens_with_its_ideal_then_bids_the_believed_logroll():
    """At a target of 0.9 the budget 0.1 buys half of issue 1: (0, 50). Among the packages
    worth 0.9 to it (0.8 x + 0.2 y = 10), it is the best for the believed opponent."""
    hand = _logroll_hand(reservation=0.9)
    strategy = HardHeaded()
    np.testing.assert_array_equal(strategy.propose(hand.view(19)), [[0.0, 0.0]])
    package = strategy.propose(hand.view(20))
    np.testing.assert_allclose(package, [[0.0, 50.0]], atol=1e-12)
    view = hand.view(20)
    x = np.linspace(0, 12.5, 51)
    others = np.stack([x, 50 - 4 * x], axis=1)
    worth_them = [view.utility_for(1, p[None])[0] for p in others]
    np.testing.assert_allclose([view.my_utility(p[None])[0] for p in others], 0.9, atol=1e-12)
    assert view.utility_for(1, package)[0] >= max(worth_them) - 1e-12


def test_hard_headed_reoffers_the_opponents_best_offer_when_it_beats_its_bid():
    hand = _logroll_hand(reservation=0.9)
    strategy = HardHeaded()
    strategy.propose(hand.view(18))
    strategy.observe(hand.view(18), 1, np.array([[0.0, 40.0]]))  # worth 0.92 to it
    np.testing.assert_allclose(strategy.propose(hand.view(20)), [[0.0, 40.0]])


def test_hard_headed_accepts_above_its_lowest_offer_or_at_its_next_bid():
    """Before it has offered anything it accepts only 1 (its first bid is its ideal). After
    offering its target 0.9313 (tau = 0.9) and seeing an offer worth 0.95, at tau = 0.95
    (target max(0.9, 0.838)) its next bid is that 0.95: it accepts u > 0.9313 or u >= 0.95."""
    hand = _logroll_hand(reservation=0.9)
    strategy = HardHeaded()
    grid = np.array([0.99, 1.0])
    assert strategy.respond(hand.view(15), grid[:1]).tolist() == [False]
    assert strategy.respond(hand.view(15), grid[1:]).tolist() == [True]
    strategy.propose(hand.view(16))
    p18 = klh_get_p(0.9, 1.0)
    assert p18 == pytest.approx(0.9313, abs=1e-4)
    bid = strategy.propose(hand.view(18))
    assert hand.view(18).my_utility(bid) == pytest.approx([p18])
    assert strategy.respond(hand.view(18), np.array([0.0])).tolist() == [True]  # its own
    strategy.observe(hand.view(18), 1, np.array([[0.0, 25.0]]))  # worth 0.95
    answers = [strategy.respond(hand.view(19), np.array([u]))[0] for u in (0.93, 0.94, 0.95)]
    assert answers == [False, True, True]


# ----------------------------------------------------------------------------- AgentK


def agent_k(history: list[float], u: float, time: float, u_beta: float, tremor=2.0):
    """Agent_K.acceptProbability line by line on the utilities seen before the offer now;
    returns (target, bidTarget, p)."""
    n = len(history)
    mean = sum(history) / n
    variance = sum(x * x for x in history) / n - mean * mean
    deviation = math.sqrt(variance * 12) if variance >= 0 else 0.0
    t = time * time * time
    estimate_max = mean + (1 - mean) * deviation
    alpha = 1 + tremor + 10 * mean - 2 * tremor * mean
    beta = alpha + u_beta * tremor - tremor / 2
    out = []
    for exponent in (alpha, beta):
        pre = 1 - time**exponent * (1 - estimate_max)
        ratio = (deviation + 0.1) / (1 - pre) if pre != 1 else math.inf
        ratio = min(ratio, 2.0)
        target = ratio * pre + 1 - ratio
        m = t * (-300) + 400
        if target > estimate_max:
            r = target - estimate_max
            f = 1 / (r * r)
            f = min(f, m)
            target = target - r * f / m
        else:
            target = estimate_max
        out.append(target)
    p = time**alpha / 5 + (u - estimate_max) + (u - out[0])
    return out[0], out[1], (0.0 if p < 0.1 else p)


def _seen(strategy, hand: Hand, xs, t0: int = 1) -> None:
    for k, x in enumerate(xs):
        strategy.observe(hand.view(t0 + 2 * k), 1, offer(x))


def test_agent_k_target_from_the_offers_seen_by_hand():
    """Offers worth 0.3, 0.5, 0.4 to it: mu = 0.4, var = 0.5 / 3 - 0.16, sigma = sqrt(0.08),
    e = 0.4 + 0.6 sigma, alpha = 3 + 6 mu = 5.4; at tau = 0.5, 1 - P = 0.5^5.4 (1 - e),
    rho = 2 (capped), a = 1 - 2 (1 - P), m = 362.5, a -= 1 / ((a - e) m)."""
    hand = one_issue(noise=np.random.default_rng(1).random((1, 22)))
    strategy = AgentK()
    assert strategy.target(hand.view(0)).tolist() == [1.0]  # nothing seen: the Java's 1.0
    _seen(strategy, hand, [70, 50, 60])
    mu, sigma, e, alpha = (v[0] for v in strategy.estimates(hand.view(10)))
    assert mu == pytest.approx(0.4) and sigma == pytest.approx(math.sqrt(0.08))
    assert e == pytest.approx(0.4 + 0.6 * math.sqrt(0.08)) and alpha == pytest.approx(5.4)
    a = 1 - 2 * 0.5**5.4 * (1 - e)
    a -= 1 / ((a - e) * 362.5)
    target = strategy.target(hand.view(10))[0]
    assert target == pytest.approx(a, abs=1e-12)
    assert target == pytest.approx(agent_k([0.3, 0.5, 0.4], 0.9, 0.5, 0.0)[0], abs=1e-12)


def test_agent_k_accepts_with_the_java_probability_drawn_from_its_stream():
    hand = one_issue(noise=np.random.default_rng(2).random((1, 22)))
    strategy = AgentK()
    _seen(strategy, hand, [70, 50, 60])
    view = hand.view(10)
    for u in (0.5, 0.6, 0.9, 0.99):
        _, _, p = agent_k([0.3, 0.5, 0.4], u, 0.5, 0.0)
        assert strategy.acceptance(view, np.array([u]))[0] == pytest.approx(p, abs=1e-12)
        assert strategy.respond(view, np.array([u]))[0] == (p > draws(view, 10, 1)[0, 0])
    # p = 0.5^5.4 / 5 + (u - e) + (u - a): 0.262 at u = 0.9, under 0.1 (so 0) at u = 0.6
    assert strategy.acceptance(view, np.array([0.6]))[0] == 0.0
    fresh = one_issue(noise=np.random.default_rng(2).random((1, 22))).view(10)
    assert AgentK().respond(fresh, np.array([0.99])).tolist() == [False]  # nothing seen:
    assert AgentK().respond(fresh, np.array([1.0])).tolist() == [True]  # only a package worth 1


def test_agent_k_acceptance_cut_is_at_one_tenth():
    """Agent_K.acceptProbability: p = tau^alpha / 5 + (u - e) + (u - a), then
    ``if (p < 0.1) p = 0``. With the offers worth 0.3, 0.5, 0.4 and tau = 0.5, p is 2 u less a
    constant: the offers whose p is 0.09 and 0.099 (in [0.08, 0.1)) are never accepted, those
    whose p is 0.1 and 0.11 are accepted with probability p."""
    hand = one_issue(noise=np.random.default_rng(2).random((1, 22)))
    strategy = AgentK()
    _seen(strategy, hand, [70, 50, 60])
    view = hand.view(10)
    e = 0.4 + 0.6 * math.sqrt(0.08)
    a = agent_k([0.3, 0.5, 0.4], 0.0, 0.5, 0.0)[0]
    for p_raw, p in ((0.09, 0.0), (0.099, 0.0), (0.1 + 1e-9, 0.1 + 1e-9), (0.11, 0.11)):
        u = (p_raw - 0.5**5.4 / 5 + e + a) / 2
        assert 0 < u < 1
        assert agent_k([0.3, 0.5, 0.4], u, 0.5, 0.0)[2] == pytest.approx(p, abs=1e-12)
        assert strategy.acceptance(view, np.array([u]))[0] == pytest.approx(p, abs=1e-12)


def test_agent_k_bids_a_random_package_at_its_bid_target():
    """No offer beats its target: a random package worth bidTarget (beta from its stream)."""
    hand = Hand(
        [[[0.0, 0.0], [100.0, 100.0]]],
        [[[0.5, 0.5], [0.5, 0.5]]],
        noise=np.random.default_rng(3).random((1, 22)),
    )
    strategy = AgentK()
    np.testing.assert_array_equal(strategy.propose(hand.view(0)), [[0.0, 0.0]])  # bidTarget 1
    for k, x in enumerate([70, 50, 60]):
        strategy.observe(hand.view(2 * k + 1), 1, np.array([[x, x]]))
    view = hand.view(10)
    package = strategy.propose(view)
    u_beta = draws(view, 10, 2)[0, 1]
    bid_target = agent_k([0.3, 0.5, 0.4], 0.0, 0.5, u_beta)[1]
    assert view.my_utility(package)[0] == pytest.approx(bid_target, abs=1e-12)
    assert strategy.respond(view, np.array([0.0])).tolist() == [True]  # its own package


def test_agent_k_reoffers_one_of_the_offers_above_its_target():
    """Offers worth 0.9, 0.95, 0.93, 0.88 (x = 10, 5, 7, 12): at tau = 1 the target is the
    estimated maximum 0.9229 (a = 0.846 < e); two offers beat it, and it bids the
    floor(U k)-th of them (k = 2, U from its stream)."""
    for seed in range(6):
        hand = one_issue(noise=np.random.default_rng(seed).random((1, 22)))
        strategy = AgentK()
        _seen(strategy, hand, [10, 5, 7, 12], t0=11)
        view = hand.view(20)
        target = strategy.target(view)[0]
        mean = (0.9 + 0.95 + 0.93 + 0.88) / 4
        sigma = math.sqrt(12 * ((0.81 + 0.9025 + 0.8649 + 0.7744) / 4 - mean**2))
        assert target == pytest.approx(mean + (1 - mean) * sigma, abs=1e-9)
        pick = math.floor(draws(view, 20, 3)[0, 2] * 2)
        assert strategy.propose(view)[0, 0] == [5.0, 7.0][pick]


# ----------------------------------------------------------------------------- NiceTfT


def test_the_believed_nash_point_is_searched_over_logrolls():
    """Linear loss, ideals (0, 0) and (100, 100), weights (0.8, 0.2) and (0.2, 0.8), floors
    0: spending s of the whole cost, u_me = 1 - s, u_opp = 4 s (s <= 0.2, issue 1 first)
    then 0.8 + (s - 0.2) / 4: the product is largest at s = 0.2, u_me = 0.8. One issue,
    0 against 100: s (1 - s) is largest at 0.5."""
    hand = Hand([[[0.0, 0.0], [100.0, 100.0]]], [[[0.8, 0.2], [0.2, 0.8]]])
    assert believed_nash(hand.view(0)).tolist() == pytest.approx([0.8], abs=1e-12)
    assert believed_nash(one_issue().view(0)).tolist() == pytest.approx([0.5], abs=1e-12)
    # floors (0.9, 0.9): no candidate gives both theirs, none found
    assert np.isnan(believed_nash(one_issue(reservation=0.9).view(0))).all()


def _nice(**kw) -> tuple[NiceTitForTat, Hand]:
    """Its first counter-bid, then offers worth 0.4 (t = 0) and 0.5 (t = 2) to it."""
    hand = one_issue(**kw)
    strategy = NiceTitForTat()
    strategy.observe(hand.view(0), 1, offer(60))
    np.testing.assert_array_equal(strategy.propose(hand.view(1)), [[0.0]])  # first counter
    strategy.observe(hand.view(2), 1, offer(50))
    return strategy, hand


def test_nice_tit_for_tat_reciprocates_toward_the_nash_point_by_hand():
    """f0 = 0.4 (its first offer; none in (0, 0.01]), N = 0.5, multiplier 1.4 - 0.6 * 0.6,
    N' = 0.52; B = 0.5: c = 0.1 / 0.12, t0 = 1 - c 0.48 = 0.6, bonus 0.5 - 0.4 = 0.1:
    u* = 0.6 - 0.1 * 0.08 = 0.592; at tau = 0.95 the time bonus 20 * 0.04 = 0.8 gives 0.536,
    with d = 0.5 the discount bonus 0.3 gives 0.576."""
    strategy, hand = _nice()
    assert strategy.nash(hand.view(4), np.array([0.4])).tolist() == pytest.approx([0.52])
    assert strategy.target(hand.view(4)).tolist() == pytest.approx([0.592])
    np.testing.assert_allclose(strategy.propose(hand.view(4)), [[40.8]])  # the logroll at u*
    assert strategy.target(hand.view(19)).tolist() == pytest.approx([0.536])
    strategy, hand = _nice(discount=0.5 ** (1 / 20))
    assert strategy.target(hand.view(4)).tolist() == pytest.approx([0.576])
    # the opening bid: nothing seen, its ideal and a target of 1
    fresh = one_issue()
    assert NiceTitForTat().target(fresh.view(0)).tolist() == [1.0]
    np.testing.assert_array_equal(NiceTitForTat().propose(fresh.view(0)), [[0.0]])


def test_nice_tit_for_tat_offers_the_opponents_best_when_it_is_worth_its_bid():
    strategy, hand = _nice()
    strategy.observe(hand.view(3), 1, offer(35))  # worth 0.65: c = min(1, 0.25 / 0.12)
    assert strategy.target(hand.view(4)).tolist() == pytest.approx([0.52])
    np.testing.assert_allclose(strategy.propose(hand.view(4)), [[35.0]])


def test_nice_tit_for_tat_accepts_what_it_would_offer():
    """With B' = max(0.5, u): u >= u*(B') holds from u = 0.52, where 4.6 u = 2.392."""
    strategy, hand = _nice()
    strategy.propose(hand.view(3))
    view = hand.view(4)
    answers = [strategy.respond(view, np.array([u]))[0] for u in (0.45, 0.519, 0.521, 0.7)]
    assert answers == [False, False, True, True]


def test_nice_tit_for_tat_late_acceptance_and_its_declines():
    """From tau = 0.98 it accepts an offer no offer in (2 tau - 1, tau] beat, when at most
    10 came there; but while more than one came and an earlier offer was better, it
    declines (and offers that best one next), at most four times (offeredOpponentBestBid)."""
    hand = one_issue(rounds=1001)
    strategy = NiceTitForTat()
    strategy.observe(hand.view(100), 1, offer(40))  # worth 0.6: its best so far
    strategy.propose(hand.view(101))
    u = np.array([0.4])
    # tau = 0.985: nothing else in (0.97, 0.985], accepted
    assert strategy.respond(hand.view(985), u).tolist() == [True]
    strategy.observe(hand.view(985), 1, offer(60))
    for t in (986, 987, 988, 989):  # two or more in the window, 0.6 earlier: declined
        assert strategy.respond(hand.view(t), u).tolist() == [False]
        strategy.observe(hand.view(t), 1, offer(60))
        assert hand.state["reoffer"].tolist() == [True]
    np.testing.assert_allclose(strategy.propose(hand.view(989)), [[40.0]])  # the best bid
    assert strategy.respond(hand.view(990), u).tolist() == [True]  # declined four times
    # a better offer in the window: not accepted
    assert strategy.respond(hand.view(990), np.array([0.3])).tolist() == [False]
    # before tau = 0.98: only what it would offer
    assert strategy.respond(hand.view(979), u).tolist() == [False]


# ----------------------------------------------------------------------------- PonPoko


def ponpoko(pattern: int, time: float) -> tuple[float, float]:
    """PonPokoAgent.chooseAction's thresholds (high, low), line by line."""
    if pattern == 0:
        high = 1 - 0.1 * time
        low = 1 - 0.1 * time - 0.1 * abs(math.sin(time * 40))
    elif pattern == 1:
        high, low = 1.0, 1 - 0.22 * time
    elif pattern == 2:
        high = 1 - 0.1 * time
        low = 1 - 0.1 * time - 0.15 * abs(math.sin(time * 20))
    elif pattern == 3:
        high, low = 1 - 0.05 * time, 1 - 0.1 * time
        if time > 0.99:
            low = 1 - 0.3 * time
    else:
        high = 1 - 0.15 * time * abs(math.sin(time * 20))
        low = 1 - 0.21 * time * abs(math.sin(time * 20))
    return high, low


def _ponpoko_hand(**kw) -> Hand:
    noise = np.random.default_rng(4).random((5, 202))
    noise[:, 0] = [0.1, 0.3, 0.5, 0.7, 0.9]  # patterns 0..4
    return Hand(
        np.tile([[[0.0, 0.0], [100.0, 100.0]]], (5, 1, 1)),
        np.full((5, 2, 2), 0.5),
        rounds=201,
        noise=noise,
        **kw,
    )


@pytest.mark.parametrize("t", [0, 60, 117, 199])
def test_pon_poko_thresholds_acceptance_and_bids_by_hand(t):
    hand = _ponpoko_hand()
    strategy = PonPoko()
    view = hand.view(t)
    tau = t / 200
    assert strategy.pattern(view).tolist() == [0, 1, 2, 3, 4]
    high, low = np.array([ponpoko(p, tau) for p in range(5)]).T
    got_high, got_low = strategy.thresholds(strategy.pattern(view), tau)
    np.testing.assert_allclose(got_high, high, atol=1e-15)
    np.testing.assert_allclose(got_low, low, atol=1e-15)
    np.testing.assert_allclose(strategy.target(view), np.clip(low, 0, 1))
    assert not strategy.respond(view, low).any()  # more than low, strictly
    assert strategy.respond(view, low + 1e-9).all()
    package = strategy.propose(view)
    worth = low + draws(view, t, 1)[:, 0] * (high - low)
    np.testing.assert_allclose(view.my_utility(package), worth, atol=1e-12)
    assert strategy.respond(view, np.zeros(5)).all()  # its own packages


def test_pon_poko_bids_no_less_than_its_deal_floor():
    hand = _ponpoko_hand(reservation=0.97)
    view = hand.view(150)
    strategy = PonPoko()
    assert np.all(view.my_utility(strategy.propose(view)) >= 0.97 - 1e-12)
    assert np.all(strategy.target(view) >= 0.97)


# ----------------------------------------------------------------------------- every one


INFORMATION = ["complete", "learned"]


def _private(actors: int, rounds: int = 30) -> ns.Scenario:
    """A generated world whose positions and saliences are private (drawn per run within 40
    points of the generated numbers, which are all the others know) and actor 1's deal floor
    too: under ``"learned"`` the views hold beliefs that start wrong and opponent models
    that learn from the offers."""
    data = ns.generate(actors, 3, seed=3, rounds=rounds, uncertainty=0.4).to_dict()
    data["uncertainty"].append(
        {"target": "a1.reservation", "dist": "uniform", "low": 0.0, "high": 0.5}
    )
    return ns.Scenario.from_dict(data)


def _played(sc: ns.Scenario, strategies: dict, runs: int, information: str, start: int = 0) -> dict:
    batch = ns.sample(sc, runs, seed=7, start=start)
    table = Table(batch, strategies, sc.rounds, information=information)
    run_alternating(table)
    return table.outputs()


@pytest.mark.parametrize("information", INFORMATION)
@pytest.mark.parametrize("actors", [2, 3])
@pytest.mark.parametrize("name", LEARNERS)
def test_a_batch_equals_each_run_alone(name, actors, information):
    """The same runs, vectorized or one by one (finished runs are dropped along the way),
    under complete information and under learned beliefs (the belief measures too)."""
    sc = _private(actors)
    others = ("linear", "conceder")[: actors - 1]
    strategies = {a: make_strategy(n) for a, n in enumerate((name, *others))}
    runs = 6
    batch = _played(sc, strategies, runs, information)
    assert len(np.unique(batch["rounds"])) > 1  # runs finish apart: rows are dropped
    keys = ["agreed", "outcome", "utility", "rounds"]
    if information == "learned":
        keys += [key for key in batch if key.startswith("belief_")]
        assert len(keys) > 4 and np.isfinite(batch["belief_weight_error"][:, 0]).all()
    for k in range(runs):
        alone = _played(sc, strategies, 1, information, start=k)
        for key in keys:
            np.testing.assert_array_equal(batch[key][k], alone[key][0], err_msg=f"{key} {k}")


@pytest.mark.parametrize("information", INFORMATION)
@pytest.mark.parametrize(("actors", "seed"), [(2, 0), (2, 1), (2, 2), (3, 3)])
@pytest.mark.parametrize("name", LEARNERS)
def test_a_full_negotiation_ends_in_deals_that_beat_no_deal(name, actors, seed, information):
    """Generated worlds with private numbers (uncertainty 0.4), played with the others'
    true numbers or with beliefs learned from the offers: against linear concession nearly
    every run agrees, and every deal (with linear or with itself) beats no deal by the
    margin for every actor."""
    sc = ns.generate(actors, 3, seed=seed, uncertainty=0.4)
    for other in ("linear", name):
        mine = dict.fromkeys(sc.actors, other) | {"a0": name}
        res = ns.simulate(sc, 30, seed=seed, strategies=mine, information=information)
        if other == "linear":
            assert res.agreed.mean() > 0.9
        gain = res.utility[res.agreed] - res.no_deal_utility[res.agreed]
        assert np.all(gain >= DEAL_MARGIN - 1e-9)
        assert bool(res.beliefs) == (information == "learned")


def test_the_classes_declare_their_opponent_models_and_classifiers():
    assert HardHeaded.opponent_model == "frequency"
    assert NiceTitForTat.opponent_model == "bayesian"
    assert getattr(AgentK, "opponent_model", None) is None
    assert AgentK.classifier["stochastic"] and PonPoko.classifier["stochastic"]
    assert not HardHeaded.classifier["stochastic"] and not NiceTitForTat.classifier["stochastic"]
    for name in LEARNERS:
        assert get_strategy_class(name).name == name


# ------------------------------------------------------------------ only the view is read

BELIEF_POSITION = np.array([3.0, 97.0, 41.0])  # anything: the table's beliefs may be wrong
BELIEF_WEIGHTS = np.array([0.05, 0.15, 0.8])


def _believing(view: View) -> View:
    """The view with every other actor's row replaced by the same garbage belief (and no
    memo: a memo would hold what the table derived from its own rows)."""
    positions, weights = view.positions.copy(), view.weights.copy()
    reservation = view.reservation.copy()
    positions[:, 1], weights[:, 1], reservation[:, 1] = BELIEF_POSITION, BELIEF_WEIGHTS, 0.33
    runs = view.runs
    return dataclasses.replace(
        view,
        positions=positions,
        weights=weights,
        reservation=reservation,
        counterpart=np.tile(BELIEF_POSITION, (runs, 1)),
        counterpart_weights=np.tile(BELIEF_WEIGHTS, (runs, 1)),
        memo=None,
    )


def _script(name: str, sc: ns.Scenario, believe: bool) -> list[np.ndarray]:
    """Targets, offers and answers of actor 0 over a scripted talk, its views built by a
    table of ``sc`` (with the beliefs put in, if ``believe``)."""
    strategy = make_strategy(name)
    table = Table(ns.sample(sc, 5, seed=2), {0: strategy, 1: make_strategy("linear")}, 20)
    rng = np.random.default_rng(9)
    out = []
    for t in range(20):
        view = table.view(0, t)
        view = _believing(view) if believe else dataclasses.replace(view, memo=None)
        before = {k: np.array(getattr(view, k)) for k in ("positions", "weights", "reservation")}
        out.append(strategy.target(view))
        if t % 2 == 0:
            package = strategy.propose(view)
            out.append(package)
            out.append(strategy.respond(view, view.my_utility(package)))
        else:
            package = rng.uniform(0, 100, (5, 3))  # the same scripted offers every time
            for u in np.linspace(0, 1, 11):
                out.append(strategy.respond(view, np.full(5, u)))
            strategy.observe(view, 1, package)
        for k, value in before.items():  # nothing in the view was written to
            np.testing.assert_array_equal(getattr(view, k), value)
    return out


@pytest.mark.parametrize("name", LEARNERS)
def test_a_strategy_reads_only_its_view(name):
    """Actor 0's views hold garbage beliefs about actor 1. Changing actor 1's true numbers
    (position, salience, reservation: what the table holds) changes nothing it does; the
    learners that model the opponent do act on the beliefs (their outputs differ from those
    given the truth)."""
    data = ns.generate(2, 3, seed=5, rounds=20).to_dict()
    truth = ns.Scenario.from_dict(data)
    other = data["actors"][1]
    other["position"] = {"i0": 90.0, "i1": 5.0, "i2": 60.0}
    other["salience"] = {"i0": 70.0, "i1": 1.0, "i2": 29.0}
    other["reservation"] = 0.45
    changed = ns.Scenario.from_dict(data)
    believed = _script(name, truth, believe=True)
    for a, b in zip(believed, _script(name, changed, believe=True), strict=True):
        np.testing.assert_array_equal(a, b)
    if name in ("hard_headed", "nice_tit_for_tat"):
        told = _script(name, truth, believe=False)
        assert any(not np.array_equal(a, b) for a, b in zip(believed, told, strict=True))


def test_hard_headed_bids_by_the_believed_weights():
    """Its offers after the first are the logroll at its target under the believed
    counterpart (the garbage belief), not the true one."""
    sc = ns.generate(2, 3, seed=5, rounds=20)
    table = Table(ns.sample(sc, 5, seed=2), {0: HardHeaded(), 1: make_strategy("linear")}, 20)
    strategy = HardHeaded()
    strategy.propose(_believing(table.view(0, 0)))
    view = _believing(table.view(0, 2))
    np.testing.assert_allclose(strategy.propose(view), logroll(view, strategy.target(view)))
    true_view = dataclasses.replace(table.view(0, 2), memo=None)
    assert not np.allclose(
        logroll(view, strategy.target(view)), logroll(true_view, strategy.target(true_view))
    )


# ----------------------------------------------------------------------------- edges


def test_agent_k_target_stays_on_its_deal_floor():
    hand = one_issue(reservation=0.8, noise=np.random.default_rng(1).random((1, 22)))
    strategy = AgentK()
    _seen(strategy, hand, [90, 95, 99])  # worth 0.1, 0.05, 0.01: e is low
    assert strategy.estimates(hand.view(20))[2][0] < 0.8
    assert strategy.target(hand.view(20)).tolist() == [0.8]


def test_nice_tit_for_tat_first_offers_are_those_of_the_first_hundredth():
    """T = 201: offers at t = 1 and 2 (tau 0.005, 0.01) are in (0, 0.01], the one at t = 0
    and at t = 3 are not: f0 = min(0.45, 0.35) although the first offer was worth 0.2."""
    hand = one_issue(rounds=201)
    strategy = NiceTitForTat()
    for t, x in ((0, 80), (1, 55), (2, 65), (3, 90)):
        strategy.observe(hand.view(t), 1, offer(x))
    assert strategy._first_min(hand.view(4), hand.state).tolist() == pytest.approx([0.35])
    fresh = one_issue(rounds=201)  # nothing in the window: the first offer
    strategy = NiceTitForTat()
    strategy.observe(fresh.view(0), 1, offer(80))
    assert strategy._first_min(fresh.view(4), fresh.state).tolist() == pytest.approx([0.2])


def first_bids_min(taus: list[float], utils: list[float]) -> float:
    """getMinimumUtilityOfOpponentFirstBids: the least utility of the offers made in
    ``filterBetweenTime(0, 0.01)``, the times in (0, 0.01]; none there: the first offer's."""
    inside = [u for tau, u in zip(taus, utils, strict=True) if 0 < tau <= 0.01]
    return min(inside) if inside else utils[0]


def test_nice_tit_for_tat_first_offers_end_at_one_hundredth():
    """T = 1001: offers at tau = 0, 0.005, 0.01 and 0.011 worth 0.9, 0.45, 0.35 and 0.1; the
    last comes just after the first hundredth, so f0 = min(0.45, 0.35), not 0.1, whether it
    has been observed or is the offer answered now."""
    hand = one_issue(rounds=1001)
    strategy = NiceTitForTat()
    taus, utils = [], []
    for t, x in ((0, 10), (5, 55), (10, 65)):
        strategy.observe(hand.view(t), 1, offer(x))
        taus.append(t / 1000)
        utils.append(1 - x / 100)
    expected = first_bids_min([*taus, 0.011], [*utils, 0.1])
    assert expected == pytest.approx(0.35)
    now = strategy._first_min(hand.view(11), hand.state, np.array([0.1]))  # answered now
    assert now.tolist() == pytest.approx([expected])
    strategy.observe(hand.view(11), 1, offer(90))
    assert strategy._first_min(hand.view(12), hand.state).tolist() == pytest.approx([expected])


def test_nice_tit_for_tat_edges_of_its_concession_factor():
    """N' = f0: c = 1 where B > f0 (the Java's x / 0 = inf), 0 where B = f0; N' < f0: c <= 0
    and t0 >= 1, so u* = 1 before the bonus (0.1 here) takes its share of t0 - N'."""
    hand = one_issue()
    strategy = NiceTitForTat()
    view = hand.view(4)
    f0 = np.array([0.5])
    strategy.nash(view, f0)  # computed and kept: then set to what the example needs
    hand.state["nash"] = np.array([0.5 / 1.1])  # N' = N (1.4 - 0.6 * 0.5) = 0.5 at f0 = 0.5
    assert strategy.aim(view, np.array([0.7]), f0).tolist() == pytest.approx([0.5])
    assert strategy.aim(view, np.array([0.5]), f0).tolist() == pytest.approx([0.95])
    f0 = np.array([0.6])  # N' = 0.5 / 1.1 * 1.16 < f0: B = 0.8, c = 0.2 / (N' - 0.6) < 0
    n_prime = 0.5 / 1.1 * 1.16
    c = 0.2 / (n_prime - 0.6)
    t0 = 1 - c * (1 - n_prime)
    expected = min(1.0, t0 - 0.1 * (t0 - n_prime))
    assert strategy.aim(view, np.array([0.8]), f0).tolist() == pytest.approx([expected])


def test_nice_tit_for_tat_takes_0_7_where_no_nash_point_is_found():
    """Floors (0.9, 0.9): no candidate; N = 0.7, N' = 0.7 (1.4 - 0.6 * 0.6) = 0.728."""
    strategy, hand = _nice(reservation=0.9)
    assert strategy.nash(hand.view(4), np.array([0.4])).tolist() == pytest.approx([0.728])


def test_the_nash_search_refines_in_three_stages():
    """One issue, floors (0.123, 0): the product (0.877 - s) s peaks at s = 0.4385; the
    stages find 0.45, 0.44, then 0.438, so N = 1 - 0.438."""
    hand = one_issue(reservation=[[0.123, 0.0]])
    assert believed_nash(hand.view(0)).tolist() == pytest.approx([0.562], abs=1e-12)
    # floors (0.47, 0.51): only s in [0.51, 0.53] gives both theirs, no multiple of 0.05;
    # the second stage searches around 0.5 and finds s = 0.52
    hand = one_issue(reservation=[[0.47, 0.51]])
    assert believed_nash(hand.view(0)).tolist() == pytest.approx([0.48], abs=1e-12)


def test_the_believed_nash_point_is_kept_until_what_it_reads_changes(monkeypatch):
    strategy, hand = _nice()  # its target was computed at t = 1
    calls = []
    real = anac.believed_nash
    monkeypatch.setattr(anac, "believed_nash", lambda view: calls.append(view.t) or real(view))
    for t in (3, 4, 5, 6):
        strategy.target(hand.view(t))
    assert calls == []  # "complete": the same numbers every round
    hand.reservation[:, 1] = 0.2  # the opponent's deal floor changed (a move)
    strategy.target(hand.view(7))
    strategy.target(hand.view(8))
    assert calls == [7]
    for t in (9, 10):  # "learned": the model's utility may change with every offer
        view = hand.view(t)
        view.information = "learned"
        strategy.target(view)
        strategy.target(view)
    assert calls == [7, 9, 10]
    late = one_issue(rounds=201)  # past tau = 0.99 it is kept (canUpdateBeliefs)
    strategy = NiceTitForTat()
    strategy.observe(late.view(0), 1, offer(60))
    strategy.target(late.view(150))
    late.reservation[:, 1] = 0.2
    strategy.target(late.view(199))
    assert calls == [7, 9, 10, 150]


def test_nice_tit_for_tat_does_not_accept_late_while_many_offers_still_come():
    """T = 2001, tau = 0.99: 19 offers came in (0.98, 0.99] besides this one (20 > 10)."""
    hand = one_issue(rounds=2001)
    strategy = NiceTitForTat()
    strategy.observe(hand.view(0), 1, offer(80))
    strategy.propose(hand.view(1))
    for t in range(1961, 1980):
        strategy.observe(hand.view(t), 1, offer(80))
    assert strategy.respond(hand.view(1980), np.array([0.2])).tolist() == [False]
    assert strategy.respond(hand.view(2000), np.array([0.2])).tolist() == [True]  # tau = 1
    assert strategy.respond(hand.view(2000), np.array([0.0])).tolist() == [False]  # u > 0
    strategy.propose(hand.view(1981))
    assert strategy.respond(hand.view(1981), np.array([0.0])).tolist() == [True]  # its own


def nice_late_accepts(taus: list[float], utils: list[float], tau: float, u: float) -> bool:
    """NiceTitForTat.isAcceptable past tau = 0.98 (the offer now below the planned bid) and
    makeAcceptAction, line by line, on a small domain (enoughBidsToCome = 10) before the
    best bid was ever re-offered; ``taus`` and ``utils`` the opponent's earlier offers."""
    history = [*zip(taus, utils, strict=True), (tau, u)]  # the offer now is in the history
    now, time_left = tau, 1 - tau
    recent = [x for t, x in history if now - time_left < t <= now]
    if tau < 0.98 or len(recent) > 10:
        return False
    window = time_left
    better = [x for t, x in history if u < x <= 1 and now - window < t <= now]
    p = min(time_left / window, 1.0)
    p_hit = 1 - (1 - p) ** len(better) if better else 0.0
    waiting = p_hit * (sum(better) / len(better) if better else 0.0)  # an empty average: 0
    if not u > waiting:
        return False
    best = max(x for _, x in history)
    return not (len(recent) > 1 and best > u)  # else it declines to offer the best bid


@pytest.mark.parametrize("before", [9, 10])
def test_nice_tit_for_tat_accepts_late_with_at_most_ten_offers_to_come(before):
    """T = 2001, tau = 0.99: the window (2 tau - 1, tau] holds ``before`` offers worth 0.2
    and the one now, also 0.2: ten offers (<= enoughBidsToCome) accepted, eleven declined."""
    hand = one_issue(rounds=2001)
    strategy = NiceTitForTat()
    strategy.observe(hand.view(0), 1, offer(80))
    strategy.propose(hand.view(1))
    taus = [0.0]
    for t in range(1980 - before, 1980):
        strategy.observe(hand.view(t), 1, offer(80))
        taus.append(t / 2000)
    expected = nice_late_accepts(taus, [0.2] * len(taus), 0.99, 0.2)
    assert expected == (before + 1 <= 10)
    assert strategy.respond(hand.view(1980), np.array([0.2])).tolist() == [expected]


def test_logrolls_at_several_targets_are_the_logrolls_one_by_one():
    for loss in ("linear", "quadratic"):
        hand = Hand(
            np.random.default_rng(5).uniform(0, 100, (7, 2, 4)),
            np.random.default_rng(6).dirichlet(np.ones(4), (7, 2)),
            loss=loss,
        )
        view = hand.view(0)
        targets = np.random.default_rng(7).uniform(-0.2, 1.2, (7, 9))
        many = logrolls(view, targets)
        for k in range(9):
            np.testing.assert_array_equal(many[:, k], logroll(view, targets[:, k]))


@pytest.mark.parametrize("name", LEARNERS)
def test_beliefs_off_the_scales_do_not_take_an_offer_off_them(name):
    """The believed opponent wants 180 and -50 on scales 0..100: offers stay on them."""
    hand = Hand(
        [[[20.0, 70.0], [180.0, -50.0]]] * 3,
        [[[0.5, 0.5], [0.2, 0.8]]] * 3,
        reservation=0.0,
        noise=np.random.default_rng(8).random((3, 22)),
    )
    strategy = make_strategy(name)
    for t in range(21):
        view = hand.view(t)
        if t % 2:
            strategy.observe(view, 1, np.array([[100.0, 0.0]] * 3))
        else:
            package = strategy.propose(view)
            assert np.all((package >= 0) & (package <= 100))


def test_under_the_mediated_protocol_they_see_no_offers():
    """No offer is observed and none proposed: hard_headed and agent_k hold out for their
    ideal, nice_tit_for_tat agrees from tau = 0.98, pon_poko by its band."""
    sc = ns.generate(2, 3, seed=1)
    agreed = {
        name: ns.simulate(
            sc, 20, seed=0, protocol="mediated", strategies={"a0": name, "a1": "linear"}
        )
        for name in LEARNERS
    }
    assert not agreed["hard_headed"].agreed.any() and not agreed["agent_k"].agreed.any()
    assert np.all(agreed["nice_tit_for_tat"].rounds >= 0.98 * 99)
    assert agreed["pon_poko"].agreed.all()
