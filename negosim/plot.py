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
        ax.set_xlim(issue.low, issue.high)
        if issue.anchors:
            ax.set_xticks([a.value for a in issue.anchors])
            ax.set_xticklabels([_short(a.label) for a in issue.anchors], fontsize=7)
        ax.set_xlabel(f"{issue.label}" + (f" ({issue.unit})" if issue.unit else ""), fontsize=9)
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


def _short(label: str, width: int = 18) -> str:
    head = label.split(":")[0].split("[")[0].strip()
    return "\n".join(textwrap.wrap(head, width)[:3])
