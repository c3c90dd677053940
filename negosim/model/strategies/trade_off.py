"""The linkage strategy: concede first on the issues the actor cares least about.

For its time-dependent target ``u*(tau)`` the actor builds the package greedily: issues are
ordered by the ratio of its own salience weight to its counterpart's (``w_me / w_them``), and
it concedes fully toward the counterpart on the cheapest issues first, partly on the issue
where the budget ``1 - u*`` runs out, and not at all on the rest. With linear-additive,
linear-loss utilities of two parties this is the fractional-knapsack solution, so every offer
lies on the Pareto frontier (Raiffa 1982; Sebenius 1983; Hung 2003).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from negosim.model.preferences import inverse_loss, issue_loss
from negosim.model.strategies.base import View, classify
from negosim.model.strategies.time_dependent import TimeDependent


class TradeOff(TimeDependent):
    """Time-dependent target, offered as a logroll ordered by salience ratio."""

    name = "trade_off"
    classifier: ClassVar[dict[str, bool]] = classify(concedes_over_time=True, uses_linkage=True)
    citation = (
        "Raiffa, H. (1982). The Art and Science of Negotiation. Harvard UP; "
        "Sebenius, J. K. (1983). Negotiation arithmetic. International Organization 37(2)."
    )

    def propose(self, view: View) -> np.ndarray:
        return logroll(view, self.target(view))


def logroll(view: View, target: np.ndarray) -> np.ndarray:
    """The package worth ``target`` ``(R,)`` to the actor that concedes first on the issues
    with the lowest ratio of its weight to its counterpart's (``view.counterpart_weights``):
    fully on the cheapest, partly on the one where the budget ``1 - sunk - target`` runs out
    (its ideal point where the budget is <= 0, its counterpart's where it exceeds the cost
    of conceding everything). On linear loss with two parties it is the package on the
    Pareto frontier of the actor and its (believed) counterpart worth ``target`` to it."""
    ideal, _, sunk = view.concession_ends()
    way, order, sorted_cost, before, costly = view.remember("logroll", lambda: _logroll(view))
    budget = (1.0 - sunk - target)[:, None] - before
    share = np.divide(budget, sorted_cost, out=np.ones_like(budget), where=costly)
    share = np.clip(share, 0.0, 1.0)
    fraction = np.empty_like(share)
    np.put_along_axis(fraction, order, inverse_loss(share, view.loss), axis=1)
    return ideal + fraction * way


def logrolls(view: View, targets: np.ndarray) -> np.ndarray:
    """:func:`logroll` at several targets per run at once: ``(R, K)`` -> ``(R, K, I)`` (the
    same numbers as ``logroll(view, targets[:, k])`` for each ``k``)."""
    ideal, _, sunk = view.concession_ends()
    way, before, cost, costly = view.remember("logrolls", lambda: _unsorted(view))
    budget = (1.0 - sunk[:, None] - targets)[:, :, None] - before[:, None, :]
    share = np.divide(budget, cost[:, None, :], out=np.ones_like(budget), where=costly[:, None, :])
    share = inverse_loss(np.clip(share, 0.0, 1.0, out=share), view.loss)
    share *= way[:, None, :]
    share += ideal[:, None, :]
    return share


def _unsorted(view: View) -> tuple[np.ndarray, ...]:
    """:func:`_logroll`'s way, cost of the issues conceded before each and of each, and
    where it costs anything, in the issues' own order ``(R, I)``."""
    way, order, sorted_cost, before, costly = view.remember("logroll", lambda: _logroll(view))
    back = np.argsort(order, axis=1)
    take = lambda a: np.take_along_axis(a, back, axis=1)  # noqa: E731
    return way, take(before), take(sorted_cost), take(costly)


def _logroll(view: View) -> tuple[np.ndarray, ...]:
    """The way from ideal to goal, the issues in the order they are conceded, the cost of
    conceding each fully in that order, the cost of those before it, and where it costs
    anything (more than the least normal float; all ``(R, I)``)."""
    ideal, goal, _ = view.concession_ends()
    way = goal - ideal
    mine, theirs = view.my_weights, view.counterpart_weights
    cost = mine * issue_loss(way / view.span, view.loss)  # (R, I)
    ratio = np.divide(mine, theirs, out=np.full_like(mine, np.inf), where=theirs > 0)
    ratio = np.where(mine == 0, -1.0, ratio)  # free concessions first
    order = np.argsort(ratio, axis=1, kind="stable")
    sorted_cost = np.take_along_axis(cost, order, axis=1)
    before = np.cumsum(sorted_cost, axis=1) - sorted_cost
    # a cost below the least normal float is free: the budget over it would overflow
    return way, order, sorted_cost, before, sorted_cost > np.finfo(float).tiny
