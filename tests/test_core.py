"""Invariants of the vectorized core, reproducibility, results and the `negosim run` command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import negosim as ns
from negosim.cli import main as cli
from negosim.engine.runner import run_batch

from helpers import bilateral, worlds


@settings(max_examples=40, deadline=None)
@given(worlds(), st.sampled_from(["alternating", "mediated"]), st.integers(0, 2**32 - 1))
def test_invariants(sc, protocol, seed):
    res = ns.simulate(sc, 30, seed=seed, protocol=protocol, chunk_size=11)
    assert np.all(res.outcome >= sc.low - 1e-9) and np.all(res.outcome <= sc.high + 1e-9)
    assert not np.isnan(res.utility).any()
    batch = ns.sample(sc, 30, seed)
    negotiators = sc.role_mask("negotiator")
    agreed = res.agreed
    assert np.all(
        res.utility[agreed][:, negotiators] >= batch.reservation[agreed][:, negotiators] - 1e-9
    )
    assert np.all(res.utility[~agreed] == batch.reservation[~agreed])
    assert np.all(res.outcome[~agreed] == sc.status_quo)
    assert np.all((res.rounds >= 0) & (res.rounds <= sc.rounds))


def _stochastic_world():
    sc = bilateral(
        [[80, 20, 50], [10, 70, 40]],
        [[70, 30, 50], [40, 80, 20]],
        (0.3, 0.2),
        rounds=40,
        status_quo=[50, 50, 50],
    )
    data = sc.to_dict()
    data["uncertainty"] = [
        {"target": "A.salience.i0", "dist": "uniform", "low": 20, "high": 90},
        {"target": "B.position.i1", "dist": "normal", "mean": 70, "sd": 15},
        {"target": "B.reservation", "dist": "pert", "low": 0, "mode": 0.2, "high": 0.6},
    ]
    return ns.Scenario.from_dict(data)


def test_same_seed_same_runs_whatever_the_chunking():
    sc = _stochastic_world()
    strategies = {"A": "random_walk", "B": "trade_off"}
    results = [
        ns.simulate(sc, 2500, seed=11, strategies=strategies, chunk_size=c) for c in (1, 7, 1000)
    ]
    for other in results[1:]:
        for name in ("agreed", "outcome", "utility", "rounds", "exited"):
            np.testing.assert_array_equal(getattr(results[0], name), getattr(other, name))
    assert len(np.unique(results[0].rounds)) > 3  # the randomness matters


def test_chunk_order_does_not_matter():
    sc, strategies = _stochastic_world(), {"A": "random_walk", "B": "random_walk"}
    whole = ns.simulate(sc, 3000, seed=5, strategies=strategies)
    starts = [2000, 0, 1000]
    parts = {s: run_batch(ns.sample(sc, 1000, 5, start=s), strategies=strategies) for s in starts}
    for name in ("agreed", "outcome", "utility", "rounds"):
        joined = np.concatenate([parts[s][name] for s in sorted(starts)])
        np.testing.assert_array_equal(joined, getattr(whole, name))


def test_different_seeds_differ():
    sc = _stochastic_world()
    a, b = (ns.sample(sc, 100, seed) for seed in (1, 2))
    assert not np.array_equal(a.salience, b.salience)


def test_sampling_respects_distributions_and_broadcasts():
    sc = _stochastic_world()
    batch = ns.sample(sc, 20_000, seed=3)
    s = batch.salience[:, 0, 0]
    assert s.min() >= 20 and s.max() <= 90 and abs(s.mean() - 55) < 1
    assert batch.positions[:, 1, 1].max() <= 100 and batch.positions[:, 1, 1].min() >= 0
    r = batch.reservation[:, 1]
    assert abs(r.mean() - (0 + 4 * 0.2 + 0.6) / 6) < 0.01  # beta-PERT mean
    fixed = ns.sample(bilateral([[1], [2]], [[1], [1]]), 1000, seed=0)
    assert fixed.positions.strides[0] == 0  # broadcast, not copied


@pytest.mark.parametrize("runs", [0, 1])
def test_zero_and_one_run(runs, package):
    res = ns.simulate(package, runs, seed=1)
    assert res.agreed.shape == (runs,) and res.outcome.shape == (runs, 3)
    assert res.utility.shape == (runs, len(package.actors))
    assert len(res.to_frame()) == runs
    many = ns.simulate(package, 40, seed=1)  # a batch of one is run 0 of a larger batch
    for name in ("agreed", "outcome", "utility", "rounds", "exited"):
        np.testing.assert_array_equal(getattr(res, name), getattr(many, name)[:runs])
    if runs:
        assert res.summary().agreement.loc[0, "rate"] == float(res.agreed[0])


def test_estimate_spread_draws_the_documented_triangular():
    """scenario-format.md: a number coded "E" gets triangular(v - s, v, v + s), s a share of
    the range for positions, clipped to its bounds. Kolmogorov-Smirnov against scipy's
    triangular; the same test rejects a uniform on the same support, so it has power."""
    from scipy import stats

    data = bilateral([[90, 5], [10, 80]], [[95, 40], [50, 50]], rounds=5).to_dict()
    data["scenario"]["estimate_spread"] = 10.0
    data["actors"][0]["confidence"] = "E"
    batch = ns.sample(ns.Scenario.from_dict(data), 4000, seed=12)
    cases = [  # (draws, low, mode, high)
        (batch.positions[:, 0, 0], 80, 90, 100),
        (batch.positions[:, 0, 1], 0, 5, 15),  # clipped at the scale's low end
        (batch.salience[:, 0, 0], 85, 95, 100),  # clipped at salience 100
        (batch.salience[:, 0, 1], 30, 40, 50),
    ]
    for draws, low, mode, high in cases:
        law = stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
        assert stats.kstest(draws, law.cdf).pvalue > 1e-3
        assert stats.kstest(draws, stats.uniform(low, high - low).cdf).pvalue < 1e-6
    assert np.all(batch.positions[:, 1] == [10, 80])  # B's numbers are not estimates


def test_random_ties_break_both_ways_in_the_exchange_model():
    """Five actors whose first exchange round has equal gains: ties="first" realises the
    earlier exchange in every run; ties="random" flips a seeded coin per run and so reaches
    both outcomes over 16 runs (one of them the "first" outcome)."""
    pos = [[100, 75, 75], [25, 100, 0], [50, 75, 100], [50, 25, 25], [50, 50, 75]]
    sal = [[80, 20, 80], [60, 40, 60], [60, 40, 40], [60, 60, 60], [40, 80, 40]]
    doc = {
        "scenario": {"id": "ties", "title": "ties", "rounds": 5},
        "issues": [{"id": f"i{k}", "label": "x", "status_quo": 50} for k in range(3)],
        "actors": [
            {
                "id": f"a{j}",
                "power": 1,
                "position": {f"i{k}": float(v) for k, v in enumerate(p)},
                "salience": {f"i{k}": float(v) for k, v in enumerate(s)},
            }
            for j, (p, s) in enumerate(zip(pos, sal, strict=True))
        ],
    }
    sc = ns.Scenario.from_dict(doc)
    options = {"protocol": "exchange", "rounds": 1, "arithmetic": "float"}
    first = ns.simulate(sc, 16, seed=1, **options)
    coin = ns.simulate(sc, 16, seed=1, ties="random", **options)
    assert len(np.unique(first.outcome.round(9), axis=0)) == 1
    outcomes = np.unique(coin.outcome.round(9), axis=0)
    assert len(outcomes) == 2
    assert any(np.allclose(o, first.outcome[0]) for o in outcomes)
    again = ns.simulate(sc, 16, seed=1, ties="random", **options)
    np.testing.assert_array_equal(again.outcome, coin.outcome)  # the coin is seeded


def test_an_exit_that_changes_nothing_is_never_taken(data_dir):
    # Russia's exit leaves the shield at its status quo at no cost: it gains nothing over
    # staying, so the hardliners talk to the deadline and no run records an exit.
    sc = ns.load_scenario(data_dir / "minimal.toml")
    res = ns.simulate(sc, 5, seed=0, strategies={"US": "hardliner", "Russia": "hardliner"})
    assert np.all(res.exited == -1) and np.all(res.rounds == sc.rounds)
    assert not res.agreed.any() and np.all(res.outcome == sc.status_quo)


@pytest.mark.parametrize("protocol", ["compromise", "median", "eum"])
def test_forecast_models_say_that_moves_do_not_apply(package, protocol):
    """docs/protocols.md: the forecast models predict in one shot; moves, exits and
    ratification do not apply, and summary() says so."""
    res = ns.simulate(package, 20, seed=1, protocol=protocol, rounds=3)
    assert res.agreed.all()
    assert protocol == "eum" or np.all(res.rounds == 0)  # compromise, median: round 0 (docs)
    assert np.all(res.moved == -1) and np.all(res.exited == -1)
    assert "do not apply" in str(res.summary())
    assert "do not apply" not in str(ns.simulate(package, 20, seed=1).summary())


def test_mediated_agrees_on_an_acceptable_compromise():
    """Symmetric parties: the opening text (the weighted mean, 50) is worth 0.5 to both, at
    least their reservation 0.4, so the conceders accept it at once when their targets drop."""
    sc = bilateral([[100], [0]], [[1], [1]], (0.4, 0.4), rounds=11)
    res = ns.simulate(sc, 1, seed=0, protocol="mediated", strategies={"A": "linear", "B": "linear"})
    assert res.agreed[0]
    np.testing.assert_allclose(res.outcome[0], [50.0])
    # linear targets 1 - 0.6 * tau fall to 0.5 at tau = 5/6, i.e. round 9 of 0..10 (first >=)
    assert res.rounds[0] == 9


def test_trace_records_rounds(package):
    res = ns.simulate(package, 20, seed=2, trace=3)
    tr = res.trace
    assert tr["offer"].shape == (3, package.rounds, 3)
    assert set(tr["proposer"][tr["proposer"] >= 0]) <= {0, 1}
    last = res.rounds[0]
    assert np.isfinite(tr["offer"][0, : min(last, package.rounds)]).all()


def test_summary_and_frame(package):
    res = ns.simulate(package, 200, seed=3)
    frame = res.to_frame()
    assert list(frame.columns[:4]) == ["run", "agreed", "rounds", "exited"]
    assert f"utility.{package.actors[0]}" in frame and "outcome.cfe" in frame
    s = res.summary()
    # Wilson score interval, written out:
    # (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    n, p, z = res.runs, res.agreed.mean(), 1.959963984540054
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)
    assert 0 < p < 1 and res.units == n  # sampled worlds: every run is its own unit
    np.testing.assert_allclose(s.agreement.loc[0, ["ci_low", "ci_high"]], [low, high], rtol=1e-9)
    k = package.issue_index("cfe")
    assert s.outcomes.loc["cfe", "q50"] == pytest.approx(np.median(res.outcome[:, k]))


def test_unknown_strategy_actor_or_protocol_in_python_api(package):
    with pytest.raises(KeyError, match="unknown actor 'Rusia' \\(did you mean 'Russia'"):
        ns.simulate(package, 1, strategies={"Rusia": "boulware"})
    with pytest.raises(KeyError, match=r"Germany.*not a negotiator"):
        ns.simulate(package, 1, strategies={"Germany": "boulware"})
    with pytest.raises(KeyError, match="unknown protocol 'alternatng'"):
        ns.simulate(package, 1, protocol="alternatng")


# ----------------------------------------------------------------------------- command line


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--protocol", "bargain"], "unknown protocol 'bargain'"),
        (["--strategy", "Russia=boulwar"], "unknown strategy 'boulwar'"),
        (["--strategy", "Rusia=boulware"], "unknown actor 'Rusia'"),
        (["--strategy", "Russia=boulware:e=x"], "parameter e: must be a finite number, got 'x'"),
        (["--set", "Russia.salience.kosovo=3"], "unknown issue 'kosovo'"),
        (["--set", "Russia.salience.cfe=300"], "actors[1].salience.cfe: must be in [0, 100]"),
        (["--set", "Rusia.power=3"], "unknown actor 'Rusia'"),
    ],
)
def test_run_bad_input_exits_2_with_one_line(args, named, capsys):
    assert cli(["run", "package_2007", "--runs", "2", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("negosim: error:")
    assert named in err


def test_run_writes_table_and_figure(tmp_path, capsys):
    out, fig = tmp_path / "runs.parquet", tmp_path / "fig.png"
    code = cli(
        [
            "run",
            "package_2007",
            "--runs",
            "300",
            "--seed",
            "1",
            "--set",
            "Russia.salience.kosovo_status=40",
            "--strategy",
            "US=conceder",
            "--out",
            str(out),
            "--plot",
            str(fig),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "agreement:" in text and "mean utility per negotiator" in text
    frame = pd.read_parquet(out)
    assert len(frame) == 300 and "outcome.missile_defense" in frame
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.part"))


@given(st.data())
def test_row_tests_match_numpy_reductions(data):
    """every/some (column by column) answer as all/any over the last axis do, and a
    coalition's majority or qualified share (an exact count) as the mean of the votes."""
    from negosim.model.ratification import CoalitionRule, every, some

    runs, width = data.draw(st.integers(0, 30)), data.draw(st.integers(0, 300))
    votes = data.draw(arrays(np.bool_, (runs, width)))
    assert np.array_equal(every(votes), votes.all(axis=1))
    assert np.array_equal(some(votes), votes.any(axis=1))
    if width:
        share = votes.mean(axis=1)
        for rule, threshold, expected in (
            ("majority", 0.0, share > 0.5),
            ("qualified", 0.75, share >= 0.75 - 1e-12),
        ):
            rule_ = CoalitionRule(np.arange(width), np.arange(0), rule, threshold)
            assert np.array_equal(rule_.consents(votes), expected)
            assert np.array_equal(rule_.consents(np.asfortranarray(votes)), expected)
