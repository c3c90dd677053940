"""One-shot protocols: the baselines of the EU decision-making literature (Thomson, Stokman,
Achen and Koenig 2006), the compromise model and the weighted median, and the bargaining
solutions of :mod:`negosim.solutions`. Each run ends at round 0: "agreed" on the predicted
package, or (for a bargaining solution with no zone of agreement) at the status quo."""

from __future__ import annotations

import numpy as np

from negosim.protocols.eum import weighted_median
from negosim.protocols.mediated import compromise_text
from negosim.protocols.table import Table
from negosim.solutions import kalai_smorodinsky, nash, utilitarian

SOLUTIONS = {"nash": nash, "kalai_smorodinsky": kalai_smorodinsky, "utilitarian": utilitarian}


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


def run_solution(table: Table, kind: str, actors=None, **options) -> None:
    """Outcome: the bargaining solution ``kind`` of each run among ``actors`` (default: the
    negotiators); no agreement where no package gives every party its reservation."""
    solve = SOLUTIONS[kind]
    agreed = np.zeros(len(table.ids), dtype=bool)
    outcome = np.broadcast_to(table.status_quo, (len(table.ids), len(table.span))).copy()
    for r in range(len(table.ids)):
        found = solve(table.batch, actors, run=int(table.ids[r]), **options)
        if found is not None:
            agreed[r], outcome[r] = True, found.package
    table.finish(agreed, 0, outcome=outcome, utility=table.utilities(outcome))
    table.finish(table.live.copy(), 0)
