"""GeniusWeb JSON domains (ANAC 2020 on, the ANL league): one folder -> a
:class:`~negosim.model.domains.Domain`.

A folder holds one domain (an object with ``issuesValues``) and its
``LinearAdditiveUtilitySpace`` profiles, told apart by their keys whatever their names, and
may hold ``specials.json`` (the ANL folders' Nash, Kalai and Pareto bids), kept as
:attr:`~negosim.model.domains.Domain.specials`. Profiles are read in the natural order of
their file names and named by their stems. Non-linear profiles (``SumOfGroupsUtilitySpace``)
and number issues are refused naming the file. docs/domains.md has the rules.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from negosim.io.domain_folders import domain_folder, folder_files, one_domain, read_bytes
from negosim.io.scenario_file import _text
from negosim.model.domains import (
    CategoricalIssue,
    Domain,
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
SPECIALS = "specials.json"


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
    issues = _geniusweb_issues(domain_data["issuesValues"], str(domain_file), "issuesValues")
    check_issues(issues, str(domain_file))  # before the profiles
    return make_domain(
        domain_file.stem,
        issues,
        [_geniusweb_profile(data, str(file), file.stem, issues) for file, data in profiles],
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


def _geniusweb_issues(values: Any, source: str, path: str) -> list[Issue]:
    issues: list[Issue] = []
    for name, spec in _mapping(values, source, path).items():
        where = f"{path}.{name}"
        spec = _mapping(spec, source, where)
        if "values" not in spec:
            raise ScenarioError(
                "only discrete issues ('values') are supported", source=source, path=where
            )
        labels = spec["values"]
        if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
            raise ScenarioError("'values' must be a list of strings", source=source, path=where)
        issues.append(CategoricalIssue(name, tuple(labels)))
    return issues


def _geniusweb_profile(
    data: dict[str, Any], source: str, name: str, issues: list[Issue]
) -> Profile:
    space = _mapping(data[GENIUSWEB_LINEAR], source, GENIUSWEB_LINEAR)
    top = GENIUSWEB_LINEAR
    if "domain" in space:
        embedded = _mapping(space["domain"], source, f"{top}.domain")
        theirs = _geniusweb_issues(
            embedded.get("issuesValues"), source, f"{top}.domain.issuesValues"
        )
        if {i.name: set(i.labels) for i in theirs} != {i.name: set(i.labels) for i in issues}:
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
        evaluators.append(_geniusweb_table(utilities, issue, source))
    profile = Profile(name, tuple(raw_weights), tuple(evaluators), source=source)
    if "reservationBid" not in space:
        return profile
    check_profile(profile, issues)  # its numbers first: the bid's utility needs them
    reservation = _bid_utility(space["reservationBid"], profile, issues, source)
    return Profile(name, profile.weights, profile.evaluators, reservation, source=source)


def _jsonattribute_number(value: Any, source: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{value!r} is not a finite number", source=source, path=path)
    return float(value)


def _geniusweb_table(utilities: dict[str, Any], issue: Issue, source: str) -> TableEvaluator:
    where = f"{GENIUSWEB_LINEAR}.issueUtilities.{issue.name}"
    spec = _mapping(utilities.get(issue.name), source, where)
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
        if label not in issue.labels:
            raise ScenarioError(
                "utility of a value the domain's issue does not have",
                source=source,
                path=f"{where}.{label}",
            )
    values = []
    for label in issue.labels:
        if label not in table:
            raise ScenarioError("no utility of this value", source=source, path=f"{where}.{label}")
        values.append(_jsonattribute_number(table[label], source, f"{where}.{label}"))
    return TableEvaluator(tuple(values), normalise=False)


def _bid_utility(bid: Any, profile: Profile, issues: list[Issue], source: str) -> float:
    """GeniusWeb's utility of the reservation bid: ``sum_i w_i u_i(bid_i)`` over the issues it
    gives (``LinearAdditiveUtilitySpace.getUtility``; a missing issue counts 0)."""
    where = f"{GENIUSWEB_LINEAR}.reservationBid"
    values = _mapping(
        _mapping(bid, source, where).get("issuevalues"), source, f"{where}.issuevalues"
    )
    tables = dict(zip((i.name for i in issues), profile.tables(issues), strict=True))
    total = 0.0
    for issue in issues:
        if issue.name not in values:
            continue
        label = values[issue.name]
        if label not in issue.labels:
            raise ScenarioError(
                f"{label!r} is not a value of this issue",
                source=source,
                path=f"{where}.issuevalues.{issue.name}",
            )
        total += float(tables[issue.name][issue.labels.index(label)])
    unknown = [name for name in values if name not in tables]
    if unknown:
        raise ScenarioError(
            "unknown issue", source=source, path=f"{where}.issuevalues.{unknown[0]}"
        )
    return total
