"""Stacked alternating offers over whole packages (multilateral SAO / multi-issue Rubinstein).

Rules (``docs/protocols.md`` states them in full; moves, agreement and the deadline follow
the one rulebook of :meth:`negosim.engine.table.Table.play_round`):

1. Rounds ``t = 0 .. T-1``; relative time ``tau_t = t / (T - 1)``.
2. The negotiators propose in turn, in scenario order unless ``order`` is given; the offer
   goes on the table clipped to the scales, with settled issues at their settled values.
3. Every negotiator responds through its strategy, the proposer too (to its package as it
   went on the table; an unchanged proposal meets its own target). Each coalition whose
   ratified issues the offer moves off the status quo votes: negotiators vote as they
   responded, every other member votes yes iff the package is worth at least its
   reservation; the coalition's rule (unanimity, majority, qualified share) decides.
4. The offer is agreed when every negotiator accepts and every asked coalition consents.
   Agreed utility is discounted by ``discount ** t``.
5. After the round every negotiator other than the proposer observes the offer.
"""

from __future__ import annotations

import numpy as np

from negosim.engine.table import RoundRecord, Table, play
from negosim.model.ratification import every
from negosim.model.strategies import checked_propose


class Alternating:
    """The rules of one alternating-offers round (:class:`~negosim.engine.table.RoundRules`).

    Parameters
    ----------
    table
        The table the rules will play on.
    order
        Proposing order (actor indices); default: the negotiators in scenario order.
    """

    def __init__(self, table: Table, order: tuple[int, ...] | None = None) -> None:
        self.order = tuple(order or table.negotiators)
        if not self.order:
            raise ValueError("the alternating protocol needs at least one negotiator")

    def round(self, table: Table, t: int) -> RoundRecord:
        proposer = self.order[t % len(self.order)]
        offer = table.on_table(checked_propose(table.strategies[proposer], table.view(proposer, t)))
        utility = table.utilities(offer)
        target = table.targets(t) if table.want_targets else None
        votes = table.votes(utility, t)  # the proposer's too: its package as it went on the table
        consent = table.coalition_consent(offer, votes)
        agreed = every(votes[:, table.negotiator_columns]) & every(consent)
        table.observe(t, proposer, offer)
        return RoundRecord(t, table.ids, offer, proposer, utility, votes, consent, agreed, target)

    def advance(self, table: Table, record: RoundRecord, kept: np.ndarray | None) -> None:
        """Nothing is carried between rounds but the strategies' own memory."""


def run_alternating(table: Table, order: tuple[int, ...] | None = None) -> None:
    """Play the alternating-offers protocol on every open run of ``table``."""
    play(table, Alternating(table, order))
