"""Readers for the input formats of peer packages, so users can bring their own data.

* :func:`read_decide`: decide-exchange-model's delimited files (``#A``, ``#P``, ``#M``, ``#D``
  rows; the delimiter is sniffed).
* :func:`read_eum_csv`: the common expected-utility-model CSV (Actor, Capability, Position,
  Salience) of one issue.

Both return a validated :class:`~negosim.Scenario`; problems raise :class:`ScenarioError`
naming the file, the row and the field. Files are read as scenario files are (a regular file
of bounded size, UTF-8: :func:`negosim.io.scenario_file.read_text`).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from negosim.io.scenario_file import path_argument, read_text
from negosim.model.errors import ArgumentError, ScenarioError
from negosim.model.scenario import Scenario
from negosim.model.targets import RESERVED_ID_CHARACTERS, id_problem, invisible


def _number(text: Any, source: str, where: str) -> float:
    """A finite number written in a cell (or given as ``status_quo``)."""
    try:
        number = float(str(text).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ScenarioError(f"{text!r} is not a finite number", source=source, path=where)
    return number


def _salience_scale(values: list[float]) -> float:
    """Saliences given on [0, 1] are scaled to negosim's 0..100."""
    return 100.0 if values and max(values) <= 1.0 else 1.0


ROW_CELLS = {"#A": 2, "#P": 2, "#M": 3, "#D": 6}
"""Cells each row of a decide file needs, its tag included (``#D``: actor, issue, position,
salience, power)."""


def _rows(text: str, dialect: Any, source: str) -> list[list[str]]:
    """The rows of a delimited file (a NUL byte or a runaway quote is one line's error)."""
    try:
        return list(csv.reader(text.splitlines(), dialect))
    except csv.Error as exc:
        raise ScenarioError(f"not a delimited file: {exc}", source=source) from None


def _scenario_id(stem: str, default: str) -> str:
    """A scenario id from a file name: the characters an id may not hold (``.`` and ``=``,
    invisible ones) become ``_`` (``my.data.csv`` is scenario ``my_data``)."""
    ident = "".join("_" if c in RESERVED_ID_CHARACTERS or invisible(c) else c for c in stem)
    return ident.strip() or default


def read_decide(path: str | Path) -> Scenario:
    """Read a decide-exchange-model input file.

    Issue scales are the min and max of each issue's ``#M`` points (0..100 without any);
    saliences on [0, 1] become 0..100; the status quo of each issue is its initial
    power x salience weighted mean (the exchange model's starting outcome). Actors whose
    saliences are all zero are left out.
    """
    path = path_argument(path, "path")
    source = str(path)
    text = read_text(path, source)
    try:
        dialect = csv.Sniffer().sniff(text[:1024], delimiters="\t;,")
    except csv.Error:
        dialect = csv.excel_tab
    actors: dict[str, dict[str, Any]] = {}
    issues: dict[str, dict[str, Any]] = {}
    points: dict[str, list[float]] = {}
    rows: list[tuple[int, list[str]]] = []
    for line, row in enumerate(_rows(text, dialect, source), start=1):
        row = [cell.strip().strip("'\"") for cell in row]
        if not row or not row[0]:
            continue
        tag = row[0]
        where = f"line {line}"
        if len(row) < ROW_CELLS.get(tag, 0):
            raise ScenarioError(
                f"a {tag} row needs {ROW_CELLS[tag]} cells, got {len(row)}",
                source=source,
                path=where,
            )
        if tag == "#A":
            actors[row[1]] = {"id": row[1], "name": row[2] if len(row) > 2 and row[2] else row[1]}
        elif tag == "#P":
            issues[row[1]] = {"id": row[1], "label": row[2] if len(row) > 2 and row[2] else row[1]}
        elif tag == "#M":
            points.setdefault(row[1], []).append(_number(row[2], source, f"{where}.position"))
        elif tag == "#D":  # actor, issue, position, salience, power
            rows.append((line, row))
        elif tag not in ("#/", "#O", "#0"):
            raise ScenarioError(f"unknown row tag {tag!r}", source=source, path=where)
    saliences = [_number(r[4], source, f"line {n}.salience") for n, r in rows]
    scale = _salience_scale(saliences)
    data: dict[str, dict[str, Any]] = {
        a: {**v, "position": {}, "salience": {}, "power_by_issue": {}} for a, v in actors.items()
    }
    for line, row in rows:
        actor, issue = row[1], row[2]
        where = f"line {line}"
        if actor not in data:
            raise ScenarioError(
                f"#D names actor {actor!r} without an #A row", source=source, path=where
            )
        if issue not in issues:
            raise ScenarioError(
                f"#D names issue {issue!r} without a #P row", source=source, path=where
            )
        entry = data[actor]
        entry["position"][issue] = _number(row[3], source, f"{where}.position")
        entry["salience"][issue] = _number(row[4], source, f"{where}.salience") * scale
        entry["power_by_issue"][issue] = _number(row[5], source, f"{where}.power")
    issue_list = []
    for issue_id, spec in issues.items():
        marks = points.get(issue_id, [])
        low, high = (min(marks), max(marks)) if len(marks) >= 2 else (0.0, 100.0)
        weights = [
            (a["power_by_issue"][issue_id] * a["salience"][issue_id], a["position"][issue_id])
            for a in data.values()
            if issue_id in a["position"]
        ]
        total = sum(w for w, _ in weights)
        sq = sum(w * x for w, x in weights) / total if total > 0 else low
        issue_list.append({**spec, "scale": [low, high], "status_quo": min(max(sq, low), high)})
    actor_list = []
    for entry in data.values():
        if not any(entry["salience"].values()):
            continue
        powers = list(entry["power_by_issue"].values()) or [1.0]
        entry["power"] = max(max(powers), 1e-9)
        entry["power_by_issue"] = {k: v for k, v in entry["power_by_issue"].items() if v > 0}
        actor_list.append(entry)
    doc = {
        "scenario": {
            "id": _scenario_id(path.stem, "decide"),
            "title": f"{path.name} (decide input)",
        },
        "issues": issue_list,
        "actors": actor_list,
    }
    return Scenario.from_dict(doc, source=source)


def read_eum_csv(
    path: str | Path, issue: str = "issue", *, status_quo: float | None = None
) -> Scenario:
    """Read an expected-utility-model CSV with columns Actor, Capability, Position, Salience.

    The scale is the range of the positions; saliences on [0, 1] become 0..100; the status quo
    is ``status_quo`` or, by default, the capability x salience weighted mean.
    """
    path = path_argument(path, "path")
    if not isinstance(issue, str) or id_problem(issue) or not issue:
        raise ArgumentError("issue", f"must be an id, got {issue!r}")
    if status_quo is not None and (
        isinstance(status_quo, bool) or not isinstance(status_quo, int | float)
    ):
        raise ArgumentError("status_quo", f"must be a number or None, got {status_quo!r}")
    source = str(path)
    try:
        records = list(csv.DictReader(io.StringIO(read_text(path, source), newline="")))
    except csv.Error as exc:
        raise ScenarioError(f"not a CSV file: {exc}", source=source) from None
    needed = ("Actor", "Capability", "Position", "Salience")
    if not records or any(k not in records[0] for k in needed):
        raise ScenarioError(f"needs the columns {', '.join(needed)}", source=source, path="header")
    values = [
        {k: (r[k] if k == "Actor" else _number(r[k], source, f"row {n}.{k}")) for k in needed}
        for n, r in enumerate(records, start=2)
    ]
    scale = _salience_scale([v["Salience"] for v in values])
    low, high = min(v["Position"] for v in values), max(v["Position"] for v in values)
    high = high if high > low else low + 1.0
    weights = [v["Capability"] * v["Salience"] for v in values]
    sq = (
        status_quo
        if status_quo is not None
        else (sum(w * v["Position"] for w, v in zip(weights, values, strict=True)) / sum(weights))
    )
    actors = [
        {
            "id": v["Actor"],
            "power": v["Capability"],
            "position": {issue: v["Position"]},
            "salience": {issue: v["Salience"] * scale},
        }
        for v in values
    ]
    doc = {
        "scenario": {
            "id": _scenario_id(path.stem, "eum"),
            "title": f"{path.name} (EUM input)",
            "protocol": "eum",
            "rounds": 10,
        },
        "issues": [{"id": issue, "label": issue, "scale": [low, high], "status_quo": sq}],
        "actors": actors,
    }
    return Scenario.from_dict(doc, source=source)
