"""Two-party bargaining solutions with coalitions, compiled (numba, optional): the
utilitarian, Nash and Kalai-Smorodinsky packages of a whole batch of runs, by small linear
programmes.
Available when numba is installed (``pip install "negosim[fast]"``);
:func:`negosim.analysis.solutions.solve_runs` uses it for two parties where it is and falls back,
run by run, to the integer programmes of :mod:`negosim.analysis.solutions` wherever it cannot vouch
for its answer.

The pieces of the ratified set
------------------------------
Work in the issue scales normalised to ``z_i = (x_i - l_i) / (h_i - l_i)`` in [0, 1], so
that every tolerance below is one of utility or of a share of a scale (the costs become
``c_ai (h_i - l_i)``, the weights). Fix which issues may move off the status quo (a subset
``F`` of the issues; the others stay at it): that fixes which coalitions are asked, those
ratifying an issue of ``F``. The ratified set is the union over the ``2^I`` subsets of the
closed pieces

    P_F = { z : z_i = q_i (i not in F), 0 <= z_i <= 1 (i in F),
            u_a(z) >= r_a (parties a),
            u_m(z) >= r_m - 1e-9 (members m of the coalitions asked) }

(the members' rows ask ``u_m >= r_m``, as the integer programmes' do: :data:`MARGIN`)

when every coalition asked must be unanimous. ``u(z) = 1 - sum_i c_i |z_i - p_i|`` is
concave, and ``u(z) >= b`` is the ``2^I`` linear rows ``sum_i s_i c_i (z_i - p_i) <= 1 - b``,
one per sign pattern ``s``; so ``P_F`` is a polytope. Each party's utility becomes a
variable ``v_a`` with the rows ``v_a + sum_i s_i c_i (z_i - p_i) <= 1`` and ``v_a >= r_a``;
at an optimum that rewards ``v_a``, ``v_a = u_a(z)``.

Coalitions that decide by majority or a qualified share are **relaxed** (dropped; a
coalition whose every open member's vote is needed, in a run, counts as unanimous): the
relaxed pieces contain the true ratified set, so the best package over them, once the
protocols' own ratification code (:meth:`negosim.engine.protocols.Table.coalition_consent`)
passes it, is the best ratified package. Runs whose package fails that check, or where a
programme stops without a certified answer, go to the integer programmes.

Linear programmes
-----------------
``max c.y  s.t.  G y <= h`` (``y = (z, v)``, ``n = I + 2`` columns, many rows) is solved
through its dual ``min h.l  s.t.  G^T l = c, l >= 0``, a tableau of only ``n`` rows, by a
two-phase primal simplex (Dantzig's rule, Bland's after a run of degenerate pivots).
Artificial variables left in the basis at zero block a pivot either way, so the dual
stays feasible. The primal point is ``y = c_B B^-1``. A primal without a package shows as
an unbounded dual: the ray ``d`` (``d >= 0``) then proves it (Farkas) only when
``-h.d`` exceeds what the ratification tolerance (1e-9 per row) and the round-off of
``G^T d`` could make up; otherwise the run is left to the integer programmes.

A piece where a party cannot reach its reservation (less 2e-9) even with every movable
issue at its own ideal is skipped without a programme.

Solutions
---------
* utilitarian: ``max v_A + v_B`` on every piece, the best over the pieces (the first of
  equal ones, most movable issues first).
* Nash: ``max alpha_A log(v_A - r_A) + alpha_B log(v_B - r_B)``. Inside a piece the
  two-party frontier is a concave polyline; its vertices are found by weighted-sum
  programmes (a search between the two ends, each step the programme whose weights are
  the normal of the chord), and the maximum sits on the final edge, in closed form. A later
  piece is searched only if it has a point beyond the tangent line of the Nash product at
  the best point so far (one programme): by concavity of ``log``, otherwise it holds
  nothing better. The same test on the best point's own piece certifies it.
* Kalai-Smorodinsky: the ideal points ``m_a`` (the most ``v_a`` over the pieces; the answer
  stands only where both ideal packages are ratified, so that they are the true set's),
  the largest share ``lam`` with ``v_a >= r_a + lam (m_a - r_a)`` per piece (an extra
  column), then the most joint utility over the pieces that reach ``lam*``, with
  ``v_a >= r_a + lam* (m_a - r_a) - 1e-9`` (as the integer programmes do).
"""

from __future__ import annotations

import contextlib

import numpy as np

from negosim.engine.compiling import code_key, compiling_notice
from negosim.engine.solvers.programmes import required_votes

try:
    import numba
except ImportError:  # pragma: no cover - the optional extra is missing
    numba = None

AVAILABLE = numba is not None
"""Whether numba is installed, so that the compiled path can run."""

MOST_ISSUES = 8
"""Problems with more issues go to the integer programmes (``2^I`` pieces and rows per
member)."""

TOLERANCE = 1e-9
"""A member's yes: ``u_m >= r_m - TOLERANCE`` (the protocols' ratification rule)."""

MARGIN = TOLERANCE
"""The members' rows ask ``u_m >= r_m - TOLERANCE + MARGIN``, ``u_m >= r_m``: the rows of
the integer programmes (1e-9 stricter than the rule), so that both solve the same set and an
optimum on such a row passes the ratification rule despite round-off."""

PRUNE = 2 * TOLERANCE
"""A piece is skipped when a party's best utility in it is below its reservation by more
than this (so no package of it passes even the ratification tolerance)."""

PIVOT = 1e-11
"""Tableau entries at most this large are not pivoted on (entries are costs and weights of
order 1 on normalised scales)."""

DEGENERATE_RUN = 20
"""Degenerate pivots in a row after which the entering column is chosen by Bland's rule."""

FEASIBLE = 1e-9
"""Phase 1 leaves at most this much infeasibility of the dual (else: no certified answer)."""

COMPILING = (
    "negosim: compiling the bargaining solutions with numba (the first time on this machine, "
    "about 10 s; later calls load them from numba's cache)"
)
CODE_KEY = code_key(__file__)
"""The compiled code's name in the machine's markers (:func:`compiling_notice`)."""

OPTIMAL, INFEASIBLE, UNSURE = 0, 1, 2
"""Statuses: a package found; no package (certified); no certified answer (fall back)."""


def _compile(function):
    """``function`` compiled in no-python mode, numpy's division rules, cached on disk;
    unchanged without numba (nothing here is then called)."""
    if numba is None:
        return function
    return numba.njit(cache=True, error_model="numpy")(function)


@_compile
def _pivot(T, obj, r, q):
    """Pivot the tableau ``T`` and its cost row ``obj`` on row ``r``, column ``q``."""
    T[r, :] /= T[r, q]
    for i in range(T.shape[0]):
        if i != r:
            f = T[i, q]
            if f != 0.0:
                T[i, :] -= f * T[r, :]
    f = obj[q]
    if f != 0.0:
        obj[:] -= f * T[r, :]


@_compile
def _simplex(T, obj, basis, entering, phase2, most):
    """Minimise over the tableau (``obj``: reduced costs, last entry minus the value); only
    the first ``entering`` columns enter. In phase 2 a basic artificial (a column from
    ``entering`` on, at zero) blocks any move. Returns ``(status, column)``: 0 optimal,
    1 unbounded along ``column``, 2 iteration limit."""
    n, rhs = T.shape[0], T.shape[1] - 1
    degenerate = 0
    for _ in range(most):
        q, best = -1, -1e-12
        for j in range(entering):
            if obj[j] < best:
                q, best = j, obj[j]
                if degenerate > DEGENERATE_RUN:
                    break  # Bland's rule: the first improving column
        if q < 0:
            return 0, -1
        r, ratio = -1, np.inf
        for i in range(n):
            a = T[i, q]
            if phase2 and basis[i] >= entering:
                t = 0.0 if abs(a) > PIVOT else np.inf
            elif a > PIVOT:
                t = max(T[i, rhs], 0.0) / a
            else:
                continue
            if t < ratio - 1e-14 or (r >= 0 and abs(t - ratio) <= 1e-14 and basis[i] < basis[r]):
                r, ratio = i, t
        if r < 0:
            return 1, q
        degenerate = degenerate + 1 if ratio <= 1e-14 else 0
        _pivot(T, obj, r, q)
        basis[r] = q
    return 2, -1


@_compile
def solve_lp(G, h, c, bound):
    """``max c.y  s.t.  G y <= h`` (``y`` free; ``|y_k| <= bound`` on every feasible point,
    for the certificate of infeasibility). Returns ``(status, y)``: :data:`OPTIMAL`,
    :data:`INFEASIBLE` (certified against a violation of ``TOLERANCE`` per row) or
    :data:`UNSURE`."""
    m, n = G.shape
    T = np.zeros((n, m + n + 1))
    sign = np.empty(n)
    for j in range(n):  # row j: sum_i G_ij l_i = c_j, signed so the right side is >= 0
        sign[j] = 1.0 if c[j] >= 0 else -1.0
        for i in range(m):
            T[j, i] = sign[j] * G[i, j]
        T[j, m + j] = 1.0
        T[j, m + n] = sign[j] * c[j]
    basis = np.empty(n, np.int64)
    obj = np.zeros(m + n + 1)
    for j in range(n):  # phase 1: minimise the sum of the artificials
        basis[j] = m + j
        obj -= T[j, :]
        obj[m + j] += 1.0
    most = 50 * (m + n)
    y = np.zeros(n)
    status, _ = _simplex(T, obj, basis, m, False, most)
    if status != 0 or -obj[m + n] > FEASIBLE:
        return UNSURE, y  # no dual point: an unbounded primal, impossible in a box
    obj[:] = 0.0  # phase 2: the costs h on the l, the artificials never enter
    obj[:m] = h
    for j in range(n):
        if basis[j] < m:
            obj -= h[basis[j]] * T[j, :]
    status, q = _simplex(T, obj, basis, m, True, most)
    if status == 0:
        for k in range(n):  # y = c_B B^-1 of the unsigned rows
            s = 0.0
            for j in range(n):
                if basis[j] < m:
                    s += h[basis[j]] * T[j, m + k]
            y[k] = s * sign[k]
        return OPTIMAL, y
    if status == 2:
        return UNSURE, y
    return _certified(G, h, T, basis, q, bound), y


@_compile
def _certified(G, h, T, basis, q, bound):
    """Whether the dual ray of column ``q`` proves the primal empty even with every row
    loosened by ``TOLERANCE``: ``d >= 0`` with ``G^T d ~ 0`` and ``h.d < 0`` (Farkas)."""
    m, n = G.shape
    d = np.zeros(m)
    d[q] = 1.0
    for j in range(n):
        if basis[j] < m:
            d[basis[j]] = max(-T[j, q], 0.0)
    hd, total = 0.0, 0.0
    for i in range(m):
        hd += h[i] * d[i]
        total += d[i]
    slack = TOLERANCE * total
    for k in range(n):  # a point's d.G y = (G^T d).y: at most |G^T d| bound
        e = 0.0
        for i in range(m):
            e += G[i, k] * d[i]
        slack += abs(e) * bound
    return INFEASIBLE if -hd > 2.0 * slack else UNSURE


@_compile
def _piece(pos, cost, res, sq, a, b, members, free):
    """The rows ``G y <= h`` of the piece where the issues ``free`` may move (columns
    ``z`` then ``v_a, v_b``): the parties' utility rows, the members' yes rows, the box
    and the reservations."""
    n_issues = pos.shape[1]
    patterns = 1 << n_issues
    rows = (2 + members.size) * patterns + 2 * n_issues + 2
    G = np.zeros((rows, n_issues + 2))
    h = np.zeros(rows)
    row = 0
    for who in range(2 + members.size):
        actor = a if who == 0 else (b if who == 1 else members[who - 2])
        budget = 1.0 if who < 2 else 1.0 - res[actor] + TOLERANCE - MARGIN
        for s in range(patterns):
            acc = budget
            for i in range(n_issues):
                sg = 1.0 if (s >> i) & 1 == 0 else -1.0
                G[row, i] = sg * cost[actor, i]
                acc += sg * cost[actor, i] * pos[actor, i]
            if who < 2:
                G[row, n_issues + who] = 1.0
            h[row] = acc
            row += 1
    for i in range(n_issues):
        G[row, i], h[row] = 1.0, 1.0 if free[i] else sq[i]
        G[row + 1, i], h[row + 1] = -1.0, 0.0 if free[i] else -sq[i]
        row += 2
    G[row, n_issues], h[row] = -1.0, -res[a]
    G[row + 1, n_issues + 1], h[row + 1] = -1.0, -res[b]
    return G, h


@_compile
def _reachable(pos, cost, res, sq, a, b, free):
    """Whether both parties can reach their reservations (less :data:`PRUNE`) in the
    piece: each with every movable issue at its own ideal."""
    for actor in (a, b):
        u = 1.0
        for i in range(pos.shape[1]):
            if not free[i]:
                u -= cost[actor, i] * abs(sq[i] - pos[actor, i])
        if u < res[actor] - PRUNE:
            return False
    return True


@_compile
def _members(c_issues, c_members, impose, always, a, b, free):
    """The actors whose yes the piece demands: the members of the coalitions asked (those
    ratifying a movable issue) that decide as one, but for the parties and the members
    that always say yes."""
    mask = np.zeros(c_members.shape[1], np.bool_)
    for c in range(c_issues.shape[0]):
        if impose[c]:
            for i in range(c_issues.shape[1]):
                if c_issues[c, i] and free[i]:
                    mask |= c_members[c]
                    break
    mask &= ~always
    mask[a] = False
    mask[b] = False
    return np.flatnonzero(mask)


@_compile
def _free(k, n_issues):
    """The issues that piece ``k`` lets move (the bits of ``k``)."""
    free = np.zeros(n_issues, np.bool_)
    for i in range(n_issues):
        free[i] = (k >> i) & 1 == 1
    return free


@_compile
def _rows_of(k, pos, cost, res, sq, a, b, c_issues, c_members, impose, always):
    """Piece ``k`` of one run: ``(reachable, G, h, free)`` (no rows where a party cannot
    reach its reservation in it, :func:`_reachable`)."""
    free = _free(k, pos.shape[1])
    if not _reachable(pos, cost, res, sq, a, b, free):
        return False, np.zeros((0, pos.shape[1] + 2)), np.zeros(0), free
    members = _members(c_issues, c_members, impose, always, a, b, free)
    G, h = _piece(pos, cost, res, sq, a, b, members, free)
    return True, G, h, free


@_compile
def _utilitarian_runs(pos, cost, res, sq, a, b, c_issues, c_members, impose, always):
    """The utilitarian package of every run (normalised scales): ``(status, z)``."""
    runs, _, n_issues = pos.shape
    status = np.full(runs, INFEASIBLE, np.int64)
    out = np.empty((runs, n_issues))
    bound = 1.0 + max(np.abs(res).max(), 1.0)
    c = np.zeros(n_issues + 2)
    c[n_issues] = 1.0
    c[n_issues + 1] = 1.0
    for r in range(runs):
        best = -np.inf
        for k in range((1 << n_issues) - 1, -1, -1):  # most movable issues first
            reachable, G, h, free = _rows_of(
                k, pos[r], cost[r], res[r], sq, a, b, c_issues, c_members, impose[r], always[r]
            )
            if not reachable:
                continue
            found, y = solve_lp(G, h, c, bound)
            if found == UNSURE:
                status[r] = UNSURE
                break
            if found == OPTIMAL and y[n_issues] + y[n_issues + 1] > best + 1e-12:
                best = y[n_issues] + y[n_issues + 1]
                status[r] = OPTIMAL
                out[r] = _package(y, sq, free)
    return status, out


@_compile
def _weighted(G, h, w0, w1, bound):
    """``max w0 v_a + w1 v_b`` over the piece: ``(status, y)``."""
    n = G.shape[1]
    c = np.zeros(n)
    c[n - 2] = w0
    c[n - 1] = w1
    return solve_lp(G, h, c, bound)


@_compile
def _nash_piece(G, h, ra, rb, alpha0, alpha1, bound):
    """The Nash point of one piece: ``(status, y, value)`` (``value``: the weighted log
    gains; :data:`UNSURE` if a party gains nothing there or the search does not close)."""
    n = G.shape[1]
    found, left = _weighted(G, h, 1.0, 1e-9, bound)  # A's end of the frontier
    if found != OPTIMAL:
        return found, left, -np.inf
    found, right = _weighted(G, h, 1e-9, 1.0, bound)  # B's end
    if found != OPTIMAL:
        return UNSURE, right, -np.inf
    l0, l1 = left[n - 2] - ra, left[n - 1] - rb
    r0, r1 = right[n - 2] - ra, right[n - 1] - rb
    closed = False
    for _ in range(64):  # halve the frontier until the chord is an edge
        d0, d1 = l0 - r0, l1 - r1
        if abs(d0) < 1e-12 and abs(d1) < 1e-12:
            closed = True
            break
        n0, n1 = -d1, d0  # the chord's normal, pointing away from the reservations
        if n0 < 0 or n1 < 0:
            n0, n1 = -n0, -n1
        found, y = _weighted(G, h, n0, n1, bound)
        if found != OPTIMAL:
            return UNSURE, y, -np.inf
        g0, g1 = y[n - 2] - ra, y[n - 1] - rb
        if n0 * g0 + n1 * g1 <= n0 * l0 + n1 * l1 + 1e-12 * (abs(n0) + abs(n1)):
            closed = True
            break
        # a supergradient of the Nash product along the frontier at y: its sign says on
        # which side of y the maximum lies (the product is concave along the frontier)
        # (where a party gains nothing, the maximum lies toward the one that gains)
        toward_b = g0 > 0 if g0 <= 0 or g1 <= 0 else alpha1 * n0 / g1 > alpha0 * n1 / g0
        if toward_b:
            l0, l1, left = g0, g1, y
        else:
            r0, r1, right = g0, g1, y
    if not closed:
        return UNSURE, left, -np.inf
    d0, d1 = l0 - r0, l1 - r1  # on the edge from right to left, in closed form
    if d0 * d1 != 0.0:
        s = -(alpha0 * d0 * r1 + alpha1 * d1 * r0) / ((alpha0 + alpha1) * d0 * d1)
    else:
        s = 1.0 if d0 > 0 or d1 > 0 else 0.0  # one end dominates the other
    s = min(max(s, 0.0), 1.0)
    g0, g1 = r0 + s * d0, r1 + s * d1
    out = right + s * (left - right)
    if g0 <= 0 or g1 <= 0:
        return UNSURE, out, -np.inf
    return OPTIMAL, out, alpha0 * np.log(g0) + alpha1 * np.log(g1)


@_compile
def _beyond_tangent(G, h, y, ra, rb, alpha0, alpha1, bound):
    """Whether the piece holds a point beyond the tangent line of the Nash product at
    ``y`` (by concavity of ``log``, nothing better otherwise): 0 no, 1 yes, 2 unsure."""
    n = G.shape[1]
    w0, w1 = alpha0 / (y[n - 2] - ra), alpha1 / (y[n - 1] - rb)
    found, p = _weighted(G, h, w0, w1, bound)
    if found == INFEASIBLE:
        return 0
    if found == UNSURE:
        return 2
    gain = w0 * (p[n - 2] - y[n - 2]) + w1 * (p[n - 1] - y[n - 1])
    # the programmes' round-off in v (about 1e-13) is magnified by the weights
    return 1 if gain > 1e-10 * (alpha0 + alpha1) + 1e-11 * (w0 + w1) else 0


@_compile
def _nash_runs(pos, cost, res, sq, a, b, c_issues, c_members, impose, always, alpha0, alpha1):
    """The Nash package of every run (normalised scales): ``(status, z)``."""
    runs, _, n_issues = pos.shape
    status = np.full(runs, INFEASIBLE, np.int64)
    out = np.empty((runs, n_issues))
    bound = 1.0 + max(np.abs(res).max(), 1.0)
    for r in range(runs):
        ra, rb = res[r, a], res[r, b]
        best, value = np.zeros(n_issues + 2), -np.inf
        best_k = -1
        for k in range((1 << n_issues) - 1, -1, -1):  # most movable issues first
            reachable, G, h, free = _rows_of(
                k, pos[r], cost[r], res[r], sq, a, b, c_issues, c_members, impose[r], always[r]
            )
            if not reachable:
                continue
            if best_k >= 0:
                beyond = _beyond_tangent(G, h, best, ra, rb, alpha0, alpha1, bound)
                if beyond == 2:
                    status[r] = UNSURE
                    break
                if beyond == 0:
                    continue
            found, y, v = _nash_piece(G, h, ra, rb, alpha0, alpha1, bound)
            if found == UNSURE:
                status[r] = UNSURE
                break
            if found == OPTIMAL and v > value + 1e-12:
                best, value, best_k = y, v, k
                status[r] = OPTIMAL
                out[r] = _package(y, sq, free)
        if status[r] == OPTIMAL:  # certify the best point within its own piece too
            _, G, h, free = _rows_of(
                best_k, pos[r], cost[r], res[r], sq, a, b, c_issues, c_members, impose[r], always[r]
            )
            if _beyond_tangent(G, h, best, ra, rb, alpha0, alpha1, bound) != 0:
                status[r] = UNSURE
    return status, out


@_compile
def _with_share(G, h, ra, rb, sa, sb):
    """The piece's rows and a last column ``lam`` in [0, 1], the share of the possible gains
    every party gets: ``v_a >= r_a + lam s_a`` (``s_a = m_a - r_a``)."""
    m, n = G.shape
    G2, h2 = np.zeros((m + 4, n + 1)), np.zeros(m + 4)
    G2[:m, :n], h2[:m] = G, h
    G2[m, n - 2], G2[m, n], h2[m] = -1.0, sa, -ra
    G2[m + 1, n - 1], G2[m + 1, n], h2[m + 1] = -1.0, sb, -rb
    G2[m + 2, n], h2[m + 2] = 1.0, 1.0
    G2[m + 3, n], h2[m + 3] = -1.0, 0.0
    return G2, h2


@_compile
def _with_floor(G, h, fa, fb):
    """The piece's rows and ``v_a >= fa``, ``v_b >= fb``."""
    m, n = G.shape
    G2, h2 = np.zeros((m + 2, n)), np.zeros(m + 2)
    G2[:m], h2[:m] = G, h
    G2[m, n - 2], h2[m] = -1.0, -fa
    G2[m + 1, n - 1], h2[m + 1] = -1.0, -fb
    return G2, h2


@_compile
def _ks_runs(pos, cost, res, sq, a, b, c_issues, c_members, impose, always):
    """The Kalai-Smorodinsky package of every run (normalised scales) and the packages of
    the two ideal points (to be checked ratified): ``(status, z, ideal_a, ideal_b)``."""
    runs, _, n_issues = pos.shape
    pieces = 1 << n_issues
    status = np.full(runs, INFEASIBLE, np.int64)
    out = np.empty((runs, n_issues))
    ideal_a, ideal_b = np.empty((runs, n_issues)), np.empty((runs, n_issues))
    bound = 1.0 + max(np.abs(res).max(), 1.0)
    n = n_issues + 2
    for r in range(runs):
        ra, rb = res[r, a], res[r, b]
        most = np.full((pieces, 2), -np.inf)  # each piece's ideal point
        unsure = False
        for k in range(pieces - 1, -1, -1):
            reachable, G, h, free = _rows_of(
                k, pos[r], cost[r], res[r], sq, a, b, c_issues, c_members, impose[r], always[r]
            )
            if not reachable:
                continue
            found_a, ya = _weighted(G, h, 1.0, 1e-9, bound)
            found_b, yb = _weighted(G, h, 1e-9, 1.0, bound)
            if found_a == UNSURE or found_b == UNSURE or found_a != found_b:
                unsure = True
                break
            if found_a == INFEASIBLE:
                continue
            if ya[n - 2] > most[:, 0].max():  # the first piece of the most, kept
                ideal_a[r] = _package(ya, sq, free)
            if yb[n - 1] > most[:, 1].max():
                ideal_b[r] = _package(yb, sq, free)
            most[k, 0], most[k, 1] = ya[n - 2], yb[n - 1]
        if unsure:
            status[r] = UNSURE
            continue
        ma, mb = most[:, 0].max(), most[:, 1].max()
        if ma == -np.inf:
            continue  # no piece holds a package: no deal
        sa, sb = ma - ra, mb - rb
        if sa <= 0 or sb <= 0:  # a party cannot gain: left to the integer programmes
            status[r] = UNSURE
            continue
        share = np.full(pieces, -np.inf)
        best_share = -np.inf
        for k in range(pieces - 1, -1, -1):
            if most[k, 0] == -np.inf:
                continue
            if min((most[k, 0] - ra) / sa, (most[k, 1] - rb) / sb) < best_share - 1e-12:
                continue  # the piece's own ideal point caps its share below the best
            _, G, h, free = _rows_of(
                k, pos[r], cost[r], res[r], sq, a, b, c_issues, c_members, impose[r], always[r]
            )
            G2, h2 = _with_share(G, h, ra, rb, sa, sb)
            c = np.zeros(n + 1)
            c[n] = 1.0
            found, y = solve_lp(G2, h2, c, bound)
            if found == UNSURE:
                unsure = True
                break
            if found == OPTIMAL:
                share[k] = y[n]
                best_share = max(best_share, y[n])
        if unsure or best_share == -np.inf:
            status[r] = UNSURE
            continue
        # the most joint utility at that share, so that the point is Pareto-efficient
        fa = ra + best_share * sa - TOLERANCE
        fb = rb + best_share * sb - TOLERANCE
        joint = -np.inf
        for k in range(pieces - 1, -1, -1):
            if share[k] < best_share - 1e-12:
                continue
            _, G, h, free = _rows_of(
                k, pos[r], cost[r], res[r], sq, a, b, c_issues, c_members, impose[r], always[r]
            )
            G2, h2 = _with_floor(G, h, fa, fb)
            found, y = _weighted(G2, h2, 1.0, 1.0, bound)
            if found == UNSURE:
                unsure = True
                break
            if found == OPTIMAL and y[n - 2] + y[n - 1] > joint + 1e-12:
                joint = y[n - 2] + y[n - 1]
                out[r] = _package(y, sq, free)
        status[r] = UNSURE if unsure or joint == -np.inf else OPTIMAL
    return status, out, ideal_a, ideal_b


@_compile
def _package(y, sq, free):
    """The package of a programme's point: movable issues clipped to their scales, the
    others exactly at the status quo."""
    z = np.empty(sq.size)
    for i in range(sq.size):
        z[i] = min(max(y[i], 0.0), 1.0) if free[i] else sq[i]
    return z


def solve_two(
    kind: str,
    positions: np.ndarray,
    cost: np.ndarray,
    reservation: np.ndarray,
    scenario,
    parties: tuple[int, int],
    ratify: bool,
    options: dict | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The relaxed two-party solution ``kind`` of every run, to be checked.

    Parameters
    ----------
    kind
        ``"utilitarian"``, ``"nash"`` or ``"kalai_smorodinsky"``.
    positions, cost
        ``(R, A, I)``: every actor's ideal points and cost weights ``w / span`` on the
        issue scales.
    reservation
        ``(R, A)``.
    scenario
        The scenario (scales, status quo, coalitions).
    parties
        The two parties' actor indices.
    ratify
        Whether the coalitions must ratify.
    options
        ``powers`` for Nash.

    Returns
    -------
    status, outcome, ideals
        ``(R,)`` :data:`OPTIMAL` (the outcome is the best package of the relaxed set, to be
        checked by the ratification code), :data:`INFEASIBLE` (no package, certified) or
        :data:`UNSURE`; ``(R, I)`` the packages on the issue scales; for
        Kalai-Smorodinsky the packages of the two ideal points (the relaxed set's: the
        answer stands only where both are ratified too), else empty.
    """
    if not AVAILABLE:
        raise ImportError(
            'the compiled bargaining solutions need numba: pip install "negosim[fast]"'
        )
    low, high = np.asarray(scenario.low, float), np.asarray(scenario.high, float)
    scale = high - low
    pos = np.ascontiguousarray((np.asarray(positions, float) - low) / scale)
    weight = np.ascontiguousarray(np.asarray(cost, float) * scale)
    res = np.ascontiguousarray(reservation, float)
    sq = np.ascontiguousarray((np.asarray(scenario.status_quo, float) - low) / scale)
    always = np.sum(weight * np.maximum(pos, 1 - pos), axis=2) <= 1 - res + TOLERANCE
    a, b = parties
    always[:, [a, b]] = True  # a party's yes is demanded by its own rows
    c_issues, c_members, impose = _unanimous(scenario, always, ratify)
    args = (pos, weight, res, sq, a, b, c_issues, c_members, impose, always)
    kernels = {"utilitarian": _utilitarian_runs, "nash": _nash_runs, "kalai_smorodinsky": _ks_runs}
    if kind not in kernels:
        raise KeyError(f"no compiled solution {kind!r}")
    if kind == "nash":
        alpha = (options or {}).get("powers")
        alpha = np.full(2, 0.5) if alpha is None else np.asarray(alpha, float)
        args = (*args, alpha[0], alpha[1])
    first_call = not kernels[kind].signatures  # compiled, or loaded from the cache, once
    with compiling_notice(COMPILING, key=CODE_KEY) if first_call else contextlib.nullcontext():
        status, z, *ideals = kernels[kind](*args)
    packages = [_on_scales(p, scenario, status) for p in (z, *ideals)]
    return status, packages[0], tuple(packages[1:])


def _on_scales(z: np.ndarray, scenario, status: np.ndarray) -> np.ndarray:
    """Packages on the issue scales (the status quo exactly where a piece held it there, as
    the ratification code compares); the status quo for runs without a package."""
    low, high = np.asarray(scenario.low, float), np.asarray(scenario.high, float)
    sq = np.asarray(scenario.status_quo, float)
    z = np.where((status == OPTIMAL)[:, None], z, (sq - low) / (high - low))
    outcome = np.clip(low + (high - low) * z, low, high)
    return np.where(z == (sq - low) / (high - low), sq, outcome)


def _unanimous(scenario, always: np.ndarray, ratify: bool):
    """The coalitions as the pieces see them: ``(C, I)`` ratified issues, ``(C, A)``
    members, and ``(R, C)`` whether, in each run, every member not always saying yes must
    say yes (then the coalition is imposed; otherwise it is relaxed)."""
    coalitions = scenario.coalitions if ratify else ()
    n_actors, n_issues = len(scenario.actors), len(scenario.issues)
    c_issues = np.zeros((len(coalitions), n_issues), np.bool_)
    c_members = np.zeros((len(coalitions), n_actors), np.bool_)
    impose = np.zeros((len(always), len(coalitions)), np.bool_)
    for k, c in enumerate(coalitions):
        members = np.array([scenario.actor_index(m) for m in c.members])
        c_issues[k, [scenario.issue_index(i) for i in c.ratifies]] = True
        c_members[k, members] = True
        open_ = (~always[:, members]).sum(axis=1)
        needed = required_votes(c, len(members)) - (len(members) - open_)
        impose[:, k] = (needed > 0) & (needed >= open_)
    return c_issues, c_members, impose
