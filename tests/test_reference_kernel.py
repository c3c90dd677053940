"""The compiled reference kernel of the benchmarks (benchmarks/reference_kernel.py) negotiates
exactly as ``simulate`` does, run by run, so that the speed ratio between them compares the
same work. Skipped where numba (the ``bench`` extra) is not installed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.model.strategies import Hardliner, TimeDependent

pytest.importorskip("numba")

_PATH = Path(__file__).parent.parent / "benchmarks" / "reference_kernel.py"
_SPEC = importlib.util.spec_from_file_location("reference_kernel", _PATH)
kernel = importlib.util.module_from_spec(_SPEC)
sys.modules["reference_kernel"] = kernel  # numba's on-disk cache finds the module by name
_SPEC.loader.exec_module(kernel)


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


def _same(scenario: ns.Scenario, runs: int, seed: int, strategies=None, parallel=False):
    """Kernel and simulate on the same sampled runs; the simulated result."""
    batch = ns.sample(scenario, runs, seed)
    agreed, rounds, outcome = kernel.reference_run(batch, strategies, parallel=parallel)
    res = ns.simulate(scenario, runs, seed, protocol="alternating", strategies=strategies)
    np.testing.assert_array_equal(agreed, res.agreed)
    np.testing.assert_array_equal(rounds, res.rounds)
    # the same arithmetic up to the order of a few float sums (the counterpart's mean)
    np.testing.assert_allclose(outcome, res.outcome, rtol=0, atol=1e-9)
    return res


def test_two_actors_one_issue_by_hand():
    """Ideals 0 and 100 on 0..100, reservation 1/4, linear tactic (e = 1), T = 11.
    Each concedes toward the other's ideal: at tau = t/10 the proposer's target is
    u* = 1/4 + 3/4 (1 - tau), so it offers a share lam = 1 - u* = 3/4 tau of the way, worth
    exactly lam to the other side, which accepts iff 3/4 tau >= u* (the same target):
    tau >= 2/3, first at t = 7 (tau = 0.7), when a1 (odd rounds) proposes
    100 - 100 * 0.75 * 0.7 = 47.5."""
    data = ns.generate(2, 1, seed=0, rounds=11).to_dict()
    for actor, ideal in zip(data["actors"], (0.0, 100.0), strict=True):
        actor["position"]["i0"], actor["reservation"] = ideal, 0.25
    scenario = ns.Scenario.from_dict(data, source="test: by hand")
    batch = ns.sample(scenario, 3, seed=0)
    for parallel in (False, True):
        agreed, rounds, outcome = kernel.reference_run(batch, parallel=parallel)
        assert agreed.all() and (rounds == 7).all()
        np.testing.assert_allclose(outcome, 47.5, atol=1e-12)
    _same(scenario, 3, 0)


def test_reference_workload_matches_simulate():
    """The benchmark's workload: 10 actors, 5 issues, 100 rounds, linear tactics."""
    scenario = ns.generate(10, 5, seed=0, rounds=100, reservation=(0.6, 0.9))
    for parallel in (False, True):
        _same(scenario, 8, 1, parallel=parallel)


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
    actors, issues, rounds, seed, exponents, scenario_e, parallel
):
    """Sampled worlds (every position, salience, power and reservation uncertain), mixed
    exponents, a sampled exponent: the same agreement, round and package in every run."""
    scenario = _uncertain(ns.generate(actors, issues, seed, rounds=rounds), scenario_e)
    given_e = {f"a{a}": TimeDependent(exponents[a]) for a in range(int(scenario_e), actors)}
    _same(scenario, 12, seed, given_e, parallel)


def test_the_comparison_covers_agreements_and_deadlines():
    """The equality above is not vacuous: on these worlds some runs agree, at many different
    rounds, and some reach the deadline."""
    scenario = _uncertain(ns.generate(4, 3, seed=1, rounds=30), scenario_e=True)
    res = _same(scenario, 200, 3, {"a1": ns.strategies.Boulware(), "a2": "conceder"})
    assert res.agreed.any() and not res.agreed.all()
    assert len(np.unique(res.rounds[res.agreed])) >= 5


def test_refuses_rules_it_does_not_compile(package):
    with pytest.raises(ValueError, match=r"moves or exits.*coalitions"):
        kernel.reference_run(ns.sample(package, 2, seed=0))
    batch = ns.sample(ns.generate(2, 2, seed=0), 2, seed=0)
    with pytest.raises(ValueError, match="actor 'a1' plays 'hardliner'"):
        kernel.reference_run(batch, {"a1": Hardliner()})
