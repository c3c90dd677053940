"""Strategy tournaments and generated scenarios.

Every strategy plays every negotiating seat of every scenario against every strategy
(itself included), over Monte Carlo samples: one vectorized :func:`negosim.simulate` call per
pairing, never one per negotiation. The same seed gives every pairing the same sampled runs,
so strategies are compared on identical worlds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from negosim.engine import parse_strategy, simulate
from negosim.results import Z95
from negosim.sampling import sample
from negosim.scenario import Scenario
from negosim.strategies import Strategy

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
    """
    if salience not in ("independent", "identical", "opposed"):
        raise ValueError(f"salience must be independent, identical or opposed, got {salience!r}")
    if n_actors < 1 or n_issues < 1:
        raise ValueError("a scenario needs at least one actor and one issue")
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
    }
    return Scenario.from_dict(doc, source=f"generate(seed={seed})")


def _label(spec: Strategy | str) -> str:
    if isinstance(spec, Strategy):
        params = ",".join(f"{k}={v:g}" for k, v in vars(spec).items() if isinstance(v, int | float))
        return spec.name + (f":{params}" if params else "")
    return str(spec)


def _nash_utilities(scenario: Scenario, runs: int, seed, seats: list[str]) -> np.ndarray:
    """The Nash bargaining point of every run (NaN where no deal exists), ``(R, seats)``."""
    from negosim.solutions import nash

    batch = sample(scenario, runs, seed)
    fixed = not scenario.effective_uncertainty  # identical runs: solve once
    out = np.full((runs, len(seats)), np.nan)
    for run in range(1 if fixed else runs):
        found = nash(batch, seats, run=run)
        if found is not None:
            out[run] = found.utility
    if fixed:
        out[:] = out[0]
    return out


@dataclass(frozen=True)
class TournamentResult:
    """The outcome of a tournament.

    Attributes
    ----------
    plays
        One row per pairing (strategy, opponent, scenario, seat) with the mean of each metric
        over the runs and the number of runs.
    leaderboard
        One row per strategy, ranked by mean own utility, with 95% normal intervals.
    """

    plays: pd.DataFrame
    leaderboard: pd.DataFrame
    runs: int
    seed: int | None

    def pairwise(self, metric: str = "utility") -> pd.DataFrame:
        """Strategy x opponent table of a metric's mean (over seats and scenarios)."""
        return self.plays.pivot_table(
            index="strategy", columns="opponent", values=metric, aggfunc="mean"
        )

    def plot_leaderboard(self, **kwargs):
        from negosim.plot import leaderboard

        return leaderboard(self.leaderboard, **kwargs)

    def plot_pairwise(self, metric: str = "utility", **kwargs):
        from negosim.plot import pairwise_heatmap

        return pairwise_heatmap(self.pairwise(metric), metric=metric, **kwargs)


def _summarise(sums: dict, labels: list[str]) -> pd.DataFrame:
    rows = []
    for label in labels:
        s = sums[label]
        n = s["n"]
        row: dict[str, Any] = {"strategy": label, "plays": n}
        for metric in METRICS:
            count = s[f"{metric}.n"]
            mean = s[f"{metric}.sum"] / count if count else math.nan
            var = max(s[f"{metric}.sq"] / count - mean * mean, 0.0) if count else math.nan
            half = Z95 * math.sqrt(var * count / max(count - 1, 1)) / math.sqrt(max(count, 1))
            row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = (
                mean,
                mean - half,
                mean + half,
            )
        rows.append(row)
    board = pd.DataFrame(rows).sort_values("utility", ascending=False).reset_index(drop=True)
    board.index = board.index + 1
    board.index.name = "rank"
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
        One scenario or several; default: three generated bilateral 3-issue scenarios.
    runs, seed
        Monte Carlo runs per pairing and their seed (shared by every pairing).
    protocol
        ``"alternating"`` or ``"mediated"``.
    roles
        The seats the strategies take (actor ids); default: every negotiator of a scenario.
        The focal strategy takes one seat, its opponent every other negotiating seat.
    self_play
        Whether a strategy also meets itself.

    Returns
    -------
    TournamentResult
    """
    field = list(strategies or DEFAULT_FIELD)
    objects = {_label(s): parse_strategy(s) for s in field}
    labels = list(objects)
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    scenarios = list(scenarios or [generate(2, 3, seed=k) for k in range(3)])
    jobs = []
    for sc in scenarios:
        negotiators = [a for a, r in zip(sc.actors, sc.roles, strict=True) if r == "negotiator"]
        seats = list(roles or negotiators)
        for seat in seats:
            if seat not in negotiators:
                raise KeyError(
                    f"{sc.id}: seat {seat!r} is not a negotiator; negotiators: {negotiators}"
                )
        for a, b in itertools.product(labels, repeat=2):
            if a != b or self_play:
                jobs += [(sc, negotiators, seat, a, b) for seat in seats]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), unit="pairing", desc="tournament", leave=False)
    nash_cache: dict[str, np.ndarray] = {}
    sums = {
        label: {"n": 0, **{f"{m}.{k}": 0.0 for m in METRICS for k in ("sum", "sq", "n")}}
        for label in labels
    }
    rows = []
    for sc, negotiators, seat, focal, opponent in jobs:
        assignment = dict.fromkeys(negotiators, objects[opponent])
        assignment[seat] = objects[focal]
        res = simulate(sc, runs, seed, protocol=protocol, strategies=assignment, **simulate_options)
        idx = [sc.actor_index(a) for a in negotiators]
        if sc.id not in nash_cache:
            nash_cache[sc.id] = _nash_utilities(sc, runs, seed, negotiators)
        nash_u = nash_cache[sc.id]
        values = {
            "utility": res.utility[:, sc.actor_index(seat)],
            "agreed": res.agreed.astype(float),
            "rounds": res.rounds.astype(float),
            "joint_utility": res.utility[:, idx].sum(axis=1),
            "nash_distance": np.linalg.norm(res.utility[:, idx] - nash_u, axis=1),
        }
        s = sums[focal]
        s["n"] += runs
        for metric, v in values.items():
            v = v[np.isfinite(v)]
            s[f"{metric}.sum"] += float(v.sum())
            s[f"{metric}.sq"] += float((v * v).sum())
            s[f"{metric}.n"] += v.size
        rows.append(
            {
                "strategy": focal,
                "opponent": opponent,
                "scenario": sc.id,
                "seat": seat,
                "runs": runs,
                **{
                    m: float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
                    for m, v in values.items()
                },
            }
        )
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return TournamentResult(pd.DataFrame(rows), _summarise(sums, labels), runs, seed)
