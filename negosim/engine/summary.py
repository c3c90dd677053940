"""The summary of a :class:`~negosim.engine.results.SimulationResult`: its tables and displays.

Every number of a summary is a count over the result's own arrays (docs/scaling.md, "What a
summary counts"): agreement, the per-issue shares of what settled each issue (they partition
the runs, so they add to 100%), the moves made during and after the talks, the runs that
agreed on their own no-deal package, and which sampled inputs move agreement most.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from negosim.model.scenario import Scenario
from negosim.model.sources import ANCHORED, confidence_code, no_dated_source

if TYPE_CHECKING:  # annotations only: the results module imports this one
    from negosim.engine.results import SimulationResult

Z95 = 1.959963984540054
NO_DEAL_TOLERANCE = 1e-9
"""An agreed package is the no-deal package when every issue is within this of the run's
``no_deal`` package."""
INFLUENCE_SHOWN = 5
"""How many of the inputs that move agreement most a summary shows."""
WIDTH = 100
"""Columns of the printed summary (its tables and wrapped lines fit)."""
SHARE_COLUMNS = ("by_agreement", "by_move_before_deal", "by_move_without_deal", "unchanged")
"""Columns of the outcome table that are shares of runs (printed as percentages): what
settled each issue, one of the four in every run."""
SHARE_LABELS = {
    "by_agreement": "deal",
    "by_move_before_deal": "move+deal",
    "by_move_without_deal": "move",
    "unchanged": "unchanged",
}
"""Short headers of :data:`SHARE_COLUMNS` in the compact and HTML displays."""
MOVE_LABELS = {"mean_round": "mean", "mode_round": "mode", "mode_share": "in_mode"}
"""Short headers of the move table in the printed summary."""
INFLUENCE_LABELS = {"agreement_low": "agreed_low", "agreement_high": "agreed_high"}
"""Short headers of the influence table in the printed summary."""
INFLUENCE_COLUMNS = ("effect_pp", "se_pp", "agreement_low", "agreement_high", "code", "source")
"""Columns of the influence table (:func:`influence_table`)."""

FORECAST_PROTOCOLS = {
    name: f"{name}: a one-shot forecast of the outcome; moves, exits and ratification do "
    "not apply (every run 'agrees' on the forecast)."
    for name in ("eum", "exchange", "compromise", "median")
}
"""Protocols that forecast an outcome rather than negotiate one."""


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


def influence_table(
    scenario: Scenario, agreed: np.ndarray, inputs: dict[str, np.ndarray]
) -> pd.DataFrame:
    """How much each sampled input moves agreement in the runs themselves (no new runs).

    The measure: the agreement rate of the runs whose value of the input is in its top
    quartile (at or above the 75% quantile) minus that of the runs in its bottom quartile (at
    or below the 25% quantile), in percentage points, with its standard error
    ``100 * sqrt(p_low (1 - p_low) / n_low + p_high (1 - p_high) / n_high)`` (each rate is over
    about a quarter of the runs: about 4.5 points at 2,000 runs and 30% agreement). Inputs are
    ranked by the size of the effect (first: the one that moves agreement most; ties keep the
    sampling order).

    Parameters
    ----------
    scenario
        The scenario (for each input's confidence code).
    agreed
        ``(R,)`` whether each run agreed.
    inputs
        The sampled value of each uncertain number, ``(R,)`` each, by target.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``input`` (the target), columns ``effect_pp`` (top minus bottom quartile,
        points), ``se_pp`` (its standard error, points), ``agreement_low`` and
        ``agreement_high`` (the two rates), ``code`` (the
        confidence code, "" for none) and ``source`` ("dated source" for code "A", else "no
        dated source"). Empty when there are no inputs or agreement does not vary.
    """
    rows = []
    if agreed.size and agreed.any() and not agreed.all():
        for target, values in inputs.items():
            low, high = np.quantile(values, [0.25, 0.75])
            bottom, top = agreed[values <= low], agreed[values >= high]
            rate_low, rate_high = float(bottom.mean()), float(top.mean())
            variance = rate_low * (1 - rate_low) / bottom.size
            variance += rate_high * (1 - rate_high) / top.size
            code = confidence_code(scenario, target)
            rows.append(
                {
                    "input": target,
                    "effect_pp": 100 * (rate_high - rate_low),
                    "se_pp": 100 * math.sqrt(variance),
                    "agreement_low": rate_low,
                    "agreement_high": rate_high,
                    "code": code,
                    "source": "dated source" if code == ANCHORED else "no dated source",
                }
            )
    table = pd.DataFrame(rows, columns=["input", *INFLUENCE_COLUMNS]).set_index("input")
    order = np.argsort(-np.abs(table["effect_pp"].to_numpy(float)), kind="stable")
    return table.iloc[order]


@dataclass(frozen=True)
class Summary:
    """Tables that summarise a :class:`SimulationResult`.

    Attributes
    ----------
    runs, units
        Runs, and how many of them are independent (the intervals are over these units).
    agreement
        One row: ``runs``, ``agreed``, ``rate`` with its 95% Wilson interval (``ci_low``,
        ``ci_high``), ``mean_round_agreed`` (the mean round of agreement over the agreed runs
        only, NaN without one), ``out_of_time`` (runs that reached the deadline without
        agreement), ``exited`` (runs that a move ended without agreement),
        ``settled_by_moves`` (runs without agreement that ended before the deadline, without
        an exit, once moves had settled every issue) and ``on_status_quo`` (agreed runs
        whose package is the run's own no-deal package, every issue within
        :data:`NO_DEAL_TOLERANCE`; missing (NA) when the result does not carry its agreed
        runs' no-deal packages).
    outcomes
        Per issue: the status quo, quantiles of the final package (agreed or by moves), and
        what settled the issue, as shares of runs that add to 100%: ``by_agreement`` (agreed,
        and no move had settled the issue before the deal), ``by_move_before_deal`` (agreed,
        but a move made during the talks in or before the round of agreement had settled
        it), ``by_move_without_deal`` (no agreement; a move settled it, during or after the
        talks) and ``unchanged`` (no agreement and no move on it: it stays at the status
        quo).
    utilities
        Mean utility per actor with a 95% interval.
    moves
        Per move: who makes it, on which issue, the share of runs in which it was made (95%
        interval), ``during`` and ``after`` (shares of runs in which it was made during the
        talks, round < deadline, or after them: at the deadline or after a move that ended
        the talks; they add to ``share``), and over the moves made during the talks only:
        ``mean_round``, the most common round ``mode_round`` and ``mode_share``, the share of
        those moves made in it.
    exits
        Per actor whose move ended the talks: runs and share.
    verdict
        A sentence when every run ended the same way (with what made it so), else "".
    influence
        The sampled inputs ranked by how much they move agreement
        (:func:`influence_table`); empty without a seed, without uncertain numbers or when
        agreement does not vary.
    dependence
        "the result depends mostly on <input>, which no source dated by <date> gives" when
        the input that moves agreement most has no dated source, else "".
    beliefs
        Under ``information="learned"``: per negotiator and measure of the accuracy of its
        beliefs when its run ended (:data:`~negosim.model.information.MEASURES`), the mean
        over the runs where it is defined, with a 95% interval over the independent units
        (``runs`` counts them), cut to the values the measure can take
        (:data:`BELIEF_RANGE`); empty under ``"complete"``.
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
    influence: pd.DataFrame = field(default_factory=pd.DataFrame)
    dependence: str = ""
    beliefs: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def of(cls, res: SimulationResult) -> Summary:
        """The summary of a result (its influence table computed once per result)."""
        n, units, k = res.runs, res.units, int(res.agreed.sum())
        low, high = share_interval(res.agreed, units)
        failed = ~res.agreed
        before, _ = _settled_by_moves(res)
        early = ~_out_of_time(res) & (res.exited < 0)
        agreement = pd.DataFrame(
            {
                "runs": [n],
                "agreed": [k],
                "rate": [k / n if n else math.nan],
                "ci_low": [low],
                "ci_high": [high],
                "mean_round_agreed": [float(res.rounds[res.agreed].mean()) if k else math.nan],
                "out_of_time": [int((failed & _out_of_time(res)).sum())],
                "exited": [int((failed & (res.exited >= 0)).sum())],
                "settled_by_moves": [int((failed & early & before.all(axis=1)).sum())],
                "on_status_quo": pd.array([_on_no_deal(res)], dtype="Int64"),
            }
        )
        influence = res.influence()
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
            influence.head(INFLUENCE_SHOWN),
            _dependence(res.scenario, influence),
            _belief_table(res),
        )

    def _headline(self) -> list[str]:
        """The agreement rate line, how the agreed runs ended (the no-deal package) and how
        the others did (out of time, exits)."""
        if not self.runs:
            return ["runs: 0   no runs, so no agreement rate, outcomes or utilities to report"]
        a = self.agreement.iloc[0]
        unit_note = "" if self.units == self.runs else f" over {self.units} independent world(s)"
        lines = [
            f"runs: {self.runs:,}   agreement: {a['rate']:.1%} "
            f"(95% CI {a['ci_low']:.1%}..{a['ci_high']:.1%}{unit_note})   "
            f"deadline: {self.deadline} rounds",
        ]
        if a["agreed"]:
            if pd.isna(a["on_status_quo"]):
                same = "how many on the no-deal package is unknown (not stored with these runs)"
            else:
                same = f"{int(a['on_status_quo']):,} of them on the no-deal package"
            lines.append(
                f"  agreed: {int(a['agreed']):,} runs, in round {a['mean_round_agreed']:.1f} "
                f"on average; {same}"
            )
        failed = self.runs - int(a["agreed"])
        if failed:
            ended = [f"{int(a['out_of_time']):,} ran out of time"]
            ended += [f"{int(a['exited']):,} ended by an exit"] if a["exited"] else []
            settled = int(a["settled_by_moves"])
            ended += [f"{settled:,} ended once moves had settled every issue"] if settled else []
            other = failed - int(a["out_of_time"]) - int(a["exited"]) - settled
            ended += [f"{other:,} ended before the deadline without a package"] if other else []
            lines.append(f"  without agreement: {failed:,} runs ({', '.join(ended)})")
        return [wrapped for line in lines for wrapped in _wrap(line)]

    def _notes(self, most: int | None = None) -> list[str]:
        """The verdict, the forecast note and what the result depends on, each cut to
        ``most`` characters if given."""
        notes = [self.verdict, FORECAST_PROTOCOLS.get(self.protocol, ""), self.dependence]
        return [clip(n, most) if most else n for n in notes if n]

    def _display_tables(self, most: int, influence: bool) -> list[tuple[str, pd.DataFrame]]:
        """Captions and formatted key columns of the tables, at most ``most`` rows each (the
        influence table too if ``influence``)."""
        out = self.outcomes[["status_quo", "q05", "q50", "q95", *SHARE_COLUMNS]]
        out = _formatted(out, "{:.1f}", **dict.fromkeys(SHARE_COLUMNS, "{:.0%}"))
        util = self.utilities[self.utilities["role"] == "negotiator"]
        util = _formatted(util[["mean", "ci_low", "ci_high"]], "{:.3f}")
        caption = (
            "final package per issue (quantiles; settled by the deal / by a move before the "
            "deal / by a move without deal / unchanged)"
        )
        tables = [
            (caption, out.rename(columns=SHARE_LABELS)),
            ("mean utility per negotiator (95% CI)", util),
        ]
        if len(self.moves):
            moves = self.moves[["by", "share", "after", "mean_round"]]
            moves = _formatted(moves, "{:.1f}", share="{:.0%}", after="{:.0%}")
            tables.append(
                ("moves made (share of runs; after the talks; mean round during them)", moves)
            )
        if len(self.beliefs):
            beliefs = self.beliefs.pivot(index="actor", columns="measure", values="mean")
            order = list(dict.fromkeys(self.beliefs["actor"]))
            beliefs = beliefs.reindex(
                index=order, columns=list(dict.fromkeys(self.beliefs["measure"]))
            )
            tables.append((BELIEF_CAPTION, _formatted(beliefs, "{:.3f}")))
        if influence and len(self.influence):
            effect = _formatted(self.influence[["effect_pp", "se_pp", "source"]], "{:+.1f}")
            tables.append(
                ("inputs that move agreement most (top - bottom quartile, points)", effect)
            )
        return [(caption, _head(table, most)) for caption, table in tables]

    def compact_lines(self) -> list[str]:
        """The key numbers in a few lines (the repr; ``print(summary)`` shows everything)."""
        lines = self._headline()
        if not self.runs:
            return lines
        lines += self._notes(300)
        for caption, table in self._display_tables(6, influence=False):
            lines += [f"{caption}:", table.to_string()]
        return [*lines, "tables: .agreement .outcomes .utilities .moves .exits .influence .beliefs"]

    def html_body(self) -> str:
        """The key numbers as HTML: the headline, notes and the tables' key columns."""
        text = "".join(f"<p>{escape(line.strip())}</p>" for line in self._headline())
        text += "".join(f"<p><small>{escape(n)}</small></p>" for n in self._notes())
        if not self.runs:
            return text
        for caption, table in self._display_tables(20, influence=True):
            text += (
                table.to_html(escape=True)
                .replace("<table", "<table style='display:inline-table;margin-right:1em'", 1)
                .replace(">", f"><caption>{escape(caption)}</caption>", 1)
            )
        return text + (
            "<p><small>tables: .agreement .outcomes .utilities .moves .exits .influence "
            ".beliefs</small></p>"
        )

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
        for note in self._notes():
            lines += ["", *_wrap(note)]
        lines += [
            "",
            "final package per issue (agreed, or by moves without agreement) and what settled it,",
            "as shares of runs: the deal; a move before the deal; a move, no deal; nothing:",
            self.outcomes.rename(columns=SHARE_LABELS).to_string(
                float_format=lambda x: f"{x:.1f}",
                formatters=dict.fromkeys(SHARE_LABELS.values(), "{:.1%}".format),
            ),
            "",
            "mean utility per negotiator (95% CI):",
            self.utilities[self.utilities["role"] == "negotiator"].to_string(
                float_format=lambda x: f"{x:.3f}"
            ),
        ]
        if len(self.moves):
            moves = self.moves.drop(columns=["label"])
            ci = [
                f"{100 * lo:.1f}..{100 * hi:.1f}"
                for lo, hi in zip(moves["ci_low"], moves["ci_high"], strict=True)
            ]
            moves.insert(moves.columns.get_loc("ci_low"), "95% CI (%)", ci)
            moves = moves.drop(columns=["ci_low", "ci_high"])
            table = _formatted(moves, "{:.1%}", mean_round="{:.1f}", mode_round="{:.0f}")
            lines += [
                "",
                "moves made: share of runs (95% CI), made during / after the talks; the rounds",
                "of those made during the talks: mean, most common and the share made in it:",
                table.rename(columns=MOVE_LABELS).to_string(),
            ]
        if len(self.beliefs):
            table = _formatted(self.beliefs.set_index(["actor", "measure"]), "{:.3f}")
            lines += ["", f"{BELIEF_CAPTION}, mean over runs (95% CI):", table.to_string()]
        if len(self.influence):
            table = _formatted(self.influence, "{:.1%}", effect_pp="{:+.1f}", se_pp="{:.1f}")
            lines += [
                "",
                "inputs that move agreement most: agreement in the runs with the input in its",
                "top quartile minus in its bottom quartile (effect_pp, percentage points, with its",
                "standard error se_pp):",
                table.rename(columns=INFLUENCE_LABELS).to_string(),
            ]
        return "\n".join(lines)


def _wrap(text: str) -> list[str]:
    """``text`` in lines of at most :data:`WIDTH` characters (later lines indented)."""
    return textwrap.wrap(text, WIDTH, subsequent_indent="    ") or [""]


def clip(text: str, most: int) -> str:
    """``text``, cut to ``most`` characters with an ellipsis if longer."""
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


def _out_of_time(res: SimulationResult) -> np.ndarray:
    """``(R,)`` runs whose talks reached the deadline (not ended by an agreement or an exit
    before it)."""
    return (res.rounds >= res.deadline) & (res.exited < 0)


def _on_no_deal(res: SimulationResult) -> int | None:
    """How many agreed runs agreed on their own no-deal package (None if unknown)."""
    package = res.no_deal[res.agreed]
    if np.isnan(package).any():
        return None
    same = np.abs(res.outcome[res.agreed] - package) <= NO_DEAL_TOLERANCE
    return int(np.all(same, axis=1).sum())


def _settled_by_moves(res: SimulationResult) -> tuple[np.ndarray, np.ndarray]:
    """``(R, I)`` masks: a move settled the issue during the talks in or before the round of
    agreement (or of the end), and a move settled it at any time."""
    sc, n = res.scenario, res.runs
    before = np.zeros((n, len(sc.issues)), dtype=bool)
    ever = np.zeros_like(before)
    for k, move in enumerate(sc.all_moves):
        at, i = res.moved[:, k], sc.issue_index(move.issue)
        ever[:, i] |= at >= 0
        before[:, i] |= (at >= 0) & (at <= res.rounds) & (at < res.deadline)
    return before, ever


def _outcome_table(res: SimulationResult) -> pd.DataFrame:
    sc, n = res.scenario, res.runs
    qs = (0.05, 0.25, 0.5, 0.75, 0.95)
    before, ever = _settled_by_moves(res)
    agreed = res.agreed[:, None]
    shares = {
        "by_agreement": agreed & ~before,
        "by_move_before_deal": agreed & before,
        "by_move_without_deal": ~agreed & ever,
        "unchanged": ~agreed & ~ever,
    }
    rows = []
    for i, issue in enumerate(sc.issue_specs):
        x = res.outcome[:, i]
        row = {"issue": issue.id, "status_quo": issue.status_quo}
        row.update({f"q{int(q * 100):02d}": np.quantile(x, q) if n else math.nan for q in qs})
        row.update({c: float(m[:, i].mean()) if n else math.nan for c, m in shares.items()})
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


BELIEF_CAPTION = (
    "how well each negotiator knew the others at the end (Pearson r of believed and true "
    "utility; weight error; distance to the true Pareto frontier and Nash point)"
)


BELIEF_RANGE = {
    "pearson": (-1.0, 1.0),
    "weight_error": (0.0, 1.0),
    "pareto_distance": (0.0, math.inf),
    "nash_distance": (0.0, math.inf),
}
"""The values each measure can take (its interval is cut to them)."""


def _belief_table(res: SimulationResult) -> pd.DataFrame:
    """Per negotiator and measure of its beliefs' accuracy: runs where it is defined, the
    mean and its 95% interval over the independent units (long table)."""
    rows = []
    share = max(res.units, 1) / max(res.runs, 1)  # independent units per run
    for measure, values in res.beliefs.items():
        for a, (actor, role) in enumerate(
            zip(res.scenario.actors, res.scenario.roles, strict=True)
        ):
            if role != "negotiator":
                continue
            v = values[:, a][~np.isnan(values[:, a])]
            mean = float(v.mean()) if len(v) else math.nan
            units = max(len(v) * share, 1.0)
            half = Z95 * float(v.std(ddof=1)) / math.sqrt(units) if len(v) > 1 else math.nan
            low, high = BELIEF_RANGE[measure]  # an interval stays within what can be
            rows.append(
                {
                    "actor": actor,
                    "measure": measure,
                    "runs": len(v),
                    "mean": mean,
                    "ci_low": max(mean - half, low),
                    "ci_high": min(mean + half, high),
                }
            )
    return pd.DataFrame(rows)


def _move_table(res: SimulationResult) -> pd.DataFrame:
    rows = []
    for k, move in enumerate(res.scenario.all_moves):
        at = res.moved[:, k]
        made, after = at >= 0, at >= res.deadline
        during = at[made & ~after]
        low, high = share_interval(made, res.units)
        rounds, counts = np.unique(during, return_counts=True)
        top = int(np.argmax(counts)) if len(counts) else -1  # the earliest of equal counts
        rows.append(
            {
                "move": move.id,
                "by": ", ".join(move.actors),
                "issue": move.issue,
                "share": float(made.mean()) if res.runs else math.nan,
                "ci_low": low,
                "ci_high": high,
                "during": float((made & ~after).mean()) if res.runs else math.nan,
                "after": float(after.mean()) if res.runs else math.nan,
                "mean_round": float(during.mean()) if len(during) else math.nan,
                "mode_round": float(rounds[top]) if top >= 0 else math.nan,
                "mode_share": float(counts[top] / len(during)) if top >= 0 else math.nan,
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


def _dependence(scenario: Scenario, influence: pd.DataFrame) -> str:
    """The sentence naming the input that moves agreement most when it has no dated source
    (and its effect is more than twice its standard error: not noise)."""
    if not len(influence):
        return ""
    top = influence.iloc[0]
    if top["code"] == ANCHORED or abs(top["effect_pp"]) <= 2 * top["se_pp"] or not top["effect_pp"]:
        return ""
    return (
        f"the result depends mostly on {influence.index[0]} (agreement {top['effect_pp']:+.1f} "
        f"points from its bottom to its top quartile), which {no_dated_source(scenario)} gives"
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
    sc, first, deadline = res.scenario, res.moved[0], res.deadline
    made = [
        f"{', '.join(m.actors)} makes {m.id} "
        + ("after the talks" if first[k] >= deadline else f"in round {first[k]}")
        for k, m in enumerate(sc.all_moves)
        if first[k] >= 0
    ]
    if res.agreed[0]:
        how = f"agree in round {res.rounds[0]}"
    elif res.exited[0] >= 0:
        how = f"end without agreement in round {res.rounds[0]}, when a move ended the talks"
    elif res.rounds[0] >= deadline:
        how = f"end without agreement at the deadline ({deadline} rounds)"
    else:
        how = f"end without agreement in round {res.rounds[0]}"
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
