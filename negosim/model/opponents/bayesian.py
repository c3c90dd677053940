"""The scalable Bayesian opponent model of Hindriks and Tykhonov (2008), for continuous issues.

The model keeps, for every issue on its own, a probability over a few hypotheses of the
opponent's weight and a probability over a few hypotheses of its value function, and updates
each by Bayes' rule on every new offer, assuming the opponent's utility of its offers falls
slowly from 1. The rules follow GENIUS 10.4's
``agents/bayesianopponentmodel/BayesianOpponentModelScalable.java`` (the update: lines
215-226 and 272-423), as the BOA framework's ``ScalableBayesianModel.java`` uses it; the
adaptation to continuous issues (value functions peaked on a grid of ideal points) is stated
in :class:`BayesianModel` and in ``docs/protocols.md``, "Opponent models".

The beliefs are arrays ``(R, I, K)`` (value hypotheses) and ``(R, I, H)`` (weight
hypotheses), runs first for the table, stored hypothesis-major (:func:`runs_first`): an
update is a few numpy passes over contiguous memory, with no loop over runs or issues.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from negosim.model.opponents.base import (
    OpponentModel,
    Prior,
    check_offer,
    choice,
    major,
    nonnegative,
    positive_int,
    runs_first,
    scratch,
    tiled,
)


class BayesianModel(OpponentModel):
    """Hindriks and Tykhonov's scalable Bayesian model, with value hypotheses peaked on a grid.

    Hypotheses, for issue ``i`` with scale ``[l_i, h_i]`` and span ``d_i`` (GENIUS
    ``BayesianOpponentModelScalable.java`` lines 57-120 and 189-213):

    * **values**: ``K`` ideal points ``c_ik = l_i + k d_i / (K - 1)``, ``k = 0..K-1``, each
      with the value function ``V_ik(x) = 1 - f(|x - c_ik| / d_i)`` of the scenario's loss
      ``f``. The peaks at the ends are GENIUS's "uphill" and "downhill" hypotheses (for the
      linear loss exactly so); the inner ones stand for its 4 triangular hypotheses, in the
      shape of the scenario's loss.
    * **weights**: ``H`` weights ``omega_h = h / (H - 1)``, ``h = 0..H-1`` (GENIUS: 11), one
      set per issue (the issues' weights are not tied to sum 1).
    * **prior** (``start="prior"``, default): on each grid the normal density around the
      prior's point estimate, ``pi_k ~ exp(-(c_ik - p_i)^2 / (2 s_i^2))`` with ``s_i`` the
      prior's ``position_sd`` (and likewise the weights around ``weight`` with
      ``weight_sd``), normalised; a known number (``sd = 0``) puts all the mass on the grid
      point nearest to it (shared equally on a tie), the limit of the normal; an unknown one
      (``sd`` infinite or NaN) gives the uniform prior. ``start="genius"`` is GENIUS's start:
      uniform over the value hypotheses, ``pi_h ~ (1 - (h + 1) / H)^3`` over the weights.

    Update on an offer ``x`` of the opponent, for each run (``updateBeliefs``, lines
    394-423):

    1. An offer within ``tolerance * d_i`` on every issue of the last offer learned from is
       skipped: nothing is learned and ``n`` stays (GENIUS skips a bid equal to any earlier
       one, ``haveSeenBefore``; a continuous opponent repeats itself by standing still).
    2. The opponent is assumed to offer utility ``P = max(1 - step * n, step)``, ``n`` the
       offers learned from before (GENIUS: ``fPreviousBidUtility`` starts at 1 and drops by
       0.003 per bid learned from, line 416, with no floor: it reaches 0 after 334 bids);
       a hypothesis giving the offer utility ``u`` has likelihood
       ``L(u) = exp(-((P - u) / P)^2 / (2 sigma^2))``, ``sigma = 0.25``
       (``conditionalDistribution``, lines 215-226; its constant factor cancels).
    3. From the second offer learned on, the weights (``updateWeights``, lines 272-324): for
       each issue ``j`` and hypothesis ``h``,
       ``u = omega_h E_j + sum_{k != j} W_k E_k`` with ``E_k = sum_m pi_km V_km(x_k)`` and
       ``W_k = sum_h pi_kh omega_h`` under the current beliefs; ``pi_jh <- pi_jh L(u)``,
       normalised over ``h``.
    4. Then the values (``updateEvaluationFns``, lines 326-384), with the new weights
       ``W'`` and the current ``E``: ``u = W'_i V_ik(x_i) + sum_{j != i} W'_j E_j``;
       ``pi_ik <- pi_ik L(u)``, normalised over ``k``.

    Should the likelihoods of every hypothesis a run holds possible underflow to 0 (a small
    ``P`` late in long talks), they are taken relative to the largest of them: the same
    posterior, where GENIUS gives NaN (its "known bug 2").

    Beliefs: :meth:`positions` the posterior mean peak ``sum_k pi_ik c_ik``; :meth:`weights`
    the posterior mean weights ``W_i`` over their sum (``getNormalizedWeight``, lines
    498-504; the prior's point estimates where every ``W_i`` is 0); :meth:`utility` the
    expected utility under the posterior with those weights,
    ``sum_i (W_i / sum_j W_j) sum_k pi_ik V_ik(x_i)`` (GENIUS's ``getExpectedUtility``,
    lines 434-450, uses the ``W_i`` themselves). The round ``t`` is not used (nor is it by
    GENIUS).

    The posteriors are kept in the state under ``"values"`` and ``"weights"``; an update
    writes the next ones over the arrays of the update before (copy them to keep them).

    Parameters
    ----------
    peaks
        ``K``, the ideal points per issue (default 21, every 5% of the scale).
    weight_grid
        ``H``, the weight hypotheses per issue (default 11, as GENIUS).
    sigma
        The likelihood's ``sigma`` (GENIUS: 0.25).
    step
        The assumed fall in the opponent's utility per offer (GENIUS: 0.003).
    tolerance
        Offers this close (share of the span, on every issue) to the last one learned from are
        skipped (default 0.005).
    start
        ``"prior"`` (default) or ``"genius"``: the prior over the hypotheses.
    """

    name = "bayesian"
    citation = (
        "Hindriks and Tykhonov (2008), Opponent modelling in automated multi-issue "
        "negotiation using Bayesian learning, AAMAS; GENIUS 10.4 BayesianOpponentModelScalable"
    )

    def __init__(
        self,
        peaks: int = 21,
        weight_grid: int = 11,
        sigma: float = 0.25,
        step: float = 0.003,
        tolerance: float = 0.005,
        start: str = "prior",
    ) -> None:
        self.peaks = positive_int("peaks", peaks, 2)
        self.weight_grid = positive_int("weight_grid", weight_grid, 2)
        self.sigma = nonnegative("sigma", sigma, positive=True)
        self.step = nonnegative("step", step, positive=True)
        self.tolerance = nonnegative("tolerance", tolerance)
        self.start_from = choice("start", start, ("prior", "genius"))

    # ------------------------------------------------------------------ the hypotheses

    def centres(self, prior: Prior) -> np.ndarray:
        """``(I, K)`` the ideal points ``c_ik = l_i + k d_i / (K - 1)``."""
        share = np.arange(self.peaks) / (self.peaks - 1)
        return prior.low[:, None] + share * prior.span[:, None]

    def grid(self) -> np.ndarray:
        """``(H,)`` the weight hypotheses ``h / (H - 1)``."""
        return np.arange(self.weight_grid) / (self.weight_grid - 1)

    def start(self, prior: Prior, runs: int) -> dict[str, Any]:
        grid = self.grid()
        if self.start_from == "prior":
            values = around(self.centres(prior), prior.position, prior.position_sd)
            weights = around(np.tile(grid, (prior.issues, 1)), prior.weight, prior.weight_sd)
        else:
            values = np.full((prior.issues, self.peaks), 1.0 / self.peaks)
            cubic = (1.0 - (np.arange(self.weight_grid) + 1.0) / self.weight_grid) ** 3
            weights = np.tile(cubic / cubic.sum(), (prior.issues, 1))
        return {
            "prior": prior,
            "values": runs_first(np.repeat(values.T[:, None, :], runs, axis=1)),  # (R, I, K)
            "weights": runs_first(np.repeat(weights.T[:, None, :], runs, axis=1)),  # (R, I, H)
            "learned": np.zeros(runs, dtype=np.int64),  # offers learned from
            "last": np.zeros((runs, prior.issues)),  # the last of them
        }

    # ------------------------------------------------------------------ learning

    def update(self, state: dict[str, Any], offer: np.ndarray, t: int) -> None:
        prior: Prior = state["prior"]
        learned = state["learned"]
        runs = learned.shape[0]
        x = check_offer(state, offer, runs)
        moved = np.abs(x - state["last"]) > tiled(
            state, "tolerance", self.tolerance * prior.span, runs
        )
        new = moved.any(axis=1)
        new |= learned == 0
        if not new.any():
            return
        # Hypothesis-major arrays, (K, R, I) and (H, R, I), into work arrays kept in the
        # state: every step below is one pass over contiguous memory, with nothing allocated
        # (at 10^4 runs a new array costs more than the arithmetic on it). The runs that skip
        # this offer keep their beliefs.
        values, weights = major(state, "values"), major(state, "weights")
        new_values = scratch(state, "values", values.shape)
        new_weights = scratch(state, "weights", weights.shape)
        self._learn(state, x, learned, (values, weights), (new_values, new_weights))
        if not new.all():
            keep = ~new
            new_values[:, keep] = values[:, keep]
            new_weights[:, keep] = weights[:, keep]
        # the new beliefs take the old ones' place, which become the next update's work arrays
        work = state["work"]
        state["values"], work["values"] = runs_first(new_values), values
        state["weights"], work["weights"] = runs_first(new_weights), weights
        state["last"][new] = x[new]
        learned += new

    def _learn(
        self,
        state: dict[str, Any],
        x: np.ndarray,
        learned: np.ndarray,
        beliefs: tuple[np.ndarray, np.ndarray],
        into: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """The posteriors ``into`` (values, weights) after offer ``x`` ``(R, I)`` from the
        current ``beliefs``; hypothesis-major, ``(K, R, I)`` and ``(H, R, I)``."""
        prior: Prior = state["prior"]
        values, weights = beliefs
        new_values, new_weights = into
        peaks, runs, issues = values.shape
        shape = (runs, issues)
        grid = self.grid()
        scale = 1.0 / (self.sigma * np.sqrt(2.0))  # L(u) = exp(-(scale (P - u) / P)^2)
        assumed = np.maximum(1.0 - self.step * learned, self.step)  # P, (R,)
        per = (scale / assumed)[:, None]  # scale / P, (R, 1)
        # f(|x - c_k| / d), the loss of the offer under every peak, (K, R, I): V = 1 - it
        at = np.subtract(x, prior.low, out=scratch(state, "at", shape))
        at /= prior.span
        lost = scratch(state, "lost", values.shape)
        np.subtract(at, (np.arange(peaks) / (peaks - 1))[:, None, None], out=lost)
        if prior.loss == "linear":
            np.abs(lost, out=lost)
        else:
            np.square(lost, out=lost)
        expected = np.einsum("kri,kri->ri", values, lost, out=scratch(state, "E", shape))
        np.subtract(1.0, expected, out=expected)  # E_i = sum_k pi_ik V_ik(x_i)
        mean_weight = np.einsum("h,hri->ri", grid, weights, out=scratch(state, "W", shape))
        part = scratch(state, "part", shape)
        b = scratch(state, "b", shape)
        if np.any(learned > 0):  # the weights learn from the second offer on
            np.multiply(mean_weight, expected, out=part)
            others = np.subtract((part @ np.ones(issues))[:, None], part, out=part)
            # scale (P - u) / P with u = omega_h E_j + others: a - omega_h b
            a = np.subtract(assumed[:, None], others, out=part)
            a *= per
            np.multiply(expected, per, out=b)
            gap = np.multiply(b, -grid[:, None, None], out=scratch(state, "gap", weights.shape))
            gap += a
            _reweigh(state, weights, gap, new_weights)
            if not np.all(learned > 0):
                first = learned == 0
                new_weights[:, first] = weights[:, first]
            np.einsum("h,hri->ri", grid, new_weights, out=mean_weight)
        else:
            np.copyto(new_weights, weights)
        np.multiply(mean_weight, expected, out=part)
        others = np.subtract((part @ np.ones(issues))[:, None], part, out=part)
        # scale (P - u) / P with u = others + W'_i (1 - lost): a + b lost
        a = np.subtract(assumed[:, None], others, out=part)
        a -= mean_weight
        a *= per
        np.multiply(mean_weight, per, out=b)
        lost *= b
        lost += a
        _reweigh(state, values, lost, new_values)

    # ------------------------------------------------------------------ beliefs

    def positions(self, state: dict[str, Any]) -> np.ndarray:
        prior: Prior = state["prior"]
        share = np.arange(self.peaks) / (self.peaks - 1)  # c_ik = l_i + share_k d_i
        mean = np.tensordot(share, major(state, "values"), 1)  # (R, I)
        mean *= prior.span
        mean += prior.low
        return mean

    def weights(self, state: dict[str, Any]) -> np.ndarray:
        mean = np.tensordot(self.grid(), major(state, "weights"), 1)  # W, (R, I)
        total = mean @ np.ones(mean.shape[1])
        if np.all(total > 0):
            mean /= total[:, None]
            return mean
        point = state["prior"].weight  # every W_i is 0: the prior's point estimates
        return np.where(total[:, None] > 0, mean / np.where(total > 0, total, 1.0)[:, None], point)

    def values(self, state: dict[str, Any], packages: np.ndarray) -> np.ndarray:
        """Expected value ``sum_k pi_ik V_ik(x_i)`` of every issue outcome, ``(R, I)`` or
        ``(R, P, I)`` like ``packages``."""
        prior: Prior = state["prior"]
        packages = np.asarray(packages, dtype=float)
        beliefs = major(state, "values")  # (K, R, I)
        at = (packages - prior.low) / prior.span
        if packages.ndim == 3:  # packages first, (P, R, I); the losses (K, P, R, I)
            at, beliefs = np.moveaxis(at, 1, 0), beliefs[:, None]
        share = np.arange(self.peaks) / (self.peaks - 1)
        lost = np.subtract(at, share.reshape(-1, *(1,) * at.ndim))
        if prior.loss == "linear":
            np.abs(lost, out=lost)
        else:
            np.square(lost, out=lost)
        lost *= beliefs
        value = 1.0 - lost.sum(axis=0)
        return np.moveaxis(value, 0, 1) if packages.ndim == 3 else value

    def utility(self, state: dict[str, Any], packages: np.ndarray) -> np.ndarray:
        weights = self.weights(state)
        if np.ndim(packages) == 3:
            weights = weights[:, None]
        return np.sum(weights * self.values(state, packages), axis=-1)


def around(grid: np.ndarray, point: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``(I, G)`` probabilities over each issue's ``grid``: the normal density around
    ``point`` with ``sd``, normalised; all of it on the nearest grid point(s) where ``sd`` is
    0, uniform where it is not finite."""
    gap2 = np.square(grid - point[:, None])
    out = np.empty_like(grid)
    for i, s in enumerate(sd):  # one row per issue: the prior is built once
        if not np.isfinite(s):
            out[i] = 1.0
        elif s == 0:
            out[i] = gap2[i] == gap2[i].min()
        else:
            out[i] = np.exp(-(gap2[i] - gap2[i].min()) / (2.0 * s * s))
    return out / out.sum(axis=1, keepdims=True)


def _reweigh(state: dict[str, Any], prior: np.ndarray, gap: np.ndarray, out: np.ndarray) -> None:
    """``out = prior * exp(-gap^2)`` normalised over the first (hypothesis) axis (``gap`` is
    overwritten). Should the likelihoods of every hypothesis the prior holds possible
    underflow (or come near it), they are taken relative to the largest of them: the same
    posterior, where GENIUS gives NaN."""
    np.square(gap, out=gap)
    np.negative(gap, out=gap)
    np.exp(gap, out=out)
    out *= prior
    total = np.sum(out, axis=0, out=scratch(state, "total", prior.shape[1:]))
    low = total < TINY
    if low.any():  # rare: only hypotheses the prior rules out were likely
        held = -gap[:, low]
        held[prior[:, low] <= 0] = np.inf
        redo = np.exp(held.min(axis=0) - held) * prior[:, low]
        out[:, low], total[low] = redo, redo.sum(axis=0)
    out /= total


TINY = 1e-280
"""Below this sum of prior times likelihood, the likelihoods are recomputed relative to the
largest (so no term is subnormal and the posterior keeps its precision)."""
