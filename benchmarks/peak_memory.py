"""Peak memory of a very long Monte Carlo streamed chunk by chunk.

    python benchmarks/peak_memory.py --runs 10000000

Runs package_2007 through :func:`negosim.iter_chunks`, keeping only running totals, and
prints the runs/s and the peak resident memory of the process (``ru_maxrss``). A full
:class:`~negosim.SimulationResult` of 10^7 runs would itself hold 10^7 x 33 utilities
(2.6 GB); streaming is how long sweeps stay bounded.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np

import negosim as ns


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000_000)
    parser.add_argument("--scenario", default="package_2007")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    sc = ns.load_scenario(args.scenario)
    agreed, outcome_sum, start = 0, np.zeros(len(sc.issues)), time.perf_counter()
    for _, part in ns.iter_chunks(sc, args.runs, seed=1, rounds=args.rounds):
        agreed += int(part["agreed"].sum())
        outcome_sum += part["outcome"].sum(axis=0)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(
        {
            "runs": args.runs,
            "seconds": seconds,
            "runs_per_s": args.runs / seconds,
            "peak_rss_mb": peak_mb,
            "agreement_rate": agreed / max(args.runs, 1),
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
