"""Speed of the reference models on sampled runs of package_2007, each also as a ratio to the
alternating protocol measured in the same run, and the exchange model on
decide's sample data side by side with decide-exchange-model itself when it is installed in a
throwaway environment (GPL-3: never a dependency). Point DECIDE_PYTHON at that environment's
interpreter, e.g. ``DECIDE_PYTHON=/tmp/decide-venv/bin/python make bench``."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import pytest

import negosim as ns
from negosim.engine.protocols import exchange_compiled
from negosim.engine.protocols.exchange import exchange_rounds
from negosim.engine.solvers import compiled as solutions_compiled
from negosim.io import read_decide

from conftest import best_seconds, record_rate, sizes

SAMPLE = Path(__file__).parent.parent / "tests" / "data" / "oracles" / "sample_data.txt"


ALTERNATING: dict[str, float] = {}
"""runs/s of the alternating protocol measured first in this run: the models report their
speed as a ratio to it (``extra_info["vs_alternating"]``; targets in issue 12)."""


def _simulate(benchmark, package, runs: int, protocol: str, rounds: int, **options):
    benchmark.pedantic(
        ns.simulate,
        args=(package, runs),
        rounds=1,
        iterations=1,
        kwargs={"seed": 1, "protocol": protocol, "rounds": rounds, **options},
    )
    return _record_vs_alternating(benchmark, runs)


def _record_vs_alternating(benchmark, runs: int) -> float:
    """Record the runs/s of a measured benchmark and its ratio to alternating; the runs/s."""
    rate = runs / best_seconds(benchmark)
    record_rate(benchmark, runs, vs_alternating=rate / ALTERNATING.get("runs_per_s", math.nan))
    return rate


def test_alternating_on_package_2007(benchmark, package):
    """The reference speed (alternating offers, 100 rounds, as in test_bench_core)."""
    ALTERNATING["runs_per_s"] = _simulate(
        benchmark, package, sizes([10_000], [20])[0], "alternating", 100
    )
    benchmark.extra_info["vs_alternating"] = 1.0


SOLUTIONS = ns.solutions.COMPILED
SOLUTION_RUNS = 10_000 if solutions_compiled.AVAILABLE else 200
"""Compiled (make bench installs numba), a solution settles thousands of runs/s; the integer
programmes alone, tens (see test_solutions_by_the_integer_programmes_on_package_2007)."""
FULL_RUNS = {
    "eum": 1_000,
    "compromise": 10_000,
    "median": 10_000,
    **dict.fromkeys(SOLUTIONS, SOLUTION_RUNS),
}
COMPILED = ("eum", *SOLUTIONS)
"""The models whose default path is compiled where numba is installed."""


@pytest.mark.parametrize("protocol", list(FULL_RUNS))
def test_models_on_package_2007(benchmark, package, protocol):
    """Each model in its default path (for eum and the bargaining solutions: compiled with
    numba where it is installed, as make bench installs it; compiled once before the
    timing)."""
    runs = sizes(FULL_RUNS[protocol], 10)
    if protocol in COMPILED:
        ns.simulate(package, 2, seed=1, protocol=protocol, rounds=10)  # compile once
        benchmark.extra_info["compiled"] = solutions_compiled.AVAILABLE  # numba is installed
    _simulate(benchmark, package, runs, protocol, 10)


@pytest.mark.parametrize("protocol", SOLUTIONS)
def test_solutions_by_the_integer_programmes_on_package_2007(benchmark, package, protocol):
    """The bargaining solutions with the coalitions, the integer programmes alone
    (``compiled=False``, the default without numba), beside the compiled default above."""
    _simulate(benchmark, package, sizes(200, 10), protocol, 10, compiled=False)


def test_eum_numpy_batch_on_package_2007(benchmark, package):
    """The expected utility model as a numpy batch (``compiled=False``, the default without
    numba), beside the compiled default above."""
    _simulate(benchmark, package, sizes(300, 10), "eum", 10, compiled=False)


@pytest.mark.parametrize("kind", ["nash", "kalai_smorodinsky", "utilitarian"])
def test_solutions_without_coalitions_on_package_2007(benchmark, package, kind):
    """US and Russia on their frontier, the coalitions dropped (``ratify=False``): every run
    in closed form (docs/protocols.md). With the coalitions, see test_models_on_package_2007."""
    runs = sizes([10_000], [10])[0]
    batch = ns.sample(package, runs, seed=1)
    benchmark.pedantic(
        ns.solutions.solve_runs, args=(batch, kind), kwargs={"ratify": False}, rounds=3
    )
    _record_vs_alternating(benchmark, runs)


EXCHANGE_PATHS = {
    "decimal": ({"arithmetic": "decimal"}, 200),
    "float": ({"arithmetic": "float"}, 2_000),  # compiled: make bench installs numba
    "float-numpy-batch": ({"arithmetic": "float", "compiled": False}, 200),
}


@pytest.mark.parametrize("path", list(EXCHANGE_PATHS))
def test_exchange_on_package_2007(benchmark, package, path):
    """The exchange model in its three paths: decimal run by run, float compiled with numba
    (the default where numba is installed), float as a numpy batch (the default without)."""
    options, full = EXCHANGE_PATHS[path]
    runs = sizes([full], [2])[0]
    ns.simulate(package, 2, seed=1, protocol="exchange", rounds=10, **options)  # compile once
    _simulate(benchmark, package, runs, "exchange", 10, **options)
    benchmark.extra_info["compiled"] = path == "float" and exchange_compiled.AVAILABLE


@pytest.mark.benchmark(group="exchange-vs-decide")
def test_exchange_sample_data_negosim(benchmark):
    sc = read_decide(SAMPLE)
    args = (sc.positions, sc.salience / 100, sc.issue_power, sc.participation, sc.low, sc.high, 10)
    benchmark.pedantic(exchange_rounds, args=args, kwargs={"arithmetic": "decimal"}, rounds=3)
    benchmark.extra_info["runs"] = 1


DRIVER = """
import sys, time
from decide.data.reader import InputDataFile
from decide.data.modelfactory import ModelFactory
from decide.model.equalgain import EqualGainModel
from decide.model.utils import ModelLoop
from decide.model.observers.observer import Observable
EqualGainModel.ALLOW_RANDOM = False
start = time.perf_counter()
model = ModelFactory(InputDataFile.open(sys.argv[1]))(model_klass=EqualGainModel)
loop = ModelLoop(model, Observable(model_ref=model, output_directory=sys.argv[2]), 0)
for _ in range(10):
    loop.loop()
print(time.perf_counter() - start)
"""


@pytest.mark.benchmark(group="exchange-vs-decide")
def test_exchange_sample_data_decide(benchmark, tmp_path):
    python = os.environ.get("DECIDE_PYTHON")
    if not python:
        pytest.skip("set DECIDE_PYTHON to an interpreter with decide-exchange-model installed")

    def once():
        out = subprocess.run(
            [python, "-c", DRIVER, str(SAMPLE), str(tmp_path)],
            check=True,
            capture_output=True,
            text=True,
        )
        return float(out.stdout.strip().splitlines()[-1])

    seconds: list[float] = []
    benchmark.pedantic(lambda: seconds.append(once()), rounds=3, iterations=1)
    # the wall time includes starting Python; the model loop alone is timed by the driver
    benchmark.extra_info.update(runs=1, model_seconds_min=min(seconds))
