"""Bueno de Mesquita's expected utility model (EUM), as specified by Scholz, Calbert and
Smith (2011), vectorized over runs.

One issue at a time; every actor may move each round. Notation: positions ``x``, capability
``c``, salience ``s`` in [0, 1], range ``R`` (max - min of the *initial* positions), risk
exponents ``r``, ``Q`` the weight of the status quo term.

* Votes of ``k`` for ``i`` over ``j``: ``v_k(i, j) = c_k s_k (d_kj^r_k - d_ki^r_k)``,
  ``d = |x_k - x| / R`` (``votes="risk"``, Scholz's code) or with ``r_k = 1`` (``"linear"``).
* Probability that ``i`` prevails over ``j``: ``P_ij = sum_k max(0, v_k(i, j)) / D`` with
  ``D = sum_k sum_a sum_b |v_k(a, b)|`` over all ordered pairs (``probability="all-pairs"``,
  Scholz's code) or ``D = sum_k |v_k(i, j)|`` (``"pairwise"``, eq. 31, so P_ij + P_ji = 1).
* Utilities seen by the perceiver ``p``: success ``2 - 4 (0.5 - 0.5 d_ij)^r_p``, failure
  ``2 - 4 (0.5 + 0.5 d_ij)^r_p``, status quo ``2 - 4 (0.5)^r_p``.
* Expected utility of ``i`` challenging ``j``:
  ``E(U_ij) = s_j (P_ij U_s + (1 - P_ij) U_f) + (1 - s_j) U_s - Q U_sq``.
* Risk: with every ``r = 1``, security ``Sec_i = sum_j E(U_ji)``;
  ``R_i = (2 Sec_i - max Sec - min Sec) / (max Sec - min Sec)``,
  ``r_i = (1 - R_i / 3) / (1 + R_i / 3)``.
* Offers to mover ``i`` from ``j`` (``a = E^i(U_ij)``, ``b = E^i(U_ji)``): confrontation if
  ``b > a > 0`` (move to ``x_j``); compromise if ``b > 0 > a`` and ``b > |a|`` (move to
  ``x_i + (x_j - x_i) |a / b|``); capitulation if ``b > 0 > a`` and ``|a| > |b|`` (move to
  ``x_j``; ``capitulation=True`` only, as Scholz's code never reaches it).
* Choice: confrontations first (least move), then compromises (``compromise="weighted"``:
  the smallest ``(|a| x_i + |b| x_j) / (|a| + |b|)`` as in Scholz's code; ``"least-move"``
  as in the paper), then capitulations (least move). Ties go to the earlier actor. All
  actors move at once.
* Median: the Condorcet winner among the positions under linear votes (the lowest one on an
  exact tie); mean: ``sum c s x / sum c s``.

``variant="scholz-code"`` (default) reproduces the published replication of Scholz's code
to 1e-9 on the emission-standards example; ``variant="paper"`` follows the printed equations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VARIANTS = {
    "scholz-code": {
        "votes": "risk",
        "probability": "all-pairs",
        "capitulation": False,
        "compromise": "weighted",
    },
    "paper": {
        "votes": "linear",
        "probability": "pairwise",
        "capitulation": True,
        "compromise": "least-move",
    },
}


@dataclass(frozen=True)
class EUMOptions:
    """The ambiguous choices of the model; see the module docstring."""

    votes: str = "risk"
    probability: str = "all-pairs"
    capitulation: bool = False
    compromise: str = "weighted"
    q: float = 1.0

    @classmethod
    def of(cls, variant: str = "scholz-code", **overrides) -> EUMOptions:
        if variant not in VARIANTS:
            raise KeyError(f"unknown EUM variant {variant!r}; known: {', '.join(VARIANTS)}")
        return cls(**{**VARIANTS[variant], **overrides})


@dataclass(frozen=True)
class EUMTrace:
    """Per-round arrays: ``positions`` (T+1, R, A), ``median``/``mean`` (T+1, R),
    ``risk`` (T, R, A) exponents used in each round."""

    positions: np.ndarray
    median: np.ndarray
    mean: np.ndarray
    risk: np.ndarray


def weighted_median(x: np.ndarray, w: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """Condorcet winner among the positions ``x`` (R, A) for voters weighted ``w`` with linear
    loss (the lowest on an exact tie)."""
    active = np.ones(x.shape, bool) if active is None else active
    gap = np.abs(x[:, :, None] - x[:, None, :])  # (R, k, candidate)
    # support[r, j, l] = sum_k w_k (|x_k - x_l| - |x_k - x_j|): votes for j over l
    support = (
        np.einsum("rk,rkl->rl", w, gap)[:, None, :] - np.einsum("rk,rkj->rj", w, gap)[:, :, None]
    )
    beaten = np.where(active[:, None, :], support < 0, False).any(axis=2) | ~active
    key = np.where(beaten, np.inf, x)
    return np.take_along_axis(x, np.argmin(key, axis=1)[:, None], axis=1)[:, 0]


# The rounds work in a runs-last layout: actor arrays are (A, n) and pair arrays (A, A, n),
# indexed [i, j, run], so that every numpy loop runs along the contiguous runs axis (long
# inner loops, whatever is broadcast) and swapping i and j keeps that axis contiguous.


class _Buffers:
    """Work arrays kept from round to round, one per name: every round of a batch makes the
    same temporaries, and large blocks allocated afresh come from the system each time,
    page by page, which costs more than the arithmetic on them."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self.arrays: dict[str, np.ndarray] = {}

    def __call__(self, name: str, shape: tuple[int, ...], dtype=float) -> np.ndarray:
        """An uninitialised ``shape`` array, the same one for the same name."""
        out = self.arrays.get(name)
        if out is None or out.shape != shape or out.dtype != dtype:
            out = np.empty(shape, dtype)
            if self.keep:
                self.arrays[name] = out
        return out

    def once(self, name: str, make):
        """``make()``, computed the first time only: arrays that depend only on the batch's
        shapes (a batch keeps its shapes over the rounds)."""
        if name not in self.arrays:
            self.arrays[name] = make()
        return self.arrays[name]


@dataclass(frozen=True)
class _Batch:
    """What stays fixed over the rounds of a batch of ``n`` rows (runs-last layout)."""

    w: np.ndarray  # (A, n) vote weights c s, 0 when absent
    s: np.ndarray  # (A, n) saliences
    span: np.ndarray  # (n,) ranges of the initial positions
    active: np.ndarray  # (A, n)
    pair: np.ndarray | None  # (A, A, n) both active; None when every actor is
    buffer: _Buffers  # the rounds' work arrays

    @classmethod
    def of(cls, w, s, span, active) -> _Batch:
        """From the ``(n, A)`` arrays of :func:`eum_setup`."""
        act = np.ascontiguousarray(np.asarray(active, bool).T)
        pair = None if act.all() else act[:, None, :] & act[None, :, :]
        s = np.ascontiguousarray(np.broadcast_to(s, act.T.shape).T, float)
        return cls(np.ascontiguousarray(w.T), s, np.asarray(span, float), act, pair, _Buffers())

    @property
    def pairs(self) -> tuple[int, int, int]:
        """The shape (A, A, n) of a pair array."""
        a, n = self.w.shape
        return a, a, n

    def masked(self, values: np.ndarray) -> np.ndarray:
        """``values`` (A, A, n) with the pairs of an absent actor set to 0, in place."""
        if self.pair is not None:
            values *= self.pair
        return values


def _prefix_index(x: np.ndarray, ranked: np.ndarray, buffer: _Buffers) -> np.ndarray:
    """``at[i, j, n]``: the flat index of ``prefix[c, j, n]`` in an (A + 1, A, n) array, ``c``
    the number of voters strictly below the midpoint of ``x_i`` and ``x_j`` (symmetric, so
    counted on the pairs ``i < j`` only)."""
    a, n = x.shape
    upper_i, upper_j = buffer.once("upper", lambda: np.triu_indices(a, 1))
    shape = (len(upper_i), n)
    mid = np.take(x, upper_i, axis=0, out=buffer("mid", shape))
    mid += np.take(x, upper_j, axis=0, out=buffer("mid_j", shape))
    mid /= 2  # (pairs, n)
    # (voters, pairs, n) comparisons as bytes, summed over the voters in the narrowest
    # integers; voters in blocks of about 32 SLICE_NUMBERS bytes, so memory stays bounded
    block = min(a, max(1, 32 * SLICE_NUMBERS // max(mid.size, 1)))
    below = np.zeros(mid.shape, np.min_scalar_type(a))
    step = buffer("step", (block, *mid.shape), bool)
    for k in range(0, a, block):
        voter_below = np.less(ranked[k : k + block, None, :], mid, out=step[: a - k])
        below += voter_below.view(np.uint8).sum(axis=0, dtype=below.dtype)
    rows = np.multiply(below, a * n, dtype=np.intp, out=buffer("rows", shape, np.intp))
    cols = buffer.once("cols", lambda: np.arange(a * n).reshape(a, n))  # j n + run
    out = buffer("at", (a, a, n), np.intp)
    index = buffer("index", shape, np.intp)
    col_j, col_i = buffer.once("pair_cols", lambda: (cols[upper_j], cols[upper_i]))
    out[upper_i, upper_j] = np.add(rows, col_j, out=index)
    out[upper_j, upper_i] = np.add(rows, col_i, out=index)
    out[np.arange(a), np.arange(a)] = cols  # a voter against itself: any row
    return out


@dataclass(frozen=True)
class _Voters:
    """Where each pair's supporters sit: voters sorted by position, and for every pair
    ``(i, j)`` how many of them lie below the midpoint of ``x_i`` and ``x_j``.

    ``k`` prefers ``x_i`` to ``x_j`` iff it is nearer to ``x_i``: for ``x_i < x_j`` these are
    the voters below the midpoint, for ``x_i > x_j`` those above it. A voter on the midpoint
    is indifferent and votes zero either way, so the sums over supporters become differences
    of prefix sums over the sorted voters: ``O(A^2)`` per issue instead of ``O(A^3)``.
    """

    order: np.ndarray  # (A, n) the voters by position
    w: np.ndarray  # (A, n) their weights in that order
    gap: np.ndarray  # (A, A, n) |x_k - x_j| / R, voters k in that order
    at: np.ndarray  # (A, A, n) flat index of prefix[below[i, j, n], j, n]
    lower: np.ndarray  # (A, A, n) x_i < x_j
    buffer: _Buffers

    @classmethod
    def of(cls, x: np.ndarray, batch: _Batch) -> _Voters:
        order = np.argsort(x, axis=0, kind="stable")
        ranked = np.take_along_axis(x, order, axis=0)
        buffer = batch.buffer
        gap = np.subtract(ranked[:, None, :], x[None, :, :], out=buffer("gap", batch.pairs))
        np.abs(gap, out=gap)
        gap /= batch.span
        return cls(
            order,
            np.take_along_axis(batch.w, order, axis=0),
            gap,
            _prefix_index(x, ranked, buffer),
            np.less(x[:, None, :], x[None, :, :], out=buffer("lower", batch.pairs, bool)),
            buffer,
        )

    def votes(self, r: np.ndarray | None) -> np.ndarray:
        """``e[k, j, n] = (|x_k - x_j| / R)^r_k`` for the voters in order (``r`` None: 1)."""
        if r is None:
            return self.gap
        exponent = np.take_along_axis(r, self.order, axis=0)[:, None, :]
        return np.power(self.gap, exponent, out=self.buffer("votes", self.gap.shape))

    def favour(self, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``F[i, j, n] = sum_k w_k max(0, e_kj - e_ki)`` from :meth:`votes` ``e``, and the
        column sums ``sum_k w_k e_kj`` (A, n)."""
        a = e.shape[0]
        prefix = self.buffer("prefix", (a + 1, *e.shape[1:]))
        prefix[0] = 0.0
        np.multiply(e, self.w[:, None, :], out=prefix[1:])
        for k in range(1, a):  # a running sum over (A, n) blocks beats cumsum's scalar loop
            np.add(prefix[k], prefix[k + 1], out=prefix[k + 1])
        # supporters' votes below the midpoint, column j
        at = np.take(prefix.reshape(-1), self.at, out=self.buffer("up_to", e.shape), mode="clip")
        # supporters of i below the midpoint (x_i < x_j)
        below = np.subtract(at, at.transpose(1, 0, 2), out=self.buffer("below", e.shape))
        total = prefix[a].copy()
        # above it (x_i > x_j): the column difference less the part below; 0 on a tie
        out = self.buffer("favour", e.shape)
        np.subtract(total[None, :, :], total[:, None, :], out=out)
        out -= below
        np.copyto(out, below, where=self.lower)
        return np.maximum(out, 0.0, out=out), total  # rounding must not make a support negative


def _probabilities(e, batch: _Batch, voters: _Voters, opts: EUMOptions) -> np.ndarray:
    """``P[i, j, n]``: probability that i prevails over j (among active actors)."""
    favour, column = voters.favour(e)
    batch.masked(favour)
    # |v| = max(0, v) + max(0, -v) and max(0, -v_k(i, j)) = max(0, v_k(j, i))
    if opts.probability == "all-pairs":
        total = 2 * favour.sum(axis=(0, 1))  # one by one over the pairs (runs axis kept)
        return np.divide(favour, total, out=favour, where=total > 0)
    total = favour + favour.transpose(1, 0, 2)
    _exact_close_pairs(favour, total, column, batch, voters, e)
    return np.divide(favour, total, out=np.zeros_like(favour), where=total > 0)


CLOSE = 0.05
"""Pairs whose votes sum to less than this share of their columns' weight are summed voter by
voter (a difference of prefix sums is only accurate relative to the whole column)."""


def _exact_close_pairs(favour, total, column, batch: _Batch, voters: _Voters, e) -> None:
    """Replace, in place, the supports and vote totals of nearly indifferent pairs by direct
    sums over the voters: ``P_ij = F_ij / (F_ij + F_ji)`` is a ratio of two small numbers."""
    close = total < CLOSE * (column[:, None, :] + column[None, :, :])
    if batch.pair is not None:
        close &= batch.pair
    i, j, n = np.nonzero(close)
    if not n.size:
        return
    votes = (voters.w[:, n] * (e[:, j, n] - e[:, i, n])).T  # (pairs, voters) in order
    favour[i, j, n] = np.maximum(votes, 0.0).sum(axis=1)
    total[i, j, n] = np.abs(votes).sum(axis=1)


def _risk_exponents(d, batch: _Batch, voters: _Voters, opts: EUMOptions) -> np.ndarray:
    """Every actor's risk exponent from its security (all exponents 1, so the utilities of
    success and failure are ``2 d`` and ``-2 d`` and the status quo's 0):
    ``Sec_i = sum_j E(U_ji) = sum_j 2 d_ij (1 - 2 s_i (1 - P_ji))``."""
    p = _probabilities(voters.votes(None), batch, voters, opts)
    near = batch.masked(np.minimum(d, 1.0, out=batch.buffer("near", d.shape)))  # 1: inactive
    reach = near.sum(axis=0)  # sum_j d_ij (d is symmetric)
    won = np.multiply(near, p, out=p).sum(axis=0)  # sum_j d_ji P_ji
    security = 2 * reach - 4 * batch.s * (reach - won)
    active = batch.active
    hi = np.where(active, security, -np.inf).max(axis=0)
    lo = np.where(active, security, np.inf).min(axis=0)
    spread = hi - lo
    # an absent actor neither votes nor moves: R = 0, exponent 1, keeps its terms finite
    big_r = np.divide(
        2 * security - hi - lo, spread, out=np.zeros_like(security), where=active & (spread > 0)
    )
    return (1 - big_r / 3) / (1 + big_r / 3)


def _offers(d, batch: _Batch, r, voters: _Voters, opts: EUMOptions):
    """``a[i, j, n] = E^i(U_ij)`` and ``b[i, j, n] = E^i(U_ji)`` from the utilities seen by i,
    ``U_s = 2 - 4 (0.5 - 0.5 d)^r``, ``U_f = 2 - 4 (0.5 + 0.5 d)^r``, ``U_sq = 2 - 4 0.5^r``:
    ``E(U_ij) = U_s - s_j (1 - P_ij) (U_s - U_f) - Q U_sq``."""
    e = voters.votes(r if opts.votes == "risk" else None)
    p = _probabilities(e, batch, voters, opts)
    rp = r[:, None, :]
    half = np.minimum(d, 1.0, out=e if e is not voters.gap else batch.buffer("votes", d.shape))
    half *= 0.5  # 1: inactive
    near = np.subtract(0.5, half, out=batch.buffer("near", d.shape))
    np.power(near, rp, out=near)  # (0.5 - 0.5 d)^r
    stake = np.power(np.add(half, 0.5, out=half), rp, out=half)
    stake -= near  # (U_s - U_f) / 4
    near *= -4
    base = np.add(near, 2 - opts.q * (2 - 4 * 0.5**rp), out=near)  # U_s - Q U_sq
    a = np.subtract(1, p, out=p)
    # 4 s_i (1 - P_ji)
    b = np.multiply(a.transpose(1, 0, 2), 4 * batch.s[:, None, :], out=batch.buffer("b", d.shape))
    a *= 4 * batch.s[None, :, :]  # 4 s_j (1 - P_ij)
    for offer in (a, b):
        offer *= stake
        np.subtract(base, offer, out=offer)
    return a, b


def _choose(x, a, b, candidate, opts: EUMOptions) -> np.ndarray:
    """Every actor's new position from the offers ``a[n, i, j] = E^i(U_ij)`` and
    ``b[n, i, j] = E^i(U_ji)`` of the ``candidate`` pairs: confrontations first, then
    compromises, then capitulations (if allowed); no offer: it stays."""
    runs_last = (1, 2, 0)
    a, b, candidate = (v.transpose(runs_last) for v in (a, b, candidate))
    return _choose_pairs(x.T, a, b, candidate, opts, _Buffers(keep=False)).T


def _choose_pairs(x, a, b, candidate, opts: EUMOptions, buffer: _Buffers, move=None):
    """:func:`_choose` in the runs-last layout (``x`` (A, n), pairs (A, A, n)); ``candidate``
    None: every pair (a pair at one position offers nothing: there ``a = b``); ``move``:
    ``|x_j - x_i|`` if already known."""
    xi, xj = x[:, None, :], x[None, :, :]
    gain = np.abs(a, out=buffer("gain", a.shape))
    confront = (b > a) & (a > 0)
    give = (b > 0) & (a < 0)
    compromise = give & (b > gain)
    capitulate = give & (gain > np.abs(b)) if opts.capitulation else None
    if candidate is not None:
        confront &= candidate
        compromise &= candidate
        if capitulate is not None:
            capitulate &= candidate
    move = np.abs(xj - xi) if move is None else move
    picks = _Picks(x)
    new = x.copy()
    chosen = np.zeros(x.shape, bool)
    for mask, key, compromising in (
        (confront, move, False),
        (compromise, _compromise_key(gain, b, xi, xj, opts, buffer), True),
        (capitulate, move, False),
    ):
        if mask is None:
            continue
        keyed = buffer("keyed", a.shape)
        keyed.fill(np.inf)
        np.copyto(keyed, key, where=mask)
        picks.pick(keyed)
        has = (picks.of(keyed) < np.inf) & ~chosen
        target = picks.compromise(a, b) if compromising else picks.them()
        new = np.where(has, target, new)
        chosen |= has
    return new


class _Picks:
    """Each actor's pick of a partner ``j`` in a pair array (A, A, n), as flat indices."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        actors, runs = x.shape
        self.runs = np.arange(runs)
        self.rows = np.arange(actors)[:, None] * (actors * runs) + self.runs  # [i, 0, n]
        self.j = self.at = self.runs

    def pick(self, keyed: np.ndarray) -> None:
        """The smallest key of each row, the earliest on a tie."""
        self.j = np.argmin(keyed, axis=1) * len(self.runs)  # [j, n] in (A, n), less n
        self.at = self.j + self.rows

    def of(self, values: np.ndarray) -> np.ndarray:
        """``values[i, pick_i, n]`` (A, n)."""
        return values.reshape(-1).take(self.at)

    def them(self) -> np.ndarray:
        """The position of the actor each one picked."""
        return self.x.reshape(-1).take(self.j + self.runs)

    def compromise(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``x_i + (x_j - x_i) |a / b|`` for the picked ``j``: computed for the picks only."""
        gain, loss = np.abs(self.of(a)), np.abs(self.of(b))
        ratio = np.divide(gain, loss, out=np.zeros_like(gain), where=loss != 0)  # 0: not used
        return self.x + (self.them() - self.x) * ratio


def _compromise_key(gain, b, xi, xj, opts: EUMOptions, buffer: _Buffers) -> np.ndarray:
    """Which compromise an actor prefers (the smallest key), read only where ``b > 0``, so
    ``|b| = b`` there; elsewhere the key may be anything (no warnings)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if opts.compromise == "least-move":
            return np.abs(xi + (xj - xi) * (gain / b) - xi)
        top = np.multiply(gain, xi, out=buffer("top", gain.shape))
        weight = np.multiply(b, xj, out=buffer("weight", gain.shape))
        top += weight
        return np.divide(top, np.add(gain, b, out=weight), out=top)


def eum_setup(x, c, s, active=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vote weights ``c s`` (0 for inactive actors), the fixed range ``R`` of the initial
    positions and the activity mask, for :func:`eum_round`."""
    x = np.asarray(x, float)
    active = np.ones(x.shape, bool) if active is None else np.asarray(active, bool)
    w = np.where(active, c * s, 0.0)
    lo = np.where(active, x, np.inf).min(axis=1)
    hi = np.where(active, x, -np.inf).max(axis=1)
    return w, np.where(hi > lo, hi - lo, 1.0), active


def eum_round(x, w, s, span, active, opts: EUMOptions) -> tuple[np.ndarray, np.ndarray]:
    """One round for every run: the risk exponents used and the new positions.

    Parameters
    ----------
    x, w, s
        ``(R, A)`` positions, vote weights ``c s`` and saliences in [0, 1] (from
        :func:`eum_setup`).
    span, active
        ``(R,)`` fixed ranges and ``(R, A)`` activity mask (from :func:`eum_setup`).
    opts
        The model's :class:`EUMOptions`.

    Returns
    -------
    tuple of numpy.ndarray
        The new positions ``(R, A)`` and the risk exponents used ``(R, A)``.
    """
    new, r = _round(np.array(np.asarray(x, float).T), _Batch.of(w, s, span, active), opts)
    return new.T, r.T


def _round(x: np.ndarray, batch: _Batch, opts: EUMOptions) -> tuple[np.ndarray, np.ndarray]:
    """:func:`eum_round` in the runs-last layout: ``x`` (A, n) -> new positions, exponents."""
    move = np.subtract(x[:, None, :], x[None, :, :], out=batch.buffer("move", batch.pairs))
    np.abs(move, out=move)
    d = np.divide(move, batch.span, out=batch.buffer("d", move.shape))  # |x_k - x_j| / R
    voters = _Voters.of(x, batch)
    r = _risk_exponents(d, batch, voters, opts)
    a, b = _offers(d, batch, r, voters, opts)
    new = _choose_pairs(x, a, b, batch.pair, opts, batch.buffer, move)
    return np.where(batch.active, new, x), r


def eum_rounds(
    x: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    rounds: int,
    options: EUMOptions | None = None,
    active: np.ndarray | None = None,
) -> EUMTrace:
    """Run the EUM on one issue for R runs at once.

    Parameters
    ----------
    x, c, s
        ``(R, A)`` positions, capabilities and saliences in [0, 1].
    rounds
        Number of rounds.
    options
        :class:`EUMOptions` (default: the "scholz-code" variant).
    active
        ``(R, A)`` actors taking part (default: all).
    """
    opts = options or EUMOptions()
    w, span, active = eum_setup(x, c, s, active)
    batch = _Batch.of(w, s, span, active)
    y = np.array(np.asarray(x, float).T)
    positions, risks = [y], []
    for _ in range(rounds):
        y, r = _round(y, batch, opts)
        positions.append(y)
        risks.append(r)
    pos = np.stack(positions).transpose(0, 2, 1)
    median = np.stack([weighted_median(p, w, active) for p in pos])
    mean = np.einsum("tra,ra->tr", pos, w) / w.sum(axis=1)
    risk = np.stack(risks).transpose(0, 2, 1) if risks else np.zeros((0, *pos.shape[1:]))
    return EUMTrace(pos, median, mean, risk)


SLICE_NUMBERS = 100_000
"""Work on slices of runs whose ``(A, A, runs)`` arrays hold about this many numbers each:
small enough to stay in cache, large enough that numpy's per-call cost is amortised."""


def eum_forecast(
    x, c, s, rounds: int, options: EUMOptions, active=None, compiled: bool | None = None
) -> np.ndarray:
    """The median of the positions after ``rounds`` rounds, ``(R,)``, without the trace.

    Same parameters as :func:`eum_rounds`, and ``compiled``: play the rounds with the
    numba-compiled passes (:mod:`negosim.engine.protocols.eum_compiled`: the same numbers, about
    2.5 times faster) instead of the numpy batch; None: where numba is installed and the
    options are the "scholz-code" choices, which are all it implements.

    Absent actors are left out of the arrays (they change nothing): rows are ordered by how
    many actors take part and processed in slices of :data:`SLICE_NUMBERS`, each only as
    wide as its widest row, so memory stays bounded for any number of runs.
    """
    compiled = _use_compiled(options, compiled)
    x = np.asarray(x, float)
    s = np.broadcast_to(s, x.shape)
    active = np.ones(x.shape, bool) if active is None else np.asarray(active, bool)
    present = active.sum(axis=1)
    # each row's present actors first, in their order
    columns = np.argsort(~active, axis=1, kind="stable")
    rows_by_width = np.argsort(present, kind="stable")
    out = np.empty(x.shape[0])
    lo = 0
    while lo < len(rows_by_width):
        width = max(int(present[rows_by_width[lo]]), 1)
        step = max(1, SLICE_NUMBERS // width**2)
        rows = rows_by_width[lo : lo + step]
        rows = rows[present[rows] <= width]  # one width per slice: no padding
        lo += len(rows)
        keep = columns[rows, :width]

        def part(values, rows=rows, keep=keep):
            return np.take_along_axis(np.asarray(values)[rows], keep, axis=1)

        values = (part(x), part(c), part(s), part(active), rounds, options)
        out[rows] = _forecast_slice_compiled(*values) if compiled else _forecast_slice(*values)
    return out


def _use_compiled(options: EUMOptions, compiled: bool | None) -> bool:
    """Whether :func:`eum_forecast` plays the compiled passes (see there); refuses
    ``compiled=True`` where it cannot."""
    from negosim.engine.protocols import eum_compiled

    supported = eum_compiled.supports(options)
    if compiled is None:
        return eum_compiled.AVAILABLE and supported
    if compiled and not eum_compiled.AVAILABLE:
        raise ImportError(
            'the compiled expected utility model needs numba: pip install "negosim[fast]"'
        )
    if compiled and not supported:
        raise ValueError(
            "eum: the compiled model implements the scholz-code choices only (votes='risk', "
            f"probability='all-pairs', capitulation=False, compromise='weighted'), got {options}"
        )
    return bool(compiled)


def _forecast_slice_compiled(x, c, s, active, rounds: int, options: EUMOptions) -> np.ndarray:
    """:func:`_forecast_slice` by the compiled passes (rows where an actor is absent, left
    after the slicing only when none takes part, by the numpy batch)."""
    from negosim.engine.protocols import eum_compiled

    if not np.all(active):
        return _forecast_slice(x, c, s, active, rounds, options)
    w, span, act = eum_setup(x, c, s, active)
    y = eum_compiled.forecast_positions(x, w, s, span, options.q, rounds)
    return weighted_median(y, w, act)


def _forecast_slice(x, c, s, active, rounds: int, options: EUMOptions) -> np.ndarray:
    if x.shape[0] == 1:
        # numpy sums a lone run's actors pairwise but a batch's one by one: a second copy
        # gives every row the same rounding in any slice, hence in any chunk
        return _forecast_slice(
            *(np.repeat(v, 2, axis=0) for v in (x, c, s, active)), rounds, options
        )[:1]
    w, span, act = eum_setup(x, c, s, active)
    batch = _Batch.of(w, s, span, act)
    y = np.array(x.T)
    for _ in range(rounds):
        y, _ = _round(y, batch, options)
    return weighted_median(np.ascontiguousarray(y.T), w, act)


def run_eum(table, variant: str = "scholz-code", compiled: bool | None = None, **choices) -> None:
    """The EUM as a protocol: each issue separately over the table's rounds; the forecast
    (the outcome) is the median of the final positions. Every run ends "agreed" at the
    deadline: the model forecasts a collective decision rather than negotiating to one.

    The issues of all runs are stacked into one batch of ``runs x issues`` independent rows;
    ``compiled`` as in :func:`eum_forecast`.
    """
    opts = EUMOptions.of(variant, **choices)
    runs, actors, issues = table.positions.shape

    def rows(values: np.ndarray) -> np.ndarray:  # (R, A, I) -> (R * I, A), run-major
        values = np.broadcast_to(values, (runs, actors, issues))
        return np.ascontiguousarray(values.transpose(0, 2, 1)).reshape(runs * issues, actors)

    forecast = eum_forecast(
        rows(table.positions),
        rows(table.issue_power),
        rows(table.salience) / 100,
        table.rounds,
        opts,
        rows(table.party),
        compiled,
    )
    outcome = forecast.reshape(runs, issues)
    table.finish(table.live.copy(), table.rounds, outcome=outcome, utility=table.utilities(outcome))
