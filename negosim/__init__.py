"""negosim: simulate diplomatic negotiations in which actors trade concessions across linked issues.

Public API::

    import negosim as ns
    sc = ns.load_scenario("package_2007")
    res = ns.simulate(sc, runs=100_000, seed=7)
    res.summary()
"""

from importlib import metadata

from negosim import solutions, strategies
from negosim.engine import iter_chunks, simulate
from negosim.linkage import gain_from_linkage
from negosim.results import SimulationResult, Summary
from negosim.sampling import ScenarioBatch, sample
from negosim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario
from negosim.store import StoreError, load_results
from negosim.tournaments import TournamentResult, generate, tournament
from negosim.whatif import sensitivity, sweep, timeline

_LAZY = ("abm", "plot", "tournaments")
"""Submodules loaded on first use (Mesa and matplotlib are slow to import)."""


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"negosim.{name}")
    raise AttributeError(f"module 'negosim' has no attribute {name!r}")


try:  # one source: the version in pyproject.toml, as installed
    __version__ = metadata.version("negosim")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

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
