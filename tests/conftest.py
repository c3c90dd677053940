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
