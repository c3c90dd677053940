"""How a scenario shows itself: a short text overview and an HTML table for notebooks."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from negosim.model.elements import ISSUE_TABLE_NOTE

if TYPE_CHECKING:  # annotations only: the scenario module imports this one
    from negosim.model.scenario import Scenario


def scenario_repr(sc: Scenario) -> str:
    """A short overview of ``sc`` (its ``repr``): title, counts and the issue table."""
    header, rows, more = issue_table(sc)
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "    " + "  ".join(cells)

    return "\n".join(
        [
            f"Scenario {clip(sc.id, 40)!r}: {clip(sc.title, 100)}",
            *facts(sc),
            f"  {ISSUE_TABLE_NOTE}:",
            *map(line, [header, *rows]),
            *([f"    ... {more} more issues"] if more else []),
        ]
    )


def scenario_html(sc: Scenario) -> str:
    header, rows, more = issue_table(sc)
    head = "".join(f"<th>{escape(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    lines = "<br>".join(escape(f.strip()) for f in facts(sc))
    rest = f"<p>... {more} more issues</p>" if more else ""
    return (
        f"<p><b>Scenario</b> <code>{escape(sc.id)}</code>: {escape(sc.title)}<br>"
        f"{lines}</p><table><caption>{ISSUE_TABLE_NOTE}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{rest}"
    )


def facts(sc: Scenario) -> list[str]:
    """Lines of counts: when, how, who, which moves and coalitions, what is uncertain."""
    roles = [(r, sc.roles.count(r)) for r in dict.fromkeys(sc.roles)]
    who = ", ".join(f"{n} {r}{'' if n == 1 else 's'}" for r, n in roles)
    negotiators = [a for a, r in zip(sc.actors, sc.roles, strict=True) if r == "negotiator"]
    when = f"as of {sc.date}; " if sc.date else ""
    moves = [f"{m.id} ({', '.join(m.actors)})" for m in sc.all_moves]
    return [
        f"  {when}{sc.protocol} protocol, {sc.rounds} rounds, {sc.loss} loss",
        f"  {len(sc.actors)} actors: {who}; negotiators {short_list(negotiators, 6)}",
        f"  {len(moves)} moves: {short_list(moves, 4)}" if moves else "  no moves",
        f"  {len(sc.coalitions)} coalitions, {len(sc.effective_uncertainty)} uncertain numbers",
    ]


def issue_table(sc: Scenario, most: int = 8) -> tuple[list[str], list[list[str]], int]:
    """Header and rows (issue, low, high, status quo, the first negotiators' ideal points)
    of at most ``most`` issues, and how many issues were left out."""
    seats = [k for k, r in enumerate(sc.roles) if r == "negotiator"][:4]
    header = ["issue", "low", "high", "status quo", *(clip(sc.actors[k], 12) for k in seats)]
    rows = [
        [clip(issue.id, 24), *(f"{v:.4g}" for v in (issue.low, issue.high, issue.status_quo))]
        + [f"{sc.positions[k, i]:.4g}" for k in seats]
        for i, issue in enumerate(sc.issue_specs[:most])
    ]
    return header, rows, max(len(sc.issue_specs) - most, 0)


def clip(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters, with an ellipsis when cut."""
    return text if len(text) <= most else text[: most - 1] + "…"


def short_list(items: Sequence[str], most: int) -> str:
    """The first ``most`` items joined, and how many more."""
    head = ", ".join(clip(x, 40) for x in items[:most])
    return head + (f", ... {len(items) - most} more" if len(items) > most else "")
