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
final outcomes differ by up to 4.3 on the 0..100 scale, mean 0.20 (docs/protocols.md).

Each realised exchange is followed by recalculating only the exchanges that share an actor's
supply or demand issue with it (the others cannot change), in list order.

The rules' arithmetic is written once, in :mod:`negosim.protocols.exchange_rules`. Three ways
to play them: :class:`ExchangeModel` plays one run round by round in either arithmetic (with
the full record of every round; the Mesa model uses it); :func:`exchange_outcomes` plays many
runs at once in float arithmetic, compiled with numba run by run where numba is installed
(:mod:`negosim.protocols.exchange_compiled`, ``ties="first"``), else as a numpy batch. All are
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

from negosim.protocols import exchange_rules as rules
from negosim.protocols.exchange_rules import TIE, VALID_MOVE

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


# ----------------------------------------------------------------------------- batched float path
# The same rules over many runs at once in float arithmetic, operation for operation as the
# per-run float path above, so every comparison and every tie comes out the same: each run's
# candidate exchanges are rows of flat arrays, and each step of the realisation loop picks,
# in every run at once, the exchange the per-run list would put first. A step changes a few
# exchanges per run, so its cost is the number of numpy calls and of the rows they read: the
# two sides of an exchange are stacked (axis 0: i, j; the partner of a side is the flipped
# axis), every float of a side lives in one array a step gathers and scatters once, and the
# exchanges an actor takes part in are found through an index instead of a scan.

# fields of _BatchRound.sides: constant through the round ...
XD, SS, SD, CS, TOT, SC, PF, START = range(8)
# ... and changed by the realisation loop: the supply position, the side's moves (the last
# one and the sequential sum, minimum and maximum of the earlier ones in its list) and where
# it ends
XS, MOVE, Y, HSUM, HMIN, HMAX = range(8, 14)
MUTABLE = slice(XS, HMAX + 1)
SUM_BLOCK = 4096
"""Rows whose outcome sums are taken at once: their ``(A, rows)`` terms stay in the cache."""


def _column_sums(terms: np.ndarray) -> np.ndarray:
    """Sum ``(A, n)`` terms down each column top to bottom, as Python's ``sum`` adds (numpy
    reduces a non-contiguous axis element by element in order; a single column is contiguous
    and would be summed pairwise, so it takes the cumulative sum)."""
    if terms.shape[1] < 2:
        return np.cumsum(terms, axis=0)[-1]
    return np.add.reduce(np.ascontiguousarray(terms), axis=0)


def _sequential_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the last axis left to right (as Python's ``sum``), not pairwise."""
    if values.shape[-1] == 0:
        return np.zeros(values.shape[:-1])
    return np.cumsum(values, axis=-1)[..., -1]


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, 0 where ``den`` is 0 (an issue without weight has outcome 0)."""
    return np.divide(num, den, out=np.zeros_like(num), where=den != 0)


def _orient(side: np.ndarray, move: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moves pointing toward the partner's position, and where the sides end."""
    xs = side[XS]
    move = np.where(xs > side[XD, ::-1], -move, move)
    return move, xs + move


def _valid(side: np.ndarray) -> np.ndarray:
    """Rule 6 for both sides of each exchange: the move's size, the range, the sum of the
    side's moves and one direction for all of them."""
    move, y = side[MOVE], side[Y]
    size = np.abs(move)
    # a move that is not a number fails the first test, so the sum test may read "<="
    ok = (size <= 100) & (size > VALID_MOVE) & (y >= 0) & (y <= 100)
    ok &= side[HSUM] + move <= 100
    # all of the side's moves negative, or all positive (low <= high)
    ok &= (np.maximum(side[HMAX], move) < 0) | (np.minimum(side[HMIN], move) > 0)
    return ok[0] & ok[1]


def _run_minimum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The minimum over each run's rows (rows sorted by run, ``starts`` ``(R + 1,)``), inf
    where a run has none."""
    out = np.full(len(starts) - 1, np.inf)
    some = starts[:-1] < starts[1:]
    if values.size:
        out[some] = np.minimum.reduceat(values, starts[:-1][some])
    return out


class _BatchRound:
    """One round of the exchange model for every run of a batch, in float arithmetic.

    ``x`` ``(R, A, I)`` positions normalised to 0..100, ``s`` saliences in [0, 1], ``c``
    power, ``party`` the actor-issue pairs that exist; ``rngs`` the runs' generators for
    random tie-breaks (None: the earlier exchange).

    The positions an exchange's supply-issue outcome is computed with depend, besides the
    round's start, only on the run, the partner and the issue (rule 7 records a mover's
    position in every open exchange whose partner demands what it supplied), so they are
    kept per run, partner and issue (``table``), as outcome terms.
    """

    def __init__(self, x, s, c, party, rngs=None) -> None:
        self.x, self.rngs = x, rngs
        runs, actors, issues = x.shape
        terms = np.where(party, x * s * c, 0.0)  # (R, A, I)
        self.total = _sequential_sum(np.where(party, s * c, 0.0).transpose(0, 2, 1))
        numerator = _sequential_sum(terms.transpose(0, 2, 1))
        self.before = _divide(numerator, self.total)  # (R, I)
        self.numerator = numerator.ravel()
        # table[(run, partner, issue)]: the terms x s c of the issue's outcome with the
        # positions recorded for exchanges with that partner (start_terms: none recorded)
        by_issue = terms.transpose(0, 2, 1)  # (R, I, A)
        self.start_rows = np.ascontiguousarray(by_issue.reshape(-1, actors))  # (R * I, A)
        self.start_terms = np.ascontiguousarray(self.start_rows.T)  # (A, R * I)
        # table: filled on an entry's first recorded position; recorded and has (flat, at
        # entry * A + actor): a recorded position and whether there is one
        self.table = np.empty((runs * actors * issues, actors))
        self.recorded = np.zeros(self.table.size)
        self.has = np.zeros(self.table.size, bool)
        self.changed = np.zeros(runs * actors * issues, bool)
        # every entry's outcome sum in actor order; with no negative term (positions within
        # their scales) a sum with one term replaced is first taken from it (_shortcut)
        self.table_sum = np.repeat(numerator[:, None], actors, axis=1).ravel()
        self.shortcut = bool((terms >= 0).all())
        self._candidates(s, c, party)

    @np.errstate(divide="ignore", invalid="ignore")  # only in rows the rules do not take
    def _candidates(self, s, c, party) -> None:
        """Rules 2-3 for every run: candidate exchanges in the per-run list order."""
        x = self.x
        runs, actors, issues = x.shape
        pairs = np.array(list(combinations(range(issues), 2)), np.intp).reshape(-1, 2)
        left = (x < self.before[:, None, :]).astype(np.intp)
        present = np.zeros((runs, len(pairs), 2, actors, actors), bool)
        for n, (p, q) in enumerate(pairs):
            group = np.where(party[:, :, p] & party[:, :, q], left[:, :, p] + 2 * left[:, :, q], -1)
            for block, (f, g) in enumerate(((0, 3), (1, 2))):
                present[:, n, block] = (group[:, :, None] == f) & (group[:, None, :] == g)
        run, pair, _, a, b = np.nonzero(present)
        p, q = pairs[pair, 0], pairs[pair, 1]
        a_supplies_p = _ratio(s[run, a, p], s[run, a, q]) < _ratio(s[run, b, p], s[run, b, q])
        # side i supplies q, side j supplies p (and demands the other)
        actor = np.stack([np.where(a_supplies_p, b, a), np.where(a_supplies_p, a, b)])
        supply = np.stack([q, p])
        self.run, self.actor, self.supply = run, actor, supply
        n = len(run)
        side = np.zeros((HMAX + 1, 2, n))
        side[XS] = x[run, actor, supply]
        side[XD] = x[run, actor, supply[::-1]]
        side[SS], side[SD] = s[run, actor, supply], s[run, actor, supply[::-1]]
        side[CS] = c[run, actor, supply]
        side[TOT] = self.total[run, supply]
        side[SC] = side[SS] * side[CS]
        # the factor that turns a side's outcome shift into its partner's at equal gains
        side[PF] = (side[SS] + side[SD, ::-1]) / (side[SD] + side[SS, ::-1])
        side[START] = side[XS]
        side[HMIN], side[HMAX] = np.inf, -np.inf
        # stored row by row, (n, field, side): a step reads and writes whole rows
        self.sides = np.ascontiguousarray(side.transpose(2, 0, 1))
        self.gain, self.key = np.zeros(n), np.zeros(n)
        self.valid, self.alive = np.ones(n, bool), np.ones(n, bool)
        # order among equal keys = the order in the per-run list (see _replace)
        self.place = np.arange(n, dtype=float)
        self.front, self.back = np.zeros(runs), np.full(runs, float(n))
        self._index(first=True)
        self._calculate(np.arange(n), None, side=side)
        self.stale = not self.valid.all()  # invalid exchanges still open

    def _index(self, first: bool = False) -> None:
        """Where each run's rows start, each side's column of ``start_terms`` and entry of
        ``table``; on the ``first`` rows, the rows each actor of each run takes part in
        (``by_actor``, from ``actor_start``; ``now``: a first row's row now, -1: dropped)."""
        runs, actors, issues = self.x.shape
        self.starts = np.searchsorted(self.run, np.arange(runs + 1))
        self.column = self.run * issues + self.supply
        self.entry = (self.run * actors + self.actor[::-1]) * issues + self.supply
        self.flat = self.entry * actors + self.actor
        if not first:
            return
        key = (self.run * actors + self.actor).ravel()
        # numpy sorts 16-bit keys stably by radix
        small = runs * actors <= np.iinfo(np.uint16).max
        order = np.argsort(key.astype(np.uint16) if small else key, kind="stable")
        self.by_actor = np.tile(np.arange(len(self.run)), 2)[order]
        self.actor_start = np.searchsorted(key[order], np.arange(runs * actors + 1))
        self.now = np.arange(len(self.run))

    # ---------------------------------------------------------------- rules 4-6
    def _gather(self, rows: np.ndarray) -> np.ndarray:
        """The sides of ``rows`` as ``(field, side, n)``."""
        return np.ascontiguousarray(np.take(self.sides, rows, axis=0).transpose(1, 2, 0))

    def _sums(self, me: int, rows: np.ndarray, own: list[np.ndarray]) -> list[np.ndarray]:
        """``sum_k x_k s_k c_k`` on side ``me``'s supply issue in actor order, with the
        positions recorded for its partner and the side's own term set to each of ``own``;
        in blocks of rows whose ``(A, block)`` terms stay in the cache."""
        out = [np.empty(len(rows)) for _ in own]
        for lo in range(0, len(rows), SUM_BLOCK):
            part = slice(lo, lo + SUM_BLOCK)
            at = rows[part]
            terms = np.take(self.start_terms, np.take(self.column[me], at), axis=1)
            entry = np.take(self.entry[me], at)
            some = np.flatnonzero(self.changed[entry])
            if some.size:
                terms[:, some] = self.table[entry[some]].T
            actor, line = np.take(self.actor[me], at), np.arange(len(at))
            for total, term in zip(out, own, strict=True):
                terms[actor, line] = term[part]
                total[part] = _column_sums(terms)
        return out

    @np.errstate(divide="ignore", invalid="ignore")  # only in rows the rules do not take
    def _limit_to_partner(
        self, side: np.ndarray, rows: np.ndarray, me: int, fresh: bool, sub=None
    ) -> None:
        """Cut a move that would carry the outcome past the partner's position (rule 5);
        ``side``: the rows' sides, changed in place, of which those at ``sub`` (None: all)
        are looked at; ``fresh``: no position recorded and every supply position at the
        round's start (the sum before is the round's)."""
        you = 1 - me
        if sub is None:
            mine, x = side[:, me], side[XD, you]
        else:
            rows, mine, x = rows[sub], side[:, me, sub], side[XD, you, sub]
        total = mine[TOT]
        start = mine[XS] * mine[SS] * mine[CS]
        end = mine[Y] * mine[SS] * mine[CS]
        if fresh:  # every term as at the round's start
            column, term, own = np.take(self.numerator, np.take(self.column[me], rows)), start, None
        else:
            entry, flat = np.take(self.entry[me], rows), np.take(self.flat[me], rows)
            own = np.take(self.has, flat)
            column = np.take(self.table_sum, entry)
            # the column's term of the side's actor: its own recorded position, else its start
            term = np.where(
                own, np.take(self.table.ravel(), flat), mine[START] * mine[SS] * mine[CS]
            )
        (before, after), doubt = _shortcut(
            column, term, np.stack([start, end]), total, x, len(self.x[0])
        )
        # the outcome sum before, where known: with the own term unchanged, the column's sum
        weighted = np.where(start == term, column, np.nan)
        doubt = np.flatnonzero(doubt.any(axis=0) | (not self.shortcut))
        if doubt.size:
            b_sum, a_sum = self._sums(me, rows[doubt], [start[doubt], end[doubt]])
            before[doubt], after[doubt] = _divide(b_sum, total[doubt]), _divide(a_sum, total[doubt])
            weighted[doubt] = b_sum
        stays = ((x - before >= 0) & (x - after >= 0)) | ((x - before <= 0) & (x - after <= 0))
        cut = np.flatnonzero(~stays)
        if not cut.size:
            return
        # how far the actor must move for the outcome to land on x, a recorded position of
        # its own taking precedence (the column's sum as it is)
        if own is not None:
            weighted = np.where(own, column, weighted)
        weighted = weighted[cut]
        missing = np.flatnonzero(np.isnan(weighted))
        if missing.size:
            (weighted[missing],) = self._sums(me, rows[cut[missing]], [start[cut[missing]]])
        at = cut if sub is None else sub[cut]
        part = np.take(side, at, axis=2)
        mine, theirs_side, x, total = part[:, me], part[:, you], x[cut], total[cut]
        delta = np.abs((x * total - weighted) / mine[SC])
        shift = rules.full_shift(delta, mine[SS], mine[CS], total)
        theirs = mine[PF] * shift
        move = np.empty((2, cut.size))
        move[me] = delta
        move[you] = np.abs(theirs * theirs_side[TOT] / theirs_side[SC])
        side[MOVE][:, at], side[Y][:, at] = _orient(part, move)
        self.gain[rows[cut]] = rules.equal_gain(theirs, shift, theirs_side[SS], theirs_side[SD])

    @np.errstate(divide="ignore", invalid="ignore")  # only in rows the rules do not take
    def _calculate(self, rows: np.ndarray, keep: np.ndarray | None, start=None, side=None) -> None:
        """Rates, moves and gain from the current positions (rules 4-6); ``keep`` ``(2, n)``:
        sides whose supply position moved to ``start`` and whose last move stays in their
        list (a new move follows) instead of being replaced; ``keep=None``: the round's first
        calculation, with the sides at hand in ``side``."""
        fresh = keep is None
        side = self._gather(rows) if side is None else side
        if keep is not None:
            side[XS] = np.where(keep, start, side[XS])
            last = side[MOVE]
            side[HSUM] = np.where(keep, side[HSUM] + last, side[HSUM])
            side[HMIN] = np.where(keep, np.minimum(side[HMIN], last), side[HMIN])
            side[HMAX] = np.where(keep, np.maximum(side[HMAX], last), side[HMAX])
        # [i, j]: moving all the way to the partner, its outcome shift, the partner's shift
        # at equal gains and the partner's move for it
        gap = np.abs(side[XD, ::-1] - side[XS])
        full = rules.full_shift(gap, side[SS], side[CS], side[TOT])
        paired = side[PF] * full
        move = paired[::-1] * side[TOT] / side[SC]
        # j moves all the way, unless i would then overshoot j's position
        over = np.abs(move[0]) > gap[0]
        move[0] = np.where(over, gap[0], move[0])
        move[1] = np.where(over, move[1], gap[1])
        dq = np.where(over, full[0], paired[1])
        dp = np.where(over, paired[0], full[1])
        side[MOVE], side[Y] = _orient(side, move)
        gain = rules.equal_gain(dq, dp, side[SS, 0], side[SD, 0])
        self.gain[rows] = gain
        valid = _valid(side) & (gain >= VALID_MOVE)
        limited = np.flatnonzero(valid)
        if limited.size:
            sub = None if limited.size == len(rows) else limited
            self._limit_to_partner(side, rows, 0, fresh, sub)
            self._limit_to_partner(side, rows, 1, fresh, sub)
            valid &= _valid(side)
        self.sides[rows, MUTABLE] = side[MUTABLE].transpose(2, 0, 1)
        self.valid[rows] = valid
        self.key[rows] = rules.order_key(self.gain[rows])

    # ---------------------------------------------------------------- rule 7
    def _first(self, alive: np.ndarray) -> np.ndarray:
        """Per run, the row the per-run list puts first among ``alive`` (-1: none): of the
        rows with the smallest key, the one with the smallest place."""
        key = np.where(alive, self.key, np.inf)
        low = _run_minimum(key, self.starts)
        rows = np.flatnonzero(alive & (key == np.take(low, self.run)))
        run = self.run[rows]
        out = np.full(len(self.starts) - 1, -1)
        if (run[1:] == run[:-1]).any():  # equal keys: the place decides
            order = np.lexsort((self.place[rows], run))
            rows, run = rows[order], run[order]
            head = np.ones(len(rows), bool)
            head[1:] = run[1:] != run[:-1]
            rows, run = rows[head], run[head]
        out[run] = rows
        return out

    def _pick(self) -> tuple[np.ndarray, np.ndarray]:
        """Each open run's next exchange, and the row moved to the end of its list by a random
        tie-break (-1: none)."""
        best = self._first(self.alive)
        moved = np.full(len(best), -1)
        if self.rngs is None:
            return best, moved
        alive = self.alive.copy()
        alive[best[best >= 0]] = False
        second = self._first(alive)
        for r in np.flatnonzero((best >= 0) & (second >= 0)):
            b, n = best[r], second[r]
            if abs(self.gain[b] - self.gain[n]) < TIE:
                if self.rngs[r].random() >= 0.5:
                    best[r], moved[r] = n, b
                else:
                    moved[r] = n
        return best, moved

    def _replace(self, rows, old_key, moved) -> None:
        """Keep ``(key, place)`` ordering each run's list as the per-run stable sort would.

        The list was sorted by the old keys; sorting it again by the new keys keeps the list
        order among equal keys. So a row whose key changed goes in front of the rows that
        already had its new key if its old key sorted before theirs, else behind them; rows
        changing together keep their old order among themselves; a row a random tie-break
        moved to the end of the list goes behind all (until the next sort).
        """
        differs = self.key[rows] != old_key
        changed, old_key = rows[differs], old_key[differs]
        for ahead in (True, False):
            select = (old_key < self.key[changed]) == ahead
            part = changed[select]
            if not part.size:
                continue
            order = np.lexsort((self.place[part], old_key[select], self.run[part]))
            part = part[order]
            run = self.run[part]
            count = np.bincount(run, minlength=len(self.x)).astype(float)
            rank = np.arange(len(part)) - np.searchsorted(run, run)
            if ahead:
                self.front -= count
                self.place[part] = self.front[run] + rank
            else:
                self.place[part] = self.back[run] + rank
                self.back += count
        last = moved[moved >= 0]
        self.place[last] = self.back[self.run[last]]
        self.back[self.run[last]] += 1

    def _sharing(self, done: np.ndarray, runs: np.ndarray) -> np.ndarray:
        """The open, valid rows with an actor of ``done`` (realised in ``runs``), in order."""
        key = (runs * self.x.shape[1] + self.actor[:, done]).ravel()
        start, end = self.actor_start[key], self.actor_start[key + 1]
        size = end - start
        at = np.arange(size.sum()) + np.repeat(start - (np.cumsum(size) - size), size)
        now = np.take(self.now, np.take(self.by_actor, at))
        rows = np.zeros(len(self.run), bool)
        rows[now[now >= 0]] = True
        return np.flatnonzero(rows & self.alive & self.valid)

    def _recalculate(self, done: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Update the open exchanges of each run after its realised exchange ``done[run]``
        (-1: none); the rows recalculated and their keys before."""
        runs = np.flatnonzero(done >= 0)
        done = done[runs]
        self._record_movers(done, runs)
        rows = self._sharing(done, runs)
        # done of each run, as (run, field, side), and the row's done
        realised = np.zeros((len(self.x), *self.sides.shape[1:]))
        realised[runs] = np.take(self.sides, done, axis=0)
        d = np.full(len(self.x), -1)
        d[runs] = done
        d = d[self.run[rows]]
        # side k of the row and side t of done: same actor, same supply issue
        actor, supply = (np.take(a, rows, axis=1)[:, None] for a in (self.actor, self.supply))
        same = actor == np.take(self.actor, d, axis=1)
        issue = supply == np.take(self.supply, d, axis=1)
        supply = same & issue
        # the row's partner on side k's supply issue is done's partner on it: a position
        # recorded (_record_movers)
        demand = same[::-1, ::-1] & issue
        touched = np.flatnonzero(supply.any(axis=(0, 1)) | demand.any(axis=(0, 1)))
        rows, supply = rows[touched], supply[:, :, touched]
        # a side with done's actor and supply issue starts from where done's side ended and
        # keeps its last move in its list
        y = np.take(realised[:, Y], self.run[rows], axis=0).T  # [t]: done's side t
        start = np.where(supply[:, 0], y[0], y[1])
        old_key = self.key[rows]
        self._calculate(rows, supply.any(axis=1), start)
        return rows, old_key

    def _record_movers(self, done: np.ndarray, runs: np.ndarray) -> None:
        """Rule 7 for the partner positions: each side of ``done`` moved on the issue its
        partner demands; every open exchange with that partner and issue now computes that
        issue's outcome with the mover there (bounded by decide's rule if already there)."""
        # both sides at once: their entries differ (each side supplies another issue)
        entry, flat = self.entry[:, done].ravel(), self.flat[:, done].ravel()
        new = ~self.changed[entry]
        self.table[entry[new]] = self.start_rows[self.column[:, done].ravel()[new]]
        self.changed[entry] = True
        previous, had = self.recorded[flat], self.has[flat]
        mover = np.take(self.sides, done, axis=0)  # (D, field, side)
        start, moved = mover[:, START].T.ravel(), mover[:, Y].T.ravel()
        bounded = np.where(
            start <= previous,
            np.where(previous < moved, previous, moved),
            np.where(previous > moved, previous, moved),
        )
        position = np.where(had, bounded, moved)
        self.recorded[flat], self.has[flat] = position, True
        self.table.ravel()[flat] = position * mover[:, SS].T.ravel() * mover[:, CS].T.ravel()
        self.table_sum[entry] = _sequential_sum(self.table[entry])

    def play(self) -> tuple[np.ndarray, np.ndarray]:
        """Realise exchanges until every run's list is empty; the voting and the next start
        positions ``(R, A, I)``."""
        voting, nxt = self.x.copy(), self.x.copy()
        while (open_ := np.count_nonzero(self.alive)) > 0:
            if open_ < 0.5 * len(self.alive):
                self._compact()
            best, moved = self._pick()
            picked = best >= 0
            self.alive[best[picked]] = False
            done = np.full(len(best), -1)
            done[picked] = np.where(self.valid[best[picked]], best[picked], -1)
            rows, old_key = self._recalculate(done)
            self._replace(rows, old_key, moved)
            # runs that realised one drop every exchange no longer valid
            self.alive[rows[~self.valid[rows]]] = False
            if self.stale:
                self.alive &= ~((done[self.run] >= 0) & ~self.valid)
                self.stale = bool((self.alive & ~self.valid).any())
            self._record(done[done >= 0], voting, nxt)
        return voting, nxt

    def _record(self, rows: np.ndarray, voting: np.ndarray, nxt: np.ndarray) -> None:
        """End of round for the realised exchanges ``rows``, in realisation order (a later
        exchange of the same actor and issue overwrites an earlier one): the voting position
        and the next start position ``x + (0.1 + 0.4 (1 - s)) (y - x)``, term by term."""
        run, actor, supply = self.run[rows], self.actor[:, rows], self.supply[:, rows]
        y, x0, s_ = np.take(self.sides, rows, axis=0)[:, [Y, START, SS]].transpose(1, 2, 0)
        voting[run, actor, supply] = y
        nxt[run, actor, supply] = rules.next_start(
            s_, y, x0, rules.SHIFT_WEIGHT, rules.FIXED_WEIGHT
        )

    def _compact(self) -> None:
        """Drop the rows of exchanges no longer open."""
        keep = np.flatnonzero(self.alive)
        moved = np.full(len(self.alive) + 1, -1)  # [-1]: rows already dropped stay dropped
        moved[keep] = np.arange(len(keep))
        self.now = np.take(moved, self.now)
        for name in ("run", "gain", "key", "valid", "alive", "place"):
            setattr(self, name, getattr(self, name)[keep])
        self.actor, self.supply = self.actor[:, keep], self.supply[:, keep]
        self.sides = self.sides[keep]
        self._index()


@np.errstate(divide="ignore", invalid="ignore")
def _shortcut(column, term, value, total, x, terms: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`negosim.protocols.exchange_rules.shortcut_outcome` on arrays."""
    return rules.shortcut_outcome(column, term, value, total, x, terms)


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """``top / bottom``, infinite where ``bottom`` is 0."""
    return np.divide(top, bottom, out=np.full_like(top, np.inf), where=bottom != 0)


def _outcomes(x, s, c, party) -> np.ndarray:
    """The weighted mean of every issue of every run, ``(R, I)``."""
    total = _sequential_sum(np.where(party, s * c, 0.0).transpose(0, 2, 1))
    return _divide(_sequential_sum(np.where(party, x * s * c, 0.0).transpose(0, 2, 1)), total)


def exchange_outcomes(
    x, s, c, party, low, high, rounds: int, *, rngs=None, compiled: bool | None = None
) -> np.ndarray:
    """The voting outcome after ``rounds`` rounds of the equal-gain model for many runs at
    once, in float arithmetic: run for run the same as :class:`ExchangeModel` with
    ``arithmetic="float"`` (``rngs``: the runs' generators for ``ties="random"``).

    Parameters
    ----------
    x, s, c, party
        ``(R, A, I)`` positions on each issue's scale, saliences in [0, 1], power and the
        actor-issue pairs that exist.
    low, high
        ``(I,)`` issue scales.
    rounds
        Number of rounds.
    rngs
        The runs' generators for random tie-breaks (None: the earlier exchange).
    compiled
        Play the runs with the numba-compiled model
        (:mod:`negosim.protocols.exchange_compiled`, the same numbers, several times
        faster) instead of the numpy batch; None: when numba is installed and ``rngs`` is
        None (the compiled model breaks ties the first way only).

    Returns
    -------
    numpy.ndarray
        ``(R, I)`` outcomes on each issue's scale (the start outcome when ``rounds`` is 0).
    """
    from negosim.protocols import exchange_compiled

    if compiled is None:
        compiled = exchange_compiled.AVAILABLE and rngs is None
    if compiled and rngs is not None:
        raise ValueError("exchange: the compiled model breaks ties the first way only (rngs=None)")
    low, high = np.asarray(low, float), np.asarray(high, float)
    step = 100.0 / (high - low)
    x = (np.asarray(x, float) - low) * step
    s, c = np.asarray(s, float), np.asarray(c, float)
    party = np.broadcast_to(np.asarray(party, bool), x.shape)
    if compiled:
        return exchange_compiled.exchange_outcomes_compiled(x, s, c, party, rounds) / step + low
    outcome = _outcomes(x, s, c, party)
    for _ in range(rounds):
        voting, x = _BatchRound(x, s, c, party, rngs).play()
        outcome = _outcomes(voting, s, c, party)
    return outcome / step + low
