"""The same runs of package_2007 through the Mesa agent model (one by one) and the core."""

from __future__ import annotations

import pytest

import negosim as ns

from conftest import sizes

RUNS = sizes([1_000], [5])[0]
STRATEGIES = {"US": "random_walk", "Russia": "conceder"}


@pytest.mark.benchmark(group="mesa-vs-core")
def test_core_runs(benchmark, package):
    res = benchmark.pedantic(
        ns.simulate,
        args=(package, RUNS),
        rounds=3,
        iterations=1,
        kwargs={"seed": 21, "strategies": STRATEGIES},
    )
    benchmark.extra_info["runs"] = res.runs


@pytest.mark.benchmark(group="mesa-vs-core")
def test_mesa_runs_one_by_one(benchmark, package):
    from negosim.abm import DiplomacyModel

    def loop():
        return [
            DiplomacyModel(package, seed=21, run=k, strategies=STRATEGIES).run()
            for k in range(RUNS)
        ]

    results = benchmark.pedantic(loop, rounds=1, iterations=1)
    benchmark.extra_info["runs"] = len(results)
