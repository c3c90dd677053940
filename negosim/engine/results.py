"""SimulationResult: the arrays of a Monte Carlo, with tables and summaries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from negosim.engine import arguments as check
from negosim.engine.sampling import sample
from negosim.io import store as stores
from negosim.model.errors import ArgumentError
from negosim.model.moves import consent_columns
from negosim.model.scenario import Scenario

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a binomial proportion (0, 1 when ``n == 0``), by
    :func:`scipy.stats.binomtest`."""
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest  # scipy is heavy: loaded when an interval is asked for

    ci = binomtest(int(successes), int(n)).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def share_interval(hits: np.ndarray, units: int) -> tuple[float, float]:
    """Wilson interval of the share of runs in ``hits`` when only ``units`` of the runs are
    independent observations (the runs are ``units`` groups of identical copies)."""
    n = len(hits)
    if n == 0 or units <= 0:
        return 0.0, 1.0
    return wilson_interval(round(hits.mean() * units), units)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Results of ``R`` runs of one scenario.

    Attributes
    ----------
    agreed
        ``(R,)`` whether a package was agreed.
    outcome
        ``(R, I)`` the agreed package, or the status quo.
    utility
        ``(R, A)`` every actor's utility of the outcome (its reservation without agreement).
    rounds
        ``(R,)`` round of agreement or exit; the deadline ``T`` when talks ran out.
    exited
        ``(R,)`` index of the actor whose move ended the talks (an exit), or -1.
    moved
        ``(R, M)`` the round in which each move (``scenario.all_moves``) was made, or -1.
    consented
        ``(R, K)`` who said yes to each move made, columns :meth:`consent_columns`.
    units
        How many of the runs are independent observations: the number of runs when the
        scenario samples numbers or a strategy draws noise, else 1 (every run is a copy of
        one deterministic world). Intervals are over these units.
    trace
        Per-round arrays of the first traced runs (``offer`` ``(k, T, I)``, ``proposer``
        ``(T,)``, ``utility`` / ``accepted`` / ``target`` ``(k, T, A)``, ``consent``
        ``(k, T, C)``), or an empty dict.
    """

    scenario: Scenario
    agreed: np.ndarray
    outcome: np.ndarray
    utility: np.ndarray
    rounds: np.ndarray
    exited: np.ndarray
    moved: np.ndarray | None = None
    consented: np.ndarray | None = None
    seed: int | None = None
    protocol: str = "alternating"
    deadline: int = 100
    units: int | None = None
    trace: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, book = len(self.agreed), self.scenario.all_moves
        if self.moved is None:
            object.__setattr__(self, "moved", np.full((n, len(book)), -1, dtype=np.int32))
        if self.consented is None:
            width = len(self.consent_columns())
            object.__setattr__(self, "consented", np.zeros((n, width), dtype=bool))
        if self.units is None:
            object.__setattr__(self, "units", n)

    @classmethod
    def from_chunks(
        cls, scenario: Scenario, parts: Sequence[dict[str, np.ndarray]], **meta: Any
    ) -> SimulationResult:
        """Concatenate chunk outputs in run order."""
        n_actors, n_issues = len(scenario.actors), len(scenario.issues)
        empty = {
            "agreed": np.zeros(0, bool),
            "outcome": np.zeros((0, n_issues)),
            "utility": np.zeros((0, n_actors)),
            "rounds": np.zeros(0, np.int64),
            "exited": np.zeros(0, np.int64),
            "moved": np.zeros((0, len(scenario.all_moves)), np.int32),
            "consented": np.zeros((0, len(consent_columns(scenario))), bool),
        }
        arrays = {
            k: np.concatenate([p[k] for p in parts]) if parts else v for k, v in empty.items()
        }
        traces = [p["trace"] for p in parts if "trace" in p]
        trace = traces[0] if traces else {}
        if len(traces) > 1:
            trace = {
                k: traces[0][k] if k == "proposer" else np.concatenate([t[k] for t in traces])
                for k in traces[0]
            }
        rounds = meta.pop("rounds", 100)
        return cls(scenario, **arrays, deadline=rounds, trace=trace, **meta)

    @property
    def runs(self) -> int:
        """Number of runs."""
        return len(self.agreed)

    def consent_columns(self) -> list[tuple[str, str]]:
        """``(move id, actor id)`` of each column of :attr:`consented`."""
        return consent_columns(self.scenario)

    def consent_frame(self) -> pd.DataFrame:
        """Long table of consent to the moves made: ``run, move, actor, consented``."""
        cols = self.consent_columns()
        moves = [m.id for m in self.scenario.all_moves]
        rows = [
            (run, move, actor, bool(self.consented[run, k]))
            for k, (move, actor) in enumerate(cols)
            for run in np.flatnonzero(self.moved[:, moves.index(move)] >= 0)
        ]
        return pd.DataFrame(rows, columns=["run", "move", "actor", "consented"])

    @property
    def agreement_rate(self) -> float:
        """Share of runs that reached agreement (NaN for zero runs)."""
        return float(self.agreed.mean()) if self.runs else math.nan

    def to_frame(self, *, long: bool = False, inputs: bool = False) -> pd.DataFrame:
        """The runs as a table.

        Wide (default), one row per run: ``run, agreed, rounds, exited``, ``outcome.<issue>``
        (the agreed package, or the no-agreement package after the moves made),
        ``utility.<actor>`` and ``move.<id>`` (the round the move was made in; missing (NA)
        if it was not). ``exited`` holds the id of the actor whose move ended the talks, else
        missing (NA).

        Long (``long=True``), tidy, one row per run and issue: ``run, issue, value, agreed``
        (``value`` is the issue's column ``outcome.<issue>`` of the wide table), ready for
        ``groupby("issue")`` or a faceted plot.

        ``inputs=True`` adds, per run, the sampled value of every uncertain number: a column
        ``input.<target>`` per target (``input.Russia.salience.kosovo_status``), equal to
        :meth:`ScenarioBatch.inputs` of ``sample(scenario, runs, seed)`` (drawn again, so it
        costs about what sampling costs; a result without a seed cannot say its inputs).

        Examples
        --------
        >>> import negosim as ns
        >>> res = ns.simulate(ns.load_scenario("package_2007"), runs=4, seed=0)
        >>> res.to_frame().shape[0], res.to_frame(long=True).shape
        (4, (12, 4))
        >>> list(res.to_frame(long=True).columns)
        ['run', 'issue', 'value', 'agreed']
        """
        frame = self._long_frame() if long else self._wide_frame()
        if not inputs:
            return frame
        drawn = pd.DataFrame({f"input.{k}": v for k, v in self._inputs().items()})
        return frame.join(drawn, on="run")

    def _inputs(self) -> dict[str, np.ndarray]:
        if self.seed is None:
            raise ArgumentError(
                "inputs", "this result has no seed (seed=None), so its sampled inputs are unknown"
            )
        return sample(self.scenario, self.runs, self.seed).inputs()

    def _wide_frame(self) -> pd.DataFrame:
        sc = self.scenario
        names = np.array([*sc.actors, None], dtype=object)
        frame = pd.DataFrame(
            {
                "run": np.arange(self.runs),
                "agreed": self.agreed,
                "rounds": self.rounds,
                "exited": names[self.exited],
            }
        )
        outcome = pd.DataFrame(self.outcome, columns=[f"outcome.{i}" for i in sc.issues])
        utility = pd.DataFrame(self.utility, columns=[f"utility.{a}" for a in sc.actors])
        moves = pd.DataFrame(
            {
                f"move.{m.id}": pd.array(
                    np.where(self.moved[:, k] >= 0, self.moved[:, k], None)
                ).astype("Int32")
                for k, m in enumerate(sc.all_moves)
            },
            index=frame.index,
        )
        return pd.concat([frame, outcome, utility, moves], axis=1)

    def _long_frame(self) -> pd.DataFrame:
        n_issues = len(self.scenario.issues)
        return pd.DataFrame(
            {
                "run": np.repeat(np.arange(self.runs), n_issues),
                "issue": np.tile(np.array(self.scenario.issues, dtype=object), self.runs),
                "value": self.outcome.reshape(-1),
                "agreed": np.repeat(self.agreed, n_issues),
            }
        )

    def summary(self) -> Summary:
        """Agreement rate with a Wilson interval, outcome quantiles, mean utilities.

        Examples
        --------
        >>> import negosim as ns
        >>> res = ns.simulate(ns.load_scenario("package_2007"), runs=50, seed=0)
        >>> s = res.summary()
        >>> int(s.agreement["runs"].iloc[0]), list(s.outcomes.index)
        (50, ['kosovo_status', 'missile_defense', 'cfe'])
        """
        return Summary.of(self)

    def _title(self) -> str:
        traced = len(self.trace["offer"]) if "offer" in self.trace else 0
        return (
            f"{self.runs:,} runs of {_clip(self.scenario.id, 40)!r}: protocol {self.protocol}, "
            f"deadline {self.deadline}, seed {self.seed}"
            + (f", first {traced} traced" if traced else "")
        )

    def __repr__(self) -> str:
        """The key numbers of :meth:`summary` (the arrays are attributes).

        Examples
        --------
        >>> import negosim as ns
        >>> res = ns.simulate(ns.load_scenario("package_2007"), runs=10, seed=3)
        >>> print(repr(res).splitlines()[0])
        SimulationResult: 10 runs of 'package_2007': protocol alternating, deadline 60, seed 3
        """
        return "\n".join([f"SimulationResult: {self._title()}", *self.summary().compact_lines()])

    def _repr_html_(self) -> str:
        title = f"<p><b>SimulationResult</b>: {escape(self._title())}</p>"
        return title + self.summary().html_body()


@dataclass(frozen=True)
class Summary:
    """Tables that summarise a :class:`SimulationResult`.

    Attributes
    ----------
    runs, units
        Runs, and how many of them are independent (the intervals are over these units).
    agreement
        Runs, agreed runs, the agreement rate with its 95% Wilson interval, mean rounds, and
        how many agreements were on exactly the no-agreement package.
    outcomes
        Per issue: the status quo and quantiles of the final package (agreed or by moves),
        and the share of runs that settled it by agreement, by a move, or left it as it was.
    utilities
        Mean utility per actor with a 95% interval.
    moves
        Per move: who makes it, the share of runs in which it was made (95% interval), the
        mean round.
    exits
        Per actor whose move ended the talks: runs and share.
    verdict
        A sentence when every run ended the same way (with what made it so), else "".
    """

    runs: int
    agreement: pd.DataFrame
    outcomes: pd.DataFrame
    utilities: pd.DataFrame
    exits: pd.DataFrame
    moves: pd.DataFrame = field(default_factory=pd.DataFrame)
    units: int = 0
    verdict: str = ""
    protocol: str = ""
    deadline: int = 0

    @classmethod
    def of(cls, res: SimulationResult) -> Summary:
        n, units = res.runs, res.units
        k = int(res.agreed.sum())
        low, high = share_interval(res.agreed, units)
        on_no_deal = res.agreed & _on_no_deal_package(res)
        agreement = pd.DataFrame(
            {
                "runs": [n],
                "agreed": [k],
                "rate": [k / n if n else math.nan],
                "ci_low": [low],
                "ci_high": [high],
                "mean_rounds": [float(res.rounds.mean()) if n else math.nan],
                "on_status_quo": [int(on_no_deal.sum())],
            }
        )
        return cls(
            n,
            agreement,
            _outcome_table(res),
            _utility_table(res),
            _exit_table(res),
            _move_table(res),
            units,
            _verdict(res),
            res.protocol,
            res.deadline,
        )

    def _headline(self) -> list[str]:
        """The agreement rate line (and how many agreed on the no-deal package)."""
        if not self.runs:
            return ["runs: 0   no runs, so no agreement rate, outcomes or utilities to report"]
        a = self.agreement.iloc[0]
        unit_note = "" if self.units == self.runs else f" over {self.units} independent world(s)"
        lines = [
            f"runs: {self.runs:,}   agreement: {a['rate']:.1%} "
            f"(95% CI {a['ci_low']:.1%}..{a['ci_high']:.1%}{unit_note})   "
            f"mean rounds: {a['mean_rounds']:.1f} of {self.deadline}",
        ]
        if a["on_status_quo"]:
            lines.append(f"  of which {int(a['on_status_quo']):,} agreed on the no-deal package")
        return lines

    def _notes(self, most: int | None = None) -> list[str]:
        """The verdict and the forecast note, each cut to ``most`` characters if given."""
        notes = [self.verdict, FORECAST_PROTOCOLS.get(self.protocol, "")]
        return [_clip(n, most) if most else n for n in notes if n]

    def _display_tables(self, most: int) -> list[tuple[str, pd.DataFrame]]:
        """Captions and formatted key columns of the tables, at most ``most`` rows each."""
        out = self.outcomes[["status_quo", "q05", "q50", "q95", "by_agreement", "by_move"]]
        out = _formatted(out, "{:.1f}", by_agreement="{:.0%}", by_move="{:.0%}")
        util = self.utilities[self.utilities["role"] == "negotiator"]
        util = _formatted(util[["mean", "ci_low", "ci_high"]], "{:.3f}")
        tables = [
            ("final package per issue (quantiles; share settled by agreement / by move)", out),
            ("mean utility per negotiator (95% CI)", util),
        ]
        if len(self.moves):
            moves = _formatted(self.moves[["by", "share", "mean_round"]], "{:.1f}", share="{:.0%}")
            tables.append(("moves made (share of runs, mean round)", moves))
        return [(caption, _head(table, most)) for caption, table in tables]

    def compact_lines(self) -> list[str]:
        """The key numbers in a few lines (the repr; ``print(summary)`` shows everything)."""
        lines = self._headline()
        if not self.runs:
            return lines
        lines += self._notes(300)
        for caption, table in self._display_tables(6):
            lines += [f"{caption}:", table.to_string()]
        return [*lines, "tables: .agreement .outcomes .utilities .moves .exits"]

    def html_body(self) -> str:
        """The key numbers as HTML: the headline, notes and the tables' key columns."""
        text = "".join(f"<p>{escape(line.strip())}</p>" for line in self._headline())
        text += "".join(f"<p><small>{escape(n)}</small></p>" for n in self._notes())
        if not self.runs:
            return text
        for caption, table in self._display_tables(20):
            text += (
                table.to_html(escape=True)
                .replace("<table", "<table style='display:inline-table;margin-right:1em'", 1)
                .replace(">", f"><caption>{escape(caption)}</caption>", 1)
            )
        return text + "<p><small>tables: .agreement .outcomes .utilities .moves .exits</small></p>"

    def __repr__(self) -> str:
        """The key numbers; ``print(summary)`` shows the full tables.

        Examples
        --------
        >>> import negosim as ns
        >>> res = ns.simulate(ns.load_scenario("package_2007"), runs=10, seed=3)
        >>> print(repr(res.summary()).splitlines()[1][:15])
        runs: 10   agre
        """
        return "\n".join(["Summary", *self.compact_lines()])

    def _repr_html_(self) -> str:
        return "<p><b>Summary</b></p>" + self.html_body()

    def __str__(self) -> str:
        if not self.runs:
            return self._headline()[0]
        lines = self._headline()
        if self.verdict:
            lines += ["", self.verdict]
        if self.protocol in FORECAST_PROTOCOLS:
            lines += ["", FORECAST_PROTOCOLS[self.protocol]]
        lines += [
            "",
            "final package per issue (agreed, or by moves without agreement):",
            self.outcomes.to_string(
                float_format=lambda x: f"{x:.1f}",
                formatters=dict.fromkeys(SHARE_COLUMNS, "{:.1%}".format),
            ),
            "",
            "mean utility per negotiator (95% CI):",
            self.utilities[self.utilities["role"] == "negotiator"].to_string(
                float_format=lambda x: f"{x:.3f}"
            ),
        ]
        if len(self.moves):
            table = self.moves.drop(columns=["label"])
            shares = dict.fromkeys(("share", "ci_low", "ci_high"), "{:.1%}".format)
            text = table.to_string(float_format=lambda x: f"{x:.1f}", formatters=shares)
            lines += ["", "moves made (share of runs, 95% CI, mean round):", text]
        return "\n".join(lines)


SHARE_COLUMNS = ("by_agreement", "by_move", "unchanged")
"""Columns of the outcome table that are shares of runs (printed as percentages)."""


FORECAST_PROTOCOLS = {
    name: f"{name}: a one-shot forecast of the outcome; moves, exits and ratification do "
    "not apply (every run 'agrees' on the forecast)."
    for name in ("eum", "exchange", "compromise", "median")
}
"""Protocols that forecast an outcome rather than negotiate one."""


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _formatted(table: pd.DataFrame, default: str, **formats: str) -> pd.DataFrame:
    """A copy of ``table`` with its float columns as text (``default`` or ``formats[col]``)."""
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            fmt = formats.get(col, default)
            out[col] = [("" if math.isnan(v) else fmt.format(v)) for v in out[col]]
    return out


def _head(table: pd.DataFrame, most: int) -> pd.DataFrame:
    """The first ``most`` rows, and a last row saying how many were left out."""
    if len(table) <= most:
        return table
    more = pd.DataFrame(
        [[""] * table.shape[1]], columns=table.columns, index=[f"... {len(table) - most} more"]
    )
    return pd.concat([table.head(most), more])


def _on_no_deal_package(res: SimulationResult) -> np.ndarray:
    """Runs whose final package equals the status quo with the moves made (to 1e-9)."""
    no_deal = np.broadcast_to(res.scenario.status_quo, res.outcome.shape).copy()
    for k, move in enumerate(res.scenario.all_moves):
        made = res.moved[:, k] >= 0
        no_deal[made, res.scenario.issue_index(move.issue)] = move.to
    return np.all(np.abs(res.outcome - no_deal) <= 1e-9, axis=1)


def _outcome_table(res: SimulationResult) -> pd.DataFrame:
    sc, n = res.scenario, res.runs
    qs = (0.05, 0.25, 0.5, 0.75, 0.95)
    settled_by_move = np.zeros((n, len(sc.issues)), dtype=bool)
    for k, move in enumerate(sc.all_moves):
        settled_by_move[:, sc.issue_index(move.issue)] |= res.moved[:, k] >= 0
    rows = []
    for i, issue in enumerate(sc.issue_specs):
        x = res.outcome[:, i]
        changed = np.abs(x - issue.status_quo) > 1e-9
        row = {"issue": issue.id, "status_quo": issue.status_quo}
        row.update({f"q{int(q * 100):02d}": np.quantile(x, q) if n else math.nan for q in qs})
        row["by_agreement"] = float((res.agreed & changed).mean()) if n else math.nan
        by_move = ~res.agreed & settled_by_move[:, i] & changed
        row["by_move"] = float(by_move.mean()) if n else math.nan
        row["unchanged"] = float((~changed).mean()) if n else math.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("issue")


def _utility_table(res: SimulationResult) -> pd.DataFrame:
    sc, n = res.scenario, res.runs
    mean = res.utility.mean(axis=0) if n else np.full(len(sc.actors), math.nan)
    sd = res.utility.std(axis=0, ddof=1) if n > 1 else np.zeros(len(sc.actors))
    half = Z95 * sd / math.sqrt(max(res.units, 1))
    table = {"actor": sc.actors, "role": sc.roles, "mean": mean}
    table.update(ci_low=mean - half, ci_high=mean + half)
    return pd.DataFrame(table).set_index("actor")


def _move_table(res: SimulationResult) -> pd.DataFrame:
    rows = []
    for k, move in enumerate(res.scenario.all_moves):
        made = res.moved[:, k] >= 0
        low, high = share_interval(made, res.units)
        rows.append(
            {
                "move": move.id,
                "by": ", ".join(move.actors),
                "issue": move.issue,
                "share": float(made.mean()) if res.runs else math.nan,
                "ci_low": low,
                "ci_high": high,
                "mean_round": float(res.moved[made, k].mean()) if made.any() else math.nan,
                "label": move.label,
            }
        )
    return pd.DataFrame(rows).set_index("move") if rows else pd.DataFrame()


def _exit_table(res: SimulationResult) -> pd.DataFrame:
    sc, n = res.scenario, res.runs
    who, counts = np.unique(res.exited[res.exited >= 0], return_counts=True)
    return pd.DataFrame(
        {"actor": [sc.actors[w] for w in who], "runs": counts, "share": counts / max(n, 1)}
    )


def _verdict(res: SimulationResult) -> str:
    """When every run ended the same way, say how and what the runs had in common."""
    if res.runs < 2:
        return ""
    same = (
        np.all(res.agreed == res.agreed[0])
        and np.all(res.rounds == res.rounds[0])
        and np.all(res.moved == res.moved[0])
        and np.allclose(res.outcome, res.outcome[0])
    )
    if not same:
        return ""
    sc, first = res.scenario, res.moved[0]
    made = [
        f"{', '.join(m.actors)} makes {m.id} in round {first[k]}"
        for k, m in enumerate(sc.all_moves)
        if first[k] >= 0
    ]
    how = (
        f"agree in round {res.rounds[0]}"
        if res.agreed[0]
        else f"end without agreement in round {res.rounds[0]}"
    )
    binding = (
        ""
        if res.agreed[0]
        else "; no package met every negotiator's target and every asked coalition by then"
    )
    why = (
        "the runs are copies of one world (nothing is sampled)"
        if res.units <= 1
        else "the sampled numbers never change what the binding constraint allows"
    )
    why += binding
    detail = f" ({'; '.join(made)})" if made else ""
    return f"Every run ended the same way: all {res.runs:,} runs {how}{detail}; {why}."


def load_results(path: str | Path) -> SimulationResult:
    """The :class:`~negosim.SimulationResult` of a finished store (reading never writes).

    A store written by another negosim version is read as it is. It holds every run in
    memory; :func:`iter_parts` reads a store of any size one chunk at a time.

    Raises
    ------
    negosim.io.store.StoreError
        If the store is unfinished (it names the missing chunks) or damaged
        (``"damaged store: <file>: <what>"``).

    Examples
    --------
    >>> import tempfile
    >>> import negosim as ns
    >>> sc = ns.load_scenario("package_2007")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     res = ns.simulate(sc, 8, seed=1, store=folder)
    ...     back = ns.load_results(folder)
    >>> back.runs, bool((back.outcome == res.outcome).all())
    (8, True)
    """
    opened, n_chunks, scenario = stores.finished_store(check.store_path(path))
    manifest = opened.manifest
    return SimulationResult.from_chunks(
        scenario,
        list(stores.read_parts(opened, n_chunks)),
        seed=manifest["seed"],
        protocol=manifest["protocol"],
        rounds=manifest["rounds"],
        units=manifest["units"],
    )
