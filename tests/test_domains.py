"""The discrete benchmark domains (issue 29): GENIUS and GeniusWeb folders read by GENIUS's
rules, written back exactly, negotiated by GENIUS's time-dependent tactics, and solved by
enumeration.

Every expected number is worked out by hand from the rules of docs/domains.md (the comments
show the arithmetic) or by a brute-force oracle written here; none is taken from the code's
output. The fixtures under tests/data/domains were written for these tests.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negosim.engine import discrete_solutions as solutions
from negosim.engine.discrete import Bidder, negotiate, outcome_space
from negosim.io import read_domain, read_genius, read_geniusweb, write_genius
from negosim.io.geniusweb import number_utility
from negosim.model.domains import (
    CategoricalIssue,
    IntegerIssue,
    LinearEvaluator,
    Profile,
    TableEvaluator,
    discounted,
    effective_discount,
    make_domain,
)
from negosim.model.errors import ArgumentError, ScenarioError

DATA = Path(__file__).parent / "data" / "domains"
LUNCH = DATA / "genius" / "lunch"

# --------------------------------------------------------------------------- hand-computed
# lunch: food {pizza, sushi, salad} x price 1..4 x place {inside, outside}, C order.
# alice: food 4, 8, 2 -> /8 -> .5, 1, .25; price 1 - .25 (p - 1) -> 1, .75, .5, .25;
#        place 3, 0 -> 1, 0; weights 2:1:1 -> .5, .25, .25.
# bob:   food 10, 0, 5 -> 1, 0, .5; price clip(.25 + .5 (p - 1)) -> .25, .75, 1, 1;
#        place 1, 1 -> 1, 1; weights .4, .4, .2.
LUNCH_UTILITIES = {  # (food, price, place): (alice, bob)
    ("pizza", "1", "inside"): (0.75, 0.7),  # .25 + .25 + .25 ; .4 + .1 + .2
    ("pizza", "1", "outside"): (0.5, 0.7),
    ("pizza", "2", "inside"): (0.6875, 0.9),  # .25 + .1875 + .25 ; .4 + .3 + .2
    ("pizza", "2", "outside"): (0.4375, 0.9),
    ("pizza", "3", "inside"): (0.625, 1.0),  # .25 + .125 + .25 ; .4 + .4 + .2
    ("pizza", "3", "outside"): (0.375, 1.0),
    ("pizza", "4", "inside"): (0.5625, 1.0),
    ("pizza", "4", "outside"): (0.3125, 1.0),
    ("sushi", "1", "inside"): (1.0, 0.3),  # .5 + .25 + .25 ; 0 + .1 + .2
    ("sushi", "1", "outside"): (0.75, 0.3),
    ("sushi", "2", "inside"): (0.9375, 0.5),
    ("sushi", "2", "outside"): (0.6875, 0.5),
    ("sushi", "3", "inside"): (0.875, 0.6),
    ("sushi", "3", "outside"): (0.625, 0.6),
    ("sushi", "4", "inside"): (0.8125, 0.6),
    ("sushi", "4", "outside"): (0.5625, 0.6),
    ("salad", "1", "inside"): (0.625, 0.5),  # .125 + .25 + .25 ; .2 + .1 + .2
    ("salad", "1", "outside"): (0.375, 0.5),
    ("salad", "2", "inside"): (0.5625, 0.7),
    ("salad", "2", "outside"): (0.3125, 0.7),
    ("salad", "3", "inside"): (0.5, 0.8),
    ("salad", "3", "outside"): (0.25, 0.8),
    ("salad", "4", "inside"): (0.4375, 0.8),
    ("salad", "4", "outside"): (0.1875, 0.8),
}

# trio: day {mon, tue, wed} x room {small, large}. party1: day 4, 2, 1 -> 1, .5, .25, room
# 1, 2 -> .5, 1, weights 3:1; party2: day 0, 5, 10 -> 0, .5, 1, room 6, 3 -> 1, .5, weights
# .5, .5; party3: day 1, 1, 1 -> 1, 1, 1, room 0, 8 -> 0, 1, weights 1:3. The GeniusWeb folder
# writes the divided values and the same raw weights: both give these utilities.
TRIO_UTILITIES = {
    ("mon", "small"): (0.875, 0.5, 0.25),  # .75 + .125 ; 0 + .5 ; .25 + 0
    ("mon", "large"): (1.0, 0.25, 1.0),
    ("tue", "small"): (0.5, 0.75, 0.25),
    ("tue", "large"): (0.625, 0.5, 1.0),
    ("wed", "small"): (0.3125, 1.0, 0.25),
    ("wed", "large"): (0.4375, 0.75, 1.0),
}

# picnic (GeniusWeb): A = .6 drink{1, .6, .2} + .4 snack{.5, 1};
# B = (.3:.3 -> .5, .5) drink{0, .5, 1} + snack{1, 0}; B's reservation bid coffee/fruit: .25.
PICNIC_UTILITIES = {
    ("tea", "cake"): (0.8, 0.5),
    ("tea", "fruit"): (1.0, 0.0),
    ("coffee", "cake"): (0.56, 0.75),
    ("coffee", "fruit"): (0.76, 0.25),
    ("juice", "cake"): (0.32, 1.0),
    ("juice", "fruit"): (0.52, 0.5),
}

# garden (GeniusWeb, a number issue): snack {cake, fruit} x hours range {low .5, high 2, step
# .5} -> hours .5, 1, 1.5, 2 (labels "0.5", "1", "1.5", "2"). NumberValueSetUtilities: u(x) =
# lowU + (highU - lowU) (x - lowV) / (highV - lowV), rounded half up to 8 places.
# A: hours (.5 -> .2, 2 -> 1): .2; .2 + .8/3 = .4666...67 -> .46666667; .2 + 1.6/3 =
#    .7333...3 -> .73333333; 1. snack cake 1, fruit .4; weights snack .4, hours .6.
#    reservationBid fruit/1: .4 * .4 + .6 * .46666667 = .16 + .280000002 = .440000002.
# B: hours (.5 -> 1, 2 -> 0): 1; 1 - 1/3 = .6666...67 -> .66666667; 1 - 2/3 -> .33333333; 0.
#    snack cake .5, fruit 1; weights .5, .5; no reservationBid: 0.
GARDEN_UTILITIES = {  # (snack, hours): (A, B)
    ("cake", "0.5"): (0.52, 0.75),  # .4 + .6 * .2 ; .25 + .5 * 1
    ("cake", "1"): (0.680000002, 0.583333335),  # .4 + .280000002 ; .25 + .333333335
    ("cake", "1.5"): (0.839999998, 0.416666665),  # .4 + .439999998 ; .25 + .166666665
    ("cake", "2"): (1.0, 0.25),
    ("fruit", "0.5"): (0.28, 1.0),  # .16 + .12 ; .5 + .5
    ("fruit", "1"): (0.440000002, 0.833333335),
    ("fruit", "1.5"): (0.599999998, 0.666666665),
    ("fruit", "2"): (0.76, 0.5),
}

# party (GeniusWeb, number issues only): guests range {1, 4, 1} -> the integer issue 1..4;
# budget range {100, 450, 150} -> 100, 250, 400 (the last below high; labels "100".."400").
# guest (read first: natural order): guests (1 -> 1, 4 -> .5): 1; 1 - .5/3 -> .83333333;
#   1 - 1/3 -> .66666667; .5. budget (100 -> 0, 450 -> 1): 0; 150/350 = .428571428.. ->
#   .42857143; 300/350 = .857142857.. -> .85714286. Weights .5, .5; no reservationBid.
# host: guests (1 -> 0, 4 -> 1): 0; .33333333; .66666667; 1. budget (100 -> 1, 450 -> .2): 1;
#   1 - .8 * 150/350 = .657142857.. -> .65714286; 1 - .8 * 300/350 = .314285714.. ->
#   .31428571. Weights .25, .75. reservationBid guests 2, budget 250.0 (a float, the value
#   250): .25 * .33333333 + .75 * .65714286 = .0833333325 + .492857145 = .5761904775.
PARTY_UTILITIES = {  # (guests, budget): (guest, host)
    ("1", "100"): (0.5, 0.75),  # .5 + 0 ; 0 + .75
    ("1", "250"): (0.714285715, 0.492857145),  # .5 + .214285715 ; 0 + .492857145
    ("1", "400"): (0.92857143, 0.2357142825),  # .5 + .42857143 ; 0 + .2357142825
    ("2", "100"): (0.416666665, 0.8333333325),  # .416666665 + 0 ; .0833333325 + .75
    ("2", "250"): (0.63095238, 0.5761904775),
    ("2", "400"): (0.845238095, 0.319047615),
    ("3", "100"): (0.333333335, 0.9166666675),  # .333333335 ; .1666666675 + .75
    ("3", "250"): (0.54761905, 0.6595238125),
    ("3", "400"): (0.761904765, 0.4023809500),
    ("4", "100"): (0.25, 1.0),
    ("4", "250"): (0.464285715, 0.742857145),
    ("4", "400"): (0.67857143, 0.4857142825),
}


def _every_outcome(space, expected):
    """The enumerated utilities of every outcome, by its labels, against ``expected``."""
    found = {space.labels(x): tuple(space.utility[:, x]) for x in range(space.size)}
    assert found.keys() == expected.keys()
    for labels, utilities in expected.items():
        assert found[labels] == pytest.approx(utilities, abs=1e-12), labels
        indices = [
            issue.values.index(v) for issue, v in zip(space.domain.issues, labels, strict=True)
        ]
        for p, u in enumerate(utilities):
            assert space.domain.utility(p, indices) == pytest.approx(u, abs=1e-12)


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("genius/lunch", LUNCH_UTILITIES),
        ("genius/trio", TRIO_UTILITIES),
        ("geniusweb/trio", TRIO_UTILITIES),
        ("geniusweb/picnic", PICNIC_UTILITIES),
        ("geniusweb/garden", GARDEN_UTILITIES),
        ("geniusweb/party", PARTY_UTILITIES),
    ],
)
def test_every_outcome_is_worth_what_the_rules_say(folder, expected):
    _every_outcome(outcome_space(read_domain(DATA / folder)), expected)


def test_reservation_and_discount_follow_genius():
    lunch = read_genius(LUNCH)
    alice, bob = lunch.profiles
    assert (alice.reservation, alice.discount, alice.delta) == (0.25, 0.5, 0.5)
    assert (bob.reservation, bob.discount, bob.delta) == (0.0, 0.0, 1.0)  # 0 means none
    trio = read_genius(DATA / "genius" / "trio")
    assert [(p.reservation, p.delta) for p in trio.profiles] == [(0.4375, 1.0), (0.0, 0.9), (0, 1)]
    web = read_geniusweb(DATA / "geniusweb" / "trio")
    assert [p.reservation for p in web.profiles] == [0.4375, 0.0, 0.0]  # wed/large for party1
    assert read_domain(DATA / "geniusweb" / "picnic").profiles[1].reservation == 0.25
    assert [effective_discount(d) for d in (-0.5, 0.0, 1e-9, 0.5, 1.0, 1.0000001, 3)] == [
        1.0,
        1.0,
        1e-9,
        0.5,
        1.0,
        1.0,
        1.0,
    ]
    # u d^t on t clipped to [0, 1]: .8 * .5^.5, .8 at t <= 0, .8 * .5 at t >= 1
    assert discounted(0.8, [0.5, -1.0, 0.0, 1.0, 2.0], 0.5) == pytest.approx(
        [0.8 * 0.5**0.5, 0.8, 0.8, 0.4, 0.4]
    )
    assert discounted(0.8, 0.7, 1.5) == 0.8  # a factor above 1: no discount


def test_geniusweb_number_issues_are_enumerated_as_their_ranges():
    garden = read_geniusweb(DATA / "geniusweb" / "garden")
    assert garden.issues[1] == CategoricalIssue("hours", ("0.5", "1", "1.5", "2"))
    assert [p.reservation for p in garden.profiles] == [0.440000002, 0.0]
    party = read_geniusweb(DATA / "geniusweb" / "party")
    assert party.issues == (
        IntegerIssue("guests", 1, 4),  # whole numbers, step 1
        CategoricalIssue("budget", ("100", "250", "400")),  # step 150; 400 + 150 > 450
    )
    assert party.party_names == ("guest", "host")
    assert [p.reservation for p in party.profiles] == [0.0, 0.5761904775]


def test_number_utilities_round_half_up_to_eight_places_and_are_0_off_the_range():
    d = Decimal
    # .123456785 is a tie at the 9th place: half up gives .12345679 (half even .12345678)
    assert number_utility(d(1), d(0), d(0), d(1), d("0.123456785")) == 0.12345679
    assert number_utility(d(0), d(0), d(0), d(1), d("0.123456785")) == 0.0  # lowUtility
    # below lowValue or above highValue: 0, not the end utility (no clamping)
    assert number_utility(d("-0.5"), d(0), d("0.7"), d(1), d("0.9")) == 0.0
    assert number_utility(d(2), d(0), d("0.7"), d(1), d("0.9")) == 0.0
    assert number_utility(d("0.5"), d(0), d("0.7"), d(1), d("0.9")) == 0.8  # .7 + .2 * .5


def test_number_issues_on_the_file_round_half_up(tmp_path):
    """A range {0, 1, 1} whose highUtility .123456785 is rounded even at highValue."""
    folder = tmp_path / "tie"
    shutil.copytree(DATA / "bad" / "json_number_utility_above_one", folder)
    for name in ("d.json", "p.json"):
        text = (folder / name).read_text()
        text = text.replace('"low": 1', '"low": 0').replace('"high": 3', '"high": 1')
        text = text.replace('"lowValue": 1', '"lowValue": 0').replace(
            '"highValue": 3', '"highValue": 1'
        )
        (folder / name).write_text(text.replace('"highUtility": 1.5', '"highUtility": 0.123456785'))
    domain = read_geniusweb(folder)
    assert domain.issues[1] == IntegerIssue("size", 0, 1)
    # color red 1, blue 0 (weight .7); size 0 -> 0, 1 -> .12345679 (weight .3)
    assert outcome_space(domain).utility[0].tolist() == pytest.approx(
        [0.7, 0.7 + 0.3 * 0.12345679, 0.0, 0.3 * 0.12345679], abs=1e-15
    )


def test_geniusweb_specials_are_kept():
    picnic = read_domain(DATA / "geniusweb" / "picnic")
    assert picnic.specials["nash"]["bid"] == {"drink": "coffee", "snack": "cake"}
    assert read_domain(DATA / "geniusweb" / "trio").specials is None


# --------------------------------------------------------------------------- solutions


def _labels(space, indices):
    return [space.labels(int(x)) for x in indices]


def test_solutions_of_lunch_by_hand():
    """Pareto: sorted by alice's utility, each outcome whose bob utility beats all before
    (1/.3, .9375/.5, .875/.6, .75/.7, .6875/.9, .625/1). Nash (r = .25, 0): the largest
    (u_a - .25) u_b is pizza/2/inside, .4375 * .9 = .39375 (pizza/3/inside .375, sushi/3/inside
    .375). Kalai: gains ((u_a - .25)/.75, u_b/1); the best smallest is pizza/1/inside, 2/3.
    Welfare: pizza/3/inside, 1.625."""
    space = outcome_space(read_genius(LUNCH))
    assert _labels(space, solutions.pareto_frontier(space)) == [
        ("sushi", "1", "inside"),
        ("sushi", "2", "inside"),
        ("sushi", "3", "inside"),
        ("pizza", "1", "inside"),
        ("pizza", "2", "inside"),
        ("pizza", "3", "inside"),
    ]
    assert space.labels(solutions.nash(space)) == ("pizza", "2", "inside")
    assert space.labels(solutions.kalai_smorodinsky(space)) == ("pizza", "1", "inside")
    assert space.labels(solutions.max_welfare(space)) == ("pizza", "3", "inside")


def test_solutions_of_picnic_match_its_specials():
    """Nash (r = 0, .25): coffee/cake .56 * .5 = .28 beats tea/cake .2, juice/cake .24,
    juice/fruit .13; the specials.json written for the fixture say the same."""
    domain = read_domain(DATA / "geniusweb" / "picnic")
    space = outcome_space(domain)
    names = [i.name for i in domain.issues]
    bid = lambda x: dict(zip(names, space.labels(x), strict=True))  # noqa: E731
    assert bid(solutions.nash(space)) == domain.specials["nash"]["bid"]
    assert bid(solutions.kalai_smorodinsky(space)) == domain.specials["kalai"]["bid"]
    front = [bid(x) for x in solutions.pareto_frontier(space)]
    assert front == [point["bid"] for point in domain.specials["pareto_front"]]


def test_solutions_of_three_parties_by_hand():
    """Rational for party1 (r = .4375): mon/*, tue/*; Nash products .4375*.5*.25,
    .5625*.25*1 = .140625 (largest: mon/large), .0625*.75*.25, .1875*.5*1. Welfare: mon/large
    2.25. No outcome dominates another."""
    space = outcome_space(read_genius(DATA / "genius" / "trio"))
    assert space.labels(solutions.nash(space)) == ("mon", "large")
    assert space.labels(solutions.max_welfare(space)) == ("mon", "large")
    assert sorted(solutions.pareto_frontier(space)) == list(range(6))
    # two of them: party2 and party3 (no reservation); mon/large and tue/large... products
    # .25*1, .5*1, .75*1 for */large: wed/large
    assert space.labels(solutions.nash(space, parties=["party2", "party3"])) == ("wed", "large")


# --------------------------------------------------------------------------- negotiations


def test_linear_tactics_on_lunch_traced_by_hand():
    """T = 3, t = k/4. Round 1 (t = .25): alice aims at .25 + .75 * .75 = .8125 and offers
    sushi/4/inside (exactly .8125); bob (.3 + .7 * .75 = .825) gets .6, refuses and offers
    the first outcome worth .8 (nearest .825), salad/3/inside. Round 2 (t = .5): alice (.625)
    gets .5, refuses, offers the first outcome worth .625, pizza/3/inside; bob (.65) gets 1:
    agreed. Utilities: alice .625 * .5^.5, bob 1."""
    res = negotiate(read_genius(LUNCH), ["linear", "linear"], rounds=3)
    assert res.agreed.tolist() == [True]
    assert res.rounds.tolist() == [2]
    assert res.time.tolist() == [0.5]
    assert res.space.labels(int(res.outcome[0])) == ("pizza", "3", "inside")
    assert res.utility[0] == pytest.approx([0.625 * 0.5**0.5, 1.0])
    frame = res.to_frame()
    assert frame.loc[0, ["outcome.food", "outcome.price", "outcome.place"]].tolist() == [
        "pizza",
        "3",
        "inside",
    ]
    assert frame.columns.tolist()[-2:] == ["utility.alice", "utility.bob"]


def test_hardliners_never_agree_and_get_their_discounted_reservation():
    """alice always offers sushi/1/inside (her 1; bob's .3), bob pizza/3/inside (the first
    of his 1s; alice's .625): no deal; at the deadline (t = 1) alice gets .25 * .5, bob 0."""
    res = negotiate(read_genius(LUNCH), {"bob": "hardliner", "alice": 0.0}, rounds=50, runs=3)
    assert res.agreed.tolist() == [False] * 3
    assert res.rounds.tolist() == [50] * 3 and res.outcome.tolist() == [-1] * 3
    assert res.utility.tolist() == [[0.125, 0.0]] * 3
    assert res.to_frame()["outcome.food"].isna().all()


def test_three_conceders_agree_in_the_second_round():
    """Turn order party2, party1, party3; e = 2, T = 2 (t = 1/3, 2/3; 1 - t^.5 = .42265,
    .18350). Round 1: party2 aims at .25 + .75 * .42265 = .567 and offers the first outcome
    worth .5 (nearest), mon/small; party1 (.4375 + .5625 * .42265 = .675) gets .875: accepts;
    party3 (.567) gets .25, refuses and offers the first outcome worth .25 (nearer than 1):
    mon/small again, a new offer. Round 2: party2 (.25 + .75 * .1835 = .388) gets .5, party1
    (.541) .875: both accept. Utilities: party2 .5 * .9^(2/3), party1 .875, party3 .25."""
    domain = read_genius(DATA / "genius" / "trio")
    res = negotiate(domain, ["conceder"] * 3, rounds=2, parties=["party2", "party1", "party3"])
    assert res.party_names == ("party2", "party1", "party3")
    assert res.agreed.tolist() == [True] and res.rounds.tolist() == [2]
    assert res.space.labels(int(res.outcome[0])) == ("mon", "small")
    assert res.utility[0] == pytest.approx([0.5 * 0.9 ** (2 / 3), 0.875, 0.25])


def test_bids_break_ties_as_documented():
    """Nearest: a target halfway between two utilities takes the better one; among outcomes
    of equal utility, the lowest index. At least: the worst outcome worth the target, else the
    best. The target: P_min + (P_max - P_min)(1 - t^(1/e)), P_max at e = 0."""
    bidder = Bidder.of(np.array([0.75, 0.25, 1.0, 0.5, 0.25, 0.75]), reservation=0.3)
    assert (bidder.high, bidder.low) == (1.0, 0.3)  # P_min: the reservation beats 0.25
    assert bidder.nearest(np.array([0.625, 0.375, 0.26, 0.9, 2.0])).tolist() == [0, 3, 1, 2, 2]
    assert bidder.at_least(np.array([0.6, 0.25, 0.3, 1.5])).tolist() == [0, 1, 3, 2]
    # t = .25: 1 - .25^(1/.5) = .9375; 1 - .25^(1/2) = .5; e = 0: P_max
    assert bidder.target(0.25, np.array([0.5, 2.0, 0.0])) == pytest.approx(
        [0.3 + 0.7 * 0.9375, 0.3 + 0.7 * 0.5, 1.0]
    )


def _reference(utility, reservation, e, rounds, acceptance, bidding):
    """A scalar negotiation written from docs/domains.md: lists, loops, no search."""
    n, size = len(e), len(utility[0])
    high = [max(u) for u in utility]
    low = [max(min(u), r) for u, r in zip(utility, reservation, strict=True)]

    def target(p, t):
        if e[p] == 0:
            return high[p]
        return low[p] + (high[p] - low[p]) * (1.0 - t ** (1.0 / e[p]))

    def bid(p, aim):
        if bidding == "nearest":
            return min(range(size), key=lambda x: (abs(utility[p][x] - aim), -utility[p][x], x))
        worth = [x for x in range(size) if utility[p][x] >= aim]
        if not worth:
            return min(range(size), key=lambda x: (-utility[p][x], x))
        return min(worth, key=lambda x: (utility[p][x], x))

    offer, accepts = None, 0
    for k in range(1, rounds + 1):
        t = k / (rounds + 1)
        for p in range(n):
            aim = target(p, t)
            mine = bid(p, aim)
            if offer is None:
                offer = mine
                continue
            bar = aim if acceptance == "target" else utility[p][mine]
            if utility[p][offer] >= bar:
                accepts += 1
                if accepts == n - 1:
                    return k, offer
            else:
                offer, accepts = mine, 0
    return None, None


@st.composite
def domains(draw, parties=(2, 3), max_issues=3, max_values=4, max_evaluation=4):
    """Small random domains: categorical issues with integer evaluations (many ties) and
    integer issues with a linear evaluator, random weights and reservations."""
    issues, count = [], draw(st.integers(1, max_issues))
    for i in range(count):
        size = draw(st.integers(1, max_values))
        if draw(st.booleans()):
            issues.append(CategoricalIssue(f"i{i}", tuple(f"v{k}" for k in range(size))))
        else:
            lower = draw(st.integers(-3, 3))
            issues.append(IntegerIssue(f"i{i}", lower, lower + size - 1))
    profiles = []
    for p in range(draw(st.sampled_from(parties))):
        evaluators = []
        for issue in issues:
            if isinstance(issue, IntegerIssue) and draw(st.booleans()):
                slope = draw(st.sampled_from([-0.5, -0.25, 0.0, 0.25, 0.5]))
                evaluators.append(LinearEvaluator(draw(st.sampled_from([0.0, 0.5, 1.0])), slope))
            else:
                values = draw(
                    st.lists(
                        st.integers(0, max_evaluation), min_size=issue.size, max_size=issue.size
                    )
                )
                evaluators.append(TableEvaluator(tuple(float(v) for v in values)))
        weights = draw(st.lists(st.integers(0, 3), min_size=count, max_size=count))
        weights[draw(st.integers(0, count - 1))] += 1
        reservation = draw(st.sampled_from([0.0, 0.1, 0.3, 0.5]))
        profiles.append(
            Profile(f"p{p}", tuple(float(w) for w in weights), tuple(evaluators), reservation)
        )
    return make_domain("random", issues, profiles)


@settings(max_examples=60, deadline=None)
@given(
    domains(),
    st.lists(st.sampled_from([0.0, 0.2, 0.5, 1.0, 2.0, 5.0]), min_size=6, max_size=6),
    st.integers(1, 12),
    st.sampled_from(["target", "next"]),
    st.sampled_from(["nearest", "at_least"]),
)
def test_negotiations_equal_a_scalar_reference(domain, exponents, rounds, acceptance, bidding):
    space = outcome_space(domain)
    n = len(domain.profiles)
    rng = np.random.default_rng(len(exponents) * rounds)
    e = np.array([exponents[:n], exponents[n : 2 * n], rng.choice(exponents, n)])  # 3 runs
    res = negotiate(space, list(e.T), rounds=rounds, acceptance=acceptance, bidding=bidding)
    utility = [list(map(float, row)) for row in space.utility]
    reservation = [p.reservation for p in domain.profiles]
    for r in range(3):
        ended, offer = _reference(utility, reservation, list(e[r]), rounds, acceptance, bidding)
        deal = ended is not None and all(utility[p][offer] > reservation[p] for p in range(n))
        assert res.agreed[r] == deal
        assert res.rounds[r] == (ended if ended is not None else rounds)
        assert res.outcome[r] == (offer if deal else -1)
        t = ended / (rounds + 1) if ended is not None else 1.0
        for p, profile in enumerate(domain.profiles):
            worth = utility[p][offer] if deal else reservation[p]
            assert res.utility[r, p] == pytest.approx(worth * profile.delta**t, abs=1e-12)


def _pareto_oracle(u):
    count = len(u)
    return {
        x
        for x in range(count)
        if not any(
            all(a >= b for a, b in zip(u[y], u[x], strict=True))
            and any(a > b for a, b in zip(u[y], u[x], strict=True))
            for y in range(count)
        )
    }


@settings(max_examples=80, deadline=None)
@given(domains(parties=(2, 3, 4)), st.sampled_from([1, 2, 3, 1024]))
def test_solutions_equal_brute_force(domain, block):
    space = outcome_space(domain)
    u = [tuple(float(v) for v in space.utility[:, x]) for x in range(space.size)]
    r = [p.reservation for p in domain.profiles]
    with mock.patch.object(solutions, "BLOCK", block):
        assert set(solutions.pareto_frontier(space).tolist()) == _pareto_oracle(u)
    rational = [x for x in range(space.size) if all(a > b for a, b in zip(u[x], r, strict=True))]
    nash, ks = solutions.nash(space), solutions.kalai_smorodinsky(space)
    if not rational:
        assert nash == ks == -1
    else:
        product = lambda x: math.prod(a - b for a, b in zip(u[x], r, strict=True))  # noqa: E731
        best = max(product(x) for x in rational)
        assert nash in rational and product(nash) == pytest.approx(best, abs=1e-12)
        assert nash == min(x for x in rational if product(x) >= best - 1e-12)
        ideal = [max(u[x][i] for x in rational) for i in range(len(r))]
        gains = lambda x: [(a - b) / (c - b) for a, b, c in zip(u[x], r, ideal, strict=True)]  # noqa: E731
        fair = max(min(gains(x)) for x in rational)
        assert ks in rational and min(gains(ks)) == pytest.approx(fair, abs=1e-12)
        tied = [x for x in rational if min(gains(x)) >= fair - 1e-12]
        assert sum(gains(ks)) == pytest.approx(max(sum(gains(x)) for x in tied), abs=1e-12)
        assert ks in _pareto_oracle(u)
    welfare = max(sum(row) for row in u)
    assert sum(u[solutions.max_welfare(space)]) == pytest.approx(welfare, abs=1e-12)


def test_pareto_of_thousands_of_outcomes_equals_pairwise_comparison():
    """Two and three parties, 3,000 outcomes with many ties (utilities on a grid of 1/8),
    against every pair compared at once."""
    rng = np.random.default_rng(29)
    for n in (2, 3):
        u = np.round(rng.random((3000, n)) * 8) / 8
        ge = np.all(u[None, :, :] >= u[:, None, :], axis=2)
        gt = np.any(u[None, :, :] > u[:, None, :], axis=2)
        expected = ~np.any(ge & gt, axis=1)
        assert np.array_equal(solutions.pareto_mask(u), expected)


# --------------------------------------------------------------------------- writing


def test_written_folders_read_back_identical(tmp_path):
    for folder in ("genius/lunch", "genius/trio"):
        domain = read_genius(DATA / folder)
        out = write_genius(domain, tmp_path / folder)
        assert read_genius(out) == domain
        # the utilities too (equal objects give equal numbers; checked once anyway)
        assert np.array_equal(
            outcome_space(read_genius(out)).utility, outcome_space(domain).utility
        )


def test_a_geniusweb_domain_written_as_genius_keeps_its_utilities(tmp_path):
    domain = read_geniusweb(DATA / "geniusweb" / "trio")
    again = read_genius(write_genius(domain, tmp_path / "trio"))
    assert np.array_equal(outcome_space(again).utility, outcome_space(domain).utility)
    assert [p.reservation for p in again.profiles] == [0.4375, 0.0, 0.0]
    # a number issue of decimals is a discrete GENIUS issue of its values: every table's
    # largest utility is 1, so GENIUS's division changes nothing
    garden = read_geniusweb(DATA / "geniusweb" / "garden")
    again = read_genius(write_genius(garden, tmp_path / "garden"))
    assert again.issues == garden.issues
    assert np.array_equal(outcome_space(again).utility, outcome_space(garden).utility)
    assert [p.reservation for p in again.profiles] == [0.440000002, 0.0]
    # whole numbers with step 1 are an integer issue, and GENIUS's integer issues have only
    # linear evaluators: GeniusWeb's rounded utilities cannot be written
    with pytest.raises(ArgumentError, match="issue 'guests': GENIUS integer issues have linear"):
        write_genius(read_geniusweb(DATA / "geniusweb" / "party"), tmp_path / "party")


labels = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=8,
) | st.sampled_from(["a&b", "<x>", '"q"', "it's", " pad ", "tab\there", "line\nbreak", "\r"])
numbers = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def any_domain(draw):
    """Domains with awkward labels and any floats, to write and read back."""
    issues, count = [], draw(st.integers(1, 3))
    names = draw(st.lists(labels.filter(bool), min_size=count, max_size=count, unique=True))
    for name in names:
        if draw(st.booleans()):
            issues.append(
                CategoricalIssue(
                    name, tuple(draw(st.lists(labels, min_size=1, max_size=4, unique=True)))
                )
            )
        else:
            lower = draw(st.integers(-(10**6), 10**6))
            issues.append(IntegerIssue(name, lower, lower + draw(st.integers(0, 5))))
    profiles = []
    for p in range(draw(st.integers(1, 3))):
        evaluators = [
            LinearEvaluator(draw(st.floats(-10, 10)), draw(st.floats(-10, 10)))
            if isinstance(issue, IntegerIssue)
            else TableEvaluator(
                tuple(draw(st.lists(numbers, min_size=issue.size, max_size=issue.size)))
            )
            for issue in issues
        ]
        weights = draw(
            st.lists(numbers, min_size=count, max_size=count).filter(lambda w: sum(w) > 0)
        )
        profiles.append(
            Profile(
                f"party{p + 1}",
                tuple(weights),
                tuple(evaluators),
                reservation=draw(st.floats(-2, 2)),
                discount=draw(st.floats(-2, 2)),
            )
        )
    return make_domain("written", issues, profiles)


@settings(max_examples=60, deadline=None)
@given(any_domain())
def test_any_domain_reads_back_identical(tmp_path_factory, domain):
    folder = tmp_path_factory.mktemp("written")
    assert read_genius(write_genius(domain, folder)) == domain


def test_what_genius_cannot_hold_is_refused_before_writing(tmp_path):
    domain = read_geniusweb(DATA / "geniusweb" / "picnic")
    # profileB's snack utilities peak at 1, its drinks at 1: fine; halve one table:
    half = TableEvaluator((0.25, 0.5), normalise=False)
    b = domain.profiles[1]
    odd = make_domain(
        "picnic",
        domain.issues,
        [domain.profiles[0], Profile("b", b.weights, (b.evaluators[0], half))],
    )
    with pytest.raises(ArgumentError, match=r"profile 'b' issue 'snack'.*largest utility is 0\.5"):
        write_genius(odd, tmp_path / "odd")
    assert not (tmp_path / "odd").exists()
    with pytest.raises(ArgumentError, match="cannot name a file"):
        write_genius(make_domain("a/b", domain.issues, domain.profiles), tmp_path / "x")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "other.xml").write_text("<x/>")
    with pytest.raises(ArgumentError, match=r"holds other GENIUS files: other\.xml"):
        write_genius(domain, tmp_path / "busy")


# --------------------------------------------------------------------------- bad files

BAD = {  # folder: (the file named, the element named)
    "missing_weight": ("p.xml", "weight[index='2']"),
    "unknown_issue": ("p.xml", "issue[index='7' name='shape']"),
    "unknown_value": ("p.xml", "item[value='green']"),
    "negative_weight": ("p.xml", "weight of issue 'color'"),
    "nonlinear_profile": ("p.xml", "utility_space"),
    "empty_folder": ("empty_folder", "no GENIUS (.xml) or GeniusWeb (.json) files"),
    "profile_for_another_domain": ("p.xml", "issue[index='1' name='colour']"),
    "missing_evaluation": ("p.xml", "item[value='blue'].evaluation"),
    "negative_evaluation": ("p.xml", "issue 'color' value 'blue'"),
    "malformed_xml": ("p.xml", "line 11, column 0"),
    "unknown_encoding": ("p.xml", "unknown encoding: klingon"),
    "two_domains": ("two_domains", "d.xml"),
    "no_profile": ("no_profile", "no profile (<utility_space>)"),
    "no_domain": ("no_domain", "no GENIUS domain file"),
    "weight_not_a_number": ("p.xml", "weight[index='1'].value"),
    "evaluator_without_slope": ("p.xml", "issue[index='2' name='size'].evaluator.slope"),
    "real_issue": ("d.xml", "issue[index='2' name='size']"),
    "duplicate_value": ("d.xml", "issue 'color'"),
    "issue_not_evaluated": ("p.xml", "issue[index='2' name='size']"),
    "bounds_differ": ("p.xml", "issue[index='2' name='size']"),
    "json_missing_weights": ("p.json", "LinearAdditiveUtilitySpace.issueWeights"),
    "json_unknown_value": ("p.json", "valueUtilities.green"),
    "json_utility_above_one": ("p.json", "issue 'shape' value 'square'"),
    "json_profile_for_another_domain": ("p.json", "LinearAdditiveUtilitySpace.domain"),
    "json_nonlinear_profile": ("p.json", "SumOfGroupsUtilitySpace"),
    "json_invalid": ("p.json", "line 9 column 7"),
    "json_unknown_issue": ("p.json", "issueWeights.size"),
    "json_reservation_bid_value": ("p.json", "reservationBid.issuevalues.color"),
    "json_negative_weight": ("p.json", "weight of issue 'color'"),
    "json_range_without_step": ("d.json", "issuesValues.size.range.step: missing"),
    "json_range_step_not_positive": ("d.json", "issuesValues.size.range.step: step 0 is not"),
    "json_number_utility_off_the_range": ("p.json", "NumberValueSetUtilities.lowValue"),
    "json_number_utility_above_one": ("p.json", "NumberValueSetUtilities.highUtility"),
    "json_number_reservation_bid_value": ("p.json", "reservationBid.issuevalues.size"),
    "json_number_utilities_for_values": ("p.json", "issueUtilities.size: a number issue needs"),
}


def test_every_bad_fixture_is_listed():
    assert sorted(p.name for p in (DATA / "bad").iterdir()) == sorted(BAD)
    assert len(BAD) >= 20


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_folder_is_one_line_naming_the_file_and_the_element(name):
    file, element = BAD[name]
    with pytest.raises(ScenarioError) as caught:
        read_domain(DATA / "bad" / name)
    message = str(caught.value)
    assert "\n" not in message
    where = DATA / "bad" / name / file if file != name else DATA / "bad" / name
    assert message.startswith(f"{where}: "), message
    assert element in message, message


def test_an_empty_or_missing_folder_is_one_line(tmp_path):
    with pytest.raises(ScenarioError, match=f"^{tmp_path}: no GENIUS"):
        read_domain(tmp_path)
    with pytest.raises(ScenarioError, match="no such folder"):
        read_domain(tmp_path / "nowhere")
    (tmp_path / "f.xml").write_text("<x/>")
    with pytest.raises(ScenarioError, match="not a folder"):
        read_domain(tmp_path / "f.xml")


def test_an_integer_range_too_wide_to_enumerate_is_refused(tmp_path):
    text = (DATA / "bad" / "no_profile" / "d.xml").read_text()
    (tmp_path / "d.xml").write_text(text.replace('upperbound="3"', 'upperbound="1000000000"'))
    (tmp_path / "p.xml").write_text((DATA / "bad" / "no_domain" / "p.xml").read_text())
    with pytest.raises(ScenarioError, match=r"d\.xml: issue 'size': 1,000,000,000 values"):
        read_domain(tmp_path)


def test_arguments_of_the_engine_are_checked():
    domain = read_genius(LUNCH)
    with pytest.raises(ArgumentError, match="lunch has 24 outcomes; at most 10 are enumerated"):
        outcome_space(domain, max_outcomes=10)
    space = outcome_space(domain)
    for kwargs, match in [
        ({"tactics": ["boulware"]}, "1 tactics for 2 parties"),
        ({"tactics": ["boulware", "stubborn"]}, "unknown tactic 'stubborn'"),
        ({"tactics": ["boulware", -1.0]}, "e must be a finite number >= 0"),
        ({"tactics": {"alice": 1.0, "carol": 1.0}}, "one tactic for each of alice, bob"),
        ({"tactics": [np.ones(3), np.ones(4)]}, r"arrays of \[3, 4\] exponents"),
        ({"tactics": ["linear"] * 2, "rounds": 0}, "rounds: a whole number >= 1"),
        ({"tactics": ["linear"] * 2, "runs": -1}, "runs: a whole number >= 1"),
        ({"tactics": ["linear"] * 2, "acceptance": "maybe"}, "acceptance"),
        ({"tactics": ["linear"] * 2, "bidding": "random"}, "bidding"),
        ({"tactics": ["linear"], "parties": ["alice"]}, "at least two parties"),
        ({"tactics": ["linear"] * 2, "parties": ["alice", "alice"]}, "named twice"),
        ({"tactics": ["linear"] * 2, "parties": ["alice", "carol"]}, "no profile 'carol'"),
    ]:
        with pytest.raises(ScenarioError if "profile" in match else ArgumentError, match=match):
            negotiate(space, **kwargs)


def test_runs_vary_by_their_exponents_only():
    """Runs with the same exponents end alike; the runs axis comes first."""
    space = outcome_space(read_genius(LUNCH))
    rng = np.random.default_rng(3)
    e = rng.choice([0.1, 0.5, 1.0, 4.0], size=(200, 2))
    res = negotiate(space, [e[:, 0], e[:, 1]], rounds=30)
    assert res.utility.shape == (200, 2) and res.e.shape == (200, 2)
    for pair in {tuple(row) for row in e}:
        same = np.all(e == pair, axis=1)
        assert len(set(res.outcome[same].tolist())) == 1


# --------------------------------------------------------------------------- ANAC folders

ANAC = os.environ.get("NEGOSIM_ANAC_DOMAINS")
"""A folder of ANAC domains: NegMAS's tests/data/scenarios/anac (GENIUS, 2010-2016) or the ANL
2023 template's domains (GeniusWeb with specials.json)."""


def _folders(root):
    return sorted(
        {p.parent for p in Path(root).rglob("*") if p.suffix.lower() in (".xml", ".json")}
    )


def _by_hand_genius(folder):
    """Independent of negosim: each profile's utility of an outcome (a tuple of labels) by
    the rules of docs/domains.md, or the name of a non-linear profile file."""
    roots = {}
    for f in sorted(folder.glob("*.xml")):
        text = f.read_bytes().lstrip(b"\xef\xbb\xbf \t\r\n")
        if text.startswith(b"<"):
            roots[f] = ET.fromstring(text)
    domain = next(r for r in roots.values() if r.tag == "negotiation_template")
    issues = []
    for e in domain.iter("issue"):
        if (e.get("type") or "discrete") == "integer":
            holder = e if e.get("lowerbound") is not None else e.find("range")
            lo, hi = int(holder.get("lowerbound")), int(holder.get("upperbound"))
            issues.append((e.get("index"), [str(v) for v in range(lo, hi + 1)], lo))
        else:
            issues.append((e.get("index"), [i.get("value") for i in e.findall("item")], None))
    profiles = {}
    for f, root in roots.items():
        if root.tag != "utility_space":
            continue
        if root.get("type") == "nonlinear" or root.find(".//hyperRectangle") is not None:
            return issues, f
        weights = {w.get("index"): float(w.get("value")) for w in root.iter("weight")}
        total = sum(weights[index] for index, _, _ in issues)
        values = {}
        for e in root.iter("issue"):
            lower = next(lo for index, _, lo in issues if index == e.get("index"))
            if lower is not None:
                ev = e.find("evaluator")
                offset, slope = (
                    (0.0, 0.0) if ev is None else (float(ev.get("offset")), float(ev.get("slope")))
                )
                values[e.get("index")] = lambda v, o=offset, s=slope, lo=lower: min(
                    1.0, max(0.0, o + s * (int(v) - lo))
                )
            else:
                table = {i.get("value"): float(i.get("evaluation")) for i in e.findall("item")}
                top = max(table.values())
                values[e.get("index")] = lambda v, t=table, m=top: t[v] / m if m >= 1e-5 else 0.0
        discount = root.find(".//discount_factor")
        reservation = root.find(".//reservation")
        profiles[f.stem] = (
            lambda x, w=weights, v=values, s=total: min(
                1.0,
                sum(
                    w[index] / s * v[index](label)
                    for (index, _, _), label in zip(issues, x, strict=True)
                ),
            ),
            float(reservation.get("value")) if reservation is not None else 0.0,
            float(discount.get("value")) if discount is not None else 1.0,
        )
    return issues, profiles


@pytest.mark.skipif(not ANAC, reason="NEGOSIM_ANAC_DOMAINS names no folder of ANAC domains")
def test_every_anac_folder_follows_the_genius_rules():
    rng = np.random.default_rng(2010)
    checked = refused = 0
    for folder in _folders(ANAC):
        if not any(folder.glob("*.xml")):
            continue
        issues, profiles = _by_hand_genius(folder)
        if isinstance(profiles, Path):
            with pytest.raises(ScenarioError, match="non-linear profile"):
                read_domain(folder)
            refused += 1
            continue
        domain = read_domain(folder)
        assert [i.values for i in domain.issues] == [tuple(v) for _, v, _ in issues]
        assert set(domain.party_names) == set(profiles)
        space = outcome_space(domain) if domain.size <= 200_000 else None
        for p, profile in enumerate(domain.profiles):
            by_hand, reservation, discount = profiles[profile.name]
            assert (profile.reservation, profile.discount) == (reservation, discount)
            assert profile.delta == (discount if 0 < discount <= 1 else 1.0)
            for _ in range(50):
                x = [int(rng.integers(len(v))) for _, v, _ in issues]
                labels = [v[k] for (_, v, _), k in zip(issues, x, strict=True)]
                expected = by_hand(labels)
                assert domain.utility(p, x) == pytest.approx(expected, abs=1e-12), folder
                if space is not None:
                    index = np.ravel_multi_index(x, space.shape)
                    assert space.utility[p, index] == pytest.approx(expected, abs=1e-12)
        checked += 1
    if not checked + refused:
        pytest.skip("no GENIUS folder under NEGOSIM_ANAC_DOMAINS")


def _by_hand_geniusweb(folder):
    """Independent of negosim: issues, each profile's utility of a bid, and the specials."""
    files = {f: json.loads(f.read_text()) for f in sorted(folder.glob("*.json"))}
    domain = next(d for d in files.values() if "issuesValues" in d)
    issues = {name: spec["values"] for name, spec in domain["issuesValues"].items()}
    profiles = {}
    for f, data in files.items():
        space = data.get("LinearAdditiveUtilitySpace")
        if space is None:
            continue
        weights = space["issueWeights"]
        total = sum(weights.values())
        tables = {
            i: next(iter(u.values()))["valueUtilities"] for i, u in space["issueUtilities"].items()
        }
        profiles[f.stem] = lambda bid, w=weights, t=tables, s=total: sum(
            w[i] / s * t[i][v] for i, v in bid.items()
        )
    return issues, profiles, files.get(folder / "specials.json")


@pytest.mark.skipif(not ANAC, reason="NEGOSIM_ANAC_DOMAINS names no folder of ANAC domains")
def test_every_geniusweb_folder_follows_its_rules_and_its_specials():
    """Utilities of random bids by hand; where the folder has specials.json (the ANL
    folders), the Nash bid and the Pareto front equal ours, and the utilities it gives are
    ours. (Its "kalai" is the frontier bid nearest the diagonal, not the Kalai-Smorodinsky
    outcome: docs/domains.md.)"""
    rng = np.random.default_rng(2020)
    checked = 0
    for folder in _folders(ANAC):
        if any(folder.glob("*.xml")) or not any(folder.glob("*.json")):
            continue
        issues, profiles, specials = _by_hand_geniusweb(folder)
        domain = read_domain(folder)
        assert [(i.name, list(i.values)) for i in domain.issues] == list(issues.items())
        names = list(issues)
        for p, profile in enumerate(domain.profiles):
            for _ in range(50):
                x = [int(rng.integers(len(v))) for v in issues.values()]
                bid = {n: issues[n][k] for n, k in zip(names, x, strict=True)}
                expected = profiles[profile.name](bid)
                assert domain.utility(p, x) == pytest.approx(expected, abs=1e-12), folder
        if specials is not None and len(domain.profiles) == 2:
            space = outcome_space(domain)
            nash = dict(zip(names, space.labels(solutions.nash(space)), strict=True))
            assert nash == specials["nash"]["bid"], folder
            front = sorted(
                json.dumps(dict(zip(names, space.labels(int(x)), strict=True)))
                for x in solutions.pareto_frontier(space)
            )
            assert front == sorted(json.dumps(f["bid"]) for f in specials["pareto_front"])
            for point in specials["pareto_front"]:
                x = [issues[n].index(point["bid"][n]) for n in names]
                ours = [domain.utility(p, x) for p in range(2)]
                assert ours == pytest.approx(point["utility"], abs=1e-9), folder
        checked += 1
    if not checked:
        pytest.skip("no GeniusWeb folder under NEGOSIM_ANAC_DOMAINS")


def test_a_hardliner_accepts_its_own_best_outcome():
    """Found by the scalar reference: with e = 0 the target is P_max itself. p0's best
    outcomes (v1, 0) and (v2, 0) are worth (3 + 4 + 2) / 9 = 1 and its worst 0.3056, and
    P_min + (P_max - P_min) missed 1 by a rounding, so p0 refused (v2, 0), which p1 and p2
    (who want v2) offer in round 1: by hand, p0 offers (v1, 0) in round 1 (the lower index of
    the tie), p1 refuses and offers (v2, 0), p2 accepts, and p0 accepts in round 2."""
    issues = (
        CategoricalIssue("i0", ("v0", "v1", "v2", "v3")),
        IntegerIssue("i1", 0, 1),
        CategoricalIssue("i2", ("v0",)),
    )

    def profile(name, weights, tables):
        return Profile(name, weights, tuple(TableEvaluator(t) for t in tables), 0.0)

    wants_v2 = [(0.0, 0.0, 1.0, 0.0), (0.0, 0.0), (0.0,)]
    domain = make_domain(
        "hardliners",
        issues,
        [
            profile("p0", (3.0, 4.0, 2.0), [(1.0, 4.0, 4.0, 1.0), (1.0, 0.0), (1.0,)]),
            profile("p1", (1.0, 0.0, 0.0), wants_v2),
            profile("p2", (1.0, 0.0, 0.0), wants_v2),
        ],
    )
    space = outcome_space(domain)
    res = negotiate(space, [0.0, 0.0, 0.0], rounds=2)
    assert res.agreed.tolist() == [True] and res.rounds.tolist() == [2]
    assert space.labels(int(res.outcome[0]))[:2] == ("v2", "0")
