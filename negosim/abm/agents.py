"""Diplomat: one state or organisation at the table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from negosim.engine.table import RoundRecord
from negosim.model.preferences import PackageEvaluator

if TYPE_CHECKING:
    from negosim.abm.model import DiplomacyModel
    from negosim.model.strategies import Strategy


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

    def evaluate(self, package: np.ndarray) -> None:
        """Value a package (the forecast models' outcome each round)."""
        self.utility = float(self._evaluate(package[None, :])[0, 0])
        self.target = self.accepted = np.nan

    def update(self, record: RoundRecord | None) -> None:
        """Take this round's utility, target and answer from the table's record (the round is
        played by the core's rulebook, :meth:`negosim.engine.table.Table.play_round`)."""
        if record is None:  # a move ended the talks before any package was put forward
            self.utility = self.target = self.accepted = np.nan
            return
        k = self.index
        self.utility = float(record.utility[0, k])
        self.target = float(record.target[0, k]) if record.target is not None else np.nan
        self.accepted = float(record.yes[0, k])
        if self.model.table.open_runs:
            self.reservation = float(self.model.table.reservation[0, k])
