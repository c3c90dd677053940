"""Mutations of the rules of issue 26 that a named test must catch.

Each test changes one rule (the deal margin, the timing rule of moves, the per-issue shares of
the summary) and runs the named test of the rule against the changed code: it must fail. A
rule that its test does not pin down would pass here.
"""

from __future__ import annotations

import numpy as np
import pytest
import test_moves
import test_summary

from negosim.engine import summary
from negosim.model import moves, ratification


def test_a_zero_margin_fails_the_indifference_oracle(monkeypatch):
    monkeypatch.setattr(ratification, "DEAL_MARGIN", 0.0)
    with pytest.raises(AssertionError):
        test_moves.test_indifference_at_the_deadline_is_no_deal()


def test_a_larger_margin_fails_the_worked_deal(monkeypatch):
    monkeypatch.setattr(ratification, "DEAL_MARGIN", 0.05)
    with pytest.raises(AssertionError):
        test_moves.test_a_deal_gives_every_negotiator_its_no_deal_utility_plus_the_margin()


def test_moving_as_soon_as_worth_it_fails_the_waiting_oracle(monkeypatch):
    # the myopic rule: a move is never worth keeping for later
    def never_later(self, m, rows, clock):
        return np.zeros(rows.size, dtype=bool), np.zeros(rows.size, dtype=bool)

    monkeypatch.setattr(moves.MoveState, "_later", never_later)
    with pytest.raises(AssertionError):
        test_moves.test_a_move_with_a_constant_value_and_an_open_window_is_made_only_at_the_end()


def test_ignoring_a_growing_cost_fails_its_oracle(monkeypatch):
    later = moves.MoveState._later

    def flat_cost(self, m, rows, clock):
        can, _ = later(self, m, rows, clock)
        return can, np.zeros(rows.size, dtype=bool)

    monkeypatch.setattr(moves.MoveState, "_later", flat_cost)
    with pytest.raises(AssertionError):
        test_moves.test_a_move_whose_cost_grows_is_made_at_once_and_one_whose_cost_falls_waits(
            0.2, 0, 0.1
        )


def test_ignoring_rivals_fails_the_pre_emption_oracle(monkeypatch):
    monkeypatch.setattr(
        moves.MoveState, "_threatened", lambda self, m, rows, *args: np.zeros(rows.size, bool)
    )
    with pytest.raises(AssertionError):
        test_moves.test_a_pre_empting_move_is_made_before_the_reaction_it_forestalls()


def test_counting_every_agreed_issue_as_the_deals_fails_the_shares(monkeypatch):
    # the old count: an agreed run's issue is the deal's even where a move settled it first
    def old_way(res):
        before, ever = settled(res)
        return np.zeros_like(before), ever

    settled = summary._settled_by_moves
    monkeypatch.setattr(summary, "_settled_by_moves", old_way)
    with pytest.raises(AssertionError):
        test_summary.test_per_issue_shares_partition_the_runs_as_worked_out_by_hand()
