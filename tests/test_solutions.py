"""Bargaining solutions: the analytic examples of models.md 3.1-3.2 and the facts file, and
brute-force grid searches on random two- and three-party scenarios."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim import solutions as sol

from helpers import bilateral


def test_curve_examples():
    """u1 = sqrt(x), u2 = 1 - x, d = 0: Nash x* = 1/3, KS x* = (3 - sqrt 5)/2 = 0.3819660."""
    t, u = sol.nash_on_curve(lambda x: (np.sqrt(x), 1 - x))
    assert t == pytest.approx(1 / 3, abs=1e-7)
    np.testing.assert_allclose(u, [0.5773503, 0.6666667], atol=1e-7)
    t, u = sol.kalai_smorodinsky_on_curve(lambda x: (np.sqrt(x), 1 - x))
    assert t == pytest.approx(0.3819660, abs=1e-7)
    np.testing.assert_allclose(u, [0.6180340, 0.6180340], atol=1e-7)


@pytest.mark.parametrize("alpha", [0.5, 0.3, 0.7])
def test_asymmetric_nash_on_the_pie(alpha):
    """Pie u1 = x, u2 = 1 - x, d = (0.2, 0.1): u1* = d1 + alpha (1 - d1 - d2) (0.55 at 1/2)."""
    _t, u = sol.nash_on_curve(lambda x: (x, 1 - x), (0.2, 0.1), (alpha, 1 - alpha))
    assert u[0] == pytest.approx(0.2 + alpha * 0.7, abs=1e-7)


def test_scenario_asymmetric_nash_is_the_weighted_split():
    """One issue, opposite ideals, reservations d: the same closed form through the LP path."""
    sc = bilateral([[100], [0]], [[1], [1]], (0.2, 0.1))
    for alpha in (0.5, 0.25):
        s = sol.nash(sc, powers=[alpha, 1 - alpha])
        assert s.utility[0] == pytest.approx(0.2 + alpha * 0.7, abs=1e-6)
    ks = sol.kalai_smorodinsky(sc)
    assert ks.utility[0] == pytest.approx(0.55, abs=1e-7)  # linear frontier: KS = Nash


def test_facts_example_1_logroll_and_threat_point():
    """Facts 6.2, example 1: U_US = 0.4 x + 0.6 y, U_RU = 0.7 (1 - x) + 0.3 (1 - y). With
    d = (0, 0) the Nash point is the logroll (0, 1), utilities (0.60, 0.70); with d at the
    status quo (0.56, 0.32) it is x = 31/140, y = 1, utilities (0.6886, 0.5450)."""
    sc = bilateral([[100, 100], [0, 0]], [[40, 60], [70, 30]], (0.0, 0.0))
    s = sol.nash(sc)
    np.testing.assert_allclose(s.package, [0, 100], atol=1e-5)
    np.testing.assert_allclose(s.utility, [0.6, 0.7], atol=1e-6)
    threat = bilateral([[100, 100], [0, 0]], [[40, 60], [70, 30]], (0.56, 0.32))
    s = sol.nash(threat)
    np.testing.assert_allclose(s.package, [100 * 31 / 140, 100], atol=1e-4)
    np.testing.assert_allclose(s.utility, [0.6886, 0.5450], atol=1e-4)


def test_no_zone_of_agreement_gives_none():
    sc = bilateral([[100], [0]], [[1], [1]], (0.7, 0.7))
    assert (
        sol.nash(sc) is None and sol.kalai_smorodinsky(sc) is None and sol.utilitarian(sc) is None
    )


def test_linkage_gain_on_the_facts_example_2():
    sc = bilateral([[100, 100], [0, 0]], [[30, 70], [80, 20]], (0.6, 0.6))
    gain = sol.linkage_gain(sc)
    assert gain.loc["package", "deal"] and not gain.loc["issue_by_issue", "deal"]
    assert gain.loc["package", "joint_utility"] > gain.loc["issue_by_issue", "joint_utility"]


# ----------------------------------------------------------------------------- against a grid

GRID = np.linspace(0, 100, 41)  # resolution 2.5 points


def _grid(sc, parties):
    packages = np.array(list(itertools.product(GRID, repeat=len(sc.issues))))
    batch = ns.sample(sc, 1, seed=0)
    idx = [sc.actor_index(a) for a in parties]
    u = ns.preferences.utilities(packages[None], batch.positions, batch.weights, batch.span)[0][
        :, idx
    ]
    d = batch.reservation[0, idx]
    ok = np.all(u >= d - 1e-12, axis=1)
    return packages[ok], u[ok], d


@st.composite
def linear_worlds(draw):
    n_parties, n_issues = draw(st.integers(2, 3)), draw(st.integers(1, 2))
    actors = []
    for a in range(n_parties):
        actors.append(
            {
                "id": f"p{a}",
                "power": 1.0,
                "position": {f"i{k}": draw(st.sampled_from(list(GRID))) for k in range(n_issues)},
                "salience": {f"i{k}": draw(st.floats(5, 100)) for k in range(n_issues)},
                "reservation": draw(st.floats(0, 0.5)),
            }
        )
    issues = [{"id": f"i{k}", "label": "x", "status_quo": 50} for k in range(n_issues)]
    return ns.Scenario.from_dict(
        {"scenario": {"id": "g", "title": "g"}, "issues": issues, "actors": actors}
    )


def _lipschitz(sc) -> float:
    """Most a utility can change when the package moves by half a grid step on every issue."""
    return 1.25 / 100 * len(sc.issues)


@settings(max_examples=40, deadline=None)
@given(linear_worlds())
def test_solutions_agree_with_a_grid_search(sc):
    parties = sc.actors
    packages, u, d = _grid(sc, parties)
    assume(len(packages) > 0)
    slack = _lipschitz(sc) * 2
    util = sol.utilitarian(sc)
    assert util is not None
    assert util.utility.sum() >= u.sum(axis=1).max() - 1e-7  # exact LP beats every grid point
    assert util.utility.sum() <= u.sum(axis=1).max() + len(parties) * slack
    nash = sol.nash(sc)
    product = np.prod(np.maximum(u - d, 0), axis=1).max()
    assert np.prod(nash.utility - d) >= product - 1e-6
    assert np.all(nash.utility >= d - 1e-9)
    ks = sol.kalai_smorodinsky(sc)
    m = sol.ideal_point(sol._Problem.of(sc, None, 0))  # exact ideal point (LPs)
    assert np.all(m >= u.max(axis=0) - 1e-9)
    share = np.min((u - d) / np.maximum(m - d, 1e-12), axis=1).max()
    got = np.min((ks.utility - d) / np.maximum(m - d, 1e-12))
    assert got >= share - 1e-6


@settings(max_examples=30, deadline=None)
@given(linear_worlds().filter(lambda s: len(s.actors) == 2))
def test_pareto_frontier_dominates_the_grid(sc):
    frontier = sol.pareto_frontier(sc)
    cols = [c for c in frontier.columns if c.startswith("utility.")]
    pts = frontier[cols].to_numpy()
    _packages, u, _ = _grid(sc, sc.actors)
    # every grid package lies on or below the piecewise-linear frontier
    order = np.argsort(pts[:, 0])
    x, y = pts[order, 0], pts[order, 1]
    assert np.all(u[:, 0] <= x.max() + 1e-9) and np.all(u[:, 1] <= y.max() + 1e-9)
    assert np.all(u[:, 1] <= np.interp(u[:, 0], x, y) + 1e-9)


def test_solutions_over_a_batch(package):
    batch = ns.sample(package, 4, seed=2)
    frame = sol.solve_batch(batch, "nash")
    assert len(frame) == 4 and frame["deal"].all()
    for run in range(4):
        expected = sol.nash(batch, run=run)
        assert frame.loc[run, "utility.US"] == pytest.approx(expected.utility[0])
    with pytest.raises(KeyError, match="unknown solution"):
        sol.solve_batch(batch, "nsh")
