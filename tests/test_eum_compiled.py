"""The compiled expected utility model (negosim.engine.protocols.eum_compiled) against the numpy
batch (negosim.engine.protocols.eum), bit for bit: on generated scenarios with ties (shared
positions, copied actors, saliences of 0 and 1, actors absent from an issue), on the
emission-standards oracle and on sampled package_2007 runs; and how the path is chosen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_eum_batched import POSITION, _rows, scenarios

import negosim as ns
from negosim.engine.protocols import eum, eum_compiled
from negosim.engine.protocols.eum import EUMOptions, eum_forecast, eum_rounds, eum_setup

pytestmark = pytest.mark.skipif(not eum_compiled.AVAILABLE, reason="numba is not installed")

ORACLES = Path(__file__).parent / "data" / "oracles"
SCHOLZ = EUMOptions.of("scholz-code")


@st.composite
def copied_actors(draw):
    """``(rows, actors)`` positions, capabilities and saliences made of copies of a few
    actors: copies give exactly equal offers, keys and supports, so every tie rule is met."""
    rows, kinds = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    copies = draw(st.lists(st.integers(1, 5), min_size=kinds, max_size=kinds))
    if sum(copies) < 2:
        copies[0] = 2
    pick = np.repeat(np.arange(kinds), copies)

    def kind(elements):
        values = draw(st.lists(elements, min_size=rows * kinds, max_size=rows * kinds))
        return np.array(values, float).reshape(rows, kinds)[:, pick]

    salience = kind(st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0.01, 1))
    salience[salience.sum(axis=1) == 0] = 0.5  # someone must care (the mean divides by it)
    return kind(POSITION), kind(st.sampled_from([0.5, 1.0, 2.0])), salience


@st.composite
def small_integer_runs(draw):
    """``(rows, actors)`` runs on the integers 0-6 with a few capabilities and saliences:
    exact midpoints, equal distances on both sides of an actor and equal keys abound."""
    rows, actors = draw(st.integers(1, 4)), draw(st.integers(2, 10))

    def grid(elements):
        values = draw(st.lists(elements, min_size=rows * actors, max_size=rows * actors))
        return np.array(values, float).reshape(rows, actors)

    x = grid(st.integers(0, 6))
    return x, grid(st.sampled_from([0.5, 1.0, 2.0])), grid(st.sampled_from([0.25, 0.5, 1.0]))


def _both(x, c, s, rounds, opts, active=None):
    """The forecasts of the compiled model and of the numpy batch."""
    return (
        eum_forecast(x, c, s, rounds, opts, active, compiled=True),
        eum_forecast(x, c, s, rounds, opts, active, compiled=False),
    )


@settings(max_examples=300, deadline=None)
@given(
    scenario=scenarios(),
    rounds=st.integers(1, 5),
    q=st.sampled_from([0.0, 0.5, 1.0, 2.0]) | st.floats(0, 3),
)
def test_compiled_forecast_equals_the_numpy_batch(scenario, rounds, q):
    """Generated runs with shared positions and absent actors, any weight ``Q`` of the
    status quo term: the same forecasts bit for bit."""
    x, c, s, active = (_rows(v) for v in scenario)
    compiled, batch = _both(x, c, s, rounds, EUMOptions.of("scholz-code", q=q), active)
    np.testing.assert_array_equal(compiled, batch)


@settings(max_examples=400, deadline=None)
@given(
    actors=copied_actors() | small_integer_runs(),
    rounds=st.integers(1, 6),
    q=st.sampled_from([0.0, 1.0]) | st.floats(0, 3),
)
def test_compiled_rounds_equal_the_numpy_batch_with_copied_actors(actors, rounds, q):
    """Runs of copied actors (saliences of 0 included) and runs on a few integers, round by
    round: every position the compiled model reaches equals the numpy batch's trace bit for
    bit."""
    x, c, s = actors
    opts = EUMOptions.of("scholz-code", q=q)
    trace = _traced(x, c, s, rounds, opts)
    w, span, _ = eum_setup(x, c, s)
    for t in range(1, rounds + 1):
        reached = eum_compiled.forecast_positions(x, w, s, span, q, t)
        np.testing.assert_array_equal(reached, trace[t])
    np.testing.assert_array_equal(*_both(x, c, s, rounds, opts))


def _traced(x, c, s, rounds: int, opts: EUMOptions = SCHOLZ) -> np.ndarray:
    """The numpy batch's positions ``(rounds + 1, R, A)``, every row played twice: numpy sums
    a lone run's pairs pairwise but a batch's one by one (as :func:`eum_forecast` does)."""
    twice = (np.repeat(v, 2, axis=0) for v in (x, c, s))
    with np.errstate(invalid="ignore"):  # the trace's mean: 0 / 0 where every weight is 0
        return eum_rounds(*twice, rounds, opts).positions[:, ::2]


def test_compiled_model_reproduces_the_replication_of_scholz_code():
    """models.md 2.4: the emission-standards oracle's positions after each of 10 rounds to
    1e-9, and the numpy batch's trace bit for bit."""
    data = pd.read_csv(ORACLES / "emission_standards.csv")
    x, c, s = (data[k].to_numpy(float)[None] for k in ("Position", "Capability", "Salience"))
    expected = json.loads((ORACLES / "emission_standards.expected.json").read_text())
    trace = _traced(x, c, s, 10)
    w, span, _ = eum_setup(x, c, s)
    for t in range(1, 11):
        reached = eum_compiled.forecast_positions(x, w, s, span, SCHOLZ.q, t)
        np.testing.assert_allclose(reached[0], expected["rounds"][t]["positions"], atol=1e-9)
        np.testing.assert_array_equal(reached, trace[t])


def test_compiled_protocol_equals_the_numpy_batch_on_package_runs(package):
    """200 sampled package_2007 runs, 10 rounds, three issues of 28 to 36 actors."""
    kwargs = {"seed": 5, "protocol": "eum", "rounds": 10}
    compiled = ns.simulate(package, 200, compiled=True, **kwargs)
    batch = ns.simulate(package, 200, compiled=False, **kwargs)
    np.testing.assert_array_equal(compiled.outcome, batch.outcome)
    assert len(np.unique(compiled.outcome, axis=0)) > 100  # the runs differ


def test_compiled_forecast_does_not_depend_on_the_block_of_runs(monkeypatch):
    """Blocks of one run each give the numbers of one block of all runs."""
    rng = np.random.default_rng(3)
    x, c, s = rng.uniform(0, 100, (9, 7)), rng.uniform(0.1, 1, (9, 7)), rng.uniform(0, 1, (9, 7))
    whole = eum_forecast(x, c, s, 6, SCHOLZ, compiled=True)
    monkeypatch.setattr(eum_compiled, "BLOCK_NUMBERS", 1)
    np.testing.assert_array_equal(eum_forecast(x, c, s, 6, SCHOLZ, compiled=True), whole)


def test_the_compiled_path_is_the_default_for_the_choices_it_implements(monkeypatch):
    """Default where numba is installed and the choices are scholz-code's; the numpy batch
    for other choices (refused when asked for), and without numba (refused when asked)."""
    paper = EUMOptions.of("paper")
    assert eum._use_compiled(SCHOLZ, None)
    assert not eum._use_compiled(paper, None)
    assert not eum._use_compiled(EUMOptions.of("scholz-code", votes="linear"), None)
    with pytest.raises(ValueError, match="scholz-code choices only"):
        eum._use_compiled(paper, True)
    monkeypatch.setattr(eum_compiled, "AVAILABLE", False)
    assert not eum._use_compiled(SCHOLZ, None)
    with pytest.raises(ImportError, match=r"negosim\[fast\]"):
        eum._use_compiled(SCHOLZ, True)
    with pytest.raises(ImportError, match=r"negosim\[fast\]"):
        eum_compiled.forecast_positions(np.zeros((1, 2)), np.ones((1, 2)), 1, np.ones(1), 1, 1)


def test_equal_confrontations_go_to_the_earlier_actor():
    """Actor 0 at 1 is confronted by actor 3 at 0 and actor 4 at 2, one step away each: it
    moves to the earlier actor's position, 0, in both paths (found by a random search
    against a compiled model that took the later one; the generated tests missed it)."""
    x = np.array([[1.0, 5.0, 4.0, 0.0, 2.0, 6.0]])
    c = np.array([[1.0, 0.5, 2.0, 2.0, 2.0, 0.5]])
    s = np.array([[0.25, 1.0, 0.25, 0.5, 0.25, 0.25]])
    trace = _traced(x, c, s, 1)
    w, span, _ = eum_setup(x, c, s)
    reached = eum_compiled.forecast_positions(x, w, s, span, SCHOLZ.q, 1)
    assert trace[1, 0, 0] == 0.0
    np.testing.assert_array_equal(reached, trace[1])


AUDIT_CASES = json.loads((Path(__file__).parent / "data" / "eum_compiled_cases.json").read_text())


@pytest.mark.parametrize("case", AUDIT_CASES["cases"], ids=lambda case: case["name"])
def test_inputs_found_by_the_audit(case):
    """Inputs that exposed changes of the compiled model the generated tests missed (see the
    file's provenance and each case's ``mutation``): the numpy batch's numbers bit for bit,
    round by round (``trace``) or as forecasts (``forecast``)."""
    x, c, s = (np.array(case[k], float) for k in "xcs")
    opts = EUMOptions.of("scholz-code", q=case["q"])
    if case["check"] == "forecast":
        np.testing.assert_array_equal(*_both(x, c, s, case["rounds"], opts))
        return
    expected = _traced(x, c, s, case["rounds"], opts)[-1]
    w, span, _ = eum_setup(x, c, s)
    reached = eum_compiled.forecast_positions(x, w, s, span, opts.q, case["rounds"])
    np.testing.assert_array_equal(reached, expected)


def test_a_voter_on_a_midpoint_is_counted_above_it():
    """The voter at 3 lies on the midpoint of the actors at 1 and 5 and is counted with the
    voters above it, as in the numpy batch: its vote for either side is 0, but the prefix
    sums whose differences give the supports round differently with it on the other side.
    Found by a random search against a compiled model that counted it below (two rounds)."""
    x = np.array([[3.0, 5.0, 1.0, 5.0, 0.0]])
    c = np.array([[2.0, 2.0, 2.0, 2.0, 1.0]])
    s = np.array([[0.25, 0.1, 0.3, 0.5, 0.1]])
    w, span, _ = eum_setup(x, c, s)
    reached = eum_compiled.forecast_positions(x, w, s, span, SCHOLZ.q, 2)
    np.testing.assert_array_equal(reached, _traced(x, c, s, 2)[2])


def test_compiled_positions_broadcast_weights_and_saliences():
    """Saliences and weights given once for every run are broadcast, as in the numpy batch
    (the compiled passes read full rows: a short array would be read past its end)."""
    rng = np.random.default_rng(0)
    x, c, s = rng.uniform(0, 100, (4, 5)), rng.uniform(0.1, 1, (4, 5)), rng.uniform(0, 1, (1, 5))
    w, span, _ = eum_setup(x, c, np.broadcast_to(s, x.shape))
    reached = eum_compiled.forecast_positions(x, w, s, span, SCHOLZ.q, 3)
    np.testing.assert_array_equal(reached, _traced(x, c, np.broadcast_to(s, x.shape), 3)[3])
    with pytest.raises(ValueError, match="positions"):
        eum_compiled.forecast_positions(x[0], w[0], s[0], span, SCHOLZ.q, 3)


def test_compiled_positions_refuse_a_span_narrower_than_the_positions():
    """A gap above 1 could pass for the stand-in of a gap of 0 (``NO_GAP``): a range smaller
    than a row's positions is refused, naming the row; the range itself is accepted."""
    x = np.array([[0.0, 1.0, 4.0], [2.0, 3.0, 2.5]])
    w = np.ones_like(x)
    with pytest.raises(ValueError, match=r"span: row 1 .*\(0\.5 < 1\.0\)"):
        eum_compiled.forecast_positions(x, w, w, np.array([4.0, 0.5]), SCHOLZ.q, 1)
    reached = eum_compiled.forecast_positions(x, w, w, np.array([4.0, 1.0]), SCHOLZ.q, 1)
    assert reached.shape == x.shape
