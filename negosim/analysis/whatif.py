"""What-ifs over Monte Carlos: parameter sweeps, sensitivity analysis, dated timelines.

Every point of a sweep, every swing of a sensitivity analysis and every date of a timeline is a
Monte Carlo with the same seed (common random numbers), so differences between points come
from the change, not from sampling noise. With ``progress=True`` each function shows one bar
over all its runs, with the time left, that moves about every second
(:class:`negosim.engine.runner.Progress`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from negosim.engine import arguments as check
from negosim.engine.results import SimulationResult, share_interval
from negosim.engine.runner import Progress, progress_bar, simulate
from negosim.engine.sampling import sample
from negosim.model.errors import ArgumentError
from negosim.model.scenario import Scenario


def result_row(res: SimulationResult) -> dict[str, float]:
    """One row summarising a Monte Carlo: agreement with its Wilson interval, the mean round
    of agreement (over the agreed runs; NaN without any), the mean outcome on each issue
    (over all runs: agreed packages or the no-deal package) and each negotiator's mean
    utility, and the share of runs that made each move (during or after the talks)."""
    sc, n = res.scenario, res.runs
    low, high = share_interval(res.agreed, res.units)
    row: dict[str, float] = {
        "runs": n,
        "agreement": res.agreement_rate,
        "agreement_low": low,
        "agreement_high": high,
        "mean_agreement_round": (
            float(res.rounds[res.agreed].mean()) if res.agreed.any() else math.nan
        ),
    }
    row.update({f"outcome.{i}": float(res.outcome[:, k].mean()) for k, i in enumerate(sc.issues)})
    for k, (actor, role) in enumerate(zip(sc.actors, sc.roles, strict=True)):
        if role == "negotiator":
            row[f"utility.{actor}"] = float(res.utility[:, k].mean())
    row.update(
        {f"move.{m.id}": float((res.moved[:, k] >= 0).mean()) for k, m in enumerate(sc.all_moves)}
    )
    return row


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[float]],
    runs: int,
    seed: int | None = 0,
    *,
    progress: bool | Progress = False,
    **simulate_options: Any,
) -> pd.DataFrame:
    """A Monte Carlo at every point of a grid of fixed values.

    Parameters
    ----------
    scenario
        The scenario.
    grid
        ``{target: values}``, e.g. ``{"Russia.salience.kosovo_status": [40, 50, 60, 70, 80]}``;
        several targets give their Cartesian product. A swept number is fixed at each value
        (its uncertainty is removed); everything else stays uncertain.
    runs, seed
        Runs per point and the seed shared by all points.
    progress
        Show one bar over the runs of all points (or advance an open
        :class:`~negosim.engine.runner.Progress`).
    **simulate_options
        Passed to :func:`negosim.simulate` (protocol, strategies, rounds, ...).

    Returns
    -------
    pandas.DataFrame
        One row per point: the swept values, then the columns of :func:`result_row`.

    Examples
    --------
    >>> import negosim as ns
    >>> sc = ns.load_scenario("package_2007")
    >>> table = ns.sweep(sc, {"Russia.salience.kosovo_status": [40, 80]}, runs=20, seed=1)
    >>> table[["Russia.salience.kosovo_status", "runs"]].values.tolist()
    [[40, 20], [80, 20]]
    >>> bool(table["agreement"].between(0, 1).all())
    True
    """
    scenario = check.scenario(scenario)  # each argument named, before any work
    runs = check.whole_number(runs, "runs", 1)
    grid = check.grid(grid, scenario.parse_target)
    protocol = check.protocol(simulate_options.get("protocol") or scenario.protocol)
    check.strategy_targets_played(scenario, grid, protocol, lambda t: f"grid[{t!r}]")
    targets = list(grid)
    points = list(itertools.product(*(list(grid[t]) for t in targets)))
    rows = []
    with progress_bar(progress, len(points) * runs, f"sweep {scenario.id}") as pace:
        for values in points:
            sc = scenario
            for target, value in zip(targets, values, strict=True):
                sc = sc.fix(target, value)
            res = simulate(sc, runs, seed, progress=pace, **simulate_options)
            rows.append({**dict(zip(targets, values, strict=True)), **result_row(res)})
    table = pd.DataFrame(rows)
    table.attrs["swept"] = tuple(targets)  # which columns are the grid (for the figures)
    return table


def _sampled_inputs(scenario: Scenario, runs: int, seed) -> pd.DataFrame:
    """The sampled value of every uncertain number, one column per target."""
    return pd.DataFrame(sample(scenario, runs, seed).inputs())


def sensitivity(
    scenario: Scenario,
    runs: int,
    seed: int | None = 0,
    *,
    top: int = 12,
    quantiles: tuple[float, float] = (0.05, 0.95),
    progress: bool | Progress = False,
    **simulate_options: Any,
) -> pd.DataFrame:
    """Which uncertain inputs move the agreement probability and the outcomes most.

    1. Rank correlation: one Monte Carlo; Spearman's rho between every sampled input and the
       agreement indicator and each issue's outcome (NaN where an output never varies).
    2. One at a time: the ``top`` inputs with the largest ``|rho|`` (and every input of an
       explicit ``[[uncertainty]]`` entry) are fixed at their ``quantiles`` (5% and 95% of their
       sampled values), the rest still uncertain; the swing is the change in agreement rate
       and in each issue's mean outcome from low to high (for a tornado chart).

    Returns
    -------
    pandas.DataFrame
        One row per input, sorted by ``|swing|`` of the agreement rate, then ``|rho|``:
        ``low``, ``high``, ``agreement_at_low``, ``agreement_at_high``, ``swing``,
        ``swing.<issue>``, ``rho.agreement``, ``rho.<issue>``.

    Examples
    --------
    >>> import negosim as ns
    >>> table = ns.sensitivity(ns.load_scenario("cfe_2007"), runs=20, seed=1, top=2)
    >>> list(table.columns[:5])
    ['low', 'high', 'agreement_at_low', 'agreement_at_high', 'swing']
    >>> bool((table["low"] <= table["high"]).all())  # the 5% and 95% quantiles of each input
    True
    """
    scenario = check.scenario(scenario)  # each argument named, before any work
    runs = check.whole_number(runs, "runs", 1)
    top = check.whole_number(top, "top", 1)
    quantiles = check.quantile_pair(quantiles)
    own = not isinstance(progress, Progress)  # a caller's bar keeps the caller's total
    with progress_bar(progress, runs, f"sensitivity {scenario.id}") as pace:
        return _sensitivity(scenario, runs, seed, top, quantiles, pace, own, simulate_options)


def _sensitivity(
    scenario: Scenario,
    runs: int,
    seed: int | None,
    top: int,
    quantiles: tuple[float, float],
    pace: Progress,
    own: bool,
    simulate_options: dict[str, Any],
) -> pd.DataFrame:
    """:func:`sensitivity`, advancing ``pace`` (whose total, if ``own``, grows to cover the
    swings once they are chosen)."""
    base = simulate(scenario, runs, seed, progress=pace, **simulate_options)
    inputs = _sampled_inputs(scenario, runs, seed)
    outputs = pd.DataFrame(
        {
            "agreement": base.agreed.astype(float),
            **{i: base.outcome[:, k] for k, i in enumerate(scenario.issues)},
        }
    )
    ranks_in, ranks_out = inputs.rank(), outputs.rank()
    rho = pd.DataFrame(index=inputs.columns)
    for name in outputs:
        out = ranks_out[name]
        rho[f"rho.{name}"] = ranks_in.corrwith(out) if out.std() > 0 else np.nan
    strength = rho.abs().max(axis=1).fillna(0.0)
    explicit = [u.target for u in scenario.uncertainty]
    chosen = list(dict.fromkeys(explicit + list(strength.sort_values(ascending=False).index[:top])))
    if own:
        pace.bar.total = runs * (1 + 2 * len(chosen))
        pace.bar.refresh()
    rows = []
    for target in chosen:
        low, high = np.quantile(inputs[target], quantiles)
        at = {}
        for name, value in (("low", low), ("high", high)):
            fixed = scenario.fix(target, float(value))
            at[name] = result_row(simulate(fixed, runs, seed, progress=pace, **simulate_options))
        row = {
            "input": target,
            "low": low,
            "high": high,
            "agreement_at_low": at["low"]["agreement"],
            "agreement_at_high": at["high"]["agreement"],
            "swing": at["high"]["agreement"] - at["low"]["agreement"],
        }
        for issue in scenario.issues:
            row[f"swing.{issue}"] = at["high"][f"outcome.{issue}"] - at["low"][f"outcome.{issue}"]
        rows.append(row)
    table = pd.DataFrame(rows).set_index("input").join(rho, how="left")
    order = table["swing"].abs().fillna(0) + 1e-9 * strength.reindex(table.index).fillna(0)
    return table.loc[order.sort_values(ascending=False).index]


def timeline(
    scenario: Scenario,
    runs: int,
    seed: int | None = 0,
    *,
    progress: bool | Progress = False,
    **simulate_options: Any,
) -> pd.DataFrame:
    """A Monte Carlo as of the scenario's date and as of each of its dated updates.

    Returns
    -------
    pandas.DataFrame
        One row per date: ``date``, the update's ``note``, the columns of :func:`result_row`,
        and the 5%, 50% and 95% quantiles of each issue's outcome (``q05.<issue>`` ...).

    Examples
    --------
    >>> import negosim as ns
    >>> table = ns.timeline(ns.load_scenario("package_2007"), runs=20, seed=1)
    >>> list(table["date"].astype(str))  # the scenario's date, then its three updates
    ['2007-10-19', '2007-11-21', '2007-12-03', '2007-12-12']
    """
    scenario = check.scenario(scenario)  # each argument named, before any work
    runs = check.whole_number(runs, "runs", 1)
    dates = [(scenario.date, "as loaded")] if scenario.date else []
    dates += [(u.date, u.note or u.source) for u in sorted(scenario.updates, key=lambda u: u.date)]
    if not dates:
        raise ArgumentError(
            "scenario", f"{scenario.origin}: no date and no [[updates]] to make a timeline of"
        )
    rows = []
    with progress_bar(progress, len(dates) * runs, f"timeline {scenario.id}") as pace:
        for when, note in dates:
            res = simulate(scenario.as_of(when), runs, seed, progress=pace, **simulate_options)
            row = {"date": pd.Timestamp(when), "note": note, **result_row(res)}
            for k, issue in enumerate(scenario.issues):
                for q in (0.05, 0.5, 0.95):
                    row[f"q{int(q * 100):02d}.{issue}"] = float(np.quantile(res.outcome[:, k], q))
            rows.append(row)
    return pd.DataFrame(rows)
