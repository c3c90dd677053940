"""The Mesa agent model of a negotiation (the only part of negosim that imports Mesa).

``DiplomacyModel`` plays one run of a scenario round by round with one ``Diplomat`` agent per
actor. It uses the same strategy objects, coalition rules and text amendments as the
vectorized core, and gives the same result for the same run (tested run by run).
"""

from negosim.abm.agents import Diplomat
from negosim.abm.model import DiplomacyModel, trace_frame

__all__ = ["DiplomacyModel", "Diplomat", "trace_frame"]
