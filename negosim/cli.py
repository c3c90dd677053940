"""The negosim command line: list, check and show scenarios; run Monte Carlos, what-ifs and
strategy tournaments.

Every argument is checked before any work starts, by the same functions the Python API uses
(:mod:`negosim.engine.arguments`). Exit codes: 0 on success, 2 on bad input with one line on stderr
that names the argument, file or field and the problem; 130 when interrupted. Files are
written only when asked for, in the format their extension names, never onto an input, each
other or a store; a file that cannot be written after the work (a full disk) is written to the
temporary folder instead, and the one line (exit 2) says where.

Why one module (about 1,300 lines): the parser (:func:`_parser` and its option helpers) and the
``cmd_*`` functions it dispatches to are read together, each option next to the command that
uses it; the protocols, the analysis and the figures are imported inside the commands, so that
``negosim --help`` starts without them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from negosim import app as app_command
from negosim._version import package_version
from negosim.engine import arguments as check
from negosim.engine.arguments import from_text
from negosim.io import store as _store
from negosim.io.genius import read_domain
from negosim.io.scenario_file import (
    bundled_dir,
    is_domain_file,
    list_scenarios,
    load_domain,
    load_scenario,
)
from negosim.model.errors import ArgumentError, NegosimError, ScenarioError
from negosim.model.information import DEFAULT_MODEL, INFORMATION
from negosim.model.opponents import model_names
from negosim.model.scenario import Scenario
from negosim.model.sources import unsourced

BAD_INPUT = 2
SUMMARY_BYTES = 1 << 30
"""``run --store``: the most memory gathered runs may take for the full summary (the runs
and their concatenation); beyond it the summary is read back one chunk at a time, so memory
stays bounded by the chunk size however many runs are stored."""
WIDTH = 100  # every table and help text fits this many columns
DESCRIPTION = (
    "negosim: simulate multi-party negotiations over linked issues. List, check and show "
    "scenarios; run Monte Carlos, parameter sweeps, sensitivity analyses, timelines and "
    "strategy tournaments."
)


class InputError(Exception):
    """A bad command-line input (reported in one line, exit code 2)."""


class _UsageError(Exception):
    """An argparse usage error (reported in one line, exit code 2)."""


def _bad_input_errors() -> tuple[type[BaseException], ...]:
    """Every error reported in one line: the command line's own and negosim's (bad files,
    arguments, stores, strategies, protocols that cannot solve a scenario)."""
    return (NegosimError, InputError, _UsageError)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``negosim`` command; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        return args.func(args)
    except _bad_input_errors() as exc:
        print(f"negosim: error: {_one_line(exc)}", file=sys.stderr)
        return BAD_INPUT
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else BAD_INPUT
    except KeyboardInterrupt:
        print("negosim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (e.g. `| head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).splitlines()) or type(exc).__name__


# ----------------------------------------------------------------------------- parser


class _ArgumentParser(argparse.ArgumentParser):
    """Usage errors as one line (no usage block), raised to :func:`main`."""

    def error(self, message: str):  # type: ignore[override]
        raise _UsageError(message.removeprefix("argument "))


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, width=WIDTH, max_help_position=30)


def _clip(line: str) -> str:
    """One line cut to the width (the full text is one ``--verbose`` away)."""
    return line if len(line) <= WIDTH else line[: WIDTH - 4].rstrip() + " ..."


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, WIDTH, subsequent_indent="  "))


def _names_epilog() -> str:
    from negosim.engine.protocols import PROTOCOLS
    from negosim.model.strategies import strategy_names

    return "\n".join(
        [
            _wrap("protocols: " + ", ".join(PROTOCOLS)),
            _wrap("strategies: " + ", ".join(strategy_names())),
            _wrap("strategy specs: NAME or NAME:k=v,k=v with finite numbers, e.g. boulware:e=0.1"),
        ]
    )


def _parser() -> argparse.ArgumentParser:
    epilog = _names_epilog()
    parser = _ArgumentParser(
        prog="negosim", description=_wrap(DESCRIPTION), epilog=epilog, formatter_class=_formatter
    )
    parser.add_argument(
        "--version", action="version", version=f"negosim {package_version()}", help="the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name, help=text, description=_wrap(text), epilog=epilog, formatter_class=_formatter
        )
        p.set_defaults(func=func)
        return p

    command("scenarios", "list the bundled scenarios", cmd_scenarios)
    p = command(
        "validate", "check scenario files; exit 2 with one line on the first error", cmd_validate
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files or bundled names")
    p = command("show", "print a scenario's actors x issues table", cmd_show)
    _scenario_argument(p)

    p = command(
        "run",
        "run a Monte Carlo and print its summary; SCENARIO may also be a GENIUS or GeniusWeb "
        "domain folder (docs/domains.md)",
        cmd_run,
    )
    _monte_carlo_options(p, runs=10_000, zero_runs=True)
    p.add_argument(
        "--chunk-size",
        type=cli_number(check.chunk_size, "--chunk-size"),
        default=None,
        metavar="N",
        help="runs computed (and stored) at once; bounds memory, never changes results "
        f"(default: {_chunk_defaults()})",
    )
    p.add_argument(
        "--workers",
        type=cli_number(check.workers, "--workers"),
        metavar="N",
        help="run the chunks on a local Dask cluster of N processes (default: in this process)",
    )
    p.add_argument(
        "--store",
        type=cli_type(check.store_folder, "--store"),
        metavar="DIR",
        help="write each finished chunk to this folder (a resumable store; default: none)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the store in --store DIR: finished chunks are read, not recomputed",
    )
    p.add_argument(
        "--parties",
        type=_party_list,
        metavar="A,B[,C]",
        help="a domain (GENIUS or GeniusWeb folder, discrete .toml) only: the profiles that "
        "negotiate, in turn order (default: all of them, when two or three)",
    )
    p.add_argument(
        "--inputs",
        action="store_true",
        help="with --out: add each run's sampled value of every uncertain number, a column "
        "input.<target> each (to condition outcomes on inputs)",
    )

    p = command("sweep", "a Monte Carlo at each value of one or more parameters", cmd_sweep)
    _monte_carlo_options(p, runs=2_000)
    grid = "a parameter and its values, e.g. Russia.salience.kosovo_status=40,60,80; repeat "
    grid += "for a grid of all combinations (required)"
    spec = {"metavar": "PATH=V1,V2,...", "help": grid}
    p.add_argument("--param", action="append", required=True, type=_param, **spec)
    _verbose_option(p)

    p = command("sensitivity", "which uncertain inputs move the results most", cmd_sensitivity)
    _monte_carlo_options(p, runs=2_000)
    top = "swing this many inputs one at a time, those most correlated with the results, plus "
    top += "every input of an explicit [[uncertainty]] entry (default: %(default)s)"
    whole = cli_number(check.whole_number, "--top", 1)
    p.add_argument("--top", type=whole, default=12, metavar="N", help=top)
    _verbose_option(p)

    p = command("timeline", "a Monte Carlo as of each dated update of a scenario", cmd_timeline)
    _monte_carlo_options(p, runs=5_000)
    _verbose_option(p, "also print every column and the full note of each update")

    p = command("tournament", "round-robin tournament of negotiation strategies", cmd_tournament)
    _tournament_options(p)

    p = command(
        "app",
        "serve the interactive teaching page on this machine and print its address (needs pip "
        'install "negosim[app]")',
        app_command.run_from_args,
    )
    app_command.add_arguments(p)
    return parser


def _chunk_defaults() -> str:
    """The default chunk sizes, as in :mod:`negosim.engine.runner` (e.g. "16384; 256 for eum")."""
    from negosim.engine.runner import DEFAULT_CHUNK, PROTOCOL_CHUNK

    by_size: dict[int, list[str]] = {}
    for protocol, size in PROTOCOL_CHUNK.items():
        by_size.setdefault(size, []).append(protocol)
    return "; ".join(
        [str(DEFAULT_CHUNK)]
        + [f"{size} for {' and '.join(names)}" for size, names in sorted(by_size.items())]
    )


def cli_type(check: Callable[..., Any], option: str, *extra: Any) -> Callable[[str], Any]:
    """An argparse ``type=`` function running ``check(text, option, *extra)``; argparse
    reports the message (which already names the option) as a usage error."""

    def convert(text: str) -> Any:
        try:
            return check(text, option, *extra)
        except ArgumentError as exc:
            raise argparse.ArgumentTypeError(exc.problem) from None

    convert.__name__ = option.lstrip("-").replace("-", "_")
    return convert


def cli_number(check: Callable[..., Any], option: str, *extra: Any) -> Callable[[str], Any]:
    """:func:`cli_type` of a number's check: the option's text read as a number first
    (:func:`negosim.engine.arguments.from_text`: ``1_000``, ``1e3``)."""

    def read(text: str, name: str, *more: Any) -> Any:
        return check(from_text(text), name, *more)

    return cli_type(read, option, *extra)


def _scenario_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenario", metavar="SCENARIO", help="a .toml file or a bundled name (see: scenarios)"
    )


def _monte_carlo_options(p: argparse.ArgumentParser, runs: int, zero_runs: bool = False) -> None:
    _scenario_argument(p)
    _runs_and_seed(p, runs, 0 if zero_runs else 1)
    p.add_argument(
        "--protocol",
        type=cli_type(check.protocol, "--protocol"),
        metavar="NAME",
        help="the negotiation protocol, one of the protocols listed below "
        "(default: the scenario's)",
    )
    _arithmetic_option(p)
    p.add_argument(
        "--rounds",
        type=cli_number(check.rounds, "--rounds"),
        metavar="T",
        help=f"deadline in rounds, 1..{check.MAX_ROUNDS:,} (default: the scenario's)",
    )
    p.add_argument(
        "--strategy",
        action="append",
        default=[],
        type=_actor_strategy,
        metavar="ACTOR=SPEC",
        help="strategy of a negotiator, e.g. Russia=boulware:e=0.1 (repeatable; default: the "
        "scenario's, else linear)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        type=_change,
        metavar="PATH=VALUE",
        dest="changes",
        help="fix one number, e.g. Russia.salience.kosovo_status=40 (repeatable; default: none)",
    )
    _information_options(p)
    _output_options(p, "the runs (one row each)" if zero_runs else "the table")
    _progress_option(p)


def _information_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--information",
        type=cli_type(lambda v, name: check.choice(v, name, INFORMATION), "--information"),
        metavar="SETTING",
        help="what each negotiator knows of the others: complete (their true numbers) or "
        "learned (the scenario's point estimates, learned from their offers by an opponent "
        "model) (default: complete)",
    )
    _opponent_model_option(p, "with --information learned")


def _opponent_model_option(p: argparse.ArgumentParser, when: str) -> None:
    p.add_argument(
        "--opponent-model",
        type=cli_type(check.opponent_model, "--opponent-model"),
        metavar="NAME",
        help=f"{when}, the opponent model of the negotiators whose strategies name none: "
        f"{', '.join(model_names())} (default: {DEFAULT_MODEL})",
    )


def _runs_and_seed(p: argparse.ArgumentParser, runs: int, low: int) -> None:
    what = "Monte Carlo runs" if low == 0 else "Monte Carlo runs per point (at least 1)"
    p.add_argument(
        "--runs",
        type=cli_number(check.whole_number, "--runs", low),
        default=runs,
        metavar="N",
        help=f"{what} (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=cli_number(check.seed, "--seed"),
        default=0,
        metavar="S",
        help="seed (a whole number >= 0): the same seed gives the same results "
        "(default: %(default)s)",
    )


def _arithmetic_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--arithmetic",
        choices=("float", "decimal"),
        help="exchange protocol only: float (fast) or decimal (28-digit, reproduces decide "
        "exactly) (default: the protocol's, float)",
    )


def _output_options(p: argparse.ArgumentParser, table: str) -> None:
    p.add_argument(
        "--out",
        type=cli_type(check.output_path, "--out", check.TABLE_FORMATS),
        metavar="FILE",
        help=f"write {table} to FILE.parquet, FILE.csv or FILE.json (default: nothing written)",
    )
    p.add_argument(
        "--plot",
        type=cli_type(check.output_path, "--plot", check.FIGURE_FORMATS),
        metavar="FILE",
        help="save the figure to FILE.png, FILE.svg or FILE.pdf (default: nothing written)",
    )


def _progress_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _verbose_option(p: argparse.ArgumentParser, text: str = "print every column") -> None:
    p.add_argument("--verbose", action="store_true", help=text)


def _tournament_options(p: argparse.ArgumentParser) -> None:
    from negosim.analysis.tournaments import DEFAULT_FIELD, DEFAULT_WORLDS

    p.add_argument(
        "--strategies",
        nargs="+",
        type=_strategy_text("--strategies"),
        metavar="SPEC",
        help="the field of strategies (default: " + " ".join(DEFAULT_FIELD) + ")",
    )
    p.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="SCENARIO",
        help="a scenario to play, a .toml file or a bundled name (repeatable; default: "
        "generated bilateral 3-issue scenarios)",
    )
    p.add_argument(
        "--generate",
        type=cli_number(check.whole_number, "--generate", 1, 1000),
        metavar="N",
        help=f"without --scenario: play N (1..1000) generated worlds (default: {DEFAULT_WORLDS})",
    )
    p.add_argument(
        "--uncertainty",
        type=cli_number(check.number_in, "--uncertainty", 0.0, 1.0),
        metavar="SHARE",
        help="without --scenario: the generated worlds' numbers are private, each position and "
        "salience drawn per run within this share of the scale of the generated one, which "
        "is all the others know (0..1; default: 0, every number known)",
    )
    p.add_argument(
        "--domains",
        metavar="DIR",
        help="play the time-dependent tactics on every GENIUS or GeniusWeb domain folder under "
        "DIR, every profile pair in both seat orders, with the ANAC metrics (docs/domains.md; "
        "the tactics are deterministic: --runs and --seed do not apply) (default: none)",
    )
    _runs_and_seed(p, 100, 1)
    p.add_argument(
        "--protocol",
        type=cli_type(check.protocol, "--protocol"),
        default="alternating",
        metavar="NAME",
        help="the negotiation protocol (default: %(default)s)",
    )
    p.add_argument(
        "--information",
        nargs="+",
        type=cli_type(lambda v, name: check.choice(v, name, INFORMATION), "--information"),
        default=["complete"],
        metavar="SETTING",
        help="play every pairing under each setting on the same worlds: complete (each side "
        "knows the others' numbers) and/or learned (each believes the scenario's point "
        "estimates and learns from the offers); with both, the leaderboard ranks each and a "
        "table sets them side by side (default: complete)",
    )
    _opponent_model_option(p, "under learned")
    _arithmetic_option(p)
    _output_options(p, "the leaderboard")
    _progress_option(p)
    _verbose_option(p, "print every column of the leaderboard")


# ----------------------------------------------------------------------------- argument types


def _pair(text: str, option: str, form: str) -> tuple[str, str]:
    left, sep, right = text.partition("=")
    if not sep or not left.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected {form}")
    return left.strip(), right


def _strategy_text(option: str):
    """A type function that checks a strategy spec and keeps its text (for labels)."""

    def convert(text: str) -> str:
        try:
            check.strategy_spec(text, option)
        except ArgumentError as exc:
            if not _domain_strategy(text):
                raise argparse.ArgumentTypeError(exc.problem) from None
        return text.strip()

    return convert


def _domain_strategy(text: str) -> bool:
    """Whether ``text`` is a strategy of the discrete engine only (a time-dependent tactic
    with an opponent model, ``linear:model=frequency``): refused later on a scenario."""
    from negosim.analysis import domains

    try:
        domains.strategy(text)
    except ArgumentError:
        return False
    return True


def _actor_strategy(text: str) -> tuple[str, str]:
    actor, spec = _pair(text, "--strategy", "ACTOR=SPEC, e.g. Russia=boulware:e=0.1")
    return actor, _strategy_text(f"--strategy {actor}")(spec)


def _party_list(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(","))
    if len(names) < 2 or not all(names) or len(set(names)) < len(names):
        raise argparse.ArgumentTypeError(f"{text!r}: expected two or more profile names, each once")
    return names


def _change(text: str) -> tuple[str, float]:
    path, value = _pair(text, "--set", "PATH=VALUE, e.g. Russia.power=40")
    try:
        return path, check.finite_number(from_text(value), path)
    except ArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _param(text: str) -> tuple[str, list[float]]:
    path, values = _pair(text, "--param", "PATH=V1,V2,...")
    items = [v for v in values.split(",") if v.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"{text!r}: expected PATH=V1,V2,... with numbers")
    try:
        return path, [check.finite_number(from_text(v), path) for v in items]
    except ArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ----------------------------------------------------------------------------- small commands


def _plural(n: int, word: str, many: str = "") -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"


def cmd_scenarios(args: argparse.Namespace) -> int:
    for name in list_scenarios():
        sc = load_scenario(name)
        line = (
            f"{name:<22} {_plural(len(sc.actors), 'actor'):>10}  "
            f"{_plural(len(sc.issues), 'issue'):>8}  {sc.title}"
        )
        print(_clip(line))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    for path in args.files:
        if _is_domain(path):
            domain = _read_domain(path)
            counts = [
                _plural(len(domain.issues), "discrete issue"),
                _plural(len(domain.profiles), "profile"),
                _plural(domain.size, "outcome"),
            ]
            print(f"{path}: ok (a domain: {', '.join(counts)})")
            continue
        sc = _load(path)
        counts = ", ".join(
            [
                _plural(len(sc.actors), "actor"),
                _plural(len(sc.issues), "issue"),
                _plural(len(sc.coalitions), "coalition"),
                _plural(len(sc.uncertainty), "uncertainty entry", "uncertainty entries"),
                _plural(len(sc.effective_uncertainty), "number", "numbers") + " sampled in all",
            ]
        )
        print(f"{path}: ok ({counts})")
        if line := _unsourced_line(sc):
            print(_wrap(f"  {line}"))
    return 0


def _unsourced_line(sc: Scenario) -> str:
    """The sampled numbers of ``sc`` that no dated source gives (confidence not "A"): the
    ``[[uncertainty]]`` entries by name, the ``estimate_spread`` defaults counted ("" if
    none)."""
    missing = unsourced(sc)
    if not missing:
        return ""
    explicit = {u.target for u in sc.uncertainty}
    named = [t for t in missing if t in explicit]
    spread = len(missing) - len(named)
    parts = [", ".join(named)] if named else []
    if spread:
        parts.append(
            f'{_plural(spread, "number")} coded "E" that estimate_spread samples '
            "(negosim.model.sources.unsourced lists all)"
        )
    return f"sampled numbers without a dated source: {'; and '.join(parts)}"


def cmd_show(args: argparse.Namespace) -> int:
    print(show_table(_load(args.scenario)))
    return 0


def show_table(sc: Scenario) -> str:
    """A readable actors x issues table: position/salience per issue, power, role."""
    import pandas as pd

    rows = []
    for actor in sc.actor_specs:
        row = {"actor": actor.id, "role": actor.role, "power": f"{actor.power:g}"}
        for issue in sc.issues:
            if issue in actor.salience:
                cell = f"{actor.position[issue]:g}/{actor.salience[issue]:g}"
                extra = actor.power_by_issue.get(issue)
                row[issue] = cell + (f" p{extra:g}" if extra else "")
            else:
                row[issue] = "-"
        rows.append(row)
    table = pd.DataFrame(rows).set_index("actor").to_string(line_width=WIDTH)
    head = [f"{sc.id}: {sc.title}", "cells: position/salience (pN = power on that issue)", ""]
    sq = "status quo: " + ", ".join(f"{i.id}={i.status_quo:g}" for i in sc.issue_specs)
    return "\n".join([*head, table, "", _wrap(sq)])


# ----------------------------------------------------------------------------- checks


def _load(name: str) -> Scenario:
    """A scenario, read and validated (its protocol among those the engine runs)."""
    try:
        return load_scenario(name)
    except ScenarioError:
        raise
    except (OSError, ValueError) as exc:
        raise InputError(f"{name!r}: cannot read the scenario: {_one_line(exc)}") from None


def _once(pairs: Sequence[tuple[str, Any]], option: str) -> None:
    """Refuse an option given twice for the same actor or number (the last would silently
    win)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise InputError(f"{option} {key}: given twice; give each once")
        seen.add(key)


def _input_file(name: str) -> Path:
    """The file a scenario argument reads: the path given, else the bundled file it names."""
    path = check.input_path(name, "scenario")
    return path if path.exists() or path.suffix else bundled_dir() / f"{name}.toml"


def _separate_outputs(args: argparse.Namespace, inputs: dict[str, Path]) -> None:
    """Refuse --out and --plot files that are an input, each other, or inside --store."""
    check.separate_paths(
        {"--out": args.out, "--plot": args.plot},
        inputs,
        {"--store": getattr(args, "store", None)},
    )


def _apply_changes(sc: Scenario, changes: Sequence[tuple[str, float]]) -> Scenario:
    _once(changes, "--set")
    for path, value in changes:
        try:
            sc = sc.replace_value(path, value)
        except KeyError as exc:
            raise InputError(f"--set {path}: {exc.args[0]}") from None
    return sc


def _strategies(sc: Scenario, pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    from negosim.engine.runner import resolve_strategies

    _once(pairs, "--strategy")
    given = dict(pairs)
    for actor, spec in given.items():
        if "model=" in spec:
            raise InputError(
                f"--strategy {actor}={spec}: an opponent model (model=) is for a domain (a "
                "GENIUS or GeniusWeb folder) only"
            )
        try:
            resolve_strategies(sc, {actor: spec})
        except KeyError as exc:
            raise InputError(f"--strategy {actor}={spec}: {exc.args[0]}") from None
    return given


def _protocol_options(sc: Scenario | None, args: argparse.Namespace) -> dict[str, Any]:
    protocol = args.protocol or (sc.protocol if sc is not None else "alternating")
    if args.arithmetic is None:
        return {}
    if protocol != "exchange":
        raise InputError(f"--arithmetic: only the exchange protocol takes it, not {protocol!r}")
    return {"arithmetic": args.arithmetic}


def _setup(args: argparse.Namespace, gathered: bool = True) -> tuple[Scenario, dict[str, Any]]:
    """The scenario with its --set changes, and the checked simulate options of a command
    (``gathered``: every Monte Carlo of the command is gathered in memory)."""
    _separate_outputs(args, {"the scenario": _input_file(args.scenario)})
    sc = _apply_changes(_load(args.scenario), args.changes)
    protocol = args.protocol or sc.protocol
    check.strategy_targets_played(sc, dict(args.changes), protocol, lambda t: f"--set {t}")
    if gathered:
        _runs_fit(sc, args.runs)
    options = {
        "protocol": args.protocol,
        "strategies": _strategies(sc, args.strategy),
        "rounds": args.rounds,
        "progress": not args.no_progress,
        **_protocol_options(sc, args),
        **_information(args),
    }
    return sc, options


def _information(args: argparse.Namespace) -> dict[str, str]:
    """The information setting and opponent model given on the command line (none: the
    defaults of :func:`negosim.simulate`)."""
    if args.opponent_model is not None and args.information != "learned":
        raise InputError("--opponent-model: only --information learned uses an opponent model")
    given = {"information": args.information, "opponent_model": args.opponent_model}
    return {k: v for k, v in given.items() if v is not None}


# ----------------------------------------------------------------------------- outputs


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary name next to ``path``, renamed to it on success and removed on failure, so
    a half-written file never carries the real name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_table(frame, path: Path) -> None:
    """Write a table in the format of ``path``'s extension (.parquet, .csv or .json)."""
    writers = {
        ".parquet": lambda tmp: frame.to_parquet(tmp, index=False),
        ".csv": lambda tmp: frame.to_csv(tmp, index=False),
        ".json": lambda tmp: frame.to_json(tmp, orient="records", date_format="iso", indent=1),
    }
    if path.suffix.lower() not in writers:  # the --out check refuses these before any work
        raise InputError(f"--out: unknown extension {path.suffix!r}")
    _write_or_rescue(writers[path.suffix.lower()], path, "--out", "table")
    print(f"table written to {path}")


def save_figure(figure, path: Path) -> None:
    """Save a figure in the format of ``path``'s extension (.png, .svg or .pdf)."""
    import matplotlib.pyplot as plt

    def draw(tmp: Path) -> None:
        figure.savefig(tmp, format=path.suffix.lower().lstrip("."), dpi=120)

    try:
        _write_or_rescue(draw, path, "--plot", "figure")
    finally:
        plt.close(figure)
    print(f"figure saved to {path}")


def _write_or_rescue(write: Callable[[Path], Any], path: Path, option: str, what: str) -> None:
    """``write`` the file atomically; on a write error (a full disk, a folder removed or made
    read-only during the run) write it to a new file in the temporary folder instead and
    raise one line naming both, so the work done is not lost."""
    try:
        with _atomic(path) as tmp:
            write(tmp)
        return
    except OSError as exc:
        problem = f"{option}: cannot write {path} ({exc.strerror or exc})"
    try:
        fd, name = tempfile.mkstemp(prefix="negosim-", suffix=path.suffix.lower())
        os.close(fd)
        write(Path(name))
    except OSError as exc:
        raise InputError(f"{problem}; the {what} was not saved ({exc.strerror or exc})") from None
    raise InputError(f"{problem}; the {what} was written to {name} instead")


def _plotting() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from negosim import plot

    return plot


def _print_table(frame, columns: Sequence[str] | None = None) -> None:
    shown = frame if columns is None else frame[[c for c in columns if c in frame]]
    print(shown.to_string(float_format=lambda x: f"{x:.3f}", line_width=WIDTH))


# ----------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    from negosim.engine.runner import default_chunk, simulate

    if _is_domain(args.scenario):
        return _run_domain(args)
    if args.parties is not None:
        raise InputError("--parties: for a domain (a GENIUS or GeniusWeb folder) only")
    sc, options = _setup(args, gathered=False)
    if args.chunk_size is None:
        args.chunk_size = default_chunk(options.get("protocol") or sc.protocol)
    collect = _check_run(args, sc)
    res = simulate(
        sc,
        args.runs,
        args.seed,
        chunk_size=args.chunk_size,
        store=args.store,
        workers=args.workers,
        collect=collect,
        **options,
    )
    if res is None:
        print(_stored_summary(sc, args))
        return 0
    print(_settings_line(sc, res.protocol, res.deadline, args))
    print(res.summary())
    if args.store is not None:
        print(f"\nchunks stored in {args.store} (read them with negosim.load_results)")
    if args.out:
        write_table(res.to_frame(inputs=args.inputs), args.out)
    if args.plot:
        figure = _plotting().outcome_distributions(res, settings=_given(args, runs=False))
        save_figure(figure, args.plot)
    return 0


def _is_domain(name: str) -> bool:
    """Whether a scenario argument is a discrete domain: a folder (GENIUS or GeniusWeb) or a
    TOML file of discrete issues (a path the system will not look at is neither: reading it
    as a scenario then says why)."""
    try:
        return Path(name).is_dir() or is_domain_file(name)
    except OSError:
        return False


def _read_domain(name: str):
    """The domain of a folder or of a TOML file of discrete issues."""
    return read_domain(name) if Path(name).is_dir() else load_domain(name)


DOMAIN_PROTOCOL = "alternating"
"""The negotiation protocol of the discrete engine (stacked alternating offers, 2 or 3 parties)."""
DOMAIN_SOLUTIONS = {
    "nash": "Nash",
    "kalai_smorodinsky": "Kalai-Smorodinsky",
    "utilitarian": "maximum welfare",
}
"""The solution protocols on a domain, each the exact outcome found by enumeration."""


def _domain_refusals(args: argparse.Namespace) -> None:
    """Refuse, in one line, the options of ``run`` that mean nothing on a discrete domain."""
    if args.protocol not in (None, DOMAIN_PROTOCOL, *DOMAIN_SOLUTIONS):
        raise InputError(
            f"--protocol {args.protocol}: not for discrete issues (it moves positions on "
            f"continuous scales); on a domain: {DOMAIN_PROTOCOL} (stacked alternating offers) "
            f"or a solution, {', '.join(DOMAIN_SOLUTIONS)}"
        )
    if args.protocol in DOMAIN_SOLUTIONS and (args.out or args.plot or args.strategy):
        option = "--out" if args.out else "--plot" if args.plot else "--strategy"
        raise InputError(f"{option}: the solution protocol {args.protocol} has no runs")
    unused = {
        "--set": args.changes,
        "--arithmetic": args.arithmetic,
        "--chunk-size": args.chunk_size,
        "--workers": args.workers,
        "--store": args.store,
        "--resume": args.resume,
        "--inputs": args.inputs,
        "--information": args.information,
        "--opponent-model": args.opponent_model,
    }
    for option, value in unused.items():
        if value:
            raise InputError(f"{option}: not for a domain (a scenario of discrete issues)")
    if args.runs < 1:
        raise InputError("--runs: a domain needs at least 1 run")


def _run_domain(args: argparse.Namespace) -> int:
    """``negosim run FOLDER``: a Monte Carlo of GENIUS's time-dependent tactics on a discrete
    domain, its summary and the exact solutions (docs/domains.md)."""
    import pandas as pd

    from negosim.analysis import domains
    from negosim.engine.discrete import outcome_space

    _domain_refusals(args)
    path = Path(args.scenario)
    check.separate_paths({"--out": args.out, "--plot": args.plot}, {"the scenario": path})
    for option, output in (("--out", args.out), ("--plot", args.plot)):
        if output is not None and path.resolve() in output.resolve().parents:
            raise InputError(
                f"{option}: {str(output)!r} lies inside the domain folder {str(path)!r}, where "
                "it would be read as part of the domain; write it elsewhere"
            )
    domain = _read_domain(args.scenario)
    if args.parties is None and len(domain.profiles) > 3:
        raise InputError(
            f"--parties: {domain.name} has {len(domain.profiles)} profiles "
            f"({', '.join(domain.party_names)}); name the two or three that negotiate"
        )
    space = outcome_space(domain)
    parties = args.parties or domain.party_names
    if args.protocol in DOMAIN_SOLUTIONS:
        return _domain_solution(space, parties, args.protocol)
    _once(args.strategy, "--strategy")
    tactics = {}
    for party, spec in args.strategy:
        if party not in parties:
            raise InputError(
                f"--strategy {party}={spec}: no such negotiating profile; "
                f"parties: {', '.join(parties)}"
            )
        tactics[party] = spec
    chosen = {n: domains.strategy(spec, f"--strategy {n}") for n, spec in tactics.items()}
    rounds = args.rounds or 100
    res = domains.monte_carlo(
        space, args.runs, args.seed, tactics=tactics, parties=parties, rounds=rounds
    )

    def played_by(n: str) -> str:
        if n not in chosen:
            return f"{n} drawn"
        e, model = chosen[n]
        return f"{n} e={e:g}" + (f" with the {model} opponent model" if model != "none" else "")

    played = ", ".join(played_by(n) for n in parties)
    low, high = domains.DRAWN
    drawn = (
        f" (drawn: e log-uniform on [{low:g}, {high:g}], run by run)"
        if len(tactics) < len(parties)
        else ""
    )
    head = (
        f"{domain.name}: {', '.join(parties)} on {space.size:,} outcomes; protocol "
        f"{DOMAIN_PROTOCOL}, deadline {rounds} rounds, seed {args.seed}; tactics: {played}{drawn}"
    )
    print(_wrap(head) + "\n")
    solved = domains.solve(space, res.parties)
    print(domains.describe(res, solved))
    if args.out:
        metrics = domains.run_metrics(res, solved).drop(columns=["run", "agreed"])
        frame = res.to_frame()
        table = pd.concat([frame, metrics.drop(columns=[c for c in metrics if c in frame])], axis=1)
        write_table(table, args.out)
    if args.plot:
        figure = _plotting().domain_outcomes(res, settings=_given(args, runs=False))
        save_figure(figure, args.plot)
    return 0


def _domain_solution(space, parties: Sequence[str], protocol: str) -> int:
    """A solution protocol on a domain: its exact outcome, by enumeration."""
    from negosim.analysis import domains

    solved = domains.solve(space, parties)
    index = {"nash": solved.nash, "kalai_smorodinsky": solved.ks, "utilitarian": solved.welfare}
    found = index[protocol]
    print(
        f"{space.domain.name}: {', '.join(parties)} on {space.size:,} outcomes; protocol {protocol}"
    )
    if found < 0:
        print("no outcome is worth more than every reservation: no agreement")
        return 0
    for issue, value in zip(space.domain.issues, space.labels(found), strict=True):
        print(f"  {issue.name} = {value}")
    worth = ", ".join(f"{n} {u:.4f}" for n, u in zip(parties, solved.utility[found], strict=True))
    print(f"{DOMAIN_SOLUTIONS[protocol]} outcome, undiscounted utilities: {worth}")
    return 0


def _stored_summary(sc: Scenario, args: argparse.Namespace) -> str:
    """The headline of a store too large to gather here, read one chunk at a time: agreement
    with its 95% Wilson interval, the mean round of agreement (over the agreed runs) and the
    mean final package."""
    from negosim.engine.results import wilson_interval

    manifest, _ = _store.read_manifest(args.store)
    runs, units = manifest["runs"], manifest["units"]
    agreed, rounds, outcome = 0, 0, 0.0
    for part in _store.iter_parts(args.store):
        agreed += int(part["agreed"].sum())
        # the rounds of the agreements: a run that ran out of time has no round to average
        rounds += int(part["rounds"][part["agreed"]].sum(dtype="int64"))
        outcome = outcome + part["outcome"].sum(axis=0)
    low, high = wilson_interval(round(agreed / runs * units), units)
    package = ", ".join(f"{i} {v / runs:.1f}" for i, v in zip(sc.issues, outcome, strict=True))
    lines = [
        _settings_line(sc, manifest["protocol"], manifest["rounds"], args),
        f"runs: {runs:,}   agreement: {agreed / runs:.1%} (95% CI {low:.1%}..{high:.1%})   "
        + (
            f"mean round of agreement: {rounds / agreed:.1f} of {manifest['rounds']}"
            if agreed
            else f"no agreement in {manifest['rounds']} rounds"
        ),
        _wrap(f"mean final package: {package}"),
        "",
        _wrap(
            f"chunks stored in {args.store}; too many runs to gather for the full summary "
            "here: read them one chunk at a time with negosim.io.store.iter_parts"
        ),
    ]
    return "\n".join(lines)


def _given(args: argparse.Namespace, runs: bool = True) -> str:
    """The settings of a command away from the scenario's values, for a figure's title (with
    the runs and the seed: ``runs=False`` where the title counts the runs itself)."""
    given = [f"protocol {args.protocol}"] if getattr(args, "protocol", None) else []
    given += [f"rounds {args.rounds}"] if getattr(args, "rounds", None) else []
    given += [f"{a}={s}" for a, s in getattr(args, "strategy", None) or ()]
    given += [f"{path}={value:g}" for path, value in getattr(args, "changes", None) or ()]
    if getattr(args, "information", None) == "learned":
        model = getattr(args, "opponent_model", None) or DEFAULT_MODEL
        given += [f"information learned ({model} model)"]
    count = f"{args.runs:,} runs" + (" a point" if args.command == "sweep" else "") + ", "
    return "; ".join([f"{count if runs else ''}seed {args.seed}", *given])


def _settings_line(sc: Scenario, protocol: str, deadline: int, args: argparse.Namespace) -> str:
    """What was run: scenario, protocol, deadline, seed, and every setting given."""
    given = [f"--strategy {a}={s}" for a, s in args.strategy]
    given += [f"--set {path}={value:g}" for path, value in args.changes]
    head = f"{sc.id}: protocol {protocol}, deadline {deadline} rounds, seed {args.seed}"
    if getattr(args, "information", None) == "learned":
        model = getattr(args, "opponent_model", None) or DEFAULT_MODEL
        head += f", information learned ({model} model)"
    text = "; ".join([head, ", ".join(given)]) if given else head
    return "\n".join(textwrap.wrap(text, WIDTH, subsequent_indent="  ")) + "\n"


def _check_run(args: argparse.Namespace, sc: Scenario) -> bool:
    """Check the store, output and memory options of ``run``; whether to gather the results."""
    from negosim.engine import memory

    _check_store(args)
    if args.plot is not None and args.runs == 0:
        raise InputError("--plot: no runs to plot (--runs is 0)")
    if args.inputs and args.out is None:
        raise InputError("--inputs: adds columns to the table of --out FILE, which is missing")
    if args.inputs and args.seed is None:
        raise InputError("--inputs: a run without --seed cannot say its sampled inputs")
    try:
        _runs_fit(sc, args.runs, "--store DIR")
        gather = True
    except ArgumentError:
        if args.store is None or args.out is not None or args.plot is not None:
            raise
        gather = False  # the store keeps them; nothing here needs them all at once
    if args.store is not None and args.out is None and args.plot is None:
        # only the summary needs them: gather it when small, else read the store back in parts
        gather = gather and 2 * args.runs * memory.result_bytes_per_run(sc) <= SUMMARY_BYTES
    check.chunks(args.runs, args.chunk_size, "--chunk-size")
    memory.chunk_fits(sc, args.runs, args.chunk_size, "--chunk-size")
    return gather


def _runs_fit(sc: Scenario, runs: int, hint: str = "") -> None:
    from negosim.engine import memory

    memory.fits_in_memory(runs, memory.result_bytes_per_run(sc), "--runs", hint)


def _check_store(args: argparse.Namespace) -> None:
    if args.store is None:
        if args.resume:
            raise InputError("--resume: needs --store DIR (the store to continue)")
        return
    manifest = args.store / getattr(_store, "MANIFEST", "manifest.json")
    if manifest.exists() and not args.resume:
        raise InputError(
            f"--store: {args.store} holds a store already; pass --resume to continue it "
            "or choose a new folder"
        )
    if not manifest.exists() and args.resume:  # other files: refused by --store's own check
        raise InputError(f"--resume: {args.store} holds no store to continue")


# ----------------------------------------------------------------------------- what-ifs


def _finish(args: argparse.Namespace, table, shown: Sequence[str] | None, make_figure) -> int:
    _print_table(table, None if getattr(args, "verbose", False) else shown)
    if args.out:
        write_table(table.reset_index() if table.index.name else table, args.out)
    if args.plot:
        save_figure(make_figure(), args.plot)
    return 0


def _summary_columns(sc: Scenario, first: Sequence[str] = ()) -> list[str]:
    return [*first, "agreement", "agreement_low", "agreement_high", "mean_agreement_round"] + [
        f"outcome.{i}" for i in sc.issues
    ]


def cmd_sweep(args: argparse.Namespace) -> int:
    from negosim.analysis.whatif import sweep

    sc, options = _setup(args)
    grid: dict[str, list[float]] = {}
    _once(args.param, "--param")
    for target, values in args.param:
        try:
            sc.parse_target(target)
        except KeyError as exc:
            raise InputError(f"--param {target}: {exc.args[0]}") from None
        grid[target] = values
    fixed = {path for path, _ in args.changes} & set(grid)
    if fixed:  # a swept number's --set would be overwritten at every point
        raise InputError(f"--set {sorted(fixed)[0]}: also swept by --param; give one or the other")
    protocol = args.protocol or sc.protocol
    check.strategy_targets_played(sc, grid, protocol, lambda t: f"--param {t}")
    table = sweep(sc, grid, args.runs, args.seed, **options)
    first = next(iter(grid))
    return _finish(
        args,
        table,
        _summary_columns(sc, list(grid)),
        lambda: _plotting().sweep_agreement(table, first, settings=_given(args)),
    )


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from negosim.analysis.whatif import sensitivity

    sc, options = _setup(args)
    if not sc.effective_uncertainty:
        raise InputError(f"{sc.origin}: no uncertain numbers to analyse ([[uncertainty]] or 'E')")
    _check_swings(sc, args.seed)
    table = sensitivity(sc, args.runs, args.seed, top=args.top, **options)
    shown = ["low", "high", "agreement_at_low", "agreement_at_high", "swing"]
    return _finish(args, table, shown, lambda: _plotting().tornado(table, settings=_given(args)))


def _check_swings(sc: Scenario, seed: int) -> None:
    """Fix every explicit uncertain input once at a sampled value, as the swings will, so a
    scenario that cannot be fixed fails before the first Monte Carlo."""
    from negosim.engine.sampling import sample

    values = sample(sc, 1, seed).inputs()
    for u in sc.uncertainty:
        sc.fix(u.target, float(values[u.target][0]))


def cmd_timeline(args: argparse.Namespace) -> int:
    from negosim.analysis.whatif import timeline

    sc, options = _setup(args)
    if sc.date is None and not sc.updates:
        raise InputError(f"{sc.origin}: no date and no [[updates]] to make a timeline of")
    table = timeline(sc, args.runs, args.seed, **options)
    dated = table.assign(date=table["date"].dt.strftime("%Y-%m-%d")).set_index("date")
    _print_table(dated.drop(columns="note"), None if args.verbose else _summary_columns(sc))
    print("\nnotes:")
    for when, note in zip(dated.index, dated["note"], strict=True):
        line = f"  {when}  {note}"
        print(_wrap(line) if args.verbose else _clip(line))
    if args.out:
        write_table(table, args.out)
    if args.plot:
        save_figure(_plotting().timeline(table, sc, settings=_given(args)), args.plot)
    return 0


def cmd_tournament(args: argparse.Namespace) -> int:
    from negosim.analysis.tournaments import (
        DEFAULT_WORLDS,
        FewWorldsWarning,
        generate,
        tournament,
    )

    if args.domains is not None:
        return _domain_tournament(args)
    _separate_outputs(args, {f"--scenario {name}": _input_file(name) for name in args.scenario})
    if args.scenario and args.generate is not None:  # it would be ignored without a word
        raise InputError("--generate: plays generated worlds only without --scenario")
    _once([(spec, None) for spec in args.strategies or ()], "--strategies")
    _once([(setting, None) for setting in args.information], "--information")
    if args.scenario and args.uncertainty is not None:
        raise InputError("--uncertainty: applies to generated worlds only, without --scenario")
    if args.opponent_model is not None and "learned" not in args.information:
        raise InputError("--opponent-model: only --information learned uses an opponent model")
    private = args.uncertainty or 0.0
    scenarios = [_load(s) for s in args.scenario] or [
        generate(2, 3, seed=args.seed + k, uncertainty=private)
        for k in range(args.generate or DEFAULT_WORLDS)
    ]
    check.distinct_scenarios(scenarios, [f"--scenario {name}" for name in args.scenario])
    options = _protocol_options(None, args)
    for sc in scenarios:
        if not any(role == "negotiator" for role in sc.roles):
            raise InputError(f"--scenario {sc.origin}: no negotiator to seat a strategy")
        _runs_fit(sc, args.runs)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", FewWorldsWarning)
        result = tournament(
            args.strategies,
            scenarios,
            args.runs,
            args.seed,
            protocol=args.protocol,
            information=tuple(args.information),
            **({} if args.opponent_model is None else {"opponent_model": args.opponent_model}),
            progress=not args.no_progress,
            **options,
        )
    for warning in said:  # one line each, as every message of the command line
        print(f"negosim: warning: {warning.message}", file=sys.stderr)
    board = result.leaderboard
    shown = ["strategy", "plays", "utility", "utility_low", "utility_high", "agreed", "rounds"]
    if len(result.information) == 1:
        return _finish(
            args, board, shown, lambda: _plotting().leaderboard(result, settings=_given(args))
        )
    shown.insert(1, "information")  # which setting each row ranks under
    _print_table(board, None if args.verbose else shown)
    print("\nown utility by setting; difference = complete - learned, over the paired worlds:")
    side = ["strategy", *result.information, "difference", "difference_low", "difference_high"]
    _print_table(result.by_information(), None if args.verbose else [*side, "worlds"])
    if args.out:
        write_table(board.reset_index(), args.out)
    if args.plot:
        save_figure(_plotting().leaderboard(result, settings=_given(args)), args.plot)
    return 0


def _domain_tournament(args: argparse.Namespace) -> int:
    """``negosim tournament --domains DIR``: the tactics round-robin over every domain folder
    under DIR (:func:`negosim.analysis.domains.domain_tournament`)."""
    from negosim.analysis import domains

    for option, given in (
        ("--scenario", args.scenario),
        ("--generate", args.generate is not None),
        ("--arithmetic", args.arithmetic),
        ("--uncertainty", args.uncertainty is not None),
        ("--information", args.information not in (None, ["complete"])),
        ("--opponent-model", args.opponent_model is not None),
    ):
        if given:
            raise InputError(f"{option}: not with --domains (the domains are the scenarios)")
    if args.protocol != DOMAIN_PROTOCOL:
        raise InputError(
            f"--protocol {args.protocol}: not with --domains; the discrete engine negotiates by "
            f"stacked alternating offers ({DOMAIN_PROTOCOL})"
        )
    root = Path(args.domains)
    if not root.is_dir():
        raise InputError(f"--domains: {args.domains!r} is not a folder")
    _once([(spec, None) for spec in args.strategies or ()], "--strategies")
    for spec in args.strategies or ():  # before any folder is read
        domains.tactic(spec, f"--strategies {spec}")
    check.separate_paths({"--out": args.out, "--plot": args.plot})
    result = domains.domain_tournament(root, args.strategies)
    for folder, problem in result.skipped:
        print(f"negosim: warning: skipped {folder}: {problem}", file=sys.stderr)
    board = result.leaderboard
    units = int(board["units"].max())
    print(
        _wrap(
            f"{result.plays['domain'].nunique()} domains, {units} independent units (domain x "
            f"profile pair), both seat orders; {domains.INTERVAL_NOTE}"
        )
        + "\n"
    )
    shown = ["strategy", "utility", "utility_low", "utility_high", "agreed", "agreement_time"]
    shown += ["welfare", "pareto_distance", "nash_distance", "ks_distance", "nash_product"]
    return _finish(
        args,
        board,
        shown,
        lambda: _plotting().leaderboard(board),
    )


if __name__ == "__main__":
    sys.exit(main())
