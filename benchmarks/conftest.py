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


def best_seconds(benchmark) -> float:
    """The fastest measured round (NaN when benchmarks are disabled, as in `make test`)."""
    return benchmark.stats.stats.min if benchmark.stats else float("nan")
