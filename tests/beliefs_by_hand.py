"""What the US believes of Russia on package_2007 under ``information="learned"``, computed
without the engine's beliefs: the prior from the scenario's ``[[uncertainty]]`` by the spread
formulas of docs/protocols.md ("The prior"), and an opponent model fed Russia's offers as the
trace of ``simulate(..., trace=k)`` records them (the notebook 03 and docs/teaching.md
exercise on what each side learns; tests/test_notebooks.py and tests/test_teaching.py)."""

from __future__ import annotations

import math

import numpy as np
import reference_opponents as ref

import negosim as ns


def spread(dist: str, params: dict) -> float:
    """The standard deviation of a uniform or triangular distribution."""
    if dist == "uniform":
        return (params["high"] - params["low"]) / math.sqrt(12)
    assert dist == "triangular", dist
    a, c, b = params["low"], params["mode"], params["high"]
    return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)


def prior_of(sc: ns.Scenario, actor: str) -> dict:
    """What everyone knows of ``actor`` before the talks, as the reference models take it:
    the file's ideal points and saliences (their point estimates), the saliences normalised
    over the actor's total, and the spread of each uncertain one (0 where certain)."""
    spec = sc.actor(actor)
    position = [float(spec.position[i]) for i in sc.issues]
    salience = [float(spec.salience[i]) for i in sc.issues]
    position_sd, salience_sd = [0.0] * len(sc.issues), [0.0] * len(sc.issues)
    for u in sc.effective_uncertainty:
        owner, field, *rest = u.target.split(".")
        if owner == actor and field in ("position", "salience"):
            k = sc.issues.index(rest[0])
            (position_sd if field == "position" else salience_sd)[k] = spread(u.dist, u.params)
            if u.dist == "triangular":  # the point estimate is the mode
                (position if field == "position" else salience)[k] = u.params["mode"]
    total = sum(salience)
    return {
        "position": position,
        "position_sd": position_sd,
        "weight": [s / total for s in salience],
        "weight_sd": [s / total for s in salience_sd],
        "low": [float(x) for x in sc.low],
        "high": [float(x) for x in sc.high],
        "loss": sc.loss,
    }


def offers_of(res: ns.SimulationResult, proposer: int) -> tuple[np.ndarray, np.ndarray]:
    """The rounds ``proposer`` proposed in and its offers ``(runs, offers, I)`` in the traced
    runs, a closed run's missing offers filled with its last one (a repeat teaches neither
    model a weight; the frequency model counts it, so feed it only runs that stay open)."""
    rounds = np.flatnonzero(res.trace["proposer"] == proposer)
    offers = res.trace["offer"][:, rounds].copy()
    for k in range(1, len(rounds)):
        gone = np.isnan(offers[:, k]).any(axis=1)
        offers[gone, k] = offers[gone, k - 1]
    return rounds, offers


def reference_weights(kind: str, prior: dict, offers: np.ndarray) -> tuple[np.ndarray, object]:
    """``(offers + 1, I)`` the believed weights of one run, by the plain-Python reference
    model ``kind`` (``"Bayesian"`` or ``"Frequency"``): the prior's point estimates, then
    after each offer; and the reference model itself."""
    model = getattr(ref, kind)(prior)
    out = [list(prior["weight"])]
    for offer in offers:
        model.update([float(x) for x in offer])
        out.append(model.weights())
    return np.array(out), model


def by_round(values: np.ndarray, rounds: np.ndarray, deadline: int) -> np.ndarray:
    """Values known after each offer ``(runs, offers + 1, ...)`` spread to every round
    ``(runs, deadline, ...)``: round t holds those after the last offer made by round t."""
    index = np.searchsorted(rounds, np.arange(deadline), side="right")
    return values[:, index]
