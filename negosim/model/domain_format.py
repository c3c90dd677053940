"""Discrete issues in the TOML scenario format, and continuous scenarios on a grid.

:func:`parse_domain` reads a scenario mapping whose issues are discrete (categorical
``values`` or an integer ``range``) into a :class:`~negosim.model.domains.Domain`: every field
checked by its path, one :class:`~negosim.model.errors.ScenarioError` naming the file and the
field, as for every other field of the format (docs/scenario-format.md, "Discrete issues").
:func:`is_discrete` tells such a mapping from a continuous scenario.

:func:`grid_domain` puts a continuous :class:`~negosim.model.scenario.Scenario` on a grid of
values per issue, as the discrete domain GENIUS would read (:func:`negosim.io.write_genius`
writes it): each negotiator's value of a grid point is its continuous value there, and GENIUS
divides each issue's values by their largest (docs/domains.md, "A continuous scenario on a
grid").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from negosim.model.domains import (
    CategoricalIssue,
    Domain,
    IntegerIssue,
    Issue,
    LinearEvaluator,
    Profile,
    TableEvaluator,
    make_domain,
)
from negosim.model.errors import ArgumentError, suggest
from negosim.model.parse import _Parser  # the format's shared field checks
from negosim.model.preferences import issue_loss

if TYPE_CHECKING:
    from negosim.model.scenario import Scenario

DISCRETE_KEYS = ("values", "range")
"""An issue with one of these fields is discrete (categorical, integer)."""

DOMAIN_PROTOCOLS = ("alternating",)


def is_discrete(data: Any) -> bool:
    """Whether a scenario mapping has a discrete issue (a table of ``[[issues]]`` with
    ``values`` or ``range``): then the whole file is a discrete domain."""
    if not isinstance(data, Mapping):
        return False
    issues = data.get("issues")
    if not isinstance(issues, list | tuple):
        return False
    return any(isinstance(row, Mapping) and any(k in row for k in DISCRETE_KEYS) for row in issues)


def parse_domain(data: Mapping[str, Any], source: str) -> Domain:
    """The :class:`Domain` of a scenario mapping with discrete issues.

    Raises
    ------
    ScenarioError
        On the first problem found, naming ``source`` and the field path.
    """
    return _DomainParser(source, None).domain(data)


class _DomainParser(_Parser):
    """The discrete part of the format: ``[scenario]``, ``[[issues]]`` with ``values`` or
    ``range``, ``[[actors]]`` with ``weights``, ``values``, ``linear``, ``reservation`` and
    ``discount_factor``."""

    def domain(self, data: Any) -> Domain:
        doc = self.table(data, "")
        for key in ("coalitions", "moves", "uncertainty", "updates"):
            if key in doc:
                raise self.fail(key, "not for a scenario of discrete issues")
        self.keys(doc, "", ("scenario", "issues", "actors"))
        head = self.table(doc["scenario"], "scenario")
        self.keys(head, "scenario", ("id", "title"), ("date", "sources", "notes", "protocol"))
        ident = self.identifier(head["id"], "scenario.id", set())
        self.text(head["title"], "scenario.title", empty=False)
        self.date(head.get("date"), "scenario.date")
        self.sources(head.get("sources", []), "scenario.sources")
        self.text(head.get("notes", ""), "scenario.notes")
        self.choice(head.get("protocol", "alternating"), "scenario.protocol", DOMAIN_PROTOCOLS)
        issues = self.discrete_issues(doc["issues"])
        rows = self.array(doc["actors"], "actors")
        if len(rows) < 2:
            raise self.fail("actors", f"a negotiation needs at least two actors, got {len(rows)}")
        seen: set[str] = set()
        profiles = [self.profile(row, f"actors[{k}]", issues, seen) for k, row in enumerate(rows)]
        return make_domain(ident, issues, profiles, source=self.source)

    def discrete_issues(self, value: Any) -> list[Issue]:
        rows = self.array(value, "issues")
        if not rows:
            raise self.fail("issues", "at least one issue is needed")
        seen: set[str] = set()
        out: list[Issue] = []
        for k, row in enumerate(rows):
            path = f"issues[{k}]"
            row = self.table(row, path)
            if not any(key in row for key in DISCRETE_KEYS):
                raise self.fail(
                    path,
                    "a scenario with discrete issues needs every issue discrete: give 'values' "
                    "(labels) or 'range' ([low, high] integers), not a continuous scale",
                )
            if all(key in row for key in DISCRETE_KEYS):
                raise self.fail(f"{path}.values", "give exactly one of 'values' or 'range'")
            kind = "values" if "values" in row else "range"
            self.keys(row, path, ("id", "label", kind), ("quote", "source", "unit"))
            ident = self.identifier(row["id"], f"{path}.id", seen)
            self.text(row["label"], f"{path}.label", empty=False)
            for extra in ("quote", "source", "unit"):
                self.text(row.get(extra, ""), f"{path}.{extra}")
            if kind == "values":
                out.append(CategoricalIssue(ident, self.labels(row["values"], f"{path}.values")))
                continue
            bounds = self.array(row["range"], f"{path}.range")
            if len(bounds) != 2:
                raise self.fail(f"{path}.range", f"must be [low, high], got {len(bounds)} values")
            low = self.integer(bounds[0], f"{path}.range[0]", -1e15, 1e15)
            high = self.integer(bounds[1], f"{path}.range[1]", -1e15, 1e15)
            if high < low:
                raise self.fail(f"{path}.range", f"low must not be above high, got [{low}, {high}]")
            out.append(IntegerIssue(ident, low, high))
        return out

    def labels(self, value: Any, path: str) -> tuple[str, ...]:
        items = self.array(value, path)
        if not items:
            raise self.fail(path, "at least one value is needed")
        labels: list[str] = []
        for k, item in enumerate(items):
            label = self.text(item, f"{path}[{k}]", empty=False)
            if label in labels:
                raise self.fail(f"{path}[{k}]", f"value {label!r} is listed twice")
            labels.append(label)
        return tuple(labels)

    def profile(self, row: Any, path: str, issues: list[Issue], seen: set[str]) -> Profile:
        row = self.table(row, path)
        categorical = [i.name for i in issues if isinstance(i, CategoricalIssue)]
        integer = [i.name for i in issues if isinstance(i, IntegerIssue)]
        required = ["id", "weights"] + (["values"] if categorical else [])
        required += ["linear"] if integer else []
        optional = ("name", "reservation", "discount_factor", "sources", "notes")
        self.keys(row, path, required, optional)
        ident = self.identifier(row["id"], f"{path}.id", seen)
        self.text(row.get("name", ident), f"{path}.name")
        names = [i.name for i in issues]
        weights_row = self.table(row["weights"], f"{path}.weights")
        self.issue_keys(weights_row, f"{path}.weights", names, names)
        weights = tuple(self.number(weights_row[n], f"{path}.weights.{n}", 0, 1e9) for n in names)
        if not math.fsum(weights) > 0:
            raise self.fail(f"{path}.weights", "at least one weight must be > 0")
        values = self.table(row.get("values", {}), f"{path}.values")
        self.issue_keys(values, f"{path}.values", categorical, names)
        linear = self.table(row.get("linear", {}), f"{path}.linear")
        self.issue_keys(linear, f"{path}.linear", integer, names)
        evaluators = []
        for issue in issues:
            if isinstance(issue, IntegerIssue):
                where = f"{path}.linear.{issue.name}"
                spec = self.table(linear[issue.name], where)
                self.keys(spec, where, ("offset", "slope"))
                evaluators.append(
                    LinearEvaluator(
                        self.number(spec["offset"], f"{where}.offset"),
                        self.number(spec["slope"], f"{where}.slope"),
                    )
                )
                continue
            where = f"{path}.values.{issue.name}"
            table = self.table(values[issue.name], where)
            for label in table:
                if label not in issue.labels:
                    raise self.fail(
                        f"{where}.{label}",
                        f"issue {issue.name!r} has no value {label!r}"
                        + suggest(label, issue.labels),
                    )
            for label in issue.labels:
                if label not in table:
                    raise self.fail(f"{where}.{label}", "missing: give every value an evaluation")
            evaluations = tuple(
                self.number(table[label], f"{where}.{label}", 0, 1e9) for label in issue.labels
            )
            evaluators.append(TableEvaluator(evaluations))
        return Profile(
            ident,
            weights,
            tuple(evaluators),
            reservation=self.number(row.get("reservation", 0.0), f"{path}.reservation", 0, 1),
            discount=self.number(
                row.get("discount_factor", 1.0), f"{path}.discount_factor", 0, 1, open_low=True
            ),
            source=self.source,
        )

    def issue_keys(
        self, table: Mapping[str, Any], path: str, needed: Sequence[str], issues: Sequence[str]
    ) -> None:
        """``table`` is keyed by exactly the issues ``needed`` (an issue of another kind, or of
        none, is named)."""
        for key in table:
            if key not in needed:
                kind = "an issue of the other kind" if key in issues else "unknown issue"
                raise self.fail(f"{path}.{key}", f"{kind}{suggest(key, needed)}")
        for key in needed:
            if key not in table:
                raise self.fail(f"{path}.{key}", "missing required field")


# ----------------------------------------------------------------------------- on a grid


def grid_values(scenario: Scenario, grid: int | Mapping[str, Any]) -> list[np.ndarray]:
    """The grid of each issue: ``grid`` evenly spaced values from the scale's low to its high
    end (both included), or per issue a count or the values themselves (inside the scale,
    increasing)."""
    out = []
    for issue in scenario.issue_specs:
        spec = grid.get(issue.id) if isinstance(grid, Mapping) else grid
        if isinstance(grid, Mapping) and spec is None:
            raise ArgumentError("grid", f"no grid for issue {issue.id!r}")
        if isinstance(spec, int | np.integer) and not isinstance(spec, bool):
            if spec < 2:
                raise ArgumentError("grid", f"issue {issue.id!r}: at least 2 points, got {spec}")
            out.append(np.linspace(issue.low, issue.high, int(spec)))
            continue
        try:
            points = np.asarray(spec, dtype=float)
        except (TypeError, ValueError):
            raise ArgumentError("grid", f"issue {issue.id!r}: {spec!r} is not a grid") from None
        if (
            points.ndim != 1
            or points.size < 1
            or not np.all(np.isfinite(points))
            or np.any(np.diff(points) <= 0)
            or points[0] < issue.low
            or points[-1] > issue.high
        ):
            raise ArgumentError(
                "grid",
                f"issue {issue.id!r}: give increasing values inside its scale "
                f"[{issue.low:g}, {issue.high:g}]",
            )
        out.append(points)
    return out


def grid_domain(scenario: Scenario, grid: int | Mapping[str, Any] = 11) -> Domain:
    """``scenario``'s negotiators over a grid of its issues, as a discrete domain.

    Each issue becomes a categorical issue whose labels are the grid's values (``repr`` of
    the float); each negotiator a profile with

    * weights ``W_i = s_i``, its salience (0 on an issue it is not party to; renormalised as
      negosim's are);
    * evaluations ``e_i(x_k) = v(x_k; p_i)``, its continuous value of each grid point (``1 -
      |x - p| / (h - l)``, or the quadratic loss), which GENIUS divides by their largest;
    * reservation: the declared one, else its utility of the status quo package;
    * discount factor ``delta ** T`` for a per-round discount ``delta`` over the scenario's
      ``T`` rounds (1 without one).

    Power, coalitions, moves and uncertainty have no GENIUS counterpart and are left out (the
    nominal values are used).
    """
    points = grid_values(scenario, grid)
    issues = [
        CategoricalIssue(issue.id, tuple(repr(float(x)) for x in values))
        for issue, values in zip(scenario.issue_specs, points, strict=True)
    ]
    for issue in issues:
        if len(set(issue.labels)) < len(issue.labels):
            raise ArgumentError("grid", f"issue {issue.name!r}: two grid values are equal")
    profiles = []
    for actor in scenario.actor_specs:
        if actor.role != "negotiator":
            continue
        tables, weights = [], []
        for issue, values in zip(scenario.issue_specs, points, strict=True):
            weights.append(float(actor.salience.get(issue.id, 0.0)))
            ideal = actor.position.get(issue.id, issue.status_quo)
            distance = (values - ideal) / (issue.high - issue.low)
            tables.append(
                TableEvaluator(tuple((1.0 - issue_loss(distance, scenario.loss)).tolist()))
            )
        profiles.append(
            Profile(
                actor.id,
                tuple(weights),
                tuple(tables),
                reservation=_reservation(scenario, actor),
                discount=1.0
                if actor.discount is None
                else float(actor.discount) ** scenario.rounds,
                source=scenario.origin,
            )
        )
    if len(profiles) < 2:
        raise ArgumentError("scenario", f"{scenario.id}: fewer than two negotiators")
    return make_domain(scenario.id, issues, profiles, source=scenario.origin)


def _reservation(scenario: Scenario, actor) -> float:
    """The declared reservation, else the actor's continuous utility of the status quo."""
    if actor.reservation is not None:
        return float(actor.reservation)
    total = sum(actor.salience.values())
    worth = 0.0
    for issue in scenario.issue_specs:
        if issue.id not in actor.salience:
            continue
        distance = (issue.status_quo - actor.position[issue.id]) / (issue.high - issue.low)
        worth += (
            actor.salience[issue.id] / total * (1.0 - float(issue_loss(distance, scenario.loss)))
        )
    return worth
