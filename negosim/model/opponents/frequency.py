"""The frequency model of HardHeaded (van Krimpen, Looije and Hajizadeh 2013), for continuous
issues.

HardHeaded, the winner of ANAC 2011, learns the opponent's issue weights from which issues it
keeps unchanged between consecutive offers (an issue it will not move on matters to it), and
its value functions from how often it offers each value. The rules follow GENIUS 10.4's
``negotiator/boaframework/opponentmodel/HardHeadedFrequencyModel.java`` (``updateModel``,
lines 71-130) and ``agents/anac/y2011/HardHeaded/KLH.java`` (``updateLearner``, lines
184-238); the adaptation to continuous issues (values counted in bins) is stated in
:class:`FrequencyModel` and in ``docs/protocols.md``, "Opponent models".
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
)
from negosim.model.preferences import issue_loss


class FrequencyModel(OpponentModel):
    """HardHeaded's frequency model, with the values of a continuous issue counted in bins.

    Rules, for each run, on the ``n``-th offer ``x`` of the opponent (``I`` issues, issue
    ``i`` on ``[l_i, h_i]`` with span ``d_i``):

    * **Bins.** ``b_i(x) = floor((x_i - l_i) * (B / d_i))``, clipped to ``[0, B - 1]`` (an
      offer on a bin edge belongs to the bin above it, the top of the scale to the last
      bin); bin ``b`` has centre ``l_i + (b + 1/2) d_i / B``. The count ``n_i(b_i(x))``
      grows by 1 on every offer, the first included. (GENIUS counts every value from 1 and
      adds ``learnValueAddition = 1`` from the second offer on, lines 111-126 and 159-177;
      here counts start at 0, so the added constant cancels in ``v`` below, and the prior
      stands in for the counts until the first offer.)
    * **Weights** (from the second offer on; GENIUS ``HardHeadedFrequencyModel.java``
      lines 86-109): issue ``i`` is *unchanged* iff ``|x_i - x'_i| <= tolerance * d_i``,
      ``x'`` the opponent's previous offer (GENIUS: the two values are equal). With ``u``
      unchanged issues, ``g = learn_coef / I`` (``goldenValue``), ``S = 1 + g u``
      (``totalSum``) and ``M = 1 - I g / S`` (``maximumWeight``), every weight becomes
      ``(w_i + g) / S`` if ``i`` is unchanged and ``w_i < M``, else ``w_i / S``. The weights
      start at the prior's point estimates (``start="prior"``) or at ``1 / I``
      (``start="uniform"``, GENIUS's start).
    * **Believed weights** :meth:`weights`: ``w_i / sum_j w_j`` (GENIUS uses the raw
      weights, whose sum falls below 1 once an unchanged issue is held at ``M``).
    * **Believed values**: ``v_i(x) = n_i(b_i(x)) / max_b n_i(b)``, the count over the
      largest count (GENIUS ``EvaluatorDiscrete.normalize``); before any offer, the prior's
      ``1 - f(|x - p_i| / d_i)``.
    * **Believed ideal point** :meth:`positions`: the mean of the centres of the bins with the
      largest count on the issue (all of them, when several tie); before any offer, the
      prior position ``p_i``.
    * **Believed utility** :meth:`utility`: ``sum_i (w_i / sum_j w_j) v_i(x_i)`` (GENIUS
      ``AdditiveUtilitySpace.getUtility``, with the believed weights).

    The round ``t`` is not used (nor is it by GENIUS).

    Parameters
    ----------
    learn_coef
        HardHeaded's learning coefficient ``l`` (GENIUS default 0.2).
    bins
        ``B``, the bins per issue (default 20).
    tolerance
        An issue moved by at most this share of its span counts as unchanged (default 0.005).
    start
        ``"prior"`` (default) or ``"uniform"``: the starting weights.
    """

    name = "frequency"
    citation = (
        "van Krimpen, Looije and Hajizadeh (2013), HardHeaded, in Complex Automated "
        "Negotiations (Springer SCI 435); GENIUS 10.4 HardHeadedFrequencyModel"
    )

    def __init__(
        self,
        learn_coef: float = 0.2,
        bins: int = 20,
        tolerance: float = 0.005,
        start: str = "prior",
    ) -> None:
        self.learn_coef = nonnegative("learn_coef", learn_coef)
        self.bins = positive_int("bins", bins)
        self.tolerance = nonnegative("tolerance", tolerance)
        self.start_from = choice("start", start, ("prior", "uniform"))

    def start(self, prior: Prior, runs: int) -> dict[str, Any]:
        issues = prior.issues
        if self.start_from == "prior":
            weights = np.repeat(prior.weight[:, None], runs, axis=1)
        else:
            weights = np.full((issues, runs), 1.0 / issues)
        # (R, I) beliefs are stored issue-major (runs_first): see update
        return {
            "prior": prior,
            "weights": runs_first(weights),  # GENIUS's raw weights
            "counts": np.zeros((runs, issues, self.bins), dtype=np.int32),
            "top": runs_first(np.zeros((issues, runs), dtype=np.int32)),  # the largest count
            "top_bins": runs_first(np.zeros((issues, runs), dtype=np.int64)),  # sum of its bins
            "top_n": runs_first(np.zeros((issues, runs), dtype=np.int32)),  # how many bins
            "last": runs_first(np.zeros((issues, runs))),  # the previous offer
            "offers": np.zeros(runs, dtype=np.int64),  # offers seen
        }

    def update(self, state: dict[str, Any], offer: np.ndarray, t: int) -> None:
        prior: Prior = state["prior"]
        offers = state["offers"]
        runs, issues = offers.shape[0], prior.issues
        shape = (issues, runs)
        # Issue-major (I, R) throughout: every step is one pass over rows of R numbers (an
        # (R, I) array has rows of I), into work arrays kept in the state (a new array of
        # 10^5 numbers costs more than the arithmetic on it).
        x = scratch(state, "offer", shape)
        np.copyto(x, check_offer(state, offer, runs).T)
        found = self._bins(state, x)
        if offers.any():  # the weights: only runs with a previous offer learn
            last = major(state, "last")
            work = np.subtract(x, last, out=scratch(state, "float", shape))
            np.abs(work, out=work)
            unchanged = work <= (self.tolerance * prior.span)[:, None]
            if not offers.all():
                unchanged &= offers > 0  # no previous offer: S = 1, no change
            # a repeated offer (every issue unchanged) says nothing of the weights: no change
            # (GENIUS's update leaves its uniform start as it is then, but would pull any
            # other start, such as the prior, toward uniform)
            unchanged &= ~np.logical_and.reduce(unchanged, axis=0)
            golden = self.learn_coef / issues
            total = 1.0 + golden * unchanged.sum(axis=0)  # S, (R,)
            cap = 1.0 - issues * golden / total  # M, (R,)
            weights = major(state, "weights")
            unchanged &= weights < cap
            weights += np.multiply(unchanged, golden, out=work)
            weights /= total
        counts = state["counts"]
        if not counts.flags.c_contiguous:  # a flat view must reach the array itself
            counts = state["counts"] = np.ascontiguousarray(counts)
        flat = np.add(
            found, self._offsets(state, runs, issues), out=scratch(state, "flat", shape, np.intp)
        )
        cells = counts.reshape(-1)
        new = np.take(cells, flat, out=scratch(state, "new", shape, counts.dtype))
        new += 1
        cells[flat] = new
        top, top_bins, top_n = major(state, "top"), major(state, "top_bins"), major(state, "top_n")
        above, level = new > top, new == top  # a new top, or one more bin at it
        stays = ~above
        top_bins *= stays  # above: the bin alone; level: one more bin at the top
        top_bins += np.multiply(found, above | level, out=flat)
        top_n *= stays
        top_n += level
        top_n += above
        np.maximum(top, new, out=top)
        major(state, "last")[...] = x
        offers += 1

    def _bins(self, state: dict[str, Any], x: np.ndarray, key: str = "bins") -> np.ndarray:
        """The bins of issue-major outcomes ``x`` ``(I, ...)``: ``floor((x - l) * (B / d))``
        clipped to [0, B - 1] (clipped first, truncating is flooring)."""
        prior: Prior = state["prior"]
        tail = (slice(None),) + (None,) * (x.ndim - 1)
        work = np.subtract(x, prior.low[tail], out=scratch(state, key + " float", x.shape))
        work *= (self.bins / prior.span)[tail]
        np.clip(work, 0, self.bins - 1, out=work)
        found = scratch(state, key, x.shape, np.intp)
        np.copyto(found, work, casting="unsafe")
        return found

    def _offsets(self, state: dict[str, Any], runs: int, issues: int) -> np.ndarray:
        """``(I, R)`` where each issue's and run's bins start in the flat counts ``(R, I,
        B)``."""
        work = state.setdefault("work", {})
        found = work.get("offsets")
        if found is None or found.shape != (issues, runs):
            size = runs * issues * self.bins
            found = np.arange(0, size, self.bins).reshape(runs, issues)
            found = work["offsets"] = np.ascontiguousarray(found.T)
        return found

    def positions(self, state: dict[str, Any]) -> np.ndarray:
        prior: Prior = state["prior"]
        top_n = major(state, "top_n")
        seen = top_n > 0
        centre = np.divide(major(state, "top_bins"), top_n, out=np.zeros(top_n.shape), where=seen)
        centre += 0.5  # the mean bin's centre: l + (b + 1/2) d / B
        centre *= (prior.span / self.bins)[:, None]
        centre += prior.low[:, None]
        return runs_first(np.where(seen, centre, prior.position[:, None]))

    def weights(self, state: dict[str, Any]) -> np.ndarray:
        weights = major(state, "weights")
        return runs_first(weights / weights.sum(axis=0))

    def values(self, state: dict[str, Any], packages: np.ndarray) -> np.ndarray:
        """Believed value of every issue outcome, ``(R, I)`` or ``(R, P, I)`` like
        ``packages``: the count of its bin over the issue's largest count (the prior's value
        before any offer)."""
        prior: Prior = state["prior"]
        runs, issues = state["offers"].shape[0], prior.issues
        packages = np.asarray(packages, dtype=float)
        x = np.moveaxis(packages, -1, 0)  # (I, R) or (I, R, P)
        found = self._bins(state, x, "value bins")
        base, top = self._offsets(state, runs, issues), major(state, "top")
        if packages.ndim == 3:
            base, top = base[:, :, None], top[:, :, None]
        counts = np.take(state["counts"].reshape(-1), found + base)
        value = np.divide(counts, top, out=np.zeros(counts.shape), where=top > 0)
        if not np.all(top):  # before any offer: the prior's values
            tail = (slice(None),) + (None,) * (x.ndim - 1)
            prior_value = 1.0 - issue_loss(
                (x - prior.position[tail]) / prior.span[tail], prior.loss
            )
            value = np.where(top > 0, value, prior_value)
        return np.moveaxis(value, 0, -1)

    def utility(self, state: dict[str, Any], packages: np.ndarray) -> np.ndarray:
        weights = self.weights(state)
        if np.ndim(packages) == 3:
            weights = weights[:, None]
        return np.sum(weights * self.values(state, packages), axis=-1)
