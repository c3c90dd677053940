"""Targets: the numbers of a scenario that a what-if or an uncertainty entry names.

A target is written ``ACTOR.FIELD``, ``ACTOR.FIELD.ISSUE`` or ``moves.MOVE.FIELD``
(e.g. ``Russia.salience.kosovo_status``, ``moves.us_deploys.cost``); :func:`parse_target`
turns it into indices, :func:`target_bounds` gives the range its values must stay in, and
:func:`estimate_defaults` spreads every number a file marks as an estimate ("E").
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from negosim.model.elements import (
    MAX_POWER,
    MIN_POWER,
    MOVE_FIELDS,
    MOVES_PREFIX,
    SALIENCE_RANGE,
    Actor,
    Target,
    Uncertainty,
)
from negosim.model.errors import suggest

if TYPE_CHECKING:  # annotations only: the scenario module imports this one
    from negosim.model.scenario import Scenario


RESERVED_ID_CHARACTERS = ".="
"""Characters no id may contain: a target joins ids with "." (``Russia.salience.cfe``), and
the command line's ``--set``, ``--param`` and ``--strategy`` join a target or an actor to its
value with "=" (``Russia.salience.cfe=40``)."""

_IGNORABLE = {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10)}
_IGNORABLE |= set(range(0xE0100, 0xE01F0))
"""Characters that show nothing though Unicode does not class them as format characters
(the combining grapheme joiner, the Hangul fillers, variation selectors)."""


def invisible(char: str) -> bool:
    """Whether a character shows nothing or cannot be told from a space: control and format
    characters (zero-width spaces and joiners, direction marks, the byte order mark), line and
    paragraph separators, surrogates, spaces other than the plain one, and the few other
    characters that show nothing (:data:`_IGNORABLE`)."""
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Zl", "Zp") or ord(char) in _IGNORABLE:
        return True
    return category == "Zs" and char != " "


def id_problem(ident: str) -> str:
    """Why a string cannot be an id ("" if it can): surrounding spaces, a character the
    target syntax uses (:data:`RESERVED_ID_CHARACTERS`) or one that cannot be seen
    (:func:`invisible`: two ids that look the same must be the same id).

    Examples
    --------
    >>> id_problem("Russia"), id_problem("Côte d'Ivoire")
    ('', '')
    >>> id_problem("a=b").split(" (")[0]
    "id 'a=b' must not contain '='"
    >>> id_problem("US\\u200b").split(":")[0]
    "id 'US\\\\u200b' contains the invisible character U+200B (ZERO WIDTH SPACE)"
    """
    if ident != ident.strip():
        return f"id {ident!r} must not have surrounding spaces"
    for char in ident:
        if char in RESERVED_ID_CHARACTERS:
            return (
                f"id {ident!r} must not contain {char!r} (targets join ids with '.', and --set, "
                "--param and --strategy join them to values with '=')"
            )
        if invisible(char):
            name = unicodedata.name(char, "a control character")
            return (
                f"id {ident!r} contains the invisible character U+{ord(char):04X} ({name}): "
                "write ids with visible characters"
            )
    return ""


def index_of(key: str, keys: Sequence[str], kind: str) -> int:
    try:
        return list(keys).index(key)
    except ValueError:
        raise KeyError(f"unknown {kind} {key!r}{suggest(key, keys)}") from None


def parse_target(sc: Scenario, target: str) -> Target:
    parts = target.split(".") if isinstance(target, str) else []
    if len(parts) not in (2, 3):
        raise KeyError(
            f"target {target!r} is not of the form ACTOR.FIELD, ACTOR.FIELD.ISSUE or "
            "moves.MOVE.FIELD (fields: position, salience, power, reservation, strategy)"
        )
    if parts[0] == MOVES_PREFIX:
        if len(parts) != 3 or parts[2] not in MOVE_FIELDS:
            raise KeyError(
                f"a move target is moves.MOVE.FIELD with FIELD one of {', '.join(MOVE_FIELDS)}"
                f", got {target!r}"
            )
        index = sc.move_index(parts[1])
        issue = sc.issue_index(sc.all_moves[index].issue)
        return Target(-1, "move", issue=issue, param=parts[2], move=index)
    actor = index_of(parts[0], sc.actors, "actor")
    name = parts[1]
    spec = sc.actor_specs[actor]
    if name in ("position", "salience") and len(parts) == 3:
        issue = index_of(parts[2], sc.issues, "issue")
        if parts[2] not in spec.salience:
            raise KeyError(f"actor {parts[0]!r} is not party to issue {parts[2]!r}")
        return Target(actor, name, issue)
    if name == "power":
        if len(parts) == 2:
            return Target(actor, "power")
        return Target(actor, "power_by_issue", index_of(parts[2], sc.issues, "issue"))
    if name == "reservation" and len(parts) == 2:
        return Target(actor, "reservation")
    if name == "strategy" and len(parts) == 3:
        if spec.strategy is None or parts[2] not in spec.strategy.params:
            raise KeyError(f"actor {parts[0]!r} has no strategy parameter {parts[2]!r}")
        return Target(actor, "strategy", param=parts[2])
    fields = ("position", "salience", "power", "reservation", "strategy")
    raise KeyError(f"unknown target field {name!r}{suggest(name, fields)} in {target!r}")


def estimate_defaults(sc: Scenario) -> list[Uncertainty]:
    """Triangular spreads around every number marked "E" (positions and saliences)."""
    spread = sc.estimate_spread
    if spread <= 0:
        return []
    out = []
    for actor in sc.actor_specs:
        for fld in ("position", "salience"):
            for issue_id, value in getattr(actor, fld).items():
                if confidence_of(actor, fld, issue_id) != "E":
                    continue
                if fld == "position":
                    issue = sc.issue(issue_id)
                    lo, hi, width = issue.low, issue.high, spread * (issue.high - issue.low) / 100
                else:
                    lo, hi, width = *SALIENCE_RANGE, spread
                low, high = max(lo, value - width), min(hi, value + width)
                if high > low:
                    params = {"low": low, "mode": value, "high": high}
                    out.append(Uncertainty(f"{actor.id}.{fld}.{issue_id}", "triangular", params))
        if confidence_of(actor, "power", "") == "E":  # within the bounds of a power
            low = max(MIN_POWER, actor.power * (1 - spread / 100))
            high = min(MAX_POWER, actor.power * (1 + spread / 100))
            if high > low:
                params = {"low": low, "mode": actor.power, "high": high}
                out.append(Uncertainty(f"{actor.id}.power", "triangular", params))
    for move in sc.all_moves:
        for fld in MOVE_FIELDS:
            if move.confidence.get(fld) != "E":
                continue
            value = getattr(move, fld)
            if fld == "to":
                issue = sc.issue(move.issue)
                lo, hi, width = issue.low, issue.high, spread * (issue.high - issue.low) / 100
            else:
                lo, hi = (-1.0, 1.0) if fld == "cost_rate" else (0.0, 1.0)
                width = spread / 100
            low, high = max(lo, value - width), min(hi, value + width)
            if high > low:
                params = {"low": low, "mode": value, "high": high}
                out.append(Uncertainty(f"{MOVES_PREFIX}.{move.id}.{fld}", "triangular", params))
    return out


def move_confidence(actor: Actor) -> dict[str, str]:
    """An exit's confidence code (``confidence.exit``) as the confidence of its move's window."""
    code = actor.confidence if isinstance(actor.confidence, str) else actor.confidence.get("exit")
    return {"earliest": code} if isinstance(code, str) and code else {}


def confidence_of(actor: Actor, fld: str, issue_id: str) -> str:
    conf = actor.confidence
    if isinstance(conf, str):
        return conf
    value = conf.get(fld, "")
    return value if isinstance(value, str) else value.get(issue_id, "")


def target_bounds(sc: Scenario, target: Target) -> tuple[float, float]:
    """The range a sampled value of this target must stay in."""
    if target.field == "position":
        issue = sc.issue_specs[target.issue]
        return issue.low, issue.high
    if target.field == "salience":
        return SALIENCE_RANGE
    if target.field == "reservation":
        return 0.0, 1.0
    if target.field in ("power", "power_by_issue"):
        return MIN_POWER, MAX_POWER
    if target.field == "move":
        if target.param == "to":
            issue = sc.issue_specs[target.issue]
            return issue.low, issue.high
        return (-1.0, 1.0) if target.param == "cost_rate" else (0.0, 1.0)
    return -math.inf, math.inf
