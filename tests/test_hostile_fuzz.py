"""Property-based fuzz of every surface a user writes to (issue 30): scenario documents,
command lines, API calls and store folders.

The property, on each surface: a clean error (exit 2 and one line naming the file, field or
argument; or a :class:`~negosim.model.errors.NegosimError` naming it) or a result that passes
the invariants (outcomes finite and within the scales, agreed runs of the solution protocols
ratified, the same numbers for any chunk size, stores that read back); never a traceback, a
hang, a silent NaN or a store that cannot be read. Each surface counts what it tried and how
it ended; :func:`test_fuzz_counts_are_reported` prints the counts (and writes them to the JSON
file named by ``NEGOSIM_FUZZ_REPORT``). The examples are derandomized, so CI sees the same
cases every time; ``NEGOSIM_FUZZ_SCALE`` multiplies their number for a longer local run.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import os
import shutil
import stat
import tomllib
import warnings
from collections import Counter
from datetime import UTC, date, datetime, time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile_input import paths

import negosim as ns
from negosim.cli import main as cli
from negosim.engine import arguments as check
from negosim.engine.sampling import sample
from negosim.engine.solvers.runs import ratification_test
from negosim.io.scenario_file import bundled_dir
from negosim.io.store import MANIFEST
from negosim.model.errors import NegosimError

from helpers import no_hang

SCALE = float(os.environ.get("NEGOSIM_FUZZ_SCALE", 1))
DATA = Path(__file__).parent / "data"
MINIMAL_FILE = DATA / "minimal.toml"
SURFACES = ("scenario documents", "command lines", "API calls", "store folders")
COUNTS = {surface: Counter() for surface in SURFACES}
HANG_SECONDS = 20


def fuzz_settings(examples: int):
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def record(surface: str, outcome: str) -> None:
    COUNTS[surface]["tried"] += 1
    COUNTS[surface][outcome] += 1


@contextlib.contextmanager
def counted_as_defect(surface: str):
    """Count anything the block raises as a defect of ``surface`` (and raise it on)."""
    try:
        yield
    except BaseException:
        record(surface, "defect")
        raise


def attempt(surface: str, call, clean: type[BaseException] = NegosimError, seconds=HANG_SECONDS):
    """``(result, None)`` of ``call()``, or ``(None, error)`` for a ``clean`` error; anything
    else it raises (a traceback or a hang) is counted as a defect and raised on."""
    with counted_as_defect(surface), no_hang(seconds):
        try:
            return call(), None
        except clean as exc:
            return None, exc


def clean_error(surface: str, ok: bool, why) -> None:
    """Count a clean error, after checking its message (``ok``; ``why`` shows otherwise)."""
    with counted_as_defect(surface):
        assert ok, why
    record(surface, "clean error")


def one_line_naming(message: str, *names: str) -> bool:
    """Whether ``message`` is one line that begins with (or names) one of ``names``."""
    return "\n" not in message and any(n and n in message for n in names)


def check_result(res: ns.SimulationResult) -> None:
    """The invariants of a result: finite outcomes within the scales, finite utilities, and
    the agreed runs of a solution protocol ratified."""
    sc = res.scenario
    assert np.all(np.isfinite(res.outcome)), "a NaN or infinite outcome"
    span = sc.high - sc.low
    assert np.all(res.outcome >= sc.low - 1e-9 * span), "an outcome below its scale"
    assert np.all(res.outcome <= sc.high + 1e-9 * span), "an outcome above its scale"
    assert np.all(np.isfinite(res.utility)), "a NaN or infinite utility"
    assert np.all(res.utility <= 1 + 1e-9), "a utility above 1, the most a package is worth"
    if res.protocol in ("nash", "kalai_smorodinsky", "utilitarian") and res.agreed.any():
        negotiators = tuple(
            a for a, r in zip(sc.actors, sc.roles, strict=True) if r == "negotiator"
        )
        batch = sample(sc, res.runs, res.seed)
        passes = ratification_test(batch, negotiators, True)(res.outcome)
        assert np.all(passes[res.agreed]), "an agreed package that is not ratified"


# ----------------------------------------------------------------------------- documents

BUNDLED = {p.stem: tomllib.loads(p.read_text()) for p in sorted(bundled_dir().glob("*.toml"))}
BUNDLED["minimal"] = tomllib.loads(MINIMAL_FILE.read_text())
SMALL = ("minimal", "missile_defense_2007", "kosovo_status_2007")  # these are simulated


PATHS = {
    name: [p for p in paths(doc) if p and (p[0] != "scenario" or len(p) > 1)]
    for name, doc in BUNDLED.items()
}
NUMBERS_AT_THE_LIMITS = st.sampled_from(
    [
        0,
        -0.0,
        5e-324,
        -5e-324,
        1e-300,
        1e9,
        1e9 + 1,
        -1e9,
        1e15,
        1e300,
        -1e308,
        1.7976931348623157e308,
        2**63,
        10**400,
        math.nan,
        math.inf,
        np.int64(40),
        np.float32(0.5),
        np.uint8(1),
        np.bool_(True),
        np.float32(1e-40),
        np.int8(-5),
    ]
)
NAMES_OF_EVERY_FORM = st.sampled_from(
    [
        "x\u200by",  # a zero-width space
        "x\u00a0y",  # a no-break space
        "x\u202ey",  # a right-to-left override
        "x=y",
        "x.y",
        " x",
        "Co\u0302te",  # decomposed
        "C\u00f4te",  # composed: the same name
        "\ud800",  # a lone surrogate
        "moves",
        "",
    ]
)
"""Ids and names: invisible characters, the target syntax's characters, two Unicode forms of
one name (a document may get both, as two ids), a surrogate."""
ARRAYS_OF_EVERY_FORM = st.sampled_from(
    [(0, 100), np.array([0.0, 100.0]), np.array([[0, 100]]), np.array(["a", "b"]), (np.int64(5),)]
)
DATES_OF_EVERY_FORM = st.sampled_from(
    [
        date(2007, 10, 19),
        date(1, 1, 1),
        date(9999, 12, 31),
        datetime(2007, 10, 19, 10, 0),
        datetime(2007, 10, 19, tzinfo=UTC),
        time(10, 0),
        "2007-10-19",
        "20071019",
        "2007-W42-5",
        "2007-10-19T10:00:00",
        "2007-13-01",
        "19/10/2007",
        "",
        20071019,
        np.datetime64("2007-10-19"),
        np.datetime64("99999-01-01"),
        np.datetime64("2007-10-19T10:00"),
        np.datetime64("NaT"),
    ]
)
ANYTHING = st.one_of(
    NUMBERS_AT_THE_LIMITS,
    DATES_OF_EVERY_FORM,
    NAMES_OF_EVERY_FORM,
    ARRAYS_OF_EVERY_FORM,
    st.none(),
    st.text(max_size=6),
    st.lists(st.integers(-5, 120), max_size=3),
    st.dictionaries(
        st.sampled_from(["kosovo", "cfe", "x", "id"]), st.integers(-5, 120), max_size=2
    ),
)
DATE_FIELDS = ("date", "ends")


def mutation():
    """(kind, path index, value): replace a value, delete it, or copy one element of an
    array over another (a duplicate id, a swapped entry)."""
    return st.tuples(
        st.sampled_from(["replace", "replace", "delete", "duplicate", "date"]),
        st.integers(0, 10**6),
        ANYTHING,
    )


def apply(doc: dict, paths: list, kind: str, pick: int, value) -> None:
    if kind == "date":
        table = doc["scenario"] if pick % 3 else (doc.get("updates") or [doc["scenario"]])[0]
        table[DATE_FIELDS[pick % 2] if table is doc["scenario"] else "date"] = value
        return
    path = paths[pick % len(paths)]
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if kind == "replace":
        parent[path[-1]] = value
    elif kind == "delete":
        del parent[path[-1]]
    elif isinstance(parent, list) and len(parent) > 1:  # duplicate: copy a sibling over it
        parent[path[-1]] = copy.deepcopy(parent[(path[-1] + 1) % len(parent)])


@fuzz_settings(600)
@given(
    st.sampled_from(sorted(BUNDLED)),
    st.lists(mutation(), min_size=1, max_size=3),
    st.sampled_from(["alternating", "mediated", "nash", "median", "eum", "exchange"]),
)
def test_fuzz_scenario_documents(name, mutations, protocol):
    doc = copy.deepcopy(BUNDLED[name])
    for kind, pick, value in mutations:
        with contextlib.suppress(KeyError, IndexError, TypeError):  # an earlier edit removed it
            apply(doc, PATHS[name], kind, pick, value)
    surface = "scenario documents"
    sc, error = attempt(surface, lambda: ns.Scenario.from_dict(doc, source=f"fuzz:{name}"))
    if error is not None:
        message = str(error)
        clean_error(surface, message.startswith(f"fuzz:{name}") and "\n" not in message, message)
        return
    with counted_as_defect(surface):  # what a store embeds must read back as the same scenario
        embedded = json.loads(json.dumps(sc.to_dict(), default=str))
        assert ns.Scenario.from_dict(embedded).digest == sc.digest, "does not round-trip"
    if name in SMALL:
        runs, error = attempt(
            surface,
            lambda: [
                ns.simulate(sc, 4, seed=1, protocol=protocol, rounds=12, chunk_size=size)
                for size in (4, 3)
            ],
        )
        if error is not None:  # e.g. a protocol without negotiators
            clean_error(surface, "\n" not in str(error), str(error))
            return
        with counted_as_defect(surface):  # the same numbers for any chunk size
            check_result(runs[0])
            np.testing.assert_array_equal(runs[0].outcome, runs[1].outcome)
            np.testing.assert_array_equal(runs[0].agreed, runs[1].agreed)
    record(surface, "accepted and valid")


# ----------------------------------------------------------------------------- command lines


@pytest.fixture(scope="module")
def cli_world(tmp_path_factory):
    """A folder with a scenario file, a finished store and a plain file, for the command
    lines to read, write and collide with."""
    root = tmp_path_factory.mktemp("cli")
    shutil.copy(MINIMAL_FILE, root / "scenario.toml")
    shutil.copy(MINIMAL_FILE, root / "scenario.csv")  # a scenario file named like an output
    assert (
        cli(
            [
                "run",
                str(root / "scenario.toml"),
                "--runs",
                "6",
                "--store",
                str(root / "store"),
                "--no-progress",
            ]
        )
        == 0
    )
    (root / "plain.txt").write_text("not a folder")
    (root / "link.png").symlink_to(root / "store" / "part-000001.parquet")
    (root / "link.json").symlink_to(root / "scenario.csv")
    return root


def outputs(root: Path):
    return st.sampled_from(
        [
            root / "out.csv",
            root / "out.json",
            root / "out.parquet",
            root / "store" / MANIFEST,
            root / "store" / "part-000000.parquet",
            root / "store" / "new.csv",
            root / "scenario.csv",
            root / "plain.txt" / "x.csv",
            root / "missing" / "deeper" / "x.csv",
            root / "figure.png",
            root / "store",
            root / "out.xlsx",
        ]
    )


def option_values():
    return st.sampled_from(["0", "1", "3", "-1", "2.5", "1e3", "nan", "inf", "x", "", "10**9", "١"])


def command_lines(root: Path):
    scenario = st.sampled_from(
        [
            str(root / "scenario.toml"),
            str(root / "scenario.csv"),
            "minimal_missing",
            "cfe_2007",
            str(root),
            str(root / "store" / MANIFEST),
        ]
    )
    option = st.one_of(
        st.tuples(
            st.sampled_from(
                ["--runs", "--seed", "--rounds", "--chunk-size", "--top", "--generate"]
            ),
            option_values(),
        ),
        st.tuples(st.sampled_from(["--out", "--plot"]), outputs(root).map(str)),
        st.tuples(
            st.just("--store"),
            st.sampled_from(
                [str(root / "store"), str(root / "new_store"), str(root / "plain.txt"), str(root)]
            ),
        ),
        st.tuples(
            st.sampled_from(["--protocol"]),
            st.sampled_from(["alternating", "nash", "median", "eum", "exchange", "altenating", ""]),
        ),
        st.tuples(
            st.just("--strategy"),
            st.sampled_from(
                [
                    "US=boulware",
                    "US=boulware:e=-1",
                    "US=boulware:e=1e-320",
                    "US=random_walk:scale=1e308",
                    "Poland=conceder",
                    "X=linear",
                    "US=nope",
                ]
            ),
        ),
        st.tuples(
            st.just("--set"),
            st.sampled_from(
                [
                    "US.power=1e308",
                    "US.power=40",
                    "Russia.salience.kosovo=55",
                    "US.nope=1",
                    "US.power=nan",
                    "US.power=5e-324",
                    "US.strategy.e=0.5",
                    "US.strategy.e=1e-320",
                    "Russia.salience.kosovo=1_0",
                ]
            ),
        ),
        st.tuples(
            st.just("--param"),
            st.sampled_from(
                ["US.power=40,60", "US.power=", "US.power=1e400", "US.strategy.e=0.1,0.5"]
            ),
        ),
        st.tuples(st.just("--workers"), st.sampled_from(["1000", "0", "-1", "many"])),
        st.just(("--resume", None)),
        st.just(("--verbose", None)),
    )
    command = st.sampled_from(
        ["validate", "show", "run", "run", "run", "sweep", "timeline", "tournament", "sensitivity"]
    )
    any_line = st.tuples(command, scenario, st.lists(option, max_size=4))
    return st.one_of(any_line, colliding_lines(root))


def colliding_lines(root: Path):
    """A valid command line but for one output that collides with an input or a store,
    directly or through a link (one in two command lines the fuzz tries)."""
    store = ["--store", str(root / "store"), "--resume"]
    collisions = st.sampled_from(
        [
            ("run", [*store, "--out", str(root / "store" / MANIFEST)]),
            ("run", [*store, "--out", str(root / "store" / "part-000000.parquet")]),
            ("run", [*store, "--plot", str(root / "link.png")]),
            ("run", ["--plot", str(root / "link.png")]),
            ("run", ["--out", str(root / "store" / MANIFEST)]),
            ("run", ["--out", str(root / "scenario.csv")]),
            ("sweep", ["--out", str(root / "link.json")]),
            ("timeline", ["--out", str(root / "scenario.csv")]),
            (
                "run",
                ["--store", str(root / "new_store"), "--out", str(root / "new_store" / "x.csv")],
            ),
        ]
    )
    return collisions.map(
        lambda pair: (pair[0], str(root / "scenario.csv"), [(flag, None) for flag in pair[1]])
    )


def build(command: str, scenario: str, options) -> list[str]:
    args = [command] if command == "tournament" else [command, scenario]
    if command == "tournament":
        args += ["--scenario", scenario, "--strategies", "boulware", "conceder"]
    if command in ("run", "sweep", "timeline", "tournament", "sensitivity"):
        args += ["--no-progress", "--runs", "2"]
    if command == "sweep":
        args += ["--param", "US.power=40,60"]
    for flag, value in options:
        args += [flag] if value is None else [flag, value]
    return args


def snapshot(root: Path, scenario: str) -> dict[str, bytes]:
    """The bytes of the command's scenario file and of every store file (none may change but
    by a new store); the other scenario file of the folder may be written as an output."""
    files = [Path(scenario), *sorted((root / "store").glob("*"))]
    return {str(p): p.read_bytes() for p in files if p.is_file() and p.name != ".lock"}


@fuzz_settings(400)
@given(data=st.data())
def test_fuzz_command_lines(cli_world, capsys, data):
    command, scenario, options = data.draw(command_lines(cli_world))
    args = build(command, scenario, options)
    before = snapshot(cli_world, scenario)
    code, _ = attempt("command lines", lambda: cli(args), clean=(), seconds=60)
    err = capsys.readouterr().err
    try:
        assert code in (0, 2), (args, code, err)
        if code == 2:
            assert err.startswith("negosim: error: ") and err.count("\n") == 1, (args, err)
        assert snapshot(cli_world, scenario) == before, f"{args} changed an input or the store"
        assert ns.load_results(cli_world / "store").runs == 6
        if (cli_world / "new_store" / MANIFEST).exists():
            assert ns.load_results(cli_world / "new_store").runs >= 0
    except BaseException:
        record("command lines", "defect")
        raise
    finally:  # the next command line starts from the same folder
        shutil.rmtree(cli_world / "new_store", ignore_errors=True)
        for made in ("out.csv", "out.json", "out.parquet", "figure.png"):
            (cli_world / made).unlink(missing_ok=True)
        for name in ("scenario.toml", "scenario.csv"):  # written as an output of another input
            shutil.copy(MINIMAL_FILE, cli_world / name)
    record("command lines", "clean error" if code == 2 else "accepted and valid")


# ----------------------------------------------------------------------------- API calls

WRONG = st.sampled_from(
    [
        None,
        -1,
        0,
        2.5,
        math.nan,
        math.inf,
        True,
        10**50,
        "3",
        "three",
        [3],
        {},
        object(),
        np.int64(3),
        np.float64(2.0),
        np.float32(3.0),
        np.array([3]),
        np.bool_(True),
    ]
)
SCENARIO = ns.load_scenario(MINIMAL_FILE)
CALLS = {
    "simulate.runs": (lambda v: ns.simulate(SCENARIO, v, seed=1), "runs"),
    "simulate.seed": (lambda v: ns.simulate(SCENARIO, 3, seed=v), "seed"),
    "simulate.chunk_size": (lambda v: ns.simulate(SCENARIO, 3, seed=1, chunk_size=v), "chunk_size"),
    "simulate.rounds": (lambda v: ns.simulate(SCENARIO, 3, seed=1, rounds=v), "rounds"),
    "simulate.protocol": (lambda v: ns.simulate(SCENARIO, 3, seed=1, protocol=v), "protocol"),
    "simulate.strategies": (lambda v: ns.simulate(SCENARIO, 3, seed=1, strategies=v), "strategies"),
    "simulate.workers": (check.workers, "workers"),  # simulate's own check, no cluster
    "load_scenario": (lambda v: ns.load_scenario(v), "path_or_name"),
    "load_scenario.as_of": (lambda v: ns.load_scenario(MINIMAL_FILE, as_of=v), "as_of"),
    "as_of": (lambda v: SCENARIO.as_of(v), "as_of"),
    "replace_value": (lambda v: SCENARIO.replace_value("US.power", v), "US.power"),
    "fix": (lambda v: SCENARIO.fix("Russia.salience.kosovo", v), "Russia.salience.kosovo"),
    "iter_parts": (lambda v: list(ns.io.store.iter_parts(v)), "path"),
    "sweep.values": (lambda v: ns.sweep(SCENARIO, {"US.power": [v]}, 2, seed=1), "US.power"),
    "sweep.array": (lambda v: ns.sweep(SCENARIO, {"US.power": v}, 2, seed=1), "US.power"),
    "sweep.runs": (lambda v: ns.sweep(SCENARIO, {"US.power": [40]}, v), "runs"),
    "simulate.scenario": (lambda v: ns.simulate(v, 3), "scenario"),
    "simulate.collect": (lambda v: ns.simulate(SCENARIO, 3, collect=v), "collect"),
    "simulate.progress": (lambda v: ns.simulate(SCENARIO, 3, progress=v), "progress"),
    "simulate.trace": (lambda v: ns.simulate(SCENARIO, 3, trace=v), "trace"),
    "simulate.order": (lambda v: ns.simulate(SCENARIO, 3, order=v), "order"),
    "simulate.option": (lambda v: ns.simulate(SCENARIO, 3, protocol="mediated", step=v), "step"),
    "simulate.unknown_option": (lambda v: ns.simulate(SCENARIO, 3, bogus=v), "bogus"),
    "sample.runs": (lambda v: ns.sample(SCENARIO, v), "runs"),
    "sample.seed": (lambda v: ns.sample(SCENARIO, 3, seed=v), "seed"),
    "sample.start": (lambda v: ns.sample(SCENARIO, 3, start=v), "start"),
    "sensitivity.runs": (lambda v: ns.sensitivity(SCENARIO, v, top=1), "runs"),
    "sensitivity.top": (lambda v: ns.sensitivity(SCENARIO, 2, top=v), "top"),
    "sensitivity.quantiles": (lambda v: ns.sensitivity(SCENARIO, 2, quantiles=v), "quantiles"),
    "timeline.runs": (lambda v: ns.timeline(SCENARIO, v), "runs"),
    "timeline.scenario": (lambda v: ns.timeline(v, 2), "scenario"),
    "generate.n_actors": (lambda v: ns.generate(v, 2), "n_actors"),
    "generate.n_issues": (lambda v: ns.generate(2, v), "n_issues"),
    "generate.seed": (lambda v: ns.generate(seed=v), "seed"),
    "generate.salience": (lambda v: ns.generate(salience=v), "salience"),
    "generate.reservation": (lambda v: ns.generate(reservation=v), "reservation"),
    "generate.rounds": (lambda v: ns.generate(rounds=v), "rounds"),
    "generate.name": (lambda v: ns.generate(name=v), "name"),
    "tournament.runs": (lambda v: few_worlds(["boulware"], SCENARIO, runs=v), "runs"),
    "tournament.strategies": (lambda v: few_worlds(v, SCENARIO, runs=2), "strategies"),
    "tournament.scenarios": (lambda v: few_worlds(["boulware"], v, runs=2), "scenarios"),
    "tournament.self_play": (
        lambda v: few_worlds(["boulware", "conceder"], SCENARIO, runs=2, self_play=v),
        "self_play",
    ),
    "tournament.roles": (lambda v: few_worlds(["boulware"], SCENARIO, runs=2, roles=v), "roles"),
    "restrict": (lambda v: SCENARIO.restrict(v), "issue_ids"),
    "load_results": (lambda v: ns.load_results(v), "path"),
    "model.seed": (lambda v: ns.abm.DiplomacyModel(SCENARIO, seed=v), "seed"),
    "model.run": (lambda v: ns.abm.DiplomacyModel(SCENARIO, run=v), "run"),
    "model.rounds": (lambda v: ns.abm.DiplomacyModel(SCENARIO, rounds=v), "rounds"),
    "model.batch": (lambda v: ns.abm.DiplomacyModel(SCENARIO, batch=v), "batch"),
    "model.order": (lambda v: ns.abm.DiplomacyModel(SCENARIO, order=v), "order"),
    "model.step": (lambda v: ns.abm.DiplomacyModel(SCENARIO, protocol="mediated", step=v), "step"),
    "nash.source": (lambda v: ns.solutions.nash(v), "source"),
    "nash.run": (lambda v: ns.solutions.nash(SCENARIO, run=v), "run"),
    "nash.actors": (lambda v: ns.solutions.nash(SCENARIO, v), "actors"),
    "nash.powers": (lambda v: ns.solutions.nash(SCENARIO, powers=v), "powers"),
    "linkage.runs": (lambda v: ns.gain_from_linkage(SCENARIO, v), "runs"),
    "linkage.rounds": (lambda v: ns.gain_from_linkage(SCENARIO, 2, rounds=v), "rounds"),
}


def few_worlds(*args, **kwargs) -> ns.TournamentResult:
    """A tournament on one scenario (its warning that one world gives wide intervals is
    expected here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ns.tournaments.FewWorldsWarning)
        return ns.tournament(*args, **kwargs)


@fuzz_settings(600)
@given(st.sampled_from(sorted(CALLS)), WRONG)
def test_fuzz_api_calls(call, value):
    function, name = CALLS[call]
    out, error = attempt("API calls", lambda: function(value))
    if error is not None:
        message = str(error)  # names the argument, or the path given (a store folder)
        named = one_line_naming(message, name) or message.startswith(f"{value}: ")
        clean_error("API calls", named and "\n" not in message, (call, value, message))
        return
    with counted_as_defect("API calls"):
        if isinstance(out, ns.SimulationResult):
            check_result(out)
        elif isinstance(out, ns.Scenario):
            assert ns.Scenario.from_dict(out.to_dict()).digest == out.digest
    record("API calls", "accepted and valid")


# ----------------------------------------------------------------------------- stores


@pytest.fixture(scope="module")
def finished_store(tmp_path_factory):
    """A finished store of 10 runs in chunks of 4, and its result."""
    folder = tmp_path_factory.mktemp("store") / "base"
    res = ns.simulate(SCENARIO, 10, seed=2, chunk_size=4, store=folder)
    return folder, res


STORE_FILES = [MANIFEST, "part-000000.parquet", "part-000001.parquet", "part-000002.parquet"]
DAMAGE = st.sampled_from(
    [
        "truncate",
        "flip",
        "append",
        "swap",
        "fifo",
        "folder",
        "zero_device",
        "loop",
        "delete",
        "empty",
        "json_value",
        "forge",
    ]
)
FORGERIES = [
    lambda f: f.assign(**{"outcome.kosovo": np.nan}),
    lambda f: f.assign(**{"utility.US": 2.0}),
    lambda f: f.assign(**{"utility.Russia": -np.inf}),
    lambda f: f.assign(rounds=999),
    lambda f: f.assign(rounds=f["rounds"].astype(float)),
    lambda f: f.assign(exited=7),
    lambda f: f.assign(agreed=1),
    lambda f: f.assign(**{"moved.exit_Russia": -5}),
    lambda f: f.drop(columns="exited", errors="ignore"),
    lambda f: f.assign(extra=1.0),  # a column the others lack: valid alone
]
"""Edits of a part's content that the model cannot have written (but the last), made by a
careful editor who records the part's new size and checksum in the manifest."""


def forge(folder: Path, name: str, where: int) -> None:
    """Rewrite part ``name`` with one of :data:`FORGERIES` and record it in the manifest."""
    frame = FORGERIES[where % len(FORGERIES)](pd.read_parquet(folder / name))
    data = frame.to_parquet(None, index=False)
    (folder / name).write_bytes(data)
    manifest = json.loads((folder / MANIFEST).read_text())
    chunks = manifest.get("chunks") if isinstance(manifest, dict) else None
    entry = chunks.get(str(int(name[5:11]))) if isinstance(chunks, dict) else None
    if not isinstance(entry, dict):  # an earlier damage left no record of this part
        return
    entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    (folder / MANIFEST).write_text(json.dumps(manifest))


def damage(folder: Path, how: str, name: str, where: int, value) -> None:
    """Damage file ``name`` of a store copy ``how``; a file an earlier damage made other than
    a regular file (a FIFO would block the test itself) is damaged no further."""
    path = folder / name
    regular = [folder / n for n in (name, MANIFEST, STORE_FILES[1 + where % 3])]
    if not all(p.exists() and stat.S_ISREG(os.lstat(p).st_mode) for p in regular):
        return
    if how == "truncate":
        path.write_bytes(path.read_bytes()[: where % max(1, path.stat().st_size)])
    elif how == "flip":
        raw = bytearray(path.read_bytes())
        raw[where % len(raw)] ^= 0xFF
        path.write_bytes(bytes(raw))
    elif how == "append":
        path.write_bytes(path.read_bytes() + b"\0garbage")
    elif how == "swap":
        other = folder / STORE_FILES[1 + where % 3]
        a, b = path.read_bytes(), other.read_bytes()
        path.write_bytes(b)
        other.write_bytes(a)
    elif how == "forge":  # a part's content, with its true size and checksum recorded
        forge(folder, name if name != MANIFEST else STORE_FILES[1 + where % 3], where)
    elif how == "json_value":  # one manifest field set to a hostile value
        manifest = json.loads((folder / MANIFEST).read_text())
        key = sorted(manifest)[where % len(manifest)]
        manifest[key] = value
        (folder / MANIFEST).write_text(json.dumps(manifest, default=str))
    else:
        path.unlink()
        if how == "fifo":
            os.mkfifo(path)
        elif how == "folder":
            path.mkdir()
        elif how == "zero_device":
            path.symlink_to("/dev/zero")
        elif how == "loop":
            path.symlink_to(path)
        elif how == "empty":
            path.write_bytes(b"")


def resume(folder: Path) -> ns.SimulationResult:
    """The call that made the store, run again on it: a writer recomputes a damaged chunk
    (with a warning) and reads the intact ones."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "(?s).*recomputing that chunk")
        return ns.simulate(SCENARIO, 10, seed=2, chunk_size=4, store=folder)


JSON_VALUES = st.sampled_from([None, -1, 0, 10**30, 2.5, "x", [], {}, True, {"0": {"rows": 4}}])


@fuzz_settings(200)
@given(
    st.lists(
        st.tuples(DAMAGE, st.sampled_from(STORE_FILES), st.integers(0, 10**6), JSON_VALUES),
        min_size=1,
        max_size=2,
    )
)
def test_fuzz_store_folders(finished_store, tmp_path_factory, damages):
    base, original = finished_store
    folder = tmp_path_factory.mktemp("damaged") / "s"
    shutil.copytree(base, folder, symlinks=True)
    for how, name, where, value in damages:
        with contextlib.suppress(OSError, ValueError, ZeroDivisionError):  # already damaged
            damage(folder, how, name, where, value)
    surface = "store folders"
    for reader in (ns.load_results, resume):
        res, error = attempt(surface, partial(reader, folder), clean=ns.StoreError)
        if error is not None:
            message = str(error)
            clean_error(surface, "\n" not in message and str(folder) in message, message)
            continue
        with counted_as_defect(surface):  # what is read is what was stored
            np.testing.assert_array_equal(res.outcome, original.outcome)
            np.testing.assert_array_equal(res.agreed, original.agreed)
            if reader is resume:  # and a resumed store is whole again
                np.testing.assert_array_equal(ns.load_results(folder).outcome, original.outcome)
        record(surface, "accepted and valid")
    shutil.rmtree(folder.parent, ignore_errors=True)


# ----------------------------------------------------------------------------- counts


def test_fuzz_counts_are_reported():
    """Runs after the fuzz tests of this file: every try ended cleanly or valid."""
    tried = {s: c for s, c in COUNTS.items() if c["tried"]}
    if not tried:
        pytest.skip("no fuzz test ran in this session")
    report = os.environ.get("NEGOSIM_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps({s: dict(c) for s, c in tried.items()}, indent=1))
    for surface, counts in tried.items():
        print(
            f"\n{surface}: tried {counts['tried']}, clean error {counts['clean error']}, "
            f"accepted and valid {counts['accepted and valid']}, defects {counts['defect']}"
        )
        assert counts["defect"] == 0
        assert counts["clean error"] + counts["accepted and valid"] == counts["tried"]
