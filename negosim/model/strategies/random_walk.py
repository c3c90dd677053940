"""A stochastic conceder: its target falls by a random step every round."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from negosim.model.strategies.base import Strategy, View, classify


class RandomWalk(Strategy):
    """Concede by random amounts: ``u*_t = max(r, 1 - (1 - r) * sum_{k<=t} 2 z_k / (T - 1))``.

    ``z_k`` are uniform draws in [0, 1) from the run's own seeded stream, so on average the
    target reaches the reservation at the deadline, as the linear tactic does, but with
    run-to-run noise. ``scale`` multiplies the step size.
    """

    name = "random_walk"
    classifier: ClassVar[dict[str, bool]] = classify(concedes_over_time=True, stochastic=True)
    citation = "A random-concession baseline (cf. the random agents of the ANAC/Genius suites)."

    def __init__(self, scale: float = 1.0) -> None:
        if scale < 0:
            raise ValueError(f"random_walk: scale must be >= 0, got {scale!r}")
        self.scale = scale

    def target(self, view: View) -> np.ndarray:
        if view.noise is None:
            raise ValueError("random_walk needs a noise stream from the engine")
        done = view.state.setdefault("walked_to", 0)
        total = view.state.setdefault("walk", np.zeros(view.runs))
        for k in range(done + 1, view.t + 1):
            total = total + 2.0 * view.noise(k) / max(view.rounds - 1, 1)
        view.state["walk"], view.state["walked_to"] = total, max(done, view.t)
        r = view.my_reservation
        return np.maximum(r, 1.0 - (1.0 - r) * self.scale * total)
