"""How the core scales: runs, actors, issues and rounds, one at a time, on generated
scenarios (Linear vs Linear, alternating offers). Each case reports runs/s and
actor-issue-round evaluations/s."""

from __future__ import annotations

import pytest

import negosim as ns

from conftest import record_evaluations, sizes


def _run(benchmark, n_actors: int, n_issues: int, runs: int, rounds: int) -> None:
    sc = ns.generate(n_actors, n_issues, seed=0, rounds=rounds, reservation=(0.6, 0.9))
    res = benchmark.pedantic(
        ns.simulate, args=(sc, runs), kwargs={"seed": 1}, rounds=1, iterations=1
    )
    record_evaluations(benchmark, sc, res, actors=n_actors, issues=n_issues, rounds=rounds)


@pytest.mark.benchmark(group="scaling-runs")
@pytest.mark.parametrize("runs", sizes([100, 1_000, 10_000, 100_000, 1_000_000], [100]))
def test_runs(benchmark, runs):
    _run(benchmark, 2, 3, runs, 100)


@pytest.mark.benchmark(group="scaling-actors")
@pytest.mark.parametrize("actors", sizes([2, 5, 10, 20, 40], [3]))
def test_actors(benchmark, actors):
    _run(benchmark, actors, 3, sizes([10_000], [50])[0], 100)


@pytest.mark.benchmark(group="scaling-issues")
@pytest.mark.parametrize("issues", sizes([1, 2, 5, 10], [2]))
def test_issues(benchmark, issues):
    _run(benchmark, 2, issues, sizes([10_000], [50])[0], 100)


@pytest.mark.benchmark(group="scaling-rounds")
@pytest.mark.parametrize("rounds", sizes([10, 100, 1_000], [10]))
def test_rounds(benchmark, rounds):
    _run(benchmark, 2, 3, sizes([10_000], [50])[0], rounds)
