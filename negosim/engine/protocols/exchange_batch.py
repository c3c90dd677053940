"""The exchange model's numpy batch: many runs of :mod:`negosim.engine.protocols.exchange`
at once, in float arithmetic, operation for operation as :class:`ExchangeModel` plays one run.

:func:`exchange_outcomes` is the entry point: it plays the runs with the numba-compiled model
(:mod:`negosim.engine.protocols.exchange_compiled`) where numba is installed, else round by
round here (:class:`_BatchRound`). The rules' arithmetic is
:mod:`negosim.engine.protocols.exchange_rules`, shared by all three.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from negosim.engine.protocols import exchange_rules as rules
from negosim.engine.protocols.exchange_rules import TIE, VALID_MOVE

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
    """:func:`negosim.engine.protocols.exchange_rules.shortcut_outcome` on arrays."""
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
        (:mod:`negosim.engine.protocols.exchange_compiled`, the same numbers, several times
        faster) instead of the numpy batch; None: when numba is installed and ``rngs`` is
        None (the compiled model breaks ties the first way only).

    Returns
    -------
    numpy.ndarray
        ``(R, I)`` outcomes on each issue's scale (the start outcome when ``rounds`` is 0).
    """
    from negosim.engine.protocols import exchange_compiled

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
