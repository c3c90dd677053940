"""The scenario: issues, actors, coalitions, moves and uncertainty, validated and immutable.

A :class:`Scenario` is built only through :meth:`Scenario.from_dict` (a mapping, checked by
:mod:`negosim.model.parse`) or :func:`negosim.io.load_scenario` (a TOML file): either the
whole scenario loads or one :class:`ScenarioError` names the source, the field path and the
problem. The format is documented in ``docs/scenario-format.md``. Its parts are the value
objects of :mod:`negosim.model.elements`; what-if editing is :mod:`negosim.model.editing`
and display :mod:`negosim.model.display`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np

from negosim.model import editing
from negosim.model.display import scenario_html, scenario_repr
from negosim.model.elements import (
    Actor,
    Coalition,
    Issue,
    Move,
    Target,
    Uncertainty,
    Update,
)
from negosim.model.parse import parse_scenario
from negosim.model.targets import estimate_defaults, index_of, move_confidence, parse_target


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated negotiation scenario.

    Build it with :func:`load_scenario` or :meth:`from_dict`. Attributes ``actors`` and
    ``issues`` are tuples of ids; the numeric tables are read-only numpy arrays with actors
    on the first axis and issues on the second.
    """

    id: str
    title: str
    date: date | None
    sources: tuple[str, ...]
    issue_specs: tuple[Issue, ...]
    actor_specs: tuple[Actor, ...]
    coalitions: tuple[Coalition, ...] = ()
    uncertainty: tuple[Uncertainty, ...] = ()
    updates: tuple[Update, ...] = ()
    moves: tuple[Move, ...] = ()
    protocol: str = "alternating"
    rounds: int = 100
    loss: str = "linear"
    estimate_spread: float = 0.0
    notes: str = ""
    ends: date | None = None
    start: float = 0.0
    made: tuple[str, ...] = ()
    origin: str = "<dict>"

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Scenario:
        """Validate a mapping (the parsed TOML document) and build the scenario.

        Raises
        ------
        ScenarioError
            On the first problem found, naming ``source`` and the field path.
        """
        return parse_scenario(data, source, cls)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a plain mapping that :meth:`from_dict` reads back unchanged."""
        return _to_dict(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.digest)

    # ------------------------------------------------------------------ ids and lookups
    @cached_property
    def actors(self) -> tuple[str, ...]:
        """Actor ids in file order."""
        return tuple(a.id for a in self.actor_specs)

    @cached_property
    def issues(self) -> tuple[str, ...]:
        """Issue ids in file order."""
        return tuple(i.id for i in self.issue_specs)

    @cached_property
    def _positions_of_ids(self) -> tuple[dict[str, int], dict[str, int]]:
        """Actor and issue ids to their positions, built once (a lookup is then one step,
        not a search: a scenario may have tens of thousands of actors)."""
        return {a: k for k, a in enumerate(self.actors)}, {i: k for k, i in enumerate(self.issues)}

    def actor(self, actor_id: str) -> Actor:
        """The actor with this id."""
        return self.actor_specs[self.actor_index(actor_id)]

    def issue(self, issue_id: str) -> Issue:
        """The issue with this id."""
        return self.issue_specs[self.issue_index(issue_id)]

    def actor_index(self, actor_id: str) -> int:
        """Position of an actor in :attr:`actors`; ``KeyError`` with a suggestion if unknown."""
        found = self._positions_of_ids[0].get(actor_id) if isinstance(actor_id, str) else None
        return index_of(actor_id, self.actors, "actor") if found is None else found

    def issue_index(self, issue_id: str) -> int:
        """Position of an issue in :attr:`issues`; ``KeyError`` with a suggestion if unknown."""
        found = self._positions_of_ids[1].get(issue_id) if isinstance(issue_id, str) else None
        return index_of(issue_id, self.issues, "issue") if found is None else found

    @property
    def digest(self) -> str:
        """A stable SHA-256 of the scenario content (for result stores and manifests)."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    # ------------------------------------------------------------------ arrays
    @cached_property
    def low(self) -> np.ndarray:
        """Lower end of each issue scale, shape (I,)."""
        return _frozen([i.low for i in self.issue_specs])

    @cached_property
    def high(self) -> np.ndarray:
        """Upper end of each issue scale, shape (I,)."""
        return _frozen([i.high for i in self.issue_specs])

    @cached_property
    def status_quo(self) -> np.ndarray:
        """Reversion point of each issue, shape (I,)."""
        return _frozen([i.status_quo for i in self.issue_specs])

    @cached_property
    def participation(self) -> np.ndarray:
        """True where an actor is party to an issue, shape (A, I)."""
        return _frozen([[i in a.salience for i in self.issues] for a in self.actor_specs], bool)

    @cached_property
    def positions(self) -> np.ndarray:
        """Ideal points, shape (A, I); the status quo where the actor is not party."""
        return _frozen(
            [
                [a.position.get(i.id, i.status_quo) for i in self.issue_specs]
                for a in self.actor_specs
            ]
        )

    @cached_property
    def salience(self) -> np.ndarray:
        """Salience 0..100, shape (A, I); 0 where the actor is not party."""
        return _frozen([[a.salience.get(i, 0.0) for i in self.issues] for a in self.actor_specs])

    @cached_property
    def power(self) -> np.ndarray:
        """Overall power (capability) of each actor, shape (A,)."""
        return _frozen([a.power for a in self.actor_specs])

    @cached_property
    def issue_power(self) -> np.ndarray:
        """Power on each issue, shape (A, I): ``power_by_issue`` where given, else ``power``."""
        return _frozen(
            [[a.power_by_issue.get(i, a.power) for i in self.issues] for a in self.actor_specs]
        )

    @cached_property
    def reservation(self) -> np.ndarray:
        """Declared reservation utilities, shape (A,); NaN where derived from the status quo."""
        return _frozen(
            [np.nan if a.reservation is None else a.reservation for a in self.actor_specs]
        )

    @cached_property
    def discount(self) -> np.ndarray:
        """Per-round discount factor of each actor, shape (A,); 1 where none is given."""
        return _frozen([1.0 if a.discount is None else a.discount for a in self.actor_specs])

    @cached_property
    def roles(self) -> tuple[str, ...]:
        """Role of each actor."""
        return tuple(a.role for a in self.actor_specs)

    def role_mask(self, role: str) -> np.ndarray:
        """Boolean mask over actors with this role."""
        return np.array([r == role for r in self.roles], dtype=bool)

    @cached_property
    def all_moves(self) -> tuple[Move, ...]:
        """The ``[[moves]]`` followed by the actors' exits written as moves (``exit_<actor>``)."""
        exits = tuple(
            Move(
                id=f"exit_{a.id}",
                actors=(a.id,),
                issue=a.exit.issue,
                to=self.issue(a.exit.issue).status_quo if a.exit.to is None else a.exit.to,
                cost=a.exit.cost,
                earliest=a.exit.at,
                ends_talks=True,
                label=a.exit.label,
                source=a.exit.source,
                confidence=move_confidence(a),
            )
            for a in self.actor_specs
            if a.exit is not None
        )
        return self.moves + exits

    def move_index(self, move_id: str) -> int:
        """Position of a move in :attr:`all_moves`; ``KeyError`` with a suggestion if unknown."""
        return index_of(move_id, [m.id for m in self.all_moves], "move")

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        """A short overview (the tables are attributes: ``positions``, ``salience``, ...).

        Examples
        --------
        >>> import negosim as ns
        >>> sc = ns.load_scenario("package_2007")
        >>> print(repr(sc).splitlines()[0])
        Scenario 'package_2007': The October 2007 package: missile defence, CFE and Kosovo status
        """
        return scenario_repr(self)

    def _repr_html_(self) -> str:
        return scenario_html(self)

    # ------------------------------------------------------------------ what-ifs
    def fix(self, target: str, value: Any) -> Scenario:
        """A copy with one number set and no longer uncertain (for what-if sweeps): its
        ``[[uncertainty]]`` entry is dropped and it no longer counts as an estimate."""
        return editing.fix(self, target, value)

    def as_of(self, when: date | str) -> Scenario:
        """The scenario as of ``when``: every ``[[updates]]`` entry dated on or before it
        applied (its numbers set, its moves made), and, when the scenario has an ``ends`` date,
        the talks continued from the share of the window elapsed by ``when`` (``start``)."""
        return editing.as_of(self, when)

    def restrict(self, issue_ids: Sequence[str]) -> Scenario:
        """The same scenario on a subset of its issues (e.g. one issue, to compare with the
        package). Actors party to none of them, coalitions that ratify none of them, exits on
        dropped issues and uncertainty about dropped numbers are left out."""
        return editing.restrict(self, issue_ids)

    def replace_value(self, target: str, value: Any) -> Scenario:
        """A copy with one number changed, e.g. ``replace_value("Russia.salience.cfe", 40)``.

        The copy is validated like a file. Raises ``ScenarioError`` naming ``target``.
        """
        return editing.replace_value(self, target, value)

    # ------------------------------------------------------------------ uncertainty
    def parse_target(self, target: str) -> Target:
        """Parse ``ACTOR.field[.ISSUE|.PARAM]`` into indices; ``KeyError`` if it names nothing."""
        return parse_target(self, target)

    @cached_property
    def effective_uncertainty(self) -> tuple[Uncertainty, ...]:
        """Explicit ``[[uncertainty]]`` entries plus the ``estimate_spread`` default for "E"
        numbers."""
        explicit = {u.target for u in self.uncertainty}
        defaults = [u for u in estimate_defaults(self) if u.target not in explicit]
        return self.uncertainty + tuple(defaults)

    def relative_time(self, when: date) -> float:
        """Relative time of a date in the negotiating window (0 at its opening, 1 at
        ``ends``); the scenario's own date is at :attr:`start`. Without ``date`` and ``ends``
        the clock does not follow dates: :attr:`start`."""
        if self.date is None or self.ends is None:
            return self.start
        left = (self.ends - self.date).days
        if left <= 0 or self.start >= 1:
            return 1.0 if when >= self.date else self.start
        opened = self.start / (1 - self.start) * left
        return float(np.clip((opened + (when - self.date).days) / (opened + left), 0.0, 1.0))


def _frozen(values: Any, dtype: Any = float) -> np.ndarray:
    arr = np.array(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


# ----------------------------------------------------------------------------- serialising


def _to_dict(sc: Scenario) -> dict[str, Any]:
    head: dict[str, Any] = {
        "id": sc.id,
        "title": sc.title,
        "sources": list(sc.sources),
        "protocol": sc.protocol,
        "rounds": sc.rounds,
        "loss": sc.loss,
        "estimate_spread": sc.estimate_spread,
        "notes": sc.notes,
    }
    if sc.date is not None:
        head["date"] = sc.date
    if sc.ends is not None:
        head["ends"] = sc.ends
    if sc.start:
        head["start"] = sc.start
    if sc.made:
        head["made"] = list(sc.made)
    issues = [
        {
            "id": i.id,
            "label": i.label,
            "scale": [i.low, i.high],
            "status_quo": i.status_quo,
            "anchors": [{"value": a.value, "label": a.label} for a in i.anchors],
            "quote": i.quote,
            "source": i.source,
            "unit": i.unit,
        }
        for i in sc.issue_specs
    ]
    return {
        "scenario": head,
        "issues": issues,
        "actors": [_actor_dict(a) for a in sc.actor_specs],
        "coalitions": [_coalition_dict(c) for c in sc.coalitions],
        "moves": [_move_dict(m) for m in sc.moves],
        "uncertainty": [{"target": u.target, "dist": u.dist, **u.params} for u in sc.uncertainty],
        "updates": [_update_dict(u) for u in sc.updates],
    }


def _update_dict(u: Update) -> dict[str, Any]:
    out: dict[str, Any] = {"date": u.date, "set": dict(u.changes), "source": u.source}
    out["note"] = u.note
    if u.made:
        out["made"] = list(u.made)
    return out


def _move_dict(m: Move) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.id, "actors": list(m.actors), "issue": m.issue, "to": m.to}
    out.update(needs=list(m.needs), cost=m.cost, earliest=m.earliest, latest=m.latest)
    out.update(ends_talks=m.ends_talks, label=m.label, quote=m.quote, source=m.source)
    if m.cost_rate:
        out["cost_rate"] = m.cost_rate
    if m.after:
        out["after"] = m.after
    out["confidence"] = dict(m.confidence)
    return out


def _actor_dict(a: Actor) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "name": a.name,
        "role": a.role,
        "power": a.power,
        "position": dict(a.position),
        "salience": dict(a.salience),
        "power_by_issue": dict(a.power_by_issue),
        "confidence": _plain(a.confidence),
        "sources": _plain(a.sources),
    }
    if a.reservation is not None:
        out["reservation"] = a.reservation
    if a.discount is not None:
        out["discount"] = a.discount
    if a.exit is not None:
        out["exit"] = {
            "issue": a.exit.issue,
            "at": a.exit.at,
            "label": a.exit.label,
            "source": a.exit.source,
            "cost": a.exit.cost,
        }
        if a.exit.to is not None:
            out["exit"]["to"] = a.exit.to
    if a.strategy is not None:
        out["strategy"] = {"name": a.strategy.name, **a.strategy.params}
    return out


def _coalition_dict(c: Coalition) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "members": list(c.members),
        "ratifies": list(c.ratifies),
        "rule": c.rule,
        "source": c.source,
    }
    if c.threshold is not None:
        out["threshold"] = c.threshold
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value
