"""Sweeps, sensitivity and timelines, from Python and from the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import negosim as ns
from negosim.cli import main as cli

MEDIATED = {"protocol": "mediated", "strategies": {"Russia": "conceder"}}


def test_sweep_points_are_fixed_monte_carlos(package):
    table = ns.sweep(
        package, {"Russia.salience.kosovo_status": [40, 80]}, runs=400, seed=2, **MEDIATED
    )
    assert list(table["Russia.salience.kosovo_status"]) == [40, 80]
    # the point 80, built by hand (not with Scenario.fix, which sweep uses): the number set,
    # its [[uncertainty]] entry gone, every other draw as in the sweep
    data = package.to_dict()
    russia = data["actors"][package.actor_index("Russia")]
    russia["salience"]["kosovo_status"] = 80
    russia["confidence"]["salience"]["kosovo_status"] = "A"  # no longer an estimate
    data["uncertainty"] = [
        u for u in data["uncertainty"] if u["target"] != "Russia.salience.kosovo_status"
    ]
    direct = ns.simulate(ns.Scenario.from_dict(data), 400, seed=2, **MEDIATED)
    assert table.loc[1, "agreement"] == direct.agreement_rate
    # the what-if answers: the two Monte Carlos (same seed, same other draws) differ
    columns = ["agreement", "outcome.kosovo_status", "move.kosovo_udi"]
    assert not np.allclose(table.loc[0, columns], table.loc[1, columns])


def test_sweep_grid_is_cartesian_and_checks_targets(package):
    grid = {"Russia.salience.cfe": [50, 90], "US.power": [80, 120]}
    table = ns.sweep(package, grid, runs=20, seed=1)
    assert len(table) == 4 and set(map(tuple, table[list(grid)].to_numpy())) == {
        (50, 80),
        (50, 120),
        (90, 80),
        (90, 120),
    }
    with pytest.raises(KeyError, match="did you mean 'Russia'"):
        ns.sweep(package, {"Rusia.power": [1]}, runs=2)


def test_sensitivity_ranks_inputs_and_swings(package):
    table = ns.sensitivity(package, runs=400, seed=1, top=3, **MEDIATED)
    assert "Russia.salience.kosovo_status" in table.index  # the explicit [[uncertainty]] entry
    assert len(table) >= 3
    assert np.all(table["low"] <= table["high"])
    assert {"swing", "rho.agreement", "swing.cfe", "rho.cfe"} <= set(table.columns)
    swings = table["swing"].abs().to_numpy()
    assert np.all(swings[:-1] >= swings[1:] - 1e-12)  # sorted, largest first
    # one swing, recomputed: the input at its 5% and 95% sampled values, set by hand
    target = "Russia.salience.kosovo_status"
    sampled = ns.sample(package, 400, seed=1)
    k, i = package.actor_index("Russia"), package.issue_index("kosovo_status")
    low, high = np.quantile(sampled.salience[:, k, i], [0.05, 0.95])
    rate = {}
    for name, value in (("low", low), ("high", high)):
        data = package.to_dict()
        data["actors"][k]["salience"]["kosovo_status"] = float(value)
        data["actors"][k]["confidence"]["salience"]["kosovo_status"] = "A"
        data["uncertainty"] = [u for u in data["uncertainty"] if u["target"] != target]
        sc = ns.Scenario.from_dict(data)
        rate[name] = ns.simulate(sc, 400, seed=1, **MEDIATED).agreement_rate
    assert table.loc[target, "swing"] == pytest.approx(rate["high"] - rate["low"])


def test_timeline_has_one_row_per_date(package):
    table = ns.timeline(package, runs=300, seed=1, **MEDIATED)
    assert [d.date().isoformat() for d in table["date"]] == [
        "2007-10-19",
        "2007-11-21",
        "2007-12-03",
        "2007-12-12",
    ]
    # from 12 Dec the suspension has been made in every run: cfe sits at its sampled value
    # (triangular 5..35) and the talks go on from 54/73 of the window, not from round 0, so
    # every agreed run agrees in round ceil(54/73 * 59) = 44 or later (the mean round is over
    # the agreed runs: some must agree for it to say anything)
    last = table.iloc[-1]
    assert last["move.russia_suspends_cfe"] == 1.0 and 5 <= last["q05.cfe"] <= last["q95.cfe"] <= 35
    assert last["agreement"] > 0
    assert last["mean_agreement_round"] >= np.ceil(54 / 73 * (package.rounds - 1))


@pytest.mark.parametrize(
    "command",
    [
        ["sweep", "--param", "Russia.salience.kosovo_status=40,80"],
        ["sensitivity", "--top", "2"],
        ["timeline"],
    ],
    ids=["sweep", "sensitivity", "timeline"],
)
def test_cli_what_ifs_write_a_table_and_a_figure(tmp_path, capsys, command):
    csv, png = tmp_path / "t.csv", tmp_path / "f.png"
    args = [
        command[0],
        "package_2007",
        "--runs",
        "200",
        "--protocol",
        "mediated",
        "--strategy",
        "Russia=conceder",
        "--out",
        str(csv),
        "--plot",
        str(png),
        "--no-progress",
        *command[1:],
    ]
    assert cli(args) == 0
    assert "figure saved" in capsys.readouterr().out
    assert png.read_bytes()[:4] == b"\x89PNG" and len(pd.read_csv(csv)) >= 1


def test_cli_sweep_bad_parameter_exits_2(capsys):
    assert cli(["sweep", "package_2007", "--param", "Russia.salinece.cfe=1,2", "--runs", "2"]) == 2
    assert "did you mean 'salience'" in capsys.readouterr().err


def test_what_ifs_answer_on_the_flagship_under_its_default_protocol(package, capsys):
    # The README's sweep: Russia's salience of Kosovo changes how the runs end, tested over
    # independent sampled worlds (Fisher's exact test on the agreed / not agreed counts).
    from scipy.stats import fisher_exact

    low = ns.simulate(package.fix("Russia.salience.kosovo_status", 40), 1500, seed=7)
    high = ns.simulate(package.fix("Russia.salience.kosovo_status", 80), 1500, seed=7)
    counts = [[r.agreed.sum(), (~r.agreed).sum()] for r in (low, high)]
    assert fisher_exact(counts).pvalue < 1e-3
    # and the sensitivity analysis finds inputs that matter (a non-zero swing for at least 3)
    assert cli(["sensitivity", "package_2007", "--runs", "300", "--top", "4", "--no-progress"]) == 0
    table = ns.sensitivity(package, runs=300, seed=0, top=4)
    assert (table["swing"].abs() > 0).sum() >= 3
    capsys.readouterr()
