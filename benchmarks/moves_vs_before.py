"""package_2007 under its default protocol, with its unilateral moves, against the alternating
protocol of an earlier checkout as benchmarks/results measured it (100 rounds).

    git worktree add /tmp/before 28e2a83   # the commit before the moves
    .venv/bin/python benchmarks/moves_vs_before.py /tmp/before

Each side runs in its own process (the earlier checkout first on the path), five times in
turn, 20,000 runs each; the best CPU time of each is kept (CPU time, not wall time, so other
work on the machine matters less). Prints runs/s of both and their ratio.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUNS = 20_000
CODE = """
import time, negosim as ns
sc = ns.load_scenario("package_2007")
kwargs = {kwargs}
ns.simulate(sc, 2000, seed=1, **kwargs)
t = time.process_time(); ns.simulate(sc, {runs}, seed=1, **kwargs)
print(time.process_time() - t)
"""


def seconds(path: Path | None, kwargs: dict) -> float:
    env = dict(os.environ, PYTHONPATH=str(path)) if path else dict(os.environ)
    code = CODE.format(kwargs=kwargs, runs=RUNS)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd="/", capture_output=True)
    out.check_returncode()
    return float(out.stdout.decode().split()[-1])


def main(before: str) -> None:
    before_path = Path(before).resolve()
    now_path = Path(__file__).resolve().parent.parent
    best = {"before": float("inf"), "now": float("inf")}
    for _ in range(5):
        best["before"] = min(best["before"], seconds(before_path, {"rounds": 100}))
        best["now"] = min(best["now"], seconds(now_path, {}))
    rate = {k: RUNS / v for k, v in best.items()}
    print(f"before ({before_path}, alternating, 100 rounds): {rate['before']:,.0f} runs/s")
    print(f"now (package_2007 with its moves, default protocol): {rate['now']:,.0f} runs/s")
    print(f"ratio now / before: {rate['now'] / rate['before']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
