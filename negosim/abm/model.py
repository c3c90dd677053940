"""DiplomacyModel: one negotiation, round by round, as a Mesa model."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from negosim.abm.agents import Diplomat
from negosim.engine import arguments as check
from negosim.engine.protocols import Table, get_protocol
from negosim.engine.protocols.alternating import Alternating
from negosim.engine.protocols.eum import EUMOptions, eum_round, eum_setup, weighted_median
from negosim.engine.protocols.exchange import exchange_model_for
from negosim.engine.protocols.mediated import Mediated
from negosim.engine.results import SimulationResult
from negosim.engine.runner import (
    check_call,
    strategies_and_defaults,
    with_information,
    with_sampled_params,
)
from negosim.engine.sampling import ScenarioBatch, sample
from negosim.io.scenario_file import load_scenario
from negosim.model.errors import ArgumentError, UnknownNameError
from negosim.model.information import DEFAULT_MODEL
from negosim.model.moves import Clock, MoveState
from negosim.model.scenario import Scenario
from negosim.model.strategies import Strategy
from negosim.model.strategies.base import with_params

AGENT_COLUMNS = {
    "actor": "actor id",
    "role": "negotiator, ratifier or mediator",
    "utility": "the agent's utility of the package on the table this round",
    "target": "its strategy's target utility this round (negotiators; NaN otherwise)",
    "accepted": "1 accepted or would ratify (its reservation met), 0 rejected or objected",
}
"""Columns of ``datacollector.get_agent_vars_dataframe()`` (one row per round and agent)."""

BELIEF_COLUMNS = {
    "round": "the round whose offer was learned from last (the round before the first: the prior)",
    "observer": "the negotiator who believes",
    "about": "the other negotiator it believes something of",
    "issue": "issue id",
    "believed_position": "the observer's belief of the other's ideal point on the issue",
    "position": "the other's true ideal point (this run's sampled value)",
    "believed_weight": "the observer's belief of the other's salience weight (weights sum to 1)",
    "weight": "the other's true salience weight (this run's, normalised)",
}
"""Columns of the DataCollector table ``beliefs`` (:meth:`DiplomacyModel.beliefs_frame`): one
row per round, observer, other negotiator and issue, under ``information="learned"`` only."""


@dataclass(frozen=True)
class MoveInputs:
    """What the moves of one round are decided from (one run).

    Attributes
    ----------
    state
        The moves made before the round and the no-agreement package they left (one run).
    clock
        The round in relative time.
    pointed
        ``(1, I)`` the package the talks pointed to (NaN: no deal), or None: nothing had
        been put on the table.
    """

    state: MoveState
    clock: Clock
    pointed: np.ndarray | None


def _check_arguments(
    scenario, seed, run, batch, protocol, strategies, rounds, order, step, options
):
    """The model's arguments, each checked by name before any work as :func:`negosim.simulate`
    checks them (:func:`negosim.engine.runner.check_call`: a protocol's options by the protocol
    itself); the scenario (default ``package_2007``), seed, run and rounds, checked."""
    if batch is not None and not isinstance(batch, ScenarioBatch):
        raise ArgumentError("batch", f"must be a ScenarioBatch (ns.sample), got {batch!r}")
    if batch is None and scenario is not None:
        check.scenario(scenario)
    sc = batch.scenario if batch is not None else scenario or load_scenario("package_2007")
    run = check.whole_number(run, "run", 0, batch.runs - 1 if batch is not None else math.inf)
    given = {"step": step} if (protocol or sc.protocol) == "mediated" else {}
    check_call(sc, 1, seed, protocol=protocol, rounds=rounds, order=order, **given, **options)
    try:  # each strategy checked (per-run parameters by the run, below)
        strategies_and_defaults(sc, check.strategies(strategies))
    except KeyError as exc:
        raise UnknownNameError("strategies", str(exc.args[0])) from None
    return sc, check.seed(seed), run, check.rounds(rounds)


class DiplomacyModel(mesa.Model):
    """One run of a scenario negotiated by :class:`Diplomat` agents.

    Parameters
    ----------
    scenario
        The scenario (default: the bundled ``package_2007``).
    seed
        Seed of the run streams (as in :func:`negosim.simulate`, default 0) and of Mesa's ``rng``.
    run
        Which run of the seeded Monte Carlo to play: the model then gives the same result as
        run ``run`` of ``simulate(scenario, runs, seed)``.
    batch
        Alternatively, an already sampled batch; ``run`` indexes it.
    protocol, strategies, rounds, order, step, information, opponent_model, **options
        As in :func:`negosim.simulate` (``options`` are the protocol's, e.g. ``variant`` of
        the expected utility model).

    Attributes
    ----------
    datacollector
        Model table: one row per round with ``proposer``, ``offer.<issue>``, ``agreed`` and
        ``moves`` (the moves made that round);
        agent table: one row per round and agent with the columns of :data:`AGENT_COLUMNS`;
        table ``coalitions``: round, coalition, consents (1/0, NaN when not asked);
        table ``beliefs``: what each negotiator believes of each other negotiator, round by
        round, next to the truth (:meth:`beliefs_frame`, :data:`BELIEF_COLUMNS`).
    move_inputs
        Per round played, the :class:`MoveInputs` its moves were decided from.
    offered_this_round
        Whether the last round put a package on the table (False when a move ended the
        talks before any).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        seed: int | None = 0,
        run: int = 0,
        batch: ScenarioBatch | None = None,
        protocol: str | None = None,
        strategies: Mapping[str, Strategy | str] | None = None,
        rounds: int | None = None,
        order: tuple[str, ...] | None = None,
        step: float = 0.2,
        information: str = "complete",
        opponent_model: str = DEFAULT_MODEL,
        **options: Any,
    ) -> None:
        knowledge = with_information({}, information, opponent_model)
        checked = (
            scenario,
            seed,
            run,
            batch,
            protocol,
            strategies,
            rounds,
            order,
            step,
            {**options, **knowledge},
        )
        scenario, seed, run, rounds = _check_arguments(*checked)
        super().__init__(rng=seed)
        if batch is None:
            if scenario is None:
                scenario = load_scenario("package_2007")
            batch = sample(scenario, 1, seed, start=run)
        else:
            batch = batch.take(slice(run, run + 1))
        self.scenario, self.batch = batch.scenario, batch
        self.protocol = protocol or self.scenario.protocol
        get_protocol(self.protocol)
        self.options = options
        chosen, from_scenario = strategies_and_defaults(self.scenario, strategies)
        chosen = with_sampled_params(batch, _of_run(chosen, run, self.scenario), from_scenario)
        self.rounds = int(rounds or self.scenario.rounds)
        self.information = information
        self.table = Table(batch, chosen, self.rounds, targets=True, **knowledge)
        self.rules = self._rules(order, step)
        for index in range(len(self.scenario.actors)):
            Diplomat(self, index, chosen.get(index))
        self.diplomats = sorted(self.agents, key=lambda a: a.index)
        self.round = self.table.first_round - 1
        self.offer = self.rules.text[0] if isinstance(self.rules, Mediated) else None
        if self.protocol in ("eum", "exchange"):
            self._start_collective()
        self.proposer: int = -1
        self.agreed = False
        self.moves_made = ""
        self.move_inputs: dict[int, MoveInputs] = {}
        self.offered_this_round = False
        self._result: dict[str, Any] | None = None
        issue_reporters = {
            f"offer.{i}": _offer_reporter(k) for k, i in enumerate(self.scenario.issues)
        }
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": "round",
                "proposer": "proposer_id",
                **issue_reporters,
                "agreed": "agreed",
                "moves": "moves_made",
            },
            agent_reporters={k: k for k in AGENT_COLUMNS},
            tables={
                "coalitions": ["round", "coalition", "consents"],
                "beliefs": list(BELIEF_COLUMNS),
            },
        )
        self._believed = self._beliefs_now()
        self._record_beliefs(self.round)  # the prior, before the first offer

    def _rules(self, order: tuple[str, ...] | None, step: float):
        """The protocol's round rules, when it is played round by round."""
        if self.protocol == "alternating":
            index = tuple(self.scenario.actor_index(a) for a in order) if order else None
            return Alternating(self.table, index)
        if self.protocol == "mediated":
            return Mediated(self.table, step)
        return None

    # ------------------------------------------------------------------ rounds
    @property
    def proposer_id(self) -> str:
        return self.scenario.actors[self.proposer] if self.proposer >= 0 else ""

    def step(self) -> None:
        """Play one round of the protocol (the core's rulebook, on this one run)."""
        if not self.running:
            return
        if self.rules is None:
            self.round = self.steps - 1
            self._collective_step(self.round)
            return
        self.round = t = self.table.first_round + self.steps - 1
        before = self.table.moves.moved.copy() if self.table.open_runs else None
        if self.table.open_runs:
            pointed = self.table.pointed()
            self.move_inputs[t] = MoveInputs(
                self.table.moves.copy(),
                self.table.clock(t),
                None if pointed is None else pointed.copy(),
            )
        record = self.table.play_round(self._learning_rules(), t)
        self._note_moves(before, t)
        self.offered_this_round = record is not None
        if record is not None:
            self.proposer = record.proposer
            self.offer = record.offer[0]
            self.agreed = bool(record.agreed[0])
            self.agents.do("update", record)
            self._record_coalitions(t, record.consent)
        else:
            self.agents.do("update", None)
        self.datacollector.collect(self)
        self._record_beliefs(t)
        if self.table.open_runs == 0:
            self._result = {k: v[0] for k, v in self.table.outputs().items() if k != "trace"}
            self.running = False

    def _note_moves(self, before: np.ndarray | None, t: int) -> None:
        """The moves made in round ``t`` (for the model table and plain-words reports)."""
        after = self.table.result["moved"][0] if self.table.open_runs == 0 else None
        now = after if after is not None else self.table.moves.moved[0]
        was = before[0] if before is not None else np.full_like(now, -1)
        made = [m.id for k, m in enumerate(self.scenario.all_moves) if now[k] >= 0 > was[k]]
        self.moves_made = ", ".join(made)

    # ------------------------------------------------------------------ collective models
    def _start_collective(self) -> None:
        """Every actor takes part in the forecast models; they move round by round."""
        t = self.table
        if self.protocol == "eum":
            self._eum_options = EUMOptions.of(**self.options)
            self._issues = []
            for i in range(len(self.scenario.issues)):
                x, s = t.positions[:, :, i].copy(), t.salience[:, :, i] / 100
                w, span, active = eum_setup(x, t.issue_power[:, :, i], s, t.party[:, :, i])
                self._issues.append([x, w, s, span, active])
            self.offer = self._eum_forecast()
        else:
            self._exchange = exchange_model_for(t, 0, **self.options)
            self.offer = self._exchange.outcome()

    def _eum_forecast(self) -> np.ndarray:
        return np.array([weighted_median(x, w, active)[0] for x, w, _, _, active in self._issues])

    def _collective_step(self, t: int) -> None:
        if self.protocol in ("eum", "exchange"):
            if self.protocol == "eum":
                for entry in self._issues:
                    x, w, s, span, active = entry
                    entry[0], _ = eum_round(x, w, s, span, active, self._eum_options)
                positions = np.stack([entry[0][0] for entry in self._issues], axis=1)
                self.offer = self._eum_forecast()
            else:
                played = self._exchange.step_round()
                positions, self.offer = played.positions, played.outcome_voting
            for agent in self.diplomats:
                agent.position = positions[agent.index]
            self.agents.do("evaluate", self.offer)
            self.datacollector.collect(self)
            if t == self.rounds - 1:
                self.agreed = True
                self.table.finish(
                    self.table.live.copy(),
                    self.rounds,
                    outcome=self.offer[None],
                    utility=self.table.utilities(self.offer[None]),
                )
                self._close()
            return
        get_protocol(self.protocol)(self.table, **self.options)  # one-shot: the shared rule
        res = self.table.result
        self.agreed = bool(res["agreed"][0])
        self.offer = res["outcome"][0]
        self.agents.do("evaluate", self.offer)
        self.datacollector.collect(self)
        self._close()

    def _close(self) -> None:
        self._result = {k: v[0] for k, v in self.table.outputs().items() if k != "trace"}
        self.running = False

    def _record_coalitions(self, t: int, consent: np.ndarray) -> None:
        for c, coalition in enumerate(self.scenario.coalitions):
            self.datacollector.add_table_row(
                "coalitions",
                {
                    "round": t,
                    "coalition": coalition.id,
                    "consents": float(consent[0, c]),
                },
            )

    # ------------------------------------------------------------------ beliefs
    def beliefs_frame(self) -> pd.DataFrame:
        """What each negotiator believes of the others, round by round, next to the truth.

        One row per round, observer, other negotiator (``about``) and issue, with the
        columns of :data:`BELIEF_COLUMNS`: the believed and the true ideal point and salience
        weight. The first round listed (``round`` one before the first played, -1 for most
        scenarios) holds the prior, the scenario's point estimates; round ``t`` the beliefs
        once the offer of round ``t`` was learned from (the table's
        :class:`~negosim.engine.beliefs.Beliefs`, ``docs/protocols.md``, "Information").

        Recorded only under ``information="learned"``: under ``"complete"`` every negotiator
        sees the true numbers, nothing is believed, and the frame is empty (with its columns).
        """
        return self.datacollector.get_table_dataframe("beliefs")

    def _beliefs_now(self) -> dict[int, tuple[np.ndarray, np.ndarray]] | None:
        """Each negotiator's believed ideal points and weights ``(A, I)`` in this run now
        (None under complete information)."""
        beliefs = self.table.beliefs
        if beliefs is None:
            return None
        return {
            a: (beliefs.positions[a][0].copy(), beliefs.weights[a][0].copy())
            for a in beliefs.states
        }

    def _learning_rules(self):
        """The round rules, which under learned information also keep the beliefs once the
        round's offer was learned from (the table drops a run's beliefs when the run closes,
        in the same round)."""
        if self._believed is None:
            return self.rules
        return _NotingBeliefs(self.rules, self)

    def _record_beliefs(self, t: int) -> None:
        """Rows of the ``beliefs`` table for round ``t`` (under learned information only)."""
        if self._believed is None:
            return
        sc, truth = self.scenario, (self.batch.positions[0], self.batch.weights[0])
        for a, (positions, weights) in self._believed.items():
            for j in self.table.beliefs.states[a]:
                for i, issue in enumerate(sc.issues):
                    self.datacollector.add_table_row(
                        "beliefs",
                        {
                            "round": t,
                            "observer": sc.actors[a],
                            "about": sc.actors[j],
                            "issue": issue,
                            "believed_position": float(positions[j, i]),
                            "position": float(truth[0][j, i]),
                            "believed_weight": float(weights[j, i]),
                            "weight": float(truth[1][j, i]),
                        },
                    )

    # ------------------------------------------------------------------ results
    def run(self) -> SimulationResult:
        """Step to agreement, exit or deadline; return :meth:`result`."""
        while self.running:
            self.step()
        return self.result()

    def result(self) -> SimulationResult:
        """The run as a one-run :class:`SimulationResult` (same fields as the core's)."""
        if self._result is None:
            raise RuntimeError("the negotiation is still open: call run() or step() until it ends")
        r = self._result
        return SimulationResult(
            self.scenario,
            agreed=np.array([r["agreed"]]),
            outcome=r["outcome"][None, :],
            utility=r["utility"][None, :],
            rounds=np.array([r["rounds"]]),
            exited=np.array([r["exited"]]),
            moved=r["moved"][None, :],
            consented=r["consented"][None, :],
            no_deal=r["no_deal"][None, :],
            no_deal_utility=r["no_deal_utility"][None, :],
            seed=None,
            protocol=self.protocol,
            deadline=self.rounds,
        )


class _NotingBeliefs:
    """Round rules that, after the round's offer was put on the table and learned from,
    keep the model's copy of the beliefs (before the table closes the run)."""

    def __init__(self, rules, model: DiplomacyModel) -> None:
        self.rules, self.model = rules, model

    def round(self, table: Table, t: int):
        record = self.rules.round(table, t)
        self.model._believed = self.model._beliefs_now()
        return record

    def advance(self, table: Table, record, kept) -> None:
        self.rules.advance(table, record, kept)


def _offer_reporter(k: int):
    return lambda m: float(m.offer[k]) if m.offer is not None else np.nan


def trace_frame(model: DiplomacyModel) -> pd.DataFrame:
    """One row per round and agent: the offer on the table and each agent's utility, target and
    response, joined from the model's DataCollector (for teaching tables and figures)."""
    agents = model.datacollector.get_agent_vars_dataframe().reset_index()
    rounds = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    rounds["Step"] = np.arange(1, len(rounds) + 1)
    return (
        agents.merge(rounds, on="Step").drop(columns=["AgentID"]).rename(columns={"Step": "step"})
    )


def _of_run(strategies: dict[int, Strategy], run: int, scenario: Scenario) -> dict[int, Strategy]:
    """The strategies of Monte Carlo run ``run``: a parameter given one value per run (a
    class's ``per_run``) keeps that run's value."""
    out = {}
    for actor, strategy in strategies.items():
        taken = {}
        for key in strategy.per_run:
            value = getattr(strategy, key, None)
            if np.ndim(value) == 0:
                continue
            if np.ndim(value) != 1 or run >= len(value):
                raise ArgumentError(
                    f"strategies[{scenario.actors[actor]!r}]",
                    f"parameter {key}: shape {np.shape(value)}, no value for run {run}",
                )
            taken[key] = np.asarray(value, dtype=float)[run : run + 1]
        out[actor] = with_params(strategy, taken)
    return out
