"""Crash-safe, resumable runs and scale-out: the same seed gives the same numbers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import negosim as ns
import negosim.engine as engine

FIELDS = ("agreed", "outcome", "utility", "rounds", "exited")


def assert_identical(a, b):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.fixture
def counting(monkeypatch):
    """Counts the chunks actually computed."""
    calls = []
    real = engine.compute_chunk

    def counted(*args):
        calls.append(args[1])
        return real(*args)

    monkeypatch.setattr(engine, "compute_chunk", counted)
    return calls


def test_store_round_trip_and_resume_reads_not_recomputes(tmp_path, package, counting):
    kwargs = {"seed": 3, "chunk_size": 50, "strategies": {"US": "random_walk"}}
    plain = ns.simulate(package, 230, **kwargs)
    counting.clear()
    stored = ns.simulate(package, 230, store=tmp_path / "s", **kwargs)
    assert len(counting) == 5
    assert_identical(plain, stored)
    assert_identical(plain, ns.load_results(tmp_path / "s"))
    counting.clear()
    again = ns.simulate(package, 230, store=tmp_path / "s", **kwargs)
    assert counting == []  # everything was read back
    assert_identical(plain, again)


KILLED = """
import sys, negosim as ns
sc = ns.load_scenario("package_2007")
ns.simulate(sc, 20_000, seed=5, rounds=400, chunk_size=1_000, store=sys.argv[1], collect=False)
"""


def test_killed_run_resumes_bit_identical_without_recomputing(tmp_path, package, counting):
    store = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(store)])
    manifest = store / "manifest.json"
    deadline = time.time() + 120
    stored = 0
    while time.time() < deadline and proc.poll() is None:
        if manifest.exists():
            try:
                stored = len(json.loads(manifest.read_text())["chunks"])
            except (json.JSONDecodeError, KeyError):
                stored = 0
            if stored >= 3:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed; make it longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = json.loads(manifest.read_text())["chunks"]
    assert 3 <= len(before) < 20
    for k in before:  # every chunk stored before the kill is readable
        assert (store / f"part-{int(k):06d}.parquet").stat().st_size == before[k]["bytes"]
    resumed = ns.simulate(package, 20_000, seed=5, rounds=400, chunk_size=1_000, store=store)
    assert len(counting) == 20 - len(before)
    assert sorted(counting) == [1_000 * k for k in range(20) if str(k) not in before]
    whole = ns.simulate(package, 20_000, seed=5, rounds=400, chunk_size=1_000)
    assert_identical(whole, resumed)


def test_damaged_chunk_is_recomputed_with_a_warning(tmp_path, package, counting):
    store = tmp_path / "d"
    first = ns.simulate(package, 120, seed=1, chunk_size=40, store=store)
    part = store / "part-000001.parquet"
    part.write_bytes(part.read_bytes()[:100])  # truncated
    counting.clear()
    with pytest.warns(RuntimeWarning, match="part-000001.parquet has 100 bytes"):
        again = ns.simulate(package, 120, seed=1, chunk_size=40, store=store)
    assert counting == [40]
    assert_identical(first, again)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seed": 2}, "seed"),
        ({"chunk_size": 30}, "chunk_size"),
        ({"protocol": "mediated"}, "protocol"),
    ],
)
def test_a_store_of_another_call_is_refused(tmp_path, package, change, field):
    kwargs = {"seed": 1, "chunk_size": 40}
    ns.simulate(package, 80, store=tmp_path / "m", **kwargs)
    with pytest.raises(ns.StoreError, match=f"{field} is"):
        ns.simulate(package, 80, store=tmp_path / "m", **{**kwargs, **change})
    other = package.replace_value("Russia.salience.cfe", 40)
    with pytest.raises(ns.StoreError, match="scenario_digest"):
        ns.simulate(other, 80, store=tmp_path / "m", **kwargs)


def test_unfinished_store_names_missing_chunks(tmp_path, package):
    ns.simulate(package, 80, seed=1, chunk_size=40, store=tmp_path / "u", collect=False)
    manifest = tmp_path / "u" / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["chunks"]["1"]
    manifest.write_text(json.dumps(data))
    with pytest.raises(ns.StoreError, match=r"chunks \[1\] are missing"):
        ns.load_results(tmp_path / "u")


@pytest.mark.slow
def test_local_cluster_gives_the_same_numbers(tmp_path, package):
    pytest.importorskip("dask.distributed")
    kwargs = {"seed": 9, "chunk_size": 300, "strategies": {"US": "random_walk"}}
    inprocess = ns.simulate(package, 1_200, **kwargs)
    distributed = ns.simulate(package, 1_200, workers=2, store=tmp_path / "w", **kwargs)
    assert_identical(inprocess, distributed)
    assert_identical(inprocess, ns.load_results(tmp_path / "w"))
