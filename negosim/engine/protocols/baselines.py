"""One-shot protocols: the baselines of the EU decision-making literature (Thomson, Stokman,
Achen and Koenig 2006), the compromise model and the weighted median, and the bargaining
solutions of :mod:`negosim.analysis.solutions`. Each run ends at round 0: "agreed" on the predicted
package, or (for a bargaining solution when no package is ratifiable) at the status quo."""

from __future__ import annotations

import numpy as np

from negosim.engine.protocols.eum import weighted_median
from negosim.engine.protocols.mediated import compromise_text
from negosim.engine.solvers.programmes import SOLVERS
from negosim.engine.solvers.runs import solve_runs
from negosim.engine.table import Table

SOLUTIONS = SOLVERS
"""The bargaining-solution protocols (the registry of :mod:`negosim.analysis.solutions`)."""


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
    negotiators) over the packages the scenario's coalitions ratify, with each party's
    reservation as the disagreement point; where no package is ratifiable the run ends
    without agreement at the status quo.

    Parameters
    ----------
    table
        The chunk of runs (all open).
    kind
        ``"nash"``, ``"kalai_smorodinsky"`` or ``"utilitarian"``.
    actors
        The parties (default: the negotiators).
    options
        Passed to the solver (``powers=`` for Nash).
    """
    found = solve_runs(table.batch, kind, actors, runs=table.ids, **options)
    outcome = found["outcome"]
    table.finish(found["deal"], 0, outcome=outcome, utility=table.utilities(outcome))
    table.finish(table.live.copy(), 0)
