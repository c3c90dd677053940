"""Every registered strategy, one by one, against the shared contract (in the Axelrod way)."""

from __future__ import annotations

import numpy as np
import pytest

import negosim as ns
from negosim.engine.protocols import Table
from negosim.model.errors import ArgumentError
from negosim.model.ratification import DEAL_MARGIN
from negosim.model.strategies import (
    Boulware,
    Conceder,
    Hardliner,
    Linear,
    Strategy,
    TimeDependent,
    get_strategy_class,
    make_strategy,
    register,
    strategy_names,
)

from helpers import bilateral

CLASSIFIER_KEYS = {"concedes_over_time", "reacts_to_opponent", "stochastic", "uses_linkage"}
NAMES = strategy_names()


def _table(strategy: Strategy, runs: int = 64, rounds: int = 21) -> Table:
    sc = bilateral(
        [[90, 10, 60], [10, 80, 20]],
        [[70, 20, 40], [30, 60, 50]],
        (0.3, 0.25),
        rounds=rounds,
        status_quo=[50, 50, 50],
        discount=(0.95, 0.9),
    )
    return Table(ns.sample(sc, runs, seed=4), {0: strategy, 1: make_strategy("linear")}, rounds)


@pytest.mark.parametrize("name", NAMES)
def test_declares_name_citation_and_classifier(name):
    cls = get_strategy_class(name)
    assert cls.name == name
    assert cls.citation.strip()
    assert set(cls.classifier) == CLASSIFIER_KEYS
    assert all(isinstance(v, bool) for v in cls.classifier.values())


@pytest.mark.parametrize("name", NAMES)
def test_offers_stay_between_ideal_and_counterpart(name):
    strategy = make_strategy(name)
    table = _table(strategy)
    for t in range(table.rounds):
        offer = strategy.propose(table.view(0, t))
        ideal, other = table.positions[:, 0, :], table.counterpart[0]
        lo, hi = np.minimum(ideal, other), np.maximum(ideal, other)
        assert np.all(offer >= lo - 1e-9) and np.all(offer <= hi + 1e-9)
        strategy.observe(table.view(0, t), 1, make_strategy("linear").propose(table.view(1, t)))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "rubinstein"])
def test_targets_stay_between_the_deal_floor_and_one(name):
    """A strategy's view holds its deal floor, the reservation plus the margin
    (docs/protocols.md, "Deals beat no deal"): no target goes below it."""
    strategy = make_strategy(name)
    table = _table(strategy)
    for t in range(table.rounds):
        target = strategy.target(table.view(0, t))
        assert np.all(target <= 1 + 1e-12)
        assert np.all(target >= table.reservation[:, 0] + DEAL_MARGIN - 1e-12)
        strategy.observe(table.view(0, t), 1, make_strategy("conceder").propose(table.view(1, t)))


@pytest.mark.parametrize("name", NAMES)
def test_acceptance_is_monotone_in_utility(name):
    strategy = make_strategy(name)
    view = _table(strategy).view(0, 10)
    grid = np.linspace(0, 1, 101)
    accepted = np.array([strategy.respond(view, np.full(view.runs, u)) for u in grid])
    assert np.all(np.diff(accepted.astype(int), axis=0) >= 0)  # once accepted, always accepted


def _uncertain_bilateral() -> ns.Scenario:
    data = bilateral([[90, 10], [10, 80]], [[70, 20], [30, 60]], (0.3, 0.2)).to_dict()
    data["uncertainty"] = [
        {"target": "A.position.i0", "dist": "uniform", "low": 60, "high": 100},
        {"target": "B.position.i1", "dist": "uniform", "low": 50, "high": 100},
        {"target": "B.reservation", "dist": "uniform", "low": 0.0, "high": 0.5},
    ]
    return ns.Scenario.from_dict(data)


FIELDS = ("agreed", "outcome", "utility", "rounds")


@pytest.mark.parametrize("name", NAMES)
def test_the_seed_decides_the_runs(name):
    """Same seed, same runs; another seed, other sampled numbers and so other results (a
    seed that was ignored, or a draw outside the seeded streams, fails one of the two)."""
    sc = _uncertain_bilateral()
    a, b, c = (
        ns.simulate(sc, 50, seed=seed, strategies={"A": name, "B": "linear"}) for seed in (9, 9, 10)
    )
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.utility, c.utility)


@pytest.mark.parametrize(
    "name", [n for n in NAMES if get_strategy_class(n).classifier["stochastic"]]
)
def test_a_stochastic_strategy_draws_from_the_seeded_stream(name):
    """With no sampled numbers at all, only the strategy's own stream can make runs differ:
    they do, between runs and between seeds, and the same seed repeats them."""
    sc = bilateral([[90, 10], [10, 80]], [[70, 20], [30, 60]], (0.3, 0.2), rounds=40)
    a, b, c = (
        ns.simulate(sc, 200, seed=seed, strategies={"A": name, "B": "linear"})
        for seed in (9, 9, 10)
    )
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert len(np.unique(a.rounds)) > 1
    assert not np.array_equal(a.rounds, c.rounds)


def test_time_dependent_family_orders_concession():
    """At mid-time a Boulware keeps more than Linear, which keeps more than a Conceder."""
    table = _table(Linear())
    view = table.view(0, 10)
    boulware, linear, conceder = (s.target(view) for s in (Boulware(), Linear(), Conceder()))
    assert np.all(boulware > linear) and np.all(linear > conceder)
    assert np.all(Hardliner().target(view) == 1)


def test_names_are_forgiving_and_errors_helpful():
    assert get_strategy_class("Boulware") is Boulware
    assert get_strategy_class("TitForTat").name == "tit_for_tat"
    with pytest.raises(KeyError, match="did you mean 'conceder'"):
        make_strategy("concedr")
    with pytest.raises(TypeError, match="takes parameters"):
        make_strategy("boulware", k=3)
    with pytest.raises(ValueError, match="e must be > 0"):
        make_strategy("boulware", e=-1)


def test_a_user_strategy_registers_and_plays():
    class Stubborn(Linear):
        """Concedes linearly but never below 0.8."""

        name = "stubborn_test"
        citation = "test"

        def target(self, view):
            return np.maximum(super().target(view), 0.8)

    register(Stubborn)
    assert "stubborn_test" in strategy_names()
    sc = bilateral([[100], [0]], [[1], [1]], (0.0, 0.0))
    res = ns.simulate(sc, 3, seed=1, strategies={"A": "stubborn_test", "B": "linear"})
    assert np.all(res.utility[:, 0] >= 0.8 - 1e-9)


@pytest.mark.parametrize("options", [{}, {"chunk_size": 7}, {"trace": 3}])
def test_one_parameter_per_run_gives_each_run_its_own_strategy(options):
    """Run i with ``e`` given per run equals run i with the number ``e[i]``, however the runs
    are chunked or traced (each chunk and step takes its own rows of ``e``)."""
    sc = ns.load_scenario("cfe_2007")
    us = "US"
    e = np.linspace(0.3, 3.0, 40)
    per_run = ns.simulate(sc, 40, seed=5, strategies={us: TimeDependent(e=e)}, **options)
    for i in (0, 8, 21, 39):
        alone = ns.simulate(sc, 40, seed=5, strategies={us: TimeDependent(e=float(e[i]))})
        assert per_run.rounds[i] == alone.rounds[i]
        np.testing.assert_array_equal(per_run.outcome[i], alone.outcome[i])
        np.testing.assert_array_equal(per_run.utility[i], alone.utility[i])


def test_a_per_run_parameter_may_come_as_a_list():
    sc = ns.load_scenario("cfe_2007")
    e = np.linspace(0.3, 3.0, 20)
    as_list = ns.simulate(sc, 20, seed=2, chunk_size=6, strategies={"US": TimeDependent(e=list(e))})
    as_array = ns.simulate(sc, 20, seed=2, strategies={"US": TimeDependent(e=e)})
    np.testing.assert_array_equal(as_list.outcome, as_array.outcome)


def test_other_array_attributes_are_left_as_they_are():
    """Only the parameters a class lists in ``per_run`` are checked against the runs."""

    class PerIssue(Linear):
        def __init__(self):
            super().__init__()
            self.w = np.array([0.5, 0.5, 1.0])  # one per issue, not per run

    res = ns.simulate(ns.load_scenario("cfe_2007"), 40, strategies={"US": PerIssue()})
    assert res.runs == 40


def test_a_parameter_with_the_wrong_number_of_runs_is_refused():
    with pytest.raises(ArgumentError, match=r"strategies\['US'\]: parameter e: 5 values"):
        ns.simulate(
            ns.load_scenario("cfe_2007"), 40, strategies={"US": TimeDependent(e=np.ones(5))}
        )
