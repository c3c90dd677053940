"""Targets: the numbers of a scenario that a what-if or an uncertainty entry names.

A target is written ``ACTOR.FIELD``, ``ACTOR.FIELD.ISSUE`` or ``moves.MOVE.FIELD``
(e.g. ``Russia.salience.kosovo_status``, ``moves.us_deploys.cost``); :func:`parse_target`
turns it into indices, :func:`target_bounds` gives the range its values must stay in, and
:func:`estimate_defaults` spreads every number a file marks as an estimate ("E").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from negosim.model.elements import (
    MAX_POWER,
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
        if confidence_of(actor, "power", "") == "E":
            params = {"low": actor.power * (1 - spread / 100), "mode": actor.power}
            params["high"] = actor.power * (1 + spread / 100)
            if params["low"] > 0:
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
        return 1e-9, MAX_POWER
    if target.field == "move":
        if target.param == "to":
            issue = sc.issue_specs[target.issue]
            return issue.low, issue.high
        return (-1.0, 1.0) if target.param == "cost_rate" else (0.0, 1.0)
    return -math.inf, math.inf
