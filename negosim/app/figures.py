"""Figures of the teaching page (matplotlib, object API only: the server draws from threads)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from negosim.analysis import solutions
from negosim.app import state
from negosim.plot import PALETTE, sweep_agreement


def _figure(width: float, height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), dpi=90)
    return fig, fig.subplots()


def pareto_figure(model, pareto: dict) -> Figure:
    """The two main negotiators' bargaining set: packages the coalitions ratify (shaded), the
    Pareto frontier, status quo, reservations, Nash and Kalai-Smorodinsky points, and the
    offers made so far ending at the current one."""
    fig, ax = _figure(6.0, 5.0)
    a, b = pareto["actors"]
    ok = pareto["ratified"]
    u = pareto["grid_utility"]
    ax.scatter(u[~ok, 0], u[~ok, 1], s=3, color="0.88", label="packages", rasterized=True)
    ax.scatter(  # often a few packages only, under other markers: rings drawn on top
        u[ok, 0],
        u[ok, 1],
        s=110,
        facecolors="none",
        edgecolors=PALETTE[2],
        linewidths=2,
        zorder=5,
        label="ratified by all coalitions",
    )
    frontier = pareto["frontier"]
    ax.plot(
        frontier[f"utility.{a}"],
        frontier[f"utility.{b}"],
        color="black",
        marker="o",
        markersize=3,
        label="Pareto frontier",
    )
    sq = pareto["status_quo"]
    ax.plot(*sq, "s", color="black", markersize=7, label="status quo")
    d = pareto["reservation"]
    ax.axvline(d[0], color="0.5", linestyle=":", linewidth=1)
    ax.axhline(d[1], color="0.5", linestyle=":", linewidth=1)
    ax.plot(*d, "o", color="0.3", markerfacecolor="none", markersize=9, label="no agreement")
    # Kalai-Smorodinsky first: the two points are often close, and Nash's star stays visible.
    for name, color, marker in (("Kalai-Smorodinsky", PALETTE[1], "^"), ("Nash", PALETTE[3], "*")):
        point = pareto.get(name)
        if point is not None:
            ax.plot(*point, marker, color=color, markersize=12, label=name)
    trail = offer_trail(model, (a, b))
    if len(trail):
        ax.plot(trail[:, 0], trail[:, 1], "-", color=PALETTE[4], linewidth=0.8, alpha=0.7)
        ax.plot(*trail[-1], "D", color=PALETTE[4], markersize=9, label="current offer")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"utility of {a}", fontsize=8)
    ax.set_ylabel(f"utility of {b}", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    fig.tight_layout()
    return fig


def pareto_data(model) -> dict:
    """Everything the Pareto view draws, for the two first negotiators of this run."""
    sc, batch = model.scenario, model.batch
    pair = tuple(state.negotiators(sc)[:2])
    idx = [sc.actor_index(x) for x in pair]
    _, utility, ratified = state.ratified_packages(model)
    sq = state.package_utilities(model, sc.status_quo[None])[0, idx]
    out = {
        "actors": pair,
        "frontier": solutions.pareto_frontier(batch, list(pair)),
        "grid_utility": utility[:, idx],
        "ratified": ratified,
        "status_quo": sq,
        "reservation": [float(batch.reservation[0, i]) for i in idx],
    }
    for name, fn in (("Nash", solutions.nash), ("Kalai-Smorodinsky", solutions.kalai_smorodinsky)):
        point = fn(batch, list(pair))
        out[name] = None if point is None else tuple(point.utility)
        if point is not None:
            out[f"{name} package"] = point.package
            out[f"{name} ratified"] = bool(state.ratified(model, point.package[None])[0])
    return out


def offer_trail(model, pair: tuple[str, str]) -> np.ndarray:
    """Utilities of the two actors of every offer so far, ``(rounds, 2)``."""
    history = model.datacollector.get_agent_vars_dataframe().reset_index()
    if "actor" not in history:  # nothing collected yet
        return np.zeros((0, 2))
    rows = history[history["actor"].isin(pair)]
    wide = rows.pivot(index="Step", columns="actor", values="utility")
    return wide.reindex(columns=list(pair)).dropna().to_numpy()


def sweep_figure(frame: pd.DataFrame, target: str) -> Figure:
    """Agreement probability and its 95% interval against the swept input."""
    fig, ax = _figure(6.4, 3.0)
    sweep_agreement(frame, target, ax=ax)
    return fig
