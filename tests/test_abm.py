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
from negosim.abm.model import AGENT_COLUMNS, BELIEF_COLUMNS
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


def _believed_now(model: DiplomacyModel) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each negotiator's believed ideal points and weights ``(A, I)``, read from the table's
    beliefs arrays (only while the run is open: the table drops a closed run's rows)."""
    beliefs = model.table.beliefs
    return {
        a: (beliefs.positions[a][0].copy(), beliefs.weights[a][0].copy()) for a in beliefs.states
    }


@pytest.mark.parametrize(
    "world, runs",
    [
        ("package_2007", 2),  # to the deadline; Russia's ideal points are certain
        (ns.generate(3, 3, seed=5, uncertainty=0.5), 2),  # three negotiators, early deals
    ],
    ids=["package_2007", "generated"],
)
def test_beliefs_frame_holds_the_table_s_beliefs_and_the_sampled_truth(package, world, runs):
    """DiplomacyModel.beliefs_frame: a row per round (the prior first, as round first - 1),
    observer, other negotiator and issue; the believed numbers are the table's beliefs
    arrays after the round's offer, the true ones the run's sampled numbers (ns.sample). The
    closing round, whose arrays the table drops with the run, is checked against the core's
    measure of the final beliefs (the mean absolute error of the weights)."""
    sc = package if world == "package_2007" else world
    truth = ns.sample(sc, runs, seed=7)
    core = ns.simulate(sc, runs, seed=7, information="learned")
    negotiators = [a for a, role in enumerate(sc.roles) if role == "negotiator"]
    ended_early = False
    for run in range(runs):
        model = DiplomacyModel(sc, seed=7, run=run, information="learned")
        first = model.round
        seen = {first: _believed_now(model)}
        while model.running:
            model.step()
            if model.running:
                seen[model.round] = _believed_now(model)
        ended_early |= model.round < model.rounds - 1
        frame = model.beliefs_frame()
        assert list(frame.columns) == list(BELIEF_COLUMNS)
        pairs = [(a, j) for a in negotiators for j in negotiators if j != a]
        assert len(frame) == (model.steps + 1) * len(pairs) * len(sc.issues)
        assert sorted(set(frame["round"])) == list(range(first, model.round + 1))
        for (t, observer, about), rows in frame.groupby(["round", "observer", "about"]):
            a, j = sc.actor_index(observer), sc.actor_index(about)
            assert list(rows["issue"]) == list(sc.issues)
            np.testing.assert_array_equal(rows["position"], truth.positions[run, j])
            np.testing.assert_array_equal(rows["weight"], truth.weights[run, j])
            if t in seen:
                np.testing.assert_array_equal(rows["believed_position"], seen[t][a][0][j])
                np.testing.assert_array_equal(rows["believed_weight"], seen[t][a][1][j])
        # the prior: the scenario's point estimates
        public = model.table.public
        prior = frame[frame["round"] == first]
        for (_, about), rows in prior.groupby(["observer", "about"]):
            j = sc.actor_index(about)
            np.testing.assert_allclose(rows["believed_position"], public.positions[j])
            np.testing.assert_allclose(rows["believed_weight"], public.weights[j])
        # the closing round: the core's weight error of each observer's final beliefs
        last = frame[frame["round"] == model.round]
        error = (last["believed_weight"] - last["weight"]).abs().groupby(last["observer"]).mean()
        for observer, value in error.items():
            expected = core.beliefs["weight_error"][run, sc.actor_index(observer)]
            assert value == pytest.approx(expected, abs=1e-12)
    assert ended_early or world == "package_2007"


def test_beliefs_frame_is_empty_under_complete_information(package):
    """Under complete information every negotiator sees the true numbers: nothing is
    believed, and the table has its columns and no row."""
    model = DiplomacyModel(package, seed=7)
    for _ in range(3):
        model.step()
    frame = model.beliefs_frame()
    assert list(frame.columns) == list(BELIEF_COLUMNS) and frame.empty
    assert model.table.beliefs is None
