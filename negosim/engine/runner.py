"""simulate(): sample a scenario chunk by chunk and run a protocol over every chunk.

Memory stays bounded: work proceeds in chunks of ``chunk_size`` runs; :func:`iter_chunks`
yields each chunk's results as soon as it is done, and :func:`simulate` gathers them into
one :class:`~negosim.engine.results.SimulationResult`. Randomness comes only from the seeded run
streams of :mod:`negosim.engine.sampling`, so results do not depend on ``chunk_size``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import operator
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from negosim._version import package_version
from negosim.engine import arguments as check
from negosim.engine import compiling, memory
from negosim.engine.protocols import Table, get_protocol
from negosim.engine.results import SimulationResult
from negosim.engine.sampling import BLOCK, ScenarioBatch, sample
from negosim.io.store import ResultStore, result_columns
from negosim.model.elements import NEEDS_NEGOTIATORS, solution_problem
from negosim.model.information import DEFAULT_MODEL
from negosim.model.scenario import Scenario
from negosim.model.strategies import Linear, Strategy, make_strategy
from negosim.model.strategies.base import of_runs

if TYPE_CHECKING:
    from tqdm import tqdm

DEFAULT_CHUNK = 16_384
"""Whether the two-party bargaining solutions run compiled (:mod:`negosim.engine.solvers.compiled`:
thousands of runs/s instead of tens), found without importing numba."""
PROGRAMME_CHUNK = {"nash": 64, "kalai_smorodinsky": 64, "utilitarian": 128}
"""Chunks of the bargaining solutions solved by the integer programmes (``compiled=False``,
or without numba): tens of runs/s, so a chunk every few seconds."""
PROTOCOL_CHUNK = {
    "eum": 512,
    "exchange": 512,
    **(dict.fromkeys(PROGRAMME_CHUNK, 4096) if compiling.AVAILABLE else PROGRAMME_CHUNK),
}
"""Default chunks of the slow per-run models: a killed run loses at most one chunk, and a
Dask worker returns one every few seconds (results never depend on the chunk size; the
progress bar does not need small chunks, see :class:`Progress`). The compiled bargaining
solutions take larger chunks (each chunk costs about 0.1 ms per run of set-up
at 64 runs, a sixth of that at 4,096)."""

TICK_SECONDS = 1.0
"""Seconds of work between two moves of a progress bar (the target of :class:`Progress`)."""
FIRST_STEP = 2
"""Runs of the first step, before any speed is measured (the slowest model, exchange with
decimal arithmetic, does about 3 runs/s)."""
BAR_DELAY = 1.0
"""A bar appears only once its call has run this many seconds (short calls print nothing)."""
LARGEST_STEP = 8 * BLOCK
"""The most runs computed at once, within a chunk of any size, in this process and on Dask
workers (:func:`compute_in_steps`), but for the traced runs, which are one step: a round's
arrays then stay in the processor's caches
(measured on package_2007, CPU time: 8,192 runs at once are 15% faster than 16,384, 2,048 no
faster)."""


def default_chunk(protocol: str, options: Mapping | None = None) -> int:
    """The default chunk size of a protocol called with these options (``compiled=False``
    sends the bargaining solutions to the integer programmes: :data:`PROGRAMME_CHUNK`)."""
    if protocol in PROGRAMME_CHUNK and (options or {}).get("compiled") is False:
        return PROGRAMME_CHUNK[protocol]
    return PROTOCOL_CHUNK.get(protocol, DEFAULT_CHUNK)


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


def strategies_and_defaults(
    scenario: Scenario, strategies: Mapping[str, Strategy | str] | None = None
) -> tuple[dict[int, Strategy], set[int]]:
    """The negotiators' strategies (:func:`resolve_strategies`) and which of them come from
    the scenario file (only those take the scenario's sampled strategy parameters)."""
    chosen = resolve_strategies(scenario, strategies)
    return chosen, {i for i in chosen if scenario.actors[i] not in (strategies or {})}


def parse_strategy(spec: Strategy | str) -> Strategy:
    """A strategy from an object or a spec ``"name"`` / ``"name:k=v,k=v"`` (read and checked
    by :func:`negosim.engine.arguments.strategy_spec`)."""
    return spec if isinstance(spec, Strategy) else check.strategy_spec(spec)


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
    seed: int | None = 0,
    *,
    protocol: str | None = None,
    strategies: Mapping[str, Strategy | str] | None = None,
    rounds: int | None = None,
    trace: int = 0,
    chunk_size: int | None = None,
    order: tuple[str, ...] | None = None,
    information: str = "complete",
    opponent_model: str = DEFAULT_MODEL,
    **options: Any,
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """Yield ``(first run, result arrays)`` for each chunk of runs, in run order.

    Arguments are those of :func:`simulate`.

    Examples
    --------
    >>> import negosim as ns
    >>> chunks = ns.iter_chunks(ns.load_scenario("package_2007"), 10, seed=1, chunk_size=4)
    >>> [(start, len(arrays["agreed"])) for start, arrays in chunks]
    [(0, 4), (4, 4), (8, 2)]
    """
    options = with_information(options, information, opponent_model)
    plan = _prepare(
        _Call(scenario, runs, seed, chunk_size, protocol, strategies, rounds, trace, order, options)
    )
    for start in range(0, plan.runs, plan.chunk_size):
        yield start, compute_chunk(*plan.chunk(start))


def check_call(
    scenario: Scenario,
    runs: int,
    seed: int | None = 0,
    *,
    protocol: str | None = None,
    strategies: Mapping[str, Strategy | str] | None = None,
    rounds: int | None = None,
    order: tuple[str, ...] | None = None,
    information: str = "complete",
    opponent_model: str = DEFAULT_MODEL,
    **options: Any,
) -> None:
    """Check the arguments of a :func:`simulate` call by name, as it would, without running
    it: for functions that run the engine another way (:func:`run_batch`, the Mesa model)."""
    options = with_information(options, information, opponent_model)
    _prepare(_Call(scenario, runs, seed, None, protocol, strategies, rounds, 0, order, options))


@dataclass(frozen=True)
class _Call:
    """The arguments of a :func:`simulate` or :func:`iter_chunks` call that define its runs,
    as given (:func:`_prepare` checks them)."""

    scenario: Scenario
    runs: int
    seed: int | None
    chunk_size: int | None
    protocol: str | None
    strategies: Mapping[str, Strategy | str] | None
    rounds: int | None
    trace: int
    order: tuple[str, ...] | None
    options: dict[str, Any]


@dataclass(frozen=True)
class _Plan:
    """A checked call: everything :func:`compute_chunk` needs besides the chunk's place."""

    scenario: Scenario
    runs: int
    seed: int | None
    chunk_size: int
    protocol: str
    strategies: dict[int, Strategy]
    from_scenario: set[int]
    rounds: int
    trace: int
    options: dict[str, Any]

    def chunk(self, start: int, size: int | None = None) -> tuple:
        """The arguments of :func:`compute_chunk` for the chunk that begins at run ``start``
        (or for its first ``size`` runs)."""
        size = min(self.chunk_size, self.runs - start) if size is None else size
        return (
            self.scenario,
            start,
            size,
            self.seed,
            self.protocol,
            _rows_of(self.strategies, self.runs, start, size),
            self.from_scenario,
            self.rounds,
            self.trace,
            self.options,
        )


def _rows_of(
    strategies: dict[int, Strategy], runs: int, start: int, size: int
) -> dict[int, Strategy]:
    """The strategies of runs ``start .. start + size - 1``: parameters given one value per
    run (checked by :func:`negosim.engine.arguments.per_run_parameters`) cut to those runs."""
    rows = slice(start, start + size)
    return {actor: of_runs(strategy, rows, runs) for actor, strategy in strategies.items()}


def _prepare(
    call: _Call,
    *,
    workers: int | None = None,
    collect: bool = False,
    store: str | Path | None = None,
) -> _Plan:
    """Check a call's arguments before any work (one line naming the argument, see
    :mod:`negosim.engine.arguments`); resolve the protocol, deadline and strategies.

    ``collect``: the results will be gathered in memory, so ``runs`` must fit; ``store``: a
    folder that must be writable.
    """
    scenario = check.scenario(call.scenario)
    chunk_size, options = call.chunk_size, call.options
    runs = check.runs(call.runs)
    seed = check.seed(call.seed)
    check.workers(workers)
    if store is not None:
        check.store_folder(store)
    trace = check.whole_number(call.trace, "trace", 0)
    protocol = check.protocol(scenario.protocol if call.protocol is None else call.protocol)
    check.strategies_played(call.strategies, protocol)
    if "information" in options:
        check.information(options["information"], protocol)
        check.opponent_model(options["opponent_model"])
    rounds = check.rounds(call.rounds) or scenario.rounds
    chunk_size = (
        default_chunk(protocol, options) if chunk_size is None else check.chunk_size(chunk_size)
    )
    if protocol in NEEDS_NEGOTIATORS and "negotiator" not in scenario.roles:
        raise check.ArgumentError(
            "protocol", f"{protocol!r} needs a negotiator and {scenario.origin} has none"
        )
    problem = solution_problem(protocol, scenario.loss, scenario.roles.count("negotiator"))
    if problem:
        raise check.ArgumentError("protocol", f"{scenario.origin}: {problem}")
    if collect:
        memory.fits_in_memory(runs, memory.result_bytes_per_run(scenario))
    check.chunks(runs, chunk_size)
    memory.chunk_fits(scenario, runs, chunk_size)
    try:
        given = check.strategies(call.strategies, runs=runs)
        chosen, from_scenario = strategies_and_defaults(scenario, given)
    except KeyError as exc:
        raise check.UnknownNameError("strategies", str(exc.args[0])) from None
    if call.order is not None:
        order = check.ids(call.order, "order", scenario.actors)
        options["order"] = tuple(scenario.actor_index(a) for a in order)
    if options:  # the protocol, on no runs, checks each option itself before any work
        trial = (sample(scenario, 0, seed), protocol, chosen, from_scenario, rounds, 0, options)
        check.protocol_options(protocol, options, partial(_negotiate, *trial))
    return _Plan(
        scenario, runs, seed, chunk_size, protocol, chosen, from_scenario, rounds, trace, options
    )


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
    chosen, from_scenario = strategies_and_defaults(sc, strategies)
    return _negotiate(
        batch,
        protocol or sc.protocol,
        chosen,
        from_scenario,
        int(rounds or sc.rounds),
        trace,
        options,
    )


def _negotiate(
    batch: ScenarioBatch,
    protocol: str,
    strategies: dict[int, Strategy],
    from_scenario: set[int],
    rounds: int,
    trace: int,
    options: dict[str, Any],
) -> dict[str, np.ndarray]:
    """Play ``protocol`` on a sampled batch and return its result arrays."""
    options = dict(options)
    knowledge = {k: options.pop(k) for k in ("information", "opponent_model") if k in options}
    chosen = with_sampled_params(batch, strategies, from_scenario)
    table = Table(batch, chosen, rounds, trace=trace, **knowledge)
    get_protocol(protocol)(table, **options)
    return table.outputs()


def compute_chunk(
    scenario: Scenario,
    start: int,
    size: int,
    seed: int | None,
    protocol: str,
    strategies: dict[int, Strategy],
    from_scenario: set[int],
    rounds: int,
    trace: int,
    options: dict[str, Any],
) -> dict[str, np.ndarray]:
    """Sample and negotiate runs ``start .. start + size - 1`` (a pure function of its
    arguments, so any worker process computes the same numbers)."""
    batch = sample(scenario, size, seed, start=start)
    return _negotiate(
        batch, protocol, strategies, from_scenario, rounds, max(0, trace - start), options
    )


def compute_in_steps(chunk: tuple) -> dict[str, np.ndarray]:
    """:func:`compute_chunk` of the arguments ``chunk`` (:meth:`_Plan.chunk`) in steps of at
    most :data:`LARGEST_STEP` runs (the traced runs one step), joined: what a Dask worker
    computes for a chunk. The same numbers as one step."""
    scenario, start, size, seed, protocol, strategies, *settings = chunk
    trace = settings[2]  # from_scenario, rounds, trace, options
    parts = []
    for at, n in _steps(start, start + size, trace, lambda left: min(left, LARGEST_STEP)):
        step_strategies = _rows_of(strategies, size, at - start, n)  # this chunk's rows
        parts.append(compute_chunk(scenario, at, n, seed, protocol, step_strategies, *settings))
    return parts[0] if len(parts) == 1 else _joined(parts)


def _steps(start: int, end: int, trace: int, size) -> Iterator[tuple[int, int]]:
    """``(first run, runs)`` of the steps that cover runs ``start .. end - 1``: the traced
    runs one step (one part holds the trace), then steps of ``size(runs left)`` runs, asked
    for when the step before is done."""
    at = start
    while at < end:
        traced = trace - at
        n = min(end - at, traced) if traced > 0 else size(end - at)
        yield at, n
        at += n


def _identity(plan: _Plan) -> dict[str, Any]:
    """What defines a stored call (:data:`negosim.io.store.IDENTITY`), with the scenario embedded
    so that :func:`negosim.load_results` can rebuild it and check it against its digest.

    The version is the installed distribution's (:func:`negosim._version.package_version`)."""

    scenario = plan.scenario
    return {
        "scenario_digest": scenario.digest,
        "scenario_id": scenario.id,
        "seed": None if plan.seed is None else operator.index(plan.seed),  # numpy ints too
        "runs": operator.index(plan.runs),
        "chunk_size": operator.index(plan.chunk_size),
        "protocol": plan.protocol,
        "rounds": operator.index(plan.rounds),
        "strategies": {
            scenario.actors[i]: _strategy_identity(s) for i, s in sorted(plan.strategies.items())
        },
        "options": {k: repr(v) for k, v in sorted(plan.options.items())},
        "units": independent_units(plan),
        "scenario": json.loads(json.dumps(scenario.to_dict(), default=str)),
        "version": package_version(),
    }


def _strategy_identity(strategy: Strategy) -> str:
    """A strategy as a stored call records it: its repr, with every array parameter also by
    the SHA-256 of its values (numpy abbreviates arrays of over 1,000 values in a repr, so
    two calls that differ only there would look the same)."""
    arrays = [
        f"{key}={value.dtype}{list(value.shape)}:"
        f"{hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()}"
        for key, value in sorted(vars(strategy).items())
        if isinstance(value, np.ndarray)
    ]
    return repr(strategy) + (f" [{', '.join(arrays)}]" if arrays else "")


def simulate(
    scenario: Scenario,
    runs: int,
    seed: int | None = 0,
    *,
    protocol: str | None = None,
    strategies: Mapping[str, Strategy | str] | None = None,
    rounds: int | None = None,
    trace: int = 0,
    chunk_size: int | None = None,
    order: tuple[str, ...] | None = None,
    progress: bool | Progress = False,
    store: str | Path | None = None,
    workers: int | None = None,
    client: Any = None,
    collect: bool = True,
    information: str = "complete",
    opponent_model: str = DEFAULT_MODEL,
    **options: Any,
) -> SimulationResult | None:
    """Run ``runs`` Monte Carlo negotiations of a scenario, vectorized over runs.

    Parameters
    ----------
    scenario
        The scenario (see :func:`negosim.load_scenario`).
    runs
        Number of runs (>= 0).
    seed
        Seed of the run streams: the same seed gives identical results for any ``chunk_size``,
        any number of workers and resumed runs. Default 0, as everywhere in negosim (the
        what-if functions, tournaments and the command line): a repeated call gives the same
        numbers. ``None`` draws fresh entropy (the result's ``seed`` is then None and the runs
        cannot be reproduced).
    protocol
        A registered protocol (``negosim.engine.protocols.PROTOCOLS``); default: the scenario's.
    strategies
        Strategy per negotiator id (objects or specs such as ``"boulware:e=0.1"``);
        others use the scenario's strategy or :class:`~negosim.model.strategies.Linear`.
    rounds
        Deadline T (default: the scenario's).
    trace
        Keep per-round offers, utilities and responses of the first ``trace`` runs.
    chunk_size
        Runs computed at once (bounds memory; does not change results); default
        :data:`DEFAULT_CHUNK`, smaller for the slow per-run models (:data:`PROTOCOL_CHUNK`).
    order
        Proposing order of the negotiators (alternating protocol).
    progress
        Show a progress bar of the runs done with the time left (``tqdm.auto``: a widget in
        notebooks); it moves about every second (:class:`Progress`). A :class:`Progress`
        already open (:func:`progress_bar`) is advanced instead, so a larger job has one bar.
    store
        A folder: each finished chunk is written there (Parquet, atomically) with a manifest;
        calling again with the same arguments resumes, reading finished chunks instead of
        recomputing them (see :mod:`negosim.io.store`).
    workers
        Start a Dask ``LocalCluster`` with this many processes and map the chunks over it
        (needs the ``dask`` extra).
    client
        A ``dask.distributed.Client`` of any cluster to map the chunks over.
    collect
        Return the gathered result; ``False`` (with ``store``) keeps memory bounded and returns
        ``None`` (read it later with :func:`negosim.load_results`).
    information
        What each negotiator knows of the others: ``"complete"`` (their true numbers: the
        teaching view and the benchmark's upper bound) or ``"learned"`` (a prior from the
        scenario's point estimates, updated by an opponent model from their offers; the
        result then holds how good the beliefs became, ``belief_<measure>``). See
        ``docs/protocols.md``, "Information".
    opponent_model
        Under ``"learned"``, the model of the negotiators whose strategy names none:
        ``"bayesian"`` (Hindriks and Tykhonov's, the default) or ``"frequency"``
        (HardHeaded's), or another registered name
        (:func:`negosim.model.opponents.model_names`).
    **options
        Protocol options, e.g. ``step`` of the mediated protocol.

    Returns
    -------
    SimulationResult or None

    Examples
    --------
    >>> import negosim as ns
    >>> sc = ns.load_scenario("package_2007")
    >>> res = ns.simulate(sc, runs=100, seed=7)
    >>> res.outcome.shape, res.utility.shape  # (runs, issues), (runs, actors)
    ((100, 3), (100, 38))
    >>> again = ns.simulate(sc, runs=100, seed=7, chunk_size=30)  # other chunks, same runs
    >>> bool((again.outcome == res.outcome).all())
    True
    """
    if not check.flag(collect, "collect") and store is None:
        raise check.ArgumentError(
            "collect", "False keeps no result, so it needs store= (a folder to write them to)"
        )
    if not isinstance(progress, Progress):
        check.flag(progress, "progress")
    options = with_information(options, information, opponent_model)
    call = _Call(
        scenario, runs, seed, chunk_size, protocol, strategies, rounds, trace, order, options
    )
    plan = _prepare(call, workers=workers, collect=collect, store=store)
    protocol, rounds = plan.protocol, plan.rounds
    runs, seed, chunk_size = plan.runs, plan.seed, plan.chunk_size
    starts = list(range(0, runs, chunk_size))
    opened: AbstractContextManager[ResultStore | None] = nullcontext()
    if store is not None:  # locked for the whole call: a second writer is refused at once
        identity = _identity(plan)
        beliefs = plan.options.get("information") == "learned"
        opened = ResultStore.open(store, identity, result_columns(scenario, beliefs=beliefs))
    with opened as writer:
        results = _Results(writer, collect)
        todo = [k for k in range(len(starts)) if not results.restore(k)]
        left = sum(min(chunk_size, runs - starts[k]) for k in todo)
        with progress_bar(progress, runs, scenario.id, initial=runs - left) as pace:
            if client is not None or workers:
                args = [plan.chunk(starts[k]) for k in todo]
                _run_dask(args, todo, results, pace, client, workers)
            else:
                for k in todo:
                    results.add(k, pace.run(plan, starts[k]))
    if not collect:
        return None
    return SimulationResult.from_chunks(
        scenario,
        results.ordered(),
        seed=seed,
        protocol=protocol,
        rounds=rounds,
        units=independent_units(plan),
        information=plan.options.get("information", "complete"),
    )


def with_information(options: dict[str, Any], information: str, model: str) -> dict[str, Any]:
    """The protocol options with the information setting among them (only when it is not
    ``"complete"``, so the calls and stores of complete information are as before)."""
    if information == "complete" and model == DEFAULT_MODEL:
        return options
    return {**options, "information": information, "opponent_model": model}


def independent_units(plan: _Plan) -> int:
    """How many runs are independent observations: all of them when the scenario samples a
    number or a strategy or protocol draws noise, else one (the runs are copies)."""
    stochastic = any(s.classifier.get("stochastic") for s in plan.strategies.values())
    random_ties = plan.options.get("ties") == "random"
    varies = bool(plan.scenario.effective_uncertainty) or stochastic or random_ties
    return plan.runs if varies else min(plan.runs, 1)


class _Results:
    """Chunk outputs by index, kept in memory and/or written to a store."""

    def __init__(self, store: ResultStore | None, collect: bool) -> None:
        self.store, self.collect = store, collect
        self.parts: dict[int, dict[str, np.ndarray]] = {}

    def restore(self, k: int) -> bool:
        if self.store is None or not self.store.finished(k):
            return False
        if self.collect:
            self.parts[k] = self.store.read(k)
        return True

    def add(self, k: int, out: dict[str, np.ndarray]) -> None:
        if self.store is not None:
            self.store.write(k, out)
        if self.collect:
            self.parts[k] = out

    def ordered(self) -> list[dict[str, np.ndarray]]:
        return [self.parts[k] for k in sorted(self.parts)]


class Progress:
    """A progress bar over runs, and the pace that sizes the steps runs are computed in.

    With a bar shown, :func:`simulate` computes each chunk in steps of about
    :data:`TICK_SECONDS` each, sized from the speed of the steps before (at most four times
    the largest step yet, so one fast step cannot make the next one long; whole
    :data:`~negosim.engine.sampling.BLOCK` s of runs once that large), and moves the bar after
    every step: it moves about every second for the fastest and the slowest protocols alike,
    and its total gives the estimate of the time left. Results never depend on how runs are
    grouped. No step but the traced runs' exceeds :data:`LARGEST_STEP` runs, bar or not, in
    this process or on a Dask worker (:func:`compute_in_steps`).

    Parameters
    ----------
    bar
        A ``tqdm`` bar counting runs (a disabled one when nothing is shown).
    """

    def __init__(self, bar: tqdm) -> None:
        self.bar = bar
        self.rate: float | None = None  # runs per second of the last step
        self.largest = 0

    @property
    def shown(self) -> bool:
        """Whether the bar is shown (else steps are as large as allowed)."""
        return not self.bar.disable

    def step(self, remaining: int) -> int:
        """Runs to compute next, of ``remaining`` (>= 1)."""
        if not self.shown:
            size = LARGEST_STEP
        elif self.rate is None:
            size = FIRST_STEP
        else:
            size = min(int(self.rate * TICK_SECONDS), 4 * self.largest, LARGEST_STEP)
        if size >= BLOCK:  # whole sampling blocks: no block is drawn twice
            size -= size % BLOCK
        return max(1, min(remaining, size))

    def advance(self, runs: int, seconds: float | None = None) -> None:
        """Count ``runs`` done (in ``seconds``, which then update the speed)."""
        if seconds is not None and seconds > 0:
            self.rate, self.largest = runs / seconds, max(self.largest, runs)
        self.bar.update(runs)

    def run(self, plan: _Plan, start: int) -> dict[str, np.ndarray]:
        """:func:`compute_chunk` of the chunk of ``plan`` that begins at run ``start``, in
        steps, advancing the bar after each."""
        end = min(start + plan.chunk_size, plan.runs)
        parts = []
        for at, n in _steps(start, end, plan.trace, self.step):
            began = time.perf_counter()
            parts.append(compute_chunk(*plan.chunk(at, n)))
            self.advance(n, time.perf_counter() - began)
        return parts[0] if len(parts) == 1 else _joined(parts)


def _joined(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The outputs of consecutive steps as one chunk's (a trace comes from the first only)."""
    out: dict[str, Any] = {
        k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "trace"
    }
    if "trace" in parts[0]:
        out["trace"] = parts[0]["trace"]
    return out


@contextlib.contextmanager
def progress_bar(
    show: bool | Progress, total: int, desc: str, *, initial: int = 0, unit: str = "run"
) -> Iterator[Progress]:
    """A :class:`Progress` over ``total`` runs (a silent one unless ``show``), closed at the end.

    ``show`` may be a :class:`Progress` already open (of a sweep, a tournament ...): it is
    advanced by ``initial`` and left open, so a call inside a larger one moves its bar.
    Notebooks get a widget (``tqdm.auto``), terminals a text bar on stderr that appears only
    after :data:`BAR_DELAY` seconds and is removed when done.

    Examples
    --------
    >>> with progress_bar(False, 100_000, "demo") as pace:  # shown: progress_bar(True, ...)
    ...     pace.step(16_384)  # nothing shown: steps of at most LARGEST_STEP runs
    8192
    """
    if isinstance(show, Progress):
        if initial:
            show.advance(initial)
        yield show
        return
    from tqdm.auto import tqdm  # loaded when a simulation runs, not with the package

    scaled = total >= 10_000  # 12.3k/40.0k; small counts stay whole numbers
    options = {"unit_scale": scaled, "leave": False, "delay": BAR_DELAY, "dynamic_ncols": True}
    with tqdm(
        total=total, initial=initial, desc=desc, unit=unit, disable=not show, **options
    ) as bar:
        yield Progress(bar)


WORKER_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": 32 << 20, "MALLOC_TRIM_THRESHOLD_": 64 << 20}
"""glibc allocator settings for the Dask worker processes negosim starts. Dask starts its
workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (to hand freed memory back at once); glibc then
also stops raising its mmap threshold, so every array above 128 KiB is mapped afresh and
faulted in page by page: a round's work ran about 2.5x slower on a worker than in this process
(reference workload of the kernel benchmark). These are the limits glibc's own adaptive rule
reaches (32 MiB, and twice that for trimming); memory freed below them stays with the worker.
Workers you start yourself take them as environment variables (docs/scaling.md)."""


def local_cluster(workers: int) -> Any:
    """A Dask ``LocalCluster`` of ``workers`` processes with one thread each, started with
    :data:`WORKER_ALLOCATOR` in their environment; its web server on a free port (another
    cluster on Dask's default port must not make it warn)."""
    import dask
    from dask.distributed import LocalCluster

    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **WORKER_ALLOCATOR}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )


def _run_dask(args, todo, results: _Results, pace: Progress, client, workers) -> None:
    """Map the chunks over a Dask cluster, storing each as soon as it arrives."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ImportError("workers/client need Dask: pip install 'negosim[dask]'") from None
    own = None
    if client is None:
        client = own = Client(local_cluster(int(workers)))
    try:
        futures = {
            client.submit(compute_in_steps, a, pure=False): k
            for k, a in zip(todo, args, strict=True)
        }
        for future in as_completed(futures):
            out = future.result()
            results.add(futures[future], out)
            future.release()
            pace.advance(len(out["agreed"]))  # a whole chunk: a worker returns it when done
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            cluster.close()
