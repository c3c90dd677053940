"""Single negotiating text: a mediator drafts one package and amends it toward objectors.

Rules (``docs/protocols.md`` states them in full):

1. The text starts at the compromise of the parties (negotiators and ratifiers, not
   mediators): per issue the mean of positions weighted by issue power x salience.
2. Each round ``t`` every negotiator whose utility of the text is below its strategy's
   target objects; every ratifier in a coalition that does not consent and whose utility of
   the text is below its reservation objects.
3. Nobody objects (so every coalition consents): the text is agreed at round ``t``.
4. Otherwise the text moves a fraction ``step`` of the way toward the objectors'
   power-weighted mean position on each issue they are party to:
   ``x <- x + step * (m_obj - x)``.
5. Exits and the deadline work as in the alternating protocol.
"""

from __future__ import annotations

import numpy as np

from negosim.protocols.table import Table


def compromise_text(table: Table) -> np.ndarray:
    """The compromise model: per issue, the mean position of the parties (not mediators)
    weighted by power on the issue x salience, ``(R, I)``."""
    w = table.issue_power * table.salience * table.party
    total = w.sum(axis=1)
    mean = np.einsum("rji,rji->ri", w, table.positions)
    sq = np.broadcast_to(table.status_quo, mean.shape)
    return np.where(total > 0, np.divide(mean, total, out=np.zeros_like(mean), where=total > 0), sq)


def run_mediated(table: Table, step: float = 0.2) -> None:
    """Play the single-negotiating-text protocol on every open run of ``table``."""
    if not 0 < step <= 1:
        raise ValueError(f"mediated: step must be in (0, 1], got {step}")
    text = compromise_text(table)
    for t in table.rounds_to_play():
        utility = table.utilities(text)
        votes = table.reservation_votes(utility)
        for j in table.negotiators:
            votes[:, j] = table.strategies[j].respond(table.view(j, t), utility[:, j])
        consent = table.coalition_consent(text, votes)
        objects = objections(table, votes, consent)
        agreed = ~objects.any(axis=1) & consent.all(axis=1)
        if table.trace_runs:  # the targets are computed again only for the trace
            targets = np.full(utility.shape, np.nan)
            for j in table.negotiators:
                targets[:, j] = table.strategies[j].target(table.view(j, t))
            table.record(
                t,
                offer=text,
                utility=utility,
                target=targets,
                accepted=np.where(objects, 0.0, 1.0),
                consent=consent.astype(float),
            )
        kept = table.finish(agreed, t, outcome=text, utility=utility)
        if kept is not None:  # finished runs were dropped from the table's arrays
            text, objects = text[kept], objects[kept]
        text = amend_text(table, text, objects, step)


def objections(table: Table, votes: np.ndarray, consent: np.ndarray) -> np.ndarray:
    """Who objects to the text ``(R, A)``: negotiators that reject it, and ratifiers that
    vote no in a coalition that withholds consent."""
    ratifier = table.ratifiers
    negotiators = list(table.negotiators)
    objects = np.zeros_like(votes)
    objects[:, negotiators] = ~votes[:, negotiators]
    for c, rule in enumerate(table.coalitions):
        members = rule.members[ratifier[rule.members]]
        objects[:, members] |= (~consent[:, c])[:, None] & ~votes[:, members]
    return objects


def amend_text(table: Table, text: np.ndarray, objects: np.ndarray, step: float) -> np.ndarray:
    """Move the text ``step`` of the way toward the objectors' power-weighted positions."""
    part = table.scenario.participation
    w = table.issue_power * part[None, :, :] * objects[:, :, None]
    total = w.sum(axis=1)
    pull = np.einsum("rji,rji->ri", w, table.positions)
    target = np.where(
        total > 0, np.divide(pull, total, out=np.zeros_like(pull), where=total > 0), text
    )
    return text + step * (target - text)
