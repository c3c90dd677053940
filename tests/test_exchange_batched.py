"""The exchange model's batched float path against its per-run path, run by run and round by
round (ties included), chunk sizes, and the float/decimal difference stated in
docs/protocols.md."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.engine import resolve_strategies
from negosim.io import read_decide
from negosim.protocols import Table
from negosim.protocols import exchange as negosim_exchange
from negosim.protocols.exchange import ExchangeModel, exchange_outcomes, exchange_rounds

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "tests" / "data" / "oracles" / "sample_data.txt"


@st.composite
def batches(draw):
    """``(runs, actors, issues)`` exchange model inputs with 2..6 actors and 2..3 issues.

    Positions and saliences come mostly from a few values and the last actor may repeat the
    first (same positions, same saliences), so equal gains and repeated positions are common.
    """
    runs, actors, issues = draw(st.integers(1, 4)), draw(st.integers(2, 6)), draw(st.integers(2, 3))
    size = runs * actors * issues

    def grid(elements):
        values = draw(st.lists(elements, min_size=size, max_size=size))
        return np.array(values, float).reshape(runs, actors, issues)

    x = grid(st.one_of(st.sampled_from([0, 25, 50, 75, 100]), st.floats(0, 100)))
    s = grid(st.one_of(st.sampled_from([0.25, 0.5, 1.0]), st.floats(0.01, 1)))
    c = grid(st.sampled_from([0.5, 1.0, 2.0]))
    party = grid(st.booleans()).astype(bool) | (np.arange(actors) < 2)[None, :, None]
    if actors > 2 and draw(st.booleans()):
        for a in (x, s, c, party):
            a[:, -1] = a[:, 0]
    return x, s, c, party


def _per_run(x, s, c, party, rounds, ties):
    """Outcome after each round of each run, played by the per-run model (float)."""
    low, high = np.zeros(x.shape[2]), np.full(x.shape[2], 100.0)
    out = np.empty((rounds + 1, len(x), x.shape[2]))
    for r in range(len(x)):
        rng = np.random.default_rng(100 + r) if ties == "random" else None
        model = ExchangeModel(
            x[r], s[r], c[r], party[r], low, high, arithmetic="float", rng=rng, ties=ties
        )
        out[0, r] = model.outcome()
        for t in range(1, rounds + 1):
            out[t, r] = model.step_round().outcome_voting
    return out


@settings(max_examples=150, deadline=None)
@given(data=batches(), ties=st.sampled_from(["first", "random"]))
def test_batched_float_path_equals_the_per_run_path_round_by_round(data, ties):
    """Bit for bit, every run after every round, with both tie rules (the random one drawing
    from each run's own generator in the same order). The copied actor makes exact ties of
    gains common: picking the last of the tied exchanges instead of the first fails here."""
    x, s, c, party = data
    low, high = np.zeros(x.shape[2]), np.full(x.shape[2], 100.0)
    expected = _per_run(x, s, c, party, 3, ties)
    for rounds in range(4):
        rngs = None
        if ties == "random":
            rngs = [np.random.default_rng(100 + r) for r in range(len(x))]
        got = exchange_outcomes(x, s, c, party, low, high, rounds, rngs=rngs)
        np.testing.assert_array_equal(got, expected[rounds])


@settings(max_examples=40, deadline=None)
@given(data=batches(), below=st.floats(1, 60))
def test_batched_path_equals_the_per_run_path_with_positions_below_the_scale(data, below):
    """Positions below an issue's scale give negative outcome terms, where the batch sums
    every outcome in actor order instead of taking the shortcut; still run for run equal."""
    x, s, c, party = data
    x = x.copy()
    x[:, 0] = -below  # an actor below every issue's scale: its terms are negative
    low, high = np.zeros(x.shape[2]), np.full(x.shape[2], 100.0)
    expected = _per_run(x, s, c, party, 2, "first")
    np.testing.assert_array_equal(exchange_outcomes(x, s, c, party, low, high, 2), expected[2])


@settings(max_examples=20, deadline=None)
@given(data=batches(), below=st.floats(1, 60))
def test_with_a_negative_term_the_shortcut_is_never_trusted(data, below):
    """Its error bound holds for terms of one sign only: with a position below the scale,
    a shortcut that lies (sure of a wrong outcome) must change nothing."""
    x, s, c, party = data
    x = x.copy()
    x[:, 0] = -below  # an actor below every issue's scale: its terms are negative
    low, high = np.zeros(x.shape[2]), np.full(x.shape[2], 100.0)
    expected = exchange_outcomes(x, s, c, party, low, high, 2)

    def lying(column, term, value, total, at, terms):
        shape = np.broadcast(column, term, value, total, at).shape
        return np.full(shape, -1e9), np.zeros(shape, dtype=bool)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(negosim_exchange, "_shortcut", lying)
        got = exchange_outcomes(x, s, c, party, low, high, 2)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("columns", [0, 1, 2, 3, 17, 5000])
def test_column_sums_add_top_to_bottom_like_python(columns):
    """The batched outcome sums add each column in order, as Python's ``sum`` does (numpy's
    pairwise summation would differ in the last digits)."""
    rng = np.random.default_rng(columns)
    terms = rng.standard_normal((38, columns)) * 10.0 ** rng.integers(-8, 8, (38, columns))
    expected = [sum(terms[:, k].tolist()) for k in range(columns)]
    np.testing.assert_array_equal(negosim_exchange._column_sums(terms), expected)


@settings(max_examples=300, deadline=None)
@given(
    terms=st.lists(
        st.one_of(st.floats(0, 1e4), st.sampled_from([0.0, 1e-9, 1.0, 3.0, 100.0])),
        min_size=2,
        max_size=40,
    ),
    replaced=st.data(),
    offset=st.integers(-3, 3),
    total=st.floats(0.01, 100),
)
def test_shortcut_outcome_is_never_sure_of_a_wrong_side(terms, replaced, offset, total):
    """Where the shortcut outcome (column sum - old term + new term) / total is not in doubt
    about the side of x it lies on, the outcome of the sum in actor order (Python's ``sum``,
    as the per-run path adds) lies on that side too; x is put within a few units of roundoff
    of that outcome, where a shortcut that can err must be in doubt."""
    k = replaced.draw(st.integers(0, len(terms) - 1))
    value = replaced.draw(st.one_of(st.floats(0, 1e4), st.just(terms[k])))
    exact = sum([*terms[:k], value, *terms[k + 1 :]]) / total
    x = exact
    for _ in range(abs(offset)):
        x = np.nextafter(x, np.inf if offset > 0 else -np.inf)
    outcome, doubt = negosim_exchange._shortcut(
        np.array([sum(terms)]),
        np.array([terms[k]]),
        np.array([value]),
        np.array([total]),
        np.array([x]),
        len(terms),
    )
    if not doubt[0]:
        assert np.sign(x - outcome[0]) == np.sign(x - exact)


@pytest.mark.parametrize("ties", ["first", "random"])
def test_exchange_results_do_not_depend_on_chunks_or_batches(package, monkeypatch, ties):
    """The same runs whatever the engine's chunk size and the protocol's batch size."""
    options = {"protocol": "exchange", "rounds": 2, "ties": ties, "progress": False}
    whole = ns.simulate(package, 10, seed=3, **options)
    for chunk in (1, 3, 7):
        part = ns.simulate(package, 10, seed=3, chunk_size=chunk, **options)
        np.testing.assert_array_equal(part.outcome, whole.outcome)
    monkeypatch.setattr(negosim_exchange, "BATCH_RUNS", 4)
    again = ns.simulate(package, 10, seed=3, **options)
    np.testing.assert_array_equal(again.outcome, whole.outcome)


# ----------------------------------------------------------------------------- float vs decimal


def _docs_bound(label: str) -> tuple[float, float]:
    """The (outcome, position) bounds docs/protocols.md states for ``label``."""
    text = (ROOT / "docs" / "protocols.md").read_text()
    pattern = rf"^\|\s*{label}[^|\n]*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|"
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"docs/protocols.md states no float/decimal bound for {label}"
    return float(found.group(1)), float(found.group(2))


def _difference(x, s, c, party, low, high) -> tuple[float, float]:
    """Largest difference between float and decimal arithmetic after 10 rounds, of the voting
    outcome and of any actor's position, on the 0..100 scale."""
    final = {
        arithmetic: exchange_rounds(x, s, c, party, low, high, 10, arithmetic=arithmetic)[-1]
        for arithmetic in ("float", "decimal")
    }
    scale = 100 / (np.asarray(high) - np.asarray(low))
    outcome = np.abs(final["float"].outcome_voting - final["decimal"].outcome_voting) * scale
    position = np.abs(final["float"].positions - final["decimal"].positions) * scale
    return float(outcome.max()), float(position.max())


def test_float_and_decimal_differ_within_the_documented_bound_on_the_sample_data():
    sc = read_decide(SAMPLE_DATA)
    outcome, position = _difference(
        sc.positions, sc.salience / 100, sc.issue_power, sc.participation, sc.low, sc.high
    )
    bound = _docs_bound("decide sample data")
    assert outcome <= bound[0]
    assert position <= bound[1]


def test_float_and_decimal_differ_within_the_documented_bound_on_package_2007(package):
    """12 of the sampled runs the documented bound was measured on (seed 1, 10 rounds)."""
    table = Table(ns.sample(package, 12, seed=1), resolve_strategies(package), 10)
    outcome, position = np.max(
        [
            _difference(
                table.positions[r],
                table.salience[r] / 100,
                table.issue_power[r],
                table.party[r],
                package.low,
                package.high,
            )
            for r in range(12)
        ],
        axis=0,
    )
    bound = _docs_bound("package_2007")
    assert outcome <= bound[0]
    assert position <= bound[1]


@given(actors=st.integers(1, 400), issues=st.integers(1, 60))
def test_a_batch_holds_at_most_its_cells(actors, issues):
    """Batches of the float path grow with runs x actors^2 x issues: larger scenarios take
    fewer runs at once, so a batch's arrays stay near package_2007's (docs/protocols.md)."""
    runs = negosim_exchange.batch_runs(actors, issues)
    cells = actors * actors * issues
    assert 1 <= runs <= negosim_exchange.BATCH_RUNS
    assert runs * cells <= negosim_exchange.BATCH_CELLS or runs == 1
    assert runs == negosim_exchange.BATCH_RUNS or (runs + 1) * cells > negosim_exchange.BATCH_CELLS
    assert negosim_exchange.batch_runs(38, 3) == 512  # package_2007: 38 actors, 3 issues
