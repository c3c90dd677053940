"""The summary counts what the runs did (issue 26, parts 2 and 5).

Every share of ``SimulationResult.summary()`` is checked against a count made here, run by run,
from ``to_frame()`` (never from the summary's own code), on hand-built results whose answers
are worked out by hand in the comments and on a small Monte Carlo of package_2007. The
sampled numbers without a dated source are checked on an edited copy of
``tests/data/minimal.toml`` with known confidence codes.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import negosim as ns
import negosim.engine.results as results
from negosim.cli import main as cli
from negosim.model.ratification import DEAL_MARGIN
from negosim.model.sources import confidence_code, unsourced

DATA = Path(__file__).parent / "data"
SHARES = ("by_agreement", "by_move_before_deal", "by_move_without_deal", "unchanged")
T = 10  # the deadline of the hand-built results

BASE = {
    "scenario": {"id": "summary_case", "title": "hand-built runs", "rounds": T},
    "issues": [{"id": i, "label": i, "status_quo": 50} for i in ("x", "y", "z")],
    "actors": [
        {
            "id": "A",
            "power": 1,
            "position": {"x": 100, "y": 100, "z": 100},
            "salience": {"x": 40, "y": 30, "z": 30},
        },
        {
            "id": "B",
            "power": 1,
            "position": {"x": 0, "y": 0, "z": 0},
            "salience": {"x": 30, "y": 40, "z": 30},
            "exit": {"issue": "z", "at": 0.5},
        },
    ],
    "moves": [
        {"id": "mx", "actor": "A", "issue": "x", "to": 100},
        {"id": "my", "actor": "B", "issue": "y", "to": 0},
    ],
}


def hand_scenario(**changes) -> ns.Scenario:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return ns.Scenario.from_dict(data, source="test")


NA = -1
# run: agreed, round (of agreement or end), exited, moved (mx, my, exit_B), outcome, no deal
RUNS = [
    (True, 5, NA, (NA, NA, NA), (70, 30, 60), (50, 50, 50)),  # 0: a deal, no move
    (True, 6, NA, (3, NA, NA), (100, 40, 55), (100, 50, 50)),  # 1: mx before the deal
    (True, 4, NA, (3, 2, NA), (100, 0, 50), (100, 0, 50)),  # 2: mx the round before
    (False, T, NA, (T, NA, NA), (100, 50, 50), (100, 50, 50)),  # 3: mx after the talks
    (False, T, NA, (4, T, NA), (100, 0, 50), (100, 0, 50)),  # 4: mx during, my after
    (False, T, NA, (NA, NA, NA), (50, 50, 50), (50, 50, 50)),  # 5: nothing at all
    (True, 8, NA, (NA, NA, NA), (50, 50, 50), (50, 50, 50)),  # 6: agreed on no deal
    (False, 6, 1, (T, NA, 6), (100, 50, 50), (100, 50, 50)),  # 7: B exits, then mx
]


def hand_result(runs=RUNS, **meta) -> ns.SimulationResult:
    sc = meta.pop("scenario", None) or hand_scenario()
    agreed, rounds, exited, moved, outcome, no_deal = (np.array(c) for c in zip(*runs, strict=True))
    utility = np.tile([0.6, 0.4], (len(runs), 1))
    return ns.SimulationResult(
        sc,
        agreed=agreed.astype(bool),
        outcome=outcome.astype(float),
        utility=utility,
        rounds=rounds,
        exited=exited,
        moved=moved.astype(np.int32),
        deadline=T,
        no_deal=no_deal.astype(float),
        no_deal_utility=utility - 0.1,
        **meta,
    )


# --------------------------------------------------------------- counts from to_frame()
def moves_on(frame_row: pd.Series, sc: ns.Scenario, issue: str) -> list[int]:
    """The rounds of the moves made on ``issue`` in one row of the wide frame."""
    cells = [frame_row[f"move.{m.id}"] for m in sc.all_moves if m.issue == issue]
    return [int(c) for c in cells if not pd.isna(c)]


def counted_shares(res: ns.SimulationResult) -> dict[str, dict[str, float]]:
    """Per issue, what settled it, counted run by run from the frame."""
    sc, frame = res.scenario, res.to_frame()
    counts = {issue: Counter() for issue in sc.issues}
    for _, row in frame.iterrows():
        for issue in sc.issues:
            made = moves_on(row, sc, issue)
            if row["agreed"]:
                first = any(r <= row["rounds"] and r < res.deadline for r in made)
                counts[issue]["by_move_before_deal" if first else "by_agreement"] += 1
            else:
                counts[issue]["by_move_without_deal" if made else "unchanged"] += 1
    return {i: {s: counts[i][s] / len(frame) for s in SHARES} for i in sc.issues}


def counted_on_no_deal(res: ns.SimulationResult) -> int:
    frame = res.to_frame()
    issues = res.scenario.issues
    same = 0
    for _, row in frame[frame["agreed"]].iterrows():
        same += all(abs(row[f"outcome.{i}"] - row[f"no_deal.{i}"]) <= 1e-9 for i in issues)
    return same


def counted_moves(res: ns.SimulationResult, move: str) -> dict[str, float]:
    column = res.to_frame()[f"move.{move}"].dropna().astype(int)
    during = column[column < res.deadline]
    out = {
        "share": len(column) / res.runs,
        "during": len(during) / res.runs,
        "after": int((column == res.deadline).sum()) / res.runs,
    }
    if len(during):
        tally = during.value_counts()
        top = min(r for r, c in tally.items() if c == tally.max())
        out.update(mean_round=during.mean(), mode_round=top, mode_share=tally[top] / len(during))
    return out


def assert_summary_matches_the_frame(res: ns.SimulationResult) -> None:
    s = res.summary()
    for issue, shares in counted_shares(res).items():
        row = s.outcomes.loc[issue]
        for name in SHARES:
            assert row[name] == pytest.approx(shares[name], abs=1e-12), (issue, name)
        assert sum(row[name] for name in SHARES) == pytest.approx(1.0, abs=1e-12)
    assert s.agreement["on_status_quo"].iloc[0] == counted_on_no_deal(res)
    for move in res.scenario.all_moves:
        counted = counted_moves(res, move.id)
        shown = s.moves.loc[move.id]
        for name, value in counted.items():
            assert shown[name] == pytest.approx(value, abs=1e-12), (move.id, name)
        if "mean_round" not in counted:
            assert math.isnan(shown["mean_round"]) and math.isnan(shown["mode_round"])
    frame = res.to_frame()
    a = s.agreement.iloc[0]
    agreed = frame[frame["agreed"]]
    if len(agreed):
        assert a["mean_round_agreed"] == pytest.approx(agreed["rounds"].mean())
    ran_out = (~frame["agreed"]) & (frame["rounds"] == res.deadline) & frame["exited"].isna()
    assert a["out_of_time"] == ran_out.sum()
    assert a["exited"] == ((~frame["agreed"]) & frame["exited"].notna()).sum()


# --------------------------------------------------------------- hand-built results
def test_per_issue_shares_partition_the_runs_as_worked_out_by_hand():
    # x: deal in runs 0, 6; a move before the deal in 1 (round 3 < 6) and 2 (round 3 < 4);
    #    moves without a deal in 3 (after the talks), 4 (round 4), 7 (after B's exit).
    #    Unchanged: 5. The old count (agreed and moved off the status quo) said 3 of 8
    #    by agreement (runs 0, 1, 2): two of them were settled by mx before the deal.
    # y: deal in 0, 1, 6; my before the deal in 2 (round 2); without a deal in 4 (after
    #    the talks); unchanged in 3, 5, 7.
    # z: deal in 0, 1, 2, 6 (run 2 agrees on z = 50, the status quo: still the deal's);
    #    B's exit settles z in 7; unchanged in 3, 4, 5.
    outcomes = hand_result().summary().outcomes
    expected = {
        "x": (2, 2, 3, 1),
        "y": (3, 1, 1, 3),
        "z": (4, 0, 1, 3),
    }
    for issue, counts in expected.items():
        assert tuple(outcomes.loc[issue, list(SHARES)] * 8) == pytest.approx(counts), issue


def test_a_move_in_the_deals_own_round_came_before_the_deal():
    # a round plays its moves first, then its package: mx made in round 4 and the deal agreed
    # in round 4 settle x by the move, before the deal (one run, by hand)
    res = hand_result([(True, 4, NA, (4, NA, NA), (100, 50, 50), (100, 50, 50))])
    shares = res.summary().outcomes.loc["x"]
    assert (shares["by_move_before_deal"], shares["by_agreement"]) == (1.0, 0.0)


def test_hand_built_summary_equals_counts_from_the_frame():
    assert_summary_matches_the_frame(hand_result())


def test_agreements_on_the_no_deal_package_are_counted_from_the_runs_own_package():
    # runs 2 (100, 0, 50) and 6 (50, 50, 50) agree on exactly their no-deal package; run 1
    # differs on y and z, run 0 on every issue
    s = hand_result().summary()
    assert s.agreement["on_status_quo"].iloc[0] == 2
    assert "2 of them on the no-deal package" in str(s)


def test_the_no_deal_package_of_a_run_is_its_own_not_the_files():
    # the same run agreed on (80, 50, 50): the file's mx.to is 100, but this run's sampled
    # no-deal package says x = 80, so the agreement is on it
    runs = [(True, 5, NA, (3, NA, NA), (80, 50, 50), (80, 50, 50))] * 2
    assert hand_result(runs).summary().agreement["on_status_quo"].iloc[0] == 2
    runs = [(True, 5, NA, (3, NA, NA), (100, 50, 50), (80, 50, 50))] * 2
    assert hand_result(runs).summary().agreement["on_status_quo"].iloc[0] == 0


def test_moves_are_counted_during_and_after_the_talks():
    # mx: made in runs 1 (3), 2 (3), 3 (T), 4 (4), 7 (T): 5 of 8, 3 during (mean 10/3,
    # most common round 3 in 2 of the 3), 2 after. my: runs 2 (2) and 4 (T). exit_B: run 7.
    moves = hand_result().summary().moves
    assert moves.loc["mx", ["share", "during", "after"]].tolist() == [5 / 8, 3 / 8, 2 / 8]
    assert moves.loc["mx", "mean_round"] == pytest.approx(10 / 3)
    assert moves.loc["mx", ["mode_round", "mode_share"]].tolist() == [3, pytest.approx(2 / 3)]
    assert moves.loc["my", ["share", "during", "after", "mean_round"]].tolist() == [
        2 / 8,
        1 / 8,
        1 / 8,
        2,
    ]
    assert moves.loc["exit_B", ["share", "during", "after", "mode_round"]].tolist() == [
        1 / 8,
        1 / 8,
        0,
        6,
    ]


def test_the_headline_averages_rounds_over_agreements_and_counts_the_rest():
    # agreed in rounds 5, 6, 4, 8: mean 5.75; runs 3, 4, 5 ran out of time; 7 ended by exit
    s = hand_result().summary()
    a = s.agreement.iloc[0]
    assert a["mean_round_agreed"] == 5.75
    assert (a["out_of_time"], a["exited"], a["settled_by_moves"]) == (3, 1, 0)
    text = str(s)
    assert "agreed: 4 runs, in round 5.8 on average; 2 of them on the no-deal package" in text
    assert "without agreement: 4 runs (3 ran out of time, 1 ended by an exit)" in text
    assert "deadline: 10 rounds" in text.splitlines()[0]


def test_a_move_after_the_talks_is_never_reported_as_a_round():
    # three copies of run 3: mx after the talks, stamped T; the verdict says so
    res = hand_result([RUNS[3]] * 3)
    text = " ".join(str(res.summary()).split())
    assert "makes mx after the talks" in text
    assert f"round {T}" not in text and "in round 10" not in repr(res)
    assert "end without agreement at the deadline" in text


def test_a_result_without_no_deal_arrays_derives_what_it_can():
    full = hand_result()
    bare = ns.SimulationResult(
        full.scenario,
        agreed=full.agreed,
        outcome=full.outcome,
        utility=full.utility,
        rounds=full.rounds,
        exited=full.exited,
        moved=full.moved,
        deadline=T,
    )
    failed = ~full.agreed
    np.testing.assert_array_equal(bare.no_deal[failed], full.outcome[failed])
    np.testing.assert_array_equal(bare.no_deal_utility[failed], full.utility[failed])
    assert np.isnan(bare.no_deal[full.agreed]).all()
    s = bare.summary()
    assert pd.isna(s.agreement["on_status_quo"].iloc[0])
    assert "unknown" in str(s)
    frame = bare.to_frame()
    assert frame[[f"no_deal.{i}" for i in "xyz"]].isna().all(axis=1).eq(full.agreed).all()


def test_to_frame_has_the_no_deal_columns():
    res = hand_result()
    frame = res.to_frame()
    np.testing.assert_array_equal(frame[["no_deal.x", "no_deal.y", "no_deal.z"]], res.no_deal)
    np.testing.assert_array_equal(
        frame[["no_deal_utility.A", "no_deal_utility.B"]], res.no_deal_utility
    )


def test_from_chunks_concatenates_the_no_deal_arrays():
    res = hand_result()
    arrays = {
        name: getattr(res, name)
        for name in ("agreed", "outcome", "utility", "rounds", "exited", "moved", "consented")
    }
    arrays.update(no_deal=res.no_deal, no_deal_utility=res.no_deal_utility)
    parts = [{k: v[:3] for k, v in arrays.items()}, {k: v[3:] for k, v in arrays.items()}]
    back = ns.SimulationResult.from_chunks(res.scenario, parts, rounds=T)
    np.testing.assert_array_equal(back.no_deal, res.no_deal)
    np.testing.assert_array_equal(back.no_deal_utility, res.no_deal_utility)


# --------------------------------------------------------------- a Monte Carlo
@pytest.fixture(scope="module")
def package_run():
    return ns.simulate(ns.load_scenario("package_2007"), 2000, seed=7)


def test_package_summary_equals_counts_from_the_frame(package_run):
    assert_summary_matches_the_frame(package_run)


def test_package_runs_without_agreement_have_their_outcome_as_no_deal(package_run):
    frame = package_run.to_frame()
    failed = frame[~frame["agreed"]]
    sc = package_run.scenario
    for i in sc.issues:
        np.testing.assert_array_equal(failed[f"no_deal.{i}"], failed[f"outcome.{i}"])
    for a in sc.actors:
        np.testing.assert_array_equal(failed[f"no_deal_utility.{a}"], failed[f"utility.{a}"])
    assert frame[[f"no_deal.{i}" for i in sc.issues]].notna().all().all()


def test_package_agreements_beat_no_deal_by_the_margin(package_run):
    frame = package_run.to_frame()
    agreed = frame[frame["agreed"]]
    for actor in ("US", "Russia"):  # the negotiators
        gain = agreed[f"utility.{actor}"] - agreed[f"no_deal_utility.{actor}"]
        assert (gain >= DEAL_MARGIN - 1e-12).all(), actor


def test_package_influence_is_the_quartile_gap_counted_from_the_inputs(package_run):
    frame = package_run.to_frame(inputs=True)
    table = package_run.influence()
    assert len(table) == len(package_run.scenario.effective_uncertainty)
    gaps = {}
    for column in [c for c in frame if c.startswith("input.")]:
        values = frame[column]
        low, high = values.quantile(0.25), values.quantile(0.75)
        top = frame.loc[values >= high, "agreed"].mean()
        bottom = frame.loc[values <= low, "agreed"].mean()
        gaps[column.removeprefix("input.")] = 100 * (top - bottom)
    for target, row in table.iterrows():
        assert row["effect_pp"] == pytest.approx(gaps[target], abs=1e-9), target
    sizes = table["effect_pp"].abs().to_numpy()
    assert (np.diff(sizes) <= 0).all()  # ranked by size
    assert list(package_run.summary().influence.index) == list(table.index[:5])


def test_the_summary_changes_no_number_and_samples_once(monkeypatch):
    sc = ns.load_scenario("package_2007")
    res, again = ns.simulate(sc, 300, seed=5), ns.simulate(sc, 300, seed=5)
    calls = []
    real = results.sample
    monkeypatch.setattr(results, "sample", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    first = res.summary()
    res.summary(), repr(res), res._repr_html_()
    assert calls == [300]  # the inputs drawn once (one block), then the table is kept
    pd.testing.assert_frame_equal(res.summary().influence, first.influence)
    for name in ("agreed", "outcome", "utility", "rounds", "moved", "no_deal"):
        np.testing.assert_array_equal(getattr(res, name), getattr(again, name), err_msg=name)


def test_inputs_drawn_in_blocks_are_the_runs_own(monkeypatch):
    sc = ns.load_scenario("package_2007")
    res = ns.simulate(sc, 50, seed=4)
    monkeypatch.setattr(results, "INPUT_BLOCK", 7)
    drawn = res._inputs()
    whole = ns.sample(sc, 50, seed=4).inputs()
    assert drawn.keys() == whole.keys()
    for target, values in whole.items():
        np.testing.assert_array_equal(drawn[target], values, err_msg=target)


# --------------------------------------------------------------- influence, hand-built
INFLUENCE_SCENARIO = {
    "date": "2007-10-19",
    "uncertainty": [
        {"target": "moves.mx.cost", "dist": "uniform", "low": 0.0, "high": 0.1},
        {"target": "A.salience.x", "dist": "uniform", "low": 0.0, "high": 100.0},
        {"target": "B.power", "dist": "uniform", "low": 1.0, "high": 2.0},
    ],
}


def deciding_result(code: str, runs: int = 400) -> ns.SimulationResult:
    """Runs whose agreement is decided by A's salience on x alone: agreed iff it is > 50."""
    base = copy.deepcopy(BASE)
    base["scenario"]["date"] = INFLUENCE_SCENARIO["date"]
    base["actors"][0]["confidence"] = {"salience": {"x": code}}
    sc = ns.Scenario.from_dict({**base, "uncertainty": INFLUENCE_SCENARIO["uncertainty"]})
    inputs = ns.sample(sc, runs, seed=11).inputs()
    agreed = inputs["A.salience.x"] > 50
    row = (True, 5, NA, (NA, NA, NA), (50, 50, 50), (50, 50, 50))
    result = hand_result([row] * runs, scenario=sc, seed=11)
    return ns.SimulationResult(
        sc,
        agreed=agreed,
        outcome=result.outcome,
        utility=result.utility,
        rounds=result.rounds,
        exited=result.exited,
        moved=result.moved,
        seed=11,
        deadline=T,
    )


def test_the_input_that_decides_agreement_comes_first_with_its_source_status():
    res = deciding_result("E")
    table = res.influence()
    # every run with A.salience.x in its top quartile agreed, none in its bottom quartile
    assert table.index[0] == "A.salience.x"
    assert table.iloc[0]["effect_pp"] == 100.0
    assert table.iloc[0][["agreement_low", "agreement_high"]].tolist() == [0.0, 1.0]
    assert (table.iloc[1:]["effect_pp"].abs() < 25).all()  # independent of agreement
    assert table.iloc[0]["source"] == "no dated source"
    text = str(res.summary())
    assert (
        "the result depends mostly on A.salience.x (agreement +100.0 points from its bottom "
        "to its top quartile), which no source dated by 2007-10-19 gives"
    ) in " ".join(text.split())


def test_an_anchored_deciding_input_is_named_without_the_warning():
    res = deciding_result("A")
    table = res.influence()
    assert table.index[0] == "A.salience.x" and table.iloc[0]["source"] == "dated source"
    assert res.summary().dependence == ""
    assert "depends mostly" not in str(res.summary())


def test_a_top_input_within_its_noise_is_not_blamed():
    res = deciding_result("E")
    alternate = np.arange(res.runs) % 2 == 0  # agreement unrelated to any input
    res = ns.SimulationResult(
        res.scenario,
        agreed=alternate,
        outcome=res.outcome,
        utility=res.utility,
        rounds=res.rounds,
        exited=res.exited,
        seed=11,
        deadline=T,
    )
    frame = res.to_frame(inputs=True)
    gaps = {}
    for column in [c for c in frame if c.startswith("input.")]:
        values = frame[column]
        top = frame.loc[values >= values.quantile(0.75), "agreed"]
        bottom = frame.loc[values <= values.quantile(0.25), "agreed"]
        se = math.sqrt(top.var(ddof=0) / len(top) + bottom.var(ddof=0) / len(bottom))
        gaps[column.removeprefix("input.")] = (top.mean() - bottom.mean(), se)
    assert all(abs(gap) <= 2 * se for gap, se in gaps.values())  # every gap within its noise
    for target, row in res.influence().iterrows():
        assert row["effect_pp"] == pytest.approx(100 * gaps[target][0], abs=1e-9)
        assert row["se_pp"] == pytest.approx(100 * gaps[target][1], abs=1e-9)
    assert res.summary().dependence == ""


def test_influence_is_skipped_without_a_seed_or_uncertain_numbers():
    assert hand_result(seed=None).influence().empty  # nothing sampled, no seed
    res = deciding_result("E")
    unseeded = ns.SimulationResult(
        res.scenario,
        agreed=res.agreed,
        outcome=res.outcome,
        utility=res.utility,
        rounds=res.rounds,
        exited=res.exited,
        deadline=T,
    )
    s = unseeded.summary()
    assert s.influence.empty and s.dependence == "" and "depends" not in str(s)


# --------------------------------------------------------------- unsourced numbers
def edited_minimal(tmp_path: Path) -> Path:
    """minimal.toml with confidence codes, a move and uncertainty about coded numbers."""
    text = (DATA / "minimal.toml").read_text()
    text = text.replace(
        'id = "US"\n',
        'id = "US"\nconfidence = { power = "A", position = { kosovo = "A", shield = "E" }, '
        'salience = { kosovo = "E", shield = "A" } }\n',
    )
    text = text.replace('id = "Russia"\n', 'id = "Russia"\nconfidence = "A"\n')
    text = text.replace(
        'id = "Poland"\n', 'id = "Poland"\nconfidence = { salience = { shield = "E" } }\n'
    )
    text = text.replace("rounds = 20\n", "rounds = 20\nestimate_spread = 10\n")
    text += """
[[moves]]
id = "us_deploys"
actor = "US"
issue = "shield"
to = 80
cost = 0.05
confidence = { to = "A", cost = "E" }
"""
    for target in (
        "US.power",
        "US.position.kosovo",
        "US.position.shield",
        "US.salience.kosovo",
        "US.salience.shield",
        "Russia.reservation",
        "moves.exit_Russia.earliest",
        "Poland.position.shield",
        "moves.us_deploys.to",
        "moves.us_deploys.cost",
        "moves.us_deploys.latest",
        "US.strategy.e",
    ):
        # 0.1..0.2 lies within the bounds of every one of these numbers
        text += f'\n[[uncertainty]]\ntarget = "{target}"\ndist = "uniform"\nlow = 0.1\nhigh = 0.2\n'
    path = tmp_path / "coded.toml"
    path.write_text(text)
    return path


def test_unsourced_lists_every_sampled_number_not_coded_a(tmp_path):
    sc = ns.load_scenario(edited_minimal(tmp_path))
    # explicit entries in file order, then the estimate_spread default of the one "E"
    # number without an entry (Poland's salience on shield); Russia is "A" as a whole actor
    # (its exit's window too); no code at all (Poland's position, the move's latest, the
    # strategy parameter) is not a dated source; Russia.salience.kosovo is uncertain in
    # minimal.toml and coded "A" here
    assert unsourced(sc) == [
        "US.position.shield",
        "US.salience.kosovo",
        "Poland.position.shield",
        "moves.us_deploys.cost",
        "moves.us_deploys.latest",
        "US.strategy.e",
        "Poland.salience.shield",
    ]
    assert confidence_code(sc, "moves.exit_Russia.earliest") == "A"
    assert confidence_code(sc, "Poland.position.shield") == ""
    assert confidence_code(sc, "moves.us_deploys.cost") == "E"


def test_validate_names_the_unsourced_numbers(tmp_path, capsys):
    assert cli(["validate", str(edited_minimal(tmp_path))]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "sampled numbers without a dated source: US.position.shield, US.salience.kosovo, "
        "Poland.position.shield, moves.us_deploys.cost, moves.us_deploys.latest, "
        'US.strategy.e; and 1 number coded "E" that estimate_spread samples'
    ) in out
