"""Memory checks made before any work: gathered results and one chunk must fit.

Each check raises :class:`~negosim.model.errors.ArgumentError` naming the argument to change
(``runs: 10,000,000,000 runs would need about 7.7 TB of memory to gather ...``), as the
argument checks of :mod:`negosim.engine.arguments` do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

# the machine's limit is an argument check, which sampling makes too (no cycle through here)
from negosim.engine.arguments import MEMORY_SHARE, fits_in_memory, memory_budget
from negosim.engine.results import SimulationResult
from negosim.engine.sampling import sample
from negosim.model.scenario import Scenario

__all__ = [
    "MEMORY_SHARE",
    "bytes_per_run",
    "chunk_fits",
    "fits_in_memory",
    "memory_budget",
    "result_bytes_per_run",
]


def bytes_per_run(arrays: Mapping[str, np.ndarray]) -> int:
    """Bytes one run takes in gathered result arrays, from their dtypes and trailing shapes
    (e.g. the empty arrays of ``SimulationResult.from_chunks(scenario, [])``)."""
    total = 0
    for array in arrays.values():
        if isinstance(array, np.ndarray) and array.ndim >= 1:
            total += array.dtype.itemsize * math.prod(array.shape[1:])
    return total


def result_bytes_per_run(scenario: Scenario) -> int:
    """Bytes per run of a scenario's gathered result arrays."""
    return bytes_per_run(SimulationResult.from_chunks(scenario, []).__dict__)


def chunk_fits(scenario: Scenario, runs: int, chunk_size: int, name: str = "chunk_size") -> None:
    """Refuse a chunk whose sampled inputs and results would not fit in memory (protocols
    hold a few temporaries of the same size, hence the factor 4)."""
    per_run = bytes_per_run(vars(sample(scenario, 1, 0))) + result_bytes_per_run(scenario)
    fits_in_memory(
        min(runs, chunk_size),
        per_run,
        name,
        "a smaller chunk size",
        factor=4,
        purpose="to compute one chunk",
    )
