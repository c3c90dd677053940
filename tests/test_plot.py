"""Every figure on small data: the expected artists, labelled axes, and a PNG on disk."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import negosim as ns
from negosim import plot

from helpers import bilateral

# tournaments on a few small worlds, on purpose: their FewWorldsWarning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::negosim.analysis.tournaments.FewWorldsWarning")


MEDIATED = {"protocol": "mediated", "strategies": {"Russia": "conceder"}}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def saved(fig, tmp_path, name="fig.png"):
    path = tmp_path / name
    fig.savefig(path, dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return fig


def labelled(ax):
    return bool(ax.get_xlabel()) and (bool(ax.get_ylabel()) or bool(ax.get_yticklabels()))


def test_outcome_distributions(package, tmp_path):
    res = ns.simulate(package, 300, seed=1, **MEDIATED)
    fig = saved(plot.outcome_distributions(res), tmp_path)
    width, height = fig.get_size_inches()
    assert width / height == pytest.approx(16 / 9)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 3
    for i, (ax, issue) in enumerate(zip(panels, package.issue_specs, strict=True)):
        assert issue.label in ax.get_xlabel()
        assert len(ax.patches) == 2 * 40  # agreed and not agreed, one bar per bin each
        # every run is in the panel once: the stacked bars add up to the runs
        tops = [p.get_height() for p in ax.patches]
        assert sum(tops) == res.runs
        agreed_bars = sum(tops[:40])
        assert agreed_bars == res.agreed.sum()
        top = ax.child_axes[0]  # the anchors, on top; numeric ticks below
        assert len(top.get_xticks()) == len(issue.anchors)
        assert all(t.get_text().replace(".", "").isdigit() for t in ax.get_xticklabels()[:3])
        assert i > 0 or ax.get_ylabel() == "runs"


def test_outcome_distributions_show_the_share_without_agreement(package, tmp_path):
    res = ns.simulate(package, 50, seed=1)
    fig = saved(plot.outcome_distributions(res), tmp_path)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    share = 1 - res.agreement_rate
    # a whole percentage, one decimal within 10 points of 0% or 100% (1.6%, not 2%)
    shown = f"{share:.1%}" if share > 0.9 else f"{share:.0%}"
    assert legend[1].startswith(f"no agreement ({shown})")
    assert legend[1].endswith("where the moves leave it")


def test_position_map(package, tmp_path):
    fig = saved(plot.position_map(package), tmp_path)
    assert len(fig.axes) == 3
    width, height = fig.get_size_inches()
    assert width / height == pytest.approx(4 / 3)
    # the panels share one row per actor, named once on the left
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(names) == sorted(package.actors)
    for k, ax in enumerate(fig.axes):
        assert len(ax.collections[0].get_offsets()) == package.participation[:, k].sum()
        assert package.issue_specs[k].label in ax.get_xlabel()


def test_concession_traces(package, tmp_path):
    res = ns.simulate(package, 3, seed=1, trace=2, strategies={"Russia": "conceder"})
    fig = saved(plot.concession_traces(res, run=1), tmp_path)
    assert fig.get_size_inches()[0] / fig.get_size_inches()[1] == pytest.approx(16 / 9)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 4 and panels[-1].get_xlabel() == "round"  # 3 issues, then utility
    # status quo, both ideal points and both proposers' offers on the first issue
    assert len(panels[0].lines) >= 5
    # a target line and the utility of the offer for each of the two negotiators
    assert len(panels[-1].lines) == 4 and panels[-1].get_ylabel() == "utility"
    with pytest.raises(ValueError, match="no trace"):
        plot.concession_traces(ns.simulate(package, 2, seed=1))


def test_concession_traces_show_moves_after_the_talks_as_such(package, tmp_path):
    """A move made after the talks is recorded as round T (60), a round never played: the
    figure draws it at the end of the axis with the tick "after the talks", not as round 60;
    the CFE suspension, decided on the decree's day, stays at its round (44)."""
    res = ns.simulate(package, 10, seed=7, trace=10)
    run = int(np.flatnonzero(~res.agreed)[0])
    udi = package.move_index("kosovo_udi")
    cfe = package.move_index("russia_suspends_cfe")
    assert res.moved[run, udi] == res.deadline == 60 and 0 <= res.moved[run, cfe] < 60
    fig = saved(plot.concession_traces(res, run=run), tmp_path)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    axis = panels[-1]
    ticks = dict(
        zip(axis.get_xticks(), [t.get_text() for t in axis.get_xticklabels()], strict=True)
    )
    assert ticks[60] == "after\nthe talks" and "60" not in ticks.values()
    assert max(axis.get_xlim()) < 61
    kosovo = panels[package.issue_index("kosovo_status")]
    texts = {t.get_text(): t.xy[0] for t in kosovo.texts}
    assert texts == {"kosovo_udi: after the talks": 60}
    texts = {t.get_text(): t.xy[0] for t in panels[package.issue_index("cfe")].texts}
    assert texts == {"russia_suspends_cfe": res.moved[run, cfe]}


def test_pareto(tmp_path):
    sc = bilateral([[100, 100], [0, 0]], [[30, 70], [80, 20]], (0.6, 0.6))
    res = ns.simulate(sc, 5, seed=1, strategies={"A": "trade_off", "B": "trade_off"})
    fig = saved(plot.pareto(sc, result=res), tmp_path)
    ax = fig.axes[0]
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {
        "Pareto frontier",
        "Nash",
        "Kalai-Smorodinsky",
        "utilitarian",
        "reservations",
        "negotiated outcomes",
    } <= labels
    assert ax.get_xlabel() == "utility of A" and ax.get_ylabel() == "utility of B"
    # the deal floor: each reservation (0.6) plus the margin, a corner the frontier passes
    floor = next(line for line in ax.lines if line.get_label().startswith("a deal gives"))
    np.testing.assert_allclose(floor.get_xydata()[1], [0.61, 0.61])
    assert not any(t.startswith("no solution") for t in labels)


def test_pareto_without_a_zone_says_there_is_no_solution(package, tmp_path):
    """package_2007 at its point estimates: no package gives the US and Russia each 0.01 more
    than no deal (tests/test_readme.py proves it on a grid), so no solution point is drawn and
    the legend says why."""
    fig = saved(plot.pareto(package), tmp_path)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "no solution: no package gives both the margin" in labels
    assert not {"Nash", "Kalai-Smorodinsky", "utilitarian"} & set(labels)


def test_sweep_tornado_timeline(package, tmp_path):
    table = ns.sweep(
        package, {"Russia.salience.kosovo_status": [40, 60, 80]}, runs=100, seed=1, **MEDIATED
    )
    fig = saved(plot.sweep_agreement(table, "Russia.salience.kosovo_status"), tmp_path, "a.png")
    assert len(fig.axes[0].lines[0].get_xdata()) == 3 and labelled(fig.axes[0])
    # each point's value above it: one decimal within 10 points of 0% or 100% (1.7%, not 2%)
    shown = [t.get_text() for t in fig.axes[0].texts]
    rates = table["agreement"]
    assert shown == [f"{a:.1%}" if min(a, 1 - a) < 0.1 else f"{a:.0%}" for a in rates]
    sens = ns.sensitivity(package, runs=100, seed=1, top=3, **MEDIATED)
    fig = saved(plot.tornado(sens), tmp_path, "b.png")
    assert len(fig.axes[0].patches) == sens["swing"].notna().sum() and fig.axes[0].get_xlabel()
    line = ns.timeline(package, runs=100, seed=1, **MEDIATED)
    fig = saved(plot.timeline(line, package), tmp_path, "c.png")
    assert len(fig.axes) == 4 and fig.axes[0].get_ylabel() == "share of runs"
    # the deal and one line per move in the first panel; every date a tick of the issue panels
    assert len(fig.axes[0].get_legend().get_texts()) == 1 + len(package.all_moves)
    assert len(fig.axes[-1].get_xticks()) == len(line)


def test_leaderboard_and_heatmap(tmp_path):
    result = ns.tournament(["boulware", "conceder", "linear"], ns.generate(2, 2, seed=1), runs=10)
    fig = saved(ns.plot.leaderboard(result), tmp_path, "a.png")
    assert len(fig.axes[0].get_yticklabels()) == 3 and fig.axes[0].get_xlabel()
    fig = saved(ns.plot.pairwise_heatmap(result), tmp_path, "b.png")
    assert fig.axes[0].images[0].get_array().shape == (3, 3)
    assert fig.axes[0].get_xlabel() == "opponent"


def test_a_grid_sweep_draws_one_line_per_value_of_the_other_number(package, tmp_path):
    grid = {"Russia.salience.kosovo_status": [40, 60, 80], "US.salience.cfe": [20, 60]}
    table = ns.sweep(package, grid, runs=40, seed=1, **MEDIATED)
    assert table.attrs["swept"] == tuple(grid)
    fig = saved(plot.sweep_agreement(table, "Russia.salience.kosovo_status"), tmp_path, "g.png")
    lines = [line for line in fig.axes[0].lines if len(line.get_xdata()) > 1]
    assert len(lines) == 2 and all(list(line.get_xdata()) == [40, 60, 80] for line in lines)
    for line, cfe in zip(lines, [20, 60], strict=True):
        expected = table[table["US.salience.cfe"] == cfe].sort_values(next(iter(grid)))
        np.testing.assert_allclose(line.get_ydata(), expected["agreement"])
        assert line.get_label().endswith(f"= {cfe}")
    assert len(fig.axes) == 1  # no move panel: one per line would hide the lines
    assert "and" in fig._suptitle.get_text()


def test_tornado_speaks_of_percentage_points(package, tmp_path):
    sens = ns.sensitivity(package, runs=60, seed=1, top=2, **MEDIATED)
    fig = saved(plot.tornado(sens), tmp_path, "t.png")
    ax = fig.axes[0]
    assert "(percentage points)" in ax.get_xlabel()
    texts = [t.get_text() for t in ax.texts]
    assert texts and all(t.endswith(" pp") for t in texts)
    swing = sens["swing"].dropna()
    bars = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(bars, sorted(100 * swing), atol=1e-9)


def test_titles_name_what_was_set(package, tmp_path):
    """A figure says what it shows: the settings away from the scenario's values (what the
    command line's --set, --strategy and --protocol give) are a line of every title."""
    said = "protocol mediated; Russia=conceder; Russia.salience.kosovo_status=40"
    res = ns.simulate(package, 50, seed=1, **MEDIATED)
    fig = saved(plot.outcome_distributions(res, settings=said), tmp_path, "o.png")
    assert fig._suptitle.get_text().endswith(said)
    table = ns.sweep(package, {"US.salience.cfe": [20, 60]}, runs=30, seed=1)
    fig = plot.sweep_agreement(table, "US.salience.cfe", settings=said)
    assert fig._suptitle.get_text().endswith(said)
    sens = ns.sensitivity(package, runs=60, seed=1, top=2)
    assert plot.tornado(sens, settings=said).axes[0].get_title().endswith(said)
    assert "\n" not in plot.tornado(sens).axes[0].get_title()  # nothing set: no extra line
