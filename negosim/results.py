"""SimulationResult: the arrays of a Monte Carlo, with tables and summaries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from negosim.scenario import Scenario

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (0, 1 when ``n == 0``)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, no rounding dust
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


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
        ``(R,)`` index of the actor that took its outside option, or -1.
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
    seed: int | None = None
    protocol: str = "alternating"
    deadline: int = 100
    trace: dict[str, np.ndarray] = field(default_factory=dict)

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

    @property
    def agreement_rate(self) -> float:
        """Share of runs that reached agreement (NaN for zero runs)."""
        return float(self.agreed.mean()) if self.runs else math.nan

    def to_frame(self) -> pd.DataFrame:
        """One row per run: ``run, agreed, rounds, exited`` and ``outcome.<issue>``,
        ``utility.<actor>`` columns (``exited`` holds the actor id or "")."""
        sc = self.scenario
        names = np.array([*sc.actors, ""], dtype=object)
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
        return pd.concat([frame, outcome, utility], axis=1)

    def summary(self) -> Summary:
        """Agreement rate with a Wilson interval, outcome quantiles, mean utilities."""
        return Summary.of(self)


@dataclass(frozen=True)
class Summary:
    """Tables that summarise a :class:`SimulationResult`."""

    runs: int
    agreement: pd.DataFrame
    outcomes: pd.DataFrame
    utilities: pd.DataFrame
    exits: pd.DataFrame

    @classmethod
    def of(cls, res: SimulationResult) -> Summary:
        sc, n = res.scenario, res.runs
        k = int(res.agreed.sum())
        low, high = wilson_interval(k, n)
        agreement = pd.DataFrame(
            {
                "runs": [n],
                "agreed": [k],
                "rate": [k / n if n else math.nan],
                "ci_low": [low],
                "ci_high": [high],
                "mean_rounds": [float(res.rounds.mean()) if n else math.nan],
            }
        )
        qs = (0.05, 0.25, 0.5, 0.75, 0.95)
        rows = []
        for i, issue in enumerate(sc.issue_specs):
            agreed = res.outcome[res.agreed, i]
            row = {
                "issue": issue.id,
                "label": issue.label,
                "status_quo": issue.status_quo,
                "mean": agreed.mean() if agreed.size else math.nan,
            }
            row.update(
                {
                    f"q{int(q * 100):02d}": np.quantile(agreed, q) if agreed.size else math.nan
                    for q in qs
                }
            )
            rows.append(row)
        outcomes = pd.DataFrame(rows).set_index("issue")
        mean = res.utility.mean(axis=0) if n else np.full(len(sc.actors), math.nan)
        sd = res.utility.std(axis=0, ddof=1) if n > 1 else np.zeros(len(sc.actors))
        half = Z95 * sd / math.sqrt(max(n, 1))
        utilities = pd.DataFrame(
            {
                "actor": sc.actors,
                "role": sc.roles,
                "mean": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
            }
        ).set_index("actor")
        who, counts = np.unique(res.exited[res.exited >= 0], return_counts=True)
        exits = pd.DataFrame(
            {
                "actor": [sc.actors[w] for w in who],
                "runs": counts,
                "share": counts / max(n, 1),
                "outside option": [sc.actor_specs[w].exit.label for w in who],
            }
        )
        return cls(n, agreement, outcomes, utilities, exits)

    def __str__(self) -> str:
        if not self.runs:
            return "runs: 0   no runs, so no agreement rate, outcomes or utilities to report"
        a = self.agreement.iloc[0]
        outcomes = (
            self.outcomes.to_string(float_format=lambda x: f"{x:.1f}")
            if a["agreed"]
            else "  none: no run reached agreement (every run ended at the status quo)"
        )
        lines = [
            f"runs: {self.runs:,}   agreement: {a['rate']:.1%} "
            f"(95% CI {a['ci_low']:.1%}..{a['ci_high']:.1%})   mean rounds: {a['mean_rounds']:.1f}",
            "",
            "outcome of agreed runs per issue:",
            outcomes,
            "",
            "mean utility per negotiator (95% CI):",
            self.utilities[self.utilities["role"] == "negotiator"].to_string(
                float_format=lambda x: f"{x:.3f}"
            ),
        ]
        if len(self.exits):
            lines += ["", "outside options taken:", self.exits.to_string(index=False)]
        return "\n".join(lines)
