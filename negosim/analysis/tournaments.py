"""Strategy tournaments and generated scenarios.

Every strategy plays every negotiating seat of every scenario against every strategy
(itself included), over Monte Carlo samples: one vectorized :func:`negosim.simulate` call per
pairing, never one per negotiation. The same seed gives every pairing the same sampled runs,
so strategies are compared on identical worlds, and the leaderboard's intervals count those
worlds, not the runs (:func:`cluster_interval`).
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
from scipy.special import stdtrit  # Student t quantiles, without loading scipy.stats

from negosim.analysis.solutions import nash
from negosim.engine import arguments as check
from negosim.engine.runner import progress_bar, simulate
from negosim.engine.sampling import ScenarioBatch, sample
from negosim.model.errors import ArgumentError, UnknownNameError
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
METRICS = ("utility", "agreed", "rounds", "joint_utility", "nash_distance")


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


INTERVAL_NOTE = (
    "95% t interval, cluster-robust standard error over independent sampled worlds "
    "(runs with identical sampled parameters count once)"
)
"""How the leaderboard's ``*_low`` / ``*_high`` columns are computed (also in its ``attrs``)."""


@dataclass(frozen=True)
class _Worlds:
    """The distinct sampled worlds of one scenario and their Nash points.

    Attributes
    ----------
    index
        ``(R,)`` world of every run: runs whose sampled parameters are identical share one.
    count
        Number of distinct worlds.
    nash
        ``(R, seats)`` utilities at the Nash bargaining point of each run's world (NaN where
        no deal exists).
    """

    index: np.ndarray
    count: int
    nash: np.ndarray


def _worlds(
    scenarios: list[Scenario], seated: list[list[str]], runs: int, seed, progress: bool
) -> list[_Worlds]:
    """Group the runs of each scenario into distinct worlds and solve each world once (with a
    bar over the worlds solved: each is a bargaining problem of its own)."""
    batches = [sample(sc, runs, seed) for sc in scenarios]
    distinct = [_distinct_runs(batch) for batch in batches]
    total = sum(len(first) for first, _ in distinct)
    out = []
    with progress_bar(progress, total, "tournament: Nash points", unit="world") as pace:
        for batch, seats, (first, index) in zip(batches, seated, distinct, strict=True):
            solved = np.full((len(first), len(seats)), np.nan)
            for world, run in enumerate(first):
                found = nash(batch, seats, run=int(run))
                if found is not None:
                    solved[world] = found.utility
                pace.advance(1)
            out.append(_Worlds(index, len(first), solved[index]))
    return out


def _warn_if_few(count: int) -> None:
    if count < FEW_WORLDS:
        spread = f"t(0.975, {count - 1}) = {t_quantile(count):.1f}" if count > 1 else "none"
        warnings.warn(
            f"the leaderboard's intervals rest on {count} independent world(s), fewer than "
            f"{FEW_WORLDS} ({spread}): pass more scenarios, or scenarios that sample numbers",
            FewWorldsWarning,
            stacklevel=3,
        )


def t_quantile(worlds: int) -> float:
    """The 97.5% quantile of Student's t with ``worlds - 1`` degrees of freedom."""
    return float(stdtrit(worlds - 1, 0.975))


def _distinct_runs(batch: ScenarioBatch) -> tuple[np.ndarray, np.ndarray]:
    """The first run of each distinct world and the world of every run.

    Runs are the same world when every sampled parameter is identical (bit for bit, so a
    ``choice`` distribution's repeats and a scenario without uncertainty collapse)."""
    runs = batch.runs
    params = [batch.positions, batch.salience, batch.power, batch.issue_power, batch.reservation]
    params += list(batch.strategy_params.values())
    flat = [p.reshape(runs, -1) for p in params] if runs else []
    # only the columns that vary between runs (the sampled ones) tell worlds apart
    varying = [p[:, (p != p[:1]).any(axis=0)] for p in flat]
    rows = np.ascontiguousarray(np.hstack(varying)) if varying else np.empty((runs, 0))
    if rows.shape[1] == 0:  # nothing varies: every run is the same world
        return np.zeros(min(runs, 1), dtype=int), np.zeros(runs, dtype=int)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, index = np.unique(keys, return_index=True, return_inverse=True)
    return first, index.ravel()


def cluster_interval(totals: np.ndarray, counts: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% interval of observations grouped in independent clusters.

    The mean is the ratio ``sum(T) / sum(N)`` of the cluster totals ``T_g`` and sizes
    ``N_g`` (the plain mean of all observations). Its cluster-robust (CR1) standard error is

    ``se = sqrt(G / (G - 1) * sum((T_g - mean * N_g) ** 2)) / sum(N)``

    over the ``G`` clusters with ``N_g > 0``, and the interval is
    ``mean +- t(0.975, G - 1) * se``. With equal sizes this is the one-sample t interval of
    the cluster means. Observations inside a cluster may be correlated (or copies) in any
    way: only the number of clusters narrows the interval.

    Parameters
    ----------
    totals, counts
        ``(G,)`` sum and number of the observations in each cluster.

    Returns
    -------
    tuple of float
        ``(mean, low, high)``; the bounds are NaN with fewer than two clusters, the mean
        too with no observation.
    """
    used = np.asarray(counts) > 0
    totals, counts = np.asarray(totals, float)[used], np.asarray(counts, float)[used]
    g, n = int(used.sum()), float(counts.sum())
    if g == 0:
        return math.nan, math.nan, math.nan
    mean = float(totals.sum()) / n
    if g < 2:
        return mean, math.nan, math.nan
    residual = totals - mean * counts
    se = math.sqrt(g / (g - 1) * float(residual @ residual)) / n
    half = t_quantile(g) * se
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class TournamentResult:
    """The outcome of a tournament.

    Attributes
    ----------
    plays
        One row per pairing (strategy, opponent, scenario, seat) with the mean of each metric
        over the runs and the number of runs.
    leaderboard
        One row per strategy, ranked by mean own utility: each metric's mean with its 95%
        interval (``*_low``, ``*_high``; see :func:`cluster_interval`) over the ``worlds``
        independent sampled worlds, and the number of ``plays`` (runs) behind it.
    runs, seed
        Monte Carlo runs per pairing and their seed.
    """

    plays: pd.DataFrame
    leaderboard: pd.DataFrame
    runs: int
    seed: int | None

    def pairwise(self, metric: str = "utility") -> pd.DataFrame:
        """Strategy x opponent table of a metric's mean (over seats and scenarios), rows and
        columns in leaderboard order."""
        table = self.plays.pivot_table(
            index="strategy", columns="opponent", values=metric, aggfunc="mean"
        )
        order = list(self.leaderboard["strategy"])
        return table.reindex(index=order, columns=[c for c in order if c in table.columns])

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
        return (
            f"{len(board)} strategies, {_plural(scenarios, 'scenario')} "
            f"({worlds} independent worlds), {self.runs} runs per pairing, seed {self.seed}"
        )

    def _display(self, limit: int) -> tuple[pd.DataFrame, int]:
        """The key columns of the top ``limit`` strategies, formatted; and how many are left."""
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

    def __repr__(self) -> str:
        table, more = self._display(12)
        lines = [f"TournamentResult: {self._headline()}", table.to_string(index=False)]
        if more:
            lines.append(f"... and {more} more in .leaderboard")
        lines.append("intervals: " + INTERVAL_NOTE)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table, more = self._display(30)
        rest = f"<p>... and {more} more in <code>.leaderboard</code></p>" if more else ""
        return (
            f"<p><b>TournamentResult</b>: {escape(self._headline())}</p>"
            f"{table.to_html(index=False, escape=True)}{rest}"
            f"<p><small>intervals: {INTERVAL_NOTE}</small></p>"
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _bounds(low: float, high: float) -> str:
    if math.isnan(low):
        return "n/a (< 2 worlds)"
    return f"{low:.3f} .. {high:.3f}"


def _summarise(totals: dict, counts: dict, plays: dict, labels: list[str]) -> pd.DataFrame:
    """One leaderboard row per strategy from its per-world totals and counts of each metric."""
    rows = []
    for label in labels:
        row: dict[str, Any] = {"strategy": label}
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


def tournament(
    strategies: Sequence[Strategy | str] | None = None,
    scenarios: Scenario | Sequence[Scenario] | None = None,
    runs: int = 200,
    seed: int | None = 0,
    *,
    protocol: str = "alternating",
    roles: Sequence[str] | None = None,
    self_play: bool = True,
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
    progress
        Show a bar over the worlds' Nash points, then one over the runs of all pairings, each
        with the time left.

    Returns
    -------
    TournamentResult
        Its leaderboard ranks the strategies by mean own utility.

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
    worlds = _worlds(scenarios, seated, runs, seed, progress)
    _warn_if_few(sum(w.count for w in worlds))
    offset = np.cumsum([0] + [w.count for w in worlds])
    totals = {x: {m: np.zeros(offset[-1]) for m in METRICS} for x in labels}
    counts = {x: {m: np.zeros(offset[-1]) for m in METRICS} for x in labels}
    plays = dict.fromkeys(labels, 0)
    rows = []
    with progress_bar(progress, len(jobs) * runs, "tournament") as pace:
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
                **simulate_options,
            )
            span = slice(offset[k], offset[k + 1])
            means = _play(
                res,
                seat,
                seated[k],
                worlds[k],
                {m: totals[focal][m][span] for m in METRICS},
                {m: counts[focal][m][span] for m in METRICS},
            )
            row = {"strategy": focal, "opponent": opponent, "scenario": scenarios[k].id}
            rows.append({**row, "seat": seat, "runs": runs, **means})
            plays[focal] += runs
    return TournamentResult(
        pd.DataFrame(rows), _summarise(totals, counts, plays, labels), runs, seed
    )


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


def _play(
    res, seat: str, negotiators: list[str], world: _Worlds, totals: dict, counts: dict
) -> dict[str, float]:
    """Add one pairing's Monte Carlo to the focal strategy's ``totals`` and ``counts`` per
    world (the scenario's slice of them); its mean of every metric."""
    sc = res.scenario
    idx = [sc.actor_index(a) for a in negotiators]
    values = {
        "utility": res.utility[:, sc.actor_index(seat)],
        "agreed": res.agreed.astype(float),
        "rounds": res.rounds.astype(float),
        "joint_utility": res.utility[:, idx].sum(axis=1),
        "nash_distance": np.linalg.norm(res.utility[:, idx] - world.nash, axis=1),
    }
    for metric, v in values.items():
        finite = np.isfinite(v)
        totals[metric] += np.bincount(world.index, np.where(finite, v, 0.0), world.count)
        counts[metric] += np.bincount(world.index, finite, world.count)
    return {
        m: float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for m, v in values.items()
    }
