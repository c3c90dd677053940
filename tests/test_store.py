"""Crash-safe, resumable runs and scale-out: the same seed gives the same numbers."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import queue
import re
import signal
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import negosim as ns
import negosim.engine.memory as memory
import negosim.engine.runner as engine
import negosim.io.store as stores
from negosim.cli import main

DATA = Path(__file__).parent / "data"

FIELDS = ("agreed", "outcome", "utility", "rounds", "exited", "no_deal", "no_deal_utility")


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
    proc.wait(timeout=60)
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
    with pytest.warns(RuntimeWarning, match="part-000001.parquet: has 100 bytes"):
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


# ---------------------------------------------------------------- locking, damage, durability

RACE_TRIES = 50
RACE_RUNS = 40


@pytest.fixture(scope="module")
def minimal():
    return ns.load_scenario(DATA / "minimal.toml")


def _race_worker(barrier, outcomes, folder: Path, seed: int) -> None:
    """One of two writers: at every try, start together with the other, on a fresh store."""
    sc = ns.load_scenario(DATA / "minimal.toml")
    for i in range(RACE_TRIES):
        barrier.wait(timeout=120)
        try:
            ns.simulate(sc, RACE_RUNS, seed, chunk_size=10, store=folder / f"{i}", collect=False)
            outcomes.put((i, seed, "ok"))
        except ns.StoreError as exc:
            outcomes.put((i, seed, str(exc)))


def _gather(outcomes, procs: list, count: int, seconds: float) -> list:
    """``count`` items from the queue of the child processes ``procs``: the test fails at once
    when a child dies (it would never put its items, and a get would wait for ever) and after
    ``seconds`` in all; every child still running at the end is stopped."""
    got, deadline = [], time.monotonic() + seconds
    try:
        while len(got) < count:
            try:
                got.append(outcomes.get(timeout=1))
                continue
            except queue.Empty:
                pass
            codes = [p.exitcode for p in procs]
            if any(code not in (None, 0) for code in codes):
                pytest.fail(f"a writer died (exit codes {codes}) after {len(got)} outcomes")
            if all(code == 0 for code in codes) and outcomes.empty():
                pytest.fail(f"the writers ended after {len(got)} of {count} outcomes")
            if time.monotonic() > deadline:
                pytest.fail(f"{len(got)} of {count} outcomes after {seconds} s: a hang")
        for p in procs:
            p.join(timeout=60)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(timeout=10)
    return got


def _dies() -> None:
    """A child that dies before it puts anything, as one the system kills would."""
    os._exit(3)


def test_gathering_fails_at_once_when_a_child_dies():
    """The race below waited up to 300 s per outcome for a writer that had died."""
    ctx = multiprocessing.get_context("spawn")
    outcomes, child = ctx.Queue(), ctx.Process(target=_dies)
    child.start()
    began = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match=r"a writer died \(exit codes \[3\]\)"):
        _gather(outcomes, [child], 1, seconds=120)
    assert time.monotonic() - began < 60


def test_two_writers_racing_on_one_store_one_wins_and_its_results_are_kept(tmp_path, minimal):
    ctx = multiprocessing.get_context("spawn")
    barrier, outcomes = ctx.Barrier(2), ctx.Queue()
    seeds = (11, 12)
    procs = [ctx.Process(target=_race_worker, args=(barrier, outcomes, tmp_path, s)) for s in seeds]
    for p in procs:
        p.start()
    got = _gather(outcomes, procs, 2 * RACE_TRIES, seconds=300)
    assert [p.exitcode for p in procs] == [0, 0]
    expected = {s: ns.simulate(minimal, RACE_RUNS, s) for s in seeds}
    for i in range(RACE_TRIES):
        results = {seed: outcome for j, seed, outcome in got if j == i}
        winners = [seed for seed, outcome in results.items() if outcome == "ok"]
        assert len(winners) == 1, f"try {i}: {results}"
        (loser,) = set(seeds) - set(winners)
        # refused at once while the winner runs, or after it as a store of another call
        assert re.match(r"store in use: |.*\(seed is \d+ there", results[loser]), results[loser]
        assert_identical(ns.load_results(tmp_path / f"{i}"), expected[winners[0]])


def test_a_second_writer_is_refused_at_once_while_the_first_runs(tmp_path, minimal, monkeypatch):
    folder, refused = tmp_path / "busy", []
    real = engine.compute_chunk

    def compute_while_another_call_tries(*args):
        if not refused:  # during the first call's first chunk
            with pytest.raises(ns.StoreError, match=r"^store in use: ") as err:
                ns.simulate(minimal, 30, seed=2, chunk_size=10, store=folder)
            refused.append(err.value)
        return real(*args)

    monkeypatch.setattr(engine, "compute_chunk", compute_while_another_call_tries)
    first = ns.simulate(minimal, 30, seed=1, chunk_size=10, store=folder)
    assert len(refused) == 1
    monkeypatch.undo()
    assert_identical(ns.load_results(folder), first)
    assert_identical(first, ns.simulate(minimal, 30, seed=1))


def test_cli_exits_2_when_the_store_is_in_use(tmp_path, capsys):
    folder = tmp_path / "held"
    folder.mkdir()
    argv = ["run", str(DATA / "minimal.toml"), "--runs", "20", "--store", str(folder)]
    with FileLock(folder / stores.LOCK):  # another process would hold it the same way
        assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("negosim: error: store in use: ") and err.count("\n") == 1


def _stored(folder: Path, sc) -> Path:
    ns.simulate(sc, 30, seed=1, chunk_size=10, store=folder)
    return folder / "manifest.json"


def _edit(change):
    """Damage as an edit of the parsed manifest."""

    def damage(raw: bytes) -> bytes:
        manifest = json.loads(raw)
        change(manifest)
        return json.dumps(manifest).encode()

    return damage


DAMAGE = {
    "binary garbage": lambda raw: bytes(range(256)) * 8,
    "truncated": lambda raw: raw[: len(raw) // 2],
    "empty": lambda raw: b"",
    "null": lambda raw: b"null",
    "a list": lambda raw: b"[1, 2, 3]",
    "a number": lambda raw: b"7",
    "nested too deep": lambda raw: b"[" * 200_000,
    "format unknown": _edit(lambda m: m.update(format=3)),
    "format a bool": _edit(lambda m: m.update(format=True)),
    "seed missing": _edit(lambda m: m.pop("seed")),
    "chunks missing": _edit(lambda m: m.pop("chunks")),
    "runs a string": _edit(lambda m: m.update(runs="30")),
    "seed a bool": _edit(lambda m: m.update(seed=True)),
    "chunk_size zero": _edit(lambda m: m.update(chunk_size=0)),
    "chunks a list": _edit(lambda m: m.update(chunks=[])),
    "chunk entry a string": _edit(lambda m: m["chunks"].update({"0": "ok"})),
    "chunk sha256 missing": _edit(lambda m: m["chunks"]["0"].pop("sha256")),
    "chunk bytes a float": _edit(lambda m: m["chunks"]["0"].update(bytes=1.5)),
    "chunk number not a number": _edit(lambda m: m["chunks"].update(x=m["chunks"].pop("0"))),
    "chunk number out of range": _edit(lambda m: m["chunks"].update({"9": m["chunks"]["0"]})),
    "chunk rows wrong": _edit(lambda m: m["chunks"]["0"].update(rows=11)),
    "scenario a string": _edit(lambda m: m.update(scenario="minimal")),
    "scenario invalid": _edit(lambda m: m["scenario"].update(issues=5)),
    "scenario edited": _edit(lambda m: m["scenario"]["actors"][1].update(power=75.0)),
}


@pytest.mark.parametrize("form", DAMAGE)
def test_every_damaged_manifest_is_reported_and_left_as_it_is(tmp_path, minimal, form, capsys):
    manifest = _stored(tmp_path / "s", minimal)
    manifest.write_bytes(DAMAGE[form](manifest.read_bytes()))
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in manifest.parent.iterdir()}
    expected = f"^damaged store: {re.escape(str(manifest))}: "
    with pytest.raises(ns.StoreError, match=expected):
        ns.load_results(manifest.parent)
    with pytest.raises(ns.StoreError, match=expected):  # a writer refuses it too
        ns.simulate(minimal, 30, seed=1, chunk_size=10, store=manifest.parent)
    argv = ["run", str(DATA / "minimal.toml"), "--runs", "30", "--seed", "1", "--chunk-size"]
    assert main([*argv, "10", "--store", str(manifest.parent), "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("negosim: error: damaged store: ") and err.count("\n") == 1
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in manifest.parent.iterdir()}
    assert after == before


def test_an_edited_embedded_scenario_fails_its_digest(tmp_path, minimal):
    manifest = _stored(tmp_path / "s", minimal)
    data = json.loads(manifest.read_text())
    data["scenario"]["actors"][1]["power"] = 75.0  # still a valid scenario: 50 in the file
    manifest.write_text(json.dumps(data))
    with pytest.raises(ns.StoreError, match="does not match scenario_digest"):
        ns.load_results(manifest.parent)


def test_reading_a_store_with_a_damaged_chunk_writes_nothing(tmp_path, minimal):
    folder = _stored(tmp_path / "r", minimal).parent
    part = folder / "part-000001.parquet"
    part.write_bytes(part.read_bytes()[:50])
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    with pytest.raises(ns.StoreError, match=r"^damaged store: .*part-000001.parquet: has 50 byt"):
        ns.load_results(folder)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before


def test_leftover_temporary_files_are_removed_by_the_next_writer(tmp_path, minimal):
    folder = _stored(tmp_path / "t", minimal).parent
    strays = [folder / ".part-000001.parquet.x7k2.tmp", folder / ".manifest.json.tmp-4242"]
    for stray in strays:
        stray.write_bytes(b"half a file")
    ns.load_results(folder)
    assert all(stray.exists() for stray in strays)  # a reader leaves them
    again = ns.simulate(minimal, 30, seed=1, chunk_size=10, store=folder)
    assert not any(stray.exists() for stray in strays)
    assert_identical(again, ns.load_results(folder))


def test_a_store_of_another_version_is_read_but_not_resumed(tmp_path, minimal, monkeypatch):
    folder = tmp_path / "v"
    monkeypatch.setattr(engine, "package_version", lambda: "0.0.1")
    ns.simulate(minimal, 30, seed=1, chunk_size=10, store=folder, collect=False)
    monkeypatch.undo()
    assert json.loads((folder / "manifest.json").read_text())["version"] == "0.0.1"
    with pytest.raises(ns.StoreError, match=r"written by negosim 0\.0\.1, this is negosim "):
        ns.simulate(minimal, 30, seed=1, chunk_size=10, store=folder)
    assert_identical(ns.load_results(folder), ns.simulate(minimal, 30, seed=1))


def test_version_comes_from_the_installed_distribution():
    with open(Path(__file__).parents[1] / "pyproject.toml", "rb") as fh:
        assert ns.__version__ == tomllib.load(fh)["project"]["version"]
    not_installed = (
        "from importlib import metadata\n"
        "def missing(name):\n"
        "    raise metadata.PackageNotFoundError(name)\n"
        "metadata.version = missing\n"
        "import negosim\n"
        "print(negosim.__version__)\n"
    )
    out = subprocess.run([sys.executable, "-c", not_installed], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0+unknown"


def test_every_file_is_flushed_before_its_rename_and_the_folder_after(
    tmp_path, minimal, monkeypatch
):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        st = os.fstat(fd)
        events.append(("fsync", st.st_ino, stat.S_ISDIR(st.st_mode)))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("rename", os.stat(src).st_ino, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    folder = tmp_path / "f"
    ns.simulate(minimal, 30, seed=1, chunk_size=10, store=folder, collect=False)
    monkeypatch.undo()
    renames = [i for i, e in enumerate(events) if e[0] == "rename"]
    names = {events[i][2] for i in renames}
    assert names == {"manifest.json", *(f"part-00000{k}.parquet" for k in range(3))}
    folder_inode = folder.stat().st_ino
    for i in renames:
        assert events[i - 1] == ("fsync", events[i][1], False)  # its bytes are on disk
        assert events[i + 1] == ("fsync", folder_inode, True)  # and so is the new name


# ---------------------------------------------------------------- the chunk table

DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.float32, np.float64]


@st.composite
def result_arrays(draw):
    """1-D and labelled 2-D arrays of any of the dtypes, with a common number of rows."""
    rows = draw(st.integers(0, 5))
    arrays, columns = {}, {}
    for k in range(draw(st.integers(1, 3))):
        arrays[f"v{k}"] = draw(hnp.arrays(draw(st.sampled_from(DTYPES)), rows))
    for k in range(draw(st.integers(0, 3))):
        labels = draw(st.lists(st.text("abc", min_size=1, max_size=2), unique=True, max_size=3))
        arrays[f"m{k}"] = draw(hnp.arrays(draw(st.sampled_from(DTYPES)), (rows, len(labels))))
        columns[f"m{k}"] = tuple(labels)
    return arrays, columns


@settings(max_examples=60, deadline=None)
@given(result_arrays())
def test_chunk_table_round_trips_through_parquet_exactly(drawn):
    arrays, columns = drawn
    data = stores.chunk_frame(arrays, columns).to_parquet(None, index=False)
    back = stores.frame_arrays(pd.read_parquet(io.BytesIO(data)), columns)
    assert back.keys() == arrays.keys()
    for name, values in arrays.items():
        assert back[name].dtype == values.dtype, name
        assert back[name].shape == values.shape, name
        np.testing.assert_array_equal(back[name], values)


def test_chunk_files_hold_one_column_per_issue_and_actor(tmp_path, minimal):
    assert stores.result_columns(minimal) == {
        "outcome": ("kosovo", "shield"),
        "utility": ("US", "Russia", "Poland"),
        "moved": ("exit_Russia",),
        "consented": (),
        "no_deal": ("kosovo", "shield"),
        "no_deal_utility": ("US", "Russia", "Poland"),
    }
    folder = _stored(tmp_path / "c", minimal).parent
    frame = pd.read_parquet(folder / "part-000000.parquet")
    assert set(frame.columns) == {
        "agreed",
        "rounds",
        "exited",
        "outcome.kosovo",
        "outcome.shield",
        "utility.US",
        "utility.Russia",
        "utility.Poland",
        "moved.exit_Russia",
        "no_deal.kosovo",
        "no_deal.shield",
        "no_deal_utility.US",
        "no_deal_utility.Russia",
        "no_deal_utility.Poland",
    }
    assert frame["agreed"].dtype == np.bool_


def _as_format_1(folder: Path) -> None:
    """Rewrite a store as negosim wrote it before the no-deal columns (format 1)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for key, entry in manifest["chunks"].items():
        path = folder / f"part-{int(key):06d}.parquet"
        frame = pd.read_parquet(path)
        frame = frame[[c for c in frame.columns if not c.startswith("no_deal")]]
        data = frame.to_parquet(None, index=False)
        path.write_bytes(data)
        entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    manifest["format"] = 1
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_store_of_format_1_loads_with_the_no_deal_package_of_its_failed_runs(tmp_path, minimal):
    folder, sc = tmp_path / "old", minimal.replace_value("Russia.reservation", 0.5)
    res = ns.simulate(sc, 40, seed=2, chunk_size=16, store=folder)
    assert 0 < res.agreed.sum() < res.runs  # both kinds of run, to check both rules
    _as_format_1(folder)
    back = ns.load_results(folder)
    np.testing.assert_array_equal(back.outcome, res.outcome)
    failed = ~res.agreed
    # without the columns: the no-deal package is the outcome of a run without agreement and
    # unknown (NaN) in an agreed one; likewise the utilities
    np.testing.assert_array_equal(back.no_deal[failed], res.outcome[failed])
    np.testing.assert_array_equal(back.no_deal_utility[failed], res.utility[failed])
    assert np.isnan(back.no_deal[res.agreed]).all()
    assert np.isnan(back.no_deal_utility[res.agreed]).all()
    assert back.summary().agreement["on_status_quo"].isna().all()  # unknown, not 0
    frame = back.to_frame()
    assert frame[[f"no_deal.{i}" for i in minimal.issues]].shape == (40, 2)
    with pytest.raises(ns.StoreError, match="format 1, this negosim writes format 2"):
        ns.simulate(sc, 40, seed=2, chunk_size=16, store=folder)


def test_a_store_of_format_2_without_its_no_deal_columns_is_damaged(tmp_path, minimal):
    folder = tmp_path / "cut"
    ns.simulate(minimal, 20, seed=2, chunk_size=10, store=folder)
    _as_format_1(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format"] = 2  # claims the columns it lacks
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ns.StoreError, match=r"^damaged store: .*part-000000\.parquet"):
        ns.load_results(folder)


def test_a_2d_array_without_labels_is_refused():
    with pytest.raises(ValueError, match="'moves' of shape"):
        stores.chunk_frame({"agreed": np.zeros(2, bool), "moves": np.zeros((2, 3))}, {})


def test_cli_resume_continues_an_interrupted_store(tmp_path, minimal, counting, capsys):
    folder = tmp_path / "cli"
    argv = ["run", str(DATA / "minimal.toml"), "--runs", "50", "--seed", "4", "--chunk-size"]
    argv += ["10", "--store", str(folder), "--no-progress"]
    assert main(argv) == 0
    manifest = folder / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["chunks"]["3"], data["chunks"]["4"]  # as if killed before they were recorded
    (folder / "part-000004.parquet").unlink()
    manifest.write_text(json.dumps(data))
    counting.clear()
    assert main(argv) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert counting == []
    assert main([*argv, "--resume"]) == 0
    assert counting == [30, 40]
    assert_identical(ns.load_results(folder), ns.simulate(minimal, 50, seed=4))


def test_a_numpy_seed_resumes_its_own_store(tmp_path, minimal, counting):
    folder = tmp_path / "np"
    first = ns.simulate(minimal, 20, seed=np.int64(3), chunk_size=10, store=folder)
    counting.clear()
    again = ns.simulate(minimal, 20, seed=np.int64(3), chunk_size=10, store=folder)
    assert counting == []
    assert_identical(first, again)
    assert_identical(first, ns.simulate(minimal, 20, seed=3))


def test_a_traced_call_stores_the_result_arrays_without_the_trace(tmp_path, minimal):
    folder = tmp_path / "tr"
    traced = ns.simulate(minimal, 20, seed=1, chunk_size=10, trace=3, store=folder)
    assert traced.trace["offer"].shape[0] == 3
    back = ns.load_results(folder)
    assert back.trace == {}
    assert_identical(back, traced)


def test_iter_parts_reads_a_store_one_chunk_at_a_time(tmp_path, minimal):
    folder = tmp_path / "parts"
    ns.simulate(minimal, 50, seed=6, chunk_size=20, store=folder, collect=False)
    parts = list(stores.iter_parts(folder))
    assert [len(p["agreed"]) for p in parts] == [20, 20, 10]
    whole = ns.simulate(minimal, 50, seed=6)  # no store: computed again in one chunk
    for name in (*FIELDS, "moved", "consented"):
        joined = np.concatenate([p[name] for p in parts])
        np.testing.assert_array_equal(joined, getattr(whole, name))
    data = json.loads((folder / "manifest.json").read_text())
    del data["chunks"]["1"]
    (folder / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(stores.StoreError, match=r"unfinished, chunks \[1\] are missing"):
        stores.iter_parts(folder)  # refused before any chunk is read


def _run_args(tmp_path, runs: int):
    import negosim.cli as cli

    args = cli._parser().parse_args(
        ["run", "package_2007", "--runs", str(runs), "--store", str(tmp_path / "s")]
    )
    args.chunk_size = engine.default_chunk("alternating")
    return cli, args


def test_a_large_store_is_not_gathered_for_the_summary(tmp_path, package):
    cli, args = _run_args(tmp_path, 10_000_000)
    # 2 x 10^7 runs x 715 bytes each is 14.3 GB, far above the 1 GiB the summary may take
    assert cli.SUMMARY_BYTES == 2**30
    assert cli._check_run(args, package) is False
    # 387 bytes before the no-deal arrays, then float64 no-deal values of 3 issues, 38 actors
    assert memory.result_bytes_per_run(package) == 387 + 8 * (3 + 38) == 715  # docs/scaling.md
    most = 2**30 // (2 * 715)  # the most runs gathered for the full summary
    assert most == 750_868  # as docs/scaling.md says
    _, args = _run_args(tmp_path, most)
    assert cli._check_run(args, package) is True
    _, args = _run_args(tmp_path, most + 1)
    assert cli._check_run(args, package) is False


def test_the_summary_of_a_large_store_is_read_back_in_parts(tmp_path, monkeypatch, capsys):
    import negosim.cli as cli

    monkeypatch.setattr(cli, "SUMMARY_BYTES", 1)  # as if the runs were too many to gather
    calls = []
    real = engine.simulate
    monkeypatch.setattr(engine, "simulate", lambda *a, **k: calls.append(k) or real(*a, **k))
    folder = tmp_path / "s"
    argv = ["run", "package_2007", "--runs", "3000", "--seed", "2", "--chunk-size", "700"]
    assert main([*argv, "--store", str(folder), "--no-progress"]) == 0
    assert calls[0]["collect"] is False
    out = capsys.readouterr().out
    res = ns.simulate(ns.load_scenario("package_2007"), 3000, seed=2)  # gathered, no store
    a = res.summary().agreement.iloc[0]
    assert (
        f"runs: 3,000   agreement: {res.agreed.mean():.1%} "
        f"(95% CI {a['ci_low']:.1%}..{a['ci_high']:.1%})   "
        f"mean round of agreement: {res.rounds[res.agreed].mean():.1f} of {res.deadline}"
    ) in out
    assert res.agreed.any()  # the line averages the agreements' rounds only
    means = res.outcome.mean(axis=0)
    assert f"kosovo_status {means[0]:.1f}, missile_defense {means[1]:.1f}, cfe {means[2]:.1f}" in (
        " ".join(out.split())
    )
    assert "negosim.io.store.iter_parts" in out


def test_a_store_tells_apart_per_run_parameters_that_differ_past_what_a_repr_shows(tmp_path):
    """numpy abbreviates arrays of over 1,000 values in a repr: two calls whose per-run
    parameter differs only there are still different calls to a store."""
    from negosim.model.strategies import TimeDependent

    sc = ns.load_scenario("cfe_2007")
    e = np.linspace(0.3, 3.0, 2_001)
    changed = e.copy()
    changed[1_000] = 5.0
    assert repr(TimeDependent(e=e)) == repr(TimeDependent(e=changed))  # what made it possible
    store = tmp_path / "store"
    ns.simulate(sc, 2_001, seed=1, strategies={"US": TimeDependent(e=e)}, store=store)
    with pytest.raises(ns.StoreError, match="made by another call"):
        ns.simulate(sc, 2_001, seed=1, strategies={"US": TimeDependent(e=changed)}, store=store)


def test_a_manifest_that_appears_while_a_folder_is_checked_is_a_store_not_other_files(
    tmp_path, monkeypatch
):
    """Under load a second writer saw the first one's manifest appear between its check for a
    manifest and its listing of the folder, and refused the folder as one of other files
    (the race test above, on a busy machine). The manifest is never a stranger's file."""
    from negosim.engine import arguments

    folder = tmp_path / "store"
    folder.mkdir()
    (folder / ".lock").write_text("")
    (folder / "manifest.json").write_text("{}")  # written just after the check below
    real_exists = type(folder).exists
    seen = []

    def exists_once_missing(path):
        if path.name == "manifest.json" and not seen:
            seen.append(path)
            return False  # the check ran before the manifest was renamed into place
        return real_exists(path)

    monkeypatch.setattr(type(folder), "exists", exists_once_missing)
    assert arguments.store_folder(folder) == folder
    assert seen
