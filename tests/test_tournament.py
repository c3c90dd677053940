"""Tournaments: rankings that hold analytically, complete tables, reproducibility."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import negosim as ns
from negosim import plot
from negosim.analysis.tournaments import DEFAULT_FIELD
from negosim.cli import main as cli
from negosim.model.ratification import DEAL_MARGIN

from helpers import bilateral, time_dependent_closed_form

# tournaments on a few small worlds, on purpose: their FewWorldsWarning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::negosim.analysis.tournaments.FewWorldsWarning")


FIELD = ["boulware", "conceder", "hardliner"]


def test_boulware_conceder_hardliner_rank_as_derived():
    """One issue, reservations 0, ideals a and b at distance D = |a - b| / 100 (here 0.15).

    * A hardliner's target is always 1, so any deal it makes is at its ideal: it gets 1 against
      Boulware and Conceder (whose targets reach their deal floor, 0 plus the margin m =
      0.01, <= 1 - D at the deadline) and the opponent gets 1 - D; two hardliners never
      agree and get their reservation 0.
    * Between time-dependent tactics agreement comes at the first round with
      u*_A + u*_B <= 2 - D (helpers.time_dependent_closed_form derives it, with the targets
      ending at the deal floors 0.01); the proposer keeps its target.
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
    m = DEAL_MARGIN
    seat_a = time_dependent_closed_form(a, b, 0.2, 5.0, m, m, 100)
    seat_b = time_dependent_closed_form(a, b, 5.0, 0.2, m, m, 100)
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


DETERMINISTIC = ["boulware", "linear", "conceder"]


def widths(board, metric="utility"):
    rows = board.set_index("strategy")
    return rows[f"{metric}_high"] - rows[f"{metric}_low"]


def test_repeating_identical_runs_does_not_narrow_the_interval():
    """Generated worlds have no uncertainty and the three tactics are deterministic, so 1,000
    runs of a world are 1,000 copies of one negotiation: the interval must stay that of 10."""
    worlds = [ns.generate(2, 3, seed=k) for k in range(4)]
    few = ns.tournament(DETERMINISTIC, worlds, runs=10, seed=0).leaderboard
    many = ns.tournament(DETERMINISTIC, worlds, runs=1000, seed=0).leaderboard
    assert (widths(few) > 0).all()
    for metric in ("utility", "joint_utility", "nash_distance"):
        assert (widths(many, metric) >= widths(few, metric) - 1e-12).all()
    assert (few["worlds"] == 4).all() and (many["worlds"] == 4).all()
    # a single world is a single unit: no interval, however many runs
    one = ns.tournament(DETERMINISTIC, worlds[0], runs=1000, seed=0).leaderboard
    assert one[["utility_low", "utility_high"]].isna().all().all()
    assert (one["worlds"] == 1).all()
    with pytest.raises(ns.ArgumentError, match=r"^runs: must be a whole number >= 1, got 0"):
        ns.tournament(DETERMINISTIC, worlds, runs=0)


def test_interval_narrows_as_independent_worlds_are_added():
    """Same number of negotiations (800 per pairing and seat), 5 worlds against 80: only
    the independent draws narrow the interval (about t(4)/t(79) * 4 = 5.6 times)."""
    worlds = [ns.generate(2, 3, seed=k) for k in range(80)]
    pair = ["boulware", "conceder"]
    five = ns.tournament(pair, worlds[:5], runs=160, seed=0).leaderboard
    eighty = ns.tournament(pair, worlds, runs=10, seed=0).leaderboard
    assert (widths(eighty) < widths(five) / 2).all()


def test_interval_is_the_t_interval_of_the_world_means():
    """With equal runs per world the cluster-robust interval is the one-sample t interval of
    the world means; each world mean is computed here with one simulate call per pairing."""
    worlds = [ns.generate(2, 2, seed=10 + k) for k in range(6)]
    board = ns.tournament(DETERMINISTIC, worlds, runs=3, seed=0).leaderboard
    rows = board.set_index("strategy")
    for focal in DETERMINISTIC:
        means = []
        for sc in worlds:
            got = []
            for seat, other in (("a0", "a1"), ("a1", "a0")):
                for opponent in DETERMINISTIC:
                    res = ns.simulate(sc, 1, seed=0, strategies={seat: focal, other: opponent})
                    got.append(res.utility[0, sc.actor_index(seat)])
            means.append(np.mean(got))
        half = stats.t.ppf(0.975, 5) * np.std(means, ddof=1) / np.sqrt(6)
        assert rows.loc[focal, "utility"] == pytest.approx(np.mean(means), abs=1e-12)
        assert rows.loc[focal, "utility_low"] == pytest.approx(np.mean(means) - half, abs=1e-12)
        assert rows.loc[focal, "utility_high"] == pytest.approx(np.mean(means) + half, abs=1e-12)


def test_cluster_interval_by_hand():
    """Totals (2, 3, 10) over sizes (2, 1, 4): mean 15/7, residuals T - mean * N =
    (-16/7, 6/7, 10/7) with squares summing to 392/49 = 8, so se = sqrt(3/2 * 8) / 7; with 2
    degrees of freedom t(p) = (2p - 1) / sqrt(2p(1 - p)). An empty cluster changes nothing."""
    from negosim.analysis.tournaments import cluster_interval

    t2 = 0.95 / np.sqrt(2 * 0.975 * 0.025)
    half = t2 * np.sqrt(12) / 7
    got = cluster_interval(np.array([2.0, 3.0, 0.0, 10.0]), np.array([2, 1, 0, 4]))
    np.testing.assert_allclose(got, (15 / 7, 15 / 7 - half, 15 / 7 + half), rtol=1e-12)
    mean, low, high = cluster_interval(np.array([6.0]), np.array([3]))
    assert mean == 2.0 and np.isnan(low) and np.isnan(high)


@settings(max_examples=60, deadline=None)
@given(
    means=st.lists(st.floats(-10, 10), min_size=2, max_size=12),
    size=st.integers(1, 50),
    copies=st.integers(2, 1000),
)
def test_cluster_interval_is_scipys_t_interval_and_ignores_copies(means, size, copies):
    """Equal clusters: the interval is scipy's one-sample t interval of the cluster means;
    repeating every observation ``copies`` times (totals and sizes scaled alike) changes
    nothing."""
    from negosim.analysis.tournaments import cluster_interval

    means = np.array(means)
    counts = np.full(means.size, size)
    got = cluster_interval(means * size, counts)
    assert got == pytest.approx(cluster_interval(means * size * copies, counts * copies))
    if np.ptp(means) > 1e-6:
        ci = stats.ttest_1samp(means, 0).confidence_interval(0.95)
        np.testing.assert_allclose(got, (means.mean(), ci.low, ci.high), rtol=1e-9, atol=1e-9)


def test_identical_draws_count_once_and_distinct_draws_count_each():
    """A scenario whose only uncertain number takes one of two values has two worlds however
    many runs it gets; a continuous draw makes every run a world of its own."""
    doc = ns.generate(2, 2, seed=0).to_dict()
    two = ns.Scenario.from_dict(
        {**doc, "uncertainty": [{"target": "a0.salience.i0", "dist": "choice", "values": [10, 90]}]}
    )
    board = ns.tournament(["boulware", "linear"], two, runs=300, seed=0).leaderboard
    assert (board["worlds"] == 2).all()
    spread = ns.Scenario.from_dict(
        {
            **doc,
            "uncertainty": [{"target": "a0.salience.i0", "dist": "uniform", "low": 10, "high": 90}],
        }
    )
    board = ns.tournament(["boulware", "linear"], spread, runs=30, seed=0).leaderboard
    assert (board["worlds"] == 30).all() and (widths(board) > 0).all()


def test_result_displays_short_with_key_numbers_first():
    field = [f"time_dependent:e={e}" for e in (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5)]
    field += ["hardliner", "tit_for_tat", "trade_off"]
    result = ns.tournament(field, [ns.generate(2, 2, seed=k) for k in range(2)], runs=1)
    text = repr(result)
    best = result.leaderboard["strategy"].iloc[0]
    assert len(text) < 1500 and "... and 1 more in .leaderboard" in text
    assert text.splitlines()[0].startswith("TournamentResult: 13 strategies, 2 scenarios")
    assert best in text.splitlines()[2] and "cluster-robust" in text
    rows = result._repr_html_().split("<tbody>")[1].split("<tr>")[1:]
    assert len(rows) == len(field) and best in rows[0] and "<td>1</td>" in rows[0]


def test_pairwise_and_heatmap_rank_rows_and_write_every_value():
    import matplotlib

    matplotlib.use("Agg")
    worlds = [ns.generate(2, 2, seed=k) for k in range(3)]
    result = ns.tournament(["conceder", "hardliner", "boulware"], worlds, runs=2)
    table = result.pairwise()
    order = list(result.leaderboard["strategy"])
    assert list(table.index) == order == list(table.columns)
    # the plot ranks any table by its row means, here given in reverse
    fig = plot.pairwise_heatmap(table.iloc[::-1, ::-1])
    ax = fig.axes[0]
    assert [t.get_text().split(". ", 1)[1] for t in ax.get_yticklabels()] == order
    assert [t.get_text() for t in ax.texts] == [f"{v:.2f}" for v in table.to_numpy().ravel()]
    width, height = fig.get_size_inches()
    assert width / height in (pytest.approx(16 / 9), pytest.approx(4 / 3))
    fig = ns.plot.leaderboard(result)
    ax = fig.axes[0]
    assert [t.get_text().split(". ", 1)[1] for t in ax.get_yticklabels()] == order[::-1]
    assert "3 independent worlds" in ax.get_title()


def test_default_field_and_user_strategy_join_by_name():
    from negosim.model.strategies import Linear, register

    class Patient(Linear):
        name = "patient_test"
        citation = "test"

    register(Patient)
    result = ns.tournament(["patient_test", "boulware"], ns.generate(2, 2, seed=0), runs=5)
    assert set(result.leaderboard["strategy"]) == {"patient_test", "boulware"}
    assert len(ns.tournament(runs=2, seed=0).leaderboard) == len(DEFAULT_FIELD)


def test_generated_saliences_control_logrolling():
    opposed = ns.generate(2, 4, seed=1, salience="opposed")
    np.testing.assert_allclose(opposed.salience[0] + opposed.salience[1], 101)
    identical = ns.generate(2, 4, seed=1, salience="identical")
    np.testing.assert_array_equal(identical.salience[0], identical.salience[1])
    assert ns.generate(3, 2, seed=7) == ns.generate(3, 2, seed=7)
    with pytest.raises(ns.ArgumentError, match=r"^salience: must be one of"):
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


def test_fewer_than_ten_worlds_warn_and_the_default_has_enough():
    """Intervals over 3 generated worlds ran past 1 (t(0.975, 2) = 4.3): a tournament on fewer
    than 10 independent worlds warns, naming the count and the t quantile; the default plays
    12 generated worlds and does not warn."""
    import warnings

    from negosim.analysis.tournaments import DEFAULT_WORLDS, FewWorldsWarning, t_quantile

    three = [ns.generate(2, 2, seed=k) for k in range(3)]
    with pytest.warns(FewWorldsWarning, match=r"rest on 3 independent world\(s\).*= 4\.3"):
        ns.tournament(["boulware", "conceder"], three, runs=2, seed=0)
    assert round(t_quantile(3), 3) == 4.303  # Student's t, 2 degrees of freedom (tables)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewWorldsWarning)
        board = ns.tournament(["boulware", "conceder"], runs=2, seed=0).leaderboard
    assert DEFAULT_WORLDS >= 10 and (board["worlds"] == DEFAULT_WORLDS).all()
    assert (board["utility_high"] <= 1).all()  # utilities are at most 1: so are the bounds here


# ------------------------------------------ the ANAC metrics (docs/strategies.md, Tournaments)

M = DEAL_MARGIN  # d_i = r_i + m: the disagreement point of the solutions and the Nash product


def play(result, strategy, opponent, seat, scenario=None):
    """The one row of ``result.plays`` of a pairing and seat."""
    plays = result.plays
    rows = plays[(plays.strategy == strategy) & (plays.opponent == opponent) & (plays.seat == seat)]
    if scenario is not None:
        rows = rows[rows.scenario == scenario]
    (row,) = rows.itertuples(index=False)
    return row


def segment_distance(p, a, b):
    """Euclidean distance from point p to the segment from a to b (2D)."""
    p, a, b = (np.asarray(v, float) for v in (p, a, b))
    step = b - a
    s = np.clip((p - a) @ step / (step @ step), 0, 1)
    return float(np.hypot(*(p - a - s * step)))


def test_metrics_of_a_hand_worked_world():
    """One issue on 0..100, A's ideal 80, B's 20 (D = 0.6), reservations 0.2 and 0.5, so
    d = (0.21, 0.51) and the frontier is the segment u_A + u_B = 1.4 from B's ideal (0.4, 1)
    to A's (1, 0.4).

    * Nash: max (u_A - d_A)(u_B - d_B) on it: u_A = (1.4 + d_A - d_B) / 2 = 0.55, u_B = 0.85.
    * Kalai-Smorodinsky: ideals m_A = 1.4 - d_B = 0.89, m_B = min(1, 1.4 - d_A) = 1; equal
      shares (u_A - d_A) / (m_A - d_A) = (u_B - d_B) / (m_B - d_B) with u_B = 1.4 - u_A give
      u_A = (d_A (m_B - d_B) + (m_A - d_A)(1.4 - d_B)) / ((m_B - d_B) + (m_A - d_A)).
    * Boulware (A) against Conceder (B) agree in round t at package x
      (helpers.time_dependent_closed_form, deal floors d): u_A = 1 - |x - 80| / 100,
      u_B = 1 - |x - 20| / 100, on the frontier (distance 0).
    * Two hardliners never agree: each keeps its reservation, (0.2, 0.5), whose distance to
      the line u_A + u_B = 1.4 is (1.4 - 0.7) / sqrt(2) (its foot, (0.55, 0.85), lies on the
      segment); the Nash product is 0 and the agreement round undefined.
    """
    sc = bilateral([[80], [20]], [[1], [1]], (0.2, 0.5), rounds=40)
    result = ns.tournament(["boulware", "conceder", "hardliner"], sc, runs=1, seed=0)
    d_a, d_b = 0.2 + M, 0.5 + M
    nash_point = np.array([(1.4 + d_a - d_b) / 2, (1.4 - d_a + d_b) / 2])
    m_a, m_b = 1.4 - d_b, min(1.0, 1.4 - d_a)
    ks_a = (d_a * (m_b - d_b) + (m_a - d_a) * (1.4 - d_b)) / ((m_b - d_b) + (m_a - d_a))
    ks_point = np.array([ks_a, 1.4 - ks_a])
    assert ks_point == pytest.approx([0.605214, 0.794786], abs=1e-6)  # worked by hand

    t, x, _ = time_dependent_closed_form(80, 20, 0.2, 5.0, d_a, d_b, 40)
    u = np.array([1 - abs(x - 80) / 100, 1 - abs(x - 20) / 100])
    deal = play(result, "boulware", "conceder", "A")
    assert (deal.agreed, deal.rounds, deal.agreement_round) == (1.0, t, t)
    assert deal.utility == pytest.approx(u[0], abs=1e-12)
    assert deal.agreement_time == pytest.approx(t / (40 - 1), abs=1e-12)
    assert deal.joint_utility == pytest.approx(u.sum(), abs=1e-12)
    assert deal.pareto_distance == pytest.approx(0, abs=1e-12)
    assert deal.nash_distance == pytest.approx(np.hypot(*(u - nash_point)), abs=1e-9)
    assert deal.ks_distance == pytest.approx(np.hypot(*(u - ks_point)), abs=1e-9)
    assert deal.nash_product == pytest.approx((u[0] - d_a) * (u[1] - d_b), abs=1e-12)

    stuck = play(result, "hardliner", "hardliner", "B")
    no_deal = np.array([0.2, 0.5])
    assert (stuck.agreed, stuck.rounds, stuck.utility, stuck.nash_product) == (0, 40, 0.5, 0)
    assert np.isnan(stuck.agreement_round) and np.isnan(stuck.agreement_time)
    assert stuck.joint_utility == pytest.approx(0.7, abs=1e-12)
    assert stuck.pareto_distance == pytest.approx((1.4 - 0.7) / np.sqrt(2), abs=1e-12)
    assert stuck.nash_distance == pytest.approx(np.hypot(*(no_deal - nash_point)), abs=1e-9)
    assert stuck.ks_distance == pytest.approx(np.hypot(*(no_deal - ks_point)), abs=1e-9)

    # the leaderboard's means: over every run, the agreement round and time over the deals
    rows = result.leaderboard.set_index("strategy")
    mine = result.plays[result.plays.strategy == "hardliner"]
    assert rows.loc["hardliner", "nash_product"] == pytest.approx(mine.nash_product.mean())
    agreed = mine[mine.agreed == 1]
    assert rows.loc["hardliner", "agreement_round"] == pytest.approx(agreed.rounds.mean())
    assert rows.loc["hardliner", "agreement_time"] == pytest.approx(agreed.rounds.mean() / 39)
    assert (rows["information"] == "complete").all() and result.information == ("complete",)


def pareto_edges(sc, pair):
    """Brute force: the Pareto frontier of two linear-loss negotiators is the upper-right
    boundary of the convex hull of the utilities of the 2^I packages that put every issue at
    one of their two ideals (between them every utility is linear in the package)."""
    from scipy.spatial import ConvexHull

    idx = [sc.actor_index(a) for a in pair]
    pos, sal = sc.positions[idx], sc.salience[idx]
    w = sal / sal.sum(axis=1, keepdims=True)
    span = sc.high - sc.low
    corners = np.array(list(itertools.product(*zip(pos[0], pos[1], strict=True))))
    u = np.array([1 - (w * np.abs(x - pos) / span).sum(axis=1) for x in corners])
    hull = ConvexHull(u)
    return [
        u[s] for s, eq in zip(hull.simplices, hull.equations, strict=True) if (eq[:2] > 0).all()
    ]


def test_distances_and_nash_product_against_a_brute_force_frontier():
    """Generated worlds and the two-issue logroll of ns.solutions.nash's example (Nash at
    (0.6, 0.7); frontier (0, 1) - (0.6, 0.7) - (1, 0)): every play's distance to the frontier
    is the brute-force one; two hardliners left at (0, 0) there are 0.7 / sqrt(0.65) from it
    (the nearest point lies on the edge 0.7 u_A + 0.4 u_B = 0.7). The Nash product of an
    outcome is prod (u_i - d_i)^+ with d = reservation + m, and never above the Nash point's."""
    logroll = bilateral([[100, 100], [0, 0]], [[40, 60], [70, 30]], (0, 0), rounds=30)
    worlds = [logroll] + [ns.generate(2, 3, seed=20 + k, rounds=30) for k in range(3)]
    field = ["boulware", "trade_off", "hardliner"]
    result = ns.tournament(field, worlds, runs=1, seed=0)
    stuck = play(result, "hardliner", "hardliner", "A", "bilateral")
    assert stuck.pareto_distance == pytest.approx(0.7 / np.sqrt(0.65), abs=1e-12)
    assert stuck.nash_distance == pytest.approx(np.hypot(0.6, 0.7), abs=1e-9)
    checked = 0
    for sc in worlds:
        pair = list(sc.actors)
        edges = pareto_edges(sc, pair)
        d = sc.reservation + M
        best = ns.solutions.nash(sc).utility
        ks = ns.solutions.kalai_smorodinsky(sc).utility
        for row in result.plays[result.plays.scenario == sc.id].itertuples(index=False):
            mine = row.utility
            u = np.array([mine, row.joint_utility - mine])[:: 1 if row.seat == pair[0] else -1]
            far = min(segment_distance(u, a, b) for a, b in edges)
            assert row.pareto_distance == pytest.approx(far, abs=1e-9)
            assert row.nash_distance == pytest.approx(np.hypot(*(u - best)), abs=1e-9)
            assert row.ks_distance == pytest.approx(np.hypot(*(u - ks)), abs=1e-9)
            product = row.agreed * np.prod(np.maximum(u - d, 0))
            assert row.nash_product == pytest.approx(product, abs=1e-12)
            assert row.nash_product <= np.prod(best - d) + 1e-12
            checked += 1
    assert checked == len(worlds) * 2 * len(field) ** 2
    assert (result.plays.pareto_distance > 1e-3).sum() >= 10  # not only points on it


def test_information_settings_are_checked(capsys):
    from negosim.analysis.tournaments import INFORMATION

    assert INFORMATION == ("complete", "learned")
    for argv, said in [
        (["--information", "full"], "--information: must be one of complete, learned, got 'full'"),
        (["--information", "learned", "learned"], "--information learned: given twice"),
        (["--scenario", "package_2007", "--uncertainty", "0.2"], "--uncertainty: applies to"),
        (["--opponent-model", "bayesian"], "--opponent-model: only --information learned"),
        (["--uncertainty", "2"], "--uncertainty: must be"),
    ]:
        assert cli(["tournament", *argv, "--no-progress"]) == 2
        assert capsys.readouterr().err.startswith(f"negosim: error: {said}")
    sc = ns.generate(2, 1, seed=3)
    known = "known: complete, learned"
    for bad, said in [
        ("full", rf"^information: unknown information setting 'full'; {known}"),
        (["complete", "complete"], r"^information: each setting once"),
        ([], r"^information: must be one of complete, learned or a sequence"),
        (["complete", 1], rf"^information\[1\]: unknown information setting 1; {known}"),
    ]:
        with pytest.raises(ns.ArgumentError, match=said):
            ns.tournament(["boulware"], sc, runs=1, information=bad)
    result = ns.tournament(["boulware", "conceder"], sc, runs=1, information=["complete"])
    assert result.information == ("complete",)
    with pytest.raises(ns.ArgumentError, match=r"^information: must be one of complete, got"):
        result.pairwise(information="learned")
    with pytest.raises(ns.ArgumentError, match=r"^metric: must be one of utility, agreed"):
        result.by_information("welfare")
    side = result.by_information()
    assert list(side.columns) == ["strategy", "complete", "complete_low", "complete_high"]


def test_two_settings_side_by_side_with_paired_world_differences(monkeypatch, tmp_path, capsys):
    """A stand-in for the learned setting takes delta_k = 0.05 + 0.01 k from every utility of
    generated world k: each strategy's complete - learned is then delta_k in world k, so its
    mean and interval are the one-sample t interval of the deltas (scipy), which the
    world-to-world spread of the utilities does not widen; the complete rows are those of a
    tournament under complete information alone."""
    import dataclasses

    import matplotlib

    from negosim.analysis import tournaments

    matplotlib.use("Agg")
    real, told = tournaments.simulate, []

    def learned_by_hand(scenario, *args, information="complete", **options):
        told.append(information)
        res = real(scenario, *args, **options)
        if information == "complete":
            return res
        k = int(scenario.id.rsplit("_", 1)[1])
        return dataclasses.replace(res, utility=res.utility - (0.05 + 0.01 * k))

    monkeypatch.setattr(tournaments, "simulate", learned_by_hand)
    worlds = [ns.generate(2, 2, seed=k) for k in range(4)]
    pair = ["boulware", "conceder"]
    both = ns.tournament(pair, worlds, runs=2, seed=0, information=("complete", "learned"))
    alone = ns.tournament(pair, worlds, runs=2, seed=0)
    assert told.count("learned") == told.count("complete") // 2 == 4 * 2 * 2 * 2
    board = both.leaderboard
    assert list(board["information"]) == ["complete"] * 2 + ["learned"] * 2
    complete = board[board["information"] == "complete"]
    pd.testing.assert_frame_equal(complete, alone.leaderboard)
    delta = 0.05 + 0.01 * np.arange(4)
    ci = stats.ttest_1samp(delta, 0).confidence_interval(0.95)
    side = both.by_information()
    assert list(side["strategy"]) == list(complete["strategy"])
    np.testing.assert_allclose(side["complete"] - side["learned"], delta.mean(), atol=1e-12)
    np.testing.assert_allclose(side["difference"], delta.mean(), atol=1e-12)
    np.testing.assert_allclose(side["difference_low"], ci.low, atol=1e-12)
    np.testing.assert_allclose(side["difference_high"], ci.high, atol=1e-12)
    assert (side["worlds"] == 4).all()
    paired = side["difference_high"] - side["difference_low"]
    assert (side["learned_high"] - side["learned_low"] > 3 * paired).all()  # the spread cancels
    gap = both.pairwise() - both.pairwise(information="learned")
    np.testing.assert_allclose(gap.to_numpy(), delta.mean(), atol=1e-12)

    text = repr(both)
    assert "information: complete, learned" in text.splitlines()[0]
    header = text.splitlines()[1]
    for column in ("utility complete", "utility learned", "complete - learned", "agreed learned"):
        assert column in header
    assert f"+{delta.mean():.3f}" in text.splitlines()[2] and "paired per-world" in text
    html = both._repr_html_()
    assert "utility learned" in html and html.split("<tbody>")[1].count("<tr>") == 2

    fig = ns.plot.leaderboard(both)
    fig.savefig(tmp_path / "both.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "complete information",
        "learned information",
    ]
    assert [t.get_text().split(". ", 1)[1] for t in ax.get_yticklabels()] == list(
        complete["strategy"][::-1]
    )
    assert "complete vs learned" in ax.get_title()
    assert len(ax.texts) == 4  # each setting's value beside each strategy

    argv = ["tournament", "--strategies", *pair, "--generate", "2", "--runs", "1"]
    assert cli([*argv, "--information", "complete", "learned", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "information" in out.splitlines()[0] and "learned" in out
    table = out.split("own utility by setting; difference = complete - learned")[1]
    assert "difference_low" in table and f"{(0.05 + 0.06) / 2:.3f}" in table


def test_metrics_where_the_solutions_do_not_apply():
    """No package beats no deal by the margin for both (reservations 0.8, ideals 60 apart):
    no Nash or Kalai-Smorodinsky point, so their distances are NaN and drop out of the means,
    while the frontier still stands: no deal, (0.8, 0.8), lies beyond u_A + u_B = 1.4, at
    0.2 / sqrt(2) from it (the foot, (0.7, 0.7), on the segment). Three negotiators: no
    two-party frontier (NaN), Nash still solved. Quadratic loss: the solutions are exact for
    linear loss only (NaN)."""
    apart = bilateral([[80], [20]], [[1], [1]], (0.8, 0.8), rounds=10)
    three = ns.generate(3, 2, seed=4, rounds=10)
    doc = ns.generate(2, 2, seed=5, rounds=10).to_dict()
    curved = ns.Scenario.from_dict({**doc, "scenario": {**doc["scenario"], "loss": "quadratic"}})
    result = ns.tournament(["conceder"], [apart, three, curved], runs=1, seed=0)
    plays = result.plays.set_index("scenario")
    assert ns.solutions.nash(apart) is None and ns.solutions.nash(three) is not None
    no_deal = plays.loc[["bilateral"]]
    assert no_deal[["nash_distance", "ks_distance"]].isna().all().all()
    np.testing.assert_allclose(no_deal.pareto_distance, (1.6 - 1.4) / np.sqrt(2))  # beyond it
    assert (no_deal.nash_product == 0).all() and (no_deal.agreed == 0).all()
    trio = plays.loc[[three.id]]
    assert len(trio) == 3 and trio.pareto_distance.isna().all()
    assert trio.nash_distance.notna().all()
    bent = plays.loc[[curved.id]]
    assert bent[["pareto_distance", "nash_distance", "ks_distance"]].isna().all().all()
    assert bent.nash_product.notna().all()
    board = result.leaderboard.set_index("strategy")
    assert board.loc["conceder", "nash_distance"] == pytest.approx(trio.nash_distance.mean())


def test_learned_information_moves_the_strategies_that_read_the_opponent(capsys):
    """Three generated worlds whose numbers are private (uncertainty 0.3: each run draws the
    true numbers, the others believe the generated ones): trade_off concedes along its
    believed logroll, so its utility moves with the setting; two hardliners read nothing of
    the other and play the same talks under both. The complete rows are those of a
    tournament under complete information alone, number for number; the difference and its
    interval are the t interval of the per-world differences of the focal utility, each
    world's mean taken over its pairings and seats by calling simulate directly."""
    worlds = [ns.generate(2, 3, seed=k, uncertainty=0.3) for k in range(3)]
    pair = ["trade_off", "hardliner"]
    both = ns.tournament(pair, worlds, runs=5, seed=2, information=("complete", "learned"))
    alone = ns.tournament(pair, worlds, runs=5, seed=2)
    board = both.leaderboard
    pd.testing.assert_frame_equal(board[board["information"] == "complete"], alone.leaderboard)
    keys = ["strategy", "opponent", "scenario", "seat", "information"]
    plays = both.plays.set_index(keys).sort_index()
    utility = plays["utility"].unstack("information")
    assert (utility.loc["trade_off"]["complete"] != utility.loc["trade_off"]["learned"]).any()
    stubborn = plays.loc[("hardliner", "hardliner")].drop(columns="runs").unstack("information")
    for metric in ("utility", "agreed", "rounds", "nash_distance"):
        np.testing.assert_array_equal(stubborn[metric]["complete"], stubborn[metric]["learned"])

    gaps = np.zeros((3, 5))  # world (scenario, run) -> complete - learned, summed over plays
    for k, sc in enumerate(worlds):
        for seat, other in (("a0", "a1"), ("a1", "a0")):
            for opponent in pair:
                mine = {seat: "trade_off", other: opponent}
                got = {
                    s: ns.simulate(sc, 5, seed=2, strategies=mine, information=s).utility
                    for s in ("complete", "learned")
                }
                gaps[k] += got["complete"][:, sc.actor_index(seat)]
                gaps[k] -= got["learned"][:, sc.actor_index(seat)]
    per_world = gaps.ravel() / 4
    ci = stats.ttest_1samp(per_world, 0).confidence_interval(0.95)
    side = both.by_information().set_index("strategy")
    row = side.loc["trade_off"]
    assert row["worlds"] == 15
    assert row["difference"] == pytest.approx(per_world.mean(), abs=1e-12)
    assert row["difference"] == pytest.approx(row["complete"] - row["learned"], abs=1e-12)
    assert (row["difference_low"], row["difference_high"]) == pytest.approx(
        (ci.low, ci.high), abs=1e-12
    )
    # the command line: private generated worlds, both settings, the Bayesian model named
    argv = ["tournament", "--strategies", *pair, "--generate", "3", "--uncertainty", "0.3"]
    argv += ["--runs", "5", "--seed", "0", "--information", "complete", "learned"]
    assert cli([*argv, "--opponent-model", "bayesian", "--no-progress"]) == 0
    out = capsys.readouterr().out
    printed = out.split("over the paired worlds:")[1].splitlines()
    assert printed[3].split()[:2] == ["1", "trade_off"] and printed[4].split()[7] == "15"


def test_paired_difference_of_a_metric_counted_unequally_weighs_the_mean_count():
    """agreement_round is observed in the agreed talks only, so a world's count differs
    between the settings wherever agreement does (three-actor generated worlds with private
    numbers, uncertainty 0.4, where trade_off's beliefs change which talks agree). By the rule
    of docs/strategies.md ("Complete and learned information") and by_information's
    docstring, from simulate called directly: in world g (one run of a scenario), T_s,g sums
    the rounds of agreement of trade_off's agreed talks over its pairings and seats under
    setting s and N_s,g counts them; D_g = T_c,g / N_c,g - T_l,g / N_l,g over the worlds with
    both counts, weighing N_g = (N_c,g + N_l,g) / 2; the mean is sum D_g N_g / sum N_g, the
    interval mean +- t(0.975, G - 1) se with se = sqrt(G / (G - 1) sum (D_g N_g - mean N_g)^2)
    / sum N_g. Weighing by N_c,g or by min(N_c,g, N_l,g) gives other numbers here."""
    worlds = [ns.generate(3, 3, seed=k, uncertainty=0.4, rounds=30) for k in range(3)]
    pair, runs, seed = ["trade_off", "hard_headed"], 4, 1
    settings = ("complete", "learned")
    result = ns.tournament(pair, worlds, runs=runs, seed=seed, information=settings)
    totals = {s: np.zeros((len(worlds), runs)) for s in settings}
    counts = {s: np.zeros((len(worlds), runs)) for s in settings}
    for k, sc in enumerate(worlds):
        for seat, opponent, s in itertools.product(sc.actors, pair, settings):
            mine = dict.fromkeys(sc.actors, opponent) | {seat: "trade_off"}
            res = ns.simulate(sc, runs, seed=seed, strategies=mine, information=s)
            totals[s][k] += np.where(res.agreed, res.rounds, 0)
            counts[s][k] += res.agreed
    t_c, t_l = (totals[s].ravel() for s in settings)
    n_c, n_l = (counts[s].ravel() for s in settings)
    assert (n_c != n_l).sum() >= 4  # the counts differ between the settings
    both = (n_c > 0) & (n_l > 0)
    d = t_c[both] / n_c[both] - t_l[both] / n_l[both]

    def paired(weight):
        g = len(weight)
        mean = (d * weight).sum() / weight.sum()
        se = np.sqrt(g / (g - 1) * ((d * weight - mean * weight) ** 2).sum()) / weight.sum()
        half = stats.t.ppf(0.975, g - 1) * se
        return mean, mean - half, mean + half

    expected = paired((n_c[both] + n_l[both]) / 2)
    for other in (n_c[both], np.minimum(n_c[both], n_l[both])):
        assert not np.allclose(paired(other), expected, rtol=0, atol=1e-6)
    row = result.by_information("agreement_round").set_index("strategy").loc["trade_off"]
    assert row["worlds"] == both.sum() == len(worlds) * runs
    got = (row["difference"], row["difference_low"], row["difference_high"])
    assert got == pytest.approx(expected, abs=1e-12)
    # each setting's own mean is sum T / sum N: the difference of the means is another number
    assert row["complete"] == pytest.approx(t_c.sum() / n_c.sum(), abs=1e-12)
    assert row["learned"] == pytest.approx(t_l.sum() / n_l.sum(), abs=1e-12)
    assert abs(row["difference"] - (row["complete"] - row["learned"])) > 0.01
