"""Scenarios: issues, actors, coalitions and uncertainty, read from TOML and validated.

A :class:`Scenario` is immutable. It is built only through :func:`load_scenario` or
:meth:`Scenario.from_dict`, which validate everything first: either the whole scenario
loads or one :class:`ScenarioError` names the file, the field path and the problem.
The file format is documented in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from negosim.validation import check_protocol, suggest

ROLES = ("negotiator", "ratifier", "mediator")
RULES = ("unanimity", "majority", "qualified")
LOSSES = ("linear", "quadratic")
CONFIDENCE_CODES = ("A", "E")
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "choice": ("values",),
}
DISTRIBUTION_OPTIONAL = {"choice": ("weights",)}
SALIENCE_RANGE = (0.0, 100.0)
MAX_SCALE = 1e9
"""Issue scales stay within +-MAX_SCALE, so that utilities keep full precision."""
NEEDS_NEGOTIATORS = ("alternating", "mediated", "nash", "kalai_smorodinsky", "utilitarian")
"""Protocols that are played by negotiators (the others forecast from every actor)."""


class ScenarioError(ValueError):
    """Invalid scenario input; the message names the source, the field path and the problem."""

    def __init__(self, problem: str, *, source: str = "<dict>", path: str = "") -> None:
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}")


# ----------------------------------------------------------------------------- value objects


@dataclass(frozen=True, slots=True)
class Anchor:
    """A labelled point on an issue scale."""

    value: float
    label: str


@dataclass(frozen=True, slots=True)
class Issue:
    """One negotiated issue: a policy scale with a status quo (the reversion point)."""

    id: str
    label: str
    low: float
    high: float
    status_quo: float
    anchors: tuple[Anchor, ...] = ()
    quote: str = ""
    source: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Exit:
    """An outside option that ends the talks: shorthand for a :class:`Move` of one actor on
    ``issue`` (to ``to``, default the status quo) with ``ends_talks`` and window ``[at, 1]``."""

    issue: str
    at: float
    label: str = ""
    source: str = ""
    to: float | None = None
    cost: float = 0.0


@dataclass(frozen=True, slots=True)
class Move:
    """A unilateral move: its movers settle one issue at ``to`` without an agreement.

    A move needs the consent of ``needs`` (actor or coalition ids), costs each mover ``cost``
    utility and can be made while relative time is in ``[earliest, latest]``. A move with
    ``ends_talks`` ends the whole negotiation (an exit). ``docs/protocols.md`` states when a
    mover makes it.
    """

    id: str
    actors: tuple[str, ...]
    issue: str
    to: float
    needs: tuple[str, ...] = ()
    cost: float = 0.0
    earliest: float = 0.0
    latest: float = 1.0
    ends_talks: bool = False
    label: str = ""
    quote: str = ""
    source: str = ""
    confidence: Mapping[str, str] = field(default_factory=dict)


ISSUE_TABLE_NOTE = "issue scales, status quo and the negotiators' ideal points"
"""Caption of the issue table in a scenario's display."""

MOVE_FIELDS = ("to", "cost", "earliest", "latest")
"""Numbers of a move that uncertainty entries and updates can target (``moves.ID.FIELD``)."""

MOVES_PREFIX = "moves"
"""First part of a move target; reserved, so no actor may have this id."""


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """A strategy named in a scenario file, with its parameters."""

    name: str
    params: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Actor:
    """A state or organisation at the table."""

    id: str
    name: str
    power: float
    position: Mapping[str, float]
    salience: Mapping[str, float]
    role: str = "negotiator"
    power_by_issue: Mapping[str, float] = field(default_factory=dict)
    reservation: float | None = None
    exit: Exit | None = None
    strategy: StrategySpec | None = None
    discount: float | None = None
    confidence: Mapping[str, Any] = field(default_factory=dict)
    sources: Any = ""


@dataclass(frozen=True, slots=True)
class Coalition:
    """A group whose consent an agreement needs on the issues it ratifies."""

    id: str
    members: tuple[str, ...]
    ratifies: tuple[str, ...]
    rule: str = "unanimity"
    threshold: float | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """A distribution over one scenario number, for Monte Carlo."""

    target: str
    dist: str
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Update:
    """A dated change of scenario numbers ("daily-updated analyses")."""

    date: date
    changes: Mapping[str, Any]
    source: str = ""
    note: str = ""
    made: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed uncertainty target such as ``Russia.salience.kosovo_status``."""

    actor: int
    field: str  # position | salience | power | power_by_issue | reservation | strategy | move
    issue: int = -1
    param: str = ""  # strategy parameter, or the move's field (to, cost, earliest, latest)
    move: int = -1


# ----------------------------------------------------------------------------- scenario


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
        return _Parser(source).scenario(data)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a plain mapping that :meth:`from_dict` reads back unchanged."""
        return _to_dict(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.digest)

    # ------------------------------------------------------------------ ids and lookups
    @property
    def actors(self) -> tuple[str, ...]:
        """Actor ids in file order."""
        return tuple(a.id for a in self.actor_specs)

    @property
    def issues(self) -> tuple[str, ...]:
        """Issue ids in file order."""
        return tuple(i.id for i in self.issue_specs)

    def actor(self, actor_id: str) -> Actor:
        """The actor with this id."""
        return self.actor_specs[self.actor_index(actor_id)]

    def issue(self, issue_id: str) -> Issue:
        """The issue with this id."""
        return self.issue_specs[self.issue_index(issue_id)]

    def actor_index(self, actor_id: str) -> int:
        """Position of an actor in :attr:`actors`; ``KeyError`` with a suggestion if unknown."""
        return _index_of(actor_id, self.actors, "actor")

    def issue_index(self, issue_id: str) -> int:
        """Position of an issue in :attr:`issues`; ``KeyError`` with a suggestion if unknown."""
        return _index_of(issue_id, self.issues, "issue")

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
                confidence=_move_confidence(a),
            )
            for a in self.actor_specs
            if a.exit is not None
        )
        return self.moves + exits

    def move_index(self, move_id: str) -> int:
        """Position of a move in :attr:`all_moves`; ``KeyError`` with a suggestion if unknown."""
        return _index_of(move_id, [m.id for m in self.all_moves], "move")

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        """A short overview (the tables are attributes: ``positions``, ``salience``, ...).

        Examples
        --------
        >>> sc = load_scenario("package_2007")
        >>> print(repr(sc).splitlines()[0])
        Scenario 'package_2007': The October 2007 package: missile defence, CFE and Kosovo status
        """
        header, rows, more = self._issue_table()
        widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

        def line(row: list[str]) -> str:
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            return "    " + "  ".join(cells)

        return "\n".join(
            [
                f"Scenario {_clip(self.id, 40)!r}: {_clip(self.title, 100)}",
                *self._facts(),
                f"  {ISSUE_TABLE_NOTE}:",
                *map(line, [header, *rows]),
                *([f"    ... {more} more issues"] if more else []),
            ]
        )

    def _repr_html_(self) -> str:
        header, rows, more = self._issue_table()
        head = "".join(f"<th>{escape(c)}</th>" for c in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        facts = "<br>".join(escape(f.strip()) for f in self._facts())
        rest = f"<p>... {more} more issues</p>" if more else ""
        return (
            f"<p><b>Scenario</b> <code>{escape(self.id)}</code>: {escape(self.title)}<br>"
            f"{facts}</p><table><caption>{ISSUE_TABLE_NOTE}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{rest}"
        )

    def _facts(self) -> list[str]:
        """Lines of counts: when, how, who, which moves and coalitions, what is uncertain."""
        roles = [(r, self.roles.count(r)) for r in dict.fromkeys(self.roles)]
        who = ", ".join(f"{n} {r}{'' if n == 1 else 's'}" for r, n in roles)
        negotiators = [a for a, r in zip(self.actors, self.roles, strict=True) if r == "negotiator"]
        when = f"as of {self.date}; " if self.date else ""
        moves = [f"{m.id} ({', '.join(m.actors)})" for m in self.all_moves]
        return [
            f"  {when}{self.protocol} protocol, {self.rounds} rounds, {self.loss} loss",
            f"  {len(self.actors)} actors: {who}; negotiators {_short_list(negotiators, 6)}",
            f"  {len(moves)} moves: {_short_list(moves, 4)}" if moves else "  no moves",
            f"  {len(self.coalitions)} coalitions, "
            f"{len(self.effective_uncertainty)} uncertain numbers",
        ]

    def _issue_table(self, most: int = 8) -> tuple[list[str], list[list[str]], int]:
        """Header and rows (issue, low, high, status quo, the first negotiators' ideal points)
        of at most ``most`` issues, and how many issues were left out."""
        seats = [k for k, r in enumerate(self.roles) if r == "negotiator"][:4]
        header = ["issue", "low", "high", "status quo", *(_clip(self.actors[k], 12) for k in seats)]
        rows = [
            [_clip(issue.id, 24), *(f"{v:.4g}" for v in (issue.low, issue.high, issue.status_quo))]
            + [f"{self.positions[k, i]:.4g}" for k in seats]
            for i, issue in enumerate(self.issue_specs[:most])
        ]
        return header, rows, max(len(self.issue_specs) - most, 0)

    # ------------------------------------------------------------------ uncertainty
    def parse_target(self, target: str) -> Target:
        """Parse ``ACTOR.field[.ISSUE|.PARAM]`` into indices; ``KeyError`` if it names nothing."""
        return _parse_target(self, target)

    @cached_property
    def effective_uncertainty(self) -> tuple[Uncertainty, ...]:
        """Explicit ``[[uncertainty]]`` entries plus the ``estimate_spread`` default for "E"
        numbers."""
        explicit = {u.target for u in self.uncertainty}
        defaults = [u for u in _estimate_defaults(self) if u.target not in explicit]
        return self.uncertainty + tuple(defaults)

    def fix(self, target: str, value: Any) -> Scenario:
        """A copy with one number set and no longer uncertain (for what-if sweeps): its
        ``[[uncertainty]]`` entry is dropped and it no longer counts as an estimate."""
        changed = self.replace_value(target, value)
        data = changed.to_dict()
        data["uncertainty"] = [u for u in data["uncertainty"] if u["target"] != target]
        t = changed.parse_target(target)
        if t.field == "move" and t.move < len(self.moves):
            data["moves"][t.move]["confidence"][t.param] = "A"
        elif t.field == "move":  # an exit: its confidence code is its actor's "exit" code
            actor = data["actors"][self.actor_index(self.all_moves[t.move].actors[0])]
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
                table[self.issues[t.issue]] = "A"
                conf[t.field] = table
            actor["confidence"] = conf
        return Scenario.from_dict(data, source=f"{self.origin} with {target} fixed at {value!r}")

    def as_of(self, when: date | str) -> Scenario:
        """The scenario as of ``when``: every ``[[updates]]`` entry dated on or before it
        applied (its numbers set, its moves made), and, when the scenario has an ``ends`` date,
        the talks continued from the share of the window elapsed by ``when`` (``start``)."""
        when = date.fromisoformat(when) if isinstance(when, str) else when
        out, made = self, list(self.made)
        for update in sorted(self.updates, key=lambda u: u.date):
            if update.date <= when:
                for target, value in update.changes.items():
                    out = out.replace_value(target, value)
                made += [m for m in update.made if m not in made]
        data = out.to_dict()
        data["updates"] = [u for u in data["updates"] if date.fromisoformat(str(u["date"])) > when]
        data["scenario"]["made"] = made
        if self.date is not None and when > self.date:
            data["scenario"]["date"] = min(when, self.ends or when)
            data["scenario"]["start"] = self.relative_time(when)
        return Scenario.from_dict(data, source=f"{self.origin} as of {when}")

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

    def restrict(self, issue_ids: Sequence[str]) -> Scenario:
        """The same scenario on a subset of its issues (e.g. one issue, to compare with the
        package). Actors party to none of them, coalitions that ratify none of them, exits on
        dropped issues and uncertainty about dropped numbers are left out."""
        keep = [self.issue(i).id for i in issue_ids]
        data = self.to_dict()
        data["scenario"]["id"] = f"{self.id}__{'_'.join(keep)}"
        data["issues"] = [i for i in data["issues"] if i["id"] in keep]
        actors = []
        for actor in data["actors"]:
            dropped = set(self.issues) - set(keep)
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
        data["moves"] = [
            m for m in data["moves"] if m["issue"] in keep and set(m["actors"]) <= present
        ]
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
        moves = {m["id"] for m in data["moves"]} | {
            f"exit_{a['id']}" for a in actors if "exit" in a
        }
        data["scenario"]["made"] = [m for m in data["scenario"].get("made", []) if m in moves]
        skeleton = Scenario.from_dict({**data, "uncertainty": [], "updates": []})

        def names_something(target: str) -> bool:
            try:
                _parse_target(skeleton, target)
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
        return Scenario.from_dict(data, source=f"{self.origin} restricted to {', '.join(keep)}")

    def replace_value(self, target: str, value: Any) -> Scenario:
        """A copy with one number changed, e.g. ``replace_value("Russia.salience.cfe", 40)``.

        The copy is validated like a file. Raises ``ScenarioError`` naming ``target``.
        """
        data = self.to_dict()
        try:
            t = self.parse_target(target)
        except KeyError as exc:
            raise ScenarioError(str(exc.args[0]), source=self.origin, path=target) from None
        if t.field == "move":
            return self._replace_move_value(data, t, value, target)
        actor = data["actors"][t.actor]
        issue = self.issues[t.issue] if t.issue >= 0 else ""
        if t.field in ("position", "salience", "power_by_issue"):
            actor.setdefault(t.field, {})[issue] = value
        elif t.field == "strategy":
            spec = actor.get("strategy")
            if not isinstance(spec, dict):
                raise ScenarioError(
                    "the actor has no strategy table", source=self.origin, path=target
                )
            spec[t.param] = value
        else:
            actor[t.field] = value
        return Scenario.from_dict(data, source=f"{self.origin} with {target}={value!r}")

    def _replace_move_value(self, data: dict, t: Target, value: Any, target: str) -> Scenario:
        move = self.all_moves[t.move]
        if t.move < len(self.moves):
            data["moves"][t.move][t.param] = value
        else:  # an exit: its window opens at ``at``; its latest end is always 1
            if t.param == "latest":
                raise ScenarioError("an exit's window always ends at 1", path=target)
            exit_table = data["actors"][self.actor_index(move.actors[0])]["exit"]
            exit_table[{"earliest": "at"}.get(t.param, t.param)] = value
        return Scenario.from_dict(data, source=f"{self.origin} with {target}={value!r}")


def _confidence_table(actor: Mapping[str, Any]) -> dict[str, Any]:
    """An actor's confidence codes as a table (a single code applies to every number)."""
    conf = actor.get("confidence") or {}
    if isinstance(conf, str):
        return dict.fromkeys(("power", "position", "salience", "exit"), conf)
    return dict(conf)


def _clip(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters, with an ellipsis when cut."""
    return text if len(text) <= most else text[: most - 1] + "…"


def _short_list(items: Sequence[str], most: int) -> str:
    """The first ``most`` items joined, and how many more."""
    head = ", ".join(_clip(x, 40) for x in items[:most])
    return head + (f", ... {len(items) - most} more" if len(items) > most else "")


def _frozen(values: Any, dtype: Any = float) -> np.ndarray:
    arr = np.array(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


def _index_of(key: str, keys: Sequence[str], kind: str) -> int:
    try:
        return list(keys).index(key)
    except ValueError:
        raise KeyError(f"unknown {kind} {key!r}{suggest(key, keys)}") from None


def _parse_target(sc: Scenario, target: str) -> Target:
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
    actor = _index_of(parts[0], sc.actors, "actor")
    name = parts[1]
    spec = sc.actor_specs[actor]
    if name in ("position", "salience") and len(parts) == 3:
        issue = _index_of(parts[2], sc.issues, "issue")
        if parts[2] not in spec.salience:
            raise KeyError(f"actor {parts[0]!r} is not party to issue {parts[2]!r}")
        return Target(actor, name, issue)
    if name == "power":
        if len(parts) == 2:
            return Target(actor, "power")
        return Target(actor, "power_by_issue", _index_of(parts[2], sc.issues, "issue"))
    if name == "reservation" and len(parts) == 2:
        return Target(actor, "reservation")
    if name == "strategy" and len(parts) == 3:
        if spec.strategy is None or parts[2] not in spec.strategy.params:
            raise KeyError(f"actor {parts[0]!r} has no strategy parameter {parts[2]!r}")
        return Target(actor, "strategy", param=parts[2])
    fields = ("position", "salience", "power", "reservation", "strategy")
    raise KeyError(f"unknown target field {name!r}{suggest(name, fields)} in {target!r}")


def _estimate_defaults(sc: Scenario) -> list[Uncertainty]:
    """Triangular spreads around every number marked "E" (positions and saliences)."""
    spread = sc.estimate_spread
    if spread <= 0:
        return []
    out = []
    for actor in sc.actor_specs:
        for fld in ("position", "salience"):
            for issue_id, value in getattr(actor, fld).items():
                if _confidence_of(actor, fld, issue_id) != "E":
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
        if _confidence_of(actor, "power", "") == "E":
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
                lo, hi, width = 0.0, 1.0, spread / 100
            low, high = max(lo, value - width), min(hi, value + width)
            if high > low:
                params = {"low": low, "mode": value, "high": high}
                out.append(Uncertainty(f"{MOVES_PREFIX}.{move.id}.{fld}", "triangular", params))
    return out


def _move_confidence(actor: Actor) -> dict[str, str]:
    """An exit's confidence code (``confidence.exit``) as the confidence of its move's window."""
    code = actor.confidence if isinstance(actor.confidence, str) else actor.confidence.get("exit")
    return {"earliest": code} if isinstance(code, str) and code else {}


def _confidence_of(actor: Actor, fld: str, issue_id: str) -> str:
    conf = actor.confidence
    if isinstance(conf, str):
        return conf
    value = conf.get(fld, "")
    return value if isinstance(value, str) else value.get(issue_id, "")


# ----------------------------------------------------------------------------- parsing


class _Parser:
    """Validates a parsed TOML mapping; every check names the field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> ScenarioError:
        return ScenarioError(problem, source=self.source, path=path)

    # -- primitive checks
    def table(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be a table, got {_kind(value)}")
        return value

    def keys(self, data: Mapping[str, Any], path: str, required: Sequence[str], optional=()):
        allowed = (*required, *optional)
        for key in data:
            if key not in allowed:
                raise self.fail(_join(path, key), f"unknown field{suggest(key, allowed)}")
        for key in required:
            if key not in data:
                raise self.fail(_join(path, key), "missing required field")

    def text(self, value: Any, path: str, *, empty: bool = True) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"must be a string, got {_kind(value)}")
        if not empty and not value.strip():
            raise self.fail(path, "must not be empty")
        return value

    def number(
        self,
        value: Any,
        path: str,
        lo: float = -math.inf,
        hi: float = math.inf,
        *,
        open_low: bool = False,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"must be a number, got {_kind(value)}")
        x = float(value)
        if not math.isfinite(x):
            raise self.fail(path, f"must be finite, got {x}")
        if x < lo or x > hi or (open_low and x <= lo):
            low = f"> {lo:g}" if open_low else f">= {lo:g}"
            bounds = low if hi == math.inf else f"in [{lo:g}, {hi:g}]"
            raise self.fail(path, f"must be {bounds}, got {x:g}")
        return x

    def identifier(self, value: Any, path: str, seen: set[str]) -> str:
        ident = self.text(value, path, empty=False)
        if "." in ident or ident != ident.strip():
            raise self.fail(path, f"id {ident!r} must not contain dots or surrounding spaces")
        if ident in seen:
            raise self.fail(path, f"duplicate id {ident!r}")
        seen.add(ident)
        return ident

    def reference(self, value: Any, path: str, known: Sequence[str], kind: str) -> str:
        ref = self.text(value, path)
        if ref not in known:
            raise self.fail(path, f"unknown {kind} {ref!r}{suggest(ref, known)}")
        return ref

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be an array, got {_kind(value)}")
        return value

    def sources(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return tuple(self.text(v, f"{path}[{k}]") for k, v in enumerate(value))
        table = self.table(value, path)
        return {k: self.sources(v, _join(path, k)) for k, v in table.items()}

    # -- document
    def scenario(self, data: Any) -> Scenario:
        doc = self.table(data, "")
        self.keys(
            doc,
            "",
            ("scenario", "issues", "actors"),
            ("coalitions", "moves", "uncertainty", "updates"),
        )
        head = self.table(doc["scenario"], "scenario")
        optional = ("date", "sources", "protocol", "rounds", "loss", "estimate_spread", "notes")
        self.keys(head, "scenario", ("id", "title"), (*optional, "ends", "start", "made"))
        issues = self.issues(doc["issues"])
        issue_ids = [i.id for i in issues]
        actors = self.actors(doc["actors"], issues)
        actor_ids = [a.id for a in actors]
        coalitions = self.coalitions(doc.get("coalitions", []), actor_ids, issue_ids)
        sc = Scenario(
            id=self.identifier(head["id"], "scenario.id", set()),
            title=self.text(head["title"], "scenario.title", empty=False),
            date=self.date(head.get("date"), "scenario.date"),
            sources=tuple(self.sources(head.get("sources", []), "scenario.sources")),
            issue_specs=tuple(issues),
            actor_specs=tuple(actors),
            coalitions=tuple(coalitions),
            protocol=check_protocol(
                self.text(head.get("protocol", "alternating"), "scenario.protocol"), self.source
            ),
            rounds=int(self.number(head.get("rounds", 100), "scenario.rounds", 2, 1e6)),
            loss=self.choice(head.get("loss", "linear"), "scenario.loss", LOSSES),
            estimate_spread=self.number(
                head.get("estimate_spread", 0.0), "scenario.estimate_spread", 0, 100
            ),
            notes=self.text(head.get("notes", ""), "scenario.notes"),
            ends=self.date(head.get("ends"), "scenario.ends"),
            start=self.number(head.get("start", 0.0), "scenario.start", 0, 1),
            origin=self.source,
        )
        if isinstance(head.get("rounds", 100), float):
            raise self.fail("scenario.rounds", "must be an integer")
        if sc.protocol in NEEDS_NEGOTIATORS and "negotiator" not in sc.roles:
            raise self.fail(
                "actors",
                f"no negotiator: the scenario's protocol {sc.protocol!r} needs at least one "
                "actor with role 'negotiator' (the default role)",
            )
        if sc.ends is not None and sc.date is not None and sc.ends < sc.date:
            raise self.fail("scenario.ends", f"must not be before scenario.date ({sc.date})")
        moves = self.moves(doc.get("moves", []), actors, issues, coalitions)
        sc = _replace_fields(sc, moves=tuple(moves))
        move_ids = [m.id for m in sc.all_moves]
        made = tuple(
            self.reference(m, f"scenario.made[{k}]", move_ids, "move")
            for k, m in enumerate(self.array(head.get("made", []), "scenario.made"))
        )
        uncertainty = self.uncertainty(doc.get("uncertainty", []), sc)
        updates = self.updates(doc.get("updates", []), sc)
        return _replace_fields(
            sc, made=made, uncertainty=tuple(uncertainty), updates=tuple(updates)
        )

    # -- moves
    def moves(
        self,
        value: Any,
        actors: list[Actor],
        issues: list[Issue],
        coalitions: list[Coalition],
    ) -> list[Move]:
        actor_ids = [a.id for a in actors]
        by_issue = {i.id: i for i in issues}
        needs_ids = actor_ids + [c.id for c in coalitions]
        seen = {f"exit_{a.id}" for a in actors if a.exit is not None}
        out = []
        for k, row in enumerate(self.array(value, "moves")):
            path = f"moves[{k}]"
            row = self.table(row, path)
            optional = (
                "actor",
                "actors",
                "needs",
                "cost",
                "earliest",
                "latest",
                "ends_talks",
                "label",
                "quote",
                "source",
                "confidence",
            )
            self.keys(row, path, ("id", "issue", "to"), optional)
            ident = self.identifier(row["id"], f"{path}.id", seen)
            if ("actor" in row) == ("actors" in row):
                raise self.fail(f"{path}.actor", "give exactly one of 'actor' or 'actors'")
            named = (
                [row["actor"]] if "actor" in row else self.array(row["actors"], f"{path}.actors")
            )
            where = f"{path}.actor" if "actor" in row else f"{path}.actors"
            movers = [
                self.reference(a, where if "actor" in row else f"{where}[{j}]", actor_ids, "actor")
                for j, a in enumerate(named)
            ]
            if not movers or len(set(movers)) != len(movers):
                raise self.fail(where, "needs at least one actor, each once")
            issue = by_issue[self.reference(row["issue"], f"{path}.issue", list(by_issue), "issue")]
            needs = [
                self.reference(n, f"{path}.needs[{j}]", needs_ids, "actor or coalition")
                for j, n in enumerate(self.array(row.get("needs", []), f"{path}.needs"))
            ]
            earliest = self.number(row.get("earliest", 0.0), f"{path}.earliest", 0, 1)
            latest = self.number(row.get("latest", 1.0), f"{path}.latest", 0, 1)
            if earliest > latest:
                raise self.fail(
                    f"{path}.earliest", f"must not be after latest ({earliest:g} > {latest:g})"
                )
            ends = row.get("ends_talks", False)
            if not isinstance(ends, bool):
                raise self.fail(f"{path}.ends_talks", f"must be a boolean, got {_kind(ends)}")
            confidence = self.table(row.get("confidence", {}), f"{path}.confidence")
            self.keys(confidence, f"{path}.confidence", (), MOVE_FIELDS)
            out.append(
                Move(
                    id=ident,
                    actors=tuple(movers),
                    issue=issue.id,
                    to=self.number(row["to"], f"{path}.to", issue.low, issue.high),
                    needs=tuple(needs),
                    cost=self.number(row.get("cost", 0.0), f"{path}.cost", 0, 1),
                    earliest=earliest,
                    latest=latest,
                    ends_talks=ends,
                    label=self.text(row.get("label", ""), f"{path}.label"),
                    quote=self.text(row.get("quote", ""), f"{path}.quote"),
                    source=self.text(row.get("source", ""), f"{path}.source"),
                    confidence={
                        f: self.choice(c, f"{path}.confidence.{f}", CONFIDENCE_CODES)
                        for f, c in confidence.items()
                    },
                )
            )
        return out

    def date(self, value: Any, path: str) -> date | None:
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(self.text(value, path))
        except ValueError:
            raise self.fail(path, f"must be a date like 2007-10-19, got {value!r}") from None

    def choice(self, value: Any, path: str, options: Sequence[str]) -> str:
        word = self.text(value, path)
        if word not in options:
            raise self.fail(
                path,
                f"must be one of {', '.join(options)}, got {word!r}{suggest(word, options)}",
            )
        return word

    # -- issues
    def issues(self, value: Any) -> list[Issue]:
        rows = self.array(value, "issues")
        if not rows:
            raise self.fail("issues", "at least one issue is needed")
        seen: set[str] = set()
        return [self.issue(row, f"issues[{k}]", seen) for k, row in enumerate(rows)]

    def issue(self, row: Any, path: str, seen: set[str]) -> Issue:
        row = self.table(row, path)
        optional = ("scale", "anchors", "quote", "source", "unit")
        self.keys(row, path, ("id", "label", "status_quo"), optional)
        ident = self.identifier(row["id"], f"{path}.id", seen)
        scale = self.array(row.get("scale", [0, 100]), f"{path}.scale")
        if len(scale) != 2:
            raise self.fail(f"{path}.scale", f"must be [low, high], got {len(scale)} values")
        low = self.number(scale[0], f"{path}.scale[0]", -MAX_SCALE, MAX_SCALE)
        high = self.number(scale[1], f"{path}.scale[1]", -MAX_SCALE, MAX_SCALE)
        if high <= low:
            raise self.fail(f"{path}.scale", f"low must be below high, got [{low:g}, {high:g}]")
        anchors = []
        for k, item in enumerate(self.array(row.get("anchors", []), f"{path}.anchors")):
            apath = f"{path}.anchors[{k}]"
            item = self.table(item, apath)
            self.keys(item, apath, ("value", "label"))
            value = self.number(item["value"], f"{apath}.value", low, high)
            anchors.append(Anchor(value, self.text(item["label"], f"{apath}.label")))
        return Issue(
            id=ident,
            label=self.text(row["label"], f"{path}.label", empty=False),
            low=low,
            high=high,
            status_quo=self.number(row["status_quo"], f"{path}.status_quo", low, high),
            anchors=tuple(anchors),
            quote=self.text(row.get("quote", ""), f"{path}.quote"),
            source=self.text(row.get("source", ""), f"{path}.source"),
            unit=self.text(row.get("unit", ""), f"{path}.unit"),
        )

    # -- actors
    def actors(self, value: Any, issues: list[Issue]) -> list[Actor]:
        rows = self.array(value, "actors")
        if not rows:
            raise self.fail("actors", "at least one actor is needed")
        seen: set[str] = set()
        return [self.actor(row, f"actors[{k}]", seen, issues) for k, row in enumerate(rows)]

    def actor(self, row: Any, path: str, seen: set[str], issues: list[Issue]) -> Actor:
        row = self.table(row, path)
        optional = (
            "name",
            "role",
            "power_by_issue",
            "reservation",
            "exit",
            "strategy",
            "discount",
            "confidence",
            "sources",
        )
        self.keys(row, path, ("id", "power", "position", "salience"), optional)
        ident = self.identifier(row["id"], f"{path}.id", seen)
        if ident == MOVES_PREFIX:
            raise self.fail(f"{path}.id", f"{MOVES_PREFIX!r} is reserved for move targets")
        by_id = {i.id: i for i in issues}
        ids = list(by_id)
        salience = {
            issue: self.number(v, f"{path}.salience.{issue}", *SALIENCE_RANGE)
            for issue, v in self.issue_table(row["salience"], f"{path}.salience", ids).items()
        }
        if not salience or not any(salience.values()):
            raise self.fail(f"{path}.salience", "the actor has no salient issue (all saliences 0)")
        position = {}
        for issue, v in self.issue_table(row["position"], f"{path}.position", ids).items():
            spec = by_id[issue]
            position[issue] = self.number(v, f"{path}.position.{issue}", spec.low, spec.high)
        for issue in salience:
            if issue not in position:
                raise self.fail(
                    f"{path}.position.{issue}", "missing: the actor has a salience here"
                )
        for issue in position:
            if issue not in salience:
                raise self.fail(
                    f"{path}.salience.{issue}", "missing: the actor has a position here"
                )
        power_by_issue = {
            issue: self.number(v, f"{path}.power_by_issue.{issue}", 0, open_low=True)
            for issue, v in self.issue_table(
                row.get("power_by_issue", {}), f"{path}.power_by_issue", ids
            ).items()
        }
        reservation = row.get("reservation")
        if reservation is not None:
            reservation = self.number(reservation, f"{path}.reservation", 0, 1)
        discount = row.get("discount")
        if discount is not None:
            discount = self.number(discount, f"{path}.discount", 0, 1, open_low=True)
        return Actor(
            id=ident,
            name=self.text(row.get("name", ident), f"{path}.name", empty=False),
            power=self.number(row["power"], f"{path}.power", 0, open_low=True),
            position=position,
            salience=salience,
            role=self.choice(row.get("role", "negotiator"), f"{path}.role", ROLES),
            power_by_issue=power_by_issue,
            reservation=reservation,
            exit=self.exit(row.get("exit"), f"{path}.exit", issues),
            strategy=self.strategy(row.get("strategy"), f"{path}.strategy"),
            discount=discount,
            confidence=self.confidence(row.get("confidence", {}), f"{path}.confidence", ids),
            sources=self.sources(row.get("sources", ""), f"{path}.sources"),
        )

    def issue_table(self, value: Any, path: str, issue_ids: Sequence[str]) -> Mapping[str, Any]:
        table = self.table(value, path)
        for issue in table:
            self.reference(issue, _join(path, issue), issue_ids, "issue")
        return table

    def exit(self, value: Any, path: str, issues: Sequence[Issue]) -> Exit | None:
        if value is None:
            return None
        table = self.table(value, path)
        self.keys(table, path, ("issue", "at"), ("label", "source", "to", "cost"))
        issue = self.reference(table["issue"], f"{path}.issue", [i.id for i in issues], "issue")
        scale = next(i for i in issues if i.id == issue)
        to = table.get("to")
        return Exit(
            issue=issue,
            at=self.number(table["at"], f"{path}.at", 0, 1, open_low=True),
            label=self.text(table.get("label", ""), f"{path}.label"),
            source=self.text(table.get("source", ""), f"{path}.source"),
            to=None if to is None else self.number(to, f"{path}.to", scale.low, scale.high),
            cost=self.number(table.get("cost", 0.0), f"{path}.cost", 0, 1),
        )

    def strategy(self, value: Any, path: str) -> StrategySpec | None:
        if value is None:
            return None
        if isinstance(value, str):
            name, params = value, {}
        else:
            table = dict(self.table(value, path))
            if "name" not in table:
                raise self.fail(f"{path}.name", "missing required field")
            name = table.pop("name")
            params = {k: self.number(v, f"{path}.{k}") for k, v in table.items()}
        from negosim.strategies import make_strategy  # names live in the strategy registry

        try:
            make_strategy(self.text(name, f"{path}.name" if params else path), **params)
        except (KeyError, TypeError, ValueError) as exc:
            raise self.fail(path, str(exc.args[0]) if exc.args else str(exc)) from None
        return StrategySpec(name, params)

    def confidence(self, value: Any, path: str, issue_ids: Sequence[str]) -> Any:
        if isinstance(value, str):
            return self.choice(value, path, CONFIDENCE_CODES)
        table = self.table(value, path)
        fields = ("power", "position", "salience", "reservation", "exit", "power_by_issue")
        self.keys(table, path, (), fields)
        out: dict[str, Any] = {}
        for key, item in table.items():
            if isinstance(item, str):
                out[key] = self.choice(item, f"{path}.{key}", CONFIDENCE_CODES)
            else:
                out[key] = {
                    issue: self.choice(code, f"{path}.{key}.{issue}", CONFIDENCE_CODES)
                    for issue, code in self.issue_table(item, f"{path}.{key}", issue_ids).items()
                }
        return out

    # -- coalitions
    def coalitions(self, value: Any, actor_ids: list[str], issue_ids: list[str]) -> list[Coalition]:
        seen: set[str] = set()
        out = []
        for k, row in enumerate(self.array(value, "coalitions")):
            path = f"coalitions[{k}]"
            row = self.table(row, path)
            self.keys(row, path, ("id", "members", "ratifies"), ("rule", "threshold", "source"))
            ident = self.identifier(row["id"], f"{path}.id", seen)
            members = [
                self.reference(m, f"{path}.members[{j}]", actor_ids, "actor")
                for j, m in enumerate(self.array(row["members"], f"{path}.members"))
            ]
            if not members:
                raise self.fail(f"{path}.members", "a coalition needs at least one member")
            if len(set(members)) != len(members):
                raise self.fail(f"{path}.members", "lists an actor twice")
            ratifies = [
                self.reference(i, f"{path}.ratifies[{j}]", issue_ids, "issue")
                for j, i in enumerate(self.array(row["ratifies"], f"{path}.ratifies"))
            ]
            if not ratifies:
                raise self.fail(f"{path}.ratifies", "a coalition must ratify at least one issue")
            rule = self.choice(row.get("rule", "unanimity"), f"{path}.rule", RULES)
            threshold = row.get("threshold")
            if rule == "qualified":
                if threshold is None:
                    raise self.fail(f"{path}.threshold", "required by rule 'qualified'")
                threshold = self.number(threshold, f"{path}.threshold", 0, 1, open_low=True)
            elif threshold is not None:
                raise self.fail(f"{path}.threshold", "only rule 'qualified' takes a threshold")
            out.append(
                Coalition(
                    ident,
                    tuple(members),
                    tuple(ratifies),
                    rule,
                    threshold,
                    self.text(row.get("source", ""), f"{path}.source"),
                )
            )
        return out

    # -- uncertainty
    def uncertainty(self, value: Any, sc: Scenario) -> list[Uncertainty]:
        out = []
        seen: set[str] = set()
        for k, row in enumerate(self.array(value, "uncertainty")):
            path = f"uncertainty[{k}]"
            row = self.table(row, path)
            target = self.text(row.get("target"), f"{path}.target") if "target" in row else None
            if target is None:
                raise self.fail(f"{path}.target", "missing required field")
            try:
                parsed = sc.parse_target(target)
            except KeyError as exc:
                raise self.fail(f"{path}.target", str(exc.args[0])) from None
            if target in seen:
                raise self.fail(f"{path}.target", f"target {target!r} is given twice")
            seen.add(target)
            dist = self.choice(row.get("dist", ""), f"{path}.dist", tuple(DISTRIBUTIONS))
            params = {k2: v for k2, v in row.items() if k2 not in ("target", "dist")}
            required = DISTRIBUTIONS[dist]
            self.keys(params, path, required, DISTRIBUTION_OPTIONAL.get(dist, ()))
            bounds = target_bounds(sc, parsed)
            checked = self.distribution(dist, params, path, bounds)
            if parsed.field == "strategy":
                self.strategy_values(sc, parsed, dist, checked, path)
            out.append(Uncertainty(target, dist, checked))
        return out

    def strategy_values(
        self, sc: Scenario, target: Target, dist: str, params: Mapping[str, Any], path: str
    ) -> None:
        """Every value a strategy parameter can be sampled at must be one its strategy takes."""
        if dist == "normal":
            raise self.fail(
                f"{path}.dist",
                "a strategy parameter needs a bounded distribution (uniform, triangular, pert, "
                "choice)",
            )
        values = params.get("values") or [params[k] for k in ("low", "high") if k in params]
        for value in values:
            self.strategy_value(sc, target, value, path)

    def strategy_value(self, sc: Scenario, target: Target, value: float, path: str) -> None:
        from negosim.strategies import make_strategy

        spec = sc.actor_specs[target.actor].strategy
        try:
            make_strategy(spec.name, **{**spec.params, target.param: value})
        except (KeyError, TypeError, ValueError) as exc:
            raise self.fail(path, str(exc.args[0]) if exc.args else str(exc)) from None

    def updates(self, value: Any, sc: Scenario) -> list[Update]:
        out = []
        for k, row in enumerate(self.array(value, "updates")):
            path = f"updates[{k}]"
            row = self.table(row, path)
            self.keys(row, path, ("date",), ("set", "made", "source", "note"))
            when = self.date(row["date"], f"{path}.date")
            if when is None:
                raise self.fail(f"{path}.date", "missing required field")
            changes = self.table(row.get("set", {}), f"{path}.set")
            move_ids = [m.id for m in sc.all_moves]
            made = tuple(
                self.reference(m, f"{path}.made[{j}]", move_ids, "move")
                for j, m in enumerate(self.array(row.get("made", []), f"{path}.made"))
            )
            if not changes and not made:
                raise self.fail(f"{path}.set", "an update must change a number or make a move")
            for target, new in changes.items():
                where = f"{path}.set.{target}"
                try:
                    parsed = sc.parse_target(target)
                except KeyError as exc:
                    raise self.fail(where, str(exc.args[0])) from None
                self.number(new, where, *target_bounds(sc, parsed))
                if parsed.field == "strategy":
                    self.strategy_value(sc, parsed, new, where)
            source = self.text(row.get("source", ""), f"{path}.source")
            note = self.text(row.get("note", ""), f"{path}.note")
            out.append(Update(when, dict(changes), source, note, made))
        return out

    def distribution(
        self, dist: str, params: Mapping[str, Any], path: str, bounds: tuple[float, float]
    ) -> dict[str, Any]:
        lo, hi = bounds
        if dist == "choice":
            values = self.array(params["values"], f"{path}.values")
            if not values:
                raise self.fail(f"{path}.values", "needs at least one value")
            vals = [self.number(v, f"{path}.values[{j}]", lo, hi) for j, v in enumerate(values)]
            out: dict[str, Any] = {"values": vals}
            if "weights" in params:
                weights = self.array(params["weights"], f"{path}.weights")
                if len(weights) != len(vals):
                    raise self.fail(f"{path}.weights", "needs one weight per value")
                w = [self.number(v, f"{path}.weights[{j}]", 0) for j, v in enumerate(weights)]
                if sum(w) <= 0:
                    raise self.fail(f"{path}.weights", "must not all be zero")
                out["weights"] = w
            return out
        if dist == "normal":
            mean = self.number(params["mean"], f"{path}.mean", lo, hi)
            return {"mean": mean, "sd": self.number(params["sd"], f"{path}.sd", 0, open_low=True)}
        out = {k: self.number(params[k], f"{path}.{k}", lo, hi) for k in DISTRIBUTIONS[dist]}
        if out["low"] >= out["high"]:
            raise self.fail(
                f"{path}.low", f"low must be below high, got {out['low']:g} >= {out['high']:g}"
            )
        if "mode" in out and not out["low"] <= out["mode"] <= out["high"]:
            raise self.fail(f"{path}.mode", "mode must lie between low and high")
        return out


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
        return 1e-9, math.inf
    if target.field == "move":
        if target.param == "to":
            issue = sc.issue_specs[target.issue]
            return issue.low, issue.high
        return 0.0, 1.0
    return -math.inf, math.inf


def _replace_fields(sc: Scenario, **fields: Any) -> Scenario:
    from dataclasses import replace

    return replace(sc, **fields)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def _kind(value: Any) -> str:
    names = {
        bool: "a boolean",
        str: "a string",
        int: "an integer",
        float: "a number",
        list: "an array",
        dict: "a table",
        type(None): "nothing",
    }
    return names.get(type(value), type(value).__name__)


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


# ----------------------------------------------------------------------------- loading


def bundled_dir() -> Path:
    """The folder of bundled scenario files (installed package data, or the source checkout)."""
    installed = resources.files("negosim") / "_bundled_scenarios"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / "scenarios"


def list_scenarios() -> list[str]:
    """Names of the bundled scenarios, loadable with :func:`load_scenario`.

    Examples
    --------
    >>> "package_2007" in list_scenarios()
    True
    """
    return sorted(p.stem for p in bundled_dir().glob("*.toml"))


def load_scenario(path_or_name: str | Path, as_of: date | str | None = None) -> Scenario:
    """Load and validate a scenario from a TOML file or a bundled name.

    Parameters
    ----------
    path_or_name
        A path to a ``.toml`` file, or the name of a bundled scenario such as
        ``"package_2007"`` (see :func:`list_scenarios`).
    as_of
        Apply the scenario's ``[[updates]]`` dated on or before this date.

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid TOML, or fails validation.

    Examples
    --------
    >>> sc = load_scenario("package_2007")
    >>> len(sc.actors), sc.issues
    (38, ('kosovo_status', 'missile_defense', 'cfe'))
    >>> sc.positions.shape  # actors x issues
    (38, 3)
    """
    path = Path(path_or_name)
    if not path.exists() and not path.is_symlink():
        bundled = bundled_dir() / f"{path_or_name}.toml"
        if path.suffix or not bundled.exists():
            names = list_scenarios()
            hint = suggest(str(path_or_name), names)
            raise ScenarioError(
                f"no such file or bundled scenario{hint}; bundled: {', '.join(names)}",
                source=str(path_or_name),
            )
        path = bundled
    source = str(path_or_name) if Path(path_or_name).exists() else f"{path_or_name} ({path.name})"
    data = _read_toml(path, source)
    scenario = Scenario.from_dict(data, source=source)
    return scenario if as_of is None else scenario.as_of(as_of)


MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest scenario file read (the bundled ones are about 50 kB)."""

MAX_NESTING = 16
"""Deepest nesting of tables and arrays in a scenario file (the format needs 4)."""
TOO_DEEP = f"nested too deeply (at most {MAX_NESTING} levels)"


def _read_toml(path: Path, source: str) -> dict[str, Any]:
    """The parsed TOML of a regular file of bounded size and nesting, or a ScenarioError."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
        raise ScenarioError("not a regular file", source=source)
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioError(
            f"file too large ({info.st_size:,} bytes; at most {MAX_FILE_BYTES:,})", source=source
        )
    try:
        with path.open("rb") as handle:
            data = tomllib.loads(handle.read(MAX_FILE_BYTES + 1).decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"invalid TOML: {exc}", source=source) from None
    except RecursionError:
        raise ScenarioError(TOO_DEEP, source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read file: {exc}", source=source) from None
    if _depth(data) > MAX_NESTING:
        raise ScenarioError(TOO_DEEP, source=source)
    return data


def _depth(value: Any) -> int:
    """Nesting depth of tables and arrays (iterative: a hostile file cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest
