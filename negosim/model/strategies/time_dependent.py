"""Time-dependent tactics (Faratin, Sierra and Jennings 1998) and the hardliner.

The target utility of an actor with reservation ``r`` at relative time ``tau`` is::

    u*(tau) = r + (1 - r) * (1 - tau ** (1 / e))

``e < 1`` concedes late (Boulware), ``e = 1`` linearly, ``e > 1`` early (Conceder).
At ``tau = 0`` the target is 1 (the ideal package); at the deadline it is ``r``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from negosim.model.strategies.base import Strategy, View, classify

FARATIN_1998 = (
    "Faratin, P., Sierra, C. and Jennings, N. R. (1998). Negotiation decision functions for "
    "autonomous agents. Robotics and Autonomous Systems 24(3-4), 159-182."
)


class TimeDependent(Strategy):
    """Concede over time along ``u*(tau) = r + (1 - r)(1 - tau^(1/e))``.

    Parameters
    ----------
    e
        Concession exponent (> 0), a number or one value per run.
    """

    name = "time_dependent"
    classifier: ClassVar[dict[str, bool]] = classify(concedes_over_time=True)
    citation = FARATIN_1998
    per_run: ClassVar[tuple[str, ...]] = ("e",)

    def __init__(self, e: float | np.ndarray = 1.0) -> None:
        if np.any(np.asarray(e) <= 0):
            raise ValueError(f"time_dependent: e must be > 0, got {e!r}")
        self.e = e

    def target(self, view: View) -> np.ndarray:
        return aspiration(view.my_reservation, self.conceded(view.tau))

    def conceded(self, tau: float) -> np.ndarray:
        """The share of the way from 1 down to the reservation conceded at relative time
        ``tau``: ``1 - tau^(1/e)`` (a number, or one per run)."""
        return 1.0 - tau ** (1.0 / np.asarray(self.e))


def aspiration(reservation: np.ndarray, conceded: np.ndarray) -> np.ndarray:
    """The target ``r + (1 - r) c`` after conceding the share ``c`` of the way from 1 (the
    ideal package) down to the reservation ``r`` (any broadcastable shapes)."""
    return reservation + (1.0 - reservation) * conceded


def answers_by_time(strategy: Strategy) -> bool:
    """Whether ``strategy`` accepts exactly when an offer is worth its time-dependent target
    (:class:`TimeDependent`'s own target and :class:`Strategy`'s own response, one ``e`` for
    all runs): its answer then depends only on its reservation and the round, so a table can
    answer for all such negotiators at once (:meth:`~negosim.engine.table.Table.respond`)."""
    cls, own = type(strategy), vars(strategy)
    return (
        isinstance(strategy, TimeDependent)
        and cls.target is TimeDependent.target
        and cls.conceded is TimeDependent.conceded
        and cls.respond is Strategy.respond
        and not {"target", "conceded", "respond"} & own.keys()  # set on the object itself
        and np.ndim(strategy.e) == 0
    )


class Boulware(TimeDependent):
    """Time-dependent tactic that holds firm until late (``e = 0.2`` by default)."""

    name = "boulware"

    def __init__(self, e: float | np.ndarray = 0.2) -> None:
        super().__init__(e)


class Linear(TimeDependent):
    """Time-dependent tactic that concedes at a constant rate (``e = 1``)."""

    name = "linear"

    def __init__(self, e: float | np.ndarray = 1.0) -> None:
        super().__init__(e)


class Conceder(TimeDependent):
    """Time-dependent tactic that concedes early (``e = 5`` by default)."""

    name = "conceder"

    def __init__(self, e: float | np.ndarray = 5.0) -> None:
        super().__init__(e)


class Hardliner(Strategy):
    """Never concedes: offers its ideal package and accepts only packages worth 1."""

    name = "hardliner"
    classifier: ClassVar[dict[str, bool]] = classify()
    citation = FARATIN_1998 + " (the limit e -> 0)"

    def target(self, view: View) -> np.ndarray:
        return np.ones(view.runs)
