"""The equal-gain exchange model compiled with numba, run by run, in float arithmetic: the
per-run float model's operations in the same order, so the outcomes are the same bit for bit
(``tests/test_exchange_batched.py`` checks them run by run and round by round, ties
included). Optional: available when numba is installed (``pip install "negosim[fast]"``);
:func:`negosim.engine.protocols.exchange.exchange_outcomes` uses it for ``ties="first"`` when it is.

The arithmetic rules are those of :mod:`negosim.engine.protocols.exchange_rules`, compiled from the
same source the per-run model runs. What is written here is the bookkeeping of one round
(rules 1-3 and 7), on arrays instead of the per-run model's objects:

* each candidate exchange is a row; side 0 is the per-run model's ``i`` (it supplies the
  second issue of the pair), side 1 its ``j``, and the partner of side ``k`` is ``1 - k``;
* a side's earlier moves in the round are kept as their sum, minimum and maximum;
* the partner positions recorded by rule 7 are kept once per (partner, issue) instead of once
  per exchange (an open exchange that reads them always received the same records), with
  each such column's outcome sum in actor order, from which rule 5's test is taken with the
  mover's term replaced where that is sure of the side (as in the batched path);
* the list order among equal gains (the per-run model sorts its list stably each step) is a
  ``place`` per row, updated as the stable sort would move the rows whose key changed.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import numpy as np

from negosim.engine.compiling import code_key, compiling_notice
from negosim.engine.protocols import exchange_rules as rules

try:
    import numba
except ImportError:  # the numpy batch (negosim.engine.protocols.exchange) is used instead
    numba = None

AVAILABLE = numba is not None
"""Whether numba is installed, so that the compiled path can run."""

# fields of a side (sides: (rows, 2, FIELDS))
XS, XD, SS, SD, CS, START, MOVE, Y, HSUM, HMIN, HMAX = range(11)
FIELDS = 11


def refresh_cache(folder: Path, rules_file: Path, cache_dir: str | None = None) -> bool:
    """Whether the compiled model may use numba's disk cache, after dropping a cache built
    from other rules.

    numba keys its cache on the source file of the compiled functions alone
    (``exchange_compiled.py``), not on the files whose functions they call: edit
    ``exchange_rules.py`` only and a cache would keep the old rules. So a stamp of the rules
    (their SHA-256) is kept beside the cache (``folder``, this module's ``__pycache__``, or
    numba's ``cache_dir`` where one is set); where it differs, this module's cached files are
    deleted first. Where the stamp cannot be written, no cache is used."""
    stamp = hashlib.sha256(rules_file.read_bytes()).hexdigest()
    where = Path(cache_dir) if cache_dir else folder
    stamp_file = where / "exchange_compiled.rules-sha256"
    try:
        if not stamp_file.is_file() or stamp_file.read_text() != stamp:
            for cached in where.rglob("exchange_compiled.*.nb[ic]"):
                cached.unlink(missing_ok=True)
            where.mkdir(parents=True, exist_ok=True)
            stamp_file.write_text(stamp)
    except OSError:
        return False
    return True


CACHE = numba is not None and refresh_cache(
    Path(__file__).with_name("__pycache__"), Path(rules.__file__), numba.config.CACHE_DIR or None
)
"""Whether numba's disk cache is used (see :func:`refresh_cache`)."""


def _compile(function=None, *, inline: str = "always"):
    """``function`` compiled in no-python mode without reference counting, with numpy's
    division rules (x / 0 is inf or nan, as in the batched path, instead of an exception),
    cached on disk (:data:`CACHE`); unchanged without numba (nothing here is then called).

    Nothing compiled here allocates: :func:`exchange_outcomes_compiled` hands in every
    array, so none needs a reference count (two atomic operations each time a step binds
    an array, which cost more than the step's arithmetic)."""
    if function is None:  # used as @_compile(inline=...)
        return lambda function: _compile(function, inline=inline)
    if numba is None:
        return function
    return numba.njit(cache=CACHE, error_model="numpy", _nrt=False, inline=inline)(function)


# the rules, compiled from the per-run model's source
full_shift = _compile(rules.full_shift)
paired_shift = _compile(rules.paired_shift)
move_for_shift = _compile(rules.move_for_shift)
equal_gain = _compile(rules.equal_gain)
valid_move = _compile(rules.valid_move)
recorded_position = _compile(rules.recorded_position)
shortcut_outcome = _compile(rules.shortcut_outcome)
next_start = _compile(rules.next_start)
order_key = _compile(rules.order_key)
valid_gain = rules.VALID_MOVE
shift_weight, fixed_weight = rules.SHIFT_WEIGHT, rules.FIXED_WEIGHT


@_compile
def copy_into(target, source):
    """``target[:] = source`` for ``(A, I)`` arrays (a slice assignment may allocate)."""
    for k in range(source.shape[0]):
        for i in range(source.shape[1]):
            target[k, i] = source[k, i]


@_compile
def side_valid(sides, e, k):
    """Rule 6 for side ``k`` of exchange ``e``."""
    move = sides[e, k, MOVE]
    low, high = min(sides[e, k, HMIN], move), max(sides[e, k, HMAX], move)
    return valid_move(move, sides[e, k, Y], sides[e, k, HSUM] + move, low, high)


@_compile
def orient(sides, e, move_i, move_j):
    """Moves toward the partner's position, and where the sides end."""
    for k in range(2):
        move = move_i if k == 0 else move_j
        if sides[e, k, XS] > sides[e, 1 - k, XD]:
            move = -move
        sides[e, k, MOVE] = move
        sides[e, k, Y] = sides[e, k, XS] + move


@_compile(inline="never")
def column_sum(issue, partner, own, position, own_last, columns):
    """``sum_k x_k s_k c_k`` on ``issue`` in actor order over its members, with the
    positions recorded for ``partner`` (not a number: none) and ``own`` at ``position``
    (``own_last``: the own position wins over a recorded one of its own; else the recorded
    one wins; ``own`` -1: none)."""
    terms, recorded, _, s, c, party, _ = columns
    total = 0.0
    for k in range(party.shape[0]):
        if not party[k, issue]:
            continue
        at = recorded[partner, issue, k]
        if k == own and (own_last or at != at):
            term = position * s[k, issue] * c[k, issue]
        elif at == at:
            term = at * s[k, issue] * c[k, issue]
        else:
            term = terms[issue, k]
        total += term
    return total


@_compile
def outcomes_before_after(xs, y, ss, cs, issue, partner, own, x, weight, columns):
    """The outcome of ``issue`` with ``own`` at ``xs`` and at ``y`` (the positions recorded
    for ``partner`` in place), where it matters: how they lie against ``x``. Taken from the
    column's sum in actor order with the own term replaced where that is sure of the side
    (:func:`~negosim.engine.protocols.exchange_rules.shortcut_outcome`), else added in actor
    order."""
    if weight == 0:
        return 0.0, 0.0
    terms, recorded, sums, _, _, party, shortcut = columns
    if shortcut:
        at = recorded[partner, issue, own]
        term = at * ss * cs if at == at else terms[issue, own]
        column, actors = sums[partner, issue], party.shape[0]
        before, doubt_before = shortcut_outcome(column, term, xs * ss * cs, weight, x, actors)
        after, doubt_after = shortcut_outcome(column, term, y * ss * cs, weight, x, actors)
        if not (doubt_before or doubt_after):
            return before, after
    before = column_sum(issue, partner, own, xs, True, columns) / weight
    after = column_sum(issue, partner, own, y, True, columns) / weight
    return before, after


@_compile
def limit_to_partner(e, me, sides, actor, supply, gain, total, columns):
    """Rule 5: cut a move that would carry the outcome past the partner's position."""
    terms, recorded, sums, s, c, _, _ = columns
    you = 1 - me
    issue, partner, own = supply[e, me], actor[e, you], actor[e, me]
    xs, ss, cs, sd = sides[e, me, XS], sides[e, me, SS], sides[e, me, CS], sides[e, me, SD]
    weight, x = total[issue], sides[e, you, XD]
    before, after = outcomes_before_after(
        xs, sides[e, me, Y], ss, cs, issue, partner, own, x, weight, columns
    )
    if (x - before >= 0 and x - after >= 0) or (x - before <= 0 and x - after <= 0):
        return
    # the sum with the own position first (a recorded one of its own wins): the column's
    # sum as it is where that changes no term
    if recorded[partner, issue, own] == recorded[partner, issue, own] or (
        xs * ss * cs == terms[issue, own]
    ):
        weighted = sums[partner, issue]
    else:
        weighted = column_sum(issue, partner, own, xs, False, columns)
    delta = abs((x * weight - weighted) / (s[own, issue] * c[own, issue]))
    shift = full_shift(delta, ss, cs, weight)
    their_ss, their_sd, their_cs = sides[e, you, SS], sides[e, you, SD], sides[e, you, CS]
    paired = paired_shift(ss, their_sd, sd, their_ss, shift)
    partner_move = abs(move_for_shift(paired, total[supply[e, you]], their_cs, their_ss))
    if me == 0:
        orient(sides, e, delta, partner_move)
    else:
        orient(sides, e, partner_move, delta)
    gain[e] = equal_gain(paired, shift, their_ss, their_sd)


@_compile
def calculate(e, sides, actor, supply, gain, valid, key, total, columns):
    """Rules 4-6 from the current positions: rates, moves, gain, validity, order key."""
    total_i, total_j = total[supply[e, 0]], total[supply[e, 1]]
    xs_i, xd_i, ss_i, sd_i = sides[e, 0, XS], sides[e, 0, XD], sides[e, 0, SS], sides[e, 0, SD]
    xs_j, xd_j, ss_j, sd_j = sides[e, 1, XS], sides[e, 1, XD], sides[e, 1, SS], sides[e, 1, SD]
    cs_i, cs_j = sides[e, 0, CS], sides[e, 1, CS]
    dp = full_shift(abs(xd_i - xs_j), ss_j, cs_j, total_j)
    dq = paired_shift(ss_j, sd_i, sd_j, ss_i, dp)
    move_i = move_for_shift(dq, total_i, cs_i, ss_i)
    move_j = abs(xd_i - xs_j)
    if abs(move_i) > abs(xd_j - xs_i):
        dq = full_shift(abs(xd_j - xs_i), ss_i, cs_i, total_i)
        dp = paired_shift(ss_i, sd_j, sd_i, ss_j, dq)
        move_i = abs(xd_j - xs_i)
        move_j = move_for_shift(dp, total_j, cs_j, ss_j)
    orient(sides, e, move_i, move_j)
    gain[e] = equal_gain(dq, dp, ss_i, sd_i)
    ok = side_valid(sides, e, 0) and side_valid(sides, e, 1) and gain[e] >= valid_gain
    if ok:
        limit_to_partner(e, 0, sides, actor, supply, gain, total, columns)
        limit_to_partner(e, 1, sides, actor, supply, gain, total, columns)
        ok = side_valid(sides, e, 0) and side_valid(sides, e, 1)
    valid[e] = ok
    key[e] = order_key(gain[e])


@_compile(inline="never")
def candidates(x, s, party, before, group, actor, supply):
    """Rules 2-3: the round's candidate exchanges in the per-run list order, written to
    ``actor`` and ``supply`` (rows, 2); how many."""
    actors, issues = x.shape
    rows = 0
    for p in range(issues):
        for q in range(p + 1, issues):
            for k in range(actors):
                group[k] = -1
                if party[k, p] and party[k, q]:
                    group[k] = int(x[k, p] < before[p]) | int(x[k, q] < before[q]) * 2
            for first, second in ((0, 3), (1, 2)):
                for a in range(actors):
                    if group[a] != first:
                        continue
                    for b in range(actors):
                        if group[b] != second:
                            continue
                        ratio_a = s[a, p] / s[a, q] if s[a, q] != 0 else np.inf
                        ratio_b = s[b, p] / s[b, q] if s[b, q] != 0 else np.inf
                        # side j supplies p: a if its ratio is the smaller
                        i, j = (b, a) if ratio_a < ratio_b else (a, b)
                        actor[rows, 0], actor[rows, 1] = i, j
                        supply[rows, 0], supply[rows, 1] = q, p
                        rows += 1
    return rows


@_compile
def outcome(x, s, c, party, out):
    """The weighted mean of every issue, summed in actor order (0 without weight)."""
    actors, issues = x.shape
    for i in range(issues):
        num = weight = 0.0
        for k in range(actors):
            if party[k, i]:
                weight += s[k, i] * c[k, i]
                num += x[k, i] * s[k, i] * c[k, i]
        out[i] = num / weight if weight != 0 else 0.0


@_compile
def first(rows, alive, key, place):
    """The row the per-run list puts first: the smallest key, then the smallest place."""
    best = -1
    for e in range(rows):
        if alive[e] and (
            best < 0 or key[e] < key[best] or (key[e] == key[best] and place[e] < place[best])
        ):
            best = e
    return best


@_compile
def touches(e, d, actor, supply):
    """Whether realising ``d`` changes exchange ``e`` (rule 7), and for each side of ``e``
    the side of ``d`` it follows (same actor, same supply issue: it moves to where that side
    ended), -1 for none."""
    follows_0 = follows_1 = -1
    for t in range(2):
        if actor[e, 0] == actor[d, t] and supply[e, 0] == supply[d, t] and follows_0 < 0:
            follows_0 = t
        if actor[e, 1] == actor[d, t] and supply[e, 1] == supply[d, t] and follows_1 < 0:
            follows_1 = t
    touched = follows_0 >= 0 or follows_1 >= 0
    for t in range(2):  # mover t; its partner demands what t supplied
        partner = actor[d, 1 - t]
        for m in range(2):  # side m of e demands what side 1 - m supplies
            if partner == actor[e, m] and supply[d, t] == supply[e, 1 - m]:
                touched = True
    return touched, follows_0, follows_1


@_compile(inline="never")
def reorder(count, changed, old_key, key, place, ends, ranked):
    """Places of the ``count`` rows ``changed`` whose key changed (from ``old_key``), as the
    per-run model's stable sort would order them: in front of the rows that already had the
    new key if the old key sorted before it, else behind them; among themselves in their
    old order (old key, place)."""
    for ahead in (True, False):
        size = 0
        for n in range(count):
            if (old_key[n] < key[changed[n]]) == ahead:
                # insertion sort by (old key, place): few rows
                at = size
                while at > 0 and (
                    old_key[ranked[at - 1]] > old_key[n]
                    or (
                        old_key[ranked[at - 1]] == old_key[n]
                        and place[changed[ranked[at - 1]]] > place[changed[n]]
                    )
                ):
                    ranked[at] = ranked[at - 1]
                    at -= 1
                ranked[at] = n
                size += 1
        if ahead:
            ends[0] -= size
        start = ends[0] if ahead else ends[1]
        for rank in range(size):
            place[changed[ranked[rank]]] = start + rank
        if not ahead:
            ends[1] += size


@_compile(inline="never")
def record_movers(d, sides, actor, supply, columns):
    """Rule 7: each side of ``d`` moved on the issue its partner demands; record where, and
    add that column's sum again in actor order."""
    recorded, sums = columns[1], columns[2]
    for t in range(2):
        partner, issue, who = actor[d, 1 - t], supply[d, t], actor[d, t]
        previous, y = recorded[partner, issue, who], sides[d, t, Y]
        if previous == previous:
            y = recorded_position(sides[d, t, START], previous, y)
        recorded[partner, issue, who] = y
        sums[partner, issue] = column_sum(issue, partner, -1, 0.0, True, columns)


@_compile(inline="never")
def start_round(x, s, c, party, work):
    """The round's outcome sums and candidate exchanges, each calculated once: how many,
    and whether rule 5's shortcut may be taken (its error bound holds for terms of one sign
    only)."""
    actor, supply, sides, _, _, place, valid, alive = work[:8]
    terms, total, sums, recorded, before, group, ends = work[8:15]
    actors, issues = x.shape
    shortcut = True
    for i in range(issues):
        total[i] = numerator = 0.0
        for k in range(actors):
            terms[i, k] = 0.0
            if party[k, i]:
                total[i] += s[k, i] * c[k, i]
                terms[i, k] = x[k, i] * s[k, i] * c[k, i]
                numerator += terms[i, k]
                shortcut = shortcut and terms[i, k] >= 0
        # the outcome before the round, as :func:`outcome` computes it
        before[i] = numerator / total[i] if total[i] != 0 else 0.0
        for partner in range(actors):  # every column's sum with the recorded positions
            sums[partner, i] = numerator
    for partner in range(actors):
        for i in range(issues):
            for k in range(actors):
                recorded[partner, i, k] = np.nan
    rows = candidates(x, s, party, before, group, actor, supply)
    for e in range(rows):
        for k in range(2):
            a, p, q = actor[e, k], supply[e, k], supply[e, 1 - k]
            sides[e, k, XS] = sides[e, k, START] = x[a, p]
            sides[e, k, XD], sides[e, k, SS], sides[e, k, SD] = x[a, q], s[a, p], s[a, q]
            sides[e, k, CS], sides[e, k, HSUM] = c[a, p], 0.0
            sides[e, k, HMIN], sides[e, k, HMAX] = np.inf, -np.inf
        valid[e] = alive[e] = True
        place[e] = e
    ends[0], ends[1] = 0.0, rows  # the places in front of and behind the list
    return rows, shortcut


@_compile(inline="never")
def play_round(x, s, c, party, voting, nxt, work):
    """One round from positions ``x``: the voting positions and the next round's start
    positions, written to ``voting`` and ``nxt``."""
    actor, supply, sides, gain, key, place, valid, alive = work[:8]
    terms, total, sums, recorded, _, _, ends, changed, old_keys, ranked = work[8:]
    rows, shortcut = start_round(x, s, c, party, work)
    columns = (terms, recorded, sums, s, c, party, shortcut)
    for e in range(rows):
        calculate(e, sides, actor, supply, gain, valid, key, total, columns)
    copy_into(voting, x)
    copy_into(nxt, x)
    while True:
        d = first(rows, alive, key, place)
        if d < 0:
            break
        alive[d] = False
        if not valid[d]:
            continue
        record_movers(d, sides, actor, supply, columns)
        count = 0
        for e in range(rows):
            if not (alive[e] and valid[e]):
                continue
            touched, follows_0, follows_1 = touches(e, d, actor, supply)
            if not touched:
                continue
            for m, follows in ((0, follows_0), (1, follows_1)):
                if follows >= 0:  # it keeps its last move in its list
                    last = sides[e, m, MOVE]
                    sides[e, m, XS] = sides[d, follows, Y]
                    sides[e, m, HSUM] += last
                    sides[e, m, HMIN] = min(sides[e, m, HMIN], last)
                    sides[e, m, HMAX] = max(sides[e, m, HMAX], last)
            old = key[e]
            calculate(e, sides, actor, supply, gain, valid, key, total, columns)
            if key[e] != old:
                changed[count], old_keys[count] = e, old
                count += 1
        reorder(count, changed, old_keys, key, place, ends, ranked)
        for e in range(rows):  # the list keeps the valid exchanges only
            alive[e] = alive[e] and valid[e]
        for t in range(2):
            a, p, y = actor[d, t], supply[d, t], sides[d, t, Y]
            voting[a, p] = y
            nxt[a, p] = next_start(sides[d, t, SS], y, sides[d, t, START], shift_weight,
                                   fixed_weight)  # fmt: skip


@_compile(inline="never")
def outcomes(x, s, c, party, rounds, out, positions, work):
    """Every run's voting outcome after ``rounds`` rounds, written to ``out`` ``(R, I)``;
    ``positions``: three ``(A, I)`` work arrays."""
    now, voting, nxt = positions
    for r in range(x.shape[0]):
        copy_into(now, x[r])
        outcome(now, s[r], c[r], party[r], out[r])
        for _ in range(rounds):
            play_round(now, s[r], c[r], party[r], voting, nxt, work)
            outcome(voting, s[r], c[r], party[r], out[r])
            copy_into(now, nxt)


def most_candidates(party: np.ndarray) -> int:
    """The most candidate exchanges a round of any of the runs ``party`` ``(R, A, I)`` can
    list: on an issue pair whose ``n`` common actors form groups of sizes ``a + b + c + d =
    n``, the pairs ``a b + c d``, at most ``n^2 / 4``."""
    common = np.einsum("rap,raq->rpq", party.astype(np.int64), party.astype(np.int64))
    upper = np.triu(common // 2 * (common - common // 2), 1)  # floor(n^2 / 4)
    return int(upper.sum(axis=(1, 2)).max(initial=0))


def _work(actors: int, issues: int, rows: int) -> tuple[np.ndarray, ...]:
    """The arrays a round of a run of this size works in, for ``rows`` candidate exchanges."""
    rows = max(rows, 1)
    return (
        np.empty((rows, 2), np.int64),  # actor
        np.empty((rows, 2), np.int64),  # supply
        np.empty((rows, 2, FIELDS)),  # sides
        np.empty(rows),  # gain
        np.empty(rows),  # key
        np.empty(rows),  # place
        np.empty(rows, np.bool_),  # valid
        np.empty(rows, np.bool_),  # alive
        np.empty((issues, actors)),  # terms
        np.empty(issues),  # total
        np.empty((actors, issues)),  # sums
        np.empty((actors, issues, actors)),  # recorded (not a number: none)
        np.empty(issues),  # before
        np.empty(actors, np.int64),  # group
        np.empty(2),  # ends
        np.empty(rows, np.int64),  # changed
        np.empty(rows),  # old_keys
        np.empty(rows, np.int64),  # ranked
    )


COMPILING = (
    "negosim: compiling the exchange model with numba (the first time on this machine, "
    "about 15 s; later calls load it from numba's cache)"
)
CODE_KEY = code_key(__file__)
"""The compiled code's name in the machine's markers (:func:`compiling_notice`)."""


def exchange_outcomes_compiled(x, s, c, party, rounds: int) -> np.ndarray:
    """The voting outcome ``(R, I)`` after ``rounds`` rounds of the equal-gain model
    (``ties="first"``) for each run, on positions already normalised to 0..100.

    Parameters
    ----------
    x, s, c, party
        ``(R, A, I)`` normalised positions, saliences in [0, 1], power and the actor-issue
        pairs that exist.
    rounds
        Number of rounds.
    """
    if not AVAILABLE:
        raise ImportError('the compiled exchange model needs numba: pip install "negosim[fast]"')
    x = np.ascontiguousarray(x, float)
    s, c = (np.ascontiguousarray(np.broadcast_to(v, x.shape), float) for v in (s, c))
    party = np.ascontiguousarray(np.broadcast_to(party, x.shape), np.bool_)
    runs, actors, issues = x.shape
    out = np.empty((runs, issues))
    positions = tuple(np.empty((actors, issues)) for _ in range(3))
    work = _work(actors, issues, most_candidates(party))
    first_call = not outcomes.signatures  # compiled, or loaded from the cache, once per process
    with compiling_notice(COMPILING, key=CODE_KEY) if first_call else contextlib.nullcontext():
        outcomes(x, s, c, party, int(rounds), out, positions, work)
    return out
