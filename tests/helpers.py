"""Small scenario builders for the tests."""

from __future__ import annotations

import contextlib
import signal
from typing import Any

import numpy as np
import reference_eum
from hypothesis import strategies as st

import negosim as ns


def one_issue_actor(ident: str, position: float, reservation: float, **more: Any) -> dict:
    """An actor of a one-issue (``i0``) scenario dict, salience 1, power 1."""
    actor = {"id": ident, "power": 1, "position": {"i0": position}, "salience": {"i0": 1}}
    return {**actor, "reservation": reservation, **more}


def bilateral(
    positions: list[list[float]],
    saliences: list[list[float]],
    reservations: tuple[float | None, float | None] = (None, None),
    *,
    rounds: int = 50,
    discount: tuple[float | None, float | None] = (None, None),
    scale: tuple[float, float] = (0.0, 100.0),
    status_quo: list[float] | None = None,
    **extra: Any,
) -> ns.Scenario:
    """Two negotiators A and B over len(positions[0]) issues named i0, i1, ..."""
    n = len(positions[0])
    issues = [
        {
            "id": f"i{k}",
            "label": f"issue {k}",
            "scale": list(scale),
            "status_quo": (status_quo or [scale[0]] * n)[k],
        }
        for k in range(n)
    ]
    actors = []
    for name, pos, sal, res, disc in zip(
        "AB", positions, saliences, reservations, discount, strict=True
    ):
        actor: dict[str, Any] = {
            "id": name,
            "power": 1.0,
            "position": {f"i{k}": float(v) for k, v in enumerate(pos)},
            "salience": {f"i{k}": float(v) for k, v in enumerate(sal)},
        }
        if res is not None:
            actor["reservation"] = res
        if disc is not None:
            actor["discount"] = disc
        actors.append(actor)
    doc = {
        "scenario": {"id": "bilateral", "title": "test", "rounds": rounds},
        "issues": issues,
        "actors": actors,
        **extra,
    }
    return ns.Scenario.from_dict(doc)


SAFE_STRATEGIES = [
    "boulware",
    "linear",
    "conceder",
    "hardliner",
    "random_walk",
    "tit_for_tat",
    "absolute_tit_for_tat",
    "trade_off",
]
"""Strategies that never accept less than their reservation (Rubinstein ignores it by design)."""


@st.composite
def worlds(draw):
    """Random scenarios: 2-4 negotiators, some ratifiers in a coalition, 1-3 issues."""
    n_issues = draw(st.integers(1, 3))
    n_neg, n_rat = draw(st.integers(2, 4)), draw(st.integers(0, 3))
    issues = []
    for k in range(n_issues):
        low = draw(st.floats(-50, 50))
        high = low + draw(st.floats(1, 100))
        issues.append(
            {
                "id": f"i{k}",
                "label": "x",
                "scale": [low, high],
                "status_quo": draw(st.floats(low, high)),
            }
        )
    actors = []
    for a in range(n_neg + n_rat):
        pos = {i["id"]: draw(st.floats(*i["scale"])) for i in issues}
        sal = {i["id"]: draw(st.floats(1, 100)) for i in issues}
        actor = {
            "id": f"a{a}",
            "power": draw(st.floats(0.5, 50)),
            "position": pos,
            "salience": sal,
            "role": "negotiator" if a < n_neg else "ratifier",
        }
        if draw(st.booleans()):
            actor["reservation"] = draw(st.floats(0, 0.9))
        if a < n_neg:
            actor["strategy"] = draw(st.sampled_from(SAFE_STRATEGIES))
        actors.append(actor)
    doc = {
        "scenario": {
            "id": "w",
            "title": "w",
            "rounds": draw(st.integers(2, 30)),
            "loss": draw(st.sampled_from(["linear", "quadratic"])),
            "estimate_spread": 5.0,
        },
        "issues": issues,
        "actors": actors,
    }
    if n_rat:
        doc["coalitions"] = [
            {
                "id": "c",
                "members": [f"a{a}" for a in range(n_neg, n_neg + n_rat)],
                "ratifies": [issues[0]["id"]],
                "rule": draw(st.sampled_from(["unanimity", "majority"])),
            }
        ]
    for actor in actors:
        actor["confidence"] = "E"
    return ns.Scenario.from_dict(doc)


def time_dependent_closed_form(a, b, ea, eb, ra, rb, rounds):
    """Agreement round and outcome of two time-dependent negotiators on one 0..100 issue.

    With u*(tau) = r + (1 - r)(1 - tau^(1/e)) and linear loss, the proposer P offers the
    point at utility u*_P on its side of the other, i.e. it moves (1 - u*_P) * 100 toward
    it; the responder R then gets 1 - D + (1 - u*_P) with D = |b - a| / 100. R accepts iff
    that is >= u*_R, i.e. iff u*_A + u*_B <= 2 - D, the same condition whoever proposes.
    So agreement comes at the first round where it holds; A proposes in even rounds.
    """
    tau = np.arange(rounds) / (rounds - 1)
    ua = ra + (1 - ra) * (1 - tau ** (1 / ea))
    ub = rb + (1 - rb) * (1 - tau ** (1 / eb))
    gap = (2 - abs(b - a) / 100) - (ua + ub)
    hits = np.flatnonzero(gap >= 0)
    if not hits.size:
        return None, None, gap
    t = int(hits[0])
    mine, other, u = (a, b, ua[t]) if t % 2 == 0 else (b, a, ub[t])
    step = min((1 - u) * 100, abs(other - mine))
    return t, mine + np.sign(other - mine) * step, gap


def eum_comparable_rounds(trace, x, c, s, opts) -> int:
    """How many rounds of one run (present actors only) the two implementations can be held
    to 1e-12 on: up to the first round that starts with two actors closer than 1e-9 of the
    range without standing together, or with an offer on a knife edge (``b - a``, ``a``,
    ``b`` or ``|b| - |a|`` within 1e-12 of 0 for two actors apart), which rounding decides.

    Near positions: every expected utility is then a difference of numbers near 1 that cancel
    to rounding noise, which either implementation turns into its own risk exponents (a found
    case: a compromise left an actor 1.9e-15 from another; exponents 1.55 against 1.56).
    Knife edges: with exact ties both ways the offers can tie exactly (found: positions 1, 4,
    2, capabilities 0.5, 1, 0.5, saliences 0.5, paper variant: ``a = b`` for actors 2 and 3,
    which the reference's sums order into ``b > a`` by one unit in the last place)."""
    w, span, everyone = reference_eum.eum_setup(x[None], c[None], s[None])
    for t, start in enumerate(trace):
        gaps = np.diff(np.unique(start))
        if np.any(gaps < 1e-9 * span[0]):
            return t
        y = start[None]
        r = reference_eum._risk_exponents(y, w, s[None], span, everyone, opts)
        p = reference_eum._probabilities(y, w, span, r, everyone, opts)
        a, b = reference_eum._challenge_utilities(y, s[None], span, r, p, opts.q)
        apart = y[:, :, None] != y[:, None, :]
        for margin in (b - a, a, b, np.abs(b) - np.abs(a)):
            if np.any(apart & (np.abs(margin) < 1e-12)):
                return t
    return len(trace)


@contextlib.contextmanager
def no_hang(seconds: float = 20):
    """Fail (as a hang) if the block runs longer than ``seconds``."""

    def alarm(signum, frame):
        raise TimeoutError(f"hang: still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
