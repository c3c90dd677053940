"""The negotiating table of one chunk of runs, and the one rulebook of a round.

Protocols state how offers are made and answered (:class:`RoundRules`); the :class:`Table`
holds what every protocol needs (the runs still open, each actor's
:class:`~negosim.model.strategies.View`, coalition votes, unilateral moves, the result arrays) and
plays each round by the same steps (:meth:`Table.play_round`), for a batch of a million runs
in the vectorized core and for the single run of a Mesa :class:`~negosim.abm.DiplomacyModel`:

1. moves: every move whose window is open is made where it is worth more to its movers than
   the best package others have put on the table since the last move (:mod:`negosim.model.moves`);
   a move that ends the talks, or leaves no issue on the table, closes its runs without
   agreement;
2. the protocol's round: a package on the table (settled issues at their settled values),
   responses, coalition votes, agreement;
3. agreed runs close; the protocol updates what it keeps (``advance``);
4. at the deadline the open runs close without agreement; every closing without agreement
   makes the end-of-talks moves and records the no-agreement package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from negosim.engine.beliefs import (
    Beliefs,
    PublicKnowledge,
    Truth,
    accuracy_packages,
    model_of,
)
from negosim.engine.sampling import ScenarioBatch
from negosim.model.information import DEFAULT_MODEL, MEASURES
from negosim.model.moves import Clock, Valuation
from negosim.model.ratification import (
    RESERVATION_TOLERANCE,
    CoalitionRule,
    coalition_rules,
    deal_floor,
    every,
    meets_reservation,
    reservation_floor,
    some,
)
from negosim.model.strategies import (
    ACCEPT_TOLERANCE,
    Strategy,
    View,
    checked_respond,
    checked_target,
)
from negosim.model.strategies.base import of_runs, take_rows
from negosim.model.strategies.time_dependent import answers_by_time, aspiration

COMPACT_WHEN_DEAD = 0.25
"""Drop finished runs from the working arrays once this share of them has finished."""

__all__ = [
    "RESERVATION_TOLERANCE",
    "CoalitionRule",
    "RoundRecord",
    "RoundRules",
    "Table",
    "meets_reservation",
    "play",
]


@dataclass
class RoundRecord:
    """What happened in one round, one row per run open when the round began.

    Attributes
    ----------
    t
        The round.
    ids
        ``(R,)`` run index (within the chunk) of each row.
    offer
        ``(R, I)`` the package on the table.
    proposer
        The proposing actor, or -1 (a mediator's text).
    utility
        ``(R, A)`` every actor's utility of the package.
    yes
        ``(R, A)`` whether each actor accepted it (negotiators) or would ratify it (others).
    consent
        ``(R, C)`` whether each coalition consents (True where it is not asked).
    agreed
        ``(R,)`` whether the package was agreed.
    target
        ``(R, A)`` the negotiators' targets (NaN for others), or None when not asked for.
    """

    t: int
    ids: np.ndarray
    offer: np.ndarray
    proposer: int
    utility: np.ndarray
    yes: np.ndarray
    consent: np.ndarray
    agreed: np.ndarray
    target: np.ndarray | None = None


class RoundRules(Protocol):
    """A round-based protocol: how one round is played on the open runs of a table."""

    def round(self, table: Table, t: int) -> RoundRecord:
        """Put a package on the table in every open run and collect the answers."""

    def advance(self, table: Table, record: RoundRecord, kept: np.ndarray | None) -> None:
        """After the agreed runs closed (``kept``: rows of the record still open, or None
        when none closed), update what the protocol keeps between rounds."""


def round_dtype(rounds: int) -> np.dtype:
    """The narrowest signed integer type that holds every round number and -1."""
    return next(np.dtype(t) for t in (np.int8, np.int16, np.int32) if rounds <= np.iinfo(t).max)


def play(table: Table, rules: RoundRules) -> None:
    """Play ``rules`` round by round until every run has closed."""
    for t in range(table.first_round, table.rounds):
        if table.open_runs == 0:
            return
        table.play_round(rules, t)


class Table:
    """Working state of one chunk of runs under a protocol.

    Parameters
    ----------
    batch
        The sampled runs.
    strategies
        Strategy of each negotiating actor (by actor index).
    rounds
        Deadline T.
    trace
        Record per-round details of the first ``trace`` runs of this chunk.
    targets
        Compute the negotiators' targets every round even without a trace (the Mesa model
        shows them).
    information
        ``"complete"``: every view holds every actor's true numbers; ``"learned"``: an
        actor's view holds its own and its beliefs of the others (:mod:`negosim.engine.beliefs`).
    opponent_model
        The opponent model (a registered name or an object) of the negotiators whose
        strategies name none, under ``"learned"``.
    """

    def __init__(
        self,
        batch: ScenarioBatch,
        strategies: dict[int, Strategy],
        rounds: int,
        trace: int = 0,
        targets: bool = False,
        information: str = "complete",
        opponent_model: str | object = DEFAULT_MODEL,
    ) -> None:
        sc = batch.scenario
        self.information = information
        self.batch = batch  # as sampled: one-shot protocols read it before any run is dropped
        self.scenario, self.rounds, self.strategies = sc, rounds, dict(strategies)
        self.negotiators = tuple(sorted(strategies))
        # negotiators answered together (:meth:`respond`), as columns, and those asked one
        # by one; dropping runs keeps them so
        self.by_time = tuple(j for j in self.negotiators if answers_by_time(strategies[j]))
        self.by_time_columns = _as_index(self.by_time) if self.by_time else None
        self.asked = tuple(j for j in self.negotiators if j not in self.by_time)
        self.observers = tuple(j for j in self.negotiators if observes(strategies[j]))
        self.negotiator_columns = _as_index(self.negotiators) if strategies else None
        self.others = len(strategies) < len(sc.actors)  # some actors vote by reservation
        self.loss, self.span = sc.loss, sc.high - sc.low
        n = batch.runs
        self.seed, self.start = batch.seed, batch.start
        self.first_round = math.ceil(sc.start * (rounds - 1) - 1e-9)
        self.ids = np.arange(n)
        self.live = np.ones(n, dtype=bool)
        self.positions = np.ascontiguousarray(batch.positions)
        self.weights = np.ascontiguousarray(batch.weights)
        self.issue_power = batch.issue_power
        self.salience = batch.salience
        parties = np.array([r != "mediator" for r in sc.roles])
        self.ratifiers = np.array([r == "ratifier" for r in sc.roles])
        self.party = np.broadcast_to(sc.participation & parties[:, None], batch.salience.shape)
        self.reservation = np.array(batch.reservation, dtype=float)
        self.declared = ~np.isnan(sc.reservation)
        self.discount = np.ascontiguousarray(batch.discount)
        self.status_quo = sc.status_quo
        self.evaluate = batch.evaluator
        self.counterpart, self.counterpart_weights = {}, {}
        self.beliefs: Beliefs | None = None
        if information == "complete":
            terms = _group_terms(batch) if self.negotiators and len(sc.issues) > 1 else None
            for a in self.negotiators:
                self.counterpart[a], self.counterpart_weights[a] = _counterpart(
                    batch, a, self.negotiators, terms
                )
            del terms
        else:
            self.public = PublicKnowledge.of(sc)
            models = {a: model_of(strategies[a], opponent_model) for a in self.negotiators}
            self.beliefs = Beliefs(batch, self.negotiators, models, self.public, rounds)
            for a in self.negotiators:
                self._believe_counterpart(a)
            self.accuracy_packages = accuracy_packages(sc)
        self.states: dict[int, dict] = {a: {} for a in self.negotiators}
        self.noise = {
            a: batch.uniforms(1 + a, rounds + 1)
            for a, s in strategies.items()
            if s.classifier.get("stochastic")
        }
        self.coalitions = coalition_rules(sc)
        self.moves = batch.move_state(self.first_round)
        # the latest package each proposer (-1: a mediator's text) put on the table: the
        # talks point to their mean, which movers weigh their moves against
        self.offers: dict[int, np.ndarray] = {}
        # View.memo per actor: what its view gives until the next move or dropped runs
        self._memo: dict[int, dict] = {}
        self.want_targets = bool(trace) or targets
        self._cache: dict[str, np.ndarray] = {}  # derived per-run arrays, until runs are dropped
        n_actors, n_issues = len(sc.actors), len(sc.issues)
        self.result = {
            "agreed": np.zeros(n, dtype=bool),
            "outcome": np.broadcast_to(sc.status_quo, (n, n_issues)).copy(),
            "utility": np.array(batch.reservation, dtype=float),
            "rounds": np.full(n, rounds, dtype=round_dtype(rounds)),
            "exited": np.full(n, -1, dtype=np.min_scalar_type(-len(sc.actors))),
            "moved": self.moves.moved.astype(round_dtype(rounds)),
            "consented": np.array(self.moves.consented),
            "no_deal": np.broadcast_to(sc.status_quo, (n, n_issues)).copy(),
            "no_deal_utility": np.array(batch.reservation, dtype=float),
        }
        if self.beliefs is not None:
            for m in MEASURES:
                self.result[f"belief_{m}"] = np.full((n, n_actors), np.nan)
        self.trace_runs = min(trace, n)
        if self.trace_runs:
            k, t = self.trace_runs, rounds
            self.trace = {
                "offer": np.full((k, t, n_issues), np.nan),
                "proposer": np.full(t, -1, dtype=np.int64),
                "utility": np.full((k, t, n_actors), np.nan),
                "target": np.full((k, t, n_actors), np.nan),
                "accepted": np.full((k, t, n_actors), np.nan),
                "consent": np.full((k, t, len(self.coalitions)), np.nan),
            }
            if self.beliefs is not None:
                self.trace["belief"] = np.full((k, t, n_actors, len(MEASURES)), np.nan)

    # ------------------------------------------------------------------ views
    def view(self, actor: int, t: int) -> View:
        """What ``actor`` sees at round ``t`` in the open runs."""
        noise = None
        if actor in self.noise:
            table = self.noise[actor]
            noise = lambda k: table[:, k]  # noqa: E731
        positions, weights = self.positions, self.weights
        reservation, discount = self.deal_floor(), self.discount
        if self.beliefs is not None and actor in self.beliefs.positions:
            positions, weights = self.beliefs.positions[actor], self.beliefs.weights[actor]
            floors, discounts = (
                self.cached("believed_floor", dict),
                self.cached("believed_discount", dict),
            )
            if actor not in floors:
                floors[actor] = self.beliefs.reservation(actor, self.deal_floor())
                discounts[actor] = self.beliefs.discount(actor, self.discount)
            reservation, discount = floors[actor], discounts[actor]
        view = View(
            me=actor,
            t=t,
            rounds=self.rounds,
            positions=positions,
            weights=weights,
            span=self.span,
            reservation=reservation,
            discount=discount,
            counterpart=self.counterpart.get(actor, self.positions[:, actor, :]),
            counterpart_weights=self.counterpart_weights.get(actor, self.weights[:, actor, :]),
            negotiators=self.negotiators,
            state=self.states.setdefault(actor, {}),
            noise=noise,
            loss=self.loss,
            settled=self.moves.settled if self.moves.book.size else None,
            fixed=self.moves.package if self.moves.book.size else None,
            memo=self._memo.setdefault(actor, {}),
            scale=(self.scenario.low, self.scenario.high),
            information=self.information,
        )
        return view

    def _believe_counterpart(self, actor: int) -> None:
        """``actor``'s counterpart as it believes it (under ``"learned"``)."""
        believed = self.beliefs.counterpart(actor, self.negotiators)
        self.counterpart[actor], self.counterpart_weights[actor] = believed

    def text_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(R, A, I)`` positions, issue powers and saliences a mediator drafts its text
        from: the true ones under ``"complete"``; under ``"learned"`` the scenario's point
        estimates (a mediator sees only what the parties reveal: their objections)."""
        if self.beliefs is None:
            return self.positions, self.issue_power, self.salience
        shape = self.positions.shape
        public = self.public
        return tuple(
            np.broadcast_to(x, shape)
            for x in (public.positions, public.issue_power, public.salience)
        )

    def run_rng(self, row: int) -> np.random.Generator:
        """A generator of its own for open run ``row`` (for protocols that draw per run)."""
        run = self.start + int(self.ids[row])
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(run, 0, 0)))

    def clock(self, t: int) -> Clock:
        """Round ``t`` in relative time (what moves are timed by)."""
        previous = self.tau(t - 1) if t > 0 else -math.inf
        return Clock(t, self.tau(t), previous, self.tau(t + 1) if t < self.rounds - 1 else None)

    def pointed(self) -> np.ndarray | None:
        """``(R, I)`` the package the talks point to: the mean of the latest package of each
        proposer (split the difference), where it is a deal (every negotiator gains the
        margin over no deal from it and every coalition it asks consents, its other members
        voting by their reservations); NaN where it is not (the talks then point to no
        deal), None before anything was put on the table."""
        if not self.offers:
            return None
        middle = self.on_table(sum(self.offers.values()) / len(self.offers))
        if self.negotiators:
            utility = self.utilities(middle)
            votes = self.reservation_votes(utility)
            votes[:, self.negotiator_columns] = self.beats_no_deal(utility, 0)
            deal = every(votes[:, self.negotiator_columns])
            deal &= every(self.coalition_consent(middle, votes))
            middle[~deal] = np.nan
        return middle

    @property
    def valuation(self) -> Valuation:
        """Ideal points, weights, ranges and loss of the open runs (what moves are valued by)."""
        return Valuation(self.positions, self.weights, self.span, self.loss)

    def cached(self, key: str, build):
        """A per-run array derived from the table's (or a dict of them, per actor), built once
        until finished runs are dropped (``build()`` makes it)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def open_runs(self) -> int:
        return int(self.live.sum())

    def tau(self, t: int) -> float:
        """Relative time of round ``t``."""
        return t / max(self.rounds - 1, 1)

    # ------------------------------------------------------------------ round helpers
    def utilities(self, packages: np.ndarray) -> np.ndarray:
        """Every actor's utility of one package per open run, ``(R, A)``."""
        return self.evaluate(packages)

    def on_table(self, packages: np.ndarray) -> np.ndarray:
        """A proposed package as it is put on the table: clipped to the scales, with every
        issue a move has settled at its settled value."""
        clipped = np.clip(packages, self.scenario.low, self.scenario.high)
        return self.moves.fix_settled(clipped) if self.moves.book.size else clipped

    def coalition_consent(self, offer: np.ndarray, votes: np.ndarray) -> np.ndarray:
        """Per coalition, whether it consents ``(R, C)``; coalitions whose ratified issues
        the package leaves at the status quo are not asked and consent."""
        out = np.ones((len(offer), len(self.coalitions)), dtype=bool)
        if not self.coalitions:
            return out
        # issue- and actor-major copies: a coalition's issues and members are then rows
        moved = np.ascontiguousarray((np.abs(offer - self.status_quo) > 1e-12).T)
        by_actor = np.ascontiguousarray(votes.T)
        for c, rule in enumerate(self.coalitions):
            asked = np.logical_or.reduce(moved[rule.ratifies], axis=0)
            out[:, c] = ~asked | rule.consents(by_actor[rule.members].T)
        return out

    def reservation_votes(self, utility: np.ndarray) -> np.ndarray:
        """Yes votes of actors that consent iff the package is worth their reservation."""
        return utility >= self.reservation_floor()

    def reservation_floor(self) -> np.ndarray:
        """The least utility each actor says yes to ``(R, A)`` (:func:`reservation_floor`)."""
        return self.cached("floor", lambda: reservation_floor(self.reservation))

    def deal_floor(self) -> np.ndarray:
        """The least utility of a package that a deal must give each actor ``(R, A)``: its
        no-deal utility plus the deal margin (:func:`~negosim.model.ratification.deal_floor`);
        what a strategy's view holds as its reservation."""
        return self.cached("deal_floor", lambda: deal_floor(self.reservation))

    def no_deal_value(self) -> np.ndarray:
        """Each actor's utility of no deal from here ``(R, A)``, as a run without agreement
        records it: a declared reservation, else the package the end-of-talks moves would
        make, less every cost paid (those already paid too)."""
        return np.where(self.declared, self.reservation, self.reservation - self.moves.paid)

    def beats_no_deal(self, utility: np.ndarray, t: int) -> np.ndarray:
        """Whether a package worth ``utility`` ``(R, A)`` at round ``t`` is a deal for each
        negotiator ``(R, N)`` (columns :attr:`negotiators`): its value as an agreement
        records it (less the costs paid, discounted to round ``t``) is at least its no-deal
        value plus the deal margin (``docs/protocols.md``, "Deals beat no deal")."""
        cols = self.negotiator_columns
        value = utility[:, cols] - self.moves.paid[:, cols]
        if t and not self.cached("patient", lambda: np.all(self.discount == 1.0)):
            value = value * self.discount[:, cols] ** t
        floor = deal_floor(self.no_deal_value()[:, cols])
        return value >= floor - ACCEPT_TOLERANCE

    def votes(self, utility: np.ndarray, t: int) -> np.ndarray:
        """Every actor's yes to a package worth ``utility`` ``(R, A)`` at round ``t``: the
        negotiators answer by their strategies (:meth:`respond`), every other actor by its
        reservation (:meth:`reservation_votes`)."""
        if self.others:  # one pass over every actor beats picking the others out
            votes = self.reservation_votes(utility)
        else:
            votes = np.empty(utility.shape, dtype=bool)
        self.respond(utility, t, votes)
        if self.negotiators:  # whatever a strategy answers, no deal that does not beat no deal
            votes[:, self.negotiator_columns] &= self.beats_no_deal(utility, t)
        return votes

    def respond(self, utility: np.ndarray, t: int, votes: np.ndarray) -> None:
        """Every negotiator's answer at round ``t`` to a package worth ``utility`` ``(R, A)``
        to each actor, into the columns of ``votes``: by its strategy's ``respond``. The
        negotiators whose strategies answer by time alone (:func:`answers_by_time`) are
        answered together, by the same arithmetic, in one pass over them."""
        if self.by_time:
            cols, tau = self.by_time_columns, self.tau(t)
            conceded = np.array([self.strategies[j].conceded(tau) for j in self.by_time])
            target = aspiration(self.deal_floor()[:, cols], conceded)
            votes[:, cols] = utility[:, cols] >= target - ACCEPT_TOLERANCE
        for j in self.asked:
            votes[:, j] = checked_respond(self.strategies[j], self.view(j, t), utility[:, j])

    def observe(self, t: int, proposer: int, offer: np.ndarray) -> None:
        """Every negotiator but the proposer observes the offer: under ``"learned"`` its
        opponent model learns from it first; then its strategy observes it (those whose
        strategies observe nothing are skipped: no view is built for them)."""
        if self.beliefs is not None:
            for a in self.beliefs.learn(proposer, offer, t):
                self._believe_counterpart(a)
                self._memo.pop(a, None)
        for j in self.observers:
            if j != proposer:
                self.strategies[j].observe(self.view(j, t), proposer, offer)

    def targets(self, t: int) -> np.ndarray:
        """The negotiators' targets at round ``t`` ``(R, A)`` (NaN for other actors)."""
        out = np.full(self.positions.shape[:2], np.nan)
        for j in self.negotiators:
            out[:, j] = checked_target(self.strategies[j], self.view(j, t))
        return out

    # ------------------------------------------------------------------ the round
    def play_round(self, rules: RoundRules, t: int) -> RoundRecord | None:
        """Play round ``t`` by the rulebook (module docstring); the protocol's record, or
        None when moves closed every open run first."""
        if self.moves.book.size:
            self._moves(t)
            if self.open_runs == 0:
                return None
        record = rules.round(self, t)
        if self.trace_runs:
            self._record(record)
        if self.moves.book.size:  # where the talks point: only moves weigh it
            self.offers[record.proposer] = record.offer
        kept = self.finish(record.agreed, t, outcome=record.offer, utility=record.utility)
        rules.advance(self, record, kept)
        if t == self.rounds - 1:
            self.finish(self.live.copy(), self.rounds)
        elif self.moves.book.size:
            self._next_reservations(t)
        return record

    def _next_reservations(self, t: int) -> None:
        """After round ``t``, the reservations for round ``t + 1`` in the open runs where
        they change with the clock: a window that closed in round ``t`` (its move no longer
        counts), or a move whose cost changes with time (its cost at the end of the talks
        moves with their end)."""
        book, clock = self.moves.book, self.clock(t)
        unmade = self.moves.moved < 0
        closed = clock.open(book) & (book.latest <= clock.tau + 1e-12)
        rows = self.live & some(unmade & (closed | (book.cost_rate != 0)))
        if rows.any():
            self._update_reservations(self.clock(t + 1), rows)

    def _moves(self, t: int) -> None:
        """Step 1: the moves of round ``t``; closes the runs a move ended."""
        clock, book = self.clock(t), self.moves.book
        open_now = clock.open(book)
        if not open_now.any():
            return
        ended = self.moves.decide(clock, self.valuation, self.pointed, self.live)
        made = some(self.moves.moved == t)
        if made.any():  # what no deal gives if the talks end in this round, from here
            self._memo.clear()
            self._update_reservations(clock, made)
        ended |= self.live & every(self.moves.settled)  # nothing left to negotiate
        if ended.any():
            self.finish(ended, t)

    def _update_reservations(self, clock: Clock, rows: np.ndarray) -> None:
        """Reservations (undeclared only) in the ``rows`` where a move was made or a window
        is about to close: what no agreement would give if the talks ended at ``clock``."""
        rows = np.flatnonzero(rows)
        batna = self.moves.take(rows).reservation(
            clock, self.valuation.take(rows), lambda packages: self.evaluate(packages, rows)
        )
        self.reservation[rows] = np.where(self.declared, self.reservation[rows], batna)
        for key in ("floor", "deal_floor", "believed_floor"):  # what reservations give
            self._cache.pop(key, None)

    def _record(self, record: RoundRecord) -> None:
        """Store trace rows of a round for the traced runs that are still open (a closed run
        keeps its row in the working arrays until they are compacted: not its trace)."""
        rows = np.flatnonzero((record.ids < self.trace_runs) & self.live)
        ids, t = record.ids[rows], record.t
        self.trace["proposer"][t] = record.proposer
        self.trace["offer"][ids, t] = record.offer[rows]
        self.trace["utility"][ids, t] = record.utility[rows]
        self.trace["accepted"][ids, t] = record.yes[rows]
        self.trace["consent"][ids, t] = record.consent[rows]
        if record.target is not None:
            self.trace["target"][ids, t] = record.target[rows]
        if self.beliefs is not None:
            self.trace["belief"][ids, t] = self.belief_accuracy(rows)

    def finish(
        self,
        done: np.ndarray,
        t: int,
        *,
        outcome: np.ndarray | None = None,
        utility: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """Close the open runs in ``done`` at round ``t``: agreed on ``outcome`` (with
        ``utility``) if given, else without agreement, after the end-of-talks moves.

        Returns the mask of rows kept when finished runs were dropped from the working
        arrays (protocols apply it to their own per-run arrays), else None.
        """
        done = done & self.live
        if not done.any():
            return None
        rows, ids = np.flatnonzero(done), self.ids[done]
        res, moves = self.result, self.moves
        res["rounds"][ids] = t
        if outcome is not None:
            res["agreed"][ids] = True
            res["outcome"][ids] = outcome[rows]
            res["utility"][ids] = (utility[rows] - moves.paid[rows]) * self.discount[rows] ** t
            # what no deal would have given: the package of the end-of-talks moves from here
            probe = moves.take(rows).copy() if moves.book.size else None
            if probe is not None:
                probe.settle(
                    self.rounds, self.clock(t), self.valuation.take(rows), np.ones(rows.size, bool)
                )
                res["no_deal"][ids] = probe.package
            res["no_deal_utility"][ids] = self.no_deal_value()[rows]
        else:
            clock = self.clock(min(t, self.rounds - 1))
            moves.settle(self.rounds, clock, self.valuation, done)  # after the talks: round T
            res["outcome"][ids] = moves.package[rows]
            worth = self.evaluate(moves.package[rows], rows) - moves.paid[rows]
            res["utility"][ids] = np.where(self.declared, self.reservation[rows], worth)
            res["no_deal"][ids] = res["outcome"][ids]
            res["no_deal_utility"][ids] = res["utility"][ids]
        if self.beliefs is not None:
            measured = self.belief_accuracy(rows)
            for k, m in enumerate(MEASURES):
                res[f"belief_{m}"][ids] = measured[..., k]
        res["exited"][ids] = moves.exited[rows]
        res["moved"][ids] = moves.moved[rows]
        res["consented"][ids] = moves.consented[rows]
        self.live &= ~done
        if self.live.size and (~self.live).mean() >= COMPACT_WHEN_DEAD:
            return self._compact()
        return None

    def _compact(self) -> np.ndarray:
        """Drop finished runs from every per-run array (the table's, the moves', and the
        strategies' state and per-run parameters), in this one place."""
        keep = self.live
        self.ids = self.ids[keep]
        self.positions, self.weights = self.positions[keep], self.weights[keep]
        self.evaluate = self.evaluate.take(keep)
        self.issue_power = self.issue_power[keep]
        self.salience, self.party = self.salience[keep], self.party[keep]
        self.reservation, self.discount = self.reservation[keep], self.discount[keep]
        self.counterpart = {a: v[keep] for a, v in self.counterpart.items()}
        self.counterpart_weights = {a: v[keep] for a, v in self.counterpart_weights.items()}
        self.noise = {a: v[keep] for a, v in self.noise.items()}
        self.moves = self.moves.take(keep)
        if self.beliefs is not None:
            self.beliefs.take(keep)
        self.offers = {p: offer[keep] for p, offer in self.offers.items()}
        self._memo.clear()
        self._cache.clear()
        for state in self.states.values():
            take_rows(state, keep)
        self.strategies = {a: of_runs(s, keep, keep.size) for a, s in self.strategies.items()}
        self.live = np.ones(int(keep.sum()), dtype=bool)
        return keep

    def belief_accuracy(self, rows: np.ndarray) -> np.ndarray:
        """``(len(rows), A, M)`` how well each negotiator knows the others in the open
        ``rows`` (:meth:`~negosim.engine.beliefs.Beliefs.measured`)."""
        truth = Truth(
            self.positions[rows], self.weights[rows], self.reservation[rows], self.span, self.loss
        )
        return self.beliefs.measured(truth, rows, self.accuracy_packages)

    def outputs(self) -> dict[str, np.ndarray]:
        """The result arrays (and the trace, if any)."""
        out = dict(self.result)
        if self.trace_runs:
            out["trace"] = self.trace
        return out


def _counterpart(
    batch: ScenarioBatch, me: int, negotiators: tuple[int, ...], terms: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Power-weighted position and salience of the other ``negotiators`` (else of all others);
    ``terms`` as :func:`_group_sums` takes them."""
    sc = batch.scenario
    others = [j for j in negotiators if j != me]
    fallback = [j for j in range(len(sc.actors)) if j != me and sc.roles[j] != "mediator"]
    position = batch.positions[:, me, :].copy()
    weights = np.zeros_like(position)
    for group in (fallback, others):  # the negotiators win where they take part
        if not group or (group is others and others == fallback):
            continue
        total, mean, w = _group_sums(batch, group, terms)
        ok = total > 0
        position = np.where(ok, np.divide(mean, total, out=np.zeros_like(mean), where=ok), position)
        weights = np.where(ok, w / batch.power[:, group].sum(axis=1)[:, None], weights)
    return position, weights


def _group_sums(
    batch: ScenarioBatch, group: list[int], terms: np.ndarray | None
) -> tuple[np.ndarray, ...]:
    """Over the actors in ``group``, ``(R, I)`` sums of their power on each issue they are
    party to, of that power x position, and of their power x salience weight.

    With more than one issue numpy sums the actor axis of ``(R, A, I)`` arrays actor by
    actor, so the sums add the actor-major ``terms`` (:func:`_group_terms`) in that order;
    with one issue (``terms`` None) it sums pairwise, and that case keeps numpy's reduction.
    """
    if terms is None:
        p = batch.issue_power[:, group, :] * batch.scenario.participation[group, :]
        w = np.einsum("rj,rji->ri", batch.power[:, group], batch.weights[:, group, :])
        return p.sum(axis=1), np.einsum("rji,rji->ri", p, batch.positions[:, group, :]), w
    sums = np.zeros(terms.shape[1:])
    for j in group:
        sums += terms[j]
    return tuple(sums)


def _group_terms(batch: ScenarioBatch) -> np.ndarray:
    """``(A, 3, R, I)``: per actor, its power on each issue it is party to, that power x its
    position, and its power x its salience weight."""
    power = batch.issue_power * batch.scenario.participation
    terms = np.empty((power.shape[1], 3, *batch.positions.shape[::2]))
    terms[:, 0] = power.transpose(1, 0, 2)
    terms[:, 1] = (power * batch.positions).transpose(1, 0, 2)
    terms[:, 2] = (batch.power[:, :, None] * batch.weights).transpose(1, 0, 2)
    return terms


def observes(strategy: Strategy) -> bool:
    """Whether ``strategy`` has an ``observe`` of its own (its class's or the object's)."""
    return type(strategy).observe is not Strategy.observe or "observe" in vars(strategy)


def _as_index(columns: tuple[int, ...]) -> slice | list[int]:
    """Columns as a slice when they are consecutive (a view, not a copy), else a list."""
    if columns == tuple(range(columns[0], columns[-1] + 1)):
        return slice(columns[0], columns[-1] + 1)
    return list(columns)
