"""What the actors know of each other: the information settings and how beliefs are measured.

``docs/protocols.md``, "Information", states what each actor sees under each setting;
:mod:`negosim.engine.beliefs` builds the beliefs and measures them.
"""

from __future__ import annotations

INFORMATION = ("complete", "learned")
"""The information settings of a run: ``"complete"`` (every view holds the true numbers of
every actor) and ``"learned"`` (an actor's own numbers, and beliefs of the others)."""

DEFAULT_MODEL = "bayesian"
"""The opponent model of a run under ``"learned"`` unless a strategy names its own
(:data:`negosim.model.opponents`)."""

MEASURES = ("pearson", "weight_error", "pareto_distance", "nash_distance")
"""The accuracy measures of a belief, each a result array ``belief_<measure>`` under
``"learned"`` (:func:`negosim.engine.beliefs.accuracy`)."""


def belief_arrays() -> tuple[str, ...]:
    """The names of the result arrays that hold the accuracy of the beliefs."""
    return tuple(f"belief_{m}" for m in MEASURES)
