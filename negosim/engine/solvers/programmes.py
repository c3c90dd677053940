"""Exact bargaining solutions by integer programmes, run by run: the solvers' fallback.

The bargaining set and the three objectives are those of :mod:`negosim.analysis.solutions`
(its docstring states them). Method (exact; docs/protocols.md gives the details): with
``t_ai >= |x_i - p_ai|`` every utility bound is linear. Each coalition gets a binary "asked"
``z_c`` (``z_c = 0`` pins its ratified issues at the status quo) and each yes vote a big-M
row switched on by ``z_c`` (unanimity) or by a binary per member whose count must reach the
rule's number of votes (majority, qualified): the union of convex pieces that the rules make
is handled exactly by branch and bound, not by listing the pieces. Members are modelled
lazily (only those found voting no; the others count as yes), which keeps the integer
programmes to a few binaries, solved by a branch and bound over LPs (HiGHS's MIP beyond
:data:`BRANCH_LIMIT` binaries).

Per solution: utilitarian, one programme; Kalai-Smorodinsky, three in turn (each party's
ideal point, the largest common share of the gains, the most joint utility at that share);
Nash, fully corrective Frank-Wolfe inside one convex piece (LPs), a tangent test over every
piece (one integer programme), and an outer approximation of ``log`` where the test keeps
pointing to explored pieces.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from negosim.engine.sampling import ScenarioBatch, sample
from negosim.model.errors import ArgumentError
from negosim.model.ratification import CoalitionRule
from negosim.model.scenario import Scenario

TOLERANCE = 1e-9
"""A vote or a party accepts a package worth at least its reservation less this (the
ratification rule of the protocols)."""

NASH_GAP = 2e-6
"""The Nash search stops when no package can beat the best ``sum alpha log gain`` found by
more than this (the MILP solver's absolute gap is 1e-6)."""

FW_GAP = 1e-10
"""The Nash search stops when the tangent hyperplane of the Nash product at the best package
is exceeded by no package by more than this (``f* - f <= gap`` by concavity)."""

NASH_ROUNDS = 200
BRANCH_LIMIT = 10
"""Problems with at most this many binaries are solved by our branch and bound over LPs,
larger ones by HiGHS's MIP solver."""
BRANCH_NODES = 5000
FW_ROUNDS = 100
RETRY_MARGIN = 1e-7
_MILP_OPTIONS = {"mip_rel_gap": 1e-9, "presolve": True}


@contextlib.contextmanager
def _quiet_highs():
    """Silence what HiGHS prints on the C stdout (HiGHS 1.12, bundled with SciPy 1.17,
    prints a leftover debug line, "HighsMipSolverData::transformNewIntegerFeasibleSolution",
    whatever its options; HiGHS.jl issues 312 and 318)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (e.g. captured in memory)
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), fd)
        try:
            yield
        finally:
            _libc_flush()
            os.dup2(saved, fd)
            os.close(saved)


def _libc_flush() -> None:
    """Flush C stdio buffers, so what HiGHS printed goes where stdout pointed then."""
    with contextlib.suppress(OSError, AttributeError):  # no C library handle here
        ctypes.CDLL(None).fflush(None)


# ----------------------------------------------------------------------------- the problem


def point_estimates(scenario: Scenario) -> ScenarioBatch:
    """A one-run batch holding the scenario's own numbers (no uncertainty drawn)."""
    fixed = dataclasses.replace(scenario, uncertainty=(), estimate_spread=0.0)
    return sample(fixed, 1, seed=0)


def parties_of(sc: Scenario, actors: Sequence[str] | None) -> tuple[str, ...]:
    if actors is None:
        actors = [a for a, r in zip(sc.actors, sc.roles, strict=True) if r == "negotiator"]
    if len(actors) < 2:
        raise ArgumentError(
            "actors", f"a bargaining problem needs at least two parties, got {actors}"
        )
    for a in actors:
        sc.actor_index(a)
    if len(set(actors)) < len(actors):
        raise ArgumentError("actors", f"each party once, got {list(actors)}")
    return tuple(actors)


@dataclass(frozen=True)
class _Vote:
    """A coalition as the MILP sees it: the members that can say no (not a party; one
    member stands for all with the same numbers, counting ``weight`` votes), the ratified
    issues, and how many of those votes it needs when it is asked."""

    members: np.ndarray
    weight: np.ndarray
    issues: np.ndarray
    needed: int
    unanimity: bool


@dataclass(frozen=True)
class _Run:
    """The numbers of one run: positions, cost weights ``w / span``, reservations, scales."""

    positions: np.ndarray  # (A, I)
    cost: np.ndarray  # (A, I)
    reservation: np.ndarray  # (A,)
    low: np.ndarray
    high: np.ndarray
    status_quo: np.ndarray
    parties: np.ndarray  # actor indices
    votes: tuple[_Vote, ...]

    def utility(self, x: np.ndarray) -> np.ndarray:
        """Every actor's utility of package ``x``."""
        return 1 - np.sum(self.cost * np.abs(x - self.positions), axis=1)

    def worst_loss(self) -> np.ndarray:
        """Each actor's largest loss over the issue box."""
        far = np.maximum(self.positions - self.low, self.high - self.positions)
        return np.sum(self.cost * far, axis=1)


def required_votes(rule, size: int) -> int:
    """The fewest yes votes out of ``size`` with which the coalition consents (by the
    protocols' own rule; ``size + 1`` if it never does)."""
    votes = np.arange(size)[None, :] < np.arange(size + 1)[:, None]  # row j: j yes votes
    coalition = CoalitionRule(np.arange(size), np.arange(0), rule.rule, rule.threshold or 0.0)
    passing = np.flatnonzero(coalition.consents(votes))
    return int(passing[0]) if passing.size else size + 1


def run_of(batch: ScenarioBatch, parties: tuple[str, ...], run: int, ratify: bool) -> _Run:
    sc = batch.scenario
    if sc.loss != "linear":
        raise ArgumentError(
            "loss", f"{sc.origin}: the bargaining solutions are exact for linear loss"
        )
    index = np.array([sc.actor_index(a) for a in parties])
    one = _Run(
        positions=np.asarray(batch.positions[run], float),
        cost=np.asarray(batch.weights[run] / batch.span, float),
        reservation=np.asarray(batch.reservation[run], float),
        low=sc.low,
        high=sc.high,
        status_quo=sc.status_quo,
        parties=index,
        votes=(),
    )
    if not ratify:
        return one
    # a member whose utility never falls below its reservation always says yes
    always = one.worst_loss() <= 1 - one.reservation + TOLERANCE
    always[index] = True  # a party's yes is already demanded by u_a >= r_a
    votes = []
    for c in sc.coalitions:
        members = np.array([sc.actor_index(m) for m in c.members])
        needed = required_votes(c, len(members)) - int(always[members].sum())
        if needed <= 0:
            continue
        open_ = np.sort(members[~always[members]])
        same = np.c_[one.positions[open_], one.cost[open_], one.reservation[open_]]
        _, first, weight = np.unique(same, axis=0, return_index=True, return_counts=True)
        issues = np.array([sc.issue_index(i) for i in c.ratifies])
        unanimity = needed == len(open_)
        votes.append(_Vote(open_[first], weight, issues, needed, unanimity))
    return dataclasses.replace(one, votes=tuple(votes))


class _Model:
    """The MILP of one run with the coalitions ``votes`` enforced, in columns
    ``[x | u (parties) | extra | t | y | z]``."""

    def __init__(self, run: _Run, votes: tuple[_Vote, ...], extra, margin: float) -> None:
        self.run, self.votes = run, votes
        n_issues, parties = len(run.low), run.parties
        self.x = np.arange(n_issues)
        self.u = n_issues + np.arange(len(parties))
        self.extra = n_issues + len(parties) + np.arange(len(extra))
        col = n_issues + len(parties) + len(extra)
        voters = sorted({*parties.tolist(), *(m for v in votes for m in v.members.tolist())})
        self.t: dict[int, dict[int, int]] = {}
        for a in voters:
            self.t[a] = {}
            for i in np.flatnonzero(run.cost[a] > 0):
                self.t[a][int(i)] = col
                col += 1
        free = sorted({m for v in votes if not v.unanimity for m in v.members.tolist()})
        self.y = {m: col + k for k, m in enumerate(free)}
        self.z = col + len(free) + np.arange(len(votes))
        self.size = col + len(free) + len(votes)
        self.lower, self.upper = np.zeros(self.size), np.full(self.size, np.inf)
        self.lower[self.x], self.upper[self.x] = run.low, run.high
        self.lower[self.u] = run.reservation[parties] + margin
        self.upper[self.u] = 1.0
        for k, (low, high) in enumerate(extra):
            self.lower[self.extra[k]], self.upper[self.extra[k]] = low, high
        binary = [*self.y.values(), *self.z]
        self.upper[binary] = 1.0
        self.integer = np.zeros(self.size)
        self.integer[binary] = 1
        self.rows: list[tuple[dict[int, float], float]] = []
        self._utility_rows()
        self._vote_rows(margin)
        self.matrix, self.rhs = _dense(self.rows, self.size)

    def _utility_rows(self) -> None:
        run = self.run
        for a, cols in self.t.items():
            for i, c in cols.items():  # t_ai >= +-(x_i - p_ai)
                self.rows.append(({i: 1.0, c: -1.0}, run.positions[a, i]))
                self.rows.append(({i: -1.0, c: -1.0}, -run.positions[a, i]))
        for k, a in enumerate(run.parties):  # u_a <= 1 - sum_i c_ai t_ai
            row = {self.t[a][i]: run.cost[a, i] for i in self.t[a]}
            self.rows.append(({int(self.u[k]): 1.0, **row}, 1.0))

    def _vote_rows(self, margin: float) -> None:
        run = self.run
        for v, z in zip(self.votes, self.z, strict=True):
            for i in v.issues:  # not asked: the ratified issues stay at the status quo
                span = run.high[i] - run.low[i]
                self.rows.append(({int(i): 1.0, int(z): -span}, run.status_quo[i]))
                self.rows.append(({int(i): -1.0, int(z): -span}, -run.status_quo[i]))
            if v.unanimity:  # asked: every member says yes
                for m in v.members:
                    self._yes_row(int(m), int(z), margin)
            else:  # asked: at least `needed` members say yes
                count = {self.y[m]: -float(w) for m, w in zip(v.members, v.weight, strict=True)}
                self.rows.append(({**count, int(z): float(v.needed)}, 0.0))
        for m, y in self.y.items():
            self._yes_row(m, y, margin)

    def _yes_row(self, m: int, switch: int, margin: float) -> None:
        """``u_m >= r_m - tol + margin`` when the binary ``switch`` is 1 (big M: the member's
        largest loss beyond that, so the row is void when ``switch`` is 0)."""
        run = self.run
        budget = 1 - run.reservation[m] - margin
        big = max(float(run.worst_loss()[m]) - budget, 0.0)
        row = {self.t[m][i]: run.cost[m, i] for i in self.t[m]}
        self.rows.append(({**row, switch: big}, budget + big))

    def solve(
        self, objective: dict[int, float], rows=(), pattern: np.ndarray | None = None
    ) -> np.ndarray | None:
        """Minimise ``objective`` (column -> coefficient) under the model's rows and ``rows``
        (over the columns ``x``, ``u``, ``extra``); the solution vector or None.

        With ``pattern`` (a ratified package) the binaries are fixed to how that package is
        voted on, which leaves the convex piece of the bargaining set around it (an LP).
        """
        from scipy.optimize import Bounds, LinearConstraint, milp  # scipy is slow to import

        matrix, rhs = self.matrix, self.rhs
        if rows:
            more, more_rhs = _dense(rows, self.size)
            matrix, rhs = np.vstack([matrix, more]), np.concatenate([rhs, more_rhs])
        c = np.zeros(self.size)
        c[list(objective)] = list(objective.values())
        lower, upper = self.lower, self.upper
        binaries = self.binaries
        if pattern is not None:
            lower, upper = lower.copy(), upper.copy()
            lower[binaries] = upper[binaries] = self.votes_on(pattern)
            binaries = []
        problem = (c, LinearConstraint(matrix, -np.inf, rhs))
        if len(binaries) <= BRANCH_LIMIT:
            x, self.bound = _branch_and_bound(problem, lower, upper, binaries)
            return x
        integer = np.zeros(self.size)
        integer[binaries] = 1
        with _quiet_highs():
            res = milp(
                c,
                integrality=integer,
                bounds=Bounds(lower, upper),
                constraints=problem[1],
                options=_MILP_OPTIONS,
            )
        # a valid lower bound of the minimum (HiGHS stops within its absolute gap, 1e-6)
        self.bound = res.get("mip_dual_bound")
        return res.x if res.status == 0 else None

    @property
    def binaries(self) -> list[int]:
        return [*self.y.values(), *self.z]

    def votes_on(self, x: np.ndarray) -> np.ndarray:
        """The binaries that package ``x`` sets: who says yes, which coalitions are asked."""
        run = self.run
        yes = run.utility(x) >= run.reservation - TOLERANCE
        asked = [np.any(np.abs(x[v.issues] - run.status_quo[v.issues]) > 1e-12) for v in self.votes]
        return np.array([*yes[list(self.y)], *asked], dtype=float)

    def package(self, z: np.ndarray) -> np.ndarray:
        """The package of a solution vector: inside the scales, and exactly at the status
        quo on the issues of enforced coalitions left unasked."""
        run = self.run
        x = np.clip(z[self.x], run.low, run.high)
        for v, col in zip(self.votes, self.z, strict=True):
            if z[col] < 0.5:
                x[v.issues] = run.status_quo[v.issues]
        return x


def _dense(rows, size: int) -> tuple[np.ndarray, np.ndarray]:
    matrix, rhs = np.zeros((len(rows), size)), np.empty(len(rows))
    for k, (row, value) in enumerate(rows):
        matrix[k, list(row)] = list(row.values())
        rhs[k] = value
    return matrix, rhs


def _branch_and_bound(problem, lower, upper, binaries) -> tuple[np.ndarray | None, float]:
    """Depth-first branch and bound over LPs for a few binaries (HiGHS's MIP solver spends
    10 to 30 ms of fixed effort even on a handful of them; an LP costs about 1.5 ms).
    Returns the minimiser (None if infeasible) and the minimum (``inf`` if infeasible)."""
    from scipy.optimize import Bounds, milp

    c, rows = problem
    best, best_value = None, np.inf
    stack = [(lower, upper)]
    for _ in range(BRANCH_NODES):
        if not stack:
            return best, best_value
        lo, hi = stack.pop()
        res = milp(c, bounds=Bounds(lo, hi), constraints=rows)
        if res.status != 0 or res.fun >= best_value - 1e-9 * max(1.0, abs(best_value)):
            continue  # infeasible, or no better than the best found
        x = res.x
        gap = np.minimum(x[binaries] - lo[binaries], hi[binaries] - x[binaries])
        if gap.size == 0 or gap.max() <= 1e-9:
            best, best_value = x.copy(), float(res.fun)
            best[binaries] = np.round(best[binaries])
            continue
        j = binaries[int(np.argmax(gap))]  # branch on the most fractional binary
        down, up = (lo, hi.copy()), (lo.copy(), hi)
        down[1][j], up[0][j] = 0.0, 1.0
        first, second = (down, up) if x[j] >= 0.5 else (up, down)
        stack += [first, second]  # the branch the LP leans to is explored first
    raise RuntimeError("branch and bound: node limit reached")


class _Lazy:
    """A run's MILPs with the votes modelled lazily: each problem is solved with only the
    coalition members found voting no so far as constraints (the others are taken to say
    yes); if its package fails a coalition, that coalition's no-voters are added and the
    problem solved again. Exact: a relaxation's optimum that every coalition ratifies is
    optimal for the full problem. Few members are ever pivotal, so the MILPs stay small."""

    def __init__(self, run: _Run, margin: float = 0.0, hint=None) -> None:
        self.run, self.margin = run, margin
        # the hint is a set of actors: which coalitions a run still has to decide depends on
        # its numbers (members who always say yes are folded away), so it cannot be by position
        hint = hint or frozenset()
        self.chosen = [frozenset(v.members.tolist()) & hint for v in run.votes]
        self._models: dict[tuple, _Model] = {}

    @property
    def state(self) -> tuple[frozenset[int], ...]:
        """The members modelled so far, by coalition."""
        return tuple(self.chosen)

    def model(self, extra=()) -> _Model:
        key = (self.state, tuple(extra))
        if key not in self._models:
            votes = (_restricted(v, c) for v, c in zip(self.run.votes, self.chosen, strict=True))
            kept = tuple(v for v in votes if v is not None)
            self._models[key] = _Model(self.run, kept, extra, self.margin)
        return self._models[key]

    def solve(self, objective, rows=(), extra=()) -> tuple[np.ndarray, np.ndarray] | None:
        """``(solution vector, package)`` of the problem, or None if it is infeasible."""
        while True:
            model = self.last = self.model(extra)
            z = model.solve(objective, rows)
            if z is None:
                return None
            x = model.package(z)
            if not self.enforce(x):
                return z, x

    def enforce(self, x: np.ndarray) -> bool:
        """Model the no-voters of the coalitions that package ``x`` fails; whether any
        were new."""
        run, new = self.run, False
        short = run.utility(x) - run.reservation  # below -TOLERANCE: a no
        for c, v in enumerate(run.votes):
            if self.consents(c, x):
                continue
            # the member furthest from a yes that is not modelled yet: the others often
            # come round once it is satisfied
            free = [m for m in v.members.tolist() if m not in self.chosen[c]]
            if free and short[free].min() < -TOLERANCE:
                self.chosen[c] |= {free[int(np.argmin(short[free]))]}
                new = True
        return new

    def consents(self, c: int, x: np.ndarray) -> bool:
        """Whether coalition ``c`` passes package ``x`` (not asked, or enough yes votes)."""
        v, run = self.run.votes[c], self.run
        if not np.any(np.abs(x[v.issues] - run.status_quo[v.issues]) > 1e-12):
            return True
        yes = run.utility(x)[v.members] >= run.reservation[v.members] - TOLERANCE
        return int(v.weight[yes].sum()) >= v.needed


def _restricted(vote: _Vote, chosen: frozenset[int]) -> _Vote | None:
    """The coalition with only the ``chosen`` members modelled, the others counted as yes
    (None when that leaves nothing to decide)."""
    keep = np.isin(vote.members, list(chosen))
    needed = vote.needed - int(vote.weight[~keep].sum())
    if not keep.any() or needed <= 0:
        return None
    return _Vote(vote.members[keep], vote.weight[keep], vote.issues, needed, vote.unanimity)


# ----------------------------------------------------------------------------- the solvers


def _u_cols(lazy: _Lazy) -> list[int]:
    n_issues = len(lazy.run.low)
    return [n_issues + k for k in range(len(lazy.run.parties))]


def _utilitarian(lazy: _Lazy, _options: dict) -> np.ndarray | None:
    found = lazy.solve(dict.fromkeys(_u_cols(lazy), -1.0))
    return None if found is None else found[1]


def _gains(lazy: _Lazy, x: np.ndarray) -> np.ndarray:
    run = lazy.run
    return run.utility(x)[run.parties] - run.reservation[run.parties]


def _kalai_smorodinsky(lazy: _Lazy, _options: dict) -> np.ndarray | None:
    cols, run = _u_cols(lazy), lazy.run
    r = run.reservation[run.parties]
    most = []
    for u in cols:  # the ideal point: the most each party gets in the bargaining set
        found = lazy.solve({u: -1.0})
        if found is None:
            return None
        most.append(found[0][u])
    m = np.array(most)
    lam = cols[-1] + 1
    rows = [({u: -1.0, lam: m[k] - r[k]}, -r[k]) for k, u in enumerate(cols)]
    found = lazy.solve({lam: -1.0}, rows, extra=((0.0, 1.0),))
    if found is None:
        return None
    # then the most joint utility at that share, so that the point is Pareto-efficient
    share = found[0][lam]
    floor = [({u: -1.0}, -(r[k] + share * (m[k] - r[k])) + TOLERANCE) for k, u in enumerate(cols)]
    best = lazy.solve(dict.fromkeys(cols, -1.0), floor)
    return (found if best is None else best)[1]


def _nash(lazy: _Lazy, options: dict) -> np.ndarray | None:
    """The Nash point: Frank-Wolfe steps inside one convex piece of the bargaining set, and
    a test whether any package of any piece beats the best point found.

    By concavity of ``f(g) = sum_a alpha_a log g_a``, every package better than ``g`` lies
    beyond the tangent hyperplane ``w . g' > w . g``, ``w = alpha / g``: one linear MILP
    (over every piece) or LP (over one piece) either finds such a package or proves ``g``
    optimal, and ``w . (g' - g)`` bounds what is left to gain (the Frank-Wolfe gap).
    Where the tangent test keeps pointing to pieces already explored, an outer
    approximation of ``log`` by tangents (a MILP) bounds every piece at once.
    """
    cols, run = _u_cols(lazy), lazy.run
    alpha = nash_powers(options.get("powers"), len(cols))
    r = run.reservation[run.parties]
    most = np.maximum(1 - r, 1e-6)  # no utility exceeds 1
    lam = cols[-1] + 1  # a first package: the largest equal share of the most each could gain
    rows = [({u: -1.0, lam: most[k]}, -r[k]) for k, u in enumerate(cols)]
    found = lazy.solve({lam: -1.0}, rows, extra=((0.0, 1.0),))
    if found is None:
        return None
    best, best_value, explored, last_bound = found[1], -np.inf, set(), np.inf
    oa = None
    for _ in range(NASH_ROUNDS):
        key = (lazy.state, lazy.model().votes_on(found[1]).tobytes())
        if key not in explored:
            explored.add(key)
            x = _frank_wolfe(lazy, alpha, found[1])
            value = _log_product(alpha, _gains(lazy, x))
            if value > best_value or best_value == -np.inf:
                best, best_value = x, max(value, best_value)
        gains = _gains(lazy, best)
        if np.any(gains <= 0):  # no package gives every party a gain: nothing to trade off
            return best
        weight = alpha / gains
        found = lazy.solve({u: -w for u, w in zip(cols, weight, strict=True)})
        if found is None or weight @ _gains(lazy, found[1]) <= weight @ gains + FW_GAP:
            return best
        key = (lazy.state, lazy.model().votes_on(found[1]).tobytes())
        if key in explored:
            oa = oa or _OuterApproximation(lazy, alpha, most)
            found, bound = oa.everywhere()
            if found is None or bound - best_value <= NASH_GAP or bound >= last_bound:
                return best  # (or the bound stalls: the solver's round-off)
            last_bound = bound
    return best


def _frank_wolfe(lazy: _Lazy, alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The Nash point of the convex piece of package ``x``: fully corrective Frank-Wolfe
    (each LP adds a vertex of the piece; the next point is the Nash point of the convex hull
    of the packages found so far), to a gap of ``FW_GAP``; ``x`` itself if it gives a
    party no gain. A package that fails a coalition adds its no-voters to the model, and
    the search goes on from the last ratified package."""
    cols = _u_cols(lazy)
    atoms, atom_gains = [x], [_gains(lazy, x)]
    for _ in range(FW_ROUNDS):
        gains = _gains(lazy, x)
        if np.any(gains <= 0):
            return x
        weight = alpha / gains
        z = lazy.model().solve({u: -w for u, w in zip(cols, weight, strict=True)}, pattern=x)
        if z is None:
            return x
        y = lazy.model().package(z)
        if lazy.enforce(y):  # y fails a coalition left out: the piece around x is smaller
            atoms, atom_gains = [x], [gains]
            continue
        if weight @ (_gains(lazy, y) - gains) <= FW_GAP:
            return x
        atoms.append(y)
        atom_gains.append(_gains(lazy, y))
        share = _hull_nash(alpha, np.array(atom_gains))
        # the piece is convex in x and utilities are concave: the mixed package gains at
        # least the mixed gains
        mixed = share @ np.array(atoms)
        if lazy.enforce(mixed):
            atoms, atom_gains = [x], [gains]
            continue
        if _log_product(alpha, _gains(lazy, mixed)) <= _log_product(alpha, gains):
            return x  # no progress left at the solver's precision
        x = mixed
        atoms.append(x)
        atom_gains.append(_gains(lazy, x))
    return x


def _hull_nash(alpha: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Weights ``lam`` on the simplex maximising ``sum_a alpha_a log(lam @ gains)_a``."""
    k = len(gains)

    def value(lam):
        g = lam @ gains
        return np.inf if np.any(g <= 0) else -float(alpha @ np.log(g))

    def slope(lam):
        return -(gains @ (alpha / np.maximum(lam @ gains, 1e-300)))

    from scipy.optimize import minimize

    start = np.zeros(k)
    start[-2] = 1.0  # the current point: every party gains there
    res = minimize(
        value,
        start,
        jac=slope,
        bounds=[(0.0, 1.0)] * k,
        constraints=[
            {"type": "eq", "fun": lambda lam: lam.sum() - 1, "jac": lambda lam: np.ones(k)}
        ],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 200},
    )
    lam = np.clip(res.x, 0.0, None)
    return lam / lam.sum()


class _OuterApproximation:
    """``max sum_a alpha_a s_a`` with ``s_a`` under tangents of ``log(u_a - r_a)``."""

    def __init__(self, lazy: _Lazy, alpha: np.ndarray, most: np.ndarray) -> None:
        self.lazy, self.alpha = lazy, alpha
        cols = _u_cols(lazy)
        self.cols, self.s = cols, [cols[-1] + 1 + k for k in range(len(cols))]
        self.extra = tuple((-np.inf, float(np.log(g))) for g in most)
        self.r = lazy.run.reservation[lazy.run.parties]
        self.cuts: list[tuple[dict[int, float], float]] = []
        for fraction in np.geomspace(1e-4, 1.0, 12):
            self.add(most * fraction)

    def add(self, gains: np.ndarray) -> None:
        """Tangents at ``gains``: ``s_a <= log g + (u_a - r_a - g) / g``."""
        for k, g in enumerate(gains):
            if g > 0:
                row = {self.s[k]: 1.0, self.cols[k]: -1 / g}
                self.cuts.append((row, np.log(g) - 1 - self.r[k] / g))

    def everywhere(self) -> tuple[tuple[np.ndarray, np.ndarray] | None, float]:
        """The outer-approximation MILP over every piece: its solution and bound."""
        objective = {k: -a for k, a in zip(self.s, self.alpha, strict=True)}
        found = self.lazy.solve(objective, self.cuts, self.extra)
        if found is None:
            return None, -np.inf
        self.add(found[0][self.cols] - self.r)
        return found, -float(self.lazy.last.bound)


def _log_product(alpha: np.ndarray, gains: np.ndarray) -> float:
    return float(alpha @ np.log(gains)) if np.all(gains > 0) else -np.inf


SOLVERS: dict[str, Callable[[_Lazy, dict], np.ndarray | None]] = {
    "nash": _nash,
    "kalai_smorodinsky": _kalai_smorodinsky,
    "utilitarian": _utilitarian,
}
"""The bargaining solutions by protocol name (the one registry of solvers)."""


def solve_run(
    run: _Run, kind: str, options: dict, margin: float = 0.0, hint=None
) -> np.ndarray | None:
    return SOLVERS[kind](_Lazy(run, margin, hint), options)


_HINTS: dict[tuple, frozenset[int]] = {}


def hint_for(sc: Scenario, parties: tuple[str, ...], kind: str, ratify: bool, options: dict):
    """The members pivotal at the scenario's point estimates, to model from the start in
    every run (the same for every run, so results do not depend on how runs are chunked)."""
    key = (sc.digest, parties, kind, ratify, repr(sorted(options.items())))
    if key not in _HINTS:
        lazy = _Lazy(run_of(point_estimates(sc), parties, 0, ratify))
        SOLVERS[kind](lazy, options)
        if len(_HINTS) > 64:  # a cache, not a store
            _HINTS.clear()
        _HINTS[key] = frozenset().union(*lazy.state)
    return _HINTS[key]


def nash_powers(powers, parties: int) -> np.ndarray:
    """The Nash bargaining powers ``alpha`` (default equal), checked."""
    alpha = np.full(parties, 1 / parties) if powers is None else np.asarray(powers, float)
    if alpha.shape != (parties,) or not np.all(np.isfinite(alpha) & (alpha > 0)):
        raise ArgumentError("powers", f"one positive finite number per party, got {powers}")
    return alpha
