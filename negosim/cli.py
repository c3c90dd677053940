"""The ``negosim`` command line: list, validate and show scenarios; run Monte Carlos.

Exit codes: 0 on success, 2 on bad input (with one line that names the file or field).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from negosim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario

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
    p.add_argument("--out", type=Path, help="write one row per run to this Parquet file")
    p.add_argument("--plot", type=Path, help="save the outcome distributions to this PNG")
    p.add_argument("--chunk-size", type=_count, default=16_384)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=cmd_run)
    return parser


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
    from negosim.protocols import get_protocol

    sc = _apply_changes(load_scenario(args.scenario), args.changes)
    strategies = _strategies(sc, args.strategy)
    try:
        get_protocol(args.protocol or sc.protocol)
    except KeyError as exc:
        raise InputError(f"--protocol: {exc.args[0]}") from None
    for path, suffix in ((args.out, ".parquet"), (args.plot, ".png")):
        if path is not None and path.suffix != suffix:
            raise InputError(f"{path}: expected a {suffix} file")
    res = simulate(
        sc,
        args.runs,
        args.seed,
        protocol=args.protocol,
        strategies=strategies,
        rounds=args.rounds,
        chunk_size=args.chunk_size,
        progress=not args.no_progress and args.runs > args.chunk_size,
    )
    print(res.summary())
    if args.out:
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


if __name__ == "__main__":
    sys.exit(main())
