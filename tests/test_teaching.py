"""The numbers and stories of docs/teaching.md, computed as the page computes them
(package_2007, seed 7, the page's 2,000 Monte Carlo runs and 1,000 runs a sweep point).

Each test is one exercise; "about N%" in the text is checked to within one point of the
computed share, a reservation to the three decimals the text prints."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import negosim as ns
from negosim.abm import DiplomacyModel
from negosim.app import state

TEXT = (Path(__file__).resolve().parents[1] / "docs" / "teaching.md").read_text()
RUSSIA = "conceder:e=5"
pytestmark = pytest.mark.slow


def about(share: float, percent: int) -> bool:
    """``share`` is "about ``percent``%": within one point of it."""
    return abs(100 * share - percent) <= 1.0 + 1e-9


def said(phrase: str) -> None:
    """The phrase appears in docs/teaching.md (whitespace as the text wraps it)."""
    assert re.sub(r"\s+", " ", phrase) in re.sub(r"\s+", " ", TEXT), phrase


def model_of(**changes) -> DiplomacyModel:
    return DiplomacyModel(**state.Settings(changes=changes).model_kwargs())


def shares(sc, res) -> dict[str, float]:
    return {m.id: float(np.mean(res.moved[:, k] >= 0)) for k, m in enumerate(sc.all_moves)}


def reservations(model: DiplomacyModel, sc) -> list[float]:
    return [round(model.diplomats[sc.actor_index(a)].reservation, 3) for a in ("US", "Russia")]


@pytest.fixture(scope="module")
def mediated(package):
    """Exercise 1.2 and 3.3: the mediated protocol with Russia as conceder."""
    return ns.simulate(
        package, state.DEFAULT_RUNS, 7, protocol="mediated", strategies={"Russia": RUSSIA}
    )


def test_exercise_1_logrolling(package, mediated):
    nash = ns.solutions.nash(DiplomacyModel(package, seed=7).batch)
    np.testing.assert_allclose(nash.package, [60, 76, 18], atol=0.5)
    said("(K 60), missile defence moves a little above its status quo (M 76, from 70)")
    said("(C 18, from a status quo of 75)")
    us, russia = (package.actor_index(a) for a in ("US", "Russia"))
    ratio = package.salience[us] / package.salience[russia]  # the US's weight over Russia's
    assert np.argmax(ratio) == package.issue_index("kosovo_status")
    assert np.argmin(ratio) == package.issue_index("cfe")
    said("Relative to the other side, the US cares most about Kosovo, and\n   Russia about the CFE")
    assert about(mediated.agreement_rate, 30)
    said("about 30% of the runs agree")
    agreed, other = mediated.outcome[mediated.agreed], mediated.outcome[~mediated.agreed]
    kosovo, cfe = (np.quantile(agreed[:, k], [0.05, 0.95]) for k in (0, 2))
    assert np.allclose(kosovo, [51, 66], atol=1) and np.allclose(cfe, [40, 51], atol=1)
    said("the Kosovo status lies between about 51 and 66")
    said("the CFE terms between about 40 and 51")
    assert np.quantile(other[:, 2], 0.95) <= 35
    said("the CFE terms are mostly below 35")
    assert np.median(other[:, 2]) < np.quantile(agreed[:, 2], 0.05)
    said("got alone more than an agreed package gives it (the middle of the")


def test_exercise_2_1_one_run_with_its_moves(package):
    model = model_of()
    assert reservations(model, package) == [0.857, 0.552]
    said("US's reservation is 0.857 and Russia's 0.552 in this run")
    lines, carried = {}, []
    while model.running:
        model.step()
        if model.moves_made:
            lines[model.round] = (state.describe_round(model), reservations(model, package))
        if 44 <= model.round < 59 and model.offer is not None:
            carried.append((round(model.offer[1]), round(model.offer[2])))
    assert set(carried) == {(75, 14)}  # later offers carry the settled terms
    said("later offers carry C 14")
    assert sorted(lines) == [2, 44, 59]
    assert lines[2][0].startswith("Round 2: US makes us_deploys (missile_defense to 75)")
    assert lines[2][1][0] == 0.873
    assert lines[44][0].startswith("Round 44: Russia makes russia_suspends_cfe (cfe to 14)")
    assert (
        "US proposes K 60, M 75, C 14; Russia rejects; 5 of 26 members veto (nato)"
        in (lines[44][0])
    )
    assert lines[44][1][1] == 0.600
    said("US makes us_deploys (missile_defense to 75)")
    said("the US's reservation rises to 0.873")
    said("Russia makes russia_suspends_cfe (cfe to 14)")
    said("Russia's reservation rises to 0.600")
    last = "the deadline passes without agreement; Kosovo makes kosovo_udi (kosovo_status to 60); "
    last += "final package K 60, M 75, C 14"
    assert lines[59][0].startswith("Round 59: Russia proposes K 60, M 75, C 14; US accepts; ")
    assert lines[59][0].endswith(f"; {last}.") and "veto (nato)" in lines[59][0]
    said(last)
    said("in round 59 the US accepts Russia's last offer (K 60, M 75, C 14) but NATO members veto")
    final = model.result()
    assert not final.agreed[0]
    np.testing.assert_array_equal(np.round(final.outcome[0]), [60, 75, 14])
    consent = final.consent_frame().set_index("actor")["consented"]
    recognisers = next(c for c in package.coalitions if c.id == "eu_recognisers").members
    assert consent["US"] and int(consent[list(recognisers)].sum()) == 25
    said(f"*US yes; eu_recognisers 25 of {len(recognisers)}*")


def test_exercise_2_2_the_monte_carlo_with_the_moves(package):
    plain = ns.simulate(package, state.DEFAULT_RUNS, 7)
    made = shares(package, plain)
    assert about(plain.agreement_rate, 29) and about(made["russia_suspends_cfe"], 90)
    assert about(made["kosovo_udi"], 85) and about(made["us_deploys"], 22)
    said("about 29% of the runs agree. Russia suspends the CFE Treaty in about 90% of the runs")
    said("Kosovo declares independence in about 85%, and the US deploys in about 22%")
    k = package.move_index("us_deploys")
    assert set(plain.moved[plain.moved[:, k] >= 0, k]) == {2}
    said("(always in round 2, or not at all)")


def test_exercise_2_3_to_2_5_what_the_moves_give(package):
    assert reservations(model_of(**{"moves.kosovo_udi.to": 15.0}), package) == [0.706, 0.639]
    said("the US's reservation falls to 0.706 and Russia's rises to 0.639")
    alone = ns.simulate(package.fix("moves.kosovo_udi.to", 15.0), state.DEFAULT_RUNS, 7)
    assert about(alone.agreement_rate, 4) and shares(package, alone)["kosovo_udi"] == 0.0
    said("the move is never made and agreement falls to about 4%")
    half = model_of(**{"moves.russia_suspends_cfe.to": 50.0})
    assert reservations(half, package) == [0.947, 0.458]
    said("Russia's reservation falls to 0.458 and the US's rises to 0.947")
    worse = ns.simulate(package.fix("moves.russia_suspends_cfe.to", 50.0), state.DEFAULT_RUNS, 7)
    assert about(worse.agreement_rate, 15)
    said("agreement falls to about 15%")
    early = ns.simulate(
        package.fix("moves.russia_suspends_cfe.earliest", 0.0), state.DEFAULT_RUNS, 7
    )
    assert np.all(early.moved[:, package.move_index("russia_suspends_cfe")] == 1)
    assert about(early.agreement_rate, 25)
    said("agreement falls only a little (about 25%, from 29%)")
    plain = ns.simulate(package, state.DEFAULT_RUNS, 7).agreement_rate
    when = abs(early.agreement_rate - plain)  # the window moved
    what = min(abs(alone.agreement_rate - plain), abs(worse.agreement_rate - plain))  # the value
    assert when < what
    said("what a move gives matters more than\n   when it can be made")


def test_exercise_2_6_the_sweeps_and_their_shapes(package):
    values = [20, 40, 60, 80, 100]
    kosovo, cfe = (
        np.array(ns.sweep(package, {f"Russia.salience.{i}": values}, 1000, 7)["agreement"])
        for i in ("kosovo_status", "cfe")
    )
    # not monotone: about 30% twice, a dip at 60, a jump at 80
    assert about(kosovo[0], 30) and about(kosovo[1], 30) and about(kosovo[2], 26)
    assert about(kosovo[3], 44) and about(kosovo[4], 46)
    assert kosovo[2] < kosovo[0] and kosovo[3] - kosovo[2] > 0.1
    said("Agreement is about 30% at saliences 20 and 40, dips to about 26% at 60, then")
    said("jumps to about 44% at 80 and 46% at 100")
    # the CFE curve: no trend, all values within the stated range
    assert cfe.min() >= 0.28 and cfe.max() <= 0.38 and abs(cfe[-1] - cfe[0]) < 0.02
    said("between about 29% and 37% at every salience")


def test_exercise_3_a_veto_player(package, mediated):
    model = DiplomacyModel(package, seed=7, strategies={"Russia": RUSSIA})
    model.step()
    model.step()
    assert model.proposer_id == "Russia" and round(model.offer[1]) == 36
    said("Russia proposes to scale missile defence back to M 36")
    line = state.describe_round(model)
    assert "Poland and Czech Republic veto (host_nations)" in line
    assert "20 of 26 members veto (nato)" in line  # "most NATO members veto too"
    grid, _, ok = state.ratified_packages(model)
    assert (len(grid), int(ok.sum())) == (9261, 21)
    assert tuple(package.status_quo) in set(map(tuple, grid[ok].round()))
    said("only 21 of the grid's 9,261 packages have a green ring (the status quo among them)")
    us, russia = package.actor_index("US"), package.actor_index("Russia")
    for solution in (ns.solutions.nash, ns.solutions.kalai_smorodinsky):
        found = solution(model.batch)
        assert state.ratified(model, found.package[None])[0]
        gain = found.utility - model.batch.reservation[0, [us, russia]]
        assert np.all((gain >= 0.03) & (gain <= 0.04))
    said("each gives the US and Russia between 0.03 and 0.04 more than their moves")
    agreed = mediated.outcome[mediated.agreed]
    low, high = np.quantile(agreed[:, 1], [0.05, 0.95])
    assert abs(low - 60) <= 1 and abs(high - 74) <= 1
    said("missile defence stays between about 60 and 74")


def test_the_page_s_run_counts():
    assert state.DEFAULT_RUNS == 2000
    said("plays N negotiations, 2,000 by default")
    assert state.SWEEP_RUNS == 1000
    said("with 1,000 runs per\n  point and the same seed")
