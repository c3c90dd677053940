"""The teaching page (`negosim app`): its helpers, and the real page in headless Chromium.

The browser test starts the server on a free local port, drives the page with Selenium and
checks what it shows against DiplomacyModel and simulate run here with the same settings.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_moves import BASE, a_move, hosted, pre_emption, scenario, two_issues

import negosim as ns
from negosim.abm import DiplomacyModel
from negosim.app import comparison, main, reasons, serve, state, svg
from negosim.model.ratification import DEAL_MARGIN

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"

# Settings the browser test picks on the page: Russia plays Conceder at its default e = 5.
RUSSIA = "conceder:e=5"


# ---------------------------------------------------------------------- helpers, no browser
def test_join_names_and_package_words():
    assert state.join_names([]) == ""
    assert state.join_names(["Poland"]) == "Poland"
    assert state.join_names(["Poland", "Czech_Republic"]) == "Poland and Czech Republic"
    assert state.join_names(["a", "b", "c"]) == "a, b and c"
    sc = ns.load_scenario("package_2007")  # issues: kosovo_status, missile_defense, cfe
    assert state.issue_letters(sc) == ["K", "M", "C"]
    assert state.package_words(sc, np.array([30.2, 44.6, 20.0])) == "K 30, M 45, C 20"


def test_strategy_specs_build_the_strategy_they_name():
    assert state.strategy_param("conceder") == "e"
    assert state.strategy_param("hardliner") is None
    assert state.strategy_default("conceder") == 5.0  # Conceder(e=5.0) in its signature
    assert state.strategy_spec("conceder", 5.0) == RUSSIA
    assert state.strategy_spec("hardliner", 1.0) == "hardliner"
    built = ns.engine.runner.parse_strategy(state.strategy_spec("boulware", 0.25))
    assert type(built).__name__ == "Boulware"
    assert built.e == 0.25


def test_settings_name_the_scenario_strategy_until_changed():
    s = state.Settings()
    assert state.current_strategy(s, "Russia") == ("trade_off", 0.5)  # package_2007.toml
    assert state.current_strategy(s.with_strategy("Russia", RUSSIA), "Russia") == (
        "conceder",
        5.0,
    )
    moved = s.with_change("Russia.salience.cfe", 40.0)
    assert state.scenario_of(moved).actor("Russia").salience["cfe"] == 40.0
    assert state.scenario_of(s).actor("Russia").salience["cfe"] == 70.0
    # a move's window and value: fixed into the scenario, no longer uncertain
    k = state.scenario_of(s).move_index("russia_suspends_cfe")
    assert state.scenario_of(s).all_moves[k].earliest == 0.74  # package_2007.toml
    opened = s.with_change("moves.russia_suspends_cfe.earliest", 0.2).with_change(
        "moves.russia_suspends_cfe.to", 40.0
    )
    move = state.scenario_of(opened).all_moves[k]
    assert (move.earliest, move.to) == (0.2, 40.0)
    targets = [u.target for u in state.scenario_of(opened).uncertainty]
    assert "moves.russia_suspends_cfe.to" in [u.target for u in state.scenario_of(s).uncertainty]
    assert "moves.russia_suspends_cfe.to" not in targets


def test_narrative_and_verdicts_follow_the_model():
    s = state.Settings().with_strategy("Russia", RUSSIA)
    model = DiplomacyModel(**s.model_kwargs())
    assert state.describe_round(model).startswith("Round 0: the talks open at the status quo")
    for _ in range(2):
        model.step()
    line = state.describe_round(model)
    sc = model.scenario
    assert line.startswith(f"Round 1: {model.proposer_id} proposes ")
    words = ", ".join(f"{k} {v:.0f}" for k, v in zip(["K", "M", "C"], model.offer, strict=True))
    assert words in line
    verdicts = state.coalition_verdicts(model).set_index("coalition")
    votes = {d.actor: d.accepted for d in model.diplomats}
    for c in sc.coalitions:
        no = [m for m in c.members if votes[m] == 0.0]
        if c.rule == "unanimity" and verdicts.loc[c.id, "asked"]:
            assert (verdicts.loc[c.id, "verdict"] == "vetoes") == bool(no)
            assert bool(re.search(rf"vetoe?s? \({c.id}\)", line)) == bool(no)
    assert _vetoes_are_explained(model, line) >= 2  # Russia's first offer: exercise 3


def _yes_needed(rule: str, threshold: float | None, yes: int, size: int) -> int:
    """More yes votes a coalition needs, from its rule: all members; more than half; at least
    ``threshold`` of them."""
    if rule == "unanimity":
        return size - yes
    least = size // 2 + 1 if rule == "majority" else int(np.ceil(threshold * size - 1e-12))
    return max(0, least - yes)


def _bar(diplomat) -> tuple[float, str]:
    """What a member's yes needed (docs/protocols.md): a ratifier, its reservation; a
    negotiator, its strategy's target and its reservation plus the deal margin, the higher."""
    if diplomat.role != "negotiator":
        return diplomat.reservation, "its reservation"
    floor = diplomat.reservation + DEAL_MARGIN
    if np.isfinite(diplomat.target) and diplomat.target > floor:
        return diplomat.target, "its target"
    return floor, "its reservation plus the deal margin"


def _vetoes_are_explained(model: DiplomacyModel, line: str) -> int:
    """Every coalition that vetoed this round is in ``line`` with who voted no (by name, or
    counted past three) and who tipped it: the one no-voter, or the count of yes votes missing
    and the no-voter least short of what its yes needed (:func:`_bar`). Returns how many
    coalitions vetoed."""
    by_actor = {d.actor: d for d in model.diplomats}
    verdicts = state.coalition_verdicts(model).set_index("coalition")
    vetoed = 0
    for c in model.scenario.coalitions:
        if verdicts.loc[c.id, "verdict"] != "vetoes":
            continue
        vetoed += 1
        no = [m for m in c.members if by_actor[m].accepted == 0.0]
        yes = sum(by_actor[m].accepted == 1.0 for m in c.members)
        needed = _yes_needed(c.rule, c.threshold, yes, len(c.members))
        assert needed > 0 and verdicts.loc[c.id, "needed"] == needed
        short = {m: _bar(by_actor[m])[0] - by_actor[m].utility for m in no}
        nearest = min(no, key=short.get)
        assert short[nearest] > -1e-9  # a no vote: short of what its yes needed
        who = state.join_names(no) if len(no) <= 3 else f"{len(no)} of {len(c.members)} members"
        said = f"{who} {'vetoes' if len(no) == 1 else 'veto'} ({c.id}): "
        if len(no) == 1:
            said += f"{nearest.replace('_', ' ')}'s no alone tipped it"
        else:
            said += "any one of them" if needed == 1 else f"{needed} more yes votes needed"
        assert said in line, (said, line)
        if len(no) > 1:
            gap = "less than 0.001" if short[nearest] < 0.0005 else f"{short[nearest]:.3f}"
            words = f"nearest to yes: {nearest.replace('_', ' ')}, {gap} short of "
            assert words + _bar(by_actor[nearest])[1] in line, (words, line)
    return vetoed


# Hand-worked cases of tests/test_moves.py (its BASE scenario and A's move a_alone): one issue
# x or two issues x, y on [0, 100], status quo 50, A's ideal 100, B's ideal 0, linear loss,
# T = 21 rounds (tau_t = t / 20), A proposes in even rounds. a_alone sets x to 100. Round t
# stands for (tau_{t-1}, tau_t]; floors are reservations plus the margin m = 0.01.


def closing(sc: ns.Scenario, **fields) -> ns.Scenario:
    """``sc`` with the fields of its first move changed."""
    data = sc.to_dict()
    data["moves"][0].update(fields)
    return ns.Scenario.from_dict(data, source="test")


def test_a_move_is_narrated_and_its_issue_shown_settled():
    # two_issues with A's move open only to tau 0.1: rounds 0..2 (round 2 is (0.05, 0.1]).
    # Floors (declared reservations + m): A 0.61, B 0.11; linear targets f + (1 - f)(1 - tau).
    # Round 0: A offers (100, 100). Round 1: B's target 0.11 + 0.89 * 0.95 = 0.9555, so B
    # offers x = y = 4.45 (X 4, Y 4); A rejects. In rounds 0 and 1 the move can still be made
    # in round 2 at the same cost: A waits. Round 2 is its window's last: the talks point to
    # the mean (52.2, 52.2), worth 0.522 to A, below its floor: no deal, so the move (0.75 to A
    # with it, 0.5 without) is made. A then offers y with 0.5 + 0.5 y / 100 = 0.61 + 0.39 * 0.9:
    # y = 92.2; B (0.039 against its target 0.911) rejects. Agreement once T_A + T_B <= 1:
    # 0.72 + 1.28 (1 - tau) <= 1, tau >= 0.78125: round 16, A's y = 100 (2 (0.61 + 0.39 * 0.2)
    # - 1) = 37.6, worth 0.312 to B, above its target 0.11 + 0.89 * 0.2 = 0.288.
    model = DiplomacyModel(
        closing(two_issues(), latest=0.1), seed=0, strategies={"A": "linear", "B": "linear"}
    )
    model.step()
    model.step()
    assert state.describe_round(model) == "Round 1: B proposes X 4, Y 4; A rejects."
    assert reasons.move_reasons(model) == [
        "not made in round 1: waiting is worth as much: it can still be made up to round 2, "
        "at the same cost"
    ]
    assert not state.settled_issues(model).any()
    assert "ns-settled-x" not in svg.offer_chart(model)
    model.step()
    assert state.describe_round(model) == (
        "Round 2: A makes a_alone (x to 100); A proposes X 100, Y 92; B rejects."
    )
    assert list(state.settled_issues(model)) == [True, False]
    chart = svg.offer_chart(model)
    assert "ns-settled-x" in chart and "ns-settled-y" not in chart
    row = reasons.moves_table(model).iloc[0]
    assert (row["move"], row["by"], row["issue"], row["to"]) == ("a_alone", "A", "x", "100.0")
    assert (row["window"], row["needs"], row["made"], row["consent"]) == (
        "rounds 0..2",
        "no one",
        "round 2",
        "",
    )
    assert row["why"] == (
        "made: to A 0.750 with it after its cost 0.000, 0.500 without it; now rather than "
        f"later: its window closes before the next round; {NO_DEAL}"
    )
    model.run()
    assert state.describe_round(model) == (
        "Round 16: A proposes X 100, Y 38; B accepts; package agreed: X 100, Y 38."
    )


@pytest.mark.parametrize(("host_ideal", "made"), [(100, True), (0, False)])
def test_consent_to_a_move_is_listed(host_ideal, made):
    # B plays hardliner (offers x = 0). A's move to 100 (window [0.5, 1]: rounds 10..20, free)
    # can wait to the end at no cost, and nothing on the table beats it: it waits, and the
    # talks run to the deadline. After them it is made iff the host H, who must consent, is
    # no worse off at 100 than at 50: with ideal 100, yes; with ideal 0, no.
    sc = hosted(host_ideal)
    model = DiplomacyModel(sc, seed=0, strategies={"A": "linear", "B": "hardliner"})
    before = reasons.moves_table(model).iloc[0]
    assert (before["window"], before["needs"], before["made"]) == (
        "rounds 10..20",
        "hosts",
        "not yet",
    )
    model.run()
    after = reasons.moves_table(model).iloc[0]
    if made:  # A's BATNA is 1 (its ideal, free): its floor 1.01 is out of reach, it offers 100
        assert state.describe_round(model) == (
            "Round 20: A proposes X 100; B rejects; the deadline passes without agreement; "
            "A makes a_alone (x to 100); final package X 100."
        )
        assert (after["made"], after["consent"]) == ("after the talks", "hosts 1 of 1")
        assert after["why"] == (
            "made after the talks (no agreement): to A 1.000 with it after its cost 0.000, "
            "0.500 without it"
        )
    else:  # A's BATNA is 0.5: its target ends at 0.51 (x = 51), which H (0.49 < 0.5) vetoes
        assert state.describe_round(model) == (
            "Round 20: A proposes X 51; B rejects; H vetoes (hosts): H's no alone tipped it; "
            "the deadline passes without agreement; final package X 50."
        )
        assert (after["made"], after["consent"]) == ("no", "")
        assert after["why"] == (
            "not made after the talks (no agreement): consent refused: hosts 0 of 1 yes"
        )


def _reasons_by_round(sc: ns.Scenario, rounds, strategies=None) -> dict[int, list[str]]:
    """The moves table's why column after each of ``rounds`` (and at the end, key -1)."""
    model = DiplomacyModel(sc, seed=0, strategies=strategies or {"A": "linear", "B": "hardliner"})
    out = {}
    while model.running:
        model.step()
        if model.round in rounds:
            out[model.round] = list(reasons.moves_table(model)["why"])
    out[-1] = list(reasons.moves_table(model)["why"])
    return out


def _talks_more(host: float | None = None) -> ns.Scenario:
    """BASE with declared reservations 0.3 (floors 0.31) and A's move to 51 open to tau 0.5;
    with ``host``, a ratifier H of that ideal (no declared reservation) whose coalition
    ratifies x."""
    data = copy.deepcopy(BASE)
    for actor in data["actors"]:
        actor["reservation"] = 0.3
    if host is not None:
        data["actors"].append(
            {"id": "H", "role": "ratifier", "power": 1, "position": {"x": host},
             "salience": {"x": 100}}
        )  # fmt: skip
        data["coalitions"] = [{"id": "hosts", "members": ["H"], "ratifies": ["x"]}]
    data["moves"] = [a_move(to=51, latest=0.5)]
    return ns.Scenario.from_dict(data, source="test")


def _early_end() -> ns.Scenario:
    """Two issues x, y (equal saliences); B leaves the talks at tau 0.3 with x at 20; A's
    move sets y to 100 from tau 0.8 at a cost 0.05 + 0.3 tau."""
    data = copy.deepcopy(BASE)
    data["issues"].append({"id": "y", "label": "y", "status_quo": 50})
    data["actors"][0].update(position={"x": 100, "y": 100}, salience={"x": 50, "y": 50})
    data["actors"][1].update(position={"x": 0, "y": 0}, salience={"x": 50, "y": 50})
    data["moves"] = [
        {"id": "b_leaves", "actor": "B", "issue": "x", "to": 20, "earliest": 0.3,
         "latest": 0.3, "ends_talks": True},
        {"id": "a_late", "actor": "A", "issue": "y", "to": 100, "earliest": 0.8, "cost": 0.05,
         "cost_rate": 0.3},
    ]  # fmt: skip
    return ns.Scenario.from_dict(data, source="test")


NO_DEAL = (
    "it beats the talks: they point to no deal (the mean of the latest offers is not a deal: a "
    "negotiator would not gain the deal margin from it, or a coalition it asks would veto it)"
)
WAITS = "waiting is worth as much: it can still be made after the talks, at the same cost"


def test_each_reason_is_the_rule_s_in_hand_worked_cases():
    """Every reason the moves table gives, in scenarios worked by hand (docs/protocols.md,
    "Moves"): the three tests of the talks, each refusal, reactions, consent, and the moves
    made after the talks."""
    # A cost that grows (0.1 + 0.2 tau) is lowest now: A moves in round 0, before any offer.
    grows = _reasons_by_round(scenario([a_move(cost=0.1, cost_rate=0.2)]), [0])
    assert grows[0] == [
        "made: to A 0.900 with it after its cost 0.100, 0.500 without it; now rather than "
        "later: its cost only grows; it beats the talks: nothing is on the table yet (the "
        "talks point to no deal)"
    ]
    # A cost that falls (0.1 - 0.05 tau): A waits and pays 0.05 after the talks.
    falls = _reasons_by_round(scenario([a_move(cost=0.1, cost_rate=-0.05)]), [3])
    assert falls[3] == [
        "not made in round 3: waiting is worth as much: it can still be made after the talks, "
        "at a lower cost"
    ]
    assert falls[-1] == [
        "made after the talks (no agreement): to A 0.950 with it after its cost 0.050, "
        "0.500 without it"
    ]
    # Worth 0.05 (x to 55) against a cost of 0.1: never made.
    dear = _reasons_by_round(scenario([a_move(to=55, cost=0.1)]), [0])
    worth = "not worth its cost: to A 0.450 with it after its cost 0.100, 0.500 without it"
    assert dear[0] == ["not made in round 0: " + worth]
    assert dear[-1] == ["not made after the talks (no agreement): " + worth]
    # Pre-emption (test_moves): C acts in round 10 (its window is that moment); from round 11
    # B's answer x = 0 could come first, so A moves in round 10. Before, A waits: no rival
    # could move by the next round (B's answer needs C's move first).
    pre = _reasons_by_round(pre_emption(True), [9, 10])
    assert pre[9] == [
        "not yet: its window opens in round 10",
        f"not made in round 9: {WAITS}; no rival move on its issue could be made first",
        "not yet: it answers c_acts, which has not been made",
    ]
    assert pre[10] == [
        "made: to C 1.000 with it after its cost 0.000, 0.500 without it; now rather than "
        f"later: its window closes before the next round; {NO_DEAL}",
        "made: to A 0.900 with it after its cost 0.100, 0.500 without it; now rather than "
        f"later: a rival move on its issue could be made first; {NO_DEAL}",
        "not made: its issue was settled by a_alone",
    ]
    # Without A's move, B's answer follows C's: not in C's round, then it waits to the end.
    data = pre_emption(True).to_dict()
    data["moves"] = [m for m in data["moves"] if m["id"] != "a_alone"]
    answer = _reasons_by_round(ns.Scenario.from_dict(data, source="test"), [10, 11])
    assert (
        answer[10][1]
        == "not yet: it answers c_acts, made in this round; it can follow from the next"
    )
    assert answer[11][1] == f"not made in round 11: {WAITS}"
    assert answer[-1][1] == (
        "made after the talks (no agreement): to B 1.000 with it after its cost 0.000, "
        "0.500 without it"
    )
    # The talks point to more: floors 0.31, linear targets 0.31 + 0.69 (1 - tau). In round 10
    # (the window's last) the latest offers are A's of round 8 (x = 100 * 0.724 = 72.4) and
    # B's of round 9 (x = 100 (1 - 0.6895) = 31.05): their mean 51.725 gives each more than
    # 0.31, a deal, worth +0.01725 to A against the move's +0.01. Agreement in round 15.
    more = _reasons_by_round(_talks_more(), [9, 10, 11], {"A": "linear", "B": "linear"})
    assert more[9] == [
        "not made in round 9: waiting is worth as much: it can still be made up to round 10, "
        "at the same cost"
    ]
    assert more[10] == [
        "not made in round 10: the talks point to more: the deal they point to (the mean of "
        "the latest offers, which gives every negotiator the deal margin and which every "
        "coalition it asks would ratify) gives A +0.017 on its issue, the move +0.010 after "
        "its cost"
    ]
    assert more[11] == ["not made: its window closed after round 10"]
    assert more[-1] == ["not made: the talks ended in agreement"]
    # The same with a host H (ideal 0, no declared reservation) whose coalition ratifies x:
    # its reservation is u_H(51) = 0.49 (A's move, worth +0.01 to A, would be made if the
    # talks ended at the start). The mean 51.725 is worth 0.48275 to H: H would veto it, so
    # it is no deal, the talks point to no deal, and A's move (+0.01 against nothing) is made
    # in round 10. It leaves no issue open: the talks end there.
    vetoed = _reasons_by_round(_talks_more(host=0), [10], {"A": "linear", "B": "linear"})
    assert vetoed[10] == [
        "made: to A 0.510 with it after its cost 0.000, 0.500 without it; now rather than "
        f"later: its window closes before the next round; {NO_DEAL}"
    ]
    # A window that closes in the last round (tau 0.97: round 20 stands for (0.95, 1]): the
    # end-of-talks rule can still make the move, at the same time and cost, so it waits in
    # round 19 and after round 20 is made after the talks, not in round 20.
    last = _reasons_by_round(scenario([a_move(latest=0.97)]), [19])
    assert last[19] == [f"not made in round 19: {WAITS}"]
    assert last[-1] == [
        "made after the talks (no agreement): to A 1.000 with it after its cost 0.000, "
        "0.500 without it"
    ]
    # Consent refused in the talks: the host (ideal 0) of a move open only at tau 0.5.
    refused = _reasons_by_round(closing(hosted(0), latest=0.5), [10])
    assert refused[10] == ["not made in round 10: consent refused: hosts 0 of 1 yes"]
    # B leaves in round 6 (tau 0.3; x to 20 is worth 0.65 to B against 0.5). The talks end
    # there, and A's move, whose window (tau 0.8 on) has not closed, is made after them at
    # its cost then: 0.05 + 0.3 * 0.3 = 0.14; to A 0.5 * 0.2 + 0.5 * 1 - 0.14 = 0.46 with
    # it, 0.1 + 0.25 = 0.35 without.
    early = _reasons_by_round(_early_end(), [5])
    assert early[5][1] == "not yet: its window opens in round 16"
    assert early[-1] == [
        "made: to B 0.650 with it after its cost 0.000, 0.500 without it; now rather than "
        f"later: its window closes before the next round; {NO_DEAL}",
        "made after the talks (no agreement): to A 0.460 with it after its cost 0.140, "
        "0.350 without it",
    ]


def test_window_rounds():
    # Round t stands for (tau_{t-1}, tau_t], tau_t = t / (T - 1); a window is open in round t
    # iff earliest <= tau_t and latest > tau_{t-1}. T = 60: 0.712 * 59 = 42.008 -> first 43;
    # 0.74 * 59 = 43.66 -> first 44, and a window that closes at 0.74 is open in round 44
    # ((0.729, 0.746]) and not 45. T = 21: a window closing at 0.5 = tau_10 is open to round
    # 10; one closing at 0.52 also in round 11 ((0.5, 0.55]).
    assert state.window_rounds(0.712, 1.0, 60) == (43, 59)
    assert state.window_rounds(0.74, 0.74, 60) == (44, 44)
    assert state.window_rounds(0.74, 1.0, 60) == (44, 59)
    assert state.window_rounds(0.5, 1.0, 21) == (10, 20)
    assert state.window_rounds(0.0, 0.5, 21) == (0, 10)
    assert state.window_rounds(0.0, 0.52, 21) == (0, 11)
    assert state.window_words(44, 44) == "round 44"
    assert state.window_words(0, 11) == "rounds 0..11"
    # the rule itself, round by round, over windows on and off the rounds' times
    for rounds in (2, 21, 60):
        tau = [t / (rounds - 1) for t in range(rounds)]
        for earliest in np.linspace(0, 1, 41):
            for latest in np.linspace(earliest, 1, 7):
                open_in = [
                    t
                    for t in range(rounds)
                    if earliest <= tau[t] + 1e-12 and (t == 0 or latest > tau[t - 1] + 1e-12)
                ]
                first, last = state.window_rounds(earliest, latest, rounds)
                assert list(range(first, last + 1)) == open_in, (earliest, latest, rounds)


def test_package_2007_moves_follow_the_model():
    """Every round of one run: the issues shown settled are the model's, each move made is
    named with this run's sampled value, when it was made is the model's record (a round, or
    after the talks), and the consent listed is the model's record."""
    s = state.Settings().with_change("moves.russia_suspends_cfe.earliest", 0.5)
    model = DiplomacyModel(**s.model_kwargs())
    sc = model.scenario
    sampled = ns.sample(sc, 1, 7).moves  # run 0 of seed 7: what the model plays
    table = reasons.moves_table(model).set_index("move")
    # window [0.5, 0.74]: 0.5 * 59 = 29.5 -> round 30; 0.74 * 59 = 43.66 -> round 44
    assert table.loc["russia_suspends_cfe", "window"] == "rounds 30..44"
    assert table.loc["kosovo_udi", "window"] == "rounds 43..59"
    assert (table["made"] == "not yet").all()
    named = set()
    while model.running:
        model.step()
        if model.running:
            np.testing.assert_array_equal(state.settled_issues(model), model.table.moves.settled[0])
        line = state.describe_round(model)
        for move_id in filter(None, model.moves_made.split(", ")):
            k = sc.move_index(move_id)
            move = sc.all_moves[k]
            words = f"{move.actors[0]} makes {move_id} ({move.issue} to {sampled.to[0, k]:.0f})"
            assert words in line
            named.add(move_id)
    res = model.result()
    made = {m.id for k, m in enumerate(sc.all_moves) if res.moved[0, k] >= 0}
    assert named == made and "russia_suspends_cfe" in made
    # free, alone on its issue and with a cost that does not grow, the suspension can wait
    # to the last round of its window (rule (b)): never earlier
    assert res.moved[0, sc.move_index("russia_suspends_cfe")] == 44
    table = reasons.moves_table(model).set_index("move")
    consent = res.consent_frame()
    for k, move in enumerate(sc.all_moves):
        if move.id not in made:
            assert table.loc[move.id, "made"] == "no"
            continue
        when = int(res.moved[0, k])
        shown = "after the talks" if when == model.rounds else f"round {when}"
        assert table.loc[move.id, "made"] == shown
        said = consent[consent["move"] == move.id].set_index("actor")["consented"]
        members = {c.id: c.members for c in sc.coalitions}
        expected = [
            f"{n} {int(said[list(members[n])].sum())} of {len(members[n])}"
            if n in members
            else f"{n} {'yes' if said[n] else 'no'}"
            for n in move.needs
        ]
        assert table.loc[move.id, "consent"] == "; ".join(expected)


def _open_rounds(earliest: float, latest: float, rounds: int) -> list[int]:
    """The rounds a window is open in (docs/protocols.md): round t stands for (tau_{t-1},
    tau_t], and the window meets it iff earliest <= tau_t and latest > tau_{t-1}."""
    tau = [t / (rounds - 1) for t in range(rounds)]
    return [
        t
        for t in range(rounds)
        if earliest <= tau[t] + 1e-12 and (t == 0 or latest > tau[t - 1] + 1e-12)
    ]


@pytest.mark.parametrize("strategies", [None, {"Russia": RUSSIA}])
def test_move_reasons_agree_with_the_moves_made(strategies):
    """Every round of a package_2007 run, against the rule (docs/protocols.md, "Moves"): in
    this scenario every move is alone on its issue and its cost does not change with time, so
    the only thing that can time a move during the talks is its window's closing. A move
    made in the talks is made in the last round of its window and says so (with its sampled
    cost); one not made says its window has not opened (before its first round), that
    waiting is worth as much (only while a later round or the end of the talks is open to
    it), or another test of the rule, never that the rule would make it; a move made after the
    talks says so. The last line names each veto of the last round."""
    sc = ns.load_scenario("package_2007")
    model = DiplomacyModel(sc, seed=7, strategies=strategies)
    sampled = ns.sample(sc, 1, 7).moves
    assert np.all(sampled.cost_rate == 0)
    assert len({m.issue for m in sc.all_moves}) == len(sc.all_moves)  # no rivals
    windows = [
        _open_rounds(sampled.earliest[0, k], sampled.latest[0, k], model.rounds)
        for k in range(len(sc.all_moves))
    ]
    while model.running:
        model.step()
        t = model.round
        moved, _ = state.move_record(model)
        for k, why in enumerate(reasons.move_reasons(model)):
            window, cost = windows[k], f"after its cost {sampled.cost[0, k]:.3f}"
            if moved[k] < 0:
                assert why.startswith(("not yet", "not made")), why
                assert "its rule would make it" not in why
                if why.startswith("not yet: its window opens in round "):
                    assert t < window[0] and why.endswith(f"round {window[0]}")
                if "waiting is worth as much" in why:
                    assert window[-1] > t or sampled.latest[0, k] >= 1.0
            elif moved[k] < model.rounds:
                assert moved[k] == window[-1] and why.startswith("made: to "), why
                assert cost in why
                assert "now rather than later: its window closes before the next round" in why
                assert "; it beats the talks: " in why
            else:
                assert not model.running
                assert why.startswith("made after the talks (no agreement): to "), why
                assert cost in why
    assert "the deadline passes without agreement" in state.describe_round(model)
    assert _vetoes_are_explained(model, state.describe_round(model)) >= 1


def test_moves_table_is_empty_without_moves():
    data = ns.load_scenario("package_2007").to_dict()
    data["moves"], data["updates"] = [], []  # updates name moves made by their date
    data["uncertainty"] = [u for u in data["uncertainty"] if not u["target"].startswith("moves.")]
    for actor in data["actors"]:
        actor.pop("exit", None)
    model = DiplomacyModel(ns.Scenario.from_dict(data), seed=1, rounds=4)
    model.run()
    assert reasons.moves_table(model).empty
    assert not state.settled_issues(model).any()


def test_ratified_packages_match_the_ratification_rule():
    """Brute force: each member votes yes iff 1 - sum_i w_i |x_i - p_i| / span_i >= its
    reservation (a negotiator: plus the deal margin); unanimity needs every member, and a
    coalition is asked only when the package moves an issue it ratifies."""
    model = DiplomacyModel(**state.Settings().model_kwargs())
    grid, utility, ok = state.ratified_packages(model, steps=6)
    sc, t = model.scenario, model.table
    assert grid.shape == (6**3, 3)
    pos, w = t.positions[0], t.weights[0]
    by_hand = 1 - np.sum(w[None] * np.abs(grid[:, None, :] - pos[None]) / t.span, axis=2)
    np.testing.assert_allclose(utility, by_hand, atol=1e-12)
    # the BATNAs at the start of the run; a member who negotiates needs the deal margin too
    negotiates = np.array([role == "negotiator" for role in sc.roles])
    yes = by_hand >= t.reservation[0] + DEAL_MARGIN * negotiates - 1e-9
    for k, x in enumerate(grid):
        expected = True
        for c in sc.coalitions:
            moved = any(
                abs(x[sc.issue_index(i)] - sc.status_quo[sc.issue_index(i)]) > 1e-12
                for i in c.ratifies
            )
            members = [sc.actor_index(m) for m in c.members]
            share = yes[k, members].mean()
            if c.rule == "unanimity":
                passes = share == 1.0
            elif c.rule == "majority":
                passes = share > 0.5
            else:
                passes = share >= c.threshold - 1e-12
            expected &= (not moved) or passes
        assert ok[k] == expected


def test_monte_carlo_in_progress_chunks_equals_simulate():
    s = state.Settings(protocol="mediated").with_strategy("Russia", RUSSIA)
    ticks: list[float] = []
    res = state.monte_carlo(s, 600, ticks.append)
    ref = ns.simulate(
        ns.load_scenario("package_2007"),
        600,
        7,
        protocol="mediated",
        strategies={"Russia": RUSSIA},
    )
    np.testing.assert_array_equal(res.agreed, ref.agreed)
    np.testing.assert_array_equal(res.outcome, ref.outcome)
    assert ticks == [500 / 600, 1.0]  # one tick per chunk of 500 runs
    line = state.agreement_line(res)
    assert line["agreed"] == int(ref.agreed.sum()) > 0


def test_what_changed_compares_two_settings_on_the_same_runs():
    a = comparison.baseline_of(state.Settings(seed=3))
    b = state.Settings(seed=3, protocol="mediated").with_strategy("Russia", RUSSIA)
    assert comparison.setting_changes(a, a) == []
    assert comparison.setting_changes(a, b) == [
        "protocol: alternating -> mediated",
        "Russia's strategy: trade_off e=0.5 -> conceder e=5",
    ]
    learned = replace(b, information="learned")
    assert comparison.setting_changes(b, learned) == ["information: complete -> learned"]
    # A of another seed is played on B's seed: the same worlds
    assert comparison.on_same_worlds(replace(a, seed=1), b) == a
    sc = ns.load_scenario("package_2007")
    ref_a = ns.simulate(sc, 200, 3)
    ref_b = ns.simulate(sc, 200, 3, protocol="mediated", strategies={"Russia": RUSSIA})
    res_a, res_b = (state.monte_carlo(x, 200) for x in (a, b))
    frame = comparison.compare_results(res_a, res_b)
    assert frame.loc["agreement", "A"] == ref_a.agreement_rate
    assert frame.loc["agreement", "B"] == ref_b.agreement_rate
    k = sc.move_index("kosovo_udi")
    assert frame.loc["kosovo_udi made", "change"] == pytest.approx(
        np.mean(ref_b.moved[:, k] >= 0) - np.mean(ref_a.moved[:, k] >= 0)
    )
    pairs = comparison.paired_agreement(res_a, res_b)
    assert pairs["both"] == int(np.sum(ref_a.agreed & ref_b.agreed))
    assert pairs["only B"] == int(np.sum(~ref_a.agreed & ref_b.agreed))
    assert sum(pairs.values()) == 200
    # a strategy samples nothing: the same world; a fixed number is the value fixed
    assert comparison.input_differences(a, b).empty
    fixed = comparison.input_differences(a, a.with_change("moves.kosovo_udi.to", 15.0))
    row = fixed.set_index("input").loc["moves.kosovo_udi.to"]
    assert row["B"] == 15.0
    assert row["A"] == ns.sample(sc, 1, 3).moves.to[0, k]
    # common random numbers: fixing one number leaves every other draw of the run as it was
    assert list(fixed["input"]) == ["moves.kosovo_udi.to"]


def test_learned_information_only_with_a_protocol_that_plays_strategies():
    """The page offers "learned" only where the negotiators play strategies; a protocol that
    computes its outcome from the true numbers sets complete information, so the page's model
    can still be built (DiplomacyModel refuses learned with it)."""
    learned = state.Settings(information="learned")
    assert state.information_choices(learned) == ["complete", "learned"]
    assert state.with_protocol(learned, "mediated").information == "learned"
    for protocol in ("eum", "exchange", "nash"):
        changed = state.with_protocol(learned, protocol)
        assert changed.protocol == protocol and changed.information == "complete"
        assert state.information_choices(changed) == ["complete"]
        DiplomacyModel(**changed.model_kwargs())
        with pytest.raises(ns.ArgumentError, match="information"):
            DiplomacyModel(**replace(changed, information="learned").model_kwargs())


def test_sweep_values():
    assert state.sweep_values(0, 100) == [20.0, 40.0, 60.0, 80.0, 100.0]
    assert state.sweep_values(10, 50) == [10.0, 20.0, 30.0, 40.0, 50.0]


def test_serve_names_an_unknown_scenario_and_main_exits_2(capsys):
    pytest.importorskip("solara", reason="the app extra is not installed")
    with pytest.raises(SystemExit, match="no_such_scenario"):
        serve("no_such_scenario")
    assert main(["no_such_scenario"]) == 2
    assert "negosim app:" in capsys.readouterr().err


def test_slider_grid_holds_the_value():
    # a slider snaps its value to min + k * step when drawn: 0.712 on a 0.01 grid became 0.71
    assert state.slider_step(0.712, 0.0, 0.01) == 0.001
    assert state.slider_step(0.74, 0.0, 0.01) == 0.01
    assert state.slider_step(13.2, 5.0, 0.5) == 0.05  # (13.2 - 5) / 0.05 = 164
    assert state.slider_step(72.25, 0.0, 1.0) == 0.01
    assert not state.moved_by_hand(0.712, 0.712)
    assert state.moved_by_hand(0.712, 0.71)


def test_move_sliders_fix_the_window_and_value_into_the_scenario():
    """The sidebar's sliders of a move's window and value (rendered without a browser) show
    the scenario's values on their grid, change nothing when set to the value they show (as a
    slider does when it is drawn), and set ``moves.ID.FIELD`` when moved."""
    pytest.importorskip("solara", reason="the app extra is not installed")
    import ipyvuetify as v
    import solara

    from negosim.app import controls

    controls.settings.set(state.Settings())
    try:
        _, rc = solara.render(controls.MoveControls(), handle_error=False)
        sliders = rc.find(v.Slider).widgets
        sc = ns.load_scenario("package_2007")
        assert len(sliders) == 3 * len(sc.all_moves)  # opens at, closes at, to: in file order
        for k, move in enumerate(sc.all_moves):
            fields = (move.earliest, move.latest, move.to)
            for slider, value in zip(sliders[3 * k : 3 * k + 3], fields, strict=True):
                assert slider.v_model == value
                grid = (value - slider.min) / slider.step
                assert abs(grid - round(grid)) < 1e-6, (move.id, value, slider.step)
                slider.v_model = float(value)  # drawn, not moved
        assert dict(controls.settings.value.changes) == {}
        k = sc.move_index("russia_suspends_cfe")
        opens, closes, to = sliders[3 * k : 3 * k + 3]
        assert (opens.v_model, closes.v_model, to.v_model) == (0.74, 0.74, 15.0)  # the file's
        assert (opens.max, closes.min) == (0.74, 0.74)  # a window's ends cannot cross
        opens.v_model = 0.2
        closes.v_model = 1.0
        to.v_model = 40.0
        assert dict(controls.settings.value.changes) == {
            "moves.russia_suspends_cfe.earliest": 0.2,
            "moves.russia_suspends_cfe.latest": 1.0,
            "moves.russia_suspends_cfe.to": 40.0,
        }
        model = DiplomacyModel(**controls.settings.value.model_kwargs())
        row = reasons.moves_table(model).set_index("move").loc["russia_suspends_cfe"]
        assert (row["window"], row["to"]) == ("rounds 12..59", "40.0")  # 0.2 * 59 = 11.8
    finally:
        controls.settings.set(state.Settings())


def test_cli_app_subcommand(capsys):
    """``negosim app`` is a subcommand of the main command line with the page's options."""
    pytest.importorskip("solara", reason="the app extra is not installed")
    from negosim.cli import main as cli

    assert cli(["app", "--help"]) == 0
    text = capsys.readouterr().out
    assert max(map(len, text.splitlines())) <= 100
    for option, default in (("--host", "127.0.0.1"), ("--port", "a free one")):
        assert re.search(rf"{option} \w+ +.*\(default:? {default}\)", text), option
    assert cli(["app", "no_such_scenario"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("negosim app: ") and "no_such_scenario" in err[0]


# ---------------------------------------------------------------------- the page in Chromium
def _browser() -> tuple[str, str]:
    """Paths of a Chromium and its driver, or skip saying what is missing."""
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e .[dev])")
    pytest.importorskip("solara", reason="the app extra is not installed (pip install .[app])")
    browser = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip(
            "no Chromium and chromedriver on PATH (apt-get install chromium chromium-driver)"
        )
    return browser, driver


class Server:
    """`python -m negosim.app --port 0` in a subprocess; its printed address."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "negosim.app", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def url(self, timeout: float = 120) -> str:
        end = time.monotonic() + timeout
        address = None
        while time.monotonic() < end and self.proc.poll() is None:
            found = re.search(r"http://127\.0\.0\.1:(\d+)", "".join(self.lines))
            if found:
                address = found.group(0) + "/"
                try:
                    with urllib.request.urlopen(address, timeout=5) as r:
                        if r.status == 200:
                            return address
                except OSError:
                    pass
            time.sleep(0.3)
        raise AssertionError(f"the server did not come up at {address}:\n{''.join(self.lines)}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        # the reader ends at the pipe's end of file; closing the pipe under it raised in it
        self.reader.join(timeout=15)
        if self.proc.stdout is not None and not self.reader.is_alive():
            self.proc.stdout.close()


class Page:
    """Small Selenium helpers for the Vuetify widgets of the page."""

    def __init__(self, driver, tmp: Path) -> None:
        from selenium.webdriver.common.by import By

        self.d, self.By, self.tmp = driver, By, tmp

    def wait(self, what, timeout: float = 60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                value = what()
            except Exception:  # the element was just redrawn
                value = None
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(
            f"timed out waiting; page text:\n{self.d.find_element(self.By.TAG_NAME, 'body').text}"
        )

    def text(self, element_id: str) -> str:
        return self.wait(lambda: self.d.find_element(self.By.ID, element_id).text)

    def number(self, element_id: str) -> float:
        return float(self.text(element_id))

    def button(self, label: str):
        return self.wait(
            lambda: next(
                b
                for b in self.d.find_elements(self.By.TAG_NAME, "button")
                if b.text.strip().upper() == label.upper() and b.is_displayed()
            )
        )

    def choose(self, css_class: str, option: str) -> None:
        """Pick ``option`` in the Vuetify select with class ``css_class``."""
        field = self.wait(lambda: self.d.find_element(self.By.CSS_SELECTOR, f".{css_class}"))
        field.find_element(self.By.CSS_SELECTOR, ".v-select__slot").click()
        item = self.wait(
            lambda: next(
                i
                for i in self.d.find_elements(self.By.CSS_SELECTOR, ".v-menu__content .v-list-item")
                if i.is_displayed() and i.text.strip() == option
            )
        )
        item.click()

    def open_every_panel(self) -> None:
        """Open every closed expansion panel (the sidebar's details), touching nothing else."""
        for header in self.d.find_elements(self.By.CSS_SELECTOR, ".v-expansion-panel-header"):
            if "v-expansion-panel-header--active" not in header.get_attribute("class"):
                self.d.execute_script("arguments[0].scrollIntoView(); arguments[0].click()", header)
        self.wait(
            lambda: all(
                "--active" in h.get_attribute("class")
                for h in self.d.find_elements(self.By.CSS_SELECTOR, ".v-expansion-panel-header")
            )
        )
        time.sleep(1.0)  # let every slider drawn in them report to the server

    def scroll_to(self, element_id: str) -> None:
        """Bring an element to the middle of its scrolled pane (for a screenshot)."""
        element = self.wait(lambda: self.d.find_element(self.By.ID, element_id))
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)

    def type_into(self, css_class: str, value: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.wait(lambda: self.d.find_element(self.By.CSS_SELECTOR, f".{css_class} input"))
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(value, Keys.ENTER)

    def shot(self, name: str) -> None:
        """A screenshot of the page: into docs/img when NEGOSIM_SCREENSHOTS=1 (to refresh the
        docs), else into a temporary folder (a test run writes nothing into the tree)."""
        folder = IMG if os.environ.get("NEGOSIM_SCREENSHOTS") == "1" else self.tmp
        folder.mkdir(parents=True, exist_ok=True)
        time.sleep(0.5)  # let the last redraw settle before the picture
        self.d.save_screenshot(str(folder / name))
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _shown_equals_model(page: Page, model: DiplomacyModel) -> None:
    assert int(page.text("ns-steps")) == model.steps
    assert int(page.text("ns-round")) == model.round
    res = model.result() if not model.running else None
    moved = res.moved[0] if res is not None else model.table.moves.moved[0]
    package = res.outcome[0] if res is not None else model.offer  # the final one once ended
    for k, issue in enumerate(model.scenario.issues):  # shown to 1 decimal
        assert abs(page.number(f"ns-offer-{issue}") - package[k]) <= 0.05 + 1e-9
    for d in model.diplomats:
        if d.role == "negotiator" and np.isfinite(d.utility):  # shown to 3 decimals
            assert abs(page.number(f"ns-utility-{d.actor}") - d.utility) <= 5e-4 + 1e-9
    for k, move in enumerate(model.scenario.all_moves):
        made = page.text(f"ns-move-made-{move.id}")
        if moved[k] >= model.rounds:  # made when the talks ended (recorded as round T)
            assert made == "after the talks", (move.id, made)
        elif moved[k] >= 0:
            assert made == f"round {moved[k]}", (move.id, made)
        else:
            assert made == ("not yet" if model.running else "no"), (move.id, made)
    for issue in model.scenario.issues:
        settled = any(
            moved[k] >= 0 and m.issue == issue for k, m in enumerate(model.scenario.all_moves)
        )
        assert (page.text(f"ns-issue-state-{issue}") == "settled by a move") == settled


def _panels_open_and_nothing_changed(page: Page, sc) -> None:
    """Open every panel of the sidebar; each slider shows the scenario's value, and the
    What changed view says nothing was set."""
    page.open_every_panel()
    for move in sc.all_moves:
        for fld in ("earliest", "latest", "to"):
            shown = page.number(f"ns-value-moves.{move.id}.{fld}")
            assert shown == pytest.approx(getattr(move, fld), rel=1e-6), (move.id, fld)
    for actor in state.negotiators(sc):
        spec = sc.actor(actor)
        for issue, salience in spec.salience.items():
            assert page.number(f"ns-value-{actor}.salience.{issue}") == pytest.approx(salience)
            position = spec.position[issue]
            assert page.number(f"ns-value-{actor}.position.{issue}") == pytest.approx(position)
    page.scroll_to("ns-value-moves.kosovo_udi.earliest")
    page.shot("app_sidebar.png")
    page.button("What changed").click()
    page.wait(lambda: "nothing yet" in page.text("ns-cmp-changes"))


def _monte_carlo_equals(page: Page, ref, runs: int) -> None:
    """Run the Monte Carlo view with ``runs`` and compare it with ``ref`` (simulate)."""
    page.button("Monte Carlo").click()
    page.type_into("ns-mc-runs", str(runs))
    started = time.perf_counter()
    page.button("Run Monte Carlo").click()
    page.wait(lambda: page.text("ns-mc-n") == str(runs), timeout=120)
    print(f"{runs:,}-run Monte Carlo: {time.perf_counter() - started:.2f} s from click to result")
    assert int(page.text("ns-mc-agreed")) == int(ref.agreed.sum()) > 0
    assert abs(page.number("ns-mc-rate") - ref.agreement_rate) <= 5e-5
    for k, move in enumerate(ref.scenario.all_moves):  # move shares, shown to 4 decimals
        share = float(np.mean(ref.moved[:, k] >= 0))
        assert abs(page.number(f"ns-mc-move-share-{move.id}") - share) <= 5e-5
    for i, issue in enumerate(ref.scenario.issues):  # the final package of every run, median
        median = float(np.median(ref.outcome[:, i]))
        assert abs(page.number(f"ns-mc-q50-{issue}") - median) <= 0.05 + 1e-9


def _ended_run_explained(page: Page, model: DiplomacyModel) -> None:
    """The page at the end of ``model``'s run: the last line names each veto and who voted
    no, each move says why, and the consent to each move made is the model's."""
    _shown_equals_model(page, model)
    sc = model.scenario
    line = page.text("ns-narrative")
    assert line.startswith(f"Round {model.round}: ")
    assert _vetoes_are_explained(model, line) >= 1
    for move, why in zip(sc.all_moves, reasons.move_reasons(model), strict=True):
        assert page.text(f"ns-move-why-{move.id}") == why
    made = [m.id for m in sc.all_moves if m.id in model.moves_made.split(", ")]
    assert made and all(f"makes {m}" in line for m in made)
    consent = model.result().consent_frame()
    for move_id in made:  # "US yes; eu_recognisers 22 of 27": the members who said yes
        said = consent[consent["move"] == move_id]
        for c in sc.coalitions:
            if c.id in sc.all_moves[sc.move_index(move_id)].needs:
                yes = int(said[said["actor"].isin(c.members)]["consented"].sum())
                shown = page.text(f"ns-move-consent-{move_id}")
                assert f"{c.id} {yes} of {len(c.members)}" in shown


@contextlib.contextmanager
def chromium_page(tmp: Path):
    """The page served by a fresh server and opened in headless Chromium (skips without
    them); the server and the browser are stopped after the block."""
    browser, driver_path = _browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    server = Server()
    driver = None
    try:
        url = server.url()
        options = Options()
        options.binary_location = browser
        for arg in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--window-size=1500,1050",
        ):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        driver.get(url)
        page = Page(driver, tmp)
        assert page.text("ns-steps") == "0"
        yield page
    finally:
        if driver is not None:
            driver.quit()
        server.stop()


@pytest.mark.slow
def test_page_in_headless_chromium(tmp_path):
    with chromium_page(tmp_path) as page:
        driver = page.d
        sc = ns.load_scenario("package_2007")

        # Every panel opened, nothing touched: the Monte Carlo is simulate's with the
        # scenario's values (a slider that rounded a value when drawn changed it).
        _panels_open_and_nothing_changed(page, sc)
        _monte_carlo_equals(page, ns.simulate(sc, state.DEFAULT_RUNS, 7), state.DEFAULT_RUNS)

        # Play to the end with the scenario's values: the last line names the vetoes.
        page.button("One negotiation").click()
        page.button("▶").click()
        page.wait(lambda: page.text("ns-status") != "open", timeout=240)
        model = DiplomacyModel(sc, seed=7)
        model.run()
        _ended_run_explained(page, model)
        page.shot("app_step.png")
        page.scroll_to("ns-move-why-us_deploys")
        page.shot("app_moves.png")
        assert not page.button("Step").is_enabled()

        # A change after Play to the end: a fresh negotiation that Step and Play drive.
        page.choose("ns-strategy-Russia", "conceder")
        page.wait(lambda: page.text("ns-strategy-shown-Russia") == "conceder")
        page.wait(lambda: page.text("ns-steps") == "0")
        assert page.button("▶").is_enabled()
        model = DiplomacyModel(sc, seed=7, strategies={"Russia": RUSSIA})
        latencies = []
        for _ in range(5):
            before = page.text("ns-steps")
            started = time.perf_counter()
            page.button("Step").click()
            page.wait(lambda b=before: page.text("ns-steps") != b)
            latencies.append(time.perf_counter() - started)
            model.step()
            _shown_equals_model(page, model)
        assert page.text("ns-narrative").startswith(f"Round 4: {model.proposer_id} proposes")
        print(f"\nStep latency in the browser (s): {', '.join(f'{x:.3f}' for x in latencies)}")

        # Play runs rounds until paused; the page still shows the model's state after them.
        page.button("▶").click()
        page.wait(lambda: int(page.text("ns-steps")) >= 8, timeout=120)
        page.button("❚❚").click()
        time.sleep(1.0)  # a round may still be finishing
        played = int(page.text("ns-steps"))
        while model.steps < played:
            model.step()
        _shown_equals_model(page, model)

        page.button("Pareto view").click()
        page.wait(lambda: "bargaining set of US and Russia" in driver.page_source)
        page.wait(lambda: driver.find_elements(page.By.CSS_SELECTOR, "img"))
        page.shot("app_pareto.png")
        page.button("One negotiation").click()
        page.button("Reset").click()
        page.wait(lambda: page.text("ns-steps") == "0")

        # Monte Carlo: the mediated protocol, 300 runs, and a sweep.
        page.choose("ns-protocol", "mediated")
        ref = ns.simulate(sc, 300, 7, protocol="mediated", strategies={"Russia": RUSSIA})
        _monte_carlo_equals(page, ref, 300)
        page.choose("ns-mc-sweep", "Russia.salience.kosovo_status")
        page.button("Run Monte Carlo").click()
        page.wait(lambda: "Sweep of Russia.salience.kosovo_status" in driver.page_source)
        page.wait(lambda: driver.find_elements(page.By.CSS_SELECTOR, "img"))  # the sweep
        page.shot("app_montecarlo.png")

        # What changed: the scenario's values (A) and the sidebar's (B) on the same 300 runs.
        page.button("What changed").click()
        said = page.text("ns-cmp-changes")
        assert "protocol: alternating -> mediated" in said and "Russia's strategy" in said
        page.button("Compare A and B").click()
        plain = ns.simulate(sc, 300, 7)
        assert abs(page.number("ns-cmp-A-agreement") - plain.agreement_rate) <= 5e-5
        assert abs(page.number("ns-cmp-B-agreement") - ref.agreement_rate) <= 5e-5
        assert int(page.text("ns-cmp-pair-only-B")) == int(np.sum(~plain.agreed & ref.agreed))
        assert page.text("ns-cmp-inputs-n") == "0"  # a strategy and a protocol sample nothing
        page.shot("app_whatchanged.png")
        page.button("Back to the scenario's values").click()
        page.wait(lambda: "nothing yet" in page.text("ns-cmp-changes"))


@pytest.mark.slow
def test_page_steps_a_negotiation_under_learned_information(tmp_path):
    """The "information" select set to learned: a fresh negotiation that Step and Play drive
    as DiplomacyModel(..., information="learned") plays it, a Monte Carlo equal to
    simulate's under learned (not complete's), and What changed names the setting."""
    sc = ns.load_scenario("package_2007")
    with chromium_page(tmp_path) as page:
        page.button("Step").click()
        page.wait(lambda: page.text("ns-steps") == "1")
        page.choose("ns-information", "learned")
        page.wait(lambda: page.text("ns-steps") == "0")  # a change: a fresh negotiation
        model = DiplomacyModel(sc, seed=7, information="learned")
        for _ in range(3):
            before = page.text("ns-steps")
            page.button("Step").click()
            page.wait(lambda b=before: page.text("ns-steps") != b)
            model.step()
            _shown_equals_model(page, model)
        assert page.text("ns-narrative") == state.describe_round(model)
        # Play runs rounds until paused; the page shows the model's state after them
        page.button("▶").click()
        page.wait(lambda: int(page.text("ns-steps")) >= 6, timeout=120)
        page.button("❚❚").click()
        time.sleep(1.0)  # a round may still be finishing
        while model.steps < int(page.text("ns-steps")):
            model.step()
        _shown_equals_model(page, model)
        # the Monte Carlo is learned information's (300 runs: 4 deals, 2 with complete)
        learned = ns.simulate(sc, 300, 7, information="learned")
        assert learned.agreed.sum() != ns.simulate(sc, 300, 7).agreed.sum()
        _monte_carlo_equals(page, learned, 300)
        page.button("What changed").click()
        assert page.text("ns-cmp-changes") == "information: complete -> learned"
