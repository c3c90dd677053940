"""Progress bars: every long call shows one bar over its runs, with a total (so tqdm shows the
time left), that moves after every step of about a second of work; how runs are grouped into
steps never changes a result. No test here measures time."""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pytest
import tqdm.auto
from tqdm.std import tqdm as text_tqdm

import negosim as ns
from negosim.analysis.whatif import sensitivity, sweep, timeline
from negosim.cli import main as cli
from negosim.engine import runner as engine
from negosim.engine.runner import (
    BLOCK,
    FIRST_STEP,
    LARGEST_STEP,
    TICK_SECONDS,
    Progress,
    progress_bar,
)

# tournaments on a few small worlds, on purpose: their FewWorldsWarning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::negosim.analysis.tournaments.FewWorldsWarning")

ARRAYS = ("agreed", "outcome", "utility", "rounds", "exited", "moved", "consented")


class Recorder(text_tqdm):
    """A text bar that shows every update (no minimum interval) and records them; the bars
    shown are kept in ``made``."""

    made: ClassVar[list[Recorder]] = []

    def __init__(self, *args, **kwargs):
        kwargs.update(mininterval=0, miniters=1)
        super().__init__(*args, **kwargs)
        self.counts: list[float] = []
        if not self.disable:
            Recorder.made.append(self)

    def update(self, n=1):
        super().update(n)
        self.counts.append(self.n)


@pytest.fixture
def bars(monkeypatch):
    """Every bar shown (at once: no delay); the captured stderr holds what it drew."""
    Recorder.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    monkeypatch.setattr(engine, "BAR_DELAY", 0)
    return Recorder.made


def assert_same_runs(a, b):
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def shown_eta(text: str, total: int) -> bool:
    """Whether a drawn bar shows done/total and a time left (``[elapsed<left``)."""
    return re.search(rf"\d+/{total} \[\d\d:\d\d<\d\d:\d\d", text) is not None


# ---------------------------------------------------------------------- the pace rule


class Silent:
    """A stand-in bar: counts updates, shown."""

    disable = False

    def __init__(self):
        self.updates: list[int] = []

    def update(self, n):
        self.updates.append(n)


def test_the_first_step_is_small_then_steps_last_about_a_tick():
    pace = Progress(Silent())
    assert pace.step(10_000) == FIRST_STEP
    pace.advance(16, seconds=0.5)  # 32 runs/s: a tick's worth is 32 * TICK_SECONDS runs
    assert pace.step(10_000) == min(int(32 * TICK_SECONDS), 4 * 16)
    pace.advance(64, seconds=0.064)  # 1000 runs/s, but a step grows at most 4x the largest
    assert pace.step(10_000) == min(int(1000 * TICK_SECONDS), 4 * 64)
    assert pace.step(3) == 3  # never more than what is left


def test_large_steps_are_whole_sampling_blocks():
    pace = Progress(Silent())
    pace.advance(50_000, seconds=10.0)  # 5,000 runs/s: one second is 4 blocks and 904 runs
    assert pace.step(10**6) == 4 * BLOCK


def test_no_step_exceeds_the_largest_step_bar_or_not():
    pace = Progress(Silent())
    pace.advance(10**6, seconds=1.0)  # a second of work would be a million runs
    assert pace.step(10**7) == LARGEST_STEP
    silent = Silent()
    silent.disable = True
    hidden = Progress(silent)
    assert hidden.step(16_384) == LARGEST_STEP  # a large chunk, in cache-sized steps
    assert hidden.step(5_000) == 5_000  # a small one, at once


# ---------------------------------------------------------------------- simulate


@pytest.mark.parametrize("protocol", ["alternating", "mediated", "nash", "eum", "exchange"])
def test_steps_move_the_bar_and_never_change_results(package, protocol):
    runs = {"alternating": 300, "mediated": 300, "exchange": 5}.get(protocol, 12)
    bar = Silent()
    shown = ns.simulate(package, runs, seed=4, protocol=protocol, progress=Progress(bar), trace=3)
    plain = ns.simulate(package, runs, seed=4, protocol=protocol, trace=3)
    assert_same_runs(shown, plain)
    for key in plain.trace:
        a, b = np.asarray(shown.trace[key]), np.asarray(plain.trace[key])
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), key
    assert sum(bar.updates) == runs
    assert len(bar.updates) >= 2  # it moved before the only chunk was done
    assert bar.updates[0] == 3  # the traced runs are one step of their own


def test_steps_capped_below_the_chunk_never_change_results(package, monkeypatch):
    """Without a bar a chunk larger than LARGEST_STEP is computed in several steps (here 7
    runs each): the same runs as chunks of one run."""
    import negosim.engine.runner as engine

    whole = ns.simulate(package, 50, seed=6, chunk_size=1)
    monkeypatch.setattr(engine, "LARGEST_STEP", 7)
    calls = []
    real = engine.compute_chunk
    monkeypatch.setattr(engine, "compute_chunk", lambda *a: calls.append(a[2]) or real(*a))
    stepped = ns.simulate(package, 50, seed=6, chunk_size=50)
    assert calls == [7] * 7 + [1]
    assert_same_runs(stepped, whole)


def test_simulate_draws_a_bar_with_the_time_left(package, bars, capsys):
    ns.simulate(package, 500, seed=1, progress=True)
    (bar,) = bars
    assert bar.total == 500 and bar.counts[-1] == 500 and len(bar.counts) >= 2
    assert shown_eta(capsys.readouterr().err, 500)


def test_without_progress_nothing_is_drawn(package, bars, capsys):
    ns.simulate(package, 50, seed=1)
    assert capsys.readouterr().err == ""


def test_restored_chunks_count_as_done(tmp_path, package, bars):
    folder = tmp_path / "store"
    ns.simulate(package, 40, seed=1, chunk_size=20, store=folder)
    ns.simulate(package, 40, seed=1, chunk_size=20, store=folder, progress=True)
    (bar,) = bars
    assert bar.total == 40 and bar.n == 40 and bar.counts == []  # nothing left to compute


def test_dask_workers_move_the_bar_once_per_chunk(package, bars):
    shown = ns.simulate(package, 50, seed=3, chunk_size=20, workers=1, progress=True)
    (bar,) = bars
    steps = np.diff([0, *bar.counts])  # one per chunk, in the order they finished
    assert sorted(steps) == [10, 20, 20] and bar.total == 50
    assert_same_runs(shown, ns.simulate(package, 50, seed=3))


# ---------------------------------------------------------------------- what-ifs and tournaments


def test_a_sweep_has_one_bar_over_all_its_runs(package, bars, capsys):
    table = sweep(package, {"Russia.power": [30, 60, 90]}, 40, seed=1, progress=True)
    (bar,) = bars
    assert bar.total == 3 * 40 and bar.counts[-1] == 120 and len(bar.counts) >= 3
    assert shown_eta(capsys.readouterr().err, 120)
    assert table["runs"].tolist() == [40, 40, 40]


def test_sensitivity_counts_the_base_run_and_both_swings_of_each_input(package, bars):
    table = sensitivity(package, 30, seed=1, top=2, progress=True)
    (bar,) = bars
    assert bar.total == 30 * (1 + 2 * len(table)) and bar.counts[-1] == bar.total


def test_a_timeline_counts_every_date(package, bars):
    table = timeline(package, 20, seed=1, progress=True)
    (bar,) = bars
    assert bar.total == 20 * len(table) and bar.counts[-1] == bar.total


def test_a_tournament_shows_the_nash_points_then_the_pairings(bars):
    worlds = [ns.generate(2, 3, seed=k) for k in range(2)]  # no uncertainty: one world each
    result = ns.tournament(["boulware", "conceder"], worlds, runs=6, seed=1, progress=True)
    solving, playing = bars
    assert solving.total == solving.n == 2 == result.leaderboard["worlds"].iloc[0]
    jobs = 2 * 2 * 2 * 2  # scenarios x seats x focal strategies x opponents (self-play too)
    assert len(result.plays) == jobs
    assert playing.total == playing.n == jobs * 6


def test_an_open_bar_is_advanced_not_replaced(package, bars):
    with progress_bar(True, 100, "outer") as pace:
        ns.simulate(package, 60, seed=1, progress=pace)
        ns.simulate(package, 40, seed=2, progress=pace)
    (bar,) = bars
    assert bar.total == 100 and bar.counts[-1] == 100


# ---------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("argv", "total"),
    [
        (["run", "package_2007", "--runs", "300"], 300),
        (["sweep", "package_2007", "--runs", "20", "--param", "Russia.power=30,60"], 40),
        (["timeline", "package_2007", "--runs", "10"], 40),
    ],
)
def test_commands_draw_a_bar_unless_told_not_to(argv, total, bars, capsys):
    assert cli(argv) == 0
    assert shown_eta(capsys.readouterr().err, total)
    assert cli([*argv, "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("trace", "first"), [(0, 10), (3, 10), (12, 10), (12, 0), (3, 0)])
def test_a_worker_computes_a_chunk_in_steps_with_the_numbers_of_one(monkeypatch, trace, first):
    """What a Dask worker runs for a chunk (``compute_in_steps``: steps of at most
    LARGEST_STEP runs, made tiny here) equals the chunk computed in one go, a trace and
    per-run strategy parameters included."""
    from negosim.model.strategies import TimeDependent

    sc = ns.load_scenario("package_2007")
    call = engine._Call(
        sc, 40, 3, 30, None, {"US": TimeDependent(e=np.linspace(0.3, 3, 40))}, None, trace, None, {}
    )
    plan = engine._prepare(call)
    whole = engine.compute_chunk(*plan.chunk(first))
    monkeypatch.setattr(engine, "LARGEST_STEP", 7)
    stepped = engine.compute_in_steps(plan.chunk(first))
    assert stepped.keys() == whole.keys()
    for key in whole:
        if key == "trace":
            for name in whole[key]:
                np.testing.assert_array_equal(stepped[key][name], whole[key][name])
        else:
            np.testing.assert_array_equal(stepped[key], whole[key], err_msg=key)


def test_dask_workers_compute_their_chunks_in_steps(monkeypatch):
    """``client=``: each chunk is computed in steps of at most LARGEST_STEP runs on the
    workers too (threads of this process here, so the step sizes can be seen)."""
    distributed = pytest.importorskip("dask.distributed")
    sizes = []
    real = engine.compute_chunk
    monkeypatch.setattr(engine, "compute_chunk", lambda *a: sizes.append(a[2]) or real(*a))
    monkeypatch.setattr(engine, "LARGEST_STEP", 7)
    sc = ns.load_scenario("cfe_2007")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_cluster = ns.simulate(sc, 30, seed=4, chunk_size=15, client=client)
    assert sorted(sizes) == [1, 1, 7, 7, 7, 7]
    np.testing.assert_array_equal(on_cluster.outcome, ns.simulate(sc, 30, seed=4).outcome)
