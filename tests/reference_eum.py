# Test-only reference: the per-run implementation as of 28e2a83; only the parts the batched
# code replaced; the rest is imported. The functions below are negosim/protocols/eum.py of that
# commit verbatim (votes as (runs, A, A, A) arrays, each issue a batch of its own), except that
# _moves hands its offers to the library's _choose and run_eum steps the rounds itself instead
# of through eum_rounds: the option handling, the range and weights, the choice among offers
# and the median did not change and come from the library. The batched model is
# compared with this, so a change there is checked against an independent older implementation
# rather than against itself. Do not edit.
"""The expected utility model's rounds as computed per run before they were batched: see
:mod:`negosim.engine.protocols.eum` for the model."""

from __future__ import annotations

import numpy as np

from negosim.engine.protocols.eum import EUMOptions, _choose, eum_setup, weighted_median

__all__ = ["EUMOptions", "eum_round", "eum_setup", "run_eum", "weighted_median"]


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
    return _choose(x, a, b, candidate, opts)


def eum_round(x, w, s, span, active, opts: EUMOptions) -> tuple[np.ndarray, np.ndarray]:
    """One round for every run: the risk exponents used and the new positions."""
    r = _risk_exponents(x, w, s, span, active, opts)
    return np.where(active, _moves(x, s, w, span, r, active, opts), x), r


def run_eum(table, variant: str = "scholz-code", **choices) -> None:
    """The EUM as a protocol: each issue separately over the table's rounds; the forecast
    (the outcome) is the median of the final positions."""
    opts = EUMOptions.of(variant, **choices)
    runs, actors = table.positions.shape[:2]
    outcome = np.empty((runs, len(table.span)))
    # votes are (runs, A, A, A): bound that array to about 20 million numbers
    step = max(1, int(2e7 // max(actors, 1) ** 3))
    for i in range(outcome.shape[1]):
        for lo in range(0, runs, step):
            rows = slice(lo, lo + step)
            x, s = table.positions[rows, :, i].astype(float), table.salience[rows, :, i] / 100
            w, span, active = eum_setup(
                x, table.issue_power[rows, :, i], s, table.party[rows, :, i]
            )
            for _ in range(table.rounds):
                x, _ = eum_round(x, w, s, span, active, opts)
            outcome[rows, i] = weighted_median(x, w, active)
    table.finish(table.live.copy(), table.rounds, outcome=outcome, utility=table.utilities(outcome))
