"""Imitative tactics (Faratin, Sierra and Jennings 1998): concede as the opponent concedes.

Both work in utility space. Before the opponent has made an offer the target is 1.

* Absolute tit-for-tat gives back what it received: its concession equals the utility the
  opponents' offers have gained *for it* since their first offer.
* Relative tit-for-tat concedes the same *fraction* of its range (1 - r) as the opponent has
  conceded of its own range, measured in the opponent's utility.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from negosim.model.strategies.base import Strategy, View, classify
from negosim.model.strategies.time_dependent import FARATIN_1998


class TitForTat(Strategy):
    """Relative tit-for-tat: mirror the opponent's concession as a fraction of the range."""

    name = "tit_for_tat"
    classifier: ClassVar[dict[str, bool]] = classify(reacts_to_opponent=True)
    citation = FARATIN_1998

    def observe(self, view: View, proposer: int, offer: np.ndarray) -> None:
        theirs = view.utility_for(proposer, offer)
        mine = view.my_utility(offer)
        state = view.state
        if "their_first" not in state:
            state["their_first"], state["my_first"] = theirs, mine
            state["their_reservation"] = view.reservation[:, proposer]
        state["their_last"], state["my_last"] = theirs, mine

    def conceded_fraction(self, view: View) -> np.ndarray:
        s = view.state
        if "their_first" not in s:
            return np.zeros(view.runs)
        room = s["their_first"] - s["their_reservation"]
        gave = s["their_first"] - s["their_last"]
        return np.clip(np.divide(gave, room, out=np.zeros_like(gave), where=room > 0), 0.0, 1.0)

    def target(self, view: View) -> np.ndarray:
        r = view.my_reservation
        return 1.0 - self.conceded_fraction(view) * (1.0 - r)


class AbsoluteTitForTat(TitForTat):
    """Absolute tit-for-tat: concede as much utility as the opponent's offers gained for me."""

    name = "absolute_tit_for_tat"

    def target(self, view: View) -> np.ndarray:
        s = view.state
        if "my_first" not in s:
            return np.ones(view.runs)
        gained = np.maximum(s["my_last"] - s["my_first"], 0.0)
        return np.maximum(view.my_reservation, 1.0 - gained)
