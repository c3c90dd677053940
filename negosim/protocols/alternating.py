"""Stacked alternating offers over whole packages (multilateral SAO / multi-issue Rubinstein).

Rules (``docs/protocols.md`` states them in full):

1. Rounds ``t = 0 .. T-1``; relative time ``tau_t = t / (T - 1)``.
2. If some actor's exit time has come (``tau_t >= exit.at``), every open run ends without
   agreement at ``t`` and records that actor in ``exited``.
3. The negotiators propose in turn, in scenario order unless ``order`` is given.
4. Every other negotiator responds through its strategy. Each coalition whose ratified
   issues the offer moves off the status quo votes: the proposer votes yes, negotiators vote
   as they responded, every other member votes yes iff the package is worth at least its
   reservation; the coalition's rule (unanimity, majority, qualified share) decides.
5. The offer is agreed when every responding negotiator accepts and every asked coalition
   consents. Agreed utility is discounted by ``discount ** t``.
6. After the round every negotiator other than the proposer observes the offer.
7. No agreement by ``T``: the outcome is the status quo and every actor gets its reservation.
"""

from __future__ import annotations

import numpy as np

from negosim.protocols.table import Table


def run_alternating(table: Table, order: tuple[int, ...] | None = None) -> None:
    """Play the alternating-offers protocol on every open run of ``table``."""
    proposers = order or table.negotiators
    if not proposers:
        raise ValueError("the alternating protocol needs at least one negotiator")
    for t in table.rounds_to_play():
        proposer = proposers[t % len(proposers)]
        offer = np.clip(
            table.strategies[proposer].propose(table.view(proposer, t)),
            table.scenario.low,
            table.scenario.high,
        )
        utility = table.utilities(offer)
        votes = table.reservation_votes(utility)
        votes[:, proposer] = True
        accepted = np.ones(len(offer), dtype=bool)
        for j in table.negotiators:
            if j != proposer:
                votes[:, j] = table.strategies[j].respond(table.view(j, t), utility[:, j])
                accepted &= votes[:, j]
        consent = table.coalition_consent(offer, votes)
        agreed = accepted & consent.all(axis=1)
        if table.trace_runs:
            table.record(
                t,
                offer=offer,
                proposer=proposer,
                utility=utility,
                accepted=np.where(votes, 1.0, 0.0),
                consent=consent.astype(float),
            )
        for j in table.negotiators:
            if j != proposer:
                table.strategies[j].observe(table.view(j, t), proposer, offer)
        table.finish(agreed, t, outcome=offer, utility=utility)
