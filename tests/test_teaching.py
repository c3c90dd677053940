"""The numbers and stories of docs/teaching.md, computed as the page computes them
(package_2007, seed 7, the page's 2,000 Monte Carlo runs and 1,000 runs a sweep point).

Each test is one exercise. A number in the text is formatted here from its computation (counts
from ``to_frame()``, shares, quantiles, the sampled inputs) and looked up in the text, so the
text and the model cannot drift apart; "about N%" is the computed share rounded to a whole
percent. Where the text gives a reason (why a move was made or not, why a curve is flat), the
reason is checked too: from the rule by hand where it is short, or in the runs themselves."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import negosim as ns
from negosim.abm import DiplomacyModel
from negosim.app import reasons, state
from negosim.engine.protocols import PROTOCOLS
from negosim.model.ratification import DEAL_MARGIN

TEXT = (Path(__file__).resolve().parents[1] / "docs" / "teaching.md").read_text()
RUSSIA = "conceder:e=5"
RUNS = state.DEFAULT_RUNS
pytestmark = pytest.mark.slow
K, M, C = "kosovo_status", "missile_defense", "cfe"


def said(phrase: str) -> None:
    """The phrase appears in docs/teaching.md (whitespace as the text wraps it)."""
    assert re.sub(r"\s+", " ", phrase) in re.sub(r"\s+", " ", TEXT), phrase


def percent(share: float) -> str:
    """A share as the text gives it, "about N%": rounded to a whole percent."""
    return f"about {round(100 * share)}%"


def model_of(**changes) -> DiplomacyModel:
    return DiplomacyModel(**state.Settings(changes=changes).model_kwargs())


def reservations(model: DiplomacyModel, sc) -> list[float]:
    return [round(model.diplomats[sc.actor_index(a)].reservation, 3) for a in ("US", "Russia")]


def made(frame: pd.DataFrame, move: str) -> np.ndarray:
    """``(R,)`` the round each run made ``move`` in (-1: not made), from ``to_frame()``."""
    return frame[f"move.{move}"].fillna(-1).to_numpy(int)


def agreed(frame: pd.DataFrame) -> np.ndarray:
    return frame["agreed"].to_numpy(bool)


def step_to(model: DiplomacyModel, t: int) -> DiplomacyModel:
    while model.running and (not model.steps or model.round < t):
        model.step()
    return model


@pytest.fixture(scope="module")
def plain(package) -> pd.DataFrame:
    """Exercise 2: the scenario's settings."""
    return ns.simulate(package, RUNS, 7).to_frame()


@pytest.fixture(scope="module")
def conceder_runs(package) -> ns.SimulationResult:
    """Exercises 1 and 3: Russia plays conceder (e = 5), the scenario's protocol; every run
    traced (its offers, answers and coalition verdicts round by round)."""
    return ns.simulate(package, RUNS, 7, strategies={"Russia": RUSSIA}, trace=RUNS)


@pytest.fixture(scope="module")
def conceder(conceder_runs) -> pd.DataFrame:
    return conceder_runs.to_frame()


def test_the_page_s_rules_in_the_text(package):
    # 60 rounds for 19 Oct .. 31 Dec 2007 (73 days): the decree's 12 Dec is day 54, 54/73 =
    # 0.740, and a window of that one moment is open in the one round that holds it: round 44
    # stands for (43/59, 44/59] = (0.7288, 0.7458].
    start, end = package.date, package.ends
    assert (start, end, package.rounds) == (dt.date(2007, 10, 19), dt.date(2007, 12, 31), 60)
    days, decree = (end - start).days, (dt.date(2007, 12, 12) - start).days
    assert (days, decree) == (73, 54)
    move = package.all_moves[package.move_index("russia_suspends_cfe")]
    assert move.earliest == move.latest == round(decree / days, 2)
    assert 43 / 59 < move.latest <= 44 / 59
    assert state.window_rounds(move.earliest, move.latest, 60) == (44, 44)
    said("The 60 rounds of `package_2007` stand for the time from 19 October to 31 December 2007")
    said("which a decree fixed for\n12 December 2007, can be made in round 44 only")
    assert DEAL_MARGIN == 0.01
    said(f"its reservation plus a margin of {DEAL_MARGIN:g}")
    said(f"A deal must beat no deal by a margin of {DEAL_MARGIN:g} for every negotiator")


def test_exercise_1_logrolling(package, conceder, conceder_runs):
    nash = ns.solutions.nash(DiplomacyModel(package, seed=7).batch)
    k, m, c = np.round(nash.package).astype(int)
    said(f"(K {k}), missile defence moves a\n   little above its status quo (M {m}, from 70)")
    said(f"(C {c}, from a status quo of 75)")
    assert package.status_quo[1] == 70 and package.status_quo[2] == 75
    us, russia = (package.actor_index(a) for a in ("US", "Russia"))
    ratio = package.salience[us] / package.salience[russia]  # the US's weight over Russia's
    assert np.argmax(ratio) == package.issue_index(K)
    assert np.argmin(ratio) == package.issue_index(C)
    said("Relative to the\n   other side, the US cares most about Kosovo, and Russia about the CFE")
    deal = agreed(conceder)
    before = int(np.sum(deal & (conceder["rounds"].to_numpy() < 44)))
    said(f"{percent(deal.mean())} of the runs agree ({deal.sum()} of 2,000)")
    said(f"nearly all of them ({before}) before round 44")
    assert before > 0.85 * deal.sum()
    low, high = (conceder.loc[deal, f"outcome.{i}"].quantile([0.05, 0.95]) for i in (K, C))
    said(f"the Kosovo status lies between about {low.iloc[0]:.0f} and {low.iloc[1]:.0f}")
    said(f"the CFE terms between about {high.iloc[0]:.0f} and {high.iloc[1]:.0f}")
    # toward the US ideal (60) on Kosovo, toward Russia's (5) on the CFE, from 15 and 75
    us_ideal, russia_ideal = package.actor("US").position, package.actor("Russia").position
    assert (us_ideal[K], russia_ideal[C]) == (60, 5) and package.status_quo[0] == 15
    said("far toward\n  the US ideal from the status quo of 15")
    assert low.iloc[0] > 15 + (60 - 15) / 2 and high.iloc[1] < 75
    # without a deal: the CFE terms where the suspension put them (its sampled value), or 75
    suspends = made(conceder, "russia_suspends_cfe")
    assert np.all(np.isin(suspends, [-1, 44]))
    k = package.move_index("russia_suspends_cfe")
    to = ns.sample(package, RUNS, 7).moves.to[:, k]
    other = conceder.loc[~deal, f"outcome.{C}"].to_numpy()
    np.testing.assert_allclose(other[suspends[~deal] == 44], to[~deal & (suspends == 44)])
    held = ~deal & (suspends < 0)
    assert np.all(conceder.loc[held, f"outcome.{C}"] == 75)
    assert held.sum() < (~deal).sum() / 2  # "mostly": the median is a suspension's value
    said(
        "the CFE terms mostly lie where Russia's\n  suspension put them (their median is "
        f"{np.median(other):.0f})"
    )
    said(
        f"in {held.sum()} of the 2,000 runs Russia neither\n  suspended the treaty nor got a "
        "deal, and they stay at 75"
    )
    # how they end, from the traced runs: Russia answers the US's offer of round 58, the US
    # Russia's of round 59; NATO's verdict on each
    trace, us, russia = (
        conceder_runs.trace,
        package.actor_index("US"),
        package.actor_index("Russia"),
    )
    assert (trace["proposer"][58], trace["proposer"][59]) == (us, russia)
    nato = [c.id for c in package.coalitions].index("nato")
    assert np.all(trace["accepted"][held, 58, russia] == 1)
    assert np.all(trace["accepted"][held, 59, us] == 1)
    verdicts = trace["consent"][held, 58:]  # (runs, 2 rounds, coalitions): 1 yes, 0 veto
    assert np.all(np.any(verdicts == 0, axis=2))  # some coalition vetoes each
    assert np.sum(verdicts[:, :, nato] != 0) == 1  # NATO all but once
    said(
        "Each of those runs ends the same\n  way: Russia accepts the US's offer of round 58, the "
        "US accepts Russia's offer of round 59,\n  and the ratifiers veto both (NATO every time "
        "but once)"
    )


def test_exercise_1_3_russia_bets_on_the_talks(package):
    # Seed 18 with Russia as conceder. Before round 44 the latest offers are the US's of round
    # 42 and Russia's of round 43; the talks point to their mean if it is a deal: each
    # negotiator gains the margin from it and every coalition it asks would ratify it, checked
    # here by the Pareto view's own test (state.ratified, with the reservations in force before
    # round 44). The suspension is worth w (|75 - p| - |to - p|) / 100 - cost to Russia (the
    # CFE's scale is 0..100); the mean's CFE terms x, w (|75 - p| - |x - p|) / 100. By hand
    # from this run's sampled numbers.
    model = DiplomacyModel(package, seed=18, strategies={"Russia": RUSSIA})
    offers = {}
    while model.round < 43 or not model.steps:
        model.step()
        offers[model.round] = (model.proposer_id, model.offer.copy())
    assert (offers[42][0], offers[43][0]) == ("US", "Russia")
    words = [state.package_words(package, offers[t][1]) for t in (42, 43)]
    assert words == ["K 60, M 77, C 23", "K 53, M 64, C 42"]
    said("the US's of round 42 (K 60, M 77, C 23) and Russia's of round 43 (K 53, M 64, C 42)")
    middle = (offers[42][1] + offers[43][1]) / 2
    assert state.package_words(package, middle) == "K 56, M 70, C 33"
    assert state.ratified(model, middle[None])[0]
    r, us = package.actor_index("Russia"), package.actor_index("US")
    value = state.package_utilities(model, middle[None])[0]
    for a in (us, r):
        assert value[a] >= model.diplomats[a].reservation + DEAL_MARGIN
    said(
        "middle, K 56, M 70, C 33, gives both negotiators the deal margin, every coalition it "
        "asks\n   would ratify it"
    )
    said(
        "the middle of the latest\noffers, if every negotiator gains the deal margin from it "
        "and every coalition it asks would\nratify it, and otherwise no deal"
    )
    model.step()
    np.testing.assert_allclose(model.move_inputs[44].pointed[0], middle)
    i = package.issue_index(C)
    k, span = package.move_index("russia_suspends_cfe"), package.high[i] - package.low[i]
    p, w = model.batch.positions[0, r, i], model.batch.weights[0, r, i]
    to, cost = model.batch.moves.to[0, k], model.batch.moves.cost[0, k]
    move = w * (abs(75 - p) - abs(to - p)) / span - cost
    talks = w * (abs(75 - p) - abs(middle[i] - p)) / span
    assert talks > move > 0
    why = reasons.move_reasons(model)[k]
    assert why.startswith("not made in round 44: the talks point to more: the deal they point to")
    assert why.endswith(
        f"gives Russia {talks:+.3f} on its issue, the move {move:+.3f} after its cost"
    )
    said(f"it gives Russia {talks:+.3f} on the CFE against {move:+.3f} for the suspension")
    # round 44 is the decree's day: if the talks ended in it Russia would still suspend, so
    # its no deal (and its target) counts the suspension and it refuses the US's offer; from
    # round 45 on each offer is accepted by the other negotiator and vetoed by NATO members
    lines = {}
    while model.running:
        line = state.describe_round(model)
        other = "Russia" if model.proposer_id == "US" else "US"
        answer = "rejects" if model.round == 44 else "accepts"
        assert f"; {other} {answer}; " in line and "veto (nato)" in line, line
        lines[model.round] = line
        offers[model.round] = (model.proposer_id, model.offer.copy())
        model.step()
    offers[model.round] = (model.proposer_id, model.offer.copy())
    proposed = {state.package_words(package, offer) for _, offer in offers.values()}
    assert "K 56, M 70, C 33" not in proposed
    said("But nobody proposes it.")
    lines[model.round] = state.describe_round(model)
    assert lines[44].startswith(
        "Round 44: US proposes K 60, M 77, C 22; Russia rejects; 22 of 26 members veto (nato)"
    )
    assert lines[45].startswith(
        "Round 45: Russia proposes K 60, M 77, C 52; US accepts; 8 of 26 members veto (nato)"
    )
    assert lines[46].startswith(
        "Round 46: US proposes K 60, M 77, C 23; Russia accepts; 24 of 26 members veto (nato)"
    )
    said("In round 44, the decree's day, Russia still refuses the US's offer (K 60, M 77, C 22)")
    said(
        "the US's (K 60, M 77, C 23 in round 46) 24 of\n   26, Russia's (K 60, M 77, C 52 in "
        "round 45) 8 of 26"
    )
    assert "; US accepts; " in lines[59] and "veto (nato)" in lines[59]
    end = "the deadline passes without agreement; Kosovo makes kosovo_udi"
    assert end in lines[59] and lines[59].endswith("final package K 56, M 70, C 75.")
    said("final package (K 56, M 70, C 75) keeps the CFE terms at 75")
    assert model.result().outcome[0, i] == package.status_quo[i] == 75


def test_exercise_2_1_one_run_with_its_moves(package):
    model = DiplomacyModel(package, seed=7)
    windows = reasons.moves_table(model).set_index("move")["window"]
    assert list(windows) == ["rounds 0..59", "rounds 43..59", "round 44"]
    said("the US may deploy from round 0 and Kosovo may declare from round\n   43")
    assert reservations(model, package) == [0.857, 0.552]
    said("US's reservation is 0.857 and Russia's 0.552 in this run")
    waits = "waiting is worth as much: it can still be made after the talks, at the same cost"
    said(f"*{waits}*")
    lines, carried = {}, []
    moves = ("us_deploys", "kosovo_udi", "russia_suspends_cfe")
    us_deploys, kosovo_udi, suspends = (package.move_index(m) for m in moves)
    while model.running:
        model.step()
        t = model.round
        why = reasons.move_reasons(model)
        if t < model.rounds - 1:  # open from round 0 and 43, both wait to the end
            assert why[us_deploys] == f"not made in round {t}: {waits}"
            if t >= 43:
                assert why[kosovo_udi] == f"not made in round {t}: {waits}"
        if model.moves_made:
            lines[t] = (state.describe_round(model), reservations(model, package), why)
        if 44 < t < 59 and model.offer is not None:
            carried.append(round(model.offer[2]))
    assert sorted(lines) == [44, 59]
    line, held, why = lines[44]
    example = (
        "Round 44: Russia makes russia_suspends_cfe (cfe to 14); US proposes K 60, M 78, C 14; "
        "Russia rejects; 22 of 26 members veto (nato)"
    )
    assert line.startswith(example)
    said(f'*"{example} …"*')  # the page's description
    said('*"Russia makes\n   russia_suspends_cfe (cfe to 14)"*')
    assert "now rather than later: its window closes before the next round" in why[suspends]
    assert why[suspends].endswith(
        "they point to no deal (the mean of the latest offers is not a deal: a negotiator would "
        "not gain the deal margin from it, or a coalition it asks would veto it)"
    )
    said("*its window closes before\n   the next round*, and *they point to no deal*")
    assert set(carried) == {14} and held[1] == 0.600
    said("later offers carry C 14, and Russia's\n   reservation rises to 0.600")
    line = lines[59][0]
    assert line.startswith("Round 59: Russia proposes K 53, M 78, C 14; US rejects; ")
    said("Russia's last offer (K 53, M 78, C 14) fails twice")
    us = model.diplomats[package.actor_index("US")]  # its no: short of r + m by < 0.001
    gap = us.reservation + DEAL_MARGIN - us.utility
    assert 0 < gap < 0.0005 and us.target <= us.reservation + DEAL_MARGIN + 1e-9
    assert (
        "nearest to yes: US, less than 0.001 short of its reservation plus the deal margin" in line
    )
    said("*less than 0.001 short of its reservation plus the deal margin*")
    assert "12 of 26 members veto (nato)" in line
    said("12\n   of 26 NATO members veto it")
    last = "the deadline passes without agreement; US makes us_deploys (missile_defense to 75); "
    last += "Kosovo makes kosovo_udi (kosovo_status to 60); final package K 60, M 75, C 14"
    assert line.endswith(f"; {last}.")
    said(last)
    final = model.result()
    assert not final.agreed[0]
    assert list(final.moved[0]) == [model.rounds, model.rounds, 44]  # two after the talks
    table = reasons.moves_table(model).set_index("move")["made"]
    assert list(table) == ["after the talks", "after the talks", "round 44"]
    said("both moves made *after the talks*")
    consent = final.consent_frame().set_index("actor")
    consent = consent[consent["move"] == "kosovo_udi"]["consented"]
    recognisers = next(c for c in package.coalitions if c.id == "eu_recognisers").members
    yes = int(consent[list(recognisers)].sum())
    assert consent["US"]
    said(f"*US yes; eu_recognisers {yes} of {len(recognisers)}*")


def test_exercise_2_2_the_monte_carlo_with_the_moves(plain):
    deal = agreed(plain)
    said(f"{percent(deal.mean())} of the runs agree ({deal.sum()} of\n   2,000), all in round 59")
    assert np.all(plain.loc[deal, "rounds"] == 59)
    assert round(100 * deal.mean()) == 1
    suspends, declares, deploys = (
        made(plain, m) for m in ("russia_suspends_cfe", "kosovo_udi", "us_deploys")
    )
    assert np.all(suspends == 44)
    said("Russia suspends the CFE Treaty in every run, always in round 44")
    assert np.all(np.isin(declares, [-1, 60])) and np.all(np.isin(deploys, [-1, 60]))
    said(
        f"Kosovo declares independence in {percent(np.mean(declares >= 0))} of the runs and "
        f"the US deploys in {percent(np.mean(deploys >= 0))},\n   always after the talks"
    )
    # without a deal the moves give the US its Kosovo ideal (60) and Russia CFE terms near
    # its ideal (5, from 75)
    no_deal = plain.loc[~deal]
    assert abs(no_deal[f"outcome.{K}"].median() - 60) < 1 and no_deal[f"outcome.{C}"].median() < 20
    said("The moves already give each side what a deal could (the US its\n   Kosovo status")
    # every deal beats no deal by the margin for both negotiators
    for actor in ("US", "Russia"):
        gain = plain.loc[deal, f"utility.{actor}"] - plain.loc[deal, f"no_deal_utility.{actor}"]
        assert np.all(gain >= DEAL_MARGIN - 1e-9)
    # the deals: the declaration would put Kosovo above 64 (past the US's 60); the deal, at 60
    assert np.all(plain.loc[deal, f"no_deal.{K}"] > 64)
    np.testing.assert_allclose(plain.loc[deal, f"outcome.{K}"], 60, atol=0.5)
    said(f"The\n   {deal.sum()} deals are the runs where the declaration would overshoot")
    said("(Kosovo above\n   64 without a deal): there a package with Kosovo at 60")


def test_exercise_2_3_without_the_declaration(package, plain):
    changed = {"moves.kosovo_udi.to": 15.0}
    assert reservations(model_of(**changed), package) == [0.706, 0.639]
    said("the US's reservation falls\n   to 0.706 and Russia's rises to 0.639")
    sc = package.fix(*next(iter(changed.items())))
    res = ns.simulate(sc, RUNS, 7, trace=RUNS)
    frame = res.to_frame()
    deal = agreed(frame)
    assert np.all(made(frame, "kosovo_udi") < 0) and deal.mean() > agreed(plain).mean()
    first, last = frame.loc[deal, "rounds"].min(), frame.loc[deal, "rounds"].max()
    said(
        f"agreement rises to {percent(deal.mean())} ({deal.sum()} of 2,000), all in rounds "
        f"{first} to {last}"
    )
    suspends = made(frame, "russia_suspends_cfe")
    assert np.all(np.isin(suspends, [-1, 44]))
    held = np.flatnonzero(suspends < 0)
    said(f"suspends in round 44, in all but {held.size} of the 2,000 runs")
    k = sc.move_index("russia_suspends_cfe")
    for run in held:  # what the page says in round 44 of those runs
        model = step_to(DiplomacyModel(sc, seed=7, run=int(run)), 44)
        assert reasons.move_reasons(model)[k].startswith(
            "not made in round 44: the talks point to more: "
        )
    said(f"(in those {held.size} the moves table says *the\n   talks point to more*)")
    # the runs without a deal end on Russia's offer of round 59: the US accepts, NATO vetoes
    trace, us = res.trace, sc.actor_index("US")
    nato = [c.id for c in sc.coalitions].index("nato")
    assert trace["proposer"][59] == sc.actor_index("Russia")
    assert np.all(trace["accepted"][~deal, 59, us] == 1)
    assert np.all(trace["consent"][~deal, 59, nato] == 0)
    said(
        "in every run without a deal the US accepts Russia's last offer (round 59),\n   and "
        "NATO vetoes it"
    )
    last_offer = trace["offer"][~deal, 59]
    at_60 = np.round(last_offer[:, 0]) == 60
    m_median = np.median(last_offer[at_60, 1])
    assert m_median < sc.status_quo[1]  # scaled back
    said(
        f"in {at_60.sum():,} of those {(~deal).sum():,} runs that offer puts Kosovo at 60 and "
        f"scales\n   missile defence back (median M {m_median:.0f})"
    )
    kosovo = frame.loc[deal, f"outcome.{K}"].to_numpy()
    at_25 = np.round(kosovo) == 25
    deal_m = frame.loc[deal, f"outcome.{M}"].median()
    assert abs(deal_m - sc.status_quo[1]) < 1  # "near its status quo"
    said(
        f"The deals keep missile defence near its status quo\n   (median M {deal_m:.0f}) and, "
        f"in {at_25.sum()} of the {deal.sum()}, put Kosovo at 25, Russia's ideal"
    )
    # 25 is Russia's ideal (its position is not uncertain), between the status quo and the
    # US's 60: moving Kosovo there from 15 gains both; every deal beats no deal by the margin
    batch, r = ns.sample(sc, RUNS, 7), sc.actor_index("Russia")
    assert np.all(batch.positions[:, r, 0] == 25) and np.all(batch.positions[:, us, 0] == 60)
    assert sc.status_quo[0] == 15 and np.all(kosovo >= 25 - 0.5)
    for actor in ("US", "Russia"):
        gain = frame.loc[deal, f"utility.{actor}"] - frame.loc[deal, f"no_deal_utility.{actor}"]
        assert np.all(gain >= DEAL_MARGIN - 1e-9)
    said("a step from the\n   status quo of 15 toward the US's 60 that both sides gain from")


def test_exercise_2_4_a_worse_option_for_russia(package):
    changed = ("moves.russia_suspends_cfe.to", 50.0)
    assert reservations(model_of(**dict([changed])), package) == [0.947, 0.458]
    said("Russia's reservation falls to 0.458 and\n   the US's rises to 0.947")
    sc = package.fix(*changed)
    frame = ns.simulate(sc, RUNS, 7).to_frame()
    said(f"Agreement stays {percent(agreed(frame).mean())}")
    suspends = made(frame, "russia_suspends_cfe") >= 0
    said(f"Russia suspends in {percent(suspends.mean())} of the runs")
    # By hand: the suspension gains Russia w (|75 - p| - |50 - p|) / 100 on the CFE; it is
    # worth making iff that beats its cost. Every run without it is one where it does not.
    batch, r, i = ns.sample(sc, RUNS, 7), sc.actor_index("Russia"), sc.issue_index(C)
    k, span = sc.move_index("russia_suspends_cfe"), sc.high[i] - sc.low[i]
    p, w = batch.positions[:, r, i], batch.weights[:, r, i]
    gain = w * (np.abs(75 - p) - np.abs(50 - p)) / span - batch.moves.cost[:, k]
    assert np.all(gain[~suspends] <= 1e-9) and np.all(gain[suspends] > 0)
    said("in the\n   others the moves table says the suspension is *not worth its cost*")


def test_exercise_2_5_the_window_times_the_move(package, plain):
    opened = ns.simulate(package.fix("moves.russia_suspends_cfe.earliest", 0.0), RUNS, 7)
    frame = opened.to_frame()
    for column in ("agreed", "rounds", *(c for c in frame if c.startswith(("outcome", "move")))):
        pd.testing.assert_series_equal(frame[column], plain[column])
    said(
        f"the same {agreed(plain).sum()} runs agree, and Russia still suspends "
        "in round 44 of every run"
    )
    sc = package.fix("moves.russia_suspends_cfe.latest", 1.0)
    res = ns.simulate(sc, RUNS, 7)
    frame = res.to_frame()
    deal = agreed(frame)
    suspends = made(frame, "russia_suspends_cfe")
    assert np.all(np.isin(suspends, [-1, 60]))
    said(
        "Russia never suspends during the talks (it does after them, in "
        f"{percent(np.mean(suspends >= 0))} of the runs)"
    )
    said(f"agreement rises to {percent(deal.mean())}\n   ({deal.sum()} of 2,000)")
    np.testing.assert_allclose(frame.loc[deal, f"outcome.{K}"], 60, atol=1e-6)
    said("with Kosovo at 60 in every deal")
    # the summary's first input, and its two quartiles computed here from the sampled cost
    summary = res.summary()
    target = "moves.russia_suspends_cfe.cost"
    assert summary.influence.index[0] == target
    assert summary.dependence.startswith(f"the result depends mostly on {target}")
    assert "which no source" in summary.dependence
    said(
        "--set moves.russia_suspends_cfe.latest=1`) says that the result depends mostly on the "
        "cost of the suspension, which no source gives"
    )
    cost = ns.sample(sc, RUNS, 7).moves.cost[:, sc.move_index("russia_suspends_cfe")]
    low, high = np.quantile(cost, [0.25, 0.75])
    cheap, dear = deal[cost <= low].mean(), deal[cost >= high].mean()
    said(
        f"agreement is {round(100 * cheap)}% in the quarter of the runs where suspending is "
        f"cheapest and {round(100 * dear)}%"
    )


def test_exercise_2_6_the_sweeps_and_their_shapes(package):
    values = [20, 40, 60, 80, 100]
    kosovo = ns.sweep(package, {f"Russia.salience.{K}": values}, 1000, 7)
    counts = np.round(kosovo["agreement"].to_numpy() * 1000).astype(int)
    shares = kosovo["agreement"].to_numpy()
    said(
        f"{100 * shares[:3].min():.1f}% to {100 * shares[:3].max():.1f}% at saliences 20, 40 "
        f"and 60 ({counts[0]}, {counts[1]} and {counts[2]} runs of 1,000), then almost none at\n"
        f"80 and 100 ({counts[3]} and {counts[4]} runs)"
    )
    assert counts[3:].max() < counts[:3].min() / 4  # "almost none"
    assert shares[-1] < shares[0]  # "neither curve rises"
    # The mechanism, in the runs themselves: Russia's last offer (round 59) where the
    # declaration would put Kosovo above 64 (the same worlds at every salience).
    k = package.move_index("kosovo_udi")
    nato = [c.id for c in package.coalitions].index("nato")
    medians, consent = [], []
    for value in values:
        sc = package.fix(f"Russia.salience.{K}", value)
        res = ns.simulate(sc, 1000, 7, trace=1000)
        over = ns.sample(sc, 1000, 7).moves.to[:, k] > 64
        assert int(np.sum(res.agreed & ~over)) <= 1  # nearly all deals: the overshoot ones
        assert res.trace["proposer"][59] == package.actor_index("Russia")
        medians.append(np.median(res.trace["offer"][over, 59], axis=0))
        consent.append(res.trace["consent"][over, 59, nato].mean())
    medians = np.array(medians)
    np.testing.assert_allclose(medians[:3, 0], 60, atol=0.5)
    said("puts Kosovo at 60 up to salience 60")
    said(f"holds Kosovo near {medians[3, 0]:.0f} to {medians[4, 0]:.0f}")
    said(
        f"(M\n   near {medians[3:, 1].mean():.0f}, against {medians[:3, 1].min():.0f} to "
        f"{medians[:3, 1].max():.0f})"
    )
    assert np.all(np.abs(np.array(consent[:3]) - 0.1) < 0.03) and max(consent[3:]) < 0.02
    said("NATO, which consented to it in about one run in ten, now\n   hardly ever does")
    cfe = ns.sweep(package, {f"Russia.salience.{C}": values}, 1000, 7)
    assert set(np.round(100 * cfe["agreement"])) <= {1, 2}
    assert cfe["agreement"].iloc[-1] <= cfe["agreement"].iloc[0]
    assert cfe["agreement_low"].max() < cfe["agreement_high"].min()  # every interval overlaps
    said("CFE: flat, between about 1% and 2% at every salience (the points' 95% intervals overlap)")
    suspended = cfe["move.russia_suspends_cfe"].to_numpy()
    assert suspended[1:].min() >= 0.99
    frame = ns.simulate(package.fix(f"Russia.salience.{C}", 20), 1000, 7).to_frame()
    at_20 = np.mean(made(frame, "russia_suspends_cfe") == 44)
    assert at_20 == pytest.approx(suspended[0])
    said(
        "from salience 40 up Russia suspends on the decree's day in 99% of the runs or more "
        f"({round(100 * at_20)}% at 20)"
    )


def test_exercise_3_a_veto_player(package, conceder):
    model = DiplomacyModel(package, seed=7, strategies={"Russia": RUSSIA})
    model.step()
    model.step()
    assert model.proposer_id == "Russia"
    said(f"Russia proposes to scale missile defence back to M {model.offer[1]:.0f}")
    line = state.describe_round(model)
    assert "Poland and Czech Republic veto (host_nations)" in line
    members = next(c for c in package.coalitions if c.id == "nato").members
    no = int(re.search(r"(\d+) of 26 members veto \(nato\)", line).group(1))
    assert len(members) == 26 and no > 26 / 2  # "most NATO members veto too"
    said("most NATO members veto too")
    grid, _, ok = state.ratified_packages(model)
    assert len(grid) == 21**3
    assert tuple(package.status_quo) in set(map(tuple, grid[ok].round()))
    said(
        f"only {ok.sum()} of the grid's {len(grid):,} packages have a green ring "
        "(the status quo among them)"
    )
    us, russia = package.actor_index("US"), package.actor_index("Russia")
    for solution in (ns.solutions.nash, ns.solutions.kalai_smorodinsky):
        found = solution(model.batch)
        assert state.ratified(model, found.package[None])[0]
        gain = found.utility - model.batch.reservation[0, [us, russia]]
        assert np.all((gain >= 0.03) & (gain <= 0.04)) and np.all(gain >= DEAL_MARGIN)
    said("each gives the US and Russia\n   between 0.03 and 0.04 more than their moves")
    low, high = conceder.loc[agreed(conceder), f"outcome.{M}"].quantile([0.05, 0.95])
    said(f"missile defence stays between about {low:.0f} and {high:.0f}")
    assert low < 70 < high and package.actor("Russia").position[M] == 10


def test_the_page_s_run_counts():
    assert state.DEFAULT_RUNS == 2000
    said("plays N negotiations, 2,000 by default")
    assert state.SWEEP_RUNS == 1000
    said("with 1,000 runs per\n  point and the same seed")


def test_exercise_4_what_each_side_learns(package, plain):
    """The US's belief of Russia's weights under information="learned", computed without
    the engine's beliefs: the prior from the scenario's uncertainty by the spread formulas,
    fed Russia's traced offers, by the plain-Python reference models for the run of step 2
    and by the batched Bayesian model for the 2,000 runs (equal to the reference run by run:
    tests/test_opponent_models.py); the true weights from ns.sample."""
    from beliefs_by_hand import offers_of, prior_of, reference_weights

    from negosim.model.opponents import Prior, get_model

    learned = state.Settings(information="learned")
    said("- **information**: `complete`")
    with_offers = [
        p for p in PROTOCOLS if "learned" in state.information_choices(state.Settings(protocol=p))
    ]
    assert with_offers == ["alternating", "mediated"]
    said("with the\n  protocols whose negotiators make offers (`alternating`, `mediated`)")
    # step 1: the page under learned, one negotiation and the Monte Carlo
    ends = {}
    for settings in (state.Settings(), learned):
        model = DiplomacyModel(**settings.model_kwargs())
        while model.running:
            model.step()
        line = state.describe_round(model)
        assert line.startswith("Round 59: Russia proposes ") and "; US rejects; " in line
        ends[settings.information] = line.removeprefix("Round 59: Russia proposes ").split(";")[0]
        assert line.endswith("the deadline passes without agreement; US makes us_deploys "
                             "(missile_defense to 75); Kosovo makes kosovo_udi (kosovo_status to "
                             "60); final package K 60, M 75, C 14.")  # fmt: skip
    said(
        "the\n   talks still end without agreement on the final package K 60, M 75, C 14, but "
        f"Russia's last\n   offer is now {ends['learned']} ({ends['complete']} with complete "
        "information)"
    )
    deals = ns.simulate(package, RUNS, 7, **learned.simulate_kwargs()).agreed.sum()
    said(f"{deals} of the 2,000 runs\n   agree ({agreed(plain).sum()} with complete information)")
    # step 2: the run of seed 7
    russia = package.actor_index("Russia")
    assert not [u for u in package.effective_uncertainty if u.target.startswith("Russia.position")]
    said("Russia's ideal points are no secret (the scenario gives them without\n   uncertainty)")
    prior = prior_of(package, "Russia")
    one = ns.simulate(package, 1, 7, information="learned", trace=1)
    _, offers = offers_of(one, russia)
    weights, _ = reference_weights("Bayesian", prior, offers[0])
    truth = ns.sample(package, RUNS, 7).weights[:, russia]
    start, end, true = weights[0], weights[-1], truth[0]
    said(
        f"Kosovo {start[0]:.3f}, missile\n   defence {start[1]:.3f} and CFE {start[2]:.3f}, and "
        f"after Russia's last offer believes {end[0]:.3f}, {end[1]:.3f} and {end[2]:.3f}."
    )
    assert np.all(np.abs(end - true) < np.abs(start - true))
    said(
        f"The truth of this run is {true[0]:.3f}, {true[1]:.3f} and {true[2]:.3f}: the US ends "
        "nearer on every issue"
    )
    assert np.all(offers[0, offers[0, :, 0] != 25, 0] > 25)  # Kosovo left its ideal late
    assert np.argmax(offers[0, :, 0] != 25) > 0.8 * offers.shape[1]
    assert offers[0, :, 1].max() - offers[0, 0, 1] > 60  # missile defence: 10 to about 80
    assert np.all(np.diff(weights[:, 0]) >= 0)
    said("the US's belief of its Kosovo\n   weight rose with every offer")
    # step 3: the 2,000 runs
    res = ns.simulate(package, RUNS, 7, information="learned", trace=RUNS)
    rounds, offers = offers_of(res, russia)
    fields = {k: v if k == "loss" else np.array(v) for k, v in prior.items()}
    bayesian = get_model("bayesian")
    kept = bayesian.start(Prior(**fields, rounds=package.rounds), RUNS)
    for k, t in enumerate(rounds):
        bayesian.update(kept, offers[:, k], t)
    final = bayesian.weights(kept)
    error = np.abs(final - truth).mean(axis=1)
    frame = res.to_frame()
    np.testing.assert_allclose(error, frame["belief_weight_error.US"], rtol=0, atol=1e-12)
    estimate = np.array(prior["weight"])
    at_start = np.abs(estimate - truth).mean(axis=1)
    better, above = error < at_start, truth[:, 0] > estimate[0]
    assert not better[~above].any()
    said(
        f"the US ends nearer Russia's true weights than\n   the estimates in {better.sum()} runs, "
        "every one of them a run where Russia's Kosovo weight is above the\n   estimate "
        f"({above.sum():,} of the 2,000), and in none of the others"
    )
    assert np.all(final[:, 0] > estimate[0])
    said(
        "In every run the US ends believing\n   Russia's Kosovo weight above the estimate, "
        f"between {final[:, 0].min():.3f} and {final[:, 0].max():.3f}, whatever the truth\n   "
        f"({truth[:, 0].min():.3f} to {truth[:, 0].max():.3f})"
    )
    assert better[0]
    said("The run of step 2 is one of\n   them.")
    # step 4: the frequency model
    freq = ns.simulate(package, RUNS, 7, information="learned", opponent_model="frequency")
    error = freq.to_frame()["belief_weight_error.US"].to_numpy()
    assert not np.any(error < at_start)
    said(
        "the US ends nearer the truth in none of the 2,000 runs,\n   and the median error of "
        f"its weights grows from {np.median(at_start):.3f} (the estimates) to "
        f"{np.median(error):.3f}"
    )
    one = ns.simulate(package, 1, 7, information="learned", opponent_model="frequency", trace=1)
    rounds, offers = offers_of(one, russia)
    assert one.moved[0, package.move_index("russia_suspends_cfe")] == 44
    assert np.all(offers[0, rounds < 44, 2] == 5)
    assert np.all(np.round(offers[0, rounds > 44, 2], 1) == 14.5)
    said(
        "Russia offers the CFE at 5 and, once it has suspended the treaty, at 14.5, "
        "nothing\n   else"
    )
    end = reference_weights("Frequency", prior, offers[0])[0][-1]
    assert np.argmax(end) == 2 and np.argmin(true) == 2
    said(f"the CFE weighs most to Russia ({end[2]:.3f}), where\n   it weighs least ({true[2]:.3f})")
