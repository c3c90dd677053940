"""The expected utility model's rounds compiled with numba, for the "scholz-code" choices
(risk-weighted votes, all-pairs probability, weighted compromises, no capitulation): the
numpy batch's (:mod:`negosim.engine.protocols.eum`) operations in the same order, fused into a few
loops, so the forecasts are the same bit for bit (``tests/test_eum_compiled.py`` checks them,
ties included). Optional: available when numba is installed
(``pip install "negosim[fast]"``); :func:`negosim.engine.protocols.eum.eum_forecast` uses it where
it is.

Runs are played one after the other, each in a few passes over its ``(A, A)`` pairs instead
of the numpy batch's many passes over the whole batch's arrays. A round of a block of runs:

1. :func:`_risk_pass` sorts the voters by position (stably, as the batch does), counts the
   voters below every pair's midpoint, sums the linear votes, finds the risk exponents and
   writes the bases of the round's powers;
2. numpy raises them to their exponents: its vectorised ``pow`` is several times faster
   than the scalar one compiled code calls, and rounds differently in the last bit, so the
   powers are numpy's in both paths;
3. :func:`_offer_pass` sums the risk-weighted votes, makes the offers and picks each actor's
   move (:func:`_move`).

Every sum runs in the numpy batch's order: over the voters in position order, over the
pairs ``(i, j)`` in row order, over ``i`` for a column. The sum over the pairs is a chain of
additions, each waiting for the one before, so :func:`_normalise` runs :data:`GROUP` runs'
chains side by side (each run's own order unchanged).
"""

from __future__ import annotations

import contextlib

import numpy as np

from negosim.engine.compiling import AVAILABLE, code_key, compiling_notice
from negosim.engine.protocols import exchange_compiled

# compiled as the exchange model is (no reference counting: nothing here allocates, every
# array is handed in; numpy's division rules; cached on disk)
_compile = exchange_compiled._compile(inline="never")

SUPPORTED = {
    "votes": "risk",
    "probability": "all-pairs",
    "capitulation": False,
    "compromise": "weighted",
}
"""The choices of :class:`negosim.engine.protocols.eum.EUMOptions` the compiled rounds implement."""


def supports(options) -> bool:
    """Whether the compiled rounds implement these :class:`EUMOptions` (any ``q``)."""
    return all(getattr(options, name) == value for name, value in SUPPORTED.items())


GROUP = 4
"""Runs whose probabilities are normalised together (:func:`_normalise`)."""

NO_GAP = 16.0
"""Written instead of a voter's gap of 0 to a position: numpy's ``pow`` takes a slow path
for a base of 0 (a fifth of its time on package_2007, where 1 gap in 20 is 0), while
``16^r >= 4`` for any exponent ``r >= 0.5`` lies above every real vote (at most 1) and is
read back as the vote ``0^r = 0`` (:data:`NOT_A_VOTE`)."""

NOT_A_VOTE = 3.0
"""A vote above this is :data:`NO_GAP` raised to a power: the vote 0."""


@_compile
def _sort(x, order, ranked):
    """``order``: the actors by position, stably (an insertion sort: a few dozen actors);
    ``ranked``: their positions, then ``inf`` to the end of ``ranked`` (padding)."""
    a = x.size
    for k in range(a):
        order[k] = k
    for k in range(1, a):
        actor = order[k]
        m = k - 1
        while m >= 0 and x[order[m]] > x[actor]:
            order[m + 1] = order[m]
            m -= 1
        order[m + 1] = actor
    for k in range(a):
        ranked[k] = x[order[k]]
    for k in range(a, ranked.size):
        ranked[k] = np.inf


@_compile
def _count_below(x, ranked, count):
    """``count[i, j]``: how many voters lie strictly below the midpoint of ``x_i`` and
    ``x_j`` (counted voter by voter, a sum without branches to mispredict; symmetric).
    ``ranked`` padded with ``inf`` (never below) to whole vectors: no scalar remainder."""
    a = x.size
    for i in range(a):
        count[i, i] = 0  # a voter against itself: any count gives a support of 0
        for j in range(i + 1, a):
            mid = (x[i] + x[j]) / 2
            c = 0
            for k in range(ranked.size):
                c += ranked[k] < mid
            count[i, j] = count[j, i] = c


@_compile
def _supports(e, x, order, w, count, prefix, out):
    """``out[i, j] = F_ij = sum_k w_k max(0, e_kj - e_ki)`` from the votes ``e`` of the
    voters in position order (:data:`NO_GAP` and its powers read as 0) by prefix sums
    (:meth:`negosim.engine.protocols.eum._Voters.favour`)."""
    a = x.size
    for j in range(a):
        prefix[0, j] = 0.0
    for k in range(a):
        w_k = w[order[k]]
        for j in range(a):
            vote = e[k, j]
            vote = 0.0 if vote > NOT_A_VOTE else vote
            prefix[k + 1, j] = prefix[k, j] + vote * w_k
    for i in range(a):
        xi, total_i = x[i], prefix[a, i]
        for j in range(a):
            c = count[i, j]
            below = prefix[c, j] - prefix[c, i]  # supporters of i below the midpoint
            above = (prefix[a, j] - total_i) - below
            v = below if xi < x[j] else above
            out[i, j] = 0.0 if v < 0.0 else v  # rounding must not make a support negative


@_compile
def _normalise(p, runs):
    """The supports ``p[g]`` (:func:`_supports`) of the first ``runs`` (at most
    :data:`GROUP`) runs become probabilities ``P_ij = F_ij / D``, ``D`` twice their sum
    (all pairs; where ``D`` is 0 every ``F`` is 0 and stays). Each run's sum runs over its
    pairs in row order, the runs' four sums side by side (a run repeated where fewer)."""
    a = p.shape[1]
    p0, p1, p2, p3 = p[0], p[1 % runs], p[2 % runs], p[3 % runs]
    t0 = t1 = t2 = t3 = 0.0
    for i in range(a):
        for j in range(a):
            t0 += p0[i, j]
            t1 += p1[i, j]
            t2 += p2[i, j]
            t3 += p3[i, j]
    totals = (2 * t0, 2 * t1, 2 * t2, 2 * t3)
    for g in range(runs):
        total = totals[g]
        if total > 0:
            p_g = p[g]
            for i in range(a):
                for j in range(a):
                    p_g[i, j] = p_g[i, j] / total


@_compile
def _risk_pass(x, w, s, span, order, r, r_ranked, count, gap, near, far, work, prefix, p):
    """For every run ``n`` of ``x`` (n, A): the voters' ``order``, the midpoint ``count``,
    the risk exponents ``r`` (and ``r_ranked`` in voter order) from the linear votes, and
    the bases of the round's powers: ``gap`` ``|x_k - x_j| / R`` (voters ``k`` in order;
    :data:`NO_GAP` for 0), ``near`` ``0.5 - 0.5 min(d, 1)`` and ``far``
    ``0.5 + 0.5 min(d, 1)``. ``work``: (3, A padded to whole vectors) scratch; ``p``:
    (:data:`GROUP`, A, A) scratch."""
    runs = x.shape[0]
    for first in range(0, runs, GROUP):
        group = min(GROUP, runs - first)
        for g in range(group):
            n = first + g
            _linear_supports(x[n], w[n], span[n], order[n], count[n], gap[n], work[0], prefix, p[g])
        _normalise(p, group)
        for g in range(group):
            n = first + g
            _risk_exponents(
                x[n], s[n], span[n], order[n], r[n], r_ranked[n], near[n], far[n], work, p[g]
            )


@_compile
def _linear_supports(x, w, span, order, count, gap, ranked, prefix, out):
    """One run's voters in ``order``, the midpoint ``count``, the ``gap`` bases of its
    votes and the supports ``out`` (:func:`_supports`) from the linear votes."""
    a = x.size
    _sort(x, order, ranked)
    _count_below(x, ranked, count)
    for k in range(a):
        gap_k, ranked_k = gap[k], ranked[k]
        for j in range(a):
            v = abs(ranked_k - x[j]) / span
            gap_k[j] = NO_GAP if v == 0.0 else v
    _supports(gap, x, order, w, count, prefix, out)


@_compile
def _risk_exponents(x, s, span, order, r, r_ranked, near, far, work, p):
    """One run's risk exponents ``r`` (``r_ranked`` in voter order) from the probabilities
    ``p`` of the linear votes, and the ``near`` and ``far`` bases."""
    a = x.size
    reach, won = work[1], work[2]
    for j in range(a):
        reach[j] = won[j] = 0.0
    for i in range(a):  # Sec_j = 2 reach_j - 4 s_j (reach_j - won_j), sums over i
        near_i, far_i, p_i, x_i = near[i], far[i], p[i], x[i]
        for j in range(a):
            d = abs(x_i - x[j]) / span
            nearest = 1.0 if d > 1.0 else d
            reach[j] += nearest
            won[j] += nearest * p_i[j]
            half = nearest * 0.5
            near_i[j] = 0.5 - half
            far_i[j] = half + 0.5
    hi, lo = -np.inf, np.inf
    for j in range(a):
        security = 2 * reach[j] - 4 * s[j] * (reach[j] - won[j])
        r[j] = security
        hi = max(hi, security)
        lo = min(lo, security)
    spread = hi - lo
    for j in range(a):
        big_r = (2 * r[j] - hi - lo) / spread if spread > 0 else 0.0
        r[j] = (1 - big_r / 3) / (1 + big_r / 3)
    for k in range(a):
        r_ranked[k] = r[order[k]]


@_compile
def _offer_pass(x, w, s, q, order, count, e, near, far, half_power, prefix, p, out):
    """For every run ``n``: the probabilities ``P_ij`` from the risk-weighted votes ``e``,
    and each actor's new position ``out[n]`` (:func:`_move`). ``p``: (:data:`GROUP`, A, A)
    scratch."""
    runs, a = x.shape
    for first in range(0, runs, GROUP):
        group = min(GROUP, runs - first)
        for g in range(group):
            n = first + g
            _supports(e[n], x[n], order[n], w[n], count[n], prefix, p[g])
        _normalise(p, group)
        for g in range(group):
            n = first + g
            xn, sn = x[n], s[n]
            for i in range(a):
                out[n, i] = _move(i, xn, sn, q, half_power[n, i], near[n, i], far[n, i], p[g])


@_compile
def _move(i, x, s, q, half_power, near, far, p):
    """Actor ``i``'s new position from its offers ``a = E^i(U_ij)``, ``b = E^i(U_ji)``, with
    ``E(U_ij) = U_s - s_j (1 - P_ij) (U_s - U_f) - Q U_sq`` and the powers ``near``
    ``(0.5 - 0.5 d)^r_i``, ``far`` ``(0.5 + 0.5 d)^r_i`` and ``half_power`` ``0.5^r_i``: the
    nearest ``x_j`` of a confrontation (``b > a > 0``), else the compromise (``b > 0 > a``,
    ``b > |a|``) with the smallest weighted position, else ``x_i``; the first ``j`` on a
    tie."""
    base_i = 2 - q * (2 - 4 * half_power)  # U_s + 4 (0.5 - 0.5 d)^r - Q U_sq
    loss_weight = 4 * s[i]
    confront, confront_key = -1, np.inf
    settle, settle_key, settle_a, settle_b = -1, np.inf, 0.0, 0.0
    for j in range(x.size):
        stake = far[j] - near[j]  # (U_s - U_f) / 4
        base = near[j] * -4 + base_i
        a = base - (1 - p[i, j]) * (4 * s[j]) * stake
        b = base - (1 - p[j, i]) * loss_weight * stake
        gain = abs(a)
        if b > a and a > 0:
            move = abs(x[i] - x[j])
            if move < confront_key:
                confront, confront_key = j, move
        elif b > 0 and a < 0 and b > gain:
            key = (gain * x[i] + b * x[j]) / (gain + b)
            if key < settle_key:
                settle, settle_key, settle_a, settle_b = j, key, gain, abs(b)
    if confront >= 0:
        return x[confront]
    if settle >= 0:
        ratio = settle_a / settle_b if settle_b != 0 else 0.0
        return x[i] + (x[settle] - x[i]) * ratio
    return x[i]


COMPILING = (
    "negosim: compiling the expected utility model with numba (the first time on this "
    "machine, a few seconds; later calls load it from numba's cache)"
)
CODE_KEY = code_key(__file__)
"""The compiled code's name in the machine's markers (:func:`compiling_notice`)."""

BLOCK_NUMBERS = 32_768
"""Play blocks of runs whose ``(n, A, A)`` arrays hold about this many numbers each, so that
a round's arrays stay in the core's cache between the passes and numpy's powers."""


def forecast_positions(x, w, s, span, q: float, rounds: int) -> np.ndarray:
    """The positions ``(R, A)`` after ``rounds`` rounds, every actor taking part.

    Parameters
    ----------
    x, w, s
        ``(R, A)`` positions, vote weights ``c s`` and saliences in [0, 1] (``w`` and ``s``
        broadcast to the shape of ``x``).
    span
        ``(R,)`` ranges of the initial positions (:func:`negosim.engine.protocols.eum.eum_setup`),
        at least the range of each row of ``x``.
    q
        The weight of the status quo term.
    rounds
        Number of rounds.
    """
    if not AVAILABLE:
        raise ImportError(
            'the compiled expected utility model needs numba: pip install "negosim[fast]"'
        )
    x = np.array(x, float)
    if x.ndim != 2:
        raise ValueError(f"x: positions (runs, actors) expected, got shape {x.shape}")
    runs, a = x.shape
    # the compiled passes read every row of every array (no bounds checks): full shapes only
    w, s = (np.ascontiguousarray(np.broadcast_to(v, x.shape), float) for v in (w, s))
    span = np.ascontiguousarray(np.broadcast_to(span, (runs,)), float)
    # every gap |x_k - x_j| / R stays at most 1 (the positions never leave their range),
    # so a vote above NOT_A_VOTE can only be NO_GAP's
    narrow = np.flatnonzero(~(np.ptp(x, axis=1) <= span)) if a else []
    if len(narrow):
        raise ValueError(
            f"span: row {narrow[0]} is smaller than the range of its positions "
            f"({span[narrow[0]]} < {np.ptp(x[narrow[0]])})"
        )
    block = max(1, BLOCK_NUMBERS // a**2)
    work = _Work(min(block, runs), a)
    first_call = not _offer_pass.signatures  # compiled, or loaded from the cache
    with compiling_notice(COMPILING, key=CODE_KEY) if first_call else contextlib.nullcontext():
        for lo in range(0, runs, block):
            rows = slice(lo, lo + block)
            work.play(x[rows], w[rows], s[rows], span[rows], float(q), rounds)
    return x


class _Work:
    """The work arrays of a block of at most ``runs`` runs of ``a`` actors."""

    def __init__(self, runs: int, a: int) -> None:
        self.order = np.empty((runs, a), np.int64)
        self.count = np.empty((runs, a, a), np.int64)
        self.r, self.r_ranked, self.half_power, self.out = (np.empty((runs, a)) for _ in range(4))
        self.gap, self.near, self.far = (np.empty((runs, a, a)) for _ in range(3))
        # the sorted positions padded to whole vectors of 8 (_count_below)
        self.scratch, self.prefix = np.empty((3, -(-a // 8) * 8)), np.empty((a + 1, a))
        self.p = np.empty((GROUP, a, a))

    def play(self, x, w, s, span, q: float, rounds: int) -> None:
        """Move the positions ``x`` (n, A), in place, through ``rounds`` rounds."""
        n = len(x)
        order, count, r, r_ranked = self.order[:n], self.count[:n], self.r[:n], self.r_ranked[:n]
        gap, near, far = self.gap[:n], self.near[:n], self.far[:n]
        half_power, out, prefix, p = (
            self.half_power[:n],
            self.out[:n],
            self.prefix,
            self.p,
        )
        for _ in range(rounds):
            _risk_pass(
                x,
                w,
                s,
                span,
                order,
                r,
                r_ranked,
                count,
                gap,
                near,
                far,
                self.scratch,
                prefix,
                p,
            )
            np.power(gap, r_ranked[:, :, None], out=gap)  # the votes d^r, voters in order
            np.power(near, r[:, :, None], out=near)
            np.power(far, r[:, :, None], out=far)
            np.power(0.5, r, out=half_power)
            _offer_pass(x, w, s, q, order, count, gap, near, far, half_power, prefix, p, out)
            x[:] = out
