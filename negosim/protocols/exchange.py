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
depends on the last digit of such sums; it is the exact reference, about 2.3 times slower.
Once a last digit flips such a decision the trajectories part: on 200 sampled runs of
package_2007 (10 rounds) the final outcomes differ by up to 2.4 on the 0..100 scale, mean 0.15
(docs/protocols.md).

Each realised exchange is followed by recalculating only the exchanges that share an actor's
supply or demand issue with it (the others cannot change), in list order.

Two implementations of these rules: :class:`ExchangeModel` plays one run round by round in
either arithmetic (with the full record of every round; the Mesa model uses it), and
:func:`exchange_outcomes` plays many runs at once in float arithmetic, operation for operation
the same (tests compare the two run by run, ties included); the protocol uses the batch for the
equal-gain model in float arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from operator import attrgetter
from typing import Any, ClassVar

import numpy as np

VALID_MOVE = 1e-10
TIE = 1e-12  # float mode: gains this close count as equal (decide compares exact decimals)
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
        move = self.move
        if abs(move) > 100 or abs(move) <= VALID_MOVE:
            return False
        if not 0 <= self.x_supply + move <= 100 or sum(self.moves) > 100:
            return False
        low, high = min(self.moves), max(self.moves)
        return (low < 0 and high < 0) or (low > 0 and high > 0)


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
        return ratio * self.total[side.supply] / (side.c_supply * side.s_supply)

    def full_ratio(self, side: _Side) -> Any:
        """Outcome shift if ``side`` moves all the way to its partner's position."""
        gap = abs(side.partner.x_demand - side.x_supply)
        return gap * side.s_supply * side.c_supply / self.total[side.supply]


def _paired_ratio(side: _Side, ratio: Any) -> Any:
    """The partner's outcome shift that equalises the two gains."""
    partner = side.partner
    return (side.s_supply + partner.s_demand) / (side.s_demand + partner.s_supply) * ratio


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
        self.gain = abs(dq * i.s_supply - dp * i.s_demand)
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
        self.order_key = -self.gain if exact else -round(self.gain / TIE)

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
        mine = delta * me.s_supply * me.c_supply / rnd.total[me.supply]
        theirs = _paired_ratio(me, mine)
        you.move, me.move = abs(rnd.ratio_move(you, theirs)), delta
        for side in (you, me):
            if side.x_supply > side.partner.x_demand:
                side.move = -side.move
            side.moves[-1] = side.move
            side.y = side.x_supply + side.move
        self.gain = abs(theirs * you.s_supply - mine * you.s_demand)

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
                    _bounded(mover, table[mover.actor]) if mover.actor in table else mover.y
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


def _bounded(side: _Side, previous: Any) -> Any:
    """decide's update of a partner position already recorded in this round."""
    if side.start <= previous:
        return previous if previous < side.y else side.y
    return previous if previous > side.y else side.y


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
        num: Callable[[Any], Any] = _as_decimal if arithmetic == "decimal" else float
        self.exact = arithmetic == "decimal"
        self.party = np.asarray(party, bool)
        self.low = [num(v) for v in low]
        # decide: step = 100 / (upper - lower); normalised x = (x - lower) * step
        self.step = [num(100) / (num(h) - lo) for h, lo in zip(high, self.low, strict=True)]
        self.x = [
            [(num(v) - lo) * st for v, lo, st in zip(row, self.low, self.step, strict=True)]
            for row in np.asarray(x)
        ]
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
        self.weights = (0.4, 0.1) if not self.exact else (Decimal(0.4), Decimal(0.1))  # noqa: RUF032

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
                s_, x0, y = side.s_supply, side.start, side.y
                nxt[side.actor][side.supply] = (
                    (1 - s_) * sw * y + fw * y + (1 - (1 - s_) * sw - fw) * x0
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


BATCH_RUNS = 256
"""Runs per batch of the float path: enough to spread numpy's per-call cost of the (serial)
realisation loop, few enough that a batch's candidate arrays stay within tens of MB."""


def run_exchange(
    table, *, ties: str = "first", arithmetic: str = "float", rate: float = 0.0
) -> None:
    """The exchange model as a protocol: every run plays ``rounds`` rounds; the outcome is
    the last round's voting outcome. Runs end "agreed" at the deadline (the model forecasts
    a collective decision rather than negotiating to one). Options: ``ties``, ``arithmetic``,
    ``rate`` (see :func:`exchange_model_for`).

    The equal-gain model in float arithmetic runs over batches of runs at once
    (:func:`exchange_outcomes`); decimal arithmetic and the randomized variant run run by run.
    """
    runs = len(table.ids)
    outcome = np.empty((runs, len(table.span)))
    if arithmetic == "float" and not rate and ties in ("first", "random"):
        sc = table.scenario
        for lo in range(0, runs, BATCH_RUNS):
            rows = slice(lo, lo + BATCH_RUNS)
            rngs = None
            if ties == "random":
                rngs = [table.run_rng(r) for r in range(lo, min(lo + BATCH_RUNS, runs))]
            outcome[rows] = exchange_outcomes(
                table.positions[rows],
                table.salience[rows] / 100,
                table.issue_power[rows],
                table.party[rows],
                sc.low,
                sc.high,
                table.rounds,
                rngs=rngs,
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
# candidate exchanges are rows of flat arrays, and each step of the realisation loop picks, in
# every run at once, the exchange the per-run list would put first.


class _Sides:
    """One side of every candidate exchange: ``i`` supplies (moves on) q, ``j`` supplies p."""

    def __init__(self, actor, supply, demand, x, s, c, run) -> None:
        self.actor, self.supply, self.demand = actor, supply, demand
        self.x_supply = x[run, actor, supply]
        self.x_demand = x[run, actor, demand]
        self.s_supply, self.s_demand = s[run, actor, supply], s[run, actor, demand]
        self.c_supply = c[run, actor, supply]
        self.start = self.x_supply.copy()
        self.y = np.zeros_like(self.start)
        self.move = np.zeros_like(self.start)  # also the last entry of the side's list of moves
        # the other entries of that list: their sequential sum, minimum and maximum
        self.hist_sum = np.zeros_like(self.start)
        self.hist_min = np.full_like(self.start, np.inf)
        self.hist_max = np.full_like(self.start, -np.inf)
        # positions of other actors on the supply issue recorded from realised exchanges
        self.override = np.full((len(run), x.shape[1]), np.nan)
        self.recorded = np.zeros(len(run), bool)  # any override

    def take(self, rows: np.ndarray) -> None:
        for name, value in vars(self).items():
            setattr(self, name, value[rows])

    def keep_last(self, rows: np.ndarray) -> None:
        """The last move stays in the list (a new one follows) instead of being replaced."""
        last = self.move[rows]
        self.hist_sum[rows] = self.hist_sum[rows] + last
        self.hist_min[rows] = np.minimum(self.hist_min[rows], last)
        self.hist_max[rows] = np.maximum(self.hist_max[rows], last)

    def valid(self, rows: np.ndarray) -> np.ndarray:
        move = self.move[rows]
        size = np.abs(move)
        ok = (size <= 100) & (size > VALID_MOVE)
        moved = self.x_supply[rows] + move
        ok &= (moved >= 0) & (moved <= 100) & ~(self.hist_sum[rows] + move > 100)
        low, high = np.minimum(self.hist_min[rows], move), np.maximum(self.hist_max[rows], move)
        return ok & (((low < 0) & (high < 0)) | ((low > 0) & (high > 0)))

    def orient(self, partner: _Sides, rows: np.ndarray) -> None:
        """Moves point toward the partner's position; ``y`` is where the side ends."""
        move = self.move[rows]
        move = np.where(self.x_supply[rows] > partner.x_demand[rows], -move, move)
        self.move[rows] = move
        self.y[rows] = self.x_supply[rows] + move


def _sequential_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the last axis left to right (as Python's ``sum``), not pairwise."""
    if values.shape[-1] == 0:
        return np.zeros(values.shape[:-1])
    return np.cumsum(values, axis=-1)[..., -1]


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, 0 where ``den`` is 0 (an issue without weight has outcome 0)."""
    return np.divide(num, den, out=np.zeros_like(num), where=den != 0)


def _paired(side: _Sides, partner: _Sides, rows: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """The partner's outcome shift that equalises the two gains."""
    top = side.s_supply[rows] + partner.s_demand[rows]
    return top / (side.s_demand[rows] + partner.s_supply[rows]) * ratio


class _BatchRound:
    """One round of the exchange model for every run of a batch, in float arithmetic.

    ``x`` ``(R, A, I)`` positions normalised to 0..100, ``s`` saliences in [0, 1], ``c``
    power, ``party`` the actor-issue pairs that exist; ``rngs`` the runs' generators for
    random tie-breaks (None: the earlier exchange).
    """

    def __init__(self, x, s, c, party, rngs=None) -> None:
        self.x, self.s, self.c, self.party, self.rngs = x, s, c, party, rngs
        self.total = _sequential_sum(np.where(party, s * c, 0.0).transpose(0, 2, 1))
        self.terms = np.ascontiguousarray(np.where(party, x * s * c, 0.0).transpose(0, 2, 1))
        self.s_issue = np.ascontiguousarray(s.transpose(0, 2, 1))  # (R, I, A)
        self.c_issue = np.ascontiguousarray(c.transpose(0, 2, 1))
        self.before = _divide(_sequential_sum(self.terms), self.total)  # (R, I)
        self._candidates()

    def _candidates(self) -> None:
        """Rules 2-3 for every run: candidate exchanges in the per-run list order."""
        x, s, party = self.x, self.s, self.party
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
        ratio_a = _ratio(s[run, a, p], s[run, a, q])
        ratio_b = _ratio(s[run, b, p], s[run, b, q])
        a_supplies_p = ratio_a < ratio_b
        self.run, self.p, self.q = run, p, q
        self.i = _Sides(np.where(a_supplies_p, b, a), q, p, x, s, self.c, run)
        self.j = _Sides(np.where(a_supplies_p, a, b), p, q, x, s, self.c, run)
        n, runs = len(run), len(x)
        self.gain, self.key = np.zeros(n), np.zeros(n)
        self.valid, self.alive = np.ones(n, bool), np.ones(n, bool)
        # order among equal keys = the order in the per-run list (see _replace)
        self.place = np.arange(n, dtype=float)
        self.front, self.back = np.zeros(runs), np.full(runs, float(n))
        self._calculate(np.arange(n), np.zeros(n, bool), np.zeros(n, bool))

    # ---------------------------------------------------------------- rules 4-6
    def _weighted(self, rows, side: _Sides, position, actor_first: bool) -> np.ndarray:
        """``sum_k x_k s_k c_k`` on the side's supply issue with its recorded positions and its
        own actor at ``position`` (set first, so recorded positions win, if ``actor_first``)."""
        terms = self.terms[self.run[rows], side.supply[rows]]  # (n, A), a copy
        line = np.arange(len(rows))
        own = position * side.s_supply[rows] * side.c_supply[rows]
        if not actor_first:
            self._recorded(rows, side, terms)
        terms[line, side.actor[rows]] = own
        if actor_first:
            self._recorded(rows, side, terms)
        return _sequential_sum(terms)

    def _recorded(self, rows, side: _Sides, terms: np.ndarray) -> None:
        """Put the positions recorded from realised exchanges into ``terms`` (rows that have
        any; the movers recorded supply the issue, so they are party to it)."""
        some = np.flatnonzero(side.recorded[rows])
        if not some.size:
            return
        at = rows[some]
        run, issue = self.run[at], side.supply[at]
        override = side.override[at]
        value = override * self.s_issue[run, issue] * self.c_issue[run, issue]
        terms[some] = np.where(np.isnan(override), terms[some], value)

    @np.errstate(divide="ignore", invalid="ignore")  # only in rows the rules do not take
    def _limit_to_partner(self, rows, me: _Sides, you: _Sides) -> None:
        """Cut a move that would carry the outcome past the partner's position (rule 5)."""
        total = self.total[self.run[rows], me.supply[rows]]
        before = _divide(self._weighted(rows, me, me.x_supply[rows], False), total)
        after = _divide(self._weighted(rows, me, me.y[rows], False), total)
        x = you.x_demand[rows]
        stays = ((x - before >= 0) & (x - after >= 0)) | ((x - before <= 0) & (x - after <= 0))
        rows, total, x = rows[~stays], total[~stays], x[~stays]
        if not rows.size:
            return
        weighted = self._weighted(rows, me, me.x_supply[rows], True)
        ss, cs = me.s_supply[rows], me.c_supply[rows]
        delta = np.abs((x * total - weighted) / (ss * cs))
        mine = delta * ss * cs / total
        theirs = _paired(me, you, rows, mine)
        you_total = self.total[self.run[rows], you.supply[rows]]
        you.move[rows] = np.abs(theirs * you_total / (you.c_supply[rows] * you.s_supply[rows]))
        me.move[rows] = delta
        you.orient(me, rows)
        me.orient(you, rows)
        self.gain[rows] = np.abs(theirs * you.s_supply[rows] - mine * you.s_demand[rows])

    @np.errstate(divide="ignore", invalid="ignore")  # only in rows the rules do not take
    def _calculate(self, rows, keep_i, keep_j) -> None:
        """Rates, moves and gain from the current positions (rules 4-6); ``keep_*``: rows
        whose side keeps its last move in its list (its supply position moved)."""
        i, j = self.i, self.j
        i.keep_last(rows[keep_i])
        j.keep_last(rows[keep_j])
        run = self.run[rows]
        total_p, total_q = self.total[run, self.p[rows]], self.total[run, self.q[rows]]
        gap_j = np.abs(i.x_demand[rows] - j.x_supply[rows])
        dp = gap_j * j.s_supply[rows] * j.c_supply[rows] / total_p
        dq = _paired(j, i, rows, dp)
        move_i = dq * total_q / (i.c_supply[rows] * i.s_supply[rows])
        gap_i = np.abs(j.x_demand[rows] - i.x_supply[rows])
        over = np.abs(move_i) > gap_i
        dq_over = gap_i * i.s_supply[rows] * i.c_supply[rows] / total_q
        dp_over = _paired(i, j, rows, dq_over)
        move_j = dp_over * total_p / (j.c_supply[rows] * j.s_supply[rows])
        dq, dp = np.where(over, dq_over, dq), np.where(over, dp_over, dp)
        i.move[rows] = np.where(over, gap_i, move_i)
        j.move[rows] = np.where(over, move_j, gap_j)
        i.orient(j, rows)
        j.orient(i, rows)
        self.gain[rows] = np.abs(dq * i.s_supply[rows] - dp * i.s_demand[rows])
        valid = i.valid(rows) & j.valid(rows) & (self.gain[rows] >= VALID_MOVE)
        limited = rows[valid]
        self._limit_to_partner(limited, i, j)
        self._limit_to_partner(limited, j, i)
        valid[valid] = i.valid(limited) & j.valid(limited)
        self.valid[rows] = valid
        self.key[rows] = -np.rint(self.gain[rows] / TIE)

    # ---------------------------------------------------------------- rule 7
    def _first(self, alive: np.ndarray) -> np.ndarray:
        """Per run, the row the per-run list puts first among ``alive`` (-1: none)."""
        runs = len(self.x)
        key = np.where(alive, self.key, np.inf)
        low = np.full(runs, np.inf)
        np.minimum.at(low, self.run, key)
        top = alive & (key == low[self.run])
        place = np.where(top, self.place, np.inf)
        first = np.full(runs, np.inf)
        np.minimum.at(first, self.run, place)
        rows = np.flatnonzero(top & (place == first[self.run]))
        out = np.full(runs, -1)
        out[self.run[rows]] = rows
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
        changed = rows[self.key[rows] != old_key[rows]]
        for ahead in (True, False):
            part = changed[(old_key[changed] < self.key[changed]) == ahead]
            if not part.size:
                continue
            order = part[np.lexsort((self.place[part], old_key[part], self.run[part]))]
            run = self.run[order]
            count = np.bincount(run, minlength=len(self.x)).astype(float)
            rank = np.arange(len(order)) - np.searchsorted(run, run)
            if ahead:
                self.front -= count
                self.place[order] = self.front[run] + rank
            else:
                self.place[order] = self.back[run] + rank
                self.back += count
        last = moved[moved >= 0]
        self.place[last] = self.back[self.run[last]]
        self.back[self.run[last]] += 1

    def _recalculate(self, done: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Update the open exchanges of each run after its realised exchange ``done[run]``
        (-1: none); the rows recalculated and the keys before."""
        i, j = self.i, self.j
        d = done[self.run]
        rows = np.flatnonzero((d >= 0) & self.alive & self.valid)
        d = d[rows]
        # every rule below needs an actor in common with done
        mine_i, mine_j, done_i, done_j = i.actor[rows], j.actor[rows], i.actor[d], j.actor[d]
        common = (mine_i == done_i) | (mine_i == done_j) | (mine_j == done_i) | (mine_j == done_j)
        rows, d = rows[common], d[common]
        # supply side: a side that supplies what a side of done supplies starts from there
        keep = {}
        for mine in (i, j):
            hit_i = (mine.actor[rows] == i.actor[d]) & (mine.supply[rows] == i.supply[d])
            hit_j = (mine.actor[rows] == j.actor[d]) & (mine.supply[rows] == j.supply[d])
            mine.x_supply[rows] = np.where(
                hit_i, i.y[d], np.where(hit_j, j.y[d], mine.x_supply[rows])
            )
            keep[mine is i] = hit_i | hit_j
        touched = keep[True] | keep[False]
        # demand side: the mover's new position is recorded on the issue it supplied
        for mover, partner in ((i, j), (j, i)):
            for side in (i, j):  # the candidate side whose supply is partner's demand
                other = j if side is i else i
                hit = (partner.actor[d] == other.actor[rows]) & (
                    partner.demand[d] == other.demand[rows]
                )
                hit &= side.supply[rows] == partner.demand[d]
                if not hit.any():
                    continue
                at, by = rows[hit], d[hit]
                actor = mover.actor[by]
                previous = side.override[at, actor]
                start, y = mover.start[by], mover.y[by]
                bounded = np.where(
                    start <= previous,
                    np.where(previous < y, previous, y),
                    np.where(previous > y, previous, y),
                )
                side.override[at, actor] = np.where(np.isnan(previous), y, bounded)
                side.recorded[at] = True
                touched |= hit
        rows, keep_i, keep_j = rows[touched], keep[True][touched], keep[False][touched]
        old_key = self.key.copy()
        self._calculate(rows, keep_i, keep_j)
        return rows, old_key

    def play(self) -> tuple[np.ndarray, np.ndarray]:
        """Realise exchanges until every run's list is empty; the voting and the next start
        positions ``(R, A, I)``."""
        realized = []
        while self.alive.any():
            best, moved = self._pick()
            picked = best >= 0
            self.alive[best[picked]] = False
            done = np.full(len(best), -1)
            done[picked] = np.where(self.valid[best[picked]], best[picked], -1)
            rows, old_key = self._recalculate(done)
            self._replace(rows, old_key, moved)
            # runs that realised one drop every exchange no longer valid
            self.alive &= ~((done[self.run] >= 0) & ~self.valid)
            realized.append(self._sides_of(done[done >= 0]))
            if self.alive.mean() < 0.5:
                self._compact()
        voting = self.x.copy()
        for sides in realized:
            for run, actor, supply, y, _, _ in sides:
                voting[run, actor, supply] = y
        nxt = voting.copy()
        for sides in realized:
            for run, actor, supply, y, x0, s_ in sides:
                shift = (1 - s_) * 0.4
                nxt[run, actor, supply] = shift * y + 0.1 * y + (1 - shift - 0.1) * x0
        return voting, nxt

    def _sides_of(self, rows: np.ndarray) -> list[tuple[np.ndarray, ...]]:
        """What the end of the round needs of realised exchanges, per side."""
        fields = ("actor", "supply", "y", "start", "s_supply")
        return [
            (self.run[rows], *(getattr(side, name)[rows] for name in fields))
            for side in (self.i, self.j)
        ]

    def _compact(self) -> None:
        """Drop the rows of exchanges no longer open."""
        keep = np.flatnonzero(self.alive)
        for name in ("run", "p", "q", "gain", "key", "valid", "alive", "place"):
            setattr(self, name, getattr(self, name)[keep])
        self.i.take(keep)
        self.j.take(keep)


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """``top / bottom``, infinite where ``bottom`` is 0."""
    return np.divide(top, bottom, out=np.full_like(top, np.inf), where=bottom != 0)


def _outcomes(x, s, c, party) -> np.ndarray:
    """The weighted mean of every issue of every run, ``(R, I)``."""
    total = _sequential_sum(np.where(party, s * c, 0.0).transpose(0, 2, 1))
    return _divide(_sequential_sum(np.where(party, x * s * c, 0.0).transpose(0, 2, 1)), total)


def exchange_outcomes(x, s, c, party, low, high, rounds: int, *, rngs=None) -> np.ndarray:
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

    Returns
    -------
    numpy.ndarray
        ``(R, I)`` outcomes on each issue's scale (the start outcome when ``rounds`` is 0).
    """
    low, high = np.asarray(low, float), np.asarray(high, float)
    step = 100.0 / (high - low)
    x = (np.asarray(x, float) - low) * step
    s, c = np.asarray(s, float), np.asarray(c, float)
    party = np.broadcast_to(np.asarray(party, bool), x.shape)
    outcome = _outcomes(x, s, c, party)
    for _ in range(rounds):
        voting, x = _BatchRound(x, s, c, party, rngs).play()
        outcome = _outcomes(voting, s, c, party)
    return outcome / step + low
