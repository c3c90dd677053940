"""negosim: simulate diplomatic negotiations in which actors trade concessions across linked issues.

Public API::

    import negosim as ns
    sc = ns.load_scenario("package_2007")
    res = ns.simulate(sc, runs=100_000, seed=7)
    res.summary()

Every name below is imported on first use (PEP 562), so ``import negosim`` stays fast: numpy,
pandas, scipy, tqdm, Mesa and matplotlib load only when a function that needs them is called.

Seeds: every function that draws random numbers (:func:`simulate`, :func:`sweep`,
:func:`sensitivity`, :func:`timeline`, :func:`tournament`, :func:`generate`, :func:`sample`,
:func:`gain_from_linkage`) and the command line default to ``seed=0``, so the same call gives
the same numbers; pass ``seed=None`` for fresh entropy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_ATTRS = {
    "Scenario": "negosim.scenario",
    "ScenarioError": "negosim.scenario",
    "list_scenarios": "negosim.scenario",
    "load_scenario": "negosim.scenario",
    "iter_chunks": "negosim.engine",
    "simulate": "negosim.engine",
    "gain_from_linkage": "negosim.linkage",
    "SimulationResult": "negosim.results",
    "Summary": "negosim.results",
    "ScenarioBatch": "negosim.sampling",
    "sample": "negosim.sampling",
    "StoreError": "negosim.store",
    "load_results": "negosim.store",
    "TournamentResult": "negosim.tournaments",
    "generate": "negosim.tournaments",
    "tournament": "negosim.tournaments",
    "sensitivity": "negosim.whatif",
    "sweep": "negosim.whatif",
    "timeline": "negosim.whatif",
}
"""Public name -> the module that defines it, imported when the name is first used."""

_SUBMODULES = ("abm", "plot", "solutions", "strategies", "tournaments")
"""Submodules reachable as attributes (``ns.solutions.nash(sc)``) without an import line."""

if TYPE_CHECKING:  # what type checkers and IDEs see: the eager imports
    from negosim import abm as abm
    from negosim import plot as plot
    from negosim import solutions, strategies
    from negosim import tournaments as tournaments
    from negosim.engine import iter_chunks, simulate
    from negosim.linkage import gain_from_linkage
    from negosim.results import SimulationResult, Summary
    from negosim.sampling import ScenarioBatch, sample
    from negosim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario
    from negosim.store import StoreError, load_results
    from negosim.tournaments import TournamentResult, generate, tournament
    from negosim.whatif import sensitivity, sweep, timeline


def __getattr__(name: str):
    if name in _ATTRS:
        value = getattr(importlib.import_module(_ATTRS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"negosim.{name}")
    elif name == "__version__":
        value = _version()
    else:
        raise AttributeError(f"module 'negosim' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ATTRS, *_SUBMODULES, "__version__"})


def _version() -> str:
    from importlib import metadata  # importlib.metadata costs ~20 ms: only when asked

    try:  # one source: the version in pyproject.toml, as installed
        return metadata.version("negosim")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


__all__ = [
    "Scenario",
    "ScenarioBatch",
    "ScenarioError",
    "SimulationResult",
    "StoreError",
    "Summary",
    "TournamentResult",
    "gain_from_linkage",
    "generate",
    "iter_chunks",
    "list_scenarios",
    "load_results",
    "load_scenario",
    "sample",
    "sensitivity",
    "simulate",
    "solutions",
    "strategies",
    "sweep",
    "timeline",
    "tournament",
]
