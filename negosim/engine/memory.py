"""Memory checks made before any work: gathered results and one chunk must fit.

Each check raises :class:`~negosim.model.errors.ArgumentError` naming the argument to change
(``runs: 10,000,000,000 runs would need about 7.7 TB of memory to gather ...``), as the
argument checks of :mod:`negosim.engine.arguments` do.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import numpy as np

from negosim.engine.results import SimulationResult
from negosim.engine.sampling import sample
from negosim.model.errors import ArgumentError
from negosim.model.scenario import Scenario

MEMORY_SHARE = 0.5  # gathered results may use at most this share of the machine's memory


def bytes_per_run(arrays: Mapping[str, np.ndarray]) -> int:
    """Bytes one run takes in gathered result arrays, from their dtypes and trailing shapes
    (e.g. the empty arrays of ``SimulationResult.from_chunks(scenario, [])``)."""
    total = 0
    for array in arrays.values():
        if isinstance(array, np.ndarray) and array.ndim >= 1:
            total += array.dtype.itemsize * math.prod(array.shape[1:])
    return total


def memory_budget() -> int | None:
    """Bytes that gathered results may take: a share of the machine's physical memory
    (``None`` where the platform does not tell)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None
    return int(total * MEMORY_SHARE) if total > 0 else None


def fits_in_memory(
    runs: int,
    per_run: int,
    name: str = "runs",
    hint: str = "pass store= and collect=False",
    *,
    factor: int = 2,
    purpose: str = "to gather",
) -> None:
    """Refuse ``runs`` that would need more than :func:`memory_budget`, with a ``hint``.

    ``factor`` copies of ``per_run`` bytes are needed per run (2 when gathering: the chunks
    and their concatenation).
    """
    budget = memory_budget()
    need = factor * runs * per_run
    if budget is not None and need > budget:
        raise ArgumentError(
            name,
            f"{runs:,} runs would need about {_size(need)} of memory {purpose} ({per_run} "
            f"bytes per run, {factor} times; {_size(budget)} allowed here); use fewer runs"
            + (f" or {hint}" if hint else ""),
        )


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


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"  # pragma: no cover - the loop returns
