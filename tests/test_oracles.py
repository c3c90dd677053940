"""The core against results derived independently of it: closed forms and LPs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import negosim as ns
from negosim.engine.protocols import Table
from negosim.engine.results import wilson_interval
from negosim.engine.runner import resolve_strategies
from negosim.model.ratification import DEAL_MARGIN
from negosim.model.strategies import Rubinstein, TimeDependent, TradeOff

from helpers import bilateral, time_dependent_closed_form


@settings(max_examples=150, deadline=None)
@given(
    a=st.floats(0, 100),
    b=st.floats(0, 100),
    ea=st.floats(0.1, 10),
    eb=st.floats(0.1, 10),
    ra=st.floats(0, 0.9),
    rb=st.floats(0, 0.9),
    rounds=st.integers(2, 150),
)
def test_time_dependent_bilateral_matches_closed_form(a, b, ea, eb, ra, rb, rounds):
    """The closed form's targets end at each side's deal floor r + m (docs/protocols.md,
    "Deals beat no deal"); a responder's target is never below it, so its margin holds
    wherever its target does. Without agreement each gets its reservation."""
    m = DEAL_MARGIN
    t, x, gap = time_dependent_closed_form(a, b, ea, eb, ra + m, rb + m, rounds)
    assume(np.min(np.abs(gap)) > 1e-7)  # away from the knife edge of the acceptance test
    sc = bilateral([[a], [b]], [[50], [50]], (ra, rb), rounds=rounds)
    res = ns.simulate(sc, 1, seed=0, strategies={"A": TimeDependent(ea), "B": TimeDependent(eb)})
    if t is None:
        assert not res.agreed[0]
        assert res.rounds[0] == rounds
        np.testing.assert_allclose(res.utility[0], [ra, rb])
    else:
        assert res.agreed[0]
        assert res.rounds[0] == t
        np.testing.assert_allclose(res.outcome[0, 0], x, atol=1e-9)


def test_time_dependent_targets_match_published_values():
    """models.md 3.4 (Genius form, k = 0, t = 0.5): 1 - F(t) = 1 - t^(1/e) is 0.96875 for
    e = 0.2, 0.5 for 1 and 0.1294494 for 5, the share of the range [P_min, P_max] = [r, 1]
    still aimed for. The published targets are P_min + (1 - P_min)(1 - F) with P_min = 0;
    here P_min is the deal floor, reservation 0 plus the margin m (docs/protocols.md, "Deals
    beat no deal"), so the target is m + (1 - m) times the published value."""
    sc = bilateral([[0], [100]], [[1], [1]], (0.0, 0.0), rounds=3)  # tau = 0.5 at t = 1
    table = Table(ns.sample(sc, 1), resolve_strategies(sc), 3)
    floor = table.view(0, 1).my_reservation[0]
    assert floor == pytest.approx(0.01, abs=1e-15)
    for e, published in ((0.2, 0.96875), (1.0, 0.5), (5.0, 0.1294494)):
        target = TimeDependent(e).target(table.view(0, 1))[0]
        assert target == pytest.approx(0.01 + 0.99 * published, abs=1e-7)
        assert (target - floor) / (1 - floor) == pytest.approx(published, abs=1e-7)


@pytest.mark.parametrize(("d1", "d2"), [(0.9, 0.9), (0.9, 0.8), (0.5, 0.95), (0.95, 0.3)])
def test_rubinstein_spe_agrees_at_once_on_the_split(d1, d2):
    """Rubinstein (1982): x1* = (1 - d2) / (1 - d1 d2); e.g. (0.9, 0.8) -> 0.7142857. With
    disagreement at 0 both shares must exceed the margin m = 0.01 for the literature's
    split to be a deal here; the least share of these cases is B's 1 - x1* = 0.0210 at
    (0.95, 0.3) (the margin's own case is the next test)."""
    sc = bilateral([[100], [0]], [[1], [1]], (0.0, 0.0), discount=(d1, d2))
    res = ns.simulate(sc, 1, seed=0, strategies={"A": Rubinstein(), "B": Rubinstein()})
    share = (1 - d2) / (1 - d1 * d2)
    assert res.agreed[0] and res.rounds[0] == 0
    np.testing.assert_allclose(res.outcome[0, 0], 100 * share, rtol=1e-12)
    np.testing.assert_allclose(res.utility[0], [share, 1 - share], rtol=1e-12)
    if (d1, d2) == (0.9, 0.8):
        assert share == pytest.approx(0.7142857, abs=1e-7)
    assert min(share, 1 - share) > DEAL_MARGIN  # the margin does not bind


def test_rubinstein_split_below_the_margin_is_no_deal():
    """d = (0.99, 0.3): the SPE gives A x1* = 0.7 / 0.703 = 0.99573 and B 0.00427, less
    than the margin m = 0.01 over no deal (reservation 0): no deal at round 0. When B
    proposes (odd rounds) it asks for its own SPE share (1 - d1) / (1 - d1 d2) = 0.01422,
    worth 0.01422 * 0.3^t <= 0.0043 to B by then; A's offers stay worth 0.00427 * 0.3^t to
    B. B never gains the margin: no agreement by the deadline, each at its reservation."""
    d1, d2 = 0.99, 0.3
    sc = bilateral([[100], [0]], [[1], [1]], (0.0, 0.0), discount=(d1, d2))
    res = ns.simulate(sc, 1, seed=0, strategies={"A": Rubinstein(), "B": Rubinstein()})
    assert 1 - (1 - d2) / (1 - d1 * d2) < DEAL_MARGIN
    assert not res.agreed[0] and res.rounds[0] == sc.rounds
    np.testing.assert_array_equal(res.utility[0], [0.0, 0.0])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5),
    data=st.data(),
    tau=st.floats(0, 1),
    r=st.floats(0, 0.9),
)
def test_trade_off_offers_are_pareto_efficient(n, data, tau, r):
    """No package gives the counterpart more while keeping the proposer's utility (an LP)."""
    pos = [data.draw(st.lists(st.floats(0, 100), min_size=n, max_size=n)) for _ in "AB"]
    sal = [data.draw(st.lists(st.floats(1, 100), min_size=n, max_size=n)) for _ in "AB"]
    rounds = 101
    sc = bilateral(pos, sal, (r, r), rounds=rounds)
    batch = ns.sample(sc, 1)
    table = Table(batch, {0: TradeOff(), 1: TradeOff()}, rounds)
    t = round(tau * (rounds - 1))
    offer = TradeOff().propose(table.view(0, t))[0]
    a, b = np.array(pos[0]), np.array(pos[1])
    wa, wb = batch.weights[0, 0], batch.weights[0, 1]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    assert np.all(offer >= lo - 1e-9) and np.all(offer <= hi + 1e-9)
    # Between the ideals, u_A = 1 - sum wa*|x - a|/100 is linear: sign(x - a) = sign(b - a).
    sa, sb = np.sign(b - a), np.sign(a - b)
    ua = 1 - np.sum(wa * np.abs(offer - a)) / 100
    ub = 1 - np.sum(wb * np.abs(offer - b)) / 100
    # maximise u_B = const - sum wb*sb*(x - b)/100 s.t. sum wa*sa*(x - a)/100 <= 1 - ua
    lp = linprog(
        c=wb * sb / 100,
        A_ub=[wa * sa / 100],
        b_ub=[1 - ua + np.sum(wa * sa * a) / 100],
        bounds=list(zip(lo, hi, strict=True)),
        method="highs",
    )
    assert lp.status == 0
    best_ub = 1 - (lp.fun - np.sum(wb * sb * b) / 100)
    # HiGHS meets the row within its feasibility tolerance (1e-7): the LP may take up to that
    # much of u_A, which buys u_B at the best weight ratio (A at [0, 0], B at [0, 1e-5] and
    # equal weights: the offer [0, 0] is the only one with u_A = 1, yet the LP reports 1.0).
    slack = 1e-7 * np.max(np.divide(wb, wa, out=np.zeros_like(wb), where=wa > 0))
    assert ub >= best_ub - 1e-9 - slack


FACTS_EXAMPLE_2 = {
    "positions": [[100, 100], [0, 0]],
    "saliences": [[30, 70], [80, 20]],
    "reservations": (0.6, 0.6),
}


def test_linkage_creates_agreement_no_single_issue_has():
    """Facts file 6.2, example 2: U_A = 0.3 x1 + 0.7 x2 >= 0.6, U_B = 0.8 (1 - x1) +
    0.2 (1 - x2) >= 0.6. No issue alone has a zone of agreement; the feasible packages are
    the quadrilateral (0, 6/7), (0, 1), (0.25, 1), (0.32, 0.72)."""
    sc = bilateral(**FACTS_EXAMPLE_2)
    strategies = {"A": TradeOff(), "B": TradeOff()}
    gain = ns.gain_from_linkage(sc, runs=5, seed=1, strategies=strategies)
    assert gain.loc["package", "agreement_rate"] == 1.0
    assert gain.loc["issue_by_issue", "agreement_rate"] == 0.0
    assert gain.loc["gain", "joint_utility"] > 0
    res = ns.simulate(sc, 1, seed=1, strategies=strategies)
    x1, x2 = res.outcome[0] / 100
    floor = 0.6 + DEAL_MARGIN  # a deal beats no deal by the margin (inside the quadrilateral)
    assert 0.3 * x1 + 0.7 * x2 >= floor - 1e-9
    assert 0.8 * (1 - x1) + 0.2 * (1 - x2) >= floor - 1e-9
    assert 0 <= x1 <= 0.32 + 1e-9 and 0.72 - 1e-9 <= x2 <= 1


def test_identical_saliences_give_no_linkage_gain():
    """With equal saliences every package splits the same total utility (u_A + u_B = 1), so
    linking issues adds nothing."""
    sc = bilateral([[100, 100], [0, 0]], [[50, 50], [50, 50]], (0.4, 0.4))
    gain = ns.gain_from_linkage(sc, runs=5, seed=1, strategies={"A": "trade_off", "B": "trade_off"})
    assert (
        gain.loc["package", "agreement_rate"] == gain.loc["issue_by_issue", "agreement_rate"] == 1
    )
    assert gain.loc["gain", "joint_utility"] == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [(50, 100, (0.4038315, 0.5961685)), (0, 10, (0.0, 0.2775328)), (10, 10, (0.7224672, 1.0))],
)
def test_wilson_interval(k, n, expected):
    """Reference values of the Wilson score interval (z = 1.959964)."""
    assert wilson_interval(k, n) == pytest.approx(expected, abs=1e-6)


def test_trade_off_concedes_a_subnormal_gap_without_overflow():
    """Found by the Pareto test: B's ideal 1.1e-308 from A's on one issue costs A a subnormal
    utility, and the budget over it overflowed (a RuntimeWarning, an error here). A cost below
    the least normal float is free: at tau = 1 with r = 0 the whole way is conceded."""
    pos = [[0.0] * 5, [0.0, 0.0, 0.0, 0.0, 1.1125369292536007e-308]]
    sc = bilateral(pos, [[1.0] * 5] * 2, (0.0, 0.0), rounds=101)
    table = Table(ns.sample(sc, 1), {0: TradeOff(), 1: TradeOff()}, 101)
    offer = TradeOff().propose(table.view(0, 100))[0]
    np.testing.assert_array_equal(offer, pos[1])
