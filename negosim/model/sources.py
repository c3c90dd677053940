"""Which sampled numbers of a scenario no dated source anchors.

A number is anchored when its confidence code is ``"A"``: a cited act or statement dated on
or before the scenario's date fixes it (docs/scenarios-2007.md, "Confidence codes and the
hindsight rule"). Every other sampled number (code ``"E"``, an estimate, or no code at all)
rests on no dated source, and ``negosim validate`` and ``SimulationResult.summary()`` name
it (docs/scenario-format.md, "Sampled numbers without a dated source").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from negosim.model.targets import confidence_of

if TYPE_CHECKING:  # annotations only: the scenario module is above this one's users
    from negosim.model.scenario import Scenario

ANCHORED = "A"
"""The confidence code of a number that a source dated by the scenario's date gives."""


def confidence_code(scenario: Scenario, target: str) -> str:
    """The confidence code the scenario gives the number ``target`` ("" if it gives none).

    Parameters
    ----------
    scenario
        The scenario.
    target
        A target path such as ``Russia.salience.kosovo_status`` or ``moves.us_deploys.cost``.

    Returns
    -------
    str
        ``"A"``, ``"E"`` or ``""``: a move's number reads the move's ``confidence`` (an exit's
        window reads its actor's ``confidence.exit``); an actor's number reads the actor's
        code for that field and issue (a code for the whole actor covers all of them).

    Raises
    ------
    KeyError
        If ``target`` names no number of the scenario.
    """
    parsed = scenario.parse_target(target)
    if parsed.field == "move":
        return scenario.all_moves[parsed.move].confidence.get(parsed.param, "")
    actor = scenario.actor_specs[parsed.actor]
    issue = scenario.issues[parsed.issue] if parsed.issue >= 0 else ""
    return confidence_of(actor, parsed.field, issue)


def unsourced(scenario: Scenario) -> list[str]:
    """The sampled numbers whose confidence code is not ``"A"``, in sampling order.

    Every target of :attr:`Scenario.effective_uncertainty` (the ``[[uncertainty]]`` entries
    and the ``estimate_spread`` defaults of numbers coded ``"E"``) whose
    :func:`confidence_code` is ``"E"`` or missing: no source dated by the scenario's date
    gives it.

    Examples
    --------
    >>> from negosim.io import load_scenario
    >>> "moves.us_deploys.cost" in unsourced(load_scenario("package_2007"))
    True
    """
    return [
        u.target
        for u in scenario.effective_uncertainty
        if confidence_code(scenario, u.target) != ANCHORED
    ]


def no_dated_source(scenario: Scenario) -> str:
    """``"no source dated by <the scenario's date>"`` (``"no dated source"`` without a date),
    to finish a sentence about an unsourced number."""
    if scenario.date is None:
        return "no dated source"
    return f"no source dated by {scenario.date.isoformat()}"
