"""``negosim app``: the teaching page in the browser (needs ``pip install "negosim[app]"``).

:func:`serve` starts a local Solara server for :mod:`negosim.app.page` and prints its address;
:func:`main` is the command line of the same (``python -m negosim.app [SCENARIO] [--port N]``).
Solara and Mesa's visualisation are imported only when the server starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from negosim.io.scenario_file import load_scenario
from negosim.model.errors import ScenarioError

__all__ = ["main", "serve"]

PAGE = "negosim.app.page"


def serve(
    scenario: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = False,
) -> None:
    """Serve the teaching page until interrupted.

    Parameters
    ----------
    scenario
        A bundled scenario name or a TOML path (default: ``package_2007``).
    host
        Address to listen on (default: this machine only).
    port
        Port; 0 picks a free one. The address is printed when the server is up.
    open_browser
        Open the page in the default browser.

    Raises
    ------
    SystemExit
        With a one-line message when the ``app`` extra is missing or the scenario is unknown.
    """
    try:
        import solara  # noqa: F401
        from solara.__main__ import run
    except ImportError:
        raise SystemExit(
            'negosim app: the page needs Solara; install it with pip install "negosim[app]"'
        ) from None
    if scenario is not None:
        try:
            load_scenario(scenario)  # fail here, with the file and field, not in the browser
        except (ScenarioError, KeyError, FileNotFoundError, OSError) as exc:
            raise SystemExit(f"negosim app: {exc}") from None
        os.environ["NEGOSIM_APP_SCENARIO"] = (
            os.path.abspath(scenario) if scenario.endswith(".toml") else scenario
        )
    args = [
        PAGE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
        "--no-check-version",  # no call home: classrooms may be offline
        "--log-level",
        "warning",
    ]
    run.main(args=args, prog_name="negosim app", standalone_mode=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``negosim app [SCENARIO] [--host H] [--port N] [--open]``."""
    parser = argparse.ArgumentParser(
        prog="negosim app",
        description="Serve the interactive teaching page (one negotiation step by step, the "
        "Pareto view, a Monte Carlo) on this machine and print its address.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_from_args(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``negosim app`` (shared with the main command line)."""
    parser.add_argument(
        "scenario", nargs="?", default=None, help="bundled scenario name or TOML path"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")


def run_from_args(args: argparse.Namespace) -> int:
    """Serve with parsed options; returns the exit code."""
    try:
        serve(args.scenario, host=args.host, port=args.port, open_browser=args.open)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        return int(exc.code or 0)
    return 0
