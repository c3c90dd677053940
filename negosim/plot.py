"""Figures (matplotlib). Each function takes data or a result, returns the Figure, and never
calls ``show()``."""

from __future__ import annotations

import textwrap

import numpy as np

from negosim.results import SimulationResult

# Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


SLIDE_WIDE = (10, 5.625)
"""16:9 figure size (inches) for one-panel slides."""
SLIDE_43 = (10, 7.5)
"""4:3 figure size (inches) for square-ish panels such as heat maps."""


def outcome_distributions(result: SimulationResult, *, bins: int = 40, figsize=None):
    """Where each issue ends, run by run: agreed packages and, without agreement, the
    no-agreement package the moves made, stacked, with the status quo and anchors marked.

    Parameters
    ----------
    result
        A Monte Carlo result.
    bins
        Histogram bins per issue.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per issue (up to three in a row, slide-sized): numeric ticks on the issue's
        scale below, its labelled anchors (abbreviated) above.
    """
    import matplotlib.pyplot as plt

    sc = result.scenario
    n = len(sc.issues)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=figsize or SLIDE_WIDE, squeeze=False)
    agreed = result.agreed
    share = agreed.mean() if result.runs else float("nan")
    labels = [f"agreed ({share:.0%} of runs)", f"no agreement ({1 - share:.0%}): after the moves"]
    for i, (issue, ax) in enumerate(zip(sc.issue_specs, axes.flat, strict=False)):
        edges = np.linspace(issue.low, issue.high, bins + 1)
        parts = [result.outcome[agreed, i], result.outcome[~agreed, i]]
        ax.hist(parts, bins=edges, stacked=True, color=[PALETTE[0], "0.72"], label=labels)
        ax.axvline(issue.status_quo, color="black", linestyle="--", linewidth=1.2)
        ax.annotate(
            f"status quo {issue.status_quo:g}",
            (issue.status_quo, 0.5),
            xycoords=("data", "axes fraction"),
            xytext=(-4, 0),
            textcoords="offset points",
            rotation=90,
            ha="right",
            va="center",
            fontsize=7,
        )
        _issue_axis(ax, issue, fontsize=7)
        ax.set_ylabel("runs" if i % cols == 0 else "")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, fontsize=8.5, frameon=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    low, high = result.summary().agreement[["ci_low", "ci_high"]].iloc[0]
    fig.suptitle(
        f"{sc.title}\n{result.runs:,} runs, {result.protocol} protocol: agreement in "
        f"{share:.1%} of runs (95% CI {low:.1%}..{high:.1%})",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def _issue_axis(ax, issue, fontsize: float) -> None:
    """Numeric ticks on the issue's scale; its labelled anchors, abbreviated and upright, on
    top (an anchor too close to the previous labelled one keeps its tick, not its text)."""
    ax.set_xlim(issue.low, issue.high)
    unit = "\n".join(textwrap.wrap(issue.unit, 48)) if issue.unit else ""
    ax.set_xlabel(f"{issue.label}\n{unit}".strip(), fontsize=8)
    if not issue.anchors:
        return
    top = ax.secondary_xaxis("top")
    labels, last = [], -np.inf
    for anchor in issue.anchors:
        near = anchor.value - last < 0.06 * (issue.high - issue.low)
        labels.append("" if near else _short(anchor.label))
        last = last if near else anchor.value
    top.set_xticks([a.value for a in issue.anchors])
    top.set_xticklabels(labels, fontsize=fontsize - 0.5, rotation=90)
    top.tick_params(length=3, pad=2)


def _short(label: str, width: int = 24) -> str:
    """The first words of an anchor's label (before any colon or source tag), one line."""
    head = label.split(":")[0].split("[")[0].split("(")[0].strip()
    return textwrap.shorten(head, width, placeholder="...")


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
    """Strategies ranked by a metric, best on top, with their 95% intervals.

    Parameters
    ----------
    board
        The leaderboard of a tournament (:attr:`negosim.tournaments.TournamentResult.leaderboard`):
        a ``strategy`` column, ``metric`` with ``{metric}_low`` / ``{metric}_high`` and,
        if present, ``worlds`` (the independent units behind the intervals).
    metric
        The column to rank and plot.
    ax
        An Axes to draw on; default a new 16:9 figure.

    Returns
    -------
    matplotlib.figure.Figure
        Each mean as a dot with its interval as a bar and its value written beside it; rows
        whose interval is undefined (a single world) show the dot alone, and the title says so.
    """
    import matplotlib.pyplot as plt

    data = board.sort_values(metric).reset_index(drop=True)
    n = len(data)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=SLIDE_WIDE)
    low, high, mean = data[f"{metric}_low"], data[f"{metric}_high"], data[metric]
    has = low.notna() & high.notna()
    y = np.arange(n)
    ax.errorbar(
        mean[has],
        y[has],
        xerr=np.vstack([mean[has] - low[has], high[has] - mean[has]]),
        fmt="o",
        color=PALETTE[0],
        ecolor=PALETTE[0],
        elinewidth=2,
        capsize=4,
        label="mean, 95% interval",
    )
    ax.plot(mean[~has], y[~has], "o", color=PALETTE[0])
    size = 10 if n <= 12 else max(5.0, 120 / n)
    for k in range(n):
        right = high[k] if has[k] else mean[k]
        ax.annotate(
            f"{mean[k]:.3f}",
            (right, k),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=size * 0.9,
        )
    ranks = [f"{n - k}. {name}" for k, name in enumerate(data["strategy"])]
    ax.set_yticks(y, ranks, fontsize=size)
    ax.set_ylim(-0.6, n - 0.4)
    ends = np.r_[low[has], high[has], mean].astype(float)
    ends = ends[np.isfinite(ends)]
    if ends.size:  # room on the right for the written values
        span = ends.max() - ends.min()
        ax.set_xlim(ends.min() - 0.05 * span - 1e-3, ends.max() + 0.15 * span + 1e-2)
    label = "mean own utility per negotiation" if metric == "utility" else f"mean {metric}"
    ax.set_xlabel(label)
    worlds = int(data["worlds"].max()) if "worlds" in data and n else None
    if has.any():
        units = f" over {worlds} independent worlds" if worlds else ""
        note = f"95% intervals{units} (cluster-robust t; identical runs count once)"
    else:
        note = "no interval: a single sampled world (add scenarios or uncertainty)"
    ax.set_title(f"Tournament leaderboard\n{note}", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def pairwise_heatmap(table, *, metric: str = "utility", ax=None):
    """Strategy (rows) x opponent (columns) heat map of a tournament metric, value in each cell.

    Parameters
    ----------
    table
        The pairwise table (:meth:`negosim.tournaments.TournamentResult.pairwise`).
    metric
        The metric's name, for the labels (agreement is written as a percentage).
    ax
        An Axes to draw on; default a new 4:3 figure.

    Returns
    -------
    matplotlib.figure.Figure
        Rows ranked by their mean over the opponents, best on top; columns in the same order
        where they name the same strategies, so self-play lies on the diagonal.
    """
    import matplotlib.pyplot as plt

    table = _ranked(table)
    values = table.to_numpy(dtype=float)
    n, m = values.shape
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=SLIDE_43)
    share = metric == "agreed"
    image = ax.imshow(
        values, cmap="cividis", aspect="auto", vmin=0 if share else None, vmax=1 if share else None
    )
    size = float(np.clip(90 / max(n, m, 1), 5, 12))
    fmt = "{:.0%}" if share else "{:.2f}"
    low, high = image.norm.vmin, image.norm.vmax
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            # cividis is dark at the bottom of its range: white text there, black above
            dark = high == low or (v - low) / (high - low) < 0.55
            ax.text(
                j,
                i,
                fmt.format(v),
                ha="center",
                va="center",
                fontsize=size,
                color="white" if dark else "black",
            )
    ticks = min(size + 1, 11)
    ax.set_xticks(range(m), table.columns, rotation=35, ha="right", fontsize=ticks)
    ax.set_yticks(range(n), [f"{k + 1}. {s}" for k, s in enumerate(table.index)], fontsize=ticks)
    ax.set_xlabel("opponent")
    ax.set_ylabel("strategy (ranked by its mean over opponents)")
    fig.colorbar(image, ax=ax, label=f"mean {metric}", shrink=0.85)
    ax.set_title(f"Pairwise mean {metric}: row strategy against column opponent")
    fig.tight_layout()
    return fig


def _ranked(table):
    """Rows by descending mean; columns in the row order when they name the same strategies."""
    rows = table.mean(axis=1, skipna=True).sort_values(ascending=False, kind="stable").index
    if set(table.columns) == set(table.index):
        columns = rows
    else:
        columns = table.mean(axis=0).sort_values(ascending=False, kind="stable").index
    return table.loc[rows, columns]


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
