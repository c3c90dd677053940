"""A long run streamed to a store: in process vs a local Dask cluster of 2 workers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import sizes


def test_scale_out_streamed(benchmark):
    runs = sizes([10_000_000], [4_000])[0]
    chunk = sizes([65_536], [1_000])[0]
    script = Path(__file__).with_name("scale_out.py")

    def once():
        out = subprocess.run(
            [sys.executable, str(script), "--runs", str(runs), "--chunk-size", str(chunk)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    benchmark.extra_info.update(benchmark.pedantic(once, rounds=1, iterations=1))
