"""The two charts of the step-by-step view as inline SVG.

They redraw on every Step, so they are written directly as SVG (a few milliseconds) instead
of rendering a matplotlib figure (a few hundred milliseconds on a busy 2-core machine).
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Sequence

import numpy as np

from negosim.app import state
from negosim.plot import PALETTE

WIDTH = 560
LEFT, RIGHT = 40, 16
SETTLED = PALETTE[4]
"""Colour of an issue a move has settled."""
OTHER = "#999999"
"""Colour of the runs that ended without agreement."""


def _open(height: float, svg_id: str) -> str:
    """An SVG that scales down to its column's width."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'style="max-width: {WIDTH}px" id="{svg_id}" font-family="sans-serif">'
    )


def _x(value: float, low: float, high: float) -> float:
    return LEFT + (value - low) / (high - low) * (WIDTH - LEFT - RIGHT)


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "start", **extra) -> str:
    attrs = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{attrs}>'
        f"{html.escape(text)}</text>"
    )


def _marker(kind: str, x: float, y: float, color: str, size: float = 6) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size}" fill="{color}"/>'
    if kind == "square":
        return (
            f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size}" '
            f'height="{2 * size}" fill="{color}"/>'
        )
    if kind == "diamond":
        s = size * 1.4
        return (
            f'<polygon points="{x:.1f},{y - s:.1f} {x + s:.1f},{y:.1f} {x:.1f},{y + s:.1f} '
            f'{x - s:.1f},{y:.1f}" fill="{color}" stroke="white" stroke-width="1"/>'
        )
    return (  # a tick
        f'<line x1="{x:.1f}" y1="{y - size:.1f}" x2="{x:.1f}" y2="{y + size:.1f}" '
        f'stroke="{color}" stroke-width="1.5"/>'
    )


def _legend(entries: Sequence[tuple[str, str, str]], y: float) -> str:
    out, x = [], LEFT
    for kind, color, label in entries:
        if kind.startswith("line"):
            dash = ' stroke-dasharray="5,3"' if kind == "line-dashed" else ""
            out.append(
                f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{color}" '
                f'stroke-width="2"{dash}/>'
            )
            x += 22
        else:
            out.append(_marker(kind, x + 5, y, color, 5))
            x += 14
        out.append(_text(x, y + 4, label, 10))
        x += 5.8 * len(label) + 14  # about the width of a 10 px sans-serif label
    return "".join(out)


def offer_chart(model) -> str:
    """The package on the table on every issue's scale, against the negotiators' ideal
    points, the ratifiers' ideal points (grey ticks) and the status quo."""
    sc = model.scenario
    row = 62
    height = row * len(sc.issues) + 30
    parts = [
        _open(height, "ns-offer-chart"),
    ]
    talkers = [d for d in model.diplomats if d.role == "negotiator"]
    settled = state.settled_issues(model)
    shown, package = state.shown_package(model)
    for i, issue in enumerate(sc.issue_specs):
        y = row * i + 34
        lo, hi = issue.low, issue.high
        parts.append(_text(LEFT, y - 18, f"{state.issue_letters(sc)[i]}: {issue.label}", 11))
        if settled[i]:  # a move took it off the table: offers carry the settled value
            parts.append(
                _text(
                    WIDTH - RIGHT,
                    y - 18,
                    "settled by a move",
                    11,
                    "end",
                    fill=SETTLED,
                    font_weight="bold",
                    id=f"ns-settled-{issue.id}",
                )
            )
            parts.append(
                f'<rect x="{LEFT}" y="{y - 9}" width="{WIDTH - LEFT - RIGHT}" height="18" '
                f'fill="{SETTLED}" fill-opacity="0.10"/>'
            )
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#999"/>')
        for tick in np.linspace(lo, hi, 6):
            x = _x(tick, lo, hi)
            parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" stroke="#999"/>')
            parts.append(_text(x, y + 15, f"{tick:g}", 9, "middle", fill="#666"))
        for d in model.diplomats:
            if d.role == "ratifier" and d.salience[i]:
                parts.append(_marker("tick", _x(d.position[i], lo, hi), y, "#bbb", 7))
        parts.append(_marker("square", _x(issue.status_quo, lo, hi), y, "black", 5))
        for k, d in enumerate(talkers):
            parts.append(_marker("circle", _x(d.position[i], lo, hi), y, PALETTE[k], 6))
        if package is not None:
            parts.append(_marker("diamond", _x(package[i], lo, hi), y, PALETTE[3], 6))
    legend = [
        ("tick", "#bbb", "ratifiers"),
        *[("circle", PALETTE[k], f"ideal of {d.actor}") for k, d in enumerate(talkers)],
        ("square", "black", "status quo"),
        ("diamond", PALETTE[3], shown),
        *([("square", SETTLED, "settled")] if settled.any() else []),
    ]
    parts.append(_legend(legend, height - 10))
    parts.append("</svg>")
    return "".join(parts)


def utility_chart(model) -> str:
    """Each negotiator's utility of the offer (solid) and its target (dashed) by round, and
    its reservation (dotted)."""
    top, bottom, height = 14, 46, 258
    plot_h = height - top - bottom
    rounds = max(model.rounds - 1, 1)

    def xy(t: float, u: float) -> str:
        x = _x(t, 0, rounds)
        y = top + (1 - min(max(u, 0.0), 1.0)) * plot_h
        return f"{x:.1f},{y:.1f}"

    parts = [
        _open(height, "ns-utility-chart"),
        f'<rect x="{LEFT}" y="{top}" width="{WIDTH - LEFT - RIGHT}" height="{plot_h}" '
        f'fill="none" stroke="#999"/>',
    ]
    for u in np.linspace(0, 1, 6):
        _, y = xy(0, u).split(",")
        parts.append(_text(LEFT - 4, float(y) + 3, f"{u:.1f}", 9, "end", fill="#666"))
    step = max(1, int(math.ceil(rounds / 10 / 5) * 5))
    for t in range(0, rounds + 1, step):
        x, _ = xy(t, 0).split(",")
        parts.append(_text(float(x), top + plot_h + 13, str(t), 9, "middle", fill="#666"))
    parts.append(_text(WIDTH / 2, top + plot_h + 26, "round", 10, "middle"))
    history = state.agent_history(model)
    legend = []
    for k, d in enumerate(d for d in model.diplomats if d.role == "negotiator"):
        color = PALETTE[k]
        rows = history[history["actor"] == d.actor]
        for column, dash in (("utility", ""), ("target", ' stroke-dasharray="5,3"')):
            points = [
                xy(t, v) for t, v in zip(rows["round"], rows[column], strict=True) if np.isfinite(v)
            ]
            if len(points) == 1:
                x, y = points[0].split(",")
                parts.append(_marker("circle", float(x), float(y), color, 2.5))
            elif points:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" '
                    f'stroke-width="2"{dash}/>'
                )
        y = xy(0, d.reservation).split(",")[1]
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{color}" '
            f'stroke-dasharray="1,3"/>'
        )
        legend += [
            ("line", color, f"{d.actor} utility"),
            ("line-dashed", color, f"{d.actor} target"),
        ]
    parts.append(_legend(legend, height - 10))
    parts.append("</svg>")
    return "".join(parts)


def outcome_chart(res, bins: int = 40) -> str:
    """Histogram of the final package on every issue: agreed runs, stacked on the runs that
    ended without agreement (the package the moves made); dashed: the status quo."""
    sc = res.scenario
    row, bar_h = 78, 46
    height = row * len(sc.issues) + 26
    parts = [_open(height, "ns-outcome-chart")]
    for i, issue in enumerate(sc.issue_specs):
        top = row * i + 18
        base = top + bar_h
        lo, hi = issue.low, issue.high
        parts.append(_text(LEFT, top - 5, f"{state.issue_letters(sc)[i]}: {issue.label}", 11))
        parts.append(
            f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#999"/>'
        )
        edges = np.linspace(lo, hi, bins + 1)
        agreed, _ = np.histogram(res.outcome[res.agreed, i], bins=edges)
        other, _ = np.histogram(res.outcome[~res.agreed, i], bins=edges)
        peak = max(int((agreed + other).max()), 1)
        for k, (left, right) in enumerate(itertools.pairwise(edges)):
            x0, x1 = _x(left, lo, hi), _x(right, lo, hi)
            y = base
            for count, color in ((agreed[k], PALETTE[2]), (other[k], OTHER)):
                if count:
                    h = bar_h * count / peak
                    y -= h
                    parts.append(
                        f'<rect x="{x0:.1f}" y="{y:.1f}" width="{x1 - x0 - 0.5:.1f}" '
                        f'height="{h:.1f}" fill="{color}"/>'
                    )
        sq = _x(issue.status_quo, lo, hi)
        parts.append(
            f'<line x1="{sq:.1f}" y1="{top}" x2="{sq:.1f}" y2="{base}" stroke="black" '
            f'stroke-dasharray="4,3"/>'
        )
        for tick in np.linspace(lo, hi, 6):
            parts.append(_text(_x(tick, lo, hi), base + 12, f"{tick:g}", 9, "middle", fill="#666"))
    legend = [
        ("square", PALETTE[2], "agreed"),
        ("square", OTHER, "no agreement (status quo and moves)"),
        ("line-dashed", "black", "status quo"),
    ]
    parts.append(_legend(legend, height - 8))
    parts.append("</svg>")
    return "".join(parts)
