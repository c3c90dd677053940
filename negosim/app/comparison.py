"""The "What changed" view: two settings played on the same sampled worlds, side by side.

Both Monte Carlos use one seed and the same runs, so run ``k`` under A and under B is the same
world but for what B changes; the view lists those changes, the results of both, the runs whose
outcome flipped, and the sampled numbers of the traced run that differ.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from negosim.app.state import (
    Settings,
    base_scenario,
    current_strategy,
    negotiators,
    scenario_of,
    strategy_param,
)
from negosim.engine.results import SimulationResult
from negosim.engine.sampling import ScenarioBatch, sample


def baseline_of(settings: Settings) -> Settings:
    """The scenario's own values, with the seed of ``settings``."""
    return Settings(scenario=settings.scenario, seed=settings.seed)


def on_same_worlds(a: Settings, b: Settings) -> Settings:
    """``a`` with ``b``'s scenario and seed, so both are played on the same sampled worlds
    (an ``a`` of another scenario becomes that scenario's own values)."""
    if a.scenario != b.scenario:
        return baseline_of(b)
    return replace(a, seed=b.seed)


def setting_changes(a: Settings, b: Settings) -> list[str]:
    """What ``b`` sets differently from ``a``, one line each
    (``"Russia's strategy: trade_off e=0.5 -> conceder e=5"``)."""
    sc = base_scenario(b.scenario)
    out = []
    defaults = {"protocol": sc.protocol, "rounds": sc.rounds, "information": "complete"}
    for name, default in defaults.items():
        was, now = getattr(a, name), getattr(b, name)
        if was != now:
            out.append(f"{name}: {was or default} -> {now or default}")
    for actor in negotiators(sc):
        was, now = current_strategy(a, actor), current_strategy(b, actor)
        if was != now:
            out.append(f"{actor}'s strategy: {_strategy_words(*was)} -> {_strategy_words(*now)}")
    for target in sorted({*a.changes, *b.changes}):
        was, now = a.changes.get(target), b.changes.get(target)
        if was != now:
            out.append(f"{target}: {_fixed_words(was)} -> {_fixed_words(now)}")
    return out


def _strategy_words(name: str, value: float | None) -> str:
    param = strategy_param(name)
    return name if param is None or value is None else f"{name} {param}={value:g}"


def _fixed_words(value: float | None) -> str:
    return "the scenario's" if value is None else f"{value:g}"


def compare_results(a: SimulationResult, b: SimulationResult) -> pd.DataFrame:
    """Agreement, each move's share of runs (made at all, and made during the talks rather
    than after them) and each issue's median final package under ``a`` and ``b`` (same
    runs), and the change ``b - a``; indexed by quantity."""
    rows = {"agreement": (a.agreement_rate, b.agreement_rate)}
    for k, move in enumerate(a.scenario.all_moves):
        rows[f"{move.id} made"] = tuple(float(np.mean(r.moved[:, k] >= 0)) for r in (a, b))
        rows[f"{move.id} made during the talks"] = tuple(
            float(np.mean((r.moved[:, k] >= 0) & (r.moved[:, k] < r.deadline))) for r in (a, b)
        )
    for i, issue in enumerate(a.scenario.issues):
        rows[f"median {issue}"] = tuple(float(np.median(r.outcome[:, i])) for r in (a, b))
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["A", "B"])
    return frame.assign(change=frame["B"] - frame["A"])


def paired_agreement(a: SimulationResult, b: SimulationResult) -> dict[str, int]:
    """Runs agreed under both, only ``a``, only ``b`` and neither (the same runs: run ``k``
    of both is the same sampled world)."""
    return {
        "both": int(np.sum(a.agreed & b.agreed)),
        "only A": int(np.sum(a.agreed & ~b.agreed)),
        "only B": int(np.sum(~a.agreed & b.agreed)),
        "neither": int(np.sum(~a.agreed & ~b.agreed)),
    }


def sampled_inputs(batch: ScenarioBatch) -> dict[str, float]:
    """Every sampled number of the first run of ``batch`` by target name
    (``Russia.salience.cfe``, ``Russia.power``, ``moves.kosovo_udi.to``)."""
    sc = batch.scenario
    out = {}
    for a, actor in enumerate(sc.actors):
        out[f"{actor}.power"] = float(batch.power[0, a])
        for i, issue in enumerate(sc.issues):
            if sc.participation[a, i]:
                out[f"{actor}.position.{issue}"] = float(batch.positions[0, a, i])
                out[f"{actor}.salience.{issue}"] = float(batch.salience[0, a, i])
    for k, move in enumerate(sc.all_moves):
        for name in ("to", "cost", "cost_rate", "earliest", "latest"):
            out[f"moves.{move.id}.{name}"] = float(getattr(batch.moves, name)[0, k])
    return out


def input_differences(a: Settings, b: Settings) -> pd.DataFrame:
    """The sampled numbers of the traced run (run 0) that differ between ``a`` and ``b``:
    with the same worlds, only the numbers the settings fixed."""
    was = sampled_inputs(sample(scenario_of(a), 1, a.seed))
    now = sampled_inputs(sample(scenario_of(b), 1, b.seed))
    rows = [
        {"input": key, "A": was[key], "B": now[key]}
        for key in now
        if key in was and not math.isclose(was[key], now[key], rel_tol=1e-12, abs_tol=1e-12)
    ]
    return pd.DataFrame(rows, columns=["input", "A", "B"])
