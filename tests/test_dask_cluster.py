"""`simulate(client=...)` on a real Dask cluster: a scheduler and two workers started as
separate processes (``dask scheduler`` / ``dask worker`` on 127.0.0.1), not a LocalCluster."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import negosim as ns
from negosim.engine.protocols import PROTOCOLS

from helpers import bilateral

distributed = pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("agreed", "outcome", "utility", "rounds", "exited", "moved", "consented")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_command() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("dask")
    if found is None:
        pytest.skip("the dask command line is not installed")
    return [found]


@pytest.fixture(scope="module")
def cluster_address():
    """A scheduler and two single-thread workers, each its own process; stopped afterwards."""
    dask, port = _dask_command(), _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [
        subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        for k in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        *dask,
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{k}",
                    ],
                    **quiet,
                )
            )
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_client_of_a_separate_cluster_gives_the_in_process_runs(cluster_address):
    data = bilateral(
        [[80, 20, 50], [10, 70, 40]], [[70, 30, 50], [40, 80, 20]], (0.3, 0.2), rounds=30
    ).to_dict()
    data["uncertainty"] = [
        {"target": "A.salience.i0", "dist": "uniform", "low": 20, "high": 90},
        {"target": "B.reservation", "dist": "uniform", "low": 0.0, "high": 0.5},
    ]
    sc = ns.Scenario.from_dict(data)
    strategies = {"A": "random_walk", "B": "trade_off"}
    here = ns.simulate(sc, 3000, seed=5, strategies=strategies, chunk_size=3000)
    with distributed.Client(cluster_address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=30)
        assert len(client.scheduler_info()["workers"]) == 2
        with distributed.get_task_stream(client) as stream:
            there = ns.simulate(
                sc, 3000, seed=5, strategies=strategies, chunk_size=250, client=client
            )
        assert len({task["worker"] for task in stream.data}) == 2  # both workers computed
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(there, name), getattr(here, name))
    assert len(np.unique(here.rounds)) > 3  # the random walk and the sampled numbers matter


SLOW = {"eum", "exchange"}  # rounds of the forecast models that loop over candidate moves


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_every_protocol_gives_the_same_runs_for_any_chunk_and_on_the_cluster(
    cluster_address, package, protocol
):
    """Each registered protocol on package_2007: one chunk, chunks of one run, and chunks of
    two spread over the two worker processes give the same numbers run by run."""
    kwargs = {"seed": 3, "protocol": protocol, "rounds": 4 if protocol in SLOW else 100}
    runs = 6
    whole = ns.simulate(package, runs, chunk_size=runs, **kwargs)
    single = ns.simulate(package, runs, chunk_size=1, **kwargs)
    with distributed.Client(cluster_address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=30)
        there = ns.simulate(package, runs, chunk_size=2, client=client, **kwargs)
    for other in (single, there):
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(other, name), getattr(whole, name))
    assert len(np.unique(whole.outcome, axis=0)) > 1  # the sampled worlds differ


def test_the_workers_negosim_starts_get_its_allocator_settings():
    """``workers=N`` clusters start with WORKER_ALLOCATOR in the workers' environment (Dask's
    own settings kept), not with Dask's 64 KiB trim threshold alone (docs/scaling.md)."""
    from negosim.engine.runner import WORKER_ALLOCATOR, local_cluster

    names = [*WORKER_ALLOCATOR, "OMP_NUM_THREADS"]
    with local_cluster(1) as cluster, distributed.Client(cluster) as client:
        seen = client.run(lambda: {k: os.environ.get(k) for k in names})
    (environ,) = seen.values()
    assert environ == {
        "MALLOC_MMAP_THRESHOLD_": "33554432",
        "MALLOC_TRIM_THRESHOLD_": "67108864",
        "OMP_NUM_THREADS": "1",
    }
