"""Why each unilateral move was or was not made in the run a page shows, and the moves table.

The words follow the rule of :mod:`negosim.model.moves` (``docs/protocols.md``, "Moves"): during
the talks a move is made only if it is worth its cost to every mover, making it now beats
making it later (its window closes before the next round, its cost only grows, or a rival
move on its issue could be made first) and it beats what the talks point to on its issue
(the mean of the latest offers where it is a deal: every negotiator gains the deal margin
from it and every coalition it asks consents; else no deal); when the talks end without
agreement, every move still open that is worth its cost is made ("after the talks"), so in
the last round every move can wait for that rule. The numbers come from
:func:`negosim.model.moves.appraise` on this run's sampled values and on what the
:class:`~negosim.abm.DiplomacyModel` recorded before each round
(:class:`~negosim.abm.model.MoveInputs`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from negosim.app.state import (
    consent_words,
    move_numbers,
    move_record,
    window_rounds,
    window_words,
)
from negosim.model.moves import MoveAppraisal, MoveState, Valuation, appraise


def moves_table(model) -> pd.DataFrame:
    """Every move of the scenario (exits included) in this run: who makes it, on which issue,
    to what value, the rounds its window is open in, whose consent it needs, whether and when
    it was made (a round of the talks, or after the talks), who consented, and why it was or
    was not made (:func:`move_reasons`)."""
    sc = model.scenario
    numbers = move_numbers(model) if sc.all_moves else {}
    moved, consented = move_record(model)
    reasons = move_reasons(model)
    rows = []
    for k, move in enumerate(sc.all_moves):
        first, last = window_rounds(numbers["earliest"][k], numbers["latest"][k], model.rounds)
        if move.id in sc.made:
            made = "before the talks"
        elif moved[k] >= model.rounds:  # made when the talks ended: recorded as round T
            made = "after the talks"
        elif moved[k] >= 0:
            made = f"round {int(moved[k])}"
        else:
            made = "not yet" if model.running else "no"
        rows.append(
            {
                "move": move.id,
                "by": ", ".join(move.actors),
                "issue": move.issue,
                "to": f"{numbers['to'][k]:.1f}",
                "window": window_words(first, last) + (" (ends talks)" if move.ends_talks else ""),
                "needs": ", ".join(move.needs) or "no one",
                "made": made,
                "consent": consent_words(sc, k, consented) if moved[k] >= 0 else "",
                "why": reasons[k],
            }
        )
    columns = ["move", "by", "issue", "to", "window", "needs", "made", "consent", "why"]
    return pd.DataFrame(rows, columns=columns)


def move_reasons(model) -> list[str]:
    """Why each move (``scenario.all_moves`` order) was or was not made in this run so far:
    for a move made, the round it was weighed in (or the end of the talks); for one not made,
    the round just played (or the end of the talks once they ended), in the words of the rule
    (:mod:`negosim.model.moves`): its window, its trigger, its issue, its value to each mover
    against its cost, waiting, what the talks point to, and consent."""
    if model.rules is None:  # the collective and one-shot models make no moves round by round
        return ["" for _ in model.scenario.all_moves]
    moved, _ = move_record(model)
    return [
        _made_reason(model, k, int(moved[k])) if moved[k] >= 0 else _unmade_reason(model, k)
        for k in range(len(model.scenario.all_moves))
    ]


def _valuation(model) -> Valuation:
    """Ideal points and weights of this run as sampled (the table drops them once it ends)."""
    sc = model.scenario
    return Valuation(model.batch.positions, model.batch.weights, sc.high - sc.low, sc.loss)


def _replayed(model, state: MoveState, made) -> MoveState:
    """``state`` with the moves ``made`` (indices) made at their recorded rounds."""
    moved, _ = move_record(model)
    to = move_numbers(model)["to"]
    for j in made:
        i = state.book.issue[j]
        state.package[0, i], state.settled[0, i], state.moved[0, j] = to[j], True, moved[j]
    return state


def _state_before(model, k: int, t: int) -> MoveState:
    """The moves state that move ``k`` was weighed in, in round ``t``: the one before the
    round, with the moves made earlier in that round (file order) made."""
    moved, _ = move_record(model)
    earlier = [j for j in range(k) if moved[j] == t]
    return _replayed(model, model.move_inputs[t].state.copy(), earlier)


def _during(model, k: int, t: int) -> MoveAppraisal:
    """Move ``k`` weighed by the rule of the talks in round ``t``."""
    inputs = model.move_inputs[t]
    state = _state_before(model, k, t)
    return appraise(state, k, 0, _valuation(model), inputs.clock, inputs.pointed)


def _end_appraisal(model, k: int) -> MoveAppraisal:
    """Move ``k`` weighed by the end-of-talks rule as the model weighed it: from the state
    before the last round played, with the moves of that round made and the moves made
    after the talks that come before ``k`` in file order, at the time of the last round (its
    cost is taken then)."""
    moved, _ = move_record(model)
    if model.move_inputs:
        last = max(model.move_inputs)
        state = model.move_inputs[last].state.copy()
        done = [j for j in range(len(moved)) if moved[j] == last]
    else:  # no round was played
        last, state, done = model.table.first_round, model.batch.move_state(), []
    done += [j for j in range(k) if moved[j] >= model.rounds]
    state = _replayed(model, state, done)
    clock = model.table.clock(min(last, model.rounds - 1))
    return appraise(state, k, 0, _valuation(model), clock, None)


def _made_reason(model, k: int, t: int) -> str:
    """Why move ``k``, made in round ``t`` (``T``: after the talks), was made: worth its
    cost, now rather than later, and more than the talks point to; or the talks ended without
    agreement and it was worth its cost."""
    if model.scenario.all_moves[k].id in model.scenario.made:
        return "made before the talks began"
    if t < model.rounds and t in model.move_inputs:
        during = _during(model, k, t)
        if not during.made_in_talks:  # not reached when the record and the rule agree
            return f"made in round {t}: " + _value_words(model, during)
        return "; ".join(
            [
                "made: " + _value_words(model, during),
                "now rather than later: " + _now_words(model, k, t, during),
                "it beats the talks: " + _talks_words(model, k, t, during),
            ]
        )
    at_end = _end_appraisal(model, k)
    return "made after the talks (no agreement): " + _value_words(model, at_end)


def _unmade_reason(model, k: int) -> str:
    """Why move ``k`` was not made in the round just played (or when the talks ended)."""
    numbers = move_numbers(model)
    first, last = window_rounds(numbers["earliest"][k], numbers["latest"][k], model.rounds)
    ended = not model.running and model._result is not None
    if ended and bool(model.result().agreed[0]):
        return "not made: the talks ended in agreement"
    t = model.round if model.steps else model.table.first_round
    if t > last:
        return f"not made: its window closed after round {last}"
    settler = _settled_by(model, k)
    if settler:
        return f"not made: its issue was settled by {settler}"
    trigger = _trigger_words(model, k, t, ended)
    if trigger:
        return trigger
    if ended:  # the end-of-talks rule weighs every move not closed, opened or not
        appraisal = _end_appraisal(model, k)
        return "not made after the talks (no agreement): " + _end_refusal_words(model, k, appraisal)
    if t < first:
        return f"not yet: its window opens in round {first}"
    if not model.steps or model.round not in model.move_inputs:
        return "not yet weighed: no round played"
    appraisal = _during(model, k, model.round)
    return f"not made in round {model.round}: " + _refusal_words(model, k, t, appraisal)


def _settled_by(model, k: int) -> str:
    """The move that settled move ``k``'s issue, or ``""``."""
    sc = model.scenario
    moved, _ = move_record(model)
    issue = sc.all_moves[k].issue
    return next(
        (m.id for j, m in enumerate(sc.all_moves) if j != k and moved[j] >= 0 and m.issue == issue),
        "",
    )


def _trigger_words(model, k: int, t: int, ended: bool) -> str:
    """Why a reaction could not be made yet (its move not made, or made only in this round),
    or ``""``: a reaction is made only in a round after its move, or after the talks once its
    move is made."""
    sc = model.scenario
    after = sc.all_moves[k].after
    if not after:
        return ""
    moved, _ = move_record(model)
    when = int(moved[sc.move_index(after)])
    if when < 0:
        if ended:
            return f"not made: it answers {after}, which was not made"
        return f"not yet: it answers {after}, which has not been made"
    if not ended and when >= t:
        return f"not yet: it answers {after}, made in this round; it can follow from the next"
    return ""


def _refusal_words(model, k: int, t: int, appraisal: MoveAppraisal) -> str:
    """The first test of the rule of the talks that move ``k`` failed in round ``t``."""
    if not appraisal.worth_its_cost:
        return "not worth its cost: " + _value_words(model, appraisal)
    if not appraisal.now_beats_later:
        return "waiting is worth as much: " + _wait_words(model, k)
    if not appraisal.beats_the_talks:
        return "the talks point to more: " + _talks_words(model, k, t, appraisal)
    if not appraisal.consented:
        return "consent refused: " + _refused_by(model, k, appraisal)
    return "its rule would make it"  # not reached when the record and the rule agree


def _end_refusal_words(model, k: int, appraisal: MoveAppraisal) -> str:
    """The test of the end-of-talks rule that move ``k`` failed."""
    if not appraisal.worth_its_cost:
        return "not worth its cost: " + _value_words(model, appraisal)
    if not appraisal.consented:
        return "consent refused: " + _refused_by(model, k, appraisal)
    return "its rule would make it"  # not reached when the record and the rule agree


def _names(model, appraisal: MoveAppraisal) -> list[str]:
    return [model.scenario.actors[a].replace("_", " ") for a in appraisal.movers]


def _value_words(model, appraisal: MoveAppraisal) -> str:
    """``"to Russia 0.676 with it after its cost 0.013, 0.470 without it"``, per mover."""
    return "; ".join(
        f"to {name} {worth:.3f} with it after its cost {appraisal.cost:.3f}, "
        f"{without:.3f} without it"
        for name, worth, without in zip(
            _names(model, appraisal), appraisal.worth, appraisal.without, strict=True
        )
    )


def _now_words(model, k: int, t: int, appraisal: MoveAppraisal) -> str:
    """Why making move ``k`` in round ``t`` beat making it later."""
    if not appraisal.later:  # never in the last round: the end-of-talks rule can make it
        return "its window closes before the next round"
    if appraisal.threatened:
        return "a rival move on its issue could be made first"
    return "its cost only grows"


def _wait_words(model, k: int) -> str:
    """Why move ``k`` can wait: it can still be made later (in a later round of its window,
    or after the talks: a window open in the last round is open to the end-of-talks rule) at
    no higher cost, and no rival move on its issue threatens it."""
    numbers = move_numbers(model)
    _, last = window_rounds(numbers["earliest"][k], numbers["latest"][k], model.rounds)
    when = "after the talks" if last >= model.rounds - 1 else f"up to round {last}"
    rate = numbers["cost_rate"][k]
    cost = "at a lower cost" if rate < 0 else "at the same cost" if rate == 0 else "for no more"
    rivals = any(
        m.issue == model.scenario.all_moves[k].issue and j != k
        for j, m in enumerate(model.scenario.all_moves)
    )
    threat = "; no rival move on its issue could be made first" if rivals else ""
    return f"it can still be made {when}, {cost}{threat}"


def _talks_words(model, k: int, t: int, appraisal: MoveAppraisal) -> str:
    """What the talks pointed to on move ``k``'s issue in round ``t`` against the move:
    nothing on the table yet, no deal, or a deal (the mean of the latest offers; under
    ``mediated``, the text on the table) and what it and the move give each mover on the
    issue."""
    pointed = model.move_inputs[t].pointed
    if pointed is None:
        return "nothing is on the table yet (the talks point to no deal)"
    mediated = model.protocol == "mediated"
    table = "the text on the table" if mediated else "the mean of the latest offers"
    if np.isnan(pointed[0, model.batch.moves.issue[k]]):
        return (
            f"they point to no deal ({table} is not a deal: a negotiator would not gain the "
            "deal margin from it, or a coalition it asks would veto it)"
        )
    net = appraisal.gain - appraisal.cost
    return "; ".join(
        f"the deal they point to ({table}, which gives every negotiator the deal margin and "
        f"which every coalition it asks would ratify) gives {name} {talks:+.3f} on its issue, "
        f"the move {gain:+.3f} after its cost"
        for name, talks, gain in zip(_names(model, appraisal), appraisal.talks, net, strict=True)
    )


def _refused_by(model, k: int, appraisal: MoveAppraisal) -> str:
    """``"Poland no; nato 20 of 26"``: the actors and coalitions whose consent failed."""
    sc = model.scenario
    move = sc.all_moves[k]
    yes = dict(zip(appraisal.voters.tolist(), appraisal.yes.tolist(), strict=True))
    coalitions = {c.id: c for c in sc.coalitions}
    consents = iter(appraisal.coalition_consents)
    parts = []
    for need in move.needs:
        if need in coalitions:
            members = coalitions[need].members
            agreed = sum(yes[sc.actor_index(m)] for m in members)
            if not next(consents):
                parts.append(f"{need} {agreed} of {len(members)} yes")
        elif not yes[sc.actor_index(need)]:
            parts.append(f"{need.replace('_', ' ')} no")
    return "; ".join(parts)
