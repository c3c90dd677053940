"""Discrete negotiation domains: the outcome spaces and linear-additive profiles of GENIUS and
GeniusWeb (the ANAC benchmark domains), as plain validated values.

A :class:`Domain` is a tuple of issues and the profiles (preferences) of its parties. An issue
is categorical (:class:`CategoricalIssue`, labelled values) or integer
(:class:`IntegerIssue`, the values ``lower..upper``). A :class:`Profile` scores an outcome
``x = (x_1, ..., x_I)`` (one value per issue) linear-additively::

    u(x) = min(1, sum_i w_i * v_i(x_i)),      w_i = W_i / sum_j W_j

with the raw weights ``W_i`` of the file renormalised to sum to 1, and the value functions

* table (:class:`TableEvaluator`, GENIUS ``EvaluatorDiscrete``): ``v_i(x) = e_i(x) / max_y
  e_i(y)``, the evaluation of the file divided by the issue's largest one, or 0 for every
  value when that largest one is below ``1e-5``; GeniusWeb tables are taken as given
  (``normalise=False``), their utilities already lie in [0, 1];
* linear (:class:`LinearEvaluator`, GENIUS ``EvaluatorInteger``, integer issues):
  ``v_i(x) = clip(offset + slope * (x - lower), 0, 1)``.

The cap ``min(1, .)`` is GENIUS's (``AdditiveUtilitySpace.getUtility``); with renormalised
weights it only removes rounding. Time discounts utility and reservation alike::

    u(x, t) = u(x) * d ** t,      r(t) = r * d ** t,      t in [0, 1] (clipped)

where ``d`` is the file's discount factor, and a factor ``<= 0`` or ``> 1`` means 1 (no
discount; GENIUS ``AbstractUtilitySpace.validateDiscount``). docs/domains.md says where each
rule comes from. Everything here is plain Python and numpy; the readers and the writer live
in :mod:`negosim.io.genius`, the enumeration and the negotiations in
:mod:`negosim.engine.discrete`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negosim.model.errors import ScenarioError

MAX_VALUES = 1_000_000
"""Most values of one issue (an integer range wider than this is refused: no domain of it could
be enumerated)."""

SMALLEST_MAXIMUM = 1e-5
"""A table whose largest evaluation is below this scores every value 0 (GENIUS
``EvaluatorDiscrete.normalize``: ``if (max < 0.00001) return 0``)."""


@dataclass(frozen=True)
class CategoricalIssue:
    """An issue whose values are labels (GENIUS ``IssueDiscrete``, GeniusWeb
    ``DiscreteValueSet``)."""

    name: str
    labels: tuple[str, ...]

    @property
    def size(self) -> int:
        """The number of values."""
        return len(self.labels)

    @property
    def values(self) -> tuple[str, ...]:
        """The values as labels (here the labels themselves)."""
        return self.labels


@dataclass(frozen=True)
class IntegerIssue:
    """An issue whose values are the integers ``lower, lower + 1, ..., upper`` (GENIUS
    ``IssueInteger``)."""

    name: str
    lower: int
    upper: int

    @property
    def size(self) -> int:
        """The number of values, ``upper - lower + 1``."""
        return self.upper - self.lower + 1

    @property
    def values(self) -> tuple[str, ...]:
        """The values as labels (``"3"``)."""
        return tuple(str(v) for v in range(self.lower, self.upper + 1))


Issue = CategoricalIssue | IntegerIssue


@dataclass(frozen=True)
class TableEvaluator:
    """One evaluation per value of the issue, in the issue's order.

    ``normalise=True`` (GENIUS): the value of ``x`` is ``e(x) / max e``, and 0 everywhere when
    ``max e < 1e-5``. ``normalise=False`` (GeniusWeb): the evaluations are the values, each
    in [0, 1].
    """

    evaluations: tuple[float, ...]
    normalise: bool = True

    def table(self, issue: Issue) -> np.ndarray:
        """The value ``v(x)`` of every value ``x`` of ``issue``, shape ``(issue.size,)``."""
        raw = np.asarray(self.evaluations, dtype=float)
        if not self.normalise:
            return raw
        top = raw.max()
        return raw / top if top >= SMALLEST_MAXIMUM else np.zeros_like(raw)


@dataclass(frozen=True)
class LinearEvaluator:
    """``v(x) = clip(offset + slope * (x - lower), 0, 1)`` on an integer issue (GENIUS
    ``EvaluatorInteger.getEvaluation``)."""

    offset: float
    slope: float

    def table(self, issue: Issue) -> np.ndarray:
        """The value of every integer of ``issue``, shape ``(issue.size,)``."""
        steps = np.arange(issue.size, dtype=float)  # x - lower
        return np.clip(self.offset + self.slope * steps, 0.0, 1.0)


Evaluator = TableEvaluator | LinearEvaluator


def effective_discount(factor: float) -> float:
    """The discount factor GENIUS uses: ``factor`` in (0, 1], else 1 (no discount).

    >>> effective_discount(0.5), effective_discount(0.0), effective_discount(1.5)
    (0.5, 1.0, 1.0)
    """
    return factor if 0.0 < factor <= 1.0 else 1.0


def discounted(value: np.ndarray | float, time: np.ndarray | float, factor: float) -> np.ndarray:
    """``value * d ** t`` with ``d = effective_discount(factor)`` and ``t`` clipped to [0, 1]
    (GENIUS ``AbstractUtilitySpace.discount``); a utility and a reservation alike."""
    t = np.clip(np.asarray(time, dtype=float), 0.0, 1.0)
    return np.asarray(value, dtype=float) * effective_discount(factor) ** t


@dataclass(frozen=True)
class Profile:
    """A party's linear-additive preferences over a domain's outcomes.

    Parameters
    ----------
    name
        The party (the file's stem).
    weights
        Raw weights ``W_i``, one per issue (>= 0, not all 0); they are renormalised.
    evaluators
        One value function per issue.
    reservation
        The utility of no agreement (undiscounted; GENIUS: a missing value means 0).
    discount
        The discount factor as written; ``effective_discount`` says what it means.
    source
        The file it was read from (for messages; not compared).
    """

    name: str
    weights: tuple[float, ...]
    evaluators: tuple[Evaluator, ...]
    reservation: float = 0.0
    discount: float = 1.0
    source: str = field(default="<profile>", compare=False)

    @property
    def delta(self) -> float:
        """The discount factor in effect (1 when the file's factor means no discount)."""
        return effective_discount(self.discount)

    @property
    def normalised_weights(self) -> np.ndarray:
        """``w_i = W_i / sum_j W_j``, shape ``(I,)``."""
        raw = np.asarray(self.weights, dtype=float)
        return raw / raw.sum()

    def tables(self, issues: Sequence[Issue]) -> list[np.ndarray]:
        """The weighted value tables ``w_i * v_i(x)``, one array ``(issue.size,)`` per issue."""
        w = self.normalised_weights
        return [
            w[i] * ev.table(issue)
            for i, (ev, issue) in enumerate(zip(self.evaluators, issues, strict=True))
        ]


@dataclass(frozen=True)
class Domain:
    """Issues and the profiles of the parties over them (one GENIUS or GeniusWeb folder).

    Built by :func:`make_domain` (which validates) or by the readers of
    :mod:`negosim.io.genius`. ``specials`` holds a GeniusWeb folder's ``specials.json`` (its
    Nash, Kalai and Pareto bids) when it had one.
    """

    name: str
    issues: tuple[Issue, ...]
    profiles: tuple[Profile, ...]
    source: str = field(default="<domain>", compare=False)
    specials: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def size(self) -> int:
        """The number of outcomes, the product of the issues' sizes."""
        return math.prod(issue.size for issue in self.issues)

    @property
    def party_names(self) -> tuple[str, ...]:
        """The profiles' names, in order."""
        return tuple(p.name for p in self.profiles)

    def profile_index(self, party: int | str) -> int:
        """The index of a profile given by index or by name."""
        names = self.party_names
        if isinstance(party, str):
            if party not in names:
                raise ScenarioError(
                    f"no profile {party!r}; profiles: {', '.join(names)}", source=self.source
                )
            return names.index(party)
        if not 0 <= int(party) < len(names):
            raise ScenarioError(
                f"no profile {party!r}; indices 0..{len(names) - 1}", source=self.source
            )
        return int(party)

    def utility(self, party: int | str, outcome: Sequence[int]) -> float:
        """The undiscounted utility of one outcome, given by value indices (one per issue).

        >>> d = make_domain("d", [CategoricalIssue("i", ("a", "b"))],
        ...     [Profile("p", (1.0,), (TableEvaluator((1.0, 4.0)),))])
        >>> d.utility("p", [0])
        0.25
        """
        tables = self.profiles[self.profile_index(party)].tables(self.issues)
        return min(1.0, float(sum(t[k] for t, k in zip(tables, outcome, strict=True))))


def make_domain(
    name: str,
    issues: Sequence[Issue],
    profiles: Sequence[Profile],
    *,
    source: str = "<domain>",
    specials: Mapping[str, Any] | None = None,
) -> Domain:
    """A validated :class:`Domain`; any problem is a one-line :class:`ScenarioError` naming the
    file (the domain's ``source`` or the profile's) and the element."""
    issues, profiles = tuple(issues), tuple(profiles)
    check_issues(issues, source)
    for profile in profiles:
        check_profile(profile, issues)
    names = [p.name for p in profiles]
    for k, profile in enumerate(profiles):
        if profile.name in names[:k]:
            raise ScenarioError(
                f"two profiles are named {profile.name!r}", source=profile.source, path="name"
            )
    return Domain(name, issues, profiles, source, specials)


def check_issues(issues: Sequence[Issue], source: str) -> None:
    """Issues are at least one, uniquely named, each with distinct values (at least one)."""
    if not issues:
        raise ScenarioError("the domain has no issues", source=source)
    seen: set[str] = set()
    for issue in issues:
        where = f"issue {issue.name!r}"
        if not issue.name:
            raise ScenarioError("an issue has no name", source=source, path="issue")
        if issue.name in seen:
            raise ScenarioError("two issues have this name", source=source, path=where)
        seen.add(issue.name)
        if isinstance(issue, IntegerIssue):
            if issue.lower > issue.upper:
                raise ScenarioError(
                    f"lowerbound {issue.lower} is above upperbound {issue.upper}",
                    source=source,
                    path=where,
                )
            if issue.size > MAX_VALUES:
                raise ScenarioError(
                    f"{issue.size:,} values (at most {MAX_VALUES:,})", source=source, path=where
                )
            continue
        if not issue.labels:
            raise ScenarioError("the issue has no values", source=source, path=where)
        doubled = sorted({v for v in issue.labels if issue.labels.count(v) > 1})
        if doubled:
            raise ScenarioError(f"value {doubled[0]!r} is listed twice", source=source, path=where)


def check_profile(profile: Profile, issues: Sequence[Issue]) -> None:
    """A profile fits its issues: a finite weight >= 0 and a value function per issue, tables
    of finite evaluations >= 0 (in [0, 1] when not normalised), linear functions on integer
    issues only, a finite reservation and discount factor."""
    src = profile.source

    def number(value: float, path: str) -> None:
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not real or not math.isfinite(value):
            raise ScenarioError(f"{value!r} is not a finite number", source=src, path=path)

    if len(profile.weights) != len(issues) or len(profile.evaluators) != len(issues):
        raise ScenarioError(
            f"{len(profile.weights)} weights and {len(profile.evaluators)} value functions "
            f"for {len(issues)} issues",
            source=src,
        )
    for issue, weight, ev in zip(issues, profile.weights, profile.evaluators, strict=True):
        number(weight, f"weight of issue {issue.name!r}")
        if weight < 0:
            raise ScenarioError(
                f"weight {weight!r} is negative", source=src, path=f"weight of issue {issue.name!r}"
            )
        if isinstance(ev, LinearEvaluator):
            if not isinstance(issue, IntegerIssue):
                raise ScenarioError(
                    "a linear evaluator needs an integer issue",
                    source=src,
                    path=f"issue {issue.name!r}",
                )
            number(ev.offset, f"issue {issue.name!r} evaluator offset")
            number(ev.slope, f"issue {issue.name!r} evaluator slope")
            continue
        if len(ev.evaluations) != issue.size:
            raise ScenarioError(
                f"{len(ev.evaluations)} evaluations for {issue.size} values",
                source=src,
                path=f"issue {issue.name!r}",
            )
        for label, value in zip(issue.values, ev.evaluations, strict=True):
            path = f"issue {issue.name!r} value {label!r}"
            number(value, path)
            if value < 0 or (not ev.normalise and value > 1):
                limits = "in [0, 1]" if not ev.normalise else ">= 0"
                raise ScenarioError(f"evaluation {value!r} is not {limits}", source=src, path=path)
    total = math.fsum(profile.weights)
    if not 0 < total < math.inf:
        raise ScenarioError(f"the weights sum to {total!r}", source=src, path="weight")
    number(profile.reservation, "reservation")
    number(profile.discount, "discount_factor")
