"""Benchmarks measure; they never fail on time. NEGOSIM_QUICK=1 shrinks every size so the
suite can run once inside `make test` and cannot rot."""

from __future__ import annotations

import os

import pytest

QUICK = os.environ.get("NEGOSIM_QUICK") == "1"


def sizes(full: list[int], quick: list[int]) -> list[int]:
    """The parameter grid: ``quick`` under NEGOSIM_QUICK=1, else ``full``."""
    return quick if QUICK else full


@pytest.fixture(scope="session")
def package():
    import negosim as ns

    return ns.load_scenario("package_2007")


def record_rate(benchmark, runs: int, **extra) -> None:
    """Store the runs and runs/s of a measured benchmark in its JSON (``extra_info``)."""
    benchmark.extra_info.update(runs=runs, runs_per_s=runs / best_seconds(benchmark), **extra)


def record_evaluations(benchmark, scenario, result, **extra) -> None:
    """Also store actor-issue-round evaluations/s: one utility of one package for one actor
    on one issue in one played round (the exit or deadline round is evaluated too)."""
    played = int(result.rounds.sum()) + result.runs
    evals = played * len(scenario.actors) * len(scenario.issues)
    record_rate(benchmark, result.runs, evals_per_s=evals / best_seconds(benchmark), **extra)


def best_seconds(benchmark) -> float:
    """The fastest measured round (NaN when benchmarks are disabled, as in `make test`)."""
    return benchmark.stats.stats.min if benchmark.stats else float("nan")
