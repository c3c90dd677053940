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


def test_move_worth_more_than_anything_the_other_accepts_is_made_when_its_window_opens():
    # B (hardliner) offers x = 0 and accepts only x = 0, worth 0 to A. A's move gives it
    # 1 - cost (0.8..0.95) > 0.5 (the status quo) > 0 (the best offer seen), so it is made in
    # the first round with tau >= 0.5 (t = 10); the move settles the only issue: talks end.
    sc = scenario(
        [a_move(earliest=0.5, cost=0.1)],
        uncertainty=[{"target": "moves.a_alone.cost", "dist": "uniform", "low": 0.05, "high": 0.2}],
    )
    strategies = {"A": "linear", "B": "hardliner"}
    res = ns.simulate(sc, 200, seed=3, strategies=strategies)
    cost = ns.sample(sc, 200, seed=3).moves.cost[:, 0]
    assert np.all(res.moved[:, 0] == 10) and np.all(res.rounds == 10)
    assert not res.agreed.any() and np.all(res.outcome[:, 0] == 100)
    np.testing.assert_allclose(res.utility[:, 0], 1 - cost)
    np.testing.assert_allclose(res.utility[:, 1], 0.0)
    assert res.to_frame()["move.a_alone"].eq(10).all()


def test_zone_of_agreement_before_the_window_opens_gives_an_agreement():
    # Both linear. r_A = 0.9 (A's move, cost 0.1, is in its BATNA), r_B = u_B(100) = 0.
    # A offers x = 100 * (1 - 0.1 tau); B offers x = 100 tau; each accepts the other's
    # offer once tau >= 10/11. The first such round is t = 19 (B proposes x = 95, worth
    # 0.95 >= A's target 0.905). The window opens at 0.96 (t = 20): too late.
    sc = scenario([a_move(earliest=0.96, cost=0.1)])
    res = ns.simulate(sc, 3, seed=0, strategies={"A": "linear", "B": "linear"})
    assert res.agreed.all() and np.all(res.rounds == 19)
    np.testing.assert_allclose(res.outcome[:, 0], 95.0)
    np.testing.assert_allclose(res.utility, [[0.95, 0.05]] * 3)
    assert np.all(res.moved == -1)
    np.testing.assert_allclose(ns.sample(sc, 1, seed=0).reservation[0], [0.9, 0.0])


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


def test_a_move_settles_one_issue_and_the_talks_agree_on_the_other():
    # Two issues, both at 50, A ideal (100, 100), B ideal (0, 0), equal saliences (w = 0.5),
    # declared reservations 0.6 and 0.1. A's move settles x at 100 (cost 0): worth 0.75 to A
    # against 0.5 without it and 0.045 (B's round-1 offer (4.5, 4.5)), so it is made at t = 2.
    # Then only y is open: A offers y = 100 (1 - 0.8 tau) (worth 1 - 0.4 tau to A, 0.4 tau
    # to B); B accepts once 0.4 tau >= 1 - 0.9 tau, tau >= 1/1.3. B's offers y = 100 (1.8 tau
    # - 1) are worth 0.9 tau to A, accepted once 0.9 tau >= 1 - 0.4 tau: the same tau. First
    # round with tau >= 0.769: t = 16, A's turn: y = 36, worth 0.68 to A and 0.32 to B.
    sc = two_issues()
    res = ns.simulate(sc, 2, seed=0, strategies={"A": "linear", "B": "linear"})
    assert np.all(res.moved[:, 0] == 2)
    assert res.agreed.all() and np.all(res.rounds == 16)
    np.testing.assert_allclose(res.outcome, [[100.0, 36.0]] * 2)
    np.testing.assert_allclose(res.utility, [[0.68, 0.32]] * 2)
    assert res.summary().agreement["on_status_quo"].iloc[0] == 0


def test_an_exit_ends_the_talks_and_its_value_is_the_no_agreement_package():
    # B may leave from tau = 0.5 with x at 20 (worth 0.8 to B, against 0.5 now and 0 from the
    # hardliner A's offers of 100): it leaves at t = 10 and the run ends with x = 20.
    sc = scenario(
        [
            {
                "id": "b_leaves",
                "actor": "B",
                "issue": "x",
                "to": 20,
                "earliest": 0.5,
                "ends_talks": True,
            }
        ]
    )
    res = ns.simulate(sc, 4, seed=0, strategies={"A": "hardliner", "B": "linear"})
    assert np.all(res.exited == sc.actor_index("B")) and np.all(res.rounds == 10)
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
        [a_move(earliest=0.3, cost=0.1)],
        uncertainty=[{"target": "moves.a_alone.earliest", "dist": "uniform", "low": 0, "high": 1}],
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
    # A's move (x to 100, cost 0.1) has the window [0, 0.05]: rounds 0 and 1. A proposes in
    # round 0 and B only in round 1, after the moves of that round, so A has seen no offer to
    # weigh the move against while the window is open: it is not made. A's BATNA counts it
    # (1 - 0.1 = 0.9) until the window closes after round 1; from round 2 on it is the status
    # quo (0.5), and at the deadline the move can no longer be made: x stays at 50.
    sc = scenario([a_move(cost=0.1, latest=0.05)])
    model = DiplomacyModel(sc, seed=0, strategies={"A": "linear", "B": "hardliner"})
    assert model.table.reservation[0, 0] == pytest.approx(0.9)
    model.step()
    model.step()  # round 1: the window closes before round 2
    assert model.table.reservation[0, 0] == pytest.approx(0.5)
    res = model.run()
    assert res.moved[0, 0] == -1 and not res.agreed[0] and res.outcome[0, 0] == 50


def test_the_last_round_keeps_the_moves_still_open_in_the_batna():
    # package_2007, seed 7, Russia conceding: Kosovo declares independence in the last round
    # (t = 59, tau = 1). The US's own move (deploy, window [0, 1]) is still open then, so its
    # BATNA, and with it its linear-tactic target at tau = 1, must keep counting it: the US
    # may not accept a package worth less than what it gets alone.
    sc = ns.load_scenario("package_2007")
    model = DiplomacyModel(sc, seed=7, strategies={"Russia": "conceder:e=5"})
    us = model.diplomats[sc.actor_index("US")]
    start = us.reservation
    while model.running:
        model.step()
        if model.round == 59:
            assert model.moves_made == "kosovo_udi"
            assert us.target >= start - 1e-9
            assert us.accepted == 0.0 or us.utility >= start - 1e-9
