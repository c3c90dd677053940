# Test-only reference: the per-run expected utility model as of commit 28e2a83
# (negosim/protocols/eum.py at that commit, copied verbatim below these comments). The
# batched model in the library is compared with it, so a change there is checked against an
# independent older implementation rather than against itself. Do not edit.
# ruff: noqa
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


def _probabilities(x, w, span, r, active, opts: EUMOptions) -> np.ndarray:
    """``P[r, i, j]``: probability that i prevails over j (among active actors)."""
    d = np.abs(x[:, :, None] - x[:, None, :]) / span[:, None, None]  # d[r, k, j]
    e = d ** r[:, :, None] if opts.votes == "risk" else d
    votes = w[:, :, None, None] * (e[:, :, None, :] - e[:, :, :, None])  # v[r, k, i, j]
    votes *= (active[:, :, None] & active[:, None, :])[:, None, :, :]
    favour = np.maximum(votes, 0.0).sum(axis=1)
    if opts.probability == "all-pairs":
        total = np.abs(votes).sum(axis=(1, 2, 3))[:, None, None]
    else:
        total = np.abs(votes).sum(axis=1)
    return np.divide(favour, total, out=np.zeros_like(favour), where=total > 0)


def _challenge_utilities(x, s, span, r_perceiver, p, q):
    """``E[r, i, j]``: expected utility of i challenging j as seen by i (row actor) and
    ``F[r, i, j]``: of j challenging i, as seen by i."""
    d = np.minimum(np.abs(x[:, :, None] - x[:, None, :]) / span[:, None, None], 1.0)  # 1: inactive
    rp = r_perceiver[:, :, None]
    success = 2 - 4 * (0.5 - 0.5 * d) ** rp
    failure = 2 - 4 * (0.5 + 0.5 * d) ** rp
    status_quo = 2 - 4 * 0.5**rp
    mine = s[:, None, :] * (p * success + (1 - p) * failure) + (1 - s[:, None, :]) * success
    theirs = s[:, :, None] * (p.transpose(0, 2, 1) * success + (1 - p.transpose(0, 2, 1)) * failure)
    theirs = theirs + (1 - s[:, :, None]) * success
    return mine - q * status_quo, theirs - q * status_quo


def _risk_exponents(x, w, s, span, active, opts) -> np.ndarray:
    ones = np.ones_like(x)
    p = _probabilities(x, w, span, ones, active, opts)
    _, challenged = _challenge_utilities(x, s, span, ones, p, opts.q)
    pair = active[:, :, None] & active[:, None, :]
    np.einsum("rii->ri", pair)[:] = False
    security = np.where(pair, challenged, 0.0).sum(axis=2)
    hi = np.where(active, security, -np.inf).max(axis=1, keepdims=True)
    lo = np.where(active, security, np.inf).min(axis=1, keepdims=True)
    spread = hi - lo
    big_r = np.divide(2 * security - hi - lo, spread, out=np.zeros_like(security), where=spread > 0)
    return (1 - big_r / 3) / (1 + big_r / 3)


def _moves(x, s, w, span, r, active, opts) -> np.ndarray:
    p = _probabilities(x, w, span, r, active, opts)
    a, b = _challenge_utilities(x, s, span, r, p, opts.q)
    candidate = active[:, :, None] & active[:, None, :] & (x[:, :, None] != x[:, None, :])
    xi, xj = x[:, :, None], x[:, None, :]
    confront = candidate & (b > a) & (a > 0)
    compromise = candidate & (b > 0) & (a < 0) & (b > np.abs(a))
    capitulate = (
        candidate & (b > 0) & (a < 0) & (np.abs(a) > np.abs(b)) if opts.capitulation else None
    )
    ratio = np.divide(np.abs(a), np.abs(b), out=np.zeros_like(a), where=b != 0)
    compromise_to = xi + (xj - xi) * ratio
    move = np.abs(xj - xi)
    new = x.copy()
    chosen = np.zeros(x.shape, bool)
    for mask, target, key in (
        (confront, np.broadcast_to(xj, a.shape), move),
        (compromise, compromise_to, _compromise_key(a, b, xi, xj, compromise_to, opts)),
        (capitulate, np.broadcast_to(xj, a.shape), move),
    ):
        if mask is None:
            continue
        pick = np.argmin(np.where(mask, key, np.inf), axis=2)
        has = mask.any(axis=2) & ~chosen
        value = np.take_along_axis(target, pick[:, :, None], axis=2)[:, :, 0]
        new = np.where(has, value, new)
        chosen |= has
    return new


def _compromise_key(a, b, xi, xj, compromise_to, opts: EUMOptions) -> np.ndarray:
    if opts.compromise == "least-move":
        return np.abs(compromise_to - xi)
    weight = np.abs(a) + np.abs(b)
    top = np.abs(a) * xi + np.abs(b) * xj
    return np.divide(top, weight, out=np.full_like(top, np.inf), where=weight > 0)


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
    """One round for every run: the risk exponents used and the new positions."""
    r = _risk_exponents(x, w, s, span, active, opts)
    return np.where(active, _moves(x, s, w, span, r, active, opts), x), r


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
    x = np.array(x, float)
    positions, risks = [x], []
    for _ in range(rounds):
        x, r = eum_round(x, w, s, span, active, opts)
        positions.append(x)
        risks.append(r)
    pos = np.stack(positions)
    median = np.stack([weighted_median(p, w, active) for p in pos])
    mean = np.einsum("tra,ra->tr", pos, w) / w.sum(axis=1)
    return EUMTrace(pos, median, mean, np.stack(risks) if risks else np.zeros((0, *x.shape)))


def run_eum(table, variant: str = "scholz-code", **choices) -> None:
    """The EUM as a protocol: each issue separately over the table's rounds; the forecast
    (the outcome) is the median of the final positions. Every run ends "agreed" at the
    deadline: the model forecasts a collective decision rather than negotiating to one."""
    opts = EUMOptions.of(variant, **choices)
    runs, actors = table.positions.shape[:2]
    outcome = np.empty((runs, len(table.span)))
    # votes are (runs, A, A, A): bound that array to about 20 million numbers
    step = max(1, int(2e7 // max(actors, 1) ** 3))
    for i in range(outcome.shape[1]):
        for lo in range(0, runs, step):
            rows = slice(lo, lo + step)
            trace = eum_rounds(
                table.positions[rows, :, i],
                table.issue_power[rows, :, i],
                table.salience[rows, :, i] / 100,
                table.rounds,
                opts,
                table.party[rows, :, i],
            )
            outcome[rows, i] = trace.median[-1]
    table.finish(table.live.copy(), table.rounds, outcome=outcome, utility=table.utilities(outcome))
