"""The table's votes on a package (``Table.votes``): the negotiators whose strategies answer by
time alone are answered together, and every vote must equal what each actor's own rule says
(a negotiator: its strategy's ``respond`` through its view, and the package beats no deal by
the margin; any other actor: its reservation), actor by actor (docs/protocols.md, "Deals beat
no deal")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.engine.protocols import Table
from negosim.model.ratification import DEAL_MARGIN, meets_reservation, reservation_floor
from negosim.model.strategies import (
    ACCEPT_TOLERANCE,
    Boulware,
    Conceder,
    Hardliner,
    Linear,
    Rubinstein,
    TimeDependent,
    TitForTat,
    TradeOff,
    checked_respond,
)
from negosim.model.strategies.time_dependent import answers_by_time


class Stubborn(Linear):
    """A time-dependent target, but its own answer: never yes."""

    def respond(self, view, offer_utility):
        return np.zeros(view.runs, dtype=bool)


class Halved(Linear):
    """Its own target."""

    def target(self, view):
        return super().target(view) / 2


CHOICES = [
    lambda runs: Linear(),
    lambda runs: Boulware(),
    lambda runs: Conceder(),
    lambda runs: TimeDependent(e=0.7),
    lambda runs: TimeDependent(e=np.linspace(0.3, 3.0, runs)),  # one e per run
    lambda runs: Hardliner(),
    lambda runs: TitForTat(),
    lambda runs: TradeOff(),
    lambda runs: Rubinstein(),
    lambda runs: Stubborn(),
    lambda runs: Halved(),
]


@pytest.mark.parametrize(
    ("strategy", "together"),
    [
        (Linear(), True),
        (Boulware(e=0.3), True),
        (Conceder(), True),
        (TradeOff(), True),  # its own offers, TimeDependent's target and answer
        (TimeDependent(e=np.array([0.5, 2.0])), False),  # one e per run
        (Hardliner(), False),
        (TitForTat(), False),
        (Rubinstein(), False),
        (Stubborn(), False),
        (Halved(), False),
    ],
)
def test_which_strategies_answer_by_time(strategy, together):
    assert answers_by_time(strategy) is together


@pytest.mark.parametrize("method", ["respond", "target", "conceded"])
def test_a_method_set_on_the_object_is_asked_itself(method):
    strategy = Linear()
    setattr(strategy, method, lambda *args: None)
    assert not answers_by_time(strategy)


def test_votes_follow_a_respond_set_on_the_object():
    sc = ns.generate(2, 2, seed=0, rounds=5)
    stubborn = Linear()
    stubborn.respond = lambda view, utility: np.zeros(view.runs, dtype=bool)
    table = Table(ns.sample(sc, 6, seed=0), {0: stubborn, 1: Linear()}, 5)
    votes = table.votes(np.ones((6, 2)), 0)
    assert not votes[:, 0].any() and votes[:, 1].all()


def test_the_documented_margin():
    """docs/protocols.md, "Deals beat no deal": m = 0.01."""
    assert DEAL_MARGIN == 0.01


class YesMan(Linear):
    """Says yes to anything."""

    def respond(self, view, offer_utility):
        return np.ones(view.runs, dtype=bool)


def test_a_negotiator_s_yes_needs_the_margin_whatever_its_strategy_says():
    """Declared reservations 0.5: a negotiator whose strategy says yes to anything still
    votes no below 0.5 + 0.01 (0.505, 0.51 - 2e-9) and yes from 0.51 - 1e-9 on (the
    tolerance); a ratifier (no strategy, no margin) says yes from 0.5 - 1e-9 on."""
    sc = ns.generate(3, 2, seed=0, rounds=5, reservation=(0.5, 0.5))
    table = Table(ns.sample(sc, 5, seed=0), {0: YesMan(), 1: YesMan()}, 5)
    u = np.array([0.5, 0.505, 0.51 - 2e-9, 0.51 - 1e-9, 0.6])
    votes = table.votes(np.repeat(u[:, None], 3, axis=1), 2)
    np.testing.assert_array_equal(votes[:, 0], [False, False, False, True, True])
    np.testing.assert_array_equal(votes[:, 1], votes[:, 0])
    np.testing.assert_array_equal(votes[:, 2], [True] * 5)


@settings(max_examples=60, deadline=None)
@given(
    picks=st.lists(st.integers(0, len(CHOICES) - 1), min_size=1, max_size=6),
    subset=st.lists(st.booleans(), min_size=6, max_size=6),
    t=st.integers(0, 19),
    seed=st.integers(0, 2**16),
)
def test_votes_equal_each_actors_own_rule(picks, subset, t, seed):
    """Utilities drawn around the targets and the deal floors, so yes and no both occur
    (and exact ties). A negotiator's deal floor is its reservation plus the margin, what
    its strategy's view holds as its reservation, where time-dependent targets end."""
    runs, rounds = 30, 20
    sc = ns.generate(6, 3, seed=seed % 50, rounds=rounds, reservation=(0.3, 0.8))
    negotiators = [a for a, keep in enumerate(subset) if keep][: len(picks)] or [0]
    strategies = {a: CHOICES[k](runs) for a, k in zip(negotiators, picks, strict=False)}
    table = Table(ns.sample(sc, runs, seed=seed), strategies, rounds)
    floor = table.reservation + DEAL_MARGIN  # no move here: the no-deal value is r
    rng = np.random.default_rng(seed)
    utility = rng.uniform(0.2, 1.0, (runs, len(sc.actors)))
    documented = {}  # the documented target (docs/protocols.md, Strategies), written out here
    for a, strategy in strategies.items():
        np.testing.assert_array_equal(table.view(a, t).my_reservation, floor[:, a])
        if answers_by_time(strategy):
            r, tau = floor[:, a], t / (rounds - 1)
            documented[a] = r + (1.0 - r) * (1.0 - tau ** (1.0 / strategy.e))
    for a in range(len(sc.actors)):  # utilities on and just inside the edges of a yes
        if a in documented:
            edge = documented[a] - ACCEPT_TOLERANCE
        elif a in strategies:  # the margin's edge, whatever the strategy answers
            edge = floor[:, a] - ACCEPT_TOLERANCE
        else:
            edge = reservation_floor(table.reservation[:, a])
        utility[::3, a] = edge[::3]
        utility[1::3, a] = edge[1::3] + ACCEPT_TOLERANCE / 2
        utility[2::6, a] = edge[2::6] - ACCEPT_TOLERANCE / 2

    votes = table.votes(utility, t)

    value = utility * table.discount**t  # nothing paid: no moves
    for a in range(len(sc.actors)):
        if a in strategies:
            own = checked_respond(strategies[a], table.view(a, t), utility[:, a])
            expected = own & (value[:, a] >= floor[:, a] - ACCEPT_TOLERANCE)
        else:
            expected = meets_reservation(utility[:, a], table.reservation[:, a])
        np.testing.assert_array_equal(votes[:, a], expected, err_msg=f"actor {a}")
        if a in documented:
            yes = utility[:, a] >= documented[a] - ACCEPT_TOLERANCE
            np.testing.assert_array_equal(votes[:, a], yes, err_msg=f"actor {a}, documented")


def test_a_strategy_that_observes_nothing_is_not_shown_the_offer():
    """Only strategies that override ``observe`` see offers (no view is built for others)."""
    seen = []

    class Watcher(Linear):
        def observe(self, view, proposer, offer):
            seen.append((view.me, proposer))

    watching = Linear()  # an observe of the object's own
    watching.observe = lambda view, proposer, offer: seen.append((view.me, proposer))
    sc = ns.generate(4, 2, seed=0, rounds=5)
    strategies = {0: Linear(), 1: Watcher(), 2: Watcher(), 3: watching}
    table = Table(ns.sample(sc, 4, seed=0), strategies, 5)
    table.observe(0, proposer=1, offer=np.zeros((4, 2)))
    assert seen == [(2, 1), (3, 1)]
