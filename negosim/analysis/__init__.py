"""The analysis layer: the questions an analyst asks of the engine.

What-ifs (:mod:`~negosim.analysis.whatif`: sweeps, sensitivity, timelines), tournaments of
strategies (:mod:`~negosim.analysis.tournaments`, their metrics in
:mod:`~negosim.analysis.tournament_metrics`), bargaining solutions of a scenario
(:mod:`~negosim.analysis.solutions`) and the gain from linking issues
(:mod:`~negosim.analysis.linkage`). It imports the engine and below, never the front ends
(docs/architecture.md).
"""
