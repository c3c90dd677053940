"""A long Monte Carlo streamed to a store, in process and on a local Dask cluster.

    python benchmarks/scale_out.py --runs 10000000 --workers 2

Prints JSON: runs/s of each and the peak resident memory of the client process (the one that
calls simulate; Dask workers are separate processes). Results are not gathered
(``collect=False``): each chunk goes to the store as it finishes.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import negosim as ns


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=65_536)
    parser.add_argument("--mode", choices=["inprocess", "dask", "both"], default="both")
    args = parser.parse_args()
    sc = ns.load_scenario("package_2007")
    report = {"runs": args.runs, "chunk_size": args.chunk_size}
    modes = ["inprocess", "dask"] if args.mode == "both" else [args.mode]
    for mode in modes:
        folder = Path(tempfile.mkdtemp(prefix=f"negosim-{mode}-"))
        start = time.perf_counter()
        ns.simulate(
            sc,
            args.runs,
            seed=1,
            chunk_size=args.chunk_size,
            store=folder,
            collect=False,
            workers=args.workers if mode == "dask" else None,
        )
        seconds = time.perf_counter() - start
        report[mode] = {"seconds": seconds, "runs_per_s": args.runs / seconds}
        shutil.rmtree(folder)
    report["client_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    main()
