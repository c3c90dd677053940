"""Hostile scenario input: files that must be refused in one line before any work, and a
fuzz of the file format (random mutations of a valid scenario)."""

from __future__ import annotations

import copy
import json
import os
import tomllib
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.cli import main as cli
from negosim.model.errors import ArgumentError

DATA = Path(__file__).parent / "data"

MINIMAL = tomllib.loads((DATA / "minimal.toml").read_text())


def refused(path, capsys) -> str:
    """The one line `negosim validate` prints for a refused file (exit code 2)."""
    assert cli(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"negosim: error: {path}")
    with pytest.raises(ns.ScenarioError):
        ns.load_scenario(path)
    return err


def test_a_fifo_is_refused_not_read(tmp_path, capsys):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)  # reading it would block for ever
    assert "not a regular file" in refused(fifo, capsys)


def test_deep_nesting_and_huge_files_are_refused(tmp_path, capsys):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 3000 + "]" * 3000)
    assert "nested too deeply" in refused(deep, capsys)
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 900_000)
    assert "file too large" in refused(big, capsys)


def write(tmp_path, data, name="case.toml"):
    """A scenario mapping as a TOML file (tiny writer: the tables of the format only)."""

    def value(v):
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, date):
            return v.isoformat()
        return repr(v)

    lines = ["[scenario]", *(f"{k} = {value(v)}" for k, v in data["scenario"].items())]
    for table in ("issues", "actors", "coalitions", "moves", "uncertainty", "updates"):
        for row in data.get(table, []):
            lines += ["", f"[[{table}]]", *(f"{k} = {value(v)}" for k, v in row.items())]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (
            lambda d: d["issues"][1].update(scale=[-1e300, 1e300]),
            "issues[1].scale[0]",
            "must be in",
        ),
        (lambda d: [a.update(role="ratifier") for a in d["actors"]], "actors", "no negotiator"),
        (
            lambda d: d["uncertainty"].append(
                {"target": "US.strategy.e", "dist": "uniform", "low": -1.0, "high": 1.0}
            ),
            "uncertainty[1]",
            "e must be > 0",
        ),
        (
            lambda d: d.setdefault("updates", []).append(
                {"date": "2007-11-01", "set": {"US.strategy.e": -0.5}}
            ),
            "updates[0].set.US.strategy.e",
            "e must be > 0",
        ),
        (
            lambda d: d["scenario"].update(protocol="altenating"),
            "scenario.protocol",
            "did you mean",
        ),
    ],
    ids=["wide_scale", "no_negotiator", "negative_sampled_e", "negative_updated_e", "protocol"],
)
def test_files_that_passed_validation_and_crashed_later_are_refused(
    tmp_path, capsys, change, field, problem
):
    data = copy.deepcopy(MINIMAL)
    change(data)
    path = write(tmp_path, data)
    line = refused(path, capsys)
    assert f"{path}: {field}" in line and problem in line


def test_a_protocol_without_its_negotiators_is_refused_before_work():
    data = copy.deepcopy(MINIMAL)
    for actor in data["actors"]:
        actor["role"] = "ratifier"
    data["scenario"]["protocol"] = "median"  # a forecast model: valid without negotiators
    sc = ns.Scenario.from_dict(data, source="no_negotiator")
    assert ns.simulate(sc, 3, seed=0).runs == 3
    with pytest.raises(ArgumentError, match="protocol: 'alternating' needs a negotiator"):
        ns.simulate(sc, 3, seed=0, protocol="alternating")


# ----------------------------------------------------------------------------- fuzz

NASTY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(-5, 200), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(-5, 200), max_size=2),
)
COUNTS = {"tried": 0, "loaded": 0, "rejected": 0, "tracebacks": 0}


def paths(value, prefix=()):
    """Every path to a value in a nested mapping/list."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from paths(v, (*prefix, k))


ALL_PATHS = [p for p in paths(MINIMAL) if p]


def mutate(data, path, new, delete):
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new


@settings(
    max_examples=int(os.environ.get("NEGOSIM_FUZZ_EXAMPLES", 400)),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(st.sampled_from(ALL_PATHS), NASTY, st.booleans()), min_size=1, max_size=3)
)
def test_fuzz_scenario_files_load_or_are_refused_never_crash(mutations):
    data = copy.deepcopy(MINIMAL)
    for path, new, delete in mutations:
        try:
            mutate(data, path, new, delete)
        except (KeyError, IndexError, TypeError):  # an earlier mutation removed the path
            continue
    COUNTS["tried"] += 1
    try:
        sc = ns.Scenario.from_dict(data, source="fuzz")
    except ns.ScenarioError as exc:
        COUNTS["rejected"] += 1
        assert "\n" not in str(exc) and str(exc).startswith("fuzz")
        return
    except Exception:
        COUNTS["tracebacks"] += 1
        raise
    COUNTS["loaded"] += 1
    try:  # what loads must run (or be refused as an argument, in one line)
        res = ns.simulate(sc, 3, seed=0)
        assert np.all(np.isfinite(res.utility)) and np.all(np.isfinite(res.outcome))
    except ArgumentError:
        pass


def test_fuzz_counts_are_reported(capsys):
    # runs after the fuzz (file order): the counts go to the log and to a JSON for the notes
    if not COUNTS["tried"]:
        pytest.skip("the fuzz test did not run in this session")
    report = os.environ.get("NEGOSIM_FUZZ_FILE_REPORT")
    if report:
        with open(report, "w") as handle:
            json.dump(COUNTS, handle)
    with capsys.disabled():
        print(f"\nscenario-file fuzz: {COUNTS}")
    assert COUNTS["tracebacks"] == 0 and COUNTS["rejected"] + COUNTS["loaded"] == COUNTS["tried"]
