"""The formats layer: what negosim reads and writes.

Scenario files (:mod:`~negosim.io.scenario_file`: TOML, validated, the bundled scenarios by
name), the input files of peer packages (:mod:`~negosim.io.peers`: decide-exchange-model and
the expected utility model's CSV), the discrete benchmark domains of GENIUS and GeniusWeb
(:mod:`~negosim.io.genius`, :mod:`~negosim.io.geniusweb`; docs/domains.md) and crash-safe
result stores (:mod:`~negosim.io.store`). It imports the model only (docs/architecture.md).
"""

from __future__ import annotations

from negosim.io.genius import read_domain, read_genius, write_genius
from negosim.io.geniusweb import read_geniusweb
from negosim.io.peers import read_decide, read_eum_csv
from negosim.io.scenario_file import list_scenarios, load_domain, load_scenario

__all__ = [
    "list_scenarios",
    "load_domain",
    "load_scenario",
    "read_decide",
    "read_domain",
    "read_eum_csv",
    "read_genius",
    "read_geniusweb",
    "write_genius",
]
