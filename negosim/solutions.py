"""Analytic bargaining solutions: Pareto frontier, Nash, Kalai-Smorodinsky, utilitarian,
and the gain from linking issues.

What is solved
--------------
A :class:`~negosim.scenario.Scenario` is solved at its point estimates (the file's numbers:
no ``[[uncertainty]]`` draw, no ``estimate_spread``); a :class:`~negosim.sampling.ScenarioBatch`
is solved at run ``run``. The parties are the negotiators (or ``actors=``), with linear-loss
utilities ``u_a(x) = 1 - sum_i c_ai |x_i - p_ai|`` (``c_ai = w_ai / (h_i - l_i)``) and their
reservations ``r_a`` (``batch.reservation``) as the disagreement point.

The bargaining set is the set of packages ``x`` inside the issue scales that

* give every party ``u_a(x) >= r_a`` and
* pass every coalition by the rule of :meth:`negosim.protocols.Table.coalition_consent`: a
  coalition is asked only when ``x`` moves one of its ratified issues off the status quo;
  a member votes yes iff ``u_m(x) >= r_m`` (tolerance 1e-9); the coalition consents by
  unanimity, majority (more than half) or a qualified share (share >= threshold).

Method (exact; docs/protocols.md gives the details)
---------------------------------------------------
With ``t_ai >= |x_i - p_ai|`` every utility bound is linear. Each coalition gets a binary
"asked" ``z_c`` (``z_c = 0`` pins its ratified issues at the status quo) and each yes vote a
big-M row switched on by ``z_c`` (unanimity) or by a binary per member whose count must reach
the rule's number of votes (majority, qualified): the union of convex pieces that the rules
make is handled exactly by branch and bound, not by listing the pieces. Members are modelled
lazily (only those found voting no; the others count as yes), which keeps the integer
programmes to a few binaries, solved by a branch and bound over LPs (HiGHS's MIP beyond
:data:`BRANCH_LIMIT` binaries).

* utilitarian: ``max sum_a u_a``.
* Kalai-Smorodinsky (Kalai and Smorodinsky 1975): ideal points ``m_a = max u_a``, then
  ``max lam`` s.t. ``u_a >= r_a + lam (m_a - r_a)``, then the most joint utility at that
  ``lam`` (so the point is Pareto-efficient).
* Nash (Nash 1950): ``max sum_a alpha_a log(u_a - r_a)``: fully corrective Frank-Wolfe inside
  one convex piece (LPs), a tangent test over every piece (one integer programme), and an
  outer approximation of ``log`` where the test keeps pointing to explored pieces.

Two parties are first solved in closed form on their exact frontier, for every run at once
(:mod:`negosim.frontier`); where coalitions bind, by the compiled linear programmes of
:mod:`negosim.solutions_compiled` (where numba is installed); the integer programmes take
the runs neither can vouch for.

Every package returned is checked with the protocols' own ratification code.

For two parties the Pareto frontier (without the coalitions) is exact and piecewise linear:
order the issues by the salience ratio ``(w_A,i / d_i) / (w_B,i / d_i)``; the vertices give
A its ideal on the first ``k`` issues and B its ideal on the rest (Raiffa 1982).

The ``*_on_curve`` functions solve the same problems on an abstract two-party frontier
``t -> (u_1(t), u_2(t))``, ``t`` in [0, 1] (the textbook examples of models.md 3.1-3.2).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import html
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from negosim.sampling import ScenarioBatch, sample
from negosim.scenario import Scenario

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


@dataclass(frozen=True, eq=False)
class Solution:
    """A bargaining solution: the package (by issue) and every party's utility of it."""

    package: np.ndarray
    utility: np.ndarray
    actors: tuple[str, ...]
    issues: tuple[str, ...]

    def as_series(self) -> pd.Series:
        """``outcome.<issue>`` and ``utility.<actor>`` as one series."""
        return pd.Series(
            {
                **{f"outcome.{i}": v for i, v in zip(self.issues, self.package, strict=True)},
                **{f"utility.{a}": u for a, u in zip(self.actors, self.utility, strict=True)},
            }
        )

    def __repr__(self) -> str:
        package = _short_dict(self.issues, self.package, "{:.4g}")
        utility = _short_dict(self.actors, self.utility, "{:.4f}")
        return f"Solution(package={package}, utility={utility})"

    def _repr_html_(self) -> str:
        def rows(names, values, fmt):
            return "".join(
                f"<tr><td>{html.escape(str(n))}</td><td>{fmt.format(v)}</td></tr>"
                for n, v in zip(names, values, strict=True)
            )

        return (
            "<table><thead><tr><th>issue</th><th>package</th></tr></thead>"
            f"<tbody>{rows(self.issues, self.package, '{:.4g}')}</tbody></table>"
            "<table><thead><tr><th>actor</th><th>utility</th></tr></thead>"
            f"<tbody>{rows(self.actors, self.utility, '{:.4f}')}</tbody></table>"
        )


def _short_dict(names: Sequence[str], values: np.ndarray, fmt: str, most: int = 12) -> str:
    items = [f"{n!r}: {fmt.format(v)}" for n, v in zip(names, values, strict=True)]
    if len(items) > most:
        items = [*items[:most], f"... {len(items) - most} more"]
    return "{" + ", ".join(items) + "}"


# ----------------------------------------------------------------------------- the problem


def point_estimates(scenario: Scenario) -> ScenarioBatch:
    """A one-run batch holding the scenario's own numbers (no uncertainty drawn)."""
    fixed = dataclasses.replace(scenario, uncertainty=(), estimate_spread=0.0)
    return sample(fixed, 1, seed=0)


def _batch_of(source: Scenario | ScenarioBatch, run: int) -> ScenarioBatch:
    if isinstance(source, ScenarioBatch):
        if not 0 <= run < source.runs:
            raise IndexError(f"run={run} is outside the batch of {source.runs} runs")
        return source
    if run != 0:
        raise ValueError(
            f"run={run}: a Scenario is solved at its point estimates (one run); "
            "pass a ScenarioBatch (ns.sample) to solve run k"
        )
    return point_estimates(source)


def _parties(sc: Scenario, actors: Sequence[str] | None) -> tuple[str, ...]:
    if actors is None:
        actors = [a for a, r in zip(sc.actors, sc.roles, strict=True) if r == "negotiator"]
    if len(actors) < 2:
        raise ValueError(f"actors: a bargaining problem needs at least two parties, got {actors}")
    for a in actors:
        sc.actor_index(a)
    if len(set(actors)) < len(actors):
        raise ValueError(f"actors: each party once, got {list(actors)}")
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


def _required_votes(rule, size: int) -> int:
    """The fewest yes votes out of ``size`` with which the coalition consents (by the
    protocols' own rule; ``size + 1`` if it never does)."""
    from negosim.protocols.table import CoalitionRule  # the protocols import this module

    votes = np.arange(size)[None, :] < np.arange(size + 1)[:, None]  # row j: j yes votes
    coalition = CoalitionRule(np.arange(size), np.arange(0), rule.rule, rule.threshold or 0.0)
    passing = np.flatnonzero(coalition.consents(votes))
    return int(passing[0]) if passing.size else size + 1


def _run_of(batch: ScenarioBatch, parties: tuple[str, ...], run: int, ratify: bool) -> _Run:
    sc = batch.scenario
    if sc.loss != "linear":
        raise ValueError(f"{sc.origin}: loss: the bargaining solutions are exact for linear loss")
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
        needed = _required_votes(c, len(members)) - int(always[members].sum())
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
    alpha = _powers(options.get("powers"), len(cols))
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


def _solve_run(
    run: _Run, kind: str, options: dict, margin: float = 0.0, hint=None
) -> np.ndarray | None:
    return SOLVERS[kind](_Lazy(run, margin, hint), options)


_HINTS: dict[tuple, frozenset[int]] = {}


def _hint(sc: Scenario, parties: tuple[str, ...], kind: str, ratify: bool, options: dict):
    """The members pivotal at the scenario's point estimates, to model from the start in
    every run (the same for every run, so results do not depend on how runs are chunked)."""
    key = (sc.digest, parties, kind, ratify, repr(sorted(options.items())))
    if key not in _HINTS:
        lazy = _Lazy(_run_of(point_estimates(sc), parties, 0, ratify))
        SOLVERS[kind](lazy, options)
        if len(_HINTS) > 64:  # a cache, not a store
            _HINTS.clear()
        _HINTS[key] = frozenset().union(*lazy.state)
    return _HINTS[key]


def _solve(
    source: Scenario | ScenarioBatch,
    kind: str,
    actors: Sequence[str] | None,
    run: int,
    ratify: bool,
    options: dict,
) -> Solution | None:
    batch = _batch_of(source, run)
    out = solve_runs(batch, kind, actors, runs=[run], ratify=ratify, **options)
    if not out["deal"][0]:
        return None
    parties = out["actors"]
    return Solution(out["outcome"][0], out["utility"][0], parties, batch.scenario.issues)


def utilitarian(
    source: Scenario | ScenarioBatch,
    actors: Sequence[str] | None = None,
    *,
    run: int = 0,
    ratify: bool = True,
    compiled: bool | None = None,
) -> Solution | None:
    """The ratifiable package with the most joint utility, every party at least its
    reservation; None if no package is ratifiable.

    Parameters
    ----------
    source
        A scenario (solved at its point estimates) or a sampled batch.
    actors
        The parties (default: the negotiators).
    run
        Which run of a batch (0 for a scenario).
    ratify
        Whether the scenario's coalitions must ratify the package (default True).
    compiled
        Two parties: try the compiled linear programmes first (:func:`solve_runs`; default
        where numba is installed).

    Examples
    --------
    >>> import negosim as ns
    >>> sc = ns.load_scenario("package_2007")
    >>> best, nash_point = ns.solutions.utilitarian(sc), ns.solutions.nash(sc)
    >>> best.actors, best.issues  # the parties (the negotiators) and the package's issues
    (('US', 'Russia'), ('kosovo_status', 'missile_defense', 'cfe'))
    >>> bool(best.utility.sum() >= nash_point.utility.sum() - 1e-9)  # the most joint utility
    True
    """
    return _solve(source, "utilitarian", actors, run, ratify, {"compiled": compiled})


def kalai_smorodinsky(
    source: Scenario | ScenarioBatch,
    actors: Sequence[str] | None = None,
    *,
    run: int = 0,
    ratify: bool = True,
    compiled: bool | None = None,
) -> Solution | None:
    """The ratifiable package that gives every party the same, largest share of its possible
    gain ``(u_a - r_a) / (m_a - r_a)`` (then the most joint utility); None if no package is
    ratifiable. Parameters as :func:`utilitarian`."""
    return _solve(source, "kalai_smorodinsky", actors, run, ratify, {"compiled": compiled})


def nash(
    source: Scenario | ScenarioBatch,
    actors: Sequence[str] | None = None,
    *,
    powers: Sequence[float] | None = None,
    run: int = 0,
    ratify: bool = True,
    compiled: bool | None = None,
) -> Solution | None:
    """The ratifiable package maximising ``prod_a (u_a - r_a)^alpha_a`` (``powers`` alpha,
    default equal: the symmetric Nash bargaining solution); None if no package is
    ratifiable. Other parameters as :func:`utilitarian`.

    Examples
    --------
    >>> import negosim as ns
    >>> ns.solutions.nash(ns.load_scenario("package_2007"))
    Solution(package={'kosovo_status': 60, 'missile_defense': 77.5, 'cfe': 15},
             utility={'US': 0.8921, 'Russia': 0.5966})
    """
    return _solve(source, "nash", actors, run, ratify, {"powers": powers, "compiled": compiled})


def solve_runs(
    batch: ScenarioBatch,
    kind: str = "nash",
    actors: Sequence[str] | None = None,
    *,
    runs: Sequence[int] | None = None,
    ratify: bool = True,
    compiled: bool | None = None,
    **options,
) -> dict:
    """Solve the runs of a batch (default all): ``deal`` (R,), ``outcome`` (R, I) (the status
    quo where there is no deal), ``utility`` (R, parties) and ``actors``.

    Two parties are solved on their exact frontier in closed form, every run at once
    (:mod:`negosim.frontier`); the integer programmes solve, run by run, the runs where a
    coalition rejects that package (or, for Kalai-Smorodinsky, an ideal package), where a
    party cannot gain, and problems of three or more parties. Identical runs are solved once.
    Every package found is checked with the protocols' ratification code
    (:class:`negosim.protocols.Table`).

    ``compiled``: solve the two-party runs that the closed form leaves by the compiled
    linear programmes of :mod:`negosim.solutions_compiled` first, the integer programmes
    taking the runs it cannot vouch for. ``None`` (default): where numba is installed;
    ``True`` without numba raises ImportError. The objective is the same either way (to
    the solvers' tolerances); where packages tie on it, the package may differ.
    """
    if kind not in SOLVERS:
        raise KeyError(f"unknown solution {kind!r}; known: {', '.join(SOLVERS)}")
    sc = batch.scenario
    parties = _parties(sc, actors)
    if sc.loss != "linear":
        raise ValueError(f"{sc.origin}: loss: the bargaining solutions are exact for linear loss")
    unknown = set(options) - ({"powers"} if kind == "nash" else set())
    if unknown:
        raise TypeError(f"{kind}: unknown option(s) {', '.join(sorted(unknown))}")
    if kind == "nash":
        _powers(options.get("powers"), len(parties))  # refused before any work
    use_compiled = _use_compiled(kind, compiled)  # refused before any work too
    runs = np.arange(batch.runs) if runs is None else np.asarray(runs, dtype=np.int64)
    sub = batch.take(runs)
    deal = np.zeros(len(runs), dtype=bool)
    outcome = np.broadcast_to(sc.status_quo, (len(runs), len(sc.issues))).copy()
    todo = np.ones(len(runs), dtype=bool)
    if len(parties) == 2:  # the exact frontier in closed form, every run at once
        closed = _two_parties(sub, parties, kind, ratify, options)
        todo = ~closed.exact
        deal[~todo], outcome[~todo] = closed.deal[~todo], closed.outcome[~todo]
        if todo.any() and use_compiled:
            rows = np.flatnonzero(todo)
            solved = _compiled_runs(sub.take(rows), parties, kind, ratify, options)
            found = rows[solved.found]
            deal[found], outcome[found] = solved.deal[solved.found], solved.outcome[solved.found]
            todo[found] = False
    if todo.any():
        deal[todo], outcome[todo] = _solve_each(batch, runs[todo], kind, parties, ratify, options)
    index = [sc.actor_index(a) for a in parties]
    utility = _utilities(sub, outcome)[:, index]
    return {"deal": deal, "outcome": outcome, "utility": utility, "actors": parties}


COMPILED = ("utilitarian", "nash", "kalai_smorodinsky")
"""The solutions :mod:`negosim.solutions_compiled` solves."""


def _use_compiled(kind: str, compiled: bool | None) -> bool:
    """Whether :func:`solve_runs` tries the compiled programmes for ``kind``; refuses
    ``compiled=True`` without numba."""
    from negosim import solutions_compiled

    if compiled is not None and not isinstance(compiled, bool | np.bool_):
        raise TypeError(f"compiled: True, False or None, got {compiled!r}")
    if compiled is None:
        return solutions_compiled.AVAILABLE and kind in COMPILED
    if compiled and not solutions_compiled.AVAILABLE:
        raise ImportError(
            'the compiled bargaining solutions need numba: pip install "negosim[fast]"'
        )
    return bool(compiled) and kind in COMPILED


@dataclass(frozen=True)
class _Compiled:
    """What the compiled programmes settled: ``found`` (runs answered: a ratified package
    or, certified, none), ``deal`` and ``outcome`` of every run given."""

    found: np.ndarray
    deal: np.ndarray
    outcome: np.ndarray


def _compiled_runs(
    batch: ScenarioBatch, parties: tuple[str, ...], kind: str, ratify: bool, options: dict
) -> _Compiled:
    """The compiled two-party solution of every run of ``batch``, each package checked by
    the protocols' ratification code: a run is ``found`` where the package passes or no
    package exists (certified)."""
    from negosim import solutions_compiled

    sc = batch.scenario
    index = tuple(sc.actor_index(a) for a in parties)
    if len(sc.issues) > solutions_compiled.MOST_ISSUES:
        none = np.zeros(batch.runs, bool)
        return _Compiled(none, none, np.zeros((batch.runs, len(sc.issues))))
    if kind == "nash":
        options = {"powers": _powers(options.get("powers"), 2)}
    status, outcome, ideals = solutions_compiled.solve_two(
        kind,
        batch.positions,
        batch.weights / batch.span,
        batch.reservation,
        sc,
        index,
        ratify,
        options,
    )
    deal = status == solutions_compiled.OPTIMAL
    passed = np.zeros(batch.runs, bool)
    if deal.any():
        rows = np.flatnonzero(deal)
        passes = _ratification(batch.take(rows), parties, ratify)
        passed[rows] = passes(outcome[rows])
        for ideal in ideals:  # Kalai-Smorodinsky: its ideal points must be the true set's
            passed[rows] &= passes(ideal[rows])
    found = passed | (status == solutions_compiled.INFEASIBLE)
    return _Compiled(found, passed, outcome)


def _powers(powers, parties: int) -> np.ndarray:
    """The Nash bargaining powers ``alpha`` (default equal), checked."""
    alpha = np.full(parties, 1 / parties) if powers is None else np.asarray(powers, float)
    if alpha.shape != (parties,) or not np.all(np.isfinite(alpha) & (alpha > 0)):
        raise ValueError(f"powers: one positive finite number per party, got {powers}")
    return alpha


def _two_parties(
    batch: ScenarioBatch, parties: tuple[str, ...], kind: str, ratify: bool, options: dict
):
    """The closed-form solutions of :mod:`negosim.frontier`, with ``exact`` cleared where
    the coalitions could change them: a package (or, for Kalai-Smorodinsky, an ideal
    package) that a coalition does not ratify. Where all of them are ratified the answer
    stands: the ratified packages are a subset of the packages solved over."""
    from negosim.frontier import solve_two_parties

    sc = batch.scenario
    index = [sc.actor_index(a) for a in parties]
    closed = solve_two_parties(
        kind,
        batch.positions[:, index],
        (batch.weights / batch.span)[:, index],
        batch.reservation[:, index],
        _powers(options.get("powers"), 2) if kind == "nash" else None,
        tolerance=TOLERANCE,  # a deal the programmes' tolerance admits: theirs to decide
    )
    # the reservations are checked too: a guard against round-off at the stretch's ends
    passes = _ratification(batch, parties, ratify)
    checked = [closed.outcome]
    if ratify and sc.coalitions and kind == "kalai_smorodinsky":
        checked += [closed.ideal_a, closed.ideal_b]
    exact = closed.exact
    for package in checked:
        exact = exact & (~closed.deal | passes(package))
    return dataclasses.replace(closed, exact=exact)


@contextlib.contextmanager
def _blas_on_one_thread() -> Iterator[None]:
    """BLAS on one thread: with several, the Nash point's small dense products round
    differently (found: 1.7e-8 apart on package_2007), so a Dask worker (one thread) and this
    process would disagree."""
    import scipy.optimize  # noqa: F401 (its BLAS must be loaded for the limit to reach it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@_blas_on_one_thread()
def _solve_each(
    batch: ScenarioBatch,
    runs: np.ndarray,
    kind: str,
    parties: tuple[str, ...],
    ratify: bool,
    options: dict,
) -> tuple[np.ndarray, np.ndarray]:
    """The exact integer programmes, run by run (identical runs solved once), BLAS on one
    thread: ``deal`` and ``outcome`` of ``runs``."""
    sc = batch.scenario
    deal = np.zeros(len(runs), dtype=bool)
    outcome = np.broadcast_to(sc.status_quo, (len(runs), len(sc.issues))).copy()
    seen: dict[bytes, int] = {}
    hint = _hint(sc, parties, kind, ratify, options) if ratify and sc.coalitions else None
    for k, r in enumerate(runs):
        key = _run_key(batch, int(r))
        if key in seen:
            deal[k], outcome[k] = deal[seen[key]], outcome[seen[key]]
            continue
        seen[key] = k
        found = _solve_run(_run_of(batch, parties, int(r), ratify), kind, options, hint=hint)
        if found is not None:
            deal[k], outcome[k] = True, found
    passes = _ratification(batch.take(runs), parties, ratify)
    bad = deal & ~passes(outcome)
    for k in np.flatnonzero(bad):  # solver round-off: solve again with a margin on each vote
        found = _solve_run(
            _run_of(batch, parties, int(runs[k]), ratify), kind, options, RETRY_MARGIN
        )
        deal[k] = found is not None
        outcome[k] = sc.status_quo if found is None else found
    if np.any(bad & deal & ~passes(outcome)):
        raise RuntimeError(f"{sc.origin}: a {kind} package failed ratification after a retry")
    return deal, outcome


def _run_key(batch: ScenarioBatch, run: int) -> bytes:
    parts = (batch.positions[run], batch.weights[run], batch.reservation[run])
    return b"".join(np.ascontiguousarray(p).tobytes() for p in parts)


def _utilities(batch: ScenarioBatch, packages: np.ndarray) -> np.ndarray:
    from negosim.preferences import utilities

    return utilities(packages, batch.positions, batch.weights, batch.span, batch.scenario.loss)


def _ratification(
    batch: ScenarioBatch, parties: tuple[str, ...], ratify: bool
) -> Callable[[np.ndarray], np.ndarray]:
    """A test of one package per run ``(R, I)``: whether it gives every party its
    reservation and (if ``ratify``) passes every coalition, by the protocols' own rule. The
    protocols' table is set up once, however many packages are tested."""
    from negosim.protocols.table import Table  # the protocols import this module

    table = Table(batch, {}, rounds=1)
    index = [batch.scenario.actor_index(a) for a in parties]

    def passes(packages: np.ndarray) -> np.ndarray:
        votes = table.reservation_votes(table.utilities(packages))
        ok = votes[:, index].all(axis=1)
        if ratify and table.coalitions:
            ok &= table.coalition_consent(packages, votes).all(axis=1)
        return ok

    return passes


def pareto_frontier(
    source: Scenario | ScenarioBatch, actors: Sequence[str] | None = None, *, run: int = 0
) -> pd.DataFrame:
    """Vertices of the exact two-party Pareto frontier, without the coalitions (piecewise
    linear between them).

    Returns one row per vertex, from B's ideal package to A's: ``outcome.<issue>`` and
    ``utility.<actor>`` columns, ``feasible`` (both at least their reservation) and
    ``ratified`` (feasible and passed by every coalition).
    """
    batch = _batch_of(source, run)
    sc = batch.scenario
    parties = _parties(sc, actors)
    if len(parties) != 2:
        raise ValueError(
            "actors: the exact frontier is for two parties; use nash/kalai_smorodinsky for more"
        )
    from negosim.frontier import Frontier

    one = _run_of(batch, parties, run, ratify=False)
    frontier = Frontier.of(one.positions[None, one.parties], one.cost[None, one.parties])
    vertices = np.arange(len(sc.issues) + 1, dtype=float)
    packages = np.concatenate([frontier.package(np.array([tau])) for tau in vertices])
    util = np.array([one.utility(xx)[one.parties] for xx in packages])
    frame = pd.DataFrame(packages, columns=[f"outcome.{i}" for i in sc.issues])
    for j, actor in enumerate(parties):
        frame[f"utility.{actor}"] = util[:, j]
    copies = batch.take([run] * len(packages))
    frame["feasible"] = _ratification(copies, parties, False)(packages)
    frame["ratified"] = _ratification(copies, parties, True)(packages)
    return frame


def disagreement_point(
    source: Scenario | ScenarioBatch, actors: Sequence[str] | None = None, *, run: int = 0
) -> np.ndarray:
    """The parties' reservations (the disagreement point) of the problem the solutions solve."""
    batch = _batch_of(source, run)
    parties = _parties(batch.scenario, actors)
    return np.asarray(batch.reservation[run, [batch.scenario.actor_index(a) for a in parties]])


def linkage_gain(scenario: Scenario, actors: Sequence[str] | None = None) -> pd.DataFrame:
    """Nash solutions of the package vs issue by issue (each issue alone, the others at the
    status quo): whether a deal exists and the parties' joint utility.

    Returns rows ``package`` and ``issue_by_issue`` with columns ``deal`` (every part has a
    zone of agreement), ``joint_utility`` and one utility column per party.
    """
    package = nash(scenario, actors)
    parties = (
        package.actors
        if package
        else tuple(
            actors
            or [
                a for a, r in zip(scenario.actors, scenario.roles, strict=True) if r == "negotiator"
            ]
        )
    )
    combined = scenario.status_quo.copy()
    deals = []
    for issue in scenario.issues:
        sub = scenario.restrict([issue])
        present = [a for a in parties if a in sub.actors]
        sol = nash(sub, present) if len(present) >= 2 else None
        deals.append(sol is not None)
        if sol is not None:
            combined[scenario.issue_index(issue)] = sol.package[0]
    batch = point_estimates(scenario)
    index = [scenario.actor_index(a) for a in parties]
    u_split = _utilities(batch, combined[None])[0, index]
    u_split = u_split if any(deals) else batch.reservation[0, index]
    u_package = package.utility if package else batch.reservation[0, index]
    rows = {
        "package": [package is not None, float(np.sum(u_package)), *u_package],
        "issue_by_issue": [all(deals), float(np.sum(u_split)), *u_split],
    }
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["deal", "joint_utility", *[f"utility.{a}" for a in parties]]
    )


# ----------------------------------------------------------------------------- abstract curves

Curve = Callable[[float], tuple[float, float]]


def nash_on_curve(
    curve: Curve, disagreement=(0.0, 0.0), powers=(0.5, 0.5)
) -> tuple[float, np.ndarray]:
    """Nash point of a frontier ``t -> (u1, u2)``, ``t`` in [0, 1]: returns ``(t*, u(t*))``."""
    d, alpha = np.asarray(disagreement, float), np.asarray(powers, float)

    def neg_log(t):
        g = np.asarray(curve(t)) - d
        return np.inf if np.any(g <= 0) else -float(np.sum(alpha * np.log(g)))

    from scipy.optimize import minimize_scalar

    res = minimize_scalar(neg_log, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-12})
    return float(res.x), np.asarray(curve(res.x), float)


def kalai_smorodinsky_on_curve(curve: Curve, disagreement=(0.0, 0.0)) -> tuple[float, np.ndarray]:
    """Kalai-Smorodinsky point of a monotone frontier ``t -> (u1, u2)`` (u1 rising, u2 falling)."""
    d = np.asarray(disagreement, float)
    m = np.array([curve(1.0)[0], curve(0.0)[1]])  # ideal: each party's best on the frontier

    def gap(t):
        u = np.asarray(curve(t))
        return (u[0] - d[0]) / (m[0] - d[0]) - (u[1] - d[1]) / (m[1] - d[1])

    from scipy.optimize import brentq

    t = brentq(gap, 0.0, 1.0, xtol=1e-14)
    return t, np.asarray(curve(t), float)


def solve_batch(
    batch: ScenarioBatch, kind: str = "nash", actors: Sequence[str] | None = None, **options
) -> pd.DataFrame:
    """A bargaining solution for every run of a Monte Carlo batch.

    Returns one row per run: ``deal`` (a ratifiable package exists), ``outcome.<issue>`` and
    ``utility.<party>`` (NaN where there is no deal). Options as :func:`solve_runs`.
    """
    out = solve_runs(batch, kind, actors, **options)
    frame = pd.DataFrame({"deal": out["deal"]})
    for k, issue in enumerate(batch.scenario.issues):
        frame[f"outcome.{issue}"] = np.where(out["deal"], out["outcome"][:, k], np.nan)
    for k, actor in enumerate(out["actors"]):
        frame[f"utility.{actor}"] = np.where(out["deal"], out["utility"][:, k], np.nan)
    return frame
