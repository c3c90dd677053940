"""The notebooks print no warning and nothing on stderr in any output cell, and they print
the numbers they are committed with (nbmake runs them too, for errors; this run reads what
each cell printed)."""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import negosim as ns

FOLDER = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
_spec = importlib.util.spec_from_file_location("execute_notebooks", FOLDER / "execute.py")
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def printed(cell) -> str:
    """What a code cell shows as text: streams, and the plain text of results and displays."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return ADDRESS.sub("", "".join("".join(p) if isinstance(p, list) else p for p in parts))


def numbers(text: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(text)]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_print_their_committed_numbers_and_no_warning(path, monkeypatch):
    committed = nbformat.read(path, as_version=4)
    code = [c for c in committed.cells if c.cell_type == "code"]
    ran = [c.get("execution_count") is not None for c in code if c.source.strip()]
    assert all(ran) and any(c.get("outputs") for c in code), (
        f"{path.name} is committed without its outputs: run notebooks/execute.py"
    )
    notebook = execute_notebooks.execute(path)
    warned = [
        (k, out.get("text", ""))
        for k, cell in enumerate(notebook.cells)
        for out in cell.get("outputs", [])
        if out.get("name") == "stderr" or "Warning" in out.get("text", "")
    ]
    assert not warned, warned
    for k, (old, new) in enumerate(zip(committed.cells, notebook.cells, strict=True)):
        if old.cell_type != "code" or "varies" in old.metadata.get("tags", []):
            continue
        was, now = numbers(printed(old)), numbers(printed(new))
        assert len(was) == len(now), f"{path.name} cell {k}: printed {now}, committed {was}"
        differ = [
            (a, b)
            for a, b in zip(was, now, strict=True)
            if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        ]
        assert not differ, (
            f"{path.name} cell {k}: numbers differ from the committed ones {differ[:5]}"
        )


# ---------------------------------------------------------------------- notebook 03's exercise
def _markdown(path: Path) -> str:
    """The text of a notebook's markdown cells, whitespace as one space."""
    cells = nbformat.read(path, as_version=4).cells
    return re.sub(r"\s+", " ", " ".join(c.source for c in cells if c.cell_type == "markdown"))


def test_notebook_03_what_each_side_learns_states_what_the_runs_give(package):
    """Every number and direction of notebook 03's exercise "What each side learns from the
    other's offers", computed here without the engine's beliefs: the US's belief of Russia's
    weights by the plain-Python reference models (tests/reference_opponents.py) from the
    scenario's prior and Russia's traced offers (tests/beliefs_by_hand.py)."""
    from beliefs_by_hand import by_round, offers_of, prior_of, reference_weights

    from negosim.plot import carried_forward

    text = _markdown(FOLDER / "03_strategy_benchmarks.ipynb")

    def said(phrase: str) -> None:
        assert re.sub(r"\s+", " ", phrase) in text, phrase

    sc, runs = package, 500
    us, russia = sc.actor_index("US"), sc.actor_index("Russia")
    issues = list(sc.issues)
    prior = prior_of(sc, "Russia")
    estimate = np.array(prior["weight"])

    # 1. Russia's ideal points are certain: common knowledge
    assert not [u for u in sc.effective_uncertainty if u.target.startswith("Russia.position")]
    assert prior["position"] == [25, 10, 5] and issues == [
        "kosovo_status",
        "missile_defense",
        "cfe",
    ]
    said("its ideal points (Kosovo 25, missile defence 10, CFE 5) are certain in the scenario")

    # 2. seed 7, run 0: Russia's offers and what the US makes of them
    one = ns.simulate(sc, 1, 7, information="learned", trace=1)
    rounds, offers = offers_of(one, russia)
    x = offers[0]
    kosovo_moves = rounds[np.argmax(x[:, 0] != 25)]
    cfe_moves = rounds[np.argmax(x[:, 2] != 5)]
    suspends = sc.move_index("russia_suspends_cfe")
    assert one.moved[0, suspends] == 44 and np.all(x[rounds > 44, 2] == x[-1, 2])
    assert np.all(x[rounds < kosovo_moves, 0] == 25) and np.all(x[rounds < cfe_moves, 2] == 5)
    said(
        f"Russia holds Kosovo at its ideal up to round {kosovo_moves - 2} and the CFE up to round "
        f"{cfe_moves - 2} (in round 44 it suspends the CFE Treaty, which settles the CFE at "
        f"{x[-1, 2]:.1f}), and gives way on missile defence, from {x[0, 1]:.0f} to "
        f"{x[:, 1].max():.1f}."
    )
    weights, reference = reference_weights("Bayesian", prior, x)
    truth = ns.sample(sc, runs, 7).weights[:, russia]
    start, end, true = weights[0], weights[-1], truth[0]
    assert np.all(np.diff(weights[:, 0]) >= 0)  # the Kosovo weight never falls
    said(
        f"the US's belief of Russia's Kosovo weight rises, and never falls, from the estimate "
        f"{start[0]:.3f} to {end[0]:.3f}; missile defence falls from {start[1]:.3f} to "
        f"{end[1]:.3f} and the CFE from {start[2]:.3f} to {end[2]:.3f}."
    )
    assert np.all(np.abs(end - true) < np.abs(start - true))
    error = np.abs(weights - true).mean(axis=1)
    said(
        f"The truth of this run is {true[0]:.3f}, {true[1]:.3f} and {true[2]:.3f}: the US ends "
        f"nearer on every issue, and the mean error of its weights falls from {error[0]:.3f} to "
        f"{error[-1]:.3f}."
    )
    # only the Kosovo weight moves: the weight grid of 11 points, and the prior's mass on it
    np.testing.assert_allclose(weights[1:, 1] / weights[1:, 2], 4 / 3, atol=2e-3)
    assert reference.omega == [h / 10 for h in range(11)]
    assert reference.pw[1][4] == 1 and reference.pw[2][3] > 0.99  # 0.4 and 0.3
    said("the believed missile-defence and CFE weights keep the ratio 4 : 3")
    said("GENIUS's 11 points")
    said("for their beliefs to leave the points 0.4 and 0.3")

    # 3. 500 runs: the median error round by round, and where the US ends nearer the truth
    kosovo = next(u for u in sc.uncertainty if u.target == "Russia.salience.kosovo_status")
    assert kosovo.dist == "uniform" and (kosovo.params["low"], kosovo.params["high"]) == (40, 80)
    said("Russia's salience of Kosovo, for one, is drawn between 40 and 80")
    res = ns.simulate(sc, runs, 7, information="learned", trace=runs)
    rounds, offers = offers_of(res, russia)
    learned = np.array([reference_weights("Bayesian", prior, o)[0] for o in offers])
    believed = by_round(learned, rounds, sc.rounds)  # (runs, rounds, issues)
    error = np.abs(believed - truth[:, None]).mean(axis=2)
    measured = carried_forward(res.trace["belief"])  # the engine's measure: the same
    np.testing.assert_allclose(error, measured[:, :, us, 1], rtol=0, atol=1e-12)
    median = np.median(error, axis=0)
    said(
        f"{median[0]:.3f} before Russia's first offer, {median.min():.3f} at its lowest (round "
        f"{median.argmin()}), {median[-1]:.3f} in round 59"
    )
    better, above = error[:, -1] < error[:, 0], truth[:, 0] > estimate[0]
    assert not better[~above].any()
    said(
        f"nearer Russia's true weights than the estimates in {better.sum()} of the 500 runs: "
        f"{better[above].mean():.0%} of the {above.sum()} runs where Russia's Kosovo weight is "
        f"above the estimate {estimate[0]:.3f}, and none of the others"
    )
    ten, truth_ten = learned[:10, -1, 0], truth[:10, 0]
    assert np.all(ten > estimate[0]) and np.any(truth_ten < estimate[0])
    said(
        f"believing a Kosovo weight between {ten.min():.3f} and {ten.max():.3f} whatever the "
        f"truth ({truth_ten.min():.3f} to {truth_ten.max():.3f})"
    )
    assert np.argmax(truth_ten) == 0 and truth_ten[0] > estimate[0]
    said(f"Run 0 is such a run ({truth_ten[0]:.3f}, the highest of the ten)")
    pearson = np.median(measured[:, :, us, 0], axis=0)
    assert pearson.min() >= 0.996
    said("(median Pearson r 0.996 or more in every round)")

    # 4. the frequency model
    freq = ns.simulate(sc, runs, 7, information="learned", opponent_model="frequency", trace=runs)
    rounds, offers = offers_of(freq, russia)
    learned = np.array([reference_weights("Frequency", prior, o)[0] for o in offers])
    error = np.abs(by_round(learned, rounds, sc.rounds) - truth[:, None]).mean(axis=2)
    measured = carried_forward(freq.trace["belief"])
    np.testing.assert_allclose(error, measured[:, :, us, 1], rtol=0, atol=1e-12)
    median = np.median(error, axis=0)
    pearson = np.median(measured[:, :, us, 0], axis=0)
    assert median[-1] > median[0] and pearson[-1] < pearson[0]
    assert not np.any(error[:, -1] < error[:, 0])
    said(
        f"the median error of its weights grows from {median[0]:.3f} to {median[-1]:.3f}, the "
        f"median Pearson r of its believed utility falls from {pearson[0]:.3f} to "
        f"{pearson[-1]:.3f}, and in none of the 500 runs does it end nearer the truth"
    )
    cfe = offers[0, :, 2]
    assert set(np.round(cfe, 1)) == {5.0, 14.5}
    said("In run 0 Russia offers the CFE at 5, and after its suspension at 14.5, and nothing else")
    end = learned[0, -1]
    assert np.argmax(end) == 2 and np.argmin(truth[0]) == 2
    said(
        f"ends believing a weight of {end[2]:.3f}, the largest of the three, where the truth, "
        f"{truth[0, 2]:.3f}, is the smallest"
    )
