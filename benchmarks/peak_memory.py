"""Peak memory of a very long Monte Carlo of package_2007 written to a store.

    python benchmarks/peak_memory.py --runs 10000000            # the command, into a store
    python benchmarks/peak_memory.py --runs 10000000 --mode stream

``store`` (default) runs the command ``negosim run package_2007 --runs N --store DIR
--no-progress`` in this process (the default protocol with its moves, the default chunk):
every chunk goes to the store as it finishes and the summary is read back one chunk at a time.
``stream`` loops over :func:`negosim.iter_chunks` keeping running totals only. Prints JSON:
the runs/s and the peak resident memory of the process (``ru_maxrss``; run it in a fresh
process). A gathered :class:`~negosim.SimulationResult` of 10^7 runs would itself take 3.7 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import negosim as ns
from negosim.cli import main as negosim_main


def into_store(runs: int) -> dict:
    """Run the command into a new store; its command line and printed summary."""
    folder = Path(tempfile.mkdtemp(prefix="negosim-peak-")) / "store"
    argv = ["run", "package_2007", "--runs", str(runs), "--store", str(folder), "--no-progress"]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            code = negosim_main(argv)
    finally:
        shutil.rmtree(folder.parent)
    if code != 0:
        raise SystemExit(f"negosim {' '.join(argv)} exited with {code}")
    shown = " ".join(argv).replace(str(folder), "DIR")
    return {"command": f"negosim {shown}", "summary": printed.getvalue()}


def streamed(runs: int) -> dict:
    """Loop over the chunks keeping running totals only."""
    sc = ns.load_scenario("package_2007")
    agreed, outcome_sum = 0, np.zeros(len(sc.issues))
    for _, part in ns.iter_chunks(sc, runs, seed=1):
        agreed += int(part["agreed"].sum())
        outcome_sum += part["outcome"].sum(axis=0)
    return {"agreement_rate": agreed / max(runs, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000_000)
    parser.add_argument("--mode", choices=["store", "stream"], default="store")
    args = parser.parse_args()
    start = time.perf_counter()
    report = (into_store if args.mode == "store" else streamed)(args.runs)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    report.update(
        mode=args.mode,
        runs=args.runs,
        seconds=seconds,
        runs_per_s=args.runs / seconds,
        peak_rss_mb=peak_mb,
    )
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    main()
