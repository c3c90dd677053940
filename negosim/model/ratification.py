"""Ratification: when an actor says yes, and when a coalition consents.

One rule serves packages and unilateral moves: an actor says yes to a change iff it leaves the
actor at least as well off as the alternative (for a package, its reservation; for a move, the
no-agreement package without the move), within :data:`RESERVATION_TOLERANCE`. A coalition
consents by its rule: ``unanimity`` (all yes), ``majority`` (more than half) or ``qualified``
(a share of at least ``threshold``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from negosim.model.scenario import Scenario

RESERVATION_TOLERANCE = 1e-9

DEAL_MARGIN = 0.01
"""What a deal must gain every negotiator over no deal (utility, on the 0..1 scale): a
package is agreed only where each negotiator's utility of it is at least its no-deal utility
plus this margin, so indifference is never a deal. One hundredth of the utility scale: the
least gain worth the political cost of signing, a modelling choice (docs/protocols.md,
"Deals beat no deal"), not a number from a source."""


def every(rows: np.ndarray) -> np.ndarray:
    """Whether every entry of each row of a boolean ``(R, K)`` array is True, ``(R,)``.

    Column by column: numpy's reduction over a short last axis costs about ten times more.
    """
    out = np.ones(len(rows), dtype=bool)
    for column in rows.T:
        out &= column
    return out


def some(rows: np.ndarray) -> np.ndarray:
    """Whether any entry of each row of a boolean ``(R, K)`` array is True, ``(R,)``
    (column by column, as :func:`every`)."""
    out = np.zeros(len(rows), dtype=bool)
    for column in rows.T:
        out |= column
    return out


def meets_reservation(utility: np.ndarray | float, reservation: np.ndarray | float):
    """An actor's yes: the package is worth at least the alternative (``reservation``)."""
    return utility >= reservation_floor(reservation)


def deal_floor(reservation: np.ndarray | float):
    """The least utility a deal must give a negotiator whose no-deal utility is
    ``reservation``: that plus :data:`DEAL_MARGIN` (read when called, so a test may change
    it)."""
    return reservation + DEAL_MARGIN


def reservation_floor(reservation: np.ndarray | float):
    """The least utility :func:`meets_reservation` says yes to (a table keeps it while the
    reservations hold)."""
    return reservation - RESERVATION_TOLERANCE


@dataclass(frozen=True)
class CoalitionRule:
    """A coalition as index arrays, ready to vote."""

    members: np.ndarray
    ratifies: np.ndarray
    rule: str
    threshold: float

    def consents(self, votes: np.ndarray) -> np.ndarray:
        """Consent per run given the members' yes votes ``(R, M)``."""
        if self.rule == "unanimity":
            return every(votes)
        # the share of yes votes: an exact count (in the narrowest type that holds it) over
        # the members, as their mean is
        count = votes.sum(axis=1, dtype=np.min_scalar_type(votes.shape[1]))
        share = count / votes.shape[1]
        if self.rule == "majority":
            return share > 0.5
        return share >= self.threshold - 1e-12


def coalition_rules(scenario: Scenario) -> list[CoalitionRule]:
    """The scenario's coalitions as :class:`CoalitionRule` objects, in file order (one
    lookup per member: :meth:`Scenario.actor_index` does not search)."""
    return [
        CoalitionRule(
            np.array([scenario.actor_index(m) for m in c.members], dtype=np.intp),
            np.array([scenario.issue_index(i) for i in c.ratifies], dtype=np.intp),
            c.rule,
            c.threshold or 0.0,
        )
        for c in scenario.coalitions
    ]
