"""Diplomat: one state or organisation at the table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from negosim.preferences import PackageEvaluator
from negosim.protocols.table import meets_reservation

if TYPE_CHECKING:
    from negosim.abm.model import DiplomacyModel
    from negosim.strategies import Strategy


class Diplomat(mesa.Agent):
    """An actor: its ideal package, salience, power, reservation, role and strategy.

    Attributes
    ----------
    actor, index, role
        Actor id, its index in the scenario, and ``negotiator``, ``ratifier`` or ``mediator``.
    position, salience
        Ideal point and salience per issue (this run's sampled values).
    power, reservation
        Power and reservation utility (BATNA).
    strategy
        The negosim strategy object (negotiators only), shared with the vectorized core.
    utility, target, accepted
        This round's utility of the package on the table, the strategy's target (negotiators)
        and the response (1 accept, 0 reject, NaN when not asked).
    """

    def __init__(self, model: DiplomacyModel, index: int, strategy: Strategy | None) -> None:
        super().__init__(model)
        table = model.table
        spec = model.scenario.actor_specs[index]
        self.actor, self.index, self.role = spec.id, index, spec.role
        self.position = table.positions[0, index].copy()
        self.salience = model.batch.salience[0, index].copy()
        self.power = float(model.batch.power[0, index])
        self.reservation = float(table.reservation[0, index])
        self.strategy = strategy
        self._evaluate = PackageEvaluator(
            table.positions[:, [index]], table.weights[:, [index]], table.span, table.loss
        )
        self.utility = self.target = self.accepted = np.nan

    def view(self):
        """What this diplomat sees this round (the strategy's input)."""
        return self.model.table.view(self.index, self.model.round)

    def evaluate(self, package: np.ndarray) -> None:
        """Value the package on the table."""
        self.utility = float(self._evaluate(package[None, :])[0, 0])
        self.target = self.accepted = np.nan

    def propose(self) -> np.ndarray:
        """Draft a package (the proposer of an alternating round)."""
        sc = self.model.scenario
        self.target = float(self.strategy.target(self.view())[0])
        return np.clip(self.strategy.propose(self.view())[0], sc.low, sc.high)

    def respond(self) -> None:
        """Accept or reject the package on the table (negotiators)."""
        self.target = float(self.strategy.target(self.view())[0])
        self.accepted = float(self.strategy.respond(self.view(), np.array([self.utility]))[0])

    def consider_ratifying(self) -> None:
        """Vote on the package as a coalition member: yes iff it is worth the reservation."""
        self.accepted = float(meets_reservation(self.utility, self.reservation))

    def observe(self, proposer: int, package: np.ndarray) -> None:
        """Remember another negotiator's offer (tit-for-tat uses this)."""
        self.strategy.observe(self.view(), proposer, package[None, :])
