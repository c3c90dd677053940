"""The reference models over many sampled runs of package_2007, chunks spread over processes.

    python benchmarks/models_at_scale.py --runs 10000 --processes 16

Uses only the standard library's process pool (no Dask), so it runs wherever negosim imports.
Chunks are computed by the same pure function as ``simulate``, so the numbers are those of an
in-process run. Prints JSON with runs/s per model and per process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import negosim as ns
from negosim.engine.runner import compute_chunk, resolve_strategies


def run(protocol: str, runs: int, processes: int, chunk: int, rounds: int, options: dict) -> dict:
    sc = ns.load_scenario("package_2007")
    chosen = resolve_strategies(sc)
    jobs = [
        (sc, start, min(chunk, runs - start), 1, protocol, chosen, set(chosen), rounds, 0, options)
        for start in range(0, runs, chunk)
    ]
    start = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        parts = list(pool.map(compute_chunk, *zip(*jobs, strict=True)))
    seconds = time.perf_counter() - start
    outcome = np.concatenate([p["outcome"] for p in parts])
    return {
        "runs": runs,
        "seconds": seconds,
        "runs_per_s": runs / seconds,
        "runs_per_s_per_process": runs / seconds / processes,
        "mean_outcome": dict(zip(sc.issues, outcome.mean(axis=0).round(3).tolist(), strict=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--models", nargs="+", default=["eum", "exchange"])
    args = parser.parse_args()
    chunk = max(1, args.runs // (4 * args.processes))
    report = {"processes": args.processes, "python": sys.version.split()[0]}
    for model in args.models:
        options = {"arithmetic": "float"} if model == "exchange" else {}
        report[model] = run(model, args.runs, args.processes, chunk, 10, options)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
