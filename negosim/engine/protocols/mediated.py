"""Single negotiating text: a mediator drafts one package and amends it toward objectors.

Rules (``docs/protocols.md`` states them in full; moves, agreement and the deadline follow
the one rulebook of :meth:`negosim.engine.table.Table.play_round`):

1. The text starts at the compromise of the parties (negotiators and ratifiers, not
   mediators): per issue the mean of positions weighted by issue power x raw salience.
2. Each round ``t`` the text goes on the table with settled issues at their settled values;
   every negotiator whose utility of the text is below its strategy's target objects; every
   ratifier in a coalition that does not consent and whose utility of the text is below its
   reservation objects.
3. Nobody objects (so every coalition consents): the text is agreed at round ``t``.
4. Otherwise the text moves a fraction ``step`` of the way toward the objectors'
   power-weighted mean position on each issue they are party to:
   ``x <- x + step * (m_obj - x)``.
"""

from __future__ import annotations

import numpy as np

from negosim.engine.table import RoundRecord, Table, play
from negosim.model.ratification import every

SPARSE_OBJECTORS = 8
"""An actor who objects in fewer than 1 / this share of the runs is added in those runs only
(indexing costs about this many times a whole-row pass per element)."""


def compromise_text(table: Table) -> np.ndarray:
    """The compromise model: per issue, the mean position of the parties (not mediators)
    weighted by power on the issue x salience, ``(R, I)``."""
    positions, issue_power, salience = table.text_arrays()
    w = issue_power * salience * table.party
    total = w.sum(axis=1)
    mean = np.einsum("rji,rji->ri", w, positions)
    sq = np.broadcast_to(table.status_quo, mean.shape)
    return np.where(total > 0, np.divide(mean, total, out=np.zeros_like(mean), where=total > 0), sq)


class Mediated:
    """The rules of one single-text round (:class:`~negosim.engine.table.RoundRules`).

    Parameters
    ----------
    table
        The table the rules will play on (the opening text is its compromise).
    step
        Share of the way the text moves toward the objectors each round, in (0, 1].
    """

    def __init__(self, table: Table, step: float = 0.2) -> None:
        if not 0 < step <= 1:
            raise ValueError(f"mediated: step must be in (0, 1], got {step}")
        self.step = step
        self.text = compromise_text(table)
        self._ids = table.ids  # the runs the text's rows belong to

    def round(self, table: Table, t: int) -> RoundRecord:
        text = table.on_table(self._open_rows(table))
        utility = table.utilities(text)
        target = table.targets(t) if table.want_targets else None
        votes = table.votes(utility, t)
        consent = table.coalition_consent(text, votes)
        self.objects = objections(table, votes, consent)
        agreed = ~self.objects.any(axis=1) & every(consent)
        self.text = text
        return RoundRecord(t, table.ids, text, -1, utility, ~self.objects, consent, agreed, target)

    def advance(self, table: Table, record: RoundRecord, kept: np.ndarray | None) -> None:
        """Amend the text of the runs still open toward their objectors."""
        text, objects = (
            (self.text, self.objects)
            if kept is None
            else (
                self.text[kept],
                self.objects[kept],
            )
        )
        self.text = amend_text(table, text, objects, self.step)
        self._ids = table.ids

    def _open_rows(self, table: Table) -> np.ndarray:
        """The text of the runs still open (moves may have closed some since the last round)."""
        ids, self._ids = self._ids, table.ids
        if len(ids) == len(table.ids):
            return self.text
        return self.text[np.searchsorted(ids, table.ids)]


def run_mediated(table: Table, step: float = 0.2) -> None:
    """Play the single-negotiating-text protocol on every open run of ``table``."""
    play(table, Mediated(table, step))


def objections(table: Table, votes: np.ndarray, consent: np.ndarray) -> np.ndarray:
    """Who objects to the text ``(R, A)``: negotiators that reject it, and ratifiers that
    vote no in a coalition that withholds consent.

    The result is the transpose of a C-ordered ``(A, R)`` array, as :func:`objector_sums`
    reads it, actor by actor."""
    kind, kinds = table.cached("blockers", lambda: _blockers(table))
    withheld = np.ascontiguousarray(~consent.T)  # (C, R)
    # per set of coalitions a ratifier sits in: does any of them withhold consent, (S, R)
    blocked = np.array([np.logical_or.reduce(withheld[k], axis=0) for k in kinds])
    asked = blocked[kind]  # whose no is an objection, (A, R)
    asked[list(table.negotiators)] = True
    asked &= ~np.ascontiguousarray(votes.T)  # one transposing copy, then row operations
    return asked.T


def _blockers(table: Table) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sets of coalitions ratifiers sit in (the empty set for everyone else), and the
    index of each actor's set."""
    member = np.zeros((len(table.ratifiers), len(table.coalitions)), dtype=bool)
    for c, rule in enumerate(table.coalitions):
        member[rule.members, c] = table.ratifiers[rule.members]
    sets, kind = np.unique(member, axis=0, return_inverse=True)
    return kind.ravel(), [np.flatnonzero(k) for k in sets]


def amend_text(table: Table, text: np.ndarray, objects: np.ndarray, step: float) -> np.ndarray:
    """Move the text ``step`` of the way toward the objectors' power-weighted positions."""
    total, pull = objector_sums(table, objects)
    target = np.where(
        total > 0, np.divide(pull, total, out=np.zeros_like(pull), where=total > 0), text
    )
    return text + step * (target - text)


def objector_sums(table: Table, objects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per run and issue, the objectors' summed power on the issue (where they are party to
    it), and their summed power x position, ``(R, I)`` each.

    The sums add actor by actor in index order, as numpy's reduction over the actor axis of
    an ``(R, A, I)`` array does when ``I > 1``; so only actors who object somewhere are
    visited (adding zero changes no bit), over actor-major copies made once per set of runs.
    With one issue numpy reduces the contiguous actor axis pairwise; that case keeps its
    reduction.
    """
    positions, issue_power, _ = table.text_arrays()
    n_issues = positions.shape[2]
    if n_issues == 1:
        objects = np.ascontiguousarray(objects)  # numpy's reduction order follows the layout
        w = issue_power * table.scenario.participation * objects[:, :, None]
        return w.sum(axis=1), np.einsum("rji,rji->ri", w, positions)
    both = table.cached("objector_sums", lambda: _actor_major(table))
    acc, term = np.zeros(both.shape[1:]), np.empty(both.shape[1:])
    flags = np.ascontiguousarray(objects.T)  # actor rows (no copy for objections' result)
    by_actor = flags.astype(float)  # x 1.0 or x 0.0: exact, and faster than a mask
    counts = np.count_nonzero(flags, axis=1)
    for j in np.flatnonzero(counts):
        if counts[j] * SPARSE_OBJECTORS < len(objects):  # few runs: add in those only
            rows = np.flatnonzero(flags[j])
            acc[:, rows] += both[j][:, rows]
        else:
            acc += np.multiply(both[j], by_actor[j], out=term)
    return acc[:n_issues].T, acc[n_issues:].T


def _actor_major(table: Table) -> np.ndarray:
    """``(A, 2I, R)``: per actor, its power on each issue it is party to, then its power x
    position on each issue."""
    positions, issue_power, _ = table.text_arrays()
    power = issue_power * table.scenario.participation
    n_runs, n_actors, n_issues = power.shape
    out = np.empty((n_actors, 2 * n_issues, n_runs))
    out[:, :n_issues] = power.transpose(1, 2, 0)
    out[:, n_issues:] = (power * positions).transpose(1, 2, 0)
    return out
