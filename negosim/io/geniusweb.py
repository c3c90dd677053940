"""GeniusWeb JSON domains (ANAC 2020 on, the ANL league): one folder -> a
:class:`~negosim.model.domains.Domain`.

A folder holds one domain (an object with ``issuesValues``) and its
``LinearAdditiveUtilitySpace`` profiles, told apart by their keys whatever their names, and
may hold ``specials.json`` (the ANL folders' Nash, Kalai and Pareto bids), kept as
:attr:`~negosim.model.domains.Domain.specials`. Profiles are read in the natural order of
their file names and named by their stems. Non-linear profiles (``SumOfGroupsUtilitySpace``)
are refused naming the file. docs/domains.md has the rules.

**Number issues** (GeniusWeb ``NumberValueSet``, ``{"range": {"low", "high", "step"}}``) are
enumerated as GeniusWeb's ``Range`` is: the values ``low + k * step`` for ``k = 0, 1, ..`` up
to ``high`` (``1 + floor((high - low) / step)`` of them; the last may be below ``high``). A
range of whole numbers with step 1 becomes an :class:`~negosim.model.domains.IntegerIssue`,
any other a :class:`~negosim.model.domains.CategoricalIssue` labelled by the values written as
decimals (``"0.5"``, ``"1"``, ``"1.5"``). Their utilities (``NumberValueSetUtilities``,
``{lowValue, lowUtility, highValue, highUtility}``) are GeniusWeb's: ``lowUtility +
(highUtility - lowUtility) (x - lowValue) / (highValue - lowValue)`` rounded half up to 8
decimal places, and 0 for a value below ``lowValue`` or above ``highValue`` (no clamping to
the end utilities); GeniusWeb fits them to the issue only when ``lowValue`` and ``highValue``
are the range's ``low`` and ``high``, so every enumerated value lies between them. Both are
computed in exact decimal arithmetic, as GeniusWeb's ``BigDecimal``/``Decimal`` are, and kept
as a table of the values (``TableEvaluator(normalise=False)``).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from negosim.io.domain_folders import domain_folder, folder_files, one_domain, read_bytes
from negosim.io.scenario_file import _text
from negosim.model.domains import (
    MAX_VALUES,
    CategoricalIssue,
    Domain,
    IntegerIssue,
    Issue,
    Profile,
    TableEvaluator,
    check_issues,
    check_profile,
    make_domain,
)
from negosim.model.errors import ScenarioError

GENIUSWEB_LINEAR = "LinearAdditiveUtilitySpace"
GENIUSWEB_OTHER = ("SumOfGroupsUtilitySpace", "DiscountedUtilitySpace", "UtilitySpace")
DISCRETE_UTILITIES = ("DiscreteValueSetUtilities", "discreteutils")
NUMBER_UTILITIES = "NumberValueSetUtilities"
NUMBER_FIELDS = ("lowValue", "lowUtility", "highValue", "highUtility")
SPECIALS = "specials.json"
DECIMALS = 8
"""GeniusWeb rounds a number value's utility to 8 decimal places, half up
(``NumberValueSetUtilities.getUtility``)."""

Range = tuple[Decimal, Decimal, Decimal]
"""A number issue's ``(low, high, step)``."""


def read_geniusweb(folder: str | Path) -> Domain:
    """Read a GeniusWeb folder: a domain ``{"name", "issuesValues": {issue: {"values":
    [..]}}}`` and ``{"LinearAdditiveUtilitySpace": {"issueUtilities", "issueWeights",
    "domain", "reservationBid"}}`` profiles.

    Value utilities are used as written (GeniusWeb keeps them in [0, 1]); the weights are
    renormalised; the reservation value is the utility of the ``reservationBid`` when there is
    one (an issue it leaves out counts 0), else 0; GeniusWeb has no discount. A profile's
    embedded ``domain`` must have the domain file's issues and values.

    Raises
    ------
    ScenarioError
        One line naming the file and the element (a JSON path).
    """
    path = domain_folder(folder)
    domains, profiles, specials = [], [], None
    for file in folder_files(path, ".json"):
        data = _load_json(file)
        if file.name == SPECIALS:
            specials = data
        elif "issuesValues" in data:
            domains.append((file, data))
        elif GENIUSWEB_LINEAR in data:
            profiles.append((file, data))
        else:
            other = [key for key in GENIUSWEB_OTHER if key in data]
            problem = (
                f"a {other[0]} profile is not supported; only {GENIUSWEB_LINEAR} is"
                if other
                else f"neither a GeniusWeb domain (issuesValues) nor a {GENIUSWEB_LINEAR} profile"
            )
            raise ScenarioError(problem, source=str(file))
    domain_file, domain_data = one_domain(domains, path, "GeniusWeb")
    if not profiles:
        raise ScenarioError(f"no {GENIUSWEB_LINEAR} profile here", source=str(path))
    issues, ranges = _geniusweb_issues(
        domain_data["issuesValues"], str(domain_file), "issuesValues"
    )
    check_issues(issues, str(domain_file))  # before the profiles
    return make_domain(
        domain_file.stem,
        issues,
        [_geniusweb_profile(data, str(file), file.stem, issues, ranges) for file, data in profiles],
        source=str(domain_file),
        specials=specials,
    )


def _load_json(file: Path) -> dict[str, Any]:
    source = str(file)
    try:
        data = json.loads(_text(read_bytes(file), source))
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"invalid JSON ({exc})", source=source) from None
    except RecursionError:
        raise ScenarioError("JSON nested too deeply", source=source) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"a JSON object expected, not {type(data).__name__}", source=source)
    return data


def _mapping(value: Any, source: str, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError("missing or not a JSON object", source=source, path=path)
    return value


def _geniusweb_issues(values: Any, source: str, path: str) -> tuple[list[Issue], dict[str, Range]]:
    """The issues of an ``issuesValues`` object, and the ranges of its number issues."""
    issues: list[Issue] = []
    ranges: dict[str, Range] = {}
    for name, spec in _mapping(values, source, path).items():
        where = f"{path}.{name}"
        spec = _mapping(spec, source, where)
        if "range" in spec and "values" not in spec:
            ranges[name] = _range(spec["range"], source, f"{where}.range")
            issues.append(_number_issue(name, ranges[name]))
            continue
        if "values" not in spec:
            raise ScenarioError(
                "neither discrete values ('values') nor a number range ('range')",
                source=source,
                path=where,
            )
        labels = spec["values"]
        if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
            raise ScenarioError("'values' must be a list of strings", source=source, path=where)
        issues.append(CategoricalIssue(name, tuple(labels)))
    return issues, ranges


def _decimal(value: Any, source: str, path: str) -> Decimal:
    """A JSON number as the decimal it was written as (a float by its shortest repr)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{value!r} is not a number", source=source, path=path)
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(f"{value!r} is not a finite number", source=source, path=path)
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _range(spec: Any, source: str, path: str) -> Range:
    """``(low, high, step)`` of a GeniusWeb ``Range``: step > 0, low <= high, at most
    ``MAX_VALUES`` values."""
    spec = _mapping(spec, source, path)
    low, high, step = (
        _decimal(spec.get(key), source, f"{path}.{key}") if key in spec else None
        for key in ("low", "high", "step")
    )
    for key, value in (("low", low), ("high", high), ("step", step)):
        if value is None:
            raise ScenarioError("missing", source=source, path=f"{path}.{key}")
    assert low is not None and high is not None and step is not None
    if step <= 0:
        raise ScenarioError(f"step {step} is not above 0", source=source, path=f"{path}.step")
    if low > high:
        raise ScenarioError(f"low {low} is above high {high}: no values", source=source, path=path)
    if _range_size((low, high, step)) > MAX_VALUES:
        raise ScenarioError(
            f"{_range_size((low, high, step)):,} values (at most {MAX_VALUES:,})",
            source=source,
            path=path,
        )
    return low, high, step


def _range_size(rng: Range) -> int:
    """``1 + floor((high - low) / step)`` (GeniusWeb ``Range.size``), exactly."""
    low, high, step = rng
    return 1 + math.floor(Fraction(high - low) / Fraction(step))


def _range_values(rng: Range) -> list[Decimal]:
    """The values ``low + k * step``, ``k = 0 .. size - 1`` (GeniusWeb ``Range.get``)."""
    low, _, step = rng
    return [low + step * k for k in range(_range_size(rng))]


def _number_label(value: Decimal) -> str:
    """A number value as a label: whole numbers without a point (``"2"``), others in plain
    decimal notation without trailing zeros (``"0.5"``)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _number_issue(name: str, rng: Range) -> Issue:
    """A range of whole numbers with step 1 is an integer issue; any other range a categorical
    issue labelled by its values."""
    low, _, step = rng
    if step == 1 and low == low.to_integral_value():
        return IntegerIssue(name, int(low), int(low) + _range_size(rng) - 1)
    return CategoricalIssue(name, tuple(_number_label(v) for v in _range_values(rng)))


def number_utility(
    x: Decimal, low: Decimal, low_u: Decimal, high: Decimal, high_u: Decimal
) -> float:
    """GeniusWeb's ``NumberValueSetUtilities.getUtility``: 0 outside ``[low, high]``, else
    ``low_u + (high_u - low_u) (x - low) / (high - low)`` rounded half up to 8 places."""
    if x < low or x > high:
        return 0.0
    exact = Fraction(low_u) + Fraction(high_u - low_u) * Fraction(x - low) / Fraction(high - low)
    scaled = abs(exact) * 10**DECIMALS
    rounded = math.floor(scaled + Fraction(1, 2))  # half up: a tie goes away from 0
    return float(math.copysign(1, exact) * Fraction(rounded, 10**DECIMALS))


def _issue_key(issues: list[Issue], ranges: dict[str, Range]) -> dict[str, Any]:
    """What must match between a profile's embedded domain and the domain file: each issue's
    values, or its range."""
    return {i.name: ranges.get(i.name) or frozenset(i.values) for i in issues}


def _geniusweb_profile(
    data: dict[str, Any], source: str, name: str, issues: list[Issue], ranges: dict[str, Range]
) -> Profile:
    space = _mapping(data[GENIUSWEB_LINEAR], source, GENIUSWEB_LINEAR)
    top = GENIUSWEB_LINEAR
    if "domain" in space:
        embedded = _mapping(space["domain"], source, f"{top}.domain")
        theirs, their_ranges = _geniusweb_issues(
            embedded.get("issuesValues"), source, f"{top}.domain.issuesValues"
        )
        if _issue_key(theirs, their_ranges) != _issue_key(issues, ranges):
            raise ScenarioError(
                "its issues or values differ from the domain file's: a profile for another domain?",
                source=source,
                path=f"{top}.domain",
            )
    utilities = _mapping(space.get("issueUtilities"), source, f"{top}.issueUtilities")
    weights = _mapping(space.get("issueWeights"), source, f"{top}.issueWeights")
    names = [i.name for i in issues]
    for key, where in ((utilities, "issueUtilities"), (weights, "issueWeights")):
        for issue_name in key:
            if issue_name not in names:
                raise ScenarioError(
                    "unknown issue", source=source, path=f"{top}.{where}.{issue_name}"
                )
    evaluators, raw_weights = [], []
    for issue in issues:
        where = f"{top}.issueWeights.{issue.name}"
        if issue.name not in weights:
            raise ScenarioError("no weight for this issue", source=source, path=where)
        raw_weights.append(_jsonattribute_number(weights[issue.name], source, where))
        evaluators.append(_geniusweb_table(utilities, issue, source, ranges.get(issue.name)))
    profile = Profile(name, tuple(raw_weights), tuple(evaluators), source=source)
    if "reservationBid" not in space:
        return profile
    check_profile(profile, issues)  # its numbers first: the bid's utility needs them
    reservation = _bid_utility(space["reservationBid"], profile, issues, ranges, source)
    return Profile(name, profile.weights, profile.evaluators, reservation, source=source)


def _jsonattribute_number(value: Any, source: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{value!r} is not a finite number", source=source, path=path)
    return float(value)


def _geniusweb_table(
    utilities: dict[str, Any], issue: Issue, source: str, rng: Range | None = None
) -> TableEvaluator:
    where = f"{GENIUSWEB_LINEAR}.issueUtilities.{issue.name}"
    spec = _mapping(utilities.get(issue.name), source, where)
    if rng is not None or NUMBER_UTILITIES in spec:
        return _number_table(spec, issue, source, where, rng)
    kind = next((k for k in DISCRETE_UTILITIES if k in spec), None)
    if kind is None:
        raise ScenarioError(
            f"only {DISCRETE_UTILITIES[0]} are supported; found {', '.join(spec) or 'nothing'}",
            source=source,
            path=where,
        )
    table = _mapping(
        _mapping(spec[kind], source, f"{where}.{kind}").get("valueUtilities"),
        source,
        f"{where}.{kind}.valueUtilities",
    )
    where = f"{where}.{kind}.valueUtilities"
    for label in table:
        if label not in issue.values:
            raise ScenarioError(
                "utility of a value the domain's issue does not have",
                source=source,
                path=f"{where}.{label}",
            )
    values = []
    for label in issue.values:
        if label not in table:
            raise ScenarioError("no utility of this value", source=source, path=f"{where}.{label}")
        values.append(_jsonattribute_number(table[label], source, f"{where}.{label}"))
    return TableEvaluator(tuple(values), normalise=False)


def _number_table(
    spec: dict[str, Any], issue: Issue, source: str, where: str, rng: Range | None
) -> TableEvaluator:
    """The utilities of a number issue's values (``NumberValueSetUtilities``), fitted to its
    range as GeniusWeb fits them (``isFitting``)."""
    if rng is None:
        raise ScenarioError(
            f"{NUMBER_UTILITIES} on a discrete issue (it has 'values', not a 'range')",
            source=source,
            path=f"{where}.{NUMBER_UTILITIES}",
        )
    if NUMBER_UTILITIES not in spec:
        raise ScenarioError(
            f"a number issue needs {NUMBER_UTILITIES}; found {', '.join(spec) or 'nothing'}",
            source=source,
            path=where,
        )
    where = f"{where}.{NUMBER_UTILITIES}"
    fields = _mapping(spec[NUMBER_UTILITIES], source, where)
    for key in NUMBER_FIELDS:
        if key not in fields:
            raise ScenarioError("missing", source=source, path=f"{where}.{key}")
    low, low_u, high, high_u = (
        _decimal(fields[key], source, f"{where}.{key}") for key in NUMBER_FIELDS
    )
    for key, value in (("lowUtility", low_u), ("highUtility", high_u)):
        if not 0 <= value <= 1:
            raise ScenarioError(f"{value} is not in [0, 1]", source=source, path=f"{where}.{key}")
    if high <= low:
        raise ScenarioError(
            f"highValue {high} is not above lowValue {low}", source=source, path=where
        )
    if low != rng[0]:
        raise ScenarioError(
            f"lowValue {low} is not the issue's range low {rng[0]}",
            source=source,
            path=f"{where}.lowValue",
        )
    if high != rng[1]:
        raise ScenarioError(
            f"highValue {high} is not the issue's range high {rng[1]}",
            source=source,
            path=f"{where}.highValue",
        )
    values = tuple(number_utility(x, low, low_u, high, high_u) for x in _range_values(rng))
    return TableEvaluator(values, normalise=False)


def _bid_utility(
    bid: Any, profile: Profile, issues: list[Issue], ranges: dict[str, Range], source: str
) -> float:
    """GeniusWeb's utility of the reservation bid: ``sum_i w_i u_i(bid_i)`` over the issues it
    gives (``LinearAdditiveUtilitySpace.getUtility``; a missing issue counts 0). A number
    issue's value is a JSON number, one of its range's values."""
    where = f"{GENIUSWEB_LINEAR}.reservationBid"
    values = _mapping(
        _mapping(bid, source, where).get("issuevalues"), source, f"{where}.issuevalues"
    )
    tables = dict(zip((i.name for i in issues), profile.tables(issues), strict=True))
    total = 0.0
    for issue in issues:
        if issue.name not in values:
            continue
        value, path = values[issue.name], f"{where}.issuevalues.{issue.name}"
        if issue.name in ranges:
            number = _decimal(value, source, path)
            found = [k for k, x in enumerate(_range_values(ranges[issue.name])) if x == number]
        else:
            found = [k for k, x in enumerate(issue.values) if isinstance(value, str) and x == value]
        if not found:
            raise ScenarioError(f"{value!r} is not a value of this issue", source=source, path=path)
        total += float(tables[issue.name][found[0]])
    unknown = [name for name in values if name not in tables]
    if unknown:
        raise ScenarioError(
            "unknown issue", source=source, path=f"{where}.issuevalues.{unknown[0]}"
        )
    return total
