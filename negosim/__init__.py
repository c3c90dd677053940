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

from negosim import _moved, _version

_ATTRS = {
    "Scenario": "negosim.model.scenario",
    "ArgumentError": "negosim.model.errors",
    "NegosimError": "negosim.model.errors",
    "ScenarioError": "negosim.model.errors",
    "list_scenarios": "negosim.io.scenario_file",
    "load_scenario": "negosim.io.scenario_file",
    "StoreError": "negosim.io.store",
    "ScenarioBatch": "negosim.engine.sampling",
    "sample": "negosim.engine.sampling",
    "SimulationResult": "negosim.engine.results",
    "Summary": "negosim.engine.results",
    "load_results": "negosim.engine.results",
    "iter_chunks": "negosim.engine.runner",
    "simulate": "negosim.engine.runner",
    "gain_from_linkage": "negosim.analysis.linkage",
    "TournamentResult": "negosim.analysis.tournaments",
    "generate": "negosim.analysis.tournaments",
    "tournament": "negosim.analysis.tournaments",
    "sensitivity": "negosim.analysis.whatif",
    "sweep": "negosim.analysis.whatif",
    "timeline": "negosim.analysis.whatif",
}
"""Public name -> the module that defines it, imported when the name is first used."""

_SUBMODULES = {
    "abm": "negosim.abm",
    "io": "negosim.io",
    "plot": "negosim.plot",
    "solutions": "negosim.analysis.solutions",
    "strategies": "negosim.model.strategies",
    "tournaments": "negosim.analysis.tournaments",
}
"""Modules reachable as attributes (``ns.solutions.nash(sc)``) without an import line."""

if TYPE_CHECKING:  # what type checkers and IDEs see: the eager imports
    from negosim import abm as abm
    from negosim import io as io
    from negosim import plot as plot
    from negosim.analysis import solutions as solutions
    from negosim.analysis import tournaments as tournaments
    from negosim.analysis.linkage import gain_from_linkage
    from negosim.analysis.tournaments import TournamentResult, generate, tournament
    from negosim.analysis.whatif import sensitivity, sweep, timeline
    from negosim.engine.results import SimulationResult, Summary, load_results
    from negosim.engine.runner import iter_chunks, simulate
    from negosim.engine.sampling import ScenarioBatch, sample
    from negosim.io.scenario_file import list_scenarios, load_scenario
    from negosim.io.store import StoreError
    from negosim.model import strategies as strategies
    from negosim.model.errors import ArgumentError, NegosimError, ScenarioError
    from negosim.model.scenario import Scenario

_moved.install()  # the module paths of 0.1 (negosim.scenario, ...), deprecated


def __getattr__(name: str):
    if name in _ATTRS:
        value = getattr(importlib.import_module(_ATTRS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(_SUBMODULES[name])
    elif name == "__version__":
        value = _version.package_version()
    else:
        raise AttributeError(f"module 'negosim' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ATTRS, *_SUBMODULES, "__version__"})


__all__ = [
    "ArgumentError",
    "NegosimError",
    "Scenario",
    "ScenarioBatch",
    "ScenarioError",
    "SimulationResult",
    "StoreError",
    "Summary",
    "TournamentResult",
    "gain_from_linkage",
    "generate",
    "io",
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
