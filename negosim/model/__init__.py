"""The model layer: what a negotiation is and how its actors decide.

The scenario and its parts (:mod:`~negosim.model.scenario`, :mod:`~negosim.model.elements`),
read from a mapping field by field (:mod:`~negosim.model.parse`) and edited for what-ifs
(:mod:`~negosim.model.editing`); preferences and utilities (:mod:`~negosim.model.preferences`);
ratification rules (:mod:`~negosim.model.ratification`); unilateral moves
(:mod:`~negosim.model.moves`); the discrete benchmark domains of GENIUS and GeniusWeb
(:mod:`~negosim.model.domains`); the actors' decision rules (:mod:`~negosim.model.strategies`);
and the errors every layer raises (:mod:`~negosim.model.errors`). Nothing here imports
from the formats, the engine, the analysis or the front ends (docs/architecture.md).
"""
