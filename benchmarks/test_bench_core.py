"""Speed of the vectorized core on package_2007 (alternating offers, 100 rounds).

Reported per case in ``extra_info``: runs/s and actor-issue-round evaluations/s (one
utility of one package for one actor on one issue in one played round).
"""

from __future__ import annotations

import pytest

import negosim as ns

from conftest import record_evaluations, sizes


@pytest.mark.parametrize("runs", sizes([1_000, 10_000, 100_000], [200]))
def test_simulate_package_2007(benchmark, package, runs):
    res = benchmark.pedantic(
        ns.simulate,
        args=(package, runs),
        kwargs={"seed": 1, "rounds": 100},
        rounds=3 if runs < 100_000 else 1,
        iterations=1,
    )
    record_evaluations(benchmark, package, res)
    assert res.runs == runs


@pytest.mark.parametrize("protocol", ["alternating", "mediated"])
def test_protocols_10k(benchmark, package, protocol):
    runs = sizes([10_000], [100])[0]
    res = benchmark.pedantic(
        ns.simulate,
        args=(package, runs),
        rounds=1,
        iterations=1,
        kwargs={"seed": 1, "protocol": protocol, "rounds": 100},
    )
    record_evaluations(benchmark, package, res)


@pytest.mark.parametrize("moves", [True, False], ids=["with_moves", "without_moves"])
def test_moves_overhead_10k(benchmark, package, moves):
    """package_2007 under its default protocol and deadline, with its unilateral moves and
    with them removed (the same scenario otherwise): the cost of deciding moves each round
    and of the longer talks they lead to."""
    scenario = package
    if not moves:
        data = package.to_dict()
        data["moves"], data["updates"] = [], []
        data["uncertainty"] = [
            u for u in data["uncertainty"] if not u["target"].startswith("moves.")
        ]
        scenario = ns.Scenario.from_dict(data, source="package_2007 without moves")
    runs = sizes([10_000], [100])[0]
    res = benchmark.pedantic(ns.simulate, args=(scenario, runs), kwargs={"seed": 1}, rounds=3)
    record_evaluations(benchmark, scenario, res)
