"""Independent references of the round rules against ``simulate``, run by run.

* The compiled reference kernel of the benchmarks (benchmarks/reference_kernel.py) negotiates
  exactly as ``simulate`` does, so that the speed ratio between them compares the same work
  (time-dependent tactics, no moves; the deal margin in every vote and the tactics' targets
  ending at r + m). Skipped where numba (the ``bench`` extra) is not installed.
* The reference of tests/reference_rounds.py, written in plain Python from docs/protocols.md
  without the engine's code, plays the alternating protocol with unilateral moves (the
  timing rule of "Moves", reactions, rivals, costs in time, exits, coalitions) and the deal
  margin; it must agree with ``simulate`` on random worlds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import reference_rounds
from hypothesis import given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.model.strategies import Hardliner, TimeDependent

_PATH = Path(__file__).parent.parent / "benchmarks" / "reference_kernel.py"


@pytest.fixture(scope="module")
def kernel():
    """benchmarks/reference_kernel.py (skipped without numba)."""
    pytest.importorskip("numba")
    spec = importlib.util.spec_from_file_location("reference_kernel", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference_kernel"] = module  # numba's on-disk cache finds the module by name
    spec.loader.exec_module(module)
    return module


def _uncertain(scenario: ns.Scenario, scenario_e: bool) -> ns.Scenario:
    """The scenario with every actor's numbers uncertain, so that each run is another world;
    with ``scenario_e``, actor a0 plays a time-dependent tactic whose exponent is sampled."""
    data = scenario.to_dict()
    spread = []
    for actor in data["actors"]:
        a = actor["id"]
        spread.append({"target": f"{a}.power", "dist": "uniform", "low": 0.5, "high": 2.0})
        spread.append({"target": f"{a}.reservation", "dist": "uniform", "low": 0.0, "high": 0.9})
        for i in actor["position"]:
            spread.append({"target": f"{a}.position.{i}", "dist": "uniform", "low": 0, "high": 100})
            spread.append({"target": f"{a}.salience.{i}", "dist": "uniform", "low": 1, "high": 100})
    if scenario_e:
        data["actors"][0]["strategy"] = {"name": "time_dependent", "e": 1.0}
        spread.append({"target": "a0.strategy.e", "dist": "uniform", "low": 0.2, "high": 5.0})
    data["uncertainty"] = spread
    return ns.Scenario.from_dict(data, source="test: generated with uncertainty")


def _same(kernel, scenario: ns.Scenario, runs: int, seed: int, strategies=None, parallel=False):
    """Kernel and simulate on the same sampled runs; the simulated result."""
    batch = ns.sample(scenario, runs, seed)
    agreed, rounds, outcome = kernel.reference_run(batch, strategies, parallel=parallel)
    res = ns.simulate(scenario, runs, seed, protocol="alternating", strategies=strategies)
    np.testing.assert_array_equal(agreed, res.agreed)
    np.testing.assert_array_equal(rounds, res.rounds)
    # the same arithmetic up to the order of a few float sums (the counterpart's mean)
    np.testing.assert_allclose(outcome, res.outcome, rtol=0, atol=1e-9)
    return res


def test_two_actors_one_issue_by_hand(kernel):
    """Ideals 0 and 100 on 0..100, reservation 1/4, linear tactic (e = 1), T = 11. The
    targets end at the deal floor f = 0.25 + m = 0.26 (docs/protocols.md, "Deals beat no
    deal"). Each concedes toward the other's ideal: at tau = t/10 the proposer's target is
    u* = 0.26 + 0.74 (1 - tau), so it offers a share lam = 1 - u* = 0.74 tau of the way,
    worth exactly lam to the other side, which accepts iff 0.74 tau >= u* (the same target;
    then lam >= f, the margin holds): tau >= 1 / 1.48 = 0.676, first at t = 7 (tau = 0.7),
    when a1 (odd rounds) proposes 100 - 100 * 0.74 * 0.7 = 48.2."""
    data = ns.generate(2, 1, seed=0, rounds=11).to_dict()
    for actor, ideal in zip(data["actors"], (0.0, 100.0), strict=True):
        actor["position"]["i0"], actor["reservation"] = ideal, 0.25
    scenario = ns.Scenario.from_dict(data, source="test: by hand")
    batch = ns.sample(scenario, 3, seed=0)
    for parallel in (False, True):
        agreed, rounds, outcome = kernel.reference_run(batch, parallel=parallel)
        assert agreed.all() and (rounds == 7).all()
        np.testing.assert_allclose(outcome, 48.2, atol=1e-12)
    _same(kernel, scenario, 3, 0)


def test_reference_workload_matches_simulate(kernel):
    """The benchmark's workload: 10 actors, 5 issues, 100 rounds, linear tactics."""
    scenario = ns.generate(10, 5, seed=0, rounds=100, reservation=(0.6, 0.9))
    for parallel in (False, True):
        _same(kernel, scenario, 8, 1, parallel=parallel)


@settings(max_examples=25, deadline=None)
@given(
    actors=st.integers(2, 6),
    issues=st.integers(1, 5),
    rounds=st.integers(2, 60),
    seed=st.integers(0, 10_000),
    exponents=st.lists(st.sampled_from([0.1, 0.2, 0.5, 1.0, 2.0, 5.0]), min_size=6, max_size=6),
    scenario_e=st.booleans(),
    parallel=st.booleans(),
)
def test_generated_scenarios_match_simulate(
    kernel, actors, issues, rounds, seed, exponents, scenario_e, parallel
):
    """Sampled worlds (every position, salience, power and reservation uncertain), mixed
    exponents, a sampled exponent: the same agreement, round and package in every run."""
    scenario = _uncertain(ns.generate(actors, issues, seed, rounds=rounds), scenario_e)
    given_e = {f"a{a}": TimeDependent(exponents[a]) for a in range(int(scenario_e), actors)}
    _same(kernel, scenario, 12, seed, given_e, parallel)


def test_the_comparison_covers_agreements_and_deadlines(kernel):
    """The equality above is not vacuous: on these worlds some runs agree, at many different
    rounds, and some reach the deadline."""
    scenario = _uncertain(ns.generate(4, 3, seed=1, rounds=30), scenario_e=True)
    res = _same(kernel, scenario, 200, 3, {"a1": ns.strategies.Boulware(), "a2": "conceder"})
    assert res.agreed.any() and not res.agreed.all()
    assert len(np.unique(res.rounds[res.agreed])) >= 5


def test_refuses_rules_it_does_not_compile(kernel, package):
    with pytest.raises(ValueError, match=r"moves or exits.*coalitions"):
        kernel.reference_run(ns.sample(package, 2, seed=0))
    batch = ns.sample(ns.generate(2, 2, seed=0), 2, seed=0)
    with pytest.raises(ValueError, match="actor 'a1' plays 'hardliner'"):
        kernel.reference_run(batch, {"a1": Hardliner()})
    data = ns.generate(2, 2, seed=0).to_dict()
    data["actors"][0]["discount"] = 0.9  # a deal's value is discounted: not compiled
    with pytest.raises(ValueError, match="a discount"):
        kernel.reference_run(ns.sample(ns.Scenario.from_dict(data), 2, seed=0))


# ----------------------------------------------------------------------------- moves


def moves_world(seed: int) -> tuple[ns.Scenario, dict[str, TimeDependent]]:
    """A random world with moves: two or three negotiators and up to two ratifiers over one
    to three issues on 0..100, declared or derived reservations, some discounts, a coalition
    or none; one to four moves of one or two actors each with windows on a grid that meets
    the rounds' times and misses them, costs that grow, fall or stay, consent of actors or
    of the coalition, reactions and exits; time-dependent tactics."""
    rng = np.random.default_rng(seed)
    n_neg, n_rat = int(rng.integers(2, 4)), int(rng.integers(0, 3))
    n_issues, n_actors = int(rng.integers(1, 4)), n_neg + n_rat
    rounds = int(rng.integers(2, 12))
    issues = [
        {"id": f"i{k}", "label": "x", "status_quo": float(rng.choice([0, 20, 50, 80]))}
        for k in range(n_issues)
    ]
    actors = []
    for a in range(n_actors):
        actor = {
            "id": f"a{a}",
            "role": "negotiator" if a < n_neg else "ratifier",
            "power": float(rng.uniform(0.5, 3)),
            "position": {
                f"i{k}": float(rng.choice([0, 10, 30, 50, 70, 90, 100])) for k in range(n_issues)
            },
            "salience": {f"i{k}": float(rng.uniform(5, 100)) for k in range(n_issues)},
        }
        if rng.random() < 0.3:
            actor["reservation"] = float(rng.uniform(0.1, 0.7))
        if rng.random() < 0.2:
            actor["discount"] = float(rng.choice([0.9, 0.97]))
        actors.append(actor)
    coalitions = []
    if rng.random() < 0.4:
        members = sorted(rng.choice(n_actors, int(rng.integers(1, n_actors + 1)), replace=False))
        rule = str(rng.choice(["unanimity", "majority", "qualified"]))
        coalition = {
            "id": "c",
            "members": [f"a{m}" for m in members],
            "ratifies": [f"i{int(rng.integers(0, n_issues))}"],
            "rule": rule,
        }
        if rule == "qualified":
            coalition["threshold"] = float(rng.choice([0.5, 0.6, 0.75]))
        coalitions.append(coalition)
    times = [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.74, 0.9, 1.0]
    moves = []
    for k in range(int(rng.integers(1, 5))):
        lo, hi = sorted(rng.choice(times, 2))
        if rng.random() < 0.3:
            lo = hi  # one moment
        movers = rng.choice(n_actors, 2 if rng.random() < 0.2 else 1, replace=False)
        move = {
            "id": f"m{k}",
            "actors": [f"a{int(a)}" for a in movers],
            "issue": f"i{int(rng.integers(0, n_issues))}",
            "to": float(rng.choice([0, 25, 50, 75, 100])),
            "cost": float(rng.choice([0.0, 0.02, 0.05, 0.15])),
            "earliest": float(lo),
            "latest": float(hi),
        }
        if rng.random() < 0.3:
            move["cost_rate"] = float(rng.choice([-0.1, -0.03, 0.03, 0.1]))
        if rng.random() < 0.2:
            move["needs"] = [f"a{int(rng.integers(0, n_actors))}"]
        if coalitions and rng.random() < 0.3:
            move["needs"] = [*move.get("needs", []), "c"]
        if k and rng.random() < 0.5:
            move["after"] = f"m{int(rng.integers(0, k))}"
        if rng.random() < 0.1:
            move["ends_talks"] = True
        moves.append(move)
    doc = {
        "scenario": {"id": "moves", "title": "moves", "rounds": rounds},
        "issues": issues,
        "actors": actors,
        "moves": moves,
    }
    if coalitions:
        doc["coalitions"] = coalitions
    strategies = {f"a{a}": TimeDependent(float(rng.choice([0.2, 1.0, 5.0]))) for a in range(n_neg)}
    return ns.Scenario.from_dict(doc, source="test: generated moves"), strategies


def reference_world(sc: ns.Scenario, strategies) -> reference_rounds.World:
    """The scenario's numbers, as the reference reads them."""
    salience = sc.salience
    weights = salience / salience.sum(axis=1, keepdims=True)
    coalitions = [c.id for c in sc.coalitions]
    moves = [
        reference_rounds.Move(
            movers=[sc.actor_index(a) for a in m.actors],
            issue=sc.issue_index(m.issue),
            to=m.to,
            cost=m.cost,
            rate=m.cost_rate,
            earliest=m.earliest,
            latest=m.latest,
            needs=[sc.actor_index(a) for a in m.needs if a not in coalitions],
            coalitions=[coalitions.index(c) for c in m.needs if c in coalitions],
            after=sc.move_index(m.after) if m.after else None,
            ends=m.ends_talks,
        )
        for m in sc.all_moves
    ]
    return reference_rounds.World(
        positions=sc.positions.tolist(),
        weights=weights.tolist(),
        power=sc.issue_power.tolist(),
        low=sc.low.tolist(),
        high=sc.high.tolist(),
        status_quo=sc.status_quo.tolist(),
        negotiators=[a for a, role in enumerate(sc.roles) if role == "negotiator"],
        declared=[None if np.isnan(r) else float(r) for r in sc.reservation],
        e={sc.actor_index(a): s.e for a, s in strategies.items()},
        moves=moves,
        rounds=sc.rounds,
        discount=[float(d) for d in sc.discount],
        coalitions=[
            reference_rounds.Coalition(
                members=[sc.actor_index(a) for a in c.members],
                ratifies=[sc.issue_index(i) for i in c.ratifies],
                rule=c.rule,
                threshold=c.threshold,
            )
            for c in sc.coalitions
        ],
    )


def compare_moves(seed: int) -> reference_rounds.Outcome:
    sc, strategies = moves_world(seed)
    want = reference_rounds.negotiate(reference_world(sc, strategies))
    res = ns.simulate(sc, 1, seed=0, strategies=strategies)
    where = f"seed {seed}"
    assert res.agreed[0] == want.agreed, where
    assert res.rounds[0] == want.rounds, where
    np.testing.assert_array_equal(res.moved[0], want.moved, err_msg=where)
    np.testing.assert_allclose(res.outcome[0], want.outcome, atol=1e-9, err_msg=where)
    np.testing.assert_allclose(res.utility[0], want.utility, atol=1e-9, err_msg=where)
    np.testing.assert_allclose(res.no_deal[0], want.no_deal, atol=1e-9, err_msg=where)
    np.testing.assert_allclose(
        res.no_deal_utility[0], want.no_deal_utility, atol=1e-9, err_msg=where
    )
    return want


@pytest.mark.parametrize("block", range(4))
def test_moves_match_the_reference_of_the_documented_rules(block):
    """800 random worlds with moves: simulate and the reference (tests/reference_rounds.py,
    written from docs/protocols.md alone) agree on agreement, round, moves and their rounds,
    package, utilities and the no-deal package and utilities. (The reference is not vacuous:
    dropping from it the margin, the rule "now beats later", the rivals, the reactions a
    move provokes, the talks' package or the cost's rate each breaks some of these worlds.)"""
    for seed in range(200 * block, 200 * block + 200):
        compare_moves(seed)


def test_the_reference_worlds_cover_the_rules():
    """Among the first 400 worlds: agreements, moves made during the talks (after offers were
    on the table) and after them, and talks ended early by a move."""
    outcomes = [(moves_world(seed)[0].rounds, compare_moves(seed)) for seed in range(400)]
    assert sum(o.agreed for _, o in outcomes) >= 100
    assert sum(any(0 < m < T for m in o.moved) for T, o in outcomes) >= 50
    assert sum(any(m == T for m in o.moved) for T, o in outcomes) >= 10
    assert sum(not o.agreed and o.rounds < T for T, o in outcomes) >= 10
