"""Peak memory of 10^7 runs of package_2007 into a store (`negosim run --store`), measured in
a fresh process: the target is under 1.5 GB (reported in extra_info, never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import sizes


def test_peak_memory_into_store(benchmark):
    runs = sizes([10_000_000], [2_000])[0]
    script = Path(__file__).with_name("peak_memory.py")

    def once():
        out = subprocess.run(
            [sys.executable, str(script), "--runs", str(runs), "--mode", "store"],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    report = benchmark.pedantic(once, rounds=1, iterations=1)
    report.pop("summary")  # the printed summary: not a number
    benchmark.extra_info.update(report)
