"""The subgame-perfect strategy of Rubinstein's (1982) alternating-offers game."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from negosim.model.strategies.base import ACCEPT_TOLERANCE, Strategy, View, classify


def rubinstein_share(d_self: np.ndarray, d_other: np.ndarray) -> np.ndarray:
    """The proposer's SPE share ``(1 - d_other) / (1 - d_self d_other)`` (1/2 if both are 1)."""
    d_self, d_other = np.asarray(d_self, float), np.asarray(d_other, float)
    denom = 1.0 - d_self * d_other
    return np.divide(
        1.0 - d_other, denom, out=np.full(np.broadcast(d_self, d_other).shape, 0.5), where=denom > 0
    )


class Rubinstein(Strategy):
    """Offer the SPE split and accept exactly what waiting one round would be worth.

    For a pie of size 1 (two parties whose utilities sum to 1 on the frontier), the proposer
    keeps ``(1 - d_o) / (1 - d_m d_o)`` and the responder accepts any share of at least
    ``d_m (1 - d_o) / (1 - d_m d_o)``, its discounted value of proposing next round, with
    ``d_m`` and ``d_o`` the discount factors of this actor and its opponent (the actors'
    ``discount`` in the scenario). Agreement is immediate.
    """

    name = "rubinstein"
    classifier: ClassVar[dict[str, bool]] = classify()
    citation = (
        "Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. "
        "Econometrica 50(1), 97-109."
    )

    def _discounts(self, view: View) -> tuple[np.ndarray, np.ndarray]:
        opponent = view.opponents[0] if view.opponents else view.me
        return view.discount[:, view.me], view.discount[:, opponent]

    def target(self, view: View) -> np.ndarray:
        return rubinstein_share(*self._discounts(view))

    def respond(self, view: View, offer_utility: np.ndarray) -> np.ndarray:
        d_me, d_other = self._discounts(view)
        return offer_utility >= d_me * rubinstein_share(d_me, d_other) - ACCEPT_TOLERANCE
