"""The Mesa agent model: a real Mesa model whose rounds are the one rulebook.

``DiplomacyModel.step`` calls the same ``Table.play_round`` as the vectorized core, by design
(docs/protocols.md, "One rulebook of a round"). The parity tests below therefore check a batch
of one run (the Mesa model, its agents and data collector) against the same run in a batch of
many (chunking, dropping finished runs, per-run streams): they cannot, and are not meant to,
check the rules themselves. The rules are checked against independent oracles in
tests/test_docs_formulas.py, tests/test_oracles.py and tests/test_moves.py; here the Mesa
model is also checked against a closed form of its own.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.abm import DiplomacyModel, trace_frame
from negosim.abm.model import AGENT_COLUMNS
from negosim.model.ratification import DEAL_MARGIN
from negosim.model.strategies import TimeDependent

from helpers import bilateral, time_dependent_closed_form, worlds

PROTOCOLS = ["alternating", "mediated"]
COLLECTIVE = ["eum", "exchange", "compromise", "median", "nash", "kalai_smorodinsky", "utilitarian"]


def assert_same_run(model_result, core, k):
    """The Mesa model's one run equals run ``k`` of a batch of many."""
    assert model_result.agreed[0] == core.agreed[k]
    assert model_result.rounds[0] == core.rounds[k]
    assert model_result.exited[0] == core.exited[k]
    np.testing.assert_allclose(model_result.outcome[0], core.outcome[k], rtol=0, atol=1e-12)
    np.testing.assert_allclose(model_result.utility[0], core.utility[k], rtol=0, atol=1e-12)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_batch_of_one_equals_batch_of_many_on_package_2007(package, protocol):
    runs = 200
    strategies = {"US": "random_walk", "Russia": "conceder"}  # agreements, exits and noise
    core = ns.simulate(package, runs, seed=21, protocol=protocol, strategies=strategies)
    for k in range(runs):
        model = DiplomacyModel(package, seed=21, run=k, protocol=protocol, strategies=strategies)
        assert_same_run(model.run(), core, k)


@settings(max_examples=100, deadline=None)
@given(worlds(), st.sampled_from(PROTOCOLS), st.integers(0, 2**31))
def test_batch_of_one_equals_batch_of_many_on_generated_scenarios(sc, protocol, seed):
    core = ns.simulate(sc, 2, seed=seed, protocol=protocol)
    for k in range(2):
        assert_same_run(DiplomacyModel(sc, seed=seed, run=k, protocol=protocol).run(), core, k)


@pytest.mark.parametrize("protocol", COLLECTIVE)
def test_batch_of_one_equals_batch_of_many_in_the_collective_protocols(package, protocol):
    """200 runs of package_2007 (exchange: 20 runs on two issues, the bargaining solutions:
    30 runs; each run of those is costly)."""
    sc, runs, options = package, 200, {"rounds": 4}
    if protocol in ("nash", "kalai_smorodinsky", "utilitarian"):
        runs = 30
    if protocol == "exchange":  # the randomized variant, with its per-run draws
        sc, runs = package.restrict(["missile_defense", "cfe"]), 20
        options.update(rate=0.5, arithmetic="float")
    core = ns.simulate(sc, runs, seed=8, protocol=protocol, **options)
    for k in range(runs):
        model = DiplomacyModel(sc, seed=8, run=k, protocol=protocol, **options)
        assert_same_run(model.run(), core, k)


def test_batch_of_one_equals_batch_of_many_in_an_agreement():
    """The generated worlds above mostly disagree or agree; this pins one agreement case."""
    sc = bilateral([[100, 100], [0, 0]], [[30, 70], [80, 20]], (0.6, 0.6))
    strategies = {"A": "trade_off", "B": "tit_for_tat"}
    core = ns.simulate(sc, 3, seed=1, strategies=strategies)
    model = DiplomacyModel(sc, seed=1, run=2, strategies=strategies)
    res = model.run()
    assert res.agreed[0]
    assert_same_run(res, core, 2)


@pytest.mark.parametrize(
    ("a", "b", "ea", "eb", "ra", "rb", "rounds"),
    [
        (90, 10, 1.0, 1.0, 0.2, 0.3, 21),
        (0, 100, 0.2, 5.0, 0.0, 0.1, 40),
        (30, 80, 2.0, 0.5, 0.6, 0.5, 9),
    ],
)
def test_mesa_model_meets_the_closed_form(a, b, ea, eb, ra, rb, rounds):
    """Two time-dependent negotiators on one issue (helpers.time_dependent_closed_form, worked
    out from the docs' target and concession line): the Mesa model's round, outcome and
    utilities, and one agent row per actor per round played. The targets end at the deal
    floors r + m (docs/protocols.md, "Deals beat no deal"); without agreement each side
    gets its reservation."""
    t, x, gap = time_dependent_closed_form(a, b, ea, eb, ra + DEAL_MARGIN, rb + DEAL_MARGIN, rounds)
    assert np.min(np.abs(gap)) > 1e-6  # cases chosen away from the knife edge
    sc = bilateral([[a], [b]], [[50], [50]], (ra, rb), rounds=rounds)
    strategies = {"A": TimeDependent(ea), "B": TimeDependent(eb)}
    model = DiplomacyModel(sc, seed=0, strategies=strategies)
    res = model.run()
    if t is None:
        assert not res.agreed[0] and res.rounds[0] == rounds
        np.testing.assert_allclose(res.utility[0], [ra, rb])
    else:
        assert res.agreed[0] and res.rounds[0] == t
        np.testing.assert_allclose(res.outcome[0, 0], x, atol=1e-9)
        u = 1 - np.abs(x - np.array([a, b])) / 100
        np.testing.assert_allclose(res.utility[0], u, atol=1e-9)
    assert len(model.datacollector.get_agent_vars_dataframe()) == 2 * model.steps


def test_datacollector_has_one_row_per_round_and_agent(package):
    model = DiplomacyModel(package, seed=4)
    model.run()
    played = model.steps  # rounds 0..t: t + 1 steps when a round closed the run, T at the deadline
    assert int(model.result().rounds[0]) in (played - 1, played)
    agents = model.datacollector.get_agent_vars_dataframe()
    assert list(agents.columns) == list(AGENT_COLUMNS)
    assert len(agents) == played * len(package.actors)
    rounds = model.datacollector.get_model_vars_dataframe()
    assert len(rounds) == played
    assert {"proposer", "offer.cfe", "agreed"} <= set(rounds.columns)
    coalitions = model.datacollector.get_table_dataframe("coalitions")
    assert len(coalitions) == played * len(package.coalitions)
    trace = trace_frame(model)
    assert len(trace) == played * len(package.actors) and "offer.kosovo_status" in trace


def test_model_is_a_mesa_model_with_defaults():
    import mesa

    model = DiplomacyModel()  # SolaraViz-style construction: every argument has a default
    assert isinstance(model, mesa.Model)
    model.step()
    assert model.steps == 1
    with pytest.raises(RuntimeError, match="still open"):
        model.result()


def test_a_per_run_parameter_gives_the_model_of_run_k_its_own_value():
    """Run k of the Mesa model with ``e`` given per run is run k of the Monte Carlo."""
    sc = ns.load_scenario("cfe_2007")
    strategies = {"US": TimeDependent(e=np.linspace(0.3, 3.0, 40))}
    core = ns.simulate(sc, 40, seed=3, strategies=strategies)
    for k in (0, 17, 39):
        assert_same_run(DiplomacyModel(sc, seed=3, run=k, strategies=strategies).run(), core, k)
    with pytest.raises(ns.ArgumentError, match=r"strategies\['US'\]: parameter e"):
        DiplomacyModel(sc, seed=3, run=40, strategies=strategies)
