"""The discrete domains on the command line and in the analysis layer (issue 29):
``negosim run FOLDER`` (a Monte Carlo of GENIUS's time-dependent tactics, its summary and the
exact solutions), ``negosim tournament --domains DIR`` and the ANAC metrics behind both.

Every expected number is worked out here from the fixtures' hand-computed utilities
(tests/test_domains.py) and the formulas of docs/domains.md and negosim.analysis.domains; none
is taken from the code's output.
"""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_domains import DATA, LUNCH, LUNCH_UTILITIES, TRIO_UTILITIES

from negosim import plot
from negosim.analysis import domains
from negosim.cli import main as cli
from negosim.engine.discrete import negotiate, outcome_space
from negosim.io import read_domain

RESERVATION = {"alice": 0.25, "bob": 0.0}  # lunch: alice r = .25, d = .5; bob r = 0, d = 1
DELTA = {"alice": 0.5, "bob": 1.0}
BAD = sorted(p for p in (DATA / "bad").iterdir() if p.is_dir())


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("negosim: error: ") and err.count("\n") == 1, err
    return err


def brute_solutions(table: dict, reservation: tuple[float, ...]):
    """Pareto set, Nash, Kalai-Smorodinsky and maximum-welfare outcomes of a utilities table
    by the definitions, one outcome at a time (ties: the first in the table's order, which is
    the enumeration's)."""
    points = list(table.items())
    r = np.array(reservation)

    def dominated(u):
        return any(all(v >= u) and any(v > u) for _, v in ((k, np.array(w)) for k, w in points))

    pareto = {k for k, u in points if not dominated(np.array(u))}
    rational = [(k, np.array(u)) for k, u in points if all(np.array(u) > r)]
    nash = max(rational, key=lambda item: math.prod(item[1] - r))[0]
    ideal = np.max([u for _, u in rational], axis=0)
    ks = max(
        rational,
        key=lambda item: (min((item[1] - r) / (ideal - r)), sum((item[1] - r) / (ideal - r))),
    )[0]
    welfare = max(points, key=lambda item: sum(item[1]))[0]
    return pareto, nash, ks, welfare


# ----------------------------------------------------------------------------- negosim run


def test_run_a_genius_folder_prints_the_summary_and_exact_solutions(capsys):
    assert cli(["run", str(LUNCH), "--runs", "200", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    pareto, nash, ks, welfare = brute_solutions(LUNCH_UTILITIES, (0.25, 0.0))
    assert nash == ("pizza", "2", "inside") and welfare == ("pizza", "3", "inside")
    plural = "" if len(pareto) == 1 else "s"
    assert f"Pareto frontier: {len(pareto)} outcome{plural}" in out
    assert "Nash: food=pizza, price=2, place=inside  (0.688, 0.900)" in out
    k = dict(zip(("food", "price", "place"), ks, strict=True))
    assert f"Kalai-Smorodinsky: food={k['food']}, price={k['price']}, place={k['place']}" in out
    assert "maximum welfare: food=pizza, price=3, place=inside  (0.625, 1.000)" in out
    assert "runs: 200   agreement:" in out and "lunch: alice, bob on 24 outcomes" in out


def test_hardliners_never_agree_and_get_their_reservation_discounted_at_the_deadline(capsys):
    argv = ["run", str(LUNCH), "--runs", "3", "--strategy", "alice=hardliner"]
    assert cli([*argv, "--strategy", "bob=hardliner"]) == 0
    out = capsys.readouterr().out
    # no deal: r_i * d_i ** 1 -> alice .25 * .5 = .125, bob 0
    assert "agreement: 0.0%" in out
    assert (
        "mean utility (discounted; the reservation without a deal): alice 0.125, bob 0.000" in out
    )


def test_the_table_of_runs_holds_the_anac_metrics_by_their_formulas(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    argv = ["run", str(LUNCH), "--runs", "300", "--seed", "9", "--out", str(out)]
    assert cli([*argv, "--strategy", "bob=conceder"]) == 0
    table = pd.read_csv(out)
    assert len(table) == 300 and table["agreed"].all()
    pareto, nash, ks, _ = brute_solutions(LUNCH_UTILITIES, (0.25, 0.0))
    front = np.array([LUNCH_UTILITIES[k] for k in pareto])
    r = np.array([0.25, 0.0])
    for row in table.to_dict("records"):
        deal = (row["outcome.food"], str(row["outcome.price"]), row["outcome.place"])
        u = np.array(LUNCH_UTILITIES[deal])
        t = row["time"]
        assert row["agreement_time"] == t
        got = (row["utility.alice"], row["utility.bob"])
        assert got == pytest.approx((u[0] * 0.5**t, u[1]), abs=1e-12)  # u_i d_i ** t
        assert row["welfare"] == pytest.approx(u[0] * 0.5**t + u[1], abs=1e-12)
        assert row["pareto_distance"] == pytest.approx(np.linalg.norm(front - u, axis=1).min())
        assert row["nash_distance"] == pytest.approx(np.linalg.norm(u - LUNCH_UTILITIES[nash]))
        assert row["ks_distance"] == pytest.approx(np.linalg.norm(u - LUNCH_UTILITIES[ks]))
        assert row["nash_product"] == pytest.approx(np.prod(u - r), abs=1e-12)
    assert list(table.columns[:4]) == ["run", "agreed", "rounds", "time"]


def test_a_party_without_a_tactic_draws_e_log_uniformly_from_the_seed():
    space = outcome_space(read_domain(LUNCH))
    res = domains.monte_carlo(space, 50, 11, tactics={"bob": "linear"})
    drawn = np.exp(np.random.default_rng(11).uniform(np.log(0.1), np.log(10.0), 50))
    assert res.e[:, 0] == pytest.approx(drawn, rel=1e-12) and (res.e[:, 1] == 1.0).all()
    same = negotiate(space, [drawn, 1.0])
    assert (same.outcome == res.outcome).all() and (same.rounds == res.rounds).all()


def test_three_parties_and_a_chosen_pair(capsys):
    folder = str(DATA / "genius" / "trio")
    assert cli(["run", folder, "--runs", "20", "--parties", "party3,party1"]) == 0
    out = capsys.readouterr().out
    assert "meeting: party3, party1 on 6 outcomes" in out
    table = {k: (v[2], v[0]) for k, v in TRIO_UTILITIES.items()}
    _, nash, _, _ = brute_solutions(table, (0.0, 0.4375))  # party1's r .4375
    assert f"Nash: day={nash[0]}, room={nash[1]}" in out
    assert cli(["run", folder, "--runs", "20"]) == 0
    assert "party1, party2, party3 on 6 outcomes" in capsys.readouterr().out


def test_solution_protocols_give_the_exact_outcome(capsys):
    _, nash, ks, welfare = brute_solutions(LUNCH_UTILITIES, (0.25, 0.0))
    for protocol, expected in (("nash", nash), ("kalai_smorodinsky", ks), ("utilitarian", welfare)):
        assert cli(["run", str(LUNCH), "--protocol", protocol]) == 0
        out = capsys.readouterr().out
        assert f"food = {expected[0]}\n  price = {expected[1]}\n  place = {expected[2]}" in out


def test_a_figure_of_the_outcomes(tmp_path, capsys):
    plot = tmp_path / "lunch.png"
    assert cli(["run", str(LUNCH), "--runs", "50", "--plot", str(plot)]) == 0
    assert plot.stat().st_size > 1000


@pytest.mark.parametrize("folder", BAD, ids=lambda p: p.name)
def test_a_bad_folder_is_one_line_naming_the_file(folder, capsys):
    assert cli(["run", str(folder), "--runs", "5"]) == 2
    err = one_error_line(capsys)
    assert str(folder) in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--protocol", "mediated"], "--protocol mediated: not for discrete issues"),
        (["--protocol", "exchange"], "--protocol exchange: not for discrete issues"),
        (["--protocol", "nash", "--out", "x.csv"], "--out: the solution protocol nash"),
        (["--set", "alice.power=3"], "--set: not for a domain"),
        (["--chunk-size", "10"], "--chunk-size: not for a domain"),
        (["--arithmetic", "decimal"], "--arithmetic: not for a domain"),
        (["--runs", "0"], "--runs: a domain needs at least 1 run"),
        (["--strategy", "carol=boulware"], "--strategy carol=boulware: no such negotiating"),
        (["--strategy", "alice=tit_for_tat"], "not a time-dependent tactic"),
        (["--strategy", "alice=time_dependent"], "give its exponent"),
        (["--parties", "alice,carol"], "no profile 'carol'"),
        (["--out", str(LUNCH / "runs.json")], "lies inside the domain folder"),
    ],
)
def test_options_that_mean_nothing_on_a_domain_are_refused(extra, words, capsys, tmp_path):
    assert cli(["run", str(LUNCH), "--runs", "5", *extra]) == 2
    assert words in one_error_line(capsys)
    assert not (LUNCH / "runs.json").exists()


def test_parties_are_for_domains_only(capsys):
    assert cli(["run", "package_2007", "--parties", "a,b"]) == 2
    assert "--parties: for a domain" in one_error_line(capsys)


def test_tactic_specs():
    assert [domains.tactic(s) for s in ("hardliner", "boulware", "linear", "conceder")] == [
        0.0,
        0.2,
        1.0,
        2.0,
    ]
    assert domains.tactic("boulware:e=0.1") == 0.1 and domains.tactic("time_dependent:e=4") == 4
    for bad in ("tit_for_tat", "boulware:e=-1", "linear:e=x", -0.5, float("nan")):
        with pytest.raises(ValueError, match=r"tactic|e must|not a number"):
            domains.tactic(bad)


# ----------------------------------------------------------------------------- tournaments


@pytest.fixture
def tree(tmp_path):
    """A directory tree of domain folders at several depths, and one that cannot be played."""
    root = tmp_path / "anac"
    for source, target in (
        ("genius/lunch", "y2010/lunch"),
        ("genius/trio", "y2015/deep/meeting"),
        ("geniusweb/picnic", "anl/picnic"),
        ("bad/nonlinear_profile", "y2014/nonlinear"),
    ):
        shutil.copytree(DATA / source, root / target)
    return root


def test_the_tournament_plays_every_profile_pair_in_both_seat_orders(tree):
    field = ["hardliner", "boulware", "conceder:e=3"]
    res = domains.domain_tournament(tree, field)
    assert [Path(f).name for f, _ in res.skipped] == ["nonlinear"]
    plays = res.plays
    # lunch 1 pair, meeting 3 pairs, picnic 1 pair: 5 units; each: 2 orders x 9 matchups x 2 seats
    assert plays["unit"].nunique() == 5 and len(plays) == 5 * 2 * 9 * 2
    assert set(plays.groupby("unit")["order"].nunique()) == {2}
    assert (res.leaderboard["units"] == 5).all() and (res.leaderboard["plays"] == 5 * 4 * 3).all()
    exps = {"hardliner": 0.0, "boulware": 0.2, "conceder:e=3": 3.0}
    for domain in (read_domain(tree / "y2010/lunch"), read_domain(tree / "y2015/deep/meeting")):
        space = outcome_space(domain)
        for order in itertools.permutations(range(len(domain.profiles)), 2):
            names = "-".join(domain.profiles[p].name for p in order)
            for mine, theirs in itertools.product(field, field):
                one = negotiate(space, [exps[mine], exps[theirs]], parties=order)  # one by one
                row = plays[
                    (plays["domain"] == domain.name)
                    & (plays["order"] == names)
                    & (plays["strategy"] == mine)
                    & (plays["opponent"] == theirs)
                    & (plays["seat"] == 0)
                ]
                assert len(row) == 1
                assert row["utility"].item() == one.utility[0, 0]
                assert row["agreed"].item() == float(one.agreed[0])


def test_the_leaderboard_is_the_t_interval_of_the_unit_means(tree):
    res = domains.domain_tournament(tree, ["boulware", "linear", "conceder"])
    for row in res.leaderboard.to_dict("records"):
        mine = res.plays[res.plays["strategy"] == row["strategy"]]
        for metric in ("utility", "agreed", "welfare", "nash_product"):  # every play counts
            means = mine.groupby("unit")[metric].mean().to_numpy()
            n = means.size
            half = stats.t.ppf(0.975, n - 1) * means.std(ddof=1) / math.sqrt(n)
            assert row[metric] == pytest.approx(means.mean(), abs=1e-12)
            assert row[f"{metric}_low"] == pytest.approx(means.mean() - half, abs=1e-9)
            assert row[f"{metric}_high"] == pytest.approx(means.mean() + half, abs=1e-9)
        agreed = mine[mine["agreed"] == 1.0]
        assert row["nash_distance"] == pytest.approx(agreed["nash_distance"].mean(), abs=1e-12)
    board = res.leaderboard
    assert list(board["utility"]) == sorted(board["utility"], reverse=True)


def test_hardliners_against_each_other_never_agree(tree):
    res = domains.domain_tournament(read_domain(tree / "y2010/lunch"), ["hardliner"])
    row = res.leaderboard.iloc[0]
    # no deal: each gets r_i d_i ** 1: alice .125, bob 0 -> mean .0625; Nash product 0
    assert row["agreed"] == 0 and row["utility"] == pytest.approx(0.0625)
    assert row["nash_product"] == 0 and math.isnan(row["pareto_distance"])


def test_tournament_on_the_command_line(tree, tmp_path, capsys):
    out = tmp_path / "board.csv"
    argv = ["tournament", "--domains", str(tree), "--strategies", "boulware", "linear"]
    assert cli([*argv, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "3 domains, 5 independent units (domain x profile pair)" in captured.out
    assert "skipped" in captured.err and "nonlinear" in captured.err
    board = pd.read_csv(out)
    assert list(board["strategy"]) == list(
        domains.domain_tournament(tree, ["boulware", "linear"]).leaderboard["strategy"]
    )


def test_the_leaderboard_figure_names_the_units_of_a_domain_tournament(tree):
    """The figure's note: the intervals are over the domain x profile pairs (5 here), not
    over worlds whose identical runs count once (a scenario tournament's note)."""
    board = domains.domain_tournament(tree, ["boulware", "linear"]).leaderboard
    fig = plot.leaderboard(board)
    title = fig.axes[0].get_title()
    plt.close(fig)
    assert "95% intervals over 5 independent units, domain x profile pair" in title
    assert "a strategy's plays in one unit are one cluster" in title
    assert "identical runs" not in title and "worlds" not in title


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--scenario", "package_2007"], "--scenario: not with --domains"),
        (["--generate", "3"], "--generate: not with --domains"),
        (["--protocol", "mediated"], "--protocol mediated: not with --domains"),
        (["--strategies", "tit_for_tat"], "not a time-dependent tactic"),
    ],
)
def test_tournament_refusals(tree, extra, words, capsys):
    assert cli(["tournament", "--domains", str(tree), *extra]) == 2
    assert words in one_error_line(capsys)


def test_tournament_needs_a_folder(tmp_path, capsys):
    assert cli(["tournament", "--domains", str(tmp_path / "none")]) == 2
    assert "is not a folder" in one_error_line(capsys)
    (tmp_path / "empty").mkdir()
    assert cli(["tournament", "--domains", str(tmp_path / "empty")]) == 2
    assert "no readable domain" in one_error_line(capsys)


def test_a_tactic_exponent_too_close_to_0_is_refused_on_domains_too(capsys):
    """The scenarios' rule (a parameter is 0 or at least 1e-100 in size, so 1 / e stays a
    normal float) holds for the discrete engine's tactics as well."""
    from negosim.analysis import domains
    from negosim.model.errors import ArgumentError

    with pytest.raises(ArgumentError, match="parameter e: must be 0 or at least 1e-100"):
        domains.strategy("boulware:e=1e-320")
    assert domains.strategy("hardliner") == (0.0, "none")  # 0 itself stays allowed
