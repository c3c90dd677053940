"""Bargaining solutions of a discrete domain, exactly, by enumerating its outcomes.

All on undiscounted utilities ``U`` of shape ``(N, n)`` (outcomes x parties) and reservations
``r`` ``(n,)``; an outcome is *individually rational* when ``U[x, i] > r_i`` for every party
(equal is no deal, as in :func:`negosim.engine.discrete.negotiate`).

* Pareto frontier: the outcomes no other outcome dominates (``U[y] >= U[x]`` everywhere and
  ``>`` somewhere); outcomes of equal utilities are all on it or all off it.
* Nash: the individually rational outcome of largest ``prod_i (U[x, i] - r_i)`` (GENIUS
  ``MultilateralAnalysis``: the product of the gains over the reservations).
* Kalai-Smorodinsky: the individually rational outcome of largest ``min_i g_i(x)`` with
  ``g_i(x) = (U[x, i] - r_i) / (I_i - r_i)`` and ``I_i`` the best ``U[., i]`` among
  individually rational outcomes (the ideal point); ties go to the largest ``sum_i g_i``,
  which is Pareto optimal.
* Maximum welfare: the outcome of largest ``sum_i U[x, i]`` (every outcome).

Remaining ties go to the lowest outcome index; a solution with no individually rational
outcome is -1. Vectorized over outcomes: the Pareto frontier sorts the outcomes (two parties:
one pass of running maxima; more: blocks of outcomes compared with the frontier so far).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from negosim.engine.discrete import OutcomeSpace

BLOCK = 1024
"""Outcomes compared at once with the frontier found so far (three or more parties)."""


def pareto_mask(utility: np.ndarray) -> np.ndarray:
    """``(N,)`` True for the Pareto-optimal rows of ``utility`` ``(N, n)``."""
    utility = np.asarray(utility, dtype=float)
    count, n = utility.shape
    if n == 1:
        return utility[:, 0] == utility[:, 0].max()
    order = np.lexsort(tuple(-utility[:, i] for i in reversed(range(n))))  # best first
    ranked = utility[order]
    keep = _two_party(ranked) if n == 2 else _many_parties(ranked)
    mask = np.empty(count, dtype=bool)
    mask[order] = keep
    return mask


def _two_party(ranked: np.ndarray) -> np.ndarray:
    """Sorted by ``u_0`` then ``u_1`` descending, an outcome is optimal iff its ``u_1`` is the
    best among equal ``u_0`` and beats every ``u_1`` of a larger ``u_0``."""
    first, second = ranked[:, 0], ranked[:, 1]
    new_group = np.r_[True, first[1:] != first[:-1]]
    start = np.maximum.accumulate(np.where(new_group, np.arange(first.size), 0))
    best_before = np.r_[-np.inf, np.maximum.accumulate(second)[:-1]][start]
    return (second == second[start]) & (second > best_before)


def _dominated(points: np.ndarray, by: np.ndarray) -> np.ndarray:
    """``(len(points),)`` whether some row of ``by`` dominates each point."""
    if by.shape[0] == 0:
        return np.zeros(points.shape[0], dtype=bool)
    ge = np.all(by[None, :, :] >= points[:, None, :], axis=2)
    gt = np.any(by[None, :, :] > points[:, None, :], axis=2)
    return np.any(ge & gt, axis=1)


def _many_parties(ranked: np.ndarray) -> np.ndarray:
    """Lexicographically best first, a dominating outcome always comes before the outcome it
    dominates, and (by transitivity) one on the frontier found so far does."""
    keep = np.zeros(ranked.shape[0], dtype=bool)
    frontier = ranked[:0]
    for start in range(0, ranked.shape[0], BLOCK):
        block = ranked[start : start + BLOCK]
        ok = ~(_dominated(block, frontier) | _dominated(block, block))
        keep[start : start + BLOCK] = ok
        frontier = np.concatenate([frontier, block[ok]])
    return keep


def _rational(utility: np.ndarray, reservation: np.ndarray) -> np.ndarray:
    return np.all(utility > reservation[None, :], axis=1)


def nash_index(utility: np.ndarray, reservation: np.ndarray) -> int:
    """The row of largest ``prod_i (U[x, i] - r_i)`` among individually rational rows (-1:
    none)."""
    gains = utility - reservation[None, :]
    rational = _rational(utility, reservation)
    if not rational.any():
        return -1
    return int(np.argmax(np.where(rational, np.prod(gains, axis=1), -np.inf)))


def kalai_smorodinsky_index(utility: np.ndarray, reservation: np.ndarray) -> int:
    """The individually rational row of largest smallest normalised gain, ties to the largest
    sum of normalised gains (-1: none)."""
    rational = _rational(utility, reservation)
    if not rational.any():
        return -1
    ideal = utility[rational].max(axis=0)
    gains = (utility - reservation[None, :]) / (ideal - reservation)[None, :]
    worst = np.where(rational, gains.min(axis=1), -np.inf)
    best = worst == worst.max()
    return int(np.argmax(np.where(best, gains.sum(axis=1), -np.inf)))


def welfare_index(utility: np.ndarray) -> int:
    """The row of largest ``sum_i U[x, i]``."""
    return int(np.argmax(utility.sum(axis=1)))


def _table(space: OutcomeSpace, parties: Sequence[int | str] | None) -> tuple[np.ndarray, ...]:
    who = list(space.parties(parties))
    return space.utility[who].T, space.reservation[who]


def pareto_frontier(space: OutcomeSpace, parties: Sequence[int | str] | None = None) -> np.ndarray:
    """Indices of the Pareto-optimal outcomes, best for the first party first."""
    utility, _ = _table(space, parties)
    found = np.flatnonzero(pareto_mask(utility))
    order = np.lexsort((found, *(-utility[found, i] for i in reversed(range(utility.shape[1])))))
    return found[order]


def nash(space: OutcomeSpace, parties: Sequence[int | str] | None = None) -> int:
    """The Nash bargaining outcome's index (-1: no individually rational outcome)."""
    return nash_index(*_table(space, parties))


def kalai_smorodinsky(space: OutcomeSpace, parties: Sequence[int | str] | None = None) -> int:
    """The Kalai-Smorodinsky outcome's index (-1: no individually rational outcome)."""
    return kalai_smorodinsky_index(*_table(space, parties))


def max_welfare(space: OutcomeSpace, parties: Sequence[int | str] | None = None) -> int:
    """The index of the outcome of largest utilitarian welfare."""
    return welfare_index(_table(space, parties)[0])
