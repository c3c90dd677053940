"""The reference models against the peer packages' outputs (tests/data/oracles, see
PROVENANCE.md there) and the published closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import reference_eum
import reference_exchange
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.engine.protocols import Table
from negosim.engine.protocols import exchange as negosim_exchange
from negosim.engine.protocols.eum import EUMOptions, eum_round, eum_rounds, eum_setup, run_eum
from negosim.engine.protocols.exchange import exchange_rounds
from negosim.engine.runner import resolve_strategies
from negosim.io import read_decide, read_eum_csv
from negosim.model.errors import ArgumentError

from helpers import eum_comparable_rounds

ORACLES = Path(__file__).parent / "data" / "oracles"


def _expected(name: str) -> dict:
    return json.loads((ORACLES / f"{name}.expected.json").read_text())


# ----------------------------------------------------------------------------- exchange model


def _play(path: Path, rounds: int, arithmetic: str = "decimal"):
    sc = read_decide(path)
    played = exchange_rounds(
        sc.positions,
        sc.salience / 100,
        sc.issue_power,
        sc.participation,
        sc.low,
        sc.high,
        rounds,
        arithmetic=arithmetic,
    )
    return sc, played


def test_exchange_toy_gains_follow_the_closed_form():
    """models.md 1.8(a): gain_t = 5 * 0.54^(t-1); Actor-2 supplies Issue-2 every round."""
    sc, played = _play(ORACLES / "toy_2x2.tsv", 4)
    expected = _expected("toy_2x2")
    for t, rnd in enumerate(played, start=1):
        assert len(rnd.realized) == 1
        i, p, j, q, gain = rnd.realized[0]
        assert (sc.actors[i], sc.issues[p], sc.actors[j], sc.issues[q]) == (
            "Actor-2",
            "Issue-2",
            "Actor-1",
            "Issue-1",
        )
        assert gain == pytest.approx(5 * 0.54 ** (t - 1), abs=1e-12)
        row = expected["rounds"][t]
        for k, issue in enumerate(sc.issues):
            assert rnd.outcome_voting[k] == pytest.approx(
                row["nbs_after_exchanges"][issue], abs=1e-9
            )
            assert rnd.outcome_next[k] == pytest.approx(row["nbs_next_start"][issue], abs=1e-9)
    # closed form: Actor-1 on Issue-1 = 100 - 100 * 0.54^4, Actor-2 on Issue-2 = 100 - 0.06 sum d_k
    positions = played[-1].positions
    assert positions[0, 0] == pytest.approx(100 - 100 * 0.54**4, abs=1e-9)  # 91.496944
    d = 100 * 0.54 ** np.arange(4)
    assert positions[1, 1] == pytest.approx(100 - 0.06 * d.sum(), abs=1e-9)  # 88.065616


@pytest.mark.parametrize("arithmetic", ["decimal", "float"])
def test_exchange_sample_data_round_one(arithmetic):
    _sc, played = _play(ORACLES / "sample_data.txt", 1, arithmetic)
    expected = _expected("sample_data")
    gains = sorted((g for *_, g in played[0].realized), reverse=True)
    np.testing.assert_allclose(gains[:2], expected["first_two_gains_round1"], rtol=0, atol=1e-12)
    assert played[0].candidates == 240  # the package's own test counts 240 candidates


def test_exchange_sample_data_ten_rounds_match_decide():
    """All 6 issues in all 10 rounds, voting and next-start outcomes, counts and gain sums."""
    sc, played = _play(ORACLES / "sample_data.txt", 10)
    expected = _expected("sample_data")
    for t, rnd in enumerate(played, start=1):
        row = expected["rounds"][t]
        assert len(rnd.realized) == row["n_realized"], t
        assert sum(g for *_, g in rnd.realized) == pytest.approx(row["sum_gain"], abs=1e-6)
        for k, issue in enumerate(sc.issues):
            assert rnd.outcome_voting[k] == pytest.approx(
                row["nbs_after_exchanges"][issue], abs=1e-6
            )
            assert rnd.outcome_next[k] == pytest.approx(row["nbs_next_start"][issue], abs=1e-6)
    final = expected["final_positions"]
    for k, issue in enumerate(sc.issues):
        for a, actor in enumerate(sc.actors):
            assert played[-1].positions[a, k] == pytest.approx(final[issue][actor], abs=1e-6)


def test_exchange_protocol_runs_on_a_batch():
    sc = read_decide(ORACLES / "sample_data.txt")
    res = ns.simulate(sc, 2, seed=0, protocol="exchange", rounds=10, arithmetic="decimal")
    expected = _expected("sample_data")["rounds"][10]["nbs_after_exchanges"]
    np.testing.assert_allclose(res.outcome[0], [expected[i] for i in sc.issues], atol=1e-6)
    assert res.agreed.all() and (res.rounds == 10).all()


def test_exchange_random_ties_are_seeded(package):
    sub = package.restrict(["missile_defense", "cfe"])
    a = ns.simulate(
        sub, 3, seed=4, protocol="exchange", rounds=3, ties="random", arithmetic="float"
    )
    b = ns.simulate(
        sub, 3, seed=4, protocol="exchange", rounds=3, ties="random", arithmetic="float"
    )
    np.testing.assert_array_equal(a.outcome, b.outcome)


@st.composite
def exchange_tables(draw):
    """An exchange model input: actors x issues on 0..100 with few distinct values (so exact
    ties of gains are common) and a copy of the first actor (so some are certain)."""
    actors, issues = draw(st.integers(2, 5)), draw(st.integers(2, 3))

    def grid(elements):
        values = draw(st.lists(elements, min_size=actors * issues, max_size=actors * issues))
        return np.array(values, float).reshape(actors, issues)

    x = grid(st.one_of(st.sampled_from([0, 20, 50, 80, 100]), st.floats(0, 100)))
    s = grid(st.one_of(st.sampled_from([0.2, 0.5, 0.8, 1.0]), st.floats(0.01, 1)))
    c = grid(st.sampled_from([0.5, 1.0, 2.0]))
    party = grid(st.booleans()).astype(bool) | (np.arange(actors) < 2)[:, None]
    copy = lambda a: np.vstack([a, a[:1]])  # noqa: E731
    return copy(x), copy(s), copy(c), copy(party)


@settings(max_examples=60, deadline=None)
@given(
    data=exchange_tables(),
    arithmetic=st.sampled_from(["float", "decimal"]),
    ties=st.sampled_from(["first", "random"]),
    rate=st.sampled_from([0.0, 0.6]),
)
def test_exchange_equals_the_per_run_reference_round_by_round(data, arithmetic, ties, rate):
    """The exchange model against its implementation of 28e2a83 (tests/reference_exchange.py):
    the same exchanges realised in the same order with the same gains, candidates and
    positions, 4 rounds, for both arithmetics, both tie rules and the randomized variant."""
    x, s, c, party = data
    scale = (np.zeros(x.shape[1]), np.full(x.shape[1], 100.0))
    played = []
    for module in (negosim_exchange, reference_exchange):
        rng = np.random.default_rng(11) if ties == "random" or rate else None
        model = module.ExchangeModel(
            x, s, c, party, *scale, arithmetic=arithmetic, rng=rng, rate=rate, ties=ties
        )
        played.append([model.step_round() for _ in range(4)])
    for new, old in zip(*played, strict=True):
        assert new.realized == old.realized
        assert new.gains == old.gains
        assert new.candidate_list == old.candidate_list
        np.testing.assert_array_equal(new.positions, old.positions)
        np.testing.assert_array_equal(new.outcome_voting, old.outcome_voting)


@st.composite
def exchange_batches(draw):
    """``(runs, actors, issues)`` inputs of the exchange model built like exchange_tables."""
    runs, actors, issues = draw(st.integers(1, 4)), draw(st.integers(2, 5)), draw(st.integers(2, 3))

    def grid(elements):
        size = runs * actors * issues
        values = draw(st.lists(elements, min_size=size, max_size=size))
        return np.array(values, float).reshape(runs, actors, issues)

    x = grid(st.one_of(st.sampled_from([0, 20, 50, 80, 100]), st.floats(0, 100)))
    s = grid(st.one_of(st.sampled_from([0.2, 0.5, 0.8, 1.0]), st.floats(0.01, 1)))
    c = grid(st.sampled_from([0.5, 1.0, 2.0]))
    party = grid(st.booleans()).astype(bool) | (np.arange(actors) < 2)[None, :, None]
    copy = lambda a: np.concatenate([a, a[:, :1]], axis=1)  # noqa: E731
    return copy(x), copy(s), copy(c), copy(party)


@settings(max_examples=60, deadline=None)
@given(
    data=exchange_batches(),
    ties=st.sampled_from(["first", "random"]),
    rounds=st.integers(0, 4),
)
def test_exchange_batch_equals_the_per_run_float_model(data, ties, rounds):
    """The batched float path (and, ties the first way, the compiled one) against the per-run
    float model of 28e2a83, run by run, with exact ties of gains (few distinct values, a
    copied actor) under both tie rules."""
    x, s, c, party = data
    low, high = np.zeros(x.shape[2]), np.full(x.shape[2], 100.0)

    def rng(run):
        return np.random.default_rng(100 + run) if ties == "random" else None

    rngs = [rng(r) for r in range(len(x))] if ties == "random" else None
    args = (x, s, c, party, low, high, rounds)
    paths = [negosim_exchange.exchange_outcomes(*args, rngs=rngs, compiled=False)]
    if ties == "first":  # the compiled model breaks ties the first way only
        paths.append(negosim_exchange.exchange_outcomes(*args, compiled=True))
    for r in range(len(x)):
        model = reference_exchange.ExchangeModel(
            x[r], s[r], c[r], party[r], low, high, arithmetic="float", rng=rng(r), ties=ties
        )
        played = [model.step_round() for _ in range(rounds)]
        expected = played[-1].outcome_voting if played else model.outcome()
        for outcomes in paths:
            np.testing.assert_array_equal(outcomes[r], expected)


def test_exchange_protocol_batches_equal_the_per_run_model(package):
    """The protocol (float, batched) on sampled runs of package_2007 equals the per-run
    model of 28e2a83 run by run, for the stable and the seeded random tie rule."""
    batch = ns.sample(package, 6, seed=8)
    for ties in ("first", "random"):
        table, fresh = (Table(batch, resolve_strategies(package), 3) for _ in range(2))
        negosim_exchange.run_exchange(table, ties=ties)
        for r in range(batch.runs):
            sc, rng = fresh.scenario, fresh.run_rng(r) if ties == "random" else None
            x, s, c = fresh.positions[r], fresh.salience[r] / 100, fresh.issue_power[r]
            model = reference_exchange.ExchangeModel(
                x, s, c, fresh.party[r], sc.low, sc.high, arithmetic="float", rng=rng, ties=ties
            )
            expected = [model.step_round() for _ in range(3)][-1].outcome_voting
            np.testing.assert_array_equal(table.result["outcome"][r], expected)


# ----------------------------------------------------------------------------- expected utility


def _emission():
    data = pd.read_csv(ORACLES / "emission_standards.csv")
    return (
        data.Position.to_numpy()[None],
        data.Capability.to_numpy()[None],
        data.Salience.to_numpy()[None],
    )


def test_eum_scholz_code_matches_the_replication():
    """models.md 2.4: median, mean, all positions and risk exponents, 10 rounds, to 1e-9."""
    expected = _expected("emission_standards")
    trace = eum_rounds(*_emission(), rounds=10)
    for t, row in enumerate(expected["rounds"]):
        assert trace.median[t, 0] == pytest.approx(row["median"], abs=1e-9)
        assert trace.mean[t, 0] == pytest.approx(row["mean"], abs=1e-9)
        np.testing.assert_allclose(trace.positions[t, 0], row["positions"], atol=1e-9, rtol=0)
        if t:
            np.testing.assert_allclose(trace.risk[t - 1, 0], row["risk_exponents_used"], atol=1e-9)


def test_eum_paper_variant_converges_on_seven():
    """models.md 2.4: the printed equations send most actors to 7 (mean 7.3174, 7.0063, 7)."""
    trace = eum_rounds(*_emission(), rounds=3, options=EUMOptions.of("paper"))
    np.testing.assert_allclose(trace.mean[1:, 0], [7.3174, 7.0063, 7.0], atol=5e-5)
    assert np.all(trace.median[:, 0] == 7.0)


def test_eum_from_the_csv_reader_and_protocol():
    sc = read_eum_csv(ORACLES / "emission_standards.csv", issue="emission_year")
    assert sc.salience.max() == 100 and sc.low[0] == 4 and sc.high[0] == 10
    res = ns.simulate(sc, 1, seed=0, protocol="eum", rounds=10)
    assert res.outcome[0, 0] == pytest.approx(
        _expected("emission_standards")["rounds"][10]["median"]
    )
    with pytest.raises(ArgumentError, match=r"variant: .*unknown EUM variant"):
        ns.simulate(sc, 1, protocol="eum", variant="scholz")


@pytest.mark.parametrize("variant", ["scholz-code", "paper"])
def test_eum_batch_equals_the_per_run_reference_on_the_oracle_data(variant):
    """The batched model against the per-run implementation it replaced (tests/reference_eum.py),
    the 10 rounds of the emission-standards oracle: positions, risk exponents, medians, means.
    (The scholz-code model is chaotic: rounding differences of 1e-15, which the batched sums
    make in other places than the per-run ones, grow to 1e-6 by round 100.)"""
    opts = EUMOptions.of(variant)
    new = eum_rounds(*_emission(), rounds=10, options=opts)
    x, c, s = _emission()
    w, span, active = reference_eum.eum_setup(x, c, s)
    positions, risk = [x.astype(float)], []
    for _ in range(10):
        x, r = reference_eum.eum_round(positions[-1], w, s, span, active, opts)
        positions.append(x)
        risk.append(r)
    old = {
        "positions": np.stack(positions),
        "risk": np.stack(risk),
        "median": [reference_eum.weighted_median(p, w, active) for p in positions],
        "mean": [(p * w).sum(axis=1) / w.sum(axis=1) for p in positions],  # sum c s x / sum c s
    }
    for name, expected in old.items():
        np.testing.assert_allclose(getattr(new, name), expected, rtol=0, atol=1e-12)


# integers give exact ties; other positions lie on a 0.001 grid: positions closer than that
# make the model's utilities cancel to rounding noise, where no implementation's choice means
# anything (two positions 1e-12 apart: a = 2.4e-13 and b = 5.3e-13, each the difference of
# numbers near 1)
POSITION = st.one_of(st.integers(0, 10).map(float), st.floats(0, 100).map(lambda v: round(v, 3)))


@st.composite
def eum_batches(draw, absent: bool = False):
    """``(runs, actors)`` positions, capabilities, saliences in [0.01, 1] and participation."""
    runs, actors = draw(st.integers(1, 4)), draw(st.integers(2, 8))

    def grid(elements):
        values = draw(st.lists(elements, min_size=runs * actors, max_size=runs * actors))
        return np.array(values).reshape(runs, actors)

    x, c = grid(POSITION), grid(st.floats(0.01, 1))
    s = grid(st.one_of(st.just(1.0), st.floats(0.01, 1)))
    active = grid(st.booleans()) if absent else np.ones((runs, actors), bool)
    active[:, :2] = True
    return x, c, s, active


@settings(max_examples=150, deadline=None)
@given(batch=eum_batches(), variant=st.sampled_from(["scholz-code", "paper"]))
def test_eum_round_equals_the_per_run_reference(batch, variant):
    """One round from the same positions, every run of the batch, generated scenarios.

    Positions agree to 1e-12 of the scale's width (100): the sums are ordered differently,
    and a compromise move multiplies an expected utility that is a difference of two numbers
    near 1 (relative rounding 1e-16) by up to the width, so absolute 1e-12 is not a bound
    (a found case differed by 1.05e-12)."""
    x, c, s, active = batch
    for run in range(len(x)):  # not where exact ties both ways leave rounding to decide
        assume(eum_comparable_rounds([x[run]], x[run], c[run], s[run], EUMOptions.of(variant)))
    new = eum_round(x, *_setup_round_args(x, c, s, active), EUMOptions.of(variant))
    w, span, act = reference_eum.eum_setup(x, c, s, active)
    old = reference_eum.eum_round(x, w, s, span, act, reference_eum.EUMOptions.of(variant))
    np.testing.assert_allclose(new[0], old[0], rtol=0, atol=1e-12 * 100)  # positions
    np.testing.assert_allclose(new[1], old[1], rtol=0, atol=1e-12)  # risk exponents


def _setup_round_args(x, c, s, active):
    w, span, act = eum_setup(x, c, s, active)
    return w, s, span, act


@settings(max_examples=80, deadline=None)
@given(batch=eum_batches(absent=True), variant=st.sampled_from(["scholz-code", "paper"]))
def test_eum_absent_actors_are_as_if_removed(batch, variant):
    """An actor outside the issue changes nothing: each run equals the same run with its
    absent actors deleted (3 rounds: positions of the present actors and the median; sums
    with and without the absent actors' zeros may round differently)."""
    x, c, s, active = batch
    opts = EUMOptions.of(variant)
    masked = eum_rounds(x, c, s, 3, opts, active)
    for r in range(len(x)):
        keep = active[r]
        alone = eum_rounds(x[r : r + 1, keep], c[r : r + 1, keep], s[r : r + 1, keep], 3, opts)
        close = {"rtol": 0, "atol": 1e-12}
        np.testing.assert_allclose(masked.positions[:, r, keep], alone.positions[:, 0], **close)
        np.testing.assert_array_equal(
            masked.positions[:, r, ~keep], np.repeat(x[r : r + 1, ~keep], 4, 0)
        )
        np.testing.assert_allclose(masked.median[:, r], alone.median[:, 0], **close)


def test_eum_protocol_equals_the_per_run_reference_protocol(package):
    """The protocol on sampled runs of package_2007 (31 actors, 3 issues), 3 rounds."""
    batch = ns.sample(package, 12, seed=5)
    tables = [Table(batch, resolve_strategies(package), 3) for _ in range(2)]
    run_eum(tables[0])
    reference_eum.run_eum(tables[1])
    new, old = tables[0].outputs(), tables[1].outputs()
    np.testing.assert_allclose(new["outcome"], old["outcome"], rtol=0, atol=1e-9)
    assert new["agreed"].all() and old["agreed"].all()


@pytest.mark.parametrize(
    ("protocol", "options", "batch_size"),
    [
        ("eum", {}, ("negosim.engine.protocols.eum.SLICE_NUMBERS", 1)),  # one row per slice
        ("exchange", {"ties": "random"}, ("negosim.engine.protocols.exchange.BATCH_RUNS", 2)),
    ],
)
def test_batched_models_do_not_depend_on_chunks_or_batches(
    package, monkeypatch, protocol, options, batch_size
):
    """Runs are independent rows: any chunk size and any batch of runs give the same numbers
    (random tie-breaks come from each run's own stream)."""
    kwargs = {"seed": 2, "protocol": protocol, "rounds": 3, **options}
    whole = ns.simulate(package, 9, chunk_size=9, **kwargs)
    monkeypatch.setattr(*batch_size)
    parts = ns.simulate(package, 9, chunk_size=4, **kwargs)
    np.testing.assert_array_equal(whole.outcome, parts.outcome)


# ----------------------------------------------------------------------------- baselines


def test_compromise_and_median_match_the_facts_example(data_dir):
    """Facts file 6.2, example 3 (states of 3.1, Kosovo-only sub-actors on K): means 50.6, 57.6,
    43.8 and medians 60, 80, 50 (published to one decimal)."""
    sc = ns.load_scenario(data_dir / "states_2007.toml")
    mean = ns.simulate(sc, 1, seed=0, protocol="compromise").outcome[0]
    median = ns.simulate(sc, 1, seed=0, protocol="median").outcome[0]
    np.testing.assert_allclose(mean, [50.6, 57.6, 43.8], atol=0.1)
    np.testing.assert_array_equal(median, [60, 80, 50])
    hosts = sc.replace_value("Poland.power.missile_defense", 50).replace_value(
        "Czech_Republic.power.missile_defense", 40
    )
    assert ns.simulate(hosts, 1, protocol="compromise").outcome[0, 1] == pytest.approx(
        63.6, abs=0.05
    )


def test_randomized_equal_gain_is_seeded_and_keeps_the_order():
    """models.md 1.5(10): the realisation order follows the equal gain, so round 1 starts with
    the same exchange for p = 0 and p = 0.8; the two partners' gains then differ."""
    sc = read_decide(ORACLES / "sample_data.txt")
    args = (sc.positions, sc.salience / 100, sc.issue_power, sc.participation, sc.low, sc.high, 2)
    plain = exchange_rounds(*args)
    zero = exchange_rounds(*args, rate=0.0, rng=np.random.default_rng(3))
    assert [r.realized for r in zero] == [r.realized for r in plain]
    rex = exchange_rounds(*args, rate=0.8, rng=np.random.default_rng(3))
    again = exchange_rounds(*args, rate=0.8, rng=np.random.default_rng(3))
    other = exchange_rounds(*args, rate=0.8, rng=np.random.default_rng(4))
    assert rex[0].realized[0] == plain[0].realized[0]
    assert [r.gains for r in rex] == [r.gains for r in again]
    assert [r.gains for r in rex] != [r.gains for r in other]
    gains = np.array(rex[0].gains)
    assert np.all(gains >= 0)
    assert np.mean(np.abs(gains[:, 0] - gains[:, 1]) > 1e-9) > 0.5  # unequal splits
    with pytest.raises(ValueError, match="needs a seeded rng"):
        exchange_rounds(*args, rate=0.5)


def test_exchange_round_lists_its_candidates():
    sc = read_decide(ORACLES / "sample_data.txt")
    rnd = exchange_rounds(
        sc.positions, sc.salience / 100, sc.issue_power, sc.participation, sc.low, sc.high, 1
    )[0]
    assert len(rnd.candidate_list) == rnd.candidates == 240
    best = max(c[4] for c in rnd.candidate_list if c[5])
    assert best == pytest.approx(rnd.realized[0][4])
