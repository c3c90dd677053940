"""Unilateral moves: what each side can do alone, and so what no agreement means.

A move (``[[moves]]`` in a scenario, or an actor's ``exit``) lets its movers settle one issue
at a value ``to`` without an agreement, with the consent of the actors and coalitions it
``needs``, at a utility ``cost`` to each mover, while relative time is in its window
``[earliest, latest]``. The rules (``docs/protocols.md``, "Moves") are written once here and
used by every round-based protocol, the Mesa model and the sampler:

* **No-agreement package.** The status quo, with every move made so far. A settled issue
  leaves the table: offers carry its settled value.
* **Consent.** An actor asked says yes iff the move leaves it at least as well off as the
  no-agreement package without it; a coalition consents by its rule
  (:mod:`negosim.model.ratification`).
* **During the talks** (round ``t``, relative time ``tau``), a move whose window is open and
  whose issue is not settled is made iff, for every mover, its utility of the no-agreement
  package with the move, less the cost, exceeds both its utility of that package without the
  move and what it expects from the table (``expectation``: its best utility of a package the
  others have put on the table since the last move; before any, no move is made), and the
  consent it needs is given. A move that ``ends_talks`` ends the run without agreement.
* **When the talks end without agreement**, every move still open (``latest >= tau``) is made,
  in file order, iff it gains each mover more than its cost and its consent is given.
* **Reservation (BATNA).** An actor's utility of the package those end-of-talks moves would
  produce from the current no-agreement package, less the costs it would pay for them.

Utilities are additive over issues, so a move's effect on anyone's utility depends only on
its own issue: every test below is a per-issue difference, cheap over millions of runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from negosim.model.preferences import issue_loss, utility_of
from negosim.model.ratification import CoalitionRule, coalition_rules, every, meets_reservation
from negosim.model.scenario import Scenario

GAIN_TOLERANCE = 1e-9
"""A move must gain its movers more than this (utility) to be worth making."""

NOT_MADE = -1
"""Round recorded for a move that was not made."""


@dataclass(frozen=True, eq=False)
class MoveBook:
    """The moves of a scenario (exits included) with their numbers in every run.

    Attributes
    ----------
    ids
        Move ids, ``(M,)``, in :attr:`negosim.Scenario.all_moves` order.
    issue
        ``(M,)`` index of the issue each move settles.
    movers, askers
        Per move, the indices of its movers and of the actors whose own consent it needs.
    coalitions
        Per move, the :class:`~negosim.model.ratification.CoalitionRule` of each coalition it needs.
    ends
        ``(M,)`` whether the move ends the talks.
    to, cost, earliest, latest
        ``(R, M)`` the sampled numbers of each move.
    """

    ids: tuple[str, ...]
    issue: np.ndarray
    movers: tuple[np.ndarray, ...]
    askers: tuple[np.ndarray, ...]
    coalitions: tuple[tuple[CoalitionRule, ...], ...]
    ends: np.ndarray
    to: np.ndarray
    cost: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario, numbers: dict[str, np.ndarray]) -> MoveBook:
        """The book of ``scenario``'s moves with per-run ``numbers`` (``to``, ``cost``,
        ``earliest``, ``latest``; each ``(R, M)``)."""
        moves = scenario.all_moves
        ids = [c.id for c in scenario.coalitions]
        rules = dict(zip(ids, coalition_rules(scenario), strict=True))
        index = scenario.actor_index
        return cls(
            ids=tuple(m.id for m in moves),
            issue=np.array([scenario.issue_index(m.issue) for m in moves], dtype=np.intp),
            movers=tuple(np.array([index(a) for a in m.actors], dtype=np.intp) for m in moves),
            askers=tuple(
                np.array([index(n) for n in m.needs if n not in rules], dtype=np.intp)
                for m in moves
            ),
            coalitions=tuple(tuple(rules[n] for n in m.needs if n in rules) for m in moves),
            ends=np.array([m.ends_talks for m in moves], dtype=bool),
            **numbers,
        )

    @property
    def size(self) -> int:
        """Number of moves M."""
        return len(self.ids)

    def voters(self, m: int) -> np.ndarray:
        """Every actor asked about move ``m`` (directly or as a coalition member), sorted."""
        members = [c.members for c in self.coalitions[m]]
        return np.unique(np.concatenate([self.askers[m], *members])).astype(np.intp)

    def consent_columns(self) -> list[tuple[int, int]]:
        """``(move, actor)`` of each column of the consent record."""
        return [(m, int(a)) for m in range(self.size) for a in self.voters(m)]

    def take(self, index: np.ndarray | slice) -> MoveBook:
        """The book restricted to some runs."""
        return replace(
            self,
            to=self.to[index],
            cost=self.cost[index],
            earliest=self.earliest[index],
            latest=self.latest[index],
        )


@dataclass(frozen=True)
class Valuation:
    """What the rules value packages with, for the runs in view: ideal points and weights
    ``(R, A, I)``, issue ranges ``(I,)`` and the loss (see :mod:`negosim.model.preferences`)."""

    positions: np.ndarray
    weights: np.ndarray
    span: np.ndarray
    loss: str

    def take(self, rows: np.ndarray) -> Valuation:
        """The valuation of some runs."""
        return replace(self, positions=self.positions[rows], weights=self.weights[rows])


def consent_columns(scenario: Scenario) -> list[tuple[str, str]]:
    """``(move id, actor id)`` of each column of a consent record: per move (in
    ``all_moves`` order) every actor asked, directly or as a member of a needed coalition,
    in scenario order."""
    coalitions = {c.id: c.members for c in scenario.coalitions}
    out = []
    for move in scenario.all_moves:
        asked = set()
        for need in move.needs:
            asked.update(coalitions.get(need, (need,)))
        out += [(move.id, a) for a in scenario.actors if a in asked]
    return out


def issue_values(
    positions: np.ndarray, weights: np.ndarray, x: np.ndarray, span: float, loss: str
) -> np.ndarray:
    """Every actor's weighted value ``w_ai v(x_i)`` of one issue at ``x`` ``(R,)``: ``(R, A)``."""
    return weights * (1.0 - issue_loss((x[:, None] - positions) / span, loss))


class MoveState:
    """Moves made so far in a batch of runs, and the no-agreement package they leave.

    Attributes
    ----------
    package
        ``(R, I)`` the no-agreement package: the status quo with the moves made.
    settled
        ``(R, I)`` issues a move has settled (off the table).
    moved
        ``(R, M)`` the round each move was made in, or :data:`NOT_MADE`.
    consented
        ``(R, K)`` who said yes to each move made (columns :meth:`MoveBook.consent_columns`).
    paid
        ``(R, A)`` the costs each actor has paid for its moves.
    exited
        ``(R,)`` the first mover of a move that ended the talks, or -1.
    """

    def __init__(
        self,
        book: MoveBook,
        status_quo: np.ndarray,
        n_actors: int,
        made: tuple[int, ...] = (),
        made_round: int = 0,
    ) -> None:
        runs = book.to.shape[0]
        self.book = book
        self.package = np.array(np.broadcast_to(status_quo, (runs, len(status_quo))), float)
        self.settled = np.zeros(self.package.shape, dtype=bool)
        self.moved = np.full((runs, book.size), NOT_MADE, dtype=np.int32)
        self._columns = book.consent_columns()
        self.consented = np.zeros((runs, len(self._columns)), dtype=bool)
        self.paid = np.zeros((runs, n_actors))
        self.exited = np.full(runs, -1, dtype=np.int32)
        # per move, (R, movers): what making it is worth to each mover, u(N) + delta - cost,
        # or -inf where it does not gain it anything; it changes only when N does, so it is
        # kept and recomputed only in the runs where a move was made since (``_stale``)
        self._worth = [np.full((runs, len(m)), -np.inf) for m in book.movers]
        self._stale = np.ones(runs, dtype=bool)
        everyone = np.ones(runs, dtype=bool)
        for m in made:  # made before these talks began (a timeline's dated news)
            self._make(m, everyone, made_round, np.zeros((runs, 0), dtype=bool))

    # ------------------------------------------------------------------ decisions
    def decide(
        self,
        t: int,
        tau: float,
        values: Valuation,
        expectation: np.ndarray,
        live: np.ndarray,
    ) -> np.ndarray:
        """Moves made at round ``t`` in the ``live`` runs; returns the runs whose talks a move
        ended. ``expectation`` ``(R, A)`` is what each actor expects from the table (its best
        utility of a package others offered; -inf where none was: no move is made there)."""
        book, ended = self.book, np.zeros(len(live), dtype=bool)
        open_window = (book.earliest <= tau + 1e-12) & (book.latest >= tau - 1e-12)
        for m in range(book.size):
            candidates = live & ~ended & open_window[:, m] & (self.moved[:, m] == NOT_MADE)
            if not candidates.any():
                continue
            made = self._try(m, candidates, t, values, expectation)
            ended |= made & book.ends[m]
        return ended

    def settle(
        self,
        t: int,
        tau: float,
        values: Valuation,
        rows: np.ndarray,
    ) -> None:
        """The talks ended without agreement in ``rows``: make every open move worth it."""
        for m in range(self.book.size):
            candidates = rows & (self.book.latest[:, m] >= tau - 1e-12)
            candidates &= self.moved[:, m] == NOT_MADE
            if candidates.any():
                self._try(m, candidates, t, values, None)

    def reservation(
        self,
        tau: float,
        values: Valuation,
        evaluate: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """Each actor's BATNA ``(R, A)``: its utility (by ``evaluate``) of the package that
        the end-of-talks moves would make from here, less the costs it would pay for them."""
        probe = self.copy()
        probe.settle(0, tau, values, np.ones(len(self.package), bool))
        return evaluate(probe.package) - (probe.paid - self.paid)

    def _try(self, m, candidates, t, values, expectation) -> np.ndarray:
        """Make move ``m`` where its movers gain and consent is given; the rows made.

        The movers' test comes first (from the kept worth) and the vote only in the rows
        that pass it: most rounds of most runs make no move.
        """
        book, i, movers = self.book, self.book.issue[m], self.book.movers[m]
        if self._stale[candidates].any():
            self._refresh(values)
        ok = candidates & ~self.settled[:, i]
        if expectation is None:
            ok &= every(self._worth[m] > -np.inf)
        else:  # nothing offered yet (-inf): nothing to weigh the move against, no move
            seen = expectation[:, movers]
            ok &= every((self._worth[m] > seen + GAIN_TOLERANCE) & (seen > -np.inf))
        rows = np.flatnonzero(ok)
        if rows.size == 0:
            return ok
        voters = book.voters(m)
        yes = np.ones((len(rows), values.positions.shape[1]), dtype=bool)
        # each actor asked: no worse off than without the move
        yes[:, voters] = meets_reservation(self._delta(m, rows, voters, values), 0.0)
        ok = np.all(yes[:, book.askers[m]], axis=1)
        for rule in book.coalitions[m]:
            ok &= rule.consents(yes[:, rule.members])
        made = np.zeros(len(candidates), dtype=bool)
        made[rows[ok]] = True
        self._make(m, made, t, yes[ok])
        return made

    def _refresh(self, values: Valuation) -> None:
        """Recompute what each move is worth to its movers in the stale runs."""
        rows = np.flatnonzero(self._stale)
        package = self.package[rows]
        for m, movers in enumerate(self.book.movers):
            gain = self._delta(m, rows, movers, values)
            gain -= self.book.cost[rows, m, None]
            worth = np.empty_like(gain)
            for k, a in enumerate(movers):
                worth[:, k] = utility_of(
                    package,
                    values.positions[rows, a],
                    values.weights[rows, a],
                    values.span,
                    values.loss,
                )
            self._worth[m][rows] = np.where(gain > GAIN_TOLERANCE, worth + gain, -np.inf)
        self._stale[rows] = False

    def _delta(self, m, rows, actors, values: Valuation) -> np.ndarray:
        """What move ``m`` changes in the utility of ``actors`` in ``rows``, ``(rows, k)``."""
        i = self.book.issue[m]
        index = (rows[:, None], actors, i)
        pos, w = values.positions[index], values.weights[index]
        span, loss = values.span[i], values.loss
        old = issue_values(pos, w, self.package[rows, i], span, loss)
        return issue_values(pos, w, self.book.to[rows, m], span, loss) - old

    def _make(self, m: int, made: np.ndarray, t: int, yes: np.ndarray) -> None:
        book, i = self.book, self.book.issue[m]
        self.package[made, i] = book.to[made, m]
        self.settled[made, i] = True
        self.moved[made, m] = t
        self._stale |= made
        self.paid[np.ix_(made, book.movers[m])] += book.cost[made, m, None]
        if book.ends[m]:
            self.exited[made & (self.exited < 0)] = book.movers[m][0]
        columns = [k for k, (move, _) in enumerate(self._columns) if move == m]
        if columns and yes.shape[1]:
            voters = [a for move, a in self._columns if move == m]
            self.consented[np.ix_(made, columns)] = yes[:, voters]

    # ------------------------------------------------------------------ bookkeeping
    _PER_RUN = ("package", "settled", "moved", "consented", "paid", "exited", "_stale")
    """The state's arrays with one row per run."""

    def _remade(self, rows, book: MoveBook) -> MoveState:
        """A state with ``rows(array)`` of every per-run array (and the kept worth)."""
        out = object.__new__(MoveState)
        out.__dict__.update(vars(self))
        for name in self._PER_RUN:
            setattr(out, name, rows(getattr(self, name)))
        out._worth = [rows(w) for w in self._worth]
        out.book = book
        return out

    def copy(self) -> MoveState:
        """An independent copy (to probe what settling would give)."""
        return self._remade(np.copy, self.book)

    def take(self, keep: np.ndarray) -> MoveState:
        """The state restricted to the runs in ``keep``."""
        return self._remade(lambda array: array[keep], self.book.take(keep))

    def fix_settled(self, packages: np.ndarray) -> np.ndarray:
        """Packages ``(R, I)`` with every settled issue at its settled value."""
        return np.where(self.settled, self.package, packages)


@dataclass(frozen=True)
class MoveAppraisal:
    """The numbers that decide one move in one run at one moment, for explaining a decision
    (the decision itself is :meth:`MoveState.decide` during the talks and
    :meth:`MoveState.settle` at their end; :func:`appraise` computes the same quantities).

    Attributes
    ----------
    movers
        ``(k,)`` actor indices of the movers.
    gain
        ``(k,)`` what the move changes in each mover's utility (on its issue), before the cost.
    cost
        The cost each mover pays.
    without
        ``(k,)`` each mover's utility of the no-agreement package without the move.
    offered
        ``(k,)`` the best utility each mover was offered by the others since the last move
        (-inf: nothing offered yet), or None at the end of the talks (no offer weighed).
    voters, yes
        ``(v,)`` the actors asked to consent and whether each says yes (no worse off).
    askers_agree
        Whether every actor asked directly says yes.
    coalition_consents
        Per coalition the move needs (in its ``needs`` order), whether it consents.
    """

    movers: np.ndarray
    gain: np.ndarray
    cost: float
    without: np.ndarray
    offered: np.ndarray | None
    voters: np.ndarray
    yes: np.ndarray
    askers_agree: bool
    coalition_consents: tuple[bool, ...]

    @property
    def worth(self) -> np.ndarray:
        """``(k,)`` each mover's utility of the no-agreement package with the move, less its
        cost."""
        return self.without + self.gain - self.cost

    @property
    def worth_its_cost(self) -> bool:
        """Whether the move gains every mover more than its cost."""
        return bool(np.all(self.gain - self.cost > GAIN_TOLERANCE))

    @property
    def anything_offered(self) -> bool:
        """Whether every mover has been offered a package since the last move."""
        return self.offered is not None and bool(np.all(self.offered > -np.inf))

    @property
    def beats_the_table(self) -> bool:
        """Whether the move is worth more to every mover than the best offer it had."""
        return self.anything_offered and bool(np.all(self.worth > self.offered + GAIN_TOLERANCE))

    @property
    def consented(self) -> bool:
        """Whether every actor and coalition the move needs says yes."""
        return self.askers_agree and all(self.coalition_consents)

    @property
    def made_in_talks(self) -> bool:
        """Whether the rule of the talks makes it (window open, issue not settled)."""
        return self.worth_its_cost and self.beats_the_table and self.consented

    @property
    def made_at_end(self) -> bool:
        """Whether the end-of-talks rule makes it (window open, issue not settled)."""
        return self.worth_its_cost and self.consented


def appraise(
    book: MoveBook,
    m: int,
    run: int,
    package: np.ndarray,
    values: Valuation,
    offered: np.ndarray | None = None,
) -> MoveAppraisal:
    """What decides move ``m`` in run ``run`` of ``book`` and ``values`` from the
    no-agreement ``package`` ``(I,)``, with ``offered`` ``(A,)`` each actor's best utility
    of the others' offers since the last move (None: at the end of the talks)."""
    i, movers, voters = book.issue[m], book.movers[m], book.voters(m)

    def change(actors: np.ndarray) -> np.ndarray:
        pos, w = values.positions[run, actors, i][None], values.weights[run, actors, i][None]
        span = values.span[i]
        after = issue_values(pos, w, book.to[run, m : m + 1], span, values.loss)
        return (after - issue_values(pos, w, package[i : i + 1], span, values.loss))[0]

    yes = np.ones(values.positions.shape[1], dtype=bool)
    yes[voters] = meets_reservation(change(voters), 0.0)
    without = utility_of(
        package,
        values.positions[run, movers],
        values.weights[run, movers],
        values.span,
        values.loss,
    )
    return MoveAppraisal(
        movers=movers,
        gain=change(movers),
        cost=float(book.cost[run, m]),
        without=without,
        offered=None if offered is None else np.asarray(offered)[movers],
        voters=voters,
        yes=yes[voters],
        askers_agree=bool(np.all(yes[book.askers[m]])),
        coalition_consents=tuple(
            bool(rule.consents(yes[None, rule.members])[0]) for rule in book.coalitions[m]
        ),
    )
