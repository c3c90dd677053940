"""The engine layer: Monte Carlo runs of a scenario, every run at once.

Sampling (:mod:`~negosim.engine.sampling`), the negotiating table and its round rules
(:mod:`~negosim.engine.table`), the protocols (:mod:`~negosim.engine.protocols`), the
bargaining solvers (:mod:`~negosim.engine.solvers`), the results
(:mod:`~negosim.engine.results`), the discrete benchmark domains' outcomes, tactics and exact
solutions (:mod:`~negosim.engine.discrete`, :mod:`~negosim.engine.discrete_solutions`), the
argument checks (:mod:`~negosim.engine.arguments`)
and :func:`~negosim.engine.runner.simulate` with its chunks, workers and progress
(:mod:`~negosim.engine.runner`). It imports the model and the formats, never the analysis or
the front ends (docs/architecture.md).
"""

from __future__ import annotations

import warnings

_RUNNER_NAMES = frozenset(
    {
        "BAR_DELAY",
        "BLOCK",
        "DEFAULT_CHUNK",
        "DEFAULT_STRATEGY",
        "FIRST_STEP",
        "LARGEST_STEP",
        "PROGRAMME_CHUNK",
        "PROTOCOL_CHUNK",
        "Progress",
        "TICK_SECONDS",
        "WORKER_ALLOCATOR",
        "compute_chunk",
        "compute_in_steps",
        "default_chunk",
        "independent_units",
        "iter_chunks",
        "local_cluster",
        "parse_strategy",
        "progress_bar",
        "resolve_strategies",
        "run_batch",
        "simulate",
        "strategies_and_defaults",
        "with_sampled_params",
    }
)
"""The names of negosim 0.1's ``negosim.engine`` module, now in :mod:`negosim.engine.runner`."""


def __getattr__(name: str) -> object:
    """``from negosim.engine import simulate`` (0.1) still works, with a DeprecationWarning;
    any other name is not here (so that Python then looks for a submodule of that name)."""
    if name not in _RUNNER_NAMES:
        raise AttributeError(f"module 'negosim.engine' has no attribute {name!r}")
    warnings.warn(
        f"negosim.engine.{name} is now negosim.engine.runner.{name}: import it from there "
        "(the old path goes in negosim 0.3)",
        DeprecationWarning,
        stacklevel=2,
    )
    from negosim.engine import runner  # a 0.1 name: the runner loads only when one is used

    return getattr(runner, name)
