"""The exchange model's batched float path and its compiled path against its per-run path, run
by run and round by round (ties included), chunk sizes, and the float/decimal difference stated
in docs/protocols.md."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.engine.compiling import compiling_notice
from negosim.engine.protocols import Table, exchange_batch, exchange_compiled, exchange_rules
from negosim.engine.protocols import exchange as negosim_exchange
from negosim.engine.protocols.exchange import ExchangeModel, exchange_outcomes, exchange_rounds
from negosim.engine.runner import resolve_strategies
from negosim.io import read_decide

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "tests" / "data" / "oracles" / "sample_data.txt"


@st.composite
def batches(draw):
    """``(runs, actors, issues)`` exchange model inputs with 2..6 actors and 2..3 issues.

    Positions and saliences come mostly from a few values and the last actor may repeat the
    first (same positions, same saliences), so equal gains and repeated positions are common;
    a salience may be 0 (an exchange's rates then divide by 0).
    """
    runs, actors, issues = draw(st.integers(1, 4)), draw(st.integers(2, 6)), draw(st.integers(2, 3))
    size = runs * actors * issues

    def grid(elements):
        values = draw(st.lists(elements, min_size=size, max_size=size))
        return np.array(values, float).reshape(runs, actors, issues)

    x = grid(st.one_of(st.sampled_from([0, 25, 50, 75, 100]), st.floats(0, 100)))
    s = grid(st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0.01, 1)))
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
        got = exchange_outcomes(x, s, c, party, low, high, rounds, rngs=rngs, compiled=False)
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
    for compiled in (False, True):
        got = exchange_outcomes(x, s, c, party, low, high, 2, compiled=compiled)
        np.testing.assert_array_equal(got, expected[2])


@settings(max_examples=20, deadline=None)
@given(data=batches(), below=st.floats(1, 60))
def test_with_a_negative_term_the_shortcut_is_never_trusted(data, below):
    """Its error bound holds for terms of one sign only: with a position below the scale,
    a shortcut that lies (sure of a wrong outcome) must change nothing."""
    x, s, c, party = data
    x = x.copy()
    x[:, 0] = -below  # an actor below every issue's scale: its terms are negative
    low, high = np.zeros(x.shape[2]), np.full(x.shape[2], 100.0)
    expected = exchange_outcomes(x, s, c, party, low, high, 2, compiled=False)

    def lying(column, term, value, total, at, terms):
        shape = np.broadcast(column, term, value, total, at).shape
        return np.full(shape, -1e9), np.zeros(shape, dtype=bool)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(exchange_batch, "_shortcut", lying)
        got = exchange_outcomes(x, s, c, party, low, high, 2, compiled=False)
    np.testing.assert_array_equal(got, expected)


def _compiled_equals_per_run_round_by_round(x, s, c, party, rounds: int = 3) -> None:
    """The compiled model's outcomes after 0..rounds rounds, bit for bit the per-run model's."""
    low, high = np.zeros(x.shape[2]), np.full(x.shape[2], 100.0)
    expected = _per_run(x, s, c, party, rounds, "first")
    for played in range(rounds + 1):
        got = exchange_outcomes(x, s, c, party, low, high, played, compiled=True)
        np.testing.assert_array_equal(got, expected[played])


@settings(max_examples=150, deadline=None)
@given(data=batches())
def test_compiled_path_equals_the_per_run_path_round_by_round(data):
    """The numba-compiled model, bit for bit, every run after every round (ties the first
    way: the compiled model has no random tie-breaks). The copied actor makes exact ties of
    gains common."""
    _compiled_equals_per_run_round_by_round(*data)


@st.composite
def tied_runs(draw):
    """One run of 4..9 actors on 3 issues, each a copy of one of 2..4 distinct actors whose
    positions and saliences come from a few round values: exact ties of gains between
    exchanges whose gains were recalculated and exchanges whose gains were not are common,
    so the list order among equal gains decides (rule 7's stable sort)."""
    actors, distinct, issues = draw(st.integers(4, 9)), draw(st.integers(2, 4)), 3

    def grid(values):
        cells = st.lists(st.sampled_from(values), min_size=distinct * issues)
        return np.array(draw(cells)[: distinct * issues], float).reshape(distinct, issues)

    x, s = grid([0, 20, 50, 80, 100]), grid([0.25, 0.5, 1.0])
    copies = np.array(draw(st.lists(st.integers(0, distinct - 1), min_size=actors)))[:actors]
    shape = (1, actors, issues)
    return x[copies][None], s[copies][None], np.ones(shape), np.ones(shape, bool)


def _copies(*groups: tuple[list[float], int]) -> np.ndarray:
    """One run whose actors are ``count`` copies of each row of values, in order."""
    return np.array([row for values, count in groups for row in [values] * count])[None]


SEVEN_COPIES = (
    _copies(([0, 0, 0], 3), ([20, 100, 80], 4)),
    _copies(([0.25, 0.5, 0.5], 3), ([1.0, 0.25, 0.5], 4)),
    np.ones((1, 7, 3)),
    np.ones((1, 7, 3), bool),
)
"""Three copies of one actor and four of another: a recalculated exchange's gain ties with
gains that were not recalculated, where a stable sort that put it on the wrong side of them
changes the outcome (found by hypothesis)."""
TWELVE_COPIES = (
    _copies(([50, 100, 20], 6), ([20, 20, 80], 2), ([50, 20, 20], 4)),
    _copies(([0.25, 0.5, 0.25], 6), ([1.0, 0.25, 0.5], 2), ([0.25, 1.0, 0.5], 4)),
    np.ones((1, 12, 3)),
    np.ones((1, 12, 3), bool),
)
"""Three actors copied 6, 2 and 4 times: an exchange whose recalculated gain rises into a tie
goes behind every exchange already in the list, later ones included (found by hypothesis
against a mutation that put it among the first places)."""


@settings(max_examples=300, deadline=None)
@given(data=tied_runs())
@example(data=SEVEN_COPIES)
def test_batched_and_compiled_paths_keep_the_list_order_among_equal_gains(data):
    x, s, c, party = data
    low, high = np.zeros(3), np.full(3, 100.0)
    expected = _per_run(x, s, c, party, 3, "first")[3]
    for compiled in (False, True):
        got = exchange_outcomes(x, s, c, party, low, high, 3, compiled=compiled)
        np.testing.assert_array_equal(got, expected)


def test_zero_saliences_end_the_same_in_every_path():
    """34 actors on 2 issues, many saliences 0 (tests/data/exchange_zero_salience.npz, found by
    fuzzing in review): exchanges whose gain is not a number go last and are never realised.
    The numpy batch used to loop for ever here (such gains had no place in its order) and
    the per-run model to stop with ZeroDivisionError; every path now plays it, the same."""
    data = np.load(ROOT / "tests" / "data" / "exchange_zero_salience.npz")
    x, s, c, party = (data[k][None] for k in ("x", "s", "c", "party"))
    low, high = np.zeros(2), np.full(2, 100.0)
    expected = _per_run(x, s, c, party, 2, "first")
    got = {}

    def play(compiled):
        got[compiled] = exchange_outcomes(x, s, c, party, low, high, 2, compiled=compiled)

    for compiled in (False, True):
        worker = threading.Thread(target=play, args=(compiled,), daemon=True)
        worker.start()
        worker.join(timeout=120)
        assert compiled in got, f"compiled={compiled}: no outcome after 120 s"
        np.testing.assert_array_equal(got[compiled], expected[2])


def test_decimal_arithmetic_refuses_a_zero_salience_by_name():
    data = np.load(ROOT / "tests" / "data" / "exchange_zero_salience.npz")
    x, s, c, party = (data[k] for k in ("x", "s", "c", "party"))
    first = np.argwhere((s == 0) & party)[0]
    message = f"actor {first[0]}, issue {first[1]}"
    with pytest.raises(ValueError, match=message):
        ExchangeModel(x, s, c, party, np.zeros(2), np.full(2, 100.0), arithmetic="decimal")


def test_a_gain_rising_into_a_tie_goes_behind_the_list():
    x, s, c, party = TWELVE_COPIES
    low, high = np.zeros(3), np.full(3, 100.0)
    expected = _per_run(x, s, c, party, 4, "first")
    for compiled in (False, True):
        for rounds in range(5):
            got = exchange_outcomes(x, s, c, party, low, high, rounds, compiled=compiled)
            np.testing.assert_array_equal(got, expected[rounds])


def test_compiled_rule_7_records_where_decide_keeps_a_partner_position():
    """A mover already recorded for the same partner and issue keeps the earlier position
    where it lies between its start and its new end (decide's rule), else the new end; the
    column's sum is then added again in actor order."""
    f = exchange_compiled
    actors, issues = 3, 2
    sides = np.zeros((1, 2, f.FIELDS))
    actor, supply = np.array([[0, 1]]), np.array([[1, 0]])  # 0 supplies issue 1, 1 issue 0
    sides[0, 0, f.START], sides[0, 0, f.Y] = 20.0, 30.0  # up from 20 to 30
    sides[0, 1, f.START], sides[0, 1, f.Y] = 70.0, 60.0  # down from 70 to 60
    recorded = np.full((actors, issues, actors), np.nan)  # [partner, issue, mover]
    recorded[1, 1, 0] = 25.0  # between 20 and 30: kept
    recorded[0, 0, 1] = 65.0  # between 70 and 60: kept
    terms, sums = np.full((issues, actors), 2.0), np.zeros((actors, issues))
    s, c = np.full((actors, issues), 0.5), np.full((actors, issues), 4.0)
    party = np.ones((actors, issues), bool)
    f.record_movers(0, sides, actor, supply, (terms, recorded, sums, s, c, party, True))
    assert (recorded[1, 1, 0], recorded[0, 0, 1]) == (25.0, 65.0)
    assert sums[1, 1] == 25.0 * 0.5 * 4.0 + 2.0 + 2.0  # actor 0's term replaced, in order
    assert sums[0, 0] == 2.0 + 2.0 + 65.0 * 0.5 * 4.0
    recorded[1, 1, 0], recorded[0, 0, 1] = 35.0, 55.0  # beyond the new ends: replaced
    f.record_movers(0, sides, actor, supply, (terms, recorded, sums, s, c, party, True))
    assert (recorded[1, 1, 0], recorded[0, 0, 1]) == (30.0, 60.0)
    recorded[:] = np.nan  # nothing recorded yet: the new ends
    f.record_movers(0, sides, actor, supply, (terms, recorded, sums, s, c, party, True))
    assert (recorded[1, 1, 0], recorded[0, 0, 1]) == (30.0, 60.0)


def test_compiled_path_equals_the_per_run_path_on_package_2007(package):
    """Sampled runs of the package, 10 rounds (38 actors: the list of candidate exchanges
    is long and rule 7 records many partner positions)."""
    table = Table(ns.sample(package, 6, seed=1), resolve_strategies(package), 10)
    s = table.salience / 100
    args = (table.positions, s, table.issue_power, table.party, package.low, package.high)
    got = exchange_outcomes(*args, 10, compiled=True)
    for r in range(6):
        played = exchange_rounds(*(a[r] for a in args[:4]), package.low, package.high, 10)
        np.testing.assert_array_equal(got[r], played[-1].outcome_voting)


@st.composite
def crowded_runs(draw):
    """One run of 12..40 actors on 3..4 issues, about a third of them copies of others, some
    actor-issue pairs missing, positions on a coarse grid reaching beyond the scale (negative
    terms: the shortcut is off) or within it: long candidate lists, many exact ties and many
    partner positions recorded by rule 7."""
    actors, issues = draw(st.integers(12, 40)), draw(st.integers(3, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = (actors, issues)
    x = rng.choice([-10.0, 0.0, 20.0, 40.0, 50.0, 60.0, 80.0, 100.0, 110.0], shape)
    if draw(st.booleans()):
        x = np.clip(x, 0.0, 100.0)
    s, c = rng.choice([0.25, 0.5, 1.0], shape), rng.choice([1.0, 2.0], shape)
    party = rng.random(shape) < draw(st.sampled_from([0.6, 1.0]))
    copies = actors // 3
    source, target = rng.integers(0, actors, copies), rng.integers(0, actors, copies)
    for a in (x, s, c, party):
        a[target] = a[source]
    return x[None], s[None], c[None], party[None]


@settings(max_examples=25, deadline=None)
@given(data=crowded_runs())
def test_compiled_model_equals_the_per_run_path_on_crowded_runs(data):
    """The compiled model bit for bit against the per-run model, round by round, on runs
    larger than :func:`batches` draws (partial participation, copies, positions beyond the
    scale)."""
    _compiled_equals_per_run_round_by_round(*data)


@settings(max_examples=60, deadline=None)
@given(data=batches())
def test_compiled_work_arrays_hold_every_candidate_exchange(data):
    """The compiled model sizes its arrays by a bound on the candidate exchanges of a round
    (it writes them without bounds checks): never below the per-run model's count."""
    x, s, c, party = data
    low, high = np.zeros(x.shape[2]), np.full(x.shape[2], 100.0)
    bound = exchange_compiled.most_candidates(party)
    for r in range(len(x)):
        model = ExchangeModel(x[r], s[r], c[r], party[r], low, high)
        assert all(model.step_round().candidates <= bound for _ in range(3))


def test_the_candidate_bound_is_reached():
    """n actors on both issues of a pair, half left of both outcomes and half right: every
    left actor pairs with every right one, n^2 / 4 candidates (rounded down)."""
    for n in (2, 5, 8):
        x = np.zeros((n, 2))
        x[n // 2 :] = 100.0  # n - n // 2 actors right of both outcomes
        s, c, party = np.full((n, 2), 0.5), np.ones((n, 2)), np.ones((n, 2), bool)
        model = ExchangeModel(x, s, c, party, np.zeros(2), np.full(2, 100.0))
        assert model.step_round().candidates == n * n // 4
        assert exchange_compiled.most_candidates(party[None]) == n * n // 4


def test_compiled_model_runs_the_per_run_models_rules():
    """The rules are written once: the compiled model compiles the very functions the
    per-run model calls."""
    names = [
        "full_shift",
        "paired_shift",
        "move_for_shift",
        "equal_gain",
        "valid_move",
        "recorded_position",
        "shortcut_outcome",
        "next_start",
    ]
    for name in names:
        assert getattr(exchange_compiled, name).py_func is getattr(exchange_rules, name), name


def test_exchange_outcomes_choose_the_compiled_path_only_where_it_can_run(monkeypatch):
    rng = np.random.default_rng(0)
    x, s = rng.uniform(0, 100, (3, 4, 2)), rng.uniform(0.1, 1, (3, 4, 2))
    args = (x, s, np.ones_like(x), np.ones(x.shape, bool), np.zeros(2), np.full(2, 100.0), 2)
    numpy_batch = exchange_outcomes(*args, compiled=False)
    calls = []
    real = exchange_compiled.exchange_outcomes_compiled

    def spy(*a):
        calls.append(a)
        return real(*a)

    monkeypatch.setattr(exchange_compiled, "exchange_outcomes_compiled", spy)
    np.testing.assert_array_equal(exchange_outcomes(*args), numpy_batch)
    assert len(calls) == 1  # numba is installed: the default is compiled
    rngs = [np.random.default_rng(r) for r in range(3)]
    exchange_outcomes(*args, rngs=rngs)
    assert len(calls) == 1  # random tie-breaks: the numpy batch
    with pytest.raises(ValueError, match="ties the first way only"):
        exchange_outcomes(*args, rngs=rngs, compiled=True)
    monkeypatch.setattr(exchange_compiled, "AVAILABLE", False)
    np.testing.assert_array_equal(exchange_outcomes(*args), numpy_batch)
    assert len(calls) == 1  # without numba: the numpy batch


def test_compiled_path_without_numba_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(exchange_compiled, "AVAILABLE", False)
    x = np.full((1, 2, 2), 50.0)
    with pytest.raises(ImportError, match=r"negosim\[fast\]"):
        exchange_compiled.exchange_outcomes_compiled(x, x / 100, x, x > 0, 1)


def test_a_cache_built_from_other_rules_is_dropped(tmp_path):
    """numba keys its disk cache on the compiled module's file alone: a stamp of the rules'
    file decides whether the cached model may be used or must be compiled again."""
    rules_file, folder = tmp_path / "rules.py", tmp_path / "__pycache__"
    rules_file.write_text("a = 1\n")
    folder.mkdir()
    cached = folder / "exchange_compiled.outcomes-380.py311.nbi"
    unrelated = folder / "exchange.cpython-311.pyc"
    for path in (cached, unrelated):
        path.write_text("x")
    assert exchange_compiled.refresh_cache(folder, rules_file)
    assert not cached.exists() and unrelated.exists()  # no stamp yet: dropped
    cached.write_text("x")
    assert exchange_compiled.refresh_cache(folder, rules_file)
    assert cached.exists()  # the same rules: kept
    rules_file.write_text("a = 2\n")
    assert exchange_compiled.refresh_cache(folder, rules_file)
    assert not cached.exists()  # other rules: dropped
    elsewhere = tmp_path / "numba-cache" / "deep" / "exchange_compiled.outcomes-380.py311.nbc"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_text("x")
    assert exchange_compiled.refresh_cache(folder, rules_file, str(tmp_path / "numba-cache"))
    assert not elsewhere.exists()  # numba's own cache folder, where one is set
    assert not exchange_compiled.refresh_cache(rules_file / "not-a-folder", rules_file)


def test_a_long_first_compilation_says_so(capsys):
    """The first call of a process compiles the model (or loads it from numba's cache):
    beyond a moment it says what is happening; a quick block says nothing."""
    with compiling_notice(exchange_compiled.COMPILING, 0.01):
        threading.Event().wait(0.5)
    assert exchange_compiled.COMPILING in capsys.readouterr().err
    with compiling_notice(exchange_compiled.COMPILING, 5.0):
        pass
    threading.Event().wait(0.1)
    assert exchange_compiled.COMPILING not in capsys.readouterr().err


def test_the_compiling_notice_is_said_once_per_machine_and_code(tmp_path, monkeypatch, capsys):
    """After a first call that completed, a marker keeps later processes quiet while they
    only load numba's cache; new code (another key) is announced again."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    key = exchange_compiled.CODE_KEY

    def slow_first_call(code: str) -> str:
        with compiling_notice("compiling", 0.01, key=code):
            threading.Event().wait(0.2)
        return capsys.readouterr().err

    assert "compiling" in slow_first_call(key)
    assert (tmp_path / "negosim" / "compiled" / key).is_file()
    assert slow_first_call(key) == ""  # the same code on this machine: quiet
    assert "compiling" in slow_first_call("exchange_compiled-another-version")
    assert key.startswith("exchange_compiled-") and len(key.split("-")[-1]) == 16


def test_a_failed_first_call_leaves_no_marker(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(RuntimeError), compiling_notice("compiling", 5.0, key="broken"):
        raise RuntimeError("the compile failed")
    assert not (tmp_path / "negosim" / "compiled" / "broken").exists()


@pytest.mark.parametrize("columns", [0, 1, 2, 3, 17, 5000])
def test_column_sums_add_top_to_bottom_like_python(columns):
    """The batched outcome sums add each column in order, as Python's ``sum`` does (numpy's
    pairwise summation would differ in the last digits)."""
    rng = np.random.default_rng(columns)
    terms = rng.standard_normal((38, columns)) * 10.0 ** rng.integers(-8, 8, (38, columns))
    expected = [sum(terms[:, k].tolist()) for k in range(columns)]
    np.testing.assert_array_equal(exchange_batch._column_sums(terms), expected)


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
    outcome, doubt = exchange_batch._shortcut(
        np.array([sum(terms)]),
        np.array([terms[k]]),
        np.array([value]),
        np.array([total]),
        np.array([x]),
        len(terms),
    )
    if not doubt[0]:
        assert np.sign(x - outcome[0]) == np.sign(x - exact)


@pytest.mark.parametrize(
    ("ties", "compiled"), [("first", True), ("first", False), ("random", None)]
)
def test_exchange_results_do_not_depend_on_chunks_or_batches(package, monkeypatch, ties, compiled):
    """The same runs whatever the engine's chunk size and the protocol's batch size."""
    options = {"protocol": "exchange", "rounds": 2, "ties": ties, "progress": False}
    options["compiled"] = compiled
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
