"""What-if editing of a scenario: a copy with one number set, fixed, restricted or dated.

Each function edits the scenario's mapping (:meth:`Scenario.to_dict`) and builds the copy with
:meth:`Scenario.from_dict`, so that an edited scenario is validated exactly like a file and
an error names the target that was edited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from negosim.model.elements import Target
from negosim.model.errors import ArgumentError, ScenarioError, known_ids
from negosim.model.targets import parse_target

if TYPE_CHECKING:  # annotations only: the scenario module imports this one
    from negosim.model.scenario import Scenario


def fix(sc: Scenario, target: str, value: Any) -> Scenario:
    """A copy with one number set and no longer uncertain (for what-if sweeps): its
    ``[[uncertainty]]`` entry is dropped (as by :func:`replace_value`) and it no longer counts
    as an estimate."""
    changed = sc.replace_value(target, value)
    data = changed.to_dict()
    t = changed.parse_target(target)
    if t.field == "move" and t.move < len(sc.moves):
        data["moves"][t.move]["confidence"][t.param] = "A"
    elif t.field == "move":  # an exit: its confidence code is its actor's "exit" code
        actor = data["actors"][sc.actor_index(sc.all_moves[t.move].actors[0])]
        actor["confidence"] = _confidence_table(actor)
        actor["confidence"]["exit"] = "A"
    elif t.field in ("position", "salience", "power"):
        actor = data["actors"][t.actor]
        conf = _confidence_table(actor)
        if t.field == "power":
            conf["power"] = "A"
        else:
            table = conf.get(t.field, "")
            if isinstance(table, str):  # one code for every issue, or none given
                table = dict.fromkeys(actor[t.field], table) if table else {}
            table[sc.issues[t.issue]] = "A"
            conf[t.field] = table
        actor["confidence"] = conf
    return sc.from_dict(data, source=f"{sc.origin} with {target} fixed at {value!r}")


def as_of(sc: Scenario, when: date | str) -> Scenario:
    """The scenario as of ``when``: every ``[[updates]]`` entry dated on or before it
    applied (its numbers set, its moves made), and, when the scenario has an ``ends`` date,
    the talks continued from the share of the window elapsed by ``when`` (``start``).

    An update that sets a number with an ``[[uncertainty]]`` entry sets it for certain from
    its date on: the entry is dropped (:func:`replace_value`). ``when`` is a day: a
    ``datetime.date``, an ISO 8601 date string, or a moment (``datetime``,
    ``pandas.Timestamp``, ``numpy.datetime64``, an ISO date-time string) taken as its day.
    """
    when = day(when, "as_of")
    out, made = sc, list(sc.made)
    for update in sorted(sc.updates, key=lambda u: u.date):
        if update.date <= when:
            for target, value in update.changes.items():
                out = out.replace_value(target, value)
            made += [m for m in update.made if m not in made]
    data = out.to_dict()
    data["updates"] = [u for u in data["updates"] if date.fromisoformat(str(u["date"])) > when]
    data["scenario"]["made"] = made
    if sc.date is not None and when > sc.date:
        data["scenario"]["date"] = min(when, sc.ends or when)
        data["scenario"]["start"] = sc.relative_time(when)
    return sc.from_dict(data, source=f"{sc.origin} as of {when}")


def day(when: Any, name: str = "when") -> date:
    """The day of ``when``: a date, a moment (``datetime``, ``pandas.Timestamp``,
    ``numpy.datetime64``) or an ISO 8601 date or date-time string.

    Raises
    ------
    ArgumentError
        Naming ``name``, for anything else (a number, an unreadable string, NaT).

    Examples
    --------
    >>> day("2007-12-01T10:30"), day(date(2007, 12, 1))
    (datetime.date(2007, 12, 1), datetime.date(2007, 12, 1))
    """
    if isinstance(when, np.datetime64) and not np.isnat(when):
        moment = when
        when = when.astype("datetime64[D]").item()
        if not isinstance(when, date):  # an int (days since 1970): beyond a date's years
            raise ArgumentError(name, f"must be a date in the years 1..9999, got {moment}")
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.strip())
        except ValueError:
            raise ArgumentError(name, f"must be a date like 2007-10-19, got {when!r}") from None
    if isinstance(when, datetime):
        when = when.date()  # NaT is a datetime whose date() raises ValueError
    if isinstance(when, date) and not isinstance(when, datetime):
        return when
    raise ArgumentError(name, f"must be a date like 2007-10-19, got {when!r}")


def restrict(sc: Scenario, issue_ids: Sequence[str]) -> Scenario:
    """The same scenario on a subset of its issues (e.g. one issue, to compare with the
    package). Actors party to none of them, coalitions that ratify none of them, exits on
    dropped issues and uncertainty about dropped numbers are left out."""
    keep = _issue_ids(sc, issue_ids)
    data = sc.to_dict()
    data["scenario"]["id"] = f"{sc.id}__{'_'.join(keep)}"
    data["issues"] = [i for i in data["issues"] if i["id"] in keep]
    actors = []
    for actor in data["actors"]:
        dropped = set(sc.issues) - set(keep)
        for fld in ("position", "salience", "power_by_issue"):
            actor[fld] = {k: v for k, v in actor[fld].items() if k in keep}
        for fld in ("confidence", "sources"):
            if isinstance(actor[fld], dict):
                actor[fld] = {
                    k: {i: c for i, c in v.items() if i not in dropped}
                    if isinstance(v, dict)
                    else v
                    for k, v in actor[fld].items()
                }
        if not any(actor["salience"].values()):
            continue
        if actor.get("exit", {}).get("issue", keep[0]) not in keep:
            del actor["exit"]
        actors.append(actor)
    data["actors"] = actors
    present = {a["id"] for a in actors}
    data["moves"] = [m for m in data["moves"] if m["issue"] in keep and set(m["actors"]) <= present]
    coalitions = []
    for c in data["coalitions"]:
        c["ratifies"] = [i for i in c["ratifies"] if i in keep]
        c["members"] = [m for m in c["members"] if m in present]
        if c["ratifies"] and c["members"]:
            coalitions.append(c)
    data["coalitions"] = coalitions
    known = present | {c["id"] for c in coalitions}
    for m in data["moves"]:
        m["needs"] = [n for n in m["needs"] if n in known]
    moves = {m["id"] for m in data["moves"]} | {f"exit_{a['id']}" for a in actors if "exit" in a}
    data["scenario"]["made"] = [m for m in data["scenario"].get("made", []) if m in moves]
    skeleton = sc.from_dict({**data, "uncertainty": [], "updates": []})

    def names_something(target: str) -> bool:
        try:
            parse_target(skeleton, target)
        except KeyError:
            return False
        return True

    data["uncertainty"] = [u for u in data["uncertainty"] if names_something(u["target"])]
    updates = []
    for u in data["updates"]:
        u["set"] = {t: v for t, v in u["set"].items() if names_something(t)}
        u["made"] = [m for m in u.get("made", []) if m in moves]
        if u["set"] or u["made"]:
            updates.append(u)
    data["updates"] = updates
    return sc.from_dict(data, source=f"{sc.origin} restricted to {', '.join(keep)}")


def _issue_ids(sc: Scenario, issue_ids: Any, name: str = "issue_ids") -> list[str]:
    """Issue ids of ``sc`` to keep: a non-empty sequence of known ids, each once.

    Raises
    ------
    ArgumentError
        Naming ``name`` (an :class:`UnknownNameError`, also a ``KeyError``, for an id the
        scenario does not have).
    """
    keep = known_ids(issue_ids, name, sc.issues, "issue")
    if not keep:
        raise ArgumentError(name, "needs at least one issue id")
    if len(set(keep)) != len(keep):
        raise ArgumentError(name, f"names an issue twice: {keep}")
    return keep


def replace_value(sc: Scenario, target: str, value: Any) -> Scenario:
    """A copy with one number changed, e.g. ``replace_value("Russia.salience.cfe", 40)``.

    The number is then certain: its ``[[uncertainty]]`` entry, if any, is dropped (else the
    sampled values would silently override the one set). The copy is validated like a file.
    Raises ``ScenarioError`` naming ``target``.
    """
    data = sc.to_dict()
    try:
        t = sc.parse_target(target)
    except KeyError as exc:
        raise ScenarioError(str(exc.args[0]), source=sc.origin, path=target) from None
    # a number that is set is that number: an [[uncertainty]] entry would override it
    data["uncertainty"] = [u for u in data["uncertainty"] if u["target"] != target]
    if t.field == "move":
        return _replace_move_value(sc, data, t, value, target)
    actor = data["actors"][t.actor]
    issue = sc.issues[t.issue] if t.issue >= 0 else ""
    if t.field in ("position", "salience", "power_by_issue"):
        actor.setdefault(t.field, {})[issue] = value
    elif t.field == "strategy":
        spec = actor.get("strategy")
        if not isinstance(spec, dict):
            raise ScenarioError("the actor has no strategy table", source=sc.origin, path=target)
        spec[t.param] = value
    else:
        actor[t.field] = value
    return sc.from_dict(data, source=f"{sc.origin} with {target}={value!r}")


def _replace_move_value(sc: Scenario, data: dict, t: Target, value: Any, target: str) -> Scenario:
    move = sc.all_moves[t.move]
    if t.move < len(sc.moves):
        data["moves"][t.move][t.param] = value
    else:  # an exit: its window opens at ``at``; its latest end is always 1
        if t.param == "latest":
            raise ScenarioError("an exit's window always ends at 1", path=target)
        exit_table = data["actors"][sc.actor_index(move.actors[0])]["exit"]
        exit_table[{"earliest": "at"}.get(t.param, t.param)] = value
    return sc.from_dict(data, source=f"{sc.origin} with {target}={value!r}")


def _confidence_table(actor: Mapping[str, Any]) -> dict[str, Any]:
    """An actor's confidence codes as a table (a single code applies to every number)."""
    conf = actor.get("confidence") or {}
    if isinstance(conf, str):
        return dict.fromkeys(("power", "position", "salience", "exit"), conf)
    return dict(conf)
