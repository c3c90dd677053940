"""DiplomacyModel: one negotiation, round by round, as a Mesa model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from negosim.abm.agents import Diplomat
from negosim.engine import strategies_and_defaults, with_sampled_params
from negosim.protocols import Table, amend_text, compromise_text, get_protocol, objections
from negosim.protocols.eum import EUMOptions, eum_round, eum_setup, weighted_median
from negosim.protocols.exchange import exchange_model_for
from negosim.results import SimulationResult
from negosim.sampling import ScenarioBatch, sample
from negosim.scenario import Scenario
from negosim.strategies import Strategy

AGENT_COLUMNS = {
    "actor": "actor id",
    "role": "negotiator, ratifier or mediator",
    "utility": "the agent's utility of the package on the table this round",
    "target": "its strategy's target utility this round (negotiators; NaN otherwise)",
    "accepted": "1 accepted / voted yes, 0 rejected or objected, NaN not asked",
}
"""Columns of ``datacollector.get_agent_vars_dataframe()`` (one row per round and agent)."""


class DiplomacyModel(mesa.Model):
    """One run of a scenario negotiated by :class:`Diplomat` agents.

    Parameters
    ----------
    scenario
        The scenario (default: the bundled ``package_2007``).
    seed
        Seed of the run streams (as in :func:`negosim.simulate`) and of Mesa's ``rng``.
    run
        Which run of the seeded Monte Carlo to play: the model then gives the same result as
        run ``run`` of ``simulate(scenario, runs, seed)``.
    batch
        Alternatively, an already sampled batch; ``run`` indexes it.
    protocol, strategies, rounds, order, step, **options
        As in :func:`negosim.simulate` (``options`` are the protocol's, e.g. ``variant`` of
        the expected utility model).

    Attributes
    ----------
    datacollector
        Model table: one row per round with ``proposer``, ``offer.<issue>`` and ``agreed``;
        agent table: one row per round and agent with the columns of :data:`AGENT_COLUMNS`;
        table ``coalitions``: round, coalition, consents (1/0, NaN when not asked).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        seed: int | None = None,
        run: int = 0,
        batch: ScenarioBatch | None = None,
        protocol: str | None = None,
        strategies: Mapping[str, Strategy | str] | None = None,
        rounds: int | None = None,
        order: tuple[str, ...] | None = None,
        step: float = 0.2,
        **options: Any,
    ) -> None:
        super().__init__(rng=seed)
        if batch is None:
            if scenario is None:
                from negosim.scenario import load_scenario

                scenario = load_scenario("package_2007")
            batch = sample(scenario, 1, seed, start=run)
        else:
            batch = batch.take(slice(run, run + 1))
        self.scenario, self.batch = batch.scenario, batch
        self.protocol = protocol or self.scenario.protocol
        get_protocol(self.protocol)
        self.options = options
        chosen, from_scenario = strategies_and_defaults(self.scenario, strategies)
        chosen = with_sampled_params(batch, chosen, from_scenario)
        self.rounds = int(rounds or self.scenario.rounds)
        self.table = Table(batch, chosen, self.rounds)
        self.step_size = step
        self.order = (
            tuple(self.scenario.actor_index(a) for a in order) if order else self.table.negotiators
        )
        self.exit_round, self.exiter = self.table.exit_round()
        for index in range(len(self.scenario.actors)):
            Diplomat(self, index, chosen.get(index))
        self.diplomats = sorted(self.agents, key=lambda a: a.index)
        self.round = 0
        self.offer = compromise_text(self.table)[0] if self.protocol == "mediated" else None
        if self.protocol in ("eum", "exchange"):
            self._start_collective()
        self.proposer: int = -1
        self.agreed = False
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
            },
            agent_reporters={k: k for k in AGENT_COLUMNS},
            tables={"coalitions": ["round", "coalition", "consents"]},
        )

    # ------------------------------------------------------------------ rounds
    @property
    def proposer_id(self) -> str:
        return self.scenario.actors[self.proposer] if self.proposer >= 0 else ""

    def step(self) -> None:
        """Play one round of the protocol."""
        if not self.running:
            return
        self.round = t = self.steps - 1
        if self.protocol not in ("alternating", "mediated"):
            self._collective_step(t)
            return
        if t >= self.exit_round:
            self._finish(t, exited=self.exiter)
            return
        votes, consent, agreed = (
            self._alternating_round(t)
            if self.protocol == "alternating"
            else self._mediated_round(t)
        )
        self.agreed = bool(agreed)
        self._record_coalitions(t, consent)
        self.datacollector.collect(self)
        if agreed:
            self._finish(t, outcome=self.offer)
        else:
            if self.protocol == "alternating":
                proposer = self.diplomats[self.proposer]
                self._negotiators(but=proposer).do("observe", self.proposer, self.offer)
            else:
                objects = objections(self.table, votes, consent)
                self.offer = amend_text(self.table, self.offer[None], objects, self.step_size)[0]
            if t == self.rounds - 1:
                self._finish(self.rounds)

    def _alternating_round(self, t: int):
        proposer = self.diplomats[self.order[t % len(self.order)]]
        self.proposer = proposer.index
        self.offer = proposer.propose()
        self.agents.do("evaluate", self.offer)
        respondents = self._negotiators(but=proposer)
        respondents.do("respond")
        self.agents.select(lambda a: a.role != "negotiator").do("consider_ratifying")
        proposer.accepted = 1.0
        votes = self._votes()
        consent = self.table.coalition_consent(self.offer[None], votes)
        agreed = all(a.accepted == 1.0 for a in respondents) and consent.all()
        return votes, consent, agreed

    def _mediated_round(self, t: int):
        self.agents.do("evaluate", self.offer)
        self._negotiators().do("respond")
        self.agents.select(lambda a: a.role != "negotiator").do("consider_ratifying")
        votes = self._votes()
        consent = self.table.coalition_consent(self.offer[None], votes)
        agreed = not objections(self.table, votes, consent).any() and consent.all()
        return votes, consent, agreed

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
                self._finish(self.rounds, outcome=self.offer)
            return
        get_protocol(self.protocol)(self.table, **self.options)  # one-shot: the shared rule
        res = self.table.result
        self.agreed = bool(res["agreed"][0])
        self.offer = res["outcome"][0]
        self.agents.do("evaluate", self.offer)
        self.datacollector.collect(self)
        self._finish(0, outcome=self.offer if self.agreed else None)

    def _negotiators(self, but: Diplomat | None = None) -> mesa.agent.AgentSet:
        return self.agents.select(lambda a: a.role == "negotiator" and a is not but)

    def _votes(self) -> np.ndarray:
        return np.array([[a.accepted == 1.0 for a in self.diplomats]])

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

    def _finish(self, t: int, *, outcome: np.ndarray | None = None, exited: int = -1) -> None:
        agreed = outcome is not None
        if agreed:
            utility = np.array([a.utility for a in self.diplomats]) * self.batch.discount[0] ** t
        else:
            utility, outcome = np.array(self.batch.reservation[0], float), self.scenario.status_quo
        self._result = {
            "agreed": agreed,
            "outcome": np.array(outcome, float),
            "utility": utility,
            "rounds": t,
            "exited": exited,
        }
        self.running = False

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
            seed=None,
            protocol=self.protocol,
            deadline=self.rounds,
        )


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
