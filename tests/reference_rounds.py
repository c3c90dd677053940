"""An independent reference of the alternating-offers protocol with unilateral moves, written
from docs/protocols.md ("Utilities", "Moves", "Deals beat no deal", "Counterpart", "One
rulebook of a round", "alternating", "Strategies") in plain Python, one run at a time, without
any of the engine's code: it reads the scenario's numbers and nothing else.

Scope: negotiators and ratifiers, every actor party to every issue, linear loss, discounts,
coalitions (ratifying packages and consenting to moves by their rules), time-dependent
tactics (``e`` per negotiator), talks that start at round 0, moves of one or more actors.
Within it, every rule of "Moves" is implemented: windows as rounds, the costs in time,
consent, reactions (made only after their move; foreseen one step in a move's worth), the
three conditions of a move during the talks (worth its cost, now beats later with its
rivals, beats the talks), the moves when the talks end, exits, the reservations and when
they are recomputed, and the deal margin in every vote.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

TOL = 1e-9  # the gain tolerance of moves and the acceptance tolerance (docs)
TIME = 1e-12  # relative times closer than this are the same moment
MARGIN = 0.01  # what a deal must gain every negotiator over no deal (docs)


@dataclass
class Move:
    movers: list[int]
    issue: int
    to: float
    cost: float
    rate: float
    earliest: float
    latest: float
    needs: list[int]  # actors asked
    coalitions: list[int]  # coalitions asked
    after: int | None  # index of the move it answers
    ends: bool


@dataclass
class Coalition:
    members: list[int]
    ratifies: list[int]
    rule: str
    threshold: float | None

    def consents(self, yes: dict[int, bool]) -> bool:
        """``unanimity``: every member; ``majority``: more than half; ``qualified``: a share
        of at least the threshold."""
        votes = sum(bool(yes[m]) for m in self.members)
        if self.rule == "unanimity":
            return votes == len(self.members)
        if self.rule == "majority":
            return votes > len(self.members) / 2
        return votes / len(self.members) >= self.threshold


@dataclass
class World:
    positions: list[list[float]]  # [a][i]
    weights: list[list[float]]  # [a][i], normalised salience
    power: list[list[float]]  # [a][i], power on the issue
    low: list[float]
    high: list[float]
    status_quo: list[float]
    negotiators: list[int]
    declared: list[float | None]
    e: dict[int, float]
    moves: list[Move]
    rounds: int
    discount: list[float]
    coalitions: list[Coalition]

    def utility(self, a: int, x: list[float]) -> float:
        """u_a(x) = sum_i w_ai (1 - |x_i - p_ai| / d_i) (linear loss, every issue)."""
        return sum(
            w * (1 - abs(xi - p) / (h - lo))
            for w, xi, p, lo, h in zip(
                self.weights[a], x, self.positions[a], self.low, self.high, strict=True
            )
        )

    def delta(self, a: int, m: Move, package: list[float]) -> float:
        """What move ``m`` changes for actor ``a`` from ``package``."""
        i = m.issue
        d = self.high[i] - self.low[i]
        p = self.positions[a][i]
        return self.weights[a][i] * (abs(package[i] - p) - abs(m.to - p)) / d

    def tau(self, t: int) -> float:
        return t / (self.rounds - 1)


def cost(m: Move, tau: float) -> float:
    """c_m(tau) = clip(cost + cost_rate tau, 0, 1)."""
    return min(max(m.cost + m.rate * tau, 0.0), 1.0)


@dataclass
class State:
    package: list[float]
    settled: set[int] = field(default_factory=set)
    made: dict[int, int] = field(default_factory=dict)  # move -> round made
    paid: list[float] = field(default_factory=list)

    def copy(self) -> State:
        return State(list(self.package), set(self.settled), dict(self.made), list(self.paid))


def consents(world: World, m: Move, package: list[float]) -> bool:
    """Every actor asked is no worse off than without the move; every coalition asked
    consents by its rule, its members saying yes on the same terms."""
    yes = {b: world.delta(b, m, package) >= -TOL for b in range(len(world.positions))}
    return all(yes[b] for b in m.needs) and all(
        world.coalitions[c].consents(yes) for c in m.coalitions
    )


def provoked(world: World, a: int, k: int, state: State, tau: float) -> float:
    """What the reactions to move ``k`` add for ``a``: each reaction on another, still open
    issue, whose window has not closed by tau, and whose movers would gain from it (delta - c
    > 1e-9 for every one) adds its delta."""
    m = world.moves[k]
    out = 0.0
    for j, r in enumerate(world.moves):
        if r.after != k or j in state.made or r.issue == m.issue or r.issue in state.settled:
            continue
        if r.latest <= tau - TIME:  # its window has closed: no one can answer any more
            continue
        if all(world.delta(b, r, state.package) - cost(r, tau) > TOL for b in r.movers):
            out += world.delta(a, r, state.package)
    return out


def worth(world: World, a: int, k: int, state: State, tau: float) -> float:
    """W_a = delta_a + (provoked) - c_m(tau)."""
    m = world.moves[k]
    return world.delta(a, m, state.package) + provoked(world, a, k, state, tau) - cost(m, tau)


def make(world: World, k: int, state: State, when: int, tau: float) -> None:
    m = world.moves[k]
    state.package[m.issue] = m.to
    state.settled.add(m.issue)
    state.made[k] = when
    for a in m.movers:
        state.paid[a] += cost(m, tau)


def end_of_talks(world: World, state: State, tau: float, previous: float) -> State:
    """The moves made when the talks end in a round at ``tau`` (the round before at
    ``previous``): in file order, each move not made, whose window has not closed before the
    round, whose issue is open and whose trigger is made, iff it is worth its cost (at
    ``tau``) to every mover and has consent. Recorded in round T."""
    out = state.copy()
    for k, m in enumerate(world.moves):
        if k in out.made or not m.latest > previous + TIME or m.issue in out.settled:
            continue
        if m.after is not None and m.after not in out.made:
            continue
        if all(worth(world, a, k, out, tau) > TOL for a in m.movers) and consents(
            world, m, out.package
        ):
            make(world, k, out, world.rounds, tau)
    return out


def reservations(world: World, state: State, tau: float, previous: float) -> list[float]:
    """r_a = u_a(N*) - (the costs a pays to get there); a declared reservation stands."""
    after = end_of_talks(world, state, tau, previous)
    return [
        world.declared[a]
        if world.declared[a] is not None
        else world.utility(a, after.package) - (after.paid[a] - state.paid[a])
        for a in range(len(world.positions))
    ]


def no_deal_value(world: World, state: State, r: list[float], a: int) -> float:
    """A declared reservation, else r_a less the costs already paid."""
    return r[a] if world.declared[a] is not None else r[a] - state.paid[a]


def beats_no_deal(world: World, state: State, r: list[float], a: int, x, t: int) -> bool:
    """(u_a(x) - paid_a) discount_a^t >= (no-deal value) + m."""
    value = (world.utility(a, x) - state.paid[a]) * world.discount[a] ** t
    return value >= no_deal_value(world, state, r, a) + MARGIN - TOL


def is_deal(world: World, state: State, r: list[float], x: list[float]) -> bool:
    """Every negotiator gains the margin over no deal (valued now, undiscounted)."""
    return all(beats_no_deal(world, state, r, a, x, 0) for a in world.negotiators)


def on_table(world: World, state: State, x: list[float]) -> list[float]:
    """Clipped to the scales, settled issues at their settled values."""
    return [
        state.package[i] if i in state.settled else min(max(v, world.low[i]), world.high[i])
        for i, v in enumerate(x)
    ]


def counterpart(world: World, me: int) -> list[float]:
    """Per issue, the power-weighted mean position of the other negotiators."""
    others = [a for a in world.negotiators if a != me] or [
        a for a in range(len(world.positions)) if a != me
    ]
    if not others:
        return list(world.positions[me])
    out = []
    for i in range(len(world.low)):
        total = sum(world.power[a][i] for a in others)
        out.append(sum(world.power[a][i] * world.positions[a][i] for a in others) / total)
    return out


def target(world: World, a: int, r: list[float], tau: float) -> float:
    """u* = f + (1 - f)(1 - tau^(1/e)), f = r + m the deal floor."""
    floor = r[a] + MARGIN
    return floor + (1 - floor) * (1 - tau ** (1 / world.e[a]))


def offer(world: World, a: int, state: State, r: list[float], tau: float) -> list[float]:
    """The concession line: p + lam (q - p), lam = (1 - sunk - u*) / D clipped to [0, 1]
    (1 when D = 0); on settled issues p = q = N and sunk is what they cost."""
    p, q = list(world.positions[a]), counterpart(world, a)
    sunk = 0.0
    for i in state.settled:
        d = world.high[i] - world.low[i]
        sunk += world.weights[a][i] * abs(state.package[i] - p[i]) / d
        p[i] = q[i] = state.package[i]
    full = sum(
        world.weights[a][i] * abs(q[i] - p[i]) / (world.high[i] - world.low[i])
        for i in range(len(p))
    )
    lam = 1.0 if full == 0 else min(max((1 - sunk - target(world, a, r, tau)) / full, 0.0), 1.0)
    return on_table(world, state, [pi + lam * (qi - pi) for pi, qi in zip(p, q, strict=True)])


def pointed(world, state, r, offers) -> list[float]:
    """The package the talks point to: the mean of each proposer's latest package (clipped,
    settled issues at N) where it is a deal that every coalition it asks ratifies (members
    who negotiate vote by the margin, the others by their reservations); otherwise, or before
    any offer, N."""
    if not offers:
        return list(state.package)
    n = len(offers)
    middle = on_table(
        world, state, [sum(x[i] for x in offers.values()) / n for i in range(len(world.low))]
    )
    yes = {
        a: beats_no_deal(world, state, r, a, middle, 0)
        if a in world.negotiators
        else world.utility(a, middle) >= r[a] - TOL
        for a in range(len(world.positions))
    }
    asked = [
        c
        for c in world.coalitions
        if any(abs(middle[i] - world.status_quo[i]) > 1e-12 for i in c.ratifies)
    ]
    deal = is_deal(world, state, r, middle) and all(c.consents(yes) for c in asked)
    return middle if deal else list(state.package)


def open_in(m: Move, tau: float, previous: float) -> bool:
    return m.earliest <= tau + TIME and m.latest > previous + TIME


@dataclass
class Outcome:
    agreed: bool
    rounds: int
    outcome: list[float]
    utility: list[float]
    moved: list[int]
    no_deal: list[float]
    no_deal_utility: list[float]


def negotiate(world: World) -> Outcome:
    """One run of the alternating protocol with moves, by the documented rules."""
    n_actors, T = len(world.positions), world.rounds
    state = State(list(world.status_quo), paid=[0.0] * n_actors)
    r = reservations(world, state, 0.0, -2 * TIME)  # when sampling: talks start at tau = 0
    offers: dict[int, list[float]] = {}
    for t in range(T):
        tau = world.tau(t)
        previous = world.tau(t - 1) if t > 0 else -math.inf
        following = world.tau(t + 1) if t < T - 1 else None
        # 1. the moves of round t, in file order; the talks point where they stood at the
        #    start of the round (a move made earlier in the round does not move them)
        ended, any_made = False, False
        x = pointed(world, state, r, offers)
        for k, m in enumerate(world.moves):
            if k in state.made or not open_in(m, tau, previous) or m.issue in state.settled:
                continue
            if m.after is not None and not (m.after in state.made and state.made[m.after] < t):
                continue
            w = {a: worth(world, a, k, state, tau) for a in m.movers}
            if not all(v > TOL for v in w.values()):  # 1. worth its cost
                continue
            if not now_beats_later(world, k, state, w, tau, previous, following):  # 2.
                continue
            i, d = m.issue, world.high[m.issue] - world.low[m.issue]  # 3. beats the talks
            talks = {
                a: world.weights[a][i]
                * (
                    abs(state.package[i] - world.positions[a][i])
                    - abs(x[i] - world.positions[a][i])
                )
                / d
                for a in m.movers
            }
            if not all(w[a] > talks[a] + TOL for a in m.movers):
                continue
            if not consents(world, m, state.package):  # 4.
                continue
            make(world, k, state, t, tau)
            any_made = True
            if m.ends:
                ended = True
                break
        if any_made and not ended:  # what no deal gives if the talks end in this round
            r = reservations(world, state, tau, previous)
        if ended or len(state.settled) == len(world.low):
            return close_without_agreement(world, state, r, t, tau, previous)
        # 2. the protocol's round: the proposer offers, every negotiator answers
        proposer = world.negotiators[t % len(world.negotiators)]
        x = offer(world, proposer, state, r, tau)
        yes = {
            a: world.utility(a, x) >= target(world, a, r, tau) - TOL
            and beats_no_deal(world, state, r, a, x, t)
            if a in world.negotiators
            else world.utility(a, x) >= r[a] - TOL
            for a in range(n_actors)
        }
        asked = [
            c
            for c in world.coalitions
            if any(abs(x[i] - world.status_quo[i]) > 1e-12 for i in c.ratifies)
        ]
        if all(yes[a] for a in world.negotiators) and all(c.consents(yes) for c in asked):
            probe = end_of_talks(world, state, tau, previous)  # 3. agreed
            return Outcome(
                True,
                t,
                x,
                [
                    (world.utility(a, x) - state.paid[a]) * world.discount[a] ** t
                    for a in range(n_actors)
                ],
                [state.made.get(k, -1) for k in range(len(world.moves))],
                probe.package,
                [no_deal_value(world, state, r, a) for a in range(n_actors)],
            )
        offers[proposer] = x
        # after the round: the reservation of the next changes with the clock where a window
        # closed in this round or a cost changes with time
        closed = any(
            k not in state.made and open_in(m, tau, previous) and m.latest <= tau + TIME
            for k, m in enumerate(world.moves)
        )
        timed = any(k not in state.made and m.rate != 0 for k, m in enumerate(world.moves))
        if following is not None and (closed or timed):
            r = reservations(world, state, following, tau)
    # 4. the deadline
    return close_without_agreement(world, state, r, T, 1.0, world.tau(T - 2))


def now_beats_later(world, k, state, w, tau, previous, following) -> bool:
    """The move cannot be made later (its window does not meet a later round, unless this is
    the last round, when the end of the talks makes every move open in it; or a rival
    threatens it), or waiting costs more."""
    m = world.moves[k]
    later = m.latest > tau + TIME or following is None
    if later:
        for j, rival in enumerate(world.moves):
            if j == k or j in state.made or rival.issue != m.issue:
                continue
            if set(rival.movers) & set(m.movers):
                continue  # another actor's move
            if rival.after is not None and rival.after not in state.made:
                continue  # a reaction counts once its move is made
            if not (
                open_in(rival, tau, previous)
                or (following is not None and open_in(rival, following, tau))
            ):
                continue
            if not all(worth(world, b, j, state, tau) > TOL for b in rival.movers):
                continue
            if any(world.delta(a, rival, state.package) < w[a] for a in m.movers):
                later = False  # a rival threatens it
                break
    if not later:
        return True
    if following is None:  # after the talks: at this round's time, the same cost
        return False
    ahead = [cost(m, min(m.latest, 1.0)), cost(m, following)]
    return cost(m, tau) < min(ahead) - TOL


def close_without_agreement(world, state, r, t, tau, previous) -> Outcome:
    """The end-of-talks moves from round ``t`` (``tau``), recorded in round T; each actor's
    utility of the resulting package less what it paid, or its declared reservation."""
    after = end_of_talks(world, state, tau, previous)
    n_actors = len(world.positions)
    utility = [
        world.declared[a]
        if world.declared[a] is not None
        else world.utility(a, after.package) - after.paid[a]
        for a in range(n_actors)
    ]
    return Outcome(
        False,
        t,
        after.package,
        utility,
        [after.made.get(k, -1) for k in range(len(world.moves))],
        after.package,
        utility,
    )
