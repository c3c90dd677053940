"""The ``negosim`` command line: list, validate and show scenarios; run Monte Carlos.

Exit codes: 0 on success, 2 on bad input (with one line that names the file or field).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from negosim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario
from negosim.store import StoreError

BAD_INPUT = 2


class InputError(Exception):
    """A bad command-line input (reported in one line, exit code 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``negosim`` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, InputError) as exc:
        print(f"negosim: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("negosim: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="negosim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("scenarios", help="list the bundled scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("validate", help="check scenario files; exit 2 on the first error")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("show", help="print a scenario's actors x issues table")
    p.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("run", help="run a Monte Carlo and print its summary")
    p.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    p.add_argument("--runs", type=_count, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--protocol", default=None, help="alternating or mediated (default: the scenario's)"
    )
    p.add_argument(
        "--rounds", type=_count, default=None, help="deadline T (default: the scenario's)"
    )
    p.add_argument(
        "--strategy",
        action="append",
        default=[],
        metavar="ACTOR=NAME[:k=v,...]",
        help="strategy of a negotiator, e.g. Russia=boulware:e=0.1 (repeatable)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        dest="changes",
        help="change one number, e.g. Russia.salience.kosovo_status=40 (repeatable)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="FILE.parquet: one row per run; or a folder: a resumable store of chunks",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the store in --out (finished chunks are read, not recomputed)",
    )
    p.add_argument(
        "--workers",
        type=_count,
        default=None,
        help="run the chunks on a local Dask cluster of this many processes",
    )
    p.add_argument("--plot", type=Path, help="save the outcome distributions to this PNG")
    p.add_argument("--chunk-size", type=_count, default=16_384)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sweep", help="a Monte Carlo at each value of one or more parameters")
    _monte_carlo_options(p, runs=2_000)
    p.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="PATH=V1,V2,...",
        help="a parameter and its values, e.g. Russia.salience.kosovo_status=40,60,80",
    )
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("sensitivity", help="which uncertain inputs move the results most")
    _monte_carlo_options(p, runs=2_000)
    p.add_argument("--top", type=_count, default=12, help="inputs swung one at a time")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("tournament", help="round-robin tournament of negotiation strategies")
    p.add_argument(
        "--strategies",
        nargs="+",
        metavar="NAME[:k=v]",
        help="the field (default: the built-in families)",
    )
    p.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="SCENARIO",
        help="a scenario to play (repeatable; default: generated bilateral ones)",
    )
    p.add_argument(
        "--generate",
        type=_count,
        default=3,
        metavar="N",
        help="without --scenario: this many generated bilateral 3-issue scenarios",
    )
    p.add_argument("--runs", type=_count, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--protocol", default="alternating")
    p.add_argument("--out", type=Path, help="write the leaderboard to this CSV file")
    p.add_argument("--plot", type=Path, help="the leaderboard figure (default: out/tournament.png)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_tournament)

    p = sub.add_parser("timeline", help="a Monte Carlo as of each dated update of a scenario")
    _monte_carlo_options(p, runs=5_000)
    p.set_defaults(func=cmd_timeline)
    return parser


def _monte_carlo_options(p: argparse.ArgumentParser, runs: int) -> None:
    p.add_argument("scenario", metavar="SCENARIO", help="a .toml file or a bundled name")
    p.add_argument("--runs", type=_count, default=runs)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--protocol", default=None)
    p.add_argument("--rounds", type=_count, default=None)
    p.add_argument("--strategy", action="append", default=[], metavar="ACTOR=NAME[:k=v,...]")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="changes")
    p.add_argument("--out", type=Path, help="write the table to this CSV file")
    p.add_argument("--plot", type=Path, help="the figure (default: out/SCENARIO_COMMAND.png)")
    p.add_argument("--no-progress", action="store_true")


def _count(text: str) -> int:
    try:
        value = int(float(text.replace("_", "")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 0")
    return value


def cmd_scenarios(args: argparse.Namespace) -> int:
    for name in list_scenarios():
        sc = load_scenario(name)
        print(f"{name:<24} {len(sc.actors):>3} actors  {len(sc.issues)} issues  {sc.title}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    for path in args.files:
        sc = load_scenario(path)
        print(
            f"{path}: ok ({len(sc.actors)} actors, {len(sc.issues)} issues, "
            f"{len(sc.coalitions)} coalitions, {len(sc.uncertainty)} uncertain numbers)"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    print(show_table(load_scenario(args.scenario)))
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
    table = pd.DataFrame(rows).set_index("actor").to_string()
    head = [f"{sc.id}: {sc.title}", "cells: position/salience (pN = power on that issue)", ""]
    sq = "status quo: " + ", ".join(f"{i.id}={i.status_quo:g}" for i in sc.issue_specs)
    return "\n".join([*head, table, "", sq])


def _apply_changes(sc: Scenario, changes: Sequence[str]) -> Scenario:
    for change in changes:
        path, sep, text = change.partition("=")
        if not sep:
            raise InputError(f"--set {change!r}: expected PATH=VALUE")
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"--set {path}: {text!r} is not a number") from None
        sc = sc.replace_value(path.strip(), value)
    return sc


def _strategies(sc: Scenario, specs: Sequence[str]) -> dict[str, object]:
    from negosim.engine import parse_strategy

    out: dict[str, object] = {}
    for spec in specs:
        actor, sep, strategy = spec.partition("=")
        if not sep:
            raise InputError(f"--strategy {spec!r}: expected ACTOR=NAME[:k=v,...]")
        try:
            index = sc.actor_index(actor.strip())
            if sc.roles[index] != "negotiator":
                raise KeyError(f"actor {actor.strip()!r} is a {sc.roles[index]}, not a negotiator")
            out[actor.strip()] = parse_strategy(strategy)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"--strategy {spec}: {exc.args[0] if exc.args else exc}") from None
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from negosim.engine import simulate

    sc, options = _setup(args)
    strategies = options["strategies"]
    store = args.out if args.out is not None and args.out.suffix != ".parquet" else None
    if store is not None and (store / "manifest.json").exists() and not args.resume:
        raise InputError(f"{store}: a store exists there; pass --resume to continue it")
    if args.resume and store is None:
        raise InputError("--resume needs --out DIR (a store folder)")
    try:
        res = simulate(
            sc,
            args.runs,
            args.seed,
            protocol=args.protocol,
            strategies=strategies,
            rounds=args.rounds,
            chunk_size=args.chunk_size,
            store=store,
            workers=args.workers,
            progress=not args.no_progress and args.runs > args.chunk_size,
        )
    except StoreError as exc:
        raise InputError(str(exc)) from None
    print(res.summary())
    if store is not None:
        print(f"\nchunks stored in {store} (read them with negosim.load_results)")
    elif args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".parquet.part")
        res.to_frame().to_parquet(tmp, index=False)
        tmp.replace(args.out)  # never leave a half-written file under the real name
        print(f"\nruns written to {args.out}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from negosim.plot import outcome_distributions

        args.plot.parent.mkdir(parents=True, exist_ok=True)
        fig = outcome_distributions(res)
        fig.savefig(args.plot, dpi=120)
        print(f"figure saved to {args.plot}")
    return 0


def _setup(args: argparse.Namespace) -> tuple[Scenario, dict]:
    """The scenario with its --set changes, and checked simulate options of a command."""
    from negosim.protocols import get_protocol

    sc = _apply_changes(load_scenario(args.scenario), args.changes)
    try:
        get_protocol(args.protocol or sc.protocol)
    except KeyError as exc:
        raise InputError(f"--protocol: {exc.args[0]}") from None
    if args.plot is not None and args.plot.suffix != ".png":
        raise InputError(f"{args.plot}: expected a .png file")
    options = {
        "protocol": args.protocol,
        "strategies": _strategies(sc, args.strategy),
        "rounds": args.rounds,
        "progress": not args.no_progress,
    }
    return sc, options


def _finish_what_if(args, sc: Scenario, table, figure, command: str) -> int:
    import pandas as pd

    with pd.option_context("display.width", 120, "display.max_columns", 12):
        print(table.to_string(float_format=lambda x: f"{x:.3f}"))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out)
        print(f"\ntable written to {args.out}")
    path = args.plot or Path("out") / f"{sc.id}_{command}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    print(f"figure saved to {path}")
    return 0


def _agg_backend() -> None:
    import matplotlib

    matplotlib.use("Agg")


def cmd_sweep(args: argparse.Namespace) -> int:
    from negosim import plot
    from negosim.whatif import sweep

    sc, options = _setup(args)
    grid = {}
    for spec in args.param:
        target, sep, values = spec.partition("=")
        try:
            sc.parse_target(target.strip())
            grid[target.strip()] = [float(v) for v in values.split(",") if v.strip()]
        except KeyError as exc:
            raise InputError(f"--param {target}: {exc.args[0]}") from None
        except ValueError:
            raise InputError(f"--param {spec!r}: expected PATH=V1,V2,... with numbers") from None
        if not sep or not grid[target.strip()]:
            raise InputError(f"--param {spec!r}: expected PATH=V1,V2,...")
    table = sweep(sc, grid, args.runs, args.seed, **options)
    _agg_backend()
    return _finish_what_if(args, sc, table, plot.sweep_agreement(table, next(iter(grid))), "sweep")


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from negosim import plot
    from negosim.whatif import sensitivity

    sc, options = _setup(args)
    table = sensitivity(sc, args.runs, args.seed, top=args.top, **options)
    _agg_backend()
    return _finish_what_if(args, sc, table, plot.tornado(table), "sensitivity")


def cmd_tournament(args: argparse.Namespace) -> int:
    from negosim.tournament import generate, tournament

    scenarios = [load_scenario(s) for s in args.scenario] or [
        generate(2, 3, seed=args.seed + k) for k in range(max(args.generate, 1))
    ]
    if args.plot is not None and args.plot.suffix != ".png":
        raise InputError(f"{args.plot}: expected a .png file")
    try:
        result = tournament(
            args.strategies,
            scenarios,
            args.runs,
            args.seed,
            protocol=args.protocol,
            progress=not args.no_progress,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(str(exc.args[0]) if exc.args else str(exc)) from None
    _agg_backend()
    args.plot = args.plot or Path("out") / "tournament.png"
    sc = scenarios[0]
    board = result.leaderboard
    return _finish_what_if(args, sc, board, result.plot_leaderboard(), "tournament")


def cmd_timeline(args: argparse.Namespace) -> int:
    from negosim import plot
    from negosim.whatif import timeline

    sc, options = _setup(args)
    try:
        table = timeline(sc, args.runs, args.seed, **options)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    _agg_backend()
    return _finish_what_if(args, sc, table.set_index("date"), plot.timeline(table, sc), "timeline")


if __name__ == "__main__":
    sys.exit(main())
