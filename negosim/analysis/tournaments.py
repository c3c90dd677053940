"""Strategy tournaments and generated scenarios.

Every strategy plays every negotiating seat of every scenario against every strategy
(itself included), over Monte Carlo samples: one vectorized :func:`negosim.simulate` call per
pairing, never one per negotiation. The same seed gives every pairing the same sampled runs,
so strategies are compared on identical worlds, and the leaderboard's intervals count those
worlds, not the runs (:func:`cluster_interval`).

The leaderboard's metrics (:data:`METRICS`) are those of the ANAC competitions: own utility,
agreement rate and time, social welfare, the outcome's distance to the Pareto frontier, to
the Nash and to the Kalai-Smorodinsky point of its world, and the Nash product (docs/strategies.md,
"Tournaments: what the leaderboard measures"). A tournament may play every pairing under
complete and under learned information (``information=``) on the same worlds, and compare.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from negosim.analysis.tournament_metrics import (
    DIFFERENCE_NOTE,
    INTERVAL_NOTE,
    METRICS,
    Worlds,
    add_play,
    cluster_interval,
    paired_difference,
    solve_worlds,
    t_quantile,
)
from negosim.engine import arguments as check
from negosim.engine.runner import progress_bar, simulate
from negosim.model.errors import ArgumentError, UnknownNameError
from negosim.model.information import INFORMATION
from negosim.model.scenario import Scenario
from negosim.model.strategies import Strategy
from negosim.model.targets import id_problem

DEFAULT_FIELD = (
    "time_dependent:e=0.1",
    "time_dependent:e=0.2",
    "time_dependent:e=0.5",
    "time_dependent:e=1",
    "time_dependent:e=2",
    "time_dependent:e=5",
    "hardliner",
    "tit_for_tat",
    "random_walk",
    "trade_off",
)
GENERATE_LIMIT = 100_000
"""Most actors, issues and actor-issue pairs of a generated scenario."""
SALIENCE_PROFILES = ("independent", "identical", "opposed")
"""How :func:`generate` draws the actors' saliences."""
DEFAULT_WORLDS = 12
"""Generated scenarios a tournament plays when given none: enough independent worlds for
intervals that mean something (with 3, t(0.975, 2) = 4.3 stretched them past 1)."""
FEW_WORLDS = 10
"""Below this many independent worlds a tournament warns (:class:`FewWorldsWarning`)."""


class FewWorldsWarning(UserWarning):
    """A leaderboard whose intervals rest on fewer than :data:`FEW_WORLDS` independent worlds."""


_PLOT_MOVED = (
    "TournamentResult.plot_* are deprecated: use ns.plot.{}(result) (the figures are the front "
    "end's, and the analysis layer does not import it)"
)


def generate(
    n_actors: int = 2,
    n_issues: int = 3,
    seed: int | None = 0,
    *,
    salience: str = "independent",
    reservation: tuple[float, float] = (0.0, 0.5),
    rounds: int = 100,
    name: str | None = None,
    uncertainty: float = 0.0,
) -> Scenario:
    """A random negotiation: every actor negotiates every issue on a 0..100 scale.

    Parameters
    ----------
    n_actors, n_issues
        Size of the table.
    seed
        Seed of the generator (the same seed gives the same scenario).
    salience
        ``"independent"`` (uniform draws), ``"identical"`` (every actor weighs the issues
        alike: no logrolling possible) or ``"opposed"`` (actors alternate between a profile
        and its mirror image: the most room for logrolling).
    reservation
        Range of the uniform reservation utilities (BATNAs).
    rounds
        Default deadline.
    uncertainty
        Private information, as a share of the scales in [0, 1]: every actor's position and
        salience on every issue is drawn per run uniformly within ``100 * uncertainty`` of the
        generated number (clipped to the scale, salience to 1..100), so the generated
        numbers are only the point estimates the others know (``information="learned"``).
        0 (default): every number is known, the same in every run.

    Examples
    --------
    >>> import negosim as ns
    >>> sc = ns.generate(3, 4, seed=5)
    >>> sc.actors, sc.issues
    (('a0', 'a1', 'a2'), ('i0', 'i1', 'i2', 'i3'))
    >>> ns.generate(3, 4, seed=5) == sc  # the same seed gives the same scenario
    True
    """
    n_actors = check.whole_number(n_actors, "n_actors", 1, GENERATE_LIMIT)  # before any work
    n_issues = check.whole_number(n_issues, "n_issues", 1, GENERATE_LIMIT)
    if n_actors * n_issues > GENERATE_LIMIT:
        raise ArgumentError(
            "n_issues", f"{n_actors} actors x {n_issues} issues: at most {GENERATE_LIMIT:,} in all"
        )
    seed = check.seed(seed)
    salience = check.choice(salience, "salience", SALIENCE_PROFILES)
    reservation = check.number_interval(reservation, "reservation", 0.0, 1.0)
    rounds = check.whole_number(rounds, "rounds", 2, check.MAX_ROUNDS)
    uncertainty = check.number_in(uncertainty, "uncertainty", 0.0, 1.0)
    if name is not None:
        problem = id_problem(name) if isinstance(name, str) and name else "must be a non-empty id"
        if problem:
            raise ArgumentError("name", f"{problem}, got {name!r}")
    rng = np.random.default_rng(seed)
    issues = [f"i{k}" for k in range(n_issues)]
    position = rng.uniform(0, 100, (n_actors, n_issues))
    profile = rng.uniform(1, 100, n_issues)
    if salience == "independent":
        weights = rng.uniform(1, 100, (n_actors, n_issues))
    elif salience == "identical":
        weights = np.tile(profile, (n_actors, 1))
    else:
        weights = np.array([profile if a % 2 == 0 else 101 - profile for a in range(n_actors)])
    res = rng.uniform(*reservation, n_actors)
    doc = {
        "scenario": {
            "id": name or f"generated_{n_actors}x{n_issues}_{seed}",
            "title": f"Generated: {n_actors} actors, {n_issues} issues ({salience})",
            "rounds": rounds,
        },
        "issues": [{"id": i, "label": f"issue {i}", "status_quo": 50.0} for i in issues],
        "actors": [
            {
                "id": f"a{a}",
                "power": 1.0,
                "position": dict(zip(issues, position[a].tolist(), strict=True)),
                "salience": dict(zip(issues, weights[a].tolist(), strict=True)),
                "reservation": float(res[a]),
            }
            for a in range(n_actors)
        ],
        "uncertainty": _private(position, weights, issues, 100 * uncertainty),
    }
    return Scenario.from_dict(doc, source=f"generate(seed={seed})")


def _private(position: np.ndarray, salience: np.ndarray, issues: list[str], width: float):
    """Uniform uncertainty within ``width`` of every position (on 0..100) and salience (on
    1..100) of a generated table (none when ``width`` is 0)."""
    if width <= 0:
        return []
    out = []
    scales = (("position", position, 0, 100), ("salience", salience, 1, 100))
    for field, values, low, high in scales:
        for a, row in enumerate(values):
            for issue, value in zip(issues, row, strict=True):
                bounds = {"low": max(low, value - width), "high": min(high, value + width)}
                out.append({"target": f"a{a}.{field}.{issue}", "dist": "uniform", **bounds})
    return out


def _label(spec: Strategy | str) -> str:
    if isinstance(spec, Strategy):
        params = ",".join(f"{k}={v:g}" for k, v in vars(spec).items() if isinstance(v, int | float))
        return spec.name + (f":{params}" if params else "")
    return str(spec)


def _warn_if_few(count: int) -> None:
    if count < FEW_WORLDS:
        spread = f"t(0.975, {count - 1}) = {t_quantile(count):.1f}" if count > 1 else "none"
        warnings.warn(
            f"the leaderboard's intervals rest on {count} independent world(s), fewer than "
            f"{FEW_WORLDS} ({spread}): pass more scenarios, or scenarios that sample numbers",
            FewWorldsWarning,
            stacklevel=3,
        )


@dataclass(frozen=True)
class TournamentResult:
    """The outcome of a tournament.

    Attributes
    ----------
    plays
        One row per pairing (strategy, opponent, scenario, seat) and information setting with
        the mean of each metric (:data:`METRICS`) over the runs and the number of runs.
    leaderboard
        One row per strategy and information setting (the ``information`` column), ranked by
        mean own utility within each setting: each metric's mean with its 95% interval
        (``*_low``, ``*_high``; see :func:`cluster_interval`) over the ``worlds`` independent
        sampled worlds, and the number of ``plays`` (runs) behind it.
    runs, seed
        Monte Carlo runs per pairing and their seed.
    information
        The information settings played, in the order given (``("complete",)`` by default).
    per_world
        One row per strategy, setting and independent world (``world`` numbers them across the
        tournament; ``scenario`` and ``run``, the world's first run in
        ``ns.sample(scenario, runs, seed)``, say which it is): every metric's sum over the
        world's observations (``<metric>_sum``) and their number (``<metric>_n``), the units of
        the intervals.
    """

    plays: pd.DataFrame
    leaderboard: pd.DataFrame
    runs: int
    seed: int | None
    information: tuple[str, ...] = ("complete",)
    per_world: pd.DataFrame | None = None

    def _setting(self, information: str | None) -> str:
        if information is None:
            return self.information[0]
        return check.choice(information, "information", self.information)

    def _board(self, setting: str) -> pd.DataFrame:
        board = self.leaderboard
        return board[board["information"] == setting] if "information" in board else board

    def pairwise(self, metric: str = "utility", information: str | None = None) -> pd.DataFrame:
        """Strategy x opponent table of a metric's mean (over seats and scenarios), rows and
        columns in leaderboard order, under one information setting (default: the first
        played)."""
        setting = self._setting(information)
        plays = self.plays
        if "information" in plays:
            plays = plays[plays["information"] == setting]
        table = plays.pivot_table(
            index="strategy", columns="opponent", values=metric, aggfunc="mean"
        )
        order = list(self._board(setting)["strategy"])
        return table.reindex(index=order, columns=[c for c in order if c in table.columns])

    def by_information(self, metric: str = "utility") -> pd.DataFrame:
        """The information settings side by side: one row per strategy (ranked as under the
        first setting), a metric's mean under each setting with its 95% interval
        (``<setting>``, ``<setting>_low``, ``<setting>_high``) and, when both were played,
        ``difference`` = complete - learned with its interval over the paired per-world
        differences (``difference_low``, ``difference_high``) and the number of ``worlds``
        paired.

        The difference pairs each world with itself: ``D_g = mean_complete,g -
        mean_learned,g`` over the worlds ``g`` observed under both, weighted by ``N_g``, the
        mean number of observations there (equal under both settings for every metric
        observed in every run); its mean and interval are :func:`cluster_interval` of the
        totals ``D_g N_g`` and sizes ``N_g``. With ``N_g`` equal, that is the one-sample t
        interval of the ``D_g``: the world-to-world spread that both settings share cancels.
        """
        metric = check.choice(metric, "metric", METRICS)
        first = self._board(self.information[0])
        boards = {s: self._board(s).set_index("strategy") for s in self.information}
        paired = set(INFORMATION) <= set(self.information) and self.per_world is not None
        rows = []
        for label in first["strategy"]:
            row: dict[str, Any] = {"strategy": label}
            for s, board in boards.items():
                for end in ("", "_low", "_high"):
                    row[f"{s}{end}"] = board.loc[label, f"{metric}{end}"]
            if paired:
                row["difference"], row["difference_low"], row["difference_high"], row["worlds"] = (
                    self._paired(label, metric)
                )
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="rank")
        frame.attrs["interval"] = INTERVAL_NOTE
        if paired:
            frame.attrs["difference"] = DIFFERENCE_NOTE
        return frame

    def _paired(self, label: str, metric: str) -> tuple[float, float, float, int]:
        """Mean, interval and worlds of the paired per-world differences complete - learned."""
        pw = self.per_world
        assert pw is not None
        mine = pw[pw["strategy"] == label]
        c = mine[mine["information"] == "complete"].set_index("world")
        lrn = mine[mine["information"] == "learned"].set_index("world").reindex(c.index)
        sums = (c[f"{metric}_sum"].to_numpy(), lrn[f"{metric}_sum"].to_numpy())
        return paired_difference(sums, (c[f"{metric}_n"].to_numpy(), lrn[f"{metric}_n"].to_numpy()))

    def plot_leaderboard(self, **kwargs):
        """Deprecated (goes in negosim 0.3): ``ns.plot.leaderboard(result)``."""
        warnings.warn(_PLOT_MOVED.format("leaderboard"), DeprecationWarning, stacklevel=2)
        from negosim.plot import leaderboard  # a deprecated alias of a front end: see above

        return leaderboard(self, **kwargs)

    def plot_pairwise(self, metric: str = "utility", **kwargs):
        """Deprecated (goes in negosim 0.3): ``ns.plot.pairwise_heatmap(result, metric=...)``."""
        warnings.warn(_PLOT_MOVED.format("pairwise_heatmap"), DeprecationWarning, stacklevel=2)
        from negosim.plot import pairwise_heatmap  # a deprecated alias of a front end

        return pairwise_heatmap(self, metric=metric, **kwargs)

    def _headline(self) -> str:
        board = self.leaderboard
        worlds = int(board["worlds"].max()) if len(board) else 0
        scenarios = self.plays["scenario"].nunique()
        strategies = board["strategy"].nunique()
        return (
            f"{strategies} strategies, {_plural(scenarios, 'scenario')} "
            f"({worlds} independent worlds), {self.runs} runs per pairing, seed {self.seed}, "
            f"information: {', '.join(self.information)}"
        )

    def _display(self, limit: int) -> tuple[pd.DataFrame, int]:
        """The key columns of the top ``limit`` strategies, formatted; and how many are left."""
        if len(self.information) > 1:
            return self._display_settings(limit)
        board = self.leaderboard
        top = board.head(limit)
        table = pd.DataFrame(
            {
                "rank": top.index,
                "strategy": top["strategy"].str.slice(0, 28),
                "utility": top["utility"].map("{:.3f}".format),
                "95% interval": [
                    _bounds(lo, hi)
                    for lo, hi in zip(top["utility_low"], top["utility_high"], strict=True)
                ],
                "agreed": top["agreed"].map("{:.1%}".format),
                "rounds": top["rounds"].map("{:.1f}".format),
                "nash dist.": top["nash_distance"].map("{:.3f}".format),
            }
        )
        return table, len(board) - len(top)

    def _display_settings(self, limit: int) -> tuple[pd.DataFrame, int]:
        """The settings side by side: each one's utility and agreement, and the difference
        complete - learned with its interval over the paired worlds."""
        side, agreed = self.by_information(), self.by_information("agreed")
        top = side.head(limit)
        table: dict[str, Any] = {"rank": top.index, "strategy": top["strategy"].str.slice(0, 28)}
        for s in self.information:
            table[f"utility {s}"] = top[s].map("{:.3f}".format)
        if "difference" in top:
            table["complete - learned"] = top["difference"].map("{:+.3f}".format)
            table["95% interval"] = [
                _bounds(lo, hi)
                for lo, hi in zip(top["difference_low"], top["difference_high"], strict=True)
            ]
        for s in self.information:
            table[f"agreed {s}"] = agreed[s].head(limit).map("{:.1%}".format)
        return pd.DataFrame(table), len(side) - len(top)

    def _notes(self) -> list[str]:
        notes = ["intervals: " + INTERVAL_NOTE]
        if len(self.information) > 1 and set(INFORMATION) <= set(self.information):
            notes.append("complete - learned: " + DIFFERENCE_NOTE)
        return notes

    def __repr__(self) -> str:
        table, more = self._display(12)
        lines = [f"TournamentResult: {self._headline()}", table.to_string(index=False)]
        if more:
            lines.append(f"... and {more} more in .leaderboard")
        return "\n".join(lines + self._notes())

    def _repr_html_(self) -> str:
        table, more = self._display(30)
        rest = f"<p>... and {more} more in <code>.leaderboard</code></p>" if more else ""
        notes = "".join(f"<p><small>{escape(n)}</small></p>" for n in self._notes())
        return (
            f"<p><b>TournamentResult</b>: {escape(self._headline())}</p>"
            f"{table.to_html(index=False, escape=True)}{rest}{notes}"
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _bounds(low: float, high: float) -> str:
    if math.isnan(low):
        return "n/a (< 2 worlds)"
    return f"{low:.3f} .. {high:.3f}"


def _summarise(
    totals: dict, counts: dict, plays: dict, labels: list[str], setting: str
) -> pd.DataFrame:
    """One leaderboard row per strategy from its per-world totals and counts of each metric."""
    rows = []
    for label in labels:
        row: dict[str, Any] = {"strategy": label, "information": setting}
        for metric in METRICS:
            row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = cluster_interval(
                totals[label][metric], counts[label][metric]
            )
        row["worlds"] = int((counts[label]["utility"] > 0).sum())
        row["plays"] = plays[label]
        rows.append(row)
    board = pd.DataFrame(rows).sort_values("utility", ascending=False).reset_index(drop=True)
    board.index = board.index + 1
    board.index.name = "rank"
    board.attrs["interval"] = INTERVAL_NOTE
    return board


def _information(information: Any, protocol: str) -> tuple[str, ...]:
    """The information settings of a tournament (:data:`INFORMATION`): one, or a non-empty
    sequence of them, each once, each one the protocol plays."""
    if isinstance(information, str):
        return (check.information(information, protocol),)
    if not isinstance(information, Sequence) or not information:
        raise ArgumentError(
            "information",
            f"must be one of {', '.join(INFORMATION)} or a sequence of them, got {information!r}",
        )
    settings = tuple(
        check.information(s, protocol, f"information[{k}]") for k, s in enumerate(information)
    )
    if len(set(settings)) < len(settings):
        raise ArgumentError("information", f"each setting once, got {list(settings)}")
    return settings


def tournament(
    strategies: Sequence[Strategy | str] | None = None,
    scenarios: Scenario | Sequence[Scenario] | None = None,
    runs: int = 200,
    seed: int | None = 0,
    *,
    protocol: str = "alternating",
    roles: Sequence[str] | None = None,
    self_play: bool = True,
    information: str | Sequence[str] = "complete",
    progress: bool = False,
    **simulate_options: Any,
) -> TournamentResult:
    """Round-robin tournament of negotiation strategies.

    Parameters
    ----------
    strategies
        Strategy objects or registered names/specs (``"boulware"``, ``"time_dependent:e=0.5"``;
        a user's registered strategy joins by name). Default: :data:`DEFAULT_FIELD`.
    scenarios
        One scenario or several; default: :data:`DEFAULT_WORLDS` generated bilateral 3-issue
        scenarios. Fewer than :data:`FEW_WORLDS` independent worlds in all (distinct sampled
        draws over the scenarios) give a :class:`FewWorldsWarning`: the intervals are then wide.
    runs, seed
        Monte Carlo runs per pairing and their seed (shared by every pairing). Runs of a
        scenario without uncertainty only repeat its one world (they matter for random
        strategies); add scenarios to narrow the intervals.
    protocol
        ``"alternating"`` or ``"mediated"``.
    roles
        The seats the strategies take (actor ids); default: every negotiator of a scenario.
        The focal strategy takes one seat, its opponent every other negotiating seat.
    self_play
        Whether a strategy also meets itself.
    information
        ``"complete"`` (every negotiator knows the others' numbers), ``"learned"`` (each
        believes the scenario's point estimates and learns from the offers:
        ``simulate(..., information=...)``; ``opponent_model=`` goes to simulate with the
        other options) or a sequence of both: every pairing is then played under each, on
        the same worlds with the same seed, and :meth:`TournamentResult.by_information` sets
        them side by side. Beliefs differ from the truth only where the scenario samples
        numbers (``generate(..., uncertainty=0.3)``): in a world without uncertainty the
        estimates are the true numbers and both settings play the same talks.
    progress
        Show a bar over the worlds' bargaining solutions, then one over the runs of all
        pairings, each with the time left.

    Returns
    -------
    TournamentResult
        Its leaderboard ranks the strategies by mean own utility (within each information
        setting) and gives every metric of :data:`METRICS`.

    Notes
    -----
    The interval of each leaderboard mean counts independent units, not runs. The unit is a
    sampled *world*: one scenario with one draw of its uncertain numbers. Runs whose sampled
    parameters are identical are one world (a scenario without uncertainty is a single
    world however many runs it gets), and every pairing and seat of a world shares it (the
    same seed gives every pairing the same draws), so they belong to the same unit too. The
    bounds are ``mean +- t(0.975, G - 1) * se`` with the cluster-robust standard error over
    the ``G`` worlds (:func:`cluster_interval`): repeating identical runs leaves them as they
    are, more scenarios or more uncertain draws narrow them, and a single world has no
    interval (NaN). The opponents are the fixed field, not a sample, so they are not
    resampled. Strategy noise (random strategies) is averaged within its world.

    Each world is solved once, at its true numbers whatever the information setting: its Nash
    and Kalai-Smorodinsky points (the engine's solvers, as :func:`negosim.solutions.nash`:
    coalitions ratify; no deal is NaN) and its two-party Pareto frontier (as
    :func:`negosim.solutions.pareto_frontier`, without the coalitions). The disagreement
    point of the solutions and of the Nash product is ``d_i = r_i + m``: each negotiator's
    reservation (its utility of no deal) plus the deal margin ``m``
    (:data:`negosim.model.ratification.DEAL_MARGIN`, 0.01). The solutions are exact for
    linear loss only: a scenario with another loss has NaN distances there.

    Examples
    --------
    >>> import negosim as ns
    >>> worlds = [ns.generate(2, 3, seed=k) for k in range(10)]
    >>> result = ns.tournament(["boulware", "conceder"], worlds, runs=5, seed=1)
    >>> list(result.leaderboard["strategy"])
    ['boulware', 'conceder']
    >>> int(result.leaderboard["worlds"].iloc[0])
    10
    """
    runs = check.whole_number(runs, "runs", 1)  # each argument named, before any work
    seed = check.seed(seed)
    protocol = check.protocol(protocol)
    self_play, progress = check.flag(self_play, "self_play"), check.flag(progress, "progress")
    settings = _information(information, protocol)
    objects = _field(DEFAULT_FIELD if strategies is None else strategies)
    labels = list(objects)
    scenarios = _scenarios(scenarios)
    if roles is not None:  # each seat an actor here, and a negotiator of each scenario below
        roles = check.ids(roles, "roles", sorted({a for sc in scenarios for a in sc.actors}))
        if not roles:
            raise ArgumentError("roles", "needs at least one seat (None: every negotiator)")
    jobs, seated = [], []
    for k, sc in enumerate(scenarios):
        negotiators = [a for a, r in zip(sc.actors, sc.roles, strict=True) if r == "negotiator"]
        seated.append(negotiators)
        seats = negotiators if roles is None else roles
        for seat in seats:
            if seat not in negotiators:
                raise UnknownNameError(
                    "roles",
                    f"{sc.id}: seat {seat!r} is not a negotiator; negotiators: {negotiators}",
                )
        for a, b in itertools.product(labels, repeat=2):
            if a != b or self_play:
                jobs += [(k, seat, a, b) for seat in seats]
    worlds = solve_worlds(scenarios, seated, runs, seed, progress)
    _warn_if_few(sum(w.count for w in worlds))
    offset = np.cumsum([0] + [w.count for w in worlds])
    totals = {s: {x: {m: np.zeros(offset[-1]) for m in METRICS} for x in labels} for s in settings}
    counts = {s: {x: {m: np.zeros(offset[-1]) for m in METRICS} for x in labels} for s in settings}
    plays = {s: dict.fromkeys(labels, 0) for s in settings}
    rows = []
    with progress_bar(progress, len(settings) * len(jobs) * runs, "tournament") as pace:
        for setting in settings:
            for k, seat, focal, opponent in jobs:
                assignment = dict.fromkeys(seated[k], objects[opponent])
                assignment[seat] = objects[focal]
                res = simulate(
                    scenarios[k],
                    runs,
                    seed,
                    protocol=protocol,
                    strategies=assignment,
                    progress=pace,
                    information=setting,
                    **simulate_options,
                )
                span = slice(offset[k], offset[k + 1])
                means = add_play(
                    res,
                    seat,
                    seated[k],
                    worlds[k],
                    {m: totals[setting][focal][m][span] for m in METRICS},
                    {m: counts[setting][focal][m][span] for m in METRICS},
                )
                row = {"strategy": focal, "opponent": opponent, "scenario": scenarios[k].id}
                rows.append({**row, "seat": seat, "information": setting, "runs": runs, **means})
                plays[setting][focal] += runs
    boards = [_summarise(totals[s], counts[s], plays[s], labels, s) for s in settings]
    board = pd.concat(boards) if len(boards) > 1 else boards[0]
    board.attrs["interval"] = INTERVAL_NOTE
    per_world = _per_world(totals, counts, scenarios, worlds)
    return TournamentResult(pd.DataFrame(rows), board, runs, seed, settings, per_world)


def _per_world(
    totals: dict, counts: dict, scenarios: list[Scenario], worlds: list[Worlds]
) -> pd.DataFrame:
    """The per-world sums and counts of every metric, one row per setting, strategy and world."""
    where = {
        "scenario": np.repeat([sc.id for sc in scenarios], [w.count for w in worlds]),
        "run": np.concatenate([w.first for w in worlds]),
    }
    frames = []
    for setting, by_label in totals.items():
        for label, sums in by_label.items():
            frame: dict[str, Any] = {"strategy": label, "information": setting, **where}
            for m in METRICS:
                frame[f"{m}_sum"] = sums[m]
                frame[f"{m}_n"] = counts[setting][label][m].astype(np.int64)
            frames.append(pd.DataFrame(frame).rename_axis("world").reset_index())
    out = pd.concat(frames, ignore_index=True)
    first = ["strategy", "information", "world", "scenario", "run"]
    return out[first + [c for c in out.columns if c not in first]]


def _field(strategies: Any) -> dict[str, Strategy]:
    """The strategies of a tournament by label: a non-empty sequence of strategy objects or
    specs, each checked and each once (a strategy given twice would play as one)."""
    if isinstance(strategies, str | Strategy) or not isinstance(strategies, Sequence):
        raise ArgumentError(
            "strategies", f"must be a sequence of strategies or specs, got {strategies!r}"
        )
    if not strategies:
        raise ArgumentError("strategies", "needs at least one strategy (None: the default field)")
    objects: dict[str, Strategy] = {}
    for k, spec in enumerate(strategies):
        where = f"strategies[{k}]"
        if isinstance(spec, Strategy):
            strategy = check.strategy_object(spec, where)
        elif isinstance(spec, str):
            strategy = check.strategy_spec(spec, where)
        else:
            raise ArgumentError(
                where, f"must be a Strategy or a spec like 'boulware:e=0.2', got {spec!r}"
            )
        label = _label(spec)
        if label in objects:
            raise ArgumentError(where, f"{label!r} is given twice; give each strategy once")
        objects[label] = strategy
    return objects


def _scenarios(scenarios: Any) -> list[Scenario]:
    """The scenarios of a tournament: one, or a non-empty sequence of them; None: the
    :data:`DEFAULT_WORLDS` generated worlds."""
    if scenarios is None:
        return [generate(2, 3, seed=k) for k in range(DEFAULT_WORLDS)]
    if isinstance(scenarios, Scenario):
        return [scenarios]
    if not isinstance(scenarios, Sequence) or isinstance(scenarios, str):
        raise ArgumentError(
            "scenarios", f"must be a Scenario or a sequence of them, got {scenarios!r}"
        )
    if not scenarios:
        raise ArgumentError("scenarios", "needs at least one scenario (None: generated worlds)")
    names = [f"scenarios[{k}]" for k in range(len(scenarios))]
    out = [check.scenario(sc, name) for sc, name in zip(scenarios, names, strict=True)]
    check.distinct_scenarios(out, names)
    return out
