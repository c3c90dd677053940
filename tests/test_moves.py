"""Unilateral moves and the no-agreement package, against outcomes worked out by hand.

Notation of the hand calculations: one or two issues on [0, 100], linear loss, so an actor
with ideal 100 and salience weight w on an issue values x at ``w * x / 100``. Time-dependent
targets are ``r + (1 - r)(1 - tau)`` for ``linear``; a hardliner's target is 1. T = 21 rounds,
so ``tau_t = t / 20``; A proposes in even rounds, B in odd ones.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import negosim as ns
from negosim.abm import DiplomacyModel
from negosim.model import ratification
from negosim.model.ratification import DEAL_MARGIN

BASE = {
    "scenario": {"id": "moves_case", "title": "hand-worked moves", "rounds": 21},
    "issues": [{"id": "x", "label": "x", "status_quo": 50}],
    "actors": [
        {"id": "A", "power": 1, "position": {"x": 100}, "salience": {"x": 100}},
        {"id": "B", "power": 1, "position": {"x": 0}, "salience": {"x": 100}},
    ],
}


def scenario(moves, **changes) -> ns.Scenario:
    data = copy.deepcopy(BASE)
    data["moves"] = moves
    for key, value in changes.items():
        data[key] = value
    return ns.Scenario.from_dict(data, source="test")


def a_move(**fields):
    return {"id": "a_alone", "actor": "A", "issue": "x", "to": 100, **fields}


def made(res: ns.SimulationResult, move: str) -> np.ndarray:
    """The round each run made ``move`` in (T = 21: after the talks; -1: not made)."""
    return res.moved[:, res.scenario.move_index(move)]


def test_indifference_at_the_deadline_is_no_deal():
    # No moves: both reservations are u(50) = 0.5, so a deal must give each at least
    # 0.5 + m = 0.51, and u_A + u_B = 1 on one issue: no package does. Linear tactics reach
    # their floors (0.51) at tau = 1 and never meet: no agreement, x stays at 50, each gets
    # 0.5 (without the margin they would "agree" on x = 50 in round 20, each at 0.5).
    res = ns.simulate(scenario([]), 3, seed=0, strategies={"A": "linear", "B": "linear"})
    assert not res.agreed.any() and np.all(res.rounds == 21)
    np.testing.assert_allclose(res.outcome[:, 0], 50.0)
    np.testing.assert_allclose(res.utility, [[0.5, 0.5]] * 3)
    np.testing.assert_allclose(res.no_deal_utility, res.utility)


def test_a_deal_gives_every_negotiator_its_no_deal_utility_plus_the_margin():
    # Declared reservations 0.3 and 0.3: floors 0.31, so linear targets are 0.31 + 0.69
    # (1 - tau). A offers x = 100 target_A, worth 1 - target_A to B; the mirror image for B.
    # An offer meets the other's (equal) target once target <= 0.5, i.e. 1 - tau <= 0.19 /
    # 0.69, tau >= 0.7246: round 15 (tau 0.75), B's turn: x = 100 (1 - 0.4825) = 51.75,
    # worth 0.5175 to A and 0.4825 to B, each at least 0.31 = its no-deal utility + m.
    data = copy.deepcopy(BASE)
    for actor in data["actors"]:
        actor["reservation"] = 0.3
    sc = ns.Scenario.from_dict(data, source="test")
    res = ns.simulate(sc, 2, seed=0, strategies={"A": "linear", "B": "linear"})
    assert res.agreed.all() and np.all(res.rounds == 15)
    np.testing.assert_allclose(res.outcome[:, 0], 51.75)
    np.testing.assert_allclose(res.utility, [[0.5175, 0.4825]] * 2)
    gain = res.utility - res.no_deal_utility
    assert np.all(gain >= DEAL_MARGIN - 1e-9)


def test_a_move_with_a_constant_value_and_an_open_window_is_made_only_at_the_end():
    # A's move (x to 100, cost 0.1) is worth 1 - 0.1 = 0.9 to A in every round of its window
    # [0, 1] and after the talks: waiting costs nothing and keeps the talks open, so A waits.
    # B (hardliner) never accepts less than its ideal: no deal; A moves after the talks
    # (recorded as round T = 21): x = 100, A 0.9, B 0.
    sc = scenario([a_move(cost=0.1)])
    res = ns.simulate(sc, 4, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert np.all(made(res, "a_alone") == 21) and not res.agreed.any()
    np.testing.assert_allclose(res.outcome[:, 0], 100.0)
    np.testing.assert_allclose(res.utility, [[0.9, 0.0]] * 4)


def test_a_move_whose_window_closes_is_made_before_it_closes_when_it_beats_the_talks():
    # The same move with window [0, 0.5]: round 10 (tau 0.5) is its last. There the talks
    # point to the mean of the latest offers, A's x = 100 (0.91 + 0.09 * 0.5) = 95.5 (its
    # floor is its BATNA 0.9 + 0.01) and B's x = 0: 47.75, worth 0.4775 to A, below A's
    # floor: not a deal, so the talks point to no deal (x = 50). The move gains 0.5 - 0.1 =
    # 0.4 > 0: made in round 10, it settles the only issue and the talks end there.
    sc = scenario([a_move(cost=0.1, latest=0.5)])
    res = ns.simulate(sc, 4, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert np.all(made(res, "a_alone") == 10) and np.all(res.rounds == 10)
    np.testing.assert_allclose(res.utility, [[0.9, 0.0]] * 4)


@pytest.mark.parametrize(("rate", "when", "cost"), [(0.2, 0, 0.1), (-0.05, 21, 0.05)])
def test_a_move_whose_cost_grows_is_made_at_once_and_one_whose_cost_falls_waits(rate, when, cost):
    # cost(tau) = 0.1 + rate tau. Growing (0.2): in round 0 the cost is 0.1, below every later
    # one (0.11 in round 1): A moves at once (nothing is on the table yet, so the talks point
    # to x = 50), and pays 0.1. Falling (-0.05): every later round is cheaper; A waits to the
    # end and pays 0.1 - 0.05 = 0.05.
    sc = scenario([a_move(cost=0.1, cost_rate=rate)])
    res = ns.simulate(sc, 3, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert np.all(made(res, "a_alone") == when)
    np.testing.assert_allclose(res.utility[:, 0], 1 - cost)


def pre_emption(with_reaction: bool) -> ns.Scenario:
    """Issues x (A wants 100, B 0) and y (only C cares: it wants 100). C's move sets y = 100
    in the round of tau 0.5 (its window is that moment); B's reaction to it would set x = 0;
    A's move sets x = 100 (cost 0.1, window [0, 1])."""
    data = copy.deepcopy(BASE)
    data["issues"].append({"id": "y", "label": "y", "status_quo": 50})
    data["actors"][0].update(position={"x": 100, "y": 50}, salience={"x": 100, "y": 0})
    data["actors"][1].update(position={"x": 0, "y": 50}, salience={"x": 100, "y": 0})
    data["actors"].append(
        {
            "id": "C",
            "role": "ratifier",
            "power": 1,
            "position": {"x": 50, "y": 100},
            "salience": {"x": 0, "y": 100},
        }
    )
    data["moves"] = [
        {"id": "c_acts", "actor": "C", "issue": "y", "to": 100, "earliest": 0.5, "latest": 0.5},
        a_move(cost=0.1),
    ]
    if with_reaction:
        data["moves"].append(
            {"id": "b_answers", "actor": "B", "issue": "x", "to": 0, "after": "c_acts"}
        )
    return ns.Scenario.from_dict(data, source="test")


def test_a_pre_empting_move_is_made_before_the_reaction_it_forestalls():
    # C acts in round 10 (its window is the moment tau = 0.5). From round 11 B could answer
    # with x = 0 (it gains 0.5), which A likes less than its own move (0.4 net): A cannot
    # count on moving later, so it moves in round 10, after C and before B can answer. Every
    # issue is then settled and the talks end in round 10: B's answer is never made.
    res = ns.simulate(pre_emption(True), 3, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert np.all(made(res, "c_acts") == 10) and np.all(made(res, "a_alone") == 10)
    assert np.all(made(res, "b_answers") == -1) and np.all(res.rounds == 10)
    np.testing.assert_allclose(res.utility[:, :2], [[0.9, 0.0]] * 3)
    # Without the reaction nothing threatens A's move: it waits to the end of the talks.
    res = ns.simulate(pre_emption(False), 3, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert np.all(made(res, "c_acts") == 10) and np.all(made(res, "a_alone") == 21)


def test_a_reaction_is_made_only_after_its_move():
    # Without A's pre-emption (A has no move) B answers C after the talks (its window is
    # open to the end and nothing times it): x = 0, made after C's move of round 10.
    sc = pre_emption(True)
    data = sc.to_dict()
    data["moves"] = [m for m in data["moves"] if m["id"] != "a_alone"]
    sc = ns.Scenario.from_dict(data, source="test")
    res = ns.simulate(sc, 2, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert np.all(made(res, "c_acts") == 10) and np.all(made(res, "b_answers") == 21)
    np.testing.assert_allclose(res.outcome, [[0.0, 100.0]] * 2)


def test_the_margin_is_what_a_deal_must_gain(monkeypatch):
    # The mutation check of the margin: with m = 0 the indifferent package x = 50 is
    # "agreed" in round 20, so test_indifference_at_the_deadline_is_no_deal fails.
    monkeypatch.setattr(ratification, "DEAL_MARGIN", 0.0)
    res = ns.simulate(scenario([]), 1, seed=0, strategies={"A": "linear", "B": "linear"})
    assert res.agreed.all() and res.rounds[0] == 20


def two_issues() -> ns.Scenario:
    """BASE on two issues x, y (equal saliences, declared reservations 0.6 and 0.1) with A's
    move on x."""
    data = copy.deepcopy(BASE)
    data["issues"].append({"id": "y", "label": "y", "status_quo": 50})
    data["actors"][0].update(
        position={"x": 100, "y": 100}, salience={"x": 50, "y": 50}, reservation=0.6
    )
    data["actors"][1].update(
        position={"x": 0, "y": 0}, salience={"x": 50, "y": 50}, reservation=0.1
    )
    data["moves"] = [a_move()]
    return ns.Scenario.from_dict(data, source="test")


def test_an_exit_ends_the_talks_and_its_value_is_the_no_agreement_package():
    # B may leave with x at 20 (worth 0.8 to B, against 0.5 now) from tau = 0.5 until 0.55:
    # its window closes in round 11 (tau 0.55), and the hardliner A offers x = 100 (worth 0 to
    # B): B leaves in round 11 and the run ends with x = 20.
    sc = scenario(
        [
            {
                "id": "b_leaves",
                "actor": "B",
                "issue": "x",
                "to": 20,
                "earliest": 0.5,
                "latest": 0.55,
                "ends_talks": True,
            }
        ]
    )
    res = ns.simulate(sc, 4, seed=0, strategies={"A": "hardliner", "B": "linear"})
    assert np.all(res.exited == sc.actor_index("B")) and np.all(res.rounds == 11)
    np.testing.assert_allclose(res.outcome[:, 0], 20.0)
    np.testing.assert_allclose(res.utility, [[0.2, 0.8]] * 4)


def hosted(host_ideal: float) -> ns.Scenario:
    """BASE with a host H (ideal ``host_ideal``) whose consent A's move needs, from tau 0.5."""
    data = copy.deepcopy(BASE)
    data["actors"].append(
        {
            "id": "H",
            "role": "ratifier",
            "power": 1,
            "position": {"x": host_ideal},
            "salience": {"x": 100},
        }
    )
    data["coalitions"] = [{"id": "hosts", "members": ["H"], "ratifies": ["x"]}]
    data["moves"] = [a_move(needs=["hosts"], earliest=0.5)]
    sc = ns.Scenario.from_dict(data, source="test")
    return sc


@pytest.mark.parametrize(("host_ideal", "made"), [(100, True), (0, False)])
def test_a_move_that_needs_consent_is_made_only_with_it(host_ideal, made):
    # The host (a ratifier) says yes iff the move leaves it no worse off than x = 50.
    sc = hosted(host_ideal)
    res = ns.simulate(sc, 3, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert np.all((res.moved[:, 0] >= 0) == made)
    consent = res.consent_frame()
    assert len(consent) == (3 if made else 0)
    assert consent["consented"].all() and set(consent["actor"]) <= {"H"}


def test_reservation_is_the_utility_of_the_no_agreement_package():
    # Status quo 50. A's move to 100 (cost 0.2) gains A 0.3: in the BATNA. B's move to 0 on
    # the same issue comes second in file order: the issue is settled by then. So the
    # no-agreement package is x = 100: r_A = 1 - 0.2 = 0.8, r_B = 0.
    sc = scenario([a_move(cost=0.2), {"id": "b_alone", "actor": "B", "issue": "x", "to": 0}])
    np.testing.assert_allclose(ns.sample(sc, 2, seed=0).reservation, [[0.8, 0.0]] * 2)
    # Without moves the reservation stays the utility of the status quo (0.5 each).
    np.testing.assert_allclose(ns.sample(scenario([]), 1, seed=0).reservation, [[0.5, 0.5]])


def test_mesa_model_plays_the_same_rulebook_as_a_batch(data_dir):
    sc = scenario(
        [a_move(cost=0.1)],
        uncertainty=[{"target": "moves.a_alone.latest", "dist": "uniform", "low": 0, "high": 1}],
    )
    strategies = {"A": "linear", "B": "conceder"}
    core = ns.simulate(sc, 12, seed=5, strategies=strategies, chunk_size=5)
    for k in range(12):
        one = DiplomacyModel(sc, seed=5, run=k, strategies=strategies).run()
        for name in ("agreed", "outcome", "utility", "rounds", "moved", "exited"):
            np.testing.assert_array_equal(getattr(one, name)[0], getattr(core, name)[k])
    assert len(np.unique(core.rounds)) > 1  # the runs differ: the check is not of one case


def test_strategy_parameter_under_uncertainty_survives_dropping_finished_runs():
    # Sampled e per run; finished runs are dropped from the table as they accumulate.
    data = copy.deepcopy(BASE)
    data["actors"][0]["strategy"] = {"name": "time_dependent", "e": 1.0}
    for actor in data["actors"]:
        actor["reservation"] = 0.2  # room to agree before the deadline
    data["uncertainty"] = [{"target": "A.strategy.e", "dist": "uniform", "low": 0.2, "high": 5}]
    sc = ns.Scenario.from_dict(data, source="test")
    runs = [
        ns.simulate(sc, 300, seed=1, chunk_size=c, strategies={"B": "conceder"})
        for c in (1, 7, 1000)
    ]
    runs.append(
        ns.simulate(sc, 300, seed=1, chunk_size=40, strategies={"B": "conceder"}, workers=2)
    )
    assert len(np.unique(runs[0].rounds)) > 1
    for other in runs[1:]:
        np.testing.assert_array_equal(other.rounds, runs[0].rounds)
        np.testing.assert_array_equal(other.outcome, runs[0].outcome)


def test_a_window_that_closes_leaves_the_reservation_once():
    # A's move (x to 100, cost 0.1) has the window [0, 0.05]: rounds 0 and 1. Round 1 is its
    # last: the talks point to no deal (B, a hardliner, offers x = 0), so A moves then (0.4 >
    # 0) and the talks end. A's BATNA counts the move (1 - 0.1 = 0.9) while it is open.
    sc = scenario([a_move(cost=0.1, latest=0.05)])
    model = DiplomacyModel(sc, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert model.table.reservation[0, 0] == pytest.approx(0.9)
    res = model.run()
    assert res.moved[0, 0] == 1 and not res.agreed[0] and res.outcome[0, 0] == 100


def test_a_deal_beats_the_no_deal_of_its_own_round_when_costs_change_with_time():
    # Found by review: A's move (x to 100) costs 0.3 - 0.3 tau, so the no deal of round t is
    # worth 1 - 0.3 (1 - tau_t) to A, more every round; with A's reservation kept from the
    # start (0.7), both linear tactics agreed in round 16 on 76.8, below the 0.94 that no deal
    # then gives A. Each round's reservation must be the no deal of that round: then A's
    # linear target is f + (1 - f)(1 - tau) with f = 1 - 0.3 (1 - tau) + m, B's the same with
    # f = m, and an offer at one's target meets the other's only if the two sum to at most 1.
    sc = scenario([a_move(cost=0.3, cost_rate=-0.3)])
    res = ns.simulate(sc, 2, seed=0, strategies={"A": "linear", "B": "linear"})
    assert not res.agreed.any() and np.all(made(res, "a_alone") == 21)
    np.testing.assert_allclose(res.utility, [[1.0, 0.0]] * 2)  # the move at cost 0 at the end
    for t in range(21):  # by hand: the targets never meet
        tau = t / 20
        f_a, f_b = 1 - 0.3 * (1 - tau) + DEAL_MARGIN, DEAL_MARGIN
        assert f_a + (1 - f_a) * (1 - tau) + f_b + (1 - f_b) * (1 - tau) > 1


def test_a_reaction_waits_for_the_round_after_its_move():
    # C acts in round 10 (its window is that moment). B's answer (x = 0, B gains 0.5) may be
    # made only in a round after C's move, and its own window also ends at tau = 0.5: round
    # 10 is the last it meets, so B can never answer (in round 10 it would answer at once).
    sc = pre_emption(True)
    data = sc.to_dict()
    data["moves"] = [m for m in data["moves"] if m["id"] != "a_alone"]
    data["moves"][-1]["latest"] = 0.5
    sc = ns.Scenario.from_dict(data, source="test")
    res = ns.simulate(sc, 2, seed=0, strategies={"A": "hardliner", "B": "hardliner"})
    assert np.all(made(res, "c_acts") == 10) and np.all(made(res, "b_answers") == -1)
    np.testing.assert_allclose(res.outcome, [[50.0, 100.0]] * 2)


def test_a_reaction_whose_window_has_closed_deters_nothing():
    # Found by review: A's move on y (to 100, cost 0.1) would provoke B's answer on x, but
    # B's answer can only be made until tau = 0.1. From round 3 on nobody can answer, so A's
    # move counts only its own gain: A (weights 0.5, 0.5) gains 0.25 on y and makes it after
    # the talks; its utility is 0.5 (x) + 0.5 (y at 100) - 0.1 - 0.5 * 0.5 (x at 50) = 0.65.
    data = copy.deepcopy(BASE)
    data["issues"].append({"id": "y", "label": "y", "status_quo": 50})
    data["actors"][0].update(position={"x": 100, "y": 100}, salience={"x": 50, "y": 50})
    data["actors"][1].update(position={"x": 0, "y": 0}, salience={"x": 50, "y": 50})
    data["moves"] = [
        {"id": "a_builds", "actor": "A", "issue": "y", "to": 100, "cost": 0.1},
        {
            "id": "b_answers",
            "actor": "B",
            "issue": "x",
            "to": 0,
            "after": "a_builds",
            "latest": 0.1,
        },
    ]
    sc = ns.Scenario.from_dict(data, source="test")
    res = ns.simulate(sc, 2, seed=0, strategies={"A": "hardliner", "B": "hardliner"})
    assert np.all(made(res, "a_builds") == 21) and np.all(made(res, "b_answers") == -1)
    np.testing.assert_allclose(res.utility[:, 0], 0.65)
