"""GENIUS XML domains (ANAC 2010-2019): one folder -> a :class:`~negosim.model.domains.Domain`,
and back.

* :func:`read_genius`: a folder with one GENIUS domain file (root ``<negotiation_template>``)
  and its profiles (root ``<utility_space>``), told apart by their root element, whatever
  their names. Files whose first character is not ``<`` are not XML and are passed over
  (ANAC 2014 folders hold a CSV named ``pareto.xml``).
* :func:`read_domain`: a GENIUS folder (any ``.xml`` file) or else a GeniusWeb one
  (:func:`negosim.io.geniusweb.read_geniusweb`).
* :func:`write_genius`: a domain as GENIUS XML, every number written so that it reads back
  identical (``read_genius(write_genius(d, f)) == d``).

Profiles are read in the natural order of their file names (``p2`` before ``p10``) and named
by them (the stem); the domain is named by its file's stem. The rules of GENIUS that decide a
number (an evaluation divided by its issue's largest one, the integer evaluator, the discount
and reservation) are applied by the model (:mod:`negosim.model.domains`); here the files are
read, and every problem is one :class:`~negosim.model.errors.ScenarioError` line naming the
file and the element. Non-linear profiles (ANAC 2014's hyper-rectangles) are refused naming
the file. docs/domains.md has the details.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from negosim.io.domain_folders import (
    attribute_number,
    domain_folder,
    folder_files,
    one_domain,
    read_bytes,
)
from negosim.io.geniusweb import read_geniusweb
from negosim.model.domain_format import grid_domain
from negosim.model.domains import (
    CategoricalIssue,
    Domain,
    IntegerIssue,
    Issue,
    LinearEvaluator,
    Profile,
    TableEvaluator,
    check_issues,
    make_domain,
)
from negosim.model.errors import ArgumentError, ScenarioError
from negosim.model.scenario import Scenario

GENIUS_DOMAIN = "negotiation_template"
GENIUS_PROFILE = "utility_space"
NONLINEAR_TAGS = ("ufun", "hyperRectangle")


def read_domain(folder: str | Path) -> Domain:
    """The domain of a GENIUS folder (any ``.xml`` file) or else a GeniusWeb one (``.json``).

    Examples
    --------
    >>> from negosim.io import read_domain                       # doctest: +SKIP
    >>> d = read_domain("anac/y2010/EnglandZimbabwe")            # doctest: +SKIP
    >>> d.party_names, d.size                                    # doctest: +SKIP
    (('England', 'Zimbabwe'), 576)
    """
    path = domain_folder(folder)
    if any(folder_files(path, ".xml")):
        return read_genius(path)
    if any(folder_files(path, ".json")):
        return read_geniusweb(path)
    raise ScenarioError("no GENIUS (.xml) or GeniusWeb (.json) files here", source=str(path))


# ----------------------------------------------------------------------------- GENIUS XML


def read_genius(folder: str | Path) -> Domain:
    """Read a GENIUS folder: one domain file and its linear-additive profiles.

    Issues are ``discrete`` (``<item value=..>``) or ``integer`` (``lowerbound`` and
    ``upperbound`` attributes, or a ``<range>`` child in older files). A profile matches the
    domain's issues by their ``index`` (and must give the same name and type), gives each issue
    a ``<weight index=..>``, each value of a discrete issue an ``evaluation`` and each integer
    issue an ``<evaluator ftype="linear" offset=.. slope=..>`` (none means 0 everywhere, as in
    GENIUS); ``<reservation value=..>`` (missing: 0) and ``<discount_factor value=..>``
    (missing: 1) are optional.

    Raises
    ------
    ScenarioError
        One line naming the file and the element: a missing or extra folder file, malformed
        XML, a non-linear profile, an unknown issue or value, a missing or negative weight or
        evaluation, a profile for another domain.
    """
    path = domain_folder(folder)
    domains, profiles = [], []
    for file in folder_files(path, ".xml"):
        root = _parse_xml(file)
        if root is None:
            continue
        if root.tag == GENIUS_DOMAIN:
            domains.append((file, root))
        elif root.tag == GENIUS_PROFILE:
            profiles.append((file, root))
        else:
            raise ScenarioError(
                f"root element <{root.tag}> is neither <{GENIUS_DOMAIN}> (a domain) nor "
                f"<{GENIUS_PROFILE}> (a profile)",
                source=str(file),
            )
    domain_file, domain_root = one_domain(domains, path, "GENIUS")
    if not profiles:
        raise ScenarioError("no profile (<utility_space>) file here", source=str(path))
    issues = _genius_issues(domain_root, str(domain_file))
    check_issues([issue for _, issue in issues], str(domain_file))  # before the profiles
    return make_domain(
        domain_file.stem,
        [issue for _, issue in issues],
        [_genius_profile(root, str(file), file.stem, issues) for file, root in profiles],
        source=str(domain_file),
    )


def _parse_xml(file: Path) -> ET.Element | None:
    """The root element, or None for a file that is not XML at all (no ``<`` first)."""
    raw = read_bytes(file)
    if not raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None
    try:
        return ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ScenarioError(f"not well-formed XML ({exc})", source=str(file)) from None
    except (LookupError, ValueError) as exc:  # an encoding Python does not know or cannot parse
        raise ScenarioError(f"unreadable XML ({exc})", source=str(file)) from None
    except RecursionError:
        raise ScenarioError("XML nested too deeply", source=str(file)) from None


def _issue_path(element: ET.Element) -> str:
    return f"issue[index={element.get('index')!r} name={element.get('name')!r}]"


def _issue_type(element: ET.Element) -> str:
    """GENIUS's rule (``DomainImpl``, ``AdditiveUtilitySpace``): the ``type`` attribute, or
    discrete when there is none."""
    return (element.get("type") or "discrete").strip().lower()


def _bounds(element: ET.Element, source: str) -> tuple[int, int] | None:
    """An integer issue's ``lowerbound``/``upperbound``: attributes, else a ``<range>`` child."""
    holder = element if element.get("lowerbound") is not None else element.find("range")
    if holder is None:
        return None
    where = _issue_path(element)
    lower = attribute_number(holder.get("lowerbound"), source, f"{where}.lowerbound", integer=True)
    upper = attribute_number(holder.get("upperbound"), source, f"{where}.upperbound", integer=True)
    return int(lower), int(upper)


def _genius_issues(root: ET.Element, source: str) -> list[tuple[int, Issue]]:
    """(index, issue) of every ``<issue>`` of a domain file, in document order."""
    found: list[tuple[int, Issue]] = []
    for element in root.iter("issue"):
        where = _issue_path(element)
        index = int(attribute_number(element.get("index"), source, f"{where}.index", integer=True))
        if index in (k for k, _ in found):
            raise ScenarioError("two issues have this index", source=source, path=where)
        name = element.get("name") or ""
        kind = _issue_type(element)
        if kind == "discrete":
            labels = []
            for item in element.findall("item"):
                if item.get("value") is None:
                    raise ScenarioError(
                        "an <item> has no value attribute", source=source, path=f"{where}.item"
                    )
                labels.append(item.get("value", ""))
            found.append((index, CategoricalIssue(name, tuple(labels))))
        elif kind == "integer":
            bounds = _bounds(element, source)
            if bounds is None:
                raise ScenarioError(
                    "an integer issue needs lowerbound and upperbound", source=source, path=where
                )
            found.append((index, IntegerIssue(name, *bounds)))
        else:
            raise ScenarioError(
                f"issue type {kind!r} is not supported (discrete and integer are)",
                source=source,
                path=where,
            )
    return found


def _genius_profile(
    root: ET.Element, source: str, name: str, issues: list[tuple[int, Issue]]
) -> Profile:
    """A profile file's :class:`Profile` over the domain's ``issues`` (matched by index)."""
    if (root.get("type") or "").lower() == "nonlinear" or any(
        root.find(f".//{tag}") is not None for tag in NONLINEAR_TAGS
    ):
        raise ScenarioError(
            "a non-linear profile (hyper-rectangle constraints) is not supported; only "
            "linear-additive profiles are",
            source=source,
            path="utility_space",
        )
    by_index = dict(issues)
    objectives = {(o.get("index") or "").strip() for o in root.iter("objective")}
    elements: dict[int, ET.Element] = {}
    for element in root.iter("issue"):
        where = _issue_path(element)
        index = int(attribute_number(element.get("index"), source, f"{where}.index", integer=True))
        if index not in by_index:
            raise ScenarioError(
                "unknown issue: the domain has no issue of this index", source=source, path=where
            )
        if index in elements:
            raise ScenarioError("two issues have this index", source=source, path=where)
        domain_issue = by_index[index]
        if (element.get("name") or "") != domain_issue.name:
            raise ScenarioError(
                f"the domain calls issue {index} {domain_issue.name!r}: a profile for another "
                "domain?",
                source=source,
                path=where,
            )
        elements[index] = element
    weights: dict[int, float] = {}
    for element in root.iter("weight"):
        where = f"weight[index={element.get('index')!r}]"
        index = int(attribute_number(element.get("index"), source, f"{where}.index", integer=True))
        if index not in by_index:
            if str(index) in objectives:
                continue  # an objective's weight: GENIUS leaves objectives out of utilities
            raise ScenarioError(
                "unknown issue: the domain has no issue of this index", source=source, path=where
            )
        if index in weights:
            raise ScenarioError("two weights for this issue", source=source, path=where)
        weights[index] = attribute_number(element.get("value"), source, f"{where}.value")
    evaluators = []
    for index, issue in issues:
        where = f"issue[index={str(index)!r} name={issue.name!r}]"
        if index not in elements:
            raise ScenarioError(
                "the profile does not evaluate this issue", source=source, path=where
            )
        if index not in weights:
            raise ScenarioError(
                "no weight for this issue", source=source, path=f"weight[index={str(index)!r}]"
            )
        evaluators.append(_genius_evaluator(elements[index], issue, source))
    return Profile(
        name,
        tuple(weights[index] for index, _ in issues),
        tuple(evaluators),
        reservation=_genius_value(root, "reservation", 0.0, source),
        discount=_genius_value(root, "discount_factor", 1.0, source),
        source=source,
    )


def _genius_evaluator(
    element: ET.Element, issue: Issue, source: str
) -> TableEvaluator | LinearEvaluator:
    where = _issue_path(element)
    kind = _issue_type(element)
    expected = "integer" if isinstance(issue, IntegerIssue) else "discrete"
    if kind != expected:
        raise ScenarioError(
            f"type {kind!r} here, {expected!r} in the domain: a profile for another domain?",
            source=source,
            path=where,
        )
    if isinstance(issue, IntegerIssue):
        bounds = _bounds(element, source)
        if bounds is not None and bounds != (issue.lower, issue.upper):
            raise ScenarioError(
                f"bounds {bounds[0]}..{bounds[1]} here, {issue.lower}..{issue.upper} in the "
                "domain: a profile for another domain?",
                source=source,
                path=where,
            )
        evaluator = element.find("evaluator")
        if evaluator is None:  # GENIUS: slope = offset = 0, so every value is worth 0
            return LinearEvaluator(0.0, 0.0)
        ftype = (evaluator.get("ftype") or "linear").lower()
        if ftype != "linear":
            raise ScenarioError(
                f"evaluator ftype {ftype!r} is not supported (linear is)",
                source=source,
                path=f"{where}.evaluator",
            )
        return LinearEvaluator(
            attribute_number(evaluator.get("offset"), source, f"{where}.evaluator.offset"),
            attribute_number(evaluator.get("slope"), source, f"{where}.evaluator.slope"),
        )
    evaluations: dict[str, float] = {}
    for item in element.findall("item"):  # direct children (not a similarity_function's)
        label = item.get("value")
        path = f"{where}.item[value={label!r}]"
        if label not in issue.labels:
            raise ScenarioError(
                "evaluation of a value the domain's issue does not have", source=source, path=path
            )
        if label in evaluations:
            raise ScenarioError("two evaluations of this value", source=source, path=path)
        evaluations[label] = attribute_number(item.get("evaluation"), source, f"{path}.evaluation")
    for label in issue.labels:
        if label not in evaluations:
            raise ScenarioError(
                "no evaluation of this value", source=source, path=f"{where}.item[value={label!r}]"
            )
    return TableEvaluator(tuple(evaluations[label] for label in issue.labels))


def _genius_value(root: ET.Element, tag: str, default: float, source: str) -> float:
    """The ``value`` of the first ``<tag>`` element, or ``default`` without one."""
    element = root.find(f".//{tag}")
    if element is None or element.get("value") is None:
        return default
    return attribute_number(element.get("value"), source, f"{tag}.value")


# ----------------------------------------------------------------------------- writing

_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def write_genius(
    domain: Domain | Scenario, folder: str | Path, *, grid: int | Mapping[str, Any] | None = None
) -> Path:
    """Write ``domain`` as a GENIUS folder: ``<domain.name>.xml`` and one
    ``<profile.name>.xml`` per profile, numbers as Python's shortest exact decimals.

    A continuous :class:`~negosim.model.scenario.Scenario` is written on a ``grid`` (a count of
    evenly spaced points per issue, or per issue a count or the values):
    :func:`negosim.model.domain_format.grid_domain` says how its utilities become the grid's
    evaluations.

    The folder is made if needed; it may not hold other ``.xml`` files (they would be read
    back as part of the domain). ``read_genius`` then returns a domain equal to ``domain``
    when its profiles' names are in natural order (the order they are read back in).

    Raises
    ------
    ArgumentError
        A name that cannot be a file name or holds a character XML cannot carry, or a table
        GENIUS would read differently (a GeniusWeb table whose largest utility is not 1, or a
        table on an integer issue).
    """
    if isinstance(domain, Scenario):
        if grid is None:
            raise ArgumentError("grid", "a continuous scenario is written on a grid: give grid=")
        domain = grid_domain(domain, grid)
    elif grid is not None:
        raise ArgumentError("grid", "only for a continuous scenario; a Domain is discrete already")
    names = [domain.name, *domain.party_names]
    for name in names:
        _check_file_name(name)
    if len({n.lower() for n in names}) < len(names):
        raise ArgumentError("domain", "the domain and profile names must differ (as file names)")
    for issue in domain.issues:
        _check_xml_text(issue.name, f"issue {issue.name!r}")
        for label in issue.values:
            _check_xml_text(label, f"issue {issue.name!r} value {label!r}")
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise ArgumentError("folder", f"{path} is not a folder")
    ours = {f"{n}.xml" for n in names}
    if path.is_dir():
        others = sorted(p.name for p in folder_files(path, ".xml") if p.name not in ours)
        if others:
            raise ArgumentError("folder", f"{path} holds other GENIUS files: {', '.join(others)}")
    profiles = [(p, _profile_xml(domain, p)) for p in domain.profiles]  # refuse before writing
    path.mkdir(parents=True, exist_ok=True)
    _write_xml(_domain_xml(domain), path / f"{domain.name}.xml")
    for profile, element in profiles:
        _write_xml(element, path / f"{profile.name}.xml")
    return path


def _check_file_name(name: str) -> None:
    if (
        not name
        or name.startswith(".")
        or any(c in name for c in "/\\\0:")
        or len(name.encode()) > 200
        or _XML_CHAR.search(name)
    ):
        raise ArgumentError("domain", f"{name!r} cannot name a file")


def _check_xml_text(text: str, where: str) -> None:
    if _XML_CHAR.search(text):
        raise ArgumentError("domain", f"{where}: holds a character XML cannot carry")


def _objective(parent: ET.Element) -> ET.Element:
    return ET.SubElement(
        parent, "objective", index="0", name="root", type="objective", etype="objective"
    )


def _issue_element(parent: ET.Element, index: int, issue: Issue) -> ET.Element:
    kind = "integer" if isinstance(issue, IntegerIssue) else "discrete"
    element = ET.SubElement(
        parent, "issue", index=str(index), name=issue.name, type=kind, etype=kind, vtype=kind
    )
    if isinstance(issue, IntegerIssue):
        element.set("lowerbound", str(issue.lower))
        element.set("upperbound", str(issue.upper))
    return element


def _domain_xml(domain: Domain) -> ET.Element:
    root = ET.Element(GENIUS_DOMAIN)
    space = ET.SubElement(root, GENIUS_PROFILE, number_of_issues=str(len(domain.issues)))
    objective = _objective(space)
    for index, issue in enumerate(domain.issues, start=1):
        element = _issue_element(objective, index, issue)
        for k, label in enumerate(issue.values if isinstance(issue, CategoricalIssue) else ()):
            ET.SubElement(element, "item", index=str(k + 1), value=label)
    return root


def _profile_xml(domain: Domain, profile: Profile) -> ET.Element:
    root = ET.Element(GENIUS_PROFILE)
    objective = _objective(root)
    for index, (issue, ev) in enumerate(
        zip(domain.issues, profile.evaluators, strict=True), start=1
    ):
        element = _issue_element(objective, index, issue)
        if isinstance(ev, LinearEvaluator):
            ET.SubElement(
                element, "evaluator", ftype="linear", offset=repr(ev.offset), slope=repr(ev.slope)
            )
            continue
        where = f"profile {profile.name!r} issue {issue.name!r}"
        if isinstance(issue, IntegerIssue):
            raise ArgumentError(
                "domain", f"{where}: GENIUS integer issues have linear evaluators only"
            )
        if not ev.normalise and max(ev.evaluations) not in (0.0, 1.0):
            raise ArgumentError(
                "domain",
                f"{where}: its largest utility is {max(ev.evaluations)!r}, and GENIUS would "
                "divide by it",
            )
        for k, (label, value) in enumerate(zip(issue.values, ev.evaluations, strict=True)):
            ET.SubElement(
                element, "item", index=str(k + 1), value=label, evaluation=repr(float(value))
            )
    for index, weight in enumerate(profile.weights, start=1):
        ET.SubElement(objective, "weight", index=str(index), value=repr(float(weight)))
    ET.SubElement(root, "discount_factor", value=repr(float(profile.discount)))
    ET.SubElement(root, "reservation", value=repr(float(profile.reservation)))
    return root


def _write_xml(root: ET.Element, file: Path) -> None:
    ET.indent(root)
    ET.ElementTree(root).write(file, encoding="utf-8", xml_declaration=True)
