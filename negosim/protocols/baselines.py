"""Baselines of the EU decision-making literature (Thomson, Stokman, Achen and Koenig 2006):
the compromise model and the weighted median. Both are one-shot forecasts: every run ends
"agreed" at round 0 on the predicted package."""

from __future__ import annotations

import numpy as np

from negosim.protocols.eum import weighted_median
from negosim.protocols.mediated import compromise_text
from negosim.protocols.table import Table


def run_compromise(table: Table) -> None:
    """Outcome per issue: ``sum_a P_ai s_ai x_ai / sum_a P_ai s_ai`` over the parties."""
    outcome = compromise_text(table)
    table.finish(table.live.copy(), 0, outcome=outcome, utility=table.utilities(outcome))


def run_median(table: Table) -> None:
    """Outcome per issue: the position that beats every other in pairwise votes weighted by
    power x salience (the weighted median)."""
    outcome = np.empty((len(table.ids), len(table.span)))
    for i in range(outcome.shape[1]):
        w = table.issue_power[:, :, i] * table.salience[:, :, i] * table.party[:, :, i]
        outcome[:, i] = weighted_median(table.positions[:, :, i], w, table.party[:, :, i])
    table.finish(table.live.copy(), 0, outcome=outcome, utility=table.utilities(outcome))
