"""Why each unilateral move was or was not made in the run a page shows, and the moves table.

The words follow the rule of :mod:`negosim.model.moves`; the numbers come from
:func:`negosim.model.moves.appraise` on this run's sampled values and on what the
:class:`~negosim.abm.DiplomacyModel` recorded before each round
(:class:`~negosim.abm.model.MoveInputs`).
"""

from __future__ import annotations

import pandas as pd

from negosim.app.state import consent_words, move_numbers, move_record, window_rounds
from negosim.model.moves import MoveAppraisal, MoveState, Valuation, appraise


def moves_table(model) -> pd.DataFrame:
    """Every move of the scenario (exits included) in this run: who makes it, on which issue,
    to what value, its window, whose consent it needs, whether and in which round it was made,
    who consented, and why it was or was not made (:func:`move_reasons`)."""
    sc = model.scenario
    numbers = move_numbers(model) if sc.all_moves else {}
    moved, consented = move_record(model)
    reasons = move_reasons(model)
    rows = []
    for k, move in enumerate(sc.all_moves):
        first, last = window_rounds(numbers["earliest"][k], numbers["latest"][k], model.rounds)
        if moved[k] >= model.rounds:  # made when the talks ended at the deadline
            made = f"at the end (round {int(moved[k])})"
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
                "window": f"rounds {first}..{last}" + (" (ends talks)" if move.ends_talks else ""),
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
    the round each move made was weighed in, or the round just played (the end of the talks
    once they ended), in the words of the rule (:mod:`negosim.model.moves`): its window, its
    issue, its value to each mover against its cost and what the table offered, and consent.
    """
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


def _state_before(model, k: int, t: int) -> MoveState:
    """The moves state that move ``k`` was weighed in, in round ``t``: the one before the
    round, with the moves made earlier in that round (file order) made."""
    inputs = model.move_inputs[t]
    state = inputs.state.copy()
    moved, _ = move_record(model)
    to = move_numbers(model)["to"]
    for j in range(k):
        if moved[j] == t:
            i = state.book.issue[j]
            state.package[0, i], state.settled[0, i], state.moved[0, j] = to[j], True, t
    return state


def _during(model, k: int, t: int) -> MoveAppraisal:
    """Move ``k`` weighed by the rule of the talks in round ``t``."""
    inputs = model.move_inputs[t]
    state = _state_before(model, k, t)
    return appraise(state, k, 0, _valuation(model), inputs.clock, inputs.pointed)


def _made_reason(model, k: int, t: int) -> str:
    """Why move ``k``, made in round ``t``, was made: it beat waiting and the talks, or the
    talks ended."""
    if model.scenario.all_moves[k].id in model.scenario.made:
        return "made before the talks began"
    if t < model.rounds and t in model.move_inputs:
        during = _during(model, k, t)
        if during.made_in_talks:
            return "made: " + _value_words(model, during) + "; " + _timing_words(during)
    at_end = _end_appraisal(model, k)
    return "made when the talks ended: " + _value_words(model, at_end)


def _end_appraisal(model, k: int) -> MoveAppraisal:
    """Move ``k`` weighed by the end-of-talks rule from the no-agreement package before it
    (the run's final outcome with ``k``'s issue at the status quo, as it was when the move
    was weighed: a move is made only on an unsettled issue, and only its own issue and its
    reactions enter the test)."""
    sc = model.scenario
    state = model.move_inputs[max(model.move_inputs)].state.copy() if model.move_inputs else None
    if state is None:
        state = model.batch.move_state()
    if model._result is not None:
        state.package[0] = model.result().outcome[0]
    i = model.batch.moves.issue[k]
    state.package[0, i], state.settled[0, i] = sc.status_quo[i], False
    return appraise(state, k, 0, _valuation(model))


def _unmade_reason(model, k: int) -> str:
    """Why move ``k`` was not made in the round just played (or at the end of the talks)."""
    numbers = move_numbers(model)
    first, last = window_rounds(numbers["earliest"][k], numbers["latest"][k], model.rounds)
    ended = not model.running and model._result is not None
    if ended and bool(model.result().agreed[0]):
        return "not made: the talks ended in agreement"
    t = model.round if model.steps else model.table.first_round
    if t < first:
        if ended:
            return f"not made: the talks ended before its window opened (round {first})"
        return f"not yet: its window opens in round {first}"
    if t > last:
        return f"not made: its window closed after round {last}"
    settler = _settled_by(model, k)
    if settler:
        return f"not made: its issue was settled by {settler}"
    if ended:
        appraisal = _end_appraisal(model, k)
        return "not made when the talks ended: " + _refusal_words(model, k, appraisal)
    if not model.steps or model.round not in model.move_inputs:
        return "not yet weighed: no round played"
    appraisal = _during(model, k, model.round)
    return f"not made in round {model.round}: " + _refusal_words(model, k, appraisal)


def _settled_by(model, k: int) -> str:
    """The move that settled move ``k``'s issue, or ``""``."""
    sc = model.scenario
    moved, _ = move_record(model)
    issue = sc.all_moves[k].issue
    return next(
        (m.id for j, m in enumerate(sc.all_moves) if j != k and moved[j] >= 0 and m.issue == issue),
        "",
    )


def _refusal_words(model, k: int, appraisal: MoveAppraisal) -> str:
    """The first test of the rule that move ``k`` failed, in words."""
    if not appraisal.worth_its_cost:
        return "not worth its cost: " + _value_words(model, appraisal)
    if not appraisal.now_beats_later:
        return "waiting is worth as much: " + _timing_words(appraisal)
    if not appraisal.beats_the_talks:
        return (
            "the talks point to more: "
            + _value_words(model, appraisal)
            + "; "
            + _talks_words(model, appraisal)
        )
    if not appraisal.consented:
        return "consent refused: " + _refused_by(model, k, appraisal)
    return "its rule would make it"  # not reached when the record and the rule agree


def _value_words(model, appraisal: MoveAppraisal) -> str:
    """``"to Russia 0.676 with it after its cost 0.013, 0.470 without it"``, per mover."""
    names = [model.scenario.actors[a].replace("_", " ") for a in appraisal.movers]
    return "; ".join(
        f"to {name} {worth:.3f} with it after its cost {appraisal.cost:.3f}, "
        f"{without:.3f} without it"
        for name, worth, without in zip(names, appraisal.worth, appraisal.without, strict=True)
    )


def _timing_words(appraisal: MoveAppraisal) -> str:
    """Why now rather than later, or why later is as good."""
    if appraisal.later is None:
        return "the talks ended"
    if not appraisal.later:
        return "its window closes before the next round"
    if appraisal.threatened:
        return "a rival move on its issue could be made first"
    if appraisal.rising:
        return "its cost only grows"
    return "it can still be made later, at no higher cost (when the talks end)"


def _talks_words(model, appraisal: MoveAppraisal) -> str:
    """``"the deal the talks point to is worth 0.012 more to Russia on its issue"``."""
    names = [model.scenario.actors[a].replace("_", " ") for a in appraisal.movers]
    return "; ".join(
        f"on its issue the deal the talks point to changes {talks:+.3f} for {name}"
        for name, talks in zip(names, appraisal.talks, strict=True)
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
