"""Figures (matplotlib). Each function takes data or a result, returns the Figure, and never
calls ``show()``.

Why one module (about 980 lines): it is the gallery users browse as ``ns.plot.<figure>``, one
function a figure, all sharing the palette, the figure sizes and the label helpers at the top.
"""

from __future__ import annotations

import textwrap
import warnings

import numpy as np

from negosim.analysis import solutions
from negosim.analysis.domains import solve
from negosim.engine.results import SimulationResult
from negosim.engine.sampling import sample
from negosim.model.information import MEASURES
from negosim.model.ratification import DEAL_MARGIN

# Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


SLIDE_WIDE = (10, 5.625)
"""16:9 figure size (inches) for one-panel slides."""
SLIDE_43 = (10, 7.5)
"""4:3 figure size (inches) for square-ish panels such as heat maps."""
MOVE_COLORS = (PALETTE[1], PALETTE[4], "0.35", PALETTE[5])
"""Colours of the unilateral moves' shares (in file order)."""


def _settings_line(settings: str) -> str:
    """The title's last line naming what was set (empty when nothing was)."""
    return f"\n{textwrap.shorten(settings, 120, placeholder='...')}" if settings else ""


def _value_label(ax, text: str, xy, offset: tuple[float, float], **style) -> None:
    """Write a value next to a point, ``offset`` points away from it."""
    ax.annotate(text, xy, xytext=offset, textcoords="offset points", **style)


def outcome_distributions(
    result: SimulationResult, *, bins: int = 40, figsize=None, settings: str = ""
):
    """Where each issue ends, run by run: agreed packages and, without agreement, the
    no-agreement package the moves made, stacked, with the status quo and anchors marked.

    Parameters
    ----------
    result
        A Monte Carlo result.
    bins
        Histogram bins per issue.
    settings
        What was set away from the scenario's values (``--set``, ``--strategy``, ...), as a
        line of the title, so that the figure says what it shows.

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
    labels = [
        f"agreed ({_share(share)} of runs)",
        f"no agreement ({_share(1 - share)}): where the moves leave it",
    ]
    for i, (issue, ax) in enumerate(zip(sc.issue_specs, axes.flat, strict=False)):
        edges = np.linspace(issue.low, issue.high, bins + 1)
        parts = [result.outcome[agreed, i], result.outcome[~agreed, i]]
        ax.hist(parts, bins=edges, stacked=True, color=[PALETTE[0], "0.72"], label=labels)
        _mark(ax, issue.status_quo, f"status quo {issue.status_quo:g}", "black", linestyle="--")
        _issue_axis(ax, issue, fontsize=7)
        ax.set_ylabel("runs" if i % cols == 0 else "")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, fontsize=8.5, frameon=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    low, high = result.summary().agreement[["ci_low", "ci_high"]].iloc[0]
    fig.suptitle(
        f"{sc.title}\n{result.runs:,} runs, {result.protocol} protocol: agreement in "
        f"{share:.1%} of runs (95% CI {low:.1%}..{high:.1%})" + _settings_line(settings),
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def _share(x: float) -> str:
    """A share as a whole percentage, or with one decimal within 10 points of 0% or 100%
    (1.6%, not 2%)."""
    return f"{x:.1%}" if min(x, 1 - x) < 0.1 else f"{x:.0%}"


def _mark(
    ax,
    x: float,
    text: str,
    color: str,
    *,
    height: float = 0.5,
    va: str = "center",
    gap: float = 4,
    linestyle: str = "-",
) -> None:
    """A vertical line at ``x`` with ``text`` written upward ``gap`` points left of it, at
    ``height`` (a fraction of the axes' height)."""
    ax.axvline(x, color=color, linestyle=linestyle, linewidth=1.2)
    ax.annotate(
        text,
        (x, height),
        xycoords=("data", "axes fraction"),
        xytext=(-gap, 0),
        textcoords="offset points",
        rotation=90,
        ha="right",
        va=va,
        fontsize=7,
        color=color,
    )


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
    """'Russia: salience on kosovo_status' for an actor's number, 'move kosovo_udi: to' for a
    move's."""
    actor, field, *rest = target.split(".")
    if actor == "moves" and rest:
        return f"move {field}: {rest[0]}"
    return f"{actor}: {field}" + (f" on {rest[0]}" if rest else "")


def _value(v: float) -> str:
    """A value for a label: two decimals below 1 (utilities, costs), else a whole number."""
    return f"{v:.2f}" if abs(v) < 1 else f"{v:.0f}"


def sweep_agreement(frame, target: str, *, ax=None, settings: str = ""):
    """Agreement probability (with its 95% interval) against a swept parameter and, on a new
    figure, the share of runs in which each unilateral move is made beside it.

    Parameters
    ----------
    frame
        The table of :func:`negosim.sweep`. A sweep over two or more numbers (a grid) draws
        one agreement line per value of the others (their columns are ``frame.attrs["swept"]``).
    target
        The swept column to put on the x axis.
    ax
        An Axes to draw the agreement panel on (then no move panel); default a new 16:9 figure.
    settings
        A line added to the title (the runs per point and what was set, say).

    Returns
    -------
    matplotlib.figure.Figure
        Agreement with its band and each point's value written above it; the move shares in a
        second panel when the table has ``move.<id>`` columns, sweeps one number and no ``ax``
        was given.
    """
    import matplotlib.pyplot as plt

    data = frame.sort_values(target)
    others = [c for c in frame.attrs.get("swept", ()) if c != target]
    moves = [c for c in data.columns if c.startswith("move.")] if not others else []
    if ax is not None:
        fig, axes = ax.figure, [ax]
    else:
        fig, axes = plt.subplots(1, 2 if moves else 1, figsize=SLIDE_WIDE, squeeze=False)
        axes = list(axes[0])
    ax = axes[0]
    lines = data.groupby(others, sort=True) if others else [((), data)]
    for k, (key, line) in enumerate(lines):
        _agreement_line(ax, line, target, PALETTE[k % len(PALETTE)], _grid_label(others, key))
    x = data[target].to_numpy(float)
    ax.set_xlabel(_target_label(target))
    ax.set_ylabel("probability of a package deal")
    ax.set_ylim(0, min(1.05, max(0.05, float(data["agreement_high"].max()) * 1.2)))
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.set_title("Agreement", fontsize=10)
    if len(axes) > 1:
        right = axes[1]
        for k, column in enumerate(moves):
            right.plot(
                x,
                data[column],
                marker="o",
                color=MOVE_COLORS[k % 4],
                label=column.split(".", 1)[1],
            )
        right.set_ylim(0, 1.05)
        right.set_xlabel(_target_label(target))
        right.set_ylabel("share of runs with the move made")
        right.legend(frameon=False, fontsize=8, loc="best")
        right.set_title("Unilateral moves", fontsize=10)
    swept = " and ".join(_target_label(t) for t in [target, *others])
    fig.suptitle(f"What if: {swept}" + _settings_line(settings), fontsize=11)
    fig.tight_layout()
    return fig


def _agreement_line(ax, data, target: str, color: str, label: str) -> None:
    """One agreement curve with its 95% band and each point's value above it."""
    x = data[target].to_numpy(float)
    band = "95% interval" if not label else None
    ax.fill_between(
        x, data["agreement_low"], data["agreement_high"], color=color, alpha=0.25, label=band
    )
    ax.plot(x, data["agreement"], marker="o", color=color, label=label or "agreement")
    for xi, yi in zip(x, data["agreement"], strict=True):
        _value_label(ax, _share(yi), (xi, yi), (0, 7), ha="center", fontsize=8)


def _grid_label(others: list[str], key) -> str:
    """``Russia: salience on cfe = 40`` for one line of a grid sweep ("" for a single line)."""
    values = key if isinstance(key, tuple) else (key,)
    return ", ".join(
        f"{_target_label(t)} = {_value(float(v))}" for t, v in zip(others, values, strict=True)
    )


def tornado(
    table,
    *,
    column: str = "swing",
    ax=None,
    label: str = "agreement probability",
    settings: str = "",
):
    """Tornado chart of a sensitivity table: the change of ``column`` from each input's low to
    its high value, largest on top, each bar with its value and the input's low -> high.

    Parameters
    ----------
    table
        The table of :func:`negosim.sensitivity` (``low``, ``high`` and ``column``).
    column
        The swing to draw (``swing`` for agreement, ``swing.<issue>`` for an issue's mean).
    ax
        An Axes to draw on; default a new 16:9 figure.
    label
        What ``column`` measures, for the x label.
    settings
        A line added to the title (what was set away from the scenario's values).
    """
    import matplotlib.pyplot as plt

    data = table[column].dropna()
    data = data.reindex(data.abs().sort_values(kind="stable").index)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=SLIDE_WIDE)
    colors = [PALETTE[3] if v < 0 else PALETTE[2] for v in data]
    names = [
        f"{_target_label(t)} ({_value(table.at[t, 'low'])} -> {_value(table.at[t, 'high'])})"
        if {"low", "high"} <= set(table.columns)
        else _target_label(t)
        for t in data.index
    ]
    size = 9 if len(data) <= 12 else max(5.0, 110 / len(data))
    points = column == "swing"  # a change of a probability: in percentage points, not %
    data = data * 100 if points else data
    ax.barh(range(len(data)), data.to_numpy(), color=colors)
    ax.set_yticks(range(len(data)), names, fontsize=size)
    for k, v in enumerate(data):
        ax.annotate(
            f"{v:+.0f} pp" if points else f"{v:+.1f}",
            (v, k),
            xytext=(4 if v >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if v >= 0 else "right",
            va="center",
            fontsize=size * 0.9,
        )
    reach = float(data.abs().max()) if len(data) else 1.0
    ax.set_xlim(-1.3 * reach - 1e-9, 1.3 * reach + 1e-9)
    ax.axvline(0, color="black", linewidth=0.8)
    unit = " (percentage points)" if points else ""
    ax.set_xlabel(f"change in {label}{unit}, input at its 5% -> 95% value")
    title = "Sensitivity, one input at a time (the rest still uncertain)"
    ax.set_title(title + _settings_line(settings), fontsize=11)
    fig.tight_layout()
    return fig


def timeline(frame, scenario, *, figsize=None, settings: str = ""):
    """Each dated update as a Monte Carlo: agreement and move shares, and each issue's final
    package (5-95% band, median) on every date, the events labelled.

    Parameters
    ----------
    frame
        The table of :func:`negosim.timeline`.
    scenario
        The scenario it was computed for (issues, status quo).
    figsize
        Default 16:9, panels in a grid of two columns.

    Returns
    -------
    matplotlib.figure.Figure
        First panel: the share of runs with a deal (with its 95% interval) and with each move
        made; one panel per issue after it. Every date is a dotted line, labelled in the first
        panel with its note.
    """
    import matplotlib.pyplot as plt

    n = len(scenario.issues) + 1
    cols = 2 if n > 1 else 1
    rows = -(-n // cols)
    fig, grid = plt.subplots(rows, cols, figsize=figsize or SLIDE_WIDE, sharex=True, squeeze=False)
    axes = list(grid.flat)
    dates = frame["date"]
    first = axes[0]
    first.fill_between(
        dates, frame["agreement_low"], frame["agreement_high"], color=PALETTE[0], alpha=0.25
    )
    first.plot(dates, frame["agreement"], marker="o", color=PALETTE[0], label="deal")
    moves = [c for c in frame.columns if c.startswith("move.")]
    for k, column in enumerate(moves):
        first.plot(
            dates,
            frame[column],
            marker=".",
            linestyle="--",
            color=MOVE_COLORS[k % 4],
            label=column.split(".", 1)[1],
        )
    first.set_ylim(0, 1.05)
    first.set_ylabel("share of runs")
    first.legend(fontsize=6.5, frameon=False, loc="center left", bbox_to_anchor=(0, 0.45))
    for k, (issue, ax) in enumerate(zip(scenario.issue_specs, axes[1:], strict=False)):
        color = PALETTE[(k + 1) % 7]
        ax.axhline(issue.status_quo, color="0.45", linestyle=":", linewidth=1, label="status quo")
        ax.fill_between(
            dates,
            frame[f"q05.{issue.id}"],
            frame[f"q95.{issue.id}"],
            color=color,
            alpha=0.25,
            label="5-95% of runs",
        )
        ax.plot(
            dates,
            frame[f"q50.{issue.id}"],
            marker="o",
            color=color,
            linewidth=2.2,
            zorder=5,
            label="median",
        )
        ax.set_ylim(issue.low, issue.high)
        ax.set_ylabel(issue.id, fontsize=8)
        ax.legend(fontsize=6.5, frameon=False, loc="best")
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[:n]:
        for when in dates:
            ax.axvline(when, color="0.6", linestyle=":", linewidth=0.8, zorder=0)
    days = [_day(when) for when in dates]
    for ax in axes[max(n - cols, 0) : n]:
        ax.set_xlabel("as of (dated updates)")
        ax.set_xticks(list(dates), days)
        ax.tick_params(axis="x", labelbottom=True, labelsize=7.5)
    events = [f"{d}: {_short(str(note), 44)}" for d, note in zip(days, frame["note"], strict=True)]
    half = -(-len(events) // 2)
    fig.text(
        0.5,
        0.01,
        "\n".join("      ".join(events[2 * i : 2 * i + 2]) for i in range(half)),
        ha="center",
        va="bottom",
        fontsize=7.5,
    )
    fig.suptitle(
        f"{scenario.title}: timeline of dated updates" + _settings_line(settings), fontsize=10
    )
    fig.tight_layout(rect=(0, 0.03 + 0.025 * half, 1, 1))
    return fig


def _day(when) -> str:
    """A date as '12 Dec' for event labels."""
    return f"{when.day} {when.strftime('%b')}"


def leaderboard(board, *, metric: str = "utility", ax=None, settings: str = ""):
    """Strategies ranked by a metric, best on top, with their 95% intervals.

    Parameters
    ----------
    board
        A tournament's result (:class:`negosim.TournamentResult`) or its ``leaderboard``:
        a ``strategy`` column, ``metric`` with ``{metric}_low`` / ``{metric}_high`` and,
        if present, ``worlds`` (the independent worlds behind a scenario tournament's
        intervals) or ``units`` (a domain tournament's: domain x profile pairs), and
        ``information`` (the information setting of each row).
    metric
        The column to rank and plot.
    ax
        An Axes to draw on; default a new 16:9 figure.

    Returns
    -------
    matplotlib.figure.Figure
        Each mean as a dot with its interval as a bar and its value written beside it; rows
        whose interval is undefined (a single world) show the dot alone, and the title says so.
        A board of several information settings shows them side by side: one row per
        strategy (ranked under the first setting), a dot and bar per setting in its own
        colour, and a legend naming the settings.
    """
    import matplotlib.pyplot as plt

    board = getattr(board, "leaderboard", board)  # a TournamentResult: its leaderboard
    kinds = list(dict.fromkeys(board["information"])) if "information" in board else []
    if len(kinds) < 2:
        parts = [board.sort_values(metric).reset_index(drop=True)]
    else:  # one row per strategy, ranked under the first setting; each setting a colour
        order = board[board["information"] == kinds[0]].sort_values(metric)["strategy"]
        parts = [
            board[board["information"] == kind].set_index("strategy").reindex(order).reset_index()
            for kind in kinds
        ]
    n, many = len(parts[0]), len(parts) > 1
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=SLIDE_WIDE)
    size = 10 if n <= 12 else max(5.0, 120 / n)
    if many:
        size *= 0.85
    y = np.arange(n)
    dodge = 0.34 if many else 0.0  # the settings' rows: the first on top
    ends, has_any = [], False
    for k, data in enumerate(parts):
        low, high, mean = data[f"{metric}_low"], data[f"{metric}_high"], data[metric]
        has = low.notna() & high.notna()
        has_any |= bool(has.any())
        yk = y + dodge * ((len(parts) - 1) / 2 - k)
        color = PALETTE[k % len(PALETTE)]
        label = f"{kinds[k]} information" if many else "mean, 95% interval"
        ax.errorbar(
            mean[has],
            yk[has],
            xerr=np.vstack([mean[has] - low[has], high[has] - mean[has]]),
            fmt="o",
            color=color,
            ecolor=color,
            elinewidth=2,
            capsize=4 if not many else 3,
            label=label,
        )
        ax.plot(mean[~has], yk[~has], "o", color=color, **({} if has.any() else {"label": label}))
        for j in range(n):
            if not np.isfinite(mean[j]):
                continue
            right = high[j] if has[j] else mean[j]
            _value_label(
                ax, f"{mean[j]:.3f}", (right, yk[j]), (6, 0), va="center", fontsize=size * 0.9
            )
        ends.append(np.r_[low[has], high[has], mean].astype(float))
    ranks = [f"{n - k}. {name}" for k, name in enumerate(parts[0]["strategy"])]
    ax.set_yticks(y, ranks, fontsize=size)
    ax.set_ylim(-0.6, n - 0.4)
    ends = np.concatenate(ends)
    ends = ends[np.isfinite(ends)]
    if ends.size:  # room on the right for the written values
        span = ends.max() - ends.min()
        ax.set_xlim(ends.min() - 0.05 * span - 1e-3, ends.max() + 0.15 * span + 1e-2)
    label = "mean own utility per negotiation" if metric == "utility" else f"mean {metric}"
    ax.set_xlabel(label)
    worlds = int(board["worlds"].max()) if "worlds" in board and n else None
    units = int(board["units"].max()) if "units" in board and n else None
    if has_any and units:  # a domain tournament's: its units are domain x profile pairs
        note = (
            f"95% intervals over {units} independent units, domain x profile pair "
            "(cluster-robust t; a strategy's plays in one unit are one cluster)"
        )
    elif has_any:
        units_text = f" over {worlds} independent worlds" if worlds else ""
        note = f"95% intervals{units_text} (cluster-robust t; identical runs count once)"
    else:
        note = "no interval: a single sampled world (add scenarios or uncertainty)"
    head = "Tournament leaderboard"
    if many:
        head += ": " + " vs ".join(kinds) + " information, ranked under " + kinds[0]
        ax.legend(loc="lower right", fontsize=size * 0.9, framealpha=0.9)
    ax.set_title(f"{head}\n{note}" + _settings_line(settings), fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def pairwise_heatmap(table, *, metric: str = "utility", ax=None):
    """Strategy (rows) x opponent (columns) heat map of a tournament metric, value in each cell.

    Parameters
    ----------
    table
        A tournament's result (:class:`negosim.TournamentResult`; its
        :meth:`~negosim.TournamentResult.pairwise` table of ``metric`` is drawn) or a pairwise
        table.
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

    if hasattr(table, "pairwise"):  # a TournamentResult: its table of ``metric``
        table = table.pairwise(metric)
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
    proportional to its salience, colour by role; the status quo dashed, anchors on the axis.

    Parameters
    ----------
    scenario
        The scenario to draw.
    figsize
        Default 4:3: one panel per issue side by side, the actors (negotiators first) as rows
        shared by the panels; an actor without a say on an issue has no marker there.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    sc = scenario
    n = len(sc.issues)
    fig, axes = plt.subplots(1, n, figsize=figsize or SLIDE_43, sharey=True, squeeze=False)
    order = list(np.argsort([r != "negotiator" for r in sc.roles], kind="stable"))
    row_of = {a: y for y, a in enumerate(order)}
    size = float(np.clip(300 / max(len(order), 1), 4.5, 9))
    for k, (issue, ax) in enumerate(zip(sc.issue_specs, axes[0], strict=True)):
        rows = [a for a in order if sc.participation[a, k]]
        ax.scatter(
            sc.positions[rows, k],
            [row_of[a] for a in rows],
            s=8 + 2.5 * sc.salience[rows, k],
            c=[ROLE_COLORS[sc.roles[a]] for a in rows],
            alpha=0.8,
            edgecolors="black",
            linewidths=0.4,
        )
        ax.axvline(issue.status_quo, color="black", linestyle="--", linewidth=1)
        ax.grid(axis="y", color="0.9", linewidth=0.5)
        _issue_axis(ax, issue, fontsize=6.5)
    axes[0, 0].set_yticks(range(len(order)), [sc.actors[a] for a in order], fontsize=size)
    axes[0, 0].set_ylim(len(order) - 0.5, -0.5)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=c, label=r) for r, c in ROLE_COLORS.items()
    ]
    handles.append(Line2D([], [], color="black", linestyle="--", label="status quo"))
    fig.legend(handles=handles, fontsize=8, loc="lower center", ncol=4, frameon=False)
    fig.suptitle(f"{sc.title}\npositions (marker area = salience)", fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


NEGOTIATOR_COLORS = (PALETTE[0], PALETTE[3], PALETTE[2], PALETTE[4], PALETTE[1], PALETTE[5])


def concession_traces(result, run: int = 0, *, figsize=None):
    """One traced run round by round: on every issue the offer on the table (coloured by its
    proposer), each negotiator's ideal point and the moves made; in the last panel each
    negotiator's target and its utility of the offer (needs ``simulate(..., trace=k)``,
    ``run < k``).

    Parameters
    ----------
    result
        A result with a trace.
    run
        Which traced run.
    figsize
        Default 16:9, panels in a grid of two columns.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per issue and a utility panel; the agreed package is a star, a move a
        vertical line at its round, labelled with its id; a move made after the talks a
        dotted line at the end of the axis, whose tick reads "after the talks".
    """
    import matplotlib.pyplot as plt

    if not result.trace:
        raise ValueError("this result has no trace: simulate(..., trace=1) keeps one")
    sc, tr = result.scenario, result.trace
    offers, proposer = tr["offer"][run], tr["proposer"]
    played = np.flatnonzero(np.isfinite(offers[:, 0]))
    negotiators = [a for a, r in enumerate(sc.roles) if r == "negotiator"]
    color = {a: NEGOTIATOR_COLORS[c % len(NEGOTIATOR_COLORS)] for c, a in enumerate(negotiators)}
    ideal = (
        sample(sc, run + 1, seed=result.seed).positions[run] if result.seed is not None else None
    )
    n = len(sc.issues) + 1
    rows = -(-n // 2)
    fig, grid = plt.subplots(rows, 2, figsize=figsize or SLIDE_WIDE, sharex=True, squeeze=False)
    axes = list(grid.flat)
    who_made = result.moved[run] if result.moved is not None else np.array([], int)
    for k, (issue, ax) in enumerate(zip(sc.issue_specs, axes, strict=False)):
        ax.axhline(
            issue.status_quo, color="0.45", linestyle="--", linewidth=0.8, label="status quo"
        )
        for a in negotiators:
            if ideal is not None and sc.participation[a, k]:
                ax.axhline(
                    ideal[a, k],
                    color=color[a],
                    linestyle=":",
                    linewidth=1.2,
                    label=f"ideal of {sc.actors[a]}",
                )
        for who in sorted({int(p) for p in proposer[played]}):
            mask = played[proposer[played] == who]
            name = sc.actors[who] if who >= 0 else "the single text"
            ax.plot(
                mask,
                offers[mask, k],
                marker=".",
                linestyle="-",
                markersize=4,
                color=color.get(who, "0.3"),
                label=f"offers by {name}",
            )
        for m, move in enumerate(sc.all_moves):
            if move.issue == issue.id and who_made.size and who_made[m] >= 0:
                # a move made after the talks is recorded as round T, a round never played:
                # it is drawn at the end of the axis, which says "after the talks", not T
                late = who_made[m] >= result.deadline
                text = f"{move.id}: after the talks" if late else move.id
                style = {"linestyle": ":"} if late else {}
                _mark(ax, who_made[m], text, PALETTE[4], height=0.97, va="top", gap=3, **style)
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
        ax.set_ylabel(issue.id, fontsize=8)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, fontsize=7.5, frameon=False, loc="lower center", ncol=len(names))
    util = axes[n - 1]
    for a in negotiators:
        util.plot(
            played,
            tr["target"][run][played, a],
            color=color[a],
            linewidth=1.6,
            label=f"target of {sc.actors[a]}",
        )
        util.plot(
            played,
            tr["utility"][run][played, a],
            color=color[a],
            linestyle="",
            marker=".",
            markersize=4,
            label=f"{sc.actors[a]}'s utility of the offer",
        )
    util.set_ylim(0, 1.02)
    util.set_ylabel("utility", fontsize=8)
    util.legend(fontsize=6.5, frameon=False, loc="lower left")
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(n - 2, 0) : n]:
        ax.set_xlabel("round")
        ax.tick_params(axis="x", labelbottom=True)
    if who_made.size and (who_made >= result.deadline).any():
        _after_the_talks_tick(axes[0], result.deadline)
    exiter = result.exited[run]
    why = f"exit of {sc.actors[exiter]}" if exiter >= 0 else "deadline"
    status = (
        f"agreed in round {result.rounds[run]}" if result.agreed[run] else f"no agreement ({why})"
    )
    fig.suptitle(f"{sc.title}\nconcessions in run {run}: {status}", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def _after_the_talks_tick(ax, deadline: int) -> None:
    """Round ticks below the deadline ``T`` and, at ``T``, the tick "after the talks" (the
    axes share their x axis: setting one sets all)."""
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(6, integer=True).tick_values(0, deadline - 1)
    ticks = [int(t) for t in ticks if 0 <= t <= deadline - max(deadline // 8, 1)]
    ax.set_xticks([*ticks, deadline], [*map(str, ticks), "after\nthe talks"])
    ax.set_xlim(-0.5, deadline + 0.5)


def pareto(scenario, actors=None, *, result=None, run: int = 0, ax=None):
    """The two-party Pareto frontier with the Nash, Kalai-Smorodinsky and utilitarian points,
    the reservations (no deal), the least a deal must give each (the reservation plus the deal
    margin, dashed; a solution exists only where the frontier passes above and right of it:
    otherwise the legend says "no solution") and, if given, the negotiated outcomes of a
    result.

    ``scenario`` is a Scenario (solved at its point estimates) or a ScenarioBatch (run ``run``);
    the frontier leaves out the coalitions, the solution points respect them.
    """
    import matplotlib.pyplot as plt

    sc = getattr(scenario, "scenario", scenario)  # a batch carries its scenario
    frontier = solutions.pareto_frontier(scenario, actors, run=run)
    cols = [c for c in frontier.columns if c.startswith("utility.")]
    a, b = (c.split(".", 1)[1] for c in cols)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=SLIDE_43)
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
    floor = d + DEAL_MARGIN
    ax.plot(
        [floor[0], floor[0], 1.02],
        [1.02, floor[1], floor[1]],
        color=PALETTE[4],
        linestyle="--",
        linewidth=1,
        label=f"a deal gives each {DEAL_MARGIN:g} more than no deal",
    )
    solved = 0
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
            solved += 1
            ax.plot(
                *point.utility, marker=marker, markersize=9, color=color, linestyle="", label=name
            )
    if not solved:  # an empty handle: the legend's line that says why no point is drawn
        ax.plot([], [], linestyle="", label="no solution: no package gives both the margin")
    ax.set_xlabel(f"utility of {a}")
    ax.set_ylabel(f"utility of {b}")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    ax.set_title(f"{sc.title}\nbargaining set of {a} and {b}", fontsize=9)
    fig.tight_layout()
    return fig


BELIEF_LABELS = {
    "pearson": "Pearson r, believed vs true utility (1 = best)",
    "weight_error": "mean |believed - true| weight (0 = best)",
    "pareto_distance": "distance to the true Pareto frontier (0 = best)",
    "nash_distance": "distance to the true Nash point (0 = best)",
}
"""What each panel of :func:`belief_accuracy` shows."""


def belief_accuracy(result, *, figsize=None):
    """How well each negotiator knows the others, round by round, in the traced runs of a
    result under ``information="learned"`` (``simulate(..., information="learned",
    trace=k)``): one panel per measure (``docs/protocols.md``, "Information"), per negotiator
    the median over the traced runs with their middle half shaded. A run that has ended keeps
    its last beliefs, so every round counts the same runs.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if "belief" not in result.trace:
        raise ValueError(
            "this result has no trace of beliefs: simulate(..., information='learned', "
            "trace=k) keeps one"
        )
    sc = result.scenario
    measured = carried_forward(result.trace["belief"])  # (k, T, A, M)
    rounds = np.arange(measured.shape[1])
    negotiators = [a for a, r in enumerate(sc.roles) if r == "negotiator"]
    fig, grid = plt.subplots(2, 2, figsize=figsize or SLIDE_WIDE, sharex=True)
    for m, (ax, measure) in enumerate(zip(grid.flat, MEASURES, strict=True)):
        label = BELIEF_LABELS[measure]
        for c, a in enumerate(negotiators):
            values = measured[:, :, a, m]
            known = np.isfinite(values).any(axis=0)
            if not known.any():
                continue
            color = NEGOTIATOR_COLORS[c % len(NEGOTIATOR_COLORS)]
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # rounds with no value yet
                low, mid, high = np.nanquantile(values[:, known], [0.25, 0.5, 0.75], axis=0)
            defined = int(np.isfinite(values[:, -1]).sum())
            where = "" if defined == len(values) else f" ({defined} of {len(values)} runs)"
            ax.plot(rounds[known], mid, color=color, label=f"{sc.actors[a]}{where}")
            ax.fill_between(rounds[known], low, high, color=color, alpha=0.2, linewidth=0)
        ax.set_title(label, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7, frameon=False, title="about the others:", title_fontsize=7)
    for ax in grid[-1]:
        ax.set_xlabel("round")
    runs = measured.shape[0]
    fig.suptitle(
        f"{sc.title}\nwhat the negotiators learn from the offers ({runs} traced runs; median "
        "and middle half)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def carried_forward(values: np.ndarray) -> np.ndarray:
    """``values`` ``(k, T, ...)`` with every NaN after a run's last measured round replaced
    by that round's values (a run that has ended keeps its last beliefs)."""
    out = np.array(values, dtype=float)
    for t in range(1, out.shape[1]):
        missing = np.isnan(out[:, t])
        out[:, t][missing] = out[:, t - 1][missing]
    return out


def domain_outcomes(result, *, settings: str = "", ax=None):
    """A discrete domain's outcomes in the utility plane of its first two negotiating parties,
    its exact Pareto frontier, Nash and Kalai-Smorodinsky outcomes, and where a
    :func:`negosim.analysis.domains.monte_carlo` agreed (the area of a circle: its share of
    the runs).

    Parameters
    ----------
    result
        A :class:`negosim.engine.discrete.DiscreteResult`.
    """
    import matplotlib.pyplot as plt

    solved = solve(result.space, result.parties)
    names = result.party_names
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=SLIDE_43)
    u = solved.utility
    ax.scatter(u[:, 0], u[:, 1], s=6, color="0.75", label=f"outcomes ({u.shape[0]:,})")
    front = solved.frontier[np.argsort(solved.frontier[:, 0])]
    ax.plot(front[:, 0], front[:, 1], "-", color=PALETTE[0], lw=1.5, label="Pareto frontier")
    for index, label, color in (
        (solved.nash, "Nash", PALETTE[3]),
        (solved.ks, "Kalai-Smorodinsky", PALETTE[2]),
    ):
        if index >= 0:
            ax.plot(*u[index, :2], "D", color=color, ms=8, label=label)
    deals, counts = np.unique(result.outcome[result.agreed], return_counts=True)
    if deals.size:
        share = counts / result.runs
        ax.scatter(
            u[deals, 0],
            u[deals, 1],
            s=2000 * share,
            facecolors="none",
            edgecolors=PALETTE[1],
            lw=1.5,
            label=f"agreements ({result.agreed.mean():.0%} of {result.runs:,} runs)",
        )
    ax.set_xlabel(f"utility of {names[0]} (undiscounted)")
    ax.set_ylabel(f"utility of {names[1]} (undiscounted)")
    more = f" (of {', '.join(names)}: the first two)" if len(names) > 2 else ""
    title = f"{result.space.domain.name}: outcomes and agreements{more}"
    ax.set_title(title + _settings_line(settings), fontsize=11)
    ax.legend(loc="lower left", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
