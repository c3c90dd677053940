"""package_2007 under its default protocol (alternating, 60 rounds, its moves), in this
checkout and in another one (give its path), with the same call: runs/s of both and their
ratio (issue 26 asks the rules of deals and moves to stay within 1.3x of main's runs/s).

    git worktree add /tmp/main main
    .venv/bin/python benchmarks/against_checkout.py /tmp/main

Each side runs in its own process (its checkout first on the path), in turn, five times,
20,000 runs each after a warm-up of 2,000; the best CPU time of each is kept (CPU time, not
wall time, so other work on the machine matters less).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUNS = 20_000
REPEATS = 5
CODE = """
import time, negosim as ns
sc = ns.load_scenario("package_2007")
ns.simulate(sc, 2000, seed=1)
t = time.process_time(); res = ns.simulate(sc, {runs}, seed=1)
print(time.process_time() - t, res.agreement_rate)
"""


def seconds(path: Path) -> tuple[float, float]:
    """CPU seconds of one call in the checkout at ``path``, and its agreement rate."""
    env = dict(os.environ, PYTHONPATH=str(path))
    code = CODE.format(runs=RUNS)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd="/", capture_output=True)
    out.check_returncode()
    cpu, rate = out.stdout.decode().split()[-2:]
    return float(cpu), float(rate)


def main(other: str) -> None:
    paths = {"this": Path(__file__).resolve().parent.parent, "other": Path(other).resolve()}
    best = dict.fromkeys(paths, float("inf"))
    rates = {}
    for _ in range(REPEATS):
        for name, path in paths.items():
            cpu, rates[name] = seconds(path)
            best[name] = min(best[name], cpu)
    for name, path in paths.items():
        print(
            f"{name} ({path}): {RUNS / best[name]:,.0f} runs/s, "
            f"agreement {rates[name]:.2%} ({RUNS:,} runs, seed 1)"
        )
    print(f"ratio this / other (runs/s): {best['other'] / best['this']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
