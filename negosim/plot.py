"""Figures (matplotlib). Each function takes data or a result, returns the Figure, and never
calls ``show()``."""

from __future__ import annotations

import textwrap

import numpy as np

from negosim.results import SimulationResult

# Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def outcome_distributions(result: SimulationResult, *, bins: int = 40, figsize=None):
    """Histogram of the agreed outcome on each issue, with the status quo and anchors marked.

    Parameters
    ----------
    result
        A Monte Carlo result.
    bins
        Histogram bins per issue.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per issue; x axis on the issue's scale with its labelled anchors.
    """
    import matplotlib.pyplot as plt

    sc = result.scenario
    n = len(sc.issues)
    fig, axes = plt.subplots(n, 1, figsize=figsize or (9, 2.6 * n + 0.8), squeeze=False)
    agreed = result.agreed
    for i, (issue, ax) in enumerate(zip(sc.issue_specs, axes[:, 0], strict=True)):
        values = result.outcome[agreed, i]
        if values.size:
            ax.hist(
                values,
                bins=np.linspace(issue.low, issue.high, bins + 1),
                color=PALETTE[i % 7],
                alpha=0.85,
                label="agreed outcome",
            )
        else:
            ax.text(
                0.5,
                0.5,
                "no agreement in any run",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="0.4",
            )
        ax.axvline(
            issue.status_quo,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"status quo ({issue.status_quo:g})",
        )
        _issue_axis(ax, issue, fontsize=7)
        ax.set_ylabel("runs")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    rate = result.agreement_rate
    fig.suptitle(
        f"{sc.title}\n{result.runs:,} runs, {result.protocol} protocol: "
        f"agreement in {rate:.1%} of runs",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _issue_axis(ax, issue, fontsize: float) -> None:
    """The issue's scale on the x axis, its labelled anchors as ticks."""
    ax.set_xlim(issue.low, issue.high)
    if issue.anchors:
        ax.set_xticks([a.value for a in issue.anchors])
        ax.set_xticklabels(
            [_short(a.label) for a in issue.anchors], fontsize=fontsize, rotation=20, ha="right"
        )
    ax.set_xlabel(issue.label + (f" ({issue.unit})" if issue.unit else ""), fontsize=8)


def _short(label: str, width: int = 18) -> str:
    head = label.split(":")[0].split("[")[0].strip()
    return "\n".join(textwrap.wrap(head, width)[:3])


def _target_label(target: str) -> str:
    actor, field, *rest = target.split(".")
    return f"{actor}: {field}" + (f" on {rest[0]}" if rest else "")


def sweep_agreement(frame, target: str, *, ax=None):
    """Agreement probability (with its 95% Wilson band) against a swept parameter.

    Parameters
    ----------
    frame
        The table of :func:`negosim.sweep`.
    target
        The swept column to put on the x axis.
    """
    import matplotlib.pyplot as plt

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
    data = frame.sort_values(target)
    ax.fill_between(
        data[target],
        data["agreement_low"],
        data["agreement_high"],
        color=PALETTE[0],
        alpha=0.25,
        label="95% interval",
    )
    ax.plot(data[target], data["agreement"], marker="o", color=PALETTE[0], label="agreement")
    ax.set_xlabel(_target_label(target))
    ax.set_ylabel("probability of a package deal")
    ax.set_ylim(0, max(0.05, float(data["agreement_high"].max()) * 1.1))
    ax.legend(frameon=False)
    ax.set_title(f"What if: {_target_label(target)}")
    fig.tight_layout()
    return fig


def tornado(table, *, column: str = "swing", ax=None, label: str = "agreement probability"):
    """Tornado chart of a sensitivity table: the change of ``column`` from each input's low to
    its high value, largest on top."""
    import matplotlib.pyplot as plt

    data = table[column].dropna()
    data = data.reindex(data.abs().sort_values().index)
    fig, ax = (
        (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 0.4 * len(data) + 1.5))
    )
    colors = [PALETTE[3] if v < 0 else PALETTE[2] for v in data]
    ax.barh([_target_label(t) for t in data.index], data.to_numpy(), color=colors)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"change in {label}, input at its 5% -> 95% value")
    ax.set_title("Sensitivity (one at a time)")
    fig.tight_layout()
    return fig


def timeline(frame, scenario, *, figsize=None):
    """Agreement probability and outcome bands (5-95%, median) at each dated update."""
    import matplotlib.pyplot as plt

    n = len(scenario.issues)
    fig, axes = plt.subplots(n + 1, 1, figsize=figsize or (8, 2.2 * (n + 1) + 0.5), sharex=True)
    dates = frame["date"]
    axes[0].fill_between(
        dates,
        frame["agreement_low"],
        frame["agreement_high"],
        color=PALETTE[0],
        alpha=0.25,
        step="post",
    )
    axes[0].step(dates, frame["agreement"], where="post", color=PALETTE[0], marker="o")
    axes[0].set_ylabel("P(deal)")
    for k, (issue, ax) in enumerate(zip(scenario.issue_specs, axes[1:], strict=True)):
        color = PALETTE[(k + 1) % 7]
        ax.fill_between(
            dates,
            frame[f"q05.{issue.id}"],
            frame[f"q95.{issue.id}"],
            color=color,
            alpha=0.25,
            step="post",
            label="5-95% of runs",
        )
        ax.step(dates, frame[f"q50.{issue.id}"], where="post", color=color, label="median")
        ax.axhline(
            issue.status_quo, color="black", linestyle="--", linewidth=0.8, label="status quo"
        )
        ax.set_ylim(issue.low, issue.high)
        ax.set_ylabel(_short(issue.label, 16), fontsize=8)
    axes[1].legend(fontsize=7, frameon=False, loc="upper left")
    axes[-1].set_xlabel("as of")
    fig.suptitle(f"{scenario.title}: timeline of dated updates", fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def leaderboard(board, *, metric: str = "utility", ax=None):
    """Strategies ranked by a metric with their 95% intervals (from a tournament)."""
    import matplotlib.pyplot as plt

    data = board.sort_values(metric)
    fig, ax = (
        (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 0.35 * len(data) + 1.5))
    )
    err = np.vstack([data[metric] - data[f"{metric}_low"], data[f"{metric}_high"] - data[metric]])
    ax.errorbar(data[metric], data["strategy"], xerr=err, fmt="o", color=PALETTE[0], capsize=3)
    ax.set_xlabel(f"mean own {metric} (95% interval)" if metric == "utility" else metric)
    ax.set_title("Tournament leaderboard")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def pairwise_heatmap(table, *, metric: str = "utility", ax=None):
    """Strategy (rows) x opponent (columns) heat map of a tournament metric."""
    import matplotlib.pyplot as plt

    n = len(table)
    fig, ax = (
        (ax.figure, ax) if ax is not None else plt.subplots(figsize=(0.6 * n + 3, 0.5 * n + 2))
    )
    image = ax.imshow(table.to_numpy(), cmap="cividis", aspect="auto")
    ax.set_xticks(range(len(table.columns)), table.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), table.index, fontsize=8)
    ax.set_xlabel("opponent")
    ax.set_ylabel("strategy")
    fig.colorbar(image, ax=ax, label=f"mean {metric}")
    ax.set_title(f"Pairwise {metric}")
    fig.tight_layout()
    return fig


ROLE_COLORS = {"negotiator": PALETTE[3], "ratifier": PALETTE[0], "mediator": PALETTE[2]}


def position_map(scenario, *, figsize=None):
    """A map of the scenario table: every actor's ideal point on every issue, marker area
    proportional to its salience, colour by role; the status quo dashed, anchors on the axis."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    sc = scenario
    n = len(sc.issues)
    fig, axes = plt.subplots(
        n, 1, figsize=figsize or (9, 0.17 * len(sc.actors) * n + 2.5), squeeze=False
    )
    order = np.argsort([r != "negotiator" for r in sc.roles], kind="stable")
    for k, (issue, ax) in enumerate(zip(sc.issue_specs, axes[:, 0], strict=True)):
        rows = [a for a in order if sc.participation[a, k]]
        ax.scatter(
            sc.positions[rows, k],
            range(len(rows)),
            s=8 + 2.5 * sc.salience[rows, k],
            c=[ROLE_COLORS[sc.roles[a]] for a in rows],
            alpha=0.8,
            edgecolors="black",
            linewidths=0.4,
        )
        ax.set_yticks(range(len(rows)), [sc.actors[a] for a in rows], fontsize=6)
        ax.axvline(issue.status_quo, color="black", linestyle="--", linewidth=1)
        _issue_axis(ax, issue, fontsize=5.5)
        ax.invert_yaxis()
    handles = [
        Line2D([], [], marker="o", linestyle="", color=c, label=r) for r, c in ROLE_COLORS.items()
    ]
    handles.append(Line2D([], [], color="black", linestyle="--", label="status quo"))
    axes[0, 0].legend(handles=handles, fontsize=7, loc="upper right", frameon=False)
    fig.suptitle(f"{sc.title}: positions (marker area = salience)", fontsize=10)
    fig.tight_layout()
    return fig


def concession_traces(result, run: int = 0, *, figsize=None):
    """Offers on every issue round by round in one traced run, one colour per proposer, with
    the agreed package marked (needs ``simulate(..., trace=k)`` with ``run < k``)."""
    import matplotlib.pyplot as plt

    if not result.trace:
        raise ValueError("this result has no trace: simulate(..., trace=1) keeps one")
    sc, tr = result.scenario, result.trace
    offers, proposer = tr["offer"][run], tr["proposer"]
    played = np.flatnonzero(np.isfinite(offers[:, 0]))
    n = len(sc.issues)
    fig, axes = plt.subplots(
        n, 1, figsize=figsize or (8, 2.3 * n + 0.8), sharex=True, squeeze=False
    )
    proposers = sorted({int(p) for p in proposer[played] if p >= 0}) or [-1]
    for k, (issue, ax) in enumerate(zip(sc.issue_specs, axes[:, 0], strict=True)):
        for c, who in enumerate(proposers):
            mask = played if who < 0 else played[proposer[played] == who]
            label = "text" if who < 0 else f"offers by {sc.actors[who]}"
            ax.plot(
                mask, offers[mask, k], marker=".", linestyle="-", color=PALETTE[c % 7], label=label
            )
        ax.axhline(
            issue.status_quo, color="black", linestyle="--", linewidth=0.8, label="status quo"
        )
        if result.agreed[run]:
            ax.plot(
                [result.rounds[run]],
                [result.outcome[run, k]],
                marker="*",
                markersize=14,
                color=PALETTE[4],
                linestyle="",
                label="agreement",
            )
        ax.set_ylim(issue.low, issue.high)
        ax.set_ylabel(_short(issue.label, 16), fontsize=8)
    axes[0, 0].legend(fontsize=7, frameon=False, loc="upper right")
    axes[-1, 0].set_xlabel("round")
    exiter = result.exited[run]
    why = f"exit of {sc.actors[exiter]}" if exiter >= 0 else "deadline"
    status = (
        f"agreed in round {result.rounds[run]}" if result.agreed[run] else f"no agreement ({why})"
    )
    fig.suptitle(f"Concessions in run {run}: {status}", fontsize=10)
    fig.tight_layout()
    return fig


def pareto(scenario, actors=None, *, result=None, run: int = 0, ax=None):
    """The two-party Pareto frontier with the Nash, Kalai-Smorodinsky and utilitarian points,
    the reservations (disagreement point) and, if given, the negotiated outcomes of a result.

    ``scenario`` is a Scenario (solved at its point estimates) or a ScenarioBatch (run ``run``);
    the frontier leaves out the coalitions, the solution points respect them.
    """
    import matplotlib.pyplot as plt

    from negosim import solutions

    sc = getattr(scenario, "scenario", scenario)  # a batch carries its scenario
    frontier = solutions.pareto_frontier(scenario, actors, run=run)
    cols = [c for c in frontier.columns if c.startswith("utility.")]
    a, b = (c.split(".", 1)[1] for c in cols)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 5.5))
    ax.plot(
        frontier[cols[0]],
        frontier[cols[1]],
        color="black",
        marker="o",
        markersize=3,
        label="Pareto frontier",
    )
    if result is not None:
        ia, ib = sc.actor_index(a), sc.actor_index(b)
        done = result.agreed
        ax.scatter(
            result.utility[done, ia],
            result.utility[done, ib],
            s=8,
            alpha=0.3,
            color=PALETTE[5],
            label="negotiated outcomes",
        )
    d = solutions.disagreement_point(scenario, [a, b], run=run)
    ax.axvline(d[0], color="0.5", linestyle=":", linewidth=1)
    ax.axhline(d[1], color="0.5", linestyle=":", linewidth=1)
    ax.plot(*d, marker="s", color="0.4", linestyle="", label="reservations")
    for (name, fn), color, marker in zip(
        (
            ("Nash", solutions.nash),
            ("Kalai-Smorodinsky", solutions.kalai_smorodinsky),
            ("utilitarian", solutions.utilitarian),
        ),
        (PALETTE[3], PALETTE[1], PALETTE[2]),
        "D^v",
        strict=True,
    ):
        point = fn(scenario, [a, b], run=run)
        if point is not None:
            ax.plot(
                *point.utility, marker=marker, markersize=9, color=color, linestyle="", label=name
            )
    ax.set_xlabel(f"utility of {a}")
    ax.set_ylabel(f"utility of {b}")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    ax.set_title(f"{sc.title}\nbargaining set of {a} and {b}", fontsize=9)
    fig.tight_layout()
    return fig
