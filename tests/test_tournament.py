"""Tournaments: rankings that hold analytically, complete tables, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import negosim as ns
from negosim.cli import main as cli

from helpers import time_dependent_closed_form

FIELD = ["boulware", "conceder", "hardliner"]


def test_boulware_conceder_hardliner_rank_as_derived():
    """One issue, reservations 0, ideals a and b at distance D = |a - b| / 100 (here 0.15).

    * A hardliner's target is always 1, so any deal it makes is at its ideal: it gets 1 against
      Boulware and Conceder (whose targets reach 0 <= 1 - D at the deadline) and the opponent
      gets 1 - D; two hardliners never agree and get their reservation 0.
    * Between time-dependent tactics agreement comes at the first round with
      u*_A + u*_B <= 2 - D (test_oracles derives it); the proposer keeps its target.
      Against itself, averaged over the two seats, a tactic gets (2 - D) / 2; Boulware beats
      Conceder head to head because it concedes later.
    So the means over the three opponents are H = 2/3, B = ((2 - D)/2 + u_BC + 1 - D)/3 and
    C = ((2 - D)/2 + u_CB + 1 - D)/3, with u_BC > u_CB: for D = 0.15, B > C > H.
    """
    sc = ns.generate(2, 1, seed=3, reservation=(0, 0), rounds=100)
    a, b = sc.positions[:, 0]
    d = abs(a - b) / 100
    assert d == pytest.approx(0.151161, abs=1e-6)
    result = ns.tournament(FIELD, sc, runs=20, seed=1)
    pair = result.pairwise()
    assert pair.loc["hardliner", "boulware"] == pair.loc["hardliner", "conceder"] == 1.0
    assert pair.loc["hardliner", "hardliner"] == 0.0
    assert pair.loc["boulware", "hardliner"] == pytest.approx(1 - d)
    for tactic in ("boulware", "conceder"):
        assert pair.loc[tactic, tactic] == pytest.approx((2 - d) / 2)
    # Boulware vs Conceder from the closed form, Boulware in seat A then in seat B
    seat_a = time_dependent_closed_form(a, b, 0.2, 5.0, 0.0, 0.0, 100)
    seat_b = time_dependent_closed_form(a, b, 5.0, 0.2, 0.0, 0.0, 100)
    u_bc = np.mean([1 - abs(seat_a[1] - a) / 100, 1 - abs(seat_b[1] - b) / 100])
    assert pair.loc["boulware", "conceder"] == pytest.approx(u_bc, abs=1e-9)
    assert list(result.leaderboard["strategy"]) == ["boulware", "conceder", "hardliner"]
    assert result.leaderboard.loc[3, "utility"] == pytest.approx(2 / 3)


def test_same_seed_same_table_and_complete_pairs(package):
    first = ns.tournament(FIELD, package, runs=30, seed=5)
    again = ns.tournament(FIELD, package, runs=30, seed=5)
    assert first.plays.equals(again.plays)
    pairs = set(zip(first.plays.strategy, first.plays.opponent, first.plays.seat, strict=True))
    assert pairs == {(s, o, seat) for s in FIELD for o in FIELD for seat in ("US", "Russia")}


def test_intervals_shrink_as_runs_grow():
    sc = ns.generate(2, 3, seed=1)
    widths = []
    for runs in (20, 320):
        board = ns.tournament(["random_walk", "linear"], sc, runs=runs, seed=2).leaderboard
        row = board.set_index("strategy").loc["random_walk"]
        widths.append(row["utility_high"] - row["utility_low"])
    assert widths[1] < widths[0] / 2


def test_default_field_and_user_strategy_join_by_name():
    from negosim.strategies import Linear, register

    class Patient(Linear):
        name = "patient_test"
        citation = "test"

    register(Patient)
    result = ns.tournament(["patient_test", "boulware"], ns.generate(2, 2, seed=0), runs=5)
    assert set(result.leaderboard["strategy"]) == {"patient_test", "boulware"}
    assert len(ns.tournament(runs=2, seed=0).leaderboard) == len(
        ns.tournament.__globals__["DEFAULT_FIELD"]
    )


def test_generated_saliences_control_logrolling():
    opposed = ns.generate(2, 4, seed=1, salience="opposed")
    np.testing.assert_allclose(opposed.salience[0] + opposed.salience[1], 101)
    identical = ns.generate(2, 4, seed=1, salience="identical")
    np.testing.assert_array_equal(identical.salience[0], identical.salience[1])
    assert ns.generate(3, 2, seed=7) == ns.generate(3, 2, seed=7)
    with pytest.raises(ValueError, match="salience must be"):
        ns.generate(2, 2, salience="random")


def test_cli_tournament(tmp_path, capsys):
    png = tmp_path / "board.png"
    code = cli(
        [
            "tournament",
            "--strategies",
            "boulware",
            "conceder",
            "--generate",
            "1",
            "--runs",
            "5",
            "--plot",
            str(png),
            "--no-progress",
        ]
    )
    assert code == 0 and png.exists()
    assert "boulware" in capsys.readouterr().out
    assert cli(["tournament", "--strategies", "bolware", "--runs", "2", "--no-progress"]) == 2
