"""simulate(): sample a scenario chunk by chunk and run a protocol over every chunk.

Memory stays bounded: work proceeds in chunks of ``chunk_size`` runs; :func:`iter_chunks`
yields each chunk's results as soon as it is done, and :func:`simulate` gathers them into
one :class:`~negosim.results.SimulationResult`. Randomness comes only from the seeded run
streams of :mod:`negosim.sampling`, so results do not depend on ``chunk_size``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from negosim.protocols import Table, get_protocol
from negosim.results import SimulationResult
from negosim.sampling import ScenarioBatch, sample
from negosim.scenario import Scenario
from negosim.strategies import Linear, Strategy, make_strategy

DEFAULT_CHUNK = 16_384
DEFAULT_STRATEGY = Linear


def resolve_strategies(
    scenario: Scenario, strategies: Mapping[str, Strategy | str] | None = None
) -> dict[int, Strategy]:
    """Strategy of every negotiator: given here, else the scenario's, else :class:`Linear`.

    ``strategies`` maps actor ids to strategy objects or specs like ``"boulware:e=0.1"``.
    Raises ``KeyError`` for an unknown actor or an actor that does not negotiate.
    """
    given = dict(strategies or {})
    out: dict[int, Strategy] = {}
    for actor_id in given:
        index = scenario.actor_index(actor_id)
        if scenario.roles[index] != "negotiator":
            raise KeyError(f"actor {actor_id!r} is a {scenario.roles[index]}, not a negotiator")
    for index, actor in enumerate(scenario.actor_specs):
        if actor.role != "negotiator":
            continue
        if actor.id in given:
            out[index] = parse_strategy(given[actor.id])
        elif actor.strategy is not None:
            out[index] = make_strategy(actor.strategy.name, **actor.strategy.params)
        else:
            out[index] = DEFAULT_STRATEGY()
    return out


def parse_strategy(spec: Strategy | str) -> Strategy:
    """A strategy from an object or a spec ``"name"`` / ``"name:k=v,k=v"``."""
    if isinstance(spec, Strategy):
        return spec
    name, _, rest = str(spec).partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"strategy parameter {item!r} is not of the form key=value")
        try:
            params[key.strip()] = float(value)
        except ValueError:
            raise ValueError(
                f"strategy parameter {key.strip()!r}: {value!r} is not a number"
            ) from None
    return make_strategy(name.strip(), **params)


def with_sampled_params(
    batch: ScenarioBatch, strategies: dict[int, Strategy], scenario_defaults: set[int]
) -> dict[int, Strategy]:
    """Strategies whose parameters the scenario samples get one value per run."""
    out = dict(strategies)
    for (actor, param), values in batch.strategy_params.items():
        if actor in scenario_defaults:
            strategy = make_strategy(type(out[actor]).name, **{**vars(out[actor]), param: values})
            out[actor] = strategy
    return out


def iter_chunks(
    scenario: Scenario,
    runs: int,
    seed: int | None = None,
    *,
    protocol: str | None = None,
    strategies: Mapping[str, Strategy | str] | None = None,
    rounds: int | None = None,
    trace: int = 0,
    chunk_size: int = DEFAULT_CHUNK,
    order: tuple[str, ...] | None = None,
    **options: Any,
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Yield ``(first run, result arrays)`` for each chunk of runs, in run order.

    Arguments are those of :func:`simulate`.
    """
    if runs < 0:
        raise ValueError(f"runs must be >= 0, got {runs}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    protocol_fn = get_protocol(protocol or scenario.protocol)
    rounds = int(rounds or scenario.rounds)
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    chosen = resolve_strategies(scenario, strategies)
    from_scenario = {i for i in chosen if scenario.actors[i] not in (strategies or {})}
    if order is not None:
        options["order"] = tuple(scenario.actor_index(a) for a in order)
    for start in range(0, runs, chunk_size):
        batch = sample(scenario, min(chunk_size, runs - start), seed, start=start)
        table = Table(
            batch,
            with_sampled_params(batch, chosen, from_scenario),
            rounds,
            trace=max(0, trace - start),
        )
        protocol_fn(table, **options)
        yield start, table.outputs()


def run_batch(
    batch: ScenarioBatch,
    *,
    protocol: str | None = None,
    strategies: Mapping[str, Strategy | str] | None = None,
    rounds: int | None = None,
    trace: int = 0,
    **options: Any,
) -> dict[str, np.ndarray]:
    """Run a protocol on an already sampled batch and return its result arrays."""
    sc = batch.scenario
    chosen = resolve_strategies(sc, strategies)
    from_scenario = {i for i in chosen if sc.actors[i] not in (strategies or {})}
    table = Table(
        batch,
        with_sampled_params(batch, chosen, from_scenario),
        int(rounds or sc.rounds),
        trace=trace,
    )
    get_protocol(protocol or sc.protocol)(table, **options)
    return table.outputs()


def simulate(
    scenario: Scenario,
    runs: int,
    seed: int | None = None,
    *,
    protocol: str | None = None,
    strategies: Mapping[str, Strategy | str] | None = None,
    rounds: int | None = None,
    trace: int = 0,
    chunk_size: int = DEFAULT_CHUNK,
    order: tuple[str, ...] | None = None,
    progress: bool = False,
    **options: Any,
) -> SimulationResult:
    """Run ``runs`` Monte Carlo negotiations of a scenario, vectorized over runs.

    Parameters
    ----------
    scenario
        The scenario (see :func:`negosim.load_scenario`).
    runs
        Number of runs (>= 0).
    seed
        Seed of the run streams: the same seed gives identical results for any ``chunk_size``.
    protocol
        ``"alternating"`` or ``"mediated"``; default: the scenario's.
    strategies
        Strategy per negotiator id (objects or specs such as ``"boulware:e=0.1"``);
        others use the scenario's strategy or :class:`~negosim.strategies.Linear`.
    rounds
        Deadline T (default: the scenario's).
    trace
        Keep per-round offers, utilities and responses of the first ``trace`` runs.
    chunk_size
        Runs computed at once (bounds memory; does not change results).
    order
        Proposing order of the negotiators (alternating protocol).
    progress
        Show a progress bar over chunks.
    **options
        Protocol options, e.g. ``step`` of the mediated protocol.

    Returns
    -------
    SimulationResult
    """
    chunks = iter_chunks(
        scenario,
        runs,
        seed,
        protocol=protocol,
        strategies=strategies,
        rounds=rounds,
        trace=trace,
        chunk_size=chunk_size,
        order=order,
        **options,
    )
    if progress:
        from tqdm.auto import tqdm

        total = -(-runs // chunk_size)
        chunks = tqdm(chunks, total=total, unit="chunk", desc=f"{scenario.id}", leave=False)
    parts = [out for _, out in chunks]
    return SimulationResult.from_chunks(
        scenario,
        parts,
        seed=seed,
        protocol=protocol or scenario.protocol,
        rounds=int(rounds or scenario.rounds),
    )


__all__ = ["iter_chunks", "parse_strategy", "resolve_strategies", "simulate"]
