"""The gain from linking issues: the package negotiated whole vs issue by issue.

Both arms use the same sampled runs. Issue by issue, each issue is negotiated alone by the
actors party to it (the package scenario restricted to that issue, see
:meth:`Scenario.restrict`), with the same protocol and strategies; the combined outcome
takes each agreed issue's outcome and the status quo elsewhere. An actor's issue-by-issue
utility is its package utility of that combined outcome if at least one issue was agreed,
else its reservation (as for a failed package).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from negosim.engine import arguments as check
from negosim.engine.runner import check_call, run_batch
from negosim.engine.sampling import ScenarioBatch, sample, with_batna
from negosim.model.elements import MOVE_FIELDS
from negosim.model.moves import MoveBook
from negosim.model.preferences import utilities
from negosim.model.scenario import Scenario
from negosim.model.strategies import Strategy


def split_batch(batch: ScenarioBatch, issue: str) -> ScenarioBatch:
    """The runs of ``batch`` restricted to one issue and the actors party to it."""
    sc = batch.scenario
    sub = sc.restrict([issue])
    actors = [sc.actor_index(a) for a in sub.actors]
    i = sc.issue_index(issue)
    positions = batch.positions[:, actors][:, :, [i]]
    salience = batch.salience[:, actors][:, :, [i]]
    declared = np.isfinite(sc.reservation[actors])
    reservation = np.where(declared, batch.reservation[:, actors], np.nan)
    kept = [sc.move_index(m.id) for m in sub.all_moves]
    numbers = {f: getattr(batch.moves, f)[:, kept] for f in MOVE_FIELDS}
    return with_batna(
        ScenarioBatch(
            scenario=sub,
            seed=batch.seed,
            start=batch.start,
            positions=positions,
            salience=salience,
            power=batch.power[:, actors],
            issue_power=batch.issue_power[:, actors][:, :, [i]],
            reservation=reservation,
            moves=MoveBook.of(sub, numbers),
        )
    )


def gain_from_linkage(
    scenario: Scenario,
    runs: int,
    seed: int | None = 0,
    *,
    protocol: str | None = None,
    strategies: Mapping[str, Strategy | str] | None = None,
    rounds: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Agreement rate and joint utility of the package vs issue-by-issue talks.

    Returns
    -------
    pandas.DataFrame
        Rows ``package``, ``issue_by_issue`` and ``gain`` (package minus issue by issue);
        columns ``agreement_rate`` (issue by issue: every issue agreed), ``joint_utility``
        (mean over runs of the negotiators' summed utilities) and one
        ``agreed.<issue>`` column per issue (share of runs in which that issue was settled).

    Examples
    --------
    >>> import negosim as ns
    >>> table = ns.gain_from_linkage(ns.load_scenario("package_2007"), runs=20, seed=1)
    >>> list(table.index)
    ['package', 'issue_by_issue', 'gain']
    """
    runs = check.whole_number(runs, "runs", 1)  # no runs: a table of NaN
    check_call(
        scenario, runs, seed, protocol=protocol, strategies=strategies, rounds=rounds, **options
    )
    batch = sample(scenario, runs, seed)
    kwargs = dict(protocol=protocol, strategies=strategies, rounds=rounds, **options)
    package = run_batch(batch, **kwargs)
    negotiators = [j for j, r in enumerate(scenario.roles) if r == "negotiator"]
    combined = np.broadcast_to(scenario.status_quo, (runs, len(scenario.issues))).copy()
    settled = np.zeros((runs, len(scenario.issues)), dtype=bool)
    for i, issue in enumerate(scenario.issues):
        sub = split_batch(batch, issue)
        sub_strategies = {a: s for a, s in (strategies or {}).items() if a in sub.scenario.actors}
        part = run_batch(sub, **{**kwargs, "strategies": sub_strategies})
        settled[:, i] = part["agreed"]
        combined[part["agreed"], i] = part["outcome"][part["agreed"], 0]
    u = utilities(combined, batch.positions, batch.weights, batch.span, scenario.loss)
    any_settled = settled.any(axis=1)
    u = np.where(any_settled[:, None], u, batch.reservation)
    rows = {
        "package": [
            package["agreed"].mean(),
            package["utility"][:, negotiators].sum(1).mean(),
            *[package["agreed"].mean()] * len(scenario.issues),
        ],
        "issue_by_issue": [
            settled.all(axis=1).mean(),
            u[:, negotiators].sum(1).mean(),
            *settled.mean(axis=0),
        ],
    }
    columns = ["agreement_rate", "joint_utility", *[f"agreed.{i}" for i in scenario.issues]]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.loc["gain"] = frame.loc["package"] - frame.loc["issue_by_issue"]
    return frame
