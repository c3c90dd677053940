"""The exact Pareto frontier of two parties with linear-loss utilities, for every run of a
batch at once, and the bargaining solutions on it in closed form.

The frontier (Raiffa 1982)
--------------------------
With ``u_a(x) = 1 - sum_i c_ai |x_i - p_ai|`` every issue trades at a constant rate between
the two parties ``A`` and ``B`` while ``x_i`` moves from ``p_Bi`` to ``p_Ai``: ``A`` gains
``dA_i = c_Ai |p_Ai - p_Bi|`` and ``B`` loses ``dB_i = c_Bi |p_Ai - p_Bi|``. Packages outside
that segment are dominated. Ordering the issues by ``c_Ai / c_Bi`` (largest first, ``inf``
where ``c_Bi = 0``; stable) and moving them one after another from ``B``'s ideal package to
``A``'s traces the frontier: a path ``tau`` in ``[0, I]``, where ``tau = k + s`` has the
first ``k`` issues at ``A``'s positions and issue ``k`` the share ``s`` of its way there.
Along the path ``u_A`` never falls and ``u_B`` never rises, and the frontier is concave.

The bargaining set is the stretch ``tau_lo <= tau <= tau_hi`` where both parties get at
least their reservation ``r``; there is no deal when it is empty. On it:

* utilitarian: the most ``u_A + u_B``, at an end of the stretch or a vertex (the first, on
  ties);
* Nash: on segment ``k`` the gains are ``g_A + s dA`` and ``g_B - s dB``, and
  ``alpha_A log g_A + alpha_B log g_B`` is largest at
  ``s* = (alpha_A dA g_B - alpha_B dB g_A) / ((alpha_A + alpha_B) dA dB)``, clipped to the
  segment's part of the stretch; the best segment wins (the first, on ties);
* Kalai-Smorodinsky: the ideal points are ``m_A = u_A(tau_hi)`` and ``m_B = u_B(tau_lo)``;
  ``f_a = (u_a - r_a) / (m_a - r_a)`` rise and fall along the path and cross at the largest
  common share ``lambda*``; among the packages where both shares reach ``lambda*``, the one
  with the most joint utility.

:func:`solve_two_parties` reports the runs where this is not the whole answer (a party that
cannot gain: ``m_a = r_a`` or a zero Nash product; or no deal, but one within ``tolerance`` of
the reservations, where round-off decides), so the caller can solve them otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_NEVER = -np.inf


@dataclass(frozen=True)
class Frontier:
    """The frontier of parties ``A`` and ``B`` in every run.

    Attributes
    ----------
    start, end
        ``(R, I)``: ``B``'s ideal package (the path's start) and ``A``'s (its end).
    order
        ``(R, I)``: the issues in the order the path moves them.
    gain_a, loss_b
        ``(R, I)``: ``dA`` and ``dB`` of each segment, in path order.
    u_a, u_b
        ``(R, I + 1)``: the parties' utilities at the vertices ``tau = 0..I``.
    """

    start: np.ndarray
    end: np.ndarray
    order: np.ndarray
    gain_a: np.ndarray
    loss_b: np.ndarray
    u_a: np.ndarray
    u_b: np.ndarray

    @classmethod
    def of(cls, positions: np.ndarray, cost: np.ndarray) -> Frontier:
        """The frontier from ``positions`` and ``cost`` weights ``c = w / span``, both
        ``(R, 2, I)`` (party ``A`` first)."""
        pa, pb = positions[:, 0], positions[:, 1]
        ca, cb = cost[:, 0], cost[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(cb > 0, ca / cb, np.inf)
        order = np.argsort(-ratio, axis=1, kind="stable")
        distance = np.take_along_axis(np.abs(pa - pb), order, axis=1)
        gain_a = np.take_along_axis(ca, order, axis=1) * distance
        loss_b = np.take_along_axis(cb, order, axis=1) * distance
        runs = len(pa)
        u_a = np.concatenate([np.zeros((runs, 1)), np.cumsum(gain_a, axis=1)], axis=1)
        u_a += 1 - u_a[:, -1:]  # A's utility at its own ideal package is 1
        u_b = 1 - np.concatenate([np.zeros((runs, 1)), np.cumsum(loss_b, axis=1)], axis=1)
        return cls(pb, pa, order, gain_a, loss_b, u_a, u_b)

    @property
    def runs(self) -> int:
        return len(self.start)

    def utilities(self, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(u_A, u_B)`` at path positions ``tau`` (R,)."""
        k, s = self._segment(tau)
        rows = np.arange(self.runs)
        ua = self.u_a[rows, k] + s * _at(self.gain_a, k)
        ub = self.u_b[rows, k] - s * _at(self.loss_b, k)
        return ua, ub

    def package(self, tau: np.ndarray) -> np.ndarray:
        """The packages ``(R, I)`` at path positions ``tau`` (R,)."""
        k, s = self._segment(tau)
        issues = self.start.shape[1]
        moved = np.arange(issues)[None, :] < k[:, None]  # path order
        share = np.where(moved, 1.0, 0.0)
        share[np.arange(self.runs), np.minimum(k, issues - 1)] += np.where(k < issues, s, 0.0)
        by_issue = np.empty_like(share)
        np.put_along_axis(by_issue, self.order, share, axis=1)
        return self.start + by_issue * (self.end - self.start)

    def _segment(self, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        issues = self.start.shape[1]
        k = np.clip(np.floor(tau).astype(np.int64), 0, issues)
        return k, np.where(k < issues, tau - k, 0.0)

    def first_reaching_a(self, level: np.ndarray) -> np.ndarray:
        """The smallest ``tau`` with ``u_A(tau) >= level`` (NaN where none)."""
        return _first_reaching(self.u_a, self.gain_a, level)

    def last_keeping_b(self, level: np.ndarray) -> np.ndarray:
        """The largest ``tau`` with ``u_B(tau) >= level`` (NaN where none): ``u_B`` read
        from the path's end rises, so it is the first reaching, mirrored."""
        issues = self.start.shape[1]
        return issues - _first_reaching(self.u_b[:, ::-1], self.loss_b[:, ::-1], level)


def _at(per_segment: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Segment ``k``'s value per run (0 past the last segment)."""
    issues = per_segment.shape[1]
    value = np.take_along_axis(per_segment, np.minimum(k, issues - 1)[:, None], axis=1)[:, 0]
    return np.where(k < issues, value, 0.0)


def _first_reaching(vertex: np.ndarray, slope: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Where a non-decreasing piecewise-linear path (values ``vertex`` at ``tau = 0..I``,
    change ``slope`` per segment) first reaches ``level`` (NaN where it never does)."""
    issues = slope.shape[1]
    reached = vertex >= level[:, None]
    k = np.argmax(reached, axis=1)  # the first vertex at or above the level
    before = np.maximum(k - 1, 0)
    rows = np.arange(len(level))
    step = slope[rows, np.minimum(before, issues - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = before + (level - vertex[rows, before]) / step
    tau = np.where(k == 0, 0.0, np.clip(inside, before, k))
    return np.where(reached.any(axis=1), tau, np.nan)


@dataclass(frozen=True)
class Solved:
    """Closed-form solutions: ``deal`` (R,), ``outcome`` (R, I) (meaningful where ``deal``),
    ``exact`` (R,): where the closed form is the whole answer; also the ideal packages of
    each party (``ideal_a``, ``ideal_b``) that Kalai-Smorodinsky depends on."""

    deal: np.ndarray
    outcome: np.ndarray
    exact: np.ndarray
    ideal_a: np.ndarray
    ideal_b: np.ndarray


def solve_two_parties(
    kind: str,
    positions: np.ndarray,
    cost: np.ndarray,
    reservation: np.ndarray,
    powers: np.ndarray | None = None,
    tolerance: float = 0.0,
) -> Solved:
    """A bargaining solution of two parties without coalitions, for every run.

    Parameters
    ----------
    kind
        ``"nash"``, ``"kalai_smorodinsky"`` or ``"utilitarian"``.
    positions, cost
        ``(R, 2, I)``: the parties' ideal packages and cost weights ``c = w / span``.
    reservation
        ``(R, 2)``: the disagreement point.
    powers
        ``(2,)`` Nash bargaining powers (default equal).
    tolerance
        A run without a deal whose reservations, lowered by this, would leave one is not
        decided here (``exact`` False): whether its parties can both reach their
        reservations is a matter of round-off, for the caller to decide by its own rule.

    Returns
    -------
    Solved
    """
    frontier = Frontier.of(positions, cost)
    r_a, r_b = reservation[:, 0], reservation[:, 1]
    lo, hi = frontier.first_reaching_a(r_a), frontier.last_keeping_b(r_b)
    deal = _stretch(lo, hi)
    lo, hi = np.where(deal, lo, 0.0), np.where(deal, hi, 0.0)
    if kind == "utilitarian":
        tau, exact = _utilitarian(frontier, lo, hi), np.ones(frontier.runs, bool)
    elif kind == "nash":
        alpha = np.full(2, 0.5) if powers is None else np.asarray(powers, float)
        tau, exact = _nash(frontier, lo, hi, reservation, alpha)
    elif kind == "kalai_smorodinsky":
        tau, exact = _kalai_smorodinsky(frontier, lo, hi, reservation)
    else:
        raise KeyError(f"unknown solution {kind!r}")
    # no deal, but one within the tolerance (none at tolerance 0)
    near = ~deal & _stretch(
        frontier.first_reaching_a(r_a - tolerance), frontier.last_keeping_b(r_b - tolerance)
    )
    return Solved(
        deal,
        frontier.package(tau),
        (exact & deal) | (~deal & ~near),
        ideal_a=frontier.package(hi),
        ideal_b=frontier.package(lo),
    )


def _stretch(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether the packages from ``lo`` to ``hi`` along the path exist (NaN: none)."""
    return ~np.isnan(lo) & ~np.isnan(hi) & (lo <= hi)


def _best_of(frontier: Frontier, candidates: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The candidate ``tau`` (R, K) with the most joint utility among the allowed ones (the
    first on ties: joint utility is compared to 1e-12)."""
    joint = np.stack([sum(frontier.utilities(c)) for c in candidates.T], axis=1)
    joint = np.where(allowed, joint, _NEVER)
    best = joint.max(axis=1, keepdims=True)
    pick = np.argmax(joint >= best - 1e-12, axis=1)
    return candidates[np.arange(frontier.runs), pick]


def _vertices_between(frontier: Frontier, lo: np.ndarray, hi: np.ndarray):
    """Candidates ``lo``, ``hi`` and every vertex, with whether each lies in ``[lo, hi]``."""
    vertex = np.arange(frontier.start.shape[1] + 1, dtype=float)
    candidates = np.column_stack([lo, np.broadcast_to(vertex, (frontier.runs, len(vertex))), hi])
    candidates.sort(axis=1)  # along the path
    allowed = (candidates >= lo[:, None]) & (candidates <= hi[:, None])
    return candidates, allowed


def _utilitarian(frontier: Frontier, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return _best_of(frontier, *_vertices_between(frontier, lo, hi))


def _nash(frontier: Frontier, lo, hi, reservation, alpha) -> tuple[np.ndarray, np.ndarray]:
    issues = frontier.start.shape[1]
    k = np.arange(issues)[None, :]
    g_a = frontier.u_a[:, :-1] - reservation[:, :1]  # gains at each segment's start
    g_b = frontier.u_b[:, :-1] - reservation[:, 1:]
    da, db = frontier.gain_a, frontier.loss_b
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = (alpha[0] * da * g_b - alpha[1] * db * g_a) / ((alpha[0] + alpha[1]) * da * db)
    # a segment where only A gains is best at its end, one where only B loses at its start
    s = np.where(db == 0, 1.0, np.where(da == 0, 0.0, inner))
    s = np.clip(s, lo[:, None] - k, hi[:, None] - k)  # inside the bargaining set ...
    inside = (lo[:, None] <= k + 1) & (hi[:, None] >= k)
    s = np.clip(s, 0.0, 1.0)  # ... and on the segment
    ga, gb = g_a + s * da, g_b - s * db
    with np.errstate(divide="ignore", invalid="ignore"):
        value = alpha[0] * np.log(ga) + alpha[1] * np.log(gb)
    value = np.where(inside & (ga > 0) & (gb > 0), value, _NEVER)
    best = value.max(axis=1, keepdims=True)
    pick = np.argmax(value >= best - 1e-12 * np.maximum(1.0, np.abs(best)), axis=1)
    tau = pick + s[np.arange(frontier.runs), pick]
    return tau, np.isfinite(best[:, 0])  # a zero Nash product everywhere: not decided here


def _kalai_smorodinsky(frontier: Frontier, lo, hi, reservation) -> tuple[np.ndarray, np.ndarray]:
    r_a, r_b = reservation[:, 0], reservation[:, 1]
    m_a, _ = frontier.utilities(hi)
    _, m_b = frontier.utilities(lo)
    span_a, span_b = m_a - r_a, m_b - r_b
    exact = (span_a > 0) & (span_b > 0)
    span_a, span_b = np.where(exact, span_a, 1.0), np.where(exact, span_b, 1.0)
    # f_A - f_B never falls along the path, is <= 0 at lo (f_B = 1) and >= 0 at hi (f_A = 1):
    # it crosses zero once, between two neighbouring candidates, where min(f_A, f_B) is largest
    candidates = _vertices_between(frontier, lo, hi)[0]
    candidates = np.clip(candidates, lo[:, None], hi[:, None])  # still in path order
    ua, ub = zip(*(frontier.utilities(c) for c in candidates.T), strict=True)
    f_a = (np.stack(ua, axis=1) - r_a[:, None]) / span_a[:, None]
    f_b = (np.stack(ub, axis=1) - r_b[:, None]) / span_b[:, None]
    rows, difference = np.arange(frontier.runs), f_a - f_b
    j = np.argmax(difference >= 0, axis=1)  # the first candidate at or past the crossing
    i = np.maximum(j - 1, 0)
    d0, d1 = difference[rows, i], difference[rows, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(d1 > d0, -d0 / (d1 - d0), 1.0)
    level = f_a[rows, i] + np.clip(w, 0.0, 1.0) * (f_a[rows, j] - f_a[rows, i])
    # every package where both shares reach the level; the most joint utility among them
    slack = 1e-12
    start = frontier.first_reaching_a(r_a + (level - slack) * span_a)
    end = frontier.last_keeping_b(r_b + (level - slack) * span_b)
    start = np.clip(np.where(np.isnan(start), lo, start), lo, hi)
    end = np.clip(np.where(np.isnan(end), hi, end), start, hi)
    return _best_of(frontier, *_vertices_between(frontier, start, end)), exact
