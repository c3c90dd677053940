"""A compiled reference kernel of the alternating-offers protocol (numba, optional).

The same rulebook as ``negosim.simulate(..., protocol="alternating")`` (``docs/protocols.md``)
for the scenarios the speed benchmarks generate: every actor negotiates every issue with a
time-dependent tactic, linear loss, no unilateral moves, no coalitions, patient actors (no
discount). A deal must beat no deal by the margin (``DEAL_MARGIN``, docs/protocols.md "Deals
beat no deal"): each tactic's target ends at its deal floor ``r + m``, and a yes needs the
margin as well as the target. Each run is one fused
loop over rounds, scalar arithmetic with no temporaries between the steps: a plain compiled
limit for these rules, so that ``benchmarks/test_bench_kernel.py`` can measure how close the
numpy core comes to it on any machine, in one run. Like the core, the kernel computes the
concession ``tau ** (1/e)`` once per actor and round for all runs when the exponents do not
vary between runs; everything else is computed per run, every actor's utility included.

:func:`negotiate_run` states the rules for one run; :func:`reference_run` runs it over a
sampled batch (:func:`negosim.sample`), one run after another or in parallel over runs
(``prange``). ``tests/test_reference_kernel.py`` checks that it agrees with ``simulate`` run
by run (agreement, round and package), which is what makes the speed ratio honest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numba
import numpy as np

import negosim as ns
from negosim.engine.runner import strategies_and_defaults, with_sampled_params
from negosim.model.ratification import DEAL_MARGIN
from negosim.model.strategies import ACCEPT_TOLERANCE, Strategy, TimeDependent

_JIT = {"cache": True, "error_model": "numpy"}  # IEEE division, no Python zero checks


@numba.njit(**_JIT)
def negotiate_run(
    position, salience, power, reservation, conceded, low, high, first, package, margin
):
    """Negotiate one run by the alternating-offers rules; the round of agreement, or -1.

    Parameters
    ----------
    position, salience, power
        ``(A, I)`` ideal points, raw salience and power on each issue of every actor.
    reservation
        ``(A,)`` reservation utilities.
    conceded
        ``(T, A)`` ``tau_t ** (1 / e_a)``: the share of the way from 1 to its reservation
        that each actor's time-dependent tactic has conceded by round ``t``
        (:func:`concession_table`).
    low, high
        ``(I,)`` the issue scales.
    first
        The first round played (the deadline ``T`` is the length of ``conceded``).
    package
        ``(I,)`` output: the agreed package (left untouched without agreement).
    margin
        What a deal must gain every actor over no deal (its reservation, as no move is made):
        the deal floor ``f_a = r_a + margin`` is where its target ends, and a yes needs
        ``u >= f_a`` too (tolerance ``ACCEPT_TOLERANCE``).
    """
    n_actors, n_issues = position.shape
    rounds = conceded.shape[0]
    span = high - low
    # Utilities: u_a(x) = 1 - sum_i w_ai |x_i - p_ai| / d_i, w_ai = s_ai / sum_j s_aj.
    weight = np.zeros((n_actors, n_issues))
    for a in range(n_actors):
        total = 0.0
        for i in range(n_issues):
            total += salience[a, i]
        if total > 0:
            for i in range(n_issues):
                weight[a, i] = salience[a, i] / total
    scaled = weight / span  # the weight per unit of the scale, as the core's evaluator keeps it
    # Counterpart: per issue, the power-weighted mean position of the other negotiators
    # (one's own position where nobody else has power on the issue); and what conceding all
    # the way to it costs: D_a = sum_i w_ai |q_ai - p_ai| / d_i.
    goal = position.copy()
    cost = np.zeros(n_actors)
    for a in range(n_actors):
        for i in range(n_issues):
            weighted, total = 0.0, 0.0
            for j in range(n_actors):
                if j != a:
                    weighted += power[j, i] * position[j, i]
                    total += power[j, i]
            if total > 0:
                goal[a, i] = weighted / total
            cost[a] += weight[a, i] * abs((goal[a, i] - position[a, i]) / span[i])
    offer = np.empty(n_issues)
    utility = np.empty(n_actors)
    for t in range(first, rounds):
        # 1. the proposer of round t offers the point of its concession line worth its
        #    target u* = f + (1 - f)(1 - tau^(1/e)), f = r + m its deal floor, clipped to
        #    the scales
        k = t % n_actors
        r = reservation[k] + margin
        target = r + (1.0 - r) * (1.0 - conceded[t, k])
        lam = (1.0 - target) / cost[k] if cost[k] > 0 else 1.0
        lam = min(max(lam, 0.0), 1.0)
        for i in range(n_issues):
            x = position[k, i] + lam * (goal[k, i] - position[k, i])
            offer[i] = min(max(x, low[i]), high[i])
        # 2. every actor's utility of the offer (all of them: the result reports them)
        for a in range(n_actors):
            u = 1.0
            for i in range(n_issues):
                u -= abs(offer[i] - position[a, i]) * scaled[a, i]
            utility[a] = u
        # 3. everyone responds, the proposer too: yes iff u >= u*_t - tolerance (the
        #    tactic) and u >= f - tolerance (the margin over no deal)
        accepted = True
        for a in range(n_actors):
            r = reservation[a] + margin
            target = r + (1.0 - r) * (1.0 - conceded[t, a])
            accepted &= utility[a] >= target - ACCEPT_TOLERANCE
            accepted &= utility[a] >= r - ACCEPT_TOLERANCE
        # 4. agreement closes the run at round t
        if accepted:
            package[:] = offer
            return t
    return -1


@numba.njit(**_JIT)
def concession_table(e, rounds):
    """``(T, A)`` ``tau_t ** (1 / e_a)`` with ``tau_t = t / (T - 1)``, for exponents ``(A,)``."""
    out = np.empty((rounds, e.shape[0]))
    for t in range(rounds):
        tau = t / max(rounds - 1, 1)
        for a in range(e.shape[0]):
            out[t, a] = tau ** (1.0 / e[a])
    return out


@numba.njit(**_JIT)
def _concessions(e, n, shared, rounds):
    """The concession table of run ``n``: ``shared`` when every run has the same exponents
    (``e`` has one row), as the numpy core computes a scalar exponent once per round."""
    return shared if e.shape[0] == 1 else concession_table(e[n], rounds)


@numba.njit(**_JIT)
def _serial(
    position, salience, power, reservation, e, low, high, rounds, first, package, when, margin
):
    shared = concession_table(e[0], rounds)
    for n in range(position.shape[0]):
        when[n] = negotiate_run(
            position[n], salience[n], power[n], reservation[n],
            _concessions(e, n, shared, rounds), low, high, first, package[n], margin,
        )  # fmt: skip


@numba.njit(parallel=True, **_JIT)
def _parallel(
    position, salience, power, reservation, e, low, high, rounds, first, package, when, margin
):
    shared = concession_table(e[0], rounds)
    for n in numba.prange(position.shape[0]):
        when[n] = negotiate_run(
            position[n], salience[n], power[n], reservation[n],
            _concessions(e, n, shared, rounds), low, high, first, package[n], margin,
        )  # fmt: skip


def exponents(
    batch: ns.ScenarioBatch, strategies: Mapping[str, Strategy | str] | None = None
) -> np.ndarray:
    """``(R, A)`` concession exponents of every actor, as ``simulate`` resolves its strategies
    (given here, else the scenario's with its sampled parameters, else ``Linear``).

    Raises
    ------
    ValueError
        When an actor's strategy is not a time-dependent tactic.
    """
    sc = batch.scenario
    chosen, defaults = strategies_and_defaults(sc, strategies)
    chosen = with_sampled_params(batch, chosen, defaults)
    out = np.empty((batch.runs, len(sc.actors)))
    for a, strategy in chosen.items():
        if not isinstance(strategy, TimeDependent):
            raise ValueError(
                f"reference kernel: actor {sc.actors[a]!r} plays {strategy.name!r}; "
                "only time-dependent tactics are compiled"
            )
        out[:, a] = strategy.e
    return out


def check_scope(scenario: ns.Scenario) -> None:
    """Refuse a scenario with rules the kernel does not compile (one line naming them)."""
    problems = [
        ("a mediator or ratifier", any(r != "negotiator" for r in scenario.roles)),
        ("an actor not party to every issue", not scenario.participation.all()),
        ("unilateral moves or exits", bool(scenario.all_moves or scenario.made)),
        ("coalitions", bool(scenario.coalitions)),
        (f"{scenario.loss} loss", scenario.loss != "linear"),
        ("a discount", bool(np.any(np.asarray(scenario.discount) != 1.0))),
    ]
    found = [name for name, present in problems if present]
    if found:
        raise ValueError(
            f"reference kernel: scenario {scenario.id!r} has {', '.join(found)}; "
            "the kernel compiles the generated benchmark scenarios only"
        )


def reference_run(
    batch: ns.ScenarioBatch,
    strategies: Mapping[str, Strategy | str] | None = None,
    rounds: int | None = None,
    *,
    parallel: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Negotiate every run of a sampled batch with the compiled kernel.

    Parameters
    ----------
    batch
        The sampled runs (:func:`negosim.sample`).
    strategies
        Strategy per actor id, as for :func:`negosim.simulate` (time-dependent tactics only).
    rounds
        Deadline T (default: the scenario's).
    parallel
        Spread the runs over numba's threads (``prange``) instead of one thread.

    Returns
    -------
    agreed, rounds, outcome
        ``(R,)`` whether each run agreed, ``(R,)`` the round of agreement (``T`` without
        one) and ``(R, I)`` the agreed package (the status quo without one), as in
        :class:`negosim.SimulationResult`.
    """
    sc = batch.scenario
    check_scope(sc)
    deadline = sc.rounds if rounds is None else rounds
    first = math.ceil(sc.start * (deadline - 1) - 1e-9)
    outcome = np.array(np.broadcast_to(sc.status_quo, (batch.runs, len(sc.issues))))
    when = np.empty(batch.runs, dtype=np.int64)
    e = exponents(batch, strategies)
    if batch.runs and (e == e[:1]).all():  # the same exponents in every run: one table
        e = e[:1]
    kernel = _parallel if parallel else _serial
    if batch.runs:
        kernel(
            np.ascontiguousarray(batch.positions, dtype=float),
            np.ascontiguousarray(batch.salience, dtype=float),
            np.ascontiguousarray(batch.issue_power, dtype=float),
            np.ascontiguousarray(batch.reservation, dtype=float),
            e,
            np.asarray(sc.low, dtype=float),
            np.asarray(sc.high, dtype=float),
            deadline,
            first,
            outcome,
            when,
            float(DEAL_MARGIN),  # read when called, as the engine reads it
        )
    agreed = when >= 0
    return agreed, np.where(agreed, when, deadline), outcome
