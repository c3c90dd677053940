"""Peak memory of a long streamed Monte Carlo, measured in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import sizes


def test_peak_memory_streamed(benchmark):
    runs = sizes([10_000_000], [2_000])[0]
    script = Path(__file__).with_name("peak_memory.py")

    def once():
        out = subprocess.run(
            [sys.executable, str(script), "--runs", str(runs)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    report = benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info.update(report)
