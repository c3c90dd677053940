"""The numpy core against the compiled reference kernel of the same rules
(``reference_kernel.py``), in one run on one machine: the reference workload (10 actors,
5 issues, 100 rounds, linear time-dependent tactics, the scaling benchmarks' generator).

The row's timing is ``simulate`` in this process; the kernels, one thread and parallel over
runs, run between its rounds (interleaved, so machine noise hits all alike) and their best
times go into ``extra_info`` with actor-issue-round evaluations/s and the ratios core/kernel.
So does ``simulate`` on as many Dask worker processes (one thread each) as the parallel
kernel has threads, started once beforehand as a user scaling out keeps a cluster running:
that is the core on every core, measured against the parallel kernel. Both sides start from
the scenario and end with the results (sampling included). Skipped without numba.
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np
import pytest

import negosim as ns
from negosim.engine.runner import local_cluster

from conftest import best_seconds, record_evaluations, sizes

numba = pytest.importorskip("numba")

from reference_kernel import reference_run  # noqa: E402  (needs numba)

ACTORS, ISSUES, ROUNDS = 10, 5, 100
KERNELS = {"kernel": False, "kernel_parallel": True}


def _evaluations(rounds: np.ndarray, runs: int) -> int:
    """Actor-issue-round evaluations, as :func:`conftest.record_evaluations` counts them."""
    return (int(rounds.sum()) + runs) * ACTORS * ISSUES


@pytest.mark.benchmark(group="kernel")
def test_simulate_vs_compiled_kernel(benchmark):
    runs, repeats = sizes([100_000], [50])[0], sizes([5], [1])[0]
    scenario = ns.generate(ACTORS, ISSUES, seed=0, rounds=ROUNDS, reservation=(0.6, 0.9))
    for parallel in KERNELS.values():  # compile (or load numba's cache) outside the timings
        reference_run(ns.sample(scenario, 2, seed=1), parallel=parallel)
    best = dict.fromkeys([*KERNELS, "workers"], math.inf)
    results = {}
    workers = numba.get_num_threads()
    with _cluster(workers) as client:
        ns.simulate(scenario, 2 * workers, seed=1, client=client, chunk_size=1)  # warm workers

        def time_others() -> None:  # pedantic's untimed setup: runs before each simulate round
            for name, parallel in KERNELS.items():
                start = time.perf_counter()
                sampled = ns.sample(scenario, runs, seed=1)
                results[name] = reference_run(sampled, parallel=parallel)
                best[name] = min(best[name], time.perf_counter() - start)
            start = time.perf_counter()
            chunk = max(1, runs // (4 * workers))  # the same number of chunks to each worker
            on_workers = ns.simulate(scenario, runs, seed=1, client=client, chunk_size=chunk)
            best["workers"] = min(best["workers"], time.perf_counter() - start)
            results["workers"] = (on_workers.agreed, on_workers.rounds, on_workers.outcome)

        res = benchmark.pedantic(
            ns.simulate,
            args=(scenario, runs),
            kwargs={"seed": 1},
            setup=time_others,
            rounds=repeats,
        )
    extra = {"threads": workers}
    core = _evaluations(res.rounds, runs) / best_seconds(benchmark)
    for name, (agreed, rounds, outcome) in results.items():
        # the same negotiations, so the evaluations counted are the same work
        assert (agreed == res.agreed).all() and (rounds == res.rounds).all()
        assert np.allclose(outcome, res.outcome, rtol=0, atol=1e-9)
        extra[f"{name}_seconds"] = best[name]
        extra[f"{name}_evals_per_s"] = _evaluations(rounds, runs) / best[name]
    for name in KERNELS:
        extra[f"simulate_vs_{name}"] = core / extra[f"{name}_evals_per_s"]
    # the core on every core against the kernel on every core
    extra["workers_vs_kernel_parallel"] = (
        extra["workers_evals_per_s"] / extra["kernel_parallel_evals_per_s"]
    )
    record_evaluations(benchmark, scenario, res, **extra)


@contextlib.contextmanager
def _cluster(workers: int):
    """A client of ``workers`` Dask worker processes with one thread each, as negosim starts
    them for ``workers=`` (:func:`negosim.engine.runner.local_cluster`)."""
    distributed = pytest.importorskip("dask.distributed")
    with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
        yield client
