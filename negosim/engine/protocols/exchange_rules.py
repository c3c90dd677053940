"""The exchange model's arithmetic rules, written once (rules 4-8 of
:mod:`negosim.engine.protocols.exchange`).

Each function is plain arithmetic in a fixed order of operations, so the same source serves
the per-run model (Python floats, or Decimals for decide's arithmetic) and the compiled path
(:mod:`negosim.engine.protocols.exchange_compiled` compiles these very functions with numba); the
functions without a branch also take numpy arrays (the batched float path). The order of
operations is decide's: changing it changes last digits, hence, at exact ties, trajectories.
"""

from __future__ import annotations

from typing import Any

import numpy as np

VALID_MOVE = 1e-10
"""A move must be larger than this (and a gain at least this) to count (rule 6)."""
TIE = 1e-12
"""Float mode: gains this close count as equal (decide compares exact decimals)."""
EPS = 2.0**-52
"""The spacing of floats at 1 (``numpy.finfo(float).eps``)."""
SHIFT_WEIGHT, FIXED_WEIGHT = 0.4, 0.1
"""The next round's start ``x + w (y - x)``, ``w = 0.1 + 0.4 (1 - s)`` (rule 8)."""


def full_shift(gap: Any, s: Any, c: Any, total: Any) -> Any:
    """The outcome shift of a side moving ``gap`` on its supply issue: ``gap s c / W``."""
    return gap * s * c / total


def paired_shift(
    s_supply: Any, partner_s_demand: Any, s_demand: Any, partner_s_supply: Any, shift: Any
) -> Any:
    """The partner's outcome shift that gives both sides the same gain when a side shifts its
    supply issue's outcome by ``shift``: ``(s_p + s'_p) / (s_q + s'_q) shift``."""
    return (s_supply + partner_s_demand) / (s_demand + partner_s_supply) * shift


def move_for_shift(shift: Any, total: Any, c: Any, s: Any) -> Any:
    """The move that shifts the supply issue's outcome by ``shift``: ``shift W / (c s)``."""
    return shift * total / (c * s)


def equal_gain(dq: Any, dp: Any, s_supply: Any, s_demand: Any) -> Any:
    """The gain of a side whose partner shifts its demand issue by ``dq`` while it shifts its
    supply issue by ``dp``: ``|dq s_supply - dp s_demand|`` (the same for both sides)."""
    return abs(dq * s_supply - dp * s_demand)


def order_key(gain: Any) -> Any:
    """Where an exchange goes in the list (rule 7: the smallest key first): ``-gain`` in
    units of :data:`TIE`, rounded half to even, so gains within ``TIE`` of each other tie;
    last (``inf``) where the gain is not a number (a zero salience can make it so; such an
    exchange is never valid)."""
    return np.fmin(-np.rint(gain / TIE), np.inf)  # fmin takes the number over a nan


def valid_move(move: Any, end: Any, moves_sum: Any, low: Any, high: Any) -> Any:
    """Rule 6 for one side: ``VALID_MOVE < |move| <= 100``, it ends in 0..100, the sum of the
    side's moves this round (``moves_sum``, this one included) is at most 100 and all of them
    (``low``, ``high``: their minimum and maximum) go one way. A move that is not a number
    fails."""
    size = abs(move)
    if not (VALID_MOVE < size <= 100) or not (0 <= end <= 100) or not moves_sum <= 100:
        return False
    return (low < 0 and high < 0) or (low > 0 and high > 0)


def recorded_position(start: Any, previous: Any, y: Any) -> Any:
    """decide's update of a partner position recorded earlier in the round (rule 7): the
    mover, which started the round at ``start`` and now ends at ``y``, keeps the position
    ``previous`` if it lies beyond ``y`` in the direction of the move."""
    if start <= previous:
        return previous if previous < y else y
    return previous if previous > y else y


def next_start(s: Any, y: Any, start: Any, shift_weight: Any, fixed_weight: Any) -> Any:
    """Rule 8, term by term as decide: ``(1 - s) w_s y + w_f y + (1 - (1 - s) w_s - w_f) x``."""
    kept = 1 - (1 - s) * shift_weight - fixed_weight
    return (1 - s) * shift_weight * y + fixed_weight * y + kept * start


def shortcut_outcome(column: Any, term: Any, value: Any, total: Any, x: Any, terms: int):
    """The outcome ``(column - term + value) / total`` of a column of ``terms`` terms, none
    negative, whose sum in actor order is ``column``, with its term ``term`` replaced by
    ``value``; and where it may lie on the other side of ``x`` (or on it) than the outcome of
    the sum in actor order would (rule 5's test).

    A sum of n terms in order errs by at most (n - 1) units of roundoff times the sum of its
    terms, so the two sums differ by at most about (2 n + 2) units of ``column + term +
    value`` and the outcomes by that over ``total`` plus two roundings; the bound is twice
    this. In doubt where not a number (``total`` 0: divide with numpy's rules)."""
    outcome = (column - term + value) / total
    bound = (4 * (terms + 2) * EPS) * (column + term + value) / total
    return outcome, np.logical_not(np.abs(x - outcome) > bound)
