"""Stokman and Van Oosten's exchange model of voting positions ("equal gain"), run for run.

Actors trade positions across pairs of issues they weigh differently: one moves toward the
other on the issue it cares less about, the other returns the favour, at exchange rates that
give both the same utility gain. The rules follow the decide-exchange-model package (models.md
1.5), so its results are reproduced; per issue, positions are normalised to 0..100.

Per round, with outcome ``O_d = sum_k c_kd s_kd x_kd / sum_k c_kd s_kd``:

1. Sides: actor k is "left" of issue d iff ``x_kd < O_d``.
2. Candidates: for each issue pair (p, q) in order, actors party to both are grouped by side
   (right-right, left-right, right-left, left-left); right-right x left-left and
   left-right x right-left pairs are candidates, in actor order.
3. Roles: of the pair, the actor with the smaller ``s_p / s_q`` supplies p (moves on p) and the
   other supplies q.
4. Rates: the supplier J of p moves all the way to its partner I on p, shifting O_p by
   ``dp = |x_Ip - x_Jp| s_Jp c_Jp / S_p``; ``dq = dp (s_Jp + s_Ip) / (s_Jq + s_Iq)`` is the
   shift on q that makes the gains equal; if I would overshoot on q, I moves all the way
   instead and J's move follows. Gain ``|dq s_Iq - dp s_Ip|`` (the same for both).
5. A move that carries the outcome past the partner's position is cut so the outcome lands
   on it, and the rates and the gain are recomputed.
6. A move is valid if ``1e-10 < |move| <= 100``, it stays in 0..100, and the actor's moves on
   that issue within the round all go one way; the gain must exceed 1e-10.
7. The exchange with the largest gain is realised (ties: the earlier exchange, or a seeded
   coin when ``ties="random"``); every other exchange sharing an actor and issue with it is
   recalculated from the moved positions and dropped if no longer valid; repeat.
8. End of round: realised voting positions give the "voting" outcome; each exchanging actor
   then starts the next round at ``x + w (y - x)`` on its supply issue, with
   ``w = 0.1 + 0.4 (1 - s)``.

``arithmetic="float"`` (the default) computes in binary floating point. ``"decimal"`` computes
in 28-digit decimals with decide's order of operations and reproduces its trajectories exactly:
whether an outcome that sits exactly on a partner's position counts as passing it (rule 5)
depends on the last digit of such sums; it is the exact reference, run by run, about 2.5 times
slower than float run by run and 25 times slower than the batched float path. Once a last digit
flips such a decision the trajectories part: on 200 sampled runs of package_2007 (10 rounds) the
final outcomes differ by up to 2.9 on the 0..100 scale, mean 0.15 (docs/protocols.md).

Each realised exchange is followed by recalculating only the exchanges that share an actor's
supply or demand issue with it (the others cannot change), in list order.

The rules' arithmetic is written once, in :mod:`negosim.engine.protocols.exchange_rules`. Three ways
to play them: :class:`ExchangeModel` plays one run round by round in either arithmetic (with
the full record of every round; the Mesa model uses it); :func:`exchange_outcomes` plays many
runs at once in float arithmetic, compiled with numba run by run where numba is installed
(:mod:`negosim.engine.protocols.exchange_compiled`, ``ties="first"``), else as a numpy batch.
All are
operation for operation the same in float arithmetic (tests compare them run by run, ties
included); the protocol uses :func:`exchange_outcomes` for the equal-gain model in float
arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from operator import attrgetter
from typing import Any, ClassVar

import numpy as np

from negosim.engine.protocols import exchange_rules as rules
from negosim.engine.protocols.exchange_batch import exchange_outcomes
from negosim.engine.protocols.exchange_rules import TIE, VALID_MOVE

ARITHMETIC = ("float", "decimal")


def _as_decimal(value: float) -> Decimal:
    """A number read from a data file, back to the decimal it was written as (12 digits)."""
    return Decimal(f"{float(value):.12g}")


@dataclass
class _Side:
    """One actor of an exchange: what it supplies (moves on) and demands."""

    actor: int
    supply: int
    demand: int
    x_supply: Any
    x_demand: Any
    s_supply: Any
    s_demand: Any
    c_supply: Any
    start: Any
    y: Any = 0
    move: Any = 0
    moves: list = field(default_factory=list)
    partner: _Side | None = None

    def same_supply(self, other: _Side) -> bool:
        return self.actor == other.actor and self.supply == other.supply

    def same_demand(self, other: _Side) -> bool:
        return self.actor == other.actor and self.demand == other.demand

    def valid(self) -> bool:
        moves = self.moves
        end = self.x_supply + self.move
        return rules.valid_move(self.move, end, sum(moves), min(moves), max(moves))


class _Round:
    """Positions (normalised 0..100) and outcome denominators of one round of one run.

    Values are plain Python numbers (floats, or Decimals) in nested lists ``[actor][issue]``;
    sums run in actor order, as decide's do.
    """

    def __init__(self, x: list, s: list, c: list, party: np.ndarray) -> None:
        self.x, self.s, self.c = x, s, c
        n_issues = party.shape[1]
        self.members = [[k for k in range(party.shape[0]) if party[k, i]] for i in range(n_issues)]
        self.total = [sum(s[k][i] * c[k][i] for k in m) for i, m in enumerate(self.members)]
        # each member's term x s c of the outcome sums, in member order, from the round's start
        self.place = [{k: n for n, k in enumerate(m)} for m in self.members]
        self.terms = [[x[k][i] * s[k][i] * c[k][i] for k in m] for i, m in enumerate(self.members)]

    def _sum_with(self, issue: int, overrides: list[tuple[int, Any]]) -> Any:
        """``sum_k x_k s_k c_k`` over the issue's members in their order, with the positions in
        ``overrides`` (applied in turn) instead of the round's start positions."""
        terms, place, s, c = self.terms[issue].copy(), self.place[issue], self.s, self.c
        for k, position in overrides:
            if k in place:
                terms[place[k]] = position * s[k][issue] * c[k][issue]
        return sum(terms)

    def _weighted(self, issue: int, position: dict[int, Any]) -> Any:
        if not self.total[issue]:
            return 0
        s, c = self.s, self.c
        num = sum(position[k] * s[k][issue] * c[k][issue] for k in self.members[issue])
        return num / self.total[issue]

    def outcome(self, x: list | None = None) -> list:
        x = self.x if x is None else x
        return [self._weighted(i, {k: x[k][i] for k in m}) for i, m in enumerate(self.members)]

    def outcome_with(self, issue: int, updates: dict[int, Any], actor: int, position: Any) -> Any:
        if not self.total[issue]:
            return 0
        return self._sum_with(issue, [*updates.items(), (actor, position)]) / self.total[issue]

    def shift_to(self, issue: int, updates: dict, actor: int, position: Any, target: Any) -> Any:
        """How far ``actor`` (now at ``position``) must move for the outcome to be ``target``."""
        weighted = self._sum_with(issue, [(actor, position), *updates.items()])
        s, c = self.s, self.c
        return (target * self.total[issue] - weighted) / (s[actor][issue] * c[actor][issue])

    def ratio_move(self, side: _Side, ratio: Any) -> Any:
        """The move of ``side`` that shifts its supply issue's outcome by ``ratio``."""
        return rules.move_for_shift(ratio, self.total[side.supply], side.c_supply, side.s_supply)

    def full_ratio(self, side: _Side) -> Any:
        """Outcome shift if ``side`` moves all the way to its partner's position."""
        gap = abs(side.partner.x_demand - side.x_supply)
        return rules.full_shift(gap, side.s_supply, side.c_supply, self.total[side.supply])


def _paired_ratio(side: _Side, ratio: Any) -> Any:
    """The partner's outcome shift that equalises the two gains."""
    partner = side.partner
    return rules.paired_shift(
        side.s_supply, partner.s_demand, side.s_demand, partner.s_supply, ratio
    )


class _Exchange:
    """A candidate trade between two actors over an issue pair (p, q)."""

    def __init__(self, rnd: _Round, a: int, b: int, p: int, q: int, randomize=None) -> None:
        s = rnd.s
        ratio_a = s[a][p] / s[a][q] if s[a][q] else np.inf
        ratio_b = s[b][p] / s[b][q] if s[b][q] else np.inf
        supplier_p, supplier_q = (a, b) if ratio_a < ratio_b else (b, a)
        self.rnd, self.randomize = rnd, randomize
        self.i = self._side(supplier_q, q, p)
        self.j = self._side(supplier_p, p, q)
        self.i.partner, self.j.partner = self.j, self.i
        self.updates: dict[int, dict[int, Any]] = {}
        self.gain: Any = 0
        self.gains: tuple[Any, Any] = (0, 0)  # (i, j); equal unless randomized
        self.valid = True
        self.order_key: Any = 0
        self.calculate()

    def _side(self, actor: int, supply: int, demand: int) -> _Side:
        r = self.rnd
        x = r.x[actor]
        return _Side(
            actor,
            supply,
            demand,
            x[supply],
            x[demand],
            r.s[actor][supply],
            r.s[actor][demand],
            r.c[actor][supply],
            x[supply],
        )

    def calculate(self) -> None:
        """Rates, moves and gain from the current positions (rules 4-6)."""
        rnd, i, j = self.rnd, self.i, self.j
        dp = rnd.full_ratio(j)
        dq = _paired_ratio(j, dp)
        i.move = rnd.ratio_move(i, dq)
        j.move = abs(i.x_demand - j.x_supply)
        if abs(i.move) > abs(j.x_demand - i.x_supply):
            dq = rnd.full_ratio(i)
            dp = _paired_ratio(i, dq)
            i.move = abs(j.x_demand - i.x_supply)
            j.move = rnd.ratio_move(j, dp)
        for side in (i, j):
            if side.x_supply > side.partner.x_demand:
                side.move = -side.move
            side.moves.append(side.move)
            side.y = side.x_supply + side.move
        self.gain = rules.equal_gain(dq, dp, i.s_supply, i.s_demand)
        self.valid = i.valid() and j.valid() and self.gain >= VALID_MOVE
        if self.valid:
            self._limit_to_partner(i)
            self._limit_to_partner(j)
            self.valid = i.valid() and j.valid()
        self.gains = (self.gain, self.gain)
        if self.valid and self.randomize is not None:
            self.randomize(self)
        # realisation order: largest gain first; float gains within TIE count as equal
        exact = isinstance(self.gain, Decimal)
        self.order_key = -self.gain if exact else rules.order_key(self.gain)

    def touches(self) -> tuple[tuple[str, int, int], ...]:
        """The (role, actor, issue) keys under which a realised exchange can change this one."""
        return tuple(
            (role, side.actor, issue)
            for side in (self.i, self.j)
            for role, issue in (("supply", side.supply), ("demand", side.demand))
        )

    def _limit_to_partner(self, me: _Side) -> None:
        """Cut a move that would carry the outcome past the partner's position (rule 5)."""
        rnd, you = self.rnd, me.partner
        updates = self.updates.get(me.supply, {})
        before = rnd.outcome_with(me.supply, updates, me.actor, me.x_supply)
        after = rnd.outcome_with(me.supply, updates, me.actor, me.y)
        x = you.x_demand
        if (x - before >= 0 and x - after >= 0) or (x - before <= 0 and x - after <= 0):
            return
        delta = abs(rnd.shift_to(me.supply, updates, me.actor, me.x_supply, x))
        mine = rules.full_shift(delta, me.s_supply, me.c_supply, rnd.total[me.supply])
        theirs = _paired_ratio(me, mine)
        you.move, me.move = abs(rnd.ratio_move(you, theirs)), delta
        for side in (you, me):
            if side.x_supply > side.partner.x_demand:
                side.move = -side.move
            side.moves[-1] = side.move
            side.y = side.x_supply + side.move
        self.gain = rules.equal_gain(theirs, mine, you.s_supply, you.s_demand)

    def _drop_moves(self) -> None:
        self.i.moves.pop()
        self.j.moves.pop()

    def recalculate(self, done: _Exchange) -> None:
        """Update this exchange after ``done`` was realised (rule 7)."""
        touched = False
        for mine in (self.i, self.j):
            for theirs in (done.i, done.j):
                if mine.same_supply(theirs):
                    mine.x_supply = theirs.y
                    mine.moves.append(theirs.moves[-1])
                    touched = True
                    break
        if touched:
            self._drop_moves()
        for mover, partner in ((done.i, done.j), (done.j, done.i)):
            if partner.same_demand(self.j) or partner.same_demand(self.i):
                table = self.updates.setdefault(partner.demand, {})
                table[mover.actor] = (
                    rules.recorded_position(mover.start, table[mover.actor], mover.y)
                    if mover.actor in table
                    else mover.y
                )
                if not touched:
                    self._drop_moves()
                    touched = True
        if touched:
            self.calculate()

    def record(self) -> tuple[int, int, int, int, float]:
        return (self.i.actor, self.i.supply, self.j.actor, self.j.supply, float(self.gain))

    def shifts(self) -> tuple[Any, Any]:
        """Outcome shifts caused by i's and j's moves."""
        rnd = self.rnd
        return tuple(
            abs(side.move) * side.s_supply * side.c_supply / rnd.total[side.supply]
            for side in (self.i, self.j)
        )


def side_gain(side: _Side, own_shift: Any, partner_shift: Any) -> Any:
    """What an actor gains: the partner's shift on the issue it demands, minus its own
    concession on the issue it supplies, each weighted by its salience."""
    return partner_shift * side.s_demand - own_shift * side.s_supply


def randomized_equal_gain(p: float, rng: np.random.Generator):
    """The randomized equal-gain variant (Dijkstra, Van Assen, Stokman and Draaijer 2018).

    After the equal-gain rates, draw ``u, v, z ~ U(0, 1)``: ``u < 0.5`` picks actor i, else j.
    The picked actor's gain becomes ``g + p z (g_max - g)`` if ``v < 0.5`` (it wins) and
    ``g - p z g`` otherwise, where ``g`` is the equal gain and ``g_max`` its gain if the partner
    gained nothing. Keeping its own concession, the partner's shift is re-derived for that gain
    (capped at the partner's full move, the picked actor's concession then shrinking to match),
    the outcome-crossing cut applies again, and both gains are recomputed. The order in which
    exchanges are realised still follows the equal gain ``g``. ``p = 0`` is the equal-gain model.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"exchange: the randomized rate p must be in [0, 1], got {p}")

    def randomize(ex: _Exchange) -> None:
        num = Decimal if isinstance(ex.gain, Decimal) else float
        u, v, z = (num(repr(float(x))) if num is Decimal else x for x in rng.random(3))
        rate = num(repr(p)) if num is Decimal else p
        me = ex.i if u < 0.5 else ex.j
        you = me.partner
        rnd, g = ex.rnd, ex.gain
        mine, _ = ex.shifts() if me is ex.i else ex.shifts()[::-1]
        best = mine * you.s_demand / you.s_supply * me.s_demand - mine * me.s_supply
        target = g + rate * z * (best - g) if v < 0.5 else g - rate * z * g
        theirs = (target + mine * me.s_supply) / me.s_demand
        you.move = rnd.ratio_move(you, theirs)
        if abs(you.move) > abs(you.x_supply - me.x_demand):
            you.move = abs(you.x_supply - me.x_demand)
            theirs = you.move * you.s_supply * you.c_supply / rnd.total[you.supply]
            mine = max((theirs * me.s_demand - target) / me.s_supply, 0 * target)
            me.move = rnd.ratio_move(me, mine)
        for side in (me, you):
            side.move = -abs(side.move) if side.x_supply > side.partner.x_demand else abs(side.move)
            side.moves[-1] = side.move
            side.y = side.x_supply + side.move
        ex._limit_to_partner(me)
        ex._limit_to_partner(you)
        a, b = ex.shifts()
        ex.gains = (side_gain(ex.i, a, b), side_gain(ex.j, b, a))
        ex.valid = ex.i.valid() and ex.j.valid() and min(ex.gains) >= 0

    return randomize


def _affected_by(done: _Exchange, index: dict) -> set[int]:
    """Ids of the exchanges with a side whose actor supplies or demands what a side of
    ``done`` supplies (its position moved) or demands (its partner's position moved)."""
    keys = [("supply", side.actor, side.supply) for side in (done.i, done.j)]
    keys += [("demand", side.actor, side.demand) for side in (done.i, done.j)]
    return {id(ex) for key in keys for ex in index.get(key, ())}


@dataclass
class ExchangeRound:
    """One round of one run; outcomes and positions on each issue's own scale.

    ``realized`` lists ``(actor, supply issue, partner, partner's supply issue, gain)`` in the
    order of realisation, ``gains`` the two actors' own gains of each (equal unless randomized),
    and ``candidate_list`` every candidate exchange at the start of the round with its gain and
    whether it was valid.
    """

    outcome_before: np.ndarray
    outcome_voting: np.ndarray
    outcome_next: np.ndarray
    candidates: int
    realized: list[tuple[int, int, int, int, float]]
    positions: np.ndarray
    gains: list[tuple[float, float]] = field(default_factory=list)
    candidate_list: list[tuple[int, int, int, int, float, bool]] = field(default_factory=list)


class ExchangeModel:
    """The exchange model on one run: positions on the issues' scales, saliences in [0, 1].

    Parameters
    ----------
    x, s, c
        ``(A, I)`` positions (on each issue's scale), saliences in [0, 1] and power.
    party
        ``(A, I)`` mask of the actor-issue pairs that exist.
    low, high
        ``(I,)`` issue scales.
    arithmetic
        ``"float"`` (fast) or ``"decimal"`` (decide's 28-digit arithmetic, exact reproduction).
    rng
        The run's generator: draws the randomized variant's numbers and random tie-breaks.
    rate
        ``p`` of the randomized equal-gain variant (0: the equal-gain model); needs ``rng``.
    ties
        ``"first"``: of exactly equal gains the earlier exchange is realised first;
        ``"random"``: a coin from ``rng`` decides.
    """

    round_type: ClassVar[type[_Round]] = _Round
    """What a round's positions and outcome sums are kept in (a subclass may sum otherwise)."""

    def __init__(
        self,
        x,
        s,
        c,
        party,
        low,
        high,
        *,
        arithmetic: str = "float",
        rng: np.random.Generator | None = None,
        rate: float = 0.0,
        ties: str = "first",
    ) -> None:
        if arithmetic not in ARITHMETIC:
            raise ValueError(
                f"exchange: arithmetic must be one of {ARITHMETIC}, got {arithmetic!r}"
            )
        # numpy floats: the same IEEE arithmetic as Python's, but x / 0 is inf or nan (a zero
        # salience) as in the batched and compiled paths, instead of an exception
        num: Callable[[Any], Any] = _as_decimal if arithmetic == "decimal" else np.float64
        self.exact = arithmetic == "decimal"
        self.party = np.asarray(party, bool)
        self.low = [num(v) for v in low]
        # decide: step = 100 / (upper - lower); normalised x = (x - lower) * step
        self.step = [num(100) / (num(h) - lo) for h, lo in zip(high, self.low, strict=True)]
        self.x = [
            [(num(v) - lo) * st for v, lo, st in zip(row, self.low, self.step, strict=True)]
            for row in np.asarray(x)
        ]
        if self.exact:
            _refuse_zero_salience(np.asarray(s), self.party)
        self.s = [[num(v) for v in row] for row in np.asarray(s)]
        self.c = [[num(v) for v in row] for row in np.asarray(c)]
        if ties not in ("first", "random"):
            raise ValueError(f"exchange: ties must be 'first' or 'random', got {ties!r}")
        if ties == "random" and rng is None:
            raise ValueError("exchange: random tie-breaks need a seeded rng")
        self.rng = rng if ties == "random" else None
        self.randomize = None
        if rate:
            if rng is None:
                raise ValueError("exchange: the randomized variant (rate > 0) needs a seeded rng")
            self.randomize = randomized_equal_gain(rate, rng)
        # decide builds these decimals from binary floats; keep that for exact reproduction
        weights = (rules.SHIFT_WEIGHT, rules.FIXED_WEIGHT)
        self.weights = weights if not self.exact else tuple(Decimal(w) for w in weights)

    def _scale(self, values: list) -> np.ndarray:
        return np.array(
            [float(v / st + lo) for v, st, lo in zip(values, self.step, self.low, strict=True)]
        )

    @staticmethod
    def _order(exchanges: list[_Exchange]) -> None:
        exchanges.sort(key=attrgetter("order_key"))  # stable: the earlier exchange on ties

    def _pick(self, exchanges: list[_Exchange]) -> _Exchange:
        best = exchanges.pop(0)
        if self.rng is not None and exchanges and abs(best.gain - exchanges[0].gain) < TIE:
            if self.rng.random() >= 0.5:
                exchanges.append(best)
                best = exchanges.pop(0)
            else:
                exchanges.append(exchanges.pop(0))
        return best

    @np.errstate(divide="ignore", invalid="ignore", over="ignore")
    def step_round(self) -> ExchangeRound:
        """Play one round from the current positions and move to the next start positions."""
        rnd = self.round_type(self.x, self.s, self.c, self.party)
        before = rnd.outcome()
        exchanges = self._candidates(rnd, before)
        candidate_list = [(*e.record(), e.valid) for e in exchanges]
        realized = self._realise(exchanges)
        voting = [list(row) for row in self.x]
        for ex in realized:
            for side in (ex.i, ex.j):
                voting[side.actor][side.supply] = side.y
        outcome_voting = rnd.outcome(voting)
        nxt = [list(row) for row in voting]
        sw, fw = self.weights
        for ex in realized:
            for side in (ex.i, ex.j):  # decide's new_start_position, term by term
                nxt[side.actor][side.supply] = rules.next_start(
                    side.s_supply, side.y, side.start, sw, fw
                )
        self.x = nxt
        positions = np.array([self._scale(row) for row in nxt])
        return ExchangeRound(
            self._scale(before),
            self._scale(outcome_voting),
            self._scale(rnd.outcome(nxt)),
            len(candidate_list),
            [e.record() for e in realized],
            positions,
            [(float(a), float(b)) for a, b in (e.gains for e in realized)],
            candidate_list,
        )

    def _candidates(self, rnd: _Round, before: list) -> list[_Exchange]:
        """Rules 2-3: the round's candidate exchanges, in list order."""
        exchanges: list[_Exchange] = []
        for p, q in combinations(range(self.party.shape[1]), 2):
            groups: dict[int, list[int]] = {0: [], 1: [], 2: [], 3: []}
            for k in range(self.party.shape[0]):
                if self.party[k, p] and self.party[k, q]:
                    left = int(self.x[k][p] < before[p]) | int(self.x[k][q] < before[q]) * 2
                    groups[left].append(k)
            for first, second in ((0, 3), (1, 2)):
                exchanges += [
                    _Exchange(rnd, a, b, p, q, self.randomize)
                    for a in groups[first]
                    for b in groups[second]
                ]
        return exchanges

    def _realise(self, exchanges: list[_Exchange]) -> list[_Exchange]:
        """Rule 7: realise the first exchange of the list and update the others, until the
        list is empty; the realised exchanges in order."""
        realized: list[_Exchange] = []
        affected: dict[tuple[str, int, int], list[_Exchange]] = {}
        for ex in exchanges:
            for key in ex.touches():
                affected.setdefault(key, []).append(ex)
        while exchanges:
            self._order(exchanges)
            best = self._pick(exchanges)
            if not best.valid:
                continue
            # only exchanges sharing an actor's supply or demand issue with it can change;
            # they are updated in list order (the randomized variant draws as it goes)
            hit = _affected_by(best, affected)
            for ex in exchanges:
                if ex.valid and id(ex) in hit:
                    ex.recalculate(best)
            exchanges = [ex for ex in exchanges if ex.valid]
            realized.append(best)
        return realized

    def outcome(self) -> np.ndarray:
        """The current outcome on each issue's scale."""
        return self._scale(self.round_type(self.x, self.s, self.c, self.party).outcome())


def _refuse_zero_salience(s: np.ndarray, party: np.ndarray) -> None:
    """Decimal arithmetic stops at a division by zero, which a zero salience makes (decide
    would too): say so before the first round instead."""
    zero = np.argwhere((s == 0) & party)
    if zero.size:
        actor, issue = zero[0]
        raise ValueError(
            f"exchange: decimal arithmetic cannot play a zero salience (actor {actor}, issue "
            f"{issue}: its rates divide by it); use arithmetic='float', which computes them "
            "as numpy does (inf or nan: such an exchange is never valid)"
        )


def exchange_rounds(x, s, c, party, low, high, rounds: int, **options: Any) -> list[ExchangeRound]:
    """Play ``rounds`` rounds of the exchange model on one run; see :class:`ExchangeModel`."""
    model = ExchangeModel(x, s, c, party, low, high, **options)
    return [model.step_round() for _ in range(rounds)]


def exchange_model_for(
    table, row: int, *, ties: str = "first", arithmetic: str = "float", rate: float = 0.0
) -> ExchangeModel:
    """The exchange model of open run ``row`` of a protocol table (shared by the vectorized
    protocol and the Mesa agent model)."""
    sc = table.scenario
    rng = table.run_rng(row) if ties == "random" or rate else None
    return ExchangeModel(
        table.positions[row],
        table.salience[row] / 100,
        table.issue_power[row],
        table.party[row],
        sc.low,
        sc.high,
        arithmetic=arithmetic,
        rng=rng,
        rate=rate,
        ties=ties,
    )


BATCH_RUNS = 512
"""The most runs per batch of the float path: a round takes as many steps as its busiest run
needs, each a fixed number of numpy calls, so a batch spreads their cost over its runs
(package_2007, 10 rounds, CPU time on 2 cores: 0.55 ms per run and round at 512 runs at
once, 0.72 at 128)."""
BATCH_CELLS = 512 * 38 * 38 * 3
"""The most run x actor x actor x issue cells per batch: a batch's arrays grow with them
(package_2007, 38 actors and 3 issues, takes about 155 MB at 512 runs), so larger scenarios
take fewer runs at once (:func:`batch_runs`)."""


def batch_runs(actors: int, issues: int) -> int:
    """Runs per batch of the float path for a scenario of this size (at least one)."""
    return max(1, min(BATCH_RUNS, BATCH_CELLS // max(actors * actors * issues, 1)))


def run_exchange(
    table,
    *,
    ties: str = "first",
    arithmetic: str = "float",
    rate: float = 0.0,
    compiled: bool | None = None,
) -> None:
    """The exchange model as a protocol: every run plays ``rounds`` rounds; the outcome is
    the last round's voting outcome. Runs end "agreed" at the deadline (the model forecasts
    a collective decision rather than negotiating to one). Options: ``ties``, ``arithmetic``,
    ``rate`` (see :func:`exchange_model_for`), ``compiled`` (see :func:`exchange_outcomes`).

    The equal-gain model in float arithmetic runs over batches of runs at once
    (:func:`exchange_outcomes`: compiled with numba where it is installed, else the numpy
    batch); decimal arithmetic and the randomized variant run run by run.
    """
    runs = len(table.ids)
    outcome = np.empty((runs, len(table.span)))
    if arithmetic == "float" and not rate and ties in ("first", "random"):
        sc = table.scenario
        batch = batch_runs(len(sc.actors), len(sc.issues))
        for lo in range(0, runs, batch):
            rows = slice(lo, lo + batch)
            rngs = None
            if ties == "random":
                rngs = [table.run_rng(r) for r in range(lo, min(lo + batch, runs))]
            outcome[rows] = exchange_outcomes(
                table.positions[rows],
                table.salience[rows] / 100,
                table.issue_power[rows],
                table.party[rows],
                sc.low,
                sc.high,
                table.rounds,
                rngs=rngs,
                compiled=compiled,
            )
    else:
        options = {"ties": ties, "arithmetic": arithmetic, "rate": rate}
        for r in range(runs):
            model = exchange_model_for(table, r, **options)
            played = [model.step_round() for _ in range(table.rounds)]
            outcome[r] = played[-1].outcome_voting if played else model.outcome()
    table.finish(table.live.copy(), table.rounds, outcome=outcome, utility=table.utilities(outcome))
