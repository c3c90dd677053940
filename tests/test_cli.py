"""The command line and the argument checks it shares with the Python API.

Files follow their extensions and are written only when asked; every bad argument is refused
before any work with exit code 2 and one line naming it; a hypothesis fuzz test mutates valid
argument lists and checks that nothing ends in a traceback or a hang.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import negosim as ns
from negosim.cli import main as cli
from negosim.engine import arguments as validation
from negosim.engine import runner as engine
from negosim.engine.protocols import PROTOCOLS
from negosim.model.errors import suggest
from negosim.model.strategies import Boulware, strategy_names

MINIMAL = str(Path(__file__).parent / "data" / "minimal.toml")
RUN = ["run", MINIMAL, "--runs", "12", "--seed", "3", "--no-progress"]
READERS = {".parquet": pd.read_parquet, ".csv": pd.read_csv, ".json": pd.read_json}


def one_error_line(capsys) -> str:
    """The single stderr line of a refused command (and no traceback, no usage block)."""
    err = capsys.readouterr().err
    assert err.startswith("negosim: error: ") and err.count("\n") == 1, err
    return err


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def nowork(monkeypatch):
    """Fail the test if any chunk of runs is computed."""

    def refuse(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(engine, "compute_chunk", refuse)


# ----------------------------------------------------------------------------- files


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json"])
def test_run_out_writes_one_file_of_its_extension(tmp_path, capsys, suffix):
    out = tmp_path / f"runs{suffix}"
    assert cli([*RUN, "--out", str(out)]) == 0
    assert out.is_file()
    frame = READERS[suffix](out)
    assert len(frame) == 12
    assert {"run", "agreed", "outcome.kosovo", "outcome.shield", "utility.Russia"} <= set(frame)
    assert sorted(frame["run"]) == list(range(12))
    head = out.read_bytes()[:4]
    if suffix == ".parquet":
        assert head == b"PAR1"
    elif suffix == ".json":
        assert head[:1] == b"["
    else:
        assert out.read_text().splitlines()[0].startswith("run,agreed,")
    assert files_under(tmp_path) == {out.name}  # no temporary left behind


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json"])
def test_sweep_out_writes_the_table_in_its_format(tmp_path, capsys, suffix):
    out = tmp_path / f"sweep{suffix}"
    args = ["sweep", MINIMAL, "--runs", "4", "--param", "Russia.power=30,60,90", "--no-progress"]
    assert cli([*args, "--out", str(out)]) == 0
    frame = READERS[suffix](out)
    assert list(frame["Russia.power"]) == [30, 60, 90]
    assert (frame["runs"] == 4).all() and frame["agreement"].between(0, 1).all()


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_plot_writes_a_figure_of_its_extension(tmp_path, capsys, suffix):
    fig = tmp_path / f"fig{suffix}"
    assert cli([*RUN, "--plot", str(fig)]) == 0
    if suffix == ".png":
        image = matplotlib.image.imread(fig)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    elif suffix == ".svg":
        assert ET.parse(fig).getroot().tag.endswith("svg")
    else:
        data = fig.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert files_under(tmp_path) == {fig.name}


@pytest.mark.parametrize("option", ["--out", "--plot"])
@pytest.mark.parametrize("name", ["r.txt", "r", "r.csv.gz", "r.jpg", "r.xlsx"])
def test_unknown_extension_is_refused_before_work(tmp_path, capsys, nowork, option, name):
    assert cli([*RUN, option, str(tmp_path / name)]) == 2
    assert option in one_error_line(capsys)
    assert files_under(tmp_path) == set()


COMMANDS = {
    "scenarios": ["scenarios"],
    "validate": ["validate", MINIMAL],
    "show": ["show", MINIMAL],
    "run": RUN,
    "sweep": ["sweep", MINIMAL, "--runs", "3", "--param", "Russia.power=30,60", "--no-progress"],
    "sensitivity": ["sensitivity", "package_2007", "--runs", "6", "--top", "1", "--no-progress"],
    "timeline": ["timeline", MINIMAL, "--runs", "3", "--no-progress"],
    "tournament": [
        *["tournament", "--strategies", "boulware", "conceder", "--generate", "1"],
        *["--runs", "2", "--no-progress"],
    ],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_command_writes_a_file_it_was_not_asked_to(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    assert cli(COMMANDS[command]) == 0
    assert files_under(tmp_path) == set()


@pytest.mark.parametrize("command", ["sweep", "sensitivity", "timeline", "tournament"])
def test_what_ifs_write_exactly_what_they_are_asked_to(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    assert cli([*COMMANDS[command], "--out", "sub/t.json", "--plot", "f.pdf"]) == 0
    assert files_under(tmp_path) == {"sub", "sub/t.json", "f.pdf"}
    assert len(pd.read_json(tmp_path / "sub" / "t.json")) >= 1


def test_store_resume_reads_finished_chunks(tmp_path, monkeypatch, capsys):
    store, first, again = tmp_path / "st", tmp_path / "a.parquet", tmp_path / "b.parquet"
    args = [*RUN, "--chunk-size", "5", "--store", str(store)]
    assert cli([*args, "--out", str(first)]) == 0
    assert cli(args) == 2  # a store exists: continuing it must be asked for
    assert "--resume" in one_error_line(capsys)

    def refuse(*a, **k):
        raise AssertionError("a finished chunk was recomputed")

    monkeypatch.setattr(engine, "compute_chunk", refuse)
    assert cli([*args, "--resume", "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(first), pd.read_parquet(again))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--resume"], "--resume: needs --store"),
        (["--store", "{tmp}/none", "--resume"], "--resume: "),
        (["--store", "{tmp}/file.txt"], "--store: "),
        (["--store", "{tmp}/full"], "--store: "),
    ],
)
def test_store_options_are_checked_before_work(tmp_path, capsys, nowork, args, named):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    assert cli([*RUN, *(a.format(tmp=tmp_path) for a in args)]) == 2
    assert named in one_error_line(capsys)
    assert files_under(tmp_path) == {"file.txt", "full", "full/notes.txt"}


# ----------------------------------------------------------------------------- issue 16 defects


def _unwritable(tmp_path: Path, name: str) -> str:
    (tmp_path / "plain").write_text("a file, so nothing can be written below it")
    return str(tmp_path / "plain" / name)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["run", MINIMAL, "--seed", "-1"], "--seed: must be a whole number >= 0"),
        (["run", MINIMAL, "--runs", "1e12"], "--runs: "),
        (["run", MINIMAL, "--chunk-size", "0"], "--chunk-size: must be a whole number >= 1"),
        (["timeline", MINIMAL, "--runs", "0"], "--runs: must be a whole number >= 1"),
        (["run", MINIMAL, "--runs", "1.5"], "--runs: must be a whole number >= 0, got '1.5'"),
        (["run", MINIMAL, "--rounds", "0"], "--rounds: must be a whole number in [1, 1000000]"),
        (["run", MINIMAL, "--protocol", ""], "--protocol: unknown protocol ''"),
        (["run", MINIMAL, "--protocol", "alternatng"], "(did you mean 'alternating'?)"),
        (["run", MINIMAL, "--strategy", "Russia=boulware:e=nan"], "e: must be a finite number"),
        (["run", MINIMAL, "--strategy", "Russia=boulware:e=inf"], "e: must be a finite number"),
        (["run", MINIMAL, "--strategy", "Russia=boulware:e=-inf"], "e: must be a finite number"),
        (["run", MINIMAL, "--strategy", "Russia=boulware:e=-1"], "e must be > 0"),
        (["run", MINIMAL, "--set", "Russia.power=nan"], "Russia.power: must be a finite number"),
        (["run", MINIMAL, "--workers", "-1"], "--workers: must be a whole number in [1, "),
        (["run", MINIMAL, "--workers", "0"], "--workers: must be a whole number in [1, "),
        (["sweep", MINIMAL, "--param", "Russia.power=1,inf"], "must be a finite number"),
        (["tournament", "--strategies", "linear:e=nan"], "--strategies: parameter e"),
        (["tournament", "--generate", "0"], "--generate: must be a whole number in [1, 1000]"),
        (["run", MINIMAL, "--arithmetic", "decimal"], "--arithmetic: only the exchange"),
        (["run", MINIMAL], "unrecognized arguments"),  # + "--bogus" below
        ([], "required: COMMAND"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_before_work(capsys, nowork, args, named):
    if args == ["run", MINIMAL]:
        args = [*args, "--bogus"]
    assert cli(args) == 2
    assert named in one_error_line(capsys)


def test_runs_beyond_memory_are_refused_with_a_store_hint(capsys, nowork):
    assert cli(["run", MINIMAL, "--runs", "1e12"]) == 2
    err = one_error_line(capsys)
    assert "of memory" in err and "--store DIR" in err


@pytest.mark.parametrize("option", ["--out", "--plot"])
def test_unwritable_output_is_refused_before_work(tmp_path, capsys, nowork, option):
    target = _unwritable(tmp_path, "r.csv" if option == "--out" else "f.png")
    assert cli([*RUN, "--runs", "100000", option, target]) == 2
    assert "is not a folder" in one_error_line(capsys)


def test_validate_and_run_reject_an_unknown_protocol_in_the_file(tmp_path, capsys):
    text = Path(MINIMAL).read_text().replace("rounds = 20", 'rounds = 20\nprotocol = "mediatd"')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    for args in (["validate", str(path)], ["run", str(path), "--runs", "2"]):
        assert cli(args) == 2
        err = one_error_line(capsys)
        assert f"{path}: scenario.protocol: unknown protocol 'mediatd'" in err
        assert "did you mean 'mediated'" in err
    with pytest.raises(ns.ScenarioError, match=r"scenario\.protocol: unknown protocol"):
        ns.load_scenario(path)


def test_run_zero_runs_says_no_runs(capsys):
    assert cli(["run", MINIMAL, "--runs", "0"]) == 0
    out = capsys.readouterr().out
    assert "no runs" in out and "nan" not in out


# ----------------------------------------------------------------------------- the Python API


@pytest.fixture(scope="module")
def minimal():
    return ns.load_scenario(MINIMAL)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runs": 10.5}, r"^runs: must be a whole number >= 0, got 10.5$"),
        ({"runs": -1}, r"^runs: must be a whole number >= 0"),
        ({"runs": True}, r"^runs: must be a whole number"),
        ({"runs": "ten"}, r"^runs: must be a whole number"),
        ({"runs": 1e12}, r"^runs: .* of memory .* store= and collect=False$"),
        ({"runs": 5, "rounds": 2.7}, r"^rounds: must be a whole number in \[1, 1000000\]"),
        ({"runs": 5, "rounds": 0}, r"^rounds: "),
        ({"runs": 5, "workers": -1}, r"^workers: must be a whole number in \[1, \d+\], got -1$"),
        ({"runs": 5, "seed": -1}, r"^seed: must be a whole number >= 0"),
        ({"runs": 5, "seed": 1.5}, r"^seed: "),
        ({"runs": 5, "chunk_size": 0}, r"^chunk_size: must be a whole number >= 1"),
        ({"runs": 10**7, "chunk_size": 1}, r"^chunk_size: .* more than 1,000,000 chunks"),
        ({"runs": 5, "trace": -2}, r"^trace: "),
        ({"runs": 5, "protocol": ""}, r"^protocol: unknown protocol ''"),
        ({"runs": 5, "strategies": {"Russia": "boulware:e=nan"}}, r"parameter e: must be a fin"),
        ({"runs": 5, "strategies": {"Russia": Boulware(e=np.inf)}}, r"parameter e: must be a fin"),
        ({"runs": 5, "strategies": {"Rusia": "linear"}}, r"^strategies: unknown actor 'Rusia'"),
        ({"runs": 5, "strategies": {"Russia": 3}}, r"^strategies\['Russia'\]: must be a Strategy"),
    ],
)
def test_api_arguments_raise_value_error_naming_the_argument(minimal, kwargs, message, nowork):
    with pytest.raises(ValueError, match=message):
        ns.simulate(minimal, **kwargs)


def test_api_store_that_cannot_be_written_is_refused_before_work(minimal, tmp_path, nowork):
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(ValueError, match=r"^store: .* is not a folder"):
        ns.simulate(minimal, 5, store=tmp_path / "plain" / "store")
    with pytest.raises(ValueError, match=r"^store: .* is a file, not a store folder"):
        ns.simulate(minimal, 5, store=tmp_path / "plain")


def test_iter_chunks_checks_its_arguments_before_the_first_chunk(minimal, nowork):
    with pytest.raises(ValueError, match=r"^runs: "):
        next(ns.iter_chunks(minimal, 2.5))


def test_api_whole_floats_count_as_integers(minimal):
    whole, exact = ns.simulate(minimal, 6.0, seed=2.0), ns.simulate(minimal, 6, seed=2)
    assert whole.runs == 6 and whole.seed == 2
    np.testing.assert_array_equal(whole.outcome, exact.outcome)


def test_api_zero_runs_gives_an_empty_result_that_says_no_runs(minimal):
    res = ns.simulate(minimal, 0, seed=1)
    assert res.runs == 0 and res.outcome.shape == (0, 2)
    text = str(res.summary())
    assert "no runs" in text and "nan" not in text


def test_unknown_names_stay_key_errors_for_older_callers(minimal):
    with pytest.raises(KeyError, match="unknown protocol 'alternatng'"):
        ns.simulate(minimal, 1, protocol="alternatng")


@pytest.mark.parametrize(
    ("text", "low", "expected"),
    [("7", 0, 7), ("1_000", 0, 1000), ("1e3", 0, 1000), (" 4 ", 1, 4), (5.0, 0, 5)],
)
def test_whole_number_accepts_whole_values(text, low, expected):
    """Command-line text is read as a number first (from_text), Python values as they are."""
    value = validation.from_text(text) if isinstance(text, str) else text
    assert validation.whole_number(value, "n", low) == expected


@pytest.mark.parametrize(
    "text", ["1.5", "-1", "nan", "inf", "", "0x10", "1e400", "ten", True, None, 2.5]
)
def test_whole_number_refuses_the_rest(text):
    value = validation.from_text(text) if isinstance(text, str) else text
    with pytest.raises(validation.ArgumentError, match=r"^n: must be a whole number >= 0, got"):
        validation.whole_number(value, "n", 0)


@pytest.mark.parametrize("text", ["7", "1e3", " 4 "])
def test_whole_number_refuses_text_in_python(text):
    with pytest.raises(
        validation.ArgumentError, match=rf"^n: must be a whole number >= 0, got '{text}'"
    ):
        validation.whole_number(text, "n", 0)


def test_suggest_names_the_closest_choice():
    assert suggest("medaited", PROTOCOLS) == " (did you mean 'mediated'?)"
    assert suggest("qqqq", PROTOCOLS) == ""


# ----------------------------------------------------------------------------- help and tables


def _help(args: list[str], capsys) -> str:
    assert cli([*args, "--help"]) == 0
    return capsys.readouterr().out


def _subcommands():
    from negosim.cli import _parser

    action = next(a for a in _parser()._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_describes_every_option_with_its_default(capsys, command):
    parser = _subcommands()[command]
    for action in parser._actions:
        if not action.option_strings or action.dest == "help":
            continue
        assert action.help, f"{command} {action.option_strings} has no help"
        if action.nargs != 0:  # flags have no default worth showing
            assert "default" in action.help or action.required, (command, action.dest)
    text = _help([command], capsys)
    assert max(map(len, text.splitlines())) <= 100
    assert "``" not in text and ":class:" not in text


def test_top_help_lists_every_protocol_and_strategy(capsys):
    text = _help([], capsys)
    flat = " ".join(text.split())
    for name in [*PROTOCOLS, *strategy_names()]:
        assert f" {name}," in flat or f" {name} " in flat or flat.endswith(name), name
    assert "``" not in text and max(map(len, text.splitlines())) <= 100


def test_validate_counts_use_singular_for_one(capsys):
    assert cli(["validate", MINIMAL]) == 0
    out = capsys.readouterr().out
    assert "(3 actors, 2 issues, 1 coalition, 1 uncertainty entry, 1 number sampled in all" in out


@pytest.mark.parametrize("verbose", [[], ["--verbose"]])
def test_timeline_fits_100_columns_and_verbose_keeps_the_notes(capsys, verbose):
    sc = ns.load_scenario("package_2007")
    longest = max((u.note for u in sc.updates), key=len)
    assert len(longest) > 100  # the case that overflowed before
    assert cli(["timeline", "package_2007", "--runs", "3", "--no-progress", *verbose]) == 0
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100
    assert (" ".join(longest.split()) in " ".join(out.split())) == bool(verbose)


@pytest.mark.parametrize(
    "args",
    [
        ["scenarios"],
        ["show", "package_2007"],
        ["run", "package_2007", "--runs", "4", "--no-progress"],
        [*COMMANDS["sweep"], "--verbose"],
        [*COMMANDS["sensitivity"], "--verbose"],
        [*COMMANDS["tournament"], "--verbose"],
    ],
    ids=["scenarios", "show", "run", "sweep", "sensitivity", "tournament"],
)
def test_every_table_fits_100_columns(capsys, args):
    assert cli(args) == 0
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100


def test_scenarios_count_one_issue_in_the_singular(capsys):
    assert cli(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "1 issue " in out and "1 issues" not in out


def test_sensitivity_of_a_scenario_without_confidence_codes(capsys):
    code = cli(["sensitivity", MINIMAL, "--runs", "4", "--top", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 0, err


def test_arithmetic_reaches_the_exchange_protocol(monkeypatch, capsys):
    seen = []
    original = PROTOCOLS["exchange"]

    def spy(table, **options):
        seen.append(options)
        return original(table, **options)

    monkeypatch.setitem(PROTOCOLS, "exchange", spy)
    args = ["run", MINIMAL, "--runs", "2", "--protocol", "exchange", "--no-progress"]
    assert cli([*args, "--arithmetic", "decimal"]) == 0
    assert seen and all(options == {"arithmetic": "decimal"} for options in seen)
    seen.clear()
    assert cli(args) == 0
    assert seen and all(options == {} for options in seen)


# ----------------------------------------------------------------------------- fuzz

FUZZ_BASES = [
    COMMANDS["run"],
    [
        *["run", MINIMAL, "--runs", "3", "--protocol", "mediated", "--rounds", "8"],
        *["--strategy", "Russia=boulware:e=0.3", "--set", "Russia.power=40"],
        *["--out", "o.csv", "--plot", "p.png", "--no-progress"],
    ],
    COMMANDS["sweep"],
    COMMANDS["timeline"],
    COMMANDS["tournament"],
    ["validate", MINIMAL],
    ["show", "package_2007"],
]
# Per-run Python models: a mutation that drops "--runs 3" makes them play the default 10^4
# runs for minutes, which the fuzz could not tell from a hang (--arithmetic is tested above).
SLOW_PROTOCOLS = ("exchange", "eum")
FUZZ_TOKENS = [
    *["run", "sweep", "sensitivity", "timeline", "tournament", "validate", "show", "scenarios"],
    *["--runs", "--seed", "--protocol", "--rounds", "--strategy", "--set", "--out", "--plot"],
    *["--chunk-size", "--param", "--top", "--generate", "--strategies", "--scenario"],
    *["--resume", "--arithmetic", "--verbose", "--no-progress", "--help", "--", "-"],
    *["0", "-1", "1", "2", "1.5", "1e12", "1e400", "nan", "inf", "-inf", "", " ", "0x10"],
    *["99999999999999999999999", "1_0", "abc", "Russia", "US", "Poland", "decimal", "float"],
    *["Russia=boulware:e=nan", "Russia=boulware:e=-1", "Poland=linear", "US=nosuch"],
    *["Russia=linear:q=1", "Russia=boulware:e", "Russia.power=nan", "Russia.salience.kosovo=1e9"],
    *["Russia.power=1,2", "Rusia.power=3", "x.txt", "dir/", "out.csv", "o.json", "o.parquet"],
    *["f.svg", "f.pdf", "f.jpg", "nosuch.toml", MINIMAL, "package_2007", "alternatng"],
    *[p for p in PROTOCOLS if p not in SLOW_PROTOCOLS],
    *["boulware", "linear:e=inf", "time_dependent:e=0"],
]


class _Hang(BaseException):
    """Raised by the alarm when one command runs too long."""


def _alarm(signum, frame):
    raise _Hang


@st.composite
def mutated_arguments(draw) -> list[str]:
    args = list(draw(st.sampled_from(FUZZ_BASES)))
    token = st.one_of(st.sampled_from(FUZZ_TOKENS), st.text(max_size=8))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "insert", "delete", "swap", "edit"]))
        k = draw(st.integers(0, max(len(args) - 1, 0)))
        if kind == "insert" or not args:
            args.insert(k, draw(token))
        elif kind == "replace":
            args[k] = draw(token)
        elif kind == "delete":
            del args[k]
        elif kind == "swap":
            j = draw(st.integers(0, len(args) - 1))
            args[k], args[j] = args[j], args[k]
        else:
            args[k] = args[k] + draw(st.text(max_size=3))
    return args


def test_fuzz_argument_lists_never_traceback_or_hang(tmp_path_factory):
    """Random mutations of valid argument lists: every one ends with exit 0, or exit 2 and
    one line; none raises and none runs longer than the alarm. Counts go to fuzz_cli.json."""
    counts: Counter[str] = Counter()
    workdir = tmp_path_factory.mktemp("fuzz")
    limit = 30  # seconds: far beyond any of these tiny runs, so only a hang trips it

    @settings(
        max_examples=int(os.environ.get("NEGOSIM_FUZZ_EXAMPLES", "1000")),
        deadline=None,
        database=None,
        derandomize="NEGOSIM_FUZZ_RANDOM" not in os.environ,  # set it to explore new inputs
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(args=mutated_arguments())
    def one(args):
        out, err = io.StringIO(), io.StringIO()
        counts["inputs tried"] += 1
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(limit)
        try:
            with (
                contextlib.chdir(workdir),
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
            ):
                code = cli(args)
        except _Hang:
            counts["hangs"] += 1
            raise AssertionError(f"no answer within {limit} s: {args!r}") from None
        except Exception as exc:
            counts["tracebacks"] += 1
            raise AssertionError(f"traceback for {args!r}: {exc!r}") from exc
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        assert code in (0, 2), (args, code)
        if code == 2:
            text = err.getvalue()
            assert text.startswith("negosim: error: ") and text.count("\n") == 1, (args, text)
            assert "\r" not in text, (args, text)
            counts["rejected cleanly"] += 1
        else:
            counts["accepted"] += 1

    try:
        one()
    finally:
        report = {k: counts[k] for k in ("inputs tried", "accepted", "rejected cleanly")}
        report.update(tracebacks=counts["tracebacks"], hangs=counts["hangs"])
        path = Path(os.environ.get("NEGOSIM_FUZZ_REPORT", workdir / "fuzz_cli.json"))
        path.write_text(json.dumps(report, indent=1))
        print(f"\nCLI fuzz counts ({path}): {json.dumps(report)}")
    assert counts["inputs tried"] > 0 and counts["tracebacks"] == counts["hangs"] == 0


# ----------------------------------------------------------------------------- first contact


def test_version_names_the_installed_version(capsys):
    assert cli(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"negosim {ns.__version__}"


def test_run_inputs_writes_each_run_s_sampled_inputs(tmp_path, capsys):
    out = tmp_path / "runs.parquet"
    argv = ["run", "package_2007", "--runs", "30", "--seed", "3", "--no-progress"]
    assert cli([*argv, "--out", str(out), "--inputs"]) == 0
    frame = pd.read_parquet(out)
    expected = ns.sample(ns.load_scenario("package_2007"), 30, 3).inputs()
    assert [c for c in frame.columns if c.startswith("input.")] == [f"input.{k}" for k in expected]
    for target, values in expected.items():
        np.testing.assert_array_equal(frame[f"input.{target}"].to_numpy(), values)
    capsys.readouterr()
    assert cli([*argv, "--inputs"]) == 2
    assert "--inputs: adds columns to the table of --out FILE" in one_error_line(capsys)


def test_figure_titles_name_what_the_command_set(tmp_path, monkeypatch):
    titles = []
    monkeypatch.setattr(
        "negosim.cli.save_figure", lambda fig, path: titles.append(fig._suptitle.get_text())
    )
    common = ["--runs", "40", "--seed", "2", "--no-progress", "--plot", str(tmp_path / "f.png")]
    given = ["--strategy", "Russia=conceder", "--set", "Russia.salience.kosovo_status=40"]
    assert cli(["run", "package_2007", *common, *given]) == 0
    assert titles[-1].endswith("seed 2; Russia=conceder; Russia.salience.kosovo_status=40")
    grid = ["--param", "US.salience.cfe=20,60", "--protocol", "mediated"]
    assert cli(["sweep", "package_2007", *common, *grid]) == 0
    assert titles[-1].endswith("40 runs a point, seed 2; protocol mediated")


def test_a_tournament_on_few_worlds_says_so_in_one_line(capsys):
    argv = ["tournament", "--strategies", "boulware", "conceder", "--generate", "3"]
    assert cli([*argv, "--runs", "2", "--no-progress"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [err[0]] and err[0].startswith("negosim: warning: the leaderboard's intervals")
    assert "rest on 3 independent world(s)" in err[0]
