"""Write the README's figures: where each issue of package_2007 ends (20,000 runs, seed 7:
the figure under the ten lines, as `negosim run package_2007 --runs 20000 --seed 7 --plot`
draws it) and the gallery, one figure of each kind the notebooks show.

    .venv/bin/python docs/make_figures.py   # writes docs/img/package_2007.png, gallery_*.png

Every figure is slide-sized (16:9 or 4:3); the numbers come from the bundled scenario and
fixed seeds, so running it again gives the same pictures.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import negosim as ns
from negosim import plot

OUT = Path(__file__).resolve().parent / "img"
QUICK = os.environ.get("NEGOSIM_QUICK") == "1"


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    sc = ns.load_scenario("package_2007")
    runs = 300 if QUICK else 10_000
    figures = {
        "position_map": plot.position_map(sc),
        "pareto": plot.pareto(sc).figure,
    }
    traced = ns.simulate(sc, 40, seed=7, trace=40, strategies={"Russia": "conceder"})
    agreed = [int(k) for k in traced.agreed.nonzero()[0]]
    figures["concession_traces"] = plot.concession_traces(traced, run=agreed[0] if agreed else 0)
    sweep = ns.sweep(sc, {"Russia.salience.kosovo_status": [40, 50, 60, 70, 80]}, runs, seed=7)
    figures["sweep"] = plot.sweep_agreement(sweep, "Russia.salience.kosovo_status")
    figures["tornado"] = plot.tornado(ns.sensitivity(sc, runs, seed=7, top=6)).figure
    figures["timeline"] = plot.timeline(ns.timeline(sc, runs, seed=7), sc)
    board = ns.tournament(runs=20 if QUICK else 200, seed=1)
    figures["leaderboard"] = plot.leaderboard(board.leaderboard).figure
    figures["pairwise"] = plot.pairwise_heatmap(board.pairwise()).figure
    paths = []
    for name, fig in figures.items():
        fig = getattr(fig, "figure", fig)
        path = out / f"gallery_{name}.png"
        fig.savefig(path, dpi=80, bbox_inches="tight")
        paths.append(path)
    flagship = ns.simulate(sc, 300 if QUICK else 20_000, seed=7)
    path = out / "package_2007.png"
    plot.outcome_distributions(flagship).savefig(path, dpi=100, bbox_inches="tight")
    return [*paths, path]


if __name__ == "__main__":
    for path in main():
        print(path)
