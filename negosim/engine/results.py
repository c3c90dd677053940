"""SimulationResult: the arrays of a Monte Carlo, with tables and summaries.

The summary's tables and displays are :mod:`negosim.engine.summary`; its names are also
importable from here (the module path of 0.1's ``negosim.results``).
"""

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
from negosim.engine.summary import (
    FORECAST_PROTOCOLS,
    SHARE_COLUMNS,
    Z95,
    Summary,
    clip,
    influence_table,
    share_interval,
    wilson_interval,
)
from negosim.io import store as stores
from negosim.model.errors import ArgumentError
from negosim.model.information import MEASURES
from negosim.model.moves import consent_columns
from negosim.model.scenario import Scenario

__all__ = [
    "FORECAST_PROTOCOLS",
    "INPUT_BLOCK",
    "NO_DEAL_ARRAYS",
    "SHARE_COLUMNS",
    "Z95",
    "SimulationResult",
    "Summary",
    "load_results",
    "share_interval",
    "wilson_interval",
]

NO_DEAL_ARRAYS = ("no_deal", "no_deal_utility")
"""The result arrays a result built from older chunks may lack (see :attr:`no_deal`)."""
INPUT_BLOCK = 65_536
"""Runs sampled at a time when a result's inputs are drawn again (memory stays bounded by
the block however many runs the result holds; a multiple of the sampling blocks)."""


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
        ``(R, M)`` the round ``t < T`` in which each move (``scenario.all_moves``) was made
        during the talks; ``T`` (:attr:`deadline`) for a move made after the talks ended (at
        the deadline, or after a move that ended them); -1 if it was not made.
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
    no_deal
        ``(R, I)`` each run's no-deal package: for an agreed run, the package the end-of-talks
        moves would have given in the round of agreement; otherwise the final outcome. A
        result built without it (a store of format 1) knows it only for the runs without
        agreement: NaN in the agreed runs.
    no_deal_utility
        ``(R, A)`` each actor's utility of no deal (the run's ``utility`` without agreement);
        NaN in the agreed runs of a result built without it.
    information
        ``"complete"`` or ``"learned"`` (:func:`negosim.simulate`).
    beliefs
        Under ``"learned"``: per measure of :data:`~negosim.engine.beliefs.MEASURES`, ``(R, A)``
        how well each negotiator knew the others when its run ended (the mean over the
        other negotiators; NaN for actors who do not negotiate); else empty.
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
    no_deal: np.ndarray | None = None
    no_deal_utility: np.ndarray | None = None
    information: str = "complete"
    beliefs: dict[str, np.ndarray] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        n, book = len(self.agreed), self.scenario.all_moves
        if self.no_deal is None:
            object.__setattr__(self, "no_deal", _known_without_agreement(self.agreed, self.outcome))
        if self.no_deal_utility is None:
            utility = _known_without_agreement(self.agreed, self.utility)
            object.__setattr__(self, "no_deal_utility", utility)
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
            "no_deal": np.zeros((0, n_issues)),
            "no_deal_utility": np.zeros((0, n_actors)),
        }
        arrays = {
            k: np.concatenate([p[k] for p in parts]) if parts else v
            for k, v in empty.items()
            if k not in NO_DEAL_ARRAYS or all(k in p for p in parts)
        }  # chunks without the no-deal arrays (a store of format 1): derived where known
        traces = [p["trace"] for p in parts if "trace" in p]
        trace = traces[0] if traces else {}
        if len(traces) > 1:
            trace = {
                k: traces[0][k] if k == "proposer" else np.concatenate([t[k] for t in traces])
                for k in traces[0]
            }
        rounds = meta.pop("rounds", 100)
        beliefs = {
            m: np.concatenate([p[f"belief_{m}"] for p in parts])
            for m in MEASURES
            if parts and all(f"belief_{m}" in p for p in parts)
        }
        return cls(scenario, **arrays, deadline=rounds, trace=trace, beliefs=beliefs, **meta)

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
        ``utility.<actor>``, ``no_deal.<issue>`` (the run's no-deal package, :attr:`no_deal`),
        ``no_deal_utility.<actor>`` (each actor's utility of no deal, :attr:`no_deal_utility`;
        an agreed run beats it when every negotiator's ``utility`` exceeds it) and
        ``move.<id>`` (the round the move was made in, the deadline for a move made after the
        talks; missing (NA) if it was not). ``exited`` holds the id of the actor whose move
        ended the talks, else missing (NA).

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
        """The sampled value of every uncertain number in every run, drawn again by blocks of
        :data:`INPUT_BLOCK` runs (each run draws from its own streams, so the blocks give the
        runs' own numbers)."""
        if self.seed is None:
            raise ArgumentError(
                "inputs", "this result has no seed (seed=None), so its sampled inputs are unknown"
            )
        starts = range(0, self.runs, INPUT_BLOCK)
        blocks = [
            sample(self.scenario, min(INPUT_BLOCK, self.runs - s), self.seed, start=s).inputs()
            for s in starts
        ] or [sample(self.scenario, 0, self.seed).inputs()]
        return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}

    def influence(self) -> pd.DataFrame:
        """The sampled inputs ranked by how much they move agreement in these runs.

        The measure (:func:`negosim.engine.summary.influence_table`): the agreement rate of
        the runs with the input in its top quartile minus that of the runs with it in its
        bottom quartile, in percentage points (``effect_pp``, with its standard error
        ``se_pp``), with each input's confidence
        code and whether a source dated by the scenario's date gives it. No new runs: the
        inputs are drawn again from the seed once per result (about what the run's own
        sampling cost) and the table is kept. Empty for a result without a seed, a scenario
        without uncertain numbers, or runs whose agreement does not vary.

        Examples
        --------
        >>> import negosim as ns
        >>> res = ns.simulate(ns.load_scenario("package_2007"), runs=200, seed=1)
        >>> list(res.influence().columns)
        ['effect_pp', 'se_pp', 'agreement_low', 'agreement_high', 'code', 'source']
        """
        if "influence" not in self._cache:
            known = self.seed is not None and self.runs and self.scenario.effective_uncertainty
            inputs = self._inputs() if known else {}
            self._cache["influence"] = influence_table(self.scenario, self.agreed, inputs)
        return self._cache["influence"].copy()

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
        no_deal = pd.DataFrame(self.no_deal, columns=[f"no_deal.{i}" for i in sc.issues])
        no_deal_utility = pd.DataFrame(
            self.no_deal_utility, columns=[f"no_deal_utility.{a}" for a in sc.actors]
        )
        moves = pd.DataFrame(
            {
                f"move.{m.id}": pd.array(
                    np.where(self.moved[:, k] >= 0, self.moved[:, k], None)
                ).astype("Int32")
                for k, m in enumerate(sc.all_moves)
            },
            index=frame.index,
        )
        beliefs = [
            pd.DataFrame(
                {f"belief_{m}.{sc.actors[a]}": values[:, a] for a in self._observers()},
                index=frame.index,
            )
            for m, values in self.beliefs.items()
        ]
        parts = [frame, outcome, utility, no_deal, no_deal_utility, moves, *beliefs]
        return pd.concat(parts, axis=1)

    def _observers(self) -> list[int]:
        """The actors whose beliefs were measured (the negotiators)."""
        return [a for a, role in enumerate(self.scenario.roles) if role == "negotiator"]

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
            f"{self.runs:,} runs of {clip(self.scenario.id, 40)!r}: protocol {self.protocol}, "
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


def _known_without_agreement(agreed: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` in the runs without agreement, NaN in the agreed runs: the no-deal package
    and utilities as far as a result without them knows them."""
    return np.where(agreed[:, None], np.nan, values)


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
        information="learned" if stores.learned(manifest) else "complete",
    )
