"""Common random numbers: each sampled number has a stream of its own, so a what-if changes
only what it changes, and results carry their sampled inputs beside their outcomes."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import negosim as ns
from negosim.engine.sampling import BLOCK, stream_key

RUNS = 300


@pytest.fixture(scope="module")
def drawn(package):
    return ns.sample(package, RUNS, seed=11).inputs()


def _others_unchanged(before: dict, after: dict, changed: str) -> list[str]:
    """The targets other than ``changed`` whose draws differ in any run."""
    assert set(after) == set(before) - {changed}
    return [k for k in after if not np.array_equal(after[k], before[k])]


@pytest.mark.parametrize(
    "target",
    [
        "Russia.salience.kosovo_status",  # a salience the file marks as an estimate
        "moves.us_deploys.cost",  # a move's cost, with its own [[uncertainty]] entry
        "moves.kosovo_udi.to",  # where a move settles its issue
        "US.position.missile_defense",
    ],
)
def test_fixing_one_number_leaves_every_other_draw_of_every_run_unchanged(package, drawn, target):
    assert target in drawn, "the scenario no longer samples this number; pick another"
    fixed = package.fix(target, float(np.median(drawn[target])))
    after = ns.sample(fixed, RUNS, seed=11).inputs()
    assert _others_unchanged(drawn, after, target) == []


def test_every_target_draws_from_its_own_stream(package, drawn):
    """No two targets share a key, and no key is a strategy-noise stream (1 + actor); the key
    is what docs/scaling.md says (the first 8 bytes of the SHA-256 of the target's text), and
    package_2007 samples the 233 numbers the docs count (232 stay when one is fixed)."""
    assert len(drawn) == 233
    digest = hashlib.sha256(b"moves.us_deploys.cost").digest()
    assert stream_key("moves.us_deploys.cost") == int.from_bytes(digest[:8], "little")
    keys = [stream_key(t) for t in drawn]
    assert len(set(keys)) == len(keys)
    assert min(keys) > len(package.actors) + 1


def test_sweeping_a_number_keeps_the_other_draws(package, drawn):
    target = "moves.us_deploys.cost"
    sweep = [ns.sample(package.fix(target, v), 50, seed=11).inputs() for v in (0.01, 0.05)]
    assert _others_unchanged({k: v[:50] for k, v in drawn.items()}, sweep[0], target) == []
    assert all(np.array_equal(sweep[0][k], sweep[1][k]) for k in sweep[0])


def test_draws_do_not_depend_on_where_a_range_of_runs_starts(package, drawn):
    """Runs 250..299 drawn alone equal the same runs of the whole sample (a block boundary
    lies inside when BLOCK divides no earlier run count)."""
    alone = ns.sample(package, 50, seed=11, start=250).inputs()
    assert all(np.array_equal(alone[k], drawn[k][250:]) for k in drawn)
    assert BLOCK > RUNS  # one block here; tests/test_core.py covers chunks across blocks


def test_a_sweep_of_common_worlds_is_steadier_than_independent_draws(package):
    """Stated measure: the agreement difference between two values of a number, over 12
    replicate seeds of 400 runs. With common random numbers (the same seed for both values)
    its standard deviation across replicates is below half of that with independent draws
    (another seed for the second value): the sampling noise of the other 232 numbers cancels."""
    target, values = "Russia.salience.kosovo_status", (50.0, 70.0)
    worlds = [package.fix(target, v) for v in values]

    def agreement(sc, seed):
        return ns.simulate(sc, 400, seed=seed, chunk_size=400).agreed.mean()

    common = [agreement(worlds[1], s) - agreement(worlds[0], s) for s in range(12)]
    independent = [agreement(worlds[1], s + 100) - agreement(worlds[0], s) for s in range(12)]
    assert np.std(common) < 0.5 * np.std(independent)


def test_to_frame_inputs_has_a_column_per_uncertain_target_equal_to_sample(package):
    res = ns.simulate(package, 40, seed=5)
    frame = res.to_frame(inputs=True)
    expected = ns.sample(package, 40, seed=5).inputs()
    columns = [c for c in frame.columns if c.startswith("input.")]
    assert columns == [f"input.{u.target}" for u in package.effective_uncertainty]
    for target, values in expected.items():
        np.testing.assert_array_equal(frame[f"input.{target}"].to_numpy(), values)
    assert frame.drop(columns=columns).equals(res.to_frame())


def test_long_frame_inputs_repeat_per_issue(package):
    res = ns.simulate(package, 6, seed=5)
    frame = res.to_frame(long=True, inputs=True)
    assert len(frame) == 6 * len(package.issues)
    per_run = frame.groupby("run")["input.moves.us_deploys.cost"].nunique()
    assert (per_run == 1).all()


def test_a_result_without_seed_refuses_its_inputs(package):
    res = ns.simulate(package, 4, seed=None)
    with pytest.raises(ns.ArgumentError, match="inputs: this result has no seed"):
        res.to_frame(inputs=True)
