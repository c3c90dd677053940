"""Reading a scenario mapping (a parsed TOML document): every field checked, by its path.

:func:`parse_scenario` is the whole scenario format of ``docs/scenario-format.md``: either the
mapping becomes a :class:`~negosim.model.scenario.Scenario` or one
:class:`~negosim.model.errors.ScenarioError` names the source, the field path and the problem
(``package_2007.toml: actors[3].salience.cfe: must be a number in [0, 100], got 'high'``).
Reading files is :mod:`negosim.io.scenario_file`'s part; this module sees only mappings.

Why one module (about 750 lines): it is the scenario format itself, one parser whose methods
follow the tables of ``docs/scenario-format.md`` in order, with the checks every field shares
(numbers, ids, dates) beside them, so the format and its rules are read and changed together.
"""

from __future__ import annotations

import math
import numbers
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from negosim.model.elements import (
    CONFIDENCE_CODES,
    DISTRIBUTION_OPTIONAL,
    DISTRIBUTIONS,
    LOSSES,
    MAX_POWER,
    MAX_SCALE,
    MAX_SD_SPAN,
    MIN_MAGNITUDE,
    MIN_POWER,
    MIN_SPAN_SHARE,
    MOVE_FIELDS,
    MOVES_PREFIX,
    NEEDS_NEGOTIATORS,
    PROTOCOL_NAMES,
    ROLES,
    RULES,
    SALIENCE_RANGE,
    Actor,
    Anchor,
    Coalition,
    Exit,
    Issue,
    Move,
    StrategySpec,
    Target,
    Uncertainty,
    Update,
    magnitude_problem,
    solution_problem,
)
from negosim.model.errors import ScenarioError, suggest, unknown
from negosim.model.strategies import make_strategy
from negosim.model.targets import id_problem, target_bounds

if TYPE_CHECKING:  # annotations only: the scenario module imports this one
    from negosim.model.scenario import Scenario


def parse_scenario(
    data: Mapping[str, Any], source: str, factory: Callable[..., Scenario]
) -> Scenario:
    """Validate ``data`` and build the scenario with ``factory`` (the :class:`Scenario` class).

    Raises
    ------
    ScenarioError
        On the first problem found, naming ``source`` and the field path.
    """
    return _Parser(source, factory).scenario(data)


class _Parser:
    """Validates a parsed TOML mapping; every check names the field path."""

    def __init__(self, source: str, factory: Callable[..., Scenario]) -> None:
        self.source = source
        self.factory = factory  # the Scenario class: the parser builds, it does not define

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
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real | Decimal):
            raise self.fail(path, f"must be a number, got {_kind(value)}")
        try:
            x = float(value)
        except (OverflowError, ValueError):  # an int or a Fraction beyond the float range
            raise self.fail(path, f"must be finite, got {_kind(value)} {value}") from None
        if not math.isfinite(x):
            raise self.fail(path, f"must be finite, got {x}")
        if x < lo or x > hi or (open_low and x <= lo):
            low = f"> {lo:g}" if open_low else f">= {lo:g}"
            bounds = low if hi == math.inf else f"in {'(' if open_low else '['}{lo:g}, {hi:g}]"
            raise self.fail(path, f"must be {bounds}, got {x:g}")
        return x

    def parameter(self, value: Any, path: str) -> float:
        """A strategy's parameter: a number, 0 or at least ``MIN_MAGNITUDE`` in size (a
        strategy may take its reciprocal: ``e = 1e-320`` overflowed)."""
        x = self.number(value, path)
        problem = magnitude_problem(x)
        if problem:
            raise self.fail(path, problem)
        return x

    def integer(self, value: Any, path: str, lo: float, hi: float) -> int:
        """A whole number in ``[lo, hi]`` (Python's or numpy's integers; ``20.0`` is refused,
        as TOML tells integers from floats)."""
        x = self.number(value, path, lo, hi)
        if not isinstance(value, numbers.Integral):
            raise self.fail(path, f"must be an integer, got {_kind(value)} {x:g}")
        return int(value)

    def boolean(self, value: Any, path: str) -> bool:
        """``true`` or ``false`` (Python's or numpy's booleans)."""
        if not isinstance(value, bool | np.bool_):
            raise self.fail(path, f"must be a boolean (true or false), got {_kind(value)}")
        return bool(value)

    def identifier(self, value: Any, path: str, seen: set[str]) -> str:
        """An id: text without the characters the target syntax uses or that cannot be
        seen (:func:`negosim.model.targets.id_problem`), unlike every id in ``seen`` (compared
        in Unicode's composed form NFC, so two spellings of one name are one id)."""
        ident = self.text(value, path, empty=False)
        problem = id_problem(ident)
        if problem:
            raise self.fail(path, problem)
        key = unicodedata.normalize("NFC", ident)
        if key in seen:
            raise self.fail(path, f"duplicate id {ident!r}{_form_note(ident)}")
        seen.add(key)
        return ident

    def reference(self, value: Any, path: str, known: Collection[str], kind: str) -> str:
        """A string naming one of ``known`` (pass a set for a long list: one lookup each)."""
        ref = self.text(value, path)
        if ref not in known:
            raise self.fail(path, f"unknown {kind} {ref!r}{suggest(ref, known)}")
        return ref

    def array(self, value: Any, path: str) -> list[Any]:
        """An array: a list (TOML's), a tuple or a one-dimensional numpy array."""
        if isinstance(value, np.ndarray) and value.ndim == 1:
            return value.tolist() if value.dtype.kind in "biuf" else list(value)
        if not isinstance(value, list | tuple):
            raise self.fail(path, f"must be an array, got {_kind(value)}")
        return list(value)

    def sources(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, list | tuple):
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
        sc = self.factory(
            id=self.identifier(head["id"], "scenario.id", set()),
            title=self.text(head["title"], "scenario.title", empty=False),
            date=self.date(head.get("date"), "scenario.date"),
            sources=tuple(self.sources(head.get("sources", []), "scenario.sources")),
            issue_specs=tuple(issues),
            actor_specs=tuple(actors),
            coalitions=tuple(coalitions),
            protocol=self.protocol(head.get("protocol", "alternating"), "scenario.protocol"),
            rounds=self.integer(head.get("rounds", 100), "scenario.rounds", 2, 1e6),
            loss=self.choice(head.get("loss", "linear"), "scenario.loss", LOSSES),
            estimate_spread=self.number(
                head.get("estimate_spread", 0.0), "scenario.estimate_spread", 0, 100
            ),
            notes=self.text(head.get("notes", ""), "scenario.notes"),
            ends=self.date(head.get("ends"), "scenario.ends"),
            start=self.number(head.get("start", 0.0), "scenario.start", 0, 1),
            origin=self.source,
        )
        if sc.protocol in NEEDS_NEGOTIATORS and "negotiator" not in sc.roles:
            raise self.fail(
                "actors",
                f"no negotiator: the scenario's protocol {sc.protocol!r} needs at least one "
                "actor with role 'negotiator' (the default role)",
            )
        problem = solution_problem(sc.protocol, sc.loss, sc.roles.count("negotiator"))
        if problem:
            raise self.fail("scenario.protocol", problem)
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
        actor_ids = {a.id for a in actors}
        by_issue = {i.id: i for i in issues}
        needs_ids = actor_ids | {c.id for c in coalitions}
        seen = {unicodedata.normalize("NFC", f"exit_{a.id}") for a in actors if a.exit is not None}
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
                "cost_rate",
                "after",
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
            ends = self.boolean(row.get("ends_talks", False), f"{path}.ends_talks")
            after = ""
            if "after" in row:  # a reaction answers a move listed before it
                after = self.reference(row["after"], f"{path}.after", [m.id for m in out], "move")
            cost = self.number(row.get("cost", 0.0), f"{path}.cost", 0, 1)
            cost_rate = self.number(row.get("cost_rate", 0.0), f"{path}.cost_rate", -1, 1)
            confidence = self.table(row.get("confidence", {}), f"{path}.confidence")
            self.keys(confidence, f"{path}.confidence", (), MOVE_FIELDS)
            out.append(
                Move(
                    id=ident,
                    actors=tuple(movers),
                    issue=issue.id,
                    to=self.number(row["to"], f"{path}.to", issue.low, issue.high),
                    needs=tuple(needs),
                    cost=cost,
                    earliest=earliest,
                    latest=latest,
                    ends_talks=ends,
                    cost_rate=cost_rate,
                    after=after,
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
        """A day: a TOML local date (``2007-10-19``), an ISO 8601 date string or a numpy
        ``datetime64`` of days; a date with a time of day, a time alone, a day beyond the
        years 1..9999 or anything else is refused (the model counts days)."""
        if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
            return value
        problem = f"must be a date like 2007-10-19 (a day, no time of day), got {value!s}"
        if isinstance(value, np.datetime64):
            return self.numpy_day(value, path, problem)
        if isinstance(value, datetime | time) or not isinstance(value, str):
            raise self.fail(path, problem)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(path, f"must be a date like 2007-10-19, got {value!r}") from None

    def numpy_day(self, value: np.datetime64, path: str, problem: str) -> date:
        """The day of a ``datetime64`` in days (``numpy.datetime64("2007-10-19")``)."""
        if np.isnat(value) or np.datetime_data(value.dtype)[0] != "D":
            raise self.fail(path, problem)
        day = value.item()  # an int (days since 1970) beyond the years a date can hold
        if not isinstance(day, date):
            raise self.fail(path, f"must be a date in the years 1..9999, got {value}")
        return day

    def protocol(self, value: Any, path: str) -> str:
        name = self.text(value, path)
        if name not in PROTOCOL_NAMES:
            raise self.fail(path, unknown("protocol", name, PROTOCOL_NAMES))
        return name

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
        if high - low < MIN_MAGNITUDE:
            raise self.fail(
                f"{path}.scale",
                f"narrower than {MIN_MAGNITUDE:g}: [{low:g}, {high:g}] holds too few numbers "
                "for positions on it",
            )
        if high - low < MIN_SPAN_SHARE * max(abs(low), abs(high)):
            raise self.fail(
                f"{path}.scale",
                f"too narrow for its distance from 0: [{low:g}, {high:g}] is narrower than "
                f"{MIN_SPAN_SHARE:g} of its largest end, so utilities on it lose their precision "
                "(shift the scale toward 0)",
            )
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
            issue: self.number(v, f"{path}.power_by_issue.{issue}", MIN_POWER, MAX_POWER)
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
            power=self.number(row["power"], f"{path}.power", MIN_POWER, MAX_POWER),
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
            params = {k: self.parameter(v, f"{path}.{k}") for k, v in table.items()}
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
        actors = set(actor_ids)  # one lookup per member, however many actors
        actor_keys = {unicodedata.normalize("NFC", a) for a in actor_ids}
        out = []
        for k, row in enumerate(self.array(value, "coalitions")):
            path = f"coalitions[{k}]"
            row = self.table(row, path)
            self.keys(row, path, ("id", "members", "ratifies"), ("rule", "threshold", "source"))
            ident = self.identifier(row["id"], f"{path}.id", seen)
            if unicodedata.normalize("NFC", ident) in actor_keys:  # `needs` names both
                raise self.fail(
                    f"{path}.id",
                    f"{ident!r} is also an actor's id; a move's needs = [{ident!r}] would be "
                    "ambiguous: give the coalition another id",
                )
            members = [
                self.reference(m, f"{path}.members[{j}]", actors, "actor")
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
        value = self.parameter(value, path)
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
            checked: dict[str, int | float] = {}
            for target, new in changes.items():
                where = f"{path}.set.{target}"
                try:
                    parsed = sc.parse_target(target)
                except KeyError as exc:
                    raise self.fail(where, str(exc.args[0])) from None
                number = self.number(new, where, *target_bounds(sc, parsed))
                if parsed.field == "strategy":
                    self.strategy_value(sc, parsed, new, where)
                # kept a plain int or float (a numpy number would not embed in a store)
                checked[target] = int(new) if isinstance(new, numbers.Integral) else number
            source = self.text(row.get("source", ""), f"{path}.source")
            note = self.text(row.get("note", ""), f"{path}.note")
            out.append(Update(when, checked, source, note, made))
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
                if not math.isfinite(sum(w)):
                    raise self.fail(f"{path}.weights", "their sum must be finite")
                out["weights"] = w
            return out
        if dist == "normal":
            mean = self.number(params["mean"], f"{path}.mean", lo, hi)
            sd = self.number(params["sd"], f"{path}.sd", 0, open_low=True)
            if sd > MAX_SD_SPAN * (hi - lo):
                raise self.fail(
                    f"{path}.sd",
                    f"must be at most {MAX_SD_SPAN:g} times the range its target may take "
                    f"([{lo:g}, {hi:g}]), got {sd:g}: so wide a normal is a uniform over that "
                    'range (write dist = "uniform")',
                )
            return {"mean": mean, "sd": sd}
        out = {k: self.number(params[k], f"{path}.{k}", lo, hi) for k in DISTRIBUTIONS[dist]}
        if out["low"] >= out["high"]:
            raise self.fail(
                f"{path}.low", f"low must be below high, got {out['low']:g} >= {out['high']:g}"
            )
        if "mode" in out and not out["low"] <= out["mode"] <= out["high"]:
            raise self.fail(f"{path}.mode", "mode must lie between low and high")
        return out


def _replace_fields(sc: Scenario, **fields: Any) -> Scenario:
    return replace(sc, **fields)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def _form_note(ident: str) -> str:
    """What a duplicate id that is not plain ASCII may be: one name in two Unicode forms."""
    return "" if ident.isascii() else " (ids that differ only in their Unicode form are one id)"


def _kind(value: Any) -> str:
    if type(value).__module__ == "numpy":
        return f"numpy.{type(value).__name__}"
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
