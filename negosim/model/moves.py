"""Unilateral moves: what each side can do alone, and so what no agreement means.

A move (``[[moves]]`` in a scenario, or an actor's ``exit``) lets its movers settle one issue
at a value ``to`` without an agreement, with the consent of the actors and coalitions it
``needs``, at a utility cost to each mover (``cost``, growing by ``cost_rate`` per unit of
relative time), while relative time is in its window ``[earliest, latest]`` and, for a
reaction, once the move it answers (``after``) has been made. The rules (``docs/protocols.md``,
"Moves") are written once here and used by every round-based protocol, the Mesa model and
the sampler:

* **No-agreement package.** The status quo, with every move made so far. A settled issue
  leaves the table: offers carry its settled value.
* **Consent.** An actor asked says yes iff the move leaves it at least as well off as the
  no-agreement package without it; a coalition consents by its rule
  (:mod:`negosim.model.ratification`).
* **Worth.** What a move gains a mover: the change on its issue, plus what the reactions it
  provokes would change (a reaction is counted where its movers would gain from it), less
  the cost at the time it is made.
* **During the talks** (round ``t``, which stands for the relative time since the previous
  round, ``(tau_{t-1}, tau_t]``), a move available in the round is made iff, for every
  mover, (a) it is worth more than its cost; (b) making it now is worth more than making it
  later: it cannot be made later (its window closes before the next round and not at the
  end of the talks, or a rival move on the same issue that the mover likes less could be
  made first), or its cost will be higher at every later time; and (c) it is worth more than
  what the talks point to on its issue (the mean of the latest packages put on the table:
  split the difference; the no-agreement value where nothing has been put on it). Consent
  follows. A move that ``ends_talks`` ends the run without agreement.
* **When the talks end without agreement**, every move still open (``latest >= tau``) is
  made, in file order, iff it is worth more than its cost (at the end) and its consent is
  given; a reaction is made only after its move.
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
    after
        ``(M,)`` the index of the move each reaction answers, or -1.
    rivals
        Per move, the indices of the other actors' moves on its issue (which could settle it
        first).
    to, cost, cost_rate, earliest, latest
        ``(R, M)`` the sampled numbers of each move.
    """

    ids: tuple[str, ...]
    issue: np.ndarray
    movers: tuple[np.ndarray, ...]
    askers: tuple[np.ndarray, ...]
    coalitions: tuple[tuple[CoalitionRule, ...], ...]
    ends: np.ndarray
    after: np.ndarray
    rivals: tuple[np.ndarray, ...]
    to: np.ndarray
    cost: np.ndarray
    cost_rate: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario, numbers: dict[str, np.ndarray]) -> MoveBook:
        """The book of ``scenario``'s moves with per-run ``numbers`` (``to``, ``cost``,
        ``cost_rate``, ``earliest``, ``latest``; each ``(R, M)``)."""
        moves = scenario.all_moves
        ids_of_moves = [m.id for m in moves]
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
            after=np.array(
                [ids_of_moves.index(m.after) if m.after else -1 for m in moves], dtype=np.intp
            ),
            rivals=tuple(
                np.array(
                    [
                        q
                        for q, other in enumerate(moves)
                        if other.issue == m.issue and not set(other.actors) & set(m.actors)
                    ],
                    dtype=np.intp,
                )
                for m in moves
            ),
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

    def cost_of(self, rows: np.ndarray, m: int, tau: float | np.ndarray) -> np.ndarray:
        """``(rows,)`` the cost of move ``m`` made at relative time ``tau`` (a number, or one
        per row): ``cost + cost_rate * tau``, kept in [0, 1]."""
        return np.clip(self.cost[rows, m] + self.cost_rate[rows, m] * tau, 0.0, 1.0)

    def consent_columns(self) -> list[tuple[int, int]]:
        """``(move, actor)`` of each column of the consent record."""
        return [(m, int(a)) for m in range(self.size) for a in self.voters(m)]

    def take(self, index: np.ndarray | slice) -> MoveBook:
        """The book restricted to some runs."""
        return replace(
            self,
            to=self.to[index],
            cost=self.cost[index],
            cost_rate=self.cost_rate[index],
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


@dataclass(frozen=True)
class Clock:
    """When a round is played, in relative time.

    Attributes
    ----------
    t
        The round.
    tau
        Its relative time ``t / (T - 1)``.
    previous
        The relative time of the round before (-inf for round 0): round ``t`` stands for the
        time ``(previous, tau]``, and a window that meets it is open.
    next
        The relative time of the next round, or None in the last round of the talks.
    """

    t: int
    tau: float
    previous: float
    next: float | None

    def open(self, book: MoveBook) -> np.ndarray:
        """``(R, M)`` whether each move's window meets this round's time."""
        return (book.earliest <= self.tau + TIME_TOLERANCE) & (
            book.latest > self.previous + TIME_TOLERANCE
        )


def _once(build: Callable[[], np.ndarray | None]) -> Callable[[], np.ndarray | None]:
    """``build``, called at most once: its first value is kept."""
    kept: list = []

    def value() -> np.ndarray | None:
        if not kept:
            kept.append(build())
        return kept[0]

    return value


TIME_TOLERANCE = 1e-12
"""Relative times this close count as equal (a window's ends against a round's time)."""


def starting_clock(tau: float) -> Clock:
    """The clock of talks that start at relative time ``tau`` (for the first reservation:
    every move whose window has not closed before ``tau`` counts)."""
    return Clock(0, tau, tau - 2 * TIME_TOLERANCE, None)


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
        everyone = np.ones(runs, dtype=bool)
        for m in made:  # made before these talks began (a timeline's dated news)
            self._make(m, everyone, made_round, 0.0, np.zeros((runs, 0), dtype=bool))

    # ------------------------------------------------------------------ decisions
    def decide(
        self,
        clock: Clock,
        values: Valuation,
        pointed: Callable[[], np.ndarray | None],
        live: np.ndarray,
    ) -> np.ndarray:
        """Moves made in the round of ``clock`` in the ``live`` runs; returns the runs whose
        talks a move ended. ``pointed()`` gives ``(R, I)`` the package the talks point to
        (NaN where they point to no deal; None: nothing was put on the table), asked for
        only where a move passes the other tests (it costs a valuation of every actor)."""
        pointed = _once(pointed)
        book, ended = self.book, np.zeros(len(live), dtype=bool)
        open_now = clock.open(book)
        for m in range(book.size):
            candidates = live & ~ended & open_now[:, m] & self._answerable(m, clock.t)
            candidates &= (self.moved[:, m] == NOT_MADE) & ~self.settled[:, book.issue[m]]
            if not candidates.any():
                continue
            rows = self._now_or_later(m, np.flatnonzero(candidates), clock, values, open_now)
            rows = rows[self._beats_talks(m, rows, clock.tau, values, pointed)]
            made = self._consented(m, rows, clock, values)
            ended |= made & book.ends[m]
        return ended

    def settle(self, t: int, clock: Clock, values: Valuation, rows: np.ndarray) -> None:
        """The talks ended without agreement in ``rows`` in the round of ``clock``: make, in
        file order, every move still available (its window not closed before that round)
        and worth its cost then (recorded as made in round ``t``)."""
        book, tau = self.book, clock.tau
        for m in range(book.size):
            candidates = rows & (book.latest[:, m] > clock.previous + TIME_TOLERANCE)
            candidates &= (self.moved[:, m] == NOT_MADE) & ~self.settled[:, book.issue[m]]
            if book.after[m] >= 0:  # a reaction: only once its move is made
                candidates &= self.moved[:, book.after[m]] != NOT_MADE
            if not candidates.any():
                continue
            rows_m = np.flatnonzero(candidates)
            net = self.worth(m, rows_m, book.movers[m], values, tau)
            made_at = Clock(t, tau, clock.previous, None)
            # after the talks an exit ends nothing: it is the outside option taken
            self._consented(m, rows_m[every(net > GAIN_TOLERANCE)], made_at, values, False)

    def reservation(
        self,
        clock: Clock,
        values: Valuation,
        evaluate: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """Each actor's BATNA ``(R, A)``: its utility (by ``evaluate``) of the package that
        the end-of-talks moves would make from here if the talks ended in the round of
        ``clock``, less the costs it would pay for them."""
        probe = self.copy()
        probe.settle(0, clock, values, np.ones(len(self.package), bool))
        return evaluate(probe.package) - (probe.paid - self.paid)

    def worth(
        self, m: int, rows: np.ndarray, actors: np.ndarray, values: Valuation, tau: float
    ) -> np.ndarray:
        """``(rows, k)`` what making move ``m`` at relative time ``tau`` is worth to
        ``actors`` over not making it: the change on its issue, plus what the reactions it
        provokes would change, less the cost (to its movers)."""
        net = self._delta(m, rows, actors, values) + self._provoked(m, rows, actors, values, tau)
        paying = np.isin(actors, self.book.movers[m])
        return net - paying * self.book.cost_of(rows, m, tau)[:, None]

    # ------------------------------------------------------------------ the rule's parts
    def _answerable(self, m: int, t: int) -> np.ndarray:
        """``(R,)`` whether move ``m`` may be made in round ``t`` as far as its trigger goes:
        a reaction only in a round after its move was made."""
        trigger = self.book.after[m]
        if trigger < 0:
            return np.ones(len(self.package), dtype=bool)
        made = self.moved[:, trigger]
        return (made != NOT_MADE) & (made < t)

    def _now_or_later(
        self, m: int, rows: np.ndarray, clock: Clock, values: Valuation, open_now: np.ndarray
    ) -> np.ndarray:
        """The ``rows`` where move ``m`` is worth its cost now and making it now beats making
        it later (rule (a) and (b))."""
        later, rising = self._later(m, rows, clock)
        calm = later & ~rising  # a mover who can wait and whose cost does not grow waits ...
        if not self.book.rivals[m].size:  # ... unless a rival could move first
            rows, calm = rows[~calm], calm[~calm]
        net = self.worth(m, rows, self.book.movers[m], values, clock.tau)
        keep = every(net > GAIN_TOLERANCE)
        rows, net, calm = rows[keep], net[keep], calm[keep]
        if calm.any():  # the rival test is the dearest: it comes last, on these rows only
            threatened = self._threatened(m, rows[calm], net[calm], clock, values, open_now)
            keep = np.ones(rows.size, dtype=bool)
            keep[np.flatnonzero(calm)[~threatened]] = False
            rows = rows[keep]
        return rows

    def _later(self, m: int, rows: np.ndarray, clock: Clock) -> tuple[np.ndarray, np.ndarray]:
        """``(rows,)`` twice: whether move ``m`` can still be made later (in a later round of
        its window, or after the talks), and whether its cost at every later time is higher
        than now (its cost is linear in time, so its least later value is at one end)."""
        book = self.book
        cost_now = book.cost_of(rows, m, clock.tau)
        if clock.next is None:  # the last round: later is after the talks, which makes every
            # move still open in this round (settle), at this round's time
            later = book.latest[rows, m] > clock.previous + TIME_TOLERANCE
            cost_later = cost_now
        else:
            later = book.latest[rows, m] > clock.tau + TIME_TOLERANCE
            last = np.minimum(book.latest[rows, m], 1.0)
            cost_later = np.minimum(book.cost_of(rows, m, clock.next), book.cost_of(rows, m, last))
        return later, cost_now < cost_later - GAIN_TOLERANCE

    def _threatened(
        self,
        m: int,
        rows: np.ndarray,
        net: np.ndarray,
        clock: Clock,
        values: Valuation,
        open_now: np.ndarray,
    ) -> np.ndarray:
        """``(rows,)`` whether a rival move on ``m``'s issue, which some mover of ``m`` likes
        less than ``m`` and whose own movers would make it, can be made now or in the next
        round (so ``m``'s movers cannot count on moving later)."""
        book, out = self.book, np.zeros(rows.size, dtype=bool)
        for q in book.rivals[m]:
            soon = open_now[rows, q] & self._answerable(q, clock.t + 1)[rows]
            if clock.next is not None:
                opens = (book.earliest[rows, q] <= clock.next + TIME_TOLERANCE) & (
                    book.latest[rows, q] > clock.tau + TIME_TOLERANCE
                )
                soon |= opens & self._answerable(q, clock.t + 1)[rows]
            soon &= self.moved[rows, q] == NOT_MADE
            if not soon.any():
                continue
            own = every(self.worth(q, rows, book.movers[q], values, clock.tau) > GAIN_TOLERANCE)
            worse = self._delta(q, rows, book.movers[m], values) < net - GAIN_TOLERANCE
            out |= soon & own & np.any(worse, axis=1)
        return out

    def _beats_talks(
        self,
        m: int,
        rows: np.ndarray,
        tau: float,
        values: Valuation,
        pointed: Callable[[], np.ndarray | None],
    ) -> np.ndarray:
        """``(rows,)`` whether move ``m`` is worth more to every mover than what the talks
        point to on its issue (rule (c)); where nothing was put on the table, the talks point
        to the no-agreement value (so rule (a) decides)."""
        if rows.size == 0:
            return np.zeros(0, dtype=bool)
        net = self.worth(m, rows, self.book.movers[m], values, tau)
        return every(net > self._talks(m, rows, values, pointed()) + GAIN_TOLERANCE)

    def _talks(
        self, m: int, rows: np.ndarray, values: Valuation, pointed: np.ndarray | None
    ) -> np.ndarray:
        """``(rows, k)`` what the package the talks point to (``pointed``, ``(R, I)``; NaN or
        None: no deal) changes on move ``m``'s issue for each of its movers."""
        i = self.book.issue[m]
        if pointed is None:
            return np.zeros((rows.size, len(self.book.movers[m])))
        x = np.where(np.isnan(pointed[rows, i]), self.package[rows, i], pointed[rows, i])
        return self._change(rows, self.book.movers[m], i, x, values)

    def _provoked(
        self, m: int, rows: np.ndarray, actors: np.ndarray, values: Valuation, tau: float
    ) -> np.ndarray:
        """``(rows, k)`` what the reactions to move ``m`` would change for ``actors``: each
        reaction on another issue still open, whose window has not closed by ``tau``, counted
        where its movers would gain from it (one step: reactions to reactions are not
        foreseen)."""
        out = np.zeros((rows.size, len(actors)))
        for r in np.flatnonzero(self.book.after == m):
            j = self.book.issue[r]
            if j == self.book.issue[m]:  # m settles the issue first: nothing left to answer
                continue
            # a reaction its movers can still make: its issue open, its window not closed
            free = ~self.settled[rows, j] & (self.book.latest[rows, r] > tau - TIME_TOLERANCE)
            gain = self._delta(r, rows, self.book.movers[r], values)
            gain -= self.book.cost_of(rows, r, tau)[:, None]
            answered = free & every(gain > GAIN_TOLERANCE)
            out += answered[:, None] * self._delta(r, rows, actors, values)
        return out

    def _consented(
        self, m: int, rows: np.ndarray, clock: Clock, values: Valuation, in_talks: bool = True
    ) -> np.ndarray:
        """Make move ``m`` in those ``rows`` where every actor and coalition it needs
        consents; the ``(R,)`` mask of the runs where it was made (``in_talks``: during the
        talks, where an exit ends them)."""
        book = self.book
        made = np.zeros(len(self.package), dtype=bool)
        if rows.size == 0:
            return made
        voters = book.voters(m)
        yes = np.ones((len(rows), values.positions.shape[1]), dtype=bool)
        # each actor asked: no worse off than without the move
        yes[:, voters] = meets_reservation(self._delta(m, rows, voters, values), 0.0)
        ok = np.all(yes[:, book.askers[m]], axis=1)
        for rule in book.coalitions[m]:
            ok &= rule.consents(yes[:, rule.members])
        made[rows[ok]] = True
        self._make(m, made, clock.t, clock.tau, yes[ok], in_talks)
        return made

    def _delta(self, m, rows, actors, values: Valuation) -> np.ndarray:
        """What move ``m`` changes in the utility of ``actors`` in ``rows``, ``(rows, k)``."""
        return self._change(rows, actors, self.book.issue[m], self.book.to[rows, m], values)

    def _change(self, rows, actors, i, x, values: Valuation) -> np.ndarray:
        """What moving issue ``i`` from the no-agreement package to ``x`` ``(rows,)``
        changes in the utility of ``actors``, ``(rows, k)``."""
        index = (rows[:, None], actors, i)
        pos, w = values.positions[index], values.weights[index]
        span, loss = values.span[i], values.loss
        old = issue_values(pos, w, self.package[rows, i], span, loss)
        return issue_values(pos, w, x, span, loss) - old

    def _make(
        self,
        m: int,
        made: np.ndarray,
        t: int,
        tau: float,
        yes: np.ndarray,
        in_talks: bool = True,
    ) -> None:
        """Record move ``m`` as made in round ``t`` (relative time ``tau``, when its cost is
        paid) in the runs ``made``, with the consent ``yes`` of those runs; an exit made
        ``in_talks`` is recorded as the one that ended them."""
        book, i = self.book, self.book.issue[m]
        self.package[made, i] = book.to[made, m]
        self.settled[made, i] = True
        self.moved[made, m] = t
        cost = book.cost_of(np.flatnonzero(made), m, tau)
        self.paid[np.ix_(made, book.movers[m])] += cost[:, None]
        if book.ends[m] and in_talks:
            self.exited[made & (self.exited < 0)] = book.movers[m][0]
        columns = [k for k, (move, _) in enumerate(self._columns) if move == m]
        if columns and yes.shape[1]:
            voters = [a for move, a in self._columns if move == m]
            self.consented[np.ix_(made, columns)] = yes[:, voters]

    # ------------------------------------------------------------------ bookkeeping
    _PER_RUN = ("package", "settled", "moved", "consented", "paid", "exited")
    """The state's arrays with one row per run."""

    def _remade(self, rows, book: MoveBook) -> MoveState:
        """A state with ``rows(array)`` of every per-run array."""
        out = object.__new__(MoveState)
        out.__dict__.update(vars(self))
        for name in self._PER_RUN:
            setattr(out, name, rows(getattr(self, name)))
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
    :meth:`MoveState.settle` at their end; :func:`appraise` computes the same quantities
    with the same code).

    Attributes
    ----------
    movers
        ``(k,)`` actor indices of the movers.
    gain
        ``(k,)`` what the move changes in each mover's utility (its issue, and the reactions
        it provokes), before the cost.
    cost
        The cost each mover pays now.
    without
        ``(k,)`` each mover's utility of the no-agreement package without the move.
    later
        Whether the move could still be made later (a later round of its window, or after
        the talks); None at the end of the talks.
    rising
        Whether its cost at every later time is higher than now.
    threatened
        Whether a rival move on its issue, which a mover likes less, could be made first.
    talks
        ``(k,)`` what the package the talks point to changes on the move's issue for each
        mover (0 where nothing was put on the table), or None at the end of the talks.
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
    later: bool | None
    rising: bool
    threatened: bool
    talks: np.ndarray | None
    voters: np.ndarray
    yes: np.ndarray
    askers_agree: bool
    coalition_consents: tuple[bool, ...]

    @property
    def worth(self) -> np.ndarray:
        """``(k,)`` each mover's utility of the no-agreement package with the move (and the
        reactions it provokes), less its cost."""
        return self.without + self.gain - self.cost

    @property
    def worth_its_cost(self) -> bool:
        """Whether the move gains every mover more than its cost."""
        return bool(np.all(self.gain - self.cost > GAIN_TOLERANCE))

    @property
    def now_beats_later(self) -> bool:
        """Whether making it now beats making it later (rule (b))."""
        return not self.later or self.rising or self.threatened

    @property
    def beats_the_talks(self) -> bool:
        """Whether it is worth more to every mover than what the talks point to (rule (c))."""
        if self.talks is None:
            return True
        return bool(np.all(self.gain - self.cost > self.talks + GAIN_TOLERANCE))

    @property
    def consented(self) -> bool:
        """Whether every actor and coalition the move needs says yes."""
        return self.askers_agree and all(self.coalition_consents)

    @property
    def made_in_talks(self) -> bool:
        """Whether the rule of the talks makes it (window open, issue not settled)."""
        return (
            self.worth_its_cost and self.now_beats_later and self.beats_the_talks and self.consented
        )

    @property
    def made_at_end(self) -> bool:
        """Whether the end-of-talks rule makes it (window open, issue not settled)."""
        return self.worth_its_cost and self.consented


def appraise(
    state: MoveState,
    m: int,
    run: int,
    values: Valuation,
    clock: Clock | None = None,
    pointed: np.ndarray | None = None,
) -> MoveAppraisal:
    """What decides move ``m`` in run ``run`` of ``state`` (its no-agreement package, the
    issues settled and the moves made before the decision) with ``values``: during the talks
    in the round of ``clock`` with ``pointed`` ``(R, I)`` the package the talks point to
    (NaN: nothing on the table), or at the end of the talks (``clock`` None)."""
    book, rows = state.book, np.array([run])
    movers, voters = book.movers[m], book.voters(m)
    tau = 1.0 if clock is None else clock.tau
    yes = np.ones(values.positions.shape[1], dtype=bool)
    yes[voters] = meets_reservation(state._delta(m, rows, voters, values)[0], 0.0)
    without = utility_of(
        state.package[run],
        values.positions[run, movers],
        values.weights[run, movers],
        values.span,
        values.loss,
    )
    gain = state._delta(m, rows, movers, values) + state._provoked(m, rows, movers, values, tau)
    later, rising, threatened, talks = None, False, False, None
    if clock is not None:
        can, grows = state._later(m, rows, clock)
        later, rising = bool(can[0]), bool(grows[0])
        net = gain - book.cost_of(rows, m, tau)[:, None]
        threatened = bool(state._threatened(m, rows, net, clock, values, clock.open(book))[0])
        talks = state._talks(m, rows, values, pointed)[0]
    return MoveAppraisal(
        movers=movers,
        gain=gain[0],
        cost=float(book.cost_of(rows, m, tau)[0]),
        without=without,
        later=later,
        rising=rising,
        threatened=threatened,
        talks=talks,
        voters=voters,
        yes=yes[voters],
        askers_agree=bool(np.all(yes[book.askers[m]])),
        coalition_consents=tuple(
            bool(rule.consents(yes[None, rule.members])[0]) for rule in book.coalitions[m]
        ),
    )
