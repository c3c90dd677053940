"""Utilities of packages: linear-additive over issues, vectorized over runs and candidates.

For actor ``a`` and package ``x`` (one value per issue)::

    u_a(x) = sum_i w_ai * v(x_i; p_ai),   w_ai = s_ai / sum_j s_aj

where the sum runs over the issues ``a`` is party to and ``v`` is the value of an issue
outcome at distance ``|x_i - p_ai|`` from the actor's ideal point, normalised by the issue
range ``h_i - l_i``:

* linear loss (default): ``v = 1 - |x - p| / (h - l)``
* quadratic loss: ``v = 1 - ((x - p) / (h - l)) ** 2``

Every utility lies in [0, 1] and equals 1 at the actor's ideal package.
"""

from __future__ import annotations

import numpy as np

LOSSES = ("linear", "quadratic")


def normalized_weights(salience: np.ndarray) -> np.ndarray:
    """Salience weights ``w_ai = s_ai / sum_j s_aj`` along the last (issue) axis.

    Parameters
    ----------
    salience
        Array ``(..., A, I)`` with 0 where an actor is not party to an issue.
    """
    total = salience.sum(axis=-1, keepdims=True)
    return np.divide(salience, total, out=np.zeros_like(salience, dtype=float), where=total > 0)


def issue_loss(distance: np.ndarray, loss: str = "linear") -> np.ndarray:
    """Loss of an outcome at a normalised ``distance`` in [0, 1] from the ideal point."""
    if loss == "linear":
        return np.abs(distance)
    if loss == "quadratic":
        return np.square(distance)
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def utilities(
    packages: np.ndarray,
    positions: np.ndarray,
    weights: np.ndarray,
    span: np.ndarray,
    loss: str = "linear",
) -> np.ndarray:
    """Utility of every package for every actor.

    Parameters
    ----------
    packages
        ``(R, I)`` one package per run, or ``(R, K, I)`` K candidate packages per run.
    positions
        ``(R, A, I)`` ideal points (broadcastable).
    weights
        ``(R, A, I)`` normalised salience weights (broadcastable).
    span
        ``(I,)`` issue ranges ``high - low``.
    loss
        ``"linear"`` or ``"quadratic"``.

    Returns
    -------
    numpy.ndarray
        ``(R, A)`` for packages ``(R, I)``, or ``(R, K, A)`` for ``(R, K, I)``.
    """
    if packages.ndim == 2:
        return utility_of(packages[:, None, :], positions, weights, span, loss)
    return utility_of(packages[:, :, None, :], positions[:, None], weights[:, None], span, loss)


def utility_of(
    packages: np.ndarray,
    position: np.ndarray,
    weight: np.ndarray,
    span: np.ndarray,
    loss: str = "linear",
) -> np.ndarray:
    """The utility kernel: ``1 - sum_i w_i loss((x_i - p_i) / d_i)`` over the last (issue)
    axis, for any broadcastable shapes (one actor: packages and ideal point ``(R, I)``).
    :func:`utilities` and :class:`PackageEvaluator` give the same numbers."""
    return 1.0 - np.sum(weight * issue_loss((packages - position) / span, loss), axis=-1)


def inverse_loss(loss_budget: np.ndarray, loss: str = "linear") -> np.ndarray:
    """Fraction of a straight move whose loss equals ``loss_budget`` (inverse of the loss)."""
    budget = np.maximum(loss_budget, 0.0)
    return budget if loss == "linear" else np.sqrt(budget)


class PackageEvaluator:
    """Fast repeated evaluation of one package per run for every actor.

    Stores positions and scaled weights issue-major, ``(I, R, A)``, so each issue is one
    contiguous ``(R, A)`` pass with in-place arithmetic; the result equals :func:`utilities`.
    Used by the protocols, which evaluate a new package for every actor each round.
    """

    def __init__(
        self, positions: np.ndarray, weights: np.ndarray, span: np.ndarray, loss: str = "linear"
    ) -> None:
        issue_loss(np.zeros(1), loss)  # validates the loss name
        self.loss = loss
        scale = span if loss == "linear" else np.square(span)
        self._positions = np.ascontiguousarray(np.moveaxis(positions, -1, 0))
        self._weights = np.ascontiguousarray(np.moveaxis(weights / scale, -1, 0))

    def take(self, keep: np.ndarray) -> PackageEvaluator:
        """The evaluator restricted to the runs in ``keep``."""
        out = object.__new__(PackageEvaluator)
        out.loss = self.loss
        out._positions = np.ascontiguousarray(self._positions[:, keep])
        out._weights = np.ascontiguousarray(self._weights[:, keep])
        return out

    def __call__(self, packages: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Utilities ``(R, A)`` of packages ``(R, I)``; with ``rows``, of the packages
        ``(len(rows), I)`` of those runs only (the same bits as evaluating every run)."""
        positions, weights = self._positions, self._weights
        if rows is not None:
            positions, weights = positions[:, rows], weights[:, rows]
        total = np.ones(positions.shape[1:])
        gap = np.empty_like(total)
        for i in range(positions.shape[0]):
            np.subtract(packages[:, i, None], positions[i], out=gap)
            if self.loss == "linear":
                np.abs(gap, out=gap)
            else:
                np.square(gap, out=gap)
            gap *= weights[i]
            total -= gap
        return total
