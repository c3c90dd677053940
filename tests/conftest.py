"""Shared fixtures. Tests never read ../shared: what they need lives in tests/data."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("NEGOSIM_QUICK", "1")

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def package():
    import negosim as ns

    return ns.load_scenario("package_2007")


FAST_MODULES = frozenset(
    {
        "test_architecture.py",
        "test_common_random_numbers.py",
        "test_moves.py",
        "test_round_votes.py",
        "test_scenario.py",
        "test_strategies.py",
    }
)
"""The modules of ``make test-fast``: the layers, the scenario format, sampling, the round
rules and the strategies, under 2 minutes on 2 cores (their ``slow`` tests left out)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in FAST_MODULES and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.fast)
